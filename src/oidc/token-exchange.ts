// Acting for someone else: RFC 8693 token exchange at /token (ours; NHS login
// publishes no delegation flow). A supplier approved for the `delegations`
// scope, authenticating as always (private_key_jwt), sends
//
//   grant_type=urn:ietf:params:oauth:grant-type:token-exchange
//   subject_token=<the delegate's access token, issued to this supplier>
//   subject_token_type=urn:ietf:params:oauth:token-type:access_token
//   requested_subject=<the sub of the person they act for>
//   scope=delegation:appointments delegation:prescriptions   (optional)
//
// and gets an RS512 JWT access token whose `sub` is that person, with
// `act: { sub: <delegate> }`, only the delegated permissions as
// `delegation:<permission>` scopes, and at most 5 minutes to live. Everything
// is checked again at every exchange (src/domain/delegation.ts mayAct), so a
// revocation or an expiry stops the next one; the exchanged token itself is
// recorded under the delegate's grant, so revoking that grant kills it too.
//
// Errors (RFC 8693 §2.2.2 uses RFC 6749's): a supplier not approved for
// delegations -> unauthorized_client; a missing or unsupported parameter ->
// invalid_request; a subject token that is not a live access token this
// supplier holds, or that already acts for someone (no chains), or no active
// delegation between the two people -> invalid_grant; permissions not
// delegated -> invalid_scope. Every refusal is audited.
import type { JWK } from 'jose';
import type Provider from 'oidc-provider';
import { errors, type Adapter, type KoaContextWithOIDC } from 'oidc-provider';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';
import {
  isPermission,
  mayAct,
  narrowPermissions,
  permissionScope,
  type ActingRefusal,
  type Permission,
} from '../domain/delegation.js';
import { findAccountById } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { delegationTimes, liveDelegationBetween, recordActed } from '../store/delegations.js';
import type { AccessTokenRecord } from './access-token.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from './grant-types.js';
import { createOwnJwtVerifier } from './userinfo.js';

export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT };
/** The longest an exchanged token lives (the limit; shorter than a normal access token never matters). */
export const EXCHANGED_TOKEN_LIFETIME = 300;
const SCOPE_PREFIX = 'delegation:';

// errors.InvalidGrant keeps its own description and puts ours in error_detail; suppliers need to read why.
const invalidGrant = (description: string) =>
  new errors.CustomOIDCProviderError('invalid_grant', description);

const REFUSAL_TEXT: Record<ActingRefusal, string> = {
  chained: 'a token that already acts for someone cannot be exchanged again',
  'not-active': 'the delegation is not active',
  expired: 'the delegation has expired',
  'not-proved': 'both people must have proved who they are to P9',
};

interface ExchangeDeps {
  issuer: string;
  db: Db;
  audit: AuditLog;
  adapter: (name: string) => Adapter;
  signingKeys: JWK[];
}

/**
 * The claims an exchanged token carries beyond the usual ones. oidc-provider
 * fills a token's `extra` from its extraTokenClaims setting when it saves the
 * token (provider.ts asks extraClaimsOf), so they are handed over here.
 */
const exchangeClaims = new WeakMap<object, Record<string, unknown>>();
export const extraClaimsOf = (token: object): Record<string, unknown> | undefined =>
  exchangeClaims.get(token);

/** Today's date in the UK, YYYY-MM-DD: delegations end on UK dates. */
export function ukToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(now);
}

export function registerTokenExchangeGrant(provider: Provider, deps: ExchangeDeps): void {
  const verifyJwt = createOwnJwtVerifier({
    issuer: deps.issuer,
    signingKeys: () => Promise.resolve(deps.signingKeys),
  });

  provider.registerGrantType<{
    subject_token?: string;
    subject_token_type?: string;
    requested_subject?: string;
    actor_token?: string;
  }>(
    TOKEN_EXCHANGE_GRANT,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client!;
      const refuse = async (error: Error, details: Record<string, unknown> = {}): Promise<never> => {
        await deps.audit.record({
          code: AUDIT_EVENTS.TOKEN_EXCHANGE_REFUSED,
          clientId: client.clientId,
          ip: ctx.ip,
          details: { error: (error as { error?: string }).error, ...details },
        });
        throw error;
      };

      if (!(client.scope ?? '').split(' ').includes('delegations'))
        return refuse(new errors.UnauthorizedClient('this client is not approved for delegations'));
      if (!params.subject_token)
        return refuse(new errors.InvalidRequest("missing required parameter 'subject_token'"));
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
        return refuse(new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`));
      if (params.actor_token)
        return refuse(
          new errors.InvalidRequest('actor_token is not supported: the subject token names the delegate'),
        );
      if (!params.requested_subject)
        return refuse(
          new errors.InvalidRequest(
            "missing required parameter 'requested_subject' (the sub of the person to act for)",
          ),
        );

      // The subject token: ours, unexpired, issued to this supplier, not revoked.
      const payload = await verifyJwt(params.subject_token, { audience: client.clientId });
      const record = payload?.jti
        ? ((await deps.adapter('AccessToken').find(payload.jti)) as unknown as AccessTokenRecord | undefined)
        : undefined;
      if (!payload || !record || record.clientId !== client.clientId || record.accountId !== payload.sub)
        return refuse(invalidGrant('subject_token is not a valid access token issued to this client'));

      const delegateId = record.accountId;
      const grantorId = params.requested_subject;
      const audit = { delegateId, grantorId };
      const refusedFor = (refusal: ActingRefusal, delegationId?: string) =>
        refuse(
          invalidGrant(
            refusal === 'chained' ? REFUSAL_TEXT.chained : `no active delegation: ${REFUSAL_TEXT[refusal]}`,
          ),
          { ...audit, refusal, delegationId },
        );
      // A delegate of a delegate gets nothing (the token already acts for someone).
      if (payload.act !== undefined) return refusedFor('chained');
      const delegation = await liveDelegationBetween(deps.db, grantorId, delegateId);
      if (!delegation) return refusedFor('not-active');
      const [grantor, delegate] = await Promise.all([
        findAccountById(deps.db, grantorId),
        findAccountById(deps.db, delegateId),
      ]);
      const refusal = mayAct({
        status: delegation.status,
        times: delegationTimes(delegation, grantor?.birthdate),
        today: ukToday(),
        grantorLevel: grantor && !grantor.locked_at ? grantor.proofing_level : 'P0',
        delegateLevel: delegate && !delegate.locked_at ? delegate.proofing_level : 'P0',
        alreadyActing: false,
      });
      if (refusal) return refusedFor(refusal, delegation.id);

      const requested = (params.scope ?? '').split(' ').filter(Boolean);
      const notDelegation = requested.filter((s) => !s.startsWith(SCOPE_PREFIX));
      if (notDelegation.length)
        return refuse(
          new errors.InvalidScope(
            `only delegation scopes can be exchanged for: ${notDelegation.join(' ')}`,
            notDelegation.join(' '),
          ),
          audit,
        );
      const narrowed = narrowPermissions(
        delegation.permissions,
        requested.map((s) => s.slice(SCOPE_PREFIX.length)),
      );
      if (!narrowed.ok) {
        const refused = narrowed.error.permissions.map((p) => SCOPE_PREFIX + p).join(' ');
        return refuse(new errors.InvalidScope(`not delegated: ${refused}`, refused), {
          ...audit,
          delegationId: delegation.id,
        });
      }
      const permissions: Permission[] = narrowed.value.filter(isPermission);
      const scope = permissions.map(permissionScope).join(' ');

      const token = new ctx.oidc.provider.AccessToken({
        accountId: grantorId,
        client,
        grantId: record.grantId,
        gty: 'token-exchange',
        scope,
        resourceServer: new ctx.oidc.provider.ResourceServer(client.clientId, {
          scope,
          audience: client.clientId,
          accessTokenTTL: EXCHANGED_TOKEN_LIFETIME,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS512' } },
        }),
      });
      exchangeClaims.set(token, { act: { sub: delegateId }, delegation_id: delegation.id, permissions });
      const accessToken = await token.save();
      await recordActed(deps.db, delegation, client.clientId, permissions);
      await deps.audit.record({
        code: AUDIT_EVENTS.TOKEN_EXCHANGED,
        accountId: grantorId,
        clientId: client.clientId,
        ip: ctx.ip,
        details: { ...audit, delegationId: delegation.id, permissions, jti: token.jti },
      });
      ctx.body = {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: EXCHANGED_TOKEN_LIFETIME,
        scope,
      };
    },
    ['subject_token', 'subject_token_type', 'requested_subject', 'actor_token', 'scope'],
  );
}
