// The supplier interface (interface.md) over HTTP: discovery, /authorize
// rules and errors, /token (private_key_jwt RS512, lifetimes, code reuse,
// refresh, PKCE), the tokens' claims, /userinfo GET and PATCH, and the
// trustmark. The browser part of each sign-in runs through the real pages.
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser } from './support/browser.js';
import { newPerson } from './support/people.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import {
  authorizeUrl,
  clientAssertion,
  demoSupplier,
  newKeyPair,
  pkce,
  type TestSupplier,
} from './support/supplier.js';
import { ASSERTION_TYPE, TOKEN_URL, decodeJwt, exchangeCode, tokenRequest } from './support/token.js';

const ISSUER = 'http://localhost:3000';
const P0 = { email: 'p0.patient@example.com', phone: '+447700900000' };
const P9 = { email: 'p9.patient@example.com', phone: '+447700900009' };

let service: TestService;
const demo = demoSupplier();
let restricted: TestSupplier;
let rs256: TestSupplier;

async function register(
  clientId: string,
  extra: Partial<Parameters<typeof saveSupplier>[1]> = {},
): Promise<TestSupplier> {
  const keys = newKeyPair();
  const redirectUri = `https://${clientId}.example/callback`;
  const saved = await saveSupplier(service.database.db, {
    clientId,
    name: clientId,
    publicKeysPem: [keys.publicKeyPem],
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email', 'client_metadata'],
    ...extra,
  });
  if (!saved.ok) throw new Error(saved.error);
  return { clientId, redirectUri, ...keys };
}

async function jwks() {
  const res = await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return createLocalJWKSet(res.json());
}

/** The error parameters of a redirect back to the supplier. */
async function authorizeError(url: string): Promise<URLSearchParams> {
  const res = await service.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(303);
  const location = new URL(res.headers.location as string);
  return location.searchParams;
}

beforeAll(async () => {
  // The same test people sign in dozens of times here; the send limits have their own tests.
  service = await startTestService({ rateLimits: { codesSentPerRecipient: { points: 1000 } } });
  restricted = await register('p5-only', { allowedVectors: ['P5.Cp.Cd'] });
  rs256 = await register('rs256-supplier', { clientAssertionAlgs: ['RS256'], allowedVectors: ['P0.Cp.Cd'] });
});
afterAll(async () => {
  await service?.close();
});

describe('discovery, keys and trustmark', () => {
  it('publishes the NHS login metadata', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
    const d = res.json();
    expect(d.issuer).toBe(ISSUER);
    expect(d.authorization_endpoint).toBe(`${ISSUER}/authorize`);
    expect(d.token_endpoint).toBe(`${ISSUER}/token`);
    expect(d.userinfo_endpoint).toBe(`${ISSUER}/userinfo`);
    expect(d.jwks_uri).toBe(`${ISSUER}/.well-known/jwks.json`);
    expect(d.response_types_supported).toEqual(['code']);
    expect(d.id_token_signing_alg_values_supported).toEqual(['RS512']);
    expect(d.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(d.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS512']);
    expect(d.code_challenge_methods_supported).toEqual(['S256']);
    expect(d.scopes_supported).toEqual(
      expect.arrayContaining([
        'openid',
        'profile',
        'basic_demographics',
        'gp_integration_credentials',
        'client_metadata',
      ]),
    );
    expect(d.claims_supported).toEqual(
      expect.arrayContaining(['vot', 'vtm', 'nhs_number', 'identity_proofing_level', 'client_user_metadata']),
    );
  });

  it('publishes public RS512 keys only', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    const { keys } = res.json<{ keys: Record<string, unknown>[] }>();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'RSA', alg: 'RS512', use: 'sig' });
      expect(typeof k.kid).toBe('string');
      expect(k.d).toBeUndefined();
      expect(k.p).toBeUndefined();
    }
  });

  it('serves the trustmark named by vtm, and nothing for other hosts', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/trustmark/localhost:3000' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      idp: `${ISSUER}/`,
      P: ['P0', 'P5', 'P9'],
      C: ['Cp', 'Cd', 'Ck', 'Cm'],
    });
    expect((await service.app.inject({ method: 'GET', url: '/trustmark/evil.example' })).statusCode).toBe(
      404,
    );
  });
});

describe('the code flow', () => {
  it('signs a P9 person in and issues RS512 tokens with the NHS login claims', async () => {
    const browser = new TestBrowser(service.app);
    const cb = await signInThroughSupplier(service, browser, demo, P9, { vtr: '["P0.Cp.Cd"]' });
    expect(cb.url.searchParams.get('state')).toBe(cb.state);
    const res = await exchangeCode(service.app, demo, cb.code!);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(res.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'openid profile email phone',
    });
    expect(typeof res.body.refresh_token).toBe('string');

    const keys = await jwks();
    const id = await jwtVerify(res.body.id_token as string, keys, {
      issuer: ISSUER,
      audience: demo.clientId,
      algorithms: ['RS512'],
    });
    expect(id.protectedHeader.kid).toBeTruthy();
    expect(id.payload).toMatchObject({
      nonce: cb.nonce,
      vot: 'P0.Cp.Cd',
      vtm: `${ISSUER}/trustmark/localhost:3000`,
      identity_proofing_level: 'P9',
      family_name: 'Okafor',
      birthdate: '1959-11-02',
      nhs_number: '9990000026',
    });
    expect(typeof id.payload.jti).toBe('string');
    expect(typeof id.payload.auth_time).toBe('number');
    expect(id.payload.exp! - id.payload.iat!).toBe(3600);
    // Not in NHS login's ID token: email and phone come from userinfo; no acr/amr.
    expect(id.payload.email).toBeUndefined();
    expect(id.payload.acr).toBeUndefined();
    expect(id.payload.amr).toBeUndefined();

    const at = await jwtVerify(res.body.access_token as string, keys, {
      issuer: ISSUER,
      audience: demo.clientId,
      algorithms: ['RS512'],
    });
    expect(at.protectedHeader.typ).toBe('JWT');
    expect(at.payload).toMatchObject({
      scope: 'openid profile email phone',
      vot: 'P0.Cp.Cd',
      nhs_number: '9990000026',
    });
    expect(at.payload.exp! - at.payload.iat!).toBe(300);
    expect(at.payload.client_id).toBeUndefined();

    const ui = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(res.body.access_token)}` },
    });
    expect(ui.statusCode).toBe(200);
    expect(ui.json()).toEqual({
      sub: id.payload.sub,
      nhs_number: '9990000026',
      family_name: 'Okafor',
      birthdate: '1959-11-02',
      identity_proofing_level: 'P9',
      email: 'p9.patient@example.com',
      email_verified: true,
      phone_number: '+447700900009',
      phone_number_verified: true,
      phone_number_pds_matched: false,
    });
  });

  it('keeps codes for 10 minutes and refresh tokens for 30 days', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const lifetime = async (type: string, id: string) => {
      const row = await service.database.db
        .selectFrom('oidc_payloads')
        .select('expires_at')
        .where('type', '=', type)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return (new Date(row.expires_at!).getTime() - Date.now()) / 1000;
    };
    expect(await lifetime('AuthorizationCode', cb.code!)).toBeGreaterThan(590);
    expect(await lifetime('AuthorizationCode', cb.code!)).toBeLessThanOrEqual(600);
    const tokens = await exchangeCode(service.app, demo, cb.code!);
    const days = (await lifetime('RefreshToken', tokens.body.refresh_token as string)) / 86400;
    expect(days).toBeGreaterThan(29.99);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('leaves out the claims a P0 person has not earned', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const res = await exchangeCode(service.app, demo, cb.code!);
    const id = decodeJwt(res.body.id_token as string).payload;
    expect(id.identity_proofing_level).toBeUndefined();
    expect(id.nhs_number).toBeUndefined();
    const ui = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(res.body.access_token)}` },
    });
    expect(Object.keys(ui.json<object>()).sort()).toEqual(
      [
        'email',
        'email_verified',
        'phone_number',
        'phone_number_verified',
        'phone_number_pds_matched',
        'sub',
      ].sort(),
    );
  });

  it('refreshes with the latest refresh token only, without an ID token, narrowing but never widening scope', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const first = await exchangeCode(service.app, demo, cb.code!);
    const refresh = async (token: string, scope?: string) =>
      tokenRequest(service.app, {
        grant_type: 'refresh_token',
        refresh_token: token,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await clientAssertion(demo, TOKEN_URL),
        ...(scope ? { scope } : {}),
      });
    const idTokensRecorded = async () =>
      (
        await service.database.db
          .selectFrom('oidc_payloads')
          .select('id')
          .where('type', '=', 'IssuedIdToken')
          .execute()
      ).length;
    const recordedBefore = await idTokensRecorded();
    const second = await refresh(first.body.refresh_token as string, 'openid email');
    expect(second.status).toBe(200);
    expect(second.body.id_token).toBeUndefined();
    // Not made and dropped, but never made: no ID token was recorded (or signed) for the refresh.
    expect(await idTokensRecorded()).toBe(recordedBefore);
    expect(second.body.scope).toBe('openid email');
    expect(decodeJwt(second.body.access_token as string).payload.vot).toBe('P0.Cp.Cd');
    const widened = await refresh(
      second.body.refresh_token as string,
      'openid email gp_integration_credentials',
    );
    expect(widened.status).toBe(400);
    expect(widened.body.error).toBe('invalid_scope');
    // The spent refresh token is refused, and its reuse revokes the grant.
    const reused = await refresh(first.body.refresh_token as string);
    expect(reused.body.error).toBe('invalid_grant');
    const afterRevoke = await refresh(second.body.refresh_token as string);
    expect(afterRevoke.body.error).toBe('invalid_grant');
  });

  it('reads a refresh token with its grant, and the account once, in a refresh grant', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const first = await exchangeCode(service.app, demo, cb.code!);
    const executor = service.database.db.getExecutor();
    const reads = vi.spyOn(executor, 'executeQuery');
    const second = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: first.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    const queries = reads.mock.calls.map(([query]) => query);
    const selects = queries.filter((q) => q.sql.startsWith('select'));
    reads.mockRestore();
    expect(second.status).toBe(200);
    const tokenOrGrantReads = selects.filter((q) =>
      q.parameters.some((p) => p === 'RefreshToken' || p === 'Grant'),
    );
    expect(tokenOrGrantReads).toHaveLength(1);
    expect(tokenOrGrantReads[0]!.parameters).toEqual(expect.arrayContaining(['RefreshToken', 'Grant']));
    expect(selects.filter((q) => q.sql.includes('from "accounts"'))).toHaveLength(1);
    // The old token is spent and its successor saved in one statement.
    const tokenWrites = queries.filter(
      (q) => !q.sql.startsWith('select') && q.parameters.includes('RefreshToken'),
    );
    expect(tokenWrites).toHaveLength(1);
    expect(tokenWrites[0]!.parameters).toContain(first.body.refresh_token);
    expect(tokenWrites[0]!.parameters).toContain(second.body.refresh_token);

    // A grant revoked since is not found with the token: the refresh is refused.
    await service.database.db.deleteFrom('oidc_payloads').where('type', '=', 'Grant').execute();
    const revoked = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: second.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(revoked.body.error).toBe('invalid_grant');
  });

  it('refuses a reused code and revokes what it issued', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const first = await exchangeCode(service.app, demo, cb.code!);
    expect(first.status).toBe(200);
    const reuses = async () =>
      (
        await service.database.db
          .selectFrom('audit_events')
          .select('id')
          .where('code', '=', AUDIT_EVENTS.CODE_REUSED)
          .execute()
      ).length;
    const reusesBefore = await reuses();
    const again = await exchangeCode(service.app, demo, cb.code!);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    // Recorded as a reuse (an attack signal), not as any other refusal.
    await expect.poll(reuses).toBe(reusesBefore + 1);
    const ui = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(first.body.access_token)}` },
    });
    expect(ui.statusCode).toBe(401);
    expect(ui.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('binds the code to its redirect URI', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
    });
    const res = await exchangeCode(service.app, demo, cb.code!, {
      redirect_uri: 'http://localhost:3001/other',
    });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('enforces PKCE S256 when the request used it', async () => {
    const { verifier, challenge } = pkce();
    const params = { vtr: '["P0.Cp.Cd"]', code_challenge: challenge, code_challenge_method: 'S256' };
    const missing = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, params);
    expect((await exchangeCode(service.app, demo, missing.code!)).body.error).toBe('invalid_grant');
    const wrong = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, params);
    expect(
      (await exchangeCode(service.app, demo, wrong.code!, { code_verifier: pkce().verifier })).body.error,
    ).toBe('invalid_grant');
    const right = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, params);
    expect((await exchangeCode(service.app, demo, right.code!, { code_verifier: verifier })).status).toBe(
      200,
    );
  });
});

describe('authorization request rules', () => {
  it('requires state and nonce', async () => {
    const noState = new URLSearchParams(authorizeUrl(demo).url.split('?')[1]);
    noState.delete('state');
    expect((await authorizeError(`/authorize?${noState.toString()}`)).get('error')).toBe('invalid_request');
    const noNonce = new URLSearchParams(authorizeUrl(demo).url.split('?')[1]);
    noNonce.delete('nonce');
    const e = await authorizeError(`/authorize?${noNonce.toString()}`);
    expect(e.get('error')).toBe('invalid_request');
    expect(e.get('error_description')).toBe("missing required parameter 'nonce'");
    expect(e.get('state')).toBe(noNonce.get('state'));
  });

  it('never redirects to an unknown client or a redirect URI that differs by one character', async () => {
    for (const params of [
      { client_id: 'no-such-client' },
      { redirect_uri: 'http://localhost:3001/callbacK' },
      { redirect_uri: 'http://localhost:3001/callback?x=1' },
    ]) {
      const res = await service.app.inject({ method: 'GET', url: authorizeUrl(demo, params).url });
      expect(res.statusCode).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('There is a problem with the website or app you came from');
    }
  });

  it('answers bad requests with the OAuth error at the redirect URI', async () => {
    // A response type that implies the fragment gets its error in the fragment.
    const token = await service.app.inject({
      method: 'GET',
      url: authorizeUrl(demo, { response_type: 'token' }).url,
    });
    const fragment = new URLSearchParams(new URL(token.headers.location as string).hash.slice(1));
    expect(fragment.get('error')).toBe('unsupported_response_type');
    // A scope the supplier was not approved for.
    expect(
      (
        await authorizeError(
          authorizeUrl(restricted, { scope: 'openid delegations', vtr: '["P5.Cp.Cd"]' }).url,
        )
      ).get('error'),
    ).toBe('invalid_scope');
    expect(
      (await authorizeError(authorizeUrl(demo, { scope: 'openid profile basic_demographics' }).url)).get(
        'error',
      ),
    ).toBe('invalid_scope');
    expect((await authorizeError(authorizeUrl(demo, { vtr: 'P9.Cp.Cd' }).url)).get('error')).toBe(
      'invalid_request',
    );
    expect((await authorizeError(authorizeUrl(demo, { vtr: '["P7.Cp"]' }).url)).get('error')).toBe(
      'invalid_request',
    );
    expect((await authorizeError(authorizeUrl(demo, { allow_registration: 'maybe' }).url)).get('error')).toBe(
      'invalid_request',
    );
  });

  it('rejects a vtr the supplier is not allowed, and filters the default vtr to what it is allowed', async () => {
    const e = await authorizeError(authorizeUrl(restricted, { scope: 'openid', vtr: '["P9.Cp.Cd"]' }).url);
    expect(e.get('error')).toBe('invalid_request');
    // The default P9 list has nothing this supplier may ask for.
    const d = await authorizeError(authorizeUrl(restricted, { scope: 'openid' }).url);
    expect(d.get('error')).toBe('invalid_request');
    const ok = await service.app.inject({
      method: 'GET',
      url: authorizeUrl(restricted, { scope: 'openid', vtr: '["P5.Cp.Cd"]' }).url,
    });
    expect(ok.headers.location).toMatch(/^\/interaction\//);
  });

  it('answers prompt=none without a session with sso_login_required', async () => {
    const { url, state } = authorizeUrl(demo, { prompt: 'none', vtr: '["P0.Cp.Cd"]' });
    const e = await authorizeError(url);
    expect(e.get('error')).toBe('sso_login_required');
    expect(e.get('state')).toBe(state);
  });

  it('signs in again silently when the session meets the vtr, and steps up when it does not', async () => {
    const browser = new TestBrowser(service.app);
    await signInThroughSupplier(service, browser, demo, P0, { vtr: '["P0.Cp.Cd"]' });
    const sso = await browser.follow(authorizeUrl(demo, { prompt: 'none', vtr: '["P0.Cp.Cd"]' }).url);
    expect(new URL(sso.url).searchParams.get('code')).toBeTruthy();
    // A P0 person cannot meet P9 silently.
    const p9 = await browser.follow(authorizeUrl(demo, { prompt: 'none', vtr: '["P9.Cp.Cd"]' }).url);
    expect(new URL(p9.url).searchParams.get('error')).toBe('sso_login_required');
    // Interactively, they are told they need to prove who they are, and the supplier hears access_denied.
    const step = await browser.follow(authorizeUrl(demo, { vtr: '["P9.Cp.Cd"]' }).url);
    expect(step.url).toBe('/sign-in/prove-identity');
    const back = await browser.post('/sign-in/prove-identity', {});
    const final = await browser.follow(back.location!);
    expect(new URL(final.url).searchParams.get('error')).toBe('access_denied');
    // prompt=login always asks for the password again.
    const login = await browser.follow(authorizeUrl(demo, { prompt: 'login', vtr: '["P0.Cp.Cd"]' }).url);
    expect(login.url).toBe('/sign-in');
  });

  it('hides "create an NHS login" when allow_registration=false', async () => {
    const browser = new TestBrowser(service.app);
    const hidden = await browser.follow(
      authorizeUrl(demo, { allow_registration: 'false', vtr: '["P0.Cp.Cd"]' }).url,
    );
    expect(hidden.body).not.toContain('Create an NHS login');
    const shown = await new TestBrowser(service.app).follow(authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]' }).url);
    expect(shown.body).toContain('Create an NHS login');
  });
});

describe('client authentication at /token', () => {
  async function freshCode(s: TestSupplier = demo): Promise<string> {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), s, P0, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid',
    });
    return cb.code!;
  }

  it('checks a PEM-registered key whatever kid the assertion carries', async () => {
    const res = await exchangeCode(
      service.app,
      demo,
      await freshCode(),
      {},
      await clientAssertion(demo, TOKEN_URL, { kid: 'suppliers-own-kid-2024' }),
    );
    expect(res.status).toBe(200);
  });

  it.each([
    ['the issuer as audience', { aud: ISSUER }],
    ['RS256 when only RS512 is allowed', { alg: 'RS256' }],
    ['another key', { key: newKeyPair().privateKey }],
    ['an expired assertion', { lifetime: -120 }],
    ['sub other than the client', { sub: 'someone-else' }],
  ])('refuses %s', async (_name, option) => {
    const { aud, ...rest } = option as { aud?: string };
    const assertion = await clientAssertion(demo, aud ?? TOKEN_URL, rest);
    const res = await exchangeCode(service.app, demo, await freshCode(), {}, assertion);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses an unsigned assertion (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({
        iss: demo.clientId,
        sub: demo.clientId,
        aud: TOKEN_URL,
        jti: 'x1',
        iat: now,
        exp: now + 60,
      }),
    ).toString('base64url');
    const res = await exchangeCode(service.app, demo, await freshCode(), {}, `${header}.${payload}.`);
    expect(res.body.error).toBe('invalid_client');
  });

  it('refuses a replayed assertion jti', async () => {
    const assertion = await clientAssertion(demo, TOKEN_URL, { jti: 'replay-me' });
    expect((await exchangeCode(service.app, demo, await freshCode(), {}, assertion)).status).toBe(200);
    const again = await exchangeCode(service.app, demo, await freshCode(), {}, assertion);
    expect(again.body.error).toBe('invalid_client');
  });

  it('lets one of several simultaneous uses of an assertion through', async () => {
    const assertion = await clientAssertion(demo, TOKEN_URL, { jti: 'sent-five-times-at-once' });
    const codes = await Promise.all(Array.from({ length: 5 }, () => freshCode()));
    const answers = await Promise.all(
      codes.map((code) => exchangeCode(service.app, demo, code, {}, assertion)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401, 401, 401]);
    for (const refused of answers.filter((a) => a.status !== 200))
      expect(refused.body.error).toBe('invalid_client');
  });

  it('refuses client secrets and public clients', async () => {
    const code = await freshCode();
    const secret = await tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: demo.redirectUri,
      client_id: demo.clientId,
      client_secret: 'x',
    });
    expect(secret.body.error).toBe('invalid_client');
    const none = await tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: demo.redirectUri,
      client_id: demo.clientId,
    });
    expect(none.body.error).toBe('invalid_client');
  });

  it('accepts RS256 from a supplier allowed it', async () => {
    const res = await exchangeCode(
      service.app,
      rs256,
      await freshCode(rs256),
      {},
      await clientAssertion(rs256, TOKEN_URL, { alg: 'RS256' }),
    );
    expect(res.status).toBe(200);
  });
});

describe('/userinfo', () => {
  let accessToken: string;
  beforeAll(async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email client_metadata',
    });
    accessToken = (await exchangeCode(service.app, demo, cb.code!)).body.access_token as string;
  });
  const get = (authorization?: string) =>
    service.app.inject({ method: 'GET', url: '/userinfo', headers: authorization ? { authorization } : {} });
  const patch = (body: unknown, token = accessToken) =>
    service.app.inject({
      method: 'PATCH',
      url: '/userinfo',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  it('accepts the Bearer scheme in any case', async () => {
    expect((await get(`bearer ${accessToken}`)).statusCode).toBe(200);
  });

  it('answers missing and bad tokens with the exact errors', async () => {
    const none = await get();
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ error: 'invalid_request' });
    const garbage = await get('Bearer not.a.token');
    expect(garbage.statusCode).toBe(401);
    expect(garbage.headers['www-authenticate']).toMatch(
      /^Bearer realm="http:\/\/localhost:3000", error="invalid_token"/,
    );
    const forged = await new SignJWT({ scope: 'openid email', jti: 'x' })
      .setProtectedHeader({ alg: 'RS512' })
      .setIssuer(ISSUER)
      .setAudience(demo.clientId)
      .setSubject('someone')
      .setExpirationTime('5m')
      .sign(newKeyPair().privateKey);
    expect((await get(`Bearer ${forged}`)).statusCode).toBe(401);
  });

  it('keeps the supplier’s client_user_metadata: default, set, cleared, regenerated', async () => {
    const initial = (await get(`Bearer ${accessToken}`)).json<Record<string, string>>();
    expect(initial.client_user_metadata).toMatch(/^[A-Za-z0-9_-]{200,}$/); // encrypted to the supplier's RSA key
    expect((await patch({ client_user_metadata: 'my-own-id-42' })).statusCode).toBe(204);
    expect((await get(`Bearer ${accessToken}`)).json<Record<string, string>>().client_user_metadata).toBe(
      'my-own-id-42',
    );
    expect((await patch({ client_user_metadata: '' })).statusCode).toBe(204);
    expect(
      (await get(`Bearer ${accessToken}`)).json<Record<string, string>>().client_user_metadata,
    ).toBeUndefined();
    expect((await patch({ client_user_metadata: 'auto' })).statusCode).toBe(204);
    const regenerated = (await get(`Bearer ${accessToken}`)).json<Record<string, string>>()
      .client_user_metadata;
    expect(regenerated).not.toBe(initial.client_user_metadata);
    expect((await patch({ client_user_metadata: 'x'.repeat(1025) })).statusCode).toBe(400);
    expect((await patch({ wrong: 1 })).json()).toMatchObject({ error: 'invalid_request' });
  });

  it('refuses metadata changes without the client_metadata scope', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P0, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email',
    });
    const token = (await exchangeCode(service.app, demo, cb.code!)).body.access_token as string;
    const res = await patch({ client_user_metadata: 'x' }, token);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'insufficient_scope' });
  });
});

describe('sandpit suppliers', () => {
  it('sign in test people only: a real person gets access_denied, also with a session from another supplier', async () => {
    const sandpit = await register('sandpit-gp', { sandpit: true, allowedVectors: ['P0.Cp.Cd'] });
    const real = await newPerson(service.database.db, 'real');
    const person = { email: real.email, phone: real.phone_number };

    const refused = await signInThroughSupplier(service, new TestBrowser(service.app), sandpit, person, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email',
    });
    expect(refused.code).toBeNull();
    expect(refused.url.searchParams.get('error')).toBe('access_denied');
    expect(refused.url.searchParams.get('error_description')).toBe(
      'sandpit suppliers may only sign in test people',
    );

    // Signed in at an ordinary supplier first, then sent to the sandpit: the session does not carry them in.
    const browser = new TestBrowser(service.app);
    const ordinary = await signInThroughSupplier(service, browser, demoSupplier(), person, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email',
    });
    expect(ordinary.code).not.toBeNull();
    const again = await signInThroughSupplier(service, browser, sandpit, person, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email',
    });
    expect(again.code).toBeNull();
    expect(again.url.searchParams.get('error')).toBe('access_denied');

    const test = await signInThroughSupplier(service, new TestBrowser(service.app), sandpit, P0, {
      vtr: '["P0.Cp.Cd"]',
      scope: 'openid email',
    });
    expect(test.code).not.toBeNull();
  });
});
