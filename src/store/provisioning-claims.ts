// Claiming an account provisioned in person (0008, outcome 'create'): the
// person follows the emailed link, and the claim journey reads the request,
// cancels it when it can no longer succeed, and at the end creates the P9
// account in one transaction with its evidence row and the request marked
// claimed. A request is claimed once: the row is locked and its status
// guarded, so two tabs racing create one account at most.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { Account, ProvisioningRequest } from './schema.js';

export type { ProvisioningRequest };

/** Why a link cannot be used (the person is told the same words for each). */
export type ClaimLinkProblem = 'unknown' | 'used' | 'cancelled' | 'expired';

/** The request a claim token names, whatever its status; undefined when no request has it. */
export async function findRequestByTokenHash(
  db: Db,
  tokenHash: string,
): Promise<ProvisioningRequest | undefined> {
  return db
    .selectFrom('provisioning_requests')
    .selectAll()
    .where('claim_token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function findRequestById(db: Db, id: string): Promise<ProvisioningRequest | undefined> {
  return db.selectFrom('provisioning_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Whether the request can still be claimed now, or why not. */
export function claimProblem(
  request: ProvisioningRequest | undefined,
  now: Date = new Date(),
): ClaimLinkProblem | undefined {
  if (!request || request.outcome !== 'create' || !request.claim_token_hash) return 'unknown';
  if (request.status === 'claimed' || request.status === 'applied') return 'used';
  if (request.status === 'cancelled') return 'cancelled';
  if (request.status === 'expired') return 'expired';
  if (!request.claim_expires_at || new Date(request.claim_expires_at).getTime() <= now.getTime())
    return 'expired';
  return undefined;
}

/** Cancels a pending request (the person must ask the practice again). False when it was not pending. */
export async function cancelClaim(db: Db, id: string): Promise<boolean> {
  const r = await db
    .updateTable('provisioning_requests')
    .set({ status: 'cancelled' })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The account holding any of these NHS number lookup hashes, if one does. */
export async function accountHoldingNhsNumber(
  db: Db,
  hashes: readonly string[],
): Promise<string | undefined> {
  if (hashes.length === 0) return undefined;
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('nhs_number_hash', 'in', [...hashes])
    .executeTakeFirst();
  return row?.id;
}

/** What the claim puts on the new account, from the request and the national record read just now. */
export interface ClaimedAccount {
  requestId: string;
  passwordHash: string;
  /** The record's current NHS number, sealed, and its lookup hash. */
  sealedNhsNumber: string;
  nhsNumberHash: string;
  /** Lookup hashes of every number of the record (current, superseded, the request's): another account holding one holds this person. */
  recordHashes: readonly string[];
  familyName: string | null;
  givenName: string | null;
  birthdate: string;
  gpOdsCode: string | null;
  phoneMatched: boolean;
  /** Evidence row (the request's evidence, with its GPG45 decision, and what the claim checked). */
  evidence: Record<string, unknown>;
}

export type ClaimOutcome =
  | { ok: true; account: Account; attemptId: string; request: ProvisioningRequest }
  /** Claimed (another tab), cancelled or expired meanwhile: nothing was created. */
  | { ok: false; reason: 'not-claimable' }
  /** Another account took the NHS number or the email: nothing was created, and the request is cancelled. */
  | { ok: false; reason: 'nhs-number-in-use' | 'email-in-use'; ownerId: string | undefined };

class NotClaimable extends Error {}

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === '23505';
}

/**
 * Creates the P9 account from a pending request, in one transaction: the
 * account (email and phone verified, the NHS number sealed with its hash, the
 * names, date of birth and GP practice from the record), its proofing_attempts
 * row (route 'in-person', outcome 'claimed', P9), and the request marked
 * claimed. A request no longer pending (or expired) creates nothing; an NHS
 * number or email another account holds creates nothing and cancels the
 * request, whether seen first or settled by the unique indexes in a race.
 */
export async function completeClaim(db: Db, claim: ClaimedAccount, now = new Date()): Promise<ClaimOutcome> {
  const hashes = [...new Set([claim.nhsNumberHash, ...claim.recordHashes])];
  let email: string | undefined;
  try {
    const outcome = await db.transaction().execute(async (trx): Promise<ClaimOutcome> => {
      const request = await trx
        .selectFrom('provisioning_requests')
        .selectAll()
        .where('id', '=', claim.requestId)
        .forUpdate()
        .executeTakeFirst();
      if (claimProblem(request, now) || !request || request.status !== 'pending')
        return { ok: false, reason: 'not-claimable' };
      email = request.email;
      const numberOwner = await trx
        .selectFrom('accounts')
        .select('id')
        .where('nhs_number_hash', 'in', hashes)
        .executeTakeFirst();
      if (numberOwner) return { ok: false, reason: 'nhs-number-in-use', ownerId: numberOwner.id };
      const emailOwner = await trx
        .selectFrom('accounts')
        .select('id')
        .where(sql<string>`lower(email)`, '=', request.email.toLowerCase())
        .executeTakeFirst();
      if (emailOwner) return { ok: false, reason: 'email-in-use', ownerId: emailOwner.id };

      const account = await trx
        .insertInto('accounts')
        .values({
          id: randomUUID(),
          email: request.email,
          password_hash: claim.passwordHash,
          phone_number: request.phone_number,
          phone_number_verified: true,
          phone_number_pds_matched: claim.phoneMatched,
          proofing_level: 'P9',
          nhs_number: claim.sealedNhsNumber,
          nhs_number_hash: claim.nhsNumberHash,
          family_name: claim.familyName,
          given_name: claim.givenName,
          birthdate: claim.birthdate,
          gp_ods_code: claim.gpOdsCode,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const attemptId = randomUUID();
      await trx
        .insertInto('proofing_attempts')
        .values({
          id: attemptId,
          account_id: account.id,
          route: 'in-person',
          outcome: 'claimed',
          level_given: 'P9',
          evidence: JSON.stringify(claim.evidence),
        })
        .execute();
      const marked = await trx
        .updateTable('provisioning_requests')
        .set({ status: 'claimed', account_id: account.id, claimed_at: now })
        .where('id', '=', claim.requestId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      // The row is locked, so this holds; if it ever did not, nothing of this claim may stay.
      if (Number(marked.numUpdatedRows) !== 1) throw new NotClaimable();
      return {
        ok: true,
        account,
        attemptId,
        request: { ...request, status: 'claimed', account_id: account.id, claimed_at: now },
      };
    });
    if (!outcome.ok && outcome.reason !== 'not-claimable') await cancelClaim(db, claim.requestId);
    return outcome;
  } catch (e) {
    if (e instanceof NotClaimable) return { ok: false, reason: 'not-claimable' };
    if (!isUniqueViolation(e)) throw e;
    // Another account took the number or the email between our look and our insert: the index decided.
    await cancelClaim(db, claim.requestId);
    const numberOwner = await accountHoldingNhsNumber(db, hashes);
    if (numberOwner) return { ok: false, reason: 'nhs-number-in-use', ownerId: numberOwner };
    const emailOwner = email
      ? await db
          .selectFrom('accounts')
          .select('id')
          .where(sql<string>`lower(email)`, '=', email.toLowerCase())
          .executeTakeFirst()
      : undefined;
    return { ok: false, reason: 'email-in-use', ownerId: emailOwner?.id };
  }
}
