// The whole service on a PostgreSQL server (DATABASE_URL), not only its
// store: a supplier sign-in end to end, with everything in its own schema.
// Runs when the server answers; REQUIRE_POSTGRES=1 (CI) makes a missing server fail.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from './support/browser.js';
import { dropSchema, POSTGRES_URL, postgresAvailable } from './support/postgres.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { demoSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

const schema = `service_test_${randomBytes(4).toString('hex')}`;
const available = await postgresAvailable('the service-on-PostgreSQL test');

describe.skipIf(!available)('the service on a PostgreSQL server', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ env: { DATABASE_URL: POSTGRES_URL }, schema });
  });
  afterAll(async () => {
    await service?.close();
    await dropSchema(schema);
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
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const grants = await client.query(
      `select count(*)::int as n from ${schema}.oidc_payloads where type = 'Grant'`,
    );
    await client.end();
    expect(grants.rows[0].n).toBeGreaterThan(0);
  });
});
