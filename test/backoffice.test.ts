// The back office, first slice: staff set up from invitation links, sign in
// with a password and an authenticator app, sessions that end, and every
// back-office route tried as every role, as a patient and anonymously.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileEvidenceStore } from '../src/adapters/document-check/evidence-store.js';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { BACKOFFICE_ROUTES, ROLES, type StaffRole } from '../src/backoffice/roles.js';
import {
  passkeyRegistrationOptions,
  passkeySignInOptions,
  verifyPasskeyRegistration,
  verifyPasskeySignIn,
} from '../src/backoffice/passkeys.js';
import { findStaffById, inviteStaff } from '../src/backoffice/staff.js';
import type { CliContext } from '../src/cli/context.js';
import { runCommand } from '../src/cli/run.js';
import { DEMO_CLIENT_ID, TEST_PASSWORD } from '../src/cli/seed.js';
import { createAccount, findAccountByEmail } from '../src/store/accounts.js';
import { createPracticeDelegation } from '../src/store/delegations.js';
import { TestBrowser, type Page } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';
import { SETUP_LINK as LINK, STAFF_PASSWORD, expectRedirect, staffHelpers } from './support/staff.js';

let service: TestService;
let ctx: CliContext & { lines: string[] };
const db = () => service.database.db;

let setUp: Helpers['setUp'];
let freshCode: Helpers['freshCode'];
let signIn: Helpers['signIn'];
let staffMember: Helpers['staffMember'];
type Helpers = ReturnType<typeof staffHelpers>;

beforeAll(async () => {
  service = await startTestService();
  ({ setUp, freshCode, signIn, staffMember } = staffHelpers(service));
  const lines: string[] = [];
  ctx = {
    db: service.database.db,
    sealer: service.sealer,
    audit: service.audit,
    out: (l) => void lines.push(l),
    err: (l) => void lines.push(l),
    issuer: 'http://localhost:3000',
    operator: 'test',
    lines,
  };
});
afterAll(async () => {
  await service?.close();
});

async function createOperator(email: string): Promise<string> {
  ctx.lines.length = 0;
  expect(
    await runCommand(ctx, ['staff', 'create-operator', '--email', email, '--name', 'Olive Operator']),
  ).toBe(0);
  const link = LINK.exec(ctx.lines.join('\n'))?.[0];
  expect(link).toBeDefined();
  return link!;
}

describe('invitations and signing in', () => {
  it('a CLI-made operator sets up, signs in and invites a support user, who sets up and signs in', async () => {
    const link = await createOperator('olive@staff.example.com');
    const operator = new TestBrowser(service.app);
    const key = await setUp(operator, link);
    await signIn(operator, 'olive@staff.example.com', key);
    const home = await operator.get('/backoffice');
    expect(home.status).toBe(200);
    expect(home.body).toContain('href="/backoffice/staff/invite"');

    expect((await operator.get('/backoffice/staff/invite')).status).toBe(200);
    expectRedirect(
      await operator.post('/backoffice/staff/invite', {
        name: 'Sam Support',
        email: 'sam@staff.example.com',
        odsCode: 'x26',
        role: 'support',
      }),
      '/backoffice/staff',
    );
    const mail = await db()
      .selectFrom('outbox')
      .select('body')
      .where('recipient', '=', 'sam@staff.example.com')
      .executeTakeFirstOrThrow();
    const samLink = LINK.exec(mail.body)?.[0];
    expect(samLink).toBeDefined();
    const staffPage = await operator.get('/backoffice/staff');
    expect(staffPage.body).toContain('sam@staff.example.com');

    const sam = new TestBrowser(service.app);
    const samKey = await setUp(sam, samLink!);
    await signIn(sam, 'sam@staff.example.com', samKey);
    const samHome = await sam.get('/backoffice');
    expect(samHome.status).toBe(200);
    expect(samHome.body).toContain('Support');
    expect(samHome.body).not.toContain('href="/backoffice/staff"');
    expect((await sam.get('/backoffice/staff')).status).toBe(403);

    const events = await db().selectFrom('audit_events').select('code').execute();
    const codes = events.map((e) => e.code);
    for (const c of ['B-STAFF-INVITED', 'B-STAFF-SET-UP', 'B-STAFF-SIGNED-IN']) expect(codes).toContain(c);

    ctx.lines.length = 0;
    expect(await runCommand(ctx, ['staff', 'list'])).toBe(0);
    expect(ctx.lines.join('\n')).toMatch(/sam@staff\.example\.com\s+Sam Support\s+X26\s+Support\s+active/);
  });

  it('an invitation link works once, and not after 72 hours', async () => {
    const link = await createOperator('once@staff.example.com');
    await setUp(new TestBrowser(service.app), link);
    const again = new TestBrowser(service.app);
    expect((await again.get(link)).status).toBe(410);
    await again.get('/backoffice/sign-in'); // a form, for the CSRF token
    expect(
      (await again.post(link, { password: STAFF_PASSWORD, confirm: STAFF_PASSWORD, code: '123456' })).status,
    ).toBe(410);

    const late = await createOperator('late@staff.example.com');
    const browser = new TestBrowser(service.app);
    expect((await browser.get(late)).status).toBe(200);
    await sql`update staff_invitations set expires_at = now() - interval '1 minute' where used_at is null`.execute(
      db(),
    );
    expect((await browser.get(late)).status).toBe(410);
    expect((await new TestBrowser(service.app).get('/backoffice/setup/not-a-token')).status).toBe(410);
  });

  it('limits wrong passwords and wrong app codes', async () => {
    const { email, key } = await staffMember('auditor');
    const browser = new TestBrowser(service.app);
    await browser.get('/backoffice/sign-in');
    const wrongPassword = await browser.post('/backoffice/sign-in', {
      email,
      password: 'wrong',
      code: '000000',
    });
    expect(wrongPassword.status).toBe(400);
    expect(wrongPassword.body).toContain('The email address, password or security code is not correct');
    let last: Page | undefined;
    for (let i = 0; i < 4; i++) {
      // Right password, wrong code: counts the same.
      last = await browser.post('/backoffice/sign-in', { email, password: STAFF_PASSWORD, code: '000000' });
    }
    expect(last?.status).toBe(429);
    const code = await freshCode(email, key);
    expect(
      (await browser.post('/backoffice/sign-in', { email, password: STAFF_PASSWORD, code })).status,
    ).toBe(429);
    const failed = await db()
      .selectFrom('audit_events')
      .select('id')
      .where('code', '=', 'B-STAFF-SIGN-IN-FAILED')
      .execute();
    expect(failed.length).toBeGreaterThanOrEqual(5);
  });
});

describe('sessions', () => {
  it('end after 15 minutes idle', async () => {
    const { browser, id } = await staffMember('support');
    expect((await browser.get('/backoffice')).status).toBe(200);
    await sql`update staff_sessions set last_seen_at = now() - interval '16 minutes' where staff_id = ${id}`.execute(
      db(),
    );
    expectRedirect(await browser.get('/backoffice'), '/backoffice/sign-in');
  });

  it('end 8 hours after signing in, however active', async () => {
    const { browser, id } = await staffMember('support');
    await sql`update staff_sessions set created_at = now() - interval '8 hours 1 minute' where staff_id = ${id}`.execute(
      db(),
    );
    expectRedirect(await browser.get('/backoffice'), '/backoffice/sign-in');
  });

  it('ask for the password and app code again before a sensitive action', async () => {
    const { browser, email, key, id } = await staffMember('operator', 'X26');
    await sql`update staff_sessions set authenticated_at = now() - interval '6 minutes' where staff_id = ${id}`.execute(
      db(),
    );
    expectRedirect(
      await browser.get('/backoffice/staff/invite'),
      '/backoffice/reauthenticate?next=%2Fbackoffice%2Fstaff%2Finvite',
    );
    expect((await browser.get('/backoffice/reauthenticate?next=%2Fbackoffice%2Fstaff%2Finvite')).status).toBe(
      200,
    );
    const code = await freshCode(email, key);
    expectRedirect(
      await browser.post('/backoffice/reauthenticate', {
        password: STAFF_PASSWORD,
        code,
        next: '/backoffice/staff/invite',
      }),
      '/backoffice/staff/invite',
    );
    expect((await browser.get('/backoffice/staff/invite')).status).toBe(200);
  });
});

describe('roles', () => {
  it('no one changes their own role; an operator changes another’s, which ends their sessions', async () => {
    const operator = await staffMember('operator', 'X26');
    const other = await staffMember('auditor');
    expect((await operator.browser.get(`/backoffice/staff/${operator.id}/role`)).status).toBe(403);
    await operator.browser.get('/backoffice');
    expect(
      (await operator.browser.post(`/backoffice/staff/${operator.id}/role`, { role: 'auditor' })).status,
    ).toBe(403);
    await operator.browser.get(`/backoffice/staff/${other.id}/role`);
    expectRedirect(
      await operator.browser.post(`/backoffice/staff/${other.id}/role`, { role: 'support' }),
      '/backoffice/staff',
    );
    const roles = await db()
      .selectFrom('staff_members')
      .select(['id', 'role'])
      .where('id', 'in', [operator.id, other.id])
      .execute();
    expect(Object.fromEntries(roles.map((r) => [r.id, r.role]))).toEqual({
      [operator.id]: 'operator',
      [other.id]: 'support',
    });
    expectRedirect(await other.browser.get('/backoffice'), '/backoffice/sign-in');
    // A support user cannot reach the role page at all, their own included.
    await signIn(other.browser, other.email, other.key);
    expect((await other.browser.get(`/backoffice/staff/${other.id}/role`)).status).toBe(403);
    expect(
      (await other.browser.post(`/backoffice/staff/${other.id}/role`, { role: 'operator' })).status,
    ).toBe(403);
  });

  it('every back-office route answers each role, a patient and an anonymous browser as the table says', async () => {
    const target = await inviteStaff(db(), {
      email: 'target@staff.example.com',
      name: 'Target',
      odsCode: 'A81001',
      role: 'auditor',
      invitedBy: null,
    });
    if (!target.ok) throw new Error('invite failed');
    const p9 = await findAccountByEmail(db(), 'p9.patient@example.com');
    // An open item in the ID checker queue, about the seeded P9 patient, with
    // a photo ID check whose document photo is in the evidence store.
    const checkId = 'role-table-check';
    const { id: evidenceId } = await createFileEvidenceStore({
      dir: service.config.evidence.dir,
      keyBase64: service.config.encryptionKey!,
      retentionDays: 1,
    }).put({ kind: 'document-photo', contentType: 'image/jpeg', bytes: Buffer.from([0xff, 0xd8, 0xff]) });
    await db()
      .insertInto('photo_id_checks')
      .values({
        id: 'role-table-photo-id',
        account_id: p9!.id,
        digits: '1234',
        document_photo_id: evidenceId,
      })
      .execute();
    await db()
      .insertInto('id_checks')
      .values({
        id: checkId,
        account_id: p9!.id,
        kind: 'fraud-signal',
        signal: 'too-many-attempts',
        summary: '{}',
        photo_id_check_id: 'role-table-photo-id',
      })
      .execute();
    // Access the practice (A81001) set up for the P9 patient, for the delegation pages.
    const carer = await createAccount(db(), {
      email: 'role-table.carer@example.com',
      password_hash: 'h',
      phone_number: '+447700900777',
      proofing_level: 'P9',
    });
    const delegation = await createPracticeDelegation(db(), {
      grantorId: p9!.id,
      delegateId: carer!.id,
      relationship: 'Carer',
      permissions: ['appointments'],
      reason: 'Role table',
      reviewOn: '2099-01-01',
      forChild: false,
      odsCode: 'A81001',
      staffId: target.staff.id,
      bothProved: true,
    });
    if (!delegation.ok) throw new Error('could not set up the delegation');
    // Every route parameter stands for something that exists, so an allowed
    // role gets the page (200) or the form's answer to an empty body (400).
    const PARAMS: Record<string, string> = {
      id: target.staff.id,
      token: 'x'.repeat(43),
      clientId: DEMO_CLIENT_ID,
      accountId: p9!.id,
      checkId,
      evidenceId,
      delegationId: delegation.value,
    };
    const url = (u: string) =>
      u.replace(/:([A-Za-z]+)/g, (_, name: string) => {
        const value = PARAMS[name];
        if (!value) throw new Error(`the role table test has no value for :${name} in ${u}`);
        return value;
      });

    const patient = new TestBrowser(service.app);
    await patient.get('/sign-in');
    expectRedirect(
      await patient.post('/sign-in', { email: 'p0.patient@example.com', password: TEST_PASSWORD }),
      '/sign-in/text-code',
    );
    await patient.get('/sign-in/text-code');
    const text = await latestCode(db(), '+447700900000');
    expectRedirect(await patient.post('/sign-in/text-code', { code: text! }), '/account');
    expect((await patient.get('/account')).status).toBe(200);

    const members = new Map<StaffRole, TestBrowser>();
    // The ID checker works at the operator (X26), so sees the P9 patient's item wherever they are registered.
    for (const role of ROLES)
      members.set(role, (await staffMember(role, role === 'id-checker' ? 'X26' : undefined)).browser);

    const guarded = BACKOFFICE_ROUTES.filter((r) => r.roles !== 'anyone');
    // Sign-out last: it ends the session the other routes need.
    guarded.sort(
      (a, b) => Number(a.url === '/backoffice/sign-out') - Number(b.url === '/backoffice/sign-out'),
    );
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) {
      const request = async (browser: TestBrowser) => {
        if (route.method === 'GET') return browser.get(url(route.url));
        await browser.get('/backoffice/sign-in'); // a page with a CSRF token
        return browser.post(url(route.url), {});
      };
      const label = `${route.method} ${route.url}`;
      for (const outsider of [new TestBrowser(service.app), patient]) {
        const page = await request(outsider);
        expect(page.status, `${label} anonymous/patient`).toBe(303);
        expect(page.location, label).toBe('/backoffice/sign-in');
      }
      for (const role of ROLES) {
        const page = await request(members.get(role)!);
        const ok = (route.roles as readonly string[]).includes(role);
        const expected = !ok
          ? 403
          : route.method === 'GET'
            ? 200
            : route.url === '/backoffice/sign-out'
              ? 303
              : 400;
        expect(page.status, `${label} as ${role}: ${page.location ?? ''}`).toBe(expected);
      }
    }

    for (const route of BACKOFFICE_ROUTES.filter((r) => r.roles === 'anyone')) {
      if (route.method === 'POST') await patient.get('/backoffice/sign-in');
      const page =
        route.method === 'GET' ? await patient.get(url(route.url)) : await patient.post(url(route.url), {});
      expect(page.status, `${route.method} ${route.url}`).not.toBe(403);
      expect(page.location, `${route.method} ${route.url}`).toBeUndefined();
    }
  });
});

// A software authenticator: an EC P-256 key, "none" attestation, CBOR by hand.
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string')
    return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>)];
    return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  throw new Error('cbor: unsupported value');
}

const ORIGIN = 'http://localhost:3000';
const rpIdHash = createHash('sha256').update('localhost').digest();
const b64url = (b: Uint8Array | string) => Buffer.from(b).toString('base64url');

class SoftwareAuthenticator {
  readonly credentialId = Buffer.from(`cred-${Math.random()}`);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  private counter = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicJwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
  }

  register(challenge: string, origin = ORIGIN) {
    const cose = cbor(
      new Map<number, number | Buffer>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      rpIdHash,
      Buffer.from([0x45]), // user present, user verified, attested credential data
      Buffer.alloc(4),
      Buffer.alloc(16),
      idLength,
      this.credentialId,
      cose,
    ]);
    const clientData = JSON.stringify({ type: 'webauthn.create', challenge, origin, crossOrigin: false });
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        attestationObject: b64url(
          cbor(
            new Map<string, unknown>([
              ['fmt', 'none'],
              ['attStmt', new Map()],
              ['authData', authData],
            ]),
          ),
        ),
        transports: ['internal' as const],
      },
    };
  }

  assert(challenge: string, userId: string, origin = ORIGIN) {
    this.counter += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const authData = Buffer.concat([rpIdHash, Buffer.from([0x05]), count]);
    const clientData = JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false });
    const signature = sign(
      'sha256',
      Buffer.concat([authData, createHash('sha256').update(clientData).digest()]),
      this.privateKey,
    );
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: 'public-key' as const,
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: b64url(userId),
      },
    };
  }
}

/** Posts JSON the way passkey.js does: the page's CSRF token in the body, the browser's cookies. */
async function postJson(
  browser: TestBrowser,
  url: string,
  response: unknown,
  extra: Record<string, unknown> = {},
) {
  const form = await browser.get('/backoffice/sign-in');
  const csrf = /name="_csrf" value="([^"]*)"/.exec(form.body)?.[1] ?? '';
  const res = await service.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': 'application/json',
    },
    payload: JSON.stringify({ _csrf: csrf, response, ...extra }),
  });
  return res;
}

describe('passkeys', () => {
  it('verifies registration and sign-in from a software authenticator, once per challenge', async () => {
    const { id } = await staffMember('id-checker');
    const staff = (await findStaffById(db(), id))!;
    const deps = { db: db(), issuer: ORIGIN };
    const device = new SoftwareAuthenticator();

    const options = await passkeyRegistrationOptions(deps, staff);
    expect(options.rp.id).toBe('localhost');
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    const registration = device.register(options.challenge);
    expect(await verifyPasskeyRegistration(deps, staff, registration)).toBe(true);
    expect(await verifyPasskeyRegistration(deps, staff, registration)).toBe(false); // challenge spent

    const wrongSite = device.register(
      (await passkeyRegistrationOptions(deps, staff)).challenge,
      'https://evil.example',
    );
    expect(await verifyPasskeyRegistration(deps, staff, wrongSite)).toBe(false);

    const signIn = await passkeySignInOptions(deps);
    const assertion = device.assert(signIn.challenge, staff.id);
    expect((await verifyPasskeySignIn(deps, assertion))?.id).toBe(staff.id);
    expect(await verifyPasskeySignIn(deps, assertion)).toBeUndefined(); // challenge spent
    const other = await passkeySignInOptions(deps);
    expect(
      await verifyPasskeySignIn(deps, new SoftwareAuthenticator().assert(other.challenge, staff.id)),
    ).toBeUndefined();
  });

  it('registers a passkey over HTTP and signs in with it', async () => {
    const { browser, id } = await staffMember('practice-staff');
    const device = new SoftwareAuthenticator();
    expect((await browser.get('/backoffice/passkeys')).status).toBe(200);
    const options = JSON.parse((await browser.get('/backoffice/passkeys/options')).body) as {
      challenge: string;
    };
    const added = await postJson(browser, '/backoffice/passkeys', device.register(options.challenge));
    expect(added.statusCode, added.body).toBe(200);
    expect((await browser.get('/backoffice/passkeys')).body).toContain('Passkey added');

    const fresh = new TestBrowser(service.app);
    const signInOptions = JSON.parse((await fresh.get('/backoffice/passkey/options')).body) as {
      challenge: string;
    };
    const res = await postJson(
      fresh,
      '/backoffice/passkey/sign-in',
      device.assert(signInOptions.challenge, id),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ redirect: '/backoffice' });
    const cookie = /__Host-nhsl-staff=([^;]+)/.exec(String(res.headers['set-cookie']))?.[1];
    expect(cookie).toBeDefined();
    fresh.cookies.set('__Host-nhsl-staff', cookie!);
    expect((await fresh.get('/backoffice')).status).toBe(200);

    const codes = (await db().selectFrom('audit_events').select('code').execute()).map((e) => e.code);
    expect(codes).toContain('B-STAFF-PASSKEY-REGISTERED');
    const refused = await postJson(new TestBrowser(service.app), '/backoffice/passkey/sign-in', {
      id: 'nope',
    });
    expect(refused.statusCode).toBe(400);
  });

  it('confirms it is them with their own passkey before a sensitive page, and a removed passkey stops working', async () => {
    const { browser, id } = await staffMember('support');
    const device = new SoftwareAuthenticator();
    const options = JSON.parse((await browser.get('/backoffice/passkeys/options')).body) as {
      challenge: string;
    };
    expect(
      (await postJson(browser, '/backoffice/passkeys', device.register(options.challenge))).statusCode,
    ).toBe(200);
    await sql`update staff_sessions set authenticated_at = now() - interval '6 minutes' where staff_id = ${id}`.execute(
      db(),
    );
    expectRedirect(
      await browser.get('/backoffice/passkeys'),
      '/backoffice/reauthenticate?next=%2Fbackoffice%2Fpasskeys',
    );
    expect((await browser.get('/backoffice/reauthenticate?next=%2Fbackoffice%2Fpasskeys')).body).toContain(
      'data-passkey="reauthenticate"',
    );

    // Someone else's passkey does not confirm it is them.
    const stranger = await staffMember('support');
    const strangerDevice = new SoftwareAuthenticator();
    const strangerOptions = JSON.parse((await stranger.browser.get('/backoffice/passkeys/options')).body) as {
      challenge: string;
    };
    await postJson(
      stranger.browser,
      '/backoffice/passkeys',
      strangerDevice.register(strangerOptions.challenge),
    );
    const reauth = JSON.parse((await browser.get('/backoffice/reauthenticate/passkey-options')).body) as {
      challenge: string;
      allowCredentials: { id: string }[];
    };
    expect(reauth.allowCredentials.map((c) => c.id)).toEqual([device.credentialId.toString('base64url')]);
    const wrong = await postJson(
      browser,
      '/backoffice/reauthenticate/passkey',
      strangerDevice.assert(reauth.challenge, stranger.id),
    );
    expect(wrong.statusCode).toBe(400);

    // A sign-in challenge (made for no one) does not confirm it is them either.
    const signInChallenge = JSON.parse((await browser.get('/backoffice/passkey/options')).body) as {
      challenge: string;
    };
    expect(
      (
        await postJson(
          browser,
          '/backoffice/reauthenticate/passkey',
          device.assert(signInChallenge.challenge, id),
        )
      ).statusCode,
    ).toBe(400);

    const again = JSON.parse((await browser.get('/backoffice/reauthenticate/passkey-options')).body) as {
      challenge: string;
    };
    const ok = await postJson(
      browser,
      '/backoffice/reauthenticate/passkey',
      device.assert(again.challenge, id),
      { next: '/backoffice/passkeys' },
    );
    expect(ok.statusCode, ok.body).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ redirect: '/backoffice/passkeys' });
    const list = await browser.get('/backoffice/passkeys');
    expect(list.status).toBe(200);

    expect((await browser.post('/backoffice/passkeys/remove', { id: 'not-mine' })).status).toBe(400);
    await browser.get('/backoffice/passkeys');
    expectRedirect(
      await browser.post('/backoffice/passkeys/remove', { id: device.credentialId.toString('base64url') }),
      '/backoffice/passkeys?removed=1',
    );
    const signIn = JSON.parse(
      (await new TestBrowser(service.app).get('/backoffice/passkey/options')).body,
    ) as {
      challenge: string;
    };
    expect(
      (
        await postJson(
          new TestBrowser(service.app),
          '/backoffice/passkey/sign-in',
          device.assert(signIn.challenge, id),
        )
      ).statusCode,
    ).toBe(400);
    const codes = (
      await db()
        .selectFrom('audit_events')
        .select('code')
        .where(sql<string>`details->>'staffId'`, '=', id)
        .execute()
    ).map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['B-STAFF-REAUTHENTICATED', 'B-STAFF-PASSKEY-REMOVED']));
  });

  it('limits how many sign-in challenges one address can ask for', async () => {
    const browser = new TestBrowser(service.app);
    let last = await browser.get('/backoffice/passkey/options');
    for (let i = 0; i < 60 && last.status === 200; i++)
      last = await browser.get('/backoffice/passkey/options');
    expect(last.status).toBe(429);
    expect(last.headers['retry-after']).toBeDefined();
  });
});

describe('staff access and organisations', () => {
  it('an operator disables a member with a reason, which signs them out until access is given back', async () => {
    const operator = await staffMember('operator', 'X26');
    const member = await staffMember('support', 'X26');
    expect((await operator.browser.get(`/backoffice/staff/${member.id}/access`)).status).toBe(200);
    const empty = await operator.browser.post(`/backoffice/staff/${member.id}/access`, { reason: ' ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter the reason');
    expect(
      (
        await db()
          .selectFrom('staff_members')
          .select('status')
          .where('id', '=', member.id)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe('active');
    expectRedirect(
      await operator.browser.post(`/backoffice/staff/${member.id}/access`, { reason: 'Left the team' }),
      '/backoffice/staff',
    );
    expectRedirect(await member.browser.get('/backoffice'), '/backoffice/sign-in');
    await member.browser.get('/backoffice/sign-in');
    const code = await freshCode(member.email, member.key);
    const refused = await member.browser.post('/backoffice/sign-in', {
      email: member.email,
      password: STAFF_PASSWORD,
      code,
    });
    expect(refused.status).toBe(400);

    await operator.browser.get(`/backoffice/staff/${member.id}/access`);
    expectRedirect(
      await operator.browser.post(`/backoffice/staff/${member.id}/access`, { reason: 'Back from leave' }),
      '/backoffice/staff',
    );
    await signIn(member.browser, member.email, member.key);
    const events = await db()
      .selectFrom('audit_events')
      .select(['code', 'details'])
      .where(sql<string>`details->>'changedId'`, '=', member.id)
      .orderBy('id')
      .execute();
    expect(events.map((e) => [e.code, e.details.reason, e.details.staffId])).toEqual([
      ['B-STAFF-DISABLED', 'Left the team', operator.id],
      ['B-STAFF-ENABLED', 'Back from leave', operator.id],
    ]);
    // Not themselves.
    expect((await operator.browser.get(`/backoffice/staff/${operator.id}/access`)).status).toBe(403);
  });

  it('staff outside the service operator see and invite only their own organisation', async () => {
    const practiceOperator = await staffMember('operator', 'B82002');
    const elsewhere = await staffMember('auditor', 'C83003');
    const colleague = await staffMember('auditor', 'B82002');
    const list = await practiceOperator.browser.get('/backoffice/staff');
    expect(list.body).toContain(colleague.email);
    expect(list.body).not.toContain(elsewhere.email);
    expect((await practiceOperator.browser.get(`/backoffice/staff/${elsewhere.id}/role`)).status).toBe(404);
    expect((await practiceOperator.browser.get(`/backoffice/staff/${elsewhere.id}/access`)).status).toBe(404);
    const form = await practiceOperator.browser.get('/backoffice/staff/invite');
    expect(form.body).toContain('value="B82002"');
    const invite = await practiceOperator.browser.post('/backoffice/staff/invite', {
      name: 'Someone Else',
      email: 'someone.else@staff.example.com',
      odsCode: 'C83003',
      role: 'auditor',
    });
    expect(invite.status).toBe(400);
    expect(invite.body).toContain('You can only invite staff of your own organisation (B82002)');

    const national = await staffMember('operator', 'X26');
    const all = await national.browser.get('/backoffice/staff');
    expect(all.body).toContain(elsewhere.email);
    expect(all.body).toContain(colleague.email);
  });
});
