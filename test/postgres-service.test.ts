// The whole service on a PostgreSQL server (DATABASE_URL), not only its
// store: a supplier sign-in end to end, with everything in its own schema.
// Runs when the server answers; REQUIRE_POSTGRES=1 (CI) makes a missing server fail.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { demoSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `service_test_${randomBytes(4).toString('hex')}`;

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const available = await reachable();
if (!available) {
  if (process.env.REQUIRE_POSTGRES === '1')
    throw new Error(`REQUIRE_POSTGRES=1 but no PostgreSQL server answers at ${SERVER_URL}`);
  console.warn(`SKIPPING the service-on-PostgreSQL test: nothing answers at ${SERVER_URL}`);
}

describe.skipIf(!available)('the service on a PostgreSQL server', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ env: { DATABASE_URL: SERVER_URL }, schema });
  });
  afterAll(async () => {
    await service?.close();
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('signs a supplier’s user in and stores everything on the server', async () => {
    expect(service.database.kind).toBe('postgres');
    const demo = demoSupplier();
    const cb = await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      { email: 'p5.patient@example.com', phone: '+447700900005' },
      { vtr: '["P5.Cp.Cd"]', scope: 'openid profile' },
    );
    const tokens = await exchangeCode(service.app, demo, cb.code!);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P5.Cp.Cd',
      nhs_number: '9990000018',
    });
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    const grants = await client.query(
      `select count(*)::int as n from ${schema}.oidc_payloads where type = 'Grant'`,
    );
    await client.end();
    expect(grants.rows[0].n).toBeGreaterThan(0);
  });
});
