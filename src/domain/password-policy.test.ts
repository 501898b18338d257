import { describe, expect, it } from 'vitest';
import {
  createPasswordPolicy,
  MAX_PASSWORD_LENGTH,
  normalisePassword,
  PASSWORD_MESSAGES,
  type PasswordProblem,
} from './password-policy.js';

const commonList = new Set(['password1', 'iloveyou1', 'qwertyuiop', 'correcthorse']);
const seen: string[] = [];
const policy = createPasswordPolicy({
  has: (s) => {
    seen.push(s);
    return commonList.has(s);
  },
});

const problem = (password: string, email?: string): PasswordProblem | undefined => {
  const r = policy.check(password, { email });
  return r.ok ? undefined : r.error;
};

describe('password policy', () => {
  it('accepts a long ordinary passphrase without composition rules', () => {
    expect(problem('purple tractor umbrella')).toBeUndefined();
    expect(problem('alllowercase')).toBeUndefined();
    expect(problem('ab3kq9zx')).toBeUndefined();
  });

  it('refuses an empty password', () => {
    expect(problem('')).toBe('empty');
  });

  it('needs at least 8 characters', () => {
    expect(problem('a7k2q9z')).toBe('too_short');
    expect(problem('a7k2q9zx')).toBeUndefined();
  });

  it('counts characters as code points, not UTF-16 units', () => {
    // seven emoji are 14 UTF-16 units but 7 characters
    expect(problem('🐱🐶🐭🐹🐰🦊🐻')).toBe('too_short');
    expect(problem('🐱🐶🐭🐹🐰🦊🐻🐼')).toBeUndefined();
  });

  it('counts length after NFKC normalisation', () => {
    // U+FB01 "ﬁ" becomes "fi": 7 code points before, 8 after
    expect([...'ﬁrewood'].length).toBe(7);
    expect(problem('ﬁrewood1')).toBeUndefined();
    expect(problem('ﬁrewoo')).toBe('too_short');
    // a decomposed é is two code points, NFKC composes it to one
    expect(problem('cafe\u0301abc')).toBe('too_short');
  });

  it('allows 128 characters and refuses 129', () => {
    const base = 'the quick brown fox jumps over a lazy dog ';
    const long = base.repeat(4).slice(0, MAX_PASSWORD_LENGTH);
    expect(problem(long)).toBeUndefined();
    expect(problem(long + 'x')).toBe('too_long');
  });

  it('refuses a common password whatever its case', () => {
    expect(problem('password1')).toBe('common');
    expect(problem('PassWord1')).toBe('common');
    expect(problem('IloveYou1')).toBe('common');
  });

  it('looks up the lowercased NFKC form', () => {
    seen.length = 0;
    policy.check('ＰＡＳＳＷＯＲＤ１', {});
    expect(seen).toEqual(['password1']);
    expect(problem('ＰＡＳＳＷＯＲＤ１')).toBe('common');
  });

  it.each(['aaaaaaaa', '11111111', 'abababab', 'passpass', '12341234', '        '])(
    'refuses the repetitive %j as common',
    (p) => {
      expect(problem(p)).toBe('common');
    },
  );

  it.each(['12345678', '87654321', 'abcdefgh', 'ABCDEFGHI', 'zyxwvuts', '78901234', '32109876'])(
    'refuses the sequential %j as common',
    (p) => {
      expect(problem(p)).toBe('common');
    },
  );

  it.each(['12345679', 'abcdefgz', 'abcabcabcd', 'a1a1a1a1b', 'aceg ikmo'])(
    'does not treat %j as trivial',
    (p) => {
      expect(problem(p)).toBeUndefined();
    },
  );

  it('refuses a password containing the email local part', () => {
    expect(problem('patsmith', 'patsmith@example.org')).toBe('contains_email');
    expect(problem('xxPatSmith99', 'patsmith@example.org')).toBe('contains_email');
    expect(problem('patsmith99', 'PatSmith@Example.org')).toBe('contains_email');
  });

  it('ignores a local part shorter than 4 characters', () => {
    expect(problem('patterned lamp', 'pat@example.org')).toBeUndefined();
  });

  it('does not mind the domain of the email', () => {
    expect(problem('example.org rocks', 'pats@example.org')).toBeUndefined();
  });

  it('works without any context', () => {
    expect(policy.check('ordinary words here').ok).toBe(true);
  });

  it('reports length before commonness', () => {
    expect(problem('aaaa')).toBe('too_short');
  });
});

describe('normalisePassword', () => {
  it('makes composed and decomposed forms equal', () => {
    expect(normalisePassword('cafe\u0301')).toBe(normalisePassword('caf\u00e9'));
  });

  it('does not change case or spaces', () => {
    expect(normalisePassword('  Mixed Case  ')).toBe('  Mixed Case  ');
  });
});

describe('PASSWORD_MESSAGES', () => {
  it('has plain-English text for each problem', () => {
    expect(PASSWORD_MESSAGES).toEqual({
      empty: 'Enter a password',
      too_short: 'Your password must be at least 8 characters',
      too_long: 'Your password must be 128 characters or fewer',
      common: 'Choose a password that is harder to guess. This one is too common.',
      contains_email: 'Your password must not contain your email address',
    });
  });
});
