// Patient accounts: the one place that reads and writes the accounts table.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { levelAtLeast, type ProofingLevel } from '../domain/vectors-of-trust.js';
import type { Db } from './db.js';
import type {
  Account,
  AccountUpdate,
  NewAccount,
  ProofingAttempt,
  ProofingRoute,
  SuspensionReason,
} from './schema.js';

export type { Account, ProofingAttempt, SuspensionReason };

export async function findAccountById(db: Db, id: string): Promise<Account | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findAccountByEmail(db: Db, email: string): Promise<Account | undefined> {
  // Sign-in passes the typed address as it came; stored addresses never hold a
  // NUL (Postgres text cannot), and querying with one fails with a 500.
  if (email.includes('\u0000')) return undefined;
  return db
    .selectFrom('accounts')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

/**
 * The Users API search: accounts whose NHS number (by its lookup hash; P5 and
 * P9 only, where the number has been matched) or email is one of those given.
 * `testPeopleOnly` limits a sandpit supplier to the seeded test people.
 */
export async function findAccountsByNhsNumberOrEmail(
  db: Db,
  search: { nhsNumberHashes: string[]; emails: string[]; testPeopleOnly: boolean },
): Promise<Account[]> {
  const emails = search.emails.map((e) => e.toLowerCase());
  if (!search.nhsNumberHashes.length && !emails.length) return [];
  let query = db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) =>
      eb.or([
        ...(search.nhsNumberHashes.length
          ? [eb.and([eb('nhs_number_hash', 'in', search.nhsNumberHashes), eb('proofing_level', '!=', 'P0')])]
          : []),
        ...(emails.length ? [eb(sql<string>`lower(email)`, 'in', emails)] : []),
      ]),
    );
  if (search.testPeopleOnly) query = query.where('test_person', '=', true);
  return query.orderBy('created_at').orderBy('id').execute();
}

export type CreateAccountInput = Omit<NewAccount, 'id' | 'created_at' | 'updated_at'>;

/**
 * Creates the account in one statement: either it exists complete, or not at all.
 * Returns undefined when the email (or NHS number) is already taken, which can
 * happen when two registrations for one mailbox race to the end.
 */
export async function createAccount(db: Db, input: CreateAccountInput): Promise<Account | undefined> {
  const row = await db
    .insertInto('accounts')
    .values({ ...input, id: randomUUID() })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row;
}

export async function updateAccount(db: Db, id: string, patch: AccountUpdate): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/**
 * Deletes the account and everything hanging off it. With `eraseDueBy`,
 * only an account whose scheduled erasure (erase_after) is due by then, so
 * that a person who cancels at the last moment keeps their account.
 * Returns whether an account was deleted.
 */
export async function deleteAccount(
  db: Db,
  id: string,
  options: { eraseDueBy?: Date } = {},
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    let query = trx.deleteFrom('accounts').where('id', '=', id);
    if (options.eraseDueBy) query = query.where('erase_after', '<=', options.eraseDueBy);
    const deleted = (await query.executeTakeFirst()).numDeletedRows > 0n;
    if (options.eraseDueBy && !deleted) return false;
    // The provider's grants and sessions for this person go too: nothing of theirs may outlive the account.
    await trx
      .deleteFrom('oidc_payloads')
      .where(sql<string>`payload->>'accountId'`, '=', id)
      .execute();
    return deleted;
  });
}

export async function recordServiceUsed(db: Db, accountId: string, clientId: string): Promise<void> {
  await db
    .insertInto('services_used')
    .values({ account_id: accountId, client_id: clientId })
    .onConflict((oc) => oc.columns(['account_id', 'client_id']).doUpdateSet({ last_used_at: new Date() }))
    .execute();
}

export async function listServicesUsed(
  db: Db,
  accountId: string,
): Promise<{ clientId: string; name: string; firstUsedAt: Date; lastUsedAt: Date }[]> {
  const rows = await db
    .selectFrom('services_used')
    .leftJoin('suppliers', 'suppliers.client_id', 'services_used.client_id')
    .select(['services_used.client_id', 'suppliers.name', 'first_used_at', 'last_used_at'])
    .where('account_id', '=', accountId)
    .orderBy('last_used_at', 'desc')
    .execute();
  return rows.map((r) => ({
    clientId: r.client_id,
    name: r.name ?? r.client_id,
    firstUsedAt: new Date(r.first_used_at),
    lastUsedAt: new Date(r.last_used_at),
  }));
}

// ---------------------------------------------------------------------------
// Proving identity: binding the national record, suspending a level, evidence

/** What a matched national (PDS) record puts on the account. */
export interface NationalRecordBinding {
  /** The record's current NHS number, sealed. */
  sealedNhsNumber: string;
  /** Lookup hash of the current NHS number (what is stored). */
  nhsNumberHash: string;
  /**
   * Lookup hashes of every number of this record: the current one and those
   * it superseded. Another account holding any of them holds this person.
   */
  recordHashes: readonly string[];
  familyName: string | null;
  givenName: string | null;
  birthdate: string | null;
  gpOdsCode: string | null;
  /** The account's mobile number is the one the record holds. */
  phoneMatched: boolean;
  /**
   * GP online services details that proved this record (P9 route 2), to
   * store for the gp_integration_credentials claim. Each set proves one
   * account only: another account holding the fingerprint refuses the bind.
   */
  gpLinkage?: {
    userId: string;
    /** The Linkage Key, sealed. */
    sealedLinkageKey: string;
    /** Keyed hash of the three details (unique). */
    fingerprint: string;
  };
}

export type BindOutcome =
  | { ok: true; level: ProofingLevel; restored: boolean; attemptId: string }
  /** Another account holds this record's NHS number: nothing was changed. */
  | { ok: false; reason: 'nhs-number-in-use'; ownerId: string }
  /** These GP online services details already proved another account: nothing was changed. */
  | { ok: false; reason: 'linkage-in-use'; ownerId: string }
  /** This account is bound to a different national record: nothing was changed. */
  | { ok: false; reason: 'different-record' }
  | { ok: false; reason: 'no-account' };

const higher = (a: ProofingLevel, b: ProofingLevel): ProofingLevel => (levelAtLeast(a, b) ? a : b);

export type RaiseOutcome =
  | { ok: true; attemptId: string }
  /** The account is no longer bound to the record the evidence was about (or is gone, or suspended). */
  | { ok: false; reason: 'record-changed' };

/**
 * Raises an account already bound to a national record to P9 on evidence
 * about that same record (a photo ID check passed or approved, an in-person
 * check), in one transaction with its evidence row. Refuses, changing
 * nothing, when the account's NHS number is no longer `nhsNumberHash` (it was
 * rebound or erased meanwhile) or its level is suspended: the evidence was
 * about a record this account no longer stands on.
 */
export async function raiseToP9(
  db: Db,
  accountId: string,
  nhsNumberHash: string,
  attempt: { route: ProofingRoute; outcome: string; evidence: Record<string, unknown> },
): Promise<RaiseOutcome> {
  return db.transaction().execute(async (trx): Promise<RaiseOutcome> => {
    const raised = await trx
      .updateTable('accounts')
      .set({ proofing_level: 'P9', updated_at: new Date() })
      .where('id', '=', accountId)
      .where('nhs_number_hash', '=', nhsNumberHash)
      .where('proofing_suspended_at', 'is', null)
      .executeTakeFirst();
    if (Number(raised.numUpdatedRows) !== 1) return { ok: false, reason: 'record-changed' };
    const attemptId = randomUUID();
    await trx
      .insertInto('proofing_attempts')
      .values({
        id: attemptId,
        account_id: accountId,
        route: attempt.route,
        outcome: attempt.outcome,
        level_given: 'P9',
        evidence: JSON.stringify(attempt.evidence),
      })
      .execute();
    return { ok: true, attemptId };
  });
}

/**
 * Binds a matched national record to the account, in one transaction: the NHS
 * number only if no other account holds any number of that record (the unique
 * nhs_number_hash index settles a race), the names, date of birth and GP
 * practice from the record, the level raised to `level` (never lowered; a
 * level suspended for this same record comes back), the suspension cleared,
 * and the evidence row written.
 */
export async function bindNationalRecord(
  db: Db,
  accountId: string,
  binding: NationalRecordBinding,
  attempt: { route: ProofingRoute; level: 'P5' | 'P9'; evidence: Record<string, unknown> },
): Promise<BindOutcome> {
  const hashes = [...new Set([binding.nhsNumberHash, ...binding.recordHashes])];
  try {
    return await db.transaction().execute(async (trx): Promise<BindOutcome> => {
      const me = await trx
        .selectFrom('accounts')
        .select(['id', 'proofing_level', 'nhs_number_hash', 'proofing_suspended_level'])
        .where('id', '=', accountId)
        .forUpdate()
        .executeTakeFirst();
      if (!me) return { ok: false, reason: 'no-account' };
      const sameRecord = me.nhs_number_hash !== null && hashes.includes(me.nhs_number_hash);
      if (binding.gpLinkage) {
        const holder = await trx
          .selectFrom('accounts')
          .select('id')
          .where('gp_linkage_fingerprint', '=', binding.gpLinkage.fingerprint)
          .where('id', '!=', accountId)
          .executeTakeFirst();
        if (holder) return { ok: false, reason: 'linkage-in-use', ownerId: holder.id };
      }
      if (me.nhs_number_hash !== null && !sameRecord) return { ok: false, reason: 'different-record' };
      const owner = await trx
        .selectFrom('accounts')
        .select('id')
        .where('nhs_number_hash', 'in', hashes)
        .where('id', '!=', accountId)
        .executeTakeFirst();
      if (owner) return { ok: false, reason: 'nhs-number-in-use', ownerId: owner.id };
      // A level suspended for this same record comes back; a different record never inherits one.
      const restored = sameRecord && me.proofing_suspended_level !== null;
      let level = higher(me.proofing_level, attempt.level);
      if (restored && me.proofing_suspended_level) level = higher(level, me.proofing_suspended_level);
      await trx
        .updateTable('accounts')
        .set({
          nhs_number: binding.sealedNhsNumber,
          nhs_number_hash: binding.nhsNumberHash,
          family_name: binding.familyName,
          given_name: binding.givenName,
          birthdate: binding.birthdate,
          gp_ods_code: binding.gpOdsCode,
          phone_number_pds_matched: binding.phoneMatched,
          ...(binding.gpLinkage
            ? {
                gp_user_id: binding.gpLinkage.userId,
                gp_linkage_key: binding.gpLinkage.sealedLinkageKey,
                gp_linkage_fingerprint: binding.gpLinkage.fingerprint,
              }
            : {}),
          proofing_level: level,
          proofing_suspended_at: null,
          proofing_suspended_reason: null,
          proofing_suspended_level: null,
          updated_at: new Date(),
        })
        .where('id', '=', accountId)
        .execute();
      const attemptId = randomUUID();
      await trx
        .insertInto('proofing_attempts')
        .values({
          id: attemptId,
          account_id: accountId,
          route: attempt.route,
          outcome: 'matched',
          level_given: attempt.level,
          evidence: JSON.stringify({ ...attempt.evidence, ...(restored ? { restoredLevel: level } : {}) }),
        })
        .execute();
      return { ok: true, level, restored, attemptId };
    });
  } catch (e) {
    // Two accounts racing for one number (or one set of GP details): the unique index decided.
    if (typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505') {
      if (binding.gpLinkage) {
        const holder = await db
          .selectFrom('accounts')
          .select('id')
          .where('gp_linkage_fingerprint', '=', binding.gpLinkage.fingerprint)
          .where('id', '!=', accountId)
          .executeTakeFirst();
        if (holder) return { ok: false, reason: 'linkage-in-use', ownerId: holder.id };
      }
      const owner = await db
        .selectFrom('accounts')
        .select('id')
        .where('nhs_number_hash', 'in', hashes)
        .where('id', '!=', accountId)
        .executeTakeFirst();
      if (owner) return { ok: false, reason: 'nhs-number-in-use', ownerId: owner.id };
    }
    throw e;
  }
}

/** Records a proofing decision that gave no level (a failed match, a number already in use). */
export async function recordProofingAttempt(
  db: Db,
  attempt: { accountId: string; route: ProofingRoute; outcome: string; evidence: Record<string, unknown> },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('proofing_attempts')
    .values({
      id,
      account_id: attempt.accountId,
      route: attempt.route,
      outcome: attempt.outcome,
      evidence: JSON.stringify(attempt.evidence),
    })
    .execute();
  return id;
}

/** The account's proofing decisions, newest first. */
export async function listProofingAttempts(db: Db, accountId: string): Promise<ProofingAttempt[]> {
  return db
    .selectFrom('proofing_attempts')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/**
 * Suspends the account's proofing level: it drops to P0 (so suppliers, the
 * Users API and the vectors-of-trust check see P0 at once) and the level held
 * is kept for when the person proves it again. The NHS number stays bound, so
 * no other account can take it meanwhile. False when there was no level to
 * suspend.
 */
export async function suspendProofingLevel(
  db: Db,
  accountId: string,
  reason: SuspensionReason,
): Promise<boolean> {
  const r = await db
    .updateTable('accounts')
    .set({
      proofing_suspended_level: sql<'P5' | 'P9'>`proofing_level`,
      proofing_level: 'P0',
      proofing_suspended_at: new Date(),
      proofing_suspended_reason: reason,
      updated_at: new Date(),
    })
    .where('id', '=', accountId)
    .where('proofing_level', '!=', 'P0')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
