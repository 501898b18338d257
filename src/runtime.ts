// Builds a running service from configuration: opens the store, applies
// migrations, makes the first signing key, wires the adapters (embedded by
// default, real ones when configured) and composes the app. main.ts, the CLI
// and the end-to-end tests all start the service this way.
import { Redis } from 'ioredis';
import { loadCommonPasswords } from './adapters/common-passwords.js';
import { createGovukNotifyNotifier } from './adapters/notify/govuk-notify.js';
import { createOutboxNotifier } from './adapters/notify/outbox.js';
import { createRateLimits, type LimitOverrides } from './adapters/rate-limits.js';
import { buildApp, type BuiltApp } from './app.js';
import { createAuditLog, type AuditLog } from './audit/log.js';
import { seedDemoSupplier, seedTestPeople } from './cli/seed.js';
import type { Config } from './config.js';
import { createPasswordPolicy } from './domain/password-policy.js';
import { ensureSigningKey } from './oidc/signing-keys.js';
import { RedisAdapter } from './oidc/redis-adapter.js';
import { migrate, openDatabase, type OpenDatabase } from './store/db.js';
import { createSealer, developmentEncryptionKey, type Sealer } from './store/encryption.js';

export interface Runtime extends BuiltApp {
  config: Config;
  database: OpenDatabase;
  sealer: Sealer;
  audit: AuditLog;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Keep the embedded database in memory (tests). */
  inMemory?: boolean;
  /** Postgres schema (tests on a shared server). */
  schema?: string;
  logger?: boolean | Record<string, unknown>;
  /** Different limits (tests that sign the same person in many times). */
  rateLimits?: LimitOverrides;
}

export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: options.inMemory ? undefined : `${config.dataDir}/pg`,
    schema: options.schema,
  });
  await migrate(database.db, database.schema);
  const sealer = createSealer(config.encryptionKey ?? developmentEncryptionKey(config.dataDir));
  await ensureSigningKey(database.db, sealer);
  const cookieSecret = config.cookieSecret ?? sealer.lookupHash('cookie-secret');
  const audit = createAuditLog(database.db);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  const notifier = config.notify
    ? createGovukNotifyNotifier(config.notify)
    : createOutboxNotifier(database.db);
  const passwords = createPasswordPolicy(await loadCommonPasswords());

  if (config.seedDemo) {
    await seedDemoSupplier(database.db, `http://localhost:${config.demoSupplierPort}`);
    await seedTestPeople(database.db, sealer);
  }

  const built = await buildApp({
    issuer: config.issuer,
    production: config.production,
    db: database.db,
    sealer,
    audit,
    notifier,
    limits: createRateLimits({
      ...(redis ? { redis } : {}),
      ...(options.rateLimits ? { overrides: options.rateLimits } : {}),
    }),
    passwords,
    cookieSecret,
    ...(redis ? { adapter: (name: string) => new RedisAdapter(redis, name, database.db) } : {}),
    ...(redis ? { readiness: async () => (await redis.ping().catch(() => '')) === 'PONG' } : {}),
    logger: options.logger ?? false,
  });

  return {
    ...built,
    config,
    database,
    sealer,
    audit,
    async close() {
      await built.app.close();
      redis?.disconnect();
      await database.close();
    },
  };
}
