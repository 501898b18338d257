// Composes the service: web chassis, the supplier interface (oidc-provider),
// the journeys people walk, and the operator-facing pieces. Everything it
// needs comes in as one explicit dependencies record.
import Fastify, { type FastifyInstance } from 'fastify';
import type { JWK } from 'jose';
import { fileURLToPath } from 'node:url';
import type { Adapter } from 'oidc-provider';
import type { AuditLog } from './audit/log.js';
import type { Notifier } from './adapters/notify/port.js';
import type { RateLimits } from './adapters/rate-limits.js';
import type { EvidenceStore } from './adapters/document-check/evidence-store.js';
import type { FaceMatcher } from './adapters/face-match/port.js';
import type { GpSystem } from './adapters/gp-system/index.js';
import type { Demographics } from './adapters/pds/index.js';
import { trustmarkDocument } from './domain/vectors-of-trust.js';
import type { PasswordPolicy } from './domain/password-policy.js';
import { createCodeService } from './journeys/codes.js';
import type { JourneyDeps } from './journeys/deps.js';
import { registerInteractionRoutes } from './journeys/interaction/routes.js';
import { registerSignInRoutes } from './journeys/sign-in/routes.js';
import { registerRegisterRoutes } from './journeys/register/routes.js';
import { registerForgottenPasswordRoutes } from './journeys/forgotten-password/routes.js';
import { registerAccountRoutes } from './journeys/account/routes.js';
import { registerProveIdentityRoutes } from './journeys/prove-identity/routes.js';
import { registerClaimAccountRoutes } from './journeys/claim-account/routes.js';
import { registerDelegateRoutes } from './journeys/delegate/routes.js';
import { registerBackofficeRoutes } from './backoffice/routes.js';
import { createJourneyStore } from './journeys/state.js';
import { DbAdapter } from './oidc/adapter.js';
import { mountProvider, providerHandle, type ProviderHandle } from './oidc/mount.js';
import { providerPages } from './oidc/provider-pages.js';
import { createProvider } from './oidc/provider.js';
import { auditProviderEvents } from './oidc/events.js';
import { loadSigningKeys } from './oidc/signing-keys.js';
import { registerUserinfo } from './oidc/userinfo.js';
import { registerUsersApi } from './users-api/routes.js';
import { registerProvisionApi } from './provision-api/routes.js';
import { ping, type Db } from './store/db.js';
import type { Sealer } from './store/encryption.js';
import { frameworkErrorPage, registerErrorPages, unavailableHtml } from './web/errors.js';
import { registerSecurity, securityHeadersSetter } from './web/security.js';
import { registerStatic } from './web/static.js';
import { createViews, registerViews, render } from './web/views.js';
import { registerDevRoutes } from './web/dev-routes.js';

export interface AppDeps {
  issuer: string;
  production: boolean;
  db: Db;
  sealer: Sealer;
  audit: AuditLog;
  notifier: Notifier;
  limits: RateLimits;
  passwords: PasswordPolicy;
  /** The national demographics record (PDS): proving identity to P5, and re-checks at sign-in. */
  demographics: Demographics;
  /** The GP clinical systems (IM1): proving identity to P9 with GP online services details. */
  gpSystem: GpSystem;
  /** Photo ID evidence (document photos, videos, frames), encrypted, with retention. */
  evidence: EvidenceStore;
  /** Finds and compares faces (photo ID checks). */
  faces: FaceMatcher;
  cookieSecret: string;
  /** oidc-provider's storage; the database unless Redis is configured. */
  adapter?: (name: string) => Adapter;
  logger?: boolean | Record<string, unknown>;
  /** Extra readiness checks (Redis). */
  readiness?: () => Promise<boolean>;
}

/**
 * What a request looks like in the logs: never a one-time token. Staff setup
 * links carry theirs in the path; anything named like a code or token in the
 * query is masked too.
 */
export function requestForLog(request: {
  method: string;
  url: string;
  id?: string;
}): Record<string, unknown> {
  const url = request.url
    .replace(/^(\/backoffice\/setup\/)[^/?#]+/, '$1[redacted]')
    .replace(
      /([?&](?:code|token|assertion|client_assertion|refresh_token|id_token_hint)=)[^&#]*/gi,
      '$1[redacted]',
    );
  return { method: request.method, url, id: request.id };
}

export interface BuiltApp {
  app: FastifyInstance;
  provider: ProviderHandle;
  /** Re-reads signing keys and rebuilds the provider (after rotation). */
  reloadSigningKeys(): Promise<void>;
}

const journeyViews = (name: string) => fileURLToPath(new URL(`./journeys/${name}/views`, import.meta.url));
export const JOURNEYS = [
  'interaction',
  'sign-in',
  'register',
  'forgotten-password',
  'account',
  'prove-identity',
  'claim-account',
  'delegate',
] as const;

export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const views = createViews({
    extraPaths: [
      ...JOURNEYS.map(journeyViews),
      fileURLToPath(new URL('./backoffice/views', import.meta.url)),
    ],
  });
  const app = Fastify({
    logger: deps.logger
      ? { ...(deps.logger === true ? {} : deps.logger), serializers: { req: requestForLog } }
      : false,
    trustProxy: deps.production,
    bodyLimit: 64 * 1024,
    // Request ids in every log line, so one person's journey can be followed.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    frameworkErrors: frameworkErrorPage(views, securityHeadersSetter(deps.production)),
  });
  registerViews(app, views);
  await registerSecurity(app, { production: deps.production, cookieSecret: deps.cookieSecret });
  await registerStatic(app);
  registerErrorPages(app, views);

  const https = deps.issuer.startsWith('https://');
  const adapter = deps.adapter ?? ((name: string) => new DbAdapter(deps.db, name));
  const pages = providerPages(views);
  const build = (signingKeys: JWK[]) => {
    const provider = createProvider({
      issuer: deps.issuer,
      db: deps.db,
      sealer: deps.sealer,
      audit: deps.audit,
      signingKeys,
      cookieKeys: [deps.cookieSecret],
      adapter,
      secureCookies: https,
      allowLoopbackRequests: !deps.production,
      ...pages,
      unavailablePage: () => unavailableHtml(views),
    });
    auditProviderEvents(provider, deps.audit, app.log);
    return provider;
  };
  const handle = providerHandle(build(await loadSigningKeys(deps.db, deps.sealer)));
  await mountProvider(app, handle, { issuer: deps.issuer });

  registerUserinfo(app, {
    issuer: deps.issuer,
    db: deps.db,
    sealer: deps.sealer,
    audit: deps.audit,
    signingKeys: () => loadSigningKeys(deps.db, deps.sealer),
    adapter,
  });
  registerUsersApi(app, { ...deps, signingKeys: () => loadSigningKeys(deps.db, deps.sealer) });
  registerProvisionApi(app, { ...deps, signingKeys: () => loadSigningKeys(deps.db, deps.sealer) });
  app.get('/trustmark/:host', (request, reply) => {
    const { host } = request.params as { host: string };
    if (host !== new URL(deps.issuer).host) return reply.code(404).send({ error: 'not_found' });
    return reply.header('Cache-Control', 'public, max-age=3600').send(trustmarkDocument(deps.issuer));
  });

  const journeyDeps: JourneyDeps = {
    issuer: deps.issuer,
    production: deps.production,
    db: deps.db,
    sealer: deps.sealer,
    audit: deps.audit,
    notifier: deps.notifier,
    limits: deps.limits,
    passwords: deps.passwords,
    demographics: deps.demographics,
    gpSystem: deps.gpSystem,
    evidence: deps.evidence,
    faces: deps.faces,
    codes: createCodeService({
      notifier: deps.notifier,
      limits: deps.limits,
      audit: deps.audit,
      codePepper: deps.cookieSecret,
    }),
    journeys: createJourneyStore(deps.db),
    provider: () => handle.current(),
    adapter,
  };
  registerInteractionRoutes(app, journeyDeps);
  registerSignInRoutes(app, journeyDeps);
  registerRegisterRoutes(app, journeyDeps);
  registerForgottenPasswordRoutes(app, journeyDeps);
  registerAccountRoutes(app, journeyDeps);
  registerProveIdentityRoutes(app, journeyDeps);
  registerClaimAccountRoutes(app, journeyDeps);
  registerDelegateRoutes(app, journeyDeps);
  registerBackofficeRoutes(app, deps);
  if (!deps.production) registerDevRoutes(app, deps.db);

  app.get('/', (_request, reply) => render(reply, 'home.njk', {}));
  app.get('/health/live', () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const db = await ping(deps.db);
    const extra = deps.readiness ? await deps.readiness() : true;
    return reply
      .code(db && extra ? 200 : 503)
      .send({ status: db && extra ? 'ok' : 'unavailable', database: db });
  });

  return {
    app,
    provider: handle,
    async reloadSigningKeys() {
      handle.replace(build(await loadSigningKeys(deps.db, deps.sealer)));
    },
  };
}
