// Exporting a range of the audit log as CSV (RFC 4180) or JSON lines, a
// batch at a time. Every line carries what an outside party needs to check
// the chain: id, at (ISO 8601, UTC, as hashed), code, account_id, client_id,
// ip, details, prev_hash and hash. An entry's hash is SHA-256 over the JSON
// array [prev_hash, at, code, account_id, client_id, ip, details], with
// missing values as "" and object keys sorted (see log.ts); each prev_hash
// is the hash of the entry before it, so an export of a time range with no
// other filter links from first line to last.
//
// CSV cells that a spreadsheet would run as a formula (starting with = + - @,
// tab or carriage return) get a leading single quote. That changes those
// cells, so re-verify hashes from the JSON lines export, which is exact.
import { auditEntryBatches, type AuditFilters, type AuditRow } from './search.js';

export type ExportFormat = 'csv' | 'jsonl';

export const EXPORT_FORMATS: Record<ExportFormat, { contentType: string; extension: string }> = {
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  jsonl: { contentType: 'application/x-ndjson; charset=utf-8', extension: 'jsonl' },
};

export function isExportFormat(value: unknown): value is ExportFormat {
  return value === 'csv' || value === 'jsonl';
}

export const EXPORT_COLUMNS = [
  'id',
  'at',
  'code',
  'account_id',
  'client_id',
  'ip',
  'details',
  'prev_hash',
  'hash',
] as const;

/** One entry as exported: plain JSON values. */
export interface ExportedEntry {
  id: number;
  at: string;
  code: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export function exportedEntry(row: AuditRow): ExportedEntry {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    code: row.code,
    account_id: row.account_id,
    client_id: row.client_id,
    ip: row.ip,
    details: row.details,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/** A CSV cell: formula-looking text defused, then quoted when RFC 4180 asks for it. */
export function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const CRLF = '\r\n';

export function csvHeader(): string {
  return EXPORT_COLUMNS.join(',') + CRLF;
}

export function csvLine(entry: ExportedEntry): string {
  return (
    EXPORT_COLUMNS.map((c) => csvCell(c === 'details' ? JSON.stringify(entry.details) : entry[c])).join(',') +
    CRLF
  );
}

export function jsonLine(entry: ExportedEntry): string {
  return JSON.stringify(entry) + '\n';
}

/** The export as chunks of text, one per batch of entries; never more than a batch in memory. */
export async function* exportChunks(
  db: Parameters<typeof auditEntryBatches>[0],
  filters: AuditFilters,
  format: ExportFormat,
  options: { upToId: number; batchSize?: number },
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  const line = format === 'csv' ? csvLine : jsonLine;
  for await (const batch of auditEntryBatches(db, filters, options)) {
    yield batch.map((row) => line(exportedEntry(row))).join('');
  }
}

/** A file name for the download: only the dates and the format, nothing typed. */
export function exportFileName(filters: AuditFilters, format: ExportFormat): string {
  const range = [filters.fromDay, filters.toDay].filter(Boolean).join('-to-');
  return `audit-log${range ? `-${range}` : ''}.${EXPORT_FORMATS[format].extension}`;
}
