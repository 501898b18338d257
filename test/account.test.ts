// "Your NHS login" over HTTP: signing in to the account pages, changing the
// email address, password and phone, setting up and removing an
// authenticator app, the services used, deleting the account, logging out,
// and the idle timeout.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { currentAuthenticatorCode } from '../src/journeys/authenticator-app.js';
import { type JourneyState } from '../src/journeys/state.js';
import { findAccountByEmail, findAccountById } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { newPerson, signInToAccount } from './support/people.js';
import { demoSupplier } from './support/supplier.js';

const NEW_PASSWORD = 'teapot harbour glacier';

let service: TestService;
const db = () => service.database.db;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

function expectRedirect(page: Page, to: string): void {
  expect(page.status, page.body.slice(0, 500)).toBe(303);
  expect(page.location).toBe(to);
}

/** Where a fresh browser gets to with just an email and password. */
async function passwordStep(email: string, password: string): Promise<Page> {
  const browser = new TestBrowser(service.app);
  await browser.get('/sign-in');
  return browser.post('/sign-in', { email, password });
}

async function newestSubject(to: string): Promise<string | undefined> {
  const [message] = await readOutbox(db(), { recipient: to, limit: 1 });
  return message?.subject;
}

async function auditCodes(accountId: string): Promise<string[]> {
  const rows = await db()
    .selectFrom('audit_events')
    .select('code')
    .where('account_id', '=', accountId)
    .execute();
  return rows.map((r) => r.code);
}

describe('the account pages', () => {
  it('need the person to sign in', async () => {
    const browser = new TestBrowser(service.app);
    expectRedirect(await browser.get('/account'), '/sign-in');
    expectRedirect(await browser.get('/account/email'), '/sign-in');
    expectRedirect(await browser.get('/account/delete'), '/sign-in');
  });

  it('show the account after signing in, without the NHS number', async () => {
    const browser = new TestBrowser(service.app);
    const p9 = (await findAccountByEmail(db(), 'p9.patient@example.com'))!;
    const page = await signInToAccount(db(), browser, p9);
    expect(page.body).toContain('Your NHS login');
    expect(page.body).toContain('p9.patient@example.com');
    expect(page.body).toContain('07*** ***009');
    expect(page.body).not.toContain('07700900009');
    expect(page.body).toContain('••••••••');
    expect(page.body).toContain('Not set up');
    expect(page.body).toContain('You have proved who you are');
    expect(page.body).toContain('nhsuk-summary-list');
    expect(page.body).toContain('href="/account/delete"');
    expect(page.body).toContain('action="/account/sign-out"');
    const nhsNumber = service.sealer.open(p9.nhs_number!);
    expect(page.body).not.toContain(nhsNumber);
    expect(page.body).toContain('You have not used NHS login to log in to any NHS websites or apps yet');

    const p0 = new TestBrowser(service.app);
    const p0Page = await signInToAccount(
      db(),
      p0,
      (await findAccountByEmail(db(), 'p0.patient@example.com'))!,
    );
    expect(p0Page.body).toContain('You have not proved who you are yet');
  });

  it('list the services used after a supplier sign-in', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await signInThroughSupplier(
      service,
      browser,
      demoSupplier(),
      { email: account.email, phone: account.phone_number },
      { vtr: '["P0.Cp.Cd"]' },
    );
    const page = await browser.get('/account');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Demo GP surgery app');
    const today = new Intl.DateTimeFormat('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'Europe/London',
    }).format(new Date());
    expect(page.body).toContain(today);
  });

  it('change the email address after a code to the new one, and warn the old one', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/email');

    const bad = await browser.post('/account/email', { email: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter an email address in the correct format');
    expect(bad.body).toContain('value="not-an-email"');
    const same = await browser.post('/account/email', { email: account.email.toUpperCase() });
    expect(same.body).toContain('This is already your email address');

    const newEmail = `renamed.${account.id.slice(0, 8)}@example.com`;
    expectRedirect(await browser.post('/account/email', { email: newEmail }), '/account/email/code');
    const check = await browser.get('/account/email/code');
    expect(check.body).toContain(`We have sent a 6-digit security code to ${newEmail}`);
    expect(await newestSubject(newEmail)).toBe('Confirm your new email address for NHS login');
    const wrong = await browser.post('/account/email/code', { code: '000000' });
    expect(wrong.status).toBe(400);
    expectRedirect(
      await browser.post('/account/email/code', { code: (await latestCode(db(), newEmail))! }),
      '/account',
    );

    const page = await browser.get('/account');
    expect(page.body).toContain('Your email address has been changed');
    expect(page.body).toContain(newEmail);
    // The message shows once.
    expect((await browser.get('/account')).body).not.toContain('Your email address has been changed');
    expect((await findAccountById(db(), account.id))?.email).toBe(newEmail);
    expect(await newestSubject(account.email)).toBe('Your NHS login email address has been changed');
    expect(await auditCodes(account.id)).toContain('A-EMAIL-CHANGED');
  });

  it('refuse an email address another account uses, changing nothing', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/email');
    const taken = 'p5.patient@example.com';
    expectRedirect(await browser.post('/account/email', { email: taken }), '/account/email/code');
    await browser.get('/account/email/code');
    const page = await browser.post('/account/email/code', { code: (await latestCode(db(), taken))! });
    expect(page.status).toBe(409);
    expect(page.body).toContain('Another NHS login already uses this email address');
    expect((await findAccountById(db(), account.id))?.email).toBe(account.email);
    expect(await newestSubject(account.email)).not.toBe('Your NHS login email address has been changed');
  });

  it('change the password after the current one, which counts wrong guesses', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/password');

    const wrong = await browser.post('/account/password', {
      currentPassword: 'not my password',
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('Your password is not correct');
    expect(wrong.body).not.toContain(NEW_PASSWORD);
    const weak = await browser.post('/account/password', {
      currentPassword: TEST_PASSWORD,
      password: '12345678',
      confirm: '12345678',
    });
    expect(weak.body).toContain('Choose a password that is harder to guess');
    const mismatch = await browser.post('/account/password', {
      currentPassword: TEST_PASSWORD,
      password: NEW_PASSWORD,
      confirm: 'something else',
    });
    expect(mismatch.body).toContain('The passwords do not match');

    expectRedirect(
      await browser.post('/account/password', {
        currentPassword: TEST_PASSWORD,
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      }),
      '/account',
    );
    expect((await browser.get('/account')).body).toContain('Your password has been changed');
    expect(await newestSubject(account.email)).toBe('Your NHS login password has been changed');
    expect(await auditCodes(account.id)).toContain('A-PASSWORD-CHANGED');
    expect((await passwordStep(account.email, TEST_PASSWORD)).status).toBe(400);
    expectRedirect(await passwordStep(account.email, NEW_PASSWORD), '/sign-in/text-code');
  });

  it('lock the password check after too many wrong guesses', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/delete');
    let page: Page | undefined;
    for (let i = 0; i < 5; i++) page = await browser.post('/account/delete', { password: `wrong ${i}` });
    expect(page?.status).toBe(429);
    expect(page?.body).toContain('You have entered the wrong password too many times');
    const right = await browser.post('/account/delete', { password: TEST_PASSWORD });
    expect(right.status).toBe(429);
    expect(await findAccountById(db(), account.id)).toBeDefined();
  });

  it('change the mobile phone number after a code to the new one', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/phone');
    const bad = await browser.post('/account/phone', { phone: '0113 496 0000' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('The number you entered is not a mobile number');
    expect(bad.body).toContain('value="0113 496 0000"');

    const newPhone = '+447700900399';
    expectRedirect(
      await browser.post('/account/phone', { phone: '0' + newPhone.slice(3) }),
      '/account/phone/code',
    );
    await browser.get('/account/phone/code');
    expectRedirect(
      await browser.post('/account/phone/code', { code: (await latestCode(db(), newPhone))! }),
      '/account',
    );
    expect((await browser.get('/account')).body).toContain('Your mobile phone number has been changed');
    const updated = (await findAccountById(db(), account.id))!;
    expect(updated.phone_number).toBe(newPhone);
    expect(updated.phone_number_verified).toBe(true);
    expect(updated.phone_number_pds_matched).toBe(false);
    expect(await newestSubject(account.email)).toBe('Your NHS login mobile phone number has been changed');
    expect(await auditCodes(account.id)).toContain('A-PHONE-CHANGED');
  });

  it('set up an authenticator app that sign-in then asks for, and remove it', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    const setup = await browser.get('/account/authenticator-app');
    expect(setup.body).toContain('Enter this key in your authenticator app');
    expect(setup.body).toContain('href="otpauth://totp/');
    const grouped = /id="authenticator-key">([A-Z2-7 ]+)</.exec(setup.body)?.[1];
    expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
    const secret = grouped!.replaceAll(' ', '');
    // The same key until it is confirmed.
    expect((await browser.get('/account/authenticator-app')).body).toContain(grouped);

    const wrong = await browser.post('/account/authenticator-app', { code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('The security code is not correct');
    expectRedirect(
      await browser.post('/account/authenticator-app', { code: currentAuthenticatorCode(secret) }),
      '/account',
    );
    const page = await browser.get('/account');
    expect(page.body).toContain('Your authenticator app has been set up');
    expect(page.body).toMatch(/Set up\s*<\/dd>/);
    const stored = (await findAccountById(db(), account.id))!;
    expect(stored.totp_secret).not.toContain(secret);
    expect(service.sealer.open(stored.totp_secret!)).toBe(secret);
    expect(await auditCodes(account.id)).toContain('A-TOTP-ADDED');

    // Sign-in now asks for the app (the next 30-second code: the current one is used).
    const other = new TestBrowser(service.app);
    await other.get('/sign-in');
    expectRedirect(
      await other.post('/sign-in', { email: account.email, password: TEST_PASSWORD }),
      '/sign-in/authenticator-app',
    );
    await other.get('/sign-in/authenticator-app');
    expectRedirect(
      await other.post('/sign-in/authenticator-app', {
        code: currentAuthenticatorCode(secret, Date.now() + 30_000),
      }),
      '/account',
    );

    const removePage = await browser.get('/account/authenticator-app');
    expect(removePage.body).toContain('Remove authenticator app');
    const badPassword = await browser.post('/account/authenticator-app/remove', {
      password: 'nope nope nope',
    });
    expect(badPassword.status).toBe(400);
    expectRedirect(
      await browser.post('/account/authenticator-app/remove', { password: TEST_PASSWORD }),
      '/account',
    );
    const after = await browser.get('/account');
    expect(after.body).toContain('Your authenticator app has been removed');
    expect(after.body).toContain('Not set up');
    expect((await findAccountById(db(), account.id))?.totp_secret).toBeNull();
    expect(await auditCodes(account.id)).toContain('A-TOTP-REMOVED');
    expectRedirect(await passwordStep(account.email, TEST_PASSWORD), '/sign-in/text-code');
  });

  it('delete the account after the password, and then it cannot sign in', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    const explain = await browser.get('/account/delete');
    expect(explain.body).toContain(
      'you will not be able to log in to NHS websites and apps that use NHS login',
    );
    expect(explain.body).toContain('Your health records are not deleted');
    const wrong = await browser.post('/account/delete', { password: 'not my password' });
    expect(wrong.status).toBe(400);
    expect(await findAccountById(db(), account.id)).toBeDefined();

    const done = await browser.post('/account/delete', { password: TEST_PASSWORD });
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your NHS login has been deleted');
    expect(await findAccountById(db(), account.id)).toBeUndefined();
    expect(await newestSubject(account.email)).toBe('Your NHS login has been deleted');
    expect(await auditCodes(account.id)).toContain('A-ACCOUNT-DELETED');
    expectRedirect(await browser.get('/account'), '/sign-in');
    const signInAgain = await passwordStep(account.email, TEST_PASSWORD);
    expect(signInAgain.status).toBe(400);
    expect(signInAgain.body).toContain('Enter a correct email address and password');
  });

  it('log out', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    const page = await browser.post('/account/sign-out', {});
    expect(page.status).toBe(200);
    expect(page.body).toContain('You have logged out');
    expectRedirect(await browser.get('/account'), '/sign-in');
  });

  it('refuse a form posted without its CSRF token, or by someone not signed in', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    await browser.get('/account/password');
    const page = await browser.post('/account/password', {
      _csrf: '',
      currentPassword: TEST_PASSWORD,
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(page.status).toBe(403);

    const stranger = new TestBrowser(service.app);
    await stranger.get('/sign-in');
    expectRedirect(await stranger.post('/account/delete', { password: TEST_PASSWORD }), '/sign-in');
  });

  it('ask the person to sign in again after 30 minutes without activity', async () => {
    const account = await newPerson(db(), 'account');
    const browser = new TestBrowser(service.app);
    await signInToAccount(db(), browser, account);
    const setLastSeen = async (minutesAgo: number) => {
      const rows = await db()
        .selectFrom('journey_sessions')
        .select(['id', 'data'])
        .where(sql<string>`data->'account'->>'accountId'`, '=', account.id)
        .execute();
      expect(rows).toHaveLength(1);
      const data = rows[0]!.data as JourneyState;
      data.account = { accountId: account.id, lastSeen: Date.now() - minutesAgo * 60 * 1000 };
      await db()
        .updateTable('journey_sessions')
        .set({ data: JSON.stringify(data) })
        .where('id', '=', rows[0]!.id)
        .execute();
    };
    await setLastSeen(29);
    expect((await browser.get('/account')).status).toBe(200);
    await setLastSeen(31);
    expectRedirect(await browser.get('/account'), '/sign-in');
    // Forgotten, not just refused: going back after the redirect still needs a sign-in.
    expectRedirect(await browser.get('/account'), '/sign-in');
  });
});
