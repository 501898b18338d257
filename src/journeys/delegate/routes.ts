// Delegated access set up by the person (issue 5, part 2), and the grantor's
// view of it (part 5). A P9 person invites someone by email; the invitee
// signs in or registers, proves who they are to P9 if they have not, checks
// the invitation is for them (its name and date of birth must match their own
// proven identity) and accepts or declines. The grantor sees pending, active
// and past delegations, changes what a delegate may do or until when, ends
// one at any time, and sees what each delegate did through which supplier and
// when; the delegate sees whose care they manage and can stop. Both people
// are emailed about every change. Every status change goes through the
// store's changeStatus (src/store/delegations.ts), which the token exchange
// reads, so an ending is immediate everywhere. The whole guard chain of each
// page is visible here.
//
//   /account/delegates                   the grantor's list, and what delegates did
//   /account/delegates/invite            the invitation form
//   /account/delegates/:id               change permissions or the end date
//   /account/delegates/:id/revoke        end it (confirm)
//   /delegation/invitation?token=…       the emailed link: looked up, moved out of the URL at once
//   /delegation/accept                   the invitee: sign in, prove, check and accept (or decline)
//   /account/delegations                 the delegate's list: whose care they manage
//   /account/delegations/:id/stop        the delegate stops (confirm)
//
// A delegate has no page that changes permissions: the grantor's pages
// answer 404 to anyone but the grantor, so nobody widens their own access.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DelegationChange, Message } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  bothProved,
  DELEGABLE_PERMISSIONS,
  DELEGATION_LEVEL,
  PERMISSIONS,
  type Permission,
} from '../../domain/delegation.js';
import { nameKey } from '../../domain/demographics-match.js';
import { findAccountById, type Account } from '../../store/accounts.js';
import {
  actionsForGrantor,
  changeStatus,
  changeTerms,
  createInvitation,
  delegationsGivenBy,
  delegationsGivenTo,
  findDelegation,
  findOpenInvitation,
  type Delegation,
} from '../../store/delegations.js';
import { linkTokenHash, newLinkToken } from '../../store/link-tokens.js';
import { findSupplier } from '../../store/suppliers.js';
import { csrfProtect } from '../../web/security.js';
import { dateTimeText, signedInAccount } from '../account/routes.js';
import { renderJourney } from '../complete.js';
import type { JourneyDeps } from '../deps.js';
import { typed } from '../form-fields.js';
import type { Journey } from '../state.js';
import { PENDING_INVITATION_KEY } from './state.js';
import {
  DELEGATE_MESSAGES,
  INVITE_FIELDS,
  chosenPermissions,
  parseChange,
  parseInvitation,
  ukToday,
  type FormResult,
} from './validation.js';

/** How long an invitation link works. */
export const INVITATION_EXPIRY_DAYS = 7;
/** Where the emailed link points: `${issuer}${INVITATION_PATH}?token=…`. */
export const INVITATION_PATH = '/delegation/invitation';
/** Journey-state key: a one-off success message for the next list page. */
const NOTICE_KEY = 'delegateNotice';

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

/** A YYYY-MM-DD date as the NHS writes it: 3 March 2027. */
export const dayText = (iso: string): string => DATE.format(new Date(`${iso}T12:00:00Z`));

const permissionWords = (permissions: readonly Permission[]): string[] =>
  permissions.map((p) => DELEGABLE_PERMISSIONS[p]);

/** The permission checkboxes, in catalogue order, ticked as given. */
const permissionItems = (ticked: readonly string[]) =>
  PERMISSIONS.map((p) => ({ value: p, text: DELEGABLE_PERMISSIONS[p], checked: ticked.includes(p) }));

/** A person's name as shown on the pages: given then family name, either may be missing. */
export const fullName = (given: string | null | undefined, family: string | null | undefined): string =>
  [given, family].filter(Boolean).join(' ');

/** Proven to P9 and not suspended: may give or take up access. */
const proven = (account: Account): boolean =>
  account.proofing_level === DELEGATION_LEVEL && account.proofing_suspended_at === null;

/** An invitation still open for acceptance (the store's own test, on a row already read). */
const invitationOpen = (d: Delegation, now = new Date()): boolean =>
  d.status === 'invited' && d.invitation_expires_at !== null && d.invitation_expires_at > now;

/** Whether the invitee's own proven identity is the one the grantor invited; what differs if not. */
export function identityMismatch(invitation: Delegation, invitee: Account): ('name' | 'birthdate')[] {
  const differs: ('name' | 'birthdate')[] = [];
  const same = (a: string | null, b: string | null) => a !== null && b !== null && nameKey(a) === nameKey(b);
  // Given names: all of them, or the first (a grantor may not know, or type, a middle name the record holds).
  const first = (names: string | null) => names?.trim().split(/\s+/u)[0] ?? null;
  const sameGiven = (a: string | null, b: string | null) => same(a, b) || same(first(a), first(b));
  if (
    !sameGiven(invitation.invitee_given_name, invitee.given_name) ||
    !same(invitation.invitee_family_name, invitee.family_name)
  )
    differs.push('name');
  if (!invitation.invitee_birth_date || invitation.invitee_birth_date !== invitee.birthdate)
    differs.push('birthdate');
  return differs;
}

interface SignedIn {
  journey: Journey;
  account: Account;
}

export function registerDelegateRoutes(app: FastifyInstance, deps: JourneyDeps): void {
  const { journeys } = deps;

  /** The person signed in to the account pages (idle clock restarted), or undefined. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const journey = await journeys.load(request);
    const accountId = signedInAccount(journey);
    const account = accountId ? await findAccountById(deps.db, accountId) : undefined;
    if (!journey || !account || account.locked_at) return undefined;
    journey.state.account = { accountId: account.id, lastSeen: Date.now() };
    await journeys.save(reply, journey, journey.state);
    return { journey, account };
  }

  const toSignIn = (reply: FastifyReply) => reply.redirect('/sign-in', 303);

  function page(
    reply: FastifyReply,
    journey: Journey | undefined,
    template: string,
    context: Record<string, unknown>,
    status = 200,
  ): FastifyReply {
    return reply.code(status).send(renderJourney(reply, journey, template, context));
  }

  const notFound = (reply: FastifyReply, s: SignedIn) =>
    page(reply, s.journey, 'delegate/not-found.njk', {}, 404);

  async function notify(request: FastifyRequest, message: Message): Promise<void> {
    try {
      await deps.notifier.send(message);
    } catch (e) {
      request.log.warn({ err: e, type: message.type }, 'could not send a delegation notice');
    }
  }

  /** The other person's name as each side sees it. */
  function delegateName(d: Delegation, delegate: Account | undefined): string {
    return (
      fullName(d.invitee_given_name, d.invitee_family_name) ||
      fullName(delegate?.given_name, delegate?.family_name)
    );
  }

  /** Tells both people (the delegate only once there is one) what happened. */
  async function tellBoth(
    request: FastifyRequest,
    d: Delegation,
    change: DelegationChange,
    grantor: Account,
    delegate: Account | undefined,
  ): Promise<void> {
    const grantorName = fullName(grantor.given_name, grantor.family_name);
    await notify(request, {
      type: 'email-delegation-changed',
      to: grantor.email,
      change,
      role: 'grantor',
      otherName: delegateName(d, delegate),
    });
    if (delegate)
      await notify(request, {
        type: 'email-delegation-changed',
        to: delegate.email,
        change,
        role: 'delegate',
        otherName: grantorName,
      });
  }

  async function takeNotice(reply: FastifyReply, journey: Journey): Promise<string | undefined> {
    const notice = journey.state[NOTICE_KEY];
    if (typeof notice !== 'string') return undefined;
    delete journey.state[NOTICE_KEY];
    await journeys.save(reply, journey, journey.state);
    return notice;
  }

  async function withNotice(reply: FastifyReply, journey: Journey, notice: string, to: string) {
    journey.state[NOTICE_KEY] = notice;
    await journeys.save(reply, journey, journey.state);
    return reply.redirect(to, 303);
  }

  // -------------------------------------------------------------------------
  // The grantor: who can manage my care.

  /** How a delegation reads in the grantor's list, and which group it falls in. */
  function grantorRow(d: Delegation, delegate: Account | undefined, today: string) {
    const ended = d.ends_on !== null && today > d.ends_on;
    const open = invitationOpen(d);
    const group: 'pending' | 'active' | 'past' =
      d.status === 'revoked' || d.status === 'expired' || ended || (d.status === 'invited' && !open)
        ? 'past'
        : d.status === 'invited'
          ? 'pending'
          : 'active';
    const status =
      d.status === 'invited'
        ? open
          ? `Invitation sent, waiting for them to accept (link works until ${DATE.format(d.invitation_expires_at!)})`
          : 'Invitation not accepted in time'
        : d.status === 'active'
          ? ended
            ? 'Ended on its end date'
            : 'Can manage your care'
          : d.status === 'accepted'
            ? 'Accepted, but not active until both of you have proved who you are'
            : d.status === 'suspended'
              ? 'Stopped for now by NHS login support'
              : d.status === 'expired'
                ? 'Ended on its end date'
                : d.delegate_id
                  ? 'Ended'
                  : 'Invitation declined or cancelled';
    return {
      id: d.id,
      name: delegateName(d, delegate),
      relationship: d.relationship,
      permissions: permissionWords(d.permissions),
      endsOn: d.ends_on ? dayText(d.ends_on) : undefined,
      status,
      group,
      // The grantor's own invitations and delegations can be changed or ended; a practice's are the practice's.
      href: d.origin === 'person' && group !== 'past' ? `/account/delegates/${d.id}` : undefined,
    };
  }

  app.get('/account/delegates', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const given = await delegationsGivenBy(deps.db, account.id);
    if (!proven(account) && given.length === 0)
      return page(reply, journey, 'delegate/prove-first.njk', { inviting: true }, 403);
    const delegates = new Map<string, Account | undefined>();
    for (const d of given)
      if (d.delegate_id && !delegates.has(d.delegate_id))
        delegates.set(d.delegate_id, await findAccountById(deps.db, d.delegate_id));
    const today = ukToday();
    const rows = given.map((d) =>
      grantorRow(d, d.delegate_id ? delegates.get(d.delegate_id) : undefined, today),
    );
    const byId = new Map(given.map((d) => [d.id, d]));
    const acted = await actionsForGrantor(deps.db, account.id);
    const suppliers = new Map<string, string>();
    for (const a of acted)
      if (a.client_id && !suppliers.has(a.client_id))
        suppliers.set(a.client_id, (await findSupplier(deps.db, a.client_id))?.name ?? a.client_id);
    const actions = acted.map((a) => {
      const d = byId.get(a.delegation_id);
      const permissions = Array.isArray(a.details.permissions) ? (a.details.permissions as Permission[]) : [];
      return {
        who: d ? delegateName(d, d.delegate_id ? delegates.get(d.delegate_id) : undefined) : '',
        supplier: a.client_id ? (suppliers.get(a.client_id) ?? a.client_id) : 'Not known',
        permissions: permissionWords(permissions.filter((p) => Object.hasOwn(DELEGABLE_PERMISSIONS, p))),
        when: dateTimeText(a.created_at),
        iso: a.created_at.toISOString(),
      };
    });
    return page(reply, journey, 'delegate/delegates.njk', {
      notice: await takeNotice(reply, journey),
      canInvite: proven(account),
      pending: rows.filter((r) => r.group === 'pending'),
      active: rows.filter((r) => r.group === 'active'),
      past: rows.filter((r) => r.group === 'past'),
      actions,
    });
  });

  // Inviting someone.

  function showInvite(
    reply: FastifyReply,
    s: SignedIn,
    body: unknown,
    failed?: Extract<FormResult<unknown>, { ok: false }>,
    status = 200,
  ) {
    const dateParts = failed?.dateParts ?? [];
    const endParts = failed?.endDateParts ?? [];
    return page(
      reply,
      s.journey,
      'delegate/invite.njk',
      {
        values: typed(body, INVITE_FIELDS),
        permissionItems: permissionItems(chosenPermissions(body)),
        errors: failed?.errors ?? {},
        dateError: Object.fromEntries(dateParts.map((p) => [p, true])),
        endDateError: Object.fromEntries(endParts.map((p) => [p, true])),
        errorHrefs: {
          birthdate: `#birthdate-${dateParts[0] ?? 'day'}`,
          endDate: `#endDate-${endParts[0] ?? 'day'}`,
        },
        expiryDays: INVITATION_EXPIRY_DAYS,
      },
      status,
    );
  }

  app.get('/account/delegates/invite', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    if (!proven(s.account))
      return page(reply, s.journey, 'delegate/prove-first.njk', { inviting: true }, 403);
    return showInvite(reply, s, {});
  });

  app.post('/account/delegates/invite', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    if (!proven(account)) return page(reply, journey, 'delegate/prove-first.njk', { inviting: true }, 403);
    const body = request.body ?? {};
    const parsed = parseInvitation(body);
    if (!parsed.ok) return showInvite(reply, s, body, parsed, 400);
    const invitation = parsed.value;
    if (invitation.email === account.email.toLowerCase())
      return showInvite(
        reply,
        s,
        body,
        { ok: false, errors: { email: DELEGATE_MESSAGES.ownEmail }, dateParts: [], endDateParts: [] },
        400,
      );
    const limit = await deps.limits.hit('delegationInvitationsPerGrantor', account.id);
    if (!limit.allowed) return page(reply, journey, 'delegate/too-many.njk', {}, 429);

    const { token, hash } = newLinkToken();
    const expiresAt = new Date(Date.now() + INVITATION_EXPIRY_DAYS * 24 * 60 * 60 * 1000);
    const id = await createInvitation(deps.db, {
      grantorId: account.id,
      relationship: invitation.relationship,
      permissions: invitation.permissions,
      endsOn: invitation.endsOn,
      invitee: {
        email: invitation.email,
        givenName: invitation.givenName,
        familyName: invitation.familyName,
        birthDate: invitation.birthDate,
      },
      tokenHash: hash,
      expiresAt,
    });
    await notify(request, {
      type: 'email-delegation-invitation',
      to: invitation.email,
      grantorName: fullName(account.given_name, account.family_name),
      link: `${deps.issuer}${INVITATION_PATH}?token=${encodeURIComponent(token)}`,
      expiresOn: DATE.format(expiresAt),
    });
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_INVITED,
      accountId: account.id,
      ip: request.ip,
      details: { delegationId: id, permissions: invitation.permissions, endsOn: invitation.endsOn ?? null },
    });
    return withNotice(
      reply,
      journey,
      `We have emailed ${invitation.givenName} ${invitation.familyName} an invitation`,
      '/account/delegates',
    );
  });

  // One delegation: change it, or end it.

  /** The grantor's own delegation (set up by them), or undefined for anyone else's. */
  async function ownDelegation(s: SignedIn, id: string): Promise<Delegation | undefined> {
    const d = await findDelegation(deps.db, id);
    return d && d.grantor_id === s.account.id && d.origin === 'person' ? d : undefined;
  }

  // A NUL (%00 in the path) names no delegation: Postgres text cannot hold
  // one, so the lookup would fail with a 500. '' matches nothing: not found.
  const idOf = (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    return id.includes('\u0000') ? '' : id;
  };

  async function showDelegation(
    reply: FastifyReply,
    s: SignedIn,
    d: Delegation,
    form: { ticked: readonly string[]; end: Record<string, string> },
    failed?: Extract<FormResult<unknown>, { ok: false }>,
    status = 200,
  ) {
    const delegate = d.delegate_id ? await findAccountById(deps.db, d.delegate_id) : undefined;
    const row = grantorRow(d, delegate, ukToday());
    const endParts = failed?.endDateParts ?? [];
    return page(
      reply,
      s.journey,
      'delegate/delegate.njk',
      {
        row,
        live: row.group !== 'past',
        invitation: d.status === 'invited',
        canChange: row.group !== 'past' && proven(s.account),
        permissionItems: permissionItems(form.ticked),
        values: form.end,
        errors: failed?.errors ?? {},
        endDateError: Object.fromEntries(endParts.map((p) => [p, true])),
        errorHrefs: { endDate: `#endDate-${endParts[0] ?? 'day'}` },
      },
      status,
    );
  }

  const endValues = (endsOn: string | null) => {
    if (!endsOn) return { endDay: '', endMonth: '', endYear: '' };
    const [y, m, d] = endsOn.split('-');
    return { endDay: String(Number(d)), endMonth: String(Number(m)), endYear: y ?? '' };
  };

  app.get('/account/delegates/:id', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const d = await ownDelegation(s, idOf(request));
    if (!d) return notFound(reply, s);
    return showDelegation(reply, s, d, { ticked: d.permissions, end: endValues(d.ends_on) });
  });

  app.post('/account/delegates/:id', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const d = await ownDelegation(s, idOf(request));
    if (!d) return notFound(reply, s);
    const body = request.body ?? {};
    const form = { ticked: chosenPermissions(body), end: typed(body, ['endDay', 'endMonth', 'endYear']) };
    if (!proven(account)) return page(reply, journey, 'delegate/prove-first.njk', { inviting: false }, 403);
    const parsed = parseChange(body);
    if (!parsed.ok) return showDelegation(reply, s, d, form, parsed, 400);
    if (grantorRow(d, undefined, ukToday()).group === 'past')
      return reply.redirect('/account/delegates', 303);
    const changed = await changeTerms(
      deps.db,
      d.id,
      { kind: 'grantor', id: account.id },
      { permissions: parsed.value.permissions, endsOn: parsed.value.endsOn ?? null },
    );
    if (!changed.ok) return reply.redirect('/account/delegates', 303);
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_CHANGED,
      accountId: account.id,
      ip: request.ip,
      details: {
        delegationId: d.id,
        before: { permissions: d.permissions, endsOn: d.ends_on },
        after: { permissions: parsed.value.permissions, endsOn: parsed.value.endsOn ?? null },
      },
    });
    const delegate = d.delegate_id ? await findAccountById(deps.db, d.delegate_id) : undefined;
    await tellBoth(request, d, 'changed', account, delegate);
    return withNotice(
      reply,
      journey,
      `You changed what ${delegateName(d, delegate)} can do`,
      '/account/delegates',
    );
  });

  app.get('/account/delegates/:id/revoke', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const d = await ownDelegation(s, idOf(request));
    if (!d) return notFound(reply, s);
    const delegate = d.delegate_id ? await findAccountById(deps.db, d.delegate_id) : undefined;
    const row = grantorRow(d, delegate, ukToday());
    if (row.group === 'past') return reply.redirect('/account/delegates', 303);
    return page(reply, s.journey, 'delegate/revoke.njk', { row, invitation: d.status === 'invited' });
  });

  app.post('/account/delegates/:id/revoke', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const d = await ownDelegation(s, idOf(request));
    if (!d) return notFound(reply, s);
    const changed = await changeStatus(
      deps.db,
      d.id,
      { type: 'revoke', by: 'grantor' },
      { kind: 'grantor', id: account.id },
    );
    if (!changed.ok) return reply.redirect('/account/delegates', 303);
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_REVOKED,
      accountId: account.id,
      ip: request.ip,
      details: { delegationId: d.id, by: 'grantor', from: changed.value.from },
    });
    const delegate = d.delegate_id ? await findAccountById(deps.db, d.delegate_id) : undefined;
    await tellBoth(request, d, 'revoked', account, delegate);
    const name = delegateName(d, delegate);
    return withNotice(
      reply,
      journey,
      d.status === 'invited'
        ? `You cancelled the invitation to ${name}`
        : `${name} can no longer manage your care`,
      '/account/delegates',
    );
  });

  // -------------------------------------------------------------------------
  // The invitee.

  function linkPage(reply: FastifyReply, journey: Journey | undefined, status: 404 | 410) {
    void reply.header('Cache-Control', 'no-store');
    return page(reply, journey, 'delegate/link.njk', {}, status);
  }

  app.get(INVITATION_PATH, async (request, reply) => {
    void reply.header('Cache-Control', 'no-store');
    const token = (request.query as { token?: unknown } | undefined)?.token;
    const loaded = await journeys.load(request);
    if (typeof token !== 'string' || token === '' || token.length > 200) {
      // Back to the invitation, after the token has left the URL.
      if (typeof loaded?.state[PENDING_INVITATION_KEY] === 'string')
        return reply.redirect('/delegation/accept', 303);
      return linkPage(reply, loaded, 404);
    }
    const hash = linkTokenHash(token);
    const open = await findOpenInvitation(deps.db, hash);
    if (!open) {
      // Still waiting but past its expiry (at the epoch every link is in date): 410; used or unknown: 404.
      const expired = await findOpenInvitation(deps.db, hash, new Date(0));
      return linkPage(reply, loaded, expired ? 410 : 404);
    }
    // The invitation joins whatever this browser is doing; a supplier's sign-in under way is
    // left, so that signing in from here ends at the account pages and the invitation.
    const state = { ...loaded?.state, [PENDING_INVITATION_KEY]: open.id };
    delete state.interaction;
    delete state.signIn;
    await journeys.save(reply, loaded, state);
    return reply.redirect('/delegation/accept', 303);
  });

  interface Invited {
    journey: Journey;
    invitation: Delegation;
    grantor: Account;
  }

  /** The invitation this browser opened, if it is still open; else the page already sent. */
  async function invited(request: FastifyRequest, reply: FastifyReply): Promise<Invited | FastifyReply> {
    void reply.header('Cache-Control', 'no-store');
    const journey = await journeys.load(request);
    const id = journey?.state[PENDING_INVITATION_KEY];
    if (!journey || typeof id !== 'string') return linkPage(reply, journey, 404);
    const invitation = await findDelegation(deps.db, id);
    const grantor = invitation ? await findAccountById(deps.db, invitation.grantor_id) : undefined;
    if (!invitation || !grantor || grantor.locked_at || !invitationOpen(invitation)) {
      delete journey.state[PENDING_INVITATION_KEY];
      await journeys.save(reply, journey, journey.state);
      return linkPage(reply, journey, invitation ? 410 : 404);
    }
    return { journey, invitation, grantor };
  }

  const isReply = (x: Invited | FastifyReply): x is FastifyReply => !('invitation' in x);

  /** Sends away anyone who may not accept yet; returns their account when they may. */
  async function mayAccept(
    request: FastifyRequest,
    reply: FastifyReply,
    i: Invited,
  ): Promise<{ account: Account } | FastifyReply> {
    const { journey, invitation, grantor } = i;
    const grantorName = fullName(grantor.given_name, grantor.family_name);
    const accountId = signedInAccount(journey);
    const found = accountId ? await findAccountById(deps.db, accountId) : undefined;
    if (!found || found.locked_at) return page(reply, journey, 'delegate/sign-in-first.njk', { grantorName });
    const account = found;
    journey.state.account = { accountId: account.id, lastSeen: Date.now() };
    await journeys.save(reply, journey, journey.state);
    if (account.id === grantor.id) {
      delete journey.state[PENDING_INVITATION_KEY];
      await journeys.save(reply, journey, journey.state);
      return page(reply, journey, 'delegate/own-invitation.njk', {}, 403);
    }
    if (!proven(account)) return page(reply, journey, 'delegate/prove-first.njk', { grantorName }, 403);
    const mismatch = identityMismatch(invitation, account);
    if (mismatch.length) {
      await deps.audit.record({
        code: AUDIT_EVENTS.DELEGATION_MISMATCH,
        accountId: account.id,
        ip: request.ip,
        details: { delegationId: invitation.id, grantorId: grantor.id, mismatch },
      });
      delete journey.state[PENDING_INVITATION_KEY];
      await journeys.save(reply, journey, journey.state);
      return page(reply, journey, 'delegate/not-for-you.njk', { grantorName }, 403);
    }
    return { account };
  }

  app.get('/delegation/accept', async (request, reply) => {
    const i = await invited(request, reply);
    if (isReply(i)) return i;
    const may = await mayAccept(request, reply, i);
    if (!('account' in may)) return may;
    const { invitation, grantor } = i;
    return page(reply, i.journey, 'delegate/accept.njk', {
      grantorName: fullName(grantor.given_name, grantor.family_name),
      relationship: invitation.relationship,
      permissions: permissionWords(invitation.permissions),
      endsOn: invitation.ends_on ? dayText(invitation.ends_on) : undefined,
    });
  });

  app.post('/delegation/accept', { preHandler: csrfProtect }, async (request, reply) => {
    const i = await invited(request, reply);
    if (isReply(i)) return i;
    const may = await mayAccept(request, reply, i);
    if (!('account' in may)) return may;
    const { account } = may;
    const { journey, invitation, grantor } = i;
    const grantorName = fullName(grantor.given_name, grantor.family_name);
    const changed = await changeStatus(
      deps.db,
      invitation.id,
      { type: 'accept', bothProved: bothProved(grantor.proofing_level, account.proofing_level) },
      { kind: 'delegate', id: account.id },
      { delegateId: account.id },
    );
    delete journey.state[PENDING_INVITATION_KEY];
    await journeys.save(reply, journey, journey.state);
    if (!changed.ok) {
      if (changed.error.kind === 'already-delegated')
        return page(reply, journey, 'delegate/already.njk', { grantorName }, 409);
      return linkPage(reply, journey, 410);
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_ACCEPTED,
      accountId: account.id,
      ip: request.ip,
      details: { delegationId: invitation.id, grantorId: grantor.id, status: changed.value.to },
    });
    await tellBoth(request, invitation, 'accepted', grantor, account);
    return withNotice(
      reply,
      journey,
      `You can now help manage ${grantorName}'s care`,
      '/account/delegations',
    );
  });

  app.post('/delegation/decline', { preHandler: csrfProtect }, async (request, reply) => {
    const i = await invited(request, reply);
    if (isReply(i)) return i;
    const may = await mayAccept(request, reply, i);
    if (!('account' in may)) return may;
    const { account } = may;
    const { journey, invitation, grantor } = i;
    const changed = await changeStatus(
      deps.db,
      invitation.id,
      { type: 'decline' },
      { kind: 'delegate', id: account.id },
    );
    delete journey.state[PENDING_INVITATION_KEY];
    await journeys.save(reply, journey, journey.state);
    if (!changed.ok) return linkPage(reply, journey, 410);
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_DECLINED,
      accountId: account.id,
      ip: request.ip,
      details: { delegationId: invitation.id, grantorId: grantor.id },
    });
    await tellBoth(request, invitation, 'declined', grantor, account);
    return withNotice(
      reply,
      journey,
      `You declined ${fullName(grantor.given_name, grantor.family_name)}'s invitation`,
      '/account/delegations',
    );
  });

  // -------------------------------------------------------------------------
  // The delegate: whose care I manage.

  /** The delegation this person was given, still live, or undefined. */
  async function givenTo(s: SignedIn, id: string): Promise<Delegation | undefined> {
    const d = await findDelegation(deps.db, id);
    return d && d.delegate_id === s.account.id && ['accepted', 'active', 'suspended'].includes(d.status)
      ? d
      : undefined;
  }

  app.get('/account/delegations', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const given = await delegationsGivenTo(deps.db, account.id);
    const today = ukToday();
    const rows = [];
    for (const d of given) {
      const grantor = await findAccountById(deps.db, d.grantor_id);
      const ended = d.ends_on !== null && today > d.ends_on;
      const live = ['accepted', 'active', 'suspended'].includes(d.status) && !ended;
      rows.push({
        id: d.id,
        name: fullName(grantor?.given_name, grantor?.family_name),
        relationship: d.relationship,
        permissions: permissionWords(d.permissions),
        endsOn: d.ends_on ? dayText(d.ends_on) : undefined,
        live,
        status:
          d.status === 'active' && !ended
            ? 'You can manage their care'
            : d.status === 'accepted'
              ? 'Not active until both of you have proved who you are'
              : d.status === 'suspended'
                ? 'Stopped for now by NHS login support'
                : 'Ended',
      });
    }
    return page(reply, journey, 'delegate/delegations.njk', {
      notice: await takeNotice(reply, journey),
      current: rows.filter((r) => r.live),
      past: rows.filter((r) => !r.live),
    });
  });

  app.get('/account/delegations/:id/stop', async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const d = await givenTo(s, idOf(request));
    if (!d) return notFound(reply, s);
    const grantor = await findAccountById(deps.db, d.grantor_id);
    return page(reply, s.journey, 'delegate/stop.njk', {
      id: d.id,
      name: fullName(grantor?.given_name, grantor?.family_name),
    });
  });

  app.post('/account/delegations/:id/stop', { preHandler: csrfProtect }, async (request, reply) => {
    const s = await signedIn(request, reply);
    if (!s) return toSignIn(reply);
    const { journey, account } = s;
    const d = await givenTo(s, idOf(request));
    if (!d) return notFound(reply, s);
    const changed = await changeStatus(
      deps.db,
      d.id,
      { type: 'revoke', by: 'delegate' },
      { kind: 'delegate', id: account.id },
    );
    if (!changed.ok) return reply.redirect('/account/delegations', 303);
    await deps.audit.record({
      code: AUDIT_EVENTS.DELEGATION_REVOKED,
      accountId: account.id,
      ip: request.ip,
      details: { delegationId: d.id, by: 'delegate', from: changed.value.from },
    });
    const grantor = await findAccountById(deps.db, d.grantor_id);
    if (grantor) await tellBoth(request, d, 'revoked', grantor, account);
    return withNotice(
      reply,
      journey,
      `You can no longer manage ${fullName(grantor?.given_name, grantor?.family_name)}'s care`,
      '/account/delegations',
    );
  });
}
