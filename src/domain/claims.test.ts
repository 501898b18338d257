import { describe, expect, it } from 'vitest';
import {
  ALL_CLAIMS,
  ALL_SCOPES,
  checkScopeCombination,
  claimsFor,
  SCOPE_CLAIMS,
  type PersonClaimsSource,
  type Scope,
} from './claims.js';
import type { ProofingLevel } from './vectors-of-trust.js';

const full = (level: ProofingLevel): PersonClaimsSource => ({
  sub: 'sub-123',
  proofing_level: level,
  email: 'pat@example.org',
  phone_number: '+447700900123',
  phone_number_verified: true,
  phone_number_pds_matched: false,
  landline_number: '+441134960000',
  landline_number_verified: false,
  nhs_number: '9990000018',
  family_name: 'Smith',
  given_name: 'Pat',
  birthdate: '1980-02-29',
  gp_ods_code: 'A12345',
  gp_user_id: 'gp-user-1',
  gp_linkage_key: 'LINK123',
  client_user_metadata: 'opaque-metadata',
  delegations: [{ sub: 'child-1', permissions: ['appointments'] }],
});

// Expected output of each scope for a person with every value, when the
// level allows it.
const released = (level: ProofingLevel): Record<Scope, Record<string, unknown>> => ({
  openid: { sub: 'sub-123' },
  profile: {
    nhs_number: '9990000018',
    family_name: 'Smith',
    birthdate: '1980-02-29',
    identity_proofing_level: level,
  },
  basic_demographics: { family_name: 'Smith', birthdate: '1980-02-29', identity_proofing_level: level },
  profile_extended: { given_name: 'Pat' },
  email: { email: 'pat@example.org', email_verified: true },
  phone: { phone_number: '+447700900123', phone_number_verified: true, phone_number_pds_matched: false },
  landline: { landline_number: '+441134960000', landline_number_verified: false },
  gp_registration_details: { gp_registration_details: { gp_ods_code: 'A12345' } },
  gp_integration_credentials: {
    gp_integration_credentials: { gp_user_id: 'gp-user-1', gp_linkage_key: 'LINK123', gp_ods_code: 'A12345' },
  },
  client_metadata: { client_user_metadata: 'opaque-metadata' },
  delegations: { delegations: [{ sub: 'child-1', permissions: ['appointments'] }] },
});

// The interface.md table, written out independently of SCOPE_CLAIMS.
const allowedAt: Record<Scope, Record<ProofingLevel, boolean>> = {
  openid: { P0: true, P5: true, P9: true },
  profile: { P0: false, P5: true, P9: true },
  basic_demographics: { P0: false, P5: true, P9: true },
  profile_extended: { P0: false, P5: true, P9: true },
  email: { P0: true, P5: true, P9: true },
  phone: { P0: true, P5: true, P9: true },
  landline: { P0: true, P5: true, P9: true },
  gp_registration_details: { P0: false, P5: true, P9: true },
  gp_integration_credentials: { P0: false, P5: false, P9: true },
  client_metadata: { P0: true, P5: true, P9: true },
  delegations: { P0: true, P5: true, P9: true },
};

const levels: ProofingLevel[] = ['P0', 'P5', 'P9'];
const table = ALL_SCOPES.flatMap((scope) => levels.map((level) => [scope, level] as const));

describe('SCOPE_CLAIMS', () => {
  it('covers exactly the scopes in the interface', () => {
    expect([...ALL_SCOPES].sort()).toEqual(Object.keys(allowedAt).sort());
  });

  it('lists every claim for discovery once', () => {
    expect(new Set(ALL_CLAIMS).size).toBe(ALL_CLAIMS.length);
    expect(ALL_CLAIMS).toEqual(
      expect.arrayContaining(['nhs_number', 'gp_integration_credentials', 'email_verified']),
    );
  });
});

describe('claimsFor: each scope at each level', () => {
  it.each(table)('%s at %s', (scope, level) => {
    const claims = claimsFor(full(level), [scope]);
    if (allowedAt[scope][level]) {
      expect(claims).toEqual(released(level)[scope]);
    } else {
      expect(claims).toEqual({});
    }
  });

  it.each(table)('%s at %s releases only claims listed for the scope', (scope, level) => {
    const claims = claimsFor(full(level), [scope]);
    for (const name of Object.keys(claims)) expect(SCOPE_CLAIMS[scope].claims).toContain(name);
  });
});

describe('claimsFor: combinations', () => {
  it('merges scopes and withholds those above the level', () => {
    const claims = claimsFor(full('P5'), ['openid', 'email', 'profile', 'gp_integration_credentials']);
    expect(claims).toEqual({
      sub: 'sub-123',
      email: 'pat@example.org',
      email_verified: true,
      nhs_number: '9990000018',
      family_name: 'Smith',
      birthdate: '1980-02-29',
      identity_proofing_level: 'P5',
    });
  });

  it('withholds demographics at P0 even when they are stored', () => {
    const claims = claimsFor(full('P0'), ['openid', 'profile', 'profile_extended']);
    expect(claims).toEqual({ sub: 'sub-123' });
  });

  it('ignores unknown scopes', () => {
    expect(claimsFor(full('P9'), ['openid', 'offline_access', 'address'])).toEqual({ sub: 'sub-123' });
  });

  it('accepts any iterable, including a Set', () => {
    expect(claimsFor(full('P9'), new Set(['openid', 'profile_extended']))).toEqual({
      sub: 'sub-123',
      given_name: 'Pat',
    });
  });
});

describe('claimsFor: missing values are left out, never faked', () => {
  const bare: PersonClaimsSource = { sub: 'sub-9', proofing_level: 'P9' };

  it('releases only sub for a person with nothing else stored', () => {
    expect(claimsFor(bare, ALL_SCOPES)).toEqual({ sub: 'sub-9', identity_proofing_level: 'P9' });
  });

  it('treats null and empty string as missing', () => {
    const person: PersonClaimsSource = {
      ...bare,
      email: null,
      nhs_number: '',
      family_name: null,
      client_user_metadata: '',
      gp_ods_code: null,
      delegations: null,
    };
    expect(claimsFor(person, ALL_SCOPES)).toEqual({ sub: 'sub-9', identity_proofing_level: 'P9' });
  });

  it('does not claim email_verified without an email', () => {
    expect(claimsFor({ ...bare, email: undefined }, ['openid', 'email'])).not.toHaveProperty(
      'email_verified',
    );
  });

  it('does not send verification flags without the number they describe', () => {
    const person = { ...bare, phone_number_verified: true, landline_number_verified: true };
    expect(claimsFor(person, ['openid', 'phone', 'landline'])).toEqual({ sub: 'sub-9' });
  });

  it('sends the number without a flag that is unknown', () => {
    expect(claimsFor({ ...bare, phone_number: '+447700900123' }, ['phone'])).toEqual({
      phone_number: '+447700900123',
    });
  });

  it('keeps false flags, which are real answers', () => {
    const claims = claimsFor(
      {
        ...bare,
        phone_number: '+447700900123',
        phone_number_verified: false,
        phone_number_pds_matched: false,
      },
      ['phone'],
    );
    expect(claims).toEqual({
      phone_number: '+447700900123',
      phone_number_verified: false,
      phone_number_pds_matched: false,
    });
  });

  it('keeps an empty delegation list, which says the person acts for nobody', () => {
    expect(claimsFor({ ...bare, delegations: [] }, ['delegations'])).toEqual({ delegations: [] });
  });

  it.each([
    ['gp_user_id', { gp_linkage_key: 'L', gp_ods_code: 'A12345' }],
    ['gp_linkage_key', { gp_user_id: 'U', gp_ods_code: 'A12345' }],
    ['gp_ods_code', { gp_user_id: 'U', gp_linkage_key: 'L' }],
  ])('leaves out gp_integration_credentials when %s is missing', (_missing, partial) => {
    expect(claimsFor({ ...bare, ...partial }, ['gp_integration_credentials'])).toEqual({});
  });

  it('releases a partial profile with what is there', () => {
    expect(claimsFor({ ...bare, proofing_level: 'P5', family_name: 'Smith' }, ['profile'])).toEqual({
      family_name: 'Smith',
      identity_proofing_level: 'P5',
    });
  });
});

describe('checkScopeCombination', () => {
  it('accepts openid alone and with other scopes', () => {
    expect(checkScopeCombination(['openid']).ok).toBe(true);
    expect(checkScopeCombination(['openid', 'profile', 'email', 'phone']).ok).toBe(true);
    expect(checkScopeCombination(['basic_demographics', 'openid']).ok).toBe(true);
  });

  it('requires openid', () => {
    expect(checkScopeCombination(['profile', 'email'])).toEqual({
      ok: false,
      error: 'The scope must include openid.',
    });
    expect(checkScopeCombination([]).ok).toBe(false);
  });

  it('refuses basic_demographics with profile', () => {
    const r = checkScopeCombination(['openid', 'profile', 'basic_demographics']);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/basic_demographics.*profile/);
  });
});
