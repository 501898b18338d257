// Suppliers as oidc-provider clients: how a stored supplier becomes client
// metadata, and how a supplier's registered public key is read.
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { Supplier } from '../store/schema.js';
import { err, ok, type Result } from '../domain/result.js';
import { JWT_BEARER_GRANT } from './users-api-grant.js';

/**
 * Client metadata every supplier shares: the NHS login interface allows
 * nothing else. Every supplier may ask for the Users API grant; only those
 * approved (`users_api`) get a token, the rest `unauthorized_client`.
 */
const FIXED_METADATA = {
  response_types: ['code'],
  grant_types: ['authorization_code', 'refresh_token', JWT_BEARER_GRANT],
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

/**
 * Reads a supplier's public key (PEM: SPKI, PKCS#1 or an X.509 certificate)
 * into a JWK without a `kid`: suppliers register bare PEM keys, so their
 * assertions carry key ids of their own making, which we do not know.
 */
export function publicKeyToJwk(pem: string): Result<JsonWebKey, string> {
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    return err('The key is not a PEM public key or certificate');
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    if ((details?.modulusLength ?? 0) < 2048) return err('RSA keys must be at least 2048 bits');
  } else if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve !== 'prime256v1') return err('EC keys must use the P-256 curve');
  } else {
    return err('The key must be an RSA (2048 bits or more) or EC P-256 public key');
  }
  return ok({ ...key.export({ format: 'jwk' }), use: 'sig' });
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
