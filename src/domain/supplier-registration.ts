// What a supplier may be registered with (interface.md): client ids,
// redirect URIs, scopes (with the extra approval gp_integration_credentials
// needs), vectors of trust and client-assertion algorithms. Pure rules; the
// CLI and the back office both go through them.
import { ALL_SCOPES, checkScopeCombination, isScope } from './claims.js';
import { err, ok, type Result } from './result.js';
import { DEFAULT_VTR, parseVector } from './vectors-of-trust.js';

export const MAX_REDIRECT_URIS = 10;
/** Algorithms a supplier may be allowed besides RS512, for software that cannot sign RS512. */
export const EXTRA_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256'] as const;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
/** Client ids that would clash with the back office's own supplier paths (/backoffice/suppliers/new). */
const RESERVED_CLIENT_IDS = new Set(['new']);

export function checkClientId(clientId: string): Result<string, string> {
  if (!CLIENT_ID.test(clientId))
    return err('client_id must be 1-100 letters, digits, dots, hyphens or underscores');
  if (RESERVED_CLIENT_IDS.has(clientId)) return err(`client_id ${clientId} is reserved`);
  return ok(clientId);
}

/** Is this the shape of a client id (for looking one up, or naming a single sign-on partner)? */
export function looksLikeClientId(value: string): boolean {
  return CLIENT_ID.test(value);
}

/** The scope only suppliers with GP integration (IM1 pairing) approval may be given. */
export const GP_INTEGRATION_SCOPE = 'gp_integration_credentials';
export const MAX_APPROVAL_REFERENCE = 100;
/** The longest reason kept for suspending or resuming a supplier. */
export const MAX_SUSPENSION_REASON = 500;

/**
 * gp_integration_credentials is approved only with a reference to the
 * supplier's GP integration (IM1 pairing) approval, given when the scope is
 * granted. A supplier that already holds the scope keeps its approval; one
 * that is given it anew needs a reference. Answers the reference to record
 * (undefined when none is needed or the existing one stands).
 */
export function checkGpIntegrationApproval(
  scopes: readonly string[],
  approval: { alreadyApproved: boolean; reference?: string | undefined },
): Result<string | undefined, string> {
  const reference = approval.reference?.trim();
  if (!scopes.includes(GP_INTEGRATION_SCOPE)) return ok(undefined);
  if (reference && reference.length > MAX_APPROVAL_REFERENCE)
    return err(`The approval reference must be ${MAX_APPROVAL_REFERENCE} characters or fewer`);
  if (reference) return ok(reference);
  if (approval.alreadyApproved) return ok(undefined);
  return err(
    `The ${GP_INTEGRATION_SCOPE} scope needs a separate approval: give the reference of the supplier's GP integration (IM1 pairing) approval`,
  );
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname);
}

/** Exact URIs only: https (http for loopback in development), no query, fragment or wildcard. */
export function checkRedirectUris(uris: readonly string[]): Result<string[], string> {
  if (uris.length === 0) return err('At least one redirect URI is needed');
  if (uris.length > MAX_REDIRECT_URIS) return err(`At most ${MAX_REDIRECT_URIS} redirect URIs are allowed`);
  if (new Set(uris).size !== uris.length) return err('Redirect URIs must not repeat');
  for (const raw of uris) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return err(`${raw} is not a URL`);
    }
    if (raw.includes('*')) return err(`${raw}: wildcards are not allowed`);
    if (url.search || raw.includes('?')) return err(`${raw}: query strings are not allowed`);
    if (url.hash || raw.includes('#')) return err(`${raw}: fragments are not allowed`);
    if (url.username || url.password) return err(`${raw}: user names and passwords are not allowed`);
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    if (!secure) return err(`${raw}: must use https (http is allowed only for localhost)`);
  }
  return ok([...uris]);
}

export function checkScopes(scopes: readonly string[]): Result<string[], string> {
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length) return err(`Unknown scopes: ${unknown.join(', ')} (known: ${ALL_SCOPES.join(' ')})`);
  if (!scopes.includes('openid')) return err('The openid scope is required');
  // A supplier may be approved for both; a single request may not combine them (checked at /authorize).
  return ok([...new Set(scopes)]);
}

export function checkAllowedVectors(vectors: readonly string[]): Result<string[], string> {
  if (vectors.length === 0) return err('At least one vector of trust is needed');
  for (const v of vectors) {
    const parsed = parseVector(v);
    if (!parsed.ok) return err(`${v}: ${parsed.error}`);
  }
  return ok([...new Set(vectors)]);
}

export function checkAssertionAlgs(algs: readonly string[]): Result<string[], string> {
  const bad = algs.filter((a) => !(EXTRA_ASSERTION_ALGS as readonly string[]).includes(a));
  if (bad.length)
    return err(
      `Unsupported client assertion algorithms: ${bad.join(', ')} (allowed: ${EXTRA_ASSERTION_ALGS.join(', ')})`,
    );
  return ok([...new Set(algs)]);
}

export const DEFAULT_ALLOWED_VECTORS = [...DEFAULT_VTR];

export { checkScopeCombination };
