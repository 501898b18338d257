// A supplier's own integration, unchanged but for the issuer and its client
// credentials: openid-client (the reference relying-party library) with its
// own RSA key registered through the operator CLI, the code flow with PKCE
// through the real sign-in pages (email, password, text code from the outbox),
// RS512 ID token verification, vot/vtm, userinfo and refresh, over real HTTP.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPKCS8 } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { suppliersAdd } from '../src/cli/commands/suppliers-add.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { TestBrowser } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';

const CLIENT_ID = 'gp-appointments-app';
const REDIRECT_URI = 'https://gp-appointments.example/auth/callback';
const P9 = { email: 'p9.patient@example.com', phone: '+447700900009' };

let service: TestService;
let dir: string;
let config: oidc.Configuration;

beforeAll(async () => {
  service = await startTestService({ listen: true });
  dir = mkdtempSync(join(tmpdir(), 'supplier-'));
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pemPath = join(dir, 'public.pem');
  writeFileSync(pemPath, publicKey.export({ type: 'spki', format: 'pem' }));

  const out: string[] = [];
  const code = await suppliersAdd(
    {
      db: service.database.db,
      sealer: service.sealer,
      audit: service.audit,
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      issuer: service.url,
    },
    [
      '--client-id',
      CLIENT_ID,
      '--name',
      'GP appointments',
      '--public-key',
      pemPath,
      '--redirect-uri',
      REDIRECT_URI,
      '--scopes',
      'openid profile email phone',
      '--vtr',
      'P9.Cp.Cd',
      '--vtr',
      'P5.Cp.Cd',
    ],
  );
  expect(code, out.join('\n')).toBe(0);

  const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS512');
  config = await oidc.discovery(
    new URL(service.url),
    CLIENT_ID,
    { id_token_signed_response_alg: 'RS512', token_endpoint_auth_method: 'private_key_jwt' },
    oidc.PrivateKeyJwt(key, {
      // NHS login wants the token endpoint as the assertion's audience.
      [oidc.modifyAssertion]: (_header, payload) => {
        payload.aud = config.serverMetadata().token_endpoint;
      },
    }),
    { execute: [oidc.allowInsecureRequests] },
  );
});

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('completes the code flow with PKCE and verifies what NHS login promises', async () => {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email phone',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    vtr: JSON.stringify(['P9.Cp.Cd']),
  });

  // The person's browser: the real sign-in pages.
  const browser = new TestBrowser(service.app);
  const origin = service.url;
  expect((await browser.follow(url.href, origin)).url).toBe('/sign-in');
  const afterPassword = await browser.post('/sign-in', { email: P9.email, password: TEST_PASSWORD });
  expect(afterPassword.location).toBe('/sign-in/text-code');
  await browser.get('/sign-in/text-code');
  const afterCode = await browser.post('/sign-in/text-code', {
    code: (await latestCode(service.database.db, P9.phone))!,
  });
  const callback = await browser.follow(afterCode.location!, origin);
  expect(callback.url.startsWith(REDIRECT_URI)).toBe(true);

  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.url), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims()!;
  expect(claims.iss).toBe(service.url);
  expect(claims.aud).toBe(CLIENT_ID);
  expect(claims.vot).toBe('P9.Cp.Cd');
  expect(claims.vtm).toBe(`${service.url}/trustmark/${new URL(service.url).host}`);
  expect(claims.identity_proofing_level).toBe('P9');
  expect(claims.nhs_number).toBe('9990000026');
  expect(tokens.token_type.toLowerCase()).toBe('bearer');
  expect(tokens.expires_in).toBe(300);

  const trustmark = (await (await fetch(claims.vtm as string)).json()) as { idp: string };
  expect(trustmark.idp).toBe(`${service.url}/`);

  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  expect(userinfo).toMatchObject({
    sub: claims.sub,
    email: P9.email,
    email_verified: true,
    phone_number: P9.phone,
    nhs_number: '9990000026',
  });

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.access_token).not.toBe(tokens.access_token);
  expect(refreshed.id_token).toBeUndefined();
});

it('gets the error back through openid-client when a silent sign-in is not possible', async () => {
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state,
    nonce: oidc.randomNonce(),
    prompt: 'none',
    vtr: JSON.stringify(['P5.Cp.Cd']),
  });
  const res = await fetch(url, { redirect: 'manual' });
  const location = new URL(res.headers.get('location')!);
  await expect(
    oidc.authorizationCodeGrant(config, location, {
      expectedState: state,
      expectedNonce: randomBytes(8).toString('hex'),
    }),
  ).rejects.toMatchObject({ error: 'sso_login_required' });
});
