// Opens the one database the service uses: a PostgreSQL server when
// DATABASE_URL is set, otherwise embedded Postgres (PGlite) in a folder on
// disk (or in memory for tests). Both go through Kysely's PostgresDialect.
import { mkdirSync } from 'node:fs';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { openPGlite } from './pglite-open.js';
import { pglitePool } from './pglite-pool.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-staff.js';
import * as m0003 from './migrations/0003-support-and-audit.js';
import * as m0004 from './migrations/0004-proving-identity.js';
import * as m0005 from './migrations/0005-gp-linkage.js';
import * as m0006 from './migrations/0006-id-check-queue.js';
import * as m0007 from './migrations/0007-photo-id.js';
import * as m0008 from './migrations/0008-provisioning.js';
import * as m0009 from './migrations/0009-delegations.js';
import * as m0010 from './migrations/0010-audit-append.js';
import * as m0011 from './migrations/0011-delegation-event-order.js';

/** Every migration, in order. Add new ones at the end; never edit a shipped one. */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-staff': m0002,
  '0003-support-and-audit': m0003,
  '0004-proving-identity': m0004,
  '0005-gp-linkage': m0005,
  '0006-id-check-queue': m0006,
  '0007-photo-id': m0007,
  '0008-provisioning': m0008,
  '0009-delegations': m0009,
  '0010-audit-append': m0010,
  '0011-delegation-event-order': m0011,
};

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** postgres://… for a server; otherwise embedded. */
  url?: string | undefined;
  /** Folder for embedded data; undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Postgres schema to use on a server (tests isolate themselves this way). */
  schema?: string | undefined;
  /**
   * Longest a statement may run on a server before PostgreSQL cancels it
   * (statement_timeout), milliseconds; 0 means no limit. Default 15 s.
   */
  statementTimeoutMs?: number | undefined;
}

/** A query still running after this long is stuck, not slow: better a 503 than a request held forever. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
/** How long to wait for a connection from the server (or a free one in the pool) before giving up. */
const CONNECT_TIMEOUT_MS = 5_000;

export interface OpenDatabase {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The Postgres schema in use, when not the default. */
  schema?: string;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  if (options.url) {
    const schema = options.schema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    const pool = new pg.Pool({
      connectionString: options.url,
      max: 10,
      // Without these a request waits for ever when the server is unreachable
      // (no connect timeout) or a query never returns (no statement timeout);
      // with them it fails, and the error pages answer 503 (src/web/unavailable.ts).
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle connection the server or network drops (a restart, a failover)
    // is an 'error' event on the pool; unheard, it would end the process. The
    // pool has already discarded that connection and opens a new one for the
    // next query, so there is nothing else to do.
    pool.on('error', () => undefined);
    if (schema) await createSchema(pool, schema);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', ...(schema ? { schema } : {}), close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const lite = await openPGlite(options.dataDir);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pglitePool(lite) }) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

/**
 * `create schema if not exists` is not safe when several instances start at
 * once: the losers of the race fail on pg_namespace's unique index (23505)
 * rather than find the schema there. The schema exists either way, so that is success.
 */
async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    await pool.query(`create schema if not exists ${schema}`);
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
  }
}

/**
 * Applies every pending migration. Safe when several instances start at once
 * (Kysely takes a lock). On one connection with no statement timeout: a
 * migration on a large table (an index, a back-fill), or waiting for another
 * instance's migrations, may rightly take longer than a request ever should.
 */
export async function migrate(db: Db, schema?: string): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`set statement_timeout = 0`.execute(connection);
    try {
      const migrator = new Migrator({
        db: connection,
        provider: { getMigrations: () => Promise.resolve(migrations) },
        // Kysely looks for its own tables across all schemas unless told which.
        ...(schema ? { migrationTableSchema: schema } : {}),
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error)
        throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } finally {
      // Back to the pool's own timeout before the connection serves requests.
      await sql`reset statement_timeout`.execute(connection);
    }
  });
}

/** True when the database answers a trivial query (readiness). */
export async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
