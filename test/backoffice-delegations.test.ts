// Delegated access in the back office (issue 5): practice staff set access up
// for a child under 16 or a person who lacks capacity, registered at their
// practice (PDS), with a reason and a review date, and renew it; support sees
// a patient's delegations with their history and pauses or restores one with
// a reason; the housekeeping sweep ends access at its review date and on a
// child's 16th birthday. Both people are emailed and every change audited.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../src/adapters/notify/port.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { ukToday } from '../src/audit/search.js';
import { expireDelegations } from '../src/backoffice/delegations/expiry.js';
import { addDays } from '../src/backoffice/delegations/rules.js';
import { birthdayAt } from '../src/domain/delegation.js';
import { createAccount, type Account } from '../src/store/accounts.js';
import {
  createPracticeDelegation,
  delegationHistory,
  delegationsGivenBy,
  findDelegation,
} from '../src/store/delegations.js';
import type { Page, TestBrowser } from './support/browser.js';
import { NHS_NUMBER_IN_CLEAR, testDemographics } from './support/demographics.js';
import { startTestService, type TestService } from './support/service.js';
import { expectRedirect, staffHelpers } from './support/staff.js';

/** People in the synthetic national record (fixtures/pds/synthetic-patients.ndjson). */
const OSCAR = { nhsNumber: '9990012458', birthDate: '2012-09-21', given: 'Oscar', family: 'Begum' }; // A81001, a child
const NOEL = { nhsNumber: '9990011060', birthDate: '1957-08-13', given: 'Noël', family: 'Kowalski' }; // A81001
const SOPHIA = { nhsNumber: '9990011672', birthDate: '1986-07-18', given: 'Sophia', family: 'McDonald' }; // A81001, P5 login
const ISLA = { nhsNumber: '9990011141', birthDate: '2004-09-03', given: 'Isla', family: 'Green' }; // A81001, no login
const TOMASZ = { nhsNumber: '9990011036', birthDate: '1941-09-05', given: 'Tomasz', family: 'Lefèvre' }; // E85001

let service: TestService;
const db = () => service.database.db;
let staffMember: ReturnType<typeof staffHelpers>['staffMember'];
let practice: Awaited<ReturnType<typeof staffMember>>;
let support: Awaited<ReturnType<typeof staffMember>>;
const today = ukToday();
let made = 0;

interface PdsPerson {
  nhsNumber: string;
  birthDate: string;
  given: string;
  family: string;
}

/** An NHS login at `level`, bound to the person's NHS number (as proving identity leaves it). */
async function loginFor(person: PdsPerson, level: 'P5' | 'P9', gp = 'A81001'): Promise<Account> {
  made += 1;
  const account = await createAccount(db(), {
    email: `${person.given.toLowerCase()}.${made}.${randomUUID().slice(0, 8)}@example.com`,
    password_hash: 'h',
    phone_number: `+447700${String(900500 + made)}`,
    phone_number_verified: true,
    proofing_level: level,
    nhs_number: service.sealer.seal(person.nhsNumber),
    nhs_number_hash: service.sealer.lookupHash(person.nhsNumber),
    given_name: person.given,
    family_name: person.family,
    birthdate: person.birthDate,
    gp_ods_code: gp,
  });
  if (!account) throw new Error('could not make the account');
  return account;
}

/** A carer's NHS login (no NHS number needed here). */
async function carer(level: 'P0' | 'P5' | 'P9' = 'P9', given = 'Carol'): Promise<Account> {
  made += 1;
  const account = await createAccount(db(), {
    email: `carer.${made}.${randomUUID().slice(0, 8)}@example.com`,
    password_hash: 'h',
    phone_number: `+447700${String(900500 + made)}`,
    phone_number_verified: true,
    proofing_level: level,
    given_name: given,
    family_name: `Carer${made}`,
    birthdate: '1980-01-01',
  });
  if (!account) throw new Error('could not make the carer');
  return account;
}

beforeAll(async () => {
  service = await startTestService({ demographics: testDemographics() });
  ({ staffMember } = staffHelpers(service));
  practice = await staffMember('practice-staff', 'A81001');
  support = await staffMember('support', 'X26');
});
afterAll(async () => {
  await service?.close();
});

const dateParts = (prefix: string, date: string) => {
  const [year, month, day] = date.split('-');
  return { [`${prefix}Day`]: day!, [`${prefix}Month`]: month!, [`${prefix}Year`]: year! };
};

async function find(browser: TestBrowser, person: { nhsNumber: string; birthDate: string }): Promise<Page> {
  expect((await browser.get('/backoffice/delegations/new')).status).toBe(200);
  return browser.post('/backoffice/delegations/new', {
    nhsNumber: person.nhsNumber,
    ...dateParts('dob', person.birthDate),
  });
}

function hidden(page: Page): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
    if (m[1] !== '_csrf') out[m[1]!] = m[2]!;
  return out;
}

/** A form with a repeated field (the permission checkboxes), with the CSRF token of `from`. */
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

interface SetUp {
  basis?: string;
  delegateEmail?: string;
  relationship?: string;
  reason?: string;
  reviewOn?: string;
  permissions?: string[];
}

async function setUp(browser: TestBrowser, found: Page, form: SetUp): Promise<Page> {
  const body = new URLSearchParams({
    ...hidden(found),
    ...(form.basis !== undefined ? { basis: form.basis } : {}),
    delegateEmail: form.delegateEmail ?? '',
    relationship: form.relationship ?? '',
    reason: form.reason ?? '',
    ...(form.reviewOn ? dateParts('reviewOn', form.reviewOn) : {}),
  });
  for (const p of form.permissions ?? []) body.append('permissions', p);
  return postRaw(browser, '/backoffice/delegations/set-up', body, found);
}

async function auditOf(code: string, delegationId?: string) {
  const rows = await db()
    .selectFrom('audit_events')
    .selectAll()
    .where('code', '=', code)
    .orderBy('id')
    .execute();
  return delegationId ? rows.filter((r) => r.details.delegationId === delegationId) : rows;
}

async function mailTo(email: string) {
  return db()
    .selectFrom('outbox')
    .select(['subject', 'body'])
    .where('recipient', '=', email)
    .orderBy('id')
    .execute();
}

describe('practice staff set up access', () => {
  it('for a child under 16: active at once, both emailed, audited, on the practice’s list', async () => {
    const child = await loginFor(OSCAR, 'P9');
    const mum = await carer('P9', 'Mariam');
    expect((await practice.browser.get('/backoffice')).body).toContain('href="/backoffice/delegations"');
    const found = await find(practice.browser, OSCAR);
    expect(found.status, found.body.slice(0, 1500)).toBe(200);
    expect(found.headers['cache-control']).toBe('no-store');
    expect(found.body).toContain('Oscar Rhys Begum');
    expect(found.body).toContain('Under 16: turns 16 on 21 September 2028');
    expect(found.body).toContain('value="child" checked');

    const reviewOn = addDays(today, 180);
    const done = await setUp(practice.browser, found, {
      basis: 'child',
      delegateEmail: mum.email.toUpperCase(),
      relationship: 'Mother',
      reason: 'Parental responsibility checked against the birth certificate',
      reviewOn,
      permissions: ['appointments', 'prescriptions'],
    });
    expectRedirect(done, '/backoffice/delegations?done=set-up');

    const [d] = await delegationsGivenBy(db(), child.id);
    expect(d).toMatchObject({
      delegate_id: mum.id,
      origin: 'practice',
      status: 'active',
      relationship: 'Mother',
      permissions: ['appointments', 'prescriptions'],
      review_on: reviewOn,
      for_child: true,
      ods_code: 'A81001',
      approved_by: practice.id,
      reason: 'Parental responsibility checked against the birth certificate',
    });
    const [audit] = await auditOf(AUDIT_EVENTS.DELEGATION_SET_UP_BY_PRACTICE, d!.id);
    expect(audit).toMatchObject({
      account_id: child.id,
      details: { staffId: practice.id, odsCode: 'A81001', delegateId: mum.id, basis: 'child', reviewOn },
    });
    expect(JSON.stringify(audit)).not.toMatch(NHS_NUMBER_IN_CLEAR);
    expect((await mailTo(child.email)).map((m) => m.subject)).toEqual([
      `NHS login: ${mum.given_name} ${mum.family_name} can now help manage your care`,
    ]);
    expect((await mailTo(mum.email)).map((m) => m.subject)).toEqual([
      "NHS login: you can now help manage Oscar Begum's care",
    ]);

    const list = await practice.browser.get('/backoffice/delegations?done=set-up');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Access has been set up');
    expect(list.body).toContain('Oscar Begum');
    expect(list.body).toContain(`/backoffice/delegations/${d!.id}/renew`);
    // Another practice's staff do not see it.
    const elsewhere = await staffMember('practice-staff', 'E85001');
    expect((await elsewhere.browser.get('/backoffice/delegations')).body).not.toContain('Oscar Begum');
    expect((await elsewhere.browser.get(`/backoffice/delegations/${d!.id}/renew`)).status).toBe(404);
  });

  it('for an adult who lacks capacity, within a year', async () => {
    const noel = await loginFor(NOEL, 'P9');
    const daughter = await carer('P9', 'Dana');
    const found = await find(practice.browser, NOEL);
    expect(found.status).toBe(200);
    expect(found.body).toContain('value="lacks-capacity" checked');
    const tooLate = await setUp(practice.browser, found, {
      basis: 'lacks-capacity',
      delegateEmail: daughter.email,
      relationship: 'Daughter (lasting power of attorney)',
      reason: 'Capacity assessment on file',
      reviewOn: addDays(birthdayAt(today, 1), 1),
      permissions: ['record-view'],
    });
    expect(tooLate.status).toBe(400);
    expect(tooLate.body).toContain('The review date must be within a year');
    const asChild = await setUp(practice.browser, found, {
      basis: 'child',
      delegateEmail: daughter.email,
      relationship: 'Daughter',
      reason: 'Capacity assessment on file',
      reviewOn: addDays(today, 30),
      permissions: ['record-view'],
    });
    expect(asChild.status).toBe(400);
    expect(asChild.body).toContain('They are 16 or over');

    expectRedirect(
      await setUp(practice.browser, found, {
        basis: 'lacks-capacity',
        delegateEmail: daughter.email,
        relationship: 'Daughter (lasting power of attorney)',
        reason: 'Capacity assessment on file',
        reviewOn: birthdayAt(today, 1),
        permissions: ['record-view', 'messages'],
      }),
      '/backoffice/delegations?done=set-up',
    );
    const [d] = await delegationsGivenBy(db(), noel.id);
    expect(d).toMatchObject({ status: 'active', for_child: false, review_on: birthdayAt(today, 1) });
    expect(await mailTo(daughter.email)).toHaveLength(1);
    expect(await mailTo(noel.email)).toHaveLength(1);
  });

  it('refuses another practice’s patient, and a patient without a P9 NHS login', async () => {
    await loginFor(TOMASZ, 'P9', 'E85001');
    const other = await find(practice.browser, TOMASZ);
    expect(other.status).toBe(403);
    expect(other.body).toContain('not registered at your organisation (A81001)');

    await loginFor(SOPHIA, 'P5');
    const p5 = await find(practice.browser, SOPHIA);
    expect(p5.status).toBe(409);
    expect(p5.body).toContain('has not been proved to P9');

    const none = await find(practice.browser, ISLA);
    expect(none.status).toBe(409);
    expect(none.body).toContain('does not have an NHS login');

    const results = (await auditOf(AUDIT_EVENTS.DELEGATION_PRACTICE_LOOKUP)).map((e) => e.details.result);
    expect(results).toEqual(expect.arrayContaining(['other-organisation', 'login-not-p9', 'no-login']));
  });

  it('refuses a delegate not proved to P9, a review date after a child’s 16th birthday, and a missing reason', async () => {
    const child = await db()
      .selectFrom('accounts')
      .selectAll()
      .where('nhs_number_hash', '=', service.sealer.lookupHash(OSCAR.nhsNumber))
      .executeTakeFirstOrThrow();
    const before = (await delegationsGivenBy(db(), child.id)).length;
    const dad = await carer('P5', 'Dev');
    const found = await find(practice.browser, OSCAR);
    const good = {
      basis: 'child',
      delegateEmail: dad.email,
      relationship: 'Father',
      reason: 'Parental responsibility',
      reviewOn: addDays(today, 60),
      permissions: ['appointments'],
    };
    const notP9 = await setUp(practice.browser, found, good);
    expect(notP9.status).toBe(400);
    expect(notP9.body).toContain('has not proved who they are to P9');

    const p9dad = await carer('P9', 'Dev');
    const after16 = await setUp(practice.browser, found, {
      ...good,
      delegateEmail: p9dad.email,
      reviewOn: addDays(birthdayAt(OSCAR.birthDate, 16), 1),
    });
    expect(after16.status).toBe(400);
    expect(after16.body).toContain('on or before their 16th birthday, 21 September 2028');

    const noReason = await setUp(practice.browser, found, {
      ...good,
      delegateEmail: p9dad.email,
      reason: '  ',
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body).toContain('Enter a reason');
    const tooLong = await setUp(practice.browser, found, {
      ...good,
      delegateEmail: p9dad.email,
      reason: 'x'.repeat(501),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toContain('Reason must be 500 characters or fewer');
    const past = await setUp(practice.browser, found, {
      ...good,
      delegateEmail: p9dad.email,
      reviewOn: today,
    });
    expect(past.status).toBe(400);
    expect(past.body).toContain('The review date must be in the future');
    const nobody = await setUp(practice.browser, found, { ...good, delegateEmail: 'nobody@example.com' });
    expect(nobody.body).toContain('No NHS login uses this email address');
    const noPermissions = await setUp(practice.browser, found, {
      ...good,
      delegateEmail: p9dad.email,
      permissions: ['manage-account-settings'],
    });
    expect(noPermissions.status).toBe(400);
    expect(noPermissions.body).toContain('Select what they can do for the patient');

    expect(await delegationsGivenBy(db(), child.id)).toHaveLength(before);
    expect(await mailTo(p9dad.email)).toHaveLength(0);
  });

  it('renews: moves the review date on with a reason, audited; not past the limit', async () => {
    const grantor = await db()
      .selectFrom('accounts')
      .selectAll()
      .where('nhs_number_hash', '=', service.sealer.lookupHash(NOEL.nhsNumber))
      .executeTakeFirstOrThrow();
    const [d] = await delegationsGivenBy(db(), grantor.id);
    // Make the review fall due soon: the list marks it.
    await db()
      .updateTable('delegations')
      .set({ review_on: addDays(today, 10) })
      .where('id', '=', d!.id)
      .execute();
    const list = await practice.browser.get('/backoffice/delegations');
    expect(list.body).toContain('Due soon');

    const form = await practice.browser.get(`/backoffice/delegations/${d!.id}/renew`);
    expect(form.status).toBe(200);
    const missing = await practice.browser.post(`/backoffice/delegations/${d!.id}/renew`, {
      ...dateParts('reviewOn', addDays(today, 200)),
      reason: '',
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toContain('Enter a reason');
    const tooFar = await practice.browser.post(`/backoffice/delegations/${d!.id}/renew`, {
      ...dateParts('reviewOn', addDays(birthdayAt(today, 1), 1)),
      reason: 'Reviewed with the family',
    });
    expect(tooFar.status).toBe(400);
    const next = addDays(today, 200);
    expectRedirect(
      await practice.browser.post(`/backoffice/delegations/${d!.id}/renew`, {
        ...dateParts('reviewOn', next),
        reason: 'Reviewed with the family',
      }),
      '/backoffice/delegations?done=renewed',
    );
    expect((await findDelegation(db(), d!.id))?.review_on).toBe(next);
    const [audit] = await auditOf(AUDIT_EVENTS.DELEGATION_RENEWED, d!.id);
    expect(audit?.details).toMatchObject({
      staffId: practice.id,
      reviewOnBefore: addDays(today, 10),
      reviewOn: next,
      reason: 'Reviewed with the family',
    });
    expect((await delegationHistory(db(), d!.id)).map((e) => e.event)).toEqual(['created', 'changed']);
  });
});

describe('support', () => {
  it('sees a patient’s delegations with their history, pauses and restores one with reasons', async () => {
    const grantor = await db()
      .selectFrom('accounts')
      .selectAll()
      .where('nhs_number_hash', '=', service.sealer.lookupHash(OSCAR.nhsNumber))
      .executeTakeFirstOrThrow();
    const [d] = await delegationsGivenBy(db(), grantor.id);
    const delegate = await db()
      .selectFrom('accounts')
      .selectAll()
      .where('id', '=', d!.delegate_id!)
      .executeTakeFirstOrThrow();

    const account = await support.browser.get(`/backoffice/support/patients/${grantor.id}`);
    expect(account.body).toContain(`/backoffice/support/patients/${grantor.id}/delegations`);
    const list = await support.browser.get(`/backoffice/support/patients/${grantor.id}/delegations`);
    expect(list.status).toBe(200);
    expect(list.body).toContain('Who can manage Oscar Begum’s care');
    expect(list.body).toContain('Set up by a practice (A81001) for a child under 16');
    expect(list.body).toContain('Parental responsibility checked against the birth certificate');
    expect(list.body).toContain(`/delegations/${d!.id}/suspend`);
    // The delegate's side shows it too.
    const theirs = await support.browser.get(`/backoffice/support/patients/${delegate.id}/delegations`);
    expect(theirs.body).toContain('Whose care');
    expect(theirs.body).toContain('Oscar Begum');

    const suspendUrl = `/backoffice/support/patients/${grantor.id}/delegations/${d!.id}/suspend`;
    expect((await support.browser.get(suspendUrl)).status).toBe(200);
    const noReason = await support.browser.post(suspendUrl, { reason: '' });
    expect(noReason.status).toBe(400);
    expect((await findDelegation(db(), d!.id))?.status).toBe('active');
    expectRedirect(
      await support.browser.post(suspendUrl, { reason: 'Safeguarding concern raised by the school' }),
      `/backoffice/support/patients/${grantor.id}/delegations?done=suspend`,
    );
    expect((await findDelegation(db(), d!.id))?.status).toBe('suspended');
    expect((await mailTo(grantor.email)).at(-1)?.subject).toContain('access to your care is paused');
    expect((await mailTo(delegate.email)).at(-1)?.subject).toBe(
      "NHS login: your access to Oscar Begum's care is paused",
    );
    // Suspending twice is refused (the suspend page offers no form now: post with the restore page's token).
    expect((await support.browser.get(suspendUrl)).body).toContain('Only access that is active');
    await support.browser.get(`/backoffice/support/patients/${grantor.id}/delegations/${d!.id}/reinstate`);
    expect((await support.browser.post(suspendUrl, { reason: 'Again' })).status).toBe(409);

    const reinstateUrl = `/backoffice/support/patients/${grantor.id}/delegations/${d!.id}/reinstate`;
    expect((await support.browser.get(reinstateUrl)).status).toBe(200);
    expectRedirect(
      await support.browser.post(reinstateUrl, { reason: 'Concern resolved with the school' }),
      `/backoffice/support/patients/${grantor.id}/delegations?done=reinstate`,
    );
    expect((await findDelegation(db(), d!.id))?.status).toBe('active');
    expect((await mailTo(delegate.email)).at(-1)?.subject).toBe(
      "NHS login: your access to Oscar Begum's care is back",
    );

    const [suspended] = await auditOf(AUDIT_EVENTS.DELEGATION_SUSPENDED, d!.id);
    expect(suspended).toMatchObject({
      account_id: grantor.id,
      details: {
        staffId: support.id,
        from: 'active',
        to: 'suspended',
        reason: 'Safeguarding concern raised by the school',
      },
    });
    const [reinstated] = await auditOf(AUDIT_EVENTS.DELEGATION_REINSTATED, d!.id);
    expect(reinstated?.details).toMatchObject({ from: 'suspended', to: 'active' });
    const history = await delegationHistory(db(), d!.id);
    expect(history.map((e) => [e.event, e.to_status, e.actor_kind, e.details.reason ?? null])).toEqual([
      ['created', 'active', 'staff', null],
      ['suspend', 'suspended', 'staff', 'Safeguarding concern raised by the school'],
      ['reinstate', 'active', 'staff', 'Concern resolved with the school'],
    ]);
    const page = await support.browser.get(`/backoffice/support/patients/${grantor.id}/delegations`);
    expect(page.body).toContain('Safeguarding concern raised by the school');
    expect(page.body).toContain('Paused by support');
  });

  it('does not open a delegation through someone it is not about, nor for a practice outside their organisation', async () => {
    const grantor = await db()
      .selectFrom('accounts')
      .selectAll()
      .where('nhs_number_hash', '=', service.sealer.lookupHash(OSCAR.nhsNumber))
      .executeTakeFirstOrThrow();
    const [d] = await delegationsGivenBy(db(), grantor.id);
    const stranger = await carer('P9', 'Stan');
    expect(
      (await support.browser.get(`/backoffice/support/patients/${stranger.id}/delegations/${d!.id}/suspend`))
        .status,
    ).toBe(404);
    const localSupport = await staffMember('support', 'E85001');
    expect(
      (await localSupport.browser.get(`/backoffice/support/patients/${grantor.id}/delegations`)).status,
    ).toBe(404);
  });
});

describe('the sweep', () => {
  it('ends access at its review date, and a child’s on their 16th birthday, telling both people', async () => {
    const sixteenToday = await carer('P9', 'Sam');
    await db()
      .updateTable('accounts')
      .set({ birthdate: birthdayAt(today, -16) })
      .where('id', '=', sixteenToday.id)
      .execute();
    const parent = await carer('P9', 'Pat');
    const adult = await carer('P9', 'Ada');
    const attorney = await carer('P9', 'Alf');
    const later = await carer('P9', 'Lou');
    const make = (grantorId: string, delegateId: string, forChild: boolean, reviewOn: string) =>
      createPracticeDelegation(db(), {
        grantorId,
        delegateId,
        relationship: 'Carer',
        permissions: ['appointments'],
        reason: 'Test',
        reviewOn,
        forChild,
        odsCode: 'A81001',
        staffId: practice.id,
        bothProved: true,
      });
    const child = await make(sixteenToday.id, parent.id, true, addDays(today, 100));
    const due = await make(adult.id, attorney.id, false, today);
    const notYet = await make(later.id, attorney.id, false, addDays(today, 1));
    if (!child.ok || !due.ok || !notYet.ok) throw new Error('could not set up');

    const sent: Message[] = [];
    const ended = await expireDelegations({
      db: db(),
      audit: service.audit,
      notifier: {
        send: (m) => {
          sent.push(m);
          return Promise.resolve();
        },
      },
      today,
    });
    expect(ended).toEqual(
      expect.arrayContaining([
        { delegationId: child.value, reason: 'turned-16' },
        { delegationId: due.value, reason: 'review-date' },
      ]),
    );
    expect(ended.map((e) => e.delegationId)).not.toContain(notYet.value);
    expect((await findDelegation(db(), child.value))?.status).toBe('expired');
    expect((await findDelegation(db(), due.value))?.status).toBe('expired');
    expect((await findDelegation(db(), notYet.value))?.status).toBe('active');

    const to = (email: string) => sent.filter((m) => 'to' in m && m.to === email);
    expect(to(sixteenToday.email)).toEqual([
      {
        type: 'email-delegation-changed',
        to: sixteenToday.email,
        change: 'turned-16',
        role: 'grantor',
        otherName: `Pat ${parent.family_name}`,
      },
    ]);
    expect(to(parent.email)).toMatchObject([{ change: 'turned-16', role: 'delegate' }]);
    expect(to(adult.email)).toMatchObject([{ change: 'expired', role: 'grantor' }]);
    expect(to(attorney.email)).toMatchObject([
      { change: 'expired', role: 'delegate', otherName: `Ada ${adult.family_name}` },
    ]);
    expect(to(later.email)).toEqual([]);

    const audits = await auditOf(AUDIT_EVENTS.DELEGATION_EXPIRED);
    expect(audits.find((a) => a.details.delegationId === child.value)?.details.reason).toBe('turned-16');
    expect(audits.find((a) => a.details.delegationId === due.value)).toMatchObject({
      account_id: adult.id,
      details: { reason: 'review-date' },
    });
    // Nothing is due twice.
    expect(
      await expireDelegations({
        db: db(),
        audit: service.audit,
        notifier: { send: () => Promise.resolve() },
        today,
      }),
    ).toEqual([]);
  });
});
