// The sign-in journey: password (Cp), then a text-message code or remembered
// browser (Cd) or an authenticator app (Ck); limits on guessing; answers that
// do not say whether an email has an account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { currentAuthenticatorCode, newAuthenticatorSecret } from '../src/journeys/authenticator-app.js';
import { createAccount, findAccountByEmail, updateAccount } from '../src/store/accounts.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { TestBrowser } from './support/browser.js';
import { startTestService, type TestService } from './support/service.js';
import { authorizeUrl, demoSupplier } from './support/supplier.js';

let service: TestService;
const demo = demoSupplier();

/** A person of our own for each test, so limits and devices do not leak between tests. */
async function person(tag: string, options: { totp?: string } = {}) {
  const email = `${tag}@example.com`;
  const phone = `+4477009${String(Math.floor(Math.random() * 90000) + 10000)}`;
  const account = await createAccount(service.database.db, {
    email,
    password_hash: await hashPassword(TEST_PASSWORD),
    phone_number: phone,
    phone_number_verified: true,
    ...(options.totp ? { totp_secret: service.sealer.seal(options.totp) } : {}),
  });
  return { email, phone, id: account!.id };
}

async function startAtSupplier(browser: TestBrowser, vtr = '["P0.Cp.Cd"]') {
  const page = await browser.follow(authorizeUrl(demo, { vtr, scope: 'openid' }).url);
  expect(page.url).toBe('/sign-in');
  return page;
}

/** The page as a person sees it, without the per-request CSRF token. */
const visible = (html: string) => html.replace(/name="_csrf" value="[^"]*"/g, '');

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.close();
});

describe('password', () => {
  it('gives the same answer for a wrong password and an unknown email', async () => {
    const p = await person('same-answer');
    const a = new TestBrowser(service.app);
    await startAtSupplier(a);
    const wrong = await a.post('/sign-in', { email: p.email, password: 'not the password' });
    const b = new TestBrowser(service.app);
    await startAtSupplier(b);
    const unknown = await b.post('/sign-in', {
      email: 'nobody-here@example.com',
      password: 'not the password',
    });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrong.body).toContain('Enter a correct email address and password');
    expect(visible(unknown.body).replace('nobody-here@example.com', p.email)).toBe(visible(wrong.body));
  });

  it('shows what is missing', async () => {
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser);
    const page = await browser.post('/sign-in', { email: '', password: '' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('<title>Error: Log in to NHS login - NHS login</title>');
    expect(page.body).toContain('href="#email"');
    expect(page.body).toContain('Enter your email address');
    expect(page.body).toContain('Enter your password');
    // Fields missing altogether get the same plain messages, never the validator's own words.
    const none = await browser.post('/sign-in', {});
    expect(none.body).toContain('Enter your email address');
    expect(none.body).not.toContain('Invalid input');
  });

  it('locks the email after 5 wrong passwords, even against the right one, and records it', async () => {
    const p = await person('locked');
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser);
    for (let i = 0; i < 4; i++) {
      expect((await browser.post('/sign-in', { email: p.email, password: `wrong ${i}` })).status).toBe(400);
    }
    const fifth = await browser.post('/sign-in', { email: p.email, password: 'wrong 5' });
    expect(fifth.status).toBe(429);
    expect(fifth.body).toContain('You have tried to log in too many times. Try again in 15 minutes');
    const right = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(right.status).toBe(429);
    const events = await service.database.db
      .selectFrom('audit_events')
      .select('code')
      .where('account_id', '=', p.id)
      .execute();
    expect(events.filter((e) => e.code === AUDIT_EVENTS.SIGN_IN_PASSWORD_FAILED)).toHaveLength(5);
    expect(events.some((e) => e.code === AUDIT_EVENTS.SIGN_IN_LOCKED)).toBe(true);
  });

  it('refuses a form without its CSRF token', async () => {
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser);
    const page = await browser.post('/sign-in', {
      _csrf: 'forged',
      email: 'p0.patient@example.com',
      password: TEST_PASSWORD,
    });
    expect(page.status).toBe(403);
  });
});

describe('text-message code (Cd)', () => {
  it('refuses wrong codes, then too many, and a resent code replaces the old one', async () => {
    const p = await person('codes');
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser);
    const toCode = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(toCode.location).toBe('/sign-in/text-code');
    await browser.get('/sign-in/text-code');
    const first = await latestCode(service.database.db, p.phone);
    const wrong = first === '000000' ? '111111' : '000000';
    const bad = await browser.post('/sign-in/text-code', { code: wrong });
    expect(bad.body).toContain('The security code is not correct');
    const resent = await browser.post('/sign-in/text-code/resend', {});
    expect(resent.location).toBe('/sign-in/text-code');
    await browser.get('/sign-in/text-code');
    const second = await latestCode(service.database.db, p.phone);
    const stale = first === second ? wrong : first!;
    expect((await browser.post('/sign-in/text-code', { code: stale })).body).toContain(
      'The security code is not correct',
    );
    // Five wrong guesses at one code, and even the right code is refused.
    for (let i = 0; i < 4; i++) await browser.post('/sign-in/text-code', { code: wrong });
    const tooMany = await browser.post('/sign-in/text-code', { code: second! });
    expect(tooMany.body).toContain('You have entered the wrong code too many times');
  });

  it('does not accept a code that was sent somewhere else in the same journey', async () => {
    const p = await person('cross-step', { totp: newAuthenticatorSecret() });
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser, '["P0.Cp.Ck","P0.Cp.Cd"]');
    // A registration step sends an email code to an address the person controls…
    await browser.get('/register');
    await browser.post('/register', { email: 'attacker@example.com' });
    const emailCode = await latestCode(service.database.db, 'attacker@example.com');
    // …then they log in as someone else with only their password.
    await browser.get('/sign-in');
    const toApp = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(toApp.location).toBe('/sign-in/authenticator-app');
    await browser.get('/sign-in/authenticator-app');
    const attempt = await browser.post('/sign-in/text-code', { code: emailCode! });
    expect(attempt.location).toBeUndefined();
    expect(attempt.status).toBe(400);
  });

  it('remembers this browser for the device factor when asked', async () => {
    const p = await person('remember');
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser);
    await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    await browser.get('/sign-in/text-code');
    const done = await browser.post('/sign-in/text-code', {
      code: (await latestCode(service.database.db, p.phone))!,
      remember: 'yes',
    });
    expect(done.location).toMatch(/^http:\/\/localhost:3000\/authorize\//);
    expect(browser.cookies.has('__Host-nhsl-device')).toBe(true);
    await browser.follow(authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', scope: 'openid', prompt: 'login' }).url);
    const again = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(again.location).toMatch(/^http:\/\/localhost:3000\/authorize\//);
  });

  it('sends a lost journey to a page that says what to do', async () => {
    const page = await new TestBrowser(service.app).get('/sign-in/text-code');
    expect(page.status).toBe(400);
    expect(page.body).toContain('Your session has ended');
    expect(page.body).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('single sign-on and step-up', () => {
  it('asks a signed-in person only for the credential the new request adds', async () => {
    const p = await person('step-up');
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser, '["P0.Cp"]');
    // A password is all P0.Cp needs: straight back to the supplier.
    const done = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(done.location).toMatch(/^http:\/\/localhost:3000\/authorize\//);
    await browser.follow(done.location!);
    // Now the supplier wants a device too: no password page, only the text code.
    const step = await browser.follow(authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', scope: 'openid' }).url);
    expect(step.url).toBe('/sign-in/text-code');
    const back = await browser.post('/sign-in/text-code', {
      code: (await latestCode(service.database.db, p.phone))!,
    });
    const final = await browser.follow(back.location!);
    expect(new URL(final.url).searchParams.get('code')).toBeTruthy();
    // And the session now meets P0.Cp.Cd silently.
    const silent = await browser.follow(
      authorizeUrl(demo, { vtr: '["P0.Cp.Cd"]', scope: 'openid', prompt: 'none' }).url,
    );
    expect(new URL(silent.url).searchParams.get('code')).toBeTruthy();
  });
});

describe('authenticator app (Ck)', () => {
  it('accepts the current code once, and offers a text message instead', async () => {
    const secret = newAuthenticatorSecret();
    const p = await person('app-user', { totp: secret });
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser, '["P0.Cp.Cd","P0.Cp.Ck"]');
    const toApp = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(toApp.location).toBe('/sign-in/authenticator-app');
    const page = await browser.get('/sign-in/authenticator-app');
    expect(page.body).toContain('Get a code by text message instead');
    const code = currentAuthenticatorCode(secret);
    const done = await browser.post('/sign-in/authenticator-app', { code });
    expect(done.location).toMatch(/^http:\/\/localhost:3000\/authorize\//);
    const final = await browser.follow(done.location!);
    expect(new URL(final.url).searchParams.get('code')).toBeTruthy();

    // The same code cannot be used again.
    const second = new TestBrowser(service.app);
    await startAtSupplier(second, '["P0.Cp.Ck"]');
    await second.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    await second.get('/sign-in/authenticator-app');
    const replay = await second.post('/sign-in/authenticator-app', { code });
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('The security code is not correct');
  });

  it('is not offered when the supplier asked for a text-message code only', async () => {
    const p = await person('app-but-cd', { totp: newAuthenticatorSecret() });
    const browser = new TestBrowser(service.app);
    await startAtSupplier(browser, '["P0.Cp.Cd"]');
    const next = await browser.post('/sign-in', { email: p.email, password: TEST_PASSWORD });
    expect(next.location).toBe('/sign-in/text-code');
  });
});

describe('seeded people', () => {
  it('exist at P0, P5 and P9 with valid test NHS numbers', async () => {
    const p5 = await findAccountByEmail(service.database.db, 'p5.patient@example.com');
    const p9 = await findAccountByEmail(service.database.db, 'p9.patient@example.com');
    expect(p5?.proofing_level).toBe('P5');
    expect(p9?.proofing_level).toBe('P9');
    expect(service.sealer.open(p9!.nhs_number!)).toMatch(/^999\d{7}$/);
    // Stored sealed, never in the clear.
    expect(p9!.nhs_number).not.toContain('999');
    await updateAccount(service.database.db, p9!.id, {});
  });
});
