// Single sign-on between paired suppliers (asserted_login_identity), logout
// (RP-initiated and back-channel, which NHS login itself does not offer), and
// signing-key rotation that keeps every issued token verifiable.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSigningKeys } from '../src/oidc/signing-keys.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { authorizeUrl, demoSupplier, newKeyPair, type TestSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

const ISSUER = 'http://localhost:3000';
const P5 = { email: 'p5.patient@example.com', phone: '+447700900005' };

let service: TestService;
const demo = demoSupplier();
let partner: TestSupplier;
let stranger: TestSupplier;
let logoutReceiver: Server;
const logoutTokens: string[] = [];
let receiverPort = 0;

async function register(
  clientId: string,
  extra: Partial<Parameters<typeof saveSupplier>[1]> = {},
): Promise<TestSupplier> {
  const keys = newKeyPair();
  const redirectUri = `https://${clientId}.example/callback`;
  const saved = await saveSupplier(service.database.db, {
    clientId,
    name: `${clientId} app`,
    publicKeysPem: [keys.publicKeyPem],
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile'],
    allowedVectors: ['P5.Cp.Cd', 'P0.Cp.Cd'],
    ...extra,
  });
  if (!saved.ok) throw new Error(saved.error);
  return { clientId, redirectUri, ...keys };
}

/** What supplier A gives supplier B: a short JWT naming the ID token A received. */
async function assertion(
  idTokenJti: string,
  options: { lifetime?: number; iss?: string; key?: TestSupplier['privateKey'] } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ code: idTokenJti })
    .setProtectedHeader({ alg: 'RS512' })
    .setIssuer(options.iss ?? demo.clientId)
    .setJti(randomBytes(8).toString('hex'))
    .setIssuedAt(now)
    .setExpirationTime(now + (options.lifetime ?? 60))
    .sign(options.key ?? demo.privateKey);
}

beforeAll(async () => {
  service = await startTestService({ rateLimits: { codesSentPerRecipient: { points: 1000 } } });
  logoutReceiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => logoutReceiver.listen(0, '127.0.0.1', resolve));
  receiverPort = (logoutReceiver.address() as { port: number }).port;
  partner = await register('partner', {
    ssoPartners: [demo.clientId],
    backchannelLogoutUri: `http://127.0.0.1:${receiverPort}/backchannel`,
    postLogoutRedirectUris: ['https://partner.example/signed-out'],
  });
  stranger = await register('stranger');
});
afterAll(async () => {
  await service?.close();
  logoutReceiver?.close();
});

describe('asserted_login_identity', () => {
  it('signs the same person in at a paired supplier without asking again, once per assertion', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    const idToken = decodeJwt(
      (await exchangeCode(service.app, demo, cb.code!)).body.id_token as string,
    ).payload;
    const signed = await assertion(String(idToken.jti));
    // A different device with no session of its own: the assertion is the proof.
    const other = new TestBrowser(service.app);
    const page = await other.follow(
      authorizeUrl(partner, {
        prompt: 'none',
        vtr: '["P5.Cp.Cd"]',
        scope: 'openid profile',
        asserted_login_identity: signed,
      }).url,
    );
    const code = new URL(page.url).searchParams.get('code');
    expect(code).toBeTruthy();
    const tokens = await exchangeCode(service.app, partner, code!);
    const partnerId = decodeJwt(tokens.body.id_token as string).payload;
    expect(partnerId.sub).toBe(idToken.sub);
    expect(partnerId.vot).toBe('P5.Cp.Cd');
    expect(partnerId.nhs_number).toBe('9990000018');

    const replay = await new TestBrowser(service.app).follow(
      authorizeUrl(partner, {
        prompt: 'none',
        vtr: '["P5.Cp.Cd"]',
        scope: 'openid profile',
        asserted_login_identity: signed,
      }).url,
    );
    expect(new URL(replay.url).searchParams.get('error_description')).toBe(
      'asserted_login_identity has already been used',
    );
  });

  it('is refused between suppliers the operator has not paired, when too long-lived, or badly signed', async () => {
    const cb = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid',
    });
    const jti = String(
      decodeJwt((await exchangeCode(service.app, demo, cb.code!)).body.id_token as string).payload.jti,
    );
    const tryWith = async (s: TestSupplier, signed: string) =>
      new URL(
        (
          await new TestBrowser(service.app).follow(
            authorizeUrl(s, {
              prompt: 'none',
              vtr: '["P5.Cp.Cd"]',
              scope: 'openid',
              asserted_login_identity: signed,
            }).url,
          )
        ).url,
      ).searchParams;
    expect((await tryWith(stranger, await assertion(jti))).get('error')).toBe('unauthorized_client');
    expect(
      (await tryWith(partner, await assertion(jti, { lifetime: 600 }))).get('error_description'),
    ).toMatch(/must not live longer than 60 seconds/);
    expect(
      (await tryWith(partner, await assertion(jti, { key: newKeyPair().privateKey }))).get(
        'error_description',
      ),
    ).toBe('asserted_login_identity signature is not valid');
    expect((await tryWith(partner, await assertion('no-such-id-token'))).get('error_description')).toBe(
      'asserted_login_identity does not name an ID token issued to its issuer',
    );
  });
});

describe('logout (beyond the NHS login interface)', () => {
  it('logs out at the provider and tells suppliers that registered for back-channel logout', async () => {
    const browser = new TestBrowser(service.app);
    const cb = await signInThroughSupplier(service, browser, partner, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid',
    });
    const idToken = (await exchangeCode(service.app, partner, cb.code!)).body.id_token as string;
    const sid = decodeJwt(idToken).payload.sid;
    const start = await browser.get(
      `/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://partner.example/signed-out', state: 's1' }).toString()}`,
    );
    expect(start.status).toBe(200);
    expect(start.body).toContain('Log out of NHS login');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(start.body)?.[1];
    expect(xsrf).toBeTruthy();
    const confirm = await browser.post('/logout/confirm', { xsrf: xsrf!, logout: 'yes' });
    expect(confirm.location).toBe('https://partner.example/signed-out?state=s1');
    expect(logoutTokens.length).toBe(1);
    const keys = createLocalJWKSet(
      (await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json(),
    );
    const { payload } = await jwtVerify(logoutTokens[0]!, keys, {
      issuer: ISSUER,
      audience: partner.clientId,
      algorithms: ['RS512'],
    });
    expect(payload.sid).toBe(sid);
    expect(payload.events).toHaveProperty(['http://schemas.openid.net/event/backchannel-logout']);
    // The session is gone: silent sign-in now fails.
    const silent = await browser.follow(
      authorizeUrl(partner, { prompt: 'none', vtr: '["P5.Cp.Cd"]', scope: 'openid' }).url,
    );
    expect(new URL(silent.url).searchParams.get('error')).toBe('sso_login_required');
  });
});

describe('signing key rotation', () => {
  it('signs with the new key at once and keeps tokens signed with the old one verifiable', async () => {
    const before = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    const old = (await exchangeCode(service.app, demo, before.code!)).body;
    const oldKid = decodeJwt(old.id_token as string).header.kid;

    const { kid } = await rotateSigningKeys(service.database.db, service.sealer);
    await service.reloadSigningKeys();

    const jwks = (await service.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
      keys: { kid: string }[];
    }>();
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([kid, oldKid]));
    const keys = createLocalJWKSet(jwks);
    await expect(jwtVerify(old.id_token as string, keys, { algorithms: ['RS512'] })).resolves.toBeTruthy();
    const ui = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(old.access_token)}` },
    });
    expect(ui.statusCode).toBe(200);

    const after = await signInThroughSupplier(service, new TestBrowser(service.app), demo, P5, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid',
    });
    const fresh = (await exchangeCode(service.app, demo, after.code!)).body;
    expect(decodeJwt(fresh.id_token as string).header.kid).toBe(kid);
    expect(decodeJwt(fresh.access_token as string).header.kid).toBe(kid);
  });
});
