// What support can do to a patient's account: lock and unlock it, require a
// new password, remove the authenticator app (only once the patient has
// proved who they are again), and arrange its deletion. Each is a page that
// says what will happen and asks for a reason (GET), then the change (POST):
// audited with the staff member and the reason, and the patient told.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Message } from '../../adapters/notify/port.js';
import { AUDIT_EVENTS, type AuditCode } from '../../audit/events.js';
import type { Account } from '../../store/accounts.js';
import {
  identityProvedSince,
  lockAccount,
  removeAuthenticatorApp,
  requirePasswordReset,
  scheduleErasure,
  unlockAccount,
} from '../../store/support.js';
import { fields, type BackofficeDeps, type BackofficeKit, type Fields } from '../kit.js';
import type { BackofficeRouteKey } from '../roles.js';
import { patientFor } from './access.js';
import { REASON_MAX_LENGTH, checkReason, keep, noStore, notifyPatient } from './form.js';
import { erasureDate, ERASURE_GRACE_DAYS } from './erasure.js';
import { dateText } from './format.js';

/** How recently the patient must have proved who they are before support removes an authenticator. */
export const REPROVED_WITHIN_DAYS = 7;

type ActionPath = 'lock' | 'unlock' | 'require-password-reset' | 'remove-authenticator' | 'erase';

interface Done {
  /** Extra audit details (beside staffId and reason). */
  details?: Record<string, unknown>;
  message: Message;
}

interface ActionSpec {
  path: ActionPath;
  title: string;
  /** What will happen, in a few paragraphs. */
  explain: (a: Account) => string[];
  button: string;
  warning?: boolean;
  /** A box the staff member must tick, for the most serious actions. */
  confirm?: string;
  /** Why the action cannot be done now (no form is offered), or undefined. */
  blocked: (deps: BackofficeDeps, a: Account) => Promise<string | undefined> | string | undefined;
  code: AuditCode;
  /** Makes the change; undefined when it was no longer possible (someone else was first). */
  perform: (deps: BackofficeDeps, a: Account) => Promise<Done | undefined>;
}

const support = 'NHS login support';

export const ACTIONS: ActionSpec[] = [
  {
    path: 'lock',
    title: 'Lock this account',
    explain: () => [
      'The patient will not be able to log in to any NHS website or app with NHS login until the account is unlocked.',
      'Everything they are signed in to now ends, and the services they use can no longer get their details.',
      `We will email them to say it is locked, without the reason. They will be told to contact ${support}.`,
    ],
    button: 'Lock account',
    warning: true,
    blocked: (_deps, a) => (a.locked_at ? 'This account is already locked.' : undefined),
    code: AUDIT_EVENTS.ACCOUNT_LOCKED,
    perform: async (deps, a) =>
      (await lockAccount(deps.db, a.id))
        ? { message: { type: 'email-account-support-action', to: a.email, action: 'locked' } }
        : undefined,
  },
  {
    path: 'unlock',
    title: 'Unlock this account',
    explain: () => [
      'The patient will be able to log in again with their password and a security code.',
      'We will email them to say it is unlocked.',
    ],
    button: 'Unlock account',
    blocked: (_deps, a) => (a.locked_at ? undefined : 'This account is not locked.'),
    code: AUDIT_EVENTS.ACCOUNT_UNLOCKED,
    perform: async (deps, a) =>
      (await unlockAccount(deps.db, a.id))
        ? { message: { type: 'email-account-support-action', to: a.email, action: 'unlocked' } }
        : undefined,
  },
  {
    path: 'require-password-reset',
    title: 'Ask for a new password',
    explain: () => [
      'The next time the patient logs in, after they enter their password they must create a new one. They prove it is them with a code sent to their email address and a code to their phone or authenticator app.',
      'Everything they are signed in to now ends, as someone else may know the old password.',
      'We will email them to say so.',
    ],
    button: 'Ask for a new password',
    blocked: (_deps, a) =>
      a.password_reset_required
        ? 'The patient has already been asked to create a new password and has not done it yet.'
        : undefined,
    code: AUDIT_EVENTS.PASSWORD_RESET_REQUIRED,
    perform: async (deps, a) =>
      (await requirePasswordReset(deps.db, a.id))
        ? {
            message: { type: 'email-account-support-action', to: a.email, action: 'password-reset-required' },
          }
        : undefined,
  },
  {
    path: 'remove-authenticator',
    title: 'Remove the authenticator app',
    explain: () => [
      'The patient will get security codes by text message to their mobile phone instead. They can set up an authenticator app again from their account.',
      'We will email them to say it has been removed.',
    ],
    button: 'Remove authenticator app',
    warning: true,
    blocked: async (deps, a) => {
      if (!a.totp_secret) return 'This account has no authenticator app to remove.';
      const since = new Date(Date.now() - REPROVED_WITHIN_DAYS * 24 * 60 * 60 * 1000);
      if (!(await identityProvedSince(deps.db, a.id, since))) {
        return `The patient must prove who they are again before you can remove their authenticator app. They have not done this in the last ${REPROVED_WITHIN_DAYS} days. Ask them to prove who they are with NHS login, then come back to this page.`;
      }
      return undefined;
    },
    code: AUDIT_EVENTS.AUTHENTICATOR_REMOVED_BY_SUPPORT,
    perform: async (deps, a) =>
      (await removeAuthenticatorApp(deps.db, a.id))
        ? { message: { type: 'email-account-support-action', to: a.email, action: 'authenticator-removed' } }
        : undefined,
  },
  {
    path: 'erase',
    title: 'Delete this account',
    explain: () => [
      `The account will be deleted in ${ERASURE_GRACE_DAYS} days, on ${dateText(erasureDate())}. Until then the patient can keep using it, and can cancel the deletion by logging in to their NHS login account.`,
      'We will email them the date and how to cancel.',
      'Once deleted, their email address, phone number, NHS number and the details they gave to prove who they are are gone. Their health records are not affected. The audit log keeps what happened.',
    ],
    button: 'Delete account',
    warning: true,
    confirm: 'I understand the account and its details will be deleted unless the patient cancels',
    blocked: (_deps, a) =>
      a.erase_after
        ? `Deletion is already arranged for ${dateText(new Date(a.erase_after))}. The patient can cancel it.`
        : undefined,
    code: AUDIT_EVENTS.ERASURE_SCHEDULED,
    perform: async (deps, a) => {
      const at = erasureDate();
      if (!(await scheduleErasure(deps.db, a.id, at))) return undefined;
      return {
        details: { eraseAfter: at.toISOString() },
        message: {
          type: 'email-erasure-scheduled',
          to: a.email,
          eraseOn: dateText(at),
          accountUrl: `${deps.issuer}/account`,
        },
      };
    },
  },
];

export function registerActionRoutes(kit: BackofficeKit): void {
  const { deps, route, staffOf, send } = kit;

  for (const action of ACTIONS) {
    const url = `/backoffice/support/patients/:accountId/${action.path}`;

    const actionPage = async (
      reply: FastifyReply,
      status: number,
      account: Account,
      extra: { values?: Fields; errors?: Fields; blocked?: string } = {},
    ) =>
      send(noStore(reply), status, 'support/action', {
        pageTitle: action.title,
        action: {
          path: action.path,
          title: action.title,
          explain: action.explain(account),
          button: action.button,
          warning: action.warning ?? false,
          confirm: action.confirm,
        },
        a: account,
        name: [account.given_name, account.family_name].filter(Boolean).join(' ') || account.email,
        reasonMax: REASON_MAX_LENGTH,
        blocked: extra.blocked ?? (await action.blocked(deps, account)),
        values: extra.values ?? { reason: '' },
        errors: extra.errors,
      });

    route(`GET ${url}` as BackofficeRouteKey, async (request, reply) => {
      const account = await patientFor(kit, request, reply);
      if (!account) return reply;
      return actionPage(reply, 200, account);
    });

    route(`POST ${url}` as BackofficeRouteKey, async (request: FastifyRequest, reply: FastifyReply) => {
      const account = await patientFor(kit, request, reply);
      if (!account) return reply;
      const { staff } = staffOf(request);
      const f = fields(request);
      const values = keep(f, ['reason']);
      const errors: Fields = {};
      const reason = checkReason(f.reason);
      if (!reason.ok) errors.reason = reason.error;
      if (action.confirm && f.confirm !== 'yes') errors.confirm = 'Confirm you understand what will happen';
      if (!reason.ok || Object.keys(errors).length) {
        return actionPage(reply, 400, account, { values: { ...values, confirm: f.confirm ?? '' }, errors });
      }
      const blocked = await action.blocked(deps, account);
      if (blocked) return actionPage(reply, 409, account, { values, blocked });
      const done = await action.perform(deps, account);
      if (!done) {
        return actionPage(reply, 409, account, {
          values,
          blocked: 'Someone else has just changed this account. Check it again.',
        });
      }
      await deps.audit.record({
        code: action.code,
        accountId: account.id,
        ip: request.ip,
        details: { staffId: staff.id, reason: reason.reason, ...done.details },
      });
      await notifyPatient(deps.notifier, request, done.message);
      return reply.redirect(`/backoffice/support/patients/${account.id}?done=${action.path}`, 303);
    });
  }
}
