// The back office in a real browser: an operator signs in with a password and
// authenticator app, adds a passkey made by Chromium's virtual WebAuthn
// authenticator (DevTools protocol), signs out and back in with it, onboards
// a new supplier through the pages, and that supplier (the demo supplier app
// run with the new client id and key) then signs a person in. Every
// back-office page along the way is scanned with axe.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoSupplier } from '../../demo-supplier/app.js';
import { latestCode } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  SKIP_BROWSER,
  assertChromium,
  at,
  axe,
  text,
  warnIfSkipped,
} from '../support/chromium.js';
import { freePort, startTestService, type TestService } from '../support/service.js';
import { STAFF_PASSWORD, staffHelpers } from '../support/staff.js';

warnIfSkipped('back-office browser tests');

describe.skipIf(SKIP_BROWSER)('the back office in a real browser', () => {
  let service: TestService;
  let browser: Browser;
  let context: BrowserContext;
  let supplier: FastifyInstance | undefined;

  beforeAll(async () => {
    assertChromium();
    service = await startTestService({ listen: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    context = await browser.newContext({ locale: 'en-GB' });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await supplier?.close();
    await service?.close();
  });

  /** Chromium's virtual authenticator for this page: a platform passkey that verifies the user. */
  async function virtualAuthenticator(page: Page): Promise<void> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  }

  it('an operator signs in with a passkey, onboards a supplier, and the supplier signs a person in', async () => {
    const violations: string[] = [];
    const { staffMember, freshCode } = staffHelpers(service);
    // Set up through the invitation link (password and app); the browser signs in below.
    const operator = await staffMember('operator', 'X26');
    const page = await context.newPage();
    await virtualAuthenticator(page);
    const onService = (path: string) => at(service.url, path);

    await page.goto(`${service.url}/backoffice/sign-in`);
    violations.push(...(await axe(page, 'back-office sign-in')));
    await page.getByLabel('Email address').fill(operator.email);
    await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
    await page
      .getByLabel('Security code from your authenticator app')
      .fill(await freshCode(operator.email, operator.key));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(onService('/backoffice'));
    violations.push(...(await axe(page, 'back-office home')));

    await page.getByRole('link', { name: 'Your passkeys' }).click();
    await page.waitForURL(onService('/backoffice/passkeys'));
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByText(/Passkey added/).waitFor();
    violations.push(...(await axe(page, 'passkeys')));

    await page.goto(`${service.url}/backoffice`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(onService('/backoffice/signed-out'));
    await page.goto(`${service.url}/backoffice/sign-in`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(onService('/backoffice'));
    expect(await text(page.locator('h1'))).toBe('Back office');
    const signedIn = await service.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('code', '=', 'B-STAFF-SIGNED-IN')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(signedIn.details).toMatchObject({ staffId: operator.id, method: 'passkey' });

    // Onboard a new supplier through the pages, with a key pair made here.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const clientId = `browser-gp-${randomBytes(4).toString('hex')}`;
    const supplierPort = await freePort();
    const supplierUrl = `http://localhost:${supplierPort}`;
    await page.getByRole('link', { name: 'Register a supplier' }).click();
    await page.waitForURL(onService('/backoffice/suppliers/new'));
    violations.push(...(await axe(page, 'register a supplier')));
    // Once empty: the error summary must be accessible too, and nothing is registered.
    await page.getByRole('button', { name: 'Register supplier' }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(page, 'register a supplier, with errors')));
    await page.getByLabel('Client ID', { exact: true }).fill(clientId);
    await page.getByLabel('Service name', { exact: true }).fill('Browser GP appointments');
    await page.getByLabel('Redirect URIs', { exact: true }).fill(`${supplierUrl}/callback`);
    for (const scope of ['openid', 'profile', 'email']) {
      await page.locator(`input[name="scopes"][value="${scope}"]`).check();
    }
    await page.locator('input[name="vectors"][value="P9.Cp.Cd"]').check();
    await page.locator('input[name="keys"][value="pem"]').check();
    await page
      .getByLabel('Public keys (PEM)')
      .fill(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    await page.getByRole('button', { name: 'Register supplier' }).click();
    await page.waitForURL(onService(`/backoffice/suppliers/${clientId}`));
    expect(await page.locator('main').innerText()).toContain(clientId);
    violations.push(...(await axe(page, "a supplier's page")));
    const registered = await service.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('code', '=', 'O-SUPPLIER-REGISTERED')
      .where('client_id', '=', clientId)
      .executeTakeFirstOrThrow();
    expect(registered.details).toMatchObject({ staffId: operator.id });

    // The supplier, with its new client id and key, signs a person in straight away.
    supplier = await buildDemoSupplier({
      issuer: service.url,
      baseUrl: supplierUrl,
      clientId,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    await supplier.listen({ host: '127.0.0.1', port: supplierPort });
    const person = await context.newPage();
    await person.goto(`${supplierUrl}/`);
    for (const box of await person.locator('input[name="scope"]').all()) {
      const value = (await box.getAttribute('value')) ?? '';
      if (['profile', 'email'].includes(value)) await box.check();
      else await box.uncheck();
    }
    await person.locator('input[name="vtr"][value="P9.Cp.Cd"]').check();
    await person.getByRole('button', { name: 'Continue to NHS login' }).click();
    await person.waitForURL(onService('/sign-in'));
    await person.getByLabel('Email address').fill('p9.patient@example.com');
    await person.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await person.getByRole('button', { name: 'Continue' }).click();
    await person.waitForURL(onService('/sign-in/text-code'));
    const code = await latestCode(service.database.db, '+447700900009');
    await person.getByRole('textbox', { name: 'Security code' }).fill(code!);
    await person.getByRole('button', { name: 'Continue', exact: true }).click();
    await person.waitForURL(at(supplierUrl, '/me'));
    expect(await person.locator('main, body').first().innerText()).toContain('9990000026');

    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('the support and audit pages are accessible, with results and with errors', async () => {
    const violations: string[] = [];
    const { staffMember, freshCode } = staffHelpers(service);
    const onService = (path: string) => at(service.url, path);
    const page = await context.newPage();
    const signInAs = async (member: { email: string; key: string }) => {
      await page.goto(`${service.url}/backoffice/sign-in`);
      await page.getByLabel('Email address').fill(member.email);
      await page.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
      await page
        .getByLabel('Security code from your authenticator app')
        .fill(await freshCode(member.email, member.key));
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(onService('/backoffice'));
    };

    await signInAs(await staffMember('support', 'X26'));
    await page.getByRole('link', { name: /find/i }).first().click();
    await page.waitForURL(onService('/backoffice/support'));
    violations.push(...(await axe(page, 'support: search')));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(page, 'support: search with errors')));
    await page.getByLabel('Email address, mobile phone number or NHS number').fill('p9.patient@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    const open = page.getByRole('link', { name: /^Open the account of/ }).first();
    await open.waitFor();
    violations.push(...(await axe(page, 'support: results')));
    await open.click();
    await page.waitForURL(/\/backoffice\/support\/patients\/[^/]+$/);
    violations.push(...(await axe(page, "support: a patient's account")));
    await page.goto(`${page.url()}/lock`);
    violations.push(...(await axe(page, 'support: lock')));
    await page.getByRole('button').filter({ hasText: /lock/i }).first().click();
    await page.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(page, 'support: lock with errors')));

    await context.clearCookies();
    await signInAs(await staffMember('auditor'));
    await page.goto(`${service.url}/backoffice/audit`);
    violations.push(...(await axe(page, 'audit: search')));
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForLoadState();
    violations.push(...(await axe(page, 'audit: results')));
    await page.goto(`${service.url}/backoffice/audit/export`);
    violations.push(...(await axe(page, 'audit: export')));
    await page.goto(`${service.url}/backoffice/audit/verify`);
    violations.push(...(await axe(page, 'audit: verify')));

    expect(violations, violations.join('\n')).toEqual([]);
  });
});
