// Support and delegated access: every delegation a patient gives and has been
// given, with its status and whole history (who did what, when, and why), and
// suspending or reinstating one with a reason. Each change goes through the
// store's changeStatus (the rules in src/domain/delegation.ts), is audited
// with the staff member and the reason, and both people are emailed.
//
//   GET  /backoffice/support/patients/:accountId/delegations
//   GET  /backoffice/support/patients/:accountId/delegations/:delegationId/suspend|reinstate
//   POST /backoffice/support/patients/:accountId/delegations/:delegationId/suspend|reinstate
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_EVENTS } from '../../audit/events.js';
import {
  AGE_OF_CONSENT,
  DELEGABLE_PERMISSIONS,
  bothProved,
  isPermission,
  transition,
  type DelegationEvent,
  type DelegationStatus,
} from '../../domain/delegation.js';
import { findAccountById, type Account } from '../../store/accounts.js';
import type { Db } from '../../store/db.js';
import {
  changeStatus,
  delegationHistory,
  delegationsGivenBy,
  delegationsGivenTo,
  findDelegation,
  type Delegation,
  type DelegationEventRow,
} from '../../store/delegations.js';
import { fields, type BackofficeKit, type Fields } from '../kit.js';
import type { BackofficeRouteKey } from '../roles.js';
import { patientFor } from '../support/access.js';
import { REASON_MAX_LENGTH, checkReason, keep, noStore } from '../support/form.js';
import { dateTimeText } from '../support/format.js';
import { personName, tellBoth } from './notices.js';

const DELEGATION_ID = /^[A-Za-z0-9-]{1,64}$/;

export const STATUS_TEXT: Record<DelegationStatus, { text: string; colour: string }> = {
  invited: { text: 'Invited', colour: 'blue' },
  accepted: { text: 'Waiting for P9', colour: 'yellow' },
  active: { text: 'Active', colour: 'green' },
  suspended: { text: 'Paused by support', colour: 'orange' },
  revoked: { text: 'Ended', colour: 'grey' },
  expired: { text: 'Expired', colour: 'grey' },
};

const EVENT_TEXT: Record<string, string> = {
  created: 'Set up',
  accept: 'Accepted',
  'both-proved': 'Both proved who they are',
  'level-lost': 'A proof of identity was lost',
  decline: 'Invitation declined',
  revoke: 'Ended',
  suspend: 'Paused by support',
  reinstate: 'Restored by support',
  expire: 'Expired',
  changed: 'Terms changed',
  acted: 'Acted for them through a service',
};

const EXPIRY_TEXT: Record<string, string> = {
  'end-date': 'its end date passed',
  'review-date': 'its review date came without a renewal',
  'turned-16': `the child turned ${AGE_OF_CONSENT}`,
};

type ActionPath = 'suspend' | 'reinstate';

interface ActionSpec {
  path: ActionPath;
  title: string;
  explain: string[];
  button: string;
  warning: boolean;
  event: (grantor: Account | undefined, delegate: Account | undefined) => DelegationEvent;
  notAllowed: string;
  code: (typeof AUDIT_EVENTS)['DELEGATION_SUSPENDED' | 'DELEGATION_REINSTATED'];
  change: 'suspended' | 'reinstated';
}

const ACTIONS: ActionSpec[] = [
  {
    path: 'suspend',
    title: 'Pause this access',
    explain: [
      'The person with access will not be able to act for the patient through any NHS website or app until support restores it.',
      'We will email both people to say it is paused, without the reason.',
    ],
    button: 'Pause access',
    warning: true,
    event: () => ({ type: 'suspend' }),
    notAllowed: 'Only access that is active or waiting for both people to prove who they are can be paused.',
    code: AUDIT_EVENTS.DELEGATION_SUSPENDED,
    change: 'suspended',
  },
  {
    path: 'reinstate',
    title: 'Restore this access',
    explain: [
      'The person with access will be able to act for the patient again, with the same permissions and dates. If either of them no longer has a P9 proof of identity, it waits until both do.',
      'We will email both people to say it is restored.',
    ],
    button: 'Restore access',
    warning: false,
    event: (grantor, delegate) => ({
      type: 'reinstate',
      bothProved: bothProved(grantor?.proofing_level ?? 'P0', delegate?.proofing_level ?? 'P0'),
    }),
    notAllowed: 'This access is not paused, so there is nothing to restore.',
    code: AUDIT_EVENTS.DELEGATION_REINSTATED,
    change: 'reinstated',
  },
];

const DONE_TEXT: Record<string, string> = {
  suspend: 'The access has been paused. Both people have been told by email.',
  reinstate: 'The access has been restored. Both people have been told by email.',
};

async function staffNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('staff_members')
    .select(['id', 'name', 'ods_code'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, `${r.name} (${r.ods_code})`]));
}

function permissionsText(permissions: readonly string[]): string[] {
  return permissions.map((p) => (isPermission(p) ? DELEGABLE_PERMISSIONS[p] : p));
}

export function registerSupportDelegationRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send, page } = kit;

  /** One delegation as support sees it, with its history, from `account`'s side. */
  async function viewOf(account: Account, d: Delegation, side: 'given' | 'received') {
    const otherId = side === 'given' ? d.delegate_id : d.grantor_id;
    const other = otherId ? await findAccountById(deps.db, otherId) : undefined;
    const history: DelegationEventRow[] = await delegationHistory(deps.db, d.id);
    const names = await staffNames(
      deps.db,
      history.flatMap((e) => (e.actor_kind === 'staff' && e.actor_id ? [e.actor_id] : [])),
    );
    const patientName = personName(account);
    const otherName = other
      ? personName(other)
      : personName({ given_name: d.invitee_given_name, family_name: d.invitee_family_name });
    const actor = (e: DelegationEventRow): string => {
      switch (e.actor_kind) {
        case 'staff':
          return (e.actor_id && names.get(e.actor_id)) ?? 'A former member of staff';
        case 'system':
          return 'NHS login';
        case 'supplier':
          return e.client_id ?? 'A service';
        case 'grantor':
          return side === 'given' ? patientName : otherName;
        case 'delegate':
          return side === 'given' ? otherName : patientName;
      }
    };
    const allowed = (path: ActionPath) =>
      transition(d.status, ACTIONS.find((a) => a.path === path)!.event(undefined, undefined)).ok;
    return {
      id: d.id,
      otherName,
      otherHref: other ? `/backoffice/support/patients/${other.id}` : undefined,
      otherEmail: other?.email ?? d.invitee_email ?? '',
      relationship: d.relationship,
      status: STATUS_TEXT[d.status],
      origin:
        d.origin === 'practice'
          ? `Set up by a practice (${d.ods_code ?? 'not known'}) for ${d.for_child ? `a child under ${AGE_OF_CONSENT}` : 'a person who lacks capacity'}`
          : 'Given by the patient themselves',
      reason: d.reason ?? undefined,
      permissions: permissionsText(d.permissions),
      endsOn: d.ends_on ?? undefined,
      reviewOn: d.review_on ?? undefined,
      canSuspend: allowed('suspend'),
      canReinstate: allowed('reinstate'),
      history: history.map((e) => {
        const details = e.details;
        const why =
          typeof details.reason === 'string'
            ? e.event === 'expire'
              ? (EXPIRY_TEXT[details.reason] ?? details.reason)
              : details.reason
            : '';
        return {
          when: dateTimeText(new Date(e.created_at)),
          what: EVENT_TEXT[e.event] ?? e.event,
          status: e.to_status ? STATUS_TEXT[e.to_status].text : '',
          by: actor(e),
          why,
        };
      }),
    };
  }

  route('GET /backoffice/support/patients/:accountId/delegations', async (request, reply) => {
    const account = await patientFor(kit, request, reply);
    if (!account) return reply;
    const { staff } = staffOf(request);
    const [given, received] = await Promise.all([
      delegationsGivenBy(deps.db, account.id),
      delegationsGivenTo(deps.db, account.id),
    ]);
    await deps.audit.record({
      code: AUDIT_EVENTS.SUPPORT_VIEWED_ACCOUNT,
      accountId: account.id,
      ip: request.ip,
      details: { staffId: staff.id, page: 'delegations' },
    });
    const done = (request.query as { done?: unknown }).done;
    return page(noStore(reply), 'delegations/support', {
      pageTitle: 'Access to care',
      done: typeof done === 'string' ? DONE_TEXT[done] : undefined,
      a: account,
      name: personName(account),
      given: await Promise.all(given.map((d) => viewOf(account, d, 'given'))),
      received: await Promise.all(received.map((d) => viewOf(account, d, 'received'))),
    });
  });

  /** The patient and one of their delegations (given or received), or the 404 page sent. */
  async function delegationFor(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ account: Account; delegation: Delegation } | undefined> {
    const account = await patientFor(kit, request, reply);
    if (!account) return undefined;
    const { delegationId } = request.params as { delegationId?: string };
    const delegation =
      delegationId && DELEGATION_ID.test(delegationId)
        ? await findDelegation(deps.db, delegationId)
        : undefined;
    if (!delegation || (delegation.grantor_id !== account.id && delegation.delegate_id !== account.id)) {
      kit.notFound(reply);
      return undefined;
    }
    return { account, delegation };
  }

  for (const action of ACTIONS) {
    const url = `/backoffice/support/patients/:accountId/delegations/:delegationId/${action.path}`;

    const actionPage = async (
      reply: FastifyReply,
      status: number,
      account: Account,
      delegation: Delegation,
      extra: { values?: Fields; errors?: Fields; blocked?: string } = {},
    ) => {
      const side = delegation.grantor_id === account.id ? 'given' : 'received';
      const view = await viewOf(account, delegation, side);
      const allowed = action.path === 'suspend' ? view.canSuspend : view.canReinstate;
      return send(noStore(reply), status, 'delegations/support-action', {
        pageTitle: action.title,
        action,
        a: account,
        name: personName(account),
        d: view,
        side,
        reasonMax: REASON_MAX_LENGTH,
        blocked: extra.blocked ?? (allowed ? undefined : action.notAllowed),
        values: extra.values ?? { reason: '' },
        errors: extra.errors,
      });
    };

    route(`GET ${url}` as BackofficeRouteKey, async (request, reply) => {
      const found = await delegationFor(request, reply);
      if (!found) return reply;
      return actionPage(reply, 200, found.account, found.delegation);
    });

    route(`POST ${url}` as BackofficeRouteKey, async (request, reply) => {
      const found = await delegationFor(request, reply);
      if (!found) return reply;
      const { account, delegation } = found;
      const { staff } = staffOf(request);
      const f = fields(request);
      const values = keep(f, ['reason']);
      const reason = checkReason(f.reason);
      if (!reason.ok)
        return actionPage(reply, 400, account, delegation, { values, errors: { reason: reason.error } });
      const [grantor, delegate] = await Promise.all([
        findAccountById(deps.db, delegation.grantor_id),
        delegation.delegate_id ? findAccountById(deps.db, delegation.delegate_id) : undefined,
      ]);
      const changed = await changeStatus(
        deps.db,
        delegation.id,
        action.event(grantor, delegate),
        { kind: 'staff', id: staff.id },
        { reason: reason.reason },
      );
      if (!changed.ok) {
        const fresh = (await findDelegation(deps.db, delegation.id)) ?? delegation;
        return actionPage(reply, 409, account, fresh, { values, blocked: action.notAllowed });
      }
      await deps.audit.record({
        code: action.code,
        accountId: delegation.grantor_id,
        ip: request.ip,
        details: {
          delegationId: delegation.id,
          staffId: staff.id,
          grantorId: delegation.grantor_id,
          delegateId: delegation.delegate_id,
          from: changed.value.from,
          to: changed.value.to,
          reason: reason.reason,
        },
      });
      await tellBoth(
        { ...deps, onNotifyError: (e) => request.log.warn({ err: e }, 'could not send a delegation notice') },
        changed.value.delegation,
        action.change,
      );
      return reply.redirect(
        `/backoffice/support/patients/${account.id}/delegations?done=${action.path}`,
        303,
      );
    });
  }
}
