// Authorization codes and refresh tokens are spent once. oidc-provider checks
// "already consumed?" on the copy it read, then marks it consumed: two requests
// with the same code (or refresh token) at the same moment could both pass the
// check and both get tokens. Our adapters mark it consumed only if it was not
// (update … where consumed_at is null; HSETNX in Redis), and the request that
// finds it already spent is treated as oidc-provider treats a later reuse:
// everything issued under the grant is revoked and the answer is invalid_grant.
import Provider, { errors } from 'oidc-provider';

/** Models whose tokens are revoked with their grant (as oidc-provider's own revoke helper does for ours). */
const REVOKED_WITH_GRANT = ['AccessToken', 'RefreshToken', 'AuthorizationCode'] as const;

/** How oidc-provider names each spendable model in its own "already consumed" errors. */
const LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
};

export async function refuseSecondUse(model: string, grantId: string | undefined): Promise<never> {
  const provider = Provider.ctx?.oidc.provider;
  if (provider && grantId) {
    await Promise.all([
      ...REVOKED_WITH_GRANT.map((name) => provider[name].revokeByGrantId(grantId)),
      provider.Grant.adapter.destroy(grantId),
    ]);
  }
  throw new errors.InvalidGrant(`${LABELS[model] ?? model} already consumed`);
}
