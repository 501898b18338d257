// Support tools in the back office: finding a patient by email, mobile or
// NHS number within what the staff member's organisation allows; locking
// and unlocking, requiring a new password, removing an authenticator app
// after the patient has proved who they are again, copying everything held
// (subject access), and deleting an account after a grace period the patient
// can cancel. Every action needs a reason, is audited and tells the patient.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxNotifier } from '../src/adapters/notify/outbox.js';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { eraseDueAccounts, ERASURE_GRACE_DAYS } from '../src/backoffice/support/erasure.js';
import type { SubjectAccessReport } from '../src/backoffice/support/export.js';
import { DEMO_CLIENT_ID, TEST_PASSWORD } from '../src/cli/seed.js';
import { formatNhsNumber, generateTestNhsNumber } from '../src/domain/nhs-number.js';
import { newAuthenticatorSecret } from '../src/journeys/authenticator-app.js';
import {
  createAccount,
  findAccountByEmail,
  findAccountById,
  recordServiceUsed,
  updateAccount,
  type Account,
} from '../src/store/accounts.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers, type SignedInStaff } from './support/staff.js';
import { authorizeUrl, clientAssertion, demoSupplier } from './support/supplier.js';
import { ASSERTION_TYPE, TOKEN_URL, exchangeCode, tokenRequest } from './support/token.js';

/** Searches each staff member may make before the limit (the real one is 30 in 5 minutes). */
const SEARCH_LIMIT = 6;
const NEW_PASSWORD = 'lantern meadow copper';

let service: TestService;
const db = () => service.database.db;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];
const demo = demoSupplier();

beforeAll(async () => {
  service = await startTestService({ rateLimits: { staffSearchesPerStaff: { points: SEARCH_LIMIT } } });
  ({ staffMember } = staffHelpers(service));
});
afterAll(async () => {
  await service?.close();
});

const patientUrl = (id: string, action?: string) =>
  `/backoffice/support/patients/${id}${action ? `/${action}` : ''}`;

async function search(staff: SignedInStaff, by: string, q: string): Promise<Page> {
  expect((await staff.browser.get('/backoffice/support')).status).toBe(200);
  return staff.browser.post('/backoffice/support', { by, q });
}

/** Opens an action's page, then posts its form. */
async function act(
  staff: SignedInStaff,
  accountId: string,
  action: string,
  form: Record<string, string>,
): Promise<Page> {
  const page = await staff.browser.get(patientUrl(accountId, action));
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return staff.browser.post(patientUrl(accountId, action), form);
}

async function events(code: string, accountId?: string) {
  let query = db().selectFrom('audit_events').selectAll().where('code', '=', code);
  if (accountId) query = query.where('account_id', '=', accountId);
  return query.orderBy('id').execute();
}

/** The one event with this code about this patient: by this staff member, for this reason. */
async function expectAudited(code: string, accountId: string, staff: SignedInStaff, reason: string) {
  const rows = await events(code, accountId);
  expect(rows, code).toHaveLength(1);
  expect(rows[0]!.details).toMatchObject({ staffId: staff.id, reason });
  return rows[0]!;
}

async function newestSubject(to: string): Promise<string | undefined> {
  const [message] = await readOutbox(db(), { recipient: to, limit: 1 });
  return message?.subject;
}

async function passwordStep(browser: TestBrowser, email: string, password = TEST_PASSWORD): Promise<Page> {
  await browser.get('/sign-in');
  return browser.post('/sign-in', { email, password });
}

const p9Number = generateTestNhsNumber(1);

describe('finding a patient', () => {
  it('finds one by email address, mobile phone number or NHS number, and records each search without what was searched for', async () => {
    const staff = await staffMember('support');
    const p9 = (await findAccountByEmail(db(), 'p9.patient@example.com'))!;
    const link = `href="${patientUrl(p9.id)}"`;

    for (const [by, q] of [
      ['email', '  P9.Patient@Example.com '],
      ['phone', '07700 900009'],
      ['nhs-number', formatNhsNumber(p9Number)],
    ] as const) {
      const page = await search(staff, by, q);
      expect(page.status, `${by}: ${page.body.slice(0, 300)}`).toBe(200);
      expect(page.body).toContain('1 patient found');
      expect(page.body).toContain(link);
      expect(page.body).toContain('Daniel Okafor');
      // The full NHS number is not in the list, only its last four digits.
      expect(page.body).not.toContain(p9Number);
      expect(page.body).toContain('******0026');
    }
    const none = await search(staff, 'email', 'nobody@example.com');
    expect(none.status).toBe(200);
    expect(none.body).toContain('0 patients found');

    const bad = await search(staff, 'nhs-number', '999 000 0027');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter a valid NHS number');
    expect(bad.body).toContain('value="999 000 0027"');
    const badPhone = await search(staff, 'phone', '0113 496 0000');
    expect(badPhone.status).toBe(400);
    expect(badPhone.body).toContain('Enter a UK mobile phone number');

    const searched = (await events(AUDIT_EVENTS.SUPPORT_SEARCHED)).filter(
      (e) => e.details.staffId === staff.id,
    );
    expect(searched.map((e) => e.details.by)).toEqual(['email', 'phone', 'nhs-number', 'email']);
    expect(searched.map((e) => e.details.results)).toEqual([1, 1, 1, 0]);
    const logged = JSON.stringify(searched);
    for (const value of ['p9.patient@example.com', '+447700900009', '07700', p9Number, 'nobody@example.com'])
      expect(logged).not.toContain(value);
    // A keyed hash stands in for the value: the service can match a value to it, nobody reading the log can.
    expect(searched[0]!.details.valueHash).toEqual(expect.any(String));
    expect(searched[0]!.details.valueHash).not.toBe(searched[1]!.details.valueHash);
  });

  it('opens the patient’s account: state, level, GP practice, ways of logging in, services and log ins, and records the look', async () => {
    const staff = await staffMember('support');
    const p9 = (await findAccountByEmail(db(), 'p9.patient@example.com'))!;
    await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      { email: p9.email, phone: p9.phone_number },
      { vtr: '["P9.Cp.Cd"]' },
    );
    const page = await staff.browser.get(patientUrl(p9.id));
    expect(page.status).toBe(200);
    for (const text of [
      'Daniel Okafor',
      'Active',
      'P9: has proved who they are',
      'B82046',
      'Not set up',
      'Demo GP surgery app',
      'Logged in',
      '******0026',
      `href="${patientUrl(p9.id, 'lock')}"`,
      `href="${patientUrl(p9.id, 'export')}"`,
    ])
      expect(page.body, text).toContain(text);
    expect(page.body).not.toContain(p9Number);
    expect(page.headers['cache-control']).toBe('no-store');
    const viewed = await events(AUDIT_EVENTS.SUPPORT_VIEWED_ACCOUNT, p9.id);
    expect(viewed.at(-1)?.details).toEqual({ staffId: staff.id });
    expect((await staff.browser.get(patientUrl('no-such-account'))).status).toBe(404);
  });

  it('shows staff of another organisation only the patients registered there', async () => {
    const p9 = (await findAccountByEmail(db(), 'p9.patient@example.com'))!; // GP B82046
    const p5 = (await findAccountByEmail(db(), 'p5.patient@example.com'))!; // GP A12345
    const practice = await staffMember('support', 'B82046');
    expect((await search(practice, 'email', p9.email)).body).toContain('1 patient found');
    const hidden = await search(practice, 'email', p5.email);
    expect(hidden.status).toBe(200);
    expect(hidden.body).toContain('0 patients found');
    expect((await practice.browser.get(patientUrl(p9.id))).status).toBe(200);
    for (const path of ['', 'lock', 'export', 'erase']) {
      const page = await practice.browser.get(patientUrl(p5.id, path || undefined));
      expect(page.status, path).toBe(404);
      expect(page.body).not.toContain(p5.email);
    }
    await practice.browser.get(patientUrl(p9.id, 'lock'));
    expect((await practice.browser.post(patientUrl(p5.id, 'lock'), { reason: 'Test' })).status).toBe(404);
    expect((await findAccountById(db(), p5.id))?.locked_at).toBeNull();
    const searched = (await events(AUDIT_EVENTS.SUPPORT_SEARCHED)).filter(
      (e) => e.details.staffId === practice.id,
    );
    expect(searched.map((e) => e.details.gpOdsCode)).toEqual(['B82046', 'B82046']);

    // The operator's own support staff (X26) see everyone.
    const operatorSupport = await staffMember('support', 'X26');
    expect((await search(operatorSupport, 'email', p5.email)).body).toContain('1 patient found');
    // Other roles have no support pages at all.
    const auditor = await staffMember('auditor', 'X26');
    expect((await auditor.browser.get('/backoffice/support')).status).toBe(403);
    expect((await auditor.browser.get(patientUrl(p9.id))).status).toBe(403);
  });

  it('does not let a member of staff open or change their own patient account', async () => {
    const staff = await staffMember('support');
    const own = await createAccount(db(), {
      email: staff.email.toUpperCase(),
      password_hash: await hashPassword(TEST_PASSWORD),
      phone_number: '+447700900777',
      phone_number_verified: true,
    });
    const results = await search(staff, 'email', staff.email);
    expect(results.body).toContain('1 patient found');
    expect(results.body).toContain('Your own account: a colleague must help');
    expect(results.body).not.toContain(`href="${patientUrl(own!.id)}"`);
    for (const path of ['', 'lock', 'erase', 'export']) {
      const page = await staff.browser.get(patientUrl(own!.id, path || undefined));
      expect(page.status, path).toBe(403);
      expect(page.body).toContain('Another colleague must help');
    }
    await staff.browser.get('/backoffice/support');
    expect((await staff.browser.post(patientUrl(own!.id, 'lock'), { reason: 'Mine' })).status).toBe(403);
    expect((await findAccountById(db(), own!.id))?.locked_at).toBeNull();
    // A colleague can.
    const colleague = await staffMember('support');
    expect((await colleague.browser.get(patientUrl(own!.id))).status).toBe(200);
  });

  it('limits searches by each member of staff, and records hitting the limit', async () => {
    const staff = await staffMember('support');
    for (let i = 0; i < SEARCH_LIMIT; i++) {
      expect((await search(staff, 'email', `someone.${i}@example.com`)).status).toBe(200);
    }
    const refused = await search(staff, 'email', 'one.more@example.com');
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('You have searched too many times');
    expect(refused.body).toContain('value="one.more@example.com"');
    expect(refused.headers['retry-after']).toBeDefined();
    const limited = await events(AUDIT_EVENTS.SUPPORT_SEARCH_LIMITED);
    expect(limited.filter((e) => e.details.staffId === staff.id)).toHaveLength(1);
    const searched = (await events(AUDIT_EVENTS.SUPPORT_SEARCHED)).filter(
      (e) => e.details.staffId === staff.id,
    );
    expect(searched).toHaveLength(SEARCH_LIMIT);
    // Another member of staff is not held up.
    const other = await staffMember('support');
    expect((await search(other, 'email', 'someone@example.com')).status).toBe(200);
  });
});

describe('locking an account', () => {
  it('stops the patient signing in and their tokens working, until unlocked', async () => {
    const staff = await staffMember('support');
    const person = await newPerson(db(), 'locked');
    const patient = new TestBrowser(service.app);
    await signInToAccount(db(), patient, person);
    const callback = await signInThroughSupplier(
      service,
      patient,
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(tokens.status).toBe(200);

    // A reason is needed, and an empty form changes nothing.
    const empty = await act(staff, person.id, 'lock', { reason: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter a reason');
    const tooLong = await staff.browser.post(patientUrl(person.id, 'lock'), { reason: 'x'.repeat(501) });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('Reason must be 500 characters or fewer');
    expect((await findAccountById(db(), person.id))?.locked_at).toBeNull();

    const reason = 'Patient phoned: phone stolen (call ref 123)';
    expectRedirect(
      await staff.browser.post(patientUrl(person.id, 'lock'), { reason }),
      `${patientUrl(person.id)}?done=lock`,
    );
    const shown = await staff.browser.get(`${patientUrl(person.id)}?done=lock`);
    expect(shown.body).toContain('The account has been locked');
    expect(shown.body).toContain('Locked');
    expect(shown.body).toContain(reason);
    await expectAudited(AUDIT_EVENTS.ACCOUNT_LOCKED, person.id, staff, reason);
    expect(await newestSubject(person.email)).toBe('Your NHS login has been locked');
    const [mail] = await readOutbox(db(), { recipient: person.email, limit: 1 });
    expect(mail?.body).not.toContain('stolen');

    // Its sessions and tokens are gone: the refresh token, the access token and the account pages.
    const refresh = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const userinfo = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(tokens.body.access_token)}` },
    });
    expect(userinfo.statusCode).toBe(401);
    expectRedirect(await patient.get('/account'), '/sign-in');

    // The right password shows the locked page, and no more; a wrong one is just wrong.
    const locked = await passwordStep(new TestBrowser(service.app), person.email);
    expect(locked.status).toBe(403);
    expect(locked.body).toContain('Your NHS login is locked');
    expect(locked.body).toContain('contact NHS login support');
    expect(locked.body).not.toContain('stolen');
    const wrong = await passwordStep(new TestBrowser(service.app), person.email, 'not the password');
    expect(wrong.status).toBe(400);
    expect(wrong.body).not.toContain('Your NHS login is locked');
    // Nor does a supplier sign-in get past the locked page.
    const viaSupplier = new TestBrowser(service.app);
    const start = await viaSupplier.follow(authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', scope: 'openid' }).url);
    expect(start.url).toBe('/sign-in');
    const atSupplier = await viaSupplier.post('/sign-in', { email: person.email, password: TEST_PASSWORD });
    expect(atSupplier.status).toBe(403);
    expect(atSupplier.body).toContain('Go back to Demo GP surgery app');

    // Nor does resetting the password, once the email code shows the mailbox is theirs.
    const reset = new TestBrowser(service.app);
    await reset.get('/forgotten-password');
    await reset.post('/forgotten-password', { email: person.email });
    await reset.get('/forgotten-password/email-code');
    const resetLocked = await reset.post('/forgotten-password/email-code', {
      code: (await latestCode(db(), person.email))!,
    });
    expect(resetLocked.status).toBe(403);
    expect(resetLocked.body).toContain('Your NHS login is locked');

    // Locking twice is refused.
    expect((await staff.browser.get(patientUrl(person.id, 'lock'))).body).toContain(
      'This account is already locked',
    );
    await staff.browser.get('/backoffice/support'); // a page with a form, for its CSRF token
    expect((await staff.browser.post(patientUrl(person.id, 'lock'), { reason })).status).toBe(409);

    // Unlocked: they sign in again.
    const unlockReason = 'Patient confirmed identity on the phone';
    expectRedirect(
      await act(staff, person.id, 'unlock', { reason: unlockReason }),
      `${patientUrl(person.id)}?done=unlock`,
    );
    await expectAudited(AUDIT_EVENTS.ACCOUNT_UNLOCKED, person.id, staff, unlockReason);
    expect(await newestSubject(person.email)).toBe('Your NHS login has been unlocked');
    await signInToAccount(db(), new TestBrowser(service.app), person);
  });

  it('refuses a locked account’s refresh token and userinfo even while its grant is still stored', async () => {
    // As with Redis, where locking cannot reach the provider's records: the account lookup refuses it.
    const person = await newPerson(db(), 'locked-stored');
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    await updateAccount(db(), person.id, { locked_at: new Date() });
    const refresh = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const userinfo = await service.app.inject({
      method: 'GET',
      url: '/userinfo',
      headers: { authorization: `Bearer ${String(tokens.body.access_token)}` },
    });
    expect(userinfo.statusCode).toBe(401);
  });
});

describe('requiring a new password', () => {
  it('sends the patient to reset their password after the right one, and then they sign in', async () => {
    const staff = await staffMember('support');
    const person = await newPerson(db(), 'reset');
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(tokens.status).toBe(200);
    const reason = 'Password seen in a breach list';
    expectRedirect(
      await act(staff, person.id, 'require-password-reset', { reason }),
      `${patientUrl(person.id)}?done=require-password-reset`,
    );
    // The password may be known to someone else: refresh tokens end now.
    const refresh = await tokenRequest(service.app, {
      grant_type: 'refresh_token',
      refresh_token: tokens.body.refresh_token as string,
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await clientAssertion(demo, TOKEN_URL),
    });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    await expectAudited(AUDIT_EVENTS.PASSWORD_RESET_REQUIRED, person.id, staff, reason);
    expect(await newestSubject(person.email)).toBe('You need to create a new NHS login password');
    expect((await findAccountById(db(), person.id))?.password_reset_required).toBe(true);

    const wrong = await passwordStep(new TestBrowser(service.app), person.email, 'not the password');
    expect(wrong.status).toBe(400);
    const browser = new TestBrowser(service.app);
    const told = await passwordStep(browser, person.email);
    expect(told.status).toBe(200);
    expect(told.body).toContain('You need to create a new password');
    expect(told.body).toContain('action="/forgotten-password"');
    // No way past it to the text code.
    expect((await browser.get('/sign-in/text-code')).body).toContain('Your session has ended');

    // Back to the page, and its button, as a person would press it.
    await passwordStep(browser, person.email);
    expectRedirect(
      await browser.post('/forgotten-password', { email: person.email }),
      '/forgotten-password/email-code',
    );
    await browser.get('/forgotten-password/email-code');
    expectRedirect(
      await browser.post('/forgotten-password/email-code', { code: (await latestCode(db(), person.email))! }),
      '/forgotten-password/text-code',
    );
    await browser.get('/forgotten-password/text-code');
    expectRedirect(
      await browser.post('/forgotten-password/text-code', {
        code: (await latestCode(db(), person.phone_number))!,
      }),
      '/forgotten-password/new-password',
    );
    await browser.get('/forgotten-password/new-password');
    expectRedirect(
      await browser.post('/forgotten-password/new-password', {
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      }),
      '/account',
    );
    expect((await findAccountById(db(), person.id))?.password_reset_required).toBe(false);
    expectRedirect(
      await passwordStep(new TestBrowser(service.app), person.email, NEW_PASSWORD),
      '/sign-in/text-code',
    );
  });
});

describe('removing an authenticator app', () => {
  it('is refused until the patient has proved who they are again, then allowed', async () => {
    const staff = await staffMember('support');
    const person = await newPerson(db(), 'app');
    await updateAccount(db(), person.id, { totp_secret: service.sealer.seal(newAuthenticatorSecret()) });
    const reason = 'Lost phone with the app; proved identity again';

    const first = await staff.browser.get(patientUrl(person.id, 'remove-authenticator'));
    expect(first.status).toBe(200);
    expect(first.body).toContain('must prove who they are again');
    expect(first.body).not.toContain('name="reason"');
    await staff.browser.get('/backoffice/support'); // a page with a form, for its CSRF token
    expect((await staff.browser.post(patientUrl(person.id, 'remove-authenticator'), { reason })).status).toBe(
      409,
    );
    expect((await findAccountById(db(), person.id))?.totp_secret).not.toBeNull();
    // Proving it for someone else does not count.
    const other = await newPerson(db(), 'app-other');
    await service.audit.record({ code: AUDIT_EVENTS.IDENTITY_PROVED, accountId: other.id });
    expect((await staff.browser.get(patientUrl(person.id, 'remove-authenticator'))).body).toContain(
      'must prove who they are again',
    );

    await service.audit.record({
      code: AUDIT_EVENTS.IDENTITY_PROVED,
      accountId: person.id,
      details: { route: 'test' },
    });
    const form = await staff.browser.get(patientUrl(person.id, 'remove-authenticator'));
    expect(form.body).toContain('name="reason"');
    expect((await staff.browser.post(patientUrl(person.id, 'remove-authenticator'), {})).status).toBe(400);
    expectRedirect(
      await staff.browser.post(patientUrl(person.id, 'remove-authenticator'), { reason }),
      `${patientUrl(person.id)}?done=remove-authenticator`,
    );
    const after = (await findAccountById(db(), person.id))!;
    expect(after.totp_secret).toBeNull();
    expect(after.totp_last_step).toBeNull();
    await expectAudited(AUDIT_EVENTS.AUTHENTICATOR_REMOVED_BY_SUPPORT, person.id, staff, reason);
    expect(await newestSubject(person.email)).toBe('Your NHS login authenticator app has been removed');
    expect((await staff.browser.get(patientUrl(person.id, 'remove-authenticator'))).body).toContain(
      'no authenticator app to remove',
    );
  });
});

describe('a copy of everything held (subject access)', () => {
  it('gives a JSON file and a readable page, after a reason, without the password hash or app key', async () => {
    const staff = await staffMember('support');
    const nhsNumber = generateTestNhsNumber(40);
    const secret = newAuthenticatorSecret();
    const person = (await createAccount(db(), {
      email: 'subject.access@example.com',
      password_hash: await hashPassword(TEST_PASSWORD),
      phone_number: '+447700900444',
      phone_number_verified: true,
      proofing_level: 'P9',
      nhs_number: service.sealer.seal(nhsNumber),
      nhs_number_hash: service.sealer.lookupHash(nhsNumber),
      given_name: 'Grace',
      family_name: 'Hopper',
      birthdate: '1970-01-01',
      gp_ods_code: 'A81001',
    })) as Account;
    const patient = new TestBrowser(service.app);
    await patient.get('/sign-in');
    await patient.post('/sign-in', { email: person.email, password: TEST_PASSWORD });
    await patient.get('/sign-in/text-code');
    await patient.post('/sign-in/text-code', {
      code: (await latestCode(db(), person.phone_number))!,
      remember: 'yes',
    });
    await updateAccount(db(), person.id, { totp_secret: service.sealer.seal(secret) });
    await recordServiceUsed(db(), person.id, DEMO_CLIENT_ID);
    await db()
      .insertInto('client_user_metadata')
      .values({ account_id: person.id, client_id: DEMO_CLIENT_ID, value: 'supplier-says-hello' })
      .execute();
    const stored = (await findAccountById(db(), person.id))!;

    const form = await staff.browser.get(patientUrl(person.id, 'export'));
    expect(form.status).toBe(200);
    expect(form.body).toContain('Copy everything held about this patient');
    const missing = await staff.browser.post(patientUrl(person.id, 'export'), { format: 'json' });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('Enter a reason');
    expect(missing.body).toMatch(/value="json"[^>]*checked/);
    expect(await events(AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED, person.id)).toHaveLength(0);

    const reason = 'SAR ref 2025/117';
    const file = await staff.browser.post(patientUrl(person.id, 'export'), { reason, format: 'json' });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toMatch(/^application\/json/);
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="nhs-login-subject-access-${person.id}.json"`,
    );
    expect(file.headers['cache-control']).toBe('no-store');
    const report = JSON.parse(file.body) as SubjectAccessReport;
    expect(report.account).toMatchObject({
      id: person.id,
      email: person.email,
      phoneNumber: person.phone_number,
      nhsNumber,
      givenName: 'Grace',
      familyName: 'Hopper',
      proofingLevel: 'P9',
      gpOdsCode: 'A81001',
    });
    expect(report.secretsNotIncluded.password).toMatch(/not included/);
    expect(report.secretsNotIncluded.authenticatorApp).toMatch(/is set up.*not included/);
    for (const secretValue of [stored.password_hash, stored.totp_secret!, secret, stored.nhs_number!])
      expect(file.body).not.toContain(secretValue);
    expect(file.body).not.toMatch(/argon2/);
    expect(report.servicesUsed).toEqual([expect.objectContaining({ clientId: DEMO_CLIENT_ID })]);
    expect(report.clientUserMetadata).toEqual([
      expect.objectContaining({ clientId: DEMO_CLIENT_ID, value: 'supplier-says-hello' }),
    ]);
    expect(report.rememberedDevices.count).toBe(1);
    const codes = report.auditEvents.map((e) => e.code);
    expect(codes).toEqual(expect.arrayContaining(['S-PASSWORD-OK', 'S-SIGNED-IN', 'S-DEVICE-REMEMBERED']));
    const texts = report.messagesSent.filter((m) => m.channel === 'sms');
    expect(texts.length).toBeGreaterThan(0);
    expect(texts[0]!.to).toBe(person.phone_number);
    expect(texts[0]!.body).toContain('[security code removed]');
    expect(texts[0]!.body).not.toMatch(/\d{6}/);

    await staff.browser.get(patientUrl(person.id, 'export')); // the form again, as a browser would show it
    const readable = await staff.browser.post(patientUrl(person.id, 'export'), {
      reason,
      format: 'page',
    });
    expect(readable.status).toBe(200);
    expect(readable.headers['content-type']).toMatch(/^text\/html/);
    expect(readable.body).toContain('Everything held about this patient');
    expect(readable.body).toContain(nhsNumber);
    expect(readable.body).toContain('supplier-says-hello');
    expect(readable.body).toContain('S-SIGNED-IN');
    expect(readable.body).not.toContain(stored.password_hash);

    const exported = await events(AUDIT_EVENTS.SUBJECT_ACCESS_EXPORTED, person.id);
    expect(exported.map((e) => e.details)).toEqual([
      { staffId: staff.id, reason, format: 'json' },
      { staffId: staff.id, reason, format: 'page' },
    ]);
    expect(await newestSubject(person.email)).toBe(
      'NHS login support has made a copy of your NHS login information',
    );
  });
});

describe('deleting an account', () => {
  it('is arranged with a grace period, which the patient can cancel from their account page', async () => {
    const staff = await staffMember('support');
    const person = await newPerson(db(), 'erase-cancel');
    const reason = 'Patient asked by letter to close the account';

    const unconfirmed = await act(staff, person.id, 'erase', { reason });
    expect(unconfirmed.status).toBe(400);
    expect(unconfirmed.body).toContain('Confirm you understand what will happen');
    expect(unconfirmed.body).toContain(reason);
    expect((await findAccountById(db(), person.id))?.erase_after).toBeNull();

    const before = Date.now();
    expectRedirect(
      await staff.browser.post(patientUrl(person.id, 'erase'), { reason, confirm: 'yes' }),
      `${patientUrl(person.id)}?done=erase`,
    );
    const eraseAfter = (await findAccountById(db(), person.id))!.erase_after!;
    const days = (new Date(eraseAfter).getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(ERASURE_GRACE_DAYS - 0.01);
    expect(days).toBeLessThan(ERASURE_GRACE_DAYS + 0.01);
    const scheduled = await expectAudited(AUDIT_EVENTS.ERASURE_SCHEDULED, person.id, staff, reason);
    expect(scheduled.details.eraseAfter).toBe(new Date(eraseAfter).toISOString());
    const [mail] = await readOutbox(db(), { recipient: person.email, limit: 1 });
    expect(mail?.subject).toBe('Your NHS login will be deleted');
    expect(mail?.body).toContain('http://localhost:3000/account');
    expect(mail?.body).toContain('Cancel deletion');
    expect((await staff.browser.get(patientUrl(person.id, 'erase'))).body).toContain(
      'Deletion is already arranged',
    );

    // The patient can still sign in, sees the warning and cancels.
    const patient = new TestBrowser(service.app);
    const account = await signInToAccount(db(), patient, person);
    expect(account.body).toContain('Your NHS login will be deleted on');
    expect(account.body).toContain('action="/account/cancel-deletion"');
    expectRedirect(await patient.post('/account/cancel-deletion', {}), '/account');
    const after = await patient.get('/account');
    expect(after.body).toContain('Your NHS login will not be deleted');
    expect(after.body).not.toContain('action="/account/cancel-deletion"');
    expect((await findAccountById(db(), person.id))?.erase_after).toBeNull();
    expect(await events(AUDIT_EVENTS.ERASURE_CANCELLED, person.id)).toHaveLength(1);
    expect(await newestSubject(person.email)).toBe('Your NHS login will not be deleted');

    // Housekeeping long after the date leaves it alone.
    const notifier = createOutboxNotifier(db());
    const later = new Date(Date.now() + (ERASURE_GRACE_DAYS + 1) * 86_400_000);
    expect(await eraseDueAccounts({ db: db(), audit: service.audit, notifier }, later)).not.toContain(
      person.id,
    );
    expect(await findAccountById(db(), person.id)).toBeDefined();
  });

  it('is carried out by housekeeping once due, recorded and told to the patient', async () => {
    const staff = await staffMember('support');
    const due = await newPerson(db(), 'erase-due');
    const notYet = await newPerson(db(), 'erase-not-yet');
    for (const p of [due, notYet]) {
      expectRedirect(
        await act(staff, p.id, 'erase', { reason: 'Duplicate account', confirm: 'yes' }),
        `${patientUrl(p.id)}?done=erase`,
      );
    }
    await updateAccount(db(), due.id, { erase_after: new Date(Date.now() - 60_000) });
    await signInThroughSupplier(
      service,
      new TestBrowser(service.app),
      demo,
      { email: due.email, phone: due.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const stored = await db()
      .selectFrom('oidc_payloads')
      .select('id')
      .where(sql<string>`payload->>'accountId'`, '=', due.id)
      .execute();
    expect(stored.length).toBeGreaterThan(0);

    const erased = await eraseDueAccounts({
      db: db(),
      audit: service.audit,
      notifier: createOutboxNotifier(db()),
    });
    expect(erased).toEqual([due.id]);
    expect(await findAccountById(db(), due.id)).toBeUndefined();
    expect(await findAccountById(db(), notYet.id)).toBeDefined();
    const left = await db()
      .selectFrom('oidc_payloads')
      .select('id')
      .where(sql<string>`payload->>'accountId'`, '=', due.id)
      .execute();
    expect(left).toHaveLength(0);
    expect(await events(AUDIT_EVENTS.ACCOUNT_ERASED, due.id)).toHaveLength(1);
    expect(await events(AUDIT_EVENTS.ACCOUNT_ERASED, notYet.id)).toHaveLength(0);
    expect(await newestSubject(due.email)).toBe('Your NHS login has been deleted');
    // Run again: nothing more to do.
    expect(
      await eraseDueAccounts({ db: db(), audit: service.audit, notifier: createOutboxNotifier(db()) }),
    ).toEqual([]);
  });
});

describe('what the patient sees', () => {
  it('lists support’s actions on their recent activity page, without staff IP addresses', async () => {
    const staff = await staffMember('support');
    const person = await newPerson(db(), 'activity');
    await act(staff, person.id, 'lock', { reason: 'Checking' });
    await act(staff, person.id, 'unlock', { reason: 'Checked' });
    await updateAccount(db(), person.id, { totp_secret: service.sealer.seal(newAuthenticatorSecret()) });
    await service.audit.record({ code: AUDIT_EVENTS.IDENTITY_PROVED, accountId: person.id });
    await act(staff, person.id, 'remove-authenticator', { reason: 'Lost the app' });
    await act(staff, person.id, 'erase', { reason: 'Asked to close', confirm: 'yes' });

    const patient = new TestBrowser(service.app);
    await signInToAccount(db(), patient, person);
    await patient.post('/account/cancel-deletion', {});
    const page = await patient.get('/account/activity');
    for (const text of [
      'NHS login support locked your account',
      'NHS login support unlocked your account',
      'NHS login support removed your authenticator app',
      'NHS login support arranged for your NHS login to be deleted',
      'You cancelled the deletion of your NHS login',
      'Not shown (NHS login support)',
    ])
      expect(page.body, text).toContain(text);
    for (const reason of ['Checking', 'Checked', 'Lost the app', 'Asked to close'])
      expect(page.body).not.toContain(reason);
  });
});
