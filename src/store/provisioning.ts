// Provisioning requests (0008): an account provisioned for a person whose
// photo ID an organisation checked face to face. One place writes them, for
// the back office page and the Provision Account API alike.
//
// The checks and the write happen in one transaction, under a lock named by
// the NHS number's lookup hash, so two requests for the same person cannot
// both pass the 7-day pending rule. 'create' stores the request pending with
// the claim token's hash (the token goes only into the email). 'uplift'
// raises the NHS login already bound to the number with raiseToP9 (its own
// transaction, which refuses if the account changed meanwhile) and records
// the request as applied.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { decideProvision, type ProvisionDetails, type ProvisionError } from '../domain/provisioning.js';
import { raiseToP9 } from './accounts.js';
import type { Db } from './db.js';
import type { Sealer } from './encryption.js';
import { CLAIM_EXPIRY_DAYS, newClaimToken } from './provisioning-token.js';
import type { ProvisioningRequest } from './schema.js';

export type Requester = { staffId: string } | { clientId: string };

/** What was checked face to face, stored as the request's evidence. */
export interface ProvisionEvidence {
  /** The photo ID's kind (photo-id.ts), or null when the organisation attested through the API. */
  document: string | null;
  /** The last four characters of its number, or null. */
  lastFour: string | null;
  /** The staff member's id or the client's id. */
  checkedBy: string;
  /** ISO date-time. */
  checkedAt: string;
  /** The GPG45 record and decision (domain/provisioning.ts inPersonGpg45). */
  gpg45: Record<string, unknown>;
  /** How it was checked: 'photo-id' (in the back office) or 'organisation-attested' (the API). */
  method: 'photo-id' | 'organisation-attested';
  /** The photo ID's expiry as staff found it (photo-id only). */
  expiry?: string;
}

export type ProvisionResult =
  | { ok: true; outcome: 'create'; requestId: string; claimToken: string; expiresAt: Date }
  | {
      ok: true;
      outcome: 'uplift';
      requestId: string;
      accountId: string;
      /** Where the uplifted account's owner is told. */
      accountEmail: string;
      attemptId: string;
    }
  | { ok: false; error: ProvisionError };

const DAY_MS = 24 * 60 * 60 * 1000;

export async function provisionAccount(
  db: Db,
  sealer: Sealer,
  input: { details: ProvisionDetails; requester: Requester; evidence: ProvisionEvidence },
  now = new Date(),
): Promise<ProvisionResult> {
  const { details, requester, evidence } = input;
  const nhsNumberHash = sealer.lookupHash(details.nhsNumber);
  const row = {
    ods_code: details.odsCode,
    requested_by_staff: 'staffId' in requester ? requester.staffId : null,
    requested_by_client: 'clientId' in requester ? requester.clientId : null,
    nhs_number: sealer.seal(details.nhsNumber),
    nhs_number_hash: nhsNumberHash,
    email: details.email.toLowerCase(),
    phone_number: details.phoneNumber,
    birth_date: details.birthDate,
  };

  const decided = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`provisioning:${nhsNumberHash}`}))`.execute(trx);
    const holder = await trx
      .selectFrom('accounts')
      .select(['id', 'proofing_level', 'email'])
      .where('nhs_number_hash', '=', nhsNumberHash)
      .executeTakeFirst();
    const emailOwner = await trx
      .selectFrom('accounts')
      .select('id')
      .where(sql<string>`lower(email)`, '=', row.email)
      .executeTakeFirst();
    const pending = await trx
      .selectFrom('provisioning_requests')
      .select('id')
      .where('nhs_number_hash', '=', nhsNumberHash)
      .where('status', '=', 'pending')
      .where('created_at', '>', new Date(now.getTime() - CLAIM_EXPIRY_DAYS * DAY_MS))
      .executeTakeFirst();
    const decision = decideProvision({
      ...(holder ? { holder: { id: holder.id, level: holder.proofing_level, email: holder.email } } : {}),
      ...(emailOwner ? { emailOwnerId: emailOwner.id } : {}),
      pendingRecently: pending !== undefined,
    });
    if (!decision.ok || decision.outcome === 'uplift') return { decision, holderEmail: holder?.email };

    const { token, hash } = newClaimToken();
    const expiresAt = new Date(now.getTime() + CLAIM_EXPIRY_DAYS * DAY_MS);
    const id = randomUUID();
    await trx
      .insertInto('provisioning_requests')
      .values({
        id,
        ...row,
        outcome: 'create',
        status: 'pending',
        claim_token_hash: hash,
        claim_expires_at: expiresAt,
        evidence: JSON.stringify(evidence),
      })
      .execute();
    return { decision, created: { id, token, expiresAt } };
  });

  const { decision } = decided;
  if (!decision.ok) return { ok: false, error: decision.error };
  if (decision.outcome === 'create') {
    const created = decided.created!;
    return {
      ok: true,
      outcome: 'create',
      requestId: created.id,
      claimToken: created.token,
      expiresAt: created.expiresAt,
    };
  }

  const id = randomUUID();
  const raised = await raiseToP9(db, decision.accountId, nhsNumberHash, {
    route: 'in-person',
    outcome: 'uplifted',
    evidence: { ...evidence, requestId: id, odsCode: details.odsCode },
  });
  // The account was rebound, erased or suspended between the check and the raise.
  if (!raised.ok) return { ok: false, error: 'suspended' };
  await db
    .insertInto('provisioning_requests')
    .values({
      id,
      ...row,
      outcome: 'uplift',
      status: 'applied',
      account_id: decision.accountId,
      evidence: JSON.stringify({ ...evidence, attemptId: raised.attemptId }),
    })
    .execute();
  return {
    ok: true,
    outcome: 'uplift',
    requestId: id,
    accountId: decision.accountId,
    accountEmail: decided.holderEmail ?? row.email,
    attemptId: raised.attemptId,
  };
}

export async function findProvisioningRequest(db: Db, id: string): Promise<ProvisioningRequest | undefined> {
  return db.selectFrom('provisioning_requests').selectAll().where('id', '=', id).executeTakeFirst();
}
