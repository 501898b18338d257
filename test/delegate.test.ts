// Delegated access set up by the person, over HTTP: a P9 grantor invites
// someone by email; the invitee opens the single-use link, signs in, proves
// who they are if they have not, is checked against the invitation's name and
// date of birth, and accepts or declines; the grantor sees pending, active and
// past delegations and what each delegate did, changes permissions or the end
// date, and revokes; the delegate sees whose care they manage and can stop.
// Both are emailed about every change, and every step is audited. People are
// made on the spot (P9 by setting their proven details directly: the proving
// journeys have their own tests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCode, readOutbox } from '../src/adapters/notify/outbox.js';
import { AUDIT_EVENTS } from '../src/audit/events.js';
import { DEMO_CLIENT_ID } from '../src/cli/seed.js';
import { DELEGABLE_PERMISSIONS } from '../src/domain/delegation.js';
import { DELEGATE_MESSAGES } from '../src/journeys/delegate/validation.js';
import { updateAccount, type Account } from '../src/store/accounts.js';
import {
  activeDelegationsFor,
  createInvitation,
  delegationsGivenBy,
  findDelegation,
  recordActed,
} from '../src/store/delegations.js';
import { newLinkToken } from '../src/store/link-tokens.js';
import { TestBrowser, type Page } from './support/browser.js';
import { newPerson, signInToAccount } from './support/people.js';
import { startTestService, type TestService } from './support/service.js';

/** Invitations one grantor may send here (the real limit is 10 a day). */
const INVITATION_LIMIT = 3;
const LINK_DOES_NOT_WORK = 'This link does not work';
const NOT_FOR_YOU = 'This invitation is not for you';
const PROVE_FIRST = 'You need to prove who you are first';

let service: TestService;
const db = () => service.database.db;

beforeAll(async () => {
  service = await startTestService({
    rateLimits: { delegationInvitationsPerGrantor: { points: INVITATION_LIMIT } },
  });
});
afterAll(async () => {
  await service?.close();
});

// ---------------------------------------------------------------------------
// Helpers

interface Proven {
  given: string;
  family: string;
  birthdate: string;
  level?: 'P0' | 'P5' | 'P9';
}

/** A new person with a proven identity (P9 unless told). */
async function person(tag: string, proven: Proven): Promise<Account> {
  const account = await newPerson(db(), tag);
  const patch = {
    proofing_level: proven.level ?? 'P9',
    given_name: proven.given,
    family_name: proven.family,
    birthdate: proven.birthdate,
  } as const;
  await updateAccount(db(), account.id, patch);
  return { ...account, ...patch };
}

const PAT = { given: 'Pat', family: 'Okafor', birthdate: '1950-03-04' };
const SAM = { given: 'Sam', family: 'Jones', birthdate: '1990-05-05' };

async function signedIn(account: Account): Promise<TestBrowser> {
  const browser = new TestBrowser(service.app);
  await signInToAccount(db(), browser, account);
  return browser;
}

/** Posts a form with repeated fields (several checkboxes), with the CSRF token of `from`. */
async function postForm(
  browser: TestBrowser,
  from: Page,
  url: string,
  pairs: [string, string][],
): Promise<Page> {
  const csrf = /name="_csrf" value="([^"]*)"/.exec(from.body)?.[1] ?? '';
  const res = await service.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    payload: new URLSearchParams([['_csrf', csrf], ...pairs]).toString(),
  });
  return {
    status: res.statusCode,
    location: res.headers.location,
    body: res.body,
    headers: res.headers as Page['headers'],
  };
}

const NEXT_YEAR = new Date().getUTCFullYear() + 1;

function inviteFields(invitee: Account, extra: Record<string, string> = {}): Record<string, string> {
  const [year, month, day] = invitee.birthdate!.split('-');
  return {
    givenName: invitee.given_name!,
    familyName: invitee.family_name!,
    day: String(Number(day)),
    month: String(Number(month)),
    year: year!,
    email: invitee.email,
    relationship: 'Son',
    permissions: 'appointments',
    ...extra,
  };
}

/** The grantor invites; returns the emailed link's path. */
async function invite(
  grantor: TestBrowser,
  invitee: Account,
  extra: Record<string, string> = {},
): Promise<string> {
  await grantor.get('/account/delegates/invite');
  const sent = await grantor.post('/account/delegates/invite', inviteFields(invitee, extra));
  expect(sent.status, sent.body.slice(0, 2000)).toBe(303);
  expect(sent.location).toBe('/account/delegates');
  return linkIn(invitee.email);
}

async function linkIn(email: string): Promise<string> {
  const [newest] = await readOutbox(db(), { recipient: email, limit: 1 });
  const link = /(http:\/\/localhost:3000\/delegation\/invitation\?token=\S+)/.exec(newest?.body ?? '')?.[1];
  if (!link) throw new Error(`no invitation emailed to ${email}`);
  return TestBrowser.path(link);
}

async function subjectsTo(email: string): Promise<string[]> {
  return (await readOutbox(db(), { recipient: email })).map((m) => m.subject);
}

async function auditCodes(accountId: string): Promise<string[]> {
  const rows = await db()
    .selectFrom('audit_events')
    .select('code')
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.code);
}

async function onlyDelegation(grantorId: string) {
  const given = await delegationsGivenBy(db(), grantorId);
  expect(given).toHaveLength(1);
  return given[0]!;
}

/** The invitee opens the link (signed in already) and reaches the acceptance page. */
async function openInvitation(invitee: TestBrowser, link: string): Promise<Page> {
  const opened = await invitee.get(link);
  expect(opened.status).toBe(303);
  expect(opened.location).toBe('/delegation/accept');
  return invitee.get('/delegation/accept');
}

// ---------------------------------------------------------------------------

describe('inviting, accepting, changing and ending', () => {
  it('runs from invitation to revocation, telling both people at every step', async () => {
    const grantorAccount = await person('grantor', PAT);
    const inviteeAccount = await person('invitee', SAM);
    const grantor = await signedIn(grantorAccount);

    const home = await grantor.get('/account');
    expect(home.body).toContain('href="/account/delegates"');
    expect(home.body).toContain('href="/account/delegations"');
    const list = await grantor.get('/account/delegates');
    expect(list.status).toBe(200);
    expect(list.body).toContain('Invite someone');
    expect(list.body).toContain('Nobody can manage your care.');

    // Two permissions and an end date.
    const form = await grantor.get('/account/delegates/invite');
    const sent = await postForm(grantor, form, '/account/delegates/invite', [
      ...Object.entries(inviteFields(inviteeAccount, { relationship: 'Son', permissions: '' })).filter(
        ([k]) => k !== 'permissions',
      ),
      ['permissions', 'appointments'],
      ['permissions', 'prescriptions'],
      ['endDay', '1'],
      ['endMonth', '6'],
      ['endYear', String(NEXT_YEAR)],
    ]);
    expect(sent.status, sent.body.slice(0, 2000)).toBe(303);
    const pending = await grantor.get('/account/delegates');
    expect(pending.body).toContain('We have emailed Sam Jones an invitation');
    expect(pending.body).toContain('Invitation sent, waiting for them to accept');
    expect(pending.body).toContain(`1 June ${NEXT_YEAR}`);

    const [email] = await readOutbox(db(), { recipient: inviteeAccount.email, limit: 1 });
    expect(email?.subject).toBe('NHS login: Pat Okafor has asked you to help manage their care');
    const link = await linkIn(inviteeAccount.email);
    const invitation = await onlyDelegation(grantorAccount.id);
    expect(invitation).toMatchObject({
      status: 'invited',
      relationship: 'Son',
      permissions: ['appointments', 'prescriptions'],
      ends_on: `${NEXT_YEAR}-06-01`,
      invitee_email: inviteeAccount.email,
    });
    // About 7 days.
    const days = (invitation.invitation_expires_at!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);

    // The invitee opens the link before signing in: the token leaves the URL at once.
    const invitee = new TestBrowser(service.app);
    const opened = await invitee.get(link);
    expect(opened.status).toBe(303);
    expect(opened.location).toBe('/delegation/accept');
    const signInFirst = await invitee.get('/delegation/accept');
    expect(signInFirst.body).toContain('Log in to accept the invitation');
    expect(signInFirst.body).toContain('href="/sign-in"');
    expect(signInFirst.body).toContain('href="/register"');

    // Signing in keeps the invitation: the account page links back to it.
    const account = await signInToAccount(db(), invitee, inviteeAccount);
    expect(account.body).toContain('You have an invitation to help manage someone');
    expect(account.body).toContain('href="/delegation/accept"');
    const details = await invitee.get('/delegation/accept');
    expect(details.status).toBe(200);
    expect(details.body).toContain('Pat Okafor has asked you to help manage their care');
    expect(details.body).toContain(DELEGABLE_PERMISSIONS.appointments);
    expect(details.body).toContain(DELEGABLE_PERMISSIONS.prescriptions);
    expect(details.body).not.toContain(DELEGABLE_PERMISSIONS['record-view']);
    expect(details.body).toContain(`1 June ${NEXT_YEAR}`);

    const accepted = await invitee.post('/delegation/accept', {});
    expect(accepted.status).toBe(303);
    expect(accepted.location).toBe('/account/delegations');
    const mine = await invitee.get('/account/delegations');
    expect(mine.body).toContain('You can now help manage Pat Okafor&#39;s care');
    expect(mine.body).toContain('You can manage their care');
    expect((await invitee.get('/account')).body).not.toContain('You have an invitation');

    const active = await findDelegation(db(), invitation.id);
    expect(active).toMatchObject({ status: 'active', delegate_id: inviteeAccount.id });
    expect(active?.invitation_token_hash).toBeNull();
    expect(await activeDelegationsFor(db(), inviteeAccount.id)).toHaveLength(1);
    expect(await subjectsTo(grantorAccount.email)).toContain(
      'NHS login: Sam Jones can now help manage your care',
    );
    expect(await subjectsTo(inviteeAccount.email)).toContain(
      "NHS login: you can now help manage Pat Okafor's care",
    );

    // Single use: the same link again, by anyone.
    const again = await invitee.get(link);
    expect(again.status).toBe(404);
    expect(again.body).toContain(LINK_DOES_NOT_WORK);

    // The grantor sees them as active and narrows what they can do, with no end date.
    const activeList = await grantor.get('/account/delegates');
    expect(activeList.body).toContain('Can manage your care');
    expect(activeList.body).toContain(`href="/account/delegates/${invitation.id}"`);
    const change = await grantor.get(`/account/delegates/${invitation.id}`);
    expect(change.status).toBe(200);
    expect(change.body).toMatch(/value="appointments" checked/);
    expect(change.body).toContain(`value="${NEXT_YEAR}"`);
    const changed = await grantor.post(`/account/delegates/${invitation.id}`, {
      permissions: 'prescriptions',
      endDay: '',
      endMonth: '',
      endYear: '',
    });
    expect(changed.status, changed.body.slice(0, 2000)).toBe(303);
    expect(await findDelegation(db(), invitation.id)).toMatchObject({
      permissions: ['prescriptions'],
      ends_on: null,
      status: 'active',
    });
    expect(await subjectsTo(grantorAccount.email)).toContain('NHS login: you changed what Sam Jones can do');
    expect(await subjectsTo(inviteeAccount.email)).toContain('NHS login: Pat Okafor changed what you can do');
    expect((await invitee.get('/account/delegations')).body).not.toContain(
      DELEGABLE_PERMISSIONS.appointments,
    );

    // The delegate can never widen their own access: no page of theirs changes it, the grantor's answers 404.
    expect((await invitee.get(`/account/delegates/${invitation.id}`)).status).toBe(404);
    await invitee.get('/account'); // a page with a form: its CSRF token
    const widen = await invitee.post(`/account/delegates/${invitation.id}`, {
      permissions: 'record-view',
      endDay: '',
      endMonth: '',
      endYear: '',
    });
    expect(widen.status).toBe(404);
    await invitee.get('/account');
    const revokeByDelegate = await invitee.post(`/account/delegates/${invitation.id}/revoke`, {});
    expect(revokeByDelegate.status).toBe(404);
    expect(await findDelegation(db(), invitation.id)).toMatchObject({
      permissions: ['prescriptions'],
      status: 'active',
    });

    // Revoked by the grantor, after a confirmation page: immediate, both told, the delegate's list updated.
    const confirm = await grantor.get(`/account/delegates/${invitation.id}/revoke`);
    expect(confirm.body).toContain('Stop Sam Jones managing your care');
    const revoked = await grantor.post(`/account/delegates/${invitation.id}/revoke`, {});
    expect(revoked.status).toBe(303);
    expect((await findDelegation(db(), invitation.id))?.status).toBe('revoked');
    expect(await activeDelegationsFor(db(), inviteeAccount.id)).toHaveLength(0);
    expect(await subjectsTo(grantorAccount.email)).toContain(
      'NHS login: Sam Jones can no longer manage your care',
    );
    expect(await subjectsTo(inviteeAccount.email)).toContain(
      "NHS login: you can no longer manage Pat Okafor's care",
    );
    const after = await invitee.get('/account/delegations');
    expect(after.body).toContain("You cannot manage anyone else's care");
    expect(after.body).toContain('Pat Okafor (Son): Ended');
    const past = await grantor.get('/account/delegates');
    expect(past.body).toContain('In the past');
    expect(past.body).not.toContain(`href="/account/delegates/${invitation.id}"`);

    expect(await auditCodes(grantorAccount.id)).toEqual(
      expect.arrayContaining([
        AUDIT_EVENTS.DELEGATION_INVITED,
        AUDIT_EVENTS.DELEGATION_CHANGED,
        AUDIT_EVENTS.DELEGATION_REVOKED,
      ]),
    );
    expect(await auditCodes(inviteeAccount.id)).toContain(AUDIT_EVENTS.DELEGATION_ACCEPTED);
    const [invitedRow] = await db()
      .selectFrom('audit_events')
      .select(['details'])
      .where('account_id', '=', grantorAccount.id)
      .where('code', '=', AUDIT_EVENTS.DELEGATION_INVITED)
      .execute();
    expect(invitedRow?.details).toMatchObject({ delegationId: invitation.id });
    expect(JSON.stringify(invitedRow?.details)).not.toContain(link.split('token=')[1]!);
  });

  it('shows the grantor what each delegate did, through which supplier and when', async () => {
    const grantorAccount = await person('acted-grantor', PAT);
    const inviteeAccount = await person('acted-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const invitee = await signedIn(inviteeAccount);
    await openInvitation(invitee, link);
    expect((await invitee.post('/delegation/accept', {})).status).toBe(303);
    const delegation = await onlyDelegation(grantorAccount.id);

    expect((await grantor.get('/account/delegates')).body).toContain(
      'Nobody has used NHS websites or apps for you yet.',
    );
    await recordActed(db(), delegation, DEMO_CLIENT_ID, ['appointments']);
    const list = await grantor.get('/account/delegates');
    expect(list.body).toContain('Demo GP surgery app');
    expect(list.body).toMatch(/<td class="nhsuk-table__cell">Sam Jones<\/td>/);
    expect(list.body).toContain(DELEGABLE_PERMISSIONS.appointments);
    expect(list.body).toMatch(/<time datetime="\d{4}-\d\d-\d\dT/);
  });

  it('lets the delegate stop, telling both', async () => {
    const grantorAccount = await person('stop-grantor', PAT);
    const inviteeAccount = await person('stop-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const invitee = await signedIn(inviteeAccount);
    await openInvitation(invitee, link);
    await invitee.post('/delegation/accept', {});
    const delegation = await onlyDelegation(grantorAccount.id);

    const confirm = await invitee.get(`/account/delegations/${delegation.id}/stop`);
    expect(confirm.body).toContain('Stop managing Pat Okafor&#39;s care');
    // Nobody else can stop it for them (the grantor has their own page).
    expect((await grantor.get(`/account/delegations/${delegation.id}/stop`)).status).toBe(404);
    const stopped = await invitee.post(`/account/delegations/${delegation.id}/stop`, {});
    expect(stopped.status).toBe(303);
    expect((await findDelegation(db(), delegation.id))?.status).toBe('revoked');
    expect(await subjectsTo(grantorAccount.email)).toContain(
      'NHS login: Sam Jones can no longer manage your care',
    );
    expect(await subjectsTo(inviteeAccount.email)).toContain(
      "NHS login: you can no longer manage Pat Okafor's care",
    );
    const codes = await db()
      .selectFrom('audit_events')
      .select(['details'])
      .where('account_id', '=', inviteeAccount.id)
      .where('code', '=', AUDIT_EVENTS.DELEGATION_REVOKED)
      .execute();
    expect(codes[0]?.details).toMatchObject({ delegationId: delegation.id, by: 'delegate' });
  });

  it('lets the invitee decline, telling both, and the link is spent', async () => {
    const grantorAccount = await person('decline-grantor', PAT);
    const inviteeAccount = await person('decline-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const invitee = await signedIn(inviteeAccount);
    await openInvitation(invitee, link);
    const declined = await invitee.post('/delegation/decline', {});
    expect(declined.status).toBe(303);
    const delegation = await onlyDelegation(grantorAccount.id);
    expect(delegation.status).toBe('revoked');
    expect(delegation.delegate_id).toBeNull();
    expect(await subjectsTo(grantorAccount.email)).toContain('NHS login: Sam Jones declined your invitation');
    expect(await subjectsTo(inviteeAccount.email)).toContain(
      "NHS login: you declined Pat Okafor's invitation",
    );
    expect(await auditCodes(inviteeAccount.id)).toContain(AUDIT_EVENTS.DELEGATION_DECLINED);
    expect((await invitee.get(link)).status).toBe(404);
    expect((await grantor.get('/account/delegates')).body).toContain('Invitation declined or cancelled');
  });

  it('lets the grantor cancel an invitation: the link stops working', async () => {
    const grantorAccount = await person('cancel-grantor', PAT);
    const inviteeAccount = await person('cancel-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const delegation = await onlyDelegation(grantorAccount.id);
    expect((await grantor.get(`/account/delegates/${delegation.id}/revoke`)).body).toContain(
      'Cancel the invitation to Sam Jones',
    );
    expect((await grantor.post(`/account/delegates/${delegation.id}/revoke`, {})).status).toBe(303);
    const invitee = await signedIn(inviteeAccount);
    const opened = await invitee.get(link);
    expect(opened.status).toBe(404);
    expect(opened.body).toContain(LINK_DOES_NOT_WORK);
  });
});

describe('links that do not work', () => {
  it('reads the same for an unknown link (404) and an expired one (410)', async () => {
    const browser = new TestBrowser(service.app);
    const unknown = await browser.get('/delegation/invitation?token=not-a-real-token');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(LINK_DOES_NOT_WORK);
    expect((await browser.get('/delegation/invitation')).status).toBe(404);
    expect((await browser.get('/delegation/accept')).status).toBe(404);

    const grantorAccount = await person('expired-grantor', PAT);
    const { token, hash } = newLinkToken();
    await createInvitation(db(), {
      grantorId: grantorAccount.id,
      relationship: 'Friend',
      permissions: ['appointments'],
      invitee: {
        email: 'someone@example.com',
        givenName: 'Sam',
        familyName: 'Jones',
        birthDate: '1990-05-05',
      },
      tokenHash: hash,
      expiresAt: new Date(Date.now() - 1000),
    });
    const expired = await browser.get(`/delegation/invitation?token=${token}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toContain(LINK_DOES_NOT_WORK);
    expect(expired.headers['cache-control']).toBe('no-store');
  });

  it('stops an invitation that expires after it was opened', async () => {
    const grantorAccount = await person('lapsed-grantor', PAT);
    const inviteeAccount = await person('lapsed-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const invitee = await signedIn(inviteeAccount);
    expect((await openInvitation(invitee, link)).status).toBe(200);
    const delegation = await onlyDelegation(grantorAccount.id);
    await db()
      .updateTable('delegations')
      .set({ invitation_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', delegation.id)
      .execute();
    const accepted = await invitee.post('/delegation/accept', {});
    expect(accepted.status).toBe(410);
    expect((await findDelegation(db(), delegation.id))?.status).toBe('invited');
    expect((await grantor.get('/account/delegates')).body).toContain('Invitation not accepted in time');
  });

  it('refuses the grantor accepting their own invitation', async () => {
    const grantorAccount = await person('self-grantor', PAT);
    const inviteeAccount = await person('self-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const own = await openInvitation(grantor, link);
    expect(own.status).toBe(403);
    expect(own.body).toContain('You cannot accept your own invitation');
    await grantor.get('/account');
    expect((await grantor.post('/delegation/accept', {})).status).toBe(404);
    expect((await onlyDelegation(grantorAccount.id)).status).toBe('invited');
  });
});

describe('who may accept', () => {
  it('refuses an invitee whose proven name or date of birth does not match, and audits it', async () => {
    const grantorAccount = await person('mismatch-grantor', PAT);
    const inviteeAccount = await person('mismatch-invitee', { ...SAM, birthdate: '1990-05-06' });
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, { ...inviteeAccount, birthdate: SAM.birthdate });
    const invitee = await signedIn(inviteeAccount);
    const refused = await openInvitation(invitee, link);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(NOT_FOR_YOU);
    expect(refused.body).not.toContain(DELEGABLE_PERMISSIONS.appointments);
    // Posting anyway accepts nothing.
    const posted = await invitee.post('/delegation/accept', {});
    expect(posted.status).not.toBe(303);
    const delegation = await onlyDelegation(grantorAccount.id);
    expect(delegation.status).toBe('invited');
    expect(delegation.delegate_id).toBeNull();
    const [row] = await db()
      .selectFrom('audit_events')
      .select(['details'])
      .where('account_id', '=', inviteeAccount.id)
      .where('code', '=', AUDIT_EVENTS.DELEGATION_MISMATCH)
      .execute();
    expect(row?.details).toMatchObject({ delegationId: delegation.id, mismatch: ['birthdate'] });

    // A different name, same date of birth: refused too.
    const other = await person('mismatch-name', { ...SAM, given: 'Samantha' });
    const otherBrowser = await signedIn(other);
    expect((await openInvitation(otherBrowser, link)).status).toBe(403);
  });

  it('compares names as the national record does: case, accents and separators aside', async () => {
    const grantorAccount = await person('accent-grantor', PAT);
    const inviteeAccount = await person('accent-invitee', {
      given: 'ZOE',
      family: 'OBRIEN',
      birthdate: '1985-01-02',
    });
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount, { givenName: 'Zoë', familyName: "O'Brien" });
    const invitee = await signedIn(inviteeAccount);
    const page = await openInvitation(invitee, link);
    expect(page.status).toBe(200);
    expect((await invitee.post('/delegation/accept', {})).status).toBe(303);
    expect((await onlyDelegation(grantorAccount.id)).status).toBe('active');
  });

  it('sends a P5 invitee to prove who they are first, keeping the invitation', async () => {
    const grantorAccount = await person('p5-grantor', PAT);
    const inviteeAccount = await person('p5-invitee', { ...SAM, level: 'P5' });
    const grantor = await signedIn(grantorAccount);
    const link = await invite(grantor, inviteeAccount);
    const invitee = await signedIn(inviteeAccount);
    const first = await openInvitation(invitee, link);
    expect(first.status).toBe(403);
    expect(first.body).toContain(PROVE_FIRST);
    expect(first.body).toContain('href="/prove-identity"');
    expect((await invitee.post('/delegation/accept', {})).status).toBe(403);
    expect((await onlyDelegation(grantorAccount.id)).status).toBe('invited');
    // Still waiting on the account page.
    expect((await invitee.get('/account')).body).toContain('href="/delegation/accept"');

    // Proved (as the proving journeys would record it): the same invitation can be accepted.
    await updateAccount(db(), inviteeAccount.id, { proofing_level: 'P9' });
    const now = await invitee.get('/delegation/accept');
    expect(now.status).toBe(200);
    expect(now.body).toContain('Pat Okafor has asked you to help manage their care');
    expect((await invitee.post('/delegation/accept', {})).status).toBe(303);
    expect((await onlyDelegation(grantorAccount.id)).status).toBe('active');
  });

  it('keeps the invitation through registering a new NHS login, then asks them to prove who they are', async () => {
    const grantorAccount = await person('register-grantor', PAT);
    const grantor = await signedIn(grantorAccount);
    const email = `register.invitee.${Date.now()}@example.com`;
    const phone = '+447700900987';
    await grantor.get('/account/delegates/invite');
    const sent = await grantor.post('/account/delegates/invite', {
      givenName: 'Sam',
      familyName: 'Jones',
      day: '5',
      month: '5',
      year: '1990',
      email,
      relationship: 'Son',
      permissions: 'appointments',
    });
    expect(sent.status).toBe(303);
    const link = await linkIn(email);

    const invitee = new TestBrowser(service.app);
    expect((await invitee.get(link)).location).toBe('/delegation/accept');
    expect((await invitee.get('/delegation/accept')).body).toContain('href="/register"');
    await invitee.get('/register');
    expect((await invitee.post('/register', { email })).location).toBe('/register/email-code');
    await invitee.get('/register/email-code');
    const emailCode = (await latestCode(db(), email))!;
    expect((await invitee.post('/register/email-code', { code: emailCode })).location).toBe(
      '/register/password',
    );
    await invitee.get('/register/password');
    const password = 'a quiet orange lighthouse 42';
    expect((await invitee.post('/register/password', { password, confirm: password })).location).toBe(
      '/register/phone',
    );
    await invitee.get('/register/phone');
    expect((await invitee.post('/register/phone', { phone: '07700 900987' })).location).toBe(
      '/register/phone-code',
    );
    await invitee.get('/register/phone-code');
    const smsCode = (await latestCode(db(), phone))!;
    const done = await invitee.post('/register/phone-code', { code: smsCode });
    expect(done.location).toBe('/account');

    const home = await invitee.get('/account');
    expect(home.body).toContain('href="/delegation/accept"');
    const proveFirst = await invitee.get('/delegation/accept');
    expect(proveFirst.status).toBe(403);
    expect(proveFirst.body).toContain(PROVE_FIRST);
    expect((await onlyDelegation(grantorAccount.id)).status).toBe('invited');
  });

  it('refuses a grantor who has not proved who they are to P9', async () => {
    const p5 = await person('p5-grantor-refused', { ...PAT, level: 'P5' });
    const browser = await signedIn(p5);
    const list = await browser.get('/account/delegates');
    expect(list.status).toBe(403);
    expect(list.body).toContain(PROVE_FIRST);
    expect(list.body).toContain('href="/prove-identity"');
    expect((await browser.get('/account/delegates/invite')).status).toBe(403);
    const posted = await browser.post('/account/delegates/invite', inviteFields(await person('x', SAM)));
    expect(posted.status).toBe(403);
    expect(await delegationsGivenBy(db(), p5.id)).toHaveLength(0);
  });

  it('sends anyone not signed in to sign in', async () => {
    const browser = new TestBrowser(service.app);
    for (const path of ['/account/delegates', '/account/delegates/invite', '/account/delegations']) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(303);
      expect(page.location, path).toBe('/sign-in');
    }
  });
});

describe('the invitation form', () => {
  it('lists every problem with the NHS error summary and keeps what was typed', async () => {
    const grantorAccount = await person('form-grantor', PAT);
    const grantor = await signedIn(grantorAccount);
    await grantor.get('/account/delegates/invite');
    const empty = await grantor.post('/account/delegates/invite', {});
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('<title>Error: ');
    expect(empty.body).toContain('nhsuk-error-summary');
    for (const message of [
      DELEGATE_MESSAGES.givenNameEmpty,
      DELEGATE_MESSAGES.familyNameEmpty,
      'Enter their date of birth',
      DELEGATE_MESSAGES.emailEmpty,
      DELEGATE_MESSAGES.relationshipEmpty,
      DELEGATE_MESSAGES.permissionsNone,
    ])
      expect(empty.body).toContain(message.replace(/'/g, '&#39;'));
    expect(empty.body).toContain('href="#birthdate-day"');
    expect(empty.body).toContain('href="#permissions"');

    const typed = await grantor.post('/account/delegates/invite', {
      givenName: 'Sam',
      familyName: 'Jones',
      day: '5',
      month: '5',
      year: '1990',
      email: 'not an email',
      relationship: 'x'.repeat(51),
      permissions: 'manage-account-settings',
      endDay: '1',
      endMonth: '1',
      endYear: '2001',
    });
    expect(typed.status).toBe(400);
    expect(typed.body).toContain('value="Sam"');
    expect(typed.body).toContain('value="not an email"');
    expect(typed.body).toContain(DELEGATE_MESSAGES.relationshipLong);
    expect(typed.body).toContain(DELEGATE_MESSAGES.permissionsUnknown);
    expect(typed.body).toContain(DELEGATE_MESSAGES.endDateFuture);
    expect(typed.body).toContain('href="#endDate-day"');
    expect(await delegationsGivenBy(db(), grantorAccount.id)).toHaveLength(0);
  });

  it('refuses inviting their own email address', async () => {
    const grantorAccount = await person('own-email', PAT);
    const grantor = await signedIn(grantorAccount);
    await grantor.get('/account/delegates/invite');
    const own = await grantor.post(
      '/account/delegates/invite',
      inviteFields(grantorAccount, { email: grantorAccount.email.toUpperCase() }),
    );
    expect(own.status).toBe(400);
    expect(own.body).toContain(DELEGATE_MESSAGES.ownEmail);
    expect(await delegationsGivenBy(db(), grantorAccount.id)).toHaveLength(0);
  });

  it('checks a change of permissions too: at least one, end date in the future', async () => {
    const grantorAccount = await person('change-form', PAT);
    const inviteeAccount = await person('change-form-invitee', SAM);
    const grantor = await signedIn(grantorAccount);
    await invite(grantor, inviteeAccount);
    const delegation = await onlyDelegation(grantorAccount.id);
    await grantor.get(`/account/delegates/${delegation.id}`);
    const none = await grantor.post(`/account/delegates/${delegation.id}`, {
      endDay: '31',
      endMonth: '2',
      endYear: String(NEXT_YEAR),
    });
    expect(none.status).toBe(400);
    expect(none.body).toContain(DELEGATE_MESSAGES.permissionsNone);
    expect(none.body).toContain(DELEGATE_MESSAGES.endDateReal);
    expect(none.body).toContain(`value="${NEXT_YEAR}"`);
    expect((await findDelegation(db(), delegation.id))?.permissions).toEqual(['appointments']);
  });

  it('limits how many invitations one person sends', async () => {
    const grantorAccount = await person('limited', PAT);
    const grantor = await signedIn(grantorAccount);
    for (let i = 0; i < INVITATION_LIMIT; i++) await invite(grantor, await person(`limited-${i}`, SAM));
    await grantor.get('/account/delegates/invite');
    const over = await grantor.post(
      '/account/delegates/invite',
      inviteFields(await person('limited-x', SAM)),
    );
    expect(over.status).toBe(429);
    expect(over.body).toContain('You have sent too many invitations');
    expect(await delegationsGivenBy(db(), grantorAccount.id)).toHaveLength(INVITATION_LIMIT);
  });
});
