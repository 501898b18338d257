import { describe, expect, it } from 'vitest';
import {
  birthdayAt,
  expiryReason,
  isChild,
  mayAct,
  narrowPermissions,
  parsePermissions,
  PERMISSIONS,
  transition,
  type ActingCheck,
  type DelegationEvent,
  type DelegationStatus,
} from './delegation.js';

describe('permissions', () => {
  it('accepts known permissions and returns them in catalogue order, once each', () => {
    expect(parsePermissions(['messages', 'appointments', 'messages'])).toEqual({
      ok: true,
      value: ['appointments', 'messages'],
    });
  });

  it('refuses the permissions that can never be delegated, unknown ones and none at all', () => {
    expect(parsePermissions(['appointments', 'manage-account-settings'])).toEqual({
      ok: false,
      error: { kind: 'never-delegable', permission: 'manage-account-settings' },
    });
    expect(parsePermissions(['manage-delegations'])).toMatchObject({
      ok: false,
      error: { kind: 'never-delegable' },
    });
    expect(parsePermissions(['toString'])).toEqual({
      ok: false,
      error: { kind: 'unknown', permission: 'toString' },
    });
    expect(parsePermissions([])).toEqual({ ok: false, error: { kind: 'none-chosen' } });
  });

  it('narrows a request to what was granted, and refuses anything more instead of cutting it down', () => {
    const granted = ['appointments', 'prescriptions'] as const;
    expect(narrowPermissions(granted, undefined)).toEqual({
      ok: true,
      value: ['appointments', 'prescriptions'],
    });
    expect(narrowPermissions(granted, ['prescriptions'])).toEqual({ ok: true, value: ['prescriptions'] });
    expect(narrowPermissions(granted, ['prescriptions', 'record-view'])).toEqual({
      ok: false,
      error: { kind: 'not-granted', permissions: ['record-view'] },
    });
    expect(narrowPermissions(granted, ['manage-account-settings'])).toMatchObject({ ok: false });
  });

  it('lists no permission that is never delegable', () => {
    expect(PERMISSIONS).not.toContain('manage-account-settings');
  });
});

describe('the state machine', () => {
  const table: [DelegationStatus, DelegationEvent, DelegationStatus | 'refused'][] = [
    ['invited', { type: 'accept', bothProved: true }, 'active'],
    ['invited', { type: 'accept', bothProved: false }, 'accepted'],
    ['invited', { type: 'decline' }, 'revoked'],
    ['invited', { type: 'both-proved' }, 'refused'],
    ['invited', { type: 'suspend' }, 'refused'],
    ['invited', { type: 'revoke', by: 'grantor' }, 'revoked'],
    ['invited', { type: 'expire' }, 'expired'],
    ['accepted', { type: 'both-proved' }, 'active'],
    ['accepted', { type: 'accept', bothProved: true }, 'refused'],
    ['accepted', { type: 'suspend' }, 'suspended'],
    ['active', { type: 'level-lost' }, 'accepted'],
    ['active', { type: 'revoke', by: 'delegate' }, 'revoked'],
    ['active', { type: 'suspend' }, 'suspended'],
    ['active', { type: 'reinstate', bothProved: true }, 'refused'],
    ['active', { type: 'decline' }, 'refused'],
    ['active', { type: 'expire' }, 'expired'],
    ['suspended', { type: 'reinstate', bothProved: true }, 'active'],
    ['suspended', { type: 'reinstate', bothProved: false }, 'accepted'],
    ['suspended', { type: 'revoke', by: 'grantor' }, 'revoked'],
    ['suspended', { type: 'both-proved' }, 'refused'],
    ['revoked', { type: 'reinstate', bothProved: true }, 'refused'],
    ['revoked', { type: 'accept', bothProved: true }, 'refused'],
    ['revoked', { type: 'revoke', by: 'grantor' }, 'refused'],
    ['expired', { type: 'both-proved' }, 'refused'],
    ['expired', { type: 'expire' }, 'refused'],
  ];
  it.each(table)('%s + %o -> %s', (from, event, expected) => {
    const result = transition(from, event);
    if (expected === 'refused') {
      expect(result).toEqual({ ok: false, error: { kind: 'not-allowed', from, event: event.type } });
    } else {
      expect(result).toEqual({ ok: true, value: expected });
    }
  });
});

describe('ending by itself', () => {
  it('works to the end of its end date, inclusive', () => {
    const times = { origin: 'person' as const, endsOn: '2026-12-31' };
    expect(expiryReason(times, '2026-12-31')).toBeUndefined();
    expect(expiryReason(times, '2027-01-01')).toBe('end-date');
    expect(expiryReason({ origin: 'person' }, '2099-01-01')).toBeUndefined();
  });

  it("ends a practice's delegation on its review date unless renewed", () => {
    const times = { origin: 'practice' as const, reviewOn: '2027-03-01' };
    expect(expiryReason(times, '2027-02-28')).toBeUndefined();
    expect(expiryReason(times, '2027-03-01')).toBe('review-date');
    expect(expiryReason({ ...times, reviewOn: '2028-03-01' }, '2027-03-01')).toBeUndefined();
  });

  it("ends a practice's delegation for a child on their 16th birthday", () => {
    const times = {
      origin: 'practice' as const,
      forChild: true,
      grantorBirthDate: '2010-11-25',
      reviewOn: '2030-01-01',
    };
    expect(expiryReason(times, '2026-11-24')).toBeUndefined();
    expect(expiryReason(times, '2026-11-25')).toBe('turned-16');
    // An adult who lacks capacity has no such birthday.
    expect(expiryReason({ ...times, forChild: false }, '2026-11-25')).toBeUndefined();
  });

  it('puts a 29 February birthday on 1 March in other years, and knows who is a child', () => {
    expect(birthdayAt('2008-02-29', 16)).toBe('2024-02-29');
    expect(birthdayAt('2011-02-28', 16)).toBe('2027-02-28');
    expect(birthdayAt('2012-02-29', 15)).toBe('2027-03-01');
    expect(isChild('2010-11-25', '2026-11-24')).toBe(true);
    expect(isChild('2010-11-24', '2026-11-24')).toBe(false);
  });
});

describe('acting for someone', () => {
  const base: ActingCheck = {
    status: 'active',
    times: { origin: 'person' },
    today: '2026-11-24',
    grantorLevel: 'P9',
    delegateLevel: 'P9',
    alreadyActing: false,
  };

  it('lets an active delegate of two P9 people act', () => {
    expect(mayAct(base)).toBeUndefined();
  });

  it('refuses a delegate of a delegate, whatever else holds', () => {
    expect(mayAct({ ...base, alreadyActing: true })).toBe('chained');
  });

  it.each(['invited', 'accepted', 'suspended', 'revoked', 'expired'] as const)(
    'refuses when %s',
    (status) => {
      expect(mayAct({ ...base, status })).toBe('not-active');
    },
  );

  it('refuses after the end date even before a sweep marks it expired', () => {
    expect(mayAct({ ...base, times: { origin: 'person', endsOn: '2026-11-23' } })).toBe('expired');
  });

  it('refuses when either person is no longer P9 (a suspended level reads P0)', () => {
    expect(mayAct({ ...base, grantorLevel: 'P0' })).toBe('not-proved');
    expect(mayAct({ ...base, delegateLevel: 'P5' })).toBe('not-proved');
  });
});
