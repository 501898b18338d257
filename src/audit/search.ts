// Searching the audit log, for auditors: by person (account id or email
// address), member of staff (id or email address, matched against
// details->>'staffId'), supplier, event code and UK dates. Input is checked
// and resolved first (`resolveAuditFilters`, errors as values, one message
// per field); the queries then take only resolved, parameterised values.
// Pages are keyset-paginated on id, newest first; exports walk the same
// filters oldest first in batches (`auditEntryBatches`), so a large range is
// never held in memory at once.
import { sql, type SelectQueryBuilder } from 'kysely';
import { normaliseEmail } from '../domain/contact-details.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { AUDIT_EVENTS, type AuditCode } from './events.js';

export const AUDIT_PAGE_SIZE = 50;
/** Longest export, in days (a leap year, start and end days included). */
export const AUDIT_EXPORT_MAX_DAYS = 366;
const MAX_TEXT = 320;
const UK = 'Europe/London';
const DAY_MS = 24 * 60 * 60 * 1000;

export const AUDIT_CODES: readonly AuditCode[] = [...new Set(Object.values(AUDIT_EVENTS))].sort();

export function isAuditCode(value: string): value is AuditCode {
  return (AUDIT_CODES as readonly string[]).includes(value);
}

/** A date as typed in the NHS date input: day, month and year, each as text. */
export interface DateParts {
  day: string;
  month: string;
  year: string;
}

/** What an auditor typed, before checking. */
export interface AuditFilterInput {
  /** An account id, or the email address an account uses now. */
  person?: string;
  /** A staff id, or a member of staff's email address. */
  staff?: string;
  /** A supplier's client id. */
  supplier?: string;
  /** An event code from the catalogue (events.ts). */
  code?: string;
  /** First UK day included. */
  from?: DateParts;
  /** Last UK day included (the whole day). */
  to?: DateParts;
}

/** Checked and resolved filters: only these reach the queries. */
export interface AuditFilters {
  accountId?: string;
  staffId?: string;
  clientId?: string;
  code?: AuditCode;
  /** The UK days as YYYY-MM-DD, for display, file names and the audit record. */
  fromDay?: string;
  toDay?: string;
  /** Entries at or after this instant (midnight UK time at the start of fromDay). */
  since?: Date;
  /** Entries before this instant (midnight UK time at the end of toDay). */
  before?: Date;
}

export type AuditFilterField = 'person' | 'staff' | 'supplier' | 'code' | 'from' | 'to';
/** Field -> message, in the order the fields appear on the page. */
export type AuditFilterErrors = Partial<Record<AuditFilterField, string>>;

export interface ResolveOptions {
  /** Both dates must be given (exports). */
  requireRange?: boolean;
  /** Longest range allowed, in days, start and end included. */
  maxDays?: number;
  /** For tests: what "today" is. */
  now?: Date;
}

// Controls (U+0000 cannot be stored in Postgres text at all), bidi overrides, unpaired surrogates.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;

/** The UK calendar day (YYYY, MM, DD) an instant falls on. */
const UK_DAY = new Intl.DateTimeFormat('en-CA', {
  timeZone: UK,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});
const UK_WALL = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK,
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hourCycle: 'h23',
});
const UK_DISPLAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: UK,
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
});

/** How far UK wall-clock time is ahead of UTC at an instant, in milliseconds (0 or an hour). */
function ukOffsetMs(instant: number): number {
  const parts = Object.fromEntries(UK_WALL.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/** The instant a UK calendar day starts (midnight UK time; the clocks never change at midnight). */
export function ukMidnight(year: number, month: number, day: number): Date {
  const wall = Date.UTC(year, month - 1, day);
  let instant = wall - ukOffsetMs(wall);
  const again = wall - ukOffsetMs(instant);
  if (again !== instant) instant = again;
  return new Date(instant);
}

/** Today's UK date as YYYY-MM-DD. */
export function ukToday(now = new Date()): string {
  return UK_DAY.format(now);
}

/** A moment in UK time, to the second, with GMT or BST: "1 Jul 2025, 13:00:00 BST". */
export function ukDateTime(at: Date): string {
  return UK_DISPLAY.format(at);
}

/** YYYY-MM-DD of a date given as separate numbers. */
function isoDay(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

type DateCheck = { day: string; y: number; m: number; d: number } | undefined;

/** One date input: undefined when left empty, else the date or an error message. */
function checkDate(parts: DateParts | undefined, label: string): Result<DateCheck, string> {
  const day = (parts?.day ?? '').trim();
  const month = (parts?.month ?? '').trim();
  const year = (parts?.year ?? '').trim();
  if (!day && !month && !year) return ok(undefined);
  if (UNPRINTABLE.test(day + month + year) || day.length + month.length + year.length > 20)
    return err(`${label} must be a real date`);
  const missing = [!day && 'a day', !month && 'a month', !year && 'a year'].filter(Boolean);
  if (missing.length === 2) return err(`${label} must include ${missing[0]} and ${missing[1]}`);
  if (missing.length === 1) return err(`${label} must include ${missing[0]}`);
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year))
    return err(`${label} must be a real date`);
  const d = Number(day);
  const m = Number(month);
  const y = Number(year);
  const check = new Date(Date.UTC(y, m - 1, d));
  if (y < 1000 || check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
    return err(`${label} must be a real date`);
  return ok({ day: isoDay(y, m, d), y, m, d });
}

/** A text filter, trimmed: empty, too long and unprintable input are told apart. */
function checkText(value: string | undefined, label: string): Result<string, string> {
  const text = (value ?? '').trim();
  if (text.length > MAX_TEXT) return err(`${label} must be ${MAX_TEXT} characters or fewer`);
  if (UNPRINTABLE.test(text)) return err(`${label} must not contain control characters`);
  return ok(text);
}

const EMAIL_FORMAT = 'Enter an email address in the correct format, like name@example.com';

/**
 * An id typed as it is, or the id of whoever uses an email address now
 * (a patient account or a member of staff).
 */
async function idFor(
  db: Db,
  table: 'accounts' | 'staff_members',
  value: string,
): Promise<Result<string, 'format' | 'unknown'>> {
  if (!value.includes('@')) return ok(value);
  const email = normaliseEmail(value);
  if (!email.ok) return err('format');
  const row = await db
    .selectFrom(table)
    .select('id')
    .where(sql<string>`lower(email)`, '=', email.value)
    .executeTakeFirst();
  return row ? ok(row.id) : err('unknown');
}

/**
 * Checks what an auditor typed and resolves email addresses to ids. Every
 * problem comes back at once, one message per field.
 */
export async function resolveAuditFilters(
  db: Db,
  input: AuditFilterInput,
  options: ResolveOptions = {},
): Promise<Result<AuditFilters, AuditFilterErrors>> {
  const errors: AuditFilterErrors = {};
  const filters: AuditFilters = {};

  const person = checkText(input.person, 'Account ID or email address');
  if (!person.ok) errors.person = person.error;
  else if (person.value) {
    const found = await idFor(db, 'accounts', person.value);
    if (found.ok) filters.accountId = found.value;
    else
      errors.person =
        found.error === 'format'
          ? EMAIL_FORMAT
          : 'No account uses this email address now. Search by account ID for an account whose email address changed or that was deleted';
  }

  const staff = checkText(input.staff, 'Staff ID or email address');
  if (!staff.ok) errors.staff = staff.error;
  else if (staff.value) {
    const found = await idFor(db, 'staff_members', staff.value);
    if (found.ok) filters.staffId = found.value;
    else
      errors.staff = found.error === 'format' ? EMAIL_FORMAT : 'No member of staff uses this email address';
  }

  const supplier = checkText(input.supplier, 'Supplier client ID');
  if (!supplier.ok) errors.supplier = supplier.error;
  else if (supplier.value) filters.clientId = supplier.value;

  const code = checkText(input.code, 'Event code');
  if (!code.ok) errors.code = 'Select an event code from the list';
  else if (code.value) {
    const upper = code.value.toUpperCase();
    if (isAuditCode(upper)) filters.code = upper;
    else errors.code = 'Select an event code from the list';
  }

  const from = checkDate(input.from, 'Start date');
  const to = checkDate(input.to, 'End date');
  if (!from.ok) errors.from = from.error;
  else if (!from.value && options.requireRange) errors.from = 'Enter a start date';
  if (!to.ok) errors.to = to.error;
  else if (!to.value && options.requireRange) errors.to = 'Enter an end date';
  const today = ukToday(options.now);
  if (from.ok && from.value) {
    if (from.value.day > today) errors.from = 'Start date must be today or in the past';
    else {
      filters.fromDay = from.value.day;
      filters.since = ukMidnight(from.value.y, from.value.m, from.value.d);
    }
  }
  if (to.ok && to.value) {
    filters.toDay = to.value.day;
    filters.before = ukMidnight(to.value.y, to.value.m, to.value.d + 1);
  }
  if (from.ok && from.value && to.ok && to.value && !errors.from) {
    const days =
      (Date.UTC(to.value.y, to.value.m - 1, to.value.d) -
        Date.UTC(from.value.y, from.value.m - 1, from.value.d)) /
        DAY_MS +
      1;
    if (days < 1) errors.to = 'End date must be the same as or after the start date';
    else if (options.maxDays && days > options.maxDays)
      errors.to = `The dates must be ${options.maxDays} days apart or fewer. Export a longer period in parts`;
  }

  if (Object.keys(errors).length) return err(orderErrors(errors));
  return ok(filters);
}

/** The errors in the order the fields appear on the page, for the error summary. */
function orderErrors(errors: AuditFilterErrors): AuditFilterErrors {
  const order: AuditFilterField[] = ['person', 'staff', 'supplier', 'code', 'from', 'to'];
  const out: AuditFilterErrors = {};
  for (const f of order) if (errors[f]) out[f] = errors[f];
  return out;
}

/** A page cursor: the id of the last entry shown, as the "next page" link carries it. */
export function parseCursor(value: string | undefined): Result<number | undefined, string> {
  const text = (value ?? '').trim();
  if (!text) return ok(undefined);
  if (!/^[1-9]\d{0,14}$/.test(text))
    return err('The page link is not valid. Search again from the first page');
  return ok(Number(text));
}

/** One entry as stored. */
export interface AuditRow {
  id: string;
  at: Date;
  code: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

type AuditQuery = SelectQueryBuilder<Database, 'audit_events', object>;

/** The filters as WHERE clauses; every value goes as a parameter. */
function applyFilters<Q extends AuditQuery>(query: Q, f: AuditFilters): Q {
  let q: AuditQuery = query;
  if (f.accountId !== undefined) q = q.where('account_id', '=', f.accountId);
  if (f.clientId !== undefined) q = q.where('client_id', '=', f.clientId);
  if (f.code !== undefined) q = q.where('code', '=', f.code);
  if (f.staffId !== undefined) {
    // Both conditions, so the planner can use the partial index audit_events_staff.
    q = q.where(sql<boolean>`details ? 'staffId'`).where(sql<string>`details->>'staffId'`, '=', f.staffId);
  }
  if (f.since) q = q.where('at', '>=', f.since);
  if (f.before) q = q.where('at', '<', f.before);
  return q as Q;
}

function toRow(r: {
  id: unknown;
  at: Date | string;
  code: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}): AuditRow {
  return { ...r, id: String(r.id), at: new Date(r.at) };
}

export interface AuditPage {
  entries: AuditRow[];
  /** Cursor for the next (older) page, when there is one. */
  next?: string;
}

/** One page of entries, newest first, older than the cursor when one is given. */
export async function searchAuditLog(
  db: Db,
  filters: AuditFilters,
  options: { cursor?: number; pageSize?: number } = {},
): Promise<AuditPage> {
  const size = options.pageSize ?? AUDIT_PAGE_SIZE;
  let q = applyFilters(db.selectFrom('audit_events').selectAll(), filters);
  if (options.cursor !== undefined) q = q.where('id', '<', options.cursor);
  const rows = (
    await q
      .orderBy('id', 'desc')
      .limit(size + 1)
      .execute()
  ).map(toRow);
  const entries = rows.slice(0, size);
  const last = entries[entries.length - 1];
  return rows.length > size && last ? { entries, next: last.id } : { entries };
}

/** The newest entry's id now: an export stops there, so entries added while it runs are left out. */
export async function lastAuditId(db: Db): Promise<number> {
  const row = await db
    .selectFrom('audit_events')
    .select(sql<string | null>`max(id)`.as('last'))
    .executeTakeFirst();
  return Number(row?.last ?? 0);
}

/** How many entries match, up to an id. */
export async function countAuditEntries(db: Db, filters: AuditFilters, upToId: number): Promise<number> {
  const row = await applyFilters(db.selectFrom('audit_events'), filters)
    .where('id', '<=', upToId)
    .select(sql<string>`count(*)`.as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Matching entries up to an id, oldest first, a batch at a time (keyset on id). */
export async function* auditEntryBatches(
  db: Db,
  filters: AuditFilters,
  options: { upToId: number; batchSize?: number },
): AsyncGenerator<AuditRow[]> {
  const size = options.batchSize ?? 500;
  let after = 0;
  for (;;) {
    const rows = (
      await applyFilters(db.selectFrom('audit_events').selectAll(), filters)
        .where('id', '>', after)
        .where('id', '<=', options.upToId)
        .orderBy('id', 'asc')
        .limit(size)
        .execute()
    ).map(toRow);
    if (rows.length) yield rows;
    if (rows.length < size) return;
    after = Number(rows[rows.length - 1]!.id);
  }
}
