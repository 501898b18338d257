// Hostile and malformed input at every public endpoint and form: the
// provider endpoints (/authorize, /token, /logout), /userinfo, and the
// journeys' pages. Whatever arrives, the answer is never a 5xx, never a
// stack trace or internal error text, never a redirect to anywhere but the
// service itself or a registered redirect URI, and, where the interface
// names one, exactly the OAuth error it names. The happy paths and the
// ordinary protocol errors live in supplier-interface.test.ts; this file is
// only the abuse. A small fixed-seed fuzz loop per form field backs up the
// tables (fast-check is not installed).
import { createPublicKey, randomBytes } from 'node:crypto';
import { SignJWT, base64url, importJWK, type JWK } from 'jose';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { loadSigningKeys } from '../src/oidc/signing-keys.js';
import { createAccount } from '../src/store/accounts.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import {
  authorizeUrl,
  clientAssertion,
  demoSupplier,
  newKeyPair,
  type TestSupplier,
} from './support/supplier.js';
import { ASSERTION_TYPE, TOKEN_URL, decodeJwt, exchangeCode, tokenRequest } from './support/token.js';

const ISSUER = 'http://localhost:3000';
const P0 = { email: 'p0.patient@example.com', phone: '+447700900000' };
const FORM = 'application/x-www-form-urlencoded';
const MB = 1024 * 1024;

let service: TestService;
const demo = demoSupplier();
/** A second supplier, for mix-ups between clients. */
let other: TestSupplier;
/** Every redirect URI registered in this service: the only places off-site redirects may go. */
const registered = new Set<string>([demo.redirectUri]);

// ---------------------------------------------------------------------------
// What every answer must look like.

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

const LEAKS: RegExp[] = [
  /\n\s+at [^\n]*:\d+:\d+/, // a stack frame
  /\bat (?:async )?[\w$.<>]+ \((?:file:|node:|\/)/, // a stack frame on one line
  /node_modules/,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|AssertionError|EvalError)\b/,
  /\bERR_[A-Z_]{4,}/, // Node's error codes
  /\/work\/|file:\/\//, // file paths
  /\b(?:kysely|pglite|postgres|SQLSTATE|violates|relation "|duplicate key)\b/i, // database text
  /Cannot read propert|is not a function|undefined is not|Unexpected token/,
];

/** Where a Location header may point: this service, or exactly a registered redirect URI plus query/fragment. */
function allowedLocation(location: string): boolean {
  if (location.startsWith('/')) return !location.startsWith('//') && !location.startsWith('/\\');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return false;
  }
  if (url.origin === ISSUER) return true;
  return [...registered].some(
    (uri) => location === uri || location.startsWith(`${uri}?`) || location.startsWith(`${uri}#`),
  );
}

function expectSafe(res: Answer, label: string): void {
  const context = `${label}: ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, context).toBeLessThan(500);
  for (const leak of LEAKS) expect(res.body, context).not.toMatch(leak);
  const location = res.headers.location;
  if (location !== undefined) {
    expect(typeof location, context).toBe('string');
    const where = location as string;
    expect(allowedLocation(where), `${context} → Location ${where}`).toBe(true);
  }
}

function pageAnswer(page: Page): Answer {
  return { statusCode: page.status, headers: page.headers, body: page.body };
}

/** A fixed-seed PRNG (mulberry32): the same "random" input on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces hostile strings are made of: controls, bidi and zero-width marks, surrogates, markup, templates. */
const PIECES = [
  'a',
  'Z',
  '0',
  '9',
  ' ',
  '@',
  '.',
  '+',
  '-',
  '_',
  '%',
  '&',
  '=',
  '?',
  '#',
  '/',
  '\\',
  ';',
  ',',
  '\u0000',
  '\u0001',
  '\u0007',
  '\u001b',
  '\r',
  '\n',
  '\t',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u200b',
  '\u200d',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udfff',
  '😀',
  '👩‍👩‍👧',
  'é',
  'e\u0301',
  'ß',
  'İ',
  'ﬀ',
  '∞',
  '中',
  'ا',
  '<script>',
  '</textarea>',
  '"',
  "'",
  '`',
  '{{7*7}}',
  '{%',
  '${x}',
  '../',
  '%00',
  '%ff',
  '\\u0000',
  'p0.patient@example.com',
  '07700900000',
  '+44',
  '123456',
  'null',
  'undefined',
  '__proto__',
  '[]',
  '{}',
];

function randomString(next: () => number): string {
  const roll = next();
  // Now and then one very long string; otherwise short-to-medium ones.
  const length = roll < 0.03 ? 2000 + Math.floor(next() * 10_000) : Math.floor(next() * 40);
  let out = '';
  for (let i = 0; i < length && out.length < 12_000; i++) out += PIECES[Math.floor(next() * PIECES.length)];
  return out;
}

/** `count` fixed-seed hostile strings, the same every run. */
function fuzzStrings(seed: number, count: number): string[] {
  const next = prng(seed);
  return Array.from({ length: count }, () => randomString(next));
}

/** Hand-picked oddities tried in every text field. */
const ODDITIES: [string, string][] = [
  ['empty', ''],
  ['NUL bytes', 'p0.patient\u0000@example.com'],
  ['only NUL', '\u0000'],
  ['CR LF', 'a@example.com\r\nBcc: x@evil.example'],
  ['RTL override', '\u202emoc.elpmaxe@tneitap.0p'],
  ['zero-width joiner', 'p0.pat\u200dient@example.com'],
  ['emoji', '😀😀😀@example.com'],
  ['lone surrogate', '\ud800@example.com'],
  ['10 KB email', `${'a'.repeat(10 * 1024)}@example.com`],
  ['XSS', '"><script>alert(1)</script>'],
  ['template', '{{ 7*7 }}{% raw %}'],
  ['SQL', "' OR 1=1 --"],
  ['proto', '__proto__'],
];

// ---------------------------------------------------------------------------
// Set-up.

async function register(clientId: string): Promise<TestSupplier> {
  const keys = newKeyPair();
  const redirectUri = `https://${clientId}.example/callback`;
  const saved = await saveSupplier(service.database.db, {
    clientId,
    name: clientId,
    publicKeysPem: [keys.publicKeyPem],
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email', 'phone', 'client_metadata'],
  });
  if (!saved.ok) throw new Error(saved.error);
  registered.add(redirectUri);
  return { clientId, redirectUri, ...keys };
}

const inject = (options: InjectOptions) =>
  service.app.inject(options) as unknown as Promise<Answer & { json<T>(): T }>;

/** A fresh code for `supplier` (the P0 test person, P0 vector). */
async function freshCode(supplier: TestSupplier = demo, scope = 'openid email'): Promise<string> {
  const cb = await signInThroughSupplier(service, new TestBrowser(service.app), supplier, P0, {
    vtr: '["P0.Cp.Cd"]',
    scope,
  });
  return cb.code!;
}

beforeAll(async () => {
  // Hundreds of attempts from one "IP" and at one address: the limits have their own tests.
  const many = { points: 1_000_000 };
  service = await startTestService({
    rateLimits: {
      passwordAttemptsPerIp: many,
      passwordFailuresPerAccount: many,
      codeFailuresPerSubject: many,
      codesSentPerRecipient: many,
      codesSentPerIp: many,
    },
  });
  other = await register('other-supplier');
});
afterAll(async () => {
  await service?.close();
});

// ---------------------------------------------------------------------------
// /token

describe('/token', () => {
  const assertion = () => clientAssertion(demo, TOKEN_URL);
  const raw = (payload: string | Buffer, contentType?: string) =>
    inject({
      method: 'POST',
      url: '/token',
      headers: contentType ? { 'content-type': contentType } : {},
      payload,
    });

  it.each([
    ['no grant_type', {}, 'invalid_request'],
    ['an empty grant_type', { grant_type: '' }, 'invalid_request'],
    [
      'grant_type=password',
      { grant_type: 'password', username: 'a', password: 'b' },
      'unsupported_grant_type',
    ],
    ['grant_type=client_credentials', { grant_type: 'client_credentials' }, 'unsupported_grant_type'],
    ['grant_type=implicit', { grant_type: 'implicit' }, 'unsupported_grant_type'],
    ['a grant_type URN nobody knows', { grant_type: 'urn:x:evil' }, 'unsupported_grant_type'],
    ['grant_type with a NUL', { grant_type: 'authorization_code\u0000' }, 'unsupported_grant_type'],
  ])('refuses %s', async (_name, fields, error) => {
    const res = await tokenRequest(service.app, {
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(),
      ...(fields as Record<string, string>),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(error);
  });

  it('takes only form bodies: JSON, text, multipart, none, or a wrong charset are invalid_request', async () => {
    const fields = {
      grant_type: 'authorization_code',
      code: 'x',
      redirect_uri: demo.redirectUri,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(),
    };
    const cases: [string, string | undefined, string][] = [
      ['JSON', 'application/json', JSON.stringify(fields)],
      ['text', 'text/plain', new URLSearchParams(fields).toString()],
      [
        'multipart',
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nauthorization_code\r\n--x--`,
      ],
      ['no content type', undefined, new URLSearchParams(fields).toString()],
      ['XML', 'application/xml', '<grant_type>authorization_code</grant_type>'],
    ];
    for (const [name, type, payload] of cases) {
      const res = await raw(payload, type);
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(400);
      expect(res.json<{ error: string }>().error, name).toBe('invalid_request');
    }
    // An unknown charset is ignored (the body is read as a form): no 500 either way.
    expectSafe(await raw(new URLSearchParams(fields).toString(), `${FORM}; charset=x-evil`), 'charset');
  });

  it('answers a 1 MB body, and invalid UTF-8, without a 500', async () => {
    const big = await raw(`grant_type=authorization_code&code=${'a'.repeat(MB)}`, FORM);
    expectSafe(big, '1 MB');
    expect([400, 413]).toContain(big.statusCode);
    expect(big.json<{ error: string }>().error).toBe('invalid_request');
    const bytes = await raw(Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x3d, 0xff, 0xfe, 0x00]), FORM);
    expectSafe(bytes, 'raw bytes');
    const percent = await raw('grant_type=%ff%fe&code=%&client_assertion=%E0%A4%A', FORM);
    expectSafe(percent, 'bad percent-encoding');
    expect(percent.statusCode).toBe(400);
  });

  it('refuses a parameter sent twice', async () => {
    for (const twice of ['grant_type', 'code', 'client_assertion', 'redirect_uri']) {
      const params = new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'x',
        redirect_uri: demo.redirectUri,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(),
      });
      params.append(twice, params.get(twice)!);
      const res = await raw(params.toString(), FORM);
      expectSafe(res, twice);
      expect(res.statusCode, twice).toBe(400);
      expect(res.json<{ error: string }>().error, twice).toBe('invalid_request');
    }
  });

  describe('client assertions', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : JSON.stringify(v));
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: demo.clientId,
      sub: demo.clientId,
      aud: TOKEN_URL,
      jti: randomBytes(12).toString('hex'),
      iat: now(),
      exp: now() + 60,
      ...extra,
    });
    /** A demo-supplier assertion with chosen claims and header, signed with `key` (the demo key by default). */
    const signed = (
      extra: Record<string, unknown> = {},
      header: Record<string, unknown> = {},
      key = demo.privateKey,
    ) => new SignJWT(claims(extra)).setProtectedHeader({ alg: 'RS512', ...header }).sign(key);

    /** A made-up code, so an accepted assertion shows as invalid_grant and a refused one as invalid_client. */
    const present = (clientAssertionValue: string, extra: Record<string, string> = {}) =>
      tokenRequest(service.app, {
        grant_type: 'authorization_code',
        code: 'made-up-code',
        redirect_uri: demo.redirectUri,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: clientAssertionValue,
        ...extra,
      });

    it('answers an assertion that cannot even be decoded with invalid_request', async () => {
      // oidc-provider reads the client_id from the assertion's sub before anything
      // else; when there is no payload to read it says "invalid client_assertion format".
      for (const value of [
        'not-a-jwt',
        '..',
        '%%%.***.!!!',
        `${b64('{{{')}.${b64('[[[')}.${b64('x')}`,
        '\u0000',
      ]) {
        const res = await present(value);
        expectSafe({ statusCode: res.status, headers: res.headers, body: JSON.stringify(res.body) }, value);
        expect(res.status, value).toBe(400);
        expect(res.body.error, value).toBe('invalid_request');
      }
    });

    it('refuses assertions that are not signed JWTs from the client', async () => {
      const stranger = newKeyPair().privateKey;
      const publicPem = demo.publicKeyPem;
      const hmac = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS512' })
        .sign(new TextEncoder().encode(publicPem));
      const cases: [string, string][] = [
        ['a JSON array header', `${b64([1])}.${b64(claims())}.`],
        ['alg none', `${b64({ alg: 'none' })}.${b64(claims())}.`],
        ['alg NoNe, with a signature', `${b64({ alg: 'NoNe' })}.${b64(claims())}.${b64('sig')}`],
        ['alg missing', `${b64({ typ: 'JWT' })}.${b64(claims())}.${b64('sig')}`],
        ['alg HS512 keyed with the public key', hmac],
        ['kid ../../etc/passwd, another key', await signed({}, { kid: '../../etc/passwd' }, stranger)],
        ["kid ' OR 1=1 --, another key", await signed({}, { kid: "' OR 1=1 --" }, stranger)],
        ['jku pointing away', await signed({}, { jku: 'https://evil.example/jwks' }, stranger)],
        [
          'its own embedded jwk',
          await signed(
            {},
            {
              jwk: createPublicKey(stranger).export({ format: 'jwk' }) as unknown as Record<string, unknown>,
            },
            stranger,
          ),
        ],
        ['x5u pointing away', await signed({}, { x5u: 'https://evil.example/cert' }, stranger)],
        ['iat in the future', await signed({ iat: now() + 3600, exp: now() + 3660 })],
        ['nbf in the future', await signed({ nbf: now() + 3600 })],
        ['no exp', await signed({ exp: undefined })],
        ['exp as a string', await signed({ exp: String(now() + 60) })],
        ['iss another client', await signed({ iss: other.clientId })],
        ["another issuer's token URL as aud", await signed({ aud: 'https://auth.login.nhs.uk/token' })],
        [
          "aud with the token URL's path on another host",
          await signed({ aud: 'http://localhost:3001/token' }),
        ],
        ['aud with a trailing slash', await signed({ aud: `${TOKEN_URL}/` })],
        ['aud as a number', await signed({ aud: 42 })],
        ['no jti', await signed({ jti: undefined })],
        [
          'a 40 KB assertion',
          `${b64({ alg: 'RS512' })}.${b64({ ...claims(), pad: 'x'.repeat(40_000) })}.${b64('sig')}`,
        ],
      ];
      for (const [name, value] of cases) {
        const res = await present(value);
        expectSafe({ statusCode: res.status, headers: res.headers, body: JSON.stringify(res.body) }, name);
        expect(res.body.error, name).toBe('invalid_client');
        expect(res.status, name).toBe(401);
      }
    });

    it('refuses a wrong client_assertion_type', async () => {
      for (const type of ['', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', 'jwt']) {
        const res = await present(await signed(), { client_assertion_type: type });
        expect(res.status, type).toBeLessThan(500);
        expect(['invalid_client', 'invalid_request'], type).toContain(res.body.error);
      }
    });

    it('takes a PEM-registered key whatever its kid says, even a path-like one', async () => {
      // The kid is never used as a path or a query: the supplier's one PEM key is matched whatever it says.
      const res = await present(await signed({}, { kid: '../../etc/passwd' }));
      expect(res.body.error).toBe('invalid_grant');
    });

    it('refuses a far-future exp (year 3000 and beyond) with invalid_client, never a 500', async () => {
      // oidc-provider sets no upper bound on exp and remembers the jti until then:
      // 1e15 and beyond broke that store (a 500) and year 3000 kept it for ages.
      // RFC 7523 lets us refuse an exp unreasonably far ahead; we allow a day.
      for (const [name, exp] of [
        ['year 3000', 32_503_680_000],
        ['two days ahead', now() + 2 * 24 * 3600],
        ['1e15', 1e15],
        ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
        ['1e300', 1e300],
        ['negative', -1],
        ['zero', 0],
      ] as const) {
        const res = await present(await signed({ exp }));
        expectSafe({ statusCode: res.status, headers: res.headers, body: JSON.stringify(res.body) }, name);
        expect(res.body.error, name).toBe('invalid_client');
      }
      // A fractional exp within the day is still a good assertion (the made-up code is the only problem).
      expect((await present(await signed({ exp: now() + 60.5 }))).body.error).toBe('invalid_grant');
      expect((await present(await signed({ exp: now() + 23 * 3600 }))).body.error).toBe('invalid_grant');
    });

    it("refuses one client's assertion presented with another client_id (mix-up)", async () => {
      // other-supplier's own valid assertion, sent as if demo-supplier were calling.
      const res = await present(await clientAssertion(other, TOKEN_URL), { client_id: demo.clientId });
      expect(res.status).toBeLessThan(500);
      expect(['invalid_client', 'invalid_request']).toContain(res.body.error);
      // And demo's assertion claiming to be other-supplier (iss/sub other) is not other's signature.
      const forged = await present(
        await clientAssertion(demo, TOKEN_URL, { iss: other.clientId, sub: other.clientId }),
      );
      expect(forged.body.error).toBe('invalid_client');
    });
  });

  it('refuses a code issued to one supplier when another redeems it, and a refresh token likewise', async () => {
    const code = await freshCode();
    const stolen = await exchangeCode(service.app, other, code, {
      redirect_uri: demo.redirectUri,
    });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toBe('invalid_grant');
    expect(stolen.body.access_token).toBeUndefined();
    // Noted behaviour: the failed attempt does not spend the code; its own supplier still redeems it.
    expect((await exchangeCode(service.app, demo, code)).status).toBe(200);

    const good = await exchangeCode(service.app, demo, await freshCode());
    expect(good.status).toBe(200);
    const refresh = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: good.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(other, TOKEN_URL),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    expect(refresh.body.access_token).toBeUndefined();
  });

  it('refuses hostile codes and refresh tokens with invalid_grant, never a 500', async () => {
    for (const value of ['', '\u0000', 'a'.repeat(10_000), '../../etc/passwd', "' OR 1=1 --", '😀', '%ff']) {
      for (const grant of ['authorization_code', 'refresh_token'] as const) {
        const res = await tokenRequest(service.app, {
          grant_type: grant,
          ...(grant === 'authorization_code'
            ? { code: value, redirect_uri: demo.redirectUri }
            : { refresh_token: value }),
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await clientAssertion(demo, TOKEN_URL),
        });
        const label = `${grant} ${JSON.stringify(value.slice(0, 20))}`;
        expectSafe({ statusCode: res.status, headers: res.headers, body: JSON.stringify(res.body) }, label);
        expect(['invalid_grant', 'invalid_request'], label).toContain(res.body.error);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// /authorize

describe('/authorize', () => {
  /** The query string of a valid request, with `params` changed. */
  const query = (params: Record<string, string | undefined> = {}) =>
    authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', ...params }).url;

  it.each([
    ['another site', 'https://evil.example/callback'],
    ['another site, no path', 'https://evil.example'],
    ['same host, another path', 'http://localhost:3001/other'],
    ['a sub-path', 'http://localhost:3001/callback/x'],
    ['a trailing slash', 'http://localhost:3001/callback/'],
    ['a fragment', 'http://localhost:3001/callback#x'],
    ['an empty fragment', 'http://localhost:3001/callback#'],
    ['an empty query', 'http://localhost:3001/callback?'],
    ['dot segments', 'http://localhost:3001/callback/../x'],
    ['an encoded slash and dots', 'http://localhost:3001/callback%2F..'],
    ['userinfo before another host', 'http://localhost:3001@evil.example/callback'],
    ['userinfo', 'http://user:pass@localhost:3001/callback'],
    ['another port', 'http://localhost:3002/callback'],
    ['the default port spelled out', 'http://localhost:80/callback'],
    ['an uppercase scheme', 'HTTP://localhost:3001/callback'],
    ['an uppercase host', 'http://LOCALHOST:3001/callback'],
    ['https instead of http', 'https://localhost:3001/callback'],
    ['a protocol-relative URL', '//evil.example/callback'],
    ['a backslash', 'http://localhost:3001\\@evil.example/callback'],
    ['javascript:', 'javascript:alert(1)//http://localhost:3001/callback'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['a trailing space', 'http://localhost:3001/callback '],
    ['a trailing tab', 'http://localhost:3001/callback\t'],
    ['a NUL byte', 'http://localhost:3001/callback\u0000'],
    ['CR LF', 'http://localhost:3001/callback\r\nLocation: https://evil.example'],
    ['an IDN look-alike', 'http://locaIhost:3001/callback'],
    ['another registered supplier’s URI', 'https://other-supplier.example/callback'],
    ['empty', ''],
  ])('never redirects to a redirect_uri with %s', async (_name, redirectUri) => {
    const res = await inject({ method: 'GET', url: query({ redirect_uri: redirectUri }) });
    expectSafe(res, redirectUri);
    expect(res.statusCode).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toContain('There is a problem with the website or app you came from');
  });

  it('never redirects when redirect_uri or client_id is missing, repeated or hostile', async () => {
    const base = new URLSearchParams(query().split('?')[1]);
    const variants: [string, (p: URLSearchParams) => void][] = [
      ['no redirect_uri', (p) => p.delete('redirect_uri')],
      ['redirect_uri twice (good, evil)', (p) => p.append('redirect_uri', 'https://evil.example/')],
      [
        'redirect_uri twice (evil, good)',
        (p) => {
          p.delete('redirect_uri');
          p.append('redirect_uri', 'https://evil.example/');
          p.append('redirect_uri', demo.redirectUri);
        },
      ],
      ['client_id twice', (p) => p.append('client_id', other.clientId)],
      ['no client_id', (p) => p.delete('client_id')],
      ['client_id with a NUL', (p) => p.set('client_id', 'demo-supplier\u0000')],
      ['client_id 100 KB', (p) => p.set('client_id', 'x'.repeat(100 * 1024))],
      ['client_id ../', (p) => p.set('client_id', '../../etc/passwd')],
      ['client_id SQL', (p) => p.set('client_id', "' OR '1'='1")],
      ['client_id __proto__', (p) => p.set('client_id', '__proto__')],
      ['client_id of another supplier', (p) => p.set('client_id', other.clientId)],
    ];
    for (const [name, change] of variants) {
      const params = new URLSearchParams(base);
      change(params);
      const res = await inject({ method: 'GET', url: `/authorize?${params.toString()}` });
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(400);
      expect(res.headers.location, name).toBeUndefined();
    }
  });

  it('survives invalid percent-encoding and UTF-8 in any parameter', async () => {
    const names = [
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
      'vtr',
      'prompt',
      'response_type',
      'login_hint',
      'code_challenge',
      'allow_registration',
      'asserted_login_identity',
      'x',
    ];
    for (const name of names) {
      const params = new URLSearchParams(query().split('?')[1]);
      params.delete(name);
      for (const bad of ['%ff%fe', '%', '%zz', '%E0%A4%A', '%00', 'a%00b', '%C0%AE%C0%AE%2F', '%ED%A0%80']) {
        const url = `/authorize?${params.toString()}&${name}=${bad}`;
        const res = await inject({ method: 'GET', url });
        expectSafe(res, url);
      }
    }
    // A raw non-ASCII byte in the query, as a sloppy client might send it.
    const params = new URLSearchParams(query().split('?')[1]);
    params.delete('state');
    expectSafe(
      await inject({ method: 'GET', url: `/authorize?${params.toString()}&state=caf\u00e9` }),
      'raw é',
    );
  });

  it('carries a NUL in state or nonce through to the sign-in page without a 500', async () => {
    for (const params of [{ state: 'a\u0000b' }, { nonce: 'a\u0000b' }, { login_hint: '\u0000' }]) {
      const page = await new TestBrowser(service.app).follow(query(params));
      expectSafe(pageAnswer(page), JSON.stringify(params));
      expect(page.url, JSON.stringify(params)).toBe('/sign-in');
    }
  });

  it('survives very long parameters (100 KB)', async () => {
    const huge = 'x'.repeat(100 * 1024);
    for (const name of [
      'state',
      'nonce',
      'scope',
      'vtr',
      'prompt',
      'login_hint',
      'code_challenge',
      'unknown',
    ]) {
      const res = await inject({ method: 'GET', url: query({ [name]: huge }) });
      expectSafe(res, name);
    }
  });

  it('answers a deeply nested or huge vtr with invalid_request at the redirect URI', async () => {
    const cases: [string, string][] = [
      ['nested 10k deep', `${'['.repeat(10_000)}"P0.Cp.Cd"${']'.repeat(10_000)}`],
      ['an object 10k deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
      [
        '1000 entries',
        JSON.stringify(Array.from({ length: 1000 }, (_, i) => (i ? `P0.Cp.C${i}` : 'P0.Cp.Cd'))),
      ],
      ['1000 copies', JSON.stringify(Array.from({ length: 1000 }, () => 'P0.Cp.Cd'))],
      ['unclosed', '["P0.Cp.Cd"'],
      ['an object', '{"0":"P0.Cp.Cd","length":1}'],
      ['numbers', '[1,2,3]'],
      ['nulls', '[null]'],
      ['empty array', '[]'],
      ['a string', '"P0.Cp.Cd"'],
      ['a proto key', '{"__proto__":{"x":1}}'],
      ['NUL inside', '["P0.Cp.Cd\u0000"]'],
    ];
    for (const [name, vtr] of cases) {
      const { url, state } = authorizeUrl(demo, { vtr });
      const res = await inject({ method: 'GET', url });
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(303);
      const location = new URL(res.headers.location as string);
      expect(location.origin + location.pathname, name).toBe(demo.redirectUri);
      expect(location.searchParams.get('error'), name).toBe('invalid_request');
      expect(location.searchParams.get('state'), name).toBe(state);
    }
  });

  it('answers prompt=none with another prompt, and request/request_uri, with the OAuth errors', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['prompt=none login', { prompt: 'none login' }, 'invalid_request'],
      ['prompt=login none', { prompt: 'login none' }, 'invalid_request'],
      ['prompt=none consent', { prompt: 'none consent' }, 'invalid_request'],
      ['an unknown prompt', { prompt: 'evil' }, 'invalid_request'],
      ['request', { request: 'eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6IngifQ.' }, 'request_not_supported'],
      ['request_uri', { request_uri: 'https://evil.example/request.jwt' }, 'request_uri_not_supported'],
      ['an unknown response_mode', { response_mode: 'evil' }, 'unsupported_response_mode'],
    ];
    for (const [name, params, error] of cases) {
      const { url, state } = authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', ...params });
      const res = await inject({ method: 'GET', url });
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(303);
      const location = new URL(res.headers.location as string);
      expect(location.searchParams.get('error'), name).toBe(error);
      expect(location.searchParams.get('state'), name).toBe(state);
    }
  });

  it('keeps CR LF and other odd characters in state percent-encoded in the Location, with no injected header', async () => {
    for (const state of [
      '\r\nSet-Cookie:x=y',
      '%0d%0aSet-Cookie:x=y',
      'a\nLocation: https://evil.example',
      '\u202e😀\u0000',
      '"><script>alert(1)</script>',
      '#fragment&error=forged',
    ]) {
      const { url } = authorizeUrl(demo, { prompt: 'none', vtr: '["P0.Cp.Cd"]', state });
      const res = await inject({ method: 'GET', url });
      expectSafe(res, state);
      expect(res.statusCode).toBe(303);
      const location = res.headers.location as string;
      // Nothing raw: no CR, LF, NUL, space or non-ASCII in the header value.
      expect(location).toMatch(/^[\x21-\x7e]+$/);
      const back = new URL(location);
      expect(back.origin + back.pathname).toBe(demo.redirectUri);
      expect(back.searchParams.get('state')).toBe(state);
      expect(back.searchParams.get('error')).toBe('sso_login_required');
      expect(back.searchParams.getAll('error')).toHaveLength(1);
      const cookies = ([] as unknown[]).concat(res.headers['set-cookie'] ?? []).join('\n');
      expect(cookies).not.toMatch(/(^|\n)x=y/);
      expect(Object.keys(res.headers).map((h) => h.toLowerCase())).not.toContain('x');
    }
    // The same state in a raw, hand-encoded request URL.
    const params = new URLSearchParams(query({ prompt: 'none' }).split('?')[1]);
    params.delete('state');
    const res = await inject({
      method: 'GET',
      url: `/authorize?${params.toString()}&state=%0d%0aSet-Cookie:x=y`,
    });
    expectSafe(res, 'raw CR LF');
    expect(res.headers.location).toContain('state=%0D%0ASet-Cookie%3Ax%3Dy');
  });

  it('builds no URL from a hostile Host or X-Forwarded-* header', async () => {
    const headers = {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '\u0000, 1.2.3.4',
    };
    const discovery = await inject({ method: 'GET', url: '/.well-known/openid-configuration', headers });
    expectSafe(discovery, 'discovery');
    expect(discovery.body).not.toContain('evil.example');
    const start = await inject({ method: 'GET', url: query(), headers });
    expectSafe(start, 'authorize');
    expect(String(start.headers.location)).not.toContain('evil.example');
    const error = await inject({ method: 'GET', url: query({ prompt: 'none' }), headers });
    expectSafe(error, 'authorize error');
    expect(new URL(error.headers.location as string).searchParams.get('iss')).toBe(ISSUER);
    const form = await inject({ method: 'GET', url: '/sign-in', headers });
    expectSafe(form, 'sign-in');
    expect(form.body).not.toContain('evil.example');
  });

  it('survives hostile POST bodies', async () => {
    const fields = new URLSearchParams(query({ prompt: 'none' }).split('?')[1]).toString();
    const cases: [string, string | undefined, string | Buffer][] = [
      ['a form', FORM, fields],
      ['JSON', 'application/json', JSON.stringify(Object.fromEntries(new URLSearchParams(fields)))],
      ['1 MB form', FORM, `${fields}&state=${'x'.repeat(MB)}`],
      ['raw bytes', FORM, Buffer.from([0xff, 0xfe, 0x00, 0x3d, 0x26])],
      ['no content type', undefined, fields],
      ['a form with a duplicated redirect_uri', FORM, `${fields}&redirect_uri=https%3A%2F%2Fevil.example`],
    ];
    for (const [name, type, payload] of cases) {
      const res = await inject({
        method: 'POST',
        url: '/authorize',
        headers: type ? { 'content-type': type } : {},
        payload,
      });
      expectSafe(res, name);
    }
  });

  it('survives hostile resume, interaction and logout URLs', async () => {
    for (const url of [
      '/authorize/x',
      `/authorize/${'x'.repeat(10_000)}`,
      '/authorize/%00',
      '/authorize/..%2F..%2Fetc%2Fpasswd',
      '/interaction/x',
      '/interaction/%ff%fe',
      `/interaction/${'x'.repeat(10_000)}`,
      '/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example&client_id=demo-supplier',
      '/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example',
      '/logout?id_token_hint=not.a.jwt&post_logout_redirect_uri=https%3A%2F%2Fevil.example',
      '/logout?id_token_hint=%ff%fe&state=%0d%0aSet-Cookie:x=y',
      '/logout?client_id=demo-supplier&state=a%00b',
      '/logout?client_id=demo-supplier%00&ui_locales=%00',
      '/logout/confirm',
      '/logout/success',
      '//evil.example/',
      '/\\evil.example/',
      '/%2F%2Fevil.example',
      '/dev/outbox?to=%00',
      '/dev/outbox?to=%ff%fe&to=x',
      '/?%00=%00',
      '/health/ready?x=%00',
      '/trustmark/%00',
      `/trustmark/${'x'.repeat(10_000)}`,
      '/.well-known/openid-configuration?x=%ff',
      '/.well-known/jwks.json/..%2F..%2F',
    ]) {
      const res = await inject({ method: 'GET', url });
      expectSafe(res, url);
    }
    for (const [url, payload] of [
      ['/logout/confirm', 'xsrf=forged&logout=yes'],
      ['/logout/confirm', `xsrf=${'x'.repeat(MB)}`],
      ['/logout', 'post_logout_redirect_uri=https%3A%2F%2Fevil.example&client_id=demo-supplier'],
    ] as const) {
      const res = await inject({ method: 'POST', url, headers: { 'content-type': FORM }, payload });
      expectSafe(res, `POST ${url}`);
    }
  });
});

// ---------------------------------------------------------------------------
// /userinfo

describe('/userinfo', () => {
  let accessToken: string;
  let idToken: string;
  let refreshToken: string;

  beforeAll(async () => {
    const res = await exchangeCode(service.app, demo, await freshCode(demo, 'openid email client_metadata'));
    accessToken = res.body.access_token as string;
    idToken = res.body.id_token as string;
    refreshToken = res.body.refresh_token as string;
  });

  const get = (authorization: string | undefined) =>
    inject({
      method: 'GET',
      url: '/userinfo',
      headers: authorization === undefined ? {} : { authorization },
    });

  const expectInvalidToken = (res: Answer, label: string) => {
    expectSafe(res, label);
    expect(res.statusCode, label).toBe(401);
    expect(String(res.headers['www-authenticate']), label).toContain('error="invalid_token"');
  };

  it('refuses malformed Authorization headers with invalid_request', async () => {
    const cases: [string, string][] = [
      ['Basic', `Basic ${Buffer.from(`${demo.clientId}:secret`).toString('base64')}`],
      ['Digest', 'Digest username="x"'],
      ['Bearer, no token', 'Bearer'],
      ['Bearer, a space only', 'Bearer '],
      ['two spaces', `Bearer  ${'a.b.c'}`],
      ['a space inside the token', 'Bearer a.b c'],
      ['a tab', 'Bearer\ta.b.c'],
      ['two schemes', 'Bearer a.b.c, Basic eA=='],
      ['non-ASCII', 'Bearer é.é.é'],
      ['empty', ''],
    ];
    for (const [name, header] of cases) {
      const res = await get(header);
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(400);
      expect(res.json<{ error: string }>().error, name).toBe('invalid_request');
    }
  });

  it('never lets a newline in the Authorization header through', async () => {
    for (const header of [
      `Bearer ${accessToken}\n`,
      `Bearer ${accessToken}\r\nX-Evil: 1`,
      `Bearer \n${accessToken}`,
    ]) {
      // Node's HTTP parser refuses such a header before the app sees it; injected, the app must still refuse.
      const res = await get(header).catch(() => undefined);
      if (!res) continue;
      expectSafe(res, JSON.stringify(header));
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
    }
  });

  it('refuses forged, confused and re-purposed tokens with invalid_token', async () => {
    const jwks = (await inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    const publicJwk = jwks.keys[0]!;
    const kid = publicJwk.kid!;
    const publicPem = createPublicKey({ key: publicJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const { payload } = decodeJwt(accessToken);
    const resign = (claims: Record<string, unknown>, alg: string, key: Parameters<SignJWT['sign']>[0]) =>
      new SignJWT({ ...payload, ...claims }).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
    // The service's own private key (test only): proves the token must also match its stored record.
    const [ownJwk] = await loadSigningKeys(service.database.db, service.sealer);
    const ownKey = await importJWK(ownJwk!, 'RS512');
    const b64 = (v: unknown) => base64url.encode(JSON.stringify(v));
    const [h, p, s] = accessToken.split('.') as [string, string, string];

    const cases: [string, string][] = [
      [
        'HS512 keyed with the published public key',
        await resign({}, 'HS512', new TextEncoder().encode(publicPem)),
      ],
      [
        'HS256 keyed with the published JWK',
        await resign({}, 'HS256', new TextEncoder().encode(JSON.stringify(publicJwk))),
      ],
      ['alg none', `${b64({ alg: 'none', kid })}.${p}.`],
      [
        'aud changed, re-signed with another key',
        await resign({ aud: other.clientId }, 'RS512', newKeyPair().privateKey),
      ],
      ['aud changed, re-signed with the right key', await resign({ aud: other.clientId }, 'RS512', ownKey)],
      ['sub changed, re-signed with the right key', await resign({ sub: 'someone-else' }, 'RS512', ownKey)],
      ['jti unknown, right key', await resign({ jti: 'made-up' }, 'RS512', ownKey)],
      ['no jti, right key', await resign({ jti: undefined }, 'RS512', ownKey)],
      ['iss changed, right key', await resign({ iss: 'https://evil.example' }, 'RS512', ownKey)],
      ['expired, right key', await resign({ exp: Math.floor(Date.now() / 1000) - 60 }, 'RS512', ownKey)],
      [
        'kid injection',
        await new SignJWT(payload)
          .setProtectedHeader({ alg: 'RS512', kid: '../../etc/passwd' })
          .sign(newKeyPair().privateKey),
      ],
      ['header swapped for alg none', `${b64({ alg: 'none' })}.${p}.${s}`],
      ['payload tampered, signature kept', `${h}.${b64({ ...payload, scope: 'openid profile' })}.${s}`],
      ['signature stripped', `${h}.${p}.`],
      ['the ID token', idToken],
      ['the refresh token', refreshToken],
      ['100 KB of base64', 'A'.repeat(100 * 1024)],
      ['dots only', '...'],
    ];
    for (const [name, token] of cases) expectInvalidToken(await get(`Bearer ${token}`), name);
    // The real token still works.
    expect((await get(`Bearer ${accessToken}`)).statusCode).toBe(200);
  });

  it('answers hostile PATCH bodies with invalid_request (or 413/415), never a 500', async () => {
    const patch = (payload: string | Buffer, contentType = 'application/json') =>
      inject({
        method: 'PATCH',
        url: '/userinfo',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': contentType },
        payload,
      });
    const cases: [string, string | Buffer, string, number][] = [
      ['invalid JSON', '{', 'application/json', 400],
      ['a JSON array', '[{"client_user_metadata":"x"}]', 'application/json', 400],
      ['JSON null', 'null', 'application/json', 400],
      ['a JSON string', '"x"', 'application/json', 400],
      ['a number', '{"client_user_metadata":5}', 'application/json', 400],
      ['an object', '{"client_user_metadata":{"a":1}}', 'application/json', 400],
      ['an array value', '{"client_user_metadata":["x"]}', 'application/json', 400],
      ['null value', '{"client_user_metadata":null}', 'application/json', 400],
      ['true', '{"client_user_metadata":true}', 'application/json', 400],
      ['nested 10k deep', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 'application/json', 400],
      ['arrays nested 10k deep', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'application/json', 400],
      ['__proto__', '{"__proto__":{"client_user_metadata":"x"}}', 'application/json', 400],
      [
        'constructor.prototype',
        '{"constructor":{"prototype":{"client_user_metadata":"x"}}}',
        'application/json',
        400,
      ],
      ['too long', JSON.stringify({ client_user_metadata: 'x'.repeat(1025) }), 'application/json', 400],
      ['1025 emoji', JSON.stringify({ client_user_metadata: '😀'.repeat(1025) }), 'application/json', 400],
      ['1 MB', JSON.stringify({ client_user_metadata: 'x'.repeat(MB) }), 'application/json', 413],
      [
        'invalid UTF-8',
        Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
        'application/json',
        400,
      ],
      ['text/plain', 'client_user_metadata=x', 'text/plain', 400],
      ['XML', '<client_user_metadata>x</client_user_metadata>', 'application/xml', 415],
    ];
    for (const [name, payload, type, status] of cases) {
      const res = await patch(payload, type);
      expectSafe(res, name);
      expect(res.statusCode, name).toBe(status);
      expect(res.json<{ error: string }>().error, name).toBe('invalid_request');
    }
  });

  it('stores, or refuses, odd but well-formed metadata strings without a 500', async () => {
    const patch = (value: string) =>
      inject({
        method: 'PATCH',
        url: '/userinfo',
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ client_user_metadata: value }),
      });
    for (const [name, value] of [
      ['NUL', 'a\u0000b'],
      ['lone surrogate', 'a\ud800b'],
      ['RTL override', '\u202eabc'],
      ['emoji', '😀'.repeat(512)],
      ['CR LF', 'a\r\nb'],
      ['escaped unicode NUL text', '\\u0000'],
    ] as const) {
      const res = await patch(value);
      expectSafe(res, name);
      expect([204, 400], name).toContain(res.statusCode);
      const read = await get(`Bearer ${accessToken}`);
      expectSafe(read, `${name} read back`);
      expect(read.statusCode, name).toBe(200);
    }
  });
});

// ---------------------------------------------------------------------------
// Journey forms

/** Forms that anyone can reach, and the fields each takes. */
const FIRST_STEPS: [string, string[]][] = [
  ['/sign-in', ['email', 'password']],
  ['/register', ['email']],
  ['/forgotten-password', ['email']],
];

/** Every form post, with or without a journey. */
const ALL_POSTS = [
  '/sign-in',
  '/sign-in/text-code',
  '/sign-in/text-code/resend',
  '/sign-in/authenticator-app',
  '/sign-in/authenticator-app/use-text',
  '/sign-in/prove-identity',
  '/register',
  '/register/email-code',
  '/register/email-code/resend',
  '/register/password',
  '/register/phone',
  '/register/phone-code',
  '/register/phone-code/resend',
  '/forgotten-password',
  '/forgotten-password/email-code',
  '/forgotten-password/email-code/resend',
  '/forgotten-password/text-code',
  '/forgotten-password/text-code/resend',
  '/forgotten-password/authenticator-app',
  '/forgotten-password/authenticator-app/use-text',
  '/forgotten-password/new-password',
  '/account/email',
  '/account/email/code',
  '/account/email/code/resend',
  '/account/password',
  '/account/phone',
  '/account/phone/code',
  '/account/phone/code/resend',
  '/account/authenticator-app',
  '/account/authenticator-app/remove',
  '/account/delete',
  '/account/sign-out',
];

/** Journey pages beyond the first step: without a journey, the session-ended page. */
const LATER_STEPS = [
  '/register/email-code',
  '/register/password',
  '/register/phone',
  '/register/phone-code',
  '/forgotten-password/email-code',
  '/forgotten-password/text-code',
  '/forgotten-password/authenticator-app',
  '/forgotten-password/new-password',
  '/sign-in/continue',
  '/sign-in/text-code',
  '/sign-in/authenticator-app',
  '/sign-in/prove-identity',
];

const ACCOUNT_PAGES = [
  '/account',
  '/account/email',
  '/account/email/code',
  '/account/password',
  '/account/phone',
  '/account/phone/code',
  '/account/authenticator-app',
  '/account/delete',
];

/** A browser holding a CSRF cookie and the token of a page it loaded. */
async function browserOn(page: string): Promise<TestBrowser> {
  const browser = new TestBrowser(service.app);
  expect((await browser.get(page)).status).toBe(200);
  return browser;
}

function csrfOf(page: Page): string {
  return /name="_csrf" value="([^"]*)"/.exec(page.body)![1]!;
}

/** Posts a raw urlencoded body with the browser's cookies. */
async function postRaw(browser: TestBrowser, url: string, payload: string): Promise<Answer> {
  const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return inject({ method: 'POST', url, headers: { cookie, 'content-type': FORM }, payload });
}

describe('journey forms', () => {
  it('answers a path that is not valid percent-encoding with the bad-request page, and JSON at /token', async () => {
    const page = await inject({ method: 'GET', url: '/account/delegates/%ff' });
    expectSafe(page, 'bad path');
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('There is a problem with your request');
    // Answered before any hook runs, yet with the same security headers as every other page.
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const token = await inject({ method: 'POST', url: '/token/%ff' });
    expect(token.statusCode).toBe(400);
    expect(token.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('shows the session-ended page for later steps without a journey, and sends account pages to sign in', async () => {
    const browser = new TestBrowser(service.app);
    for (const url of LATER_STEPS) {
      const page = await browser.get(url);
      expectSafe(pageAnswer(page), url);
      expect(page.status, url).toBe(400);
      expect(page.body, url).toContain('Your session has ended');
    }
    for (const url of ACCOUNT_PAGES) {
      const page = await browser.get(url);
      expectSafe(pageAnswer(page), url);
      expect(page.status, url).toBe(303);
      expect(page.location, url).toBe('/sign-in');
    }
    // A forged or garbled journey cookie is no journey at all.
    for (const value of ['forged', 's:forged.sig', '%ff%fe', 'x'.repeat(4000)]) {
      const forged = await inject({
        method: 'GET',
        url: '/register/password',
        headers: { cookie: `__Host-nhsl-journey=${value}` },
      });
      expectSafe(forged, value);
      expect(forged.statusCode).toBe(400);
    }
  });

  it('answers posts to later steps without a journey with session-ended or sign-in, never a 500', async () => {
    const browser = await browserOn('/sign-in');
    const _csrf = csrfOf(await browser.get('/sign-in'));
    for (const url of ALL_POSTS) {
      if (FIRST_STEPS.some(([first]) => first === url)) continue;
      const page = await browser.post(url, { _csrf, code: '123456', email: 'a@example.com', password: 'x' });
      expectSafe(pageAnswer(page), url);
      if (url === '/account/sign-out') expect(page.body, url).toContain('You have logged out');
      else if (url.startsWith('/account')) expect(page.location, url).toBe('/sign-in');
      else expect(page.status, url).toBe(400);
    }
  });

  it('refuses a missing, forged, repeated or another browser’s CSRF token with 403', async () => {
    const mine = await browserOn('/sign-in');
    const theirs = await browserOn('/sign-in');
    const theirToken = csrfOf(await theirs.get('/register'));
    for (const url of ALL_POSTS) {
      const cases: [string, string][] = [
        ['missing', 'email=a%40example.com'],
        ['another browser’s', `_csrf=${encodeURIComponent(theirToken)}&email=a%40example.com`],
        ['forged', '_csrf=forged&email=a%40example.com'],
        ['empty', '_csrf=&email=a%40example.com'],
        ['twice', `_csrf=${encodeURIComponent(theirToken)}&_csrf=x&email=a%40example.com`],
      ];
      for (const [name, payload] of cases) {
        const res = await postRaw(mine, url, payload);
        expectSafe(res, `${url} ${name}`);
        expect(res.statusCode, `${url} ${name}`).toBe(403);
        expect(res.body, `${url} ${name}`).toContain('This form has expired');
      }
    }
    // Without any cookies at all.
    const bare = await inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': FORM },
      payload: 'email=x',
    });
    expect(bare.statusCode).toBe(403);
  });

  it('answers an oversized body with the 413 page, and odd content types without a 500', async () => {
    const browser = await browserOn('/sign-in');
    const token = encodeURIComponent(csrfOf(await browser.get('/sign-in')));
    for (const url of ALL_POSTS) {
      const res = await postRaw(browser, url, `_csrf=${token}&email=${'a'.repeat(MB)}`);
      expectSafe(res, url);
      expect(res.statusCode, url).toBe(413);
      expect(res.body, url).toContain('What you sent was too large');
    }
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const [type, payload] of [
      ['application/json', JSON.stringify({ _csrf: decodeURIComponent(token), email: 'a@example.com' })],
      ['application/json', '{'],
      ['text/plain', `_csrf=${token}`],
      ['multipart/form-data; boundary=x', '--x--'],
      [FORM, Buffer.from([0x5f, 0x63, 0x73, 0x72, 0x66, 0x3d, 0xff, 0xfe])],
      [FORM, `_csrf=${token}&email=%ff%fe&password=%`],
    ] as const) {
      const res = await inject({
        method: 'POST',
        url: '/sign-in',
        headers: { cookie, 'content-type': type },
        payload,
      });
      expectSafe(res, type);
    }
  });

  it('treats repeated fields and bracketed names as bad input, never a 500', async () => {
    for (const [url] of FIRST_STEPS) {
      const browser = await browserOn(url);
      const token = encodeURIComponent(csrfOf(await browser.get(url)));
      for (const extra of [
        'email=a%40example.com&email=b%40example.com',
        'email=p0.patient%40example.com&email=p0.patient%40example.com&password=x&password=y',
        'email[]=a%40example.com',
        'email[a]=b&email[__proto__]=c',
        '__proto__=x&constructor=y&email=a%40example.com',
        `${'e='.repeat(5000)}`,
      ]) {
        const res = await postRaw(browser, url, `_csrf=${token}&${extra}`);
        expectSafe(res, `${url} ${extra.slice(0, 40)}`);
        // What the person reads is our wording, not the validator's.
        expect(res.body, `${url} ${extra.slice(0, 40)}`).not.toMatch(
          /Invalid input|expected string|received (?:array|undefined|object)/i,
        );
        expect(res.statusCode, `${url} ${extra.slice(0, 40)}`).toBeLessThan(500);
      }
    }
  });

  describe('odd text in every field', () => {
    /** Sends `value` in `field` (other fields plausible), from a browser that loaded `page` first. */
    async function tryField(browser: TestBrowser, url: string, field: string, value: string): Promise<Page> {
      const fields: Record<string, string> = {
        email: 'someone@example.com',
        password: 'not the password',
        code: '000000',
        phone: '07700900999',
        confirm: 'x',
        currentPassword: 'x',
        [field]: value,
      };
      return browser.post(url, fields);
    }

    function expectNoRawMarkup(page: Page, value: string, label: string) {
      if (value.includes('<script>')) expect(page.body, label).not.toContain('<script>alert(1)</script>');
    }

    it.each(FIRST_STEPS)('%s survives the oddities', async (url, fields) => {
      const browser = await browserOn(url);
      for (const field of fields) {
        for (const [name, value] of ODDITIES) {
          await browser.get(url);
          const page = await tryField(browser, url, field, value);
          const label = `${url} ${field} ${name}`;
          expectSafe(pageAnswer(page), label);
          expectNoRawMarkup(page, value, label);
        }
      }
    });

    it.each(FIRST_STEPS)('%s survives 200 fixed-seed random strings per field', async (url, fields) => {
      // The password check (argon2) makes each sign-in attempt slow, so sign-in gets fewer.
      const count = url === '/sign-in' ? 60 : 200;
      const browser = await browserOn(url);
      for (const [i, field] of fields.entries()) {
        for (const value of fuzzStrings(1000 + i + url.length, count)) {
          await browser.get(url);
          const page = await tryField(browser, url, field, value);
          expectSafe(pageAnswer(page), `${url} ${field} ${JSON.stringify(value.slice(0, 60))}`);
        }
      }
    });

    it('later register and reset steps survive the oddities and random codes, passwords and phones', async () => {
      // Register, up to the email code.
      const register = await browserOn('/register');
      expect((await register.post('/register', { email: 'hostile.register@example.com' })).location).toBe(
        '/register/email-code',
      );
      // Reset, up to the email code (for an account that exists).
      const reset = await browserOn('/forgotten-password');
      expect((await reset.post('/forgotten-password', { email: P0.email })).location).toBe(
        '/forgotten-password/email-code',
      );
      const values = [...ODDITIES.map(([, v]) => v), ...fuzzStrings(7, 60)];
      for (const value of values) {
        for (const [browser, url] of [
          [register, '/register/email-code'],
          [reset, '/forgotten-password/email-code'],
        ] as const) {
          await browser.get(url);
          const page = await tryField(browser, url, 'code', value);
          expectSafe(pageAnswer(page), `${url} ${JSON.stringify(value.slice(0, 60))}`);
          expect([400, 413]).toContain(page.status);
        }
      }
      // Verify the email, then the password and phone forms.
      await register.get('/register/email-code');
      const code = await latestCode(service.database.db, 'hostile.register@example.com');
      expect((await register.post('/register/email-code', { code: code! })).location).toBe(
        '/register/password',
      );
      for (const value of [...ODDITIES.map(([, v]) => v), ...fuzzStrings(8, 25)]) {
        await register.get('/register/password');
        const page = await register.post('/register/password', { password: value, confirm: `${value}!` });
        expectSafe(pageAnswer(page), `password ${JSON.stringify(value.slice(0, 60))}`);
        expect([400, 413]).toContain(page.status);
      }
      await register.get('/register/password');
      const strong = 'marmalade lighthouse orbit';
      expect(
        (await register.post('/register/password', { password: strong, confirm: strong })).location,
      ).toBe('/register/phone');
      for (const value of [...ODDITIES.map(([, v]) => v), ...fuzzStrings(9, 100)]) {
        await register.get('/register/phone');
        const page = await register.post('/register/phone', { phone: value });
        expectSafe(pageAnswer(page), `phone ${JSON.stringify(value.slice(0, 60))}`);
      }
    });

    it('the account pages survive the oddities', async () => {
      const account = await createAccount(service.database.db, {
        email: 'hostile.account@example.com',
        password_hash: await hashPassword(TEST_PASSWORD),
        phone_number: '+447700900777',
        phone_number_verified: true,
      });
      const browser = await browserOn('/sign-in');
      expect(
        (await browser.post('/sign-in', { email: account!.email, password: TEST_PASSWORD })).location,
      ).toBe('/sign-in/text-code');
      // The text-code form with repeated fields: our wording, not the validator's.
      const token = encodeURIComponent(csrfOf(await browser.get('/sign-in/text-code')));
      const repeated = await postRaw(
        browser,
        '/sign-in/text-code',
        `_csrf=${token}&code=1&code=2&remember=yes&remember=no`,
      );
      expectSafe(repeated, 'repeated code');
      expect(repeated.statusCode).toBe(400);
      expect(repeated.body).not.toMatch(/Invalid input|expected string|received (?:array|undefined|object)/i);
      await browser.get('/sign-in/text-code');
      const code = await latestCode(service.database.db, account!.phone_number);
      expect((await browser.post('/sign-in/text-code', { code: code! })).location).toBe('/account');
      const forms: [string, string][] = [
        ['/account/email', 'email'],
        ['/account/phone', 'phone'],
        ['/account/password', 'password'],
        ['/account/password', 'currentPassword'],
        ['/account/delete', 'password'],
      ];
      for (const [url, field] of forms) {
        const values = field.toLowerCase().includes('password')
          ? ODDITIES.filter(([name]) => !name.includes('10 KB'))
              .map(([, v]) => v)
              .slice(0, 6)
          : [...ODDITIES.map(([, v]) => v), ...fuzzStrings(11 + url.length, 40)];
        for (const value of values) {
          const loaded = await browser.get(url);
          expect(loaded.status, url).toBe(200);
          const page = await tryField(browser, url, field, value);
          const label = `${url} ${field} ${JSON.stringify(value.slice(0, 60))}`;
          expectSafe(pageAnswer(page), label);
          expectNoRawMarkup(page, value, label);
          // Still signed in: never accidentally deleted or signed out by junk.
          if (page.location) expect(page.location, label).not.toBe('/sign-in');
        }
      }
      expect((await browser.get('/account')).status).toBe(200);
    });
  });
});

// ---------------------------------------------------------------------------
// Account enumeration

describe('account enumeration', () => {
  /** A page as a person sees it, with the CSRF token and the typed address taken out. */
  const visible = (body: string, email: string) =>
    body
      .replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""')
      .split(email)
      .join('EMAIL');

  async function walk(start: string, email: string) {
    const browser = await browserOn(start);
    const posted = await browser.post(start, { email });
    const next = posted.location ? await browser.get(posted.location) : undefined;
    // A wrong code on the next page must read the same too.
    const wrong = next?.status === 200 ? await browser.post(posted.location!, { code: '000000' }) : undefined;
    const resend = posted.location ? await browser.post(`${posted.location}/resend`, {}) : undefined;
    const cookieNames = ([] as unknown[])
      .concat(posted.headers['set-cookie'] ?? [])
      .map((c) => String(c).split('=')[0])
      .sort();
    return {
      status: posted.status,
      location: posted.location,
      body: visible(posted.body, email),
      cookieNames,
      next: next && { status: next.status, body: visible(next.body, email) },
      wrong: wrong && { status: wrong.status, location: wrong.location, body: visible(wrong.body, email) },
      resend: resend && { status: resend.status, location: resend.location },
    };
  }

  it.each([
    ['/register', P0.email, 'nobody.here@example.com'],
    ['/forgotten-password', P0.email, 'nobody.there@example.com'],
    ['/register', 'P0.Patient@Example.COM', 'Nobody.Else@Example.COM'],
    ['/forgotten-password', ' p0.patient@example.com ', ' nobody.at.all@example.com '],
  ])('%s looks the same for a known and an unknown email', async (start, known, unknown) => {
    const a = await walk(start, known);
    const b = await walk(start, unknown);
    expect(a.status).toBe(303);
    expect(a.next?.status).toBe(200);
    // The normalised address is what the next page shows: take that out as well.
    const normalise = (r: typeof a, email: string) => {
      const lower = email.trim().toLowerCase();
      const strip = (s: string) => s.split(lower).join('EMAIL');
      return {
        ...r,
        body: strip(r.body),
        next: r.next && { ...r.next, body: strip(r.next.body) },
        wrong: r.wrong && { ...r.wrong, body: strip(r.wrong.body) },
      };
    };
    expect(normalise(b, unknown)).toEqual(normalise(a, known));
  });

  it('sign-in says the same for a wrong password and an unknown email', async () => {
    const attempt = async (email: string) => {
      const browser = await browserOn('/sign-in');
      const page = await browser.post('/sign-in', { email, password: 'definitely wrong' });
      return { status: page.status, location: page.location, body: visible(page.body, email) };
    };
    expect(await attempt('nobody.signs.in@example.com')).toEqual(await attempt(P0.email));
  });
});
