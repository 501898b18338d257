// Contact details are how we reach the person with sign-in codes, so they
// are normalised to one stored form: the same address or number typed two
// ways must not become two accounts.
import { err, ok, type Result } from './result.js';

export type EmailProblem = 'empty' | 'invalid' | 'too_long';
export type MobileProblem = 'empty' | 'invalid' | 'not_mobile';
export type LandlineProblem = 'empty' | 'invalid' | 'not_landline';

// RFC 5321 path limit; the local part is limited to 64 octets.
export const MAX_EMAIL_LENGTH = 254;
const MAX_EMAIL_LOCAL_LENGTH = 64;

// Deliberately loose: the code we send proves the address works, so this
// only catches typing mistakes. One @, no spaces or characters that only
// appear in display names, and a domain with at least one dot.
const EMAIL = /^[^\s@,;:<>()[\]\\"]+@(?:[^\s@,;:<>()[\]\\".]+\.)+[^\s@,;:<>()[\]\\".]+$/u;
const CONTROL = /\p{Cc}/u;

export const EMAIL_MESSAGES: Record<EmailProblem, string> = {
  empty: 'Enter your email address',
  invalid: 'Enter an email address in the correct format, like name@example.com',
  too_long: `Email address must be ${MAX_EMAIL_LENGTH} characters or fewer`,
};

export const MOBILE_MESSAGES: Record<MobileProblem, string> = {
  empty: 'Enter your mobile phone number',
  invalid: 'Enter a UK mobile phone number, like 07700 900 982',
  not_mobile: 'Enter a mobile phone number. The number you entered is not a mobile number.',
};

export const LANDLINE_MESSAGES: Record<LandlineProblem, string> = {
  empty: 'Enter your landline phone number',
  invalid: 'Enter a UK landline phone number, like 0113 496 0000',
  not_landline: 'Enter a landline phone number. The number you entered is a mobile number.',
};

/**
 * Lowercases the whole address. Strictly the local part is case-sensitive,
 * but no mainstream provider treats it so, and people do not remember which
 * capitals they used.
 */
export function normaliseEmail(input: string): Result<string, EmailProblem> {
  const email = input.trim().toLowerCase();
  if (email === '') return err('empty');
  if (email.length > MAX_EMAIL_LENGTH) return err('too_long');
  if (CONTROL.test(email) || !EMAIL.test(email)) return err('invalid');
  const local = email.slice(0, email.indexOf('@'));
  if (local.length > MAX_EMAIL_LOCAL_LENGTH) return err('invalid');
  return ok(email);
}

// Characters people type as grouping; anything else (letters, extension
// markers) is a mistake we would rather ask about than guess.
const GROUPING = /[\s\-().]/g;

/**
 * The UK national significant number (the digits after +44, without the
 * trunk 0), from the ways people write UK numbers: 07700 900123,
 * +44 7700 900123, +44 (0)7700 900123, 0044..., 447700900123.
 */
function ukSignificantNumber(input: string): Result<string, 'empty' | 'invalid'> {
  const trimmed = input.trim();
  if (trimmed === '') return err('empty');
  const compact = trimmed.replace(GROUPING, '');
  if (!/^\+?\d+$/.test(compact)) return err('invalid');
  let nsn: string;
  if (compact.startsWith('+')) {
    if (!compact.startsWith('+44')) return err('invalid');
    nsn = compact.slice(3);
  } else if (compact.startsWith('0044')) {
    nsn = compact.slice(4);
  } else if (compact.startsWith('44') && compact.length >= 11) {
    nsn = compact.slice(2);
  } else if (compact.startsWith('0')) {
    nsn = compact.slice(1);
  } else {
    return err('invalid');
  }
  // "+44 (0)7700..." keeps the trunk 0 after the country code.
  if (nsn.startsWith('0')) nsn = nsn.slice(1);
  if (!/^[1-9]\d{8,9}$/.test(nsn)) return err('invalid');
  return ok(nsn);
}

// 071-075 and 077-079 are mobiles; 070 is personal numbering and 076 pagers,
// neither of which reliably takes a text, except 07624 (Isle of Man mobiles).
const isMobileNsn = (nsn: string): boolean => /^7(?:[1-57-9]\d{8}|624\d{6})$/.test(nsn);
// 01 has some 9-digit numbers (e.g. 016977 xxxx); 02 and 03 are all 10 digits.
const isLandlineNsn = (nsn: string): boolean => /^(?:1\d{8,9}|[23]\d{9})$/.test(nsn);

/** A UK mobile number in E.164 form, +447xxxxxxxxx. */
export function normaliseUkMobile(input: string): Result<string, MobileProblem> {
  const nsn = ukSignificantNumber(input);
  if (!nsn.ok) return nsn;
  if (isMobileNsn(nsn.value)) return ok('+44' + nsn.value);
  if (isLandlineNsn(nsn.value) || /^[5-9]\d{9}$/.test(nsn.value)) return err('not_mobile');
  return err('invalid');
}

/** A UK landline (01, 02 or 03) number in E.164 form. */
export function normaliseUkLandline(input: string): Result<string, LandlineProblem> {
  const nsn = ukSignificantNumber(input);
  if (!nsn.ok) return nsn;
  if (isLandlineNsn(nsn.value)) return ok('+44' + nsn.value);
  if (isMobileNsn(nsn.value)) return err('not_landline');
  return err('invalid');
}

/**
 * Enough of the number for the person to recognise which phone we texted,
 * not enough for someone looking over their shoulder to learn it:
 * +447700900123 becomes 07*** ***123.
 */
export function maskPhone(e164: string): string {
  const digits = e164.startsWith('+44') ? '0' + e164.slice(3) : e164;
  if (digits.length <= 5) return '*'.repeat(digits.length);
  const hidden = '*'.repeat(digits.length - 5);
  const masked = digits.slice(0, 2) + hidden + digits.slice(-3);
  // Group like a written UK number: 07700 900123.
  return masked.length > 5 ? `${masked.slice(0, 5)} ${masked.slice(5)}` : masked;
}
