// The ID checker's side of a photo ID check (0007): the queue with photo ID
// referrals as their own kind, the photo ID checks an item points at, and
// the decision. A decision is taken once: the queue item, the photo ID check
// and (for an approval) the account's level and its evidence row change in
// one transaction, each guarded by the status it must still have, so two
// checkers deciding the same item at once cannot both succeed.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { IdCheck, IdCheckKind, PhotoIdCheck } from './schema.js';

export type { PhotoIdCheck };

export interface QueueRow extends IdCheck {
  gp_ods_code: string | null;
  /** When the person sent the photo ID check (photo ID items), for how long they have waited. */
  submitted_at: Date | null;
  asked_for_review: boolean | null;
}

/**
 * Items in the queue with their photo ID check's submission time: open ones
 * oldest first (by when the person sent them), decided ones newest first.
 * `kind` limits them to photo ID referrals or fraud signals; `gpOdsCode` to
 * accounts registered at that organisation (undefined: everyone's).
 */
export async function listQueue(
  db: Db,
  options: {
    state: 'open' | 'decided';
    gpOdsCode: string | undefined;
    kind?: IdCheckKind | undefined;
    limit?: number;
  },
): Promise<QueueRow[]> {
  let query = db
    .selectFrom('id_checks')
    .innerJoin('accounts', 'accounts.id', 'id_checks.account_id')
    .leftJoin('photo_id_checks', 'photo_id_checks.id', 'id_checks.photo_id_check_id')
    .selectAll('id_checks')
    .select(['accounts.gp_ods_code', 'photo_id_checks.submitted_at', 'photo_id_checks.asked_for_review']);
  query =
    options.state === 'open'
      ? query
          .where('id_checks.status', '=', 'open')
          .orderBy(sql`coalesce(photo_id_checks.submitted_at, id_checks.created_at)`, 'asc')
      : query.where('id_checks.status', '<>', 'open').orderBy('id_checks.decided_at', 'desc');
  if (options.kind) query = query.where('id_checks.kind', '=', options.kind);
  if (options.gpOdsCode !== undefined) query = query.where('accounts.gp_ods_code', '=', options.gpOdsCode);
  return query
    .orderBy('id_checks.id')
    .limit(options.limit ?? 200)
    .execute();
}

export async function findPhotoIdCheck(db: Db, id: string): Promise<PhotoIdCheck | undefined> {
  return db.selectFrom('photo_id_checks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account's most recent photo ID check that has evidence (the other account of a document or face signal). */
export async function latestPhotoIdCheckWithEvidence(
  db: Db,
  accountId: string,
): Promise<PhotoIdCheck | undefined> {
  return db
    .selectFrom('photo_id_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('document_photo_id', 'is not', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .executeTakeFirst();
}

/** Every evidence id a photo ID check holds: the document photo, the video and the frames. */
export function evidenceIdsOf(check: PhotoIdCheck): string[] {
  const frames = Array.isArray(check.frame_ids)
    ? check.frame_ids.filter((f): f is string => typeof f === 'string')
    : [];
  return [check.document_photo_id, check.video_id, ...frames].filter((id): id is string => Boolean(id));
}

/** What the checker decided, kept in photo_id_checks.decision.review beside the automated decision. */
export interface PhotoIdReviewRecord {
  outcome: 'approved' | 'rejected';
  /** The reason's value from the fixed list, and its words. */
  reason: string;
  reasonText: string;
  /** For a rejection: the words the person was emailed (and sees on their account). */
  personText?: string;
  note: string | null;
  staffId: string;
  decidedAt: string;
}

export interface PhotoIdDecisionInput {
  idCheckId: string;
  photoIdCheckId: string;
  accountId: string;
  review: PhotoIdReviewRecord;
}

export type PhotoIdDecisionOutcome =
  | { ok: true; attemptId?: string }
  /** Another checker decided the item first (or the check is no longer waiting for one): nothing changed. */
  | { ok: false; reason: 'already-decided' }
  /** The account no longer stands on the record the evidence was about (rebound, suspended, gone): nothing changed. */
  | { ok: false; reason: 'record-changed' };

class Refused extends Error {
  constructor(readonly reason: 'already-decided' | 'record-changed') {
    super(reason);
  }
}

async function closeItem(
  trx: Db,
  input: PhotoIdDecisionInput,
  status: 'approved' | 'rejected',
  decidedAt: Date,
): Promise<void> {
  const item = await trx
    .updateTable('id_checks')
    .set({
      status,
      decided_by: input.review.staffId,
      decided_at: decidedAt,
      decision_reason: input.review.reason,
      note: input.review.note,
    })
    .where('id', '=', input.idCheckId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  if (Number(item.numUpdatedRows) !== 1) throw new Refused('already-decided');
  const check = await trx
    .updateTable('photo_id_checks')
    .set({
      status,
      decided_at: decidedAt,
      decision: sql<string>`coalesce(decision, '{}'::jsonb) || jsonb_build_object('review', ${JSON.stringify(input.review)}::jsonb)`,
      updated_at: decidedAt,
    })
    .where('id', '=', input.photoIdCheckId)
    .where('account_id', '=', input.accountId)
    .where('status', '=', 'referred')
    .executeTakeFirst();
  if (Number(check.numUpdatedRows) !== 1) throw new Refused('already-decided');
}

async function decideOnce(
  db: Db,
  work: (trx: Db) => Promise<string | undefined>,
): Promise<PhotoIdDecisionOutcome> {
  try {
    const attemptId = await db.transaction().execute(work);
    return attemptId ? { ok: true, attemptId } : { ok: true };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, reason: error.reason };
    throw error;
  }
}

/**
 * Approves a referred photo ID check: closes the queue item and the check,
 * and raises the account to P9 with its evidence row, all or nothing. The
 * raise is raiseToP9's (src/store/accounts.ts), made inside this transaction
 * (Kysely cannot nest one): only while the account is still bound to
 * `nhsNumberHash` and its level is not suspended.
 */
export async function approvePhotoIdCheck(
  db: Db,
  input: PhotoIdDecisionInput & {
    nhsNumberHash: string;
    attempt: { outcome: string; evidence: Record<string, unknown> };
  },
): Promise<PhotoIdDecisionOutcome> {
  return decideOnce(db, async (trx) => {
    const decidedAt = new Date(input.review.decidedAt);
    await closeItem(trx, input, 'approved', decidedAt);
    const raised = await trx
      .updateTable('accounts')
      .set({ proofing_level: 'P9', updated_at: decidedAt })
      .where('id', '=', input.accountId)
      .where('nhs_number_hash', '=', input.nhsNumberHash)
      .where('proofing_suspended_at', 'is', null)
      .executeTakeFirst();
    if (Number(raised.numUpdatedRows) !== 1) throw new Refused('record-changed');
    const attemptId = randomUUID();
    await trx
      .insertInto('proofing_attempts')
      .values({
        id: attemptId,
        account_id: input.accountId,
        route: 'photo-id',
        outcome: input.attempt.outcome,
        level_given: 'P9',
        evidence: JSON.stringify(input.attempt.evidence),
      })
      .execute();
    return attemptId;
  });
}

/** Rejects a referred photo ID check: closes the queue item and the check; the level is unchanged. */
export async function rejectPhotoIdCheck(
  db: Db,
  input: PhotoIdDecisionInput,
): Promise<PhotoIdDecisionOutcome> {
  return decideOnce(db, async (trx) => {
    await closeItem(trx, input, 'rejected', new Date(input.review.decidedAt));
    return undefined;
  });
}
