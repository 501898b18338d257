// Business metrics without touching a journey: every sign-in, refusal, code
// sent and proving outcome is already recorded in the audit log under a
// stable code, so a decorator around the AuditLog counts them as they pass.
import { AUDIT_EVENTS, type AuditCode } from '../audit/events.js';
import type { AuditEntry, AuditLog } from '../audit/log.js';
import type { Metrics } from './registry.js';

const E = AUDIT_EVENTS;

const SIGN_IN_VIA: Partial<Record<AuditCode, string>> = {
  [E.SIGN_IN_COMPLETE]: 'credentials',
  [E.SIGN_IN_SSO]: 'sso',
  [E.SIGN_IN_ASSERTED_IDENTITY]: 'asserted-identity',
};

const SIGN_IN_FAILURE: Partial<Record<AuditCode, string>> = {
  [E.SIGN_IN_PASSWORD_FAILED]: 'password',
  [E.SIGN_IN_SECOND_FACTOR_FAILED]: 'second-factor',
  [E.SIGN_IN_LOCKED]: 'locked',
};

/** Proving outcomes; `route` is fixed for the photo ID events, which do not all carry one. */
const PROOFING: Partial<Record<AuditCode, { outcome: string; route?: string }>> = {
  [E.IDENTITY_PROVED]: { outcome: 'proved' },
  [E.PROOFING_MATCH_FAILED]: { outcome: 'no-match' },
  [E.PROOFING_DECEASED_MATCH]: { outcome: 'deceased-match' },
  [E.PROOFING_NHS_NUMBER_IN_USE]: { outcome: 'nhs-number-in-use' },
  [E.PROOFING_GP_LINKAGE_IN_USE]: { outcome: 'gp-linkage-in-use' },
  [E.PROOFING_LIMITED]: { outcome: 'limited' },
  [E.PROOFING_UNAVAILABLE]: { outcome: 'unavailable' },
  [E.PHOTO_ID_SUBMITTED]: { outcome: 'submitted', route: 'photo-id' },
  [E.PHOTO_ID_REFERRED]: { outcome: 'referred', route: 'photo-id' },
  [E.PHOTO_ID_FAILED]: { outcome: 'failed', route: 'photo-id' },
  [E.PHOTO_ID_DOCUMENT_IN_USE]: { outcome: 'document-in-use', route: 'photo-id' },
  [E.PHOTO_ID_FACE_IN_USE]: { outcome: 'face-in-use', route: 'photo-id' },
  [E.PHOTO_ID_APPROVED]: { outcome: 'approved', route: 'photo-id' },
  [E.PHOTO_ID_REJECTED]: { outcome: 'rejected', route: 'photo-id' },
};

const TOKEN_OUTCOME: Partial<Record<AuditCode, string>> = {
  [E.TOKEN_ISSUED]: 'issued',
  [E.TOKEN_REFRESHED]: 'refreshed',
  [E.TOKEN_EXCHANGED]: 'exchanged',
  [E.USERS_API_TOKEN_ISSUED]: 'users-api-issued',
  [E.CLIENT_AUTH_FAILED]: 'client-auth-failed',
  [E.CODE_REUSED]: 'code-reused',
  [E.TOKEN_EXCHANGE_REFUSED]: 'exchange-refused',
};

/**
 * A label value from an event's details. Details are written by our own code
 * but may carry free text; anything that is not a short slug becomes 'other'
 * so a label can never explode the number of series.
 */
function slug(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'unknown';
  return typeof value === 'string' && /^[a-z0-9][a-z0-9_.-]{0,39}$/i.test(value) ? value : 'other';
}

export function countEvent(metrics: Metrics, entry: AuditEntry): void {
  const { code } = entry;
  const details = entry.details ?? {};
  metrics.auditEvents.inc({ code });
  const via = SIGN_IN_VIA[code];
  if (via) metrics.signIns.inc({ via });
  const failure = SIGN_IN_FAILURE[code];
  if (failure) metrics.signInFailures.inc({ reason: failure });
  if (code === E.CODE_SENT) metrics.codesSent.inc({ channel: slug(details.channel) });
  const proofing = PROOFING[code];
  if (proofing)
    metrics.proofingOutcomes.inc({ route: proofing.route ?? slug(details.route), outcome: proofing.outcome });
  // The token endpoint's other refusals (invalid_grant and the like) share the authorization error code.
  const token =
    TOKEN_OUTCOME[code] ??
    (code === E.AUTHORIZATION_ERROR && details.endpoint === 'token' ? 'refused' : undefined);
  if (token) metrics.tokenRequests.inc({ outcome: token });
}

/** The audit log, counting each event it is given. Counting never fails a journey. */
export function countingAuditLog(inner: AuditLog, metrics: Metrics): AuditLog {
  return {
    async record(entry) {
      try {
        countEvent(metrics, entry);
      } catch {
        // A metric must never cost a security event its record.
      }
      await inner.record(entry);
    },
  };
}
