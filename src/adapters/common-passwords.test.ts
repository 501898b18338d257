import { describe, expect, it } from 'vitest';
import { createPasswordPolicy } from '../domain/password-policy.js';
import { loadCommonPasswords, parseCommonPasswords } from './common-passwords.js';

describe('parseCommonPasswords', () => {
  it('lowercases, strips CR and drops entries shorter than 8 characters', () => {
    const set = parseCommonPasswords('123456\r\nPassWord1\r\niloveyou\nshort\n\nsunshine1\n');
    expect([...set].sort()).toEqual(['iloveyou', 'password1', 'sunshine1']);
  });

  it('stores the NFKC form the policy looks up', () => {
    // U+FB01 "ﬁ" becomes "fi"
    expect([...parseCommonPasswords('ﬁrewood1\n')]).toEqual(['firewood1']);
  });

  it('counts length in code points', () => {
    // 4 emoji are 8 UTF-16 units but only 4 characters
    expect(parseCommonPasswords('🐱🐶🐭🐹\n').size).toBe(0);
  });
});

describe('loadCommonPasswords', () => {
  it('loads the SecLists list', async () => {
    const set = await loadCommonPasswords();
    expect(set.size).toBeGreaterThanOrEqual(100_000);
    for (const p of ['password1', 'iloveyou', 'password', '12345678', 'qwertyuiop'])
      expect(set.has(p)).toBe(true);
    expect(set.has('password\r')).toBe(false);
    expect(set.has('zq8#vyt!lk2m-purple-otter')).toBe(false);
    const short = [...set].filter((entry) => [...entry].length < 8);
    expect(short).toEqual([]);
  });

  it('is loaded once and shared', async () => {
    const [a, b] = await Promise.all([loadCommonPasswords(), loadCommonPasswords()]);
    expect(a).toBe(b);
  });

  it('plugs into the password policy', async () => {
    const policy = createPasswordPolicy(await loadCommonPasswords());
    expect(policy.check('Password1', {})).toEqual({ ok: false, error: 'common' });
    expect(policy.check('ILoveYou', {})).toEqual({ ok: false, error: 'common' });
    expect(policy.check('purple otter umbrella', {})).toEqual({ ok: true, value: undefined });
  });
});
