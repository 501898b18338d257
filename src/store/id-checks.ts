// The ID checker queue (0006): items a person reviews in the back office.
// The proving journeys flag fraud signals here as they audit them; an ID
// checker decides each once, with a reason from a fixed list.
import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';
import type { IdCheck, IdCheckSignal, IdCheckStatus } from './schema.js';

export type { IdCheck, IdCheckSignal, IdCheckStatus };

export interface FraudSignalFlag {
  accountId: string;
  signal: IdCheckSignal;
  proofingAttemptId?: string | undefined;
  /** What the checker needs: route, outcome, GPG45 decision, the other account's id. Never an NHS number or key. */
  summary: Record<string, unknown>;
}

/**
 * Puts a fraud signal in the queue. A person hitting the proving limit keeps
 * hitting it on every try, so that signal is flagged once while an item for
 * it is still open. Returns the new item's id, or undefined when none was made.
 */
export async function flagFraudSignal(db: Db, flag: FraudSignalFlag): Promise<string | undefined> {
  if (flag.signal === 'too-many-attempts') {
    const open = await db
      .selectFrom('id_checks')
      .select('id')
      .where('account_id', '=', flag.accountId)
      .where('signal', '=', flag.signal)
      .where('status', '=', 'open')
      .executeTakeFirst();
    if (open) return undefined;
  }
  const id = randomUUID();
  await db
    .insertInto('id_checks')
    .values({
      id,
      account_id: flag.accountId,
      proofing_attempt_id: flag.proofingAttemptId ?? null,
      kind: 'fraud-signal',
      signal: flag.signal,
      summary: JSON.stringify(flag.summary),
    })
    .execute();
  return id;
}

export interface IdCheckRow extends IdCheck {
  gp_ods_code: string | null;
}

/**
 * Items in the queue, open ones oldest first (decided ones newest first).
 * `gpOdsCode` limits them to accounts registered at that organisation;
 * undefined sees all (the operator's own staff).
 */
export async function listIdChecks(
  db: Db,
  options: { state: 'open' | 'decided'; gpOdsCode: string | undefined; limit?: number },
): Promise<IdCheckRow[]> {
  let query = db
    .selectFrom('id_checks')
    .innerJoin('accounts', 'accounts.id', 'id_checks.account_id')
    .selectAll('id_checks')
    .select('accounts.gp_ods_code');
  query =
    options.state === 'open'
      ? query.where('id_checks.status', '=', 'open').orderBy('id_checks.created_at', 'asc')
      : query.where('id_checks.status', '<>', 'open').orderBy('id_checks.decided_at', 'desc');
  if (options.gpOdsCode !== undefined) query = query.where('accounts.gp_ods_code', '=', options.gpOdsCode);
  return query
    .orderBy('id_checks.id')
    .limit(options.limit ?? 200)
    .execute();
}

export async function findIdCheck(db: Db, id: string): Promise<IdCheck | undefined> {
  return db.selectFrom('id_checks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account's other items, newest first. */
export async function idChecksForAccount(db: Db, accountId: string, except?: string): Promise<IdCheck[]> {
  let query = db.selectFrom('id_checks').selectAll().where('account_id', '=', accountId);
  if (except) query = query.where('id', '<>', except);
  return query.orderBy('created_at', 'desc').orderBy('id').execute();
}

/** Decides an open item; false when it was decided already (someone else was first). */
export async function decideIdCheck(
  db: Db,
  id: string,
  decision: { status: Exclude<IdCheckStatus, 'open'>; staffId: string; reason: string; note: string | null },
): Promise<boolean> {
  const r = await db
    .updateTable('id_checks')
    .set({
      status: decision.status,
      decided_by: decision.staffId,
      decided_at: new Date(),
      decision_reason: decision.reason,
      note: decision.note,
    })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
