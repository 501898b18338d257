// Photo ID checks (0007): one row per check a person starts, filled in page
// by page (document kind, photo, details, video and frames), then decided.
// The ID checker's review reads the same rows (see the shapes in
// src/journeys/prove-identity/photo-id.ts). Fraud look-ups: the same document
// on another account (by its keyed hash), and the sealed portrait descriptors
// of other accounts' checks, for the journey to open and compare.
import { randomInt, randomUUID } from 'node:crypto';
import type { Db } from './db.js';
import type { PhotoIdCheck, PhotoIdCheckStatus } from './schema.js';

export type { PhotoIdCheck, PhotoIdCheckStatus };

/** Four random digits for the video, from a CSPRNG (they are what makes the video live). */
export function randomDigits(): string {
  return String(randomInt(0, 10_000)).padStart(4, '0');
}

/** Checks that stand for an identity: another account's check in one of these states is a fraud signal. */
export const STANDING_STATUSES: readonly PhotoIdCheckStatus[] = ['passed', 'approved', 'referred'];

/** The account's unfinished check, newest first (there should be one at most). */
export async function findStartedCheck(db: Db, accountId: string): Promise<PhotoIdCheck | undefined> {
  return db
    .selectFrom('photo_id_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', '=', 'started')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .executeTakeFirst();
}

/** The account's latest sent check (anything but started or abandoned). */
export async function findLatestSubmittedCheck(db: Db, accountId: string): Promise<PhotoIdCheck | undefined> {
  return db
    .selectFrom('photo_id_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', 'not in', ['started', 'abandoned'])
    .orderBy('submitted_at', 'desc')
    .orderBy('id')
    .executeTakeFirst();
}

export async function findPhotoIdCheck(db: Db, id: string): Promise<PhotoIdCheck | undefined> {
  return db.selectFrom('photo_id_checks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Starts a check with a document kind and fresh digits; any unfinished one is abandoned. */
export async function startCheck(db: Db, accountId: string, documentKind: string): Promise<PhotoIdCheck> {
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('photo_id_checks')
      .set({ status: 'abandoned', updated_at: new Date() })
      .where('account_id', '=', accountId)
      .where('status', '=', 'started')
      .execute();
    return trx
      .insertInto('photo_id_checks')
      .values({
        id: randomUUID(),
        account_id: accountId,
        document_kind: documentKind,
        digits: randomDigits(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export interface CheckUpdate {
  document_kind?: string;
  document?: Record<string, unknown> | null;
  document_number_hash?: string | null;
  document_photo_id?: string | null;
  video_id?: string | null;
  frame_ids?: string[];
  digits?: string;
}

/** Updates an unfinished check; false when it is no longer 'started' (sent meanwhile). */
export async function updateStartedCheck(db: Db, id: string, patch: CheckUpdate): Promise<boolean> {
  const { document, frame_ids, ...rest } = patch;
  const r = await db
    .updateTable('photo_id_checks')
    .set({
      ...rest,
      ...(document !== undefined ? { document: document === null ? null : JSON.stringify(document) } : {}),
      ...(frame_ids !== undefined ? { frame_ids: JSON.stringify(frame_ids) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .where('status', '=', 'started')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Sends a started check: its outcome, decision, the sealed portrait
 * descriptor, and the proofing attempt it became. Only a started check can be
 * sent, once (a double submit finds nothing to send: false).
 */
export async function submitCheck(
  db: Db,
  id: string,
  result: {
    status: Exclude<PhotoIdCheckStatus, 'started' | 'abandoned'>;
    decision: Record<string, unknown>;
    faceDescriptor: string | null;
    askedForReview: boolean;
    proofingAttemptId: string | null;
  },
): Promise<boolean> {
  const now = new Date();
  const r = await db
    .updateTable('photo_id_checks')
    .set({
      status: result.status,
      decision: JSON.stringify(result.decision),
      face_descriptor: result.faceDescriptor,
      asked_for_review: result.askedForReview,
      proofing_attempt_id: result.proofingAttemptId,
      submitted_at: now,
      ...(result.status === 'referred' ? {} : { decided_at: now }),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'started')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Marks a check as sent before the slow work (face comparison), so a second submit cannot decide it twice. */
export async function claimStartedCheck(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('photo_id_checks')
    .set({ submitted_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'started')
    .where('submitted_at', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Lets a claimed check be sent again (the face comparison or PDS was unavailable: nothing was decided). */
export async function releaseStartedCheck(db: Db, id: string): Promise<void> {
  await db
    .updateTable('photo_id_checks')
    .set({ submitted_at: null, updated_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'started')
    .execute();
}

/** Another account's standing check with the same document, if any. */
export async function findDocumentElsewhere(
  db: Db,
  documentNumberHash: string,
  accountId: string,
): Promise<{ id: string; account_id: string } | undefined> {
  return db
    .selectFrom('photo_id_checks')
    .select(['id', 'account_id'])
    .where('document_number_hash', '=', documentNumberHash)
    .where('account_id', '!=', accountId)
    .where('status', 'in', STANDING_STATUSES)
    .orderBy('created_at')
    .executeTakeFirst();
}

/**
 * Every other account's standing check with a sealed portrait descriptor, for
 * a linear comparison. This is fine for thousands of checks (opening and
 * comparing 128 numbers is microseconds each); at hundreds of thousands it
 * stops scaling, and the descriptors belong in a vector index (pgvector with
 * an HNSW index over descriptors sealed per row is not possible: it needs
 * them in clear, so that is a decision about encryption as much as speed).
 */
export async function otherFaceDescriptors(
  db: Db,
  accountId: string,
): Promise<{ id: string; account_id: string; face_descriptor: string }[]> {
  const rows = await db
    .selectFrom('photo_id_checks')
    .select(['id', 'account_id', 'face_descriptor'])
    .where('account_id', '!=', accountId)
    .where('status', 'in', STANDING_STATUSES)
    .where('face_descriptor', 'is not', null)
    .execute();
  return rows.flatMap((row) =>
    row.face_descriptor ? [{ ...row, face_descriptor: row.face_descriptor }] : [],
  );
}

/** Puts a photo ID check in the ID checker queue (kind 'photo-id'), or a document/face fraud signal about one. */
export async function queuePhotoIdCheck(
  db: Db,
  item: {
    accountId: string;
    photoIdCheckId: string;
    proofingAttemptId: string | null;
    signal?: 'document-in-use' | 'face-in-use';
    summary: Record<string, unknown>;
  },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('id_checks')
    .values({
      id,
      account_id: item.accountId,
      proofing_attempt_id: item.proofingAttemptId,
      kind: item.signal ? 'fraud-signal' : 'photo-id',
      signal: item.signal ?? null,
      summary: JSON.stringify(item.summary),
      photo_id_check_id: item.photoIdCheckId,
    })
    .execute();
  return id;
}
