// Starts the whole service for a test: embedded Postgres in memory (or a given folder), the
// outbox notifier, the demo supplier and test people seeded. Optionally
// listening on a real port (for openid-client and the browser).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import type { LimitOverrides } from '../../src/adapters/rate-limits.js';
import type { GpSystem } from '../../src/adapters/gp-system/index.js';
import type { Demographics } from '../../src/adapters/pds/index.js';
import type { FaceMatcher } from '../../src/adapters/face-match/port.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestService extends Runtime {
  /** Base URL when listening, else the configured issuer. */
  url: string;
}

export async function startTestService(
  options: {
    listen?: boolean;
    env?: Record<string, string>;
    schema?: string;
    rateLimits?: LimitOverrides;
    /** A demographics service of the test's own (see test/support/demographics.ts). */
    demographics?: Demographics;
    /** A GP system of the test's own (one that is down, say). */
    gpSystem?: GpSystem;
    /** A face matcher of the test's own (scripted measurements). */
    faces?: FaceMatcher;
    /** Embedded Postgres in this folder, as shipped, rather than in memory. */
    dataDir?: string;
  } = {},
): Promise<TestService> {
  const port = options.listen ? await freePort() : 3000;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    COOKIE_SECRET: randomBytes(32).toString('base64url'),
    SEED_DEMO: 'true',
    DATA_DIR: options.dataDir ?? '/nonexistent-test-data-dir',
    LOG_LEVEL: 'silent',
    // Each service its own evidence folder, removed with the temporary directory.
    EVIDENCE_DIR: path.join(tmpdir(), `nhs-login-evidence-${randomBytes(6).toString('hex')}`),
    ...options.env,
  });
  const runtime = await startRuntime(config, {
    inMemory: !options.dataDir,
    schema: options.schema,
    rateLimits: options.rateLimits,
    ...(options.demographics ? { demographics: options.demographics } : {}),
    ...(options.gpSystem ? { gpSystem: options.gpSystem } : {}),
    ...(options.faces ? { faces: options.faces } : {}),
  });
  if (options.listen) await runtime.app.listen({ host: '127.0.0.1', port });
  return { ...runtime, url: config.issuer };
}
