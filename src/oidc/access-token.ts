// The access token: an RS512 JWT (as NHS login issues) that our /userinfo
// accepts. oidc-provider only signs access tokens for a resource server, so
// userinfo is modelled as one (USERINFO_RESOURCE) whose audience is the
// supplier. Signed tokens are not stored by the provider; we keep a record
// of each (by jti, under its grant) so that revoking a grant, for example
// when a spent authorization code is replayed, also kills its access tokens.
import type { Adapter, KoaContextWithOIDC } from 'oidc-provider';
import { findAccountById } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { accountLoadedFor } from './account.js';
import { trustmarkUrl } from './trustmark.js';

export const USERINFO_RESOURCE = (issuer: string): string => `${issuer}/userinfo`;

export interface AccessTokenRecord {
  accountId: string;
  clientId: string;
  grantId: string;
  scope: string;
}

interface JwtParts {
  header?: Record<string, unknown>;
  payload: Record<string, unknown>;
}

interface TokenLike {
  jti: string;
  accountId?: string;
  clientId?: string;
  grantId?: string;
  scope?: string;
}

/** Records go through the provider's own AccessToken adapter, so its revokeByGrantId removes them. */
export type AdapterFactory = (name: string) => Adapter;

export function customizeAccessToken(deps: {
  db: Db;
  sealer: Sealer;
  issuer: string;
  adapter: AdapterFactory;
}) {
  return async (ctx: KoaContextWithOIDC, token: unknown, jwt: JwtParts): Promise<void> => {
    // The Users API token (users-api-grant.ts) is the supplier's own, about no person.
    if ((token as { kind?: string }).kind === 'ClientCredentials') {
      jwt.header = { typ: 'JWT' };
      return;
    }
    const t = token as TokenLike;
    const source = (ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken) as
      { acr?: string; authTime?: number } | undefined;
    jwt.header = { typ: 'JWT' };
    const p = jwt.payload;
    delete p.client_id;
    if (source?.authTime !== undefined) p.auth_time = source.authTime;
    if (source?.acr) p.vot = source.acr;
    p.vtm = trustmarkUrl(deps.issuer);
    if (t.accountId && (t.scope ?? '').split(' ').includes('profile')) {
      const account = accountLoadedFor(ctx, t.accountId) ?? (await findAccountById(deps.db, t.accountId));
      if (account?.nhs_number && account.proofing_level !== 'P0')
        p.nhs_number = deps.sealer.open(account.nhs_number);
    }
    if (t.accountId && t.clientId && t.grantId) {
      const record: AccessTokenRecord = {
        accountId: t.accountId,
        clientId: t.clientId,
        grantId: t.grantId,
        scope: t.scope ?? '',
      };
      const exp = typeof p.exp === 'number' ? p.exp : Math.floor(Date.now() / 1000) + 300;
      const ttl = Math.max(1, exp - Math.floor(Date.now() / 1000));
      await deps
        .adapter('AccessToken')
        .upsert(typeof p.jti === 'string' ? p.jti : t.jti, record as never, ttl);
    }
  };
}
