// `asserted_login_identity`: single sign-on between two suppliers the
// operator has paired. Supplier A signs a short JWT naming the ID token it
// received (`code` = that token's jti); supplier B sends it, usually with
// prompt=none, and the person is signed in at B as they were at A.
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../audit/log.js';
import { AUDIT_EVENTS } from '../audit/events.js';
import { ISSUED_ID_TOKEN, type IssuedIdToken } from './account.js';
import type { AdapterFactory } from './access-token.js';

const MAX_LIFETIME_SECONDS = 60;
const CLOCK_SKEW_SECONDS = 30;

interface SupplierClient {
  clientId: string;
  sso_partners?: string[];
  client_assertion_algs?: string[];
  jwks?: { keys: JWK[] };
}

function invalid(description: string): never {
  throw new errors.InvalidRequest(`asserted_login_identity ${description}`);
}

async function verifySignature(jwt: string, partner: SupplierClient): Promise<boolean> {
  const { alg } = decodeProtectedHeader(jwt);
  const algs = new Set(['RS512', ...(partner.client_assertion_algs ?? [])]);
  if (!alg || !algs.has(alg)) return false;
  // Registered PEM keys have no kid, so every registered key is tried (see clients.ts).
  for (const jwk of partner.jwks?.keys ?? []) {
    try {
      await compactVerify(jwt, await importJWK(jwk, alg));
      return true;
    } catch {
      // next key
    }
  }
  return false;
}

export function createAssertedLoginIdentityValidator(deps: { audit: AuditLog; adapter: AdapterFactory }) {
  return async function validateAssertedLoginIdentity(
    ctx: KoaContextWithOIDC,
    value: string | undefined,
    client: unknown,
  ): Promise<void> {
    if (value === undefined || value === '') return;
    const self = client as SupplierClient;
    let claims;
    try {
      claims = decodeJwt(value);
    } catch {
      invalid('is not a JWT');
    }
    const { iss, jti, iat, exp, code } = claims as Record<string, unknown>;
    if (typeof iss !== 'string' || typeof jti !== 'string' || typeof code !== 'string')
      invalid('must have iss, jti and code');
    if (typeof iat !== 'number' || typeof exp !== 'number') invalid('must have iat and exp');
    if (!(self.sso_partners ?? []).includes(iss)) {
      throw new errors.UnauthorizedClient('single sign-on from that client is not allowed for this client');
    }
    const now = Math.floor(Date.now() / 1000);
    if (exp - iat > MAX_LIFETIME_SECONDS)
      invalid(`must not live longer than ${MAX_LIFETIME_SECONDS} seconds`);
    if (exp <= now - CLOCK_SKEW_SECONDS) invalid('has expired');
    if (iat > now + CLOCK_SKEW_SECONDS) invalid('is issued in the future');
    const partner = (await ctx.oidc.provider.Client.find(iss)) as unknown as SupplierClient | undefined;
    if (!partner || !(await verifySignature(value, partner))) invalid('signature is not valid');
    const unique = await ctx.oidc.provider.ReplayDetection.unique(iss, jti, exp + CLOCK_SKEW_SECONDS);
    if (!unique) invalid('has already been used');
    const record = (await deps.adapter(ISSUED_ID_TOKEN).find(code)) as unknown as IssuedIdToken | undefined;
    if (!record || record.clientId !== iss) invalid('does not name an ID token issued to its issuer');

    const session = ctx.oidc.session!; // loaded before extra parameters are checked
    if (session.accountId && session.accountId !== record.accountId) {
      throw new errors.CustomOIDCProviderError(
        'sso_login_required',
        'a different person is signed in on this device',
      );
    }
    if (!session.accountId) {
      session.loginAccount({
        accountId: record.accountId,
        amr: record.amr,
        acr: record.acr,
        loginTs: record.authTime,
      });
    }
    await deps.audit.record({
      code: AUDIT_EVENTS.SIGN_IN_ASSERTED_IDENTITY,
      accountId: record.accountId,
      clientId: self.clientId,
      details: { from: iss },
    });
  };
}
