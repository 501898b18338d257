// Delegated access: a person (the grantor) lets someone else (the delegate)
// manage parts of their care through NHS login suppliers. The rules, with no
// I/O: which permissions exist and which can never be given, the states a
// delegation passes through and the named events that move it, and what a
// delegate may do at a given moment. The store keeps the history; the token
// exchange and the pages ask these functions.
import { err, ok, type Result } from './result.js';
import type { ProofingLevel } from './vectors-of-trust.js';

// ---------------------------------------------------------------------------
// Permissions

/**
 * What a delegate may be given, as suppliers see them (the `delegations`
 * claim, and the scope of an exchanged token as `delegation:<permission>`).
 * The wording is what the grantor reads when choosing.
 */
export const DELEGABLE_PERMISSIONS = {
  appointments: 'Book, change and cancel appointments',
  prescriptions: 'Order repeat prescriptions and choose a pharmacy',
  'record-view': 'See their GP health record, including test results',
  messages: 'Send and read messages with their GP surgery',
} as const satisfies Record<string, string>;

export type Permission = keyof typeof DELEGABLE_PERMISSIONS;
export const PERMISSIONS = Object.keys(DELEGABLE_PERMISSIONS) as Permission[];

/**
 * Never delegable, whatever anyone asks: changing the grantor's NHS login
 * itself (email, phone, password, who else has access) would let a delegate
 * take the account over, and delegations would then chain.
 */
export const NEVER_DELEGABLE = ['manage-account-settings', 'manage-delegations'] as const;

export const isPermission = (value: string): value is Permission =>
  Object.hasOwn(DELEGABLE_PERMISSIONS, value);

export type PermissionProblem =
  | { kind: 'none-chosen' }
  | { kind: 'never-delegable'; permission: string }
  | { kind: 'unknown'; permission: string };

/** Checks a chosen set of permissions: at least one, each known and delegable. Returns them in catalogue order. */
export function parsePermissions(chosen: readonly string[]): Result<Permission[], PermissionProblem> {
  for (const permission of chosen) {
    if ((NEVER_DELEGABLE as readonly string[]).includes(permission))
      return err({ kind: 'never-delegable', permission });
    if (!isPermission(permission)) return err({ kind: 'unknown', permission });
  }
  const set = new Set(chosen);
  const permissions = PERMISSIONS.filter((p) => set.has(p));
  return permissions.length ? ok(permissions) : err({ kind: 'none-chosen' });
}

/** The scope an exchanged token carries for a permission. */
export const permissionScope = (permission: Permission): string => `delegation:${permission}`;

/**
 * What a delegate asks for, narrowed to what was granted: asking for more is
 * refused (never silently cut down: the supplier must know it cannot act),
 * asking for nothing gets everything granted.
 */
export function narrowPermissions(
  granted: readonly Permission[],
  requested: readonly string[] | undefined,
): Result<Permission[], { kind: 'not-granted'; permissions: string[] }> {
  if (!requested || requested.length === 0) return ok([...granted]);
  const notGranted = requested.filter((p) => !isPermission(p) || !granted.includes(p));
  if (notGranted.length) return err({ kind: 'not-granted', permissions: notGranted });
  return ok(PERMISSIONS.filter((p) => requested.includes(p)));
}

// ---------------------------------------------------------------------------
// States and events

export type DelegationStatus =
  /** The grantor invited someone by email; nobody has accepted yet. */
  | 'invited'
  /** Accepted, but one of the two is not (or no longer) P9: not usable yet. */
  | 'accepted'
  /** In force: the delegate may act within the permissions. */
  | 'active'
  /** Stopped by support, with a reason; support may reinstate it. */
  | 'suspended'
  /** Ended by the grantor or the delegate (or the invitation declined): final. */
  | 'revoked'
  /** Its end date or review date passed, or the child it was for turned 16: final. */
  | 'expired';

/** How the delegation came about. */
export type DelegationOrigin =
  /** The grantor invited the delegate from their own account. */
  | 'person'
  /** Practice staff set it up for a child under 16 or an adult who lacks capacity. */
  | 'practice';

export type DelegationEvent =
  | { type: 'accept'; bothProved: boolean }
  | { type: 'both-proved' }
  | { type: 'level-lost' }
  | { type: 'decline' }
  | { type: 'revoke'; by: 'grantor' | 'delegate' }
  | { type: 'suspend' }
  | { type: 'reinstate'; bothProved: boolean }
  | { type: 'expire' };

const FINAL: readonly DelegationStatus[] = ['revoked', 'expired'];

export type TransitionProblem = {
  kind: 'not-allowed';
  from: DelegationStatus;
  event: DelegationEvent['type'];
};

/**
 * The one place a delegation's status changes. Every other combination is
 * refused, so a revoked or expired delegation can never come back, and an
 * invitation cannot skip its acceptance.
 */
export function transition(
  from: DelegationStatus,
  event: DelegationEvent,
): Result<DelegationStatus, TransitionProblem> {
  const refuse = () => err<TransitionProblem>({ kind: 'not-allowed', from, event: event.type });
  if (FINAL.includes(from)) return refuse();
  switch (event.type) {
    case 'accept':
      return from === 'invited' ? ok(event.bothProved ? 'active' : 'accepted') : refuse();
    case 'both-proved':
      return from === 'accepted' ? ok('active') : refuse();
    case 'level-lost':
      return from === 'active' ? ok('accepted') : refuse();
    case 'decline':
      return from === 'invited' ? ok('revoked') : refuse();
    case 'revoke':
      return ok('revoked');
    case 'suspend':
      return from === 'active' || from === 'accepted' ? ok('suspended') : refuse();
    case 'reinstate':
      return from === 'suspended' ? ok(event.bothProved ? 'active' : 'accepted') : refuse();
    case 'expire':
      return ok('expired');
  }
}

// ---------------------------------------------------------------------------
// Who may take part, and when a delegation ends by itself

/** Both people must have proved who they are to P9 before access is given. */
export const DELEGATION_LEVEL: ProofingLevel = 'P9';
export const bothProved = (grantor: ProofingLevel, delegate: ProofingLevel): boolean =>
  grantor === DELEGATION_LEVEL && delegate === DELEGATION_LEVEL;

/** A child may give access themselves from this age; a practice's delegation for them ends on this birthday. */
export const AGE_OF_CONSENT = 16;

/** The date (YYYY-MM-DD) a person born on `birthDate` turns `years`; 29 February birthdays fall on 1 March. */
export function birthdayAt(birthDate: string, years: number): string {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y + years, m - 1, d));
  return date.toISOString().slice(0, 10);
}

export interface DelegationTimes {
  origin: DelegationOrigin;
  /** YYYY-MM-DD, inclusive: the last day it works. Optional for the grantor's own delegations. */
  endsOn?: string | undefined;
  /** YYYY-MM-DD: a practice's delegation expires on this day unless renewed. */
  reviewOn?: string | undefined;
  /** The grantor's date of birth, for a practice's delegation for a child. */
  grantorBirthDate?: string | undefined;
  /** Set up for a child under 16 (rather than an adult who lacks capacity). */
  forChild?: boolean | undefined;
}

export type ExpiryReason = 'end-date' | 'review-date' | 'turned-16';

/**
 * Whether a delegation has ended by itself on `today` (YYYY-MM-DD in the UK),
 * and why: its end date has passed, its review date has come without a
 * renewal, or the child it was set up for has turned 16 (who may then give
 * access themselves).
 */
export function expiryReason(times: DelegationTimes, today: string): ExpiryReason | undefined {
  if (times.endsOn && today > times.endsOn) return 'end-date';
  if (times.origin === 'practice') {
    if (times.reviewOn && today >= times.reviewOn) return 'review-date';
    if (
      times.forChild &&
      times.grantorBirthDate &&
      today >= birthdayAt(times.grantorBirthDate, AGE_OF_CONSENT)
    )
      return 'turned-16';
  }
  return undefined;
}

/** Whether a person is under 16 on `today`: a practice may set up access for them. */
export const isChild = (birthDate: string, today: string): boolean =>
  today < birthdayAt(birthDate, AGE_OF_CONSENT);

// ---------------------------------------------------------------------------
// Acting for someone

export interface ActingCheck {
  status: DelegationStatus;
  times: DelegationTimes;
  today: string;
  grantorLevel: ProofingLevel;
  delegateLevel: ProofingLevel;
  /** The delegate is already acting for someone (their token has an `act` claim). */
  alreadyActing: boolean;
}

export type ActingRefusal =
  /** A delegate of a delegate gets nothing. */
  'chained' | 'not-active' | 'expired' | 'not-proved';

/**
 * Whether a delegate may act for the grantor now. Checked at every token
 * exchange, so a revocation or an expiry takes effect on the next one.
 */
export function mayAct(check: ActingCheck): ActingRefusal | undefined {
  if (check.alreadyActing) return 'chained';
  if (check.status !== 'active') return 'not-active';
  if (expiryReason(check.times, check.today)) return 'expired';
  if (!bothProved(check.grantorLevel, check.delegateLevel)) return 'not-proved';
  return undefined;
}
