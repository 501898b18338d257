// Delegations at rest (0009). Every change of status goes through
// changeStatus, which locks the row, asks src/domain/delegation.ts whether the
// event is allowed from the status it finds, and writes the new status and
// its history row in one transaction: two tabs, or a grantor revoking while a
// supplier exchanges a token, cannot both win.
import { randomUUID } from 'node:crypto';
import {
  expiryReason,
  transition,
  type DelegationEvent,
  type DelegationStatus,
  type DelegationTimes,
  type ExpiryReason,
  type Permission,
  type TransitionProblem,
} from '../domain/delegation.js';
import { err, ok, type Result } from '../domain/result.js';
import type { Db } from './db.js';
import type { Delegation, DelegationEventRow, DelegationEventsTable } from './schema.js';

export type { Delegation, DelegationEventRow };

export interface Actor {
  kind: DelegationEventsTable['actor_kind'];
  /** An account id, a staff id, or a client id; none for the system. */
  id?: string | undefined;
}

type Executor = Pick<Db, 'insertInto'>;

async function addEvent(
  db: Executor,
  delegationId: string,
  event: string,
  actor: Actor,
  extra: {
    from?: DelegationStatus | undefined;
    to?: DelegationStatus | undefined;
    clientId?: string | undefined;
    details?: Record<string, unknown>;
  } = {},
): Promise<void> {
  await db
    .insertInto('delegation_events')
    .values({
      id: randomUUID(),
      delegation_id: delegationId,
      event,
      from_status: extra.from ?? null,
      to_status: extra.to ?? null,
      actor_kind: actor.kind,
      actor_id: actor.id ?? null,
      client_id: extra.clientId ?? null,
      details: JSON.stringify(extra.details ?? {}),
    })
    .execute();
}

export interface NewInvitation {
  grantorId: string;
  relationship: string;
  permissions: readonly Permission[];
  endsOn?: string | undefined;
  invitee: { email: string; familyName: string; givenName: string; birthDate: string };
  tokenHash: string;
  expiresAt: Date;
}

/** The grantor invites someone by email: status 'invited', history 'created'. */
export async function createInvitation(db: Db, invitation: NewInvitation): Promise<string> {
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('delegations')
      .values({
        id,
        grantor_id: invitation.grantorId,
        origin: 'person',
        status: 'invited',
        relationship: invitation.relationship,
        permissions: JSON.stringify(invitation.permissions),
        invitee_email: invitation.invitee.email.toLowerCase(),
        invitee_family_name: invitation.invitee.familyName,
        invitee_given_name: invitation.invitee.givenName,
        invitee_birth_date: invitation.invitee.birthDate,
        invitation_token_hash: invitation.tokenHash,
        invitation_expires_at: invitation.expiresAt,
        ends_on: invitation.endsOn ?? null,
        approved_by: invitation.grantorId,
      })
      .execute();
    await addEvent(
      trx,
      id,
      'created',
      { kind: 'grantor', id: invitation.grantorId },
      {
        to: 'invited',
        details: { permissions: invitation.permissions, endsOn: invitation.endsOn ?? null },
      },
    );
  });
  return id;
}

export interface NewPracticeDelegation {
  grantorId: string;
  delegateId: string;
  relationship: string;
  permissions: readonly Permission[];
  reason: string;
  reviewOn: string;
  forChild: boolean;
  odsCode: string;
  staffId: string;
  /** Both are P9 now: active at once; otherwise accepted, active when both are. */
  bothProved: boolean;
}

/** Practice staff set access up for a child or an adult who lacks capacity. */
export async function createPracticeDelegation(
  db: Db,
  input: NewPracticeDelegation,
): Promise<Result<string, 'already-delegated'>> {
  const id = randomUUID();
  const status: DelegationStatus = input.bothProved ? 'active' : 'accepted';
  try {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('delegations')
        .values({
          id,
          grantor_id: input.grantorId,
          delegate_id: input.delegateId,
          origin: 'practice',
          status,
          relationship: input.relationship,
          permissions: JSON.stringify(input.permissions),
          reason: input.reason,
          review_on: input.reviewOn,
          for_child: input.forChild,
          ods_code: input.odsCode,
          approved_by: input.staffId,
        })
        .execute();
      await addEvent(
        trx,
        id,
        'created',
        { kind: 'staff', id: input.staffId },
        {
          to: status,
          details: { permissions: input.permissions, reviewOn: input.reviewOn, forChild: input.forChild },
        },
      );
    });
    return ok(id);
  } catch (e) {
    if ((e as { code?: unknown }).code === '23505') return err('already-delegated');
    throw e;
  }
}

export async function findDelegation(db: Db, id: string): Promise<Delegation | undefined> {
  return db.selectFrom('delegations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An invitation still open for acceptance, by its token's hash. */
export async function findOpenInvitation(
  db: Db,
  tokenHash: string,
  now: Date = new Date(),
): Promise<Delegation | undefined> {
  const row = await db
    .selectFrom('delegations')
    .selectAll()
    .where('invitation_token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.status !== 'invited') return undefined;
  if (!row.invitation_expires_at || row.invitation_expires_at <= now) return undefined;
  return row;
}

export type ChangeProblem =
  | TransitionProblem
  | { kind: 'not-found' }
  /** Accepting would make a second live delegation between the same two people. */
  | { kind: 'already-delegated' }
  /** Revoked or expired: its terms cannot change any more. */
  | { kind: 'finished'; status: DelegationStatus };

/**
 * Applies one event. `delegateId` is set when the event is an acceptance (the
 * invitation's single-use token is cleared at the same time, whatever the
 * outcome). Returns the status before and after.
 */
export async function changeStatus(
  db: Db,
  id: string,
  event: DelegationEvent,
  actor: Actor,
  options: { delegateId?: string; reason?: string; clientId?: string } = {},
): Promise<Result<{ from: DelegationStatus; to: DelegationStatus; delegation: Delegation }, ChangeProblem>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('delegations')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return err({ kind: 'not-found' as const });
      const next = transition(row.status, event);
      if (!next.ok) return next;
      const endsInvitation = event.type === 'accept' || event.type === 'decline';
      const updated = await trx
        .updateTable('delegations')
        .set({
          status: next.value,
          updated_at: new Date(),
          ...(options.delegateId ? { delegate_id: options.delegateId } : {}),
          ...(endsInvitation ? { invitation_token_hash: null } : {}),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await addEvent(trx, id, event.type, actor, {
        from: row.status,
        to: next.value,
        clientId: options.clientId,
        details: options.reason ? { reason: options.reason } : {},
      });
      return ok({ from: row.status, to: next.value, delegation: updated });
    });
  } catch (e) {
    if ((e as { code?: unknown }).code === '23505') return err({ kind: 'already-delegated' as const });
    throw e;
  }
}

/** The grantor changes what the delegate may do, or until when. Not on a finished delegation. */
export async function changeTerms(
  db: Db,
  id: string,
  actor: Actor,
  terms: { permissions?: readonly Permission[]; endsOn?: string | null; reviewOn?: string },
): Promise<Result<Delegation, ChangeProblem>> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('delegations')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return err({ kind: 'not-found' as const });
    if (row.status === 'revoked' || row.status === 'expired')
      return err({ kind: 'finished' as const, status: row.status });
    const updated = await trx
      .updateTable('delegations')
      .set({
        updated_at: new Date(),
        ...(terms.permissions ? { permissions: JSON.stringify(terms.permissions) } : {}),
        ...(terms.endsOn !== undefined ? { ends_on: terms.endsOn } : {}),
        ...(terms.reviewOn ? { review_on: terms.reviewOn } : {}),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addEvent(trx, id, 'changed', actor, {
      details: {
        before: { permissions: row.permissions, endsOn: row.ends_on, reviewOn: row.review_on },
        after: { permissions: updated.permissions, endsOn: updated.ends_on, reviewOn: updated.review_on },
      },
    });
    return ok(updated);
  });
}

/** The delegate acted for the grantor through a supplier (a token exchange): for the grantor to see. */
export async function recordActed(
  db: Db,
  delegation: Pick<Delegation, 'id' | 'delegate_id'>,
  clientId: string,
  permissions: readonly Permission[],
): Promise<void> {
  await addEvent(
    db,
    delegation.id,
    'acted',
    { kind: 'delegate', id: delegation.delegate_id ?? undefined },
    {
      clientId,
      details: { permissions },
    },
  );
}

function delegationsWhere(
  db: Db,
  side: 'grantor_id' | 'delegate_id',
  accountId: string,
): Promise<Delegation[]> {
  return db
    .selectFrom('delegations')
    .selectAll()
    .where(side, '=', accountId)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Every delegation where the person gives access, newest first. */
export const delegationsGivenBy = (db: Db, grantorId: string) =>
  delegationsWhere(db, 'grantor_id', grantorId);

/** Every delegation where the person has been given access, newest first. */
export const delegationsGivenTo = (db: Db, delegateId: string) =>
  delegationsWhere(db, 'delegate_id', delegateId);

/** The dates that end a delegation by themselves, as src/domain/delegation.ts reads them. */
export function delegationTimes(
  d: Pick<Delegation, 'origin' | 'ends_on' | 'review_on' | 'for_child'>,
  grantorBirthDate: string | null | undefined,
): DelegationTimes {
  return {
    origin: d.origin,
    endsOn: d.ends_on ?? undefined,
    reviewOn: d.review_on ?? undefined,
    forChild: d.for_child,
    grantorBirthDate: grantorBirthDate ?? undefined,
  };
}

/** A delegation's history, oldest first. */
export async function delegationHistory(db: Db, id: string): Promise<DelegationEventRow[]> {
  return db
    .selectFrom('delegation_events')
    .selectAll()
    .where('delegation_id', '=', id)
    .orderBy('created_at', 'asc')
    .orderBy('seq', 'asc')
    .execute();
}

/** What delegates did for the grantor, through which supplier and when, newest first. */
export async function actionsForGrantor(
  db: Db,
  grantorId: string,
  limit = 100,
): Promise<(DelegationEventRow & { delegate_id: string | null })[]> {
  return db
    .selectFrom('delegation_events as e')
    .innerJoin('delegations as d', 'd.id', 'e.delegation_id')
    .selectAll('e')
    .select('d.delegate_id')
    .where('d.grantor_id', '=', grantorId)
    .where('e.event', '=', 'acted')
    .orderBy('e.created_at', 'desc')
    .orderBy('e.seq', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Ends every delegation whose end date or review date has passed, or whose
 * child has turned 16, on `today` (YYYY-MM-DD in the UK). Run on a timer; the
 * token exchange also checks the dates itself, so a late sweep lets nobody
 * act. Returns what it ended, for the notices.
 */
export async function expireDue(
  db: Db,
  today: string,
): Promise<{ delegation: Delegation; reason: ExpiryReason }[]> {
  const live = await db
    .selectFrom('delegations as d')
    .innerJoin('accounts as g', 'g.id', 'd.grantor_id')
    .selectAll('d')
    .select('g.birthdate as grantor_birthdate')
    .where('d.status', 'in', ['invited', 'accepted', 'active', 'suspended'])
    .where((eb) =>
      eb.or([
        eb('d.ends_on', 'is not', null),
        eb('d.review_on', 'is not', null),
        eb('d.for_child', '=', true),
      ]),
    )
    .execute();
  const ended: { delegation: Delegation; reason: ExpiryReason }[] = [];
  for (const row of live) {
    const reason = expiryReason(delegationTimes(row, row.grantor_birthdate), today);
    if (!reason) continue;
    const changed = await changeStatus(db, row.id, { type: 'expire' }, { kind: 'system' }, { reason });
    if (changed.ok) ended.push({ delegation: changed.value.delegation, reason });
  }
  return ended;
}

/**
 * The delegation between two people that is not finished (there is at most
 * one: a unique index), or undefined.
 */
export async function liveDelegationBetween(
  db: Db,
  grantorId: string,
  delegateId: string,
): Promise<Delegation | undefined> {
  return db
    .selectFrom('delegations')
    .selectAll()
    .where('grantor_id', '=', grantorId)
    .where('delegate_id', '=', delegateId)
    .where('status', 'in', ['accepted', 'active', 'suspended'])
    .executeTakeFirst();
}

/** The grantor's side of an active delegation, for the `delegations` claim and the chooser. */
export interface ActingFor {
  delegation: Delegation;
  grantor: {
    id: string;
    family_name: string | null;
    given_name: string | null;
    birthdate: string | null;
    nhs_number: string | null;
    proofing_level: 'P0' | 'P5' | 'P9';
  };
}

/** Active delegations the person may act on, with whom they are for (grantors' NHS numbers still sealed). */
export async function activeDelegationsFor(db: Db, delegateId: string): Promise<ActingFor[]> {
  const rows = await db
    .selectFrom('delegations as d')
    .innerJoin('accounts as g', 'g.id', 'd.grantor_id')
    .selectAll('d')
    .select([
      'g.family_name as g_family_name',
      'g.given_name as g_given_name',
      'g.birthdate as g_birthdate',
      'g.nhs_number as g_nhs_number',
      'g.proofing_level as g_proofing_level',
    ])
    .where('d.delegate_id', '=', delegateId)
    .where('d.status', '=', 'active')
    .where('g.locked_at', 'is', null)
    .orderBy('d.created_at', 'asc')
    .execute();
  return rows.map(({ g_family_name, g_given_name, g_birthdate, g_nhs_number, g_proofing_level, ...d }) => ({
    delegation: d,
    grantor: {
      id: d.grantor_id,
      family_name: g_family_name,
      given_name: g_given_name,
      birthdate: g_birthdate,
      nhs_number: g_nhs_number,
      proofing_level: g_proofing_level,
    },
  }));
}
