// Delegated access set up by the person, in a real browser (Chromium through
// playwright-core): a P9 grantor invites someone from their account, the
// invitee opens the emailed link, logs in, sees the invitation and accepts,
// then signs in at a supplier and chooses to manage the grantor's care; the grantor then sees them, changes what they can do and stops it. Every
// page along the way is scanned with axe (WCAG 2.2 AA), and the console is
// watched for Content Security Policy violations.
//
// Needs Chromium: see test/support/chromium.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { latestCode, readOutbox } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import { DELEGABLE_PERMISSIONS } from '../../src/domain/delegation.js';
import { updateAccount, type Account } from '../../src/store/accounts.js';
import { delegationsGivenBy } from '../../src/store/delegations.js';
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
import { newPerson } from '../support/people.js';
import { startTestService, type TestService } from '../support/service.js';
import { authorizeUrl, demoSupplier } from '../support/supplier.js';

warnIfSkipped('delegated access browser tests');

describe.skipIf(SKIP_BROWSER)('delegated access in a real browser', () => {
  let service: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const db = () => service.database.db;

  beforeAll(async () => {
    assertChromium();
    service = await startTestService({ listen: true });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });

  async function newPage(csp: string[]): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB' });
    contexts.push(context);
    // A step that cannot happen fails with its own locator, not the test's timeout.
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) csp.push(`${page.url()}: ${message.text()}`);
    });
    return page;
  }

  const onService = (path: string) => at(service.url, path);

  async function p9(tag: string, given: string, family: string, birthdate: string): Promise<Account> {
    const account = await newPerson(db(), tag);
    await updateAccount(db(), account.id, {
      proofing_level: 'P9',
      given_name: given,
      family_name: family,
      birthdate,
    });
    return account;
  }

  async function codeFor(recipient: string, before: string | undefined): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const code = await latestCode(db(), recipient);
      if (code && code !== before) return code;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no code sent to ${recipient}`);
  }

  /** On the sign-in page: the password, then the text code; ends on `landing`. */
  async function logIn(page: Page, account: Account, landing = '/account'): Promise<void> {
    const before = await latestCode(db(), account.phone_number);
    await page.getByLabel('Email address').fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(onService('/sign-in/text-code'));
    await page
      .getByRole('textbox', { name: 'Security code' })
      .fill(await codeFor(account.phone_number, before));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.waitForURL(onService(landing));
  }

  it('invites, accepts, changes and stops access, every page accessible', async () => {
    const csp: string[] = [];
    const violations: string[] = [];
    const grantorAccount = await p9('browser-grantor', 'Pat', 'Okafor', '1950-03-04');
    const inviteeAccount = await p9('browser-invitee', 'Sam', 'Jones', '1990-05-05');

    // The grantor invites, from their account.
    const grantor = await newPage(csp);
    await grantor.goto(`${service.url}/account`);
    await grantor.waitForURL(onService('/sign-in'));
    await logIn(grantor, grantorAccount);
    violations.push(...(await axe(grantor, 'account home')));
    await grantor.getByRole('link', { name: 'People who can manage your care' }).click();
    await grantor.waitForURL(onService('/account/delegates'));
    expect(await text(grantor.locator('h1'))).toBe('People who can manage your care');
    violations.push(...(await axe(grantor, 'delegates: empty')));
    await grantor.getByRole('link', { name: 'Invite someone' }).click();
    await grantor.waitForURL(onService('/account/delegates/invite'));
    violations.push(...(await axe(grantor, 'invite')));

    await grantor.getByRole('button', { name: 'Send invitation' }).click();
    await grantor.locator('.nhsuk-error-summary').waitFor();
    expect(await grantor.title()).toMatch(/^Error: /);
    violations.push(...(await axe(grantor, 'invite with errors')));

    await grantor.getByLabel('First name').fill('Sam');
    await grantor.getByLabel('Last name').fill('Jones');
    await grantor.locator('#birthdate-day').fill('5');
    await grantor.locator('#birthdate-month').fill('5');
    await grantor.locator('#birthdate-year').fill('1990');
    await grantor.getByLabel('Their email address').fill(inviteeAccount.email);
    await grantor.getByLabel('How you know them').fill('Son');
    await grantor.getByLabel(DELEGABLE_PERMISSIONS.appointments).check();
    await grantor.getByLabel(DELEGABLE_PERMISSIONS.prescriptions).check();
    await grantor.getByRole('button', { name: 'Send invitation' }).click();
    await grantor.waitForURL(onService('/account/delegates'));
    await grantor.getByText('We have emailed Sam Jones an invitation').waitFor();
    violations.push(...(await axe(grantor, 'delegates: invitation sent')));

    // The invitee opens the emailed link, logs in, and accepts.
    const [email] = await readOutbox(db(), { recipient: inviteeAccount.email, limit: 1 });
    const link = /(http:\/\/\S+\/delegation\/invitation\?token=\S+)/.exec(email?.body ?? '')?.[1];
    expect(link).toBeDefined();
    const invitee = await newPage(csp);
    await invitee.goto(link!);
    await invitee.waitForURL(onService('/delegation/accept'));
    expect(await text(invitee.locator('h1'))).toBe('Log in to accept the invitation');
    violations.push(...(await axe(invitee, 'accept: log in first')));
    await invitee.getByRole('link', { name: 'Log in' }).click();
    await invitee.waitForURL(onService('/sign-in'));
    await logIn(invitee, inviteeAccount);
    violations.push(...(await axe(invitee, 'account home with an invitation')));
    await invitee.getByRole('link', { name: 'See the invitation' }).click();
    await invitee.waitForURL(onService('/delegation/accept'));
    expect(await text(invitee.locator('h1'))).toBe('Pat Okafor has asked you to help manage their care');
    violations.push(...(await axe(invitee, 'accept: the invitation')));
    await invitee.getByRole('button', { name: 'Accept' }).click();
    await invitee.waitForURL(onService('/account/delegations'));
    await invitee.getByText("You can now help manage Pat Okafor's care").waitFor();
    violations.push(...(await axe(invitee, 'delegations: accepted')));

    const [delegation] = await delegationsGivenBy(db(), grantorAccount.id);
    expect(delegation?.status).toBe('active');

    // At a supplier that asks for delegations, the invitee chooses whose care they manage today.
    const demo = demoSupplier();
    await invitee.context().route(`${new URL(demo.redirectUri).origin}/**`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: '<!doctype html><title>Supplier</title><p>Back</p>',
      }),
    );
    const { url } = authorizeUrl(demo, {
      vtr: '["P9.Cp.Cd"]',
      scope: 'openid profile delegations',
      prompt: 'login',
    });
    await invitee.goto(`${service.url}${url}`);
    await invitee.waitForURL(onService('/sign-in'));
    await logIn(invitee, inviteeAccount, '/sign-in/acting-for');
    expect(await text(invitee.locator('h1'))).toBe('Whose care are you managing today?');
    violations.push(...(await axe(invitee, 'sign-in: whose care')));
    await invitee.getByRole('button', { name: 'Continue' }).click();
    await invitee.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(invitee, 'sign-in: whose care, with errors')));
    await invitee.getByLabel('Pat Okafor').check();
    await invitee.getByRole('button', { name: 'Continue' }).click();
    await invitee.waitForURL((u) => u.href.startsWith(demo.redirectUri));
    expect(new URL(invitee.url()).searchParams.get('code')).toMatch(/\S+/);

    // The grantor sees them, narrows what they can do, then stops it.
    await grantor.reload();
    await grantor.getByText('Can manage your care', { exact: true }).waitFor();
    violations.push(...(await axe(grantor, 'delegates: active')));
    await grantor.getByRole('link', { name: 'Change or stop access for Sam Jones' }).click();
    await grantor.waitForURL(onService(`/account/delegates/${delegation!.id}`));
    violations.push(...(await axe(grantor, 'delegate: change')));
    await grantor.getByLabel(DELEGABLE_PERMISSIONS.appointments).uncheck();
    await grantor.getByLabel(DELEGABLE_PERMISSIONS.prescriptions).uncheck();
    await grantor.getByRole('button', { name: 'Save changes' }).click();
    await grantor.locator('.nhsuk-error-summary').waitFor();
    violations.push(...(await axe(grantor, 'delegate: change with errors')));
    await grantor.getByLabel(DELEGABLE_PERMISSIONS.prescriptions).check();
    await grantor.getByRole('button', { name: 'Save changes' }).click();
    await grantor.waitForURL(onService('/account/delegates'));
    await grantor.getByText('You changed what Sam Jones can do').waitFor();

    await grantor.getByRole('link', { name: 'Change or stop access for Sam Jones' }).click();
    await grantor.getByRole('link', { name: 'Stop Sam Jones managing your care' }).click();
    await grantor.waitForURL(onService(`/account/delegates/${delegation!.id}/revoke`));
    violations.push(...(await axe(grantor, 'delegate: stop')));
    await grantor.getByRole('button', { name: 'Stop access' }).click();
    await grantor.waitForURL(onService('/account/delegates'));
    await grantor.getByText('Sam Jones can no longer manage your care').waitFor();
    expect((await delegationsGivenBy(db(), grantorAccount.id))[0]?.status).toBe('revoked');

    await invitee.goto(`${service.url}/account/delegations`);
    await invitee.getByText("You cannot manage anyone else's care").waitFor();

    expect(violations, violations.join('\n')).toEqual([]);
    expect(csp, csp.join('\n')).toEqual([]);
  }, 180_000);
});
