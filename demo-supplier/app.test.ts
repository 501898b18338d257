// The demo supplier against a FAKE provider: a tiny node:http server serving
// discovery, a JWKS, and just enough of /token and /userinfo to check what the
// demo sends (PKCE verifier, an RS512 client assertion aimed at the token
// endpoint). The full journey against the real identity service is tested
// elsewhere.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { exportJWK, importPKCS8, importSPKI, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { buildDemoSupplier, DEFAULT_VTR } from './app.js';

const CLIENT_ID = 'demo-supplier';
const BASE_URL = 'http://localhost:3001';
const REDIRECT_URI = `${BASE_URL}/callback`;

// The client's key pair (generated per run; the committed one is not needed here).
const clientKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
// The fake provider's signing key.
const providerKeys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

interface PendingCode {
  params: URLSearchParams;
  sub: string;
  vot: string;
}

interface FakeProvider {
  issuer: string;
  server: Server;
  discoveryHits: number;
  /** Fail the next N discovery requests with 500. */
  failDiscovery: number;
  endSession: boolean;
  codes: Map<string, PendingCode>;
  tokenRequests: Array<{
    body: URLSearchParams;
    assertionHeader: Record<string, unknown>;
    assertion: Record<string, unknown>;
  }>;
  /** Issues a code as /authorize would after the person signed in. */
  issueCode(authorizeUrl: string, vot: string): string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function startFakeProvider(): Promise<FakeProvider> {
  const signingKey = await importPKCS8(providerKeys.privateKey, 'RS512');
  const jwk = {
    ...(await exportJWK(await importSPKI(providerKeys.publicKey, 'RS512'))),
    kid: 'k1',
    alg: 'RS512',
    use: 'sig',
  };
  const clientPublicKey = await importSPKI(clientKeys.publicKey, 'RS512');
  const refreshTokens = new Map<string, PendingCode>();

  const fake: FakeProvider = {
    issuer: '',
    server: undefined as unknown as Server,
    discoveryHits: 0,
    failDiscovery: 0,
    endSession: true,
    codes: new Map(),
    tokenRequests: [],
    issueCode(authorizeUrl, vot) {
      const params = new URL(authorizeUrl).searchParams;
      const code = randomBytes(16).toString('base64url');
      fake.codes.set(code, { params, sub: 'subject-123', vot });
      return code;
    },
  };

  const sign = (claims: Record<string, unknown>, lifetime: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS512', kid: 'k1' })
      .setIssuer(fake.issuer)
      .setIssuedAt()
      .setExpirationTime(`${lifetime}s`)
      .setJti(randomBytes(8).toString('hex'))
      .sign(signingKey);

  const issueTokens = async (grant: PendingCode, withIdToken: boolean) => {
    const refresh = randomBytes(16).toString('base64url');
    refreshTokens.set(refresh, grant);
    const scope = grant.params.get('scope') ?? 'openid';
    const common = { sub: grant.sub, vot: grant.vot, vtm: `${fake.issuer}/trustmark/localhost` };
    const body: Record<string, unknown> = {
      access_token: await sign({ ...common, aud: CLIENT_ID, scope }, 300),
      token_type: 'Bearer',
      expires_in: 300,
      refresh_token: refresh,
      scope,
    };
    if (withIdToken) {
      body.id_token = await sign(
        {
          ...common,
          aud: CLIENT_ID,
          nonce: grant.params.get('nonce'),
          auth_time: Math.floor(Date.now() / 1000),
          identity_proofing_level: 'P9',
          family_name: 'MILLAR<script>',
        },
        3600,
      );
    }
    return body;
  };

  fake.server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', fake.issuer);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        fake.discoveryHits++;
        if (fake.failDiscovery > 0) {
          fake.failDiscovery--;
          return json(500, { error: 'server_error' });
        }
        return json(200, {
          issuer: fake.issuer,
          authorization_endpoint: `${fake.issuer}/authorize`,
          token_endpoint: `${fake.issuer}/token`,
          userinfo_endpoint: `${fake.issuer}/userinfo`,
          jwks_uri: `${fake.issuer}/.well-known/jwks.json`,
          ...(fake.endSession ? { end_session_endpoint: `${fake.issuer}/session/end` } : {}),
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS512'],
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['RS512'],
          code_challenge_methods_supported: ['S256'],
        });
      }
      if (url.pathname === '/.well-known/jwks.json') return json(200, { keys: [jwk] });
      if (url.pathname === '/token' && req.method === 'POST') {
        const body = new URLSearchParams(await readBody(req));
        const assertion = body.get('client_assertion') ?? '';
        let verified;
        try {
          verified = await jwtVerify(assertion, clientPublicKey, {
            algorithms: ['RS512'],
            issuer: CLIENT_ID,
            subject: CLIENT_ID,
            audience: `${fake.issuer}/token`,
          });
        } catch {
          return json(401, { error: 'invalid_client' });
        }
        fake.tokenRequests.push({
          body,
          assertionHeader: decodeProtectedHeader(assertion),
          assertion: verified.payload,
        });
        if (body.get('grant_type') === 'authorization_code') {
          const grant = fake.codes.get(body.get('code') ?? '');
          if (!grant) return json(400, { error: 'invalid_grant' });
          fake.codes.delete(body.get('code') ?? '');
          const challenge = createHash('sha256')
            .update(body.get('code_verifier') ?? '')
            .digest('base64url');
          if (challenge !== grant.params.get('code_challenge')) return json(400, { error: 'invalid_grant' });
          if (body.get('redirect_uri') !== grant.params.get('redirect_uri'))
            return json(400, { error: 'invalid_grant' });
          return json(200, await issueTokens(grant, true));
        }
        if (body.get('grant_type') === 'refresh_token') {
          const grant = refreshTokens.get(body.get('refresh_token') ?? '');
          if (!grant) return json(400, { error: 'invalid_grant' });
          refreshTokens.delete(body.get('refresh_token') ?? '');
          return json(200, await issueTokens(grant, false));
        }
        return json(400, { error: 'unsupported_grant_type' });
      }
      if (url.pathname === '/userinfo') {
        return json(200, { sub: 'subject-123', email: 'millar@example.com', nhs_number: '9000000009' });
      }
      res.writeHead(404);
      res.end();
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.issuer = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

function cookieHeader(...responses: LightMyRequestResponse[]): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const r of responses) for (const c of r.cookies) jar[c.name] = c.value;
  return jar;
}

let provider: FakeProvider;
let app: FastifyInstance;

beforeAll(async () => {
  provider = await startFakeProvider();
});
afterAll(async () => {
  await new Promise<void>((resolve) => provider.server.close(() => resolve()));
});

async function build(issuer = provider.issuer): Promise<FastifyInstance> {
  app = await buildDemoSupplier({
    issuer,
    baseUrl: BASE_URL,
    clientId: CLIENT_ID,
    privateKeyPem: clientKeys.privateKey,
  });
  return app;
}
afterEach(async () => {
  await app.close();
  provider.failDiscovery = 0;
  provider.endSession = true;
});

async function login(form: string): Promise<{ response: LightMyRequestResponse; params: URLSearchParams }> {
  const response = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form,
  });
  expect(response.statusCode).toBe(303);
  const location = new URL(String(response.headers.location));
  return { response, params: location.searchParams };
}

describe('demo supplier', () => {
  it('answers /health, the start page and its stylesheet', async () => {
    await build();
    const health = await app.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.body).toBe('ok');
    const start = await app.inject('/');
    expect(start.statusCode).toBe(200);
    expect(start.body).toContain('Demo GP surgery app');
    expect(start.body).toContain('Continue to NHS login');
    expect(start.body).toContain('value="gp_integration_credentials"');
    expect(start.body).toContain('P9 default (no vtr sent');
    expect(start.body).not.toMatch(/style=|<style/);
    expect(start.headers['content-security-policy']).toContain("style-src 'self'");
    const css = await app.inject('/assets/demo-supplier.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });

  it('does not discover until the first request', async () => {
    const before = provider.discoveryHits;
    await build();
    await app.inject('/');
    expect(provider.discoveryHits).toBe(before);
  });

  it('POST /login redirects to the authorization endpoint with PKCE, state, nonce, scope and vtr', async () => {
    await build();
    const { response, params } = await login(
      'scope=profile&scope=email&scope=not_a_scope&vtr=P5.Cp.Cd&prompt=none',
    );
    const location = new URL(String(response.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/authorize`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe(CLIENT_ID);
    expect(params.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(params.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(params.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(params.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('scope')).toBe('openid profile email');
    expect(params.get('vtr')).toBe('["P5.Cp.Cd"]');
    expect(params.get('prompt')).toBe('none');
    const tx = response.cookies.find((c) => c.name === 'demo_supplier_tx');
    expect(tx?.httpOnly).toBe(true);
    expect(tx?.maxAge).toBe(600);
  });

  it('sends no vtr and no prompt for the defaults', async () => {
    await build();
    const { params } = await login('vtr=default&prompt=default');
    expect(params.has('vtr')).toBe(false);
    expect(params.has('prompt')).toBe(false);
    expect(params.get('scope')).toBe('openid');
    const { params: again } = await login('prompt=login');
    expect(again.has('vtr')).toBe(false);
    expect(again.get('prompt')).toBe('login');
  });

  it('rejects a vector of trust that is not offered', async () => {
    await build();
    const response = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'vtr=P9.Cp%22%3E',
    });
    expect(response.statusCode).toBe(400);
  });

  it('shows an error returned to the callback, such as sso_login_required', async () => {
    await build();
    const { response, params } = await login('vtr=default&prompt=none');
    const callback = await app.inject({
      url: `/callback?error=sso_login_required&error_description=${encodeURIComponent('<b>no session</b>')}&state=${params.get('state')}`,
      cookies: cookieHeader(response),
    });
    expect(callback.statusCode).toBe(200);
    expect(callback.body).toContain('sso_login_required');
    expect(callback.body).toContain('&lt;b&gt;no session&lt;/b&gt;');
    expect(callback.body).not.toContain('<b>no session</b>');
    expect(callback.body).toContain('href="/"');
  });

  it('refuses a callback whose state is unknown', async () => {
    await build();
    const { response } = await login('vtr=default');
    const wrongState = await app.inject({
      url: '/callback?code=abc&state=not-the-state',
      cookies: cookieHeader(response),
    });
    expect(wrongState.statusCode).toBe(400);
    expect(wrongState.body).toContain('refused');
    const noCookie = await app.inject({ url: '/callback?error=sso_login_required&state=whatever' });
    expect(noCookie.statusCode).toBe(400);
    expect(noCookie.body).not.toContain('sso_login_required');
  });

  it('uses a transaction once only', async () => {
    await build();
    const { response, params } = await login('vtr=default&prompt=none');
    const url = `/callback?error=sso_login_required&state=${params.get('state')}`;
    const first = await app.inject({ url, cookies: cookieHeader(response) });
    expect(first.statusCode).toBe(200);
    const second = await app.inject({ url, cookies: cookieHeader(response) });
    expect(second.statusCode).toBe(400);
  });

  it('says so when the provider is unreachable, and retries discovery on the next request', async () => {
    await build();
    provider.failDiscovery = 1;
    const hits = provider.discoveryHits;
    const failed = await app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'vtr=default',
    });
    expect(failed.statusCode).toBe(503);
    expect(failed.body).toContain('not reachable');
    await login('vtr=default');
    expect(provider.discoveryHits).toBe(hits + 2);
    await login('vtr=default');
    expect(provider.discoveryHits).toBe(hits + 2);
  });

  it('refuses an http issuer that is not localhost', async () => {
    await expect(
      buildDemoSupplier({
        issuer: 'http://login.example.com',
        baseUrl: BASE_URL,
        clientId: CLIENT_ID,
        privateKeyPem: clientKeys.privateKey,
      }),
    ).rejects.toThrow(/https/);
    app = await build();
  });

  it('walks code grant, userinfo, refresh and sign-out with an RS512 private_key_jwt', async () => {
    await build();
    const { response, params } = await login('scope=profile&scope=email&vtr=P9.Cp.Cd');
    const code = provider.issueCode(String(response.headers.location), 'P9.Cp.Cd');
    const callback = await app.inject({
      url: `/callback?code=${code}&state=${params.get('state')}`,
      cookies: cookieHeader(response),
    });
    expect(callback.statusCode).toBe(303);
    expect(callback.headers.location).toBe('/me');

    // The client assertion: RS512, aud = the token endpoint, iss = sub = client_id.
    const tokenRequest = provider.tokenRequests.at(-1);
    expect(tokenRequest?.assertionHeader.alg).toBe('RS512');
    expect(tokenRequest?.assertion.aud).toBe(`${provider.issuer}/token`);
    expect(tokenRequest?.body.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    expect(tokenRequest?.body.get('redirect_uri')).toBe(REDIRECT_URI);

    const cookies = cookieHeader(response, callback);
    const me = await app.inject({ url: '/me', cookies });
    expect(me.statusCode).toBe(200);
    expect(me.body).toContain('You are signed in');
    expect(me.body).toContain('P9.Cp.Cd');
    expect(me.body).toContain('/trustmark/localhost');
    expect(me.body).toContain('millar@example.com');
    expect(me.body).toContain('decoded, not verified');
    expect(me.body).toContain('MILLAR&lt;script&gt;');
    expect(me.body).not.toContain('MILLAR<script>');
    expect(me.body).toContain('Prove more (step up to P9)');
    const csrf = /name="csrf" value="([^"]+)"/.exec(me.body)?.[1];
    expect(csrf).toBeTruthy();

    // A form without the CSRF token is refused.
    const forged = await app.inject({
      method: 'POST',
      url: '/refresh',
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(forged.statusCode).toBe(403);

    const refreshed = await app.inject({
      method: 'POST',
      url: '/refresh',
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrf}`,
    });
    expect(refreshed.statusCode).toBe(303);
    expect(provider.tokenRequests.at(-1)?.body.get('grant_type')).toBe('refresh_token');
    const afterRefresh = await app.inject({ url: '/me', cookies });
    expect(afterRefresh.body).toContain('Tokens refreshed. The new access token expires at');

    const stepUp = await app.inject({
      method: 'POST',
      url: '/step-up',
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrf}`,
    });
    expect(stepUp.statusCode).toBe(303);
    const stepUpParams = new URL(String(stepUp.headers.location)).searchParams;
    expect(stepUpParams.get('vtr')).toBe('["P9.Cp.Cd"]');
    expect(stepUpParams.has('prompt')).toBe(false);
    expect(stepUpParams.get('scope')).toBe('openid profile email');

    const signOut = await app.inject({
      method: 'POST',
      url: '/logout',
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrf}`,
    });
    expect(signOut.statusCode).toBe(303);
    const end = new URL(String(signOut.headers.location));
    expect(`${end.origin}${end.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(end.searchParams.get('id_token_hint')).toMatch(/^ey/);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${BASE_URL}/`);
    const gone = await app.inject({ url: '/me', cookies });
    expect(gone.statusCode).toBe(303);
    expect(gone.headers.location).toBe('/');
  });

  it('refuses an ID token whose vot is not one of the requested vectors', async () => {
    await build();
    const { response, params } = await login('vtr=P9.Cp.Cd');
    const code = provider.issueCode(String(response.headers.location), 'P5.Cp.Cd');
    const callback = await app.inject({
      url: `/callback?code=${code}&state=${params.get('state')}`,
      cookies: cookieHeader(response),
    });
    expect(callback.statusCode).toBe(403);
    expect(callback.body).toContain('vector of trust was not met');
    expect(callback.cookies.find((c) => c.name === 'demo_supplier_session')).toBeUndefined();
  });

  it('accepts any vector of the P9 default list when no vtr was sent', async () => {
    await build();
    const { response, params } = await login('vtr=default');
    const code = provider.issueCode(String(response.headers.location), DEFAULT_VTR[2]);
    const callback = await app.inject({
      url: `/callback?code=${code}&state=${params.get('state')}`,
      cookies: cookieHeader(response),
    });
    expect(callback.statusCode).toBe(303);
    const me = await app.inject({ url: '/me', cookies: cookieHeader(response, callback) });
    expect(me.body).toContain('P9.Cm');
  });

  it('signs out locally when the provider has no end_session_endpoint', async () => {
    provider.endSession = false;
    await build();
    const { response, params } = await login('vtr=default');
    const code = provider.issueCode(String(response.headers.location), 'P9.Cp.Cd');
    const callback = await app.inject({
      url: `/callback?code=${code}&state=${params.get('state')}`,
      cookies: cookieHeader(response),
    });
    const cookies = cookieHeader(response, callback);
    const me = await app.inject({ url: '/me', cookies });
    const csrf = /name="csrf" value="([^"]+)"/.exec(me.body)?.[1] ?? '';
    const signOut = await app.inject({
      method: 'POST',
      url: '/logout',
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `csrf=${csrf}`,
    });
    expect(signOut.statusCode).toBe(303);
    expect(signOut.headers.location).toBe('/?signed_out=1');
    const start = await app.inject({ url: '/?signed_out=1' });
    expect(start.body).toContain('You have signed out of the demo app');
  });
});
