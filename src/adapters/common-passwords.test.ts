import { describe, expect, it } from 'vitest';
import { createPasswordPolicy } from '../domain/password-policy.js';
import { CommonPasswordList, loadCommonPasswords, parseCommonPasswords } from './common-passwords.js';

describe('parseCommonPasswords', () => {
  it('lowercases, strips CR and drops entries shorter than 8 characters', () => {
    const list = parseCommonPasswords('123456\r\nPassWord1\r\niloveyou\nshort\n\nsunshine1\n');
    expect(list.size).toBe(3);
    for (const kept of ['iloveyou', 'password1', 'sunshine1']) expect(list.has(kept)).toBe(true);
    for (const dropped of ['123456', 'short', 'PassWord1', 'password1\r', ''])
      expect(list.has(dropped)).toBe(false);
  });

  it('stores the NFKC form the policy looks up', () => {
    // U+FB01 "ﬁ" becomes "fi"
    const list = parseCommonPasswords('ﬁrewood1\n');
    expect(list.has('firewood1')).toBe(true);
    expect(list.has('ﬁrewood1')).toBe(false);
  });

  it('counts length in code points', () => {
    // 4 emoji are 8 UTF-16 units but only 4 characters
    expect(parseCommonPasswords('🐱🐶🐭🐹\n').size).toBe(0);
  });
});

describe('CommonPasswordList', () => {
  it('finds every entry it was given and no other, duplicates kept once', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => `entry-${i}-${(i * 7919) % 1000}`);
    const list = CommonPasswordList.of([...entries, ...entries.slice(0, 100)]);
    expect(list.size).toBe(5000);
    for (const e of entries) expect(list.has(e)).toBe(true);
    for (let i = 0; i < 5000; i++) expect(list.has(`other-${i}`)).toBe(false);
    expect(CommonPasswordList.of([]).has('anything')).toBe(false);
  });
});

describe('loadCommonPasswords', () => {
  it('loads the SecLists list', async () => {
    const list = await loadCommonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(100_000);
    for (const p of ['password1', 'iloveyou', 'password', '12345678', 'qwertyuiop'])
      expect(list.has(p)).toBe(true);
    // Shorter than 8 characters: refused on length before the list is asked, so not kept.
    for (const p of ['123456', 'qwerty', 'dragon']) expect(list.has(p)).toBe(false);
    expect(list.has('password\r')).toBe(false);
    expect(list.has('zq8#vyt!lk2m-purple-otter')).toBe(false);
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
