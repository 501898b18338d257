// The pure parts of audit search and export: UK dates across the clock
// changes, filter checking, CSV cells. Searching a real log over HTTP is in
// test/backoffice-audit.test.ts.
import { describe, expect, it } from 'vitest';
import type { Db } from '../store/db.js';
import { csvCell, csvLine, exportFileName, jsonLine } from './export.js';
import { parseCursor, resolveAuditFilters, ukDateTime, ukMidnight, ukToday } from './search.js';

/** Filters without email addresses never touch the database. */
const noDb = new Proxy({} as Db, {
  get() {
    throw new Error('the database was used');
  },
});
const NOW = new Date('2025-06-15T12:00:00Z');
const date = (day: string, month: string, year: string) => ({ day, month, year });

describe('UK dates', () => {
  it('start at midnight UK time, GMT or BST, across both clock changes', () => {
    expect(ukMidnight(2025, 1, 15).toISOString()).toBe('2025-01-15T00:00:00.000Z');
    expect(ukMidnight(2025, 3, 30).toISOString()).toBe('2025-03-30T00:00:00.000Z'); // clocks go forward at 1am
    expect(ukMidnight(2025, 3, 31).toISOString()).toBe('2025-03-30T23:00:00.000Z');
    expect(ukMidnight(2025, 7, 1).toISOString()).toBe('2025-06-30T23:00:00.000Z');
    expect(ukMidnight(2025, 10, 26).toISOString()).toBe('2025-10-25T23:00:00.000Z'); // clocks go back at 2am
    expect(ukMidnight(2025, 10, 27).toISOString()).toBe('2025-10-27T00:00:00.000Z');
    expect(ukMidnight(2025, 12, 32).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('show times in UK time with GMT or BST', () => {
    expect(ukDateTime(new Date('2025-07-01T12:00:00Z'))).toBe('1 Jul 2025, 13:00:00 BST');
    expect(ukDateTime(new Date('2025-01-01T12:00:05Z'))).toBe('1 Jan 2025, 12:00:05 GMT');
    expect(ukToday(new Date('2025-06-30T23:30:00Z'))).toBe('2025-07-01');
  });
});

describe('checking filters', () => {
  it('takes the end date to the end of that UK day', async () => {
    const result = await resolveAuditFilters(
      noDb,
      { from: date('1', '6', '2025'), to: date('14', '6', '2025'), code: 's-signed-in', supplier: ' rp ' },
      { now: NOW },
    );
    expect(result).toEqual({
      ok: true,
      value: {
        code: 'S-SIGNED-IN',
        clientId: 'rp',
        fromDay: '2025-06-01',
        toDay: '2025-06-14',
        since: new Date('2025-05-31T23:00:00Z'),
        before: new Date('2025-06-14T23:00:00Z'),
      },
    });
    expect(await resolveAuditFilters(noDb, {}, { now: NOW })).toEqual({ ok: true, value: {} });
  });

  it.each([
    [{ from: date('31', '2', '2025') }, { from: 'Start date must be a real date' }],
    [{ from: date('', '2', '') }, { from: 'Start date must include a day and a year' }],
    [{ to: date('1', '', '2025') }, { to: 'End date must include a month' }],
    [{ from: date('1', '1', '25') }, { from: 'Start date must be a real date' }],
    [{ from: date('1', '1', '2026') }, { from: 'Start date must be today or in the past' }],
    [
      { from: date('2', '1', '2025'), to: date('1', '1', '2025') },
      { to: 'End date must be the same as or after the start date' },
    ],
    [{ code: 'NOT-A-CODE' }, { code: 'Select an event code from the list' }],
    [
      { person: 'abc\u0000def' },
      { person: 'Account ID or email address must not contain control characters' },
    ],
    [{ supplier: 'x'.repeat(321) }, { supplier: 'Supplier client ID must be 320 characters or fewer' }],
    [
      { person: 'not an email@' },
      { person: 'Enter an email address in the correct format, like name@example.com' },
    ],
  ])('refuses %j', async (input, errors) => {
    expect(await resolveAuditFilters(noDb, input, { now: NOW })).toEqual({ ok: false, error: errors });
  });

  it('asks exports for both dates, at most 366 days apart', async () => {
    const range = { requireRange: true, maxDays: 366, now: NOW };
    expect(await resolveAuditFilters(noDb, {}, range)).toEqual({
      ok: false,
      error: { from: 'Enter a start date', to: 'Enter an end date' },
    });
    const leapYear = await resolveAuditFilters(
      noDb,
      { from: date('1', '1', '2024'), to: date('31', '12', '2024') },
      range,
    );
    expect(leapYear.ok).toBe(true);
    expect(
      await resolveAuditFilters(noDb, { from: date('1', '1', '2024'), to: date('1', '1', '2025') }, range),
    ).toEqual({
      ok: false,
      error: { to: 'The dates must be 366 days apart or fewer. Export a longer period in parts' },
    });
  });

  it('takes only a positive whole number as the page cursor', () => {
    expect(parseCursor(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseCursor('42')).toEqual({ ok: true, value: 42 });
    for (const bad of ['0', '-1', '1e3', '1 or 1=1', '9'.repeat(16), '4\u00002']) {
      expect(parseCursor(bad).ok, bad).toBe(false);
    }
  });
});

describe('export lines', () => {
  const entry = {
    id: 7,
    at: '2025-06-01T10:00:00.000Z',
    code: 'S-SIGNED-IN',
    account_id: '-2+3',
    client_id: '=HYPERLINK("http://evil.example")',
    ip: null,
    details: { note: 'a, "quoted"\nline', b: 1 },
    prev_hash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
  };

  it('quotes CSV cells as RFC 4180 says and defuses formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"');
    for (const start of ['=', '+', '-', '@', '\t']) expect(csvCell(`${start}1`)).toBe(`'${start}1`);
    expect(csvCell('\r1')).toBe(`"'\r1"`);
    expect(csvLine(entry)).toBe(
      `7,2025-06-01T10:00:00.000Z,S-SIGNED-IN,'-2+3,"'=HYPERLINK(""http://evil.example"")",,` +
        `"{""note"":""a, \\""quoted\\""\\nline"",""b"":1}",${'a'.repeat(64)},${'b'.repeat(64)}\r\n`,
    );
  });

  it('writes JSON lines exactly', () => {
    expect(JSON.parse(jsonLine(entry))).toEqual(entry);
    expect(jsonLine(entry).endsWith('}\n')).toBe(true);
  });

  it('names the file by its dates only', () => {
    expect(exportFileName({ fromDay: '2025-06-01', toDay: '2025-06-30' }, 'csv')).toBe(
      'audit-log-2025-06-01-to-2025-06-30.csv',
    );
    expect(exportFileName({}, 'jsonl')).toBe('audit-log.jsonl');
  });
});
