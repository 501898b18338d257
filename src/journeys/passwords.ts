// Password hashing: argon2id at OWASP's parameters (19 MiB, t=2, p=1).
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { normalisePassword } from '../domain/password-policy.js';

// Algorithm is a const enum (not importable as a value under isolatedModules); 2 is Argon2id.
const OWASP = { algorithm: 2 as Algorithm, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(normalisePassword(password), OWASP);
}

export async function passwordMatches(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, normalisePassword(password));
  } catch {
    return false;
  }
}

/**
 * A hash to check against when the email has no account, so a wrong email
 * takes as long as a wrong password and the timing says nothing.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword('decoy password that is never anyone’s');
  return decoy;
}
