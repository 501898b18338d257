// The auditor's pages: searching the audit log by each filter, a page at a
// time; input that is refused (with the error summary, never a 500);
// exports in CSV and JSON lines that an outside party can re-verify; the
// chain check finding an edited entry; the search limit; and who may open
// what.
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { auditEntryBatches } from '../src/audit/search.js';
import { findAccountByEmail } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';
import { staffHelpers } from './support/staff.js';

let service: TestService;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];
const db = () => service.database.db;

beforeAll(async () => {
  service = await startTestService();
  ({ staffMember } = staffHelpers(service));
});
afterAll(async () => {
  await service?.close();
});

/** The entry ids in the results table, in page order. */
function entryIds(page: Page): number[] {
  const table = /<table[^>]*id="audit-entries"[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
  return [
    ...table.matchAll(/<tr class="nhsuk-table__row">\s*<td class="nhsuk-table__cell"\s*>\s*(\d+)/g),
  ].map((m) => Number(m[1]));
}

/** The link to the next (older) page of results, decoded. */
function nextLink(page: Page): string | undefined {
  const href = /<a[^>]*href="([^"]+)"[^>]*rel="next"|rel="next"[^>]*href="([^"]+)"/.exec(page.body);
  const raw = href?.[1] ?? href?.[2];
  return raw?.replace(/&amp;/g, '&');
}

function ukParts(at = new Date()): { day: string; month: string; year: string } {
  const [year, month, day] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' })
    .format(at)
    .split('-');
  return { day: String(Number(day)), month: String(Number(month)), year: year! };
}

const today = ukParts();
const range = (from = today, to = today) => ({
  'from[day]': from.day,
  'from[month]': from.month,
  'from[year]': from.year,
  'to[day]': to.day,
  'to[month]': to.month,
  'to[year]': to.year,
});

function search(browser: TestBrowser, filters: Record<string, string>): Promise<Page> {
  return browser.get(`/backoffice/audit?${new URLSearchParams(filters).toString()}`);
}

/** Entries of one code and staff member recorded by the auditor's own actions. */
async function auditorRecords(staffId: string, code: string) {
  return db()
    .selectFrom('audit_events')
    .select(['id', 'details'])
    .where('code', '=', code)
    .where(sql<string>`details->>'staffId'`, '=', staffId)
    .orderBy('id')
    .execute();
}

async function lastId(): Promise<number> {
  const row = await db()
    .selectFrom('audit_events')
    .select(sql<string>`max(id)`.as('id'))
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** SHA-256 of the entry as log.ts hashes it, written again here as an outside party would. */
function outsideHash(e: {
  prev_hash: string;
  at: string;
  code: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  details: unknown;
}): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object')
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    return JSON.stringify(v);
  };
  return createHash('sha256')
    .update(
      canonical([e.prev_hash, e.at, e.code, e.account_id ?? '', e.client_id ?? '', e.ip ?? '', e.details]),
    )
    .digest('hex');
}

/** A minimal RFC 4180 reader, for checking the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

describe('searching', () => {
  it('finds entries by person (id or email), staff member (id or email), supplier, event code and date', async () => {
    const auditor = await staffMember('auditor');
    const p9 = (await findAccountByEmail(db(), 'p9.patient@example.com'))!;
    const colleague = await staffMember('support');
    const supplier = `audit-rp-${randomUUID()}`;
    const before = await lastId();
    await service.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_COMPLETE,
      accountId: p9.id,
      clientId: supplier,
      ip: '192.0.2.1',
      details: { marker: 'one' },
    });
    await service.audit.record({
      code: AUDIT_EVENTS.SUPPORT_VIEWED_ACCOUNT,
      accountId: p9.id,
      details: { staffId: colleague.id, reason: 'caller asked' },
    });
    await service.audit.record({ code: AUDIT_EVENTS.TOKEN_ISSUED, clientId: supplier });
    const [first, second, third] = [before + 1, before + 2, before + 3];

    const byPersonId = await search(auditor.browser, { person: p9.id });
    expect(byPersonId.status).toBe(200);
    expect(entryIds(byPersonId).slice(0, 2)).toEqual([second, first]);
    const byEmail = await search(auditor.browser, { person: '  P9.Patient@Example.COM ' });
    expect(entryIds(byEmail)).toEqual(entryIds(byPersonId));

    const byStaffId = await search(auditor.browser, { staff: colleague.id });
    expect(entryIds(byStaffId)[0]).toBe(second);
    const byStaffEmail = await search(auditor.browser, { staff: colleague.email.toUpperCase() });
    expect(entryIds(byStaffEmail)).toEqual(entryIds(byStaffId));
    expect(entryIds(byStaffEmail)).not.toContain(first);

    expect(entryIds(await search(auditor.browser, { supplier }))).toEqual([third, first]);
    expect(entryIds(await search(auditor.browser, { supplier, code: AUDIT_EVENTS.TOKEN_ISSUED }))).toEqual([
      third,
    ]);
    expect(entryIds(await search(auditor.browser, { supplier, ...range() }))).toEqual([third, first]);
    const yesterday = ukParts(new Date(Date.now() - 36 * 60 * 60 * 1000));
    const older = await search(auditor.browser, { supplier, ...range(yesterday, yesterday) });
    expect(older.status).toBe(200);
    expect(entryIds(older)).toEqual([]);
    expect(older.body).toContain('No entries match');

    // Filter values are parameters, never SQL.
    for (const hostile of ["x' or '1'='1", "'); delete from audit_events; --", '%', '\\', '*']) {
      const page = await search(auditor.browser, { person: hostile, staff: hostile, supplier: hostile });
      expect(page.status, hostile).toBe(200);
      expect(entryIds(page), hostile).toEqual([]);
    }
    expect(await lastId()).toBeGreaterThan(third);

    // The page shows UK time, compact JSON details, and keeps the filters in the form.
    const page = await search(auditor.browser, { supplier, code: AUDIT_EVENTS.SIGN_IN_COMPLETE });
    expect(page.body).toMatch(/\d{2}:\d{2}:\d{2} (GMT|BST)<\/time>/);
    expect(page.body).toContain(
      '<code class="nhsuk-u-text-break-word">{&quot;marker&quot;:&quot;one&quot;}</code>',
    );
    expect(page.body).toContain(`value="${supplier}"`);
    expect(page.body).toMatch(/<option value="S-SIGNED-IN" selected/);

    // Each search is recorded, with the filters resolved to ids.
    const searches = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_SEARCHED);
    expect(searches.length).toBe(14);
    expect(searches[1]!.details).toMatchObject({
      action: 'search',
      outcome: 'ok',
      filters: { accountId: p9.id },
      results: entryIds(byEmail).length,
    });
    expect(searches[3]!.details).toMatchObject({ filters: { staffMember: colleague.id } });
  });

  it('pages through results newest first, 50 at a time', async () => {
    const auditor = await staffMember('auditor');
    const supplier = `paging-${randomUUID()}`;
    for (let n = 0; n < 60; n++) {
      await service.audit.record({ code: AUDIT_EVENTS.TOKEN_REFRESHED, clientId: supplier, details: { n } });
    }
    const first = await search(auditor.browser, { supplier });
    const firstIds = entryIds(first);
    expect(firstIds).toHaveLength(50);
    expect([...firstIds].sort((a, b) => b - a)).toEqual(firstIds);
    const next = nextLink(first);
    expect(next).toMatch(/^\/backoffice\/audit\?.*cursor=\d+/);
    const second = await auditor.browser.get(next!);
    const secondIds = entryIds(second);
    expect(secondIds).toHaveLength(10);
    expect(Math.max(...secondIds)).toBeLessThan(Math.min(...firstIds));
    expect(nextLink(second)).toBeUndefined();
    expect(second.body).toContain('Newest entries');
    expect(second.body).toContain(`value="${supplier}"`);
  });

  it('refuses bad input with the error summary, keeps what was typed, and never fails with a 500', async () => {
    const auditor = await staffMember('auditor');
    const cases: [Record<string, string>, string, string][] = [
      [
        { 'from[day]': '31', 'from[month]': '2', 'from[year]': '2025' },
        'Start date must be a real date',
        '#from-day',
      ],
      [
        { ...range({ day: '2', month: '1', year: '2025' }, { day: '1', month: '1', year: '2025' }) },
        'End date must be the same as or after the start date',
        '#to-day',
      ],
      [{ code: 'B-NOT-A-CODE' }, 'Select an event code from the list', '#code'],
      [{ person: 'x\u0000y' }, 'Account ID or email address must not contain control characters', '#person'],
      [{ staff: '\u0000' }, 'Staff ID or email address must not contain control characters', '#staff'],
      [{ supplier: 'rp\u0000' }, 'Supplier client ID must not contain control characters', '#supplier'],
      [{ person: 'nobody@example.com' }, 'No account uses this email address now', '#person'],
      [{ staff: 'nobody@staff.example.com' }, 'No member of staff uses this email address', '#staff'],
      [{ cursor: '1 or 1=1' }, 'The page link is not valid', '#person'],
    ];
    for (const [filters, message, href] of cases) {
      const page = await search(auditor.browser, filters);
      expect(page.status, JSON.stringify(filters)).toBe(400);
      expect(page.body).toContain('There is a problem');
      expect(page.body).toContain(message);
      expect(page.body).toContain(`href="${href}"`);
      expect(page.body).toContain('<title>Error: Search the audit log');
    }
    const kept = await search(auditor.browser, { person: 'nobody@example.com', supplier: 'kept-rp' });
    expect(kept.body).toContain('value="nobody@example.com"');
    expect(kept.body).toContain('value="kept-rp"');
    // NUL bytes in the query string itself, and a repeated field.
    const raw = await auditor.browser.get('/backoffice/audit?person=%00&code=S-SIGNED-IN&code=x');
    expect(raw.status).toBe(400);
    const invalid = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_SEARCHED);
    expect(invalid.every((r) => r.details.outcome === 'invalid')).toBe(true);
    expect(JSON.stringify(invalid.map((r) => r.details))).not.toContain('\\u0000');
    // The form alone is no search.
    const form = await auditor.browser.get('/backoffice/audit');
    expect(form.status).toBe(200);
    expect(form.body).not.toContain('audit-entries');
    expect(await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_SEARCHED)).toHaveLength(invalid.length);
  });

  it('limits searches per member of staff, answers 429 and records it', async () => {
    const auditor = await staffMember('auditor');
    for (let n = 0; n < 30; n++) {
      expect((await search(auditor.browser, { code: AUDIT_EVENTS.SIGNED_OUT })).status).toBe(200);
    }
    const limited = await search(auditor.browser, { code: AUDIT_EVENTS.SIGNED_OUT });
    expect(limited.status).toBe(429);
    expect(limited.body).toContain('You have searched too many times');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Exports and chain checks count too.
    await auditor.browser.get('/backoffice/audit/export');
    expect(
      (await auditor.browser.post('/backoffice/audit/export', { format: 'csv', ...range() })).status,
    ).toBe(429);
    const records = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_SEARCHED);
    expect(records.filter((r) => r.details.outcome === 'rate-limited').map((r) => r.details.action)).toEqual([
      'search',
      'export',
    ]);
    // Another auditor is not held back.
    const other = await staffMember('auditor');
    expect((await search(other.browser, { code: AUDIT_EVENTS.SIGNED_OUT })).status).toBe(200);
  });
});

describe('exporting', () => {
  it('downloads CSV with formulas defused, and records the export', async () => {
    const auditor = await staffMember('auditor');
    const supplier = `=HYPERLINK("http://evil.example/${randomUUID()}")`;
    await service.audit.record({
      code: AUDIT_EVENTS.TOKEN_ISSUED,
      clientId: supplier,
      ip: '@evil',
      details: { note: 'a, "quoted"\nline', sum: '+1+2' },
    });
    await service.audit.record({ code: AUDIT_EVENTS.TOKEN_ISSUED, clientId: supplier, ip: '-3' });
    const form = await auditor.browser.get(
      `/backoffice/audit/export?supplier=${encodeURIComponent(supplier)}`,
    );
    expect(form.status).toBe(200);
    expect(form.body).toContain('value="=HYPERLINK(&quot;http://evil.example/');

    const download = await auditor.browser.post('/backoffice/audit/export', {
      supplier,
      format: 'csv',
      ...range(),
    });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('text/csv; charset=utf-8');
    const t = new Date().toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
    expect(download.headers['content-disposition']).toBe(`attachment; filename="audit-log-${t}-to-${t}.csv"`);
    const rows = parseCsv(download.body);
    expect(rows[0]).toEqual([
      'id',
      'at',
      'code',
      'account_id',
      'client_id',
      'ip',
      'details',
      'prev_hash',
      'hash',
    ]);
    expect(rows).toHaveLength(3);
    const [older, newer] = [rows[1]!, rows[2]!];
    expect(Number(older[0])).toBeLessThan(Number(newer[0]));
    expect(older[4]).toBe(`'${supplier}`);
    expect(older[5]).toBe(`'@evil`);
    expect(newer[5]).toBe(`'-3`);
    expect(JSON.parse(older[6]!)).toEqual({ note: 'a, "quoted"\nline', sum: '+1+2' });
    expect(older[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(newer[7]).toBe(older[8]); // consecutive entries chain

    const exported = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_EXPORTED);
    expect(exported).toHaveLength(1);
    expect(exported[0]!.details).toMatchObject({
      format: 'csv',
      rows: 2,
      filters: { clientId: supplier, from: t, to: t },
    });
  });

  it('downloads JSON lines that re-verify, link to link, for a day', async () => {
    const auditor = await staffMember('auditor');
    await service.audit.record({
      code: AUDIT_EVENTS.CODE_SENT,
      details: { channel: 'sms', nested: { b: 1, a: [2] } },
    });
    await auditor.browser.get('/backoffice/audit/export');
    const download = await auditor.browser.post('/backoffice/audit/export', { format: 'jsonl', ...range() });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="audit-log-.*\.jsonl"$/);
    const lines = download.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Parameters<typeof outsideHash>[0] & { id: number; hash: string });
    expect(lines.length).toBeGreaterThan(50); // more than one page, fewer than a batch: still in order
    for (const [i, line] of lines.entries()) {
      expect(outsideHash(line), `entry ${line.id}`).toBe(line.hash);
      if (i > 0) {
        expect(line.id).toBe(lines[i - 1]!.id + 1);
        expect(line.prev_hash).toBe(lines[i - 1]!.hash);
      }
    }
    // In batches of any size, the same entries in the same order.
    const upToId = lines[lines.length - 1]!.id;
    const since = new Date(lines[0]!.at);
    const batched: number[] = [];
    for await (const batch of auditEntryBatches(db(), { since }, { upToId, batchSize: 7 })) {
      expect(batch.length).toBeLessThanOrEqual(7);
      batched.push(...batch.map((r) => Number(r.id)));
    }
    expect(batched).toEqual(lines.map((l) => l.id));

    const [record] = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_EXPORTED);
    expect(record!.details).toMatchObject({ format: 'jsonl', rows: lines.length });
    // The export's own record came after the last line exported.
    expect(Number(record!.id)).toBeGreaterThan(lines[lines.length - 1]!.id);
  });

  it('asks for dates, a format and a range of at most 366 days', async () => {
    const auditor = await staffMember('auditor');
    await auditor.browser.get('/backoffice/audit/export');
    const empty = await auditor.browser.post('/backoffice/audit/export', {});
    expect(empty.status).toBe(400);
    for (const message of ['Enter a start date', 'Enter an end date', 'Select a file format'])
      expect(empty.body).toContain(message);
    const long = await auditor.browser.post('/backoffice/audit/export', {
      format: 'csv',
      ...range({ day: '1', month: '1', year: '2024' }, { day: '2', month: '1', year: '2025' }),
    });
    expect(long.status).toBe(400);
    expect(long.body).toContain('The dates must be 366 days apart or fewer');
    expect(long.body).toContain('name="to[year]" type="text" value="2025"');
    const hostile = await auditor.browser.post('/backoffice/audit/export', {
      format: 'xlsx',
      code: 'nope',
      person: '\u0000',
      ...range(),
    });
    expect(hostile.status).toBe(400);
    expect(hostile.body).toContain('Select a file format');
    expect(hostile.body).toContain('Select an event code from the list');
    expect(await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_EXPORTED)).toHaveLength(0);
  });
});

describe('checking the chain', () => {
  it('reports OK, then the first entry edited behind the log’s back', async () => {
    const auditor = await staffMember('auditor');
    await service.audit.record({ code: AUDIT_EVENTS.SIGNED_OUT, details: { marker: 'to be edited' } });
    await service.audit.record({ code: AUDIT_EVENTS.SIGNED_OUT, details: { marker: 'after' } });
    const target = await db()
      .selectFrom('audit_events')
      .select(['id', 'details'])
      .where(sql<string>`details->>'marker'`, '=', 'to be edited')
      .executeTakeFirstOrThrow();

    expect((await auditor.browser.get('/backoffice/audit/verify')).status).toBe(200);
    const ok = await auditor.browser.post('/backoffice/audit/verify', { check: 'chain' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('The audit log is intact');
    expect(ok.body).toMatch(/OK: all \d+ entries link up/);

    await db()
      .updateTable('audit_events')
      .set({ details: JSON.stringify({ marker: 'edited' }) })
      .where('id', '=', target.id)
      .execute();
    try {
      await auditor.browser.get('/backoffice/audit/verify');
      const broken = await auditor.browser.post('/backoffice/audit/verify', { check: 'chain' });
      expect(broken.status).toBe(200);
      expect(broken.body).toContain('The audit log has been changed');
      expect(broken.body).toContain(`<strong id="broken-id">${target.id}</strong>`);
      expect(broken.body).toContain(`href="/backoffice/audit?cursor=${Number(target.id) + 1}"`);
      const checks = await auditorRecords(auditor.id, AUDIT_EVENTS.AUDIT_SEARCHED);
      expect(checks.map((c) => c.details)).toMatchObject([
        { action: 'verify', outcome: 'intact' },
        { action: 'verify', outcome: 'broken', brokenId: Number(target.id) },
      ]);
    } finally {
      await db()
        .updateTable('audit_events')
        .set({ details: JSON.stringify(target.details) })
        .where('id', '=', target.id)
        .execute();
    }
    await auditor.browser.get('/backoffice/audit/verify');
    expect((await auditor.browser.post('/backoffice/audit/verify', { check: 'chain' })).body).toContain(
      'The audit log is intact',
    );
  });

  it('lets an operator check the chain, without a way into the entries', async () => {
    const operator = await staffMember('operator', 'X26');
    await operator.browser.get('/backoffice/audit/verify');
    const result = await operator.browser.post('/backoffice/audit/verify', { check: 'chain' });
    expect(result.status).toBe(200);
    expect(result.body).toContain('The audit log is intact');
    expect((await operator.browser.get('/backoffice/audit?person=x')).status).toBe(403);
    const home = await operator.browser.get('/backoffice');
    expect(home.body).toContain('href="/backoffice/audit/verify"');
    expect(home.body).not.toContain('href="/backoffice/audit"');
  });
});

describe('who may open the audit pages', () => {
  it('a support user gets 403 on every audit page, and sees no links to them', async () => {
    const support = await staffMember('support');
    for (const url of [
      '/backoffice/audit',
      '/backoffice/audit?person=x',
      '/backoffice/audit/export',
      '/backoffice/audit/verify',
    ]) {
      const page = await support.browser.get(url);
      expect(page.status, url).toBe(403);
      expect(page.body).not.toContain('audit-entries');
    }
    await support.browser.get('/backoffice');
    for (const url of ['/backoffice/audit/export', '/backoffice/audit/verify']) {
      expect(
        (await support.browser.post(url, { check: 'chain', format: 'csv', ...range() })).status,
        url,
      ).toBe(403);
    }
    expect((await support.browser.get('/backoffice')).body).not.toContain('/backoffice/audit');
    const auditor = await staffMember('auditor');
    const home = await auditor.browser.get('/backoffice');
    for (const href of ['/backoffice/audit', '/backoffice/audit/export', '/backoffice/audit/verify'])
      expect(home.body).toContain(`href="${href}"`);
  });
});
