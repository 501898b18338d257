// Proving who you are to P9 with GP online services details (Account ID,
// Linkage Key, practice ODS code, with last name and date of birth), over
// HTTP: from the account pages and inline in a supplier's sign-in (step-up),
// validation, wrong details read alike, an Account ID the GP system locked,
// the GP system being down, each set of details proving one account only, an
// NHS number another account holds, and the GPG45 record of each decision.
// Details come from the embedded simulated GP system
// (fixtures/gp-system/linkages.ndjson); each test uses its own set.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import {
  createEmbeddedGpSystem,
  type GpSystem,
  type GpSystemUnavailable,
} from '../src/adapters/gp-system/index.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { GP_MESSAGES } from '../src/journeys/prove-identity/gp-details.js';
import { GP_DETAILS_MESSAGES } from '../src/journeys/prove-identity/validation.js';
import type { ProofingLevel } from '../src/domain/vectors-of-trust.js';
import { findAccountById, listProofingAttempts, updateAccount, type Account } from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { signInThroughSupplier } from './support/flow.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect } from './support/staff.js';
import { authorizeUrl, demoSupplier, newKeyPair, type TestSupplier } from './support/supplier.js';
import { saveSupplier } from '../src/store/suppliers.js';
import { decodeJwt, exchangeCode } from './support/token.js';

/** Failed attempts each account may make before a pause (the real limit is 5 a day). */
const ACCOUNT_LIMIT = 4;

/** The embedded GP system, which a test can take down; it locks an Account ID after 2 wrong tries. */
const embedded = createEmbeddedGpSystem({ lockAfter: 2 });
const gp: GpSystem & { down: boolean } = {
  down: false,
  verifyLinkage(input, options) {
    const unavailable: GpSystemUnavailable = { kind: 'unavailable', reason: 'timeout' };
    return gp.down ? Promise.resolve(unavailable) : embedded.verifyLinkage(input, options);
  },
  issueLinkage: (input, options) => embedded.issueLinkage(input, options),
};

let service: TestService;
const db = () => service.database.db;
const demo = demoSupplier();

beforeAll(async () => {
  service = await startTestService({
    gpSystem: gp,
    rateLimits: {
      proofingAttemptsPerAccount: { points: ACCOUNT_LIMIT },
      proofingAttemptsPerIp: { points: 50 },
    },
  });
});
afterAll(async () => {
  await service?.close();
});

// ---------------------------------------------------------------------------
// Helpers

let addresses = 0;
const freshIp = () => `198.51.100.${++addresses}`;

/** Sets of details in the simulated GP system, with the person's PDS record. */
const LINKAGES = {
  fatima: {
    form: {
      accountId: '9394519553',
      linkageKey: 'haEqPdAmRzKji',
      odsCode: 'A81002',
      familyName: 'Adeyemi',
      day: '30',
      month: '7',
      year: '1996',
    },
    nhsNumber: '9990011087',
  },
  charlie: {
    form: {
      accountId: '2230350906',
      linkageKey: 'rExVe6KP2LfYG',
      odsCode: 'A81001',
      familyName: 'Thompson',
      day: '17',
      month: '6',
      year: '2008',
    },
    nhsNumber: '9990011095',
  },
  sophia: {
    form: {
      accountId: '3299588791',
      linkageKey: 'gxU69kVeqHq6y',
      odsCode: 'B82005',
      familyName: 'Smith',
      day: '12',
      month: '5',
      year: '1944',
    },
    nhsNumber: '9990011125',
  },
  ava: {
    form: {
      accountId: '9067011890',
      linkageKey: 'JVgmeMH5PzufF',
      odsCode: 'B82005',
      familyName: 'Patel',
      day: '22',
      month: '11',
      year: '1952',
    },
    nhsNumber: '9990011117',
  },
  isla: {
    form: {
      accountId: '3706551482',
      linkageKey: '9k54p8vcGRNDu',
      odsCode: 'A81001',
      familyName: 'Green',
      day: '3',
      month: '9',
      year: '2004',
    },
    nhsNumber: '9990011141',
  },
  jack: {
    form: {
      accountId: '3098434089',
      linkageKey: '6im9rHQq4FsMe',
      odsCode: 'E85001',
      familyName: 'Hall',
      day: '5',
      month: '1',
      year: '1997',
    },
    nhsNumber: '9990011168',
  },
  noel: {
    form: {
      accountId: '5108301207',
      linkageKey: 'VKKU48Lerpeq2',
      odsCode: 'A81001',
      familyName: 'Kowalski',
      day: '13',
      month: '8',
      year: '1957',
    },
    nhsNumber: '9990011060',
  },
  sian: {
    form: {
      accountId: '2533818672',
      linkageKey: 'Zx2k5WE5MZW7S',
      odsCode: 'A81002',
      familyName: 'Hall',
      day: '15',
      month: '3',
      year: '1938',
    },
    nhsNumber: '9990011044',
  },
  david: {
    form: {
      accountId: '4970805905',
      linkageKey: 'X4LvWdWD9XnXG',
      odsCode: 'C81010',
      familyName: 'Øvergård',
      day: '29',
      month: '1',
      year: '1963',
    },
    nhsNumber: '9990011109',
  },
  grace: {
    form: {
      accountId: '6448612511',
      linkageKey: 'Wiq6Y4JcmhWc4',
      odsCode: 'E85001',
      familyName: 'Núñez',
      day: '7',
      month: '1',
      year: '1944',
    },
    nhsNumber: '9990011176',
  },
} as const;

async function signedInPerson(tag: string): Promise<{ person: Account; browser: TestBrowser }> {
  const person = await newPerson(db(), tag);
  const browser = new TestBrowser(service.app, freshIp());
  await signInToAccount(db(), browser, person);
  return { person, browser };
}

async function submit(browser: TestBrowser, fields: Record<string, string>): Promise<Page> {
  const page = await browser.get('/prove-identity/gp-details');
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return browser.post('/prove-identity/gp-details', fields);
}

async function events(code: string, accountId: string) {
  return db()
    .selectFrom('audit_events')
    .selectAll()
    .where('code', '=', code)
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

/** An account bound to a national record as if proved earlier. */
async function provedEarlier(
  tag: string,
  record: { nhsNumber: string; familyName: string; givenName: string; birthdate: string; gpOdsCode: string },
  level: ProofingLevel = 'P5',
): Promise<Account> {
  const person = await newPerson(db(), tag);
  await updateAccount(db(), person.id, {
    proofing_level: level,
    nhs_number: service.sealer.seal(record.nhsNumber),
    nhs_number_hash: service.sealer.lookupHash(record.nhsNumber),
    family_name: record.familyName,
    given_name: record.givenName,
    birthdate: record.birthdate,
    gp_ods_code: record.gpOdsCode,
  });
  return (await findAccountById(db(), person.id))!;
}

async function toSupplierSignIn(
  browser: TestBrowser,
  person: { email: string; phone_number: string },
  params: Record<string, string>,
): Promise<{ page: Page; state: string }> {
  const { url, state } = authorizeUrl(demo, params);
  const start = await browser.follow(url);
  expect(start.url).toBe('/sign-in');
  const posted = await browser.post('/sign-in', { email: person.email, password: TEST_PASSWORD });
  expect(posted.location).toBe('/sign-in/text-code');
  await browser.get('/sign-in/text-code');
  const page = await browser.post('/sign-in/text-code', {
    code: (await latestCode(db(), person.phone_number))!,
  });
  return { page, state };
}

async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
  const res = await service.app.inject({
    method: 'GET',
    url: '/userinfo',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json<Record<string, unknown>>();
}

const GP_SCOPES = 'openid profile gp_registration_details gp_integration_credentials';

// ---------------------------------------------------------------------------

describe('proving to P9 with GP online services details from the account', () => {
  it('offers the route on the start page, and proves a P0 person to P9 with the credentials released', async () => {
    const { person, browser } = await signedInPerson('gp-p9');
    const start = await browser.get('/prove-identity');
    expect(start.body).toContain('href="/prove-identity/gp-details"');
    expect(start.body).toContain('href="/prove-identity/photo-id"');

    const { form, nhsNumber } = LINKAGES.fatima;
    // Copied from the letter in groups, the practice code in small letters.
    const sent = await submit(browser, { ...form, accountId: '939 451 9553', odsCode: 'a81002' });
    expectRedirect(sent, '/prove-identity/done');
    const done = await browser.get('/prove-identity/done');
    expect(done.body).toContain('Your GP surgery confirmed your details');

    const account = (await findAccountById(db(), person.id))!;
    expect(account).toMatchObject({
      proofing_level: 'P9',
      family_name: 'Adeyemi',
      birthdate: '1996-07-30',
      gp_ods_code: 'A81002',
      gp_user_id: '9394519553',
    });
    expect(service.sealer.open(account.nhs_number!)).toBe(nhsNumber);
    // The Linkage Key is sealed at rest.
    expect(account.gp_linkage_key).not.toContain(form.linkageKey);
    expect(service.sealer.open(account.gp_linkage_key!)).toBe(form.linkageKey);
    expect(account.gp_linkage_fingerprint).toMatch(/\S{20,}/);

    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id);
    expect(proved[0]?.details).toMatchObject({ route: 'gp-online-services', level: 'P9' });
    expect(JSON.stringify(proved)).not.toContain(form.linkageKey);
    const [mail] = await readOutbox(db(), { recipient: person.email, limit: 1 });
    expect(mail?.subject).toBe('You have proved who you are with NHS login');

    // The evidence row: the GPG45 decision names the profile met and the level given.
    const [attempt] = await listProofingAttempts(db(), person.id);
    expect(attempt).toMatchObject({ route: 'gp-online-services', outcome: 'matched', level_given: 'P9' });
    expect(attempt?.evidence.gpg45).toMatchObject({ confidence: 'low', profile: 'L1A', level: 'P9' });
    expect((attempt?.evidence.gpg45 as { explanation: string[] }).explanation.join('\n')).toMatch(
      /NHS login level P9/,
    );
    expect(JSON.stringify(attempt?.evidence)).not.toContain(form.linkageKey);
    expect(JSON.stringify(attempt?.evidence)).not.toContain(nhsNumber);

    // A P9 person is not offered the form again.
    expectRedirect(await browser.get('/prove-identity/gp-details'), '/prove-identity');

    // An approved supplier sees P9, the NHS number and the GP details.
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P9.Cp.Cd"]', scope: GP_SCOPES },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P9.Cp.Cd',
      identity_proofing_level: 'P9',
      nhs_number: nhsNumber,
    });
    expect(await userinfo(tokens.body.access_token as string)).toMatchObject({
      identity_proofing_level: 'P9',
      nhs_number: nhsNumber,
      gp_registration_details: { gp_ods_code: 'A81002' },
      gp_integration_credentials: {
        gp_user_id: '9394519553',
        gp_linkage_key: form.linkageKey,
        gp_ods_code: 'A81002',
      },
    });
  });

  it('rejects a form with problems with 400, an error summary, and keeps what was typed', async () => {
    const { person, browser } = await signedInPerson('gp-invalid');
    const empty = await submit(browser, {});
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('There is a problem');
    for (const message of [
      GP_DETAILS_MESSAGES.accountIdEmpty,
      GP_DETAILS_MESSAGES.linkageKeyEmpty,
      'Enter your last name',
      'Enter your date of birth',
    ])
      expect(empty.body).toContain(message);
    expect(empty.body).toContain('href="#accountId"');

    const bad = await submit(browser, {
      accountId: '12#45',
      linkageKey: 'abc!',
      odsCode: 'B82046',
      familyName: 'Okafor',
      day: '31',
      month: '2',
      year: '1959',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain(GP_DETAILS_MESSAGES.accountIdInvalid);
    expect(bad.body).toContain(GP_DETAILS_MESSAGES.linkageKeyInvalid);
    expect(bad.body).toContain('Date of birth must be a real date');
    expect(bad.body).toContain('value="12#45"');
    expect(bad.body).toContain('value="B82046"');
    expect(bad.body).toContain('value="Okafor"');
    expect(bad.body).not.toContain(GP_DETAILS_MESSAGES.odsCodeEmpty);
    // Nothing was asked of the GP system, nothing recorded.
    expect(await listProofingAttempts(db(), person.id)).toHaveLength(0);
  });

  it('says the same for a wrong Account ID, Linkage Key, practice, last name or date of birth, audits and counts each', async () => {
    const { person, browser } = await signedInPerson('gp-wrong');
    const wrong: Record<string, string>[] = [
      { ...LINKAGES.charlie.form, accountId: '1999999999' },
      { ...LINKAGES.charlie.form, linkageKey: 'rExVe6KP2LfYH' },
      { ...LINKAGES.jack.form, odsCode: 'A81001' },
      { ...LINKAGES.noel.form, familyName: 'Kowalska' },
    ];
    const pages = [];
    for (const fields of wrong) pages.push(await submit(browser, fields));
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.body).toContain(GP_MESSAGES.notVerified.title);
      expect(page.body).toContain('Check the details on your letter from your GP surgery');
      // What was typed is kept.
      expect(page.body).toContain('value="');
    }
    // The pages differ only in the values kept: the same words whichever part was wrong.
    const words = (p: Page) =>
      p.body.replace(/value="[^"]*"/g, '').replace(/name="_csrf" value="[^"]*"/g, '');
    expect(new Set(pages.map(words)).size).toBe(1);

    const failed = await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id);
    expect(failed).toHaveLength(4);
    for (const e of failed)
      expect(e.details).toMatchObject({ route: 'gp-online-services', reason: 'not-verified' });
    const attempts = await listProofingAttempts(db(), person.id);
    expect(attempts).toHaveLength(4);
    for (const a of attempts) {
      expect(a).toMatchObject({ route: 'gp-online-services', outcome: 'not-verified', level_given: null });
      expect(a.evidence.gpg45).toMatchObject({ profile: null, confidence: 'none' });
    }
    // Counted: the fifth try (a wrong date of birth) is refused by the limit.
    const blocked = await browser.post('/prove-identity/gp-details', { ...LINKAGES.sian.form, day: '16' });
    expect(blocked.status).toBe(429);
    expect(await events(AUDIT_EVENTS.PROOFING_LIMITED, person.id)).toHaveLength(1);
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
  });

  it('a wrong date of birth reads the same too', async () => {
    const { person, browser } = await signedInPerson('gp-wrong-dob');
    const page = await submit(browser, { ...LINKAGES.sian.form, day: '16' });
    expect(page.status).toBe(200);
    expect(page.body).toContain(GP_MESSAGES.notVerified.title);
    expect(await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id)).toHaveLength(1);
  });

  it('sends the person to their GP surgery when the GP system has locked the Account ID', async () => {
    const { person, browser } = await signedInPerson('gp-locked');
    const { form } = LINKAGES.isla;
    await submit(browser, { ...form, linkageKey: 'Wrong1Wrong2W' });
    await submit(browser, { ...form, linkageKey: 'Wrong1Wrong2X' });
    // Locked now: even the right details.
    const page = await submit(browser, form);
    expect(page.status).toBe(423);
    expect(page.body).toContain('Contact your GP surgery');
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
    const failed = await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id);
    expect(failed.at(-1)?.details).toMatchObject({ route: 'gp-online-services', reason: 'locked' });
  });

  it('says so when the GP system cannot be reached, counting and binding nothing', async () => {
    const { person, browser } = await signedInPerson('gp-down');
    gp.down = true;
    try {
      const page = await submit(browser, LINKAGES.grace.form);
      expect(page.status).toBe(503);
      expect(page.body).toContain(GP_MESSAGES.unavailable.title);
      expect(page.body).toContain('value="Núñez"');
    } finally {
      gp.down = false;
    }
    expect(await listProofingAttempts(db(), person.id)).toHaveLength(0);
    expect(await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id)).toHaveLength(0);
    expect(await events(AUDIT_EVENTS.PROOFING_UNAVAILABLE, person.id)).toHaveLength(1);
    expectRedirect(await submit(browser, LINKAGES.grace.form), '/prove-identity/done');
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P9');
  });
});

describe('each set of details proves one account only', () => {
  it('refuses the same details on a second account, as a fraud signal, binding nothing', async () => {
    const first = await signedInPerson('gp-first');
    expectRedirect(await submit(first.browser, LINKAGES.david.form), '/prove-identity/done');
    const second = await signedInPerson('gp-second');
    const page = await submit(second.browser, LINKAGES.david.form);
    expect(page.status).toBe(409);
    expect(page.body).toContain('These details have already been used');
    const account = (await findAccountById(db(), second.person.id))!;
    expect(account).toMatchObject({ proofing_level: 'P0', nhs_number: null, gp_user_id: null });
    const audited = await events(AUDIT_EVENTS.PROOFING_GP_LINKAGE_IN_USE, second.person.id);
    expect(audited[0]?.details).toMatchObject({
      route: 'gp-online-services',
      fraudSignal: true,
      ownerAccountId: first.person.id,
    });
    const [attempt] = await listProofingAttempts(db(), second.person.id);
    expect(attempt).toMatchObject({ outcome: 'linkage-in-use', level_given: null });
    expect(attempt?.evidence.gpg45).toMatchObject({ profile: null });
  });

  it('refuses details whose NHS number another account holds, and emails its owner', async () => {
    const owner = await provedEarlier('gp-owner', {
      nhsNumber: LINKAGES.ava.nhsNumber,
      familyName: 'Patel',
      givenName: 'Ava Kate',
      birthdate: '1952-11-22',
      gpOdsCode: 'B82005',
    });
    const { person, browser } = await signedInPerson('gp-other');
    const page = await submit(browser, LINKAGES.ava.form);
    expect(page.status).toBe(409);
    expect(page.body).toContain('Your details are already used by another NHS login');
    expect(await findAccountById(db(), person.id)).toMatchObject({ proofing_level: 'P0', nhs_number: null });
    const audited = await events(AUDIT_EVENTS.PROOFING_NHS_NUMBER_IN_USE, person.id);
    expect(audited[0]?.details).toMatchObject({ route: 'gp-online-services', ownerAccountId: owner.id });
    const [mail] = await readOutbox(db(), { recipient: owner.email, limit: 1 });
    expect(mail?.subject).toBe('Someone tried to use your details with another NHS login');
  });

  it('refuses a P5 account bound to a different person, with the same words as wrong details', async () => {
    const person = await provedEarlier('gp-p5-other', {
      nhsNumber: '9990011036',
      familyName: 'Lefèvre',
      givenName: 'Tomasz',
      birthdate: '1941-09-05',
      gpOdsCode: 'E85001',
    });
    const browser = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), browser, person);
    // Sophia's details, on an account bound to someone else.
    const page = await submit(browser, LINKAGES.sophia.form);
    expect(page.status).toBe(200);
    expect(page.body).toContain(GP_MESSAGES.notVerified.title);
    const account = (await findAccountById(db(), person.id))!;
    expect(account.proofing_level).toBe('P5');
    expect(service.sealer.open(account.nhs_number!)).toBe('9990011036');
    const [attempt] = await listProofingAttempts(db(), person.id);
    expect(attempt).toMatchObject({ outcome: 'different-record' });
  });
});

describe('step-up from a supplier', () => {
  it('offers a person the GP route inline when a supplier needs P9, and returns to it with vot P9.Cp.Cd', async () => {
    const person = await newPerson(db(), 'gp-step-up');
    const browser = new TestBrowser(service.app, freshIp());
    const { page, state } = await toSupplierSignIn(browser, person, {
      vtr: '["P9.Cp.Cd"]',
      scope: GP_SCOPES,
    });
    expectRedirect(page, '/sign-in/prove-identity');
    const offer = await browser.get('/sign-in/prove-identity');
    expect(offer.body).toContain('href="/prove-identity/gp-details"');
    expect(offer.body).toContain('href="/prove-identity/photo-id"');
    expect(offer.body).not.toContain('href="/prove-identity/details"');

    const form = await browser.get('/prove-identity/gp-details');
    expect(form.body).toContain('Go back to Demo GP surgery app');
    expectRedirect(
      await browser.post('/prove-identity/gp-details', LINKAGES.charlie.form),
      '/prove-identity/done',
    );
    const done = await browser.get('/prove-identity/done');
    expect(done.body).toContain('Continue to Demo GP surgery app');
    const finished = await browser.post('/prove-identity/done', {});
    const back = await browser.follow(finished.location!);
    const callback = new URL(back.url);
    expect(callback.origin + callback.pathname).toBe(demo.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);

    const tokens = await exchangeCode(service.app, demo, callback.searchParams.get('code')!);
    const id = decodeJwt(tokens.body.id_token as string).payload;
    expect(id).toMatchObject({ vot: 'P9.Cp.Cd', identity_proofing_level: 'P9', nhs_number: '9990011095' });
    expect(await userinfo(tokens.body.access_token as string)).toMatchObject({
      gp_integration_credentials: {
        gp_user_id: '2230350906',
        gp_linkage_key: 'rExVe6KP2LfYG',
        gp_ods_code: 'A81001',
      },
    });
    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id);
    expect(proved[0]).toMatchObject({ client_id: 'demo-supplier' });
  });

  it('takes a P5 person to P9 with the details of their own record', async () => {
    const person = await provedEarlier('gp-p5-step-up', {
      nhsNumber: LINKAGES.sophia.nhsNumber,
      familyName: 'Smith',
      givenName: 'Sophia',
      birthdate: '1944-05-12',
      gpOdsCode: 'B82005',
    });
    const browser = new TestBrowser(service.app, freshIp());
    const { page } = await toSupplierSignIn(browser, person, {
      vtr: '["P9.Cp.Cd"]',
      scope: 'openid profile',
    });
    expectRedirect(page, '/sign-in/prove-identity');
    await browser.get('/sign-in/prove-identity');
    expectRedirect(await submit(browser, LINKAGES.sophia.form), '/prove-identity/done');
    await browser.get('/prove-identity/done');
    const finished = await browser.post('/prove-identity/done', {});
    const back = await browser.follow(finished.location!);
    const tokens = await exchangeCode(service.app, demo, new URL(back.url).searchParams.get('code')!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P9.Cp.Cd',
      identity_proofing_level: 'P9',
      nhs_number: LINKAGES.sophia.nhsNumber,
    });
  });
});

describe('step-up after single sign-on (asserted_login_identity)', () => {
  it('signs a P5 person in at a paired supplier that needs P9, offers the routes inline, and returns with vot P9.Cp.Cd', async () => {
    const keys = newKeyPair();
    const partner: TestSupplier = {
      clientId: 'sso-p9-partner',
      redirectUri: 'https://sso-p9.example/callback',
      ...keys,
    };
    const saved = await saveSupplier(db(), {
      clientId: partner.clientId,
      name: 'Hospital portal',
      publicKeysPem: [keys.publicKeyPem],
      redirectUris: [partner.redirectUri],
      scopes: ['openid', 'profile'],
      allowedVectors: ['P9.Cp.Cd', 'P5.Cp.Cd'],
      ssoPartners: [demo.clientId],
    });
    expect(saved.ok).toBe(true);
    // Ciarán Hall: a P5 NHS login, and his GP online services details (fixtures/gp-system).
    const person = await provedEarlier('sso-step-up', {
      nhsNumber: '9990011346',
      familyName: 'Hall',
      givenName: 'Ciarán John',
      birthdate: '1970-08-17',
      gpOdsCode: 'F81001',
    });
    const cb = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P5.Cp.Cd"]', scope: 'openid profile' },
    );
    const demoIdToken = decodeJwt((await exchangeCode(service.app, demo, cb.code!)).body.id_token as string);
    const now = Math.floor(Date.now() / 1000);
    const assertion = () =>
      new SignJWT({ code: demoIdToken.payload.jti })
        .setProtectedHeader({ alg: 'RS512' })
        .setIssuer(demo.clientId)
        .setJti(randomBytes(8).toString('hex'))
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(demo.privateKey);

    // With prompt=none the partner cannot have the person prove more: NHS login's prompt=none error, at its redirect URI.
    const silent = await new TestBrowser(service.app, freshIp()).follow(
      authorizeUrl(partner, {
        prompt: 'none',
        vtr: '["P9.Cp.Cd"]',
        scope: 'openid profile',
        asserted_login_identity: await assertion(),
      }).url,
    );
    expect(silent.url.startsWith(partner.redirectUri)).toBe(true);
    expect(new URL(silent.url).searchParams.get('error')).toBe('sso_login_required');

    // Without it, the assertion signs the person in (no password asked) and the routes are offered inline.
    const browser = new TestBrowser(service.app, freshIp());
    const offer = await browser.follow(
      authorizeUrl(partner, {
        vtr: '["P9.Cp.Cd"]',
        scope: 'openid profile',
        asserted_login_identity: await assertion(),
      }).url,
    );
    expect(offer.url).toBe('/sign-in/prove-identity');
    expect(offer.body).toContain('Hospital portal');
    expectRedirect(
      await submit(browser, {
        accountId: '6523792358',
        linkageKey: 'xELdPq9se7GB4',
        odsCode: 'F81001',
        familyName: 'Hall',
        day: '17',
        month: '8',
        year: '1970',
      }),
      '/prove-identity/done',
    );
    await browser.get('/prove-identity/done');
    const finished = await browser.post('/prove-identity/done', {});
    const back = await browser.follow(finished.location!);
    expect(back.url.startsWith(partner.redirectUri)).toBe(true);
    const tokens = await exchangeCode(service.app, partner, new URL(back.url).searchParams.get('code')!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      sub: person.id,
      vot: 'P9.Cp.Cd',
      identity_proofing_level: 'P9',
      nhs_number: '9990011346',
    });
  });
});
