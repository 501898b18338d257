// The Users (SCIM) API token: `POST /token` with
// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1)
// and `assertion`, a JWT the supplier signs with its registered key
// (RS512, or an algorithm it is allowed): `iss = sub = client_id`,
// `aud` = the token endpoint URL, a single-use `jti`, `exp` at most 5
// minutes ahead, and an optional `scope`. It answers with an RS512 JWT
// access token for `/v2/Users` (aud `<issuer>/v2/Users`, scope
// `<issuer>/Users.retrieve` plus the data scopes, 300 s, `client_id`, `jti`).
//
// Client authentication (our choice). NHS login's request carries the
// assertion alone, and its `iss = sub = client_id` signed by the client's key
// is exactly a private_key_jwt client assertion. oidc-provider authenticates
// every /token request before any grant handler runs, so for this grant, when
// the request carries no client authentication of its own, the assertion is
// also taken as the client assertion: it is checked once, by the provider's
// own private_key_jwt code (registered keys, kid-less PEM keys matching any
// kid, the supplier's allowed algorithms, aud = the token endpoint, sub, exp,
// replayed jti refused; see provider.ts assertJwtClientAuthClaimsAndHeader).
// A request that also sends a different client assertion is refused
// (invalid_request): one JWT, one check. Because the assertion is the grant
// (RFC 7523 §3.1), a failed check answers `invalid_grant` (400), not
// `invalid_client`; the audit log still records the client authentication
// failure with its detail. Then the handler: not approved (`users_api`) →
// `unauthorized_client`; exp too far ahead → `invalid_grant`; a scope the
// supplier may not have → `invalid_scope`.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { decodeJwt } from 'jose';
import { AUDIT_EVENTS } from '../audit/events.js';
import type { AuditLog } from '../audit/log.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The Users API, as a resource server: the audience of its tokens. */
export const USERS_API_RESOURCE = (issuer: string): string => `${issuer}/v2/Users`;
/** The scope that lets a token search /v2/Users. */
export const USERS_RETRIEVE_SCOPE = (issuer: string): string => `${issuer}/Users.retrieve`;
export const USERS_API_TOKEN_LIFETIME = 300;
/** Furthest ahead an assertion's exp may be, plus clock skew. */
const MAX_ASSERTION_AHEAD = 5 * 60;
const CLOCK_SKEW = 30;

interface UsersApiClient {
  clientId: string;
  scope?: string;
  users_api?: boolean;
}

/** Requests whose assertion was taken as their client assertion. */
const assertionIsClientAuth = new WeakSet<object>();

function invalidGrant(description: string): never {
  throw new errors.CustomOIDCProviderError('invalid_grant', description);
}

/**
 * The provider parses the /token body into `ctx.oidc.body` before it
 * authenticates the client. A setter on that property gives this grant's
 * assertion to the private_key_jwt check when nothing else authenticates the
 * request (see the opening comment).
 */
function useAssertionAsClientAssertion(provider: Provider): void {
  const proto = provider.OIDCContext.prototype as object;
  const stored = new WeakMap<object, unknown>();
  Object.defineProperty(proto, 'body', {
    configurable: true,
    get(this: object) {
      return stored.get(this);
    },
    set(this: { route?: string; ctx: KoaContextWithOIDC }, value: unknown) {
      const body = value as Record<string, unknown> | undefined;
      if (
        this.route === 'token' &&
        body &&
        typeof body === 'object' &&
        body.grant_type === JWT_BEARER_GRANT &&
        typeof body.assertion === 'string' &&
        body.client_assertion === undefined &&
        body.client_assertion_type === undefined &&
        this.ctx.headers.authorization === undefined
      ) {
        assertionIsClientAuth.add(this.ctx);
        stored.set(this, {
          ...body,
          client_assertion: body.assertion,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
        });
        return;
      }
      stored.set(this, value);
    },
  });
}

export function registerUsersApiGrant(provider: Provider, deps: { issuer: string; audit: AuditLog }): void {
  useAssertionAsClientAssertion(provider);
  const usersRetrieve = USERS_RETRIEVE_SCOPE(deps.issuer);

  provider.registerGrantType<{ assertion?: string }>(
    JWT_BEARER_GRANT,
    async (ctx) => {
      const { params } = ctx.oidc;
      const client = ctx.oidc.client as unknown as UsersApiClient;
      const assertion = params.assertion;
      if (!assertion) throw new errors.InvalidRequest("missing required parameter 'assertion'");
      const clientAssertion = (params as { client_assertion?: string }).client_assertion;
      if (!assertionIsClientAuth.has(ctx) && clientAssertion !== assertion) {
        throw new errors.InvalidRequest(
          'the assertion authenticates the client: send it without a separate client_assertion',
        );
      }
      if (client.users_api !== true) {
        throw new errors.UnauthorizedClient('this client is not approved for the Users API');
      }
      // Signature, iss, sub, aud, jti and expiry were checked as the client assertion.
      const { exp } = decodeJwt(assertion);
      if (typeof exp !== 'number' || exp > Date.now() / 1000 + MAX_ASSERTION_AHEAD + CLOCK_SKEW) {
        invalidGrant('the assertion must expire within 5 minutes');
      }

      const approved = new Set([usersRetrieve, ...(client.scope ?? '').split(' ').filter(Boolean)]);
      const requested = [...new Set((params.scope ?? '').split(' ').filter(Boolean))];
      const refused = requested.filter((s) => !approved.has(s));
      if (refused.length) {
        throw new errors.InvalidScope(
          `scopes this client may not have: ${refused.join(' ')}`,
          refused.join(' '),
        );
      }
      const granted = [usersRetrieve, ...(requested.length ? requested : approved)];
      const scope = [...new Set(granted)].join(' ');

      const resource = USERS_API_RESOURCE(deps.issuer);
      const token = new ctx.oidc.provider.ClientCredentials({
        client: ctx.oidc.client,
        scope,
        expiresIn: USERS_API_TOKEN_LIFETIME,
        resourceServer: new ctx.oidc.provider.ResourceServer(resource, {
          scope,
          audience: resource,
          accessTokenTTL: USERS_API_TOKEN_LIFETIME,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS512' } },
        }),
      });
      ctx.oidc.entity('ClientCredentials', token);
      const accessToken = await token.save();
      await deps.audit.record({
        code: AUDIT_EVENTS.USERS_API_TOKEN_ISSUED,
        clientId: client.clientId,
        ip: ctx.ip,
        details: { jti: token.jti, scope },
      });
      ctx.body = {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: USERS_API_TOKEN_LIFETIME,
        scope,
      };
    },
    ['assertion', 'scope'],
  );

  // A failed check of the assertion as client authentication is a bad grant (RFC 7523 §3.1).
  provider.use(async (ctx, next) => {
    await next();
    if (!assertionIsClientAuth.has(ctx)) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status === 401 && body && typeof body === 'object' && body.error === 'invalid_client') {
      ctx.status = 400;
      ctx.remove('WWW-Authenticate');
      ctx.body = {
        error: 'invalid_grant',
        error_description:
          'the assertion is not valid: it must be signed with a key registered for the client, with iss and sub the client_id, aud the token endpoint URL, an unused jti and an exp in the future',
      };
    }
  });
}
