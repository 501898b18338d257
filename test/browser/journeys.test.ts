// The journeys in a real browser (Chromium through playwright-core), starting
// at the demo supplier exactly as a person would: registration, sign-in with a
// text code and a remembered device, no JavaScript, a lost journey. Every NHS
// login page along the way is scanned with axe (WCAG 2.2 AA), and the browser's
// console is watched for Content Security Policy violations (form-action in
// particular: the final POST of a journey redirects to the supplier).
//
// Needs Chromium: see test/support/chromium.ts.
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { buildDemoSupplier, DEMO_SUPPLIER_PRIVATE_KEY_PATH } from '../../demo-supplier/app.js';
import { latestCode, readOutbox } from '../../src/adapters/notify/outbox.js';
import { DEMO_CLIENT_ID, TEST_PASSWORD, TEST_PEOPLE } from '../../src/cli/seed.js';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  SKIP_BROWSER,
  assertChromium,
  at,
  axe,
  escapeRegExp,
  text,
  warnIfSkipped,
} from '../support/chromium.js';
import { newPerson } from '../support/people.js';
import { freePort, startTestService, type TestService } from '../support/service.js';

warnIfSkipped('browser tests');

const SCREENSHOT_DIR = join(tmpdir(), 'open-nhs-login-browser');

const person = (email: string) => {
  const p = TEST_PEOPLE.find((t) => t.email === email);
  if (!p) throw new Error(`no test person ${email}`);
  return p;
};

describe.skipIf(SKIP_BROWSER)('journeys in a real browser', () => {
  let service: TestService;
  let supplier: FastifyInstance;
  let supplierUrl: string;
  let browser: Browser;
  /** Console messages about the CSP, from every context of the file. */
  const cspMessages: string[] = [];
  let pagesSeen = 0;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    assertChromium();
    const supplierPort = await freePort();
    supplierUrl = `http://localhost:${supplierPort}`;
    service = await startTestService({ listen: true, env: { DEMO_SUPPLIER_PORT: String(supplierPort) } });
    supplier = await buildDemoSupplier({
      issuer: service.url,
      baseUrl: supplierUrl,
      clientId: DEMO_CLIENT_ID,
      privateKeyPem: readFileSync(DEMO_SUPPLIER_PRIVATE_KEY_PATH, 'utf8'),
    });
    await supplier.listen({ host: '127.0.0.1', port: supplierPort });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await supplier?.close();
    await service?.close();
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });

  /** A fresh browser context whose console is watched for CSP violations. */
  async function newContext(
    options: { javaScriptEnabled?: boolean } = {},
  ): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await browser.newContext({ ...options, locale: 'en-GB' });
    contexts.push(context);
    const csp: string[] = [];
    const watch = (page: Page) => {
      page.on('console', (message) => {
        const said = message.text();
        if (/Content[- ]Security[- ]Policy/i.test(said)) {
          const line = `[${message.type()}] ${page.url()}: ${said}`;
          csp.push(line);
          cspMessages.push(line);
        }
      });
      page.on('load', () => {
        pagesSeen++;
      });
    };
    context.on('page', watch);
    const page = await context.newPage();
    return { context, page, csp };
  }

  const onService = (path: string) => at(service.url, path);
  const onSupplier = (path: string) => at(supplierUrl, path);

  /** From the demo supplier's start page to NHS login, with these choices. */
  async function startAtSupplier(
    page: Page,
    choice: { vtr: string; scopes: string[]; prompt?: string },
  ): Promise<void> {
    await page.goto(`${supplierUrl}/`);
    for (const box of await page.locator('input[name="scope"]').all()) {
      const value = (await box.getAttribute('value')) ?? '';
      if (choice.scopes.includes(value)) await box.check();
      else await box.uncheck();
    }
    await page.locator(`input[name="vtr"][value="${choice.vtr}"]`).check();
    await page.locator(`input[name="prompt"][value="${choice.prompt ?? 'default'}"]`).check();
    await page.getByRole('button', { name: 'Continue to NHS login' }).click();
    await page.waitForURL(onService('/sign-in'));
  }

  /** The text of the <dd> after the <dt> containing `term` on the supplier's /me page. */
  async function meValue(page: Page, term: string): Promise<string> {
    return (
      await page
        .locator('dl.summary dt', { hasText: term })
        .locator('xpath=following-sibling::dd[1]')
        .innerText()
    ).trim();
  }

  /** Waits for a code to reach the outbox (the send happens before the redirect, but be safe). */
  async function codeFor(recipient: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const code = await latestCode(service.database.db, recipient);
      if (code) return code;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no code sent to ${recipient}`);
  }

  it('registers a new person, from the demo supplier back to it, every page accessible', async () => {
    const { page, csp } = await newContext();
    const violations: string[] = [];
    const email = `browser.${randomBytes(4).toString('hex')}@example.com`;

    await startAtSupplier(page, { vtr: 'P0.Cp.Cd', scopes: ['email'] });
    expect(await text(page.locator('h1'))).toBe('Log in to NHS login');
    violations.push(...(await axe(page, 'sign-in')));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'sign-in.png'), fullPage: true });

    // An empty form once: the error summary and inline errors must be accessible too.
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    expect(await page.title()).toMatch(/^Error: /);
    violations.push(...(await axe(page, 'sign-in with errors')));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'sign-in-errors.png'), fullPage: true });

    await page.getByRole('link', { name: 'Create an NHS login' }).click();
    await page.waitForURL(onService('/register'));
    violations.push(...(await axe(page, 'register: email')));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(page, 'register: email with errors')));

    await page.getByLabel('Enter your email address').fill(email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onService('/register/email-code'));
    violations.push(...(await axe(page, 'register: email code')));
    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(email));
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(onService('/register/password'));
    violations.push(...(await axe(page, 'register: password')));
    const password = 'a quiet orange lighthouse 42';
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Enter the same password again').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(onService('/register/phone'));
    violations.push(...(await axe(page, 'register: phone')));
    await page.getByLabel('Enter your mobile phone number').fill('07700 900456');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(onService('/register/phone-code'));
    violations.push(...(await axe(page, 'register: phone code')));
    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor('+447700900456'));
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(onSupplier('/me'));
    expect(await text(page.locator('h1'))).toBe('You are signed in');
    expect(await meValue(page, 'Vector of trust met')).toBe('P0.Cp.Cd');
    const idClaims = page.locator('table', { has: page.locator('caption', { hasText: 'ID token claims' }) });
    expect(await text(claim(idClaims, 'vot'))).toBe('P0.Cp.Cd');
    const userinfo = page.locator('table', { has: page.locator('caption', { hasText: 'Userinfo claims' }) });
    expect(await text(claim(userinfo, 'email'))).toBe(email);
    expect(await text(claim(userinfo, 'email_verified'))).toBe('true');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'supplier-me.png'), fullPage: true });

    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
  });

  it('signs in a P9 person with a text code, remembers the device, then skips the code on prompt=login', async () => {
    const { page, csp } = await newContext();
    const violations: string[] = [];
    const p9 = person('p9.patient@example.com');
    expect(p9.nhsNumber).toBe('9990000026');

    await startAtSupplier(page, { vtr: 'P9.Cp.Cd', scopes: ['profile', 'email', 'phone'] });
    violations.push(...(await axe(page, 'sign-in (P9)')));
    await page.getByLabel('Email address').fill(p9.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(onService('/sign-in/text-code'));
    expect(await text(page.locator('h1'))).toBe('Check your phone');
    violations.push(...(await axe(page, 'sign-in: text code')));
    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(p9.phone));
    await page.getByLabel('Do not ask for a security code on this device for 30 days').check();
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.waitForURL(onSupplier('/me'));
    expect(await meValue(page, 'Vector of trust met')).toBe('P9.Cp.Cd');
    expect(await meValue(page, 'identity_proofing_level')).toBe('P9');
    const userinfo = page.locator('table', { has: page.locator('caption', { hasText: 'Userinfo claims' }) });
    expect(await text(claim(userinfo, 'nhs_number'))).toBe('9990000026');

    // Again, in the same browser, with prompt=login: the password, but no text code.
    const textsBefore = (await readOutbox(service.database.db, { recipient: p9.phone })).length;
    const visited: string[] = [];
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) visited.push(frame.url());
    });
    await startAtSupplier(page, { vtr: 'P9.Cp.Cd', scopes: ['profile', 'email'], prompt: 'login' });
    expect(await text(page.locator('h1'))).toBe('Log in to NHS login');
    await page.getByLabel('Email address').fill(p9.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onSupplier('/me'));
    expect(visited.filter((u) => u.includes('/sign-in/text-code'))).toEqual([]);
    expect((await readOutbox(service.database.db, { recipient: p9.phone })).length).toBe(textsBefore);
    expect(await meValue(page, 'Vector of trust met')).toBe('P9.Cp.Cd');
    const idClaims = page.locator('table', { has: page.locator('caption', { hasText: 'ID token claims' }) });
    expect(await text(claim(idClaims, 'vot'))).toBe('P9.Cp.Cd');

    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
  });

  it('works without JavaScript', async () => {
    const { page, csp } = await newContext({ javaScriptEnabled: false });
    const p0 = person('p0.patient@example.com');

    await startAtSupplier(page, { vtr: 'P0.Cp.Cd', scopes: ['email'] });
    await page.getByLabel('Email address').fill(p0.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onService('/sign-in/text-code'));
    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(p0.phone));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.waitForURL(onSupplier('/me'));
    expect(await meValue(page, 'Vector of trust met')).toBe('P0.Cp.Cd');
    const userinfo = page.locator('table', { has: page.locator('caption', { hasText: 'Userinfo claims' }) });
    expect(await text(claim(userinfo, 'email'))).toBe(p0.email);
    expect(csp, csp.join('\n')).toEqual([]);
  });

  it('proves a P0 person to P5 inline when the demo supplier asks for P5, every new page accessible', async () => {
    const { page, csp } = await newContext();
    const violations: string[] = [];
    const someone = await newPerson(service.database.db, 'browser-p5');
    const logIn = async () => {
      await page.getByLabel('Email address').fill(someone.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(onService('/sign-in/text-code'));
      await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(someone.phone_number));
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
    };

    // From the account first: where a P0 person starts proving who they are.
    await page.goto(`${service.url}/account`);
    await page.waitForURL(onService('/sign-in'));
    await logIn();
    await page.waitForURL(onService('/account'));
    await page.getByRole('link', { name: 'Prove who you are' }).click();
    await page.waitForURL(onService('/prove-identity'));
    expect(await text(page.locator('h1'))).toBe('Prove who you are');
    violations.push(...(await axe(page, 'prove identity: start')));

    // Then the supplier asks for P5: proving is offered inline, after the password and code.
    await startAtSupplier(page, { vtr: 'P5.Cp.Cd', scopes: ['profile'] });
    await logIn();
    await page.waitForURL(onService('/sign-in/prove-identity'));
    expect(await text(page.locator('h1'))).toBe('You need to prove who you are');
    violations.push(...(await axe(page, 'sign-in: prove identity (step-up)')));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.waitForURL(onService('/prove-identity/details'));
    violations.push(...(await axe(page, 'prove identity: details')));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    expect(await page.title()).toMatch(/^Error: /);
    violations.push(...(await axe(page, 'prove identity: details with errors')));

    const fill = async (day: string) => {
      await page.getByLabel('First name').fill('Fatima');
      await page.getByLabel('Last name').fill('Adeyemi');
      await page.getByLabel('Day').fill(day);
      await page.getByLabel('Month').fill('7');
      await page.getByLabel('Year').fill('1996');
      await page.getByLabel('Postcode').fill('s10 1an');
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
    };
    // A date of birth a day out: no match, said on the same page with what was typed kept.
    await fill('31');
    await page.getByText('We could not confirm your details').waitFor();
    expect(await page.getByLabel('First name').inputValue()).toBe('Fatima');
    violations.push(...(await axe(page, 'prove identity: not matched')));
    await fill('30');

    await page.waitForURL(onService('/prove-identity/done'));
    expect(await text(page.locator('h1'))).toBe('You have proved who you are');
    violations.push(...(await axe(page, 'prove identity: done')));
    await page.getByRole('button', { name: 'Continue to Demo GP surgery app' }).click();

    await page.waitForURL(onSupplier('/me'));
    expect(await meValue(page, 'Vector of trust met')).toBe('P5.Cp.Cd');
    expect(await meValue(page, 'identity_proofing_level')).toBe('P5');
    const userinfo = page.locator('table', { has: page.locator('caption', { hasText: 'Userinfo claims' }) });
    expect(await text(claim(userinfo, 'nhs_number'))).toBe('9990011087');

    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
  });

  it('signs in to the account pages directly, and every account page and the back-office sign-in are accessible', async () => {
    const { page, csp } = await newContext();
    const p5 = person('p5.patient@example.com');
    const violations: string[] = [];
    await page.goto(`${service.url}/account`);
    await page.waitForURL(onService('/sign-in'));
    await page.getByLabel('Email address').fill(p5.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onService('/sign-in/text-code'));
    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(p5.phone));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.waitForURL(onService('/account'));
    expect(await page.locator('body').innerText()).toContain(p5.email);
    for (const path of [
      '/account',
      '/account/activity',
      '/account/email',
      '/account/password',
      '/account/phone',
      '/account/authenticator-app',
      '/account/delete',
    ]) {
      const response = await page.goto(`${service.url}${path}`);
      expect(response?.status(), path).toBe(200);
      violations.push(...(await axe(page, path)));
    }
    // An empty form shows the error summary, which must be accessible too.
    await page.goto(`${service.url}/account/password`);
    await page
      .getByRole('button', { name: /Save|Change|Continue/ })
      .first()
      .click();
    await page.waitForSelector('.nhsuk-error-summary');
    violations.push(...(await axe(page, 'account password errors')));
    const anonymous = await newContext();
    await anonymous.page.goto(`${service.url}/backoffice/sign-in`);
    violations.push(...(await axe(anonymous.page, 'back-office sign-in')));
    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
    expect(anonymous.csp, anonymous.csp.join('\n')).toEqual([]);
  });

  it('shows "Your session has ended" for a lost journey, without a stack trace', async () => {
    const { page, csp } = await newContext();
    const response = await page.goto(`${service.url}/sign-in/text-code`);
    expect(response?.status()).toBe(400);
    expect(await text(page.locator('h1'))).toBe('Your session has ended');
    const bodyText = await page.locator('body').innerText();
    expect(bodyText).not.toMatch(/\bat .+:\d+:\d+|node_modules|Error:|stack/i);
    const violations = await axe(page, 'session ended');
    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
  });

  it('keeps the Content Security Policy: no violations, and form-action allows the supplier only where needed', async () => {
    const { page, csp } = await newContext();
    const p5 = person('p5.patient@example.com');
    await startAtSupplier(page, { vtr: 'P5.Cp.Cd', scopes: ['email'] });
    await page.getByLabel('Email address').fill(p5.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onService('/sign-in/text-code'));

    // The page whose POST ends at the supplier (through the provider's redirect) allows its origin.
    const codePage = await page.request.get(`${service.url}/sign-in/text-code`);
    const policy = codePage.headers()['content-security-policy'] ?? '';
    expect(policy).toMatch(/script-src 'self'/);
    expect(policy).toContain(`form-action 'self' ${supplierUrl}`);

    await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(p5.phone));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.waitForURL(onSupplier('/me'));
    expect(await meValue(page, 'Vector of trust met')).toBe('P5.Cp.Cd');

    // Once the journey is over, pages go back to form-action 'self'.
    const lost = await page.request.get(`${service.url}/sign-in/text-code`);
    expect(lost.status()).toBe(400);
    expect(lost.headers()['content-security-policy']).toMatch(/form-action 'self'(;|$)/);

    expect(csp, csp.join('\n')).toEqual([]);
    // Nor in any other flow of this file (each also checks its own).
    expect(pagesSeen).toBeGreaterThan(0);
    expect(cspMessages, cspMessages.join('\n')).toEqual([]);
  });
});

/** The value cell of a claim's row in one of the supplier's claims tables. */
function claim(table: Locator, name: string): Locator {
  return table
    .locator('tr', { has: table.page().locator('th', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) })
    .locator('td');
}
