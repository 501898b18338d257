import { describe, expect, it } from 'vitest';
import {
  PROVISION_ERRORS,
  decideProvision,
  inPersonGpg45,
  parseLastFour,
  parseProvision,
  pdsMatches,
} from './provisioning.js';

const TODAY = '2026-11-24';
const GOOD = {
  nhs_number: '9000000009',
  email_address: ' Person@Example.COM ',
  date_of_birth: '1980-03-27',
  ods_code: 'a12345',
  phone_number: '07700 900982',
};

describe('parseProvision', () => {
  it('normalises a good request', () => {
    expect(parseProvision(GOOD, TODAY)).toEqual({
      ok: true,
      value: {
        nhsNumber: '9000000009',
        email: 'person@example.com',
        birthDate: '1980-03-27',
        odsCode: 'A12345',
        phoneNumber: '+447700900982',
      },
    });
  });

  it('lists every field at fault, in field order', () => {
    const r = parseProvision(
      {
        nhs_number: '8527685222',
        email_address: 'not-an-email',
        date_of_birth: '2030-01-01',
        ods_code: 'A-1',
        phone_number: '01134960000',
      },
      TODAY,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((p) => p.field)).toEqual([
      'nhs_number',
      'email_address',
      'date_of_birth',
      'ods_code',
      'phone_number',
    ]);
    expect(r.error.map((p) => PROVISION_ERRORS[p.error].code)).toEqual([
      '11006',
      '11007',
      '11008',
      '11009',
      '11010',
    ]);
  });

  it('refuses missing fields, impossible dates and over-long values', () => {
    const r = parseProvision({ ...GOOD, date_of_birth: '1980-02-30', nhs_number: undefined! }, TODAY);
    expect(r.ok ? [] : r.error.map((p) => p.field)).toEqual(['nhs_number', 'date_of_birth']);
    const long = parseProvision({ ...GOOD, email_address: `${'a'.repeat(400)}@example.com` }, TODAY);
    expect(long.ok ? [] : long.error.map((p) => p.field)).toEqual(['email_address']);
  });
});

describe('decideProvision', () => {
  const p5 = { id: 'acc-1', level: 'P5' as const, email: 'me@example.com' };

  it('creates when no NHS login holds the number', () => {
    expect(decideProvision({ pendingRecently: false })).toEqual({ ok: true, outcome: 'create' });
  });

  it('uplifts the P5 holder, who may keep their own email', () => {
    expect(decideProvision({ holder: p5, emailOwnerId: 'acc-1', pendingRecently: false })).toEqual({
      ok: true,
      outcome: 'uplift',
      accountId: 'acc-1',
    });
  });

  it('refuses in order: already P9, pending, email in use, suspended', () => {
    expect(
      decideProvision({ holder: { ...p5, level: 'P9' }, emailOwnerId: 'other', pendingRecently: true }),
    ).toEqual({ ok: false, error: 'alreadyP9' });
    expect(decideProvision({ holder: p5, emailOwnerId: 'other', pendingRecently: true })).toEqual({
      ok: false,
      error: 'pending',
    });
    expect(decideProvision({ holder: p5, emailOwnerId: 'other', pendingRecently: false })).toEqual({
      ok: false,
      error: 'emailInUse',
    });
    expect(decideProvision({ emailOwnerId: 'other', pendingRecently: false })).toEqual({
      ok: false,
      error: 'emailInUse',
    });
    expect(decideProvision({ holder: { ...p5, level: 'P0' }, pendingRecently: false })).toEqual({
      ok: false,
      error: 'suspended',
    });
  });

  it('uses NHS login’s codes for its four errors', () => {
    expect(PROVISION_ERRORS.pending.code).toBe('11003');
    expect(PROVISION_ERRORS.emailInUse.code).toBe('11004');
    expect(PROVISION_ERRORS.alreadyP9.code).toBe('11005');
    expect(PROVISION_ERRORS.tooMany.code).toBe('11011');
    const codes = Object.values(PROVISION_ERRORS).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('pdsMatches', () => {
  const found = { kind: 'found' as const, birthDate: '1980-03-27', deceased: false, gpOdsCode: 'A12345' };
  it('needs a living person’s current record with the same date of birth', () => {
    expect(pdsMatches(found, '1980-03-27')).toBe(true);
    expect(pdsMatches(found, '1980-03-28')).toBe(false);
    expect(pdsMatches({ ...found, deceased: true }, '1980-03-27')).toBe(false);
    expect(pdsMatches({ kind: 'superseded' }, '1980-03-27')).toBe(false);
    expect(pdsMatches({ kind: 'not-found' }, '1980-03-27')).toBe(false);
  });
});

describe('the GPG45 record of a face-to-face check', () => {
  it('gives P9 for photo ID examined in hand with the face compared (NHS login’s level rule)', () => {
    const g = inPersonGpg45({
      method: 'photo-id',
      pds: 'matched',
      odsCode: 'A12345',
      document: { kind: 'passport', expiry: 'in-date', detailsMatchPds: true, examined: 'genuine' },
      faceMatches: true,
    });
    expect(g).toMatchObject({ route: 'in-person', level: 'P9' });
    expect(g.scores).toMatchObject({
      evidence: [{ kind: 'passport', strength: 3, validity: 2 }],
      verification: 3,
    });
  });

  it('gives no P9 when the face did not match', () => {
    const g = inPersonGpg45({
      method: 'photo-id',
      pds: 'matched',
      odsCode: 'A12345',
      document: { kind: 'passport', expiry: 'in-date', detailsMatchPds: true, examined: 'genuine' },
      faceMatches: false,
    });
    expect(g.level).not.toBe('P9');
  });
});

describe('parseLastFour', () => {
  it('keeps four letters or digits, upper case', () => {
    expect(parseLastFour(' 12ab ')).toBe('12AB');
    expect(parseLastFour('123')).toBeUndefined();
    expect(parseLastFour('12-4')).toBeUndefined();
  });
});
