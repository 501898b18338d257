// The audit pages of the back office: auditors search the log (by person,
// member of staff, supplier, event code and UK dates, 50 entries a page,
// newest first), export a range as CSV or JSON lines, and check the hash
// chain. Every search, export and check counts against the member of
// staff's search limit and is itself recorded in the log.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  EXPORT_FORMATS,
  exportChunks,
  exportFileName,
  isExportFormat,
  type ExportFormat,
} from '../../audit/export.js';
import { verifyChain } from '../../audit/log.js';
import {
  AUDIT_CODES,
  AUDIT_EXPORT_MAX_DAYS,
  countAuditEntries,
  lastAuditId,
  parseCursor,
  resolveAuditFilters,
  searchAuditLog,
  ukDateTime,
  type AuditFilterErrors,
  type AuditFilters,
  type AuditRow,
  type DateParts,
} from '../../audit/search.js';
import { fields, type BackofficeKit, type Fields } from '../kit.js';
import { allowed, routeEntry } from '../roles.js';

/** The text fields of the filter form, as named in the query string and the form body. */
const TEXT_FIELDS = ['person', 'staff', 'supplier', 'code'] as const;
const DATE_FIELDS = ['from', 'to'] as const;
const PARTS = ['day', 'month', 'year'] as const;

/** What the filter form shows: exactly what was typed. */
interface FilterValues {
  person: string;
  staff: string;
  supplier: string;
  code: string;
  from: DateParts;
  to: DateParts;
}

/** Error summary links for fields whose first input has another id. */
const ERROR_HREFS = { from: '#from-day', to: '#to-day', cursor: '#person', check: '#check' };

/** A single value from a query string or form: the first when repeated, '' when absent. */
function one(source: Record<string, unknown>, name: string): string {
  const value = source[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

function valuesFrom(source: Record<string, unknown>): FilterValues {
  const date = (prefix: string): DateParts => ({
    day: one(source, `${prefix}[day]`),
    month: one(source, `${prefix}[month]`),
    year: one(source, `${prefix}[year]`),
  });
  return {
    person: one(source, 'person'),
    staff: one(source, 'staff'),
    supplier: one(source, 'supplier'),
    code: one(source, 'code'),
    from: date('from'),
    to: date('to'),
  };
}

/** Was the search form submitted (any of its fields present, even empty), or a next-page link followed? */
function submitted(query: Record<string, unknown>): boolean {
  const keys = [
    ...TEXT_FIELDS,
    'cursor',
    ...DATE_FIELDS.flatMap((d) => PARTS.map((p) => `${d}[${p}]`)),
  ] as string[];
  return keys.some((k) => k in query);
}

/** The filters given as a query string, for the page and export links; never empty, so it is a search. */
function queryString(values: FilterValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const f of TEXT_FIELDS) if (values[f]) params.set(f, values[f]);
  for (const d of DATE_FIELDS)
    for (const p of PARTS) if (values[d][p]) params.set(`${d}[${p}]`, values[d][p]);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString() || 'code=';
}

// Controls, bidi overrides and unpaired surrogates: jsonb cannot hold U+0000.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

/** Typed text, safe to keep in the audit record. */
function recorded(text: string): string {
  return text.replace(UNPRINTABLE, '\uFFFD').slice(0, 200);
}

function typedFilters(values: FilterValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of TEXT_FIELDS) if (values[f].trim()) out[f] = recorded(values[f].trim());
  for (const d of DATE_FIELDS) {
    const text = PARTS.map((p) => values[d][p].trim()).join('/');
    if (text !== '//') out[d] = recorded(text);
  }
  return out;
}

/** The resolved filters as the audit record keeps them (no email addresses: the ids they resolved to). */
function filterRecord(f: AuditFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.accountId) out.accountId = f.accountId;
  if (f.staffId) out.staffMember = f.staffId;
  if (f.clientId) out.clientId = f.clientId;
  if (f.code) out.code = f.code;
  if (f.fromDay) out.from = f.fromDay;
  if (f.toDay) out.to = f.toDay;
  return out;
}

function codeItems(selected: string) {
  const chosen = selected.trim().toUpperCase();
  return [
    { value: '', text: 'Any event', selected: chosen === '' },
    ...AUDIT_CODES.map((c) => ({ value: c, text: c, selected: c === chosen })),
  ];
}

function formatItems(selected: string) {
  return [
    {
      value: 'csv',
      text: 'CSV (for spreadsheets)',
      hint: {
        text: 'Cells starting with = + - or @ get a leading apostrophe, so they are not run as formulas',
      },
      checked: selected === 'csv',
    },
    {
      value: 'jsonl',
      text: 'JSON lines (exact, for checking the hash chain)',
      hint: { text: 'One JSON object a line' },
      checked: selected === 'jsonl',
    },
  ];
}

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/** An entry for the results table: UK time, details as compact JSON. */
function shown(row: AuditRow) {
  return {
    id: row.id,
    when: ukDateTime(row.at),
    iso: row.at.toISOString(),
    code: row.code,
    accountId: row.account_id,
    clientId: row.client_id,
    ip: row.ip,
    details: Object.keys(row.details).length ? JSON.stringify(row.details) : '',
  };
}

export function registerAuditRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, page, send } = kit;

  /** Counts one search (or export, or chain check); the answer when the limit is reached, else undefined. */
  async function overLimit(
    request: FastifyRequest,
    reply: FastifyReply,
    action: string,
  ): Promise<FastifyReply | undefined> {
    const { staff } = staffOf(request);
    const limit = await deps.limits.check('staffSearchesPerStaff', staff.id);
    if (limit.allowed) {
      await deps.limits.hit('staffSearchesPerStaff', staff.id);
      return undefined;
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.AUDIT_SEARCHED,
      ip: request.ip,
      details: { staffId: staff.id, action, outcome: 'rate-limited' },
    });
    reply.header('retry-after', String(limit.retryAfterSeconds));
    return send(reply, 429, 'audit/limited', {
      pageTitle: 'You have searched too many times',
      wait: minutes(limit.retryAfterSeconds),
    });
  }

  // Searching.

  route('GET /backoffice/audit', async (request, reply) => {
    const { staff } = staffOf(request);
    const query = (request.query ?? {}) as Record<string, unknown>;
    const values = valuesFrom(query);
    const base = {
      pageTitle: 'Search the audit log',
      values,
      codes: codeItems(values.code),
    };
    if (!submitted(query)) return page(reply, 'audit/search', base);

    const limited = await overLimit(request, reply, 'search');
    if (limited) return limited;

    const resolved = await resolveAuditFilters(deps.db, values);
    const cursor = parseCursor(one(query, 'cursor'));
    if (!resolved.ok || !cursor.ok) {
      const errors: AuditFilterErrors & { cursor?: string } = resolved.ok ? {} : { ...resolved.error };
      if (!cursor.ok && !Object.keys(errors).length) errors.cursor = cursor.error;
      await deps.audit.record({
        code: AUDIT_EVENTS.AUDIT_SEARCHED,
        ip: request.ip,
        details: {
          staffId: staff.id,
          action: 'search',
          outcome: 'invalid',
          typed: typedFilters(values),
          problems: Object.keys(errors),
        },
      });
      return send(reply, 400, 'audit/search', { ...base, errors, errorHrefs: ERROR_HREFS });
    }

    const result = await searchAuditLog(deps.db, resolved.value, { cursor: cursor.value });
    await deps.audit.record({
      code: AUDIT_EVENTS.AUDIT_SEARCHED,
      ip: request.ip,
      details: {
        staffId: staff.id,
        action: 'search',
        outcome: 'ok',
        filters: filterRecord(resolved.value),
        ...(cursor.value !== undefined ? { olderThan: cursor.value } : {}),
        results: result.entries.length,
      },
    });
    return page(reply, 'audit/search', {
      ...base,
      searched: true,
      entries: result.entries.map(shown),
      laterPage: cursor.value !== undefined,
      firstHref: `/backoffice/audit?${queryString(values)}`,
      nextHref: result.next ? `/backoffice/audit?${queryString(values, { cursor: result.next })}` : undefined,
      exportHref: `/backoffice/audit/export?${queryString(values)}`,
    });
  });

  // Exporting.

  const exportPage = (
    reply: FastifyReply,
    status: number,
    values: FilterValues,
    format: string,
    errors?: Fields,
  ) =>
    send(reply, status, 'audit/export', {
      pageTitle: 'Export the audit log',
      values,
      codes: codeItems(values.code),
      formats: formatItems(format),
      maxDays: AUDIT_EXPORT_MAX_DAYS,
      ...(errors ? { errors, errorHrefs: ERROR_HREFS } : {}),
    });

  route('GET /backoffice/audit/export', async (request, reply) => {
    // The search page links here with its filters, to fill the form in; nothing is searched yet.
    const query = (request.query ?? {}) as Record<string, unknown>;
    return exportPage(reply, 200, valuesFrom(query), one(query, 'format'));
  });

  route('POST /backoffice/audit/export', async (request, reply) => {
    const { staff } = staffOf(request);
    const body = fields(request);
    const values = valuesFrom(body);
    const format = body.format ?? '';

    const limited = await overLimit(request, reply, 'export');
    if (limited) return limited;

    const resolved = await resolveAuditFilters(deps.db, values, {
      requireRange: true,
      maxDays: AUDIT_EXPORT_MAX_DAYS,
    });
    if (!resolved.ok || !isExportFormat(format)) {
      const errors: Fields = resolved.ok ? {} : { ...(resolved.error as Fields) };
      if (!isExportFormat(format)) errors.format = 'Select a file format';
      await deps.audit.record({
        code: AUDIT_EVENTS.AUDIT_SEARCHED,
        ip: request.ip,
        details: {
          staffId: staff.id,
          action: 'export',
          outcome: 'invalid',
          typed: typedFilters(values),
          problems: Object.keys(errors),
        },
      });
      return exportPage(reply, 400, values, format, errors);
    }

    const filters = resolved.value;
    const chosen: ExportFormat = format;
    // Entries added from now on (this export's own record among them) are left out.
    const upToId = await lastAuditId(deps.db);
    const rows = await countAuditEntries(deps.db, filters, upToId);
    await deps.audit.record({
      code: AUDIT_EVENTS.AUDIT_EXPORTED,
      ip: request.ip,
      details: { staffId: staff.id, format: chosen, filters: filterRecord(filters), rows, upToId },
    });
    const name = exportFileName(filters, chosen);
    return reply
      .header('content-type', EXPORT_FORMATS[chosen].contentType)
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
      .header('x-audit-rows', String(rows))
      .send(Readable.from(exportChunks(deps.db, filters, chosen, { upToId })));
  });

  // Checking the chain.

  route('GET /backoffice/audit/verify', async (_request, reply) =>
    page(reply, 'audit/verify', { pageTitle: 'Check the audit log has not been changed' }),
  );

  route('POST /backoffice/audit/verify', async (request, reply) => {
    const { staff } = staffOf(request);
    if (fields(request).check !== 'chain') {
      return send(reply, 400, 'audit/verify', {
        pageTitle: 'Check the audit log has not been changed',
        errors: { check: 'Use the button to check the audit log' },
        errorHrefs: ERROR_HREFS,
      });
    }
    const limited = await overLimit(request, reply, 'verify');
    if (limited) return limited;

    const brokenId = await verifyChain(deps.db);
    const total = await deps.db
      .selectFrom('audit_events')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('id').as('last')])
      .executeTakeFirst();
    const broken =
      brokenId === undefined
        ? undefined
        : await deps.db
            .selectFrom('audit_events')
            .select(['id', 'at', 'code'])
            .where('id', '=', brokenId)
            .executeTakeFirst();
    await deps.audit.record({
      code: AUDIT_EVENTS.AUDIT_SEARCHED,
      ip: request.ip,
      details: {
        staffId: staff.id,
        action: 'verify',
        outcome: brokenId === undefined ? 'intact' : 'broken',
        ...(brokenId !== undefined ? { brokenId } : {}),
        entries: Number(total?.n ?? 0),
      },
    });
    const maySearch = allowed(routeEntry('GET /backoffice/audit'), staff.role);
    return page(reply, 'audit/verified', {
      pageTitle: brokenId === undefined ? 'The audit log is intact' : 'The audit log has been changed',
      intact: brokenId === undefined,
      entries: Number(total?.n ?? 0),
      lastId: total?.last === null || total?.last === undefined ? undefined : String(total.last),
      brokenId,
      broken: broken
        ? { id: String(broken.id), when: ukDateTime(new Date(broken.at)), code: broken.code }
        : undefined,
      // The broken entry and the ones before it, newest first.
      searchHref:
        maySearch && brokenId !== undefined ? `/backoffice/audit?cursor=${brokenId + 1}` : undefined,
    });
  });
}
