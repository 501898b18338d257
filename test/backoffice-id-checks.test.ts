// The ID checker queue in the back office, first slice: fraud signals raised
// while proving identity (a demographics match to a person who has died, GP
// online services details already used by another account, the proving
// limit hit) are put in the queue; an ID checker lists and opens them
// (audited), decides each once with a reason from a fixed list (confirmed
// fraud locks the account), within their organisation, never on their own
// NHS login. Other roles cannot open the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedGpSystem } from '../src/adapters/gp-system/index.js';
import { readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { findAccountById, updateAccount, type Account } from '../src/store/accounts.js';
import { flagFraudSignal } from '../src/store/id-checks.js';
import { TestBrowser, type Page } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers } from './support/staff.js';

const ACCOUNT_LIMIT = 2;

let service: TestService;
const db = () => service.database.db;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];

beforeAll(async () => {
  service = await startTestService({
    demographics: testDemographics(),
    gpSystem: createEmbeddedGpSystem(),
    rateLimits: {
      proofingAttemptsPerAccount: { points: ACCOUNT_LIMIT },
      proofingAttemptsPerIp: { points: 50 },
    },
  });
  ({ staffMember } = staffHelpers(service));
});
afterAll(async () => {
  await service?.close();
});

let addresses = 0;
const freshIp = () => `198.51.100.${++addresses}`;

async function signedInPerson(tag: string): Promise<{ person: Account; browser: TestBrowser }> {
  const person = await newPerson(db(), tag);
  const browser = new TestBrowser(service.app, freshIp());
  await signInToAccount(db(), browser, person);
  return { person, browser };
}

async function submit(browser: TestBrowser, path: string, fields: Record<string, string>): Promise<Page> {
  const page = await browser.get(path);
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return browser.post(path, fields);
}

const DECEASED = {
  nhsNumber: '9990011079',
  givenName: 'Aoife',
  familyName: 'Khan',
  day: '21',
  month: '10',
  year: '1940',
  postcode: 'E1 9QP',
};
const NO_MATCH = {
  ...DECEASED,
  nhsNumber: '',
  givenName: 'Isla',
  familyName: 'Green',
  day: '4',
  month: '9',
  year: '2004',
  postcode: 'EX4 3FA',
};
const DAVID = {
  accountId: '4970805905',
  linkageKey: 'X4LvWdWD9XnXG',
  odsCode: 'C81010',
  familyName: 'Øvergård',
  day: '29',
  month: '1',
  year: '1963',
};

async function checksOf(accountId: string) {
  return db()
    .selectFrom('id_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .execute();
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

/** Opens the item, then posts the decision. */
async function decide(browser: TestBrowser, checkId: string, form: Record<string, string>): Promise<Page> {
  expect((await browser.get(`/backoffice/id-checks/${checkId}`)).status).toBe(200);
  return browser.post(`/backoffice/id-checks/${checkId}`, form);
}

let deceased: { person: Account; checkId: string };
let linkage: { person: Account; owner: Account; checkId: string };

describe('fraud signals are flagged to the queue', () => {
  it('a demographics match to a person who has died opens a check, with the GPG45 decision and no NHS number', async () => {
    const { person, browser } = await signedInPerson('idc-deceased');
    const page = await submit(browser, '/prove-identity/details', DECEASED);
    expect(page.status).toBe(200);
    expect(await events(AUDIT_EVENTS.PROOFING_DECEASED_MATCH, person.id)).toHaveLength(1);
    const checks = await checksOf(person.id);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ kind: 'fraud-signal', signal: 'deceased-match', status: 'open' });
    expect(checks[0]!.proofing_attempt_id).toEqual(expect.any(String));
    expect(checks[0]!.summary).toMatchObject({ route: 'demographics', outcome: 'deceased' });
    expect(checks[0]!.summary.gpg45).toMatchObject({ explanation: expect.any(Array) });
    expect(JSON.stringify(checks[0]!.summary)).not.toMatch(NHS_NUMBER_IN_CLEAR);
    expect(JSON.stringify(checks[0]!.summary)).not.toMatch(/Hash/);
    deceased = { person, checkId: checks[0]!.id };
  });

  it('GP online services details already used by another account open a check naming the other account', async () => {
    const first = await signedInPerson('idc-gp-first');
    expectRedirect(await submit(first.browser, '/prove-identity/gp-details', DAVID), '/prove-identity/done');
    expect(await checksOf(first.person.id)).toHaveLength(0);
    const second = await signedInPerson('idc-gp-second');
    expect((await submit(second.browser, '/prove-identity/gp-details', DAVID)).status).toBe(409);
    const checks = await checksOf(second.person.id);
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ signal: 'gp-linkage-in-use', status: 'open' });
    expect(checks[0]!.summary).toMatchObject({
      route: 'gp-online-services',
      outcome: 'linkage-in-use',
      otherAccountId: first.person.id,
    });
    const summary = JSON.stringify(checks[0]!.summary);
    expect(summary).not.toContain(DAVID.linkageKey);
    expect(summary).not.toMatch(NHS_NUMBER_IN_CLEAR);
    linkage = { person: second.person, owner: first.person, checkId: checks[0]!.id };
  });

  it('a person hitting the proving limit is flagged once while the item is open', async () => {
    const { person, browser } = await signedInPerson('idc-limit');
    for (let i = 0; i < ACCOUNT_LIMIT; i++)
      expect((await submit(browser, '/prove-identity/details', NO_MATCH)).status).toBe(200);
    expect(await checksOf(person.id)).toHaveLength(0);
    expect((await browser.post('/prove-identity/details', NO_MATCH)).status).toBe(429);
    const checks = await checksOf(person.id);
    expect(checks.map((c) => c.signal)).toEqual(['too-many-attempts']);
    expect(checks[0]!.proofing_attempt_id).toBeNull();
    // Every further try hits the limit again: no second item while this one is open.
    expect(
      await flagFraudSignal(db(), { accountId: person.id, signal: 'too-many-attempts', summary: {} }),
    ).toBe(undefined);
    expect(await checksOf(person.id)).toHaveLength(1);
  });
});

describe('an ID checker reviews the queue', () => {
  it('lists open items oldest first, opens one (audited) and shows its evidence', async () => {
    const checker = await staffMember('id-checker', 'X26');
    const list = await checker.browser.get('/backoffice/id-checks');
    expect(list.status).toBe(200);
    expect(list.body).toContain('<caption class="nhsuk-table__caption">Open items, oldest first</caption>');
    const first = list.body.indexOf(`/backoffice/id-checks/${deceased.checkId}`);
    const second = list.body.indexOf(`/backoffice/id-checks/${linkage.checkId}`);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(list.body).toContain('Details matched a person who has died');
    expect(list.body).toContain('GP online services details already used by another account');
    expect(list.body).not.toMatch(NHS_NUMBER_IN_CLEAR);

    const item = await checker.browser.get(`/backoffice/id-checks/${linkage.checkId}`);
    expect(item.status).toBe(200);
    expect(item.body).toContain(linkage.owner.id);
    expect(item.body).toContain(linkage.person.id);
    expect(item.body).toContain('GPG45 decision');
    expect(item.body).toContain('Record decision');
    expect(item.body).not.toContain(DAVID.linkageKey);
    expect(item.body).not.toMatch(NHS_NUMBER_IN_CLEAR);
    const viewed = await events(AUDIT_EVENTS.ID_CHECK_VIEWED, linkage.person.id);
    expect(viewed).toHaveLength(1);
    expect(viewed[0]!.details).toMatchObject({ staffId: checker.id, checkId: linkage.checkId });

    expect((await checker.browser.get('/backoffice/id-checks/no-such-check')).status).toBe(404);
  });

  it('asks for a decision from the list and a note, keeping what was entered', async () => {
    const checker = await staffMember('id-checker', 'X26');
    const url = `/backoffice/id-checks/${deceased.checkId}`;
    const empty = await decide(checker.browser, deceased.checkId, {});
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('nhsuk-error-summary');
    expect(empty.body).toContain('Select a decision');
    const madeUp = await checker.browser.post(url, { decision: 'shrug', note: 'kept text' });
    expect(madeUp.status).toBe(400);
    expect(madeUp.body).toContain('kept text');
    const noNote = await checker.browser.post(url, { decision: 'confirmed-fraud', note: '  ' });
    expect(noNote.status).toBe(400);
    expect(noNote.body).toContain('Enter a note explaining the decision');
    expect(noNote.body).toMatch(/value="confirmed-fraud" checked/);
    const long = await checker.browser.post(url, { decision: 'genuine-explained', note: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.body).toContain('Note must be 500 characters or fewer');
    expect((await checksOf(deceased.person.id))[0]!.status).toBe('open');
    expect(await events(AUDIT_EVENTS.ID_CHECK_DECIDED, deceased.person.id)).toHaveLength(0);
  });

  it('confirmed fraud locks the account, closes the item and is audited; deciding again is refused', async () => {
    const checker = await staffMember('id-checker', 'X26');
    // A colleague has the same item open at the same time.
    const colleague = await staffMember('id-checker', 'X26');
    expect((await colleague.browser.get(`/backoffice/id-checks/${deceased.checkId}`)).status).toBe(200);
    const done = await decide(checker.browser, deceased.checkId, {
      decision: 'confirmed-fraud',
      note: 'Date of death well before the account was made',
    });
    expectRedirect(done, `/backoffice/id-checks/${deceased.checkId}?done=yes`);
    expect((await findAccountById(db(), deceased.person.id))?.locked_at).toBeInstanceOf(Date);
    const [check] = await checksOf(deceased.person.id);
    expect(check).toMatchObject({
      status: 'rejected',
      decision_reason: 'confirmed-fraud',
      decided_by: checker.id,
      note: 'Date of death well before the account was made',
    });
    const decided = await events(AUDIT_EVENTS.ID_CHECK_DECIDED, deceased.person.id);
    expect(decided).toHaveLength(1);
    expect(decided[0]!.details).toMatchObject({
      staffId: checker.id,
      checkId: deceased.checkId,
      reason: 'confirmed-fraud',
      status: 'rejected',
      accountLocked: true,
    });
    expect(await events(AUDIT_EVENTS.ACCOUNT_LOCKED, deceased.person.id)).toHaveLength(1);
    // The patient is told the account is locked, and nothing about fraud.
    const mail = await readOutbox(db(), { recipient: deceased.person.email, limit: 5 });
    expect(mail.map((m) => m.subject)).toContain('Your NHS login has been locked');
    for (const m of mail) expect(`${m.subject} ${m.body}`).not.toMatch(/fraud|died|deceased/i);

    const page = await checker.browser.get(`/backoffice/id-checks/${deceased.checkId}?done=yes`);
    expect(page.body).toContain('Decision recorded');
    expect(page.body).not.toContain('Record decision');
    const again = await colleague.browser.post(`/backoffice/id-checks/${deceased.checkId}`, {
      decision: 'genuine-explained',
    });
    expect(again.status).toBe(409);
    expect(again.body).toContain('already been decided');
    expect((await checksOf(deceased.person.id))[0]!.status).toBe('rejected');

    const open = await checker.browser.get('/backoffice/id-checks');
    expect(open.body).not.toContain(`/backoffice/id-checks/${deceased.checkId}"`);
    const closed = await checker.browser.get('/backoffice/id-checks?state=decided');
    expect(closed.body).toContain(`/backoffice/id-checks/${deceased.checkId}"`);
  });

  it('genuine, explained dismisses the item and leaves the account alone', async () => {
    const checker = await staffMember('id-checker', 'X26');
    expectRedirect(
      await decide(checker.browser, linkage.checkId, { decision: 'genuine-explained', note: '' }),
      `/backoffice/id-checks/${linkage.checkId}?done=yes`,
    );
    expect((await checksOf(linkage.person.id))[0]).toMatchObject({ status: 'dismissed', note: null });
    expect((await findAccountById(db(), linkage.person.id))?.locked_at).toBeNull();
    expect(await events(AUDIT_EVENTS.ACCOUNT_LOCKED, linkage.person.id)).toHaveLength(0);
  });
});

describe('who may open the queue', () => {
  it('support and operators may not', async () => {
    for (const role of ['support', 'operator'] as const) {
      const staff = await staffMember(role, 'X26');
      expect((await staff.browser.get('/backoffice/id-checks')).status, role).toBe(403);
      expect((await staff.browser.get(`/backoffice/id-checks/${linkage.checkId}`)).status, role).toBe(403);
      await staff.browser.get('/backoffice');
      expect(
        (
          await staff.browser.post(`/backoffice/id-checks/${linkage.checkId}`, {
            decision: 'genuine-explained',
          })
        ).status,
        role,
      ).toBe(403);
    }
  });

  it('a checker outside the operator sees only items about patients registered at their organisation', async () => {
    const here = await signedInPerson('idc-here');
    const there = await signedInPerson('idc-there');
    await updateAccount(db(), here.person.id, { gp_ods_code: 'A81001' });
    await updateAccount(db(), there.person.id, { gp_ods_code: 'B82005' });
    for (const p of [here, there]) await submit(p.browser, '/prove-identity/details', DECEASED);
    const [hereCheck] = await checksOf(here.person.id);
    const [thereCheck] = await checksOf(there.person.id);

    const checker = await staffMember('id-checker', 'A81001');
    const list = await checker.browser.get('/backoffice/id-checks');
    expect(list.body).toContain(`/backoffice/id-checks/${hereCheck!.id}"`);
    expect(list.body).not.toContain(`/backoffice/id-checks/${thereCheck!.id}"`);
    expect(list.body).not.toContain(`/backoffice/id-checks/${linkage.checkId}"`);
    expect((await checker.browser.get(`/backoffice/id-checks/${hereCheck!.id}`)).status).toBe(200);
    expect((await checker.browser.get(`/backoffice/id-checks/${thereCheck!.id}`)).status).toBe(404);
    await checker.browser.get('/backoffice'); // a page with a CSRF token
    expect(
      (
        await checker.browser.post(`/backoffice/id-checks/${thereCheck!.id}`, {
          decision: 'genuine-explained',
        })
      ).status,
    ).toBe(404);
    expect((await checksOf(there.person.id))[0]!.status).toBe('open');
  });

  it('nobody decides a check on their own NHS login', async () => {
    const own = await signedInPerson('idc-own');
    await submit(own.browser, '/prove-identity/details', DECEASED);
    const [check] = await checksOf(own.person.id);
    const checker = await staffMember('id-checker', 'X26');
    await updateAccount(db(), own.person.id, { email: checker.email.toUpperCase() });
    expect((await checker.browser.get(`/backoffice/id-checks/${check!.id}`)).status).toBe(403);
    await checker.browser.get('/backoffice');
    const page = await checker.browser.post(`/backoffice/id-checks/${check!.id}`, {
      decision: 'genuine-explained',
    });
    expect(page.status).toBe(403);
    expect(page.body).toContain('You cannot check your own NHS login');
    expect((await checksOf(own.person.id))[0]!.status).toBe('open');
  });
});
