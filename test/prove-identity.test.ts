// Proving who you are to P5 by a demographics match, over HTTP: from the
// account pages and inline in a supplier's sign-in (step-up), every field
// combination and validation error, the outcomes that must read alike (no
// match, several matches, a deceased person), an NHS number another account
// holds, the limits, PDS being down, the re-check at sign-in that suspends a
// level, and support's authenticator removal that proving unlocks.
// People come from the embedded synthetic national record
// (fixtures/pds/synthetic-patients.ndjson); each test uses its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { TEST_PASSWORD } from '../src/cli/seed.js';
import { matchFailureMessage } from '../src/domain/demographics-match.js';
import { generateTestNhsNumber } from '../src/domain/nhs-number.js';
import type { ProofingLevel } from '../src/domain/vectors-of-trust.js';
import { newAuthenticatorSecret } from '../src/journeys/authenticator-app.js';
import {
  findAccountByEmail,
  findAccountById,
  listProofingAttempts,
  updateAccount,
  type Account,
} from '../src/store/accounts.js';
import { TestBrowser, type Page } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { signInThroughSupplier } from './support/flow.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers } from './support/staff.js';
import { authorizeUrl, demoSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

/** Failed attempts each account, and each IP address, may make (the real limits are 5 a day and 20 an hour). */
const ACCOUNT_LIMIT = 3;
const IP_LIMIT = 5;

let service: TestService;
const db = () => service.database.db;
const pds = testDemographics();
const demo = demoSupplier();
const NOT_MATCHED = matchFailureMessage('no-match');
const UNAVAILABLE = matchFailureMessage('unavailable');

beforeAll(async () => {
  service = await startTestService({
    demographics: pds,
    rateLimits: {
      proofingAttemptsPerAccount: { points: ACCOUNT_LIMIT },
      proofingAttemptsPerIp: { points: IP_LIMIT },
    },
  });
});
afterAll(async () => {
  await service?.close();
});

// ---------------------------------------------------------------------------
// Helpers

let addresses = 0;
/** Each browser its own IP address, so the per-address limit only counts what the test means it to. */
const freshIp = () => `198.51.100.${++addresses}`;

/** The form as a person fills it in. */
interface Typed {
  nhsNumber?: string;
  givenName: string;
  familyName: string;
  day: string;
  month: string;
  year: string;
  postcode: string;
}

const form = (t: Typed): Record<string, string> => ({ nhsNumber: '', ...t });

/** A fresh P0 person, signed in to their account pages in their own browser. */
async function signedInPerson(
  tag: string,
  ip = freshIp(),
): Promise<{ person: Account; browser: TestBrowser }> {
  const person = await newPerson(db(), tag);
  const browser = new TestBrowser(service.app, ip);
  await signInToAccount(db(), browser, person);
  return { person, browser };
}

/** Opens the details form and sends it. */
async function submit(browser: TestBrowser, fields: Record<string, string>): Promise<Page> {
  const page = await browser.get('/prove-identity/details');
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return browser.post('/prove-identity/details', fields);
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

async function newestSubject(to: string): Promise<string | undefined> {
  const [message] = await readOutbox(db(), { recipient: to, limit: 1 });
  return message?.subject;
}

/** An account bound to a national record as if proved earlier (names as stored then). */
async function provedEarlier(
  tag: string,
  record: { nhsNumber: string; familyName: string; givenName: string; birthdate: string; gpOdsCode?: string },
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
    gp_ods_code: record.gpOdsCode ?? null,
  });
  return (await findAccountById(db(), person.id))!;
}

/** authorize → password → text code, as far as the journey goes before the supplier. */
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

// ---------------------------------------------------------------------------

describe('the account pages', () => {
  it('show a P0 person their level and the way to prove who they are', async () => {
    const { browser } = await signedInPerson('level');
    const account = await browser.get('/account');
    expect(account.body).toContain('You have not proved who you are yet');
    expect(account.body).toContain('href="/prove-identity"');
    const start = await browser.get('/prove-identity');
    expect(start.status).toBe(200);
    expect(start.body).toContain('Match your details to your NHS record');
    expect(start.body).toContain('href="/prove-identity/details"');
    expect(start.body).toContain('with photo ID');
  });

  it('need the person to be signed in', async () => {
    const browser = new TestBrowser(service.app);
    for (const url of ['/prove-identity', '/prove-identity/details', '/prove-identity/done'])
      expectRedirect(await browser.get(url), '/sign-in');
  });
});

describe('proving to P5 from the account', () => {
  const cases: [
    string,
    Typed,
    { nhsNumber: string; family: string; given: string; birthdate: string; gp: string },
  ][] = [
    [
      'with the NHS number',
      {
        nhsNumber: '9990011087',
        givenName: 'Fatima',
        familyName: 'Adeyemi',
        day: '30',
        month: '7',
        year: '1996',
        postcode: 'S10 1AN',
      },
      { nhsNumber: '9990011087', family: 'Adeyemi', given: 'Fatima', birthdate: '1996-07-30', gp: 'A81002' },
    ],
    [
      'without the NHS number',
      { givenName: 'Sophia', familyName: 'Smith', day: '12', month: '05', year: '1944', postcode: 'G12 4AA' },
      { nhsNumber: '9990011125', family: 'Smith', given: 'Sophia', birthdate: '1944-05-12', gp: 'B82005' },
    ],
    [
      'without accents, in other capitals, the number spaced and the postcode without a space',
      {
        nhsNumber: '999 001 1036',
        givenName: 'TOMASZ',
        familyName: 'lefevre',
        day: '5',
        month: '9',
        year: '1941',
        postcode: 'sw1a1ss',
      },
      { nhsNumber: '9990011036', family: 'Lefèvre', given: 'Tomasz', birthdate: '1941-09-05', gp: 'E85001' },
    ],
    [
      'with all given names, accents left off, and no NHS number',
      {
        givenName: 'Sian Kate',
        familyName: 'HALL',
        day: '15',
        month: '03',
        year: '1938',
        postcode: 'eh3 9gw',
      },
      { nhsNumber: '9990011044', family: 'Hall', given: 'Siân Kate', birthdate: '1938-03-15', gp: 'A81002' },
    ],
    [
      'with a hyphenated last name typed with a space',
      {
        givenName: 'John',
        familyName: 'Smith Jones',
        day: '25',
        month: '9',
        year: '1997',
        postcode: 'NE1 7AH',
      },
      {
        nhsNumber: '9990011834',
        family: 'Smith-Jones',
        given: 'John',
        birthdate: '1997-09-25',
        gp: 'E85001',
      },
    ],
    [
      'with a hyphenated first name written as one word',
      {
        givenName: 'JeanLuc',
        familyName: 'Evans',
        day: '17',
        month: '11',
        year: '2018',
        postcode: 'G12 0AR',
      },
      { nhsNumber: '9990011206', family: 'Evans', given: 'Jean-Luc', birthdate: '2018-11-17', gp: 'D82001' },
    ],
    [
      'with an apostrophe typed as a curly quote',
      { givenName: 'Zoe', familyName: 'O’Connor', day: '9', month: '3', year: '1975', postcode: 'LS6 6AS' },
      { nhsNumber: '9990011214', family: "O'Connor", given: 'Zoë', birthdate: '1975-03-09', gp: 'F81001' },
    ],
    [
      'with a number PDS has superseded, binding the current one',
      {
        nhsNumber: '9990022003',
        givenName: 'Dafydd',
        familyName: 'Dordevic',
        day: '4',
        month: '2',
        year: '1952',
        postcode: 'EH3 4PS',
      },
      { nhsNumber: '9990011133', family: 'Đorđević', given: 'Dafydd', birthdate: '1952-02-04', gp: 'C81010' },
    ],
    [
      'with a namesake born the same day elsewhere: the postcode decides',
      {
        givenName: 'Sophia',
        familyName: 'McDonald',
        day: '18',
        month: '7',
        year: '1986',
        postcode: 'LS11 6HX',
      },
      { nhsNumber: '9990011680', family: 'McDonald', given: 'Sophia', birthdate: '1986-07-18', gp: 'C81010' },
    ],
  ];

  it.each(cases)('matches %s', async (_, typed, expected) => {
    const { person, browser } = await signedInPerson('p5');
    const sent = await submit(browser, form(typed));
    expectRedirect(sent, '/prove-identity/done');
    const done = await browser.get('/prove-identity/done');
    expect(done.status).toBe(200);
    expect(done.body).toContain('You have proved who you are');
    expect(done.body).toContain('href="/account"');

    const after = (await findAccountById(db(), person.id))!;
    expect(after.proofing_level).toBe('P5');
    expect(service.sealer.open(after.nhs_number!)).toBe(expected.nhsNumber);
    expect(after.nhs_number_hash).toBe(service.sealer.lookupHash(expected.nhsNumber));
    expect(after).toMatchObject({
      family_name: expected.family,
      given_name: expected.given,
      birthdate: expected.birthdate,
      gp_ods_code: expected.gp,
      proofing_suspended_at: null,
    });

    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id);
    expect(proved).toHaveLength(1);
    expect(proved[0]!.details).toMatchObject({ route: 'demographics', level: 'P5' });
    expect(await newestSubject(person.email)).toBe('You have proved who you are with NHS login');

    const [evidence, ...more] = await listProofingAttempts(db(), person.id);
    expect(more).toHaveLength(0);
    expect(evidence).toMatchObject({ route: 'demographics', outcome: 'matched', level_given: 'P5' });
    expect(evidence!.evidence).toMatchObject({
      searchedBy: typed.nhsNumber ? 'nhs-number' : 'demographics',
      nhsNumberGiven: Boolean(typed.nhsNumber),
      supersededNumberFollowed: typed.nhsNumber === '9990022003',
      nhsNumberHash: after.nhs_number_hash,
      // The GPG45 decision: a demographic match meets no profile; P5 is NHS login's own rule.
      gpg45: { confidence: 'none', profile: null, level: 'P5' },
    });
    expect(evidence!.evidence.matched).toEqual(
      expect.arrayContaining(['birthDate', 'familyName', 'givenName', 'postcode']),
    );
    // Never an NHS number in clear in the evidence or the audit.
    expect(JSON.stringify(evidence!.evidence)).not.toMatch(NHS_NUMBER_IN_CLEAR);
    expect(JSON.stringify(proved[0]!.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);

    // The account says so, offers the way on to P9, and does not show the number.
    const account = await browser.get('/account');
    expect(account.body).toContain('Your identity has been matched to your NHS record');
    expect(account.body).toContain('href="/prove-identity"');
    expect(account.body).not.toContain(expected.nhsNumber);
    expectRedirect(await browser.get('/prove-identity/details'), '/prove-identity');
    const activity = await browser.get('/account/activity');
    expect(activity.body).toContain('You proved who you are by matching your details to your NHS record');
  });

  const valid: Typed = {
    givenName: 'Ella',
    familyName: 'Nguyen',
    day: '23',
    month: '2',
    year: '1982',
    postcode: 'L8 7EQ',
  };
  const problems: [string, Partial<Typed>, Record<string, string>, string?][] = [
    [
      'an empty form',
      { givenName: '', familyName: '', day: '', month: '', year: '', postcode: '' },
      {
        givenName: 'Enter your first name',
        familyName: 'Enter your last name',
        birthdate: 'Enter your date of birth',
        postcode: 'Enter your postcode',
      },
      '#birthdate-day',
    ],
    ['an NHS number too short', { nhsNumber: '99900110' }, { nhsNumber: 'NHS number must be 10 digits' }],
    [
      'an NHS number whose check digit is wrong',
      { nhsNumber: '8527685222' },
      { nhsNumber: 'Enter a valid NHS number, or leave it blank if you do not know it' },
    ],
    [
      'names with digits, or too long',
      { givenName: 'Ell4', familyName: 'N'.repeat(101) },
      {
        givenName: 'First name must only include letters, spaces, hyphens and apostrophes',
        familyName: 'Last name must be 100 characters or fewer',
      },
    ],
    [
      'a date without a day',
      { day: '' },
      { birthdate: 'Date of birth must include a day' },
      '#birthdate-day',
    ],
    [
      'a date without a month and year',
      { month: '', year: '' },
      { birthdate: 'Date of birth must include a month and year' },
      '#birthdate-month',
    ],
    [
      'a date that does not exist',
      { day: '30', month: '2' },
      { birthdate: 'Date of birth must be a real date' },
    ],
    [
      'a month of 13',
      { month: '13' },
      { birthdate: 'Date of birth must be a real date' },
      '#birthdate-month',
    ],
    ['a two-digit year', { year: '82' }, { birthdate: 'Year must include 4 numbers' }, '#birthdate-year'],
    ['a date in the future', { year: '2999' }, { birthdate: 'Date of birth must be in the past' }],
    [
      'a postcode that is not one',
      { postcode: 'ABC 123' },
      { postcode: 'Enter a full UK postcode, like LS1 4AP' },
    ],
  ];

  it.each(problems)(
    'shows what is wrong with %s, keeping what was typed',
    async (_, change, errors, href) => {
      const { person, browser } = await signedInPerson('invalid');
      const typed = { ...valid, ...change };
      const searches = pds.calls.search;
      const page = await submit(browser, form(typed));
      expect(page.status).toBe(400);
      expect(page.body).toContain('There is a problem');
      expect(page.body).toMatch(/<title>Error: /);
      for (const [field, message] of Object.entries(errors)) {
        expect(page.body, field).toContain(message);
        if (field !== 'birthdate') expect(page.body, field).toContain(`href="#${field}"`);
      }
      if (href) expect(page.body).toContain(`href="${href}"`);
      if (!errors.nhsNumber) expect(page.body).not.toContain('NHS number must');
      // What the person typed is still in the form.
      for (const value of Object.values(typed).filter((v) => v !== '' && !/'/.test(v)))
        expect(page.body, value).toContain(`value="${value}"`);
      // Nothing was asked of PDS, nothing recorded or counted.
      expect(pds.calls.search).toBe(searches);
      expect(await listProofingAttempts(db(), person.id)).toHaveLength(0);
      expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
    },
  );
});

describe('when the details do not prove who the person is', () => {
  it('answers no match, several matches and a deceased person alike, and audits each as it was', async () => {
    const tries: [string, Typed, string][] = [
      [
        'no-match',
        // Isla Green's details, a day out.
        { givenName: 'Isla', familyName: 'Green', day: '4', month: '9', year: '2004', postcode: 'EX4 3FA' },
        AUDIT_EVENTS.PROOFING_MATCH_FAILED,
      ],
      [
        'ambiguous',
        // Two unmerged records share these details; only an NHS number could choose.
        {
          givenName: 'José Rhys',
          familyName: 'Müller',
          day: '16',
          month: '10',
          year: '1953',
          postcode: 'BS8 3XW',
        },
        AUDIT_EVENTS.PROOFING_MATCH_FAILED,
      ],
      [
        'deceased',
        {
          nhsNumber: '9990011079',
          givenName: 'Aoife',
          familyName: 'Khan',
          day: '21',
          month: '10',
          year: '1940',
          postcode: 'E1 9QP',
        },
        AUDIT_EVENTS.PROOFING_DECEASED_MATCH,
      ],
    ];
    const messages: string[] = [];
    for (const [reason, typed, code] of tries) {
      const { person, browser } = await signedInPerson(`fail-${reason}`);
      const page = await submit(browser, form(typed));
      expect(page.status, reason).toBe(200);
      expect(page.body, reason).toContain(NOT_MATCHED.title);
      expect(page.body, reason).toContain(NOT_MATCHED.body);
      expect(page.body, reason).not.toMatch(/died|deceased|more than one|several/i);
      expect(page.body, reason).toContain(`value="${typed.givenName}"`);
      messages.push(/<div class="nhsuk-card nhsuk-card--warning[\s\S]*?<\/p>/.exec(page.body)?.[0] ?? '');

      const audited = await events(code, person.id);
      expect(audited, reason).toHaveLength(1);
      expect(audited[0]!.details).toMatchObject({ route: 'demographics', reason });
      if (reason === 'deceased') expect(audited[0]!.details).toMatchObject({ fraudSignal: true });
      expect(JSON.stringify(audited[0]!.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);
      expect(await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id)).toHaveLength(0);
      const [attempt] = await listProofingAttempts(db(), person.id);
      expect(attempt).toMatchObject({ outcome: reason, level_given: null });
      expect(JSON.stringify(attempt!.evidence)).not.toMatch(NHS_NUMBER_IN_CLEAR);
      const after = (await findAccountById(db(), person.id))!;
      expect(after.proofing_level).toBe('P0');
      expect(after.nhs_number).toBeNull();
      // The person's own activity page cannot tell a death from a typing mistake either.
      expect((await browser.get('/account/activity')).body).toContain(
        'Someone tried to prove who you are, but we could not confirm the details they entered',
      );
    }
    expect(messages[0]).not.toBe('');
    expect(new Set(messages).size).toBe(1);
  });

  it('tells a second account the details are used by another NHS login, emails its owner and binds nothing', async () => {
    const owner = (await findAccountByEmail(db(), 'p5.patient@example.com'))!;
    const { person, browser } = await signedInPerson('second');
    const page = await submit(
      browser,
      form({
        givenName: 'Priya',
        familyName: 'Ashworth',
        day: '17',
        month: '3',
        year: '1984',
        postcode: 'LS1 5HD',
      }),
    );
    expect(page.status).toBe(409);
    expect(page.body).toContain('Your details are already used by another NHS login');
    expect(page.body).toContain('Log in with the NHS login you already have');
    expect(page.body).toContain('contact NHS login support');
    expect(page.body).not.toContain(owner.email);

    const after = (await findAccountById(db(), person.id))!;
    expect(after.proofing_level).toBe('P0');
    expect(after.nhs_number).toBeNull();
    expect(after.nhs_number_hash).toBeNull();
    const unchanged = (await findAccountById(db(), owner.id))!;
    expect(unchanged.proofing_level).toBe('P5');
    expect(unchanged.nhs_number_hash).toBe(owner.nhs_number_hash);

    expect(await newestSubject(owner.email)).toBe('Someone tried to use your details with another NHS login');
    const audited = await events(AUDIT_EVENTS.PROOFING_NHS_NUMBER_IN_USE, person.id);
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toMatchObject({ route: 'demographics', ownerAccountId: owner.id });
    const [attempt] = await listProofingAttempts(db(), person.id);
    expect(attempt).toMatchObject({ outcome: 'nhs-number-in-use', level_given: null });
  });

  it('treats a number another account holds under a superseded number as in use too', async () => {
    // An account bound to the number PDS has since merged into Łukasz Wright's record.
    const holder = await provedEarlier('holder', {
      nhsNumber: '9990022011',
      familyName: 'Wright',
      givenName: 'Łukasz',
      birthdate: '1991-06-27',
    });
    const { person, browser } = await signedInPerson('merged');
    const page = await submit(
      browser,
      form({
        givenName: 'Lukasz',
        familyName: 'Wright',
        day: '27',
        month: '6',
        year: '1991',
        postcode: 'W2 2BQ',
      }),
    );
    expect(page.status).toBe(409);
    expect((await findAccountById(db(), person.id))?.nhs_number).toBeNull();
    expect(await newestSubject(holder.email)).toBe(
      'Someone tried to use your details with another NHS login',
    );
  });

  it('limits failed attempts per account, then per IP address, with a clear page', async () => {
    const ip = '203.0.113.9';
    const wrong = form({
      givenName: 'Wei',
      familyName: 'Nguyen',
      day: '1',
      month: '1',
      year: '1983',
      postcode: 'G12 3UN',
    });
    const right = form({
      givenName: 'Wei',
      familyName: 'Nguyen',
      day: '27',
      month: '12',
      year: '1983',
      postcode: 'G12 3UN',
    });

    const first = await signedInPerson('limited-a', ip);
    for (let i = 0; i < ACCOUNT_LIMIT; i++) expect((await submit(first.browser, wrong)).status).toBe(200);
    // Blocked now, even with the right details, and the form says so before it is filled in.
    const refused = await first.browser.post('/prove-identity/details', right);
    expect(refused.status).toBe(429);
    expect(refused.body).toContain('You have tried to prove who you are too many times');
    expect(refused.body).toMatch(/you cannot try again for \d+ (hours?|minutes?)/);
    expect((await first.browser.get('/prove-identity/details')).status).toBe(429);
    expect(await events(AUDIT_EVENTS.PROOFING_LIMITED, first.person.id)).toHaveLength(1);
    expect((await findAccountById(db(), first.person.id))?.nhs_number).toBeNull();

    // Another account from the same address: the address has IP_LIMIT failures after this one's two.
    const second = await signedInPerson('limited-b', ip);
    for (let i = 0; i < IP_LIMIT - ACCOUNT_LIMIT; i++)
      expect((await submit(second.browser, wrong)).status).toBe(200);
    expect((await second.browser.get('/prove-identity/details')).status).toBe(429);

    // From another address, that account may try again, and prove it.
    const elsewhere = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), elsewhere, second.person);
    expectRedirect(await submit(elsewhere, right), '/prove-identity/done');
  });

  it('says so when PDS cannot be reached, counting and binding nothing', async () => {
    const { person, browser } = await signedInPerson('pds-down');
    const typed = form({
      givenName: 'Rhys',
      familyName: 'Begum',
      day: '29',
      month: '12',
      year: '1958',
      postcode: 'M14 9UG',
    });
    pds.down = true;
    try {
      for (let i = 0; i <= ACCOUNT_LIMIT; i++) {
        const page = await submit(browser, typed);
        expect(page.status).toBe(503);
        expect(page.body).toContain(UNAVAILABLE.title);
        expect(page.body).toContain(UNAVAILABLE.body);
        expect(page.body).toContain('value="Begum"');
      }
    } finally {
      pds.down = false;
    }
    expect(await events(AUDIT_EVENTS.PROOFING_UNAVAILABLE, person.id)).toHaveLength(ACCOUNT_LIMIT + 1);
    expect(await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id)).toHaveLength(0);
    expect(await listProofingAttempts(db(), person.id)).toHaveLength(0);
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
    // Nothing was counted: back up, it works.
    expectRedirect(await submit(browser, typed), '/prove-identity/done');
  });
});

describe('step-up from a supplier', () => {
  it('offers a P0 person the P5 route inline and returns to the supplier with the new vot', async () => {
    const person = await newPerson(db(), 'step-up');
    const browser = new TestBrowser(service.app, freshIp());
    const { page, state } = await toSupplierSignIn(browser, person, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    expectRedirect(page, '/sign-in/prove-identity');
    const offer = await browser.get('/sign-in/prove-identity');
    expect(offer.status).toBe(200);
    expect(offer.body).toContain('You need to prove who you are');
    expect(offer.body).toContain('Demo GP surgery app');
    expect(offer.body).toContain('href="/prove-identity/details"');
    // The account's start page sends a step-up back to the offer.
    expectRedirect(await browser.get('/prove-identity'), '/sign-in/prove-identity');

    const details = await browser.get('/prove-identity/details');
    expect(details.body).toContain('Go back to Demo GP surgery app');
    expectRedirect(
      await browser.post(
        '/prove-identity/details',
        form({
          nhsNumber: '9990011192',
          givenName: 'Susan',
          familyName: 'Nguyen',
          day: '21',
          month: '9',
          year: '2002',
          postcode: 'EX4 7BE',
        }),
      ),
      '/prove-identity/done',
    );
    const done = await browser.get('/prove-identity/done');
    expect(done.body).toContain('Continue to Demo GP surgery app');
    // Its form ends at the supplier: the CSP allows that redirect.
    expect(done.headers['content-security-policy']).toContain(`form-action 'self' http://localhost:3001`);
    const finished = await browser.post('/prove-identity/done', {});
    const back = await browser.follow(finished.location!);
    const callback = new URL(back.url);
    expect(callback.origin + callback.pathname).toBe(demo.redirectUri);
    expect(callback.searchParams.get('state')).toBe(state);

    const tokens = await exchangeCode(service.app, demo, callback.searchParams.get('code')!);
    expect(tokens.status).toBe(200);
    const id = decodeJwt(tokens.body.id_token as string).payload;
    expect(id).toMatchObject({ vot: 'P5.Cp.Cd', identity_proofing_level: 'P5', nhs_number: '9990011192' });
    expect(decodeJwt(tokens.body.access_token as string).payload.nhs_number).toBe('9990011192');
    expect(await userinfo(tokens.body.access_token as string)).toMatchObject({
      nhs_number: '9990011192',
      family_name: 'Nguyen',
      birthdate: '2002-09-21',
      identity_proofing_level: 'P5',
    });
    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id);
    expect(proved[0]).toMatchObject({ client_id: 'demo-supplier' });
  });

  it('lets the person stop, and come back later proved', async () => {
    const person = await newPerson(db(), 'later');
    const browser = new TestBrowser(service.app, freshIp());
    const { page } = await toSupplierSignIn(browser, person, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    expectRedirect(page, '/sign-in/prove-identity');
    await browser.get('/sign-in/prove-identity');
    const stopped = await browser.post('/sign-in/prove-identity', {});
    const denied = await browser.follow(stopped.location!);
    expect(new URL(denied.url).searchParams.get('error')).toBe('access_denied');

    // Later, from the account pages.
    await signInToAccount(db(), browser, person);
    expectRedirect(
      await submit(
        browser,
        form({
          givenName: 'David',
          familyName: 'Wilson',
          day: '2',
          month: '9',
          year: '1951',
          postcode: 'S10 3YE',
        }),
      ),
      '/prove-identity/done',
    );
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P5.Cp.Cd"]', scope: 'openid profile' },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P5.Cp.Cd',
      identity_proofing_level: 'P5',
      nhs_number: '9990011591',
    });
  });

  it('offers GP online services details when a supplier needs P9, says photo ID is not available yet, and offers no P5 form', async () => {
    const person = await newPerson(db(), 'needs-p9');
    const browser = new TestBrowser(service.app, freshIp());
    const { page } = await toSupplierSignIn(browser, person, { vtr: '["P9.Cp.Cd"]', scope: 'openid' });
    expectRedirect(page, '/sign-in/prove-identity');
    const offer = await browser.get('/sign-in/prove-identity');
    expect(offer.body).toContain('href="/prove-identity/gp-details"');
    expect(offer.body).toContain('href="/prove-identity/photo-id"');
    expect(offer.body).not.toContain('href="/prove-identity/details"');
    expectRedirect(await browser.get('/prove-identity/details'), '/sign-in/prove-identity');
  });
});

describe('the re-check at sign-in', () => {
  it('keeps a level the record still supports, with one PDS read, and keeps the GP practice current', async () => {
    const person = await provedEarlier('recheck-ok', {
      nhsNumber: '9990011095',
      familyName: 'Thompson',
      givenName: 'Charlie',
      birthdate: '2008-06-17',
      gpOdsCode: 'A12345',
    });
    const reads = pds.calls.read;
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P5.Cp.Cd"]', scope: 'openid profile gp_registration_details' },
    );
    expect(pds.calls.read - reads).toBe(1);
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(decodeJwt(tokens.body.id_token as string).payload.vot).toBe('P5.Cp.Cd');
    const after = (await findAccountById(db(), person.id))!;
    expect(after.proofing_level).toBe('P5');
    expect(after.gp_ods_code).toBe('A81001');
    expect(await events(AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED, person.id)).toHaveLength(0);
  });

  it('suspends a superseded number: suppliers see P0 until the person proves it again, which clears it', async () => {
    const person = await provedEarlier('recheck-superseded', {
      nhsNumber: '9990022038',
      familyName: 'Van der Berg',
      givenName: 'François',
      birthdate: '2015-02-06',
    });
    const browser = new TestBrowser(service.app, freshIp());
    const { page, state } = await toSupplierSignIn(browser, person, {
      vtr: '["P5.Cp.Cd"]',
      scope: 'openid profile',
    });
    expectRedirect(page, '/sign-in/prove-identity');
    const suspended = (await findAccountById(db(), person.id))!;
    expect(suspended).toMatchObject({
      proofing_level: 'P0',
      proofing_suspended_reason: 'superseded',
      proofing_suspended_level: 'P5',
    });
    expect(suspended.proofing_suspended_at).not.toBeNull();
    const audited = await events(AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED, person.id);
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toMatchObject({ reason: 'superseded', level: 'P5', during: 'sign-in' });
    const offer = await browser.get('/sign-in/prove-identity');
    expect(offer.body).toContain('You need to prove who you are again');
    expect(offer.body).not.toMatch(/superseded|merged/i);

    // Meanwhile a supplier asking for P0 gets P0: no NHS number, no proofing level.
    const p0 = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: person.email, phone: person.phone_number },
      { vtr: '["P0.Cp.Cd"]', scope: 'openid profile' },
    );
    const p0Tokens = await exchangeCode(service.app, demo, p0.code!);
    const p0Id = decodeJwt(p0Tokens.body.id_token as string).payload;
    expect(p0Id.vot).toBe('P0.Cp.Cd');
    expect(p0Id.nhs_number).toBeUndefined();
    expect(p0Id.identity_proofing_level).toBeUndefined();
    expect(decodeJwt(p0Tokens.body.access_token as string).payload.nhs_number).toBeUndefined();

    // Proving again (the person gives the number they know: the old one) binds the current number.
    await browser.get('/prove-identity/details');
    expectRedirect(
      await browser.post(
        '/prove-identity/details',
        form({
          nhsNumber: '9990022038',
          givenName: 'Francois',
          familyName: 'Van der Berg',
          day: '6',
          month: '2',
          year: '2015',
          postcode: 'M20 1WN',
        }),
      ),
      '/prove-identity/done',
    );
    const cleared = (await findAccountById(db(), person.id))!;
    expect(cleared).toMatchObject({
      proofing_level: 'P5',
      proofing_suspended_at: null,
      proofing_suspended_reason: null,
      proofing_suspended_level: null,
    });
    expect(service.sealer.open(cleared.nhs_number!)).toBe('9990011761');
    await browser.get('/prove-identity/done');
    const back = await browser.follow((await browser.post('/prove-identity/done', {})).location!);
    const callback = new URL(back.url);
    expect(callback.searchParams.get('state')).toBe(state);
    const tokens = await exchangeCode(service.app, demo, callback.searchParams.get('code')!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P5.Cp.Cd',
      identity_proofing_level: 'P5',
      nhs_number: '9990011761',
    });
  });

  it('suspends a person the record says has died, as a fraud signal, and the same details cannot prove it again', async () => {
    const person = await provedEarlier(
      'recheck-deceased',
      { nhsNumber: '9990011486', familyName: 'Patel', givenName: 'Zoë Jane', birthdate: '1968-02-22' },
      'P9',
    );
    const browser = new TestBrowser(service.app, freshIp());
    const account = await signInToAccount(db(), browser, person);
    expect(account.body).toContain('We need you to prove who you are again');
    expect(account.body).toContain('href="/prove-identity"');
    expect(await findAccountById(db(), person.id)).toMatchObject({
      proofing_level: 'P0',
      proofing_suspended_reason: 'deceased',
      proofing_suspended_level: 'P9',
    });
    const audited = await events(AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED, person.id);
    expect(audited[0]!.details).toMatchObject({ reason: 'deceased', level: 'P9', fraudSignal: true });
    const activity = await browser.get('/account/activity');
    expect(activity.body).toContain('so you need to prove who you are again');
    expect(activity.body).not.toMatch(/died|deceased/i);

    const start = await browser.get('/prove-identity');
    expect(start.body).toContain('You need to prove who you are again');
    const page = await submit(
      browser,
      form({
        givenName: 'Zoe',
        familyName: 'Patel',
        day: '22',
        month: '2',
        year: '1968',
        postcode: 'M20 5FF',
      }),
    );
    expect(page.body).toContain(NOT_MATCHED.title);
    expect(await events(AUDIT_EVENTS.PROOFING_DECEASED_MATCH, person.id)).toHaveLength(1);
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P0');
  });

  it('suspends a level whose names no longer match the record, and proving the same record again restores it', async () => {
    const person = await provedEarlier(
      'recheck-name',
      { nhsNumber: '9990011141', familyName: 'Brown', givenName: 'Isla', birthdate: '2004-09-03' },
      'P9',
    );
    const browser = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), browser, person);
    expect(await findAccountById(db(), person.id)).toMatchObject({
      proofing_level: 'P0',
      proofing_suspended_reason: 'details-changed',
      proofing_suspended_level: 'P9',
    });
    expectRedirect(
      await submit(
        browser,
        form({
          givenName: 'Isla',
          familyName: 'Green',
          day: '3',
          month: '9',
          year: '2004',
          postcode: 'EX4 3FA',
        }),
      ),
      '/prove-identity/done',
    );
    // The same national record: the suspended P9 comes back (proving P5 never lowers a level).
    expect(await findAccountById(db(), person.id)).toMatchObject({
      proofing_level: 'P9',
      family_name: 'Green',
      proofing_suspended_at: null,
    });
    const proved = await events(AUDIT_EVENTS.IDENTITY_PROVED, person.id);
    expect(proved[0]!.details).toMatchObject({ route: 'demographics', level: 'P5', levelNow: 'P9' });
  });

  it('refuses a suspended account proving with someone else’s record', async () => {
    const person = await provedEarlier('recheck-other', {
      nhsNumber: '9990011621',
      familyName: 'Greene',
      givenName: 'Michael',
      birthdate: '1923-01-30',
    });
    const browser = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), browser, person);
    expect((await findAccountById(db(), person.id))?.proofing_suspended_reason).toBe('details-changed');
    const page = await submit(
      browser,
      form({
        givenName: 'Callum',
        familyName: 'Jones',
        day: '16',
        month: '11',
        year: '2013',
        postcode: 'SW1A 6GN',
      }),
    );
    expect(page.body).toContain(NOT_MATCHED.title);
    const audited = await events(AUDIT_EVENTS.PROOFING_MATCH_FAILED, person.id);
    expect(audited[0]!.details).toMatchObject({ reason: 'different-record' });
    expect(service.sealer.open((await findAccountById(db(), person.id))!.nhs_number!)).toBe('9990011621');
  });

  it('keeps the level of a number PDS does not know, for support to look into', async () => {
    // In the range kept for named test people, never in the synthetic record.
    const person = await provedEarlier('recheck-unknown', {
      nhsNumber: generateTestNhsNumber(500),
      familyName: 'Hopper',
      givenName: 'Grace',
      birthdate: '1970-01-01',
    });
    const browser = new TestBrowser(service.app, freshIp());
    await signInToAccount(db(), browser, person);
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P5');
    expect(await events(AUDIT_EVENTS.PROOFING_RECHECK_NOT_FOUND, person.id)).toHaveLength(1);
    expect(await events(AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED, person.id)).toHaveLength(0);
  });

  it('keeps the stored level when PDS cannot be reached, and audits it', async () => {
    const person = await provedEarlier('recheck-down', {
      nhsNumber: '9990011168',
      familyName: 'Hall',
      givenName: 'Jack',
      birthdate: '1997-01-05',
    });
    pds.down = true;
    let callback;
    try {
      callback = await signInThroughSupplier(
        service,
        new TestBrowser(service.app, freshIp()),
        demo,
        { email: person.email, phone: person.phone_number },
        { vtr: '["P5.Cp.Cd"]', scope: 'openid profile' },
      );
    } finally {
      pds.down = false;
    }
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      vot: 'P5.Cp.Cd',
      identity_proofing_level: 'P5',
    });
    const audited = await events(AUDIT_EVENTS.PROOFING_RECHECK_UNAVAILABLE, person.id);
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toMatchObject({ kind: 'unavailable', level: 'P5' });
    expect((await findAccountById(db(), person.id))?.proofing_level).toBe('P5');
  });
});

describe('support', () => {
  it('may remove the authenticator app once the person has proved who they are', async () => {
    const { staffMember } = staffHelpers(service);
    const staff = await staffMember('support');
    const { person, browser } = await signedInPerson('support-app');
    await updateAccount(db(), person.id, { totp_secret: service.sealer.seal(newAuthenticatorSecret()) });
    const url = `/backoffice/support/patients/${person.id}/remove-authenticator`;
    expect((await staff.browser.get(url)).body).toContain('must prove who they are again');

    expectRedirect(
      await submit(
        browser,
        form({
          givenName: 'Niamh',
          familyName: 'Robinson',
          day: '7',
          month: '12',
          year: '2021',
          postcode: 'B15 8SF',
        }),
      ),
      '/prove-identity/done',
    );
    const allowed = await staff.browser.get(url);
    expect(allowed.body).toContain('name="reason"');
    expectRedirect(
      await staff.browser.post(url, { reason: 'Lost the phone with the app; proved identity again' }),
      `/backoffice/support/patients/${person.id}?done=remove-authenticator`,
    );
    expect((await findAccountById(db(), person.id))?.totp_secret).toBeNull();

    // Support sees how the level was reached, and the subject access export carries the evidence.
    const page = await staff.browser.get(`/backoffice/support/patients/${person.id}`);
    expect(page.body).toMatch(/NHS record match[\s\S]*?matched[\s\S]*?P5/);
    await staff.browser.get(`/backoffice/support/patients/${person.id}/export`);
    const exported = await staff.browser.post(`/backoffice/support/patients/${person.id}/export`, {
      reason: 'Subject access request by letter',
      format: 'json',
    });
    expect(exported.status, exported.body.slice(0, 300)).toBe(200);
    const report = JSON.parse(exported.body) as {
      provingWhoTheyAre: { route: string; levelGiven: string }[];
    };
    expect(report.provingWhoTheyAre).toEqual([
      expect.objectContaining({ route: 'demographics', outcome: 'matched', levelGiven: 'P5' }),
    ]);
  });
});
