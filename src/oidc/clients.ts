// Suppliers as oidc-provider clients: how a stored supplier becomes client
// metadata, how a supplier's registered public keys (PEM or a JWKS URL) are
// read and checked, and the openid-client snippet its developers start from.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { Supplier } from '../store/schema.js';
import { err, ok, type Result } from '../domain/result.js';
import { JWT_BEARER_GRANT } from './users-api-grant.js';
import { TOKEN_EXCHANGE_GRANT } from './grant-types.js';

/**
 * Client metadata every supplier shares: the NHS login interface allows
 * nothing else. Every supplier may ask for the Users API grant and for token
 * exchange; only those approved (`users_api`, the `delegations` scope) get a
 * token, the rest `unauthorized_client`.
 */
const FIXED_METADATA = {
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token', JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT],
  token_endpoint_auth_method: 'private_key_jwt',
  id_token_signed_response_alg: 'RS512',
  application_type: 'web',
} as const;

export function supplierToClientMetadata(
  s: Pick<Supplier, 'client_id' | 'name' | 'metadata'>,
): Record<string, unknown> {
  const m = s.metadata;
  return {
    ...FIXED_METADATA,
    client_id: s.client_id,
    client_name: s.name,
    redirect_uris: m.redirect_uris,
    scope: m.scope,
    ...(m.jwks ? { jwks: m.jwks } : {}),
    ...(m.jwks_uri ? { jwks_uri: m.jwks_uri } : {}),
    ...(m.post_logout_redirect_uris?.length
      ? { post_logout_redirect_uris: m.post_logout_redirect_uris }
      : {}),
    ...(m.backchannel_logout_uri
      ? { backchannel_logout_uri: m.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    allowed_vtr: m.allowed_vtr,
    sso_partners: m.sso_partners,
    client_assertion_algs: m.client_assertion_algs,
    sandpit: m.sandpit ?? false,
    users_api: m.users_api ?? false,
  };
}

export const EXTRA_CLIENT_METADATA = [
  'allowed_vtr',
  'sso_partners',
  'client_assertion_algs',
  'sandpit',
  'users_api',
] as const;

/** What a supplier's signing key must be, whichever way it was registered. */
function checkKey(key: KeyObject): Result<void, string> {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < 2048) return err('RSA keys must be at least 2048 bits');
  } else if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve !== 'prime256v1') return err('EC keys must use the P-256 curve');
  } else {
    return err('The key must be an RSA (2048 bits or more) or EC P-256 public key');
  }
  return ok(undefined);
}

/**
 * Reads a supplier's public key (PEM: SPKI, PKCS#1 or an X.509 certificate)
 * into a JWK without a `kid`: suppliers register bare PEM keys, so their
 * assertions carry key ids of their own making, which we do not know. A
 * private key is refused (node would happily derive the public key from it):
 * the supplier's private key must never reach the operator.
 */
export function publicKeyToJwk(pem: string): Result<JsonWebKey, string> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return err('This is a private key: register the public key only (the supplier keeps its private key)');
  }
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    return err('The key is not a PEM public key or certificate');
  }
  const checked = checkKey(key);
  if (!checked.ok) return checked;
  return ok({ ...key.export({ format: 'jwk' }), use: 'sig' });
}

/** The PEM blocks in a piece of text (a textarea may hold several keys). */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => m[0]);
}

/** Checks a public JWK (as found in a JWKS) as publicKeyToJwk checks a PEM key. */
export function checkPublicJwk(jwk: Record<string, unknown>): Result<void, string> {
  if ('d' in jwk) return err('The JWKS holds a private key: it must publish public keys only');
  let key;
  try {
    key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return err(`A key of type ${String(jwk.kty)} in the JWKS cannot be read`);
  }
  return checkKey(key);
}

/** How long the check of a JWKS URL waits, and the most it reads. */
const JWKS_TIMEOUT_MS = 5000;
const JWKS_MAX_BYTES = 100_000;

/**
 * Fetches a supplier's JWKS URL once, when it is registered, and checks that
 * it publishes usable signing keys (RSA 2048 bits or more, or EC P-256). The
 * provider fetches it again itself when the supplier authenticates.
 */
export async function checkJwksUrl(
  url: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Result<number, string>> {
  let body: string;
  try {
    const res = await fetchImpl(url, {
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.timeout(JWKS_TIMEOUT_MS),
    });
    if (!res.ok) return err(`The JWKS URL answered HTTP ${res.status}`);
    body = await res.text();
  } catch (e) {
    const timedOut = (e as { name?: string }).name === 'TimeoutError';
    return err(
      timedOut
        ? `The JWKS URL did not answer within ${JWKS_TIMEOUT_MS / 1000} seconds`
        : 'The JWKS URL could not be reached',
    );
  }
  if (body.length > JWKS_MAX_BYTES) return err('The JWKS at this URL is too large');
  let keys: unknown;
  try {
    keys = (JSON.parse(body) as { keys?: unknown }).keys;
  } catch {
    return err('The JWKS URL does not return JSON');
  }
  if (!Array.isArray(keys) || !keys.length) return err('The JWKS at this URL holds no keys');
  for (const jwk of keys) {
    if (!jwk || typeof jwk !== 'object') return err('The JWKS at this URL holds something that is not a key');
    const k = jwk as Record<string, unknown>;
    if (k.use === 'enc') continue;
    const checked = checkPublicJwk(k);
    if (!checked.ok)
      return err(`${checked.error} (key ${typeof k.kid === 'string' ? k.kid : 'without a kid'})`);
  }
  return ok(keys.length);
}

/** Short fingerprints of a supplier's registered keys (RFC 7638 thumbprints). */
export async function keyThumbprints(s: Pick<Supplier, 'metadata'>): Promise<string[]> {
  const keys = s.metadata.jwks?.keys ?? [];
  return Promise.all(keys.map((k) => calculateJwkThumbprint(k as JWK)));
}

/** A JavaScript string literal in single quotes. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A starting point for the supplier's developers, with openid-client (v6):
 * discovery, private_key_jwt signed RS512 with the token endpoint as the
 * assertion's audience, and an authorization URL with the supplier's own
 * redirect URI, scopes and vectors of trust.
 */
export function openidClientSnippet(s: Pick<Supplier, 'client_id' | 'metadata'>, issuer: string): string[] {
  const insecure = issuer.startsWith('http://');
  const [redirect = 'https://your-service.example/callback', ...otherRedirects] = s.metadata.redirect_uris;
  return [
    `import * as client from 'openid-client';`,
    `import { importPKCS8 } from 'jose';`,
    ``,
    `// Import the private key for RS512: openid-client picks the assertion alg from the key.`,
    `const privateKey = await importPKCS8(process.env.NHS_LOGIN_PRIVATE_KEY_PEM, 'RS512');`,
    `const config = await client.discovery(`,
    `  new URL(${quote(issuer)}),`,
    `  ${quote(s.client_id)},`,
    `  { token_endpoint_auth_method: 'private_key_jwt', id_token_signed_response_alg: 'RS512' },`,
    `  client.PrivateKeyJwt(privateKey, {`,
    `    // The client assertion's aud must be the token endpoint.`,
    `    [client.modifyAssertion]: (_header, payload) => {`,
    `      payload.aud = config.serverMetadata().token_endpoint;`,
    `    },`,
    `  }),`,
    ...(insecure ? [`  { execute: [client.allowInsecureRequests] }, // http: local development only`] : []),
    `);`,
    `const url = client.buildAuthorizationUrl(config, {`,
    ...(otherRedirects.length ? [`  // Also registered: ${otherRedirects.join(', ')}`] : []),
    `  redirect_uri: ${quote(redirect)},`,
    `  scope: ${quote(s.metadata.scope)},`,
    `  state: client.randomState(),`,
    `  nonce: client.randomNonce(),`,
    `  vtr: JSON.stringify([${s.metadata.allowed_vtr.map(quote).join(', ')}]),`,
    `});`,
  ];
}

interface KeyStoreLike {
  selectForVerify: (this: KeyStoreLike, options: { alg?: string; kid?: string }) => { kid?: string }[];
}

/**
 * oidc-provider matches an assertion's `kid` header against the client's keys
 * exactly, so a key registered without a kid (every PEM key) would never
 * match an assertion that carries one. NHS login checks such assertions
 * against the registered key whatever their kid says; this patch makes the
 * client key store do the same: when no key has the asked-for kid, keys that
 * have no kid at all are tried. Keys that do have kids are still matched exactly.
 */
export function matchKidlessKeysToAnyKid(keystore: KeyStoreLike): void {
  const proto = Object.getPrototypeOf(keystore) as KeyStoreLike & { __kidless?: true };
  if (proto.__kidless) return;
  const original = proto.selectForVerify;
  proto.selectForVerify = function (this: KeyStoreLike, options) {
    const exact = original.call(this, options);
    if (exact.length || options.kid === undefined) return exact;
    return original.call(this, { ...options, kid: undefined }).filter((k) => k.kid === undefined);
  };
  proto.__kidless = true;
}
