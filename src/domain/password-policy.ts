// NIST SP 800-63B memorised secrets: length and a blocklist, no composition
// rules (they push people to predictable patterns like "Password1!") and no
// forced expiry.
import { err, ok, type Result } from './result.js';

export type PasswordProblem = 'empty' | 'too_short' | 'too_long' | 'common' | 'contains_email';

export const MIN_PASSWORD_LENGTH = 8;
// Long enough for any passphrase, short enough that argon2 input stays cheap.
export const MAX_PASSWORD_LENGTH = 128;
// Shorter local parts ("jo", "sam") turn up inside ordinary words.
const MIN_EMAIL_LOCAL_LENGTH = 4;

export const PASSWORD_MESSAGES: Record<PasswordProblem, string> = {
  empty: 'Enter a password',
  too_short: `Your password must be at least ${MIN_PASSWORD_LENGTH} characters`,
  too_long: `Your password must be ${MAX_PASSWORD_LENGTH} characters or fewer`,
  common: 'Choose a password that is harder to guess. This one is too common.',
  contains_email: 'Your password must not contain your email address',
};

export type CommonPasswords = { has(lowercased: string): boolean };
export type PasswordContext = { email?: string | undefined };
export type PasswordPolicy = {
  check(password: string, context?: PasswordContext): Result<void, PasswordProblem>;
};

/**
 * The form to hash and to check. The same characters can arrive as
 * different code points from different keyboards and devices (a composed
 * "é" or a decomposed one); NFKC makes them one password, as SP 800-63B
 * recommends. Registration and sign-in must both hash this form.
 */
export const normalisePassword = (password: string): string => password.normalize('NFKC');

const codePointLength = (s: string): number => [...s].length;

/** A short unit repeated: "aaaaaaaa", "abababab", "passpass", "12341234". */
function isRepetitive(chars: readonly string[]): boolean {
  for (let unit = 1; unit <= 4 && unit * 2 <= chars.length; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

const DIGITS = '0123456789';

// +1 or -1 for neighbours; digits wrap round so "78901234" is a run too.
function step(a: string, b: string): number {
  const da = DIGITS.indexOf(a);
  const db = DIGITS.indexOf(b);
  if (da !== -1 && db !== -1) return ((db - da + 15) % 10) - 5;
  return (b.codePointAt(0) ?? 0) - (a.codePointAt(0) ?? 0);
}

/** A run up or down the alphabet or digits: "abcdefgh", "87654321". */
function isSequential(chars: readonly string[]): boolean {
  const first = chars.length >= 2 ? step(chars[0] ?? '', chars[1] ?? '') : 0;
  if (first !== 1 && first !== -1) return false;
  for (let i = 2; i < chars.length; i++) {
    if (step(chars[i - 1] ?? '', chars[i] ?? '') !== first) return false;
  }
  return true;
}

function emailLocalPart(email: string | undefined): string | undefined {
  if (!email) return undefined;
  const at = email.lastIndexOf('@');
  const local = (at === -1 ? email : email.slice(0, at)).normalize('NFKC').toLowerCase();
  return codePointLength(local) >= MIN_EMAIL_LOCAL_LENGTH ? local : undefined;
}

export function createPasswordPolicy(common: CommonPasswords): PasswordPolicy {
  return {
    check(password, context = {}) {
      const normalised = normalisePassword(password);
      const length = codePointLength(normalised);
      if (length === 0) return err('empty');
      if (length < MIN_PASSWORD_LENGTH) return err('too_short');
      if (length > MAX_PASSWORD_LENGTH) return err('too_long');
      const lower = normalised.toLowerCase();
      if (common.has(lower)) return err('common');
      const local = emailLocalPart(context.email);
      if (local !== undefined && lower.includes(local)) return err('contains_email');
      const chars = [...lower];
      if (isRepetitive(chars) || isSequential(chars)) return err('common');
      return ok(undefined);
    },
  };
}
