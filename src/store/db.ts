// Opens the one database the service uses: a PostgreSQL server when
// DATABASE_URL is set, otherwise embedded Postgres (PGlite) in a folder on
// disk (or in memory for tests). Both go through Kysely's PostgresDialect.
import { mkdirSync } from 'node:fs';
import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
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
};

export type Db = Kysely<Database>;

export interface DatabaseOptions {
  /** postgres://… for a server; otherwise embedded. */
  url?: string | undefined;
  /** Folder for embedded data; undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** Postgres schema to use on a server (tests isolate themselves this way). */
  schema?: string | undefined;
}

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
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    if (schema) await pool.query(`create schema if not exists ${schema}`);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', ...(schema ? { schema } : {}), close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const lite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pglitePool(lite) }) });
  return { db, kind: 'pglite', close: () => db.destroy() };
}

/** Applies every pending migration. Safe when several instances start at once (Kysely takes a lock). */
export async function migrate(db: Db, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // Kysely looks for its own tables across all schemas unless told which.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
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
