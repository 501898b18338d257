// One server under test, in a child process of bench/run.ts so that its
// resident memory and CPU time are its own. `tsx bench/server.ts <target>
// <people>` with an IPC channel; targets:
//   embedded        our service as shipped by default (PGlite in a new data folder, outbox notifier)
//   postgres-redis  our service on PostgreSQL (DATABASE_URL, a schema of its own) and Redis (REDIS_URL)
//   bare            the installed oidc-provider with a minimal login (bench/bare-provider.ts)
// It answers the parent's requests over IPC: the last text code sent to a
// phone (the outbox, as the person's phone would receive it), its memory
// (after a full collection) and CPU time (process.cpuUsage: every thread,
// argon2id's thread pool included), argon2id's own cost, and a CPU profile
// of its main thread between two requests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { sql } from 'kysely';
import { hashPassword, passwordMatches } from '../src/journeys/passwords.js';
import { startBareProvider } from './bare-provider.js';

export type Target = 'embedded' | 'postgres-redis' | 'bare';

export interface ServerStats {
  /** CPU time since the process started, microseconds (user + system, all threads). */
  cpuMicros: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

export interface Ready {
  type: 'ready';
  url: string;
  people: { email: string; phone: string; password: string }[];
  startSeconds: number;
}

export type Request =
  | { id: number; type: 'code'; phone: string }
  | { id: number; type: 'stats'; gc: boolean }
  | { id: number; type: 'argon2'; count: number }
  | { id: number; type: 'profileStart' }
  | { id: number; type: 'profileStop'; file: string }
  | { id: number; type: 'close' };

const PASSWORD = 'correct horse battery staple';

interface Handle {
  url: string;
  people: Ready['people'];
  codeFor(phone: string): Promise<string | undefined>;
  close(): Promise<void>;
}

async function startOurs(target: 'embedded' | 'postgres-redis', count: number): Promise<Handle> {
  const [{ startTestService }, { latestCode }, { createAccount }] = await Promise.all([
    import('../test/support/service.js'),
    import('../src/adapters/notify/outbox.js'),
    import('../src/store/accounts.js'),
  ]);
  const schema = target === 'postgres-redis' ? `bench_${process.pid}` : undefined;
  const dataDir = schema ? undefined : mkdtempSync(path.join(tmpdir(), 'nhs-login-bench-'));
  const service = await startTestService({
    listen: true,
    ...(dataDir ? { dataDir } : {}),
    ...(schema
      ? {
          schema,
          env: {
            DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
            REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
          },
        }
      : {}),
    rateLimits: {
      codesSentPerRecipient: { points: 1e9 },
      codesSentPerIp: { points: 1e9 },
      passwordAttemptsPerIp: { points: 1e9 },
    },
  });
  const db = service.database.db;
  // Accounts of our own (P0, verified mobile), one per worker, so per-person limits never meet.
  const passwordHash = await hashPassword(PASSWORD);
  const people: Ready['people'] = [];
  for (let i = 0; i < count; i++) {
    const person = {
      email: `bench.${i}@example.com`,
      phone: `+4477009${String(10000 + i).padStart(5, '0')}`,
      password: PASSWORD,
    };
    const made = await createAccount(db, {
      email: person.email,
      password_hash: passwordHash,
      phone_number: person.phone,
      phone_number_verified: true,
    });
    if (!made) throw new Error(`could not create ${person.email}`);
    people.push(person);
  }
  return {
    url: service.url,
    people,
    codeFor: (phone) => latestCode(db, phone),
    async close() {
      if (schema)
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => undefined);
      await service.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startBare(count: number): Promise<Handle> {
  const bare = await startBareProvider(count, PASSWORD);
  return { ...bare, codeFor: (phone) => Promise.resolve(bare.codeFor(phone)) };
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** With `gc`, after a full collection, so memory is live data rather than garbage waiting. */
function stats(gc: boolean): ServerStats {
  if (gc) globalThis.gc?.();
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    cpuMicros: cpu.user + cpu.system,
    rssMb: mb(m.rss),
    heapUsedMb: mb(m.heapUsed),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
  };
}

/** argon2id's cost alone: `count` verifications one after another, mean wall and CPU milliseconds each. */
async function argon2(count: number): Promise<{ wallMs: number; cpuMs: number }> {
  const hash = await hashPassword(PASSWORD);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) if (!(await passwordMatches(hash, PASSWORD))) throw new Error('argon2id');
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: (performance.now() - t0) / count, cpuMs: (cpu.user + cpu.system) / 1000 / count };
}

const target = process.argv[2] as Target;
const count = Number(process.argv[3] ?? 8);
if (!process.send) throw new Error('bench/server.ts runs as a child of bench/run.ts (needs an IPC channel)');
const t0 = performance.now();
if (!['embedded', 'postgres-redis', 'bare'].includes(target))
  throw new Error(`unknown target ${String(target)}`);
const handle = target === 'bare' ? await startBare(count) : await startOurs(target, count);
let profiler: Session | undefined;

process.on('message', (message: Request) => {
  const answer = async (): Promise<unknown> => {
    switch (message.type) {
      case 'code':
        return handle.codeFor(message.phone);
      case 'stats':
        return stats(message.gc);
      case 'argon2':
        return argon2(message.count);
      case 'profileStart':
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
        await profiler.post('Profiler.start');
        return true;
      case 'profileStop': {
        if (!profiler) throw new Error('no profile running');
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(message.file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = undefined;
        return message.file;
      }
      case 'close':
        await handle.close();
        return true;
    }
  };
  answer().then(
    (result) => {
      process.send!({ id: message.id, result }, () => {
        if (message.type === 'close') process.exit(0);
      });
    },
    (e: unknown) => process.send!({ id: message.id, error: e instanceof Error ? e.message : String(e) }),
  );
});

const ready: Ready = {
  type: 'ready',
  url: handle.url,
  people: handle.people,
  startSeconds: (performance.now() - t0) / 1000,
};
process.send(ready);
