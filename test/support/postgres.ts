// The CI machine's PostgreSQL server, for tests that run the store or the
// whole service on it. They run when the server answers and say so when they
// skip; REQUIRE_POSTGRES=1 (CI) makes a missing server fail the run instead.
import pg from 'pg';

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function answers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the server answers; throws under REQUIRE_POSTGRES=1 when it does not, else warns that `what` is skipped. */
export async function postgresAvailable(what: string): Promise<boolean> {
  if (await answers()) return true;
  if (process.env.REQUIRE_POSTGRES === '1')
    throw new Error(`REQUIRE_POSTGRES=1 but no PostgreSQL server answers at ${POSTGRES_URL}`);
  console.warn(`SKIPPING ${what}: nothing answers at ${POSTGRES_URL}`);
  return false;
}

/** Drops a test's schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}
