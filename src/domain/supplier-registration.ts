// What a supplier may be registered with (interface.md): redirect URIs,
// scopes, vectors of trust and client-assertion algorithms. Pure rules; the
// CLI and (later) the back office both go through them.
import { ALL_SCOPES, checkScopeCombination, isScope } from './claims.js';
import { err, ok, type Result } from './result.js';
import { DEFAULT_VTR, parseVector } from './vectors-of-trust.js';

export const MAX_REDIRECT_URIS = 10;
/** Algorithms a supplier may be allowed besides RS512, for software that cannot sign RS512. */
export const EXTRA_ASSERTION_ALGS = ['RS256', 'PS256', 'ES256'] as const;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

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
