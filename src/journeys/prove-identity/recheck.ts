// The re-check at sign-in: a person at P5 or P9 has their NHS number read
// from the national record (PDS) once as each sign-in finishes. A record that
// no longer supports the level (the number merged into another, the person
// recorded as having died, or their name or date of birth no longer the ones
// proved) suspends the level until they prove it again. PDS being unreachable
// decides nothing: the stored level stands, and it is audited. Nor does a
// number PDS does not know (never issued, or a record invalidated): that says
// nothing about who the person is, so the level stands and it is audited for
// support to look into (set SUSPEND_WHEN_NOT_FOUND to suspend instead).
import type { PdsReadResult } from '../../adapters/pds/index.js';
import { AUDIT_EVENTS } from '../../audit/events.js';
import { nameKey } from '../../domain/demographics-match.js';
import type { ProofingLevel } from '../../domain/vectors-of-trust.js';
import {
  findAccountById,
  suspendProofingLevel,
  updateAccount,
  type Account,
  type SuspensionReason,
} from '../../store/accounts.js';
import type { JourneyDeps } from '../deps.js';

export type RecheckDeps = Pick<JourneyDeps, 'db' | 'sealer' | 'audit' | 'demographics'>;

/** Whether a number PDS does not know suspends the level (see above). */
export const SUSPEND_WHEN_NOT_FOUND = false;

/** What the record says about the level: 'holds', or why it must be suspended. */
export type RecheckVerdict = 'holds' | SuspensionReason;

/**
 * The verdict on a stored account from a PDS read of its NHS number. Names
 * compare as proving compares them (case, accents, spaces, hyphens and
 * apostrophes aside); what the account does not hold is not compared.
 */
export function recheckVerdict(
  stored: Pick<Account, 'family_name' | 'given_name' | 'birthdate'>,
  read: PdsReadResult,
): RecheckVerdict {
  if (read.kind === 'not-found') return 'not-found';
  if (read.kind === 'superseded') return 'superseded';
  const record = read.patient;
  if (record.deceased) return 'deceased';
  if (stored.birthdate && record.birthDate !== stored.birthdate) return 'details-changed';
  if (stored.family_name && nameKey(record.familyName ?? '') !== nameKey(stored.family_name))
    return 'details-changed';
  if (stored.given_name) {
    const given = nameKey(stored.given_name);
    const first = nameKey(record.givenNames[0] ?? '');
    const all = nameKey(record.givenNames.join(' '));
    if (given === '' || (given !== first && given !== all)) return 'details-changed';
  }
  return 'holds';
}

/**
 * Re-checks the account against PDS and returns its level afterwards (P0
 * when suspended). One PDS read, and only for a P5 or P9 account with an NHS
 * number; anyone else costs nothing.
 */
export async function recheckDemographics(
  deps: RecheckDeps,
  accountId: string,
  context: { ip?: string | undefined; clientId?: string | undefined },
  /** The account as the caller has just read it, if it has: saves reading it again. */
  known?: Account,
): Promise<ProofingLevel> {
  const account = known?.id === accountId ? known : await findAccountById(deps.db, accountId);
  if (!account) return 'P0';
  if (account.proofing_level === 'P0' || !account.nhs_number) return account.proofing_level;
  const nhsNumber = deps.sealer.open(account.nhs_number);
  let read;
  try {
    read = await deps.demographics.read(nhsNumber);
  } catch {
    // An adapter bug is still not a verdict on the person.
    read = { ok: false as const, error: { kind: 'unavailable' as const, reason: 'bad-response' as const } };
  }
  if (!read.ok) {
    await deps.audit.record({
      code: AUDIT_EVENTS.PROOFING_RECHECK_UNAVAILABLE,
      accountId,
      clientId: context.clientId,
      ip: context.ip,
      details: { kind: read.error.kind, reason: read.error.reason, level: account.proofing_level },
    });
    return account.proofing_level;
  }
  const verdict = recheckVerdict(account, read.value);
  if (verdict === 'not-found' && !SUSPEND_WHEN_NOT_FOUND) {
    await deps.audit.record({
      code: AUDIT_EVENTS.PROOFING_RECHECK_NOT_FOUND,
      accountId,
      clientId: context.clientId,
      ip: context.ip,
      details: { level: account.proofing_level },
    });
    return account.proofing_level;
  }
  if (verdict === 'holds') {
    // Keep the registered practice current (people change surgery; PDS withholds it for restricted records).
    const gp = read.value.kind === 'found' ? read.value.patient.gpOdsCode : undefined;
    if (gp && gp !== account.gp_ods_code) await updateAccount(deps.db, accountId, { gp_ods_code: gp });
    return account.proofing_level;
  }
  if (await suspendProofingLevel(deps.db, accountId, verdict)) {
    const versionId = read.value.kind === 'not-found' ? undefined : read.value.patient.versionId;
    await deps.audit.record({
      code: AUDIT_EVENTS.PROOFING_LEVEL_SUSPENDED,
      accountId,
      clientId: context.clientId,
      ip: context.ip,
      details: {
        reason: verdict,
        level: account.proofing_level,
        during: 'sign-in',
        ...(versionId ? { pdsVersion: versionId } : {}),
        // A sign-in by someone the national record says has died.
        ...(verdict === 'deceased' ? { fraudSignal: true } : {}),
      },
    });
  }
  return 'P0';
}
