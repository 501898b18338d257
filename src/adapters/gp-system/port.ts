// The GP system port: a practice's clinical system as NHS login meets it
// through IM1 (Interface Mechanism 1, the NHS's patient facing services
// interface to EMIS, TPP and the other GP systems).
//
// What the real thing does, and this port keeps:
// - A surgery that gives a patient GP online services (booking appointments,
//   ordering repeat prescriptions) prints a registration letter with three
//   details: an Account ID (EMIS: digits, e.g. 3834473016), a Linkage Key
//   (EMIS: about 13 mixed-case letters and digits, e.g. QAkP7SUrfsQ1l; TPP
//   calls it a passphrase) and the practice's ODS code (e.g. A29928). Printed
//   keys expire after about two weeks in some systems; staff can reset them,
//   which issues a new key for the same account.
// - Linking checks those details, with the patient's surname and date of
//   birth, at the GP system (EMIS: POST me/applications with
//   { Surname, DateOfBirth, LinkageDetails: { AccountId, NationalPracticeCode,
//   LinkageKey } }), and on success gives access to the patient's record and
//   demographics, NHS number included. Wrong details come back as "no
//   registered online user found", "invalid linkage details" or "no match
//   for given demographics": this port folds all of them into one
//   `not-verified`, so a caller can never tell a person (or an attacker)
//   which part was wrong.
// - Repeated failures lock the online account at the GP system until the
//   practice resets it: `locked`.
// - NHS login releases the three details to IM1-paired suppliers as the
//   `gp_integration_credentials` claim { gp_user_id (the Account ID),
//   gp_linkage_key, gp_ods_code }, and the practice alone as
//   `gp_registration_details` { gp_ods_code }.
//
// Errors are values: the GP system being down, slow or refusing us is
// `unavailable`, never `not-verified`, so an outage cannot look like a person
// giving the wrong details (nor count against them).

/** The three details on a GP online services registration letter. */
export interface LinkageDetails {
  /** The online account's ID at the GP system (gp_user_id). */
  readonly accountId: string;
  /** The Linkage Key (EMIS) or passphrase (TPP): the secret part. */
  readonly linkageKey: string;
  /** The practice's ODS code. */
  readonly odsCode: string;
}

export interface VerifyLinkageInput extends LinkageDetails {
  /** When given, must match the GP record's family name (case, accents and punctuation ignored). */
  readonly surname?: string;
  /** YYYY-MM-DD; when given, must match the GP record. */
  readonly dateOfBirth?: string;
}

/** The patient as the GP system holds them. */
export interface GpPatient {
  readonly nhsNumber: string;
  readonly familyName: string;
  readonly givenNames: readonly string[];
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly postcode?: string;
  /** The practice the patient is registered at (and the details belong to). */
  readonly odsCode: string;
}

/** Exactly the `gp_integration_credentials` claim (interface.md), ready to store and release. */
export interface GpIntegrationCredentials {
  readonly gp_user_id: string;
  readonly gp_linkage_key: string;
  readonly gp_ods_code: string;
}

/** Could not get an answer: try later, decide nothing, count nothing against the person. */
export interface GpSystemUnavailable {
  readonly kind: 'unavailable';
  readonly reason:
    | 'timeout'
    | 'network'
    | 'rate-limited'
    | 'server-error'
    | 'bad-response'
    /** 401/403: our credentials for the GP system are wrong or withdrawn (configuration, not the person). */
    | 'unauthorised'
    /** 400: the GP system called our request malformed (our bug, not the person's details). */
    | 'rejected';
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export type VerifyLinkageResult =
  | {
      readonly kind: 'verified';
      readonly patient: GpPatient;
      /** The details as the GP system knows them (ODS code upper case), to store and release. */
      readonly credentials: GpIntegrationCredentials;
    }
  /** Wrong account ID, key, ODS code, surname or date of birth: the same answer for each. */
  | { readonly kind: 'not-verified' }
  /** Too many wrong tries for this account ID: the person must contact their surgery. */
  | { readonly kind: 'locked' }
  | GpSystemUnavailable;

export interface IssueLinkageInput {
  readonly nhsNumber: string;
  /** The practice issuing the details; the patient must be registered there. */
  readonly odsCode: string;
}

export type IssueLinkageResult =
  | {
      readonly kind: 'issued';
      readonly details: LinkageDetails;
      readonly patient: GpPatient;
      /** The patient already had details here: same Account ID, new Linkage Key; the old key no longer works. */
      readonly replaced: boolean;
    }
  /** No living patient with that NHS number is registered at that practice. */
  | { readonly kind: 'not-registered' }
  | GpSystemUnavailable;

export interface GpSystemCallOptions {
  /** Sent as X-Correlation-ID, to follow one journey step through the GP system's logs. */
  correlationId?: string;
}

export interface GpSystem {
  /** Checks GP online services details (P9 route 2). */
  verifyLinkage(input: VerifyLinkageInput, options?: GpSystemCallOptions): Promise<VerifyLinkageResult>;
  /**
   * Issues GP online services details for a registered patient, as practice
   * staff do after checking who the person is face to face (P9 route 3 feeding
   * route 2). Issuing again resets the key.
   */
  issueLinkage(input: IssueLinkageInput, options?: GpSystemCallOptions): Promise<IssueLinkageResult>;
}
