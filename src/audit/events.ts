// The catalogue of security-relevant events. Codes are stable: dashboards,
// alerts and investigators search for them, so never rename one; add new
// codes instead. Details never hold passwords, codes, tokens or full NHS numbers.
export const AUDIT_EVENTS = {
  ACCOUNT_CREATED: 'A-ACCOUNT-CREATED',
  ACCOUNT_DELETED: 'A-ACCOUNT-DELETED',
  EMAIL_CHANGED: 'A-EMAIL-CHANGED',
  PASSWORD_CHANGED: 'A-PASSWORD-CHANGED',
  PASSWORD_RESET: 'A-PASSWORD-RESET',
  PHONE_CHANGED: 'A-PHONE-CHANGED',
  AUTHENTICATOR_APP_ADDED: 'A-TOTP-ADDED',
  AUTHENTICATOR_APP_REMOVED: 'A-TOTP-REMOVED',
  SIGN_IN_PASSWORD_OK: 'S-PASSWORD-OK',
  SIGN_IN_PASSWORD_FAILED: 'S-PASSWORD-FAILED',
  SIGN_IN_SECOND_FACTOR_OK: 'S-SECOND-FACTOR-OK',
  SIGN_IN_SECOND_FACTOR_FAILED: 'S-SECOND-FACTOR-FAILED',
  SIGN_IN_COMPLETE: 'S-SIGNED-IN',
  SIGN_IN_SSO: 'S-SSO',
  SIGN_IN_ASSERTED_IDENTITY: 'S-ASSERTED-IDENTITY',
  SIGN_IN_LOCKED: 'S-LOCKED',
  DEVICE_REMEMBERED: 'S-DEVICE-REMEMBERED',
  SIGNED_OUT: 'S-SIGNED-OUT',
  CODE_SENT: 'C-CODE-SENT',
  CODE_FAILED: 'C-CODE-FAILED',
  CODE_LIMIT_REACHED: 'C-CODE-LIMIT',
  TOKEN_ISSUED: 'T-TOKEN-ISSUED',
  TOKEN_REFRESHED: 'T-TOKEN-REFRESHED',
  CODE_REUSED: 'T-CODE-REUSED',
  CLIENT_AUTH_FAILED: 'T-CLIENT-AUTH-FAILED',
  AUTHORIZATION_ERROR: 'T-AUTHORIZE-ERROR',
  USERINFO_METADATA_CHANGED: 'T-METADATA-CHANGED',
  USERS_API_TOKEN_ISSUED: 'T-USERS-TOKEN',
  USERS_API_QUERY: 'T-USERS-QUERY',
  /** A delegate's token exchanged for one acting for the person who gave them access. */
  TOKEN_EXCHANGED: 'T-TOKEN-EXCHANGED',
  TOKEN_EXCHANGE_REFUSED: 'T-EXCHANGE-REFUSED',
  // Delegated access set up by the person (src/journeys/delegate): an invitation sent (details.delegationId,
  // permissions; never the link), accepted or declined by the invitee, ended by either person
  // (details.by), its permissions or end date changed (details.before, after); an invitee whose proven
  // name or date of birth did not match the invitation was refused (details.delegationId, mismatch).
  DELEGATION_INVITED: 'D-INVITED',
  DELEGATION_ACCEPTED: 'D-ACCEPTED',
  DELEGATION_DECLINED: 'D-DECLINED',
  DELEGATION_REVOKED: 'D-REVOKED',
  DELEGATION_CHANGED: 'D-CHANGED',
  DELEGATION_MISMATCH: 'D-IDENTITY-MISMATCH',
  SUPPLIER_REGISTERED: 'O-SUPPLIER-REGISTERED',
  SUPPLIER_CHANGED: 'O-SUPPLIER-CHANGED',
  SUPPLIER_REMOVED: 'O-SUPPLIER-REMOVED',
  SIGNING_KEY_ROTATED: 'O-KEY-ROTATED',
  STAFF_INVITED: 'B-STAFF-INVITED',
  STAFF_SET_UP: 'B-STAFF-SET-UP',
  STAFF_SIGNED_IN: 'B-STAFF-SIGNED-IN',
  STAFF_SIGN_IN_FAILED: 'B-STAFF-SIGN-IN-FAILED',
  STAFF_SIGNED_OUT: 'B-STAFF-SIGNED-OUT',
  STAFF_PASSKEY_REGISTERED: 'B-STAFF-PASSKEY-REGISTERED',
  STAFF_ROLE_CHANGED: 'B-STAFF-ROLE-CHANGED',
  STAFF_DISABLED: 'B-STAFF-DISABLED',
  STAFF_ENABLED: 'B-STAFF-ENABLED',
  STAFF_PASSKEY_REMOVED: 'B-STAFF-PASSKEY-REMOVED',
  STAFF_REAUTHENTICATED: 'B-STAFF-REAUTHENTICATED',
  // Suppliers managed in the back office also use O-SUPPLIER-REGISTERED/CHANGED/REMOVED.
  SUPPLIER_SUSPENDED: 'O-SUPPLIER-SUSPENDED',
  SUPPLIER_RESUMED: 'O-SUPPLIER-RESUMED',
  // Support: searching for and acting on a patient's account. Details name the staff member and the reason.
  SUPPORT_SEARCHED: 'B-SUPPORT-SEARCHED',
  SUPPORT_SEARCH_LIMITED: 'B-SUPPORT-SEARCH-LIMITED',
  SUPPORT_VIEWED_ACCOUNT: 'B-SUPPORT-VIEWED',
  ACCOUNT_LOCKED: 'B-ACCOUNT-LOCKED',
  ACCOUNT_UNLOCKED: 'B-ACCOUNT-UNLOCKED',
  PASSWORD_RESET_REQUIRED: 'B-PASSWORD-RESET-REQUIRED',
  AUTHENTICATOR_REMOVED_BY_SUPPORT: 'B-AUTHENTICATOR-REMOVED',
  SUBJECT_ACCESS_EXPORTED: 'B-SAR-EXPORTED',
  ERASURE_SCHEDULED: 'B-ERASURE-SCHEDULED',
  // The patient cancels an erasure; the housekeeping job carries one out.
  ERASURE_CANCELLED: 'A-ERASURE-CANCELLED',
  ACCOUNT_ERASED: 'A-ACCOUNT-ERASED',
  // Proving identity (issue 4's journeys record it; support checks it before removing an authenticator).
  // Details: { route, level } (e.g. { route: 'demographics', level: 'P5' }).
  IDENTITY_PROVED: 'P-IDENTITY-PROVED',
  // A demographics match that failed: details.reason is no-match, ambiguous or different-record
  // (the person is told the same words for each). GP online services details (details.route
  // 'gp-online-services'): details.reason is not-verified, locked, no-match or different-record.
  PROOFING_MATCH_FAILED: 'P-MATCH-FAILED',
  // The details matched a person who has died: a fraud signal. The person sees the no-match words.
  PROOFING_DECEASED_MATCH: 'P-DECEASED-MATCH',
  // The details matched a record whose NHS number another account holds; details.ownerAccountId.
  PROOFING_NHS_NUMBER_IN_USE: 'P-NHS-NUMBER-IN-USE',
  // GP online services details that already proved another account (each set proves one only): a
  // fraud signal; details.ownerAccountId. Nothing was bound.
  PROOFING_GP_LINKAGE_IN_USE: 'P-GP-LINKAGE-IN-USE',
  // Too many proving attempts for the account or from the address: refused.
  PROOFING_LIMITED: 'P-PROOFING-LIMITED',
  // PDS could not be asked while proving: nothing decided, nothing counted.
  PROOFING_UNAVAILABLE: 'P-PROOFING-UNAVAILABLE',
  // The re-check at sign-in suspended the level; details.reason (superseded, deceased,
  // details-changed), details.level (the level suspended), details.fraudSignal for deceased.
  PROOFING_LEVEL_SUSPENDED: 'P-LEVEL-SUSPENDED',
  // PDS could not be asked at sign-in: the stored level was kept.
  PROOFING_RECHECK_UNAVAILABLE: 'P-RECHECK-UNAVAILABLE',
  // PDS does not know the account's NHS number (never issued, or invalidated): level kept, for support to look into.
  PROOFING_RECHECK_NOT_FOUND: 'P-RECHECK-NOT-FOUND',
  // Photo ID and a video selfie (P9 route 1). Submitted: details { route, checkId, documentKind,
  // askedForReview }. Referred to an ID checker: { checkId, reasons, askedForReview }. Failed:
  // { checkId, reasons }. The same document or face as on another account (fraud signals, nothing
  // raised, the person is told it was referred): { checkId, otherAccountId, distance? }.
  // A pass is IDENTITY_PROVED with route 'photo-id'.
  PHOTO_ID_SUBMITTED: 'P-PHOTO-ID-SUBMITTED',
  PHOTO_ID_REFERRED: 'P-PHOTO-ID-REFERRED',
  PHOTO_ID_FAILED: 'P-PHOTO-ID-FAILED',
  PHOTO_ID_DOCUMENT_IN_USE: 'P-PHOTO-ID-DOCUMENT-IN-USE',
  PHOTO_ID_FACE_IN_USE: 'P-PHOTO-ID-FACE-IN-USE',
  // The ID checker queue: a checker opened an item (details.staffId, checkId, signal), or decided it
  // (details.staffId, checkId, signal, status, reason, and accountLocked when the decision locked the account).
  ID_CHECK_VIEWED: 'B-ID-CHECK-VIEWED',
  ID_CHECK_DECIDED: 'B-ID-CHECK-DECIDED',
  // A photo ID check referred to an ID checker, decided: details.staffId, checkId, photoIdCheckId,
  // reason (from the fixed list), note when given; for an approval attemptId and level 'P9'.
  PHOTO_ID_APPROVED: 'B-PHOTO-ID-APPROVED',
  PHOTO_ID_REJECTED: 'B-PHOTO-ID-REJECTED',
  // Claiming an account provisioned in person (the emailed link): the account was created at P9
  // (details.requestId, odsCode, attemptId); a step failed (details.requestId, reason: link-unknown,
  // link-used, link-expired, link-cancelled, details-mismatch, not-found, deceased (fraudSignal),
  // nhs-number-in-use, email-in-use); the request was cancelled by the journey (details.requestId, reason).
  ACCOUNT_CLAIMED: 'A-ACCOUNT-CLAIMED',
  CLAIM_FAILED: 'A-CLAIM-FAILED',
  CLAIM_CANCELLED: 'A-CLAIM-CANCELLED',
  // In person (back office, practice staff): a patient looked up in PDS (details.staffId, result:
  // found, not-found, other-practice, deceased...; never the NHS number); photo ID checked face to face
  // (details.staffId, document, lastFour, gpg45 confidence); an account provisioned or uplifted
  // (details.requestId, outcome, odsCode, staffId or clientId); a request refused (details.code, reason);
  // GP online services details issued (details.staffId, odsCode, replaced; never the Linkage Key).
  IN_PERSON_LOOKUP: 'B-IN-PERSON-LOOKUP',
  IN_PERSON_CHECKED: 'B-IN-PERSON-CHECKED',
  PROVISIONED: 'B-PROVISIONED',
  PROVISION_REFUSED: 'B-PROVISION-REFUSED',
  GP_DETAILS_ISSUED: 'B-GP-DETAILS-ISSUED',
  AUDIT_SEARCHED: 'B-AUDIT-SEARCHED',
  AUDIT_EXPORTED: 'B-AUDIT-EXPORTED',
  // Delegated access looked after in the back office (details.delegationId, staffId, odsCode, reason;
  // never an NHS number): practice staff looked a person up to set access up for them (result: found,
  // not-found, other-organisation, no-p9-login...), set it up for a child under 16 or a person who lacks
  // capacity (grantorId, delegateId, basis, reviewOn, permissions), or moved its review date on
  // (reviewOn before and after); support suspended or reinstated one (to: the status after).
  DELEGATION_PRACTICE_LOOKUP: 'B-DELEGATION-LOOKUP',
  DELEGATION_SET_UP_BY_PRACTICE: 'B-DELEGATION-SET-UP',
  DELEGATION_RENEWED: 'B-DELEGATION-RENEWED',
  DELEGATION_SUSPENDED: 'B-DELEGATION-SUSPENDED',
  DELEGATION_REINSTATED: 'B-DELEGATION-REINSTATED',
  // The housekeeping sweep ended a delegation (details.delegationId, reason: end-date, review-date, turned-16).
  DELEGATION_EXPIRED: 'A-DELEGATION-EXPIRED',
} as const;

export type AuditCode = (typeof AUDIT_EVENTS)[keyof typeof AUDIT_EVENTS];
