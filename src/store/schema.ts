// The tables, as Kysely sees them. One interface per table; columns named as
// in SQL. Migrations in ./migrations create exactly this.
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { DelegationOrigin, DelegationStatus, Permission } from '../domain/delegation.js';

export interface AccountsTable {
  /** The `sub`: opaque, stable, never reused. */
  id: string;
  email: string;
  password_hash: string;
  phone_number: string;
  phone_number_verified: Generated<boolean>;
  landline_number: ColumnType<string | null, string | null | undefined, string | null>;
  landline_number_verified: Generated<boolean>;
  /** Authenticator app shared secret, encrypted at rest. */
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  /** The last authenticator-app time step accepted, so a code cannot be used twice. */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  proofing_level: ColumnType<'P0' | 'P5' | 'P9', 'P0' | 'P5' | 'P9' | undefined, 'P0' | 'P5' | 'P9'>;
  /** Encrypted at rest; `nhs_number_hash` (keyed hash) enforces one account per number. */
  nhs_number: ColumnType<string | null, string | null | undefined, string | null>;
  nhs_number_hash: ColumnType<string | null, string | null | undefined, string | null>;
  family_name: ColumnType<string | null, string | null | undefined, string | null>;
  given_name: ColumnType<string | null, string | null | undefined, string | null>;
  birthdate: ColumnType<string | null, string | null | undefined, string | null>;
  gp_ods_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** GP online services Account ID (gp_integration_credentials.gp_user_id), set by proving with GP details. */
  gp_user_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The Linkage Key, sealed (a secret: it opens the person's GP record). */
  gp_linkage_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** Keyed hash of the three details; unique: each set of details proves one account only. */
  gp_linkage_fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
  phone_number_pds_matched: Generated<boolean>;
  /** Set for seeded test people; never for real registrations. */
  test_person: Generated<boolean>;
  /** Locked by support (back office): no sign-in and no tokens until unlocked. */
  locked_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Set by support: the next sign-in must reset the password first. */
  password_reset_required: Generated<boolean>;
  /** Erasure asked for by support: erased after this moment unless the patient cancels. */
  erase_after: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /**
   * Set while the proofing level is suspended (a re-check at sign-in found the
   * national record no longer supports it). proofing_level is then P0, so every
   * reader of the level sees the suspension; the level held before is kept in
   * proofing_suspended_level for when the person proves it again.
   */
  proofing_suspended_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  proofing_suspended_reason: ColumnType<
    SuspensionReason | null,
    SuspensionReason | null | undefined,
    SuspensionReason | null
  >;
  proofing_suspended_level: ColumnType<
    'P5' | 'P9' | null,
    'P5' | 'P9' | null | undefined,
    'P5' | 'P9' | null
  >;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Why a level was suspended (for support and audit; the person is never told which). */
export type SuspensionReason = 'superseded' | 'deceased' | 'not-found' | 'details-changed';

/** How a person proved (or tried to prove) who they are. */
export type ProofingRoute = 'demographics' | 'gp-online-services' | 'photo-id' | 'in-person';

/**
 * One proofing decision and its evidence, whatever the route. Evidence is the
 * route's own record of what was compared (never an NHS number in clear).
 */
export interface ProofingAttemptsTable {
  id: string;
  account_id: string;
  route: ProofingRoute;
  /**
   * matched | no-match | ambiguous | deceased | nhs-number-in-use | different-record;
   * GP details also: not-verified | locked | linkage-in-use
   */
  outcome: string;
  /** The level this decision gave, when it gave one. */
  level_given: ColumnType<'P5' | 'P9' | null, 'P5' | 'P9' | null | undefined, 'P5' | 'P9' | null>;
  evidence: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}

/** What the ID checker queue holds: fraud signals now, photo ID referrals later. */
export type IdCheckKind = 'fraud-signal' | 'photo-id';
export type IdCheckSignal =
  | 'deceased-match'
  | 'gp-linkage-in-use'
  | 'nhs-number-in-use'
  | 'too-many-attempts'
  /** The same photo ID document (0007) or the same face is on another account. */
  | 'document-in-use'
  | 'face-in-use';
export type IdCheckStatus = 'open' | 'approved' | 'rejected' | 'dismissed';

/** One item for an ID checker to review (0006). The summary never holds NHS numbers or linkage keys. */
export interface IdChecksTable {
  id: string;
  proofing_attempt_id: string | null;
  account_id: string;
  kind: IdCheckKind;
  signal: IdCheckSignal | null;
  summary: ColumnType<Record<string, unknown>, string, string>;
  status: ColumnType<IdCheckStatus, IdCheckStatus | undefined, IdCheckStatus>;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  note: string | null;
  /** For kind 'photo-id' (and document/face fraud signals): the check reviewed (0007). */
  photo_id_check_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
}

export type PhotoIdCheckStatus =
  /** Under way: the person may come back to it. */
  | 'started'
  /** Decided by the automation alone. */
  | 'passed'
  | 'failed'
  /** Waiting in the ID checker queue. */
  | 'referred'
  /** Decided by an ID checker. */
  | 'approved'
  | 'rejected'
  /** Replaced by a new check before it was sent. */
  | 'abandoned';

/** One photo ID and video check (0007). Evidence lives in the encrypted evidence store, by id. */
export interface PhotoIdChecksTable {
  id: string;
  account_id: string;
  status: ColumnType<PhotoIdCheckStatus, PhotoIdCheckStatus | undefined, PhotoIdCheckStatus>;
  document_kind: ColumnType<string | null, string | null | undefined, string | null>;
  /** The document's identity and details; the document number sealed, never in clear. */
  document: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  /** Keyed hash of issuing state, kind and number: one document proves one account. */
  document_number_hash: ColumnType<string | null, string | null | undefined, string | null>;
  document_photo_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The four random digits shown to the person for the video. */
  digits: string;
  video_id: ColumnType<string | null, string | null | undefined, string | null>;
  frame_ids: ColumnType<string[], string | undefined, string>;
  /** Sealed descriptor of the document portrait's face. */
  face_descriptor: ColumnType<string | null, string | null | undefined, string | null>;
  decision: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  asked_for_review: ColumnType<boolean, boolean | undefined, boolean>;
  proofing_attempt_id: ColumnType<string | null, string | null | undefined, string | null>;
  submitted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  decided_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type ProvisioningOutcome = 'create' | 'uplift';
export type ProvisioningStatus = 'pending' | 'claimed' | 'applied' | 'expired' | 'cancelled';

/** A P9 account provisioned after a face-to-face check (0008). */
export interface ProvisioningRequestsTable {
  id: string;
  ods_code: string;
  requested_by_staff: ColumnType<string | null, string | null | undefined, string | null>;
  requested_by_client: ColumnType<string | null, string | null | undefined, string | null>;
  outcome: ProvisioningOutcome;
  status: ProvisioningStatus;
  /** Sealed. */
  nhs_number: string;
  nhs_number_hash: string;
  email: string;
  phone_number: string;
  birth_date: string;
  account_id: ColumnType<string | null, string | null | undefined, string | null>;
  claim_token_hash: ColumnType<string | null, string | null | undefined, string | null>;
  claim_expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  evidence: ColumnType<Record<string, unknown>, string | undefined, string>;
  claimed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
}

export interface SuppliersTable {
  client_id: string;
  name: string;
  /** Client metadata as oidc-provider takes it, plus our own fields. */
  metadata: ColumnType<SupplierMetadata, string, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SupplierMetadata {
  redirect_uris: string[];
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
  scope: string;
  /** Vectors of trust this supplier may request. */
  allowed_vtr: string[];
  /** Client ids whose `asserted_login_identity` this supplier accepts. */
  sso_partners: string[];
  /** Client assertion algorithms beyond RS512, for software that cannot sign RS512. */
  client_assertion_algs: string[];
  post_logout_redirect_uris?: string[];
  backchannel_logout_uri?: string;
  sandpit?: boolean;
  /** Approved for the Users (SCIM) API: the jwt-bearer grant and GET /v2/Users. */
  users_api?: boolean;
  /**
   * Approved for the Provision Account API (POST /provision-account), for the
   * one organisation (ODS code) whose face-to-face checks it sends.
   */
  provisioning?: { ods_code: string };
  /**
   * The separate approval the gp_integration_credentials scope needs: the
   * reference of the supplier's GP integration (IM1 pairing) approval, who
   * recorded it (a staff id, or `cli:` and the operator's user name) and when.
   * Present only while the scope is approved.
   */
  gp_integration_approval?: SupplierApproval;
  /**
   * Set while an operator has suspended the supplier: the provider then treats
   * it as unknown (invalid_client) and the Users API refuses its tokens.
   */
  suspended?: SupplierSuspension;
}

export interface SupplierApproval {
  reference: string;
  by: string;
  at: string;
}

export interface SupplierSuspension {
  reason: string;
  by: string;
  at: string;
}

export interface OidcPayloadsTable {
  id: string;
  type: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  expires_at: Date | null;
  consumed_at: Date | null;
}

export interface SigningKeysTable {
  kid: string;
  /** The private JWK, encrypted. */
  private_jwk: string;
  /** active signs; published keys verify tokens already issued; retired are gone from JWKS. */
  status: 'active' | 'published' | 'retired';
  created_at: Generated<Date>;
  /** When it stopped signing; published keys are retired once every token it signed has expired. */
  superseded_at: Date | null;
}

export interface ClientUserMetadataTable {
  account_id: string;
  client_id: string;
  value: string;
  updated_at: Generated<Date>;
}

export interface ServicesUsedTable {
  account_id: string;
  client_id: string;
  first_used_at: Generated<Date>;
  last_used_at: Generated<Date>;
}

export interface RememberedDevicesTable {
  /** SHA-256 of the cookie value. */
  id: string;
  account_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
}

export interface JourneySessionsTable {
  id: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  expires_at: Date;
}

export interface OutboxTable {
  id: Generated<number>;
  created_at: Generated<Date>;
  channel: 'email' | 'sms';
  recipient: string;
  subject: string;
  body: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: Generated<Date>;
  code: string;
  account_id: string | null;
  client_id: string | null;
  ip: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  prev_hash: string;
  hash: string;
}

export type StaffRoleName = 'operator' | 'support' | 'id-checker' | 'practice-staff' | 'auditor';

/** Back-office staff: never patients, never in `accounts`. */
export interface StaffMembersTable {
  id: string;
  email: string;
  name: string;
  /** The organisation they belong to (ODS code). */
  ods_code: string;
  role: StaffRoleName;
  status: ColumnType<'invited' | 'active' | 'disabled', 'invited' | 'active' | 'disabled' | undefined>;
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** Authenticator app shared secret, encrypted at rest. */
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface StaffInvitationsTable {
  /** SHA-256 of the one-time token in the link; the token itself is never stored. */
  token_hash: string;
  staff_id: string;
  /** Staff id of who invited, or null when made by the CLI. */
  invited_by: string | null;
  /** The authenticator key shown on the setup page, sealed, until a code confirms it. */
  pending_totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface StaffSessionsTable {
  id: string;
  staff_id: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  /** When they last proved who they are (sign-in or re-authentication). */
  authenticated_at: Generated<Date>;
}

export interface StaffPasskeysTable {
  /** The credential id, base64url. */
  id: string;
  staff_id: string;
  /** COSE public key, base64url. */
  public_key: string;
  /** The authenticator's signature counter (0 for those that keep none). */
  counter: ColumnType<number, number | undefined, number>;
  transports: ColumnType<string[], string, string>;
  created_at: Generated<Date>;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface StaffChallengesTable {
  challenge: string;
  purpose: 'register' | 'sign-in';
  staff_id: string | null;
  expires_at: Date;
}

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** One delegation: the grantor lets the delegate act for them (0009; rules in src/domain/delegation.ts). */
export interface DelegationsTable {
  id: string;
  grantor_id: string;
  delegate_id: Nullable<string>;
  origin: DelegationOrigin;
  status: DelegationStatus;
  relationship: string;
  permissions: ColumnType<Permission[], string, string>;
  invitee_email: Nullable<string>;
  invitee_family_name: Nullable<string>;
  invitee_given_name: Nullable<string>;
  invitee_birth_date: Nullable<string>;
  invitation_token_hash: Nullable<string>;
  invitation_expires_at: Nullable<Date>;
  ends_on: Nullable<string>;
  reason: Nullable<string>;
  review_on: Nullable<string>;
  for_child: ColumnType<boolean, boolean | undefined, boolean>;
  ods_code: Nullable<string>;
  approved_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Who did what to a delegation, and every time the delegate acted through a supplier (0009). */
export interface DelegationEventsTable {
  id: string;
  delegation_id: string;
  event: string;
  from_status: Nullable<DelegationStatus>;
  to_status: Nullable<DelegationStatus>;
  actor_kind: 'grantor' | 'delegate' | 'staff' | 'system' | 'supplier';
  actor_id: Nullable<string>;
  client_id: Nullable<string>;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
  /** Written order, for events sharing created_at (migration 0011); a number from PGlite, a string from pg. */
  seq: ColumnType<number | string, never, never>;
}

export interface Database {
  accounts: AccountsTable;
  suppliers: SuppliersTable;
  oidc_payloads: OidcPayloadsTable;
  signing_keys: SigningKeysTable;
  client_user_metadata: ClientUserMetadataTable;
  services_used: ServicesUsedTable;
  remembered_devices: RememberedDevicesTable;
  journey_sessions: JourneySessionsTable;
  outbox: OutboxTable;
  audit_events: AuditEventsTable;
  staff_members: StaffMembersTable;
  staff_invitations: StaffInvitationsTable;
  staff_sessions: StaffSessionsTable;
  staff_passkeys: StaffPasskeysTable;
  staff_challenges: StaffChallengesTable;
  proofing_attempts: ProofingAttemptsTable;
  id_checks: IdChecksTable;
  photo_id_checks: PhotoIdChecksTable;
  provisioning_requests: ProvisioningRequestsTable;
  delegations: DelegationsTable;
  delegation_events: DelegationEventsTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type Supplier = Selectable<SuppliersTable>;
export type StaffMember = Selectable<StaffMembersTable>;
export type ProofingAttempt = Selectable<ProofingAttemptsTable>;
export type IdCheck = Selectable<IdChecksTable>;
export type PhotoIdCheck = Selectable<PhotoIdChecksTable>;
export type ProvisioningRequest = Selectable<ProvisioningRequestsTable>;
export type Delegation = Selectable<DelegationsTable>;
export type DelegationEventRow = Selectable<DelegationEventsTable>;
