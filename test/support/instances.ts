// Several real service instances, as production runs them: child processes
// of `src/main.ts` sharing one PostgreSQL schema, one Redis, one encryption
// key and cookie secret, behind a round-robin proxy whose URL is the issuer.
// Nothing is shared in memory, so a journey that works here works on any
// instance. The test reads text codes from the outbox through its own
// connection to the same schema, and every child is killed in close() (and
// on exit, should the test process die first).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, type OpenDatabase } from '../../src/store/db.js';
import { createSealer, type Sealer } from '../../src/store/encryption.js';
import { keepCookies } from './browser.js';
import { dropSchema, POSTGRES_URL } from './postgres.js';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.js';
import { freePort } from './service.js';

export { REDIS_URL } from './redis.js';
import { REDIS_URL } from './redis.js';
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Instance {
  port: number;
  /** The instance itself, bypassing the proxy. */
  url: string;
  child: ChildProcess;
  /** Everything it wrote (pino JSON lines at LOG_LEVEL=warn), stdout and stderr. */
  logs: string[];
  readonly alive: boolean;
  /** Sends the signal and waits for the process to be gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface Instances {
  /** The proxy: the issuer, what browsers and suppliers talk to. */
  url: string;
  proxy: RoundRobinProxy;
  list: Instance[];
  schema: string;
  /** The test's own connection to the instances' schema (direct, never through a test proxy). */
  database: OpenDatabase;
  sealer: Sealer;
  /** Starts one more instance with the same settings and waits until it is ready. */
  add(): Promise<Instance>;
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function waitReady(instance: Instance, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!instance.alive) {
      throw new Error(`instance on ${instance.port} exited while starting:\n${instance.logs.join('')}`);
    }
    const ready = await fetch(`${instance.url}/health/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`instance on ${instance.port} not ready after ${timeoutMs} ms:\n${instance.logs.join('')}`);
}

export async function startInstances(options: {
  count: number;
  /** Schema name prefix; a random suffix makes it fresh per test file. */
  name: string;
  /** What the instances use as DATABASE_URL (a TCP proxy in front of the real server, say). */
  databaseUrl?: string;
  /** What the instances use as REDIS_URL. */
  redisUrl?: string;
  /** Extra environment for every instance. */
  env?: Record<string, string>;
}): Promise<Instances> {
  const schema = `${options.name}_${randomBytes(4).toString('hex')}`;
  const encryptionKey = randomBytes(32).toString('base64');
  const list: Instance[] = [];
  const proxy = await startRoundRobinProxy(() => list.map((i) => i.port));
  const dataDir = path.join(tmpdir(), `nhs-login-scale-${schema}`);
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    ISSUER: proxy.url,
    DATABASE_URL: options.databaseUrl ?? POSTGRES_URL,
    DATABASE_SCHEMA: schema,
    REDIS_URL: options.redisUrl ?? REDIS_URL,
    ENCRYPTION_KEY: encryptionKey,
    COOKIE_SECRET: randomBytes(32).toString('base64url'),
    SEED_DEMO: 'true',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    EVIDENCE_DIR: path.join(dataDir, 'evidence'),
    ...options.env,
  };

  const spawnOne = async (): Promise<Instance> => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const logs: string[] = [];
    child.stdout.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
    let alive = true;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        alive = false;
        children.delete(child);
        resolve();
      }),
    );
    const instance: Instance = {
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      logs,
      get alive() {
        return alive;
      },
      async kill(signal = 'SIGTERM') {
        if (!alive) return;
        child.kill(signal);
        await exited;
      },
    };
    list.push(instance);
    return instance;
  };

  const database = await openDatabase({ url: POSTGRES_URL, schema });
  const instances: Instances = {
    url: proxy.url,
    proxy,
    list,
    schema,
    database,
    sealer: createSealer(encryptionKey),
    async add() {
      const instance = await spawnOne();
      await waitReady(instance);
      return instance;
    },
    async close() {
      await Promise.all(list.map((i) => i.kill('SIGKILL')));
      await proxy.close();
      await database.close();
      await dropSchema(schema);
    },
  };
  try {
    // All at the same moment, as an orchestrator starts them: migrations,
    // the first signing key and the seed happen once under start-up locks
    // (src/store/startup-lock.ts), whichever instance gets there first.
    const all = await Promise.all(Array.from({ length: options.count }, () => spawnOne()));
    await Promise.all(all.map((i) => waitReady(i)));
  } catch (e) {
    await instances.close().catch(() => undefined);
    throw e;
  }
  return instances;
}

export interface HttpPage {
  status: number;
  location: string | undefined;
  body: string;
  /** Which instance answered (the proxy's x-served-by), when through the proxy. */
  servedBy: number | undefined;
  url: string;
}

/**
 * A browser over real HTTP: keeps cookies, follows redirects within the
 * service on request, and posts each form with the CSRF token of the last
 * page it was shown.
 */
export class HttpBrowser {
  readonly cookies = new Map<string, string>();
  /** The instance behind each response, in order. */
  readonly servedBy: number[] = [];
  private lastBody = '';

  constructor(readonly base: string) {}

  private async send(url: string, init: RequestInit): Promise<HttpPage> {
    const target = new URL(url, this.base).href;
    const res = await fetch(target, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.cookieHeader() },
    });
    keepCookies(this.cookies, res.headers.getSetCookie());
    const body = await res.text();
    const location = res.headers.get('location') ?? undefined;
    if (!location) this.lastBody = body;
    const served = res.headers.get('x-served-by');
    if (served) this.servedBy.push(Number(served));
    return { status: res.status, location, body, servedBy: served ? Number(served) : undefined, url: target };
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  get(url: string): Promise<HttpPage> {
    return this.send(url, { method: 'GET' });
  }

  post(url: string, fields: Record<string, string>, base?: string): Promise<HttpPage> {
    const csrf = /name="_csrf" value="([^"]*)"/.exec(this.lastBody)?.[1];
    return this.send(base ? new URL(url, base).href : url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...(csrf ? { _csrf: csrf } : {}), ...fields }).toString(),
    });
  }

  /** GETs `url` and follows redirects within the service; stops at a page or a redirect elsewhere. */
  async follow(url: string, max = 10): Promise<HttpPage> {
    let current = new URL(url, this.base).href;
    for (let i = 0; i < max; i++) {
      const page = await this.get(current);
      if (!page.location) return page;
      const next = new URL(page.location, current);
      if (next.origin !== new URL(this.base).origin) return { ...page, url: next.href };
      current = next.href;
    }
    throw new Error('too many redirects');
  }
}
