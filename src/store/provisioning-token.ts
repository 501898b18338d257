// The link that lets a person claim an account provisioned for them in person
// (0008). The token is 32 random bytes, sent only in the email; the database
// keeps its SHA-256, so a copy of the database cannot claim anyone's account.
// Shared by the back office and API that provision (they make the link) and
// the claim journey (it looks the token up).
import { createHash, randomBytes } from 'node:crypto';

/** Where the emailed link points: `${issuer}${CLAIM_PATH}?token=…`. */
export const CLAIM_PATH = '/claim-account';

/** How long a claim link works, and how long a pending request blocks another for the same NHS number. */
export const CLAIM_EXPIRY_DAYS = 7;

export function claimTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newClaimToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: claimTokenHash(token) };
}

export function claimLink(issuer: string, token: string): string {
  return `${issuer}${CLAIM_PATH}?token=${encodeURIComponent(token)}`;
}
