// Every setting the service reads, typed and validated in one place.
// Defaults run the embedded service (PGlite on disk, local outbox, keys
// generated on first start); production refuses to start with those.
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The issuer URL suppliers configure; the origin people's browsers see. */
  ISSUER: z.url().optional(),
  /** Folder for the embedded database, generated keys and the outbox. */
  DATA_DIR: z.string().default('data'),
  /** A PostgreSQL server; unset means embedded Postgres (PGlite) in DATA_DIR. */
  DATABASE_URL: z.string().optional(),
  /** A schema of its own on that server (several services, or test runs, sharing one database). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and underscores')
    .optional(),
  /**
   * Longest one SQL statement may run on a PostgreSQL server before it is
   * cancelled (the request then answers 503), milliseconds; 0 for no limit.
   */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  /** Redis for provider sessions and rate limits shared across instances. */
  REDIS_URL: z.string().optional(),
  /** 32 bytes, base64: encrypts signing keys and personal data at rest. */
  ENCRYPTION_KEY: z.string().optional(),
  /** Secret for signing cookies; at least 32 characters. */
  COOKIE_SECRET: z.string().min(32).optional(),
  /** GOV.UK Notify: when set, codes are sent for real instead of to the outbox. */
  NOTIFY_API_KEY: z.string().optional(),
  NOTIFY_EMAIL_CODE_TEMPLATE_ID: z.string().optional(),
  NOTIFY_SMS_CODE_TEMPLATE_ID: z.string().optional(),
  NOTIFY_EMAIL_NOTICE_TEMPLATE_ID: z.string().optional(),
  /** Seed the demo supplier and test people (embedded default only). */
  SEED_DEMO: bool.optional(),
  DEMO_SUPPLIER_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /**
   * Demographics (PDS FHIR R4): the base URL of a real PDS, e.g.
   * https://int.api.service.nhs.uk/personal-demographics/FHIR/R4. Unset means
   * the embedded synthetic national record (PDS_DATA_FILE).
   */
  PDS_BASE_URL: z.url().optional(),
  /** Sent as the `apikey` header to PDS. */
  PDS_API_KEY: z.string().min(1).optional(),
  /** An OAuth 2 access token for PDS (application-restricted access), sent as a bearer token. */
  PDS_ACCESS_TOKEN: z.string().min(1).optional(),
  /** How long to wait for PDS, per request. */
  PDS_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
  /** The embedded record's NDJSON file (default fixtures/pds/synthetic-patients.ndjson). */
  PDS_DATA_FILE: z.string().min(1).optional(),
  /**
   * The GP system (IM1): the base URL of a real IM1 gateway. Unset means the
   * embedded simulated GP system (GP_SYSTEM_DATA_FILE).
   */
  GP_SYSTEM_BASE_URL: z.url().optional(),
  /** Sent as a bearer token to the GP system. */
  GP_SYSTEM_API_KEY: z.string().min(1).optional(),
  /** How long to wait for the GP system, per request. */
  GP_SYSTEM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
  /** The simulated GP system's NDJSON file (default fixtures/gp-system/linkages.ndjson). */
  GP_SYSTEM_DATA_FILE: z.string().min(1).optional(),
  /**
   * Photo ID evidence (document photos, videos, frames), encrypted: a folder
   * (default DATA_DIR/evidence); in production a volume every instance mounts.
   */
  EVIDENCE_DIR: z.string().min(1).optional(),
  /** Days photo ID evidence is kept before it is deleted (default 90). */
  EVIDENCE_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Prometheus metrics at /metrics on a port of their own (never the public
   * one); unset means no metrics listener. 0 picks a free port (tests).
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The interface the metrics listener binds: loopback unless Prometheus scrapes from elsewhere. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  host: string;
  port: number;
  issuer: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  databaseStatementTimeoutMs: number;
  redisUrl: string | undefined;
  encryptionKey: string | undefined;
  cookieSecret: string | undefined;
  notify:
    | {
        apiKey: string;
        emailCodeTemplateId: string;
        smsCodeTemplateId: string;
        emailNoticeTemplateId: string;
      }
    | undefined;
  seedDemo: boolean;
  demoSupplierPort: number;
  logLevel: Env['LOG_LEVEL'];
  /** The Prometheus metrics listener; undefined when METRICS_PORT is unset. */
  metrics: { host: string; port: number } | undefined;
  /** Demographics (PDS): a real PDS when baseUrl is set, else the embedded synthetic record. */
  pds: {
    baseUrl: string | undefined;
    apiKey: string | undefined;
    accessToken: string | undefined;
    timeoutMs: number | undefined;
    dataFile: string | undefined;
  };
  /** Photo ID evidence at rest. */
  evidence: { dir: string; retentionDays: number };
  /** The GP system (IM1): a real one when baseUrl is set, else the embedded simulated one. */
  gpSystem: {
    baseUrl: string | undefined;
    apiKey: string | undefined;
    timeoutMs: number | undefined;
    dataFile: string | undefined;
  };
}

export class ConfigError extends Error {}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const issuer = (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  const notify = e.NOTIFY_API_KEY
    ? {
        apiKey: e.NOTIFY_API_KEY,
        emailCodeTemplateId: required(e.NOTIFY_EMAIL_CODE_TEMPLATE_ID, 'NOTIFY_EMAIL_CODE_TEMPLATE_ID'),
        smsCodeTemplateId: required(e.NOTIFY_SMS_CODE_TEMPLATE_ID, 'NOTIFY_SMS_CODE_TEMPLATE_ID'),
        emailNoticeTemplateId: required(e.NOTIFY_EMAIL_NOTICE_TEMPLATE_ID, 'NOTIFY_EMAIL_NOTICE_TEMPLATE_ID'),
      }
    : undefined;
  const config: Config = {
    env: e.NODE_ENV,
    production,
    host: e.HOST,
    port: e.PORT,
    issuer,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    redisUrl: e.REDIS_URL,
    encryptionKey: e.ENCRYPTION_KEY,
    cookieSecret: e.COOKIE_SECRET,
    notify,
    seedDemo: e.SEED_DEMO ?? !production,
    demoSupplierPort: e.DEMO_SUPPLIER_PORT,
    logLevel: e.LOG_LEVEL,
    metrics: e.METRICS_PORT === undefined ? undefined : { host: e.METRICS_HOST, port: e.METRICS_PORT },
    pds: {
      baseUrl: e.PDS_BASE_URL?.replace(/\/+$/, ''),
      apiKey: e.PDS_API_KEY,
      accessToken: e.PDS_ACCESS_TOKEN,
      timeoutMs: e.PDS_TIMEOUT_MS,
      dataFile: e.PDS_DATA_FILE,
    },
    evidence: { dir: e.EVIDENCE_DIR ?? `${e.DATA_DIR}/evidence`, retentionDays: e.EVIDENCE_RETENTION_DAYS },
    gpSystem: {
      baseUrl: e.GP_SYSTEM_BASE_URL?.replace(/\/+$/, ''),
      apiKey: e.GP_SYSTEM_API_KEY,
      timeoutMs: e.GP_SYSTEM_TIMEOUT_MS,
      dataFile: e.GP_SYSTEM_DATA_FILE,
    },
  };
  if (production) assertSafeForProduction(config);
  return config;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new ConfigError(`${name} is required when NOTIFY_API_KEY is set`);
  return value;
}

/** Production must not run on the conveniences that make development easy. */
function assertSafeForProduction(c: Config): void {
  const problems: string[] = [];
  if (!c.issuer.startsWith('https://')) problems.push('ISSUER must be an https URL');
  if (!c.encryptionKey)
    problems.push('ENCRYPTION_KEY is required (keys and personal data are encrypted at rest)');
  if (!c.cookieSecret) problems.push('COOKIE_SECRET is required');
  if (!c.notify) problems.push('NOTIFY_API_KEY is required (the development outbox is not for production)');
  if (!c.databaseUrl) problems.push('DATABASE_URL is required (embedded Postgres is for development)');
  if (c.seedDemo) problems.push('SEED_DEMO must be false (the demo supplier key is public)');
  // Either demographics adapter may run in production; a real PDS only over https.
  if (c.pds.baseUrl && !c.pds.baseUrl.startsWith('https://'))
    problems.push('PDS_BASE_URL must be an https URL');
  if (c.gpSystem.baseUrl && !c.gpSystem.baseUrl.startsWith('https://'))
    problems.push('GP_SYSTEM_BASE_URL must be an https URL');
  if (problems.length) throw new ConfigError(`Unsafe production configuration:\n  ${problems.join('\n  ')}`);
}
