// Claiming an NHS login that a GP practice set up in person (Provision
// Account, outcome 'create'), over HTTP: the emailed link (moved out of the
// URL at once), the text code to the phone the practice recorded, the date
// of birth and postcode re-checked against the national record, a new
// password, and the P9 account that suppliers then see. And everything that
// must stop a claim: a link unknown, used, expired or cancelled; a wrong
// code; details that do not match (the same words, counted, the limit
// cancels the request); a person recorded as having died; a merged number
// whose current number another account holds; an NHS number or email
// address another account took meanwhile; two tabs racing; a weak password.
// Requests are inserted directly (the back office and API that create them
// are built elsewhere); people come from the embedded synthetic national
// record (fixtures/pds/synthetic-patients.ndjson), each test its own.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import {
  loadSyntheticPatients,
  NAMED_TEST_PATIENTS,
  type SyntheticPatient,
} from '../src/adapters/pds/synthetic.js';
import { requestForLog } from '../src/app.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { CODE_MESSAGES } from '../src/journeys/codes.js';
import { PASSWORD_MESSAGES } from '../src/domain/password-policy.js';
import { createAccount, listProofingAttempts, updateAccount } from '../src/store/accounts.js';
import { hashPassword } from '../src/journeys/passwords.js';
import { CLAIM_PATH, claimLink, newClaimToken } from '../src/store/provisioning-token.js';
import { CLAIM_NOT_MATCHED } from '../src/journeys/claim-account/routes.js';
import { TestBrowser, type Page } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { signInThroughSupplier } from './support/flow.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect } from './support/staff.js';
import { demoSupplier } from './support/supplier.js';
import { decodeJwt, exchangeCode } from './support/token.js';

/** Wrong date of birth or postcode a request may take; the last cancels it (the real limit is 5). */
const CLAIM_LIMIT = 3;
const PASSWORD = 'a long walk by the river';
const LINK_DOES_NOT_WORK = 'This link does not work';
const CANNOT_SET_UP = 'We could not set up your NHS login';
const ALREADY = 'You already have an NHS login';

let service: TestService;
const db = () => service.database.db;
const pds = testDemographics();
const demo = demoSupplier();
let patients: SyntheticPatient[] = [];

beforeAll(async () => {
  service = await startTestService({
    demographics: pds,
    rateLimits: { claimAttemptsPerRequest: { points: CLAIM_LIMIT } },
  });
  patients = await loadSyntheticPatients();
});
afterAll(async () => {
  await service?.close();
});

// ---------------------------------------------------------------------------
// Helpers

const taken = new Set<string>(NAMED_TEST_PATIENTS.map((p) => p.nhsNumber));

/** A synthetic person no other test here uses, of the kind asked for. */
function person(kind: 'living' | 'deceased' | 'superseded'): SyntheticPatient {
  const found = patients.find(
    (p) =>
      !taken.has(p.nhsNumber) &&
      !p.restricted &&
      (kind === 'deceased' ? Boolean(p.deceased) : !p.deceased) &&
      (kind === 'superseded' ? (p.superseded?.length ?? 0) > 0 : !p.superseded?.length),
  );
  if (!found) throw new Error(`no ${kind} synthetic person left`);
  taken.add(found.nhsNumber);
  return found;
}

const postcodeOf = (p: SyntheticPatient) => p.addresses[0]!.postcode;

let made = 0;
let addresses = 0;
const freshIp = () => `203.0.113.${++addresses}`;

interface Pending {
  id: string;
  token: string;
  email: string;
  phone: string;
  nhsNumber: string;
  patient: SyntheticPatient;
}

const EVIDENCE = {
  document: { kind: 'passport', lastFour: '4321', checkedBy: 'staff-practice-1' },
  gpg45: { confidence: 'high', profile: 'H1B', level: 'P9' },
};

/** A pending 'create' request, as the back office or the API would make it. */
async function pendingRequest(
  patient: SyntheticPatient,
  overrides: {
    nhsNumber?: string;
    birthDate?: string;
    expiresAt?: Date;
    status?: 'pending' | 'cancelled';
  } = {},
): Promise<Pending> {
  made += 1;
  const { token, hash } = newClaimToken();
  const id = randomUUID();
  const nhsNumber = overrides.nhsNumber ?? patient.nhsNumber;
  const email = `claim.${made}@example.com`;
  const phone = `+447700${String(900600 + made)}`;
  await db()
    .insertInto('provisioning_requests')
    .values({
      id,
      ods_code: patient.gp ?? 'A12345',
      requested_by_client: 'demo-supplier',
      outcome: 'create',
      status: overrides.status ?? 'pending',
      nhs_number: service.sealer.seal(nhsNumber),
      nhs_number_hash: service.sealer.lookupHash(nhsNumber),
      email,
      phone_number: phone,
      birth_date: overrides.birthDate ?? patient.birthDate,
      claim_token_hash: hash,
      claim_expires_at: overrides.expiresAt ?? new Date(Date.now() + 7 * 24 * 60 * 60 * 1000),
      evidence: JSON.stringify(EVIDENCE),
    })
    .execute();
  return { id, token, email, phone, nhsNumber, patient };
}

const linkPath = (token: string) => TestBrowser.path(claimLink('http://localhost:3000', token));

async function requestRow(id: string) {
  return db().selectFrom('provisioning_requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function accountsWithEmail(email: string) {
  return db()
    .selectFrom('accounts')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .execute();
}

async function accountsWithNhsNumber(nhsNumber: string) {
  return db()
    .selectFrom('accounts')
    .selectAll()
    .where('nhs_number_hash', '=', service.sealer.lookupHash(nhsNumber))
    .execute();
}

async function audited(code: string, requestId: string) {
  const rows = await db()
    .selectFrom('audit_events')
    .selectAll()
    .where('code', '=', code)
    .orderBy('id')
    .execute();
  return rows.filter((r) => (r.details as { requestId?: unknown }).requestId === requestId);
}

/** Follows the emailed link: the token leaves the URL at once. */
async function openLink(browser: TestBrowser, claim: Pending): Promise<Page> {
  const first = await browser.get(linkPath(claim.token));
  expectRedirect(first, '/claim-account/start');
  expect(first.headers['cache-control']).toContain('no-store');
  const start = await browser.get('/claim-account/start');
  expect(start.status, start.body.slice(0, 300)).toBe(200);
  expect(start.body).not.toContain(claim.token);
  return start;
}

/** Asks for the text code and types it. */
async function confirmPhone(browser: TestBrowser, claim: Pending): Promise<void> {
  expectRedirect(await browser.post('/claim-account/start', {}), '/claim-account/phone-code');
  const page = await browser.get('/claim-account/phone-code');
  expect(page.status).toBe(200);
  const code = await latestCode(db(), claim.phone);
  expect(code).toMatch(/^\d{6}$/);
  expectRedirect(await browser.post('/claim-account/phone-code', { code: code! }), '/claim-account/details');
}

const detailsOf = (p: SyntheticPatient, postcode = postcodeOf(p)) => {
  const [year, month, day] = p.birthDate.split('-');
  return { day: String(Number(day)), month: String(Number(month)), year: year!, postcode };
};

async function sendDetails(browser: TestBrowser, fields: Record<string, string>): Promise<Page> {
  const page = await browser.get('/claim-account/details');
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return browser.post('/claim-account/details', fields);
}

/** Link, code, details: up to the password page. */
async function toPassword(claim: Pending, browser = new TestBrowser(service.app, freshIp())) {
  await openLink(browser, claim);
  await confirmPhone(browser, claim);
  expectRedirect(await sendDetails(browser, detailsOf(claim.patient)), '/claim-account/password');
  const page = await browser.get('/claim-account/password');
  expect(page.status).toBe(200);
  return browser;
}

// ---------------------------------------------------------------------------

describe('claiming an account set up in person', () => {
  it('link, text code, date of birth and postcode, password: a P9 account that suppliers see', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = new TestBrowser(service.app, freshIp());

    const start = await openLink(browser, claim);
    // Only the end of the phone number the practice recorded is shown.
    expect(start.body).toContain(claim.phone.slice(-3));
    expect(start.body).not.toContain(claim.phone.slice(-6));
    await confirmPhone(browser, claim);

    // The postcode as people type it: lower case, no space.
    const details = detailsOf(patient, postcodeOf(patient).replace(/\s/g, '').toLowerCase());
    expectRedirect(await sendDetails(browser, details), '/claim-account/password');
    await browser.get('/claim-account/password');
    expectRedirect(
      await browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD }),
      '/claim-account/done',
    );
    const done = await browser.get('/claim-account/done');
    expect(done.status).toBe(200);
    expect(done.body).toContain('Your NHS login is set up');
    expect(done.body).toContain('href="/account"');
    // Signed in to the account pages.
    const account = await browser.get('/account');
    expect(account.status).toBe(200);
    expect(account.body).toContain('You have proved who you are');

    const [created, ...others] = await accountsWithEmail(claim.email);
    expect(others).toHaveLength(0);
    expect(created).toMatchObject({
      email: claim.email,
      phone_number: claim.phone,
      phone_number_verified: true,
      proofing_level: 'P9',
      nhs_number_hash: service.sealer.lookupHash(patient.nhsNumber),
      family_name: patient.family,
      given_name: patient.given.join(' '),
      birthdate: patient.birthDate,
      gp_ods_code: patient.gp ?? null,
    });
    expect(service.sealer.open(created!.nhs_number!)).toBe(patient.nhsNumber);

    const [attempt, ...more] = await listProofingAttempts(db(), created!.id);
    expect(more).toHaveLength(0);
    expect(attempt).toMatchObject({ route: 'in-person', outcome: 'claimed', level_given: 'P9' });
    expect(attempt!.evidence).toMatchObject({
      ...EVIDENCE,
      claim: { requestId: claim.id, phoneVerified: true, supersededNumberFollowed: false },
    });

    expect(await requestRow(claim.id)).toMatchObject({ status: 'claimed', account_id: created!.id });
    expect((await requestRow(claim.id)).claimed_at).not.toBeNull();

    const [email] = await readOutbox(db(), { recipient: claim.email, limit: 1 });
    expect(email?.subject).toBe('You have proved who you are with NHS login');

    const claimedEvents = await audited(AUDIT_EVENTS.ACCOUNT_CLAIMED, claim.id);
    expect(claimedEvents).toHaveLength(1);
    expect(claimedEvents[0]!.account_id).toBe(created!.id);
    const auditText = JSON.stringify(
      await db().selectFrom('audit_events').select('details').where('account_id', '=', created!.id).execute(),
    );
    expect(auditText).not.toMatch(NHS_NUMBER_IN_CLEAR);
    expect(JSON.stringify(attempt!.evidence)).not.toMatch(NHS_NUMBER_IN_CLEAR);

    // A supplier asking for P9 sees the person at P9 with their NHS number.
    const callback = await signInThroughSupplier(
      service,
      new TestBrowser(service.app, freshIp()),
      demo,
      { email: claim.email, phone: claim.phone, password: PASSWORD },
      { scope: 'openid profile' },
    );
    const tokens = await exchangeCode(service.app, demo, callback.code!);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.id_token as string).payload).toMatchObject({
      identity_proofing_level: 'P9',
      nhs_number: patient.nhsNumber,
      birthdate: patient.birthDate,
    });

    // The link works once.
    const again = await new TestBrowser(service.app, freshIp()).get(linkPath(claim.token));
    expect(again.status).toBe(410);
    expect(again.body).toContain(LINK_DOES_NOT_WORK);
  });

  it('follows a merged (superseded) NHS number to the current one when no account holds it', async () => {
    const patient = person('superseded');
    const old = patient.superseded![0]!;
    const claim = await pendingRequest(patient, { nhsNumber: old });
    const browser = await toPassword(claim);
    expectRedirect(
      await browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD }),
      '/claim-account/done',
    );
    const [created] = await accountsWithEmail(claim.email);
    expect(created?.proofing_level).toBe('P9');
    expect(service.sealer.open(created!.nhs_number!)).toBe(patient.nhsNumber);
    const [attempt] = await listProofingAttempts(db(), created!.id);
    expect(attempt!.evidence).toMatchObject({ claim: { supersededNumberFollowed: true } });
  });

  it('keeps the token out of the logs', () => {
    expect(requestForLog({ method: 'GET', url: `${CLAIM_PATH}?token=secret-token-value` }).url).toBe(
      '/claim-account?token=[redacted]',
    );
  });
});

describe('links that do not work read the same', () => {
  it('unknown (404), expired, cancelled and used (410)', async () => {
    const browser = new TestBrowser(service.app, freshIp());
    const unknown = await browser.get(linkPath(newClaimToken().token));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(LINK_DOES_NOT_WORK);
    expect(unknown.body).toContain('Ask your GP surgery to set up your NHS login again');

    const expired = await pendingRequest(person('living'), { expiresAt: new Date(Date.now() - 1000) });
    const cancelled = await pendingRequest(person('living'), { status: 'cancelled' });
    for (const claim of [expired, cancelled]) {
      const page = await browser.get(linkPath(claim.token));
      expect(page.status).toBe(410);
      // The same words as an unknown link.
      expect(page.body).toBe(unknown.body);
    }
    const noToken = await new TestBrowser(service.app).get('/claim-account');
    expect(noToken.status).toBe(404);
    expect(noToken.body).toContain(LINK_DOES_NOT_WORK);
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, expired.id)).toMatchObject([
      { details: { reason: 'link-expired' } },
    ]);
  });

  it('a link that expires while the person is part way through stops the claim', async () => {
    const claim = await pendingRequest(person('living'));
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await db()
      .updateTable('provisioning_requests')
      .set({ claim_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', claim.id)
      .execute();
    const page = await browser.get('/claim-account/start');
    expect(page.status).toBe(410);
    expect(page.body).toContain(LINK_DOES_NOT_WORK);
  });

  it('the steps need the link first, and each step the one before', async () => {
    const fresh = new TestBrowser(service.app, freshIp());
    for (const url of ['/claim-account/start', '/claim-account/details', '/claim-account/password']) {
      const page = await fresh.get(url);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Your session has ended');
    }
    const claim = await pendingRequest(person('living'));
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    expectRedirect(await browser.get('/claim-account/details'), '/claim-account/start');
    expectRedirect(await browser.get('/claim-account/password'), '/claim-account/start');
    // The link without its token (a bookmark of where the token was) goes on from where the claim is.
    expectRedirect(await browser.get('/claim-account'), '/claim-account/start');
    // Without the form's token, nothing is sent.
    const forged = await browser.post('/claim-account/start', { _csrf: 'forged' });
    expect(forged.status).toBe(403);
    expect(await latestCode(db(), claim.phone)).toBeUndefined();
  });
});

describe('the text code', () => {
  it('a wrong code is refused and the person stays on the code page', async () => {
    const claim = await pendingRequest(person('living'));
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    expectRedirect(await browser.post('/claim-account/start', {}), '/claim-account/phone-code');
    await browser.get('/claim-account/phone-code');
    const right = (await latestCode(db(), claim.phone))!;
    const wrong = right === '000000' ? '111111' : '000000';
    const page = await browser.post('/claim-account/phone-code', { code: wrong });
    expect(page.status).toBe(400);
    expect(page.body).toContain(CODE_MESSAGES.wrong);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain(`value="${wrong}"`);
    expectRedirect(await browser.get('/claim-account/details'), '/claim-account/start');

    // A new code, and that one works.
    expectRedirect(await browser.post('/claim-account/phone-code/resend', {}), '/claim-account/phone-code');
    await browser.get('/claim-account/phone-code');
    const fresh = (await latestCode(db(), claim.phone))!;
    expectRedirect(
      await browser.post('/claim-account/phone-code', { code: fresh }),
      '/claim-account/details',
    );
  });
});

describe('the date of birth and postcode', () => {
  it('a wrong postcode and a wrong date of birth read the same, are counted, and the limit cancels the request', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);

    const right = detailsOf(patient);
    const wrongPostcode = {
      ...right,
      postcode: postcodeOf(patient).startsWith('LS1') ? 'M1 1AE' : 'LS1 4AP',
    };
    const wrongYear = { ...right, year: String(Number(right.year) - 1) };
    const first = await sendDetails(browser, wrongPostcode);
    const second = await sendDetails(browser, wrongYear);
    for (const page of [first, second]) {
      expect(page.status).toBe(400);
      expect(page.body).toContain(CLAIM_NOT_MATCHED.title);
      expect(page.body).not.toMatch(
        /postcode (is|was) (wrong|not correct)|date of birth (is|was) (wrong|not correct)/i,
      );
    }
    // The same words whatever did not match, and what was typed kept.
    const strip = (body: string) =>
      body.replace(/name="_csrf" value="[^"]*"/, '').replace(/value="[^"]*"/g, '');
    expect(strip(first.body)).toBe(strip(second.body));
    expect(first.body).toContain(`value="${wrongPostcode.postcode}"`);

    const failures = await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id);
    expect(failures.map((f) => (f.details as { reason: string }).reason)).toEqual([
      'details-mismatch',
      'details-mismatch',
    ]);
    expect((await requestRow(claim.id)).status).toBe('pending');

    const last = await sendDetails(browser, wrongPostcode);
    expect(last.status).toBe(429);
    expect(last.body).toContain(CANNOT_SET_UP);
    expect(last.body).toContain('Ask your GP surgery to set up your NHS login again');
    expect((await requestRow(claim.id)).status).toBe('cancelled');
    expect(await audited(AUDIT_EVENTS.CLAIM_CANCELLED, claim.id)).toMatchObject([
      { details: { reason: 'too-many-attempts' } },
    ]);
    // The claim has left this browser's journey, and the link is dead.
    expect(last.body).not.toContain('action="/claim-account/details"');
    const after = await browser.get('/claim-account/details');
    expect(after.status).toBe(400);
    expect(after.body).toContain('Your session has ended');
    const link = await new TestBrowser(service.app, freshIp()).get(linkPath(claim.token));
    expect(link.status).toBe(410);
    expect(await accountsWithEmail(claim.email)).toHaveLength(0);
  });

  it("the date of birth must be the practice's as well as the record's", async () => {
    const patient = person('living');
    // The practice recorded another date of birth: the record's does not match the request.
    const claim = await pendingRequest(patient, { birthDate: '1950-01-01' });
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    const page = await sendDetails(browser, detailsOf(patient));
    expect(page.status).toBe(400);
    expect(page.body).toContain(CLAIM_NOT_MATCHED.title);
    const failures = await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id);
    expect(failures[0]!.details).toMatchObject({ failed: ['birthDate:request'] });
  });

  it('form errors are not counted and use the error summary', async () => {
    const claim = await pendingRequest(person('living'));
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    const page = await sendDetails(browser, { day: '31', month: '2', year: '1980', postcode: 'nowhere' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain('Date of birth must be a real date');
    expect(page.body).toContain('Enter a full UK postcode');
    expect(page.body).toContain('value="nowhere"');
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id)).toHaveLength(0);
  });

  it('refuses a record that says the person has died, and cancels the request', async () => {
    const patient = person('deceased');
    const claim = await pendingRequest(patient);
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    const page = await sendDetails(browser, detailsOf(patient));
    expect(page.status).toBe(410);
    expect(page.body).toContain(CANNOT_SET_UP);
    expect(page.body).not.toMatch(/died|deceased/i);
    expect((await requestRow(claim.id)).status).toBe('cancelled');
    expect(await accountsWithEmail(claim.email)).toHaveLength(0);
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id)).toMatchObject([
      { details: { reason: 'deceased', fraudSignal: true } },
    ]);
  });

  it('refuses a merged number whose current number another account holds', async () => {
    const patient = person('superseded');
    const holder = await createAccount(db(), {
      email: `holder.${patient.nhsNumber}@example.com`,
      password_hash: await hashPassword(PASSWORD),
      phone_number: '+447700900599',
      phone_number_verified: true,
    });
    await updateAccount(db(), holder!.id, {
      proofing_level: 'P5',
      nhs_number: service.sealer.seal(patient.nhsNumber),
      nhs_number_hash: service.sealer.lookupHash(patient.nhsNumber),
    });
    const claim = await pendingRequest(patient, { nhsNumber: patient.superseded![0]! });
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    const page = await sendDetails(browser, detailsOf(patient));
    expect(page.status).toBe(409);
    expect(page.body).toContain(ALREADY);
    expect(await accountsWithEmail(claim.email)).toHaveLength(0);
    expect(await accountsWithNhsNumber(patient.nhsNumber)).toMatchObject([{ id: holder!.id }]);
    expect((await requestRow(claim.id)).status).toBe('cancelled');
  });

  it('an email address that already has an NHS login stops the claim at the re-check', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    const other = await createAccount(db(), {
      email: claim.email,
      password_hash: await hashPassword(PASSWORD),
      phone_number: '+447700900596',
      phone_number_verified: true,
    });
    const page = await sendDetails(browser, detailsOf(patient));
    expect(page.status).toBe(409);
    expect(page.body).toContain(ALREADY);
    expect(await accountsWithEmail(claim.email)).toMatchObject([{ id: other!.id, proofing_level: 'P0' }]);
    expect(await accountsWithNhsNumber(patient.nhsNumber)).toHaveLength(0);
    expect((await requestRow(claim.id)).status).toBe('cancelled');
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id)).toMatchObject([
      { details: { reason: 'email-in-use', ownerAccountId: other!.id } },
    ]);
  });

  it('PDS being down decides nothing and counts nothing', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = new TestBrowser(service.app, freshIp());
    await openLink(browser, claim);
    await confirmPhone(browser, claim);
    pds.down = true;
    try {
      const page = await sendDetails(browser, detailsOf(patient));
      expect(page.status).toBe(503);
      expect(page.body).toContain('We could not check your details just now');
    } finally {
      pds.down = false;
    }
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id)).toHaveLength(0);
    expectRedirect(await sendDetails(browser, detailsOf(patient)), '/claim-account/password');
  });
});

describe('the password and the account', () => {
  it('a weak password or one typed differently is refused with the error summary, and nothing is created', async () => {
    const claim = await pendingRequest(person('living'));
    const browser = await toPassword(claim);
    const weak = await browser.post('/claim-account/password', {
      password: 'password123',
      confirm: 'password123',
    });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain('There is a problem');
    expect(weak.body).toContain('href="#password"');
    expect(weak.body).toContain(PASSWORD_MESSAGES.common);
    expect(weak.body).not.toContain('value="password123"');
    const mismatch = await browser.post('/claim-account/password', {
      password: PASSWORD,
      confirm: PASSWORD + 'x',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('href="#confirm"');
    expect(await accountsWithEmail(claim.email)).toHaveLength(0);
    expect((await requestRow(claim.id)).status).toBe('pending');
  });

  it('an NHS number another account took meanwhile: nothing is created and the person is told', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = await toPassword(claim);
    const other = await createAccount(db(), {
      email: `meanwhile.${patient.nhsNumber}@example.com`,
      password_hash: await hashPassword(PASSWORD),
      phone_number: '+447700900598',
      phone_number_verified: true,
    });
    await updateAccount(db(), other!.id, {
      proofing_level: 'P5',
      nhs_number: service.sealer.seal(patient.nhsNumber),
      nhs_number_hash: service.sealer.lookupHash(patient.nhsNumber),
    });
    const page = await browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD });
    expect(page.status).toBe(409);
    expect(page.body).toContain(ALREADY);
    expect(await accountsWithEmail(claim.email)).toHaveLength(0);
    expect(await accountsWithNhsNumber(patient.nhsNumber)).toMatchObject([
      { id: other!.id, proofing_level: 'P5' },
    ]);
    expect((await requestRow(claim.id)).status).toBe('cancelled');
    expect(await audited(AUDIT_EVENTS.CLAIM_FAILED, claim.id)).toMatchObject([
      { details: { reason: 'nhs-number-in-use', ownerAccountId: other!.id } },
    ]);
  });

  it('an email address another account took meanwhile: nothing is created and the person is told', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = await toPassword(claim);
    const other = await createAccount(db(), {
      email: claim.email.toUpperCase(),
      password_hash: await hashPassword(PASSWORD),
      phone_number: '+447700900597',
      phone_number_verified: true,
    });
    const page = await browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD });
    expect(page.status).toBe(409);
    expect(page.body).toContain(ALREADY);
    expect(await accountsWithEmail(claim.email)).toMatchObject([{ id: other!.id, proofing_level: 'P0' }]);
    expect(await accountsWithNhsNumber(patient.nhsNumber)).toHaveLength(0);
    expect((await requestRow(claim.id)).status).toBe('cancelled');
  });

  it('two tabs racing: one account, and the other tab is told the link has been used', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const browser = await toPassword(claim);
    const [a, b] = await Promise.all([
      browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD }),
      browser.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD }),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([303, 410]);
    expect((a.status === 410 ? a : b).body).toContain(LINK_DOES_NOT_WORK);
    expect(await accountsWithEmail(claim.email)).toHaveLength(1);
    expect(await accountsWithNhsNumber(patient.nhsNumber)).toHaveLength(1);
    expect((await requestRow(claim.id)).status).toBe('claimed');
  });

  it('a second browser with the same link after the claim is refused', async () => {
    const patient = person('living');
    const claim = await pendingRequest(patient);
    const first = await toPassword(claim);
    const second = new TestBrowser(service.app, freshIp());
    await openLink(second, claim);
    expectRedirect(
      await first.post('/claim-account/password', { password: PASSWORD, confirm: PASSWORD }),
      '/claim-account/done',
    );
    const page = await second.get('/claim-account/start');
    expect(page.status).toBe(410);
    expect(page.body).toContain(LINK_DOES_NOT_WORK);
    expect(await accountsWithEmail(claim.email)).toHaveLength(1);
  });
});
