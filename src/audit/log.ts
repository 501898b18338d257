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
/** Arbitrary constant naming the advisory lock that serialises appends. */
const CHAIN_LOCK = 7_340_001;

function entryHash(
  prev: string,
  at: string,
  e: Required<Omit<AuditEntry, 'details'>> & { details: unknown },
): string {
  return createHash('sha256')
    .update(canonicalJson([prev, at, e.code, e.accountId, e.clientId, e.ip, e.details]))
    .digest('hex');
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

export function createAuditLog(db: Db): AuditLog {
  return {
    async record(entry) {
      const details = entry.details ?? {};
      await db.transaction().execute(async (trx) => {
        // One writer at a time, or two entries would chain to the same predecessor.
        await sql`select pg_advisory_xact_lock(${CHAIN_LOCK})`.execute(trx);
        const last = await trx
          .selectFrom('audit_events')
          .select('hash')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
        const prev = last?.hash ?? GENESIS;
        const atDate = new Date();
        const at = atDate.toISOString();
        const fields = {
          code: entry.code,
          accountId: entry.accountId ?? '',
          clientId: entry.clientId ?? '',
          ip: entry.ip ?? '',
          details,
        };
        await trx
          .insertInto('audit_events')
          .values({
            at: atDate,
            code: entry.code,
            account_id: entry.accountId ?? null,
            client_id: entry.clientId ?? null,
            ip: entry.ip ?? null,
            details: JSON.stringify(details),
            prev_hash: prev,
            hash: entryHash(prev, at, fields),
          })
          .execute();
      });
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
