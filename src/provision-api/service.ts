// Provisioning an account in person, as one service for the two callers:
// practice staff in the back office (src/backoffice/in-person) and an
// authorised organisation's system through POST /provision-account
// (routes.ts). Both go through the same steps, so they answer alike:
//
//   1. the organisation's limit (provisionRequestsPerOrganisation, 11011),
//   2. the national record: the NHS number must be a living person's current
//      record whose date of birth is the one given (11012; PDS down 11014),
//   3. the store's checks and write in one transaction (already P9 11005,
//      pending in the last 7 days 11003, email in use 11004) with the GPG45
//      evidence record of the face-to-face check,
//   4. the email: the claim link for 'create', "you have proved who you are"
//      for 'uplift',
//   5. the audit log (never the NHS number, email, phone or claim token).
import type { FastifyBaseLogger } from 'fastify';
import type { Notifier } from '../adapters/notify/port.js';
import type { Demographics, PatientSummary } from '../adapters/pds/index.js';
import type { RateLimits } from '../adapters/rate-limits.js';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import {
  pdsMatches,
  type PdsFinding,
  type ProvisionDetails,
  type ProvisionError,
} from '../domain/provisioning.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { provisionAccount, type ProvisionEvidence, type Requester } from '../store/provisioning.js';
import { claimLink } from '../store/provisioning-token.js';

export interface ProvisionDeps {
  issuer: string;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  notifier: Notifier;
  limits: RateLimits;
  demographics: Demographics;
}

export type RecordCheck =
  | { ok: true; patient: PatientSummary }
  | { ok: false; error: 'notMatched' | 'pdsUnavailable'; reason: string };

/**
 * The national record of this NHS number, when it is a living person's
 * current record with this date of birth. The reason (for the audit log)
 * never goes back to the caller: every mismatch reads alike.
 */
export async function checkNationalRecord(
  demographics: Demographics,
  nhsNumber: string,
  birthDate: string,
  correlationId?: string,
): Promise<RecordCheck> {
  const read = await demographics.read(nhsNumber, correlationId ? { correlationId } : {});
  if (!read.ok) return { ok: false, error: 'pdsUnavailable', reason: read.error.kind };
  const r = read.value;
  const finding: PdsFinding =
    r.kind === 'found'
      ? {
          kind: 'found',
          birthDate: r.patient.birthDate,
          deceased: r.patient.deceased,
          gpOdsCode: r.patient.gpOdsCode,
        }
      : { kind: r.kind };
  if (r.kind !== 'found' || !pdsMatches(finding, birthDate)) {
    const reason = r.kind !== 'found' ? r.kind : r.patient.deceased ? 'deceased' : 'birth-date-differs';
    return { ok: false, error: 'notMatched', reason };
  }
  return { ok: true, patient: r.patient };
}

/** The UK date a link stops working, in words ("1 December 2026"). */
export function dateInWords(date: Date): string {
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/London',
  }).format(date);
}

export type ProvisionOutcome =
  | { ok: true; outcome: 'create'; requestId: string; expiresOn: string }
  | { ok: true; outcome: 'uplift'; requestId: string; accountId: string }
  | { ok: false; error: ProvisionError };

export interface ProvisionCall {
  details: ProvisionDetails;
  requester: Requester;
  /** What was checked face to face, with its GPG45 record; checkedBy and checkedAt are added. */
  evidence: Omit<ProvisionEvidence, 'checkedBy' | 'checkedAt'>;
  ip: string;
  log: FastifyBaseLogger;
  /** The national record already read for this request (the back office reads it first). */
  patient?: PatientSummary;
}

export async function provision(deps: ProvisionDeps, call: ProvisionCall): Promise<ProvisionOutcome> {
  const { details, requester } = call;
  const who = 'staffId' in requester ? { staffId: requester.staffId } : { clientId: requester.clientId };
  const refuse = async (error: ProvisionError, reason?: string): Promise<ProvisionOutcome> => {
    await deps.audit.record({
      code: AUDIT_EVENTS.PROVISION_REFUSED,
      ...('clientId' in requester ? { clientId: requester.clientId } : {}),
      ip: call.ip,
      details: { ...who, odsCode: details.odsCode, error, ...(reason ? { reason } : {}) },
    });
    return { ok: false, error };
  };

  // Every request counts, refused or not: the answers say whether a person has an NHS login.
  const limit = await deps.limits.hit('provisionRequestsPerOrganisation', details.odsCode);
  if (!limit.allowed) return refuse('tooMany');

  if (!call.patient) {
    const record = await checkNationalRecord(deps.demographics, details.nhsNumber, details.birthDate);
    if (!record.ok) return refuse(record.error, record.reason);
  }

  const checkedBy = 'staffId' in requester ? requester.staffId : requester.clientId;
  const result = await provisionAccount(deps.db, deps.sealer, {
    details,
    requester,
    evidence: { ...call.evidence, checkedBy, checkedAt: new Date().toISOString() },
  });
  if (!result.ok) return refuse(result.error);

  const send = async (message: Parameters<Notifier['send']>[0]) => {
    try {
      await deps.notifier.send(message);
    } catch (e) {
      call.log.warn({ err: e, type: message.type }, 'could not send the provisioning email');
    }
  };
  const expiresOn = result.outcome === 'create' ? dateInWords(result.expiresAt) : '';
  if (result.outcome === 'create') {
    await send({
      type: 'email-claim-account',
      to: details.email,
      link: claimLink(deps.issuer, result.claimToken),
      expiresOn,
    });
  } else {
    await send({ type: 'email-identity-proved', to: result.accountEmail, level: 'P9' });
  }
  await deps.audit.record({
    code: AUDIT_EVENTS.PROVISIONED,
    ...(result.outcome === 'uplift' ? { accountId: result.accountId } : {}),
    ...('clientId' in requester ? { clientId: requester.clientId } : {}),
    ip: call.ip,
    details: {
      ...who,
      requestId: result.requestId,
      outcome: result.outcome,
      odsCode: details.odsCode,
      ...(result.outcome === 'uplift' ? { attemptId: result.attemptId } : {}),
    },
  });
  return result.outcome === 'create'
    ? { ok: true, outcome: 'create', requestId: result.requestId, expiresOn }
    : { ok: true, outcome: 'uplift', requestId: result.requestId, accountId: result.accountId };
}
