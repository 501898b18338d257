// Proving identity to P9 in a real browser (Chromium through playwright-core),
// by the two routes that need no camera:
//
// - GP online services details: a P0 person signs in to their account, chooses
//   the GP route on /prove-identity, types details the simulated GP system
//   holds (fixtures/gp-system/linkages.ndjson) and ends on the done page at
//   P9; a Linkage Key that is not one, and one the GP system does not know,
//   are each said on the same page with what was typed kept.
// - In person: a member of practice staff signs in to the back office, finds
//   a patient of their practice in PDS, records the photo ID check done face
//   to face and provisions an NHS login (outcome create); the patient, in a
//   browser of their own, opens the emailed claim link, enters the text code,
//   their date of birth and postcode and a password, and lands signed in at P9.
//
// Every page visited is scanned with axe (WCAG 2.2 AA).
//
// Needs Chromium: see test/support/chromium.ts.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../../src/adapters/notify/outbox.js';
import { TEST_PASSWORD } from '../../src/cli/seed.js';
import { findAccountByEmail, findAccountById } from '../../src/store/accounts.js';
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
import { startTestService, type TestService } from '../support/service.js';
import { STAFF_PASSWORD, staffHelpers } from '../support/staff.js';

warnIfSkipped('proving identity browser tests');

/**
 * Each test is a long journey with an axe scan on every page (17 in the
 * in-person one, about 50 s on 2 busy cores): more than the default 60 s
 * leaves room for a CI run sharing the machine. This file's tests only.
 */
const JOURNEY_TIMEOUT = 180_000;

/**
 * A set of details in the simulated GP system and its person (as in
 * test/prove-identity-gp.test.ts), whose NHS number no seeded account holds.
 */
const SOPHIA = {
  accountId: '3299588791',
  linkageKey: 'gxU69kVeqHq6y',
  odsCode: 'B82005',
  familyName: 'Smith',
  day: '12',
  month: '5',
  year: '1944',
  nhsNumber: '9990011125',
};

/** A living patient of practice A81001 in the synthetic national record, without an NHS login. */
const NOEL = {
  nhsNumber: '9990011060',
  day: '13',
  month: '8',
  year: '1957',
  postcode: 'BS8 2AX',
  name: 'Noël Kowalski',
};

describe.skipIf(SKIP_BROWSER)('proving identity to P9 in a real browser', () => {
  let service: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const db = () => service.database.db;
  const onService = (path: string) => at(service.url, path);

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

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ locale: 'en-GB' });
    contexts.push(context);
    return context.newPage();
  }

  /** Waits for a code to reach the outbox. */
  async function codeFor(recipient: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const code = await latestCode(db(), recipient);
      if (code) return code;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no code sent to ${recipient}`);
  }

  /** The value of a row of the account page's summary list. */
  async function accountRow(page: Page, key: string): Promise<string> {
    const row = page.locator('.nhsuk-summary-list__row', {
      has: page.locator('.nhsuk-summary-list__key', { hasText: key }),
    });
    return text(row.locator('.nhsuk-summary-list__value'));
  }

  it(
    'a P0 person proves who they are to P9 with GP online services details',
    async () => {
      const page = await newPage();
      const violations: string[] = [];
      const scan = async (label: string) => violations.push(...(await axe(page, label)));
      const person = await newPerson(db(), 'browser-gp');

      await page.goto(`${service.url}/sign-in`);
      await scan('sign-in');
      await page.getByLabel('Email address').fill(person.email);
      await page.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL(onService('/sign-in/text-code'));
      await scan('sign-in: text code');
      await page.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(person.phone_number));
      await page.getByRole('button', { name: 'Continue', exact: true }).click();
      await page.waitForURL(onService('/account'));
      expect(await accountRow(page, 'Proving who you are')).toContain('You have not proved who you are yet');
      await scan('account (P0)');

      await page.getByRole('link', { name: 'Prove who you are' }).first().click();
      await page.waitForURL(onService('/prove-identity'));
      expect(await text(page.locator('h1'))).toBe('Prove who you are');
      await scan('prove identity: start');
      await page.getByRole('button', { name: 'Use GP online services details' }).click();
      await page.waitForURL(onService('/prove-identity/gp-details'));
      expect(await text(page.locator('h1'))).toBe('Enter your GP online services details');
      await scan('prove identity: GP details');

      const fill = async (details: typeof SOPHIA) => {
        await page.getByLabel('Account ID').fill(details.accountId);
        await page.getByLabel('Linkage Key').fill(details.linkageKey);
        await page.getByLabel('Practice ODS code').fill(details.odsCode);
        await page.getByLabel('Last name').fill(details.familyName);
        await page.getByLabel('Day').fill(details.day);
        await page.getByLabel('Month').fill(details.month);
        await page.getByLabel('Year').fill(details.year);
        await page.getByRole('button', { name: 'Continue', exact: true }).click();
      };
      const expectKept = async (details: typeof SOPHIA) => {
        expect(await page.getByLabel('Account ID').inputValue()).toBe(details.accountId);
        expect(await page.getByLabel('Practice ODS code').inputValue()).toBe(details.odsCode);
        expect(await page.getByLabel('Last name').inputValue()).toBe(details.familyName);
        expect(await page.getByLabel('Day').inputValue()).toBe(details.day);
        expect(await page.getByLabel('Month').inputValue()).toBe(details.month);
        expect(await page.getByLabel('Year').inputValue()).toBe(details.year);
      };

      // A Linkage Key that cannot be one: the NHS error summary, linked to the field, the rest kept.
      await fill({ ...SOPHIA, linkageKey: 'gxU69-kVeq!' });
      const summary = page.locator('.nhsuk-error-summary');
      await summary.waitFor();
      expect(await page.title()).toMatch(/^Error: /);
      expect(await text(summary.locator('h2'))).toBe('There is a problem');
      const toKey = summary.locator('a[href="#linkageKey"]');
      expect(await toKey.count()).toBe(1);
      expect(await page.locator('#linkageKey').getAttribute('aria-describedby')).toMatch(
        /\blinkageKey-error\b/,
      );
      await expectKept(SOPHIA);
      // The page keeps the Linkage Key as typed too (it does not drop it).
      expect(await page.getByLabel('Linkage Key').inputValue()).toBe('gxU69-kVeq!');
      await scan('prove identity: GP details with errors');
      // The summary's link takes the person to the field.
      await toKey.click();
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('linkageKey');

      // A Linkage Key of the right shape that the GP system does not know: said on the same page.
      const wrongKey = { ...SOPHIA, linkageKey: 'gxU69kVeqHq6Y' };
      await fill(wrongKey);
      await page.getByRole('heading', { name: 'We could not confirm your details' }).waitFor();
      expect(page.url()).toMatch(onService('/prove-identity/gp-details'));
      await expectKept(wrongKey);
      expect(await page.getByLabel('Linkage Key').inputValue()).toBe(wrongKey.linkageKey);
      expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
      await scan('prove identity: GP details not confirmed');

      await fill(SOPHIA);
      await page.waitForURL(onService('/prove-identity/done'));
      expect(await text(page.locator('h1'))).toBe('You have proved who you are');
      expect(await page.locator('main').innerText()).toContain('Your GP surgery confirmed your details');
      await scan('prove identity: done (P9)');
      const account = await findAccountById(db(), person.id);
      expect(account).toMatchObject({
        proofing_level: 'P9',
        family_name: 'Smith',
        birthdate: '1944-05-12',
        gp_ods_code: 'B82005',
        gp_user_id: SOPHIA.accountId,
      });
      expect(service.sealer.open(account!.nhs_number!)).toBe(SOPHIA.nhsNumber);

      await page.getByRole('link', { name: 'Go back to your NHS login' }).click();
      await page.waitForURL(onService('/account'));
      expect(await accountRow(page, 'Proving who you are')).toContain('You have proved who you are');
      await scan('account (P9)');

      expect(violations, violations.join('\n')).toEqual([]);
    },
    JOURNEY_TIMEOUT,
  );

  it(
    'practice staff verify a patient in person, and the patient claims their NHS login at P9',
    async () => {
      const violations: string[] = [];
      const { staffMember, freshCode } = staffHelpers(service);
      const staff = await staffMember('practice-staff', 'A81001');
      const email = `noel.${Date.now()}@example.com`;
      const mobile = '07700 900871';
      const phone = '+447700900871';

      // The member of staff, in their own browser.
      const desk = await newPage();
      const scanDesk = async (label: string) => violations.push(...(await axe(desk, label)));
      await desk.goto(`${service.url}/backoffice/sign-in`);
      await scanDesk('back-office sign-in');
      await desk.getByLabel('Email address').fill(staff.email);
      await desk.getByLabel('Password', { exact: true }).fill(STAFF_PASSWORD);
      await desk
        .getByLabel('Security code from your authenticator app')
        .fill(await freshCode(staff.email, staff.key));
      await desk.getByRole('button', { name: 'Sign in', exact: true }).click();
      await desk.waitForURL(onService('/backoffice'));
      await scanDesk('back-office home (practice staff)');

      await desk.getByRole('link', { name: 'Verify a patient face to face' }).click();
      await desk.waitForURL(onService('/backoffice/in-person'));
      expect(await text(desk.locator('h1'))).toBe('Verify a patient face to face');
      await scanDesk('in person: find');
      await desk.getByRole('button', { name: 'Find the patient' }).click();
      await desk.locator('.nhsuk-error-summary').waitFor();
      await scanDesk('in person: find with errors');

      await desk.getByLabel('NHS number').fill('999 001 1060');
      await desk.getByLabel('Day').fill(NOEL.day);
      await desk.getByLabel('Month').fill(NOEL.month);
      await desk.getByLabel('Year').fill(NOEL.year);
      await desk.getByRole('button', { name: 'Find the patient' }).click();
      await desk.getByRole('heading', { name: 'Check their photo ID' }).waitFor();
      // Found by a POST: the NHS number is not in the address.
      expect(desk.url()).not.toContain(NOEL.nhsNumber);
      const found = await desk.locator('main').innerText();
      expect(found).toContain(NOEL.name);
      expect(found).toContain('999 001 1060');
      expect(found).toContain('No NHS login yet');
      await scanDesk('in person: check photo ID');
      await desk.getByRole('button', { name: 'Record the check' }).click();
      await desk.locator('.nhsuk-error-summary').waitFor();
      await scanDesk('in person: check photo ID with errors');

      await desk.getByLabel('Passport', { exact: true }).check();
      await desk.getByLabel('Last 4 letters or numbers of the document’s number').fill('4k7q');
      await desk.getByLabel('In date', { exact: true }).check();
      await desk.getByLabel(/I held the original document/).check();
      await desk.getByLabel('The person in front of me is the person in the photo').check();
      await desk.getByRole('button', { name: 'Record the check' }).click();
      await desk.getByRole('heading', { name: 'What do you want to do?' }).waitFor();
      expect(await desk.locator('main').innerText()).toContain(
        'Photo ID check recorded: Passport ending 4K7Q',
      );
      await scanDesk('in person: what to do');

      await desk.getByLabel('Patient’s email address').fill(email);
      await desk.getByLabel('Patient’s UK mobile phone number').fill(mobile);
      await desk.getByRole('button', { name: 'Provision an NHS login' }).click();
      await desk.getByRole('heading', { name: 'NHS login ready to claim' }).waitFor();
      expect(await desk.locator('main').innerText()).toContain(`We have emailed ${email}`);
      await scanDesk('in person: provisioned');
      const request = await db()
        .selectFrom('provisioning_requests')
        .selectAll()
        .where('nhs_number_hash', '=', service.sealer.lookupHash(NOEL.nhsNumber))
        .executeTakeFirstOrThrow();
      expect(request).toMatchObject({
        outcome: 'create',
        status: 'pending',
        ods_code: 'A81001',
        email,
        phone_number: phone,
        requested_by_staff: staff.id,
      });

      // The patient, in a browser of their own, from the link in the email.
      const [mail] = await readOutbox(db(), { recipient: email, limit: 1 });
      expect(mail?.subject).toBe('Set up the NHS login your GP surgery made for you');
      const link = new RegExp(`${escapeRegExp(service.url)}/claim-account\\?token=[A-Za-z0-9_%-]+`).exec(
        mail?.body ?? '',
      )?.[0];
      expect(link, mail?.body).toBeDefined();
      const patient = await newPage();
      const scanPatient = async (label: string) => violations.push(...(await axe(patient, label)));
      await patient.goto(link!);
      await patient.waitForURL(onService('/claim-account/start'));
      expect(await text(patient.locator('h1'))).toBe('Set up your NHS login');
      await scanPatient('claim: start');
      await patient.getByRole('button', { name: 'Send the security code' }).click();
      await patient.waitForURL(onService('/claim-account/phone-code'));
      await scanPatient('claim: phone code');
      await patient.getByRole('textbox', { name: 'Security code' }).fill(await codeFor(phone));
      await patient.getByRole('button', { name: 'Continue', exact: true }).click();

      await patient.waitForURL(onService('/claim-account/details'));
      await scanPatient('claim: details');
      await patient.getByLabel('Day').fill(NOEL.day);
      await patient.getByLabel('Month').fill(NOEL.month);
      await patient.getByLabel('Year').fill(NOEL.year);
      await patient.getByLabel('Postcode').fill(NOEL.postcode.toLowerCase());
      await patient.getByRole('button', { name: 'Continue', exact: true }).click();

      await patient.waitForURL(onService('/claim-account/password'));
      await scanPatient('claim: password');
      const password = 'a slow barge on the avon';
      await patient.getByLabel('Password', { exact: true }).fill(password);
      await patient.getByLabel('Enter the same password again').fill(password);
      await patient.getByRole('button', { name: 'Set up my NHS login' }).click();

      await patient.waitForURL(onService('/claim-account/done'));
      expect(await text(patient.locator('h1'))).toBe('Your NHS login is set up');
      expect(await patient.locator('main').innerText()).toContain('Your GP surgery confirmed who you are');
      await scanPatient('claim: done');
      await patient.getByRole('link', { name: 'Go to your NHS login' }).click();
      await patient.waitForURL(onService('/account'));
      expect(await patient.locator('main').innerText()).toContain(email);
      expect(await accountRow(patient, 'Proving who you are')).toContain('You have proved who you are');
      await scanPatient('account after claiming (P9)');

      const account = await findAccountByEmail(db(), email);
      expect(account).toMatchObject({ proofing_level: 'P9', phone_number: phone, gp_ods_code: 'A81001' });
      expect(service.sealer.open(account!.nhs_number!)).toBe(NOEL.nhsNumber);
      const claimed = await db()
        .selectFrom('provisioning_requests')
        .select(['status', 'account_id'])
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow();
      expect(claimed).toMatchObject({ account_id: account!.id });
      expect(claimed.status).not.toBe('pending');

      expect(violations, violations.join('\n')).toEqual([]);
    },
    JOURNEY_TIMEOUT,
  );
});
