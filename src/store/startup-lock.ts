// Start-up work that must happen once however many instances start together
// (the first signing key, the demo seed) runs under a PostgreSQL advisory
// lock: the first instance does it, the others wait and then find it done.
// Migrations need no help here: Kysely's Migrator takes its own lock.
import { sql } from 'kysely';
import type { OpenDatabase } from './db.js';

/**
 * Arbitrary constant naming the lock (the audit chain uses 7_340_001). The
 * second key is the schema, so services sharing a server in schemas of their
 * own (test runs) do not queue behind one another.
 */
export const STARTUP_LOCK = 7_340_002;

/**
 * How long an instance waits for another's start-up work (a key to make, a
 * seed to write: seconds) before its own start fails. Longer than the pool's
 * statement_timeout, which would otherwise cut the wait short.
 */
const WAIT = '120s';

export async function withStartupLock<T>(database: OpenDatabase, work: () => Promise<T>): Promise<T> {
  // PGlite is one process with one connection (and embedded-lock keeps other
  // processes out): nothing to race, and holding its only connection in a
  // transaction while `work` queries would wait for ever.
  if (database.kind === 'pglite') return work();
  // A transaction-scoped lock is released when the transaction ends, even if
  // `work` throws or the process dies mid-way; `work` runs on other pooled
  // connections, so its own transactions are unaffected.
  return database.db.transaction().execute(async (trx) => {
    await sql`select set_config('statement_timeout', ${WAIT}, true)`.execute(trx);
    await sql`select pg_advisory_xact_lock(${STARTUP_LOCK}, hashtext(current_schema()))`.execute(trx);
    return work();
  });
}
