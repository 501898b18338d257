// Forgotten password over HTTP: email code, second factor (text message or
// authenticator app), new password, signed in; and an unknown email address
// that must look exactly like a known one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { currentAuthenticatorCode, newAuthenticatorSecret } from '../src/journeys/authenticator-app.js';
import { findAccountByEmail, updateAccount } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';
import { authorizeUrl, demoSupplier } from './support/supplier.js';

const NEW_PASSWORD = 'porridge velvet canal';

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

/** The main content of a page, with the one value the person typed taken out, to compare two pages. */
function mainOf(page: Page, typed: string): string {
  const main = /<main[\s\S]*<\/main>/.exec(page.body)?.[0] ?? '';
  return main.replaceAll(typed, 'EMAIL').replace(/name="_csrf" value="[^"]*"/g, '');
}

async function startReset(browser: TestBrowser, email: string): Promise<Page> {
  const first = await browser.get('/forgotten-password');
  expect(first.status).toBe(200);
  expect(first.body).toContain('Reset your password');
  expectRedirect(await browser.post('/forgotten-password', { email }), '/forgotten-password/email-code');
  return browser.get('/forgotten-password/email-code');
}

async function signIn(email: string, password: string): Promise<Page> {
  const browser = new TestBrowser(service.app);
  await browser.get('/sign-in');
  return browser.post('/sign-in', { email, password });
}

describe('forgotten password', () => {
  it('resets the password with an email code and a text code, then the person is signed in', async () => {
    const email = 'p0.patient@example.com';
    const phone = '+447700900000';
    const browser = new TestBrowser(service.app);
    const check = await startReset(browser, `  ${email.toUpperCase()} `);
    expect(check.status).toBe(200);
    expect(check.body).toContain('Check your email');

    const [message] = await readOutbox(db(), { recipient: email, limit: 1 });
    expect(message?.subject).toBe('Reset your NHS login password');
    const wrong = await browser.post('/forgotten-password/email-code', { code: '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('The security code is not correct');

    const emailCode = await latestCode(db(), email);
    expectRedirect(
      await browser.post('/forgotten-password/email-code', { code: emailCode! }),
      '/forgotten-password/text-code',
    );
    const text = await browser.get('/forgotten-password/text-code');
    expect(text.body).toContain('07*** ***000');
    // No skipping the text code.
    expect((await browser.get('/forgotten-password/new-password')).body).toContain('Your session has ended');

    const smsCode = await latestCode(db(), phone);
    await browser.get('/forgotten-password/text-code');
    expectRedirect(
      await browser.post('/forgotten-password/text-code', { code: smsCode! }),
      '/forgotten-password/new-password',
    );
    const form = await browser.get('/forgotten-password/new-password');
    expect(form.body).toContain('Create a new password');

    const weak = await browser.post('/forgotten-password/new-password', {
      password: 'password',
      confirm: 'password',
    });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('Choose a password that is harder to guess');
    expect(weak.body).not.toContain('value="password"');
    const mismatch = await browser.post('/forgotten-password/new-password', {
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD + 'x',
    });
    expect(mismatch.body).toContain('The passwords do not match');

    expectRedirect(
      await browser.post('/forgotten-password/new-password', {
        password: NEW_PASSWORD,
        confirm: NEW_PASSWORD,
      }),
      '/account',
    );
    const [notice] = await readOutbox(db(), { recipient: email, limit: 1 });
    expect(notice?.subject).toBe('Your NHS login password has been changed');
    const events = await db()
      .selectFrom('audit_events')
      .select('code')
      .where('code', '=', 'A-PASSWORD-RESET')
      .execute();
    expect(events.length).toBeGreaterThan(0);

    // The reset used up: its pages now say the session has ended.
    expect((await browser.get('/forgotten-password/new-password')).body).toContain('Your session has ended');

    // The old password no longer works; the new one does.
    const old = await signIn(email, TEST_PASSWORD);
    expect(old.status).toBe(400);
    expect(old.body).toContain('Enter a correct email address and password');
    expectRedirect(await signIn(email, NEW_PASSWORD), '/sign-in/text-code');
  });

  it('asks for the authenticator app code when the account has an app', async () => {
    const email = 'p5.patient@example.com';
    const account = (await findAccountByEmail(db(), email))!;
    const secret = newAuthenticatorSecret();
    await updateAccount(db(), account.id, { totp_secret: service.sealer.seal(secret), totp_last_step: null });

    const browser = new TestBrowser(service.app);
    await startReset(browser, email);
    expectRedirect(
      await browser.post('/forgotten-password/email-code', { code: (await latestCode(db(), email))! }),
      '/forgotten-password/authenticator-app',
    );
    const page = await browser.get('/forgotten-password/authenticator-app');
    expect(page.body).toContain('Enter the code from your authenticator app');
    const wrong = await browser.post('/forgotten-password/authenticator-app', { code: '000000' });
    expect(wrong.status).toBe(400);
    expectRedirect(
      await browser.post('/forgotten-password/authenticator-app', { code: currentAuthenticatorCode(secret) }),
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
    await updateAccount(db(), account.id, { totp_secret: null, totp_last_step: null });
  });

  it('shows the same next page for an email address with no NHS login, and emails it to say so', async () => {
    const known = new TestBrowser(service.app);
    const knownPage = await startReset(known, 'p9.patient@example.com');
    const unknown = new TestBrowser(service.app);
    const unknownPage = await startReset(unknown, 'nobody.here@example.com');
    expect(unknownPage.status).toBe(knownPage.status);
    expect(mainOf(unknownPage, 'nobody.here@example.com')).toBe(mainOf(knownPage, 'p9.patient@example.com'));

    const [message] = await readOutbox(db(), { recipient: 'nobody.here@example.com', limit: 1 });
    expect(message?.subject).toBe('There is no NHS login for this email address');
    expect(message?.body).toContain('There is no NHS login that uses this email address');
    expect(await latestCode(db(), 'nobody.here@example.com')).toBeUndefined();

    // Any code is simply wrong, exactly as a mistyped one would be.
    const guess = await unknown.post('/forgotten-password/email-code', { code: '123456' });
    expect(guess.status).toBe(400);
    expect(guess.body).toContain('The security code is not correct');
  });

  it('explains a badly typed email address and shows it again', async () => {
    const browser = new TestBrowser(service.app);
    await browser.get('/forgotten-password');
    const page = await browser.post('/forgotten-password', { email: 'not an email' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain('Enter an email address in the correct format');
    expect(page.body).toContain('value="not an email"');
  });

  it('returns to the supplier after a reset started from its sign-in page', async () => {
    const email = 'p9.patient@example.com';
    const browser = new TestBrowser(service.app);
    const supplier = demoSupplier();
    const { url } = authorizeUrl(supplier, { vtr: '["P9.Cp.Cd"]' });
    const signInPage = await browser.follow(url);
    expect(signInPage.url).toBe('/sign-in');
    expect(signInPage.body).toContain('/forgotten-password');

    await startReset(browser, email);
    await browser.post('/forgotten-password/email-code', { code: (await latestCode(db(), email))! });
    await browser.get('/forgotten-password/text-code');
    await browser.post('/forgotten-password/text-code', { code: (await latestCode(db(), '+447700900009'))! });
    await browser.get('/forgotten-password/new-password');
    const done = await browser.post('/forgotten-password/new-password', {
      password: NEW_PASSWORD,
      confirm: NEW_PASSWORD,
    });
    expect(done.status).toBe(303);
    const back = await browser.follow(done.location!);
    expect(back.url.startsWith(supplier.redirectUri)).toBe(true);
    expect(new URL(back.url).searchParams.get('code')).toBeTruthy();
  });

  it('refuses a form posted without its CSRF token', async () => {
    const browser = new TestBrowser(service.app);
    await browser.get('/forgotten-password');
    const page = await browser.post('/forgotten-password', { email: 'p0.patient@example.com', _csrf: '' });
    expect(page.status).toBe(403);
  });

  it('says the session has ended on a later page without a journey', async () => {
    const browser = new TestBrowser(service.app);
    const page = await browser.get('/forgotten-password/email-code');
    expect(page.body).toContain('Your session has ended');
  });
});
