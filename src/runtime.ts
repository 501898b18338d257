// Builds a running service from configuration: opens the store, applies
// migrations, makes the first signing key, wires the adapters (embedded by
// default, real ones when configured) and composes the app. main.ts, the CLI
// and the end-to-end tests all start the service this way.
import { Redis } from 'ioredis';
import { loadCommonPasswords } from './adapters/common-passwords.js';
import { createGovukNotifyNotifier } from './adapters/notify/govuk-notify.js';
import { createOutboxNotifier } from './adapters/notify/outbox.js';
import { createRateLimits, type LimitOverrides } from './adapters/rate-limits.js';
import {
  createDemographics,
  createEmbeddedDemographics,
  staticToken,
  type Demographics,
} from './adapters/pds/index.js';
import { createFileEvidenceStore } from './adapters/document-check/evidence-store.js';
import { createWorkerFaceMatcher } from './adapters/face-match/worker-matcher.js';
import type { FaceMatcher } from './adapters/face-match/port.js';
import { createGpSystem, type EmbeddedGpSystem, type GpSystem } from './adapters/gp-system/index.js';
import { buildApp, type BuiltApp } from './app.js';
import { createAuditLog, type AuditLog } from './audit/log.js';
import { seedDemoSupplier, seedTestPeople } from './cli/seed.js';
import type { Config } from './config.js';
import { createPasswordPolicy } from './domain/password-policy.js';
import { ensureSigningKey, signingKeysVersion } from './oidc/signing-keys.js';
import { purgeExpired } from './oidc/adapter.js';
import { purgeExpiredJourneys } from './journeys/state.js';
import { purgeExpiredStaffSessions } from './backoffice/session.js';
import { eraseDueAccounts } from './backoffice/support/erasure.js';
import { expireDelegations } from './backoffice/delegations/expiry.js';
import { ukToday } from './audit/search.js';
import { RedisAdapter } from './oidc/redis-adapter.js';
import { migrate, openDatabase, type OpenDatabase } from './store/db.js';
import { createSealer, developmentEncryptionKey, type Sealer } from './store/encryption.js';
import { lockEmbeddedDatabase } from './store/embedded-lock.js';
import { withStartupLock } from './store/startup-lock.js';
import {
  countingAuditLog,
  createMetrics,
  instrumentHttp,
  registerQueueGauge,
  startMetricsServer,
  type Metrics,
  type MetricsServer,
} from './metrics/index.js';

export interface Runtime extends BuiltApp {
  config: Config;
  database: OpenDatabase;
  sealer: Sealer;
  audit: AuditLog;
  /** Prometheus metrics, when METRICS_PORT is set: the registry and where it is served. */
  metrics?: { registry: Metrics['registry']; url: string };
  /** Reloads the provider if another process rotated the signing keys; true when it did. */
  checkSigningKeys(): Promise<boolean>;
  close(): Promise<void>;
}

/** How often an instance looks for rotated keys and clears out expired rows. */
const KEY_CHECK_MS = 30_000;
const PURGE_MS = 10 * 60_000;

export interface RuntimeOptions {
  /** Keep the embedded database in memory (tests). */
  inMemory?: boolean;
  /** Postgres schema (tests on a shared server). */
  schema?: string;
  logger?: boolean | Record<string, unknown>;
  /** Different limits (tests that sign the same person in many times). */
  rateLimits?: LimitOverrides;
  /** Another demographics service than the configured one (tests: one that is down, or counts reads). */
  demographics?: Demographics;
  /** Another GP system than the configured one (tests: one that is down, or locks). */
  gpSystem?: GpSystem;
  /** Another face matcher than face-api (tests that script the measurements). */
  faces?: FaceMatcher;
}

/**
 * Demographics (PDS): the real FHIR API when PDS_BASE_URL is set, otherwise
 * the embedded synthetic national record, loaded now so that a broken data
 * file stops the start rather than the first person proving who they are.
 */
export async function createConfiguredDemographics(pds: Config['pds']): Promise<Demographics> {
  if (pds.baseUrl) {
    return createDemographics({
      pdsBaseUrl: pds.baseUrl,
      ...(pds.accessToken ? { tokenProvider: staticToken(pds.accessToken) } : {}),
      ...(pds.apiKey ? { apiKey: pds.apiKey } : {}),
      ...(pds.timeoutMs !== undefined ? { timeoutMs: pds.timeoutMs } : {}),
    });
  }
  const embedded = createEmbeddedDemographics(pds.dataFile ? { dataFile: pds.dataFile } : {});
  await embedded.ready();
  return embedded;
}

/**
 * The GP system (IM1): a real gateway when GP_SYSTEM_BASE_URL is set,
 * otherwise the embedded simulated GP system, loaded now so that a broken
 * data file stops the start.
 */
export async function createConfiguredGpSystem(gp: Config['gpSystem']): Promise<GpSystem> {
  const system = createGpSystem({
    ...(gp.baseUrl ? { baseUrl: gp.baseUrl } : {}),
    ...(gp.apiKey ? { apiKey: gp.apiKey } : {}),
    ...(gp.timeoutMs !== undefined ? { timeoutMs: gp.timeoutMs } : {}),
    ...(gp.dataFile ? { dataFile: gp.dataFile } : {}),
  });
  if (!gp.baseUrl) await (system as EmbeddedGpSystem).ready();
  return system;
}

export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const embeddedOnDisk = !config.databaseUrl && !options.inMemory;
  const unlock = embeddedOnDisk ? lockEmbeddedDatabase(config.dataDir) : () => undefined;
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: options.inMemory ? undefined : `${config.dataDir}/pg`,
    schema: options.schema ?? config.databaseSchema,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
  });
  await migrate(database.db, database.schema);
  const sealer = createSealer(config.encryptionKey ?? developmentEncryptionKey(config.dataDir));
  // Once, however many instances start together on one database.
  await withStartupLock(database, async () => {
    await ensureSigningKey(database.db, sealer);
    if (config.seedDemo) {
      await seedDemoSupplier(database.db, `http://localhost:${config.demoSupplierPort}`);
      await seedTestPeople(database.db, sealer);
    }
  });
  const cookieSecret = config.cookieSecret ?? sealer.lookupHash('cookie-secret');
  const metrics = config.metrics ? createMetrics() : undefined;
  if (metrics) registerQueueGauge(metrics, database.db);
  // Business metrics are counted as the audit log records them, so no journey knows about metrics.
  const audit = metrics
    ? countingAuditLog(createAuditLog(database.db), metrics)
    : createAuditLog(database.db);
  // A command waits at most 2 s: a Redis that is connected but hung must not hold requests.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 2000 })
    : undefined;
  // Redis trouble goes to the structured log, at most once every 10 s per kind (it reconnects many times a second).
  let logWarn: (obj: object, msg: string) => void = () => undefined;
  const lastWarned = new Map<string, number>();
  const warnRedis = (kind: string, e: unknown) => {
    const now = Date.now();
    if (now - (lastWarned.get(kind) ?? 0) < 10_000) return;
    lastWarned.set(kind, now);
    logWarn({ err: e }, kind);
  };
  redis?.on('error', (e: unknown) => warnRedis('redis unreachable', e));
  const notifier = config.notify
    ? createGovukNotifyNotifier(config.notify)
    : createOutboxNotifier(database.db);
  const passwords = createPasswordPolicy(await loadCommonPasswords());
  const demographics = options.demographics ?? (await createConfiguredDemographics(config.pds));
  const gpSystem = options.gpSystem ?? (await createConfiguredGpSystem(config.gpSystem));
  const evidence = createFileEvidenceStore({
    dir: config.evidence.dir,
    keyBase64: config.encryptionKey ?? developmentEncryptionKey(config.dataDir),
    retentionDays: config.evidence.retentionDays,
  });
  // Loads its models on first use, so a start without photo ID checks stays fast.
  const faces = options.faces ?? createWorkerFaceMatcher();

  const built = await buildApp({
    issuer: config.issuer,
    production: config.production,
    db: database.db,
    sealer,
    audit,
    notifier,
    limits: createRateLimits({
      ...(redis ? { redis } : {}),
      onStoreError: (e) => warnRedis('rate limits unavailable; failing closed', e),
      ...(options.rateLimits ? { overrides: options.rateLimits } : {}),
    }),
    passwords,
    demographics,
    gpSystem,
    evidence,
    faces,
    cookieSecret,
    ...(redis ? { adapter: (name: string) => new RedisAdapter(redis, name, database.db) } : {}),
    ...(redis ? { readiness: async () => (await redis.ping().catch(() => '')) === 'PONG' } : {}),
    logger: options.logger ?? false,
  });
  if (metrics) instrumentHttp(built.app, metrics);
  logWarn = (obj, msg) => built.app.log.warn(obj, msg);

  // `keys rotate` runs in another process; every instance notices within
  // KEY_CHECK_MS and rebuilds its provider with the new key set.
  let keysVersion = await signingKeysVersion(database.db);
  const checkSigningKeys = async (): Promise<boolean> => {
    const now = await signingKeysVersion(database.db);
    if (now === keysVersion) return false;
    keysVersion = now;
    await built.reloadSigningKeys();
    built.app.log.info('signing keys changed; provider reloaded');
    return true;
  };
  const log = (e: unknown) => built.app.log.error({ err: e }, 'maintenance task failed');
  const timers = [
    setInterval(() => void checkSigningKeys().catch(log), KEY_CHECK_MS),
    setInterval(
      () =>
        void Promise.all([
          purgeExpired(database.db),
          purgeExpiredJourneys(database.db),
          purgeExpiredStaffSessions(database.db),
          // Photo ID evidence past its retention period.
          evidence.deleteExpired(),
          // Accounts support scheduled for erasure whose grace period is over.
          eraseDueAccounts({
            db: database.db,
            audit,
            notifier,
            onNotifyError: (e) => built.app.log.warn({ err: e }, 'could not send the account-erased notice'),
          }),
          // Delegations whose end or review date has come, or whose child has turned 16.
          expireDelegations({
            db: database.db,
            audit,
            notifier,
            today: ukToday(),
            onNotifyError: (e) => built.app.log.warn({ err: e }, 'could not send a delegation notice'),
          }),
        ]).catch(log),
      PURGE_MS,
    ),
  ];
  for (const t of timers) t.unref();

  let metricsServer: MetricsServer | undefined;
  const close = async () => {
    for (const t of timers) clearInterval(t);
    await metricsServer?.close();
    await built.app.close();
    redis?.disconnect();
    await database.close();
    unlock();
  };
  // Last, so a start that fails earlier leaves no listener behind; a port
  // already taken undoes the start rather than leave a half-running service.
  if (metrics && config.metrics) {
    metricsServer = await startMetricsServer({
      ...config.metrics,
      registry: metrics.registry,
      onError: (e) => built.app.log.error({ err: e }, 'metrics collection failed'),
    }).catch(async (e: unknown) => {
      await close();
      throw e;
    });
  }

  return {
    ...built,
    config,
    database,
    sealer,
    audit,
    ...(metrics && metricsServer ? { metrics: { registry: metrics.registry, url: metricsServer.url } } : {}),
    checkSigningKeys,
    close,
  };
}
