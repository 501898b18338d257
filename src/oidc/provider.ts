// The supplier interface: oidc-provider configured as NHS login. The engine
// does the protocol; this file says how NHS login differs from a plain OpenID
// provider (RS512 only, private_key_jwt only, vtr/vot/vtm, JWT access tokens,
// lifetimes, claims by scope and proofing level).
import Provider, { errors, type Adapter, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { AuditLog } from '../audit/log.js';
import { ALL_SCOPES, SCOPE_CLAIMS, checkScopeCombination } from '../domain/claims.js';
import type { Db } from '../store/db.js';
import type { Sealer } from '../store/encryption.js';
import { createFindAccount } from './account.js';
import { EXTRA_CLIENT_METADATA, matchKidlessKeysToAnyKid } from './clients.js';
import { buildPolicy } from './policy.js';
import { createAssertedLoginIdentityValidator } from './sso-assertion.js';
import { validateVtrParam } from './vtr.js';
import { isLoopbackHost } from '../domain/supplier-registration.js';
import { customizeAccessToken, USERINFO_RESOURCE } from './access-token.js';
import { registerUsersApiGrant } from './users-api-grant.js';
import { extraClaimsOf, registerTokenExchangeGrant } from './token-exchange.js';
import { isUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_JSON } from '../web/unavailable.js';
import { publishedJwks } from './signing-keys.js';
import { withholdIdTokensOnRefresh } from './refresh-id-token.js';
import { atomicReplayDetection } from './replay-detection.js';

export const LIFETIMES = {
  AuthorizationCode: 10 * 60,
  IdToken: 60 * 60,
  AccessToken: 5 * 60,
  RefreshToken: 30 * 24 * 60 * 60,
  /** Time to finish signing in or registering once sent here. */
  Interaction: 60 * 60,
  /** Single sign-on ends after 30 minutes without use (each sign-in renews it). */
  Session: 30 * 60,
  Grant: 30 * 24 * 60 * 60,
} as const;

/** Furthest in the future a client assertion's exp may be, in seconds. */
const MAX_ASSERTION_EXP_AHEAD = 24 * 60 * 60;

/** Client assertion algorithms: RS512 for everyone, the rest only for suppliers allowed them. */
export const ASSERTION_ALGS = ['RS512', 'RS256', 'PS256', 'ES256'];

export interface ProviderDeps {
  issuer: string;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  signingKeys: JWK[];
  cookieKeys: string[];
  adapter: (name: string) => Adapter;
  /** True when the issuer is https: cookies are then Secure and prefixed. */
  secureCookies: boolean;
  /**
   * oidc-provider refuses outgoing requests (back-channel logout, JWKS URLs)
   * to loopback and private addresses (SSRF protection). Development and
   * tests run suppliers on localhost, so there loopback is allowed.
   */
  allowLoopbackRequests?: boolean;
  renderError?: Configuration['renderError'];
  /** The "service unavailable" page, shown instead of renderError's when the database or Redis is down. */
  unavailablePage?: () => string;
  logoutSource?: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['logoutSource'];
  postLogoutSuccessSource?: NonNullable<
    NonNullable<Configuration['features']>['rpInitiatedLogout']
  >['postLogoutSuccessSource'];
}

function claimsConfig(): Record<string, string[]> {
  const claims: Record<string, string[]> = {};
  for (const [scope, rule] of Object.entries(SCOPE_CLAIMS)) claims[scope] = [...rule.claims];
  // NHS login's ID token extras ride on the openid scope so the provider passes them through.
  claims.openid = ['sub', 'jti', 'vot', 'vtm', 'auth_time'];
  return claims;
}

/** Every supplier authorization gets a grant for the scopes it asked for and was approved for. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
  if (grant && grant.accountId !== session.accountId) grant = undefined;
  grant ??= new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const requested = [...ctx.oidc.requestParamScopes].join(' ');
  grant.addOIDCScope(requested);
  grant.addResourceScope(USERINFO_RESOURCE(ctx.oidc.issuer), requested);
  await grant.save();
  return grant;
}

/**
 * NHS login's own request rules, checked on every authorization request:
 * state and nonce are mandatory (oidc-provider requires them only for other
 * flows), basic_demographics and profile cannot be combined, and
 * allow_registration is true or false.
 */
function validateNhsLoginRequest(ctx: KoaContextWithOIDC, value: string | undefined): Promise<void> {
  const params = ctx.oidc.params as Record<string, unknown>;
  if (params.state === undefined || params.state === '')
    throw new errors.InvalidRequest("missing required parameter 'state'");
  if (params.nonce === undefined || params.nonce === '')
    throw new errors.InvalidRequest("missing required parameter 'nonce'");
  if (value !== undefined && value !== 'true' && value !== 'false') {
    throw new errors.InvalidRequest('allow_registration must be true or false');
  }
  const scope = typeof params.scope === 'string' ? params.scope : '';
  const combination = checkScopeCombination(scope.split(' '));
  if (!combination.ok) throw new errors.InvalidScope(combination.error, scope);
  return Promise.resolve();
}

export function createProvider(deps: ProviderDeps): Provider {
  const cookieOptions = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: deps.secureCookies,
    signed: true,
  };
  const configuration: Configuration = {
    adapter: deps.adapter,
    findAccount: createFindAccount(deps) as Configuration['findAccount'],
    jwks: { keys: deps.signingKeys },
    claims: claimsConfig(),
    scopes: [...ALL_SCOPES],
    responseTypes: ['code'],
    subjectTypes: ['public'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ASSERTION_ALGS as never,
      idTokenSigningAlgValues: ['RS512'],
      userinfoSigningAlgValues: ['RS512'],
      requestObjectSigningAlgValues: ['RS512'],
      authorizationSigningAlgValues: ['RS512'],
    },
    clientDefaults: {
      id_token_signed_response_alg: 'RS512',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    extraClientMetadata: { properties: [...EXTRA_CLIENT_METADATA] },
    extraParams: {
      vtr: validateVtrParam,
      asserted_login_identity: createAssertedLoginIdentityValidator(deps),
      allow_registration: validateNhsLoginRequest,
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    async assertJwtClientAuthClaimsAndHeader(ctx, claims, header, client) {
      const tokenEndpoint = ctx.oidc.urlFor('token');
      if (
        claims.aud !== tokenEndpoint &&
        !(Array.isArray(claims.aud) && claims.aud.includes(tokenEndpoint))
      ) {
        throw new errors.InvalidClientAuth('audience (aud) must be the token endpoint URL');
      }
      if (claims.sub !== client.clientId) throw new errors.InvalidClientAuth('sub must be the client_id');
      // RFC 7523 3: an exp unreasonably far in the future may be refused. The
      // assertion's jti is remembered until exp (replay detection), so an exp
      // beyond what a date can hold (1e15) failed the request with a 500, and a
      // far one kept the jti for centuries. Assertions are single use: a day is ample.
      if (typeof claims.exp !== 'number' || claims.exp > Date.now() / 1000 + MAX_ASSERTION_EXP_AHEAD) {
        throw new errors.InvalidClientAuth('exp must be within a day from now');
      }
      // oidc-provider checks iat only when there is no exp; an assertion "issued"
      // in the future is refused as jose and our asserted_login_identity do.
      if (
        claims.iat !== undefined &&
        (typeof claims.iat !== 'number' || claims.iat > Date.now() / 1000 + 60)
      ) {
        throw new errors.InvalidClientAuth('iat must not be in the future');
      }
      const allowed = new Set([
        'RS512',
        ...((client as unknown as { client_assertion_algs?: string[] }).client_assertion_algs ?? []),
      ]);
      if (typeof header.alg !== 'string' || !allowed.has(header.alg)) {
        throw new errors.InvalidClientAuth(
          `client assertions must be signed with ${[...allowed].join(' or ')}`,
        );
      }
      return Promise.resolve();
    },
    pkce: { required: () => false },
    features: {
      devInteractions: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      claimsParameter: { enabled: false },
      introspection: { enabled: false },
      revocation: { enabled: false },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        ...(deps.logoutSource ? { logoutSource: deps.logoutSource } : {}),
        ...(deps.postLogoutSuccessSource ? { postLogoutSuccessSource: deps.postLogoutSuccessSource } : {}),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx) => USERINFO_RESOURCE(ctx.oidc.issuer),
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource, client) {
          if (resource !== USERINFO_RESOURCE(ctx.oidc.issuer)) throw new errors.InvalidTarget();
          return {
            scope: client.scope ?? 'openid',
            audience: client.clientId,
            accessTokenTTL: LIFETIMES.AccessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS512' } },
          };
        },
      },
    },
    formats: { customizers: { jwt: customizeAccessToken(deps) } },
    // `act` and the delegation on exchanged tokens (token-exchange.ts); nothing on others.
    extraTokenClaims: (_ctx, token) => extraClaimsOf(token),
    interactions: {
      policy: buildPolicy(),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    expiresWithSession: () => false,
    loadExistingGrant,
    ttl: { ...LIFETIMES },
    cookies: {
      keys: deps.cookieKeys,
      // Browsers only accept the __Host-/__Secure- prefixes on Secure cookies,
      // which the provider can only set over https (a plain-http localhost
      // issuer in development gets unprefixed names).
      names: deps.secureCookies
        ? {
            session: '__Host-nhsl-session',
            interaction: '__Secure-nhsl-interaction',
            resume: '__Secure-nhsl-resume',
          }
        : { session: 'nhsl-session', interaction: 'nhsl-interaction', resume: 'nhsl-resume' },
      long: cookieOptions,
      short: cookieOptions,
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      jwks: '/.well-known/jwks.json',
      userinfo: '/userinfo',
      end_session: '/logout',
    },
    ...(deps.renderError ? { renderError: withUnavailablePage(deps.renderError, deps.unavailablePage) } : {}),
    ...(deps.allowLoopbackRequests
      ? {
          fetch: (url: string | URL | Request, options?: RequestInit) => {
            const target = new URL(url instanceof Request ? url.url : url);
            if (isLoopbackHost(target.hostname) && options)
              delete (options as { dispatcher?: unknown }).dispatcher;
            return fetch(url, options);
          },
        }
      : {}),
  };

  const provider = new Provider(deps.issuer, configuration);
  provider.proxy = true;
  registerUsersApiGrant(provider, deps);
  registerTokenExchangeGrant(provider, deps);
  atomicReplayDetection(provider, deps.adapter);
  installResponseRules(provider, deps);
  return provider;
}

/**
 * Pages the provider renders for errors it cannot send back to the supplier:
 * when the cause is the database or Redis being down, the person is told the
 * service is unavailable for now (503), not that the website they came from
 * made a bad request.
 */
function withUnavailablePage(
  renderError: NonNullable<Configuration['renderError']>,
  unavailablePage: (() => string) | undefined,
): NonNullable<Configuration['renderError']> {
  return async (ctx, out, error) => {
    if (!isUnavailable(error)) return renderError(ctx, out, error);
    ctx.status = 503;
    ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = unavailablePage?.() ?? 'Sorry, the service is unavailable. Try again in a few minutes.';
    return Promise.resolve();
  };
}

/**
 * Rules applied to the provider's responses, after it has answered:
 * - discovery advertises RS512 alone for client assertions (the other
 *   algorithms exist only for named suppliers that cannot sign RS512) and
 *   S256 PKCE;
 * - the refresh grant returns no ID token (NHS login issues one only for the code grant);
 * - the kid-agnostic key match for PEM-registered suppliers is installed on
 *   the first client key store the provider builds.
 */
function installResponseRules(provider: Provider, deps: Pick<ProviderDeps, 'db' | 'sealer'>): void {
  // A server error whose cause is the database or Redis being down (the
  // provider's own error handlers catch it before this middleware sees it).
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: unknown) => {
    if (isUnavailable(error)) (ctx.state as { unavailable?: boolean }).unavailable = true;
  });
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as unknown as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
    if (!oidc) return;
    // JSON answers (the token endpoint) say temporarily_unavailable (503) rather
    // than server_error (500): the supplier should retry, nothing is broken.
    if (
      (ctx.state as { unavailable?: boolean }).unavailable &&
      ctx.status === 500 &&
      !ctx.response.is('html')
    ) {
      ctx.status = 503;
      ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.body = { ...UNAVAILABLE_JSON };
      return;
    }
    // The JWKS from the database, not from this instance's provider: after a
    // rotation the instance that notices first signs with the new key at once,
    // while another may not have reloaded yet and would publish a key set
    // without it, so a relying party fetching from that one could not verify
    // the token. The database holds every published key from the moment it
    // exists. If the database cannot be read, the provider's own set stands.
    if (oidc.route === 'jwks') {
      const published = await publishedJwks(deps.db, deps.sealer).catch(() => undefined);
      if (published?.keys.length) ctx.body = published;
    }
    if (oidc.route === 'discovery' && ctx.body && typeof ctx.body === 'object') {
      const body = ctx.body as Record<string, unknown>;
      body.token_endpoint_auth_signing_alg_values_supported = ['RS512'];
      body.code_challenge_methods_supported = ['S256'];
    }
    // A refresh grant's answer has no id_token: withholdIdTokensOnRefresh (refresh-id-token.ts).
    if (oidc.route === 'token') ctx.set('Pragma', 'no-cache');
  });
  withholdIdTokensOnRefresh(provider);
  const originalFind = provider.Client.find.bind(provider.Client);
  provider.Client.find = async (id: string) => {
    const client = await originalFind(id);
    if (client)
      matchKidlessKeysToAnyKid((client as unknown as { asymmetricKeyStore: never }).asymmetricKeyStore);
    return client;
  };
}
