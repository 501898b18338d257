// Single-use links sent by email (claiming an account provisioned in person,
// accepting a delegation): 32 random bytes in the link, only their SHA-256
// in the database, so a copy of the database opens nobody's link.
import { createHash, randomBytes } from 'node:crypto';

export function linkTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: linkTokenHash(token) };
}
