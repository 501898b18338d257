// Registration over HTTP: email code, password, phone code, one account at P0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { createAccount, findAccountByEmail } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';
import { authorizeUrl, demoSupplier } from './support/supplier.js';

const GOOD_PASSWORD = 'marmalade lighthouse orbit';

let service: TestService;
let counter = 0;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

/** A fresh email address and UK mobile number for each registration. */
function newPerson(): { email: string; phone: string } {
  counter += 1;
  return {
    email: `new.person${counter}@example.com`,
    phone: `+4477009001${String(counter).padStart(2, '0')}`,
  };
}

const db = () => service.database.db;

async function countAccounts(email: string): Promise<number> {
  const rows = await db().selectFrom('accounts').select('id').where('email', '=', email).execute();
  return rows.length;
}

function expectRedirect(page: Page, to: string): void {
  expect(page.status, page.body.slice(0, 500)).toBe(303);
  expect(page.location).toBe(to);
}

/** Walks from /register to the phone-code page; returns the browser there. */
async function upToPhoneCode(browser: TestBrowser, person: { email: string; phone: string }): Promise<void> {
  await browser.get('/register');
  expectRedirect(await browser.post('/register', { email: person.email }), '/register/email-code');
  await browser.get('/register/email-code');
  const emailCode = await latestCode(db(), person.email);
  expect(emailCode).toMatch(/^\d{6}$/);
  expectRedirect(await browser.post('/register/email-code', { code: emailCode! }), '/register/password');
  await browser.get('/register/password');
  expectRedirect(
    await browser.post('/register/password', { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD }),
    '/register/phone',
  );
  await browser.get('/register/phone');
  // Typed the way people write it; stored as +44.
  const national = '0' + person.phone.slice(3);
  expectRedirect(await browser.post('/register/phone', { phone: national }), '/register/phone-code');
  const page = await browser.get('/register/phone-code');
  expect(page.status).toBe(200);
  expect(page.body).toContain('Check your phone');
}

describe('registration', () => {
  it('creates a P0 account with a verified phone and signs the person in to their account', async () => {
    const browser = new TestBrowser(service.app);
    const person = newPerson();
    const first = await browser.get('/register');
    expect(first.status).toBe(200);
    expect(first.body).toContain('Enter your email address');

    expectRedirect(
      await browser.post('/register', { email: `  ${person.email.toUpperCase()} ` }),
      '/register/email-code',
    );
    const check = await browser.get('/register/email-code');
    expect(check.body).toContain('Check your email');
    expect(check.body).toContain(
      `We have sent a code to ${person.email}. The code expires after 15 minutes.`,
    );
    expect(check.body).toContain('Change email address');

    await upToPhoneCode(browser, person);
    const smsCode = await latestCode(db(), person.phone);
    expect(smsCode).toMatch(/^\d{6}$/);
    const done = await browser.post('/register/phone-code', { code: smsCode! });
    expectRedirect(done, '/account');

    const account = await findAccountByEmail(db(), person.email);
    expect(account).toBeDefined();
    expect(account!.proofing_level).toBe('P0');
    expect(account!.phone_number).toBe(person.phone);
    expect(account!.phone_number_verified).toBe(true);
    expect(account!.password_hash).toMatch(/^\$argon2id\$/);
    expect(await countAccounts(person.email)).toBe(1);

    const audit = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('code', '=', 'A-ACCOUNT-CREATED')
      .where('account_id', '=', account!.id)
      .execute();
    expect(audit).toHaveLength(1);

    // The journey is over: its pages are gone.
    expect((await browser.get('/register/phone-code')).status).toBe(400);
  });

  it('looks the same for an email that already has an account, which gets a notice and no working code', async () => {
    const existing = 'p0.patient@example.com';
    const fresh = newPerson().email;
    const pages: string[] = [];
    for (const email of [fresh, existing]) {
      const browser = new TestBrowser(service.app);
      await browser.get('/register');
      const posted = await browser.post('/register', { email });
      expectRedirect(posted, '/register/email-code');
      const page = await browser.get('/register/email-code');
      expect(page.status).toBe(200);
      pages.push(page.body.replaceAll(email, 'EMAIL').replace(/name="_csrf" value="[^"]*"/g, ''));
      if (email === existing) {
        const [newest] = await readOutbox(db(), { recipient: existing, limit: 1 });
        expect(newest?.subject).toBe('You already have an NHS login');
        expect(await latestCode(db(), existing)).toBeUndefined();
        for (const code of ['000000', '123456', '999999']) {
          const tried = await browser.post('/register/email-code', { code });
          expect(tried.status).toBe(400);
          expect(tried.body).toContain('The security code is not correct');
        }
        expect((await browser.get('/register/password')).status).toBe(400);
      }
    }
    expect(pages[1]).toBe(pages[0]);
    expect(await countAccounts(existing)).toBe(1);
  });

  it('rejects wrong email codes, then too many', async () => {
    const browser = new TestBrowser(service.app);
    const person = newPerson();
    await browser.get('/register');
    await browser.post('/register', { email: person.email });
    await browser.get('/register/email-code');
    const right = (await latestCode(db(), person.email))!;
    const wrong = right === '111111' ? '222222' : '111111';

    const empty = await browser.post('/register/email-code', { code: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter the 6-digit security code');

    for (let i = 1; i <= 4; i++) {
      const page = await browser.post('/register/email-code', { code: wrong });
      expect(page.status).toBe(400);
      expect(page.body).toContain('The security code is not correct. Check it and try again');
      expect(page.body).toContain(`value="${wrong}"`);
    }
    const fifth = await browser.post('/register/email-code', { code: wrong });
    expect(fifth.body).toContain('You have entered the wrong code too many times. Request a new code');
    // Not even the right code works now.
    const late = await browser.post('/register/email-code', { code: right });
    expect(late.status).toBe(400);
    expect(late.body).toContain('You have entered the wrong code too many times');

    // A new code works.
    expectRedirect(await browser.post('/register/email-code/resend', {}), '/register/email-code');
    await browser.get('/register/email-code');
    const fresh = (await latestCode(db(), person.email))!;
    expectRedirect(await browser.post('/register/email-code', { code: fresh }), '/register/password');
  });

  it('rejects a weak password and a mismatched confirmation', async () => {
    const browser = new TestBrowser(service.app);
    const person = newPerson();
    await browser.get('/register');
    await browser.post('/register', { email: person.email });
    await browser.get('/register/email-code');
    await browser.post('/register/email-code', { code: (await latestCode(db(), person.email))! });
    const form = await browser.get('/register/password');
    expect(form.body).toContain('Create a password');
    expect(form.body).toContain('Enter the same password again');

    const weak = await browser.post('/register/password', { password: 'password1', confirm: 'password1' });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('Choose a password that is harder to guess. This one is too common.');
    expect(weak.body).not.toContain('value="password1"');

    const short = await browser.post('/register/password', { password: 'abc', confirm: 'abc' });
    expect(short.body).toContain('Your password must be at least 8 characters');

    const mismatch = await browser.post('/register/password', {
      password: GOOD_PASSWORD,
      confirm: GOOD_PASSWORD + 'x',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The passwords do not match');
    expect(mismatch.body).not.toContain(GOOD_PASSWORD);

    // Nothing moved on.
    expect((await browser.get('/register/phone')).status).toBe(400);
  });

  it('explains email and phone mistakes and shows what was typed', async () => {
    const browser = new TestBrowser(service.app);
    await browser.get('/register');
    const bad = await browser.post('/register', { email: 'not an email' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter an email address in the correct format, like name@example.com');
    expect(bad.body).toContain('value="not an email"');
    const none = await browser.post('/register', {});
    expect(none.body).toContain('Enter your email address');

    const person = newPerson();
    await browser.post('/register', { email: person.email });
    await browser.get('/register/email-code');
    await browser.post('/register/email-code', { code: (await latestCode(db(), person.email))! });
    await browser.get('/register/password');
    await browser.post('/register/password', { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD });
    await browser.get('/register/phone');
    const landline = await browser.post('/register/phone', { phone: '0113 496 0000' });
    expect(landline.status).toBe(400);
    expect(landline.body).toContain('The number you entered is not a mobile number');
    expect(landline.body).toContain('value="0113 496 0000"');
  });

  it('gives the session-ended page for steps not yet reached or a lost journey', async () => {
    const browser = new TestBrowser(service.app);
    for (const path of [
      '/register/email-code',
      '/register/password',
      '/register/phone',
      '/register/phone-code',
    ]) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(400);
      expect(page.body).toContain('Your session has ended');
    }
    // An email entered but not confirmed does not open the password page.
    await browser.get('/register');
    await browser.post('/register', { email: newPerson().email });
    const early = await browser.get('/register/password');
    expect(early.status).toBe(400);
    expect(early.body).toContain('Your session has ended');
    await browser.get('/register'); // a page with a form, for the CSRF token
    const post = await browser.post('/register/phone', { phone: '07700900123' });
    expect(post.status).toBe(400);
    expect(post.body).toContain('Your session has ended');
  });

  it('refuses a form posted without its CSRF token', async () => {
    const browser = new TestBrowser(service.app);
    await browser.get('/register');
    const page = await browser.post('/register', { email: newPerson().email, _csrf: '' });
    expect(page.status).toBe(403);
    const stranger = await service.app.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=someone%40example.com',
    });
    expect(stranger.statusCode).toBe(403);
  });

  it('rejects a wrong text code and lets the person change their number', async () => {
    const browser = new TestBrowser(service.app);
    const person = newPerson();
    await upToPhoneCode(browser, person);
    const right = (await latestCode(db(), person.phone))!;
    const wrong = right === '111111' ? '222222' : '111111';
    const page = await browser.post('/register/phone-code', { code: wrong });
    expect(page.status).toBe(400);
    expect(page.body).toContain('The security code is not correct');
    expect(await findAccountByEmail(db(), person.email)).toBeUndefined();

    // Change the number: the old code no longer counts.
    const other = newPerson().phone;
    await browser.get('/register/phone');
    expectRedirect(await browser.post('/register/phone', { phone: other }), '/register/phone-code');
    await browser.get('/register/phone-code');
    const stale = await browser.post('/register/phone-code', { code: right });
    expect(stale.status).toBe(400);
    expectRedirect(
      await browser.post('/register/phone-code', { code: (await latestCode(db(), other))! }),
      '/account',
    );
    expect((await findAccountByEmail(db(), person.email))?.phone_number).toBe(other);
  });

  it('shows "already exists" and makes nothing when the email is registered meanwhile', async () => {
    const browser = new TestBrowser(service.app);
    const person = newPerson();
    await upToPhoneCode(browser, person);
    const racer = await createAccount(db(), {
      email: person.email,
      password_hash: 'x',
      phone_number: '+447700900999',
      proofing_level: 'P0',
    });
    expect(racer).toBeDefined();

    const page = await browser.post('/register/phone-code', {
      code: (await latestCode(db(), person.phone))!,
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('You already have an NHS login');
    expect(page.body).toContain(`An NHS login already exists for ${person.email}`);
    expect(page.body).toContain('href="/sign-in"');
    expect(page.body).toContain('href="/forgotten-password"');
    expect(await countAccounts(person.email)).toBe(1);
    expect((await findAccountByEmail(db(), person.email))?.id).toBe(racer!.id);
    // The registration is over; nothing of it is left to resume.
    expect((await browser.get('/register/phone-code')).status).toBe(400);
  });

  it('returns to the supplier when registering inside its sign-in', async () => {
    const browser = new TestBrowser(service.app);
    const supplier = demoSupplier();
    const { url, state } = authorizeUrl(supplier, { vtr: '["P0.Cp.Cd"]' });
    const signIn = await browser.follow(url);
    expect(signIn.url).toBe('/sign-in');
    expect(signIn.body).toContain('href="/register"');

    const person = newPerson();
    const start = await browser.get('/register');
    expect(start.body).toContain('href="/sign-in"');
    await upToPhoneCode(browser, person);
    const done = await browser.post('/register/phone-code', {
      code: (await latestCode(db(), person.phone))!,
    });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/\/authorize\/[\w-]+$/);
    const back = await browser.follow(done.location!);
    const callback = new URL(back.url);
    expect(callback.origin + callback.pathname).toBe(supplier.redirectUri);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(state);

    const account = await findAccountByEmail(db(), person.email);
    expect(account?.proofing_level).toBe('P0');
  });

  it('asks a person registering for a supplier that needs P9 to prove who they are', async () => {
    const browser = new TestBrowser(service.app);
    const { url } = authorizeUrl(demoSupplier(), { vtr: '["P9.Cp.Cd"]' });
    const signIn = await browser.follow(url);
    expect(signIn.url).toBe('/sign-in');
    const person = newPerson();
    await upToPhoneCode(browser, person);
    const done = await browser.post('/register/phone-code', {
      code: (await latestCode(db(), person.phone))!,
    });
    expectRedirect(done, '/sign-in/prove-identity');
    expect((await findAccountByEmail(db(), person.email))?.proofing_level).toBe('P0');
  });
});
