// Property-based hostile input (fast-check), complementing the hand-written
// cases in hostile-input.test.ts: generated query strings, path parameters,
// cookies, headers (over a real socket) and bodies at every public route, as
// anyone, a patient, a supplier or staff of each role; generated form fields
// past a good CSRF token; generated client assertions, bearer tokens,
// redirect_uri tricks, authorization parameters, SCIM filters and CSRF tokens;
// generated known/unknown email pairs for account enumeration. Whatever
// arrives: never a 5xx, no internals in the body, no Location off the service
// other than a registered redirect URI, the exact OAuth errors, and no state
// change without a valid CSRF token. fast-check picks a new random seed each
// run and prints the seed and the shrunk counterexample on failure (replay
// with fc.assert(..., { seed, path })).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { CompactSign, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { BACKOFFICE_ROUTES, ROLES, type StaffRole } from '../src/backoffice/roles.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { createAccount, findAccountById } from '../src/store/accounts.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import {
  expectSafe,
  hostileBody,
  hostileString,
  queryString,
  wireComponent,
  rawRequest,
  withoutControls,
  type Answer,
} from './support/hostile.js';
import { startTestService, type TestService } from './support/service.js';
import { STAFF_PASSWORD, staffHelpers, type SignedInStaff } from './support/staff.js';
import { clientAssertion, demoSupplier, newKeyPair, type TestSupplier } from './support/supplier.js';
import { ASSERTION_TYPE, TOKEN_URL, exchangeCode, tokenRequest } from './support/token.js';
import { PROVIDER_ROUTES } from '../src/oidc/mount.js';

const ISSUER = 'http://localhost:3000';
const FORM = 'application/x-www-form-urlencoded';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const P0 = { email: 'p0.patient@example.com', phone: '+447700900000' };
const KNOWN_EMAILS = ['p0.patient@example.com', 'p5.patient@example.com', 'p9.patient@example.com'];
const EXPIRED_FORM = 'This form has expired';
const BAD_CLIENT_PAGE = 'There is a problem with the website or app you came from';

let service: TestService;
const demo = demoSupplier();
let other: TestSupplier;
/** Every redirect URI registered in this service: the only places off-site redirects may go. */
const registered = new Set<string>([demo.redirectUri]);
/** Tokens and a signed-in patient, so the properties reach past the authentication checks. */
let usersToken: string;
let accessToken: string;
let patient: { browser: TestBrowser; id: string; cookie: string };
/** A signed-in member of staff of each role, for the back office past its role checks. */
const staff = {} as Record<StaffRole, SignedInStaff>;
/** The service also listens, for requests byte for byte on a socket. */
let port: number;

const inject = (options: InjectOptions) =>
  service.app.inject(options) as unknown as Promise<Answer & { json<T>(): T }>;
const safe = (res: Answer, label: string) => expectSafe(res, label, ISSUER, registered);
const pageAnswer = (page: Page): Answer => ({
  statusCode: page.status,
  headers: page.headers,
  body: page.body,
});
const cookieOf = (browser: TestBrowser) => [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
const csrfOf = (page: Page) => /name="_csrf" value="([^"]*)"/.exec(page.body)?.[1];

// ---------------------------------------------------------------------------
// The routes. Each is checked to exist (a typo here would silently test a 404).

const JOURNEY_GETS = [
  '/',
  '/health/live',
  '/health/ready',
  '/trustmark/:host',
  '/dev/outbox',
  '/interaction/:uid',
  '/sign-in',
  '/sign-in/continue',
  '/sign-in/text-code',
  '/sign-in/authenticator-app',
  '/sign-in/prove-identity',
  '/sign-in/acting-for',
  '/register',
  '/register/email-code',
  '/register/password',
  '/register/phone',
  '/register/phone-code',
  '/forgotten-password',
  '/forgotten-password/email-code',
  '/forgotten-password/text-code',
  '/forgotten-password/authenticator-app',
  '/forgotten-password/new-password',
  '/account',
  '/account/activity',
  '/account/email',
  '/account/email/code',
  '/account/password',
  '/account/phone',
  '/account/phone/code',
  '/account/authenticator-app',
  '/account/delete',
  '/account/delegates',
  '/account/delegates/invite',
  '/account/delegates/:id',
  '/account/delegates/:id/revoke',
  '/account/delegations',
  '/account/delegations/:id/stop',
  '/prove-identity',
  '/prove-identity/details',
  '/prove-identity/done',
  '/prove-identity/gp-details',
  '/prove-identity/photo-id',
  '/prove-identity/photo-id/photo',
  '/prove-identity/photo-id/details',
  '/prove-identity/photo-id/video',
  '/prove-identity/photo-id/check',
  '/prove-identity/photo-id/outcome',
  '/claim-account',
  '/claim-account/start',
  '/claim-account/phone-code',
  '/claim-account/details',
  '/claim-account/password',
  '/claim-account/done',
  '/delegation/invitation',
  '/delegation/accept',
];

const API_GETS = ['/userinfo', '/v2/Users'];

const GET_ROUTES = [
  ...JOURNEY_GETS,
  ...PROVIDER_ROUTES,
  ...API_GETS,
  ...BACKOFFICE_ROUTES.filter((r) => r.method === 'GET').map((r) => r.url),
];

/** Journey forms: every one takes a CSRF token. */
const JOURNEY_POSTS = [
  '/sign-in',
  '/sign-in/text-code',
  '/sign-in/text-code/resend',
  '/sign-in/authenticator-app',
  '/sign-in/authenticator-app/use-text',
  '/sign-in/locked',
  '/sign-in/prove-identity',
  '/sign-in/acting-for',
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
  '/account/cancel-deletion',
  '/account/delete',
  '/account/sign-out',
  '/account/delegates/invite',
  '/account/delegates/:id',
  '/account/delegates/:id/revoke',
  '/account/delegations/:id/stop',
  '/prove-identity/details',
  '/prove-identity/done',
  '/prove-identity/gp-details',
  '/prove-identity/photo-id',
  '/prove-identity/photo-id/details',
  '/prove-identity/photo-id/check',
  '/claim-account/start',
  '/claim-account/phone-code',
  '/claim-account/phone-code/resend',
  '/claim-account/details',
  '/claim-account/password',
  '/delegation/accept',
  '/delegation/decline',
];

const BACKOFFICE_POSTS = BACKOFFICE_ROUTES.filter((r) => r.method === 'POST');
/** Back-office forms anyone may post (signing in): the CSRF check is the first thing they meet. */
const OPEN_BACKOFFICE_POSTS = BACKOFFICE_POSTS.filter((r) => r.roles === 'anyone').map((r) => r.url);
/** Every form a person's browser posts: never taken without the CSRF token of the same browser. */
const CSRF_POSTS = [...JOURNEY_POSTS, ...OPEN_BACKOFFICE_POSTS];
const STAFF_POSTS = new Set<string>(BACKOFFICE_POSTS.filter((r) => r.roles !== 'anyone').map((r) => r.url));

type Method = 'GET' | 'POST' | 'PATCH';
const BODY_ROUTES: [Method, string][] = [
  ...CSRF_POSTS.map((url): [Method, string] => ['POST', url]),
  ...[...STAFF_POSTS].map((url): [Method, string] => ['POST', url]),
  ...PROVIDER_ROUTES.map((url): [Method, string] => ['POST', url]),
  ['POST', '/provision-account'],
  ['PATCH', '/userinfo'],
];

/** `.` and `..` (also as %2e): URL normalisation removes them, so they too make another route. */
const isDotSegment = (segment: string) => /^(?:\.|%2e){1,2}$/i.test(segment);

/** Fills `:param` segments with a generated one (never empty: an empty segment is another route). */
const fill = (route: string, segment: string) =>
  // A function, not a string: `$'` and `$&` in a replacement string are patterns.
  route.replace(/:[A-Za-z]+/g, () =>
    segment === '' || isDotSegment(segment) ? 'x' : segment.replace(/[/?#]/g, (c) => encodeURIComponent(c)),
  );

/** The OAuth token endpoint errors (RFC 6749 5.2, RFC 7523). */
const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
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
    usersApi: true,
    provisioningOdsCode: 'A81001',
  });
  if (!saved.ok) throw new Error(saved.error);
  registered.add(redirectUri);
  return { clientId, redirectUri, ...keys };
}

/** A fresh authorization code for `supplier` (the P0 test person). */
async function freshCode(supplier: TestSupplier = demo, scope = 'openid email'): Promise<string> {
  const cb = await signInThroughSupplier(service, new TestBrowser(service.app), supplier, P0, {
    vtr: '["P0.Cp.Cd"]',
    scope,
  });
  return cb.code!;
}

/** What a CSRF-less post must leave alone: the patient's account, their session, and the outbox. */
async function snapshot() {
  const account = await findAccountById(service.database.db, patient.id);
  const outbox = await service.database.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  const accounts = await service.database.db
    .selectFrom('accounts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return {
    account: account && {
      email: account.email,
      phone: account.phone_number,
      password: account.password_hash,
      totp: account.totp_secret,
      locked: account.locked_at,
      erase: account.erase_after,
    },
    outbox: Number(outbox.n),
    accounts: Number(accounts.n),
  };
}

beforeAll(async () => {
  // Thousands of generated attempts from one address: the limits have their own tests.
  const many = { points: 1_000_000 };
  service = await startTestService({
    rateLimits: {
      passwordAttemptsPerIp: many,
      passwordFailuresPerAccount: many,
      codeFailuresPerSubject: many,
      codesSentPerRecipient: many,
      codesSentPerIp: many,
      usersApiQueriesPerSupplier: many,
    },
  });
  other = await register('other-supplier');

  const users = await tokenRequest(service.app, {
    grant_type: JWT_BEARER,
    assertion: await clientAssertion(other, TOKEN_URL),
  });
  expect(users.status, JSON.stringify(users.body)).toBe(200);
  usersToken = users.body.access_token as string;

  const exchanged = await exchangeCode(
    service.app,
    demo,
    await freshCode(demo, 'openid email client_metadata'),
  );
  expect(exchanged.status, JSON.stringify(exchanged.body)).toBe(200);
  accessToken = exchanged.body.access_token as string;

  const account = await createAccount(service.database.db, {
    email: 'hostile.property@example.com',
    password_hash: await hashPassword(TEST_PASSWORD),
    phone_number: '+447700900778',
    phone_number_verified: true,
  });
  const browser = new TestBrowser(service.app);
  await browser.get('/sign-in');
  expect((await browser.post('/sign-in', { email: account!.email, password: TEST_PASSWORD })).location).toBe(
    '/sign-in/text-code',
  );
  await browser.get('/sign-in/text-code');
  const code = await latestCode(service.database.db, account!.phone_number);
  expect((await browser.post('/sign-in/text-code', { code: code! })).location).toBe('/account');
  patient = { browser, id: account!.id, cookie: cookieOf(browser) };
  const { staffMember } = staffHelpers(service);
  for (const role of ROLES) staff[role] = await staffMember(role);
  await service.app.listen({ host: '127.0.0.1', port: 0 });
  port = (service.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await service?.close();
});

it('lists only routes the service has', () => {
  for (const url of GET_ROUTES) expect(service.app.hasRoute({ method: 'GET', url }), url).toBe(true);
  for (const [method, url] of BODY_ROUTES) expect(service.app.hasRoute({ method, url }), url).toBe(true);
  expect(service.app.hasRoute({ method: 'GET', url: '/no-such-route-x' })).toBe(false);
});

// ---------------------------------------------------------------------------
// Every route, anything on the wire.

/** A Cookie header: the service's own cookie names with hostile values, or junk. */
const cookieHeader = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        '__Host-nhsl-journey',
        '__Host-nhsl-session',
        '__Host-nhsl-device',
        '__Host-nhsl-staff',
        '__Host-csrf',
        '_session',
        '_interaction',
        '_interaction_resume',
        '__proto__',
      ),
      fc.oneof(wireComponent, fc.constantFrom('s:forged.sig', 's:', 'x'.repeat(5000), '"quoted"')),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; '));

/** Who the caller is: nobody, a signed-in patient (cookies), or a supplier (a bearer token). */
const caller = fc.constantFrom('anonymous', 'patient', 'users-token', 'access-token', 'junk-token');
/** Back-office callers: anyone, a patient, or staff of any role. */
const staffCaller = fc.constantFrom('anonymous', 'patient', ...ROLES.map((role) => `staff:${role}`));
/** A caller that suits the route: mostly staff for the back office. */
const callerFor = (route: string) => (route.startsWith('/backoffice') ? staffCaller : caller);

function callerHeaders(who: string, extraCookie: string | null): Record<string, string> {
  const own =
    who === 'patient'
      ? patient.cookie
      : who.startsWith('staff:')
        ? cookieOf(staff[who.slice(6) as StaffRole].browser)
        : '';
  const cookies = [own, extraCookie ?? ''].filter(Boolean).join('; ');
  const token =
    who === 'users-token'
      ? usersToken
      : who === 'access-token'
        ? accessToken
        : who === 'junk-token'
          ? 'eyJhbGciOiJub25lIn0.e30.'
          : undefined;
  return {
    ...(cookies ? { cookie: cookies } : {}),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

describe('every public route', () => {
  it('answers any query string, path segment and cookie on a GET safely', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...GET_ROUTES).chain((route) => fc.tuple(fc.constant(route), callerFor(route))),
        wireComponent,
        queryString,
        fc.option(cookieHeader),
        async ([route, who], segment, query, cookie) => {
          const url = `${fill(route, segment)}${query === '' ? '' : `?${query}`}`;
          const res = await inject({ method: 'GET', url, headers: callerHeaders(who, cookie) });
          safe(res, `GET ${url} as ${who}`);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('answers hostile path parameters at every parameterised route, for a caller allowed there', async () => {
    const routes: [Method, string][] = [
      ...GET_ROUTES.filter((url) => url.includes(':')).map((url): [Method, string] => ['GET', url]),
      ...JOURNEY_POSTS.filter((url) => url.includes(':')).map((url): [Method, string] => ['POST', url]),
      ...[...STAFF_POSTS].filter((url) => url.includes(':')).map((url): [Method, string] => ['POST', url]),
    ];
    /** Who may open it: the patient for journey pages, staff of a role the table allows for the back office. */
    const whoFor = (method: Method, url: string) => {
      if (!url.startsWith('/backoffice')) return 'patient';
      const entry = BACKOFFICE_ROUTES.find((r) => r.method === method && r.url === url);
      return !entry || entry.roles === 'anyone' ? 'anonymous' : `staff:${entry.roles[0]!}`;
    };
    const segment = fc.oneof(
      fc.constantFrom(
        '%00',
        'a%00b',
        '%00%00',
        '..',
        '%2e%2e',
        '%2F',
        '%5C',
        'x'.repeat(100),
        'x'.repeat(101),
        '%E2%80%AE',
        '%27%20OR%201%3D1',
        '00000000-0000-0000-0000-000000000000',
        '-1',
        '1e999',
        '%20',
      ),
      wireComponent,
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), segment, async ([method, route], seg) => {
        const who = whoFor(method, route);
        const url = fill(route, seg);
        const headers = callerHeaders(who, null);
        let res: Answer;
        if (method === 'GET') res = await inject({ method, url, headers });
        else {
          const browser = who === 'patient' ? patient.browser : staff[who.slice(6) as StaffRole].browser;
          const _csrf = csrfOf(await browser.get('/register'))!;
          res = await inject({
            method,
            url,
            headers: { ...headers, cookie: cookieOf(browser), 'content-type': FORM },
            payload: new URLSearchParams({ _csrf, confirm: 'yes' }).toString(),
          });
        }
        safe(res, `${method} ${url} as ${who}`);
      }),
      { numRuns: 120 },
    );
  });

  it('answers any body under any content type safely; forms without their CSRF token are refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODY_ROUTES),
        wireComponent,
        hostileBody,
        caller,
        async ([method, route], segment, body, who) => {
          const url = fill(route, segment);
          const res = await inject({
            method,
            url,
            headers: {
              ...callerHeaders(who, null),
              ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }),
            },
            payload: body.payload,
          });
          const label = `${method} ${url} as ${who}, ${body.name} ${String(body.contentType)} (${body.payload.length} bytes)`;
          safe(res, label);
          if (CSRF_POSTS.includes(route)) {
            // Refused before the handler: no token (403), or a body that is not a form at all.
            expect([400, 403, 413, 414, 415], label).toContain(res.statusCode);
            if (res.statusCode === 403) expect(res.body, label).toContain(EXPIRED_FORM);
          } else if (STAFF_POSTS.has(route)) {
            // No staff session: back to the staff sign-in, or refused before that.
            if (res.statusCode === 303) expect(res.headers.location, label).toBe('/backoffice/sign-in');
            else expect([400, 403, 413, 414, 415], label).toContain(res.statusCode);
          } else if (route === '/token') {
            expect([400, 401, 413, 414, 415], label).toContain(res.statusCode);
            expect(TOKEN_ERRORS, label).toContain(res.json<{ error: string }>().error);
          } else if (route === '/userinfo') {
            expect([400, 401, 403, 413, 414, 415], label).toContain(res.statusCode);
            expect(['invalid_request', 'invalid_token', 'insufficient_scope'], label).toContain(
              res.json<{ error: string }>().error,
            );
          }
        },
      ),
      { numRuns: 250 },
    );
  });

  it('reflects no CR/LF or other header injection from any request header, on the wire', async () => {
    // Over a real socket: a CR, LF or other control character in a header
    // value is refused by Node's HTTP parser (400) before the app sees it;
    // everything the parser lets through (quotes, commas, encoded CR LF,
    // non-ASCII bytes, very long values) reaches the app and must come back safe.
    const headerName = fc.constantFrom(
      'Cookie',
      'Authorization',
      'Accept',
      'Accept-Language',
      'User-Agent',
      'Referer',
      'Origin',
      'X-Forwarded-For',
      'X-Forwarded-Host',
      'X-Forwarded-Proto',
      'If-None-Match',
      'Range',
      'Content-Type',
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
    );
    const payload = fc.constantFrom(
      'X-Injected: 1',
      'Set-Cookie: injected=1',
      'Location: https://evil.example/',
    );
    const value = fc.oneof(
      // Raw line breaks: the parser's to refuse.
      fc
        .tuple(hostileString(3), fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\u0000'), payload)
        .map(([before, newline, header]) => `${before.replace(/[\r\n]/g, '')}${newline}${header}`),
      // What the parser lets through.
      fc
        .tuple(hostileString(6), fc.option(payload))
        .map(([text, header]) => withoutControls(`${text}${header ? `%0d%0a${header}` : ''}`, true)),
      fc.constantFrom('https://evil.example', 'null', '*', '"quoted", \'single\'', 'x'.repeat(8000)),
    );
    const route = fc.oneof(
      fc.constantFrom(...GET_ROUTES).map((url): [Method, string] => ['GET', url]),
      fc.constantFrom(...BODY_ROUTES),
    );
    await fc.assert(
      fc.asyncProperty(route, headerName, value, caller, async ([method, url], name, headerValue, who) => {
        const res = await rawRequest(port, {
          method,
          path: fill(url, 'x'),
          headers: [
            ...Object.entries(callerHeaders(who, null)),
            ...(method === 'GET' ? [] : ([['Content-Type', FORM]] as [string, string][])),
            [name, headerValue],
          ],
          ...(method === 'GET' ? {} : { body: 'email=a%40example.com' }),
        });
        const label = `${method} ${url} ${name}: ${JSON.stringify(headerValue.slice(0, 200))}`;
        safe(res, label);
        // A CR LF pair only starts another request header; a lone CR or LF, or a NUL, is refused.
        if (headerValue.includes('\0') || /\r(?!\n)|(?<!\r)\n/.test(headerValue))
          expect(res.statusCode, label).toBe(400);
        expect(Object.keys(res.headers), label).not.toContain('x-injected');
        expect(([] as unknown[]).concat(res.headers['set-cookie'] ?? []).join('\n'), label).not.toMatch(
          /(^|\n)\s*injected=/,
        );
        if (res.headers.location !== undefined)
          expect(res.headers.location as string, label).not.toContain('evil.example');
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
// Forms with a good CSRF token: past the check, into the handlers.

/** The names the service's forms use, and junk. */
const FIELD_NAMES = [
  'email',
  'password',
  'confirm',
  'currentPassword',
  'code',
  'phone',
  'mobile',
  'remember',
  'acting_for',
  'decision',
  'relationship',
  'delegateEmail',
  'givenName',
  'givenNames',
  'familyName',
  'day',
  'month',
  'year',
  'dobDay',
  'dobMonth',
  'dobYear',
  'nhsNumber',
  'postcode',
  'odsCode',
  'accountId',
  'linkageKey',
  'document',
  'licenceNumber',
  'lastFour',
  'expiryDay',
  'expiryMonth',
  'expiryYear',
  'mrz',
  'photo',
  'video',
  'frames',
  'permissions',
  'reason',
  'note',
  'next',
  'id',
  'response',
  'token',
  '__proto__',
  'constructor',
];

describe('forms with a good CSRF token', () => {
  it('take any fields, form- or JSON-encoded, without a 5xx or the validator’s wording', async () => {
    // A second signed-in patient of its own: these posts may change its account or end its session.
    const account = await createAccount(service.database.db, {
      email: 'hostile.forms@example.com',
      password_hash: await hashPassword(TEST_PASSWORD),
      phone_number: '+447700900779',
      phone_number_verified: true,
    });
    const signedIn = new TestBrowser(service.app);
    await signedIn.get('/sign-in');
    await signedIn.post('/sign-in', { email: account!.email, password: TEST_PASSWORD });
    await signedIn.get('/sign-in/text-code');
    const code = await latestCode(service.database.db, account!.phone_number);
    expect((await signedIn.post('/sign-in/text-code', { code: code! })).location).toBe('/account');

    const value = fc.oneof(
      { weight: 4, arbitrary: hostileString() },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.array(hostileString(3), { minLength: 2, maxLength: 3 }) },
      {
        weight: 1,
        arbitrary: fc.record({
          id: hostileString(4),
          rawId: hostileString(2),
          type: fc.constant('public-key'),
        }),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(
            fc.constantFrom(...CSRF_POSTS.filter((url) => url !== '/account/sign-out')),
            fc.constantFrom('fresh', 'signed in'),
          ),
          fc.tuple(
            fc.constantFrom(...[...STAFF_POSTS].filter((url) => url !== '/backoffice/sign-out')),
            fc.constantFrom(...ROLES.map((role) => `staff:${role}`)),
          ),
        ),
        fc.dictionary(
          fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FIELD_NAMES) }, hostileString(2)),
          value,
          {
            maxKeys: 6,
          },
        ),
        fc.constantFrom('form', 'json'),
        async ([route, who], fields, encoding) => {
          fc.pre(
            !JSON.stringify(fields).includes(TEST_PASSWORD) &&
              !JSON.stringify(fields).includes(STAFF_PASSWORD),
          );
          const browser =
            who === 'fresh'
              ? new TestBrowser(service.app)
              : who === 'signed in'
                ? signedIn
                : staff[who.slice(6) as StaffRole].browser;
          const loaded = await browser.get(
            route.startsWith('/backoffice') ? '/backoffice/sign-in' : '/sign-in',
          );
          const _csrf =
            csrfOf(loaded) ??
            csrfOf(await browser.get('/account/password')) ??
            csrfOf(await browser.get('/register'));
          expect(_csrf, route).toBeDefined();
          let payload: string;
          if (encoding === 'json') payload = JSON.stringify({ ...fields, _csrf });
          else {
            const params = new URLSearchParams();
            for (const [k, v] of Object.entries(fields)) {
              for (const one of Array.isArray(v) ? v : [v])
                params.append(k, typeof one === 'string' ? one : (JSON.stringify(one) ?? ''));
            }
            params.set('_csrf', _csrf!);
            payload = params.toString();
          }
          const res = await inject({
            method: 'POST',
            url: fill(route, 'x'),
            headers: {
              cookie: cookieOf(browser),
              'content-type': encoding === 'json' ? 'application/json' : FORM,
            },
            payload,
          });
          const label = `${route} as ${who}, ${encoding} ${payload.slice(0, 300)}`;
          safe(res, label);
          // Past the CSRF check (a 403 of the handler's own, such as a P0 person inviting a delegate, is fine).
          expect(res.body, label).not.toContain(EXPIRED_FORM);
          expect(res.body, label).not.toMatch(
            /Invalid input|expected string|received (?:array|undefined|object|number)/i,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------
// redirect_uri tricks.

/** A redirect_uri that is almost the registered one: never accepted, never redirected to. */
function redirectTrick(registeredUri: string): fc.Arbitrary<string> {
  const url = new URL(registeredUri);
  const hostPort = url.host;
  const path = url.pathname;
  const flipCase = fc
    .array(fc.boolean(), { minLength: registeredUri.length, maxLength: registeredUri.length })
    .map((flips) =>
      [...registeredUri]
        .map((c, i) => (flips[i] ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c))
        .join(''),
    );
  return fc
    .oneof(
      // Prefixes: another site in front, whitespace, schemes.
      fc
        .constantFrom(
          'https://evil.example/?',
          'https://evil.example/#',
          'https://evil.example/',
          ' ',
          '\t',
          '\u0000',
          'x',
          'javascript:',
          '//',
          'http://evil.example\\',
        )
        .map((p) => `${p}${registeredUri}`),
      // Suffixes: path, query, fragment, host-extending and encoded ones, or anything.
      fc
        .oneof(
          fc.constantFrom(
            '/',
            '/x',
            '/.',
            '/..',
            '/../callback',
            '%2F..',
            '%2e%2e%2f',
            '.',
            ';',
            ';x',
            '#',
            '#x',
            '?',
            '?x=1',
            '%23',
            '%3F',
            '%00',
            ' ',
            '\t',
            '\r\n',
            '@evil.example',
            '.evil.example',
            '\\',
          ),
          hostileString(3).filter((s) => s !== ''),
        )
        .map((s) => `${registeredUri}${s}`),
      // Case changes anywhere.
      flipCase,
      // Userinfo, and userinfo that moves the host.
      fc.constantFrom(
        `${url.protocol}//user@${hostPort}${path}`,
        `${url.protocol}//user:pass@${hostPort}${path}`,
        `${url.protocol}//${hostPort}@evil.example${path}`,
        `${url.protocol}//${hostPort}%40evil.example${path}`,
        `${url.protocol}//evil.example@${hostPort}${path}`,
        `${url.protocol}//${hostPort}\\@evil.example${path}`,
        `${url.protocol}//${hostPort}#@evil.example${path}`,
      ),
      // Encoded dots and slashes, dot segments, host spellings.
      fc.constantFrom(
        `${url.protocol}//${hostPort}/.${path}`,
        `${url.protocol}//${hostPort}/%2e${path}`,
        `${url.protocol}//${hostPort}/x/..${path}`,
        `${url.protocol}//${hostPort}/x/%2e%2e${path}`,
        `${url.protocol}//${hostPort}/x/%2E%2E${path}`,
        `${url.protocol}//${hostPort}${path.replace(/\//g, '%2F')}`,
        `${url.protocol}//${hostPort}/${path.slice(1).replace(/./, (c) => `%${c.charCodeAt(0).toString(16)}`)}`,
        `${url.protocol}//${url.hostname}.:${url.port || '80'}${path}`,
        `${url.protocol}//${url.hostname}%2e:${url.port || '80'}${path}`,
        `${url.protocol}//127.0.0.1${url.port ? `:${url.port}` : ''}${path}`,
        `${url.protocol}//[::1]${url.port ? `:${url.port}` : ''}${path}`,
        `${url.protocol}//${url.hostname}${path}`,
        `${url.protocol === 'http:' ? 'https:' : 'http:'}//${hostPort}${path}`,
        `${url.protocol}/${hostPort}${path}`,
        `${url.protocol}${hostPort}${path}`,
      ),
    )
    .filter((uri) => uri !== registeredUri && !registered.has(uri));
}

describe('redirect_uri tricks', () => {
  it('at /authorize: the error page, never a redirect', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(demo, other),
        fc.constantFrom(demo, other).chain((owner) => redirectTrick(owner.redirectUri)),
        async (client, uri) => {
          const query = new URLSearchParams({
            response_type: 'code',
            client_id: client.clientId,
            redirect_uri: uri,
            scope: 'openid',
            state: 'state',
            nonce: 'nonce',
            vtr: '["P0.Cp.Cd"]',
          });
          const res = await inject({ method: 'GET', url: `/authorize?${query.toString()}` });
          const label = `${client.clientId} ${JSON.stringify(uri)}`;
          safe(res, label);
          expect(res.statusCode, label).toBe(400);
          expect(res.headers.location, label).toBeUndefined();
          expect(res.body, label).toContain(BAD_CLIENT_PAGE);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an otherwise good request with one hostile parameter: sign-in, the error page, or an OAuth error back', async () => {
    // The errors an authorization request may come back with (RFC 6749 4.1.2.1, OIDC Core 3.1.2.6, NHS login's own).
    const errors = [
      'invalid_request',
      'unauthorized_client',
      'access_denied',
      'unsupported_response_type',
      'unsupported_response_mode',
      'invalid_scope',
      'login_required',
      'consent_required',
      'interaction_required',
      'sso_login_required',
      'request_not_supported',
      'request_uri_not_supported',
      'registration_not_supported',
      'invalid_request_object',
      'invalid_target',
    ];
    const param = fc.constantFrom(
      'state',
      'nonce',
      'scope',
      'vtr',
      'prompt',
      'login_hint',
      'id_token_hint',
      'max_age',
      'ui_locales',
      'claims',
      'acr_values',
      'response_mode',
      'response_type',
      'code_challenge',
      'code_challenge_method',
      'allow_registration',
      'asserted_login_identity',
      'resource',
      'display',
    );
    const hostile = fc.oneof(
      { weight: 3, arbitrary: hostileString(8) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? '') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('none', 'login', 'none login', '-1', '1e309', 'openid', '["P9.Cp.Cd"]'),
      },
    );
    await fc.assert(
      fc.asyncProperty(param, hostile, async (name, value) => {
        const query = new URLSearchParams({
          response_type: 'code',
          client_id: demo.clientId,
          redirect_uri: demo.redirectUri,
          scope: 'openid email',
          state: 'the-state',
          nonce: 'the-nonce',
          vtr: '["P0.Cp.Cd"]',
        });
        query.set(name, value);
        // What the service reads after the round trip (lone surrogates become U+FFFD).
        const sent = new URLSearchParams(query.toString());
        const page = await new TestBrowser(service.app).follow(`/authorize?${query.toString()}`);
        const label = `${name}=${JSON.stringify(value)} → ${page.url} ${page.status}`;
        safe(pageAnswer(page), label);
        if (page.url.startsWith(demo.redirectUri)) {
          const back = new URL(page.url);
          expect(back.origin + back.pathname, label).toBe(demo.redirectUri);
          expect(errors, label).toContain(back.searchParams.get('error'));
          // An empty state is no state (and then missing, which is its own invalid_request).
          expect(back.searchParams.get('state') ?? '', label).toBe(sent.get('state'));
          expect(back.searchParams.get('code'), label).toBeNull();
        } else {
          expect(page.url.startsWith('/') || page.url.startsWith(ISSUER), label).toBe(true);
          expect([200, 400], label).toContain(page.status);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('at /token: invalid_grant, the code still unspent, then spent for good', async () => {
    const code = await freshCode();
    await fc.assert(
      fc.asyncProperty(redirectTrick(demo.redirectUri), async (uri) => {
        const res = await exchangeCode(service.app, demo, code, { redirect_uri: uri });
        const label = JSON.stringify(uri);
        expect(res.status, label).toBe(400);
        expect(res.body.error, label).toBe('invalid_grant');
        expect(res.body.access_token, label).toBeUndefined();
      }),
      { numRuns: 60 },
    );
    // None of the tricks spent it: the exact URI still redeems it, once.
    const good = await exchangeCode(service.app, demo, code);
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    const userinfo = (token: string) =>
      inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${token}` } });
    expect((await userinfo(good.body.access_token as string)).statusCode).toBe(200);

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(demo, other),
        fc.oneof(fc.constant(demo.redirectUri), redirectTrick(demo.redirectUri)),
        async (client, uri) => {
          const res = await exchangeCode(service.app, client, code, { redirect_uri: uri });
          const label = `${client.clientId} ${JSON.stringify(uri)}`;
          expect(res.status, label).toBe(400);
          expect(res.body.error, label).toBe('invalid_grant');
          expect(res.body.access_token, label).toBeUndefined();
        },
      ),
      { numRuns: 15 },
    );
    // Reusing a code revokes what it was exchanged for (RFC 6749 4.1.2). The engine
    // only counts it a reuse when the right client sends the right URI, which the
    // random cases above never pick in about 1 run in 75: so once more, exactly.
    const reused = await exchangeCode(service.app, demo, code);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');
    const after = await userinfo(good.body.access_token as string);
    expect(after.statusCode).toBe(401);
    expect(String(after.headers['www-authenticate'])).toContain('invalid_token');
  });
});

// ---------------------------------------------------------------------------
// Client assertions.

describe('client assertions at /token', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => base64url.encode(JSON.stringify(v));
  let unique = 0;
  const stranger = newKeyPair().privateKey;

  /** The made-up code turns an accepted assertion into invalid_grant, a refused one into invalid_client. */
  const present = (assertion: string, extra: Record<string, string> = {}) =>
    tokenRequest(service.app, {
      grant_type: 'authorization_code',
      code: 'made-up-code',
      redirect_uri: demo.redirectUri,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      ...extra,
    });

  type Fault =
    | { kind: 'alg none' }
    | { kind: 'hmac with the public key'; alg: string }
    | { kind: 'another alg'; alg: string }
    | { kind: 'wrong key' }
    | { kind: 'aud'; aud: unknown }
    | { kind: 'future iat'; ahead: number }
    | { kind: 'huge exp'; exp: unknown }
    | { kind: 'past exp'; ago: number }
    | { kind: "another client's id"; iss: boolean; sub: boolean };

  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.constant({ kind: 'alg none' as const }),
    fc
      .constantFrom('HS256', 'HS384', 'HS512')
      .map((alg) => ({ kind: 'hmac with the public key' as const, alg })),
    fc.constantFrom('RS256', 'RS384', 'PS256', 'PS512').map((alg) => ({ kind: 'another alg' as const, alg })),
    fc.constant({ kind: 'wrong key' as const }),
    fc
      .oneof(
        fc.constantFrom(
          ISSUER,
          `${ISSUER}/`,
          `${TOKEN_URL}/`,
          `${ISSUER}/TOKEN`,
          'https://localhost:3000/token',
          'http://localhost:3001/token',
          `${ISSUER}/userinfo`,
          `${ISSUER}/authorize`,
          'https://auth.login.nhs.uk/token',
          TOKEN_URL.toUpperCase(),
        ),
        fc.constantFrom(42, null, true, {}, [], [ISSUER], ['https://evil.example/token']),
        hostileString(4),
      )
      .map((aud) => ({ kind: 'aud' as const, aud })),
    fc.integer({ min: 120, max: 10 ** 9 }).map((ahead) => ({ kind: 'future iat' as const, ahead })),
    fc
      .oneof(
        fc.integer({ min: 2 * 24 * 3600, max: 2 ** 40 }).map((s) => now() + s),
        fc.constantFrom(1e15, Number.MAX_SAFE_INTEGER, 1e300, -1, 0, '9999999999', null, [1], 1e308 * 10),
      )
      .map((exp) => ({ kind: 'huge exp' as const, exp })),
    fc.integer({ min: 60, max: 10 ** 9 }).map((ago) => ({ kind: 'past exp' as const, ago })),
    fc
      .record({ iss: fc.boolean(), sub: fc.boolean() })
      .filter((f) => f.iss || f.sub)
      .map((f) => ({ kind: "another client's id" as const, ...f })),
  );

  async function build(faults: Fault[]): Promise<string> {
    const claims: Record<string, unknown> = {
      iss: demo.clientId,
      sub: demo.clientId,
      aud: TOKEN_URL,
      jti: `${(unique += 1)}-${randomBytes(8).toString('hex')}`,
      iat: now(),
      exp: now() + 60,
    };
    let alg = 'RS512';
    let key: Parameters<CompactSign['sign']>[0] = demo.privateKey;
    let unsigned = false;
    let hmac: string | undefined;
    for (const f of faults) {
      if (f.kind === 'alg none') unsigned = true;
      else if (f.kind === 'hmac with the public key') hmac = f.alg;
      else if (f.kind === 'another alg') alg = f.alg;
      else if (f.kind === 'wrong key') key = stranger;
      else if (f.kind === 'aud') claims.aud = f.aud;
      else if (f.kind === 'future iat') claims.iat = now() + f.ahead;
      else if (f.kind === 'huge exp') claims.exp = f.exp;
      else if (f.kind === 'past exp') claims.exp = now() - f.ago;
      else {
        if (f.iss) claims.iss = other.clientId;
        if (f.sub) claims.sub = other.clientId;
      }
    }
    // HMAC keyed with the published public key (the classic alg confusion) overrides the key and alg.
    if (hmac) {
      alg = hmac;
      key = new TextEncoder().encode(demo.publicKeyPem);
    }
    if (unsigned) return `${b64({ alg: 'none' })}.${b64(claims)}.`;
    // Signed by hand (CompactSign): SignJWT would refuse some of these claims.
    return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg })
      .sign(key);
  }

  it('refuses every assertion with at least one fault: 401 invalid_client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fault, { minLength: 1, maxLength: 3 }), async (faults) => {
        const res = await present(await build(faults));
        const label = JSON.stringify(faults);
        expect(res.status, label).toBe(401);
        expect(res.body.error, label).toBe('invalid_client');
      }),
      { numRuns: 120 },
    );
  });

  it('takes a good assertion once: the same jti again is invalid_client', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileString(6).filter((s) => s.length > 0),
        fc.integer({ min: 1, max: 3 }),
        async (jti, replays) => {
          const assertion = await clientAssertion(demo, TOKEN_URL, { jti: `${(unique += 1)}-${jti}` });
          const first = await present(assertion);
          const label = JSON.stringify(jti);
          expect(first.status, label).toBeLessThan(500);
          expect(first.body.error, label).toBe('invalid_grant');
          for (let i = 0; i < replays; i++) {
            const again = await present(assertion);
            expect(again.status, label).toBe(401);
            expect(again.body.error, label).toBe('invalid_client');
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it("refuses one client's good assertion presented with another client_id (mix-up)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom([other, demo], [demo, other]),
        fc.constantFrom('body', 'assertion iss'),
        async ([signer, claimed], how) => {
          const assertion =
            how === 'body'
              ? await clientAssertion(signer, TOKEN_URL)
              : await clientAssertion(signer, TOKEN_URL, { iss: claimed.clientId });
          const res = await present(assertion, how === 'body' ? { client_id: claimed.clientId } : {});
          const label = `${signer.clientId} as ${claimed.clientId} via ${how}`;
          expect(res.status, label).toBeLessThan(500);
          expect(res.body.access_token, label).toBeUndefined();
          expect(res.body.error, label).toBe(how === 'body' ? 'invalid_request' : 'invalid_client');
        },
      ),
      { numRuns: 12 },
    );
  });
});

// ---------------------------------------------------------------------------
// Bearer tokens.

describe('bearer tokens', () => {
  const b64 = (v: unknown) => base64url.encode(typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null'));
  /** JWT-shaped forgeries: any header (alg none, HMAC, odd kids), the real token's claims changed, any signature. */
  const forged = fc
    .tuple(
      fc.record({
        alg: fc.constantFrom('none', 'RS512', 'RS256', 'HS256', 'HS512', 'ES256', 'NONE'),
        kid: fc.oneof(hostileString(3), fc.constant(undefined)),
        typ: fc.constantFrom('JWT', 'at+jwt', undefined),
      }),
      fc.oneof(
        fc.dictionary(
          fc.constantFrom('sub', 'aud', 'scope', 'client_id', 'exp', 'jti', 'iss', 'iat'),
          fc.oneof(hostileString(3), fc.integer(), fc.jsonValue({ maxDepth: 2 })),
        ),
        fc.jsonValue({ maxDepth: 3 }),
      ),
      fc.oneof(
        fc.constant(''),
        fc.uint8Array({ maxLength: 300 }).map((b) => base64url.encode(b)),
      ),
      fc.boolean(),
    )
    .map(([header, claims, signature, mixReal]) => {
      const realClaims = JSON.parse(
        Buffer.from(accessToken.split('.')[1]!, 'base64url').toString(),
      ) as object;
      const payload = mixReal && claims && typeof claims === 'object' ? { ...realClaims, ...claims } : claims;
      return `${b64(header)}.${b64(payload)}.${signature}`;
    });
  /** Token syntax (RFC 6750 b64token) but not a JWT at all. */
  const junk = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,200}=*$/);

  it('refuses any forged or junk bearer token with the exact error of each API', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(forged, junk),
        fc.constantFrom('GET /userinfo', 'PATCH /userinfo', 'GET /v2/Users', 'POST /provision-account'),
        async (token, endpoint) => {
          const [method, url] = endpoint.split(' ') as ['GET' | 'PATCH' | 'POST', string];
          const res = await inject({
            method,
            url: url === '/v2/Users' ? '/v2/Users?filter=email%20eq%20%22p0.patient%40example.com%22' : url,
            headers: {
              authorization: `Bearer ${token}`,
              ...(method === 'GET' ? {} : { 'content-type': 'application/json' }),
            },
            ...(method === 'GET' ? {} : { payload: JSON.stringify({ client_user_metadata: 'x' }) }),
          });
          const label = `${endpoint} ${token.slice(0, 200)}`;
          safe(res, label);
          expect(res.statusCode, label).toBe(401);
          expect(String(res.headers['www-authenticate']), label).toContain('error="invalid_token"');
          const body = res.json<Record<string, unknown>>();
          if (url === '/userinfo') expect(body.error, label).toBe('invalid_token');
          else if (url === '/provision-account') expect(body.code, label).toBe('invalid_token');
          else expect(body.status, label).toBe('401');
        },
      ),
      { numRuns: 120 },
    );
  });
});

// ---------------------------------------------------------------------------
// The Users API's SCIM filter.

describe('/v2/Users filters', () => {
  it('answers any filter, grammatical or not, with results or SCIM invalidFilter', async () => {
    const token = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom('nhsNumber', 'NHSNUMBER', 'email', 'emails.value', 'userName', 'id', 'x'),
      },
      { weight: 4, arbitrary: fc.constantFrom('eq', 'EQ', 'ne', 'co', 'sw', 'pr', 'gt') },
      { weight: 2, arbitrary: fc.constantFrom('and', 'or', 'not', '(', ')', '[', ']', ' ', '  ') },
      {
        weight: 4,
        arbitrary: fc.oneof(
          fc.constantFrom(
            '"9990000026"',
            '"p0.patient@example.com"',
            '""',
            '"',
            '\\"',
            "'x'",
            'null',
            'true',
            '1',
          ),
          hostileString(3).map((v) => `"${v}"`),
          hostileString(3),
        ),
      },
    );
    const filter = fc.array(token, { maxLength: 16 }).map((parts) => parts.join(' '));
    await fc.assert(
      fc.asyncProperty(fc.oneof(filter, fc.array(filter, { minLength: 2, maxLength: 3 })), async (value) => {
        const query = new URLSearchParams();
        for (const one of ([] as string[]).concat(value)) query.append('filter', one);
        const res = await inject({
          method: 'GET',
          url: `/v2/Users?${query.toString()}`,
          headers: { authorization: `Bearer ${usersToken}` },
        });
        const label = JSON.stringify(value);
        safe(res, label);
        expect([200, 400], label).toContain(res.statusCode);
        if (res.statusCode === 400) {
          const body = res.json<{ status?: string; scimType?: string }>();
          expect(body.status, label).toBe('400');
          expect(body.scimType, label).toBe('invalidFilter');
        }
      }),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
// CSRF.

describe('CSRF', () => {
  it('refuses a missing, wrong or tampered token with 403 and changes nothing', async () => {
    const theirs = new TestBrowser(service.app);
    const theirToken = csrfOf(await theirs.get('/register'))!;
    const token = fc.oneof(
      fc.constant({ kind: 'missing' as const }),
      fc.constant({ kind: "another browser's" as const }),
      hostileString().map((value) => ({ kind: 'made up' as const, value })),
      fc
        .tuple(fc.nat(), fc.constantFrom('flip', 'truncate', 'append', 'upper', 'twice'))
        .map(([at, how]) => ({ kind: 'tampered' as const, at, how })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CSRF_POSTS),
        token,
        fc.dictionary(
          fc.constantFrom(
            'email',
            'password',
            'newPassword',
            'confirm',
            'code',
            'phone',
            'acting_for',
            'currentPassword',
          ),
          hostileString(4),
        ),
        async (route, t, fields) => {
          const before = await snapshot();
          const mine =
            csrfOf(await patient.browser.get('/account/password')) ??
            csrfOf(await patient.browser.get('/sign-in'))!;
          const body = new URLSearchParams({
            email: 'taken.over@example.com',
            phone: '07700900123',
            password: TEST_PASSWORD,
            currentPassword: TEST_PASSWORD,
            newPassword: 'an entirely new passphrase',
            confirm: 'yes',
            ...fields,
          });
          if (t.kind === "another browser's") body.set('_csrf', theirToken);
          else if (t.kind === 'made up') body.set('_csrf', t.value);
          else if (t.kind === 'tampered') {
            const i = t.at % mine.length;
            const swapped = mine[i] === 'A' ? 'B' : 'A';
            const value =
              t.how === 'flip'
                ? `${mine.slice(0, i)}${swapped}${mine.slice(i + 1)}`
                : t.how === 'truncate'
                  ? mine.slice(0, i)
                  : t.how === 'append'
                    ? `${mine}${swapped}`
                    : t.how === 'upper'
                      ? mine.toUpperCase()
                      : undefined;
            if (value === undefined) {
              body.append('_csrf', mine);
              body.append('_csrf', mine);
            } else {
              fc.pre(value !== mine);
              body.set('_csrf', value);
            }
          }
          const res = await inject({
            method: 'POST',
            url: fill(route, 'x'),
            headers: { cookie: cookieOf(patient.browser), 'content-type': FORM },
            payload: body.toString(),
          });
          const label = `${route} ${JSON.stringify(t)}`;
          safe(res, label);
          expect(res.statusCode, label).toBe(403);
          expect(res.body, label).toContain(EXPIRED_FORM);
          expect(await snapshot(), label).toEqual(before);
        },
      ),
      { numRuns: 80 },
    );
    // Still signed in, as before.
    expect((await patient.browser.get('/account')).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------
// Account enumeration.

describe('account enumeration', () => {
  /** A known email and an unknown one of the same shape, written the same way (case, spaces). */
  const pair = fc
    .tuple(
      fc.constantFrom(...KNOWN_EMAILS),
      fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/),
      fc.constantFrom('as typed', 'upper', 'spaces', 'capitalised'),
    )
    .map(([known, local, style]) => {
      const unknown = `nobody.${local}@example.com`;
      const write = (email: string) =>
        style === 'upper'
          ? email.toUpperCase()
          : style === 'spaces'
            ? `  ${email} `
            : style === 'capitalised'
              ? email.charAt(0).toUpperCase() + email.slice(1)
              : email;
      return { known: write(known), unknown: write(unknown), style };
    });

  /** The page as a person sees it, with per-request values and the typed address masked. */
  function visible(page: Page | undefined, email: string) {
    if (!page) return undefined;
    const forms = [email, email.trim(), email.trim().toLowerCase()].map((e) =>
      e.replace(/&/g, '&amp;').replace(/"/g, '&quot;'),
    );
    let body = page.body.replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""');
    for (const e of forms.filter(Boolean).sort((a, b) => b.length - a.length))
      body = body.split(e).join('EMAIL');
    const cookies = ([] as unknown[])
      .concat(page.headers['set-cookie'] ?? [])
      .map((c) => String(c).split('=')[0])
      .sort();
    return { status: page.status, location: page.location, body, cookies };
  }

  async function start(url: string, fields: Record<string, string>, email: string) {
    const browser = new TestBrowser(service.app);
    expect((await browser.get(url)).status).toBe(200);
    const posted = await browser.post(url, fields);
    const next = posted.location ? await browser.get(posted.location) : undefined;
    safe(pageAnswer(posted), `${url} ${email}`);
    return { posted: visible(posted, email), next: visible(next, email) };
  }

  it.each(['/register', '/forgotten-password'])(
    '%s reads the same for a known and an unknown email',
    async (url) => {
      await fc.assert(
        fc.asyncProperty(pair, async ({ known, unknown }) => {
          const a = await start(url, { email: known }, known);
          const b = await start(url, { email: unknown }, unknown);
          expect(a.posted?.status).toBe(303);
          expect(b, `${known} / ${unknown}`).toEqual(a);
        }),
        { numRuns: 8 },
      );
    },
  );

  it('/sign-in reads the same for a wrong password and an unknown email', async () => {
    await fc.assert(
      fc.asyncProperty(
        pair,
        hostileString(4).filter((p) => p !== TEST_PASSWORD),
        async ({ known, unknown }, password) => {
          const a = await start('/sign-in', { email: known, password }, known);
          const b = await start('/sign-in', { email: unknown, password }, unknown);
          expect(b, `${known} / ${unknown} ${JSON.stringify(password)}`).toEqual(a);
        },
      ),
      { numRuns: 6 },
    );
  });
});
