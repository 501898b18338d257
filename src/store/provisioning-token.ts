// The link that lets a person claim an account provisioned for them in person
// (0008), shared by the back office and API that provision (they make the
// link) and the claim journey (it looks the token up). Tokens are
// ./link-tokens.ts's: only their hash is stored.
import { linkTokenHash, newLinkToken } from './link-tokens.js';

/** Where the emailed link points: `${issuer}${CLAIM_PATH}?token=…`. */
export const CLAIM_PATH = '/claim-account';

/** How long a claim link works, and how long a pending request blocks another for the same NHS number. */
export const CLAIM_EXPIRY_DAYS = 7;

export const claimTokenHash = linkTokenHash;
export const newClaimToken = newLinkToken;

export function claimLink(issuer: string, token: string): string {
  return `${issuer}${CLAIM_PATH}?token=${encodeURIComponent(token)}`;
}
