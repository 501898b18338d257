// Which claims a supplier sees depends on both the scopes it asked for and
// how far the person has proved who they are: a P0 account has only
// self-asserted contact details, so demographics are withheld until P5.
import { err, ok, type Result } from './result.js';
import { levelAtLeast, type ProofingLevel } from './vectors-of-trust.js';

export type ScopeRule = { claims: readonly string[]; minLevel: ProofingLevel };

export const SCOPE_CLAIMS = {
  openid: { claims: ['iss', 'aud', 'sub'], minLevel: 'P0' },
  profile: { claims: ['nhs_number', 'family_name', 'birthdate', 'identity_proofing_level'], minLevel: 'P5' },
  basic_demographics: { claims: ['family_name', 'birthdate', 'identity_proofing_level'], minLevel: 'P5' },
  profile_extended: { claims: ['given_name'], minLevel: 'P5' },
  email: { claims: ['email', 'email_verified'], minLevel: 'P0' },
  phone: { claims: ['phone_number', 'phone_number_verified', 'phone_number_pds_matched'], minLevel: 'P0' },
  landline: { claims: ['landline_number', 'landline_number_verified'], minLevel: 'P0' },
  gp_registration_details: { claims: ['gp_registration_details'], minLevel: 'P5' },
  gp_integration_credentials: { claims: ['gp_integration_credentials'], minLevel: 'P9' },
  client_metadata: { claims: ['client_user_metadata'], minLevel: 'P0' },
  delegations: { claims: ['delegations', 'acting_for'], minLevel: 'P0' },
} as const satisfies Record<string, ScopeRule>;

export type Scope = keyof typeof SCOPE_CLAIMS;

export const ALL_SCOPES = Object.keys(SCOPE_CLAIMS) as Scope[];

/** Every claim any scope can release, for discovery's `claims_supported`. */
export const ALL_CLAIMS: readonly string[] = [...new Set(ALL_SCOPES.flatMap((s) => SCOPE_CLAIMS[s].claims))];

export const isScope = (s: string): s is Scope => Object.hasOwn(SCOPE_CLAIMS, s);

/**
 * Rules on the combination of scopes, not on whether the client was
 * approved for them (that depends on the client and is checked elsewhere).
 */
export function checkScopeCombination(scopes: Iterable<string>): Result<void, string> {
  const set = new Set(scopes);
  if (!set.has('openid')) return err('The scope must include openid.');
  // basic_demographics exists for suppliers that must not see the NHS
  // number; asking for profile as well would defeat it.
  if (set.has('basic_demographics') && set.has('profile')) {
    return err('The basic_demographics scope cannot be combined with the profile scope.');
  }
  return ok(undefined);
}

type Maybe<T> = T | null | undefined;

export type PersonClaimsSource = {
  sub: string;
  proofing_level: ProofingLevel;
  email?: Maybe<string>;
  phone_number?: Maybe<string>;
  phone_number_verified?: Maybe<boolean>;
  phone_number_pds_matched?: Maybe<boolean>;
  landline_number?: Maybe<string>;
  landline_number_verified?: Maybe<boolean>;
  nhs_number?: Maybe<string>;
  family_name?: Maybe<string>;
  given_name?: Maybe<string>;
  /** YYYY-MM-DD */
  birthdate?: Maybe<string>;
  gp_ods_code?: Maybe<string>;
  gp_user_id?: Maybe<string>;
  gp_linkage_key?: Maybe<string>;
  client_user_metadata?: Maybe<string>;
  /** The people this person may act for at this client; an empty list is a real answer. */
  delegations?: Maybe<readonly unknown[]>;
  /** The grantor's sub, when the person chose at sign-in to manage that person's care. */
  acting_for?: Maybe<string>;
};

// An empty string is how a cleared value is stored, so it counts as absent.
const present = <T>(value: Maybe<T>): value is T => value !== undefined && value !== null && value !== '';

function put(out: Record<string, unknown>, name: string, value: unknown): void {
  if (present(value)) out[name] = value;
}

const RELEASE: Record<Scope, (p: PersonClaimsSource, out: Record<string, unknown>) => void> = {
  // iss and aud describe the token, not the person; the token issuer adds them.
  openid: (p, out) => put(out, 'sub', p.sub),
  profile: (p, out) => {
    put(out, 'nhs_number', p.nhs_number);
    put(out, 'family_name', p.family_name);
    put(out, 'birthdate', p.birthdate);
    put(out, 'identity_proofing_level', p.proofing_level);
  },
  basic_demographics: (p, out) => {
    put(out, 'family_name', p.family_name);
    put(out, 'birthdate', p.birthdate);
    put(out, 'identity_proofing_level', p.proofing_level);
  },
  profile_extended: (p, out) => put(out, 'given_name', p.given_name),
  email: (p, out) => {
    if (!present(p.email)) return;
    out.email = p.email;
    // An address is only stored after the person has entered the code sent to it.
    out.email_verified = true;
  },
  phone: (p, out) => {
    if (!present(p.phone_number)) return;
    out.phone_number = p.phone_number;
    put(out, 'phone_number_verified', p.phone_number_verified);
    put(out, 'phone_number_pds_matched', p.phone_number_pds_matched);
  },
  landline: (p, out) => {
    if (!present(p.landline_number)) return;
    out.landline_number = p.landline_number;
    put(out, 'landline_number_verified', p.landline_number_verified);
  },
  gp_registration_details: (p, out) => {
    if (present(p.gp_ods_code)) out.gp_registration_details = { gp_ods_code: p.gp_ods_code };
  },
  gp_integration_credentials: (p, out) => {
    // A partial set cannot link to the GP system, so none is better than some.
    if (present(p.gp_user_id) && present(p.gp_linkage_key) && present(p.gp_ods_code)) {
      out.gp_integration_credentials = {
        gp_user_id: p.gp_user_id,
        gp_linkage_key: p.gp_linkage_key,
        gp_ods_code: p.gp_ods_code,
      };
    }
  },
  client_metadata: (p, out) => put(out, 'client_user_metadata', p.client_user_metadata),
  delegations: (p, out) => {
    if (p.delegations !== undefined && p.delegations !== null) out.delegations = [...p.delegations];
    put(out, 'acting_for', p.acting_for);
  },
};

/**
 * The person's claims for the requested scopes. Scopes above the person's
 * level and unknown scopes release nothing; a claim with no stored value is
 * left out rather than sent empty.
 */
export function claimsFor(person: PersonClaimsSource, scopes: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of new Set(scopes)) {
    if (!isScope(scope)) continue;
    if (!levelAtLeast(person.proofing_level, SCOPE_CLAIMS[scope].minLevel)) continue;
    RELEASE[scope](person, out);
  }
  return out;
}
