// Lets Kysely's own PostgresDialect drive embedded Postgres (PGlite), so that
// one dialect, one set of migrations and the same SQL serve both PGlite and a
// Postgres server. PGlite is a single connection: `connect()` hands it out to
// one caller at a time (a transaction holds it until release), which is the
// same guarantee a pool of size one gives.
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

const WRITE_COMMAND = /^\s*(insert|update|delete|merge)\b/i;

export function pglitePool(db: PGlite): PostgresPool {
  let tail: Promise<void> = Promise.resolve();

  const client = (release: () => void): PostgresPoolClient =>
    ({
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        const result = await db.query<R>(sql, parameters as unknown[]);
        const command = (WRITE_COMMAND.exec(sql)?.[1]?.toUpperCase() ??
          'SELECT') as PostgresQueryResult<R>['command'];
        return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release,
    }) as PostgresPoolClient;

  return {
    connect(): Promise<PostgresPoolClient> {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const turn = tail.then(() => client(release));
      tail = tail.then(() => held);
      return turn;
    },
    async end(): Promise<void> {
      await tail;
      await db.close();
    },
  };
}
