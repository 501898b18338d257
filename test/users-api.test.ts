// The Users (SCIM 2.0, read-only) interface over real HTTP: the jwt-bearer
// grant at /token (the assertion authenticates the supplier), GET /v2/Users
// with NHS number and email filters, what each resource shows, SCIM errors,
// sandpit suppliers, the rate limit and the audit. The issuer is
// http://localhost:3000 (as behind a proxy); requests go to the real port.
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { createAccount, findAccountByEmail } from '../src/store/accounts.js';
import { saveSupplier, type SupplierInput } from '../src/store/suppliers.js';
import { TestBrowser } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { clientAssertion, newKeyPair, type TestSupplier } from './support/supplier.js';
import { ASSERTION_TYPE } from './support/token.js';

const ISSUER = 'http://localhost:3000';
const TOKEN_URL = `${ISSUER}/token`;
const USERS_AUD = `${ISSUER}/v2/Users`;
const USERS_RETRIEVE = `${ISSUER}/Users.retrieve`;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const EXT = 'uk:nhs:login:auth:1.0:User';
const P9 = { email: 'p9.patient@example.com', phone: '+447700900009', nhsNumber: '9990000026' };
const P5_NHS_NUMBER = '9990000018';
const OUTSIDER = { email: 'real.person@example.org', nhsNumber: '9686368973' };
const QUERY_LIMIT = 40;

let service: TestService;
let base: string;
let approved: TestSupplier;
let unapproved: TestSupplier;
let sandpit: TestSupplier;

type Json = Record<string, unknown>;
interface ScimUser {
  id: string;
  schemas: string[];
  userName?: string;
  emails?: { value: string; primary: boolean }[];
  active: boolean;
  [EXT]: {
    vectorsOfTrust: { IdentityProofing: string };
    nhsNumber?: string;
    gpOdsCode?: string;
    gpUserId?: string;
    gpLinkageKey?: string;
  };
}
interface ListResponse {
  schemas: string[];
  totalResults: number;
  Resources: ScimUser[];
  startIndex: number;
  itemsPerPage: number;
}

async function register(clientId: string, extra: Partial<SupplierInput> = {}): Promise<TestSupplier> {
  const keys = newKeyPair();
  const redirectUri = `https://${clientId}.example/callback`;
  const saved = await saveSupplier(service.database.db, {
    clientId,
    name: clientId,
    publicKeysPem: [keys.publicKeyPem],
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email', 'gp_registration_details'],
    usersApi: true,
    ...extra,
  });
  if (!saved.ok) throw new Error(saved.error);
  return { clientId, redirectUri, ...keys };
}

async function postToken(fields: Record<string, string>) {
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** The jwt-bearer grant: the assertion alone, as NHS login's Users API expects. */
async function requestToken(
  s: TestSupplier,
  options: Parameters<typeof clientAssertion>[2] & { audience?: string; scope?: string } = {},
) {
  const assertion = await clientAssertion(s, options.audience ?? TOKEN_URL, options);
  return postToken({
    grant_type: JWT_BEARER,
    assertion,
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
  });
}

async function usersToken(s: TestSupplier, scope?: string): Promise<string> {
  const res = await requestToken(s, scope !== undefined ? { scope } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token as string;
}

async function search(token: string | undefined, filter?: string, init: RequestInit = {}) {
  const query = filter === undefined ? '' : `?filter=${encodeURIComponent(filter)}`;
  const res = await fetch(`${base}/v2/Users${query}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

async function list(token: string, filter: string): Promise<ListResponse> {
  const res = await search(token, filter);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as ListResponse;
}

function expectScimError(
  res: { status: number; headers: Headers; body: Json },
  status: number,
  scimType?: string,
) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
  expect(res.body).toMatchObject({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: String(status),
  });
  expect(typeof res.body.detail).toBe('string');
  if (scimType) expect(res.body.scimType).toBe(scimType);
}

beforeAll(async () => {
  service = await startTestService({
    listen: true,
    env: { ISSUER },
    rateLimits: { usersApiQueriesPerSupplier: { points: QUERY_LIMIT } },
  });
  base = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  approved = await register('scim-approved');
  unapproved = await register('scim-unapproved', { usersApi: false });
  sandpit = await register('scim-sandpit', { sandpit: true });
  await createAccount(service.database.db, {
    email: OUTSIDER.email,
    password_hash: 'not-a-hash',
    phone_number: '+447700900123',
    phone_number_verified: true,
    proofing_level: 'P9',
    nhs_number: service.sealer.seal(OUTSIDER.nhsNumber),
    nhs_number_hash: service.sealer.lookupHash(OUTSIDER.nhsNumber),
    gp_ods_code: 'C12345',
  });
});
afterAll(async () => {
  await service?.close();
});

describe('the jwt-bearer grant', () => {
  it('issues an approved supplier a 5-minute RS512 token for /v2/Users, audited', async () => {
    const res = await requestToken(approved);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 300 });
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body.id_token).toBeUndefined();
    expect((res.body.scope as string).split(' ')).toEqual(
      expect.arrayContaining([USERS_RETRIEVE, 'profile', 'email', 'gp_registration_details']),
    );

    const token = res.body.access_token as string;
    const jwks = createLocalJWKSet((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as never);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: ISSUER,
      audience: USERS_AUD,
      algorithms: ['RS512'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS512', typ: 'JWT' });
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.client_id).toBe(approved.clientId);
    expect(payload.scope).toBe(res.body.scope);
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(300);

    const audited = await service.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.USERS_API_TOKEN_ISSUED)
      .where('client_id', '=', approved.clientId)
      .execute();
    expect(audited.map((a) => a.details.jti)).toContain(payload.jti);
  });

  it('narrows to the scopes asked for, always with Users.retrieve, and refuses others', async () => {
    const narrow = await requestToken(approved, { scope: 'email' });
    expect(narrow.status).toBe(200);
    expect(narrow.body.scope).toBe(`${USERS_RETRIEVE} email`);

    const refused = await requestToken(approved, { scope: `${USERS_RETRIEVE} gp_integration_credentials` });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_scope');
    const foreign = await requestToken(approved, { scope: 'https://elsewhere.example/Users.retrieve' });
    expect(foreign.body.error).toBe('invalid_scope');
  });

  it('refuses a supplier that is not approved: unauthorized_client', async () => {
    const res = await requestToken(unapproved);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('unauthorized_client');
  });

  it('refuses a replayed jti', async () => {
    const assertion = await clientAssertion(approved, TOKEN_URL);
    const first = await postToken({ grant_type: JWT_BEARER, assertion });
    expect(first.status).toBe(200);
    const again = await postToken({ grant_type: JWT_BEARER, assertion });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('refuses a wrong aud, a wrong key, an expired assertion and one living too long: invalid_grant', async () => {
    const cases = {
      'aud the issuer': await requestToken(approved, { audience: ISSUER }),
      'aud the Users API': await requestToken(approved, { audience: USERS_AUD }),
      'another key': await requestToken(approved, { key: newKeyPair().privateKey }),
      expired: await requestToken(approved, { lifetime: -120 }),
      'exp 10 minutes ahead': await requestToken(approved, { lifetime: 600 }),
      'sub not the client': await requestToken(approved, { sub: 'someone-else' }),
      'unknown client': await requestToken({ ...approved, clientId: 'nobody-registered' }),
    };
    for (const [name, res] of Object.entries(cases)) {
      expect({ name, status: res.status, error: res.body.error }).toEqual({
        name,
        status: 400,
        error: 'invalid_grant',
      });
    }
  });

  it('takes the assertion as the client authentication: a separate client assertion is refused', async () => {
    const res = await postToken({
      grant_type: JWT_BEARER,
      assertion: await clientAssertion(approved, TOKEN_URL),
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(approved, TOKEN_URL),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    const missing = await postToken({ grant_type: JWT_BEARER });
    expect(missing.status).toBe(400);
  });
});

describe('GET /v2/Users', () => {
  let token: string;
  beforeAll(async () => {
    token = await usersToken(approved);
  });

  it('finds a P9 person by NHS number, as a SCIM User with the NHS login extension', async () => {
    const res = await search(token, `nhsnumber eq "${P9.nhsNumber}"`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const account = await findAccountByEmail(service.database.db, P9.email);
    expect(res.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [
        {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', EXT],
          id: account!.id,
          userName: P9.email,
          emails: [{ value: P9.email, primary: true }],
          active: true,
          [EXT]: {
            vectorsOfTrust: { IdentityProofing: 'P9' },
            nhsNumber: P9.nhsNumber,
            gpOdsCode: 'B82046',
          },
          meta: { resourceType: 'User' },
        },
      ],
    });
  });

  it('finds by email, whatever its case, and by an NHS number written with spaces', async () => {
    const byEmail = await list(token, `email eq "P9.Patient@Example.com"`);
    expect(byEmail.Resources.map((r) => r.userName)).toEqual([P9.email]);
    const spaced = await list(token, `nhsnumber eq "999 000 0026"`);
    expect(spaced.totalResults).toBe(1);
    // A JSON escape in the value.
    const escaped = await list(token, `email eq "p9.patient\\u0040example.com"`);
    expect(escaped.totalResults).toBe(1);
  });

  it('finds several at once with or (attribute names and operators in any case), each once', async () => {
    const res = await list(
      token,
      `NHSNumber EQ "${P5_NHS_NUMBER}" or Email eq "p0.patient@example.com" OR email eq "${P9.email}" or nhsnumber eq "${P9.nhsNumber}"`,
    );
    expect(res.totalResults).toBe(3);
    expect(res.itemsPerPage).toBe(3);
    expect(res.Resources.map((r) => r[EXT].vectorsOfTrust.IdentityProofing).sort()).toEqual([
      'P0',
      'P5',
      'P9',
    ]);
  });

  it('answers totalResults 0 for a number nobody has', async () => {
    const res = await list(token, 'nhsnumber eq "9000000009"');
    expect(res).toMatchObject({ totalResults: 0, Resources: [], itemsPerPage: 0, startIndex: 1 });
  });

  it('shows no NHS number or GP practice for a P0 person', async () => {
    const res = await list(token, 'email eq "p0.patient@example.com"');
    const [p0] = res.Resources;
    expect(p0?.[EXT]).toEqual({ vectorsOfTrust: { IdentityProofing: 'P0' } });
    expect(p0?.userName).toBe('p0.patient@example.com');
  });

  it('shows only what the token scopes allow', async () => {
    const bare = await usersToken(approved, USERS_RETRIEVE);
    const [p9] = (await list(bare, `nhsnumber eq "${P9.nhsNumber}"`)).Resources;
    expect(p9?.[EXT]).toEqual({ vectorsOfTrust: { IdentityProofing: 'P9' } });
    expect(p9?.userName).toBeUndefined();
    expect(p9?.emails).toBeUndefined();
  });

  it('refuses bad filters with invalidFilter', async () => {
    const six = Array.from({ length: 6 }, () => `email eq "${P9.email}"`).join(' or ');
    expect((await list(token, six.split(' or ').slice(0, 5).join(' or '))).totalResults).toBe(1);
    const bad = [
      six,
      'nhsnumber = "9990000026"',
      'nhsnumber eq 9990000026',
      'nhsnumber eq "9990000026',
      `email eq "${P9.email}" and nhsnumber eq "${P9.nhsNumber}"`,
      `(email eq "${P9.email}")`,
      `email eq "${P9.email}" or`,
      'name eq "Okafor"',
      'emails.value eq "p9.patient@example.com"',
      'email co "example.com"',
      'nhsnumber eq "8527685222"',
      'email eq ""',
      '',
    ];
    for (const filter of bad) {
      const res = await search(token, filter);
      expectScimError(res, 400, 'invalidFilter');
    }
    expectScimError(await search(token), 400, 'invalidFilter');
  });

  it('answers 401 SCIM errors without a token or with a bad one', async () => {
    const none = await search(undefined, `email eq "${P9.email}"`);
    expectScimError(none, 401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    expectScimError(await search('not-a-token', `email eq "${P9.email}"`), 401);
    expectScimError(await search(`${token.slice(0, -4)}AAAA`, `email eq "${P9.email}"`), 401);
    expectScimError(
      await search(undefined, `email eq "${P9.email}"`, { headers: { authorization: `Basic ${token}` } }),
      401,
    );
  });

  it('refuses a userinfo access token, and /userinfo refuses a Users token', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), approved, P9, {
      scope: 'openid email',
    });
    const exchanged = await postToken({
      grant_type: 'authorization_code',
      code: cb.code!,
      redirect_uri: approved.redirectUri,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(approved, TOKEN_URL),
    });
    expect(exchanged.status).toBe(200);
    const userinfoToken = exchanged.body.access_token as string;
    const refused = await search(userinfoToken, `email eq "${P9.email}"`);
    expectScimError(refused, 401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');

    const ok = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${userinfoToken}` } });
    expect(ok.status).toBe(200);
    const wrongWay = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect(wrongWay.status).toBe(401);
    expect(((await wrongWay.json()) as Json).error).toBe('invalid_token');
  });

  it('lets a sandpit supplier find test people only', async () => {
    const sandpitToken = await usersToken(sandpit);
    const found = await list(
      sandpitToken,
      `email eq "${OUTSIDER.email}" or nhsnumber eq "${OUTSIDER.nhsNumber}" or email eq "${P9.email}"`,
    );
    expect(found.Resources.map((r) => r.userName)).toEqual([P9.email]);
    // An ordinary supplier finds the same person.
    const real = await list(token, `nhsnumber eq "${OUTSIDER.nhsNumber}"`);
    expect(real.Resources.map((r) => r.userName)).toEqual([OUTSIDER.email]);
    expect(real.Resources[0]?.[EXT]).toMatchObject({ nhsNumber: OUTSIDER.nhsNumber, gpOdsCode: 'C12345' });
  });

  it('refuses a token once the approval is withdrawn', async () => {
    const withdrawn = await register('scim-withdrawn');
    const early = await usersToken(withdrawn);
    await register('scim-withdrawn', { usersApi: false });
    expectScimError(await search(early, `email eq "${P9.email}"`), 403);
  });

  it('audits each search with counts, never the numbers or addresses', async () => {
    await list(
      token,
      `nhsnumber eq "${P9.nhsNumber}" or email eq "${P9.email}" or email eq "nobody@example.org"`,
    );
    const last = await service.database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', AUDIT_EVENTS.USERS_API_QUERY)
      .where('client_id', '=', approved.clientId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.details).toMatchObject({ expressions: 3, nhsNumbers: 1, emails: 2, results: 1 });
    const text = JSON.stringify(last.details);
    expect(text).not.toContain(P9.nhsNumber);
    expect(text).not.toContain('example');
  });

  it('is read only: other methods and paths get SCIM errors', async () => {
    const post = await fetch(`${base}/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'] }),
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(post.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const byId = await fetch(`${base}/v2/Users/some-id`, { headers: { authorization: `Bearer ${token}` } });
    expect(byId.status).toBe(404);
    expect(((await byId.json()) as Json).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it(`limits each supplier to its searches per minute (${QUERY_LIMIT} here)`, async () => {
    const busy = await register('scim-busy');
    const busyToken = await usersToken(busy);
    for (let i = 0; i < QUERY_LIMIT; i++) {
      expect((await search(busyToken, 'nhsnumber eq "9000000009"')).status).toBe(200);
    }
    const limited = await search(busyToken, 'nhsnumber eq "9000000009"');
    expectScimError(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other suppliers are not held back.
    expect((await search(token, 'nhsnumber eq "9000000009"')).status).toBe(200);
  });
});
