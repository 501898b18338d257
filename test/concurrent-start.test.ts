// Several instances starting at once against one fresh PostgreSQL schema (a
// deployment rolling out, or scaled up, on a new database): every start
// succeeds, migrations are applied once, and there is exactly one signing
// key, one demo supplier and one of each test person.
// Runs when the server answers; REQUIRE_POSTGRES=1 (CI) makes a missing server fail.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, TEST_PEOPLE } from '../src/cli/seed.js';
import { loadConfig } from '../src/config.js';
import { startRuntime, type Runtime } from '../src/runtime.js';
import { STARTUP_LOCK } from '../src/store/startup-lock.js';
import { dropSchema, POSTGRES_URL, postgresAvailable } from './support/postgres.js';

const INSTANCES = 3;
const schema = `concurrent_start_${randomBytes(4).toString('hex')}`;
const heldSchema = `concurrent_held_${randomBytes(4).toString('hex')}`;
const available = await postgresAvailable('the concurrent start test');

/** One configuration for all the instances, as every replica of a deployment shares it. */
const configFor = (databaseSchema: string) =>
  loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: POSTGRES_URL,
    DATABASE_SCHEMA: databaseSchema,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    COOKIE_SECRET: randomBytes(32).toString('base64url'),
    SEED_DEMO: 'true',
    DATA_DIR: '/nonexistent-test-data-dir',
    LOG_LEVEL: 'silent',
  });

describe.skipIf(!available)('several instances starting at once on a fresh schema', () => {
  const runtimes: Runtime[] = [];
  afterAll(async () => {
    await Promise.all(runtimes.map((r) => r.close()));
    await dropSchema(schema);
  });

  it('all start, and the one-off work is done once', async () => {
    const config = configFor(schema);
    const started = await Promise.allSettled(
      Array.from({ length: INSTANCES }, () => startRuntime(config, { inMemory: true })),
    );
    for (const s of started) if (s.status === 'fulfilled') runtimes.push(s.value);
    const failures = started.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    expect(failures).toEqual([]);
    expect(runtimes.every((r) => r.database.kind === 'postgres')).toBe(true);

    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      const count = async (query: string, params: unknown[] = []) =>
        Number((await client.query<{ n: string }>(query, params)).rows[0]!.n);
      expect(await count(`select count(*) as n from ${schema}.signing_keys`)).toBe(1);
      expect(await count(`select count(*) as n from ${schema}.signing_keys where status = 'active'`)).toBe(1);
      expect(
        await count(`select count(*) as n from ${schema}.suppliers where client_id = $1`, [DEMO_CLIENT_ID]),
      ).toBe(1);
      for (const p of TEST_PEOPLE)
        expect(await count(`select count(*) as n from ${schema}.accounts where email = $1`, [p.email])).toBe(
          1,
        );
      const migrations = await client.query<{ name: string; n: string }>(
        `select name, count(*) as n from ${schema}.kysely_migration group by name`,
      );
      expect(migrations.rows.length).toBeGreaterThan(0);
      expect(migrations.rows.every((r) => Number(r.n) === 1)).toBe(true);
    } finally {
      await client.end();
    }

    // Every instance serves with the one key.
    const jwks = await Promise.all(
      runtimes.map(async (r) =>
        (await r.app.inject('/.well-known/jwks.json')).json<{ keys: { kid: string }[] }>(),
      ),
    );
    expect(new Set(jwks.map((j) => j.keys.map((k) => k.kid).join()))).toHaveProperty('size', 1);
  });
});

describe.skipIf(!available)('the start-up lock', () => {
  afterAll(async () => {
    await dropSchema(heldSchema);
  });

  it('holds every instance back from making keys or seeding while another has it', async () => {
    // Three instances in one test process rarely collide on their own (their
    // RSA key generation is synchronous), so hold the lock here and watch them queue.
    const holder = new pg.Client({ connectionString: POSTGRES_URL });
    await holder.connect();
    const runtimes: Runtime[] = [];
    try {
      await holder.query('select pg_advisory_lock($1, hashtext($2))', [STARTUP_LOCK, heldSchema]);
      const config = configFor(heldSchema);
      const starts = Array.from({ length: INSTANCES }, () => startRuntime(config, { inMemory: true }));
      const settled = Promise.allSettled(starts);

      const waiting = async () =>
        Number(
          (
            await holder.query<{ n: string }>(
              `select count(*) as n from pg_locks
                where locktype = 'advisory' and not granted and objsubid = 2
                  and classid = $1 and objid::text::bigint = (hashtext($2)::bigint + 4294967296) % 4294967296`,
              [STARTUP_LOCK, heldSchema],
            )
          ).rows[0]!.n,
        );
      const deadline = Date.now() + 30_000;
      while ((await waiting()) < INSTANCES && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await waiting()).toBe(INSTANCES);
      // Migrated, but no key made and nothing seeded while the lock is held.
      const keys = await holder.query<{ n: string }>(`select count(*) as n from ${heldSchema}.signing_keys`);
      expect(Number(keys.rows[0]!.n)).toBe(0);

      await holder.query('select pg_advisory_unlock($1, hashtext($2))', [STARTUP_LOCK, heldSchema]);
      for (const s of await settled) {
        expect(s.status).toBe('fulfilled');
        if (s.status === 'fulfilled') runtimes.push(s.value);
      }
      const after = await holder.query<{ n: string }>(`select count(*) as n from ${heldSchema}.signing_keys`);
      expect(Number(after.rows[0]!.n)).toBe(1);
    } finally {
      await Promise.all(runtimes.map((r) => r.close()));
      await holder.end();
    }
  });
});
