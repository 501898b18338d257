// P9 in person in the back office: practice staff find a patient in PDS,
// record the face-to-face photo ID check, then provision an NHS login (a
// pending request and a claim link emailed), uplift a P5 one to P9 at once,
// or issue GP online services details. Each refusal (already P9, pending,
// email in use, too many from the organisation, another practice's patient,
// details that match no living person) and the carried check's proof.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedGpSystem } from '../src/adapters/gp-system/index.js';
import { readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { findAccountByEmail, listProofingAttempts } from '../src/store/accounts.js';
import { claimTokenHash } from '../src/store/provisioning-token.js';
import type { TestBrowser, Page } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { startTestService, type TestService } from './support/service.js';
import { staffHelpers } from './support/staff.js';

/** Living people in the synthetic national record (fixtures/pds/synthetic-patients.ndjson). */
const NOEL = { nhsNumber: '9990011060', birthDate: '1957-08-13', name: 'Noël Kowalski' }; // A81001
const CHARLIE = { nhsNumber: '9990011095', birthDate: '2008-06-17' }; // A81001
const ISLA = { nhsNumber: '9990011141', birthDate: '2004-09-03', name: 'Isla Green' }; // A81001
const TOMASZ = { nhsNumber: '9990011036', birthDate: '1941-09-05' }; // E85001
const AOIFE_DECEASED = { nhsNumber: '9990011079', birthDate: '1940-10-21' }; // A81001, died 1997
/** The seeded P5 test person (GP A12345). */
const P5 = { nhsNumber: '9990000018', birthDate: '1984-03-17', email: 'p5.patient@example.com' };
const ORG_LIMIT = 3;

let service: TestService;
const db = () => service.database.db;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];
let practice: TestBrowser;
const gp = createEmbeddedGpSystem();

beforeAll(async () => {
  service = await startTestService({
    demographics: testDemographics(),
    gpSystem: gp,
    rateLimits: { provisionRequestsPerOrganisation: { points: ORG_LIMIT } },
  });
  ({ staffMember } = staffHelpers(service));
  practice = (await staffMember('practice-staff', 'A81001')).browser;
});
afterAll(async () => {
  await service?.close();
});

const dob = (birthDate: string) => {
  const [year, month, day] = birthDate.split('-');
  return { dobDay: day!, dobMonth: month!, dobYear: year! };
};

async function lookUp(browser: TestBrowser, person: { nhsNumber: string; birthDate: string }): Promise<Page> {
  expect((await browser.get('/backoffice/in-person')).status).toBe(200);
  return browser.post('/backoffice/in-person', { nhsNumber: person.nhsNumber, ...dob(person.birthDate) });
}

/** The hidden fields of the page's forms (the carried patient and check). */
function hidden(page: Page): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    if (m[1] !== '_csrf') out[m[1]!] = m[2]!;
  return out;
}

const CHECK = { document: 'passport', lastFour: '12ab', expiry: 'in-date' };

/** Looks the person up and records a passport check; the page offering what to do. */
async function checked(
  browser: TestBrowser,
  person: { nhsNumber: string; birthDate: string },
): Promise<Page> {
  const found = await lookUp(browser, person);
  expect(found.status, found.body.slice(0, 2000)).toBe(200);
  const body = new URLSearchParams({ ...hidden(found), ...CHECK });
  body.append('confirm', 'document');
  body.append('confirm', 'face');
  const page = await postRaw(browser, '/backoffice/in-person/check', body, found);
  expect(page.status, page.body.slice(0, 2000)).toBe(200);
  return page;
}

/** A form with a repeated field (checkboxes), with the CSRF token of `from`. */
async function postRaw(browser: TestBrowser, url: string, body: URLSearchParams, from: Page): Promise<Page> {
  const csrf = /name="_csrf" value="([^"]*)"/.exec(from.body)?.[1];
  if (csrf) body.set('_csrf', csrf);
  const res = await service.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: body.toString(),
  });
  return {
    status: res.statusCode,
    location: res.headers.location,
    body: res.body,
    headers: res.headers as Page['headers'],
  };
}

async function provisionFrom(browser: TestBrowser, choose: Page, email: string, mobile = '07700 900982') {
  return browser.post('/backoffice/in-person/provision', { ...hidden(choose), email, mobile });
}

const requestsFor = (nhsNumber: string) =>
  db()
    .selectFrom('provisioning_requests')
    .selectAll()
    .where('nhs_number_hash', '=', service.sealer.lookupHash(nhsNumber))
    .orderBy('created_at')
    .execute();

async function auditOf(code: string) {
  return db().selectFrom('audit_events').selectAll().where('code', '=', code).orderBy('id').execute();
}

describe('finding the patient', () => {
  it('asks again, keeping what was typed, for a wrong NHS number or date of birth', async () => {
    await practice.get('/backoffice/in-person');
    const page = await practice.post('/backoffice/in-person', {
      nhsNumber: '8527685222',
      dobDay: '31',
      dobMonth: '2',
      dobYear: '1980',
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain('Enter a valid NHS number');
    expect(page.body).toContain('Enter the patient’s date of birth');
    expect(page.body).toContain('value="8527685222"');
    expect(page.body).toContain('href="#dob-day"');
  });

  it('shows the patient and what can be done; never puts the NHS number in an address', async () => {
    const page = await lookUp(practice, NOEL);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain(NOEL.name);
    expect(page.body).toContain('999 001 1060');
    expect(page.body).toContain('No NHS login yet');
    expect(page.body).not.toMatch(/action="[^"]*9990011060/);
    const [entry] = (await auditOf(AUDIT_EVENTS.IN_PERSON_LOOKUP)).slice(-1);
    expect(entry?.details).toMatchObject({ result: 'found' });
    expect(JSON.stringify(entry?.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);
  });

  it('refuses a date of birth that is not the record’s, and a person who has died, alike', async () => {
    const wrong = await lookUp(practice, { ...NOEL, birthDate: '1957-08-14' });
    const died = await lookUp(practice, AOIFE_DECEASED);
    for (const page of [wrong, died]) {
      expect(page.status).toBe(404);
      expect(page.body).toContain('No living patient has this NHS number and date of birth');
      expect(page.body).not.toContain('Kowalski');
      expect(page.body).not.toContain('Khan');
    }
  });

  it('refuses a patient registered at another practice', async () => {
    const page = await lookUp(practice, P5);
    expect(page.status).toBe(403);
    expect(page.body).toContain('This patient is not registered at your organisation (A81001)');
    expect(page.body).not.toContain('Ashworth');
  });

  it('is for practice staff only', async () => {
    const support = await staffMember('support');
    expect((await support.browser.get('/backoffice/in-person')).status).toBe(403);
  });
});

describe('recording the photo ID check', () => {
  it('needs the document, its last four characters, its expiry and both confirmations', async () => {
    const found = await lookUp(practice, NOEL);
    const page = await practice.post('/backoffice/in-person/check', {
      ...hidden(found),
      document: 'library-card',
      lastFour: '12',
      confirm: 'face',
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Select the photo ID the patient showed you');
    expect(page.body).toContain('Enter the last 4 letters or numbers');
    expect(page.body).toContain('Select whether the document is in date');
    expect(page.body).toContain('Confirm that you checked the document');
    expect(page.body).toContain('value="12"');
  });

  it('records the check, audited with its GPG45 decision', async () => {
    const page = await checked(practice, NOEL);
    expect(page.body).toContain('Photo ID check recorded: Passport ending 12AB');
    const [entry] = (await auditOf(AUDIT_EVENTS.IN_PERSON_CHECKED)).slice(-1);
    expect(entry?.details).toMatchObject({ document: 'passport', lastFour: '12AB', odsCode: 'A81001' });
    expect(JSON.stringify(entry?.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);
  });

  it('acts only on a check whose carried details are unchanged', async () => {
    const page = await checked(practice, NOEL);
    const tampered = await practice.post('/backoffice/in-person/provision', {
      ...hidden(page),
      nhsNumber: ISLA.nhsNumber,
      birthDate: ISLA.birthDate,
      email: 'isla@example.com',
      mobile: '07700900982',
    });
    expect(tampered.status).toBe(400);
    expect(tampered.body).toContain('Find the patient and check their photo ID again');
    expect(await requestsFor(ISLA.nhsNumber)).toHaveLength(0);
  });
});

describe('provisioning', () => {
  it('creates a pending request and emails the patient a claim link (limit hit 1)', async () => {
    const choose = await checked(practice, NOEL);
    expect(choose.body).toContain('Provision an NHS login');
    const bad = await provisionFrom(practice, choose, 'not-an-email', '0113 496 0000');
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('Enter an email address in the correct format');
    expect(bad.body).toContain('Enter a UK mobile phone number');
    expect(bad.body).toContain('value="not-an-email"');
    expect(await requestsFor(NOEL.nhsNumber)).toHaveLength(0);

    const done = await provisionFrom(practice, choose, 'Noel.Kowalski@Example.com');
    expect(done.status, done.body.slice(0, 2000)).toBe(201);
    expect(done.body).toContain('NHS login ready to claim');
    const [row] = await requestsFor(NOEL.nhsNumber);
    expect(row).toMatchObject({
      ods_code: 'A81001',
      outcome: 'create',
      status: 'pending',
      email: 'noel.kowalski@example.com',
      phone_number: '+447700900982',
      birth_date: NOEL.birthDate,
      requested_by_client: null,
      account_id: null,
    });
    expect(row!.requested_by_staff).toBeTruthy();
    expect(row!.nhs_number).not.toContain(NOEL.nhsNumber);
    expect(service.sealer.open(row!.nhs_number)).toBe(NOEL.nhsNumber);
    expect(row!.claim_expires_at!.getTime() - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    expect(row!.evidence).toMatchObject({
      document: 'passport',
      lastFour: '12AB',
      method: 'photo-id',
      checkedBy: row!.requested_by_staff,
      gpg45: { route: 'in-person', level: 'P9' },
    });

    const [mail] = await readOutbox(db(), { recipient: 'noel.kowalski@example.com' });
    const token = /\/claim-account\?token=([A-Za-z0-9_-]{43})/.exec(mail?.body ?? '')?.[1];
    expect(token, mail?.body).toBeDefined();
    expect(claimTokenHash(token!)).toBe(row!.claim_token_hash);
    const [audited] = (await auditOf(AUDIT_EVENTS.PROVISIONED)).slice(-1);
    expect(audited?.details).toMatchObject({ outcome: 'create', requestId: row!.id, odsCode: 'A81001' });
    expect(JSON.stringify(audited?.details)).not.toContain('noel');
  });

  it('refuses a second request within 7 days (11003, limit hit 2)', async () => {
    const choose = await checked(practice, NOEL);
    const page = await provisionFrom(practice, choose, 'other.noel@example.com');
    expect(page.status).toBe(409);
    expect(page.body).toContain('waiting to be claimed');
    expect(page.body).toContain('(11003)');
    expect(await requestsFor(NOEL.nhsNumber)).toHaveLength(1);
  });

  it('refuses an email another NHS login uses (11004, limit hit 3)', async () => {
    const choose = await checked(practice, CHARLIE);
    const page = await provisionFrom(practice, choose, 'P0.Patient@example.com');
    expect(page.status).toBe(409);
    expect(page.body).toContain('already used by another NHS login (11004)');
    expect(page.body).toContain('value="P0.Patient@example.com"');
    expect(await requestsFor(CHARLIE.nhsNumber)).toHaveLength(0);
  });

  it('refuses once the organisation has made too many requests (11011)', async () => {
    const choose = await checked(practice, CHARLIE);
    const page = await provisionFrom(practice, choose, 'charlie.thompson@example.com');
    expect(page.status).toBe(429);
    expect(page.body).toContain('(11011)');
    expect(await requestsFor(CHARLIE.nhsNumber)).toHaveLength(0);
    const [refused] = (await auditOf(AUDIT_EVENTS.PROVISION_REFUSED)).slice(-1);
    expect(refused?.details).toMatchObject({ error: 'tooMany', odsCode: 'A81001' });
  });

  it('uplifts a P5 NHS login to P9 at once and emails its owner; then it is already P9 (11005)', async () => {
    const surgery = (await staffMember('practice-staff', 'A12345')).browser;
    const choose = await checked(surgery, P5);
    expect(choose.body).toContain('it can be uplifted to P9');
    const done = await provisionFrom(surgery, choose, P5.email);
    expect(done.status, done.body.slice(0, 2000)).toBe(201);
    expect(done.body).toContain('NHS login uplifted to P9');

    const account = await findAccountByEmail(db(), P5.email);
    expect(account?.proofing_level).toBe('P9');
    const [attempt] = await listProofingAttempts(db(), account!.id);
    expect(attempt).toMatchObject({ route: 'in-person', outcome: 'uplifted', level_given: 'P9' });
    expect(attempt!.evidence).toMatchObject({ document: 'passport', gpg45: { level: 'P9' } });
    const [row] = await requestsFor(P5.nhsNumber);
    expect(row).toMatchObject({ outcome: 'uplift', status: 'applied', account_id: account!.id });
    expect(row!.claim_token_hash).toBeNull();
    const [mail] = await readOutbox(db(), { recipient: P5.email });
    expect(mail?.subject).toBe('You have proved who you are with NHS login');
    expect(mail?.body).toContain('including those that show your health records');

    const again = await checked(surgery, P5);
    expect(again.body).toContain('already proved to P9');
    expect(again.body).not.toContain('action="/backoffice/in-person/provision"');
    const refused = await provisionFrom(surgery, again, P5.email);
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('(11005)');
    expect(await requestsFor(P5.nhsNumber)).toHaveLength(1);
  });
});

describe('GP online services details', () => {
  it('issues them once for the practice’s patient, audited without the Linkage Key', async () => {
    const choose = await checked(practice, ISLA);
    const page = await practice.post('/backoffice/in-person/gp-details', hidden(choose));
    expect(page.status, page.body.slice(0, 2000)).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const accountId = /<code id="account-id">([^<]+)<\/code>/.exec(page.body)?.[1];
    const linkageKey = /<code id="linkage-key">([^<]+)<\/code>/.exec(page.body)?.[1];
    expect(accountId).toMatch(/^\d+$/);
    expect(linkageKey).toMatch(/^[A-Za-z0-9]{8,}$/);
    expect(page.body).toContain('<code id="ods-code">A81001</code>');

    // The details work at the GP system (and so prove the patient with NHS login's GP route).
    const verified = await gp.verifyLinkage({
      accountId: accountId!,
      linkageKey: linkageKey!,
      odsCode: 'A81001',
    });
    expect(verified.kind).toBe('verified');

    const [entry] = (await auditOf(AUDIT_EVENTS.GP_DETAILS_ISSUED)).slice(-1);
    expect(entry?.details).toMatchObject({ odsCode: 'A81001', document: 'passport', lastFour: '12AB' });
    expect(JSON.stringify(entry?.details)).not.toContain(linkageKey!);
    expect(JSON.stringify(entry?.details)).not.toMatch(NHS_NUMBER_IN_CLEAR);
  });

  it('acts only on a check the same member of staff recorded', async () => {
    const other = (await staffMember('practice-staff', 'E85001')).browser;
    const choose = await checked(other, TOMASZ);
    const mine = hidden(choose);
    // Practice A81001's member cannot act on E85001's check (the proof names the member).
    await practice.get('/backoffice/in-person'); // a page with a CSRF token
    const page = await practice.post('/backoffice/in-person/gp-details', mine);
    expect(page.status).toBe(400);
    expect(page.body).toContain('Find the patient and check their photo ID again');
    expect(page.body).not.toContain('linkage-key');
  });
});
