// The Provision Account API over real HTTP: an approved supplier gets a
// token with the jwt-bearer grant (as for the Users API) and calls
// POST /provision-account. Each outcome (create: a pending request and the
// claim link emailed; uplift: a P5 NHS login raised to P9), each error code,
// validation, who may call, and the audit.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutbox } from '../src/adapters/notify/outbox.js';
import type { LimitOverrides } from '../src/adapters/rate-limits.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { suppliersChange } from '../src/cli/commands/suppliers-change.js';
import type { CliContext } from '../src/cli/context.js';
import { findAccountByEmail } from '../src/store/accounts.js';
import { claimTokenHash } from '../src/store/provisioning-token.js';
import {
  findSupplier,
  saveSupplier,
  setSupplierSuspension,
  type SupplierInput,
} from '../src/store/suppliers.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { startTestService, type TestService } from './support/service.js';
import { clientAssertion, newKeyPair, type TestSupplier } from './support/supplier.js';

const ISSUER = 'http://localhost:3000';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ODS = 'A81001';

/** Living people in the synthetic national record (fixtures/pds/synthetic-patients.ndjson). */
const NOEL = { nhs_number: '9990011060', date_of_birth: '1957-08-13' };
const CHARLIE = { nhs_number: '9990011095', date_of_birth: '2008-06-17' };
const ISLA = { nhs_number: '9990011141', date_of_birth: '2004-09-03' };
const AOIFE_DECEASED = { nhs_number: '9990011079', date_of_birth: '1940-10-21' };
/** The seeded P5 test person. */
const P5 = { nhs_number: '9990000018', date_of_birth: '1984-03-17' };
const P5_EMAIL = 'p5.patient@example.com';

type Json = Record<string, unknown>;

interface Running {
  service: TestService;
  base: string;
}

async function start(rateLimits?: LimitOverrides): Promise<Running> {
  const service = await startTestService({
    listen: true,
    env: { ISSUER },
    demographics: testDemographics(),
    ...(rateLimits ? { rateLimits } : {}),
  });
  return { service, base: `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}` };
}

async function register(
  r: Running,
  clientId: string,
  extra: Partial<SupplierInput> = {},
): Promise<TestSupplier> {
  const keys = newKeyPair();
  const redirectUri = `https://${clientId}.example/callback`;
  const saved = await saveSupplier(r.service.database.db, {
    clientId,
    name: clientId,
    publicKeysPem: [keys.publicKeyPem],
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email'],
    usersApi: true,
    provisioningOdsCode: ODS,
    ...extra,
  });
  if (!saved.ok) throw new Error(saved.error);
  return { clientId, redirectUri, ...keys };
}

async function tokenResponse(r: Running, s: TestSupplier) {
  const assertion = await clientAssertion(s, `${ISSUER}/token`);
  const res = await fetch(`${r.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function token(r: Running, s: TestSupplier): Promise<string> {
  const res = await tokenResponse(r, s);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

async function call(
  r: Running,
  bearer: string | undefined,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; headers: Headers; body: Json }> {
  const res = await fetch(`${r.base}/provision-account`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

const request = (person: { nhs_number: string; date_of_birth: string }, email: string, extra: Json = {}) => ({
  ...person,
  email_address: email,
  ods_code: ODS,
  phone_number: '+447700900982',
  ...extra,
});

let r: Running;
let approved: TestSupplier;
let bearer: string;
const db = () => r.service.database.db;

const requestsFor = (nhsNumber: string) =>
  db()
    .selectFrom('provisioning_requests')
    .selectAll()
    .where('nhs_number_hash', '=', r.service.sealer.lookupHash(nhsNumber))
    .execute();

beforeAll(async () => {
  r = await start();
  approved = await register(r, 'gp-system-a');
  bearer = await token(r, approved);
});
afterAll(async () => {
  await r?.service.close();
});

describe('who may call', () => {
  it('needs a bearer token of ours', async () => {
    const none = await call(r, undefined, request(ISLA, 'isla@example.com'));
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ code: 'invalid_token', message: 'no access token provided' });
    expect(none.headers.get('www-authenticate')).toBe(`Bearer realm="${ISSUER}", error="invalid_token"`);
    const forged = await call(r, `${bearer.slice(0, -4)}AAAA`, request(ISLA, 'isla@example.com'));
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('invalid_token');
    expect(await requestsFor(ISLA.nhs_number)).toHaveLength(0);
  });

  it('refuses a supplier not approved for provisioning (403 not_approved), audited', async () => {
    const other = await register(r, 'users-api-only', { provisioningOdsCode: undefined });
    const res = await call(r, await token(r, other), request(ISLA, 'isla@example.com'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      code: 'not_approved',
      message: 'this supplier is not approved for the Provision Account API',
    });
    const [entry] = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.PROVISION_REFUSED)
      .where('client_id', '=', 'users-api-only')
      .execute();
    expect(entry?.details).toMatchObject({ error: 'not_approved' });
  });

  it('is approved and withdrawn from the CLI (suppliers change --provisioning ODS / --no-provisioning)', async () => {
    const lines: string[] = [];
    const ctx: CliContext = {
      db: db(),
      sealer: r.service.sealer,
      audit: r.service.audit,
      out: (line) => lines.push(line),
      err: (line) => lines.push(line),
      operator: 'test-operator',
    };
    const s = await register(r, 'approved-by-cli', { provisioningOdsCode: undefined });
    expect(await suppliersChange(ctx, ['approved-by-cli', '--provisioning', 'a81001'])).toBe(0);
    expect((await findSupplier(db(), 'approved-by-cli'))?.metadata.provisioning).toEqual({ ods_code: ODS });
    expect(lines.join('\n')).toContain('Provision Account API:     approved for A81001');
    const t = await token(r, s);
    const wrongOrg = await call(r, t, request(ISLA, 'isla@example.com', { ods_code: 'B82046' }));
    expect(wrongOrg.body.code).toBe('11013');

    expect(await suppliersChange(ctx, ['approved-by-cli', '--no-provisioning'])).toBe(0);
    expect((await findSupplier(db(), 'approved-by-cli'))?.metadata.provisioning).toBeUndefined();
    expect((await call(r, t, request(ISLA, 'isla@example.com'))).status).toBe(403);
    expect(await suppliersChange(ctx, ['approved-by-cli', '--provisioning', 'not an ods code'])).not.toBe(0);
  });

  it('gives no token to a supplier approved for neither API (unauthorized_client)', async () => {
    const neither = await register(r, 'plain-supplier', { usersApi: false, provisioningOdsCode: undefined });
    const res = await tokenResponse(r, neither);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });

  it('stops a suspended supplier’s tokens at once', async () => {
    const s = await register(r, 'suspended-later');
    const t = await token(r, s);
    await setSupplierSuspension(db(), s.clientId, {
      reason: 'test',
      by: 'test',
      at: new Date().toISOString(),
    });
    const res = await call(r, t, request(ISLA, 'isla@example.com'));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('provisions only for the organisation the supplier is approved for (11013)', async () => {
    const res = await call(r, bearer, request(ISLA, 'isla@example.com', { ods_code: 'B82046' }));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('11013');
    expect(await requestsFor(ISLA.nhs_number)).toHaveLength(0);
  });
});

describe('validation', () => {
  it('takes a JSON object of exactly the five string fields (11001)', async () => {
    const good = request(ISLA, 'isla@example.com');
    for (const [body, type] of [
      [[good], 'application/json'],
      [{ ...good, extra: 'x' }, 'application/json'],
      [{ ...good, nhs_number: 9990011141 }, 'application/json'],
      ['{"nhs_number":', 'application/json'],
      [new URLSearchParams(good).toString(), 'application/x-www-form-urlencoded'],
    ] as const) {
      const res = await call(r, bearer, body, type);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe('11001');
    }
    expect(await requestsFor(ISLA.nhs_number)).toHaveLength(0);
  });

  it('names the first field at fault and lists every one', async () => {
    const res = await call(r, bearer, {
      nhs_number: '8527685222',
      email_address: 'not-an-email',
      date_of_birth: '13/08/1957',
      ods_code: 'A81001',
      phone_number: '0113 496 0000',
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('11006');
    expect((res.body.errors as Json[]).map((e) => [e.field, e.code])).toEqual([
      ['nhs_number', '11006'],
      ['email_address', '11007'],
      ['date_of_birth', '11008'],
      ['phone_number', '11010'],
    ]);
    for (const [field, code] of [
      ['email_address', '11007'],
      ['date_of_birth', '11008'],
      ['ods_code', '11009'],
      ['phone_number', '11010'],
    ] as const) {
      const one = await call(r, bearer, request(ISLA, 'isla@example.com', { [field]: 'x' }));
      expect(one.status, field).toBe(400);
      expect(one.body.code, field).toBe(code);
    }
    const missing = request(ISLA, 'isla@example.com') as Json;
    delete missing.phone_number;
    expect((await call(r, bearer, missing)).body.code).toBe('11010');
  });

  it('needs a living person’s current record with that date of birth, saying no more (11012)', async () => {
    const wrong = await call(
      r,
      bearer,
      request({ ...ISLA, date_of_birth: '2004-09-04' }, 'isla@example.com'),
    );
    const died = await call(r, bearer, request(AOIFE_DECEASED, 'aoife@example.com'));
    const unknown = await call(
      r,
      bearer,
      request({ nhs_number: '9000000009', date_of_birth: '1980-01-01' }, 'x@example.com'),
    );
    for (const res of [wrong, died, unknown]) {
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        code: '11012',
        message:
          'nhs_number and date_of_birth do not match a living person’s current record in the national demographics service (PDS)',
      });
    }
    expect(await requestsFor(ISLA.nhs_number)).toHaveLength(0);
  });
});

describe('outcomes and errors', () => {
  it('creates: 201, a pending request, the claim link emailed, audited', async () => {
    const res = await call(
      r,
      bearer,
      request(NOEL, 'Noel.API@Example.com', { phone_number: '07700 900 982' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({ outcome: 'create', request_id: expect.any(String) });
    const [row] = await requestsFor(NOEL.nhs_number);
    expect(row).toMatchObject({
      id: res.body.request_id,
      ods_code: ODS,
      requested_by_client: 'gp-system-a',
      requested_by_staff: null,
      outcome: 'create',
      status: 'pending',
      email: 'noel.api@example.com',
      phone_number: '+447700900982',
      birth_date: NOEL.date_of_birth,
    });
    expect(row!.evidence).toMatchObject({
      method: 'organisation-attested',
      checkedBy: 'gp-system-a',
      gpg45: { route: 'in-person', level: 'P9' },
    });
    const [mail] = await readOutbox(db(), { recipient: 'noel.api@example.com' });
    const claim = /\/claim-account\?token=([A-Za-z0-9_-]{43})/.exec(mail?.body ?? '')?.[1];
    expect(claim).toBeDefined();
    expect(claimTokenHash(claim!)).toBe(row!.claim_token_hash);

    const [entry] = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.PROVISIONED)
      .where('client_id', '=', 'gp-system-a')
      .execute();
    expect(entry?.details).toMatchObject({ outcome: 'create', requestId: row!.id, odsCode: ODS });
    expect(JSON.stringify(entry?.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);
  });

  it('refuses a second request for the same person within 7 days (11003)', async () => {
    const res = await call(r, bearer, request(NOEL, 'someone.else@example.com'));
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      code: '11003',
      message: 'a request for this NHS number is already waiting to be claimed (made in the last 7 days)',
    });
    expect(await requestsFor(NOEL.nhs_number)).toHaveLength(1);
  });

  it('refuses an email another NHS login uses (11004)', async () => {
    const res = await call(r, bearer, request(CHARLIE, 'P9.Patient@example.com'));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('11004');
    expect(await requestsFor(CHARLIE.nhs_number)).toHaveLength(0);
  });

  it('uplifts a P5 NHS login to P9 at once (201 uplift), then it is already P9 (11005)', async () => {
    const res = await call(r, bearer, request(P5, P5_EMAIL));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({ outcome: 'uplift', request_id: expect.any(String) });
    const account = await findAccountByEmail(db(), P5_EMAIL);
    expect(account?.proofing_level).toBe('P9');
    const [row] = await requestsFor(P5.nhs_number);
    expect(row).toMatchObject({ outcome: 'uplift', status: 'applied', account_id: account!.id });
    const [mail] = await readOutbox(db(), { recipient: P5_EMAIL });
    expect(mail?.subject).toBe('You have proved who you are with NHS login');

    const again = await call(r, bearer, request(P5, P5_EMAIL));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      code: '11005',
      message: 'this person already has an NHS login at P9 (high level of proof)',
    });
    expect(await requestsFor(P5.nhs_number)).toHaveLength(1);
  });
});

describe('too many requests from one organisation', () => {
  let limited: Running;
  beforeAll(async () => {
    limited = await start({ provisionRequestsPerOrganisation: { points: 2 } });
  });
  afterAll(async () => {
    await limited?.service.close();
  });

  it('counts every request from the organisation and then refuses (429, 11011), audited', async () => {
    const s = await register(limited, 'busy-practice');
    const t = await token(limited, s);
    expect((await call(limited, t, request(NOEL, 'noel@example.com'))).status).toBe(201);
    expect((await call(limited, t, request(NOEL, 'noel@example.com'))).body.code).toBe('11003');
    const res = await call(limited, t, request(ISLA, 'isla@example.com'));
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      code: '11011',
      message: 'too many requests from this organisation: try again later',
    });
    expect(res.headers.get('retry-after')).toBe('3600');
    const rows = await limited.service.database.db
      .selectFrom('provisioning_requests')
      .select('id')
      .where('nhs_number_hash', '=', limited.service.sealer.lookupHash(ISLA.nhs_number))
      .execute();
    expect(rows).toHaveLength(0);
    const refused = await limited.service.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.PROVISION_REFUSED)
      .where('client_id', '=', 'busy-practice')
      .execute();
    expect(refused.map((e) => (e.details as Json).error)).toEqual(['pending', 'tooMany']);
  });
});
