// The demographics port: the national record of NHS patients (the Personal
// Demographics Service, PDS), shaped like the PDS FHIR R4 API so that the
// embedded synthetic record and the real service answer alike.
//
// What the real API does, and this port keeps:
// - GET /Patient?family=&given=&birthdate=eqYYYY-MM-DD&address-postalcode=...
//   returns a FHIR Bundle (type searchset) with `total` and entries carrying
//   `search.score` (1 is an exact match). In application-restricted access it
//   returns only a unique match; when there are too many it answers 200 with an
//   OperationOutcome whose code is TOO_MANY_MATCHES.
// - GET /Patient/{nhsNumber} returns the Patient. A superseded (merged) NHS
//   number returns the superseding record, whose `id` differs from the number
//   asked for: that difference is the only sign. 404 means no such record (or
//   an invalidated one).
// - The person's death is `deceasedDateTime`; the registered GP practice is
//   `generalPractitioner[0].identifier` (an ODS code); the main name has use
//   `usual` (some systems say `official`; both are read).
// - Requests carry an OAuth 2 access token (application-restricted), a UUID
//   X-Request-ID and optionally an X-Correlation-ID.
//
// Errors are values: the service being down, slow or refusing us is never
// "no match", so a caller cannot mistake an outage for a person not existing.
import type { DemographicRecord } from '../../domain/demographics-match.js';
import type { Result } from '../../domain/result.js';

export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
export const ODS_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';
/** The ODS system URL in older PDS responses; read, never written. */
export const LEGACY_ODS_CODE_SYSTEM = 'https://digital.nhs.uk/services/organisation-data-service';

// ---------------------------------------------------------------------------
// The FHIR R4 subset we read and write

export interface FhirPeriod {
  start?: string;
  end?: string;
}

export interface FhirIdentifier {
  system?: string;
  value?: string;
  period?: FhirPeriod;
}

export interface FhirHumanName {
  use?: 'usual' | 'official' | 'temp' | 'nickname' | 'anonymous' | 'old' | 'maiden';
  family?: string;
  given?: string[];
  prefix?: string[];
  suffix?: string[];
  period?: FhirPeriod;
}

export interface FhirAddress {
  use?: 'home' | 'work' | 'temp' | 'old' | 'billing';
  line?: string[];
  postalCode?: string;
  period?: FhirPeriod;
}

export interface FhirContactPoint {
  system?: 'phone' | 'fax' | 'email' | 'pager' | 'url' | 'sms' | 'other';
  value?: string;
  use?: 'home' | 'work' | 'temp' | 'old' | 'mobile';
  period?: FhirPeriod;
}

export interface FhirCoding {
  system?: string;
  code?: string;
  display?: string;
}

export interface FhirPatient {
  resourceType: 'Patient';
  /** The NHS number. */
  id: string;
  meta?: { versionId?: string; security?: FhirCoding[] };
  identifier?: FhirIdentifier[];
  name?: FhirHumanName[];
  gender?: 'male' | 'female' | 'other' | 'unknown';
  birthDate?: string;
  deceasedDateTime?: string;
  address?: FhirAddress[];
  telecom?: FhirContactPoint[];
  generalPractitioner?: { type?: string; reference?: string; identifier?: FhirIdentifier }[];
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  timestamp?: string;
  total: number;
  entry?: { fullUrl?: string; search?: { score?: number }; resource: FhirPatient }[];
}

export interface FhirOperationOutcome {
  resourceType: 'OperationOutcome';
  issue: {
    severity?: string;
    code?: string;
    details?: { coding?: FhirCoding[] };
    diagnostics?: string;
  }[];
}

// ---------------------------------------------------------------------------
// What callers get

export type Gender = 'male' | 'female' | 'other' | 'unknown';

/** One national record, current values only, as the domain reads it. */
export interface PatientSummary extends DemographicRecord {
  /** The current NHS number (Patient.id). */
  readonly nhsNumber: string;
  /**
   * Superseded NHS numbers known to lead here: the number asked for when a
   * read or NHS number search followed a supersession; the embedded record
   * knows all of them.
   */
  readonly previousNhsNumbers: readonly string[];
  readonly versionId?: string;
  readonly familyName?: string;
  readonly givenNames: readonly string[];
  readonly gender?: Gender;
  readonly birthDate?: string;
  readonly deceased: boolean;
  readonly deceasedDateTime?: string;
  /** The current home address (removed by PDS for restricted patients). */
  readonly addressLines: readonly string[];
  readonly postcode?: string;
  readonly phone?: string;
  readonly email?: string;
  /** Registered GP practice's ODS code. */
  readonly gpOdsCode?: string;
  /** meta.security says restricted or very restricted: no address, contact or GP. */
  readonly restricted: boolean;
  /** From a search: 1 is an exact match. */
  readonly score?: number;
}

/**
 * A search. Either nhsNumber (the record at that number, following any
 * supersession, whatever its other details: the domain's rules then judge
 * them), or at least familyName and birthDate, the minimum PDS accepts.
 * Names and the postcode may end in `*` for a prefix (`Ann*`, `LS*`), as PDS
 * allows in a non-fuzzy search.
 */
export interface PdsSearchQuery {
  nhsNumber?: string;
  familyName?: string;
  /** Sent as repeated `given` parameters. */
  givenNames?: readonly string[];
  /** YYYY-MM-DD, searched with the `eq` prefix. */
  birthDate?: string;
  postcode?: string;
  gender?: Gender;
  gpOdsCode?: string;
  /** Include previous names and addresses (PDS `_history`). */
  history?: boolean;
  /**
   * The most to return (1 to 50); more matches than this is tooManyMatches.
   * When absent, PDS's application-restricted access returns a unique match
   * only, and so does the embedded record; healthcare worker access allows more.
   */
  maxResults?: number;
}

export interface PdsSearchResult {
  /** Best match first. */
  readonly patients: readonly PatientSummary[];
  /** PDS found more than it returns (TOO_MANY_MATCHES): never a unique match. */
  readonly tooManyMatches: boolean;
}

export type PdsReadResult =
  | { kind: 'found'; patient: PatientSummary }
  /** The number asked for was merged into another record, which is returned. */
  | { kind: 'superseded'; requestedNhsNumber: string; currentNhsNumber: string; patient: PatientSummary }
  | { kind: 'not-found' };

export type PdsError =
  /** Down, slow, overloaded or talking nonsense: try later, decide nothing. */
  | {
      kind: 'unavailable';
      reason: 'timeout' | 'network' | 'rate-limited' | 'server-error' | 'bad-response' | 'no-token';
      status?: number;
      retryAfterSeconds?: number;
    }
  /** PDS refused the request: our bug or configuration, not the person's. */
  | {
      kind: 'rejected';
      reason: 'invalid-request' | 'unauthorised' | 'forbidden';
      status?: number;
      /** The Spine error code, e.g. INVALID_SEARCH_DATA. */
      code?: string;
      diagnostics?: string;
    };

export interface PdsCallOptions {
  /** Sent as X-Correlation-ID, to follow one journey step through PDS's logs. */
  correlationId?: string;
}

export interface Demographics {
  search(query: PdsSearchQuery, options?: PdsCallOptions): Promise<Result<PdsSearchResult, PdsError>>;
  read(nhsNumber: string, options?: PdsCallOptions): Promise<Result<PdsReadResult, PdsError>>;
}

/** Gives an OAuth 2 access token for PDS (application-restricted access). */
export type TokenProvider = () => string | Promise<string>;
