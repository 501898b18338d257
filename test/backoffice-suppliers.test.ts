// Supplier onboarding in the back office (operators): registering a supplier
// through the pages, the form's errors, changes that apply to the very next
// /authorize or /token without a restart, the separate approval behind
// gp_integration_credentials, suspending and resuming, removing, the audit
// entries naming the staff member, the supplier's page (activity and the
// openid-client snippet), and that only operators get in.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { SUPPLIER_ROUTES } from '../src/backoffice/suppliers/permissions.js';
import { DEMO_CLIENT_ID } from '../src/cli/seed.js';
import { checkJwksUrl, publicKeyToJwk } from '../src/oidc/clients.js';
import { findSupplier } from '../src/store/suppliers.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers, type SignedInStaff } from './support/staff.js';
import { authorizeUrl, clientAssertion, type TestSupplier } from './support/supplier.js';
import { TOKEN_URL, exchangeCode, tokenRequest } from './support/token.js';

const P9 = { email: 'p9.patient@example.com', phone: '+447700900009' };
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

let service: TestService;
let operator: SignedInStaff;
let jwksServer: Server;
let jwksBase: string;
/** What the local JWKS server publishes, by path. */
const published = new Map<string, unknown>();
const db = () => service.database.db;

function rsaKeys(bits = 2048): { privateKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

type Form = Record<string, string | string[]>;

/**
 * Posts a form as a browser would, repeating a field for each ticked
 * checkbox (TestBrowser.post sends each field once), with the CSRF token of
 * the form page fetched first.
 */
async function submit(browser: TestBrowser, formUrl: string, form: Form, action = formUrl): Promise<Page> {
  const formPage = await browser.get(formUrl);
  expect(formPage.status, formPage.body.slice(0, 300)).toBe(200);
  const csrf = /name="_csrf" value="([^"]*)"/.exec(formPage.body)?.[1] ?? '';
  const body = new URLSearchParams({ _csrf: csrf });
  for (const [name, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  }
  const res = await service.app.inject({
    method: 'POST',
    url: action,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: body.toString(),
  });
  return {
    status: res.statusCode,
    location: res.headers.location,
    body: res.body,
    headers: res.headers as Page['headers'],
  };
}

function registration(clientId: string, publicKeyPem: string, extra: Form = {}): Form {
  return {
    clientId,
    name: `Service ${clientId}`,
    redirectUris: `https://${clientId}.example/callback`,
    scopes: ['openid', 'profile', 'email', 'phone'],
    vectors: ['P9.Cp.Cd', 'P5.Cp.Cd', 'P0.Cp.Cd'],
    keys: 'pem',
    publicKeyPem,
    ...extra,
  };
}

/** Registers a supplier through the pages and answers it as a test supplier. */
async function registerThroughPages(clientId: string, extra: Form = {}): Promise<TestSupplier> {
  const keys = rsaKeys();
  const done = await submit(
    operator.browser,
    '/backoffice/suppliers/new',
    registration(clientId, keys.publicKeyPem, extra),
  );
  expectRedirect(done, `/backoffice/suppliers/${clientId}?done=registered`);
  return { clientId, redirectUri: `https://${clientId}.example/callback`, ...keys };
}

/** The change form filled in as registerThroughPages registered the supplier, with changes. */
function changeForm(s: TestSupplier, extra: Form = {}): Form {
  return {
    name: `Service ${s.clientId}`,
    redirectUris: s.redirectUri,
    scopes: ['openid', 'profile', 'email', 'phone'],
    vectors: ['P9.Cp.Cd', 'P5.Cp.Cd', 'P0.Cp.Cd'],
    keys: 'keep',
    ...extra,
  };
}

async function auditOf(code: string, clientId: string) {
  return db()
    .selectFrom('audit_events')
    .selectAll()
    .where('code', '=', code)
    .where('client_id', '=', clientId)
    .orderBy('id')
    .execute();
}

/** The provider's own error page for an unknown client or redirect URI: never a redirect. */
async function expectAuthorizeRefused(url: string) {
  const res = await service.app.inject({ method: 'GET', url });
  expect(res.statusCode).toBe(400);
  expect(res.headers.location).toBeUndefined();
  expect(res.body).toContain('There is a problem with the website or app you came from');
}

async function expectAuthorizeAccepted(url: string) {
  const res = await service.app.inject({ method: 'GET', url });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  expect(res.headers.location).toMatch(/^\/interaction\//);
}

beforeAll(async () => {
  service = await startTestService({ rateLimits: { codesSentPerRecipient: { points: 1000 } } });
  operator = await staffHelpers(service).staffMember('operator', 'X26');
  jwksServer = createServer((req, res) => {
    const body = published.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await service?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

describe('registering a supplier', () => {
  it('an operator registers a supplier with a generated RSA key, and it signs people in at once', async () => {
    const home = await operator.browser.get('/backoffice');
    expect(home.body).toContain('href="/backoffice/suppliers"');
    const supplier = await registerThroughPages('acme-gp');

    const stored = await findSupplier(db(), 'acme-gp');
    expect(stored?.name).toBe('Service acme-gp');
    expect(stored?.metadata).toMatchObject({
      redirect_uris: ['https://acme-gp.example/callback'],
      scope: 'openid profile email phone',
      allowed_vtr: ['P9.Cp.Cd', 'P5.Cp.Cd', 'P0.Cp.Cd'],
      sandpit: false,
      users_api: false,
    });
    expect(stored?.metadata.jwks?.keys).toHaveLength(1);
    expect(stored?.metadata.suspended).toBeUndefined();

    const [registered] = await auditOf(AUDIT_EVENTS.SUPPLIER_REGISTERED, 'acme-gp');
    expect(registered?.details).toMatchObject({
      staffId: operator.id,
      name: 'Service acme-gp',
      scope: 'openid profile email phone',
    });

    // No restart: a person signs in and the supplier gets its tokens with the key it registered.
    const browser = new TestBrowser(service.app);
    const cb = await signInThroughSupplier(service, browser, supplier, P9, { vtr: '["P9.Cp.Cd"]' });
    const tokens = await exchangeCode(service.app, supplier, cb.code!);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(typeof tokens.body.id_token).toBe('string');

    const list = await operator.browser.get('/backoffice/suppliers');
    expect(list.status).toBe(200);
    expect(list.body).toContain('href="/backoffice/suppliers/acme-gp"');
    expect(list.body).toContain('Service acme-gp');
  });

  it("shows the supplier's configuration, activity and an openid-client snippet with its client id", async () => {
    const page = await operator.browser.get('/backoffice/suppliers/acme-gp?done=registered');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Supplier registered');
    expect(page.body).toContain('https://acme-gp.example/callback');
    expect(page.body).toMatch(/RSA key, thumbprint [A-Za-z0-9_-]{43}/);
    // The snippet, as openid-client v6 needs it (HTML-escaped on the page).
    const snippet = /<code id="snippet">([\s\S]*?)<\/code>/.exec(page.body)?.[1] ?? '';
    const text = snippet
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&gt;/g, '>')
      .replace(/&lt;/g, '<');
    expect(text).toContain('client.discovery(');
    expect(text).toContain("new URL('http://localhost:3000')");
    expect(text).toContain("  'acme-gp',");
    expect(text).toContain('client.PrivateKeyJwt(privateKey, {');
    expect(text).toContain("importPKCS8(process.env.NHS_LOGIN_PRIVATE_KEY_PEM, 'RS512')");
    expect(text).toContain("redirect_uri: 'https://acme-gp.example/callback'");
    expect(text).toContain("scope: 'openid profile email phone'");
    expect(text).toContain(`vtr: JSON.stringify(['P9.Cp.Cd', 'P5.Cp.Cd', 'P0.Cp.Cd'])`);
    expect(text).toContain('client.allowInsecureRequests');

    // The earlier sign-in and token, counted for the last 24 hours and 7 days.
    expect(page.body).toMatch(/data-count="sign-ins">[1-9]/);
    expect(page.body).toMatch(/data-count="tokens">[1-9]/);
  });

  it('counts errors and lists the most recent with the error name', async () => {
    const supplier: TestSupplier = {
      clientId: 'acme-gp',
      redirectUri: 'https://acme-gp.example/callback',
      ...rsaKeys(),
    };
    // Signed with a key the supplier never registered: invalid_client, recorded against it.
    const refused = await tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code: 'nothing',
      redirect_uri: supplier.redirectUri,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(supplier, TOKEN_URL),
    });
    expect(refused.body.error).toBe('invalid_client');
    // The provider's audit writes run in the background.
    await expect
      .poll(async () => (await auditOf(AUDIT_EVENTS.CLIENT_AUTH_FAILED, 'acme-gp')).length)
      .toBeGreaterThan(0);
    const page = await operator.browser.get('/backoffice/suppliers/acme-gp');
    expect(page.body).toMatch(/data-count="errors">[1-9]/);
    expect(page.body).toContain('T-CLIENT-AUTH-FAILED');
    expect(page.body).toContain('<code>invalid_client</code>');
  });

  it('refuses what the interface does not allow, keeping what was entered, each error linked to its field', async () => {
    const keys = rsaKeys();
    const cases: [string, Form, string, string][] = [
      [
        'a query string',
        { redirectUris: 'https://bad.example/cb?x=1' },
        'redirectUris',
        'query strings are not allowed',
      ],
      [
        'a fragment',
        { redirectUris: 'https://bad.example/cb#top' },
        'redirectUris',
        'fragments are not allowed',
      ],
      [
        'http off localhost',
        { redirectUris: 'http://bad.example/cb' },
        'redirectUris',
        'must use https (http is allowed only for localhost)',
      ],
      ['an unknown scope', { scopes: ['openid', 'everything'] }, 'scopes', 'Unknown scopes: everything'],
      ['no openid', { scopes: ['email'] }, 'scopes', 'Select openid'],
      ['no vector of trust', { vectors: [] }, 'vectors', 'Select at least one vector of trust'],
      [
        'an RSA key of 1024 bits',
        { publicKeyPem: rsaKeys(1024).publicKeyPem },
        'publicKeyPem',
        'RSA keys must be at least 2048 bits',
      ],
      ['no key', { publicKeyPem: '' }, 'publicKeyPem', 'Paste the supplier&#39;s public key'],
      ['not a PEM', { publicKeyPem: 'ssh-rsa AAAA' }, 'publicKeyPem', 'in PEM format'],
      [
        'gp_integration_credentials without the approval',
        { scopes: ['openid', 'gp_integration_credentials'] },
        'gpApproval',
        'Confirm that this supplier has GP integration (IM1 pairing) approval',
      ],
      ['a bad client id', { clientId: 'no spaces' }, 'clientId', 'Client ID must be'],
      ['a client id taken', { clientId: DEMO_CLIENT_ID }, 'clientId', 'already exists'],
      ['no keys choice', { keys: '' }, 'keys', 'Select how the supplier'],
      [
        'a JWKS URL over http',
        { keys: 'jwks', jwksUri: 'http://keys.example/jwks' },
        'jwksUri',
        'must use https',
      ],
    ];
    for (const [label, change, field, message] of cases) {
      const form = { ...registration('bad-supplier', keys.publicKeyPem), ...change };
      const page = await submit(operator.browser, '/backoffice/suppliers/new', form);
      expect(page.status, label).toBe(400);
      expect(page.body, label).toContain('There is a problem');
      expect(page.body, label).toContain(`href="#${field}"`);
      expect(page.body, label).toContain(`id="${field}"`);
      expect(page.body, label).toContain(message);
      // What was entered is still there.
      expect(page.body, label).toContain(`value="${form.name as string}"`);
    }
    // Several problems at once are all reported.
    const many = await submit(operator.browser, '/backoffice/suppliers/new', {
      ...registration('bad-supplier', keys.publicKeyPem),
      name: '',
      redirectUris: 'https://bad.example/cb?x=1',
      scopes: ['openid', 'gp_integration_credentials'],
    });
    expect(many.status).toBe(400);
    for (const f of ['name', 'redirectUris', 'gpApproval', 'gpApprovalReference'])
      expect(many.body).toContain(`href="#${f}"`);
    expect(many.body).toContain('https://bad.example/cb?x=1</textarea>');
    expect(many.body).toMatch(/value="gp_integration_credentials" checked/);

    // A pasted private key is refused and never shown back.
    const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const leaked = await submit(operator.browser, '/backoffice/suppliers/new', {
      ...registration('bad-supplier', privatePem),
    });
    expect(leaked.status).toBe(400);
    expect(leaked.body).toContain('This is a private key');
    expect(leaked.body).not.toContain('PRIVATE KEY-----');

    expect(await findSupplier(db(), 'bad-supplier')).toBeUndefined();
    expect(await auditOf(AUDIT_EVENTS.SUPPLIER_REGISTERED, 'bad-supplier')).toHaveLength(0);
  });

  it('checks the keys a JWKS URL publishes: RSA of 2048 bits or more', async () => {
    const weak = await exportJWK(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
    const strong = rsaKeys();
    published.set('/weak.json', { keys: [{ ...weak, kid: 'weak-1' }] });
    published.set('/strong.json', {
      keys: [{ ...(await exportJWK(createPublicKey(strong.publicKeyPem))), kid: 'k1' }],
    });
    published.set('/empty.json', { keys: [] });

    expect(await checkJwksUrl(`${jwksBase}/weak.json`)).toEqual({
      ok: false,
      error: 'RSA keys must be at least 2048 bits (key weak-1)',
    });
    expect((await checkJwksUrl(`${jwksBase}/empty.json`)).ok).toBe(false);
    expect((await checkJwksUrl(`${jwksBase}/missing.json`)).ok).toBe(false);

    const weakPage = await submit(operator.browser, '/backoffice/suppliers/new', {
      ...registration('jwks-gp', ''),
      keys: 'jwks',
      jwksUri: `${jwksBase}/weak.json`,
    });
    expect(weakPage.status).toBe(400);
    expect(weakPage.body).toContain('href="#jwksUri"');
    expect(weakPage.body).toContain('RSA keys must be at least 2048 bits');

    const done = await submit(operator.browser, '/backoffice/suppliers/new', {
      ...registration('jwks-gp', ''),
      keys: 'jwks',
      jwksUri: `${jwksBase}/strong.json`,
    });
    expectRedirect(done, '/backoffice/suppliers/jwks-gp?done=registered');
    const stored = await findSupplier(db(), 'jwks-gp');
    expect(stored?.metadata.jwks_uri).toBe(`${jwksBase}/strong.json`);
    expect(stored?.metadata.jwks).toBeUndefined();
  });

  it('refuses RSA keys under 2048 bits and private keys wherever a PEM is read', () => {
    expect(publicKeyToJwk(rsaKeys(1024).publicKeyPem)).toEqual({
      ok: false,
      error: 'RSA keys must be at least 2048 bits',
    });
    expect(publicKeyToJwk(rsaKeys(2048).publicKeyPem).ok).toBe(true);
    const privatePem = rsaKeys().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(publicKeyToJwk(privatePem).ok).toBe(false);
  });
});

describe('changing a supplier', () => {
  it('applies a change to the very next /authorize without a restart, audited with who changed what', async () => {
    const supplier = await registerThroughPages('change-gp');
    const before = authorizeUrl(supplier, { scope: 'openid email' }).url;
    await expectAuthorizeAccepted(before);

    const form = await operator.browser.get('/backoffice/suppliers/change-gp/change');
    expect(form.status).toBe(200);
    expect(form.body).toContain('https://change-gp.example/callback</textarea>');
    expect(form.body).toMatch(/value="keep" checked/);

    const moved = 'https://change-gp.example/new-callback';
    const saved = await submit(
      operator.browser,
      '/backoffice/suppliers/change-gp/change',
      changeForm(supplier, { redirectUris: moved, name: 'Renamed service' }),
    );
    expectRedirect(saved, '/backoffice/suppliers/change-gp?done=changed');

    // The removed redirect URI is refused on the very next request; the new one works.
    await expectAuthorizeRefused(before);
    await expectAuthorizeAccepted(
      authorizeUrl({ ...supplier, redirectUri: moved }, { scope: 'openid email' }).url,
    );

    const [changed] = await auditOf(AUDIT_EVENTS.SUPPLIER_CHANGED, 'change-gp');
    expect(changed?.details).toEqual({
      staffId: operator.id,
      changed: ['name', 'redirect_uris'],
      before: { name: 'Service change-gp', redirect_uris: ['https://change-gp.example/callback'] },
      after: { name: 'Renamed service', redirect_uris: [moved] },
    });

    // Saving the same values again changes nothing and records nothing.
    const same = await submit(
      operator.browser,
      '/backoffice/suppliers/change-gp/change',
      changeForm({ ...supplier, redirectUri: moved }, { name: 'Renamed service' }),
    );
    expectRedirect(same, '/backoffice/suppliers/change-gp?done=unchanged');
    expect(await auditOf(AUDIT_EVENTS.SUPPLIER_CHANGED, 'change-gp')).toHaveLength(1);

    // A scope withdrawn is refused at once (invalid_scope at the redirect URI).
    const narrowed = await submit(
      operator.browser,
      '/backoffice/suppliers/change-gp/change',
      changeForm(
        { ...supplier, redirectUri: moved },
        { name: 'Renamed service', scopes: ['openid', 'profile'] },
      ),
    );
    expectRedirect(narrowed, '/backoffice/suppliers/change-gp?done=changed');
    const res = await service.app.inject({
      method: 'GET',
      url: authorizeUrl({ ...supplier, redirectUri: moved }, { scope: 'openid email' }).url,
    });
    expect(new URL(res.headers.location as string).searchParams.get('error')).toBe('invalid_scope');
  });

  it('changes every setting the CLI can, and replaces the keys with a pasted PEM', async () => {
    const supplier = await registerThroughPages('every-gp');
    const newKeys = rsaKeys();
    const saved = await submit(operator.browser, '/backoffice/suppliers/every-gp/change', {
      name: 'Every setting',
      redirectUris: 'https://every-gp.example/a\r\nhttps://every-gp.example/b',
      scopes: ['openid', 'basic_demographics', 'email', 'client_metadata'],
      vectors: ['P5.Cp.Cd', 'P5.Cm'],
      keys: 'pem',
      publicKeyPem: newKeys.publicKeyPem,
      assertionAlgs: ['RS256'],
      ssoPartners: `acme-gp\n${DEMO_CLIENT_ID}`,
      sandpit: 'yes',
      usersApi: 'yes',
      postLogoutRedirectUris: 'https://every-gp.example/signed-out',
      backchannelLogoutUri: 'https://every-gp.example/logout',
    });
    expectRedirect(saved, '/backoffice/suppliers/every-gp?done=changed');
    const stored = await findSupplier(db(), 'every-gp');
    expect(stored?.name).toBe('Every setting');
    expect(stored?.metadata).toMatchObject({
      redirect_uris: ['https://every-gp.example/a', 'https://every-gp.example/b'],
      scope: 'openid basic_demographics email client_metadata',
      allowed_vtr: ['P5.Cp.Cd', 'P5.Cm'],
      client_assertion_algs: ['RS256'],
      sso_partners: ['acme-gp', DEMO_CLIENT_ID],
      sandpit: true,
      users_api: true,
      post_logout_redirect_uris: ['https://every-gp.example/signed-out'],
      backchannel_logout_uri: 'https://every-gp.example/logout',
    });
    const newJwk = publicKeyToJwk(newKeys.publicKeyPem);
    expect(newJwk.ok && stored?.metadata.jwks?.keys[0]?.n).toBe(newJwk.ok ? newJwk.value.n : '');
    const [changed] = await auditOf(AUDIT_EVENTS.SUPPLIER_CHANGED, 'every-gp');
    expect(changed?.details.staffId).toBe(operator.id);
    expect(changed?.details.changed).toEqual(
      expect.arrayContaining([
        'name',
        'redirect_uris',
        'scope',
        'allowed_vtr',
        'jwks',
        'sandpit',
        'users_api',
      ]),
    );
    // Keys are audited as thumbprints, never whole.
    expect(JSON.stringify(changed?.details)).not.toContain(String(newJwk.ok ? newJwk.value.n : 'x'));

    // The old key no longer authenticates the supplier; the new one does (the next /token).
    const old = await tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code: 'nothing',
      redirect_uri: 'https://every-gp.example/a',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(supplier, TOKEN_URL),
    });
    expect(old.body.error).toBe('invalid_client');
    const fresh = await tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code: 'nothing',
      redirect_uri: 'https://every-gp.example/a',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion({ ...supplier, privateKey: newKeys.privateKey }, TOKEN_URL),
    });
    expect(fresh.body.error).toBe('invalid_grant');

    const page = await operator.browser.get('/backoffice/suppliers/every-gp');
    expect(page.body).toContain('Yes: it only ever sees test people');
    expect(page.body).toContain('href="/backoffice/suppliers/acme-gp"');
  });

  it('gives gp_integration_credentials only with the separate approval, recorded in the metadata and the audit', async () => {
    const supplier = await registerThroughPages('im1-gp');
    const url = '/backoffice/suppliers/im1-gp/change';
    const withScope = changeForm(supplier, { scopes: ['openid', 'profile', 'gp_integration_credentials'] });

    const refused = await submit(operator.browser, url, withScope);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('href="#gpApproval"');
    expect(refused.body).toContain('href="#gpApprovalReference"');
    const noReference = await submit(operator.browser, url, { ...withScope, gpApproval: 'yes' });
    expect(noReference.status).toBe(400);
    expect(noReference.body).toContain('Enter the reference of the GP integration approval');
    expect((await findSupplier(db(), 'im1-gp'))?.metadata.scope).not.toContain('gp_integration_credentials');

    const approved = await submit(operator.browser, url, {
      ...withScope,
      gpApproval: 'yes',
      gpApprovalReference: 'IM1-2024-0042',
    });
    expectRedirect(approved, '/backoffice/suppliers/im1-gp?done=changed');
    const stored = await findSupplier(db(), 'im1-gp');
    expect(stored?.metadata.scope).toBe('openid profile gp_integration_credentials');
    expect(stored?.metadata.gp_integration_approval).toMatchObject({
      reference: 'IM1-2024-0042',
      by: operator.id,
    });
    const [changed] = await auditOf(AUDIT_EVENTS.SUPPLIER_CHANGED, 'im1-gp');
    expect(changed?.details.staffId).toBe(operator.id);
    expect(changed?.details.changed).toEqual(['scope', 'gp_integration_approval']);
    expect(changed?.details.after).toMatchObject({
      gp_integration_approval: { reference: 'IM1-2024-0042', by: operator.id },
    });
    const page = await operator.browser.get('/backoffice/suppliers/im1-gp');
    expect(page.body).toContain('Reference IM1-2024-0042');

    // Once approved, other changes need no new confirmation; withdrawing the scope drops the approval.
    const renamed = await submit(operator.browser, url, { ...withScope, name: 'IM1 renamed' });
    expectRedirect(renamed, '/backoffice/suppliers/im1-gp?done=changed');
    expect((await findSupplier(db(), 'im1-gp'))?.metadata.gp_integration_approval?.reference).toBe(
      'IM1-2024-0042',
    );
    const withdrawn = await submit(operator.browser, url, changeForm(supplier, { name: 'IM1 renamed' }));
    expectRedirect(withdrawn, '/backoffice/suppliers/im1-gp?done=changed');
    expect((await findSupplier(db(), 'im1-gp'))?.metadata.gp_integration_approval).toBeUndefined();
  });
});

describe('suspending, resuming and removing', () => {
  it('a suspended supplier gets invalid_client at /authorize, /token and the Users API until resumed', async () => {
    const supplier = await registerThroughPages('pause-gp', { usersApi: 'yes' });
    const browser = new TestBrowser(service.app);
    const cb = await signInThroughSupplier(service, browser, supplier, P9, { vtr: '["P9.Cp.Cd"]' });
    const usersAssertion = async () => ({
      grant_type: JWT_BEARER,
      assertion: await clientAssertion(supplier, TOKEN_URL),
    });
    const usersToken = await tokenRequest(service.app, await usersAssertion());
    expect(usersToken.status, JSON.stringify(usersToken.body)).toBe(200);
    const search = () =>
      service.app.inject({
        method: 'GET',
        url: `/v2/Users?filter=${encodeURIComponent('email eq "p9.patient@example.com"')}`,
        headers: { authorization: `Bearer ${usersToken.body.access_token as string}` },
      });
    expect((await search()).statusCode).toBe(200);
    const early = await signInThroughSupplier(service, browser, supplier, P9, { vtr: '["P9.Cp.Cd"]' });
    const tokens = await exchangeCode(service.app, supplier, early.code!);
    expect(tokens.status).toBe(200);
    const userinfo = () =>
      service.app.inject({
        method: 'GET',
        url: '/userinfo',
        headers: { authorization: `Bearer ${tokens.body.access_token as string}` },
      });
    expect((await userinfo()).statusCode).toBe(200);

    const confirm = await operator.browser.get('/backoffice/suppliers/pause-gp/suspend');
    expect(confirm.status).toBe(200);
    const noReason = await operator.browser.post('/backoffice/suppliers/pause-gp/suspend', { reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('href="#reason"');
    await operator.browser.get('/backoffice/suppliers/pause-gp/suspend');
    expectRedirect(
      await operator.browser.post('/backoffice/suppliers/pause-gp/suspend', {
        reason: 'Signing key reported lost',
      }),
      '/backoffice/suppliers/pause-gp?done=suspended',
    );
    expect((await findSupplier(db(), 'pause-gp'))?.metadata.suspended).toMatchObject({
      reason: 'Signing key reported lost',
      by: operator.id,
    });

    // The very next requests, with no restart.
    await expectAuthorizeRefused(authorizeUrl(supplier).url);
    const token = await exchangeCode(service.app, supplier, cb.code!);
    expect(token.status).toBe(401);
    expect(token.body.error).toBe('invalid_client');
    // The Users API grant answers a client it does not know (or a suspended one) with invalid_grant.
    const users = await tokenRequest(service.app, await usersAssertion());
    expect(users.status).toBe(400);
    expect(users.body.error).toBe('invalid_grant');
    expect((await search()).statusCode).toBe(401);
    // An access token issued before the suspension stops working at /userinfo at once.
    const refusedUserinfo = await userinfo();
    expect(refusedUserinfo.statusCode).toBe(401);
    expect(refusedUserinfo.headers['www-authenticate']).toContain('invalid_token');

    const page = await operator.browser.get('/backoffice/suppliers/pause-gp');
    expect(page.body).toContain('Signing key reported lost');
    expect(page.body).toContain('href="/backoffice/suppliers/pause-gp/resume"');
    const list = await operator.browser.get('/backoffice/suppliers');
    expect(list.body).toMatch(/pause-gp[\s\S]*?Suspended/);

    // A change made meanwhile keeps the suspension.
    expectRedirect(
      await submit(
        operator.browser,
        '/backoffice/suppliers/pause-gp/change',
        changeForm(supplier, { name: 'Paused service', usersApi: 'yes' }),
      ),
      '/backoffice/suppliers/pause-gp?done=changed',
    );
    expect((await findSupplier(db(), 'pause-gp'))?.metadata.suspended?.reason).toBe(
      'Signing key reported lost',
    );
    await expectAuthorizeRefused(authorizeUrl(supplier).url);

    await operator.browser.get('/backoffice/suppliers/pause-gp/resume');
    expectRedirect(
      await operator.browser.post('/backoffice/suppliers/pause-gp/resume', { reason: 'New key confirmed' }),
      '/backoffice/suppliers/pause-gp?done=resumed',
    );
    // Nothing was deleted: the code issued before the suspension still works.
    await expectAuthorizeAccepted(authorizeUrl(supplier).url);
    const after = await exchangeCode(service.app, supplier, cb.code!);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect((await search()).statusCode).toBe(200);

    const [suspended] = await auditOf(AUDIT_EVENTS.SUPPLIER_SUSPENDED, 'pause-gp');
    expect(suspended?.details).toEqual({ staffId: operator.id, reason: 'Signing key reported lost' });
    const [resumed] = await auditOf(AUDIT_EVENTS.SUPPLIER_RESUMED, 'pause-gp');
    expect(resumed?.details).toEqual({ staffId: operator.id, reason: 'New key confirmed' });

    // Resuming an active supplier is refused (its page has no form: post as from an old tab).
    expect((await operator.browser.get('/backoffice/suppliers/pause-gp/resume')).body).toContain(
      'This supplier is not suspended',
    );
    await operator.browser.get('/backoffice');
    const again = await operator.browser.post('/backoffice/suppliers/pause-gp/resume', { reason: 'again' });
    expect(again.status).toBe(400);
    expect(again.body).toContain('This supplier is not suspended');
  });

  it('removes a supplier once its client id is typed, audited with the staff member', async () => {
    const supplier = await registerThroughPages('gone-gp');
    await expectAuthorizeAccepted(authorizeUrl(supplier).url);
    await operator.browser.get('/backoffice/suppliers/gone-gp/remove');
    const wrong = await operator.browser.post('/backoffice/suppliers/gone-gp/remove', {
      confirmClientId: 'acme-gp',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('href="#confirmClientId"');
    expect(await findSupplier(db(), 'gone-gp')).toBeDefined();

    expectRedirect(
      await operator.browser.post('/backoffice/suppliers/gone-gp/remove', { confirmClientId: 'gone-gp' }),
      '/backoffice/suppliers?done=removed',
    );
    expect(await findSupplier(db(), 'gone-gp')).toBeUndefined();
    await expectAuthorizeRefused(authorizeUrl(supplier).url);
    const [removed] = await auditOf(AUDIT_EVENTS.SUPPLIER_REMOVED, 'gone-gp');
    expect(removed?.details).toMatchObject({ staffId: operator.id, name: 'Service gone-gp' });
    expect((await operator.browser.get('/backoffice/suppliers/gone-gp')).status).toBe(404);
  });
});

describe('who may manage suppliers', () => {
  it('only operators: a support user gets 403 on every supplier page', async () => {
    const support = await staffHelpers(service).staffMember('support');
    const home = await support.browser.get('/backoffice');
    expect(home.body).not.toContain('href="/backoffice/suppliers"');
    for (const route of SUPPLIER_ROUTES) {
      const url = route.url.replace(':clientId', DEMO_CLIENT_ID);
      const page =
        route.method === 'GET'
          ? await support.browser.get(url)
          : (await support.browser.get('/backoffice'), await support.browser.post(url, { reason: 'x' }));
      expect(page.status, `${route.method} ${route.url}`).toBe(403);
    }
    expect((await findSupplier(db(), DEMO_CLIENT_ID))?.metadata.suspended).toBeUndefined();
  });

  it('asks an operator to confirm it is them before a change, after 5 minutes', async () => {
    await db()
      .updateTable('staff_sessions')
      .set({ authenticated_at: new Date(Date.now() - 6 * 60 * 1000) })
      .where('staff_id', '=', operator.id)
      .execute();
    const page = await operator.browser.get('/backoffice/suppliers/acme-gp/suspend');
    expectRedirect(page, '/backoffice/reauthenticate?next=%2Fbackoffice%2Fsuppliers%2Facme-gp%2Fsuspend');
    // Reading needs no re-authentication.
    expect((await operator.browser.get('/backoffice/suppliers/acme-gp')).status).toBe(200);
  });
});
