// Six-digit codes sent by email or text. Only an HMAC of the code is
// stored, keyed with a server-side pepper: a million possible codes are
// trivially brute-forced from a plain hash if the database leaks.
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_LENGTH = 6;
// Email can take minutes to arrive; a text is near-instant, so its window
// can be shorter.
export const CODE_TTL_SECONDS = 900;
export const SMS_CODE_TTL_SECONDS = 300;
// With 5 guesses at a 1-in-a-million code, a guesser succeeds 1 time in 200,000.
export const MAX_CODE_ATTEMPTS = 5;

/** Uniform over 000000-999999; leading zeros are part of the code. */
export function generateCode(): string {
  return String(randomInt(0, 10 ** CODE_LENGTH)).padStart(CODE_LENGTH, '0');
}

export function hashCode(code: string, pepper: string): string {
  return createHmac('sha256', pepper).update(code).digest('hex');
}

// People copy codes with spaces ("123 456") or type them so.
const WHITESPACE = /\s/g;

/** Compares in constant time so response timing reveals nothing about the stored hash. */
export function codeMatches(input: string, hash: string, pepper: string): boolean {
  const candidate = Buffer.from(hashCode(input.replace(WHITESPACE, ''), pepper), 'hex');
  const stored = Buffer.from(hash, 'hex');
  // timingSafeEqual throws on a length mismatch; a malformed stored hash is
  // simply not a match.
  if (stored.length !== candidate.length) return false;
  return timingSafeEqual(candidate, stored);
}
