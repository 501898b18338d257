// NHS login answers a refresh grant with new access and refresh tokens and no
// ID token (interface.md: `id_token` for the code grant only). oidc-provider
// would still gather the person's claims, keep a record of the token for
// asserted_login_identity and sign it with RS512, only for it to be dropped
// from the response: an RS512 signature, a store write and the claims
// (decrypting what is sealed) per refresh. This stops that work before it
// starts.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/** True while answering a refresh grant: no ID token is made for it. */
export function idTokenWithheld(ctx: KoaContextWithOIDC | undefined): boolean {
  const params = ctx?.oidc?.params as { grant_type?: unknown } | undefined;
  return ctx?.oidc?.route === 'token' && params?.grant_type === 'refresh_token';
}

interface IssuableIdToken {
  ctx?: KoaContextWithOIDC;
  issue: (this: IssuableIdToken, ...args: unknown[]) => Promise<string | undefined>;
}

/** The provider's IdToken class (its own, per provider) issues nothing for a refresh grant. */
export function withholdIdTokensOnRefresh(provider: Provider): void {
  const prototype = (provider.IdToken as unknown as { prototype: IssuableIdToken }).prototype;
  const issue = prototype.issue;
  prototype.issue = function (this: IssuableIdToken, ...args: unknown[]) {
    return idTokenWithheld(this.ctx) ? Promise.resolve(undefined) : issue.apply(this, args);
  };
}
