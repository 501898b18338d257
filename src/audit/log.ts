// The append-only audit log. Each entry holds the hash of the one before, so
// a removed or edited entry breaks the chain and `verifyChain` finds where.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import type { AuditCode } from './events.js';

export interface AuditEntry {
  code: AuditCode;
  accountId?: string | undefined;
  clientId?: string | undefined;
  ip?: string | undefined;
  details?: Record<string, unknown>;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

const GENESIS = '0'.repeat(64);

type HashedFields = Required<Omit<AuditEntry, 'details'>> & { details: unknown };

function entryHash(prev: string, at: string, e: HashedFields): string {
  return createHash('sha256')
    .update(canonicalJson([prev, at, ...hashedAfterPrev(e)]))
    .digest('hex');
}

/** What the hash covers after prev_hash and at, in order. */
function hashedAfterPrev(e: HashedFields): unknown[] {
  return [e.code, e.accountId, e.clientId, e.ip, e.details];
}

/** JSON with object keys sorted, so the hash survives jsonb's own key ordering. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The entry with every string made storable: PostgreSQL text and jsonb refuse
 * NUL and unpaired surrogates (which a JSON body can carry as escapes), and an
 * event must never be lost, or a request fail, because of what someone typed.
 * Both become U+FFFD, before hashing, so the hash covers what is stored.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed().replaceAll('\0', '\uFFFD');
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === 'object' && !(value instanceof Date))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)]));
  return value;
}

/**
 * Appends with the database function audit_append (migration 0010): the
 * lock that keeps one writer at a time, the read of the last hash and the
 * insert in one round trip. The hash is computed there, over
 * `["<prev_hash>"` followed by the canonical JSON of the rest given here, so
 * it is byte for byte the hash `entryHash` checks.
 */
export function createAuditLog(db: Db): AuditLog {
  return {
    async record(raw) {
      const entry = storable(raw) as AuditEntry;
      const details = entry.details ?? {};
      const at = new Date();
      const fields: HashedFields = {
        code: entry.code,
        accountId: entry.accountId ?? '',
        clientId: entry.clientId ?? '',
        ip: entry.ip ?? '',
        details,
      };
      // canonicalJson([prev, at, ...]) is `["<prev>"` + this.
      const tail = `,${canonicalJson([at.toISOString(), ...hashedAfterPrev(fields)]).slice(1)}`;
      await sql`select audit_append(${at}, ${entry.code}, ${entry.accountId ?? null}, ${entry.clientId ?? null},
        ${entry.ip ?? null}, ${JSON.stringify(details)}::jsonb, ${tail})`.execute(db);
    },
  };
}

/** Entries read at a time while verifying, so a long log is never held in memory whole. */
const VERIFY_BATCH = 1000;

/** Walks the chain from the start; returns the id of the first entry that does not fit, or undefined. */
export async function verifyChain(db: Db, batchSize = VERIFY_BATCH): Promise<number | undefined> {
  let prev = GENESIS;
  let after = -1;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    for (const r of rows) {
      const expected = entryHash(prev, new Date(r.at).toISOString(), {
        code: r.code as AuditCode,
        accountId: r.account_id ?? '',
        clientId: r.client_id ?? '',
        ip: r.ip ?? '',
        details: r.details,
      });
      if (r.prev_hash !== prev || r.hash !== expected) return Number(r.id);
      prev = r.hash;
      after = Number(r.id);
    }
    if (rows.length < batchSize) return undefined;
  }
}
