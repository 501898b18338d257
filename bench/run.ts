// npm run bench: measures, over real HTTP, for BENCH_SECONDS each at
// BENCH_CONCURRENCY, complete sign-ins, refresh grants (with /token latency),
// discovery, JWKS and userinfo, and resident memory, against three servers in
// turn, each in a child process of its own (bench/server.ts, run from the
// production build in dist/, which this builds first) while this process
// generates the load:
//   embedded        our service as shipped by default (PGlite in a new data folder)
//   postgres-redis  our service on PostgreSQL and Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL)
//   bare            the installed oidc-provider with the same algorithms and
//                   lifetimes and a minimal argon2id + code login (bench/bare-provider.ts)
// BENCH_TARGETS picks some (comma-separated); BENCH_PROFILE=1 adds CPU
// profiles of each server's main thread during extra sign-ins and refresh
// grants (not counted; BENCH_PROFILE=signIn,refresh,jwks,... chooses).
//
// "Per core" is operations per CPU-second of the server process (user +
// system time of all its threads, from process.cpuUsage in the child, read
// before and after each run): the rate one core would give the server if it
// had the core to itself, whatever the load generator and anyone else on
// the machine were doing. PostgreSQL's and Redis's CPU is reported beside it.
// Results go to bench/results/latest.json and latest.md.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { demoSupplier } from '../test/support/supplier.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './profile.js';
import {
  bareLoginPages,
  createContext,
  discovery,
  jwksDocument,
  ourLoginPages,
  refresh,
  signIn,
  userinfo,
  type Tokens,
} from './scenarios.js';
import type { Ready, Request, ServerStats, Target } from './server.js';
import {
  markdownTable,
  perCpuSecond,
  procStatCpuTicks,
  ratio,
  redisInfoNumbers,
  runFor,
  summarise,
  type LatencySummary,
  type LoadResult,
} from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
if (!(SECONDS > 0) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  throw new Error('BENCH_SECONDS must be > 0 and BENCH_CONCURRENCY a whole number >= 1');
}
const ALL_TARGETS: Target[] = ['embedded', 'postgres-redis', 'bare'];
const TARGETS = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(','))
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean) as Target[];
for (const t of TARGETS) if (!ALL_TARGETS.includes(t)) throw new Error(`BENCH_TARGETS: unknown target ${t}`);
/** Sign-ins one after another with the server's CPU read around each step. */
const SEQUENTIAL_SIGN_INS = 5;
const PROFILED_RUNS = ['signIn', 'refresh', 'discovery', 'jwks', 'userinfo'];
const PROFILE = (process.env.BENCH_PROFILE === '1' ? 'signIn,refresh' : (process.env.BENCH_PROFILE ?? ''))
  .split(',')
  .map((r) => r.trim())
  .filter((r) => r && r !== '0');
for (const r of PROFILE) if (!PROFILED_RUNS.includes(r)) throw new Error(`BENCH_PROFILE: unknown run ${r}`);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Published Keycloak sizing figures, per vCPU. */
const KEYCLOAK = { passwordSignInsPerSecond: 15, refreshGrantsPerSecond: 120 };
/** The goals of the benchmark issue. */
const GOALS = {
  signInsPerSecondPerCore: 45,
  refreshGrantsPerSecondPerCore: 600,
  tokenP99Ms: 40,
  baseRssMb: 256,
};
const LABELS: Record<Target, string> = {
  embedded: 'ours, embedded',
  'postgres-redis': 'ours, PostgreSQL + Redis',
  bare: 'bare oidc-provider',
};

const round = (n: number, places = 1) =>
  Number.isFinite(n) ? Math.round(n * 10 ** places) / 10 ** places : Number.NaN;
const cores = availableParallelism();
const log = (line: string) => process.stdout.write(`${line}\n`);
const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = new URL('./results/', import.meta.url);

/** A server under test in a child process, asked things over IPC. */
class ServerProcess {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly child: ChildProcess,
    readonly ready: Ready,
  ) {
    child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.result);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`server exited (${code})`));
      this.waiting.clear();
    });
  }

  static start(target: Target, env: Record<string, string>): Promise<ServerProcess> {
    const child = fork(path.join(root, 'dist', 'bench', 'server.js'), [target, String(CONCURRENCY)], {
      cwd: root,
      execArgv: ['--expose-gc'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`${target} did not start within 180 s`));
      }, 180_000);
      child.once('message', (m: Ready) => {
        clearTimeout(timer);
        resolve(new ServerProcess(child, m));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${target} exited (${code}) before it was ready`));
      });
    });
  }

  call<T>(
    request: Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never,
  ): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...request, id });
    });
  }

  stats(gc: boolean): Promise<ServerStats> {
    return this.call<ServerStats>({ type: 'stats', gc });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.call({ type: 'close' }).catch(() => undefined);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // not Linux; the stores' CPU is then not measured
}

interface StoreSample {
  /** PostgreSQL backend pid → CPU ticks. */
  backends: Map<number, number>;
  redisCpuSeconds: number | undefined;
  redisUsedMemory: number | undefined;
}

/**
 * The CPU time of the PostgreSQL backends serving one server (found by the
 * application_name its pool sets from PGAPPNAME) and of the Redis server
 * (INFO cpu: the whole server, so anyone else's use of it too). Both run on
 * this machine; their /proc entries are read directly.
 */
class StoreMeter {
  private constructor(
    private readonly pgClient: pg.Client,
    private readonly redis: Redis,
    private readonly appName: string,
  ) {}

  static async open(appName: string): Promise<StoreMeter> {
    const pgClient = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
    await pgClient.connect();
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      await pgClient.end();
      redis.disconnect();
      throw e;
    }
    return new StoreMeter(pgClient, redis, appName);
  }

  async sample(): Promise<StoreSample> {
    const { rows } = await this.pgClient.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [this.appName],
    );
    const backends = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        backends.set(pid, procStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')));
      } catch {
        // gone, or not on this machine
      }
    }
    const info = redisInfoNumbers(await this.redis.info());
    const redisCpu =
      info.used_cpu_user !== undefined && info.used_cpu_sys !== undefined
        ? info.used_cpu_user + info.used_cpu_sys
        : undefined;
    return { backends, redisCpuSeconds: redisCpu, redisUsedMemory: info.used_memory };
  }

  /** CPU seconds between two samples: backends that appeared in between count from zero. */
  static delta(
    a: StoreSample,
    b: StoreSample,
  ): { postgresCpuSeconds: number; redisCpuSeconds: number | undefined } {
    let ticks = 0;
    for (const [pid, t] of b.backends) ticks += t - (a.backends.get(pid) ?? 0);
    return {
      postgresCpuSeconds: ticks / clockTicks,
      redisCpuSeconds:
        a.redisCpuSeconds === undefined || b.redisCpuSeconds === undefined
          ? undefined
          : b.redisCpuSeconds - a.redisCpuSeconds,
    };
  }

  async close(): Promise<void> {
    await this.pgClient.end().catch(() => undefined);
    this.redis.disconnect();
  }
}

interface RunResult extends Omit<LoadResult, 'cpuSeconds'> {
  /** CPU time of this process (the load generator) during the run. */
  loadGeneratorCpuSeconds: number;
  /** Completed ÷ wall-clock seconds ÷ all the machine's cores. */
  perSecondPerCore: number;
  serverCpuSeconds: number;
  /** Server CPU milliseconds per operation (completed and late). */
  serverCpuMsPerOp: number;
  /** Operations per CPU-second of the server process: "per core". */
  perServerCpuSecond: number;
  postgresCpuSeconds?: number;
  redisCpuSeconds?: number;
  /** Operations per CPU-second of the server, its PostgreSQL backends and Redis together. */
  perCpuSecondWithStores?: number;
}

interface TargetResult {
  target: Target;
  label: string;
  skipped?: string;
  startSeconds?: number;
  runs: Record<string, RunResult>;
  signIn?: {
    tokenLatency: LatencySummary;
    meanStepMs: Record<string, number>;
    /** Server CPU per step, ms, from sign-ins one at a time (SEQUENTIAL_SIGN_INS of them). */
    serverCpuMsPerStep: Record<string, number>;
  };
  refresh?: { tokenLatency: LatencySummary };
  argon2id?: { verifyWallMs: number; verifyCpuMs: number; shareOfSignInCpu: number };
  memory?: {
    atStart: ServerStats;
    afterWarmUp: ServerStats;
    afterSignIns: ServerStats;
    sessionsInRun: number;
    perSessionKb: number;
    redisPerSessionKb?: number;
  };
  profiles?: Record<string, ProfileSummary & { file: string }>;
}

async function storesAvailable(): Promise<string | undefined> {
  try {
    const meter = await StoreMeter.open('bench-probe');
    await meter.close();
    return undefined;
  } catch (e) {
    return `PostgreSQL (${DATABASE_URL}) or Redis (${REDIS_URL}) does not answer: ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function benchTarget(target: Target): Promise<TargetResult> {
  const result: TargetResult = { target, label: LABELS[target], runs: {} };
  const appName = `bench-${target}-${process.pid}`;
  let meter: StoreMeter | undefined;
  if (target === 'postgres-redis') {
    const missing = await storesAvailable();
    if (missing) {
      log(`skipping ${target}: ${missing}`);
      return { ...result, skipped: missing };
    }
    meter = await StoreMeter.open(appName);
  }
  log(`\n== ${LABELS[target]} ==`);
  const t0 = performance.now();
  const server = await ServerProcess.start(target, {
    PGAPPNAME: appName,
    BENCH_DATABASE_URL: DATABASE_URL,
    BENCH_REDIS_URL: REDIS_URL,
  });
  result.startSeconds = round((performance.now() - t0) / 1000, 2);
  log(`up in ${result.startSeconds}s at ${server.ready.url} (pid ${server.child.pid})`);
  try {
    const ctx = await createContext(
      server.ready.url,
      demoSupplier(),
      target === 'bare' ? bareLoginPages : ourLoginPages,
      (phone) => server.call<string | undefined>({ type: 'code', phone }),
    );
    const people = server.ready.people;
    const atStart = await server.stats(true);

    // Warm-up: one sign-in per worker (compiles the hot paths, fills caches; not counted).
    const tokens: Tokens[] = await Promise.all(people.map((p) => signIn(ctx, p)));
    const afterWarmUp = await server.stats(true);
    const redisBefore = meter ? await meter.sample() : undefined;
    const argon2 = await server.call<{ wallMs: number; cpuMs: number }>({ type: 'argon2', count: 10 });
    // Sign-ins one at a time, the server's CPU read around each step.
    ctx.serverCpu = async () => (await server.stats(false)).cpuMicros;
    for (let i = 0; i < SEQUENTIAL_SIGN_INS; i++) tokens[0] = await signIn(ctx, people[0]!);
    ctx.serverCpu = undefined;
    const serverCpuMsPerStep = Object.fromEntries(
      [...ctx.stepCpu].sort().map(([k, v]) => [k, round(v / SEQUENTIAL_SIGN_INS, 2)]),
    );
    ctx.tokenLatencies.length = 0;
    ctx.steps.clear();

    const measure = async (name: string, op: (worker: number) => Promise<void>) => {
      log(`running ${name}...`);
      const s0 = await server.stats(false);
      const st0 = meter ? await meter.sample() : undefined;
      const r = await runFor(SECONDS, CONCURRENCY, op);
      const s1 = await server.stats(false);
      const st1 = meter ? await meter.sample() : undefined;
      const ops = r.completed + r.late;
      const serverCpuSeconds = (s1.cpuMicros - s0.cpuMicros) / 1e6;
      const stores = st0 && st1 ? StoreMeter.delta(st0, st1) : undefined;
      const { cpuSeconds, ...rest } = r;
      const run: RunResult = {
        ...rest,
        loadGeneratorCpuSeconds: round(cpuSeconds, 3),
        perSecondPerCore: r.perSecond / cores,
        serverCpuSeconds: round(serverCpuSeconds, 3),
        serverCpuMsPerOp: round((serverCpuSeconds * 1000) / ops, 3),
        perServerCpuSecond: round(perCpuSecond(ops, serverCpuSeconds), 2),
        ...(stores
          ? {
              postgresCpuSeconds: round(stores.postgresCpuSeconds, 3),
              ...(stores.redisCpuSeconds === undefined
                ? {}
                : { redisCpuSeconds: round(stores.redisCpuSeconds, 3) }),
              perCpuSecondWithStores: round(
                perCpuSecond(
                  ops,
                  serverCpuSeconds + stores.postgresCpuSeconds + (stores.redisCpuSeconds ?? 0),
                ),
                2,
              ),
            }
          : {}),
      };
      result.runs[name] = run;
      log(
        `  ${r.completed} in ${round(r.seconds)}s = ${round(r.perSecond)}/s; server CPU ${run.serverCpuMsPerOp} ms/op ` +
          `= ${round(run.perServerCpuSecond)}/CPU-s; ${r.errors} errors`,
      );
      for (const e of r.errorSamples) log(`  error: ${e}`);
    };

    const operations: Record<string, (worker: number) => Promise<void>> = {
      signIn: async (w) => {
        tokens[w] = await signIn(ctx, people[w]!);
      },
      refresh: (w) => refresh(ctx, tokens[w]!),
      discovery: () => discovery(ctx),
      jwks: () => jwksDocument(ctx),
      userinfo: (w) => userinfo(ctx, tokens[w]!),
    };
    await measure('signIn', operations.signIn!);
    const signInRun = result.runs.signIn!;
    const afterSignIns = await server.stats(true);
    const redisAfter = meter ? await meter.sample() : undefined;
    const sessionsInRun = signInRun.completed + signInRun.late;
    const attempts = signInRun.completed + signInRun.late + signInRun.errors;
    result.signIn = {
      tokenLatency: summarise(ctx.tokenLatencies),
      serverCpuMsPerStep,
      meanStepMs: Object.fromEntries(
        [...ctx.steps].sort().map(([k, v]) => [k, round(v / Math.max(1, attempts), 2)]),
      ),
    };
    result.argon2id = {
      verifyWallMs: round(argon2.wallMs, 2),
      verifyCpuMs: round(argon2.cpuMs, 2),
      shareOfSignInCpu: round(argon2.cpuMs / signInRun.serverCpuMsPerOp, 3),
    };
    const redisMemory =
      redisBefore?.redisUsedMemory !== undefined && redisAfter?.redisUsedMemory !== undefined
        ? redisAfter.redisUsedMemory - redisBefore.redisUsedMemory
        : undefined;
    result.memory = {
      atStart,
      afterWarmUp,
      afterSignIns,
      sessionsInRun,
      perSessionKb: round(((afterSignIns.rssMb - afterWarmUp.rssMb) * 1024) / Math.max(1, sessionsInRun), 2),
      ...(redisMemory === undefined
        ? {}
        : { redisPerSessionKb: round(redisMemory / 1024 / Math.max(1, sessionsInRun), 2) }),
    };

    ctx.tokenLatencies.length = 0;
    await measure('refresh', operations.refresh!);
    result.refresh = { tokenLatency: summarise(ctx.tokenLatencies) };
    for (const run of ['discovery', 'jwks', 'userinfo']) await measure(run, operations[run]!);

    for (const run of PROFILE) {
      const dir = new URL('./profiles/', resultsDir);
      mkdirSync(dir, { recursive: true });
      const file = fileURLToPath(new URL(`${target}-${run}.cpuprofile`, dir));
      log(`profiling ${run} (not counted)...`);
      await server.call({ type: 'profileStart' });
      await runFor(Math.min(SECONDS, 5), CONCURRENCY, operations[run]!);
      await server.call({ type: 'profileStop', file });
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      result.profiles ??= {};
      result.profiles[run] = { file: file.slice(root.length), ...summariseProfile(profile) };
    }
  } finally {
    await server.close();
    await meter?.close();
  }
  return result;
}

// ---------------------------------------------------------------------------

const cpuModel = cpus()[0]?.model ?? 'unknown';
log(
  `bench: ${SECONDS}s per run, concurrency ${CONCURRENCY}, ${cores} cores (${cpuModel}), ` +
    `targets ${TARGETS.join(', ')}`,
);
// The servers run the production build (dist/), built fresh so it matches the sources.
log('building (npm run build)...');
execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const began = performance.now();
const loadBefore = loadavg().map((n) => round(n, 2));
const results: Partial<Record<Target, TargetResult>> = {};
const selfCpu0 = process.cpuUsage();
for (const target of TARGETS) {
  try {
    results[target] = await benchTarget(target);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log(`${target} failed: ${message}`);
    results[target] = { target, label: LABELS[target], runs: {}, skipped: `failed: ${message}` };
  }
}
const selfCpu = process.cpuUsage(selfCpu0);
const loadAfter = loadavg().map((n) => round(n, 2));

// ---------------------------------------------------------------------------
// The report.

const ours: Target[] = ['embedded', 'postgres-redis'];
const got = (t: Target) => (results[t] && !results[t].skipped ? results[t] : undefined);
const perCore = (t: Target, run: string) => got(t)?.runs[run]?.perServerCpuSecond;

const goals = Object.fromEntries(
  ours
    .filter((t) => got(t))
    .map((t) => {
      const r = got(t)!;
      const signIns = perCore(t, 'signIn') ?? Number.NaN;
      const refreshes = perCore(t, 'refresh') ?? Number.NaN;
      const p99 = r.refresh?.tokenLatency.p99Ms ?? Number.NaN;
      const baseRss = r.memory?.atStart.rssMb ?? Number.NaN;
      return [
        t,
        {
          signInsPerCore: {
            goal: `>= ${GOALS.signInsPerSecondPerCore}/s`,
            value: signIns,
            met: signIns >= GOALS.signInsPerSecondPerCore,
          },
          refreshPerCore: {
            goal: `>= ${GOALS.refreshGrantsPerSecondPerCore}/s`,
            value: refreshes,
            met: refreshes >= GOALS.refreshGrantsPerSecondPerCore,
          },
          tokenP99: { goal: `< ${GOALS.tokenP99Ms} ms`, value: p99, met: p99 < GOALS.tokenP99Ms },
          baseMemory: { goal: `< ${GOALS.baseRssMb} MB`, value: baseRss, met: baseRss < GOALS.baseRssMb },
        },
      ];
    }),
);

const report = {
  date: new Date().toISOString(),
  machine: {
    cores,
    cpu: cpuModel,
    memoryGb: round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: { before: loadBefore, after: loadAfter },
  },
  settings: {
    seconds: SECONDS,
    concurrency: CONCURRENCY,
    targets: TARGETS,
    password: 'argon2id m=19 MiB t=2 p=1 (OWASP), in every target',
    postgres: DATABASE_URL,
    redis: REDIS_URL,
  },
  method:
    'Each server runs in its own child process (bench/server.ts); this process is the load generator. ' +
    '"Per core" = operations ÷ CPU-seconds the server process used during the run (process.cpuUsage in ' +
    'the child, all threads: JavaScript, GC, argon2id on the libuv pool), read over IPC before and after ' +
    'the run: the rate one core would sustain if it ran only the server. Operations that finished after ' +
    'the deadline count towards CPU per operation but not towards the wall-clock rate. PostgreSQL backend ' +
    'CPU (/proc/<pid>/stat of the backends with our application_name) and Redis CPU (INFO, the whole ' +
    'server) are reported beside it. Latencies are wall-clock, as the load generator saw them, so they ' +
    'include queueing on a shared machine. Memory is RSS after a full GC. Every server runs compiled ' +
    '(npm run build, then node dist/...), as the deployment guide runs ours in production; under tsx ' +
    '(npm start) each RSS is about 60 MB more.',
  loadGeneratorCpuSeconds: round((selfCpu.user + selfCpu.system) / 1e6, 2),
  keycloak: { perVcpu: KEYCLOAK },
  goals,
  results,
};

const fmt = (n: number | undefined, places = 1) =>
  n === undefined || !Number.isFinite(n) ? '–' : String(round(n, places));
const times = (n: number | undefined) => (n === undefined ? '–' : `${n}×`);
const yes = (met: boolean | undefined) => (met === undefined ? '–' : met ? 'yes' : '**no**');
const shown: Target[] = ALL_TARGETS.filter((t) => TARGETS.includes(t));
const metOf = (key: keyof (typeof goals)[string]) =>
  ours
    .filter((t) => shown.includes(t))
    .map((t) => yes(goals[t]?.[key].met))
    .join(' / ');

type Row = {
  metric: string;
  value: (t: Target) => number | undefined;
  places?: number;
  keycloak?: number;
  goal?: string;
  met?: string;
};
const rows: Row[] = [
  {
    metric: 'complete sign-ins/s per core',
    value: (t) => perCore(t, 'signIn'),
    keycloak: KEYCLOAK.passwordSignInsPerSecond,
    goal: `≥ ${GOALS.signInsPerSecondPerCore}`,
    met: metOf('signInsPerCore'),
  },
  {
    metric: 'refresh grants/s per core',
    value: (t) => perCore(t, 'refresh'),
    keycloak: KEYCLOAK.refreshGrantsPerSecond,
    goal: `≥ ${GOALS.refreshGrantsPerSecondPerCore}`,
    met: metOf('refreshPerCore'),
  },
  {
    metric: 'sign-ins/s per core, PostgreSQL + Redis CPU included',
    value: (t) => got(t)?.runs.signIn?.perCpuSecondWithStores,
  },
  {
    metric: 'refresh grants/s per core, PostgreSQL + Redis CPU included',
    value: (t) => got(t)?.runs.refresh?.perCpuSecondWithStores,
  },
  { metric: '/token p50 during refresh (ms)', value: (t) => got(t)?.refresh?.tokenLatency.p50Ms },
  {
    metric: '/token p99 during refresh (ms)',
    value: (t) => got(t)?.refresh?.tokenLatency.p99Ms,
    goal: `< ${GOALS.tokenP99Ms}`,
    met: metOf('tokenP99'),
  },
  { metric: '/token p99 during sign-ins (ms)', value: (t) => got(t)?.signIn?.tokenLatency.p99Ms },
  { metric: 'discovery/s per core', value: (t) => perCore(t, 'discovery'), places: 0 },
  { metric: 'JWKS/s per core', value: (t) => perCore(t, 'jwks'), places: 0 },
  { metric: 'userinfo/s per core', value: (t) => perCore(t, 'userinfo'), places: 0 },
  {
    metric: 'RSS at start, idle (MB)',
    value: (t) => got(t)?.memory?.atStart.rssMb,
    goal: `< ${GOALS.baseRssMb}`,
    met: metOf('baseMemory'),
  },
  { metric: 'RSS after sign-ins (MB)', value: (t) => got(t)?.memory?.afterSignIns.rssMb },
  { metric: 'RSS per session signed in (KB)', value: (t) => got(t)?.memory?.perSessionKb },
  { metric: 'Redis memory per session (KB)', value: (t) => got(t)?.memory?.redisPerSessionKb },
  { metric: 'server CPU per sign-in (ms)', value: (t) => got(t)?.runs.signIn?.serverCpuMsPerOp, places: 2 },
  { metric: '… of which one argon2id verify (ms)', value: (t) => got(t)?.argon2id?.verifyCpuMs, places: 2 },
  {
    metric: 'server CPU per refresh grant (ms)',
    value: (t) => got(t)?.runs.refresh?.serverCpuMsPerOp,
    places: 2,
  },
];
const oursShown = ours.filter((t) => shown.includes(t));
const headline = markdownTable([
  [
    'metric',
    ...shown.map((t) => LABELS[t]),
    ...(shown.includes('bare') ? oursShown.map((t) => `${LABELS[t].replace('ours, ', '')} ÷ bare`) : []),
    'Keycloak / vCPU',
    ...oursShown.map((t) => `${LABELS[t].replace('ours, ', '')} ÷ Keycloak`),
    'goal',
    `met (${oursShown.map((t) => LABELS[t].replace('ours, ', '')).join(' / ')})`,
  ],
  ...rows.map((r) => [
    r.metric,
    ...shown.map((t) => fmt(r.value(t), r.places)),
    ...(shown.includes('bare') ? oursShown.map((t) => times(ratio(r.value(t), r.value('bare')))) : []),
    r.keycloak === undefined ? '' : String(r.keycloak),
    ...oursShown.map((t) => (r.keycloak === undefined ? '' : times(ratio(r.value(t), r.keycloak)))),
    r.goal ?? '',
    r.met ?? '',
  ]),
]);

const detail = markdownTable([
  [
    'server',
    'run',
    'done',
    'wall-clock /s',
    `/s ÷ ${cores} cores`,
    'server CPU s',
    'server CPU ms/op',
    'per server CPU-s',
    'PostgreSQL + Redis CPU s',
    'per CPU-s incl. stores',
    'p50 / p99 (ms)',
    'errors',
  ],
  ...shown.flatMap((t) =>
    Object.entries(got(t)?.runs ?? {}).map(([name, r]) => [
      LABELS[t],
      name,
      String(r.completed),
      fmt(r.perSecond),
      fmt(r.perSecondPerCore),
      fmt(r.serverCpuSeconds, 2),
      fmt(r.serverCpuMsPerOp, 2),
      fmt(r.perServerCpuSecond),
      r.postgresCpuSeconds === undefined
        ? ''
        : `${fmt(r.postgresCpuSeconds, 2)} + ${fmt(r.redisCpuSeconds, 2)}`,
      fmt(r.perCpuSecondWithStores),
      `${fmt(r.latency.p50Ms)} / ${fmt(r.latency.p99Ms)}`,
      String(r.errors),
    ]),
  ),
]);

const md: string[] = [
  `# Benchmark: ${report.date}`,
  '',
  `${cores} cores (${cpuModel}), ${report.machine.memoryGb} GB, Node.js ${process.version}; ` +
    `load average (1/5/15 min) ${loadBefore.join(' ')} before, ${loadAfter.join(' ')} after. ` +
    `${SECONDS} s per run at concurrency ${CONCURRENCY}; argon2id m=19 MiB t=2 p=1 (OWASP) in every server.`,
  '',
  `**How it is measured.** ${report.method}`,
  '',
  'Servers: **ours, embedded** is the service as shipped by default (PGlite in a new data folder on disk, outbox notifier); ' +
    '**ours, PostgreSQL + Redis** the same on a PostgreSQL schema of its own and Redis; **bare ' +
    'oidc-provider** the installed engine with the same algorithms (RS512 ID and JWT access tokens, ' +
    'private_key_jwt RS512, PKCE S256), lifetimes and refresh rotation, an in-memory store, a ' +
    'minimal password (argon2id, same parameters) + code login and a minimal JWT userinfo. A sign-in ' +
    'is authorize → password → code page → code → callback → /token (code, PKCE, private_key_jwt ' +
    'RS512) → ID token verified against the JWKS, with a fresh browser (a new session) each time.',
  '',
  headline,
  '',
  'Ratios ÷ bare and ÷ Keycloak are ours divided by theirs (above 1 is more throughput, or more ' +
    'latency or memory). Keycloak: its published sizing figures per vCPU.',
  '',
  '## Every run',
  '',
  detail,
  '',
  `Load generator (this process) CPU over the whole benchmark: ${report.loadGeneratorCpuSeconds} s.`,
  '',
  `## Sign-in steps (mean wall-clock ms under load, as the client saw them; then server CPU ms per step over ${SEQUENTIAL_SIGN_INS} sign-ins one at a time)`,
  '',
  ...shown.flatMap((t) => {
    const r = got(t);
    if (!r?.signIn) return [`- ${LABELS[t]}: ${results[t]?.skipped ?? 'not run'}`];
    return [
      `- ${LABELS[t]}: ${Object.entries(r.signIn.meanStepMs)
        .map(([k, v]) => `${k.slice(2)} ${v}`)
        .join('; ')}. Server CPU per step, one sign-in at a time: ${Object.entries(
        r.signIn.serverCpuMsPerStep,
      )
        .map(([k, v]) => `${k.slice(2)} ${v}`)
        .join('; ')}. One argon2id verify alone: ${r.argon2id?.verifyWallMs} ms wall, ` +
        `${r.argon2id?.verifyCpuMs} ms CPU (${fmt((r.argon2id?.shareOfSignInCpu ?? Number.NaN) * 100, 0)}% ` +
        `of the server's CPU per sign-in).`,
    ];
  }),
  '',
];
const profiled = shown.filter((t) => got(t)?.profiles);
if (profiled.length) {
  md.push(
    '## Where the main thread goes (CPU profiles, not counted in the figures above)',
    '',
    'Self time by package, then by the innermost function of ours (src/) on the stack. argon2id ' +
      'runs on the thread pool and is not in these; its cost is measured on its own above.',
    '',
  );
  for (const t of profiled) {
    for (const [run, p] of Object.entries(got(t)!.profiles!)) {
      md.push(
        `- ${LABELS[t]}, ${run} (${p.file}; ${p.totalMs} ms sampled, ${p.idleMs} idle): ${p.byCategory
          .slice(0, 10)
          .map((c) => `${c.name} ${fmt(c.share * 100, 0)}%`)
          .join(', ')}. Ours: ${p.byOwnFrame
          .slice(0, 8)
          .map((f) => `${f.name} ${fmt(f.share * 100, 0)}%`)
          .join(', ')}.`,
      );
    }
  }
  md.push('');
}
const problems = shown.flatMap((t) => {
  const r = results[t];
  if (r?.skipped) return [`${LABELS[t]}: ${r.skipped}`];
  return Object.entries(r?.runs ?? {})
    .filter(([, v]) => v.errors > 0)
    .map(([k, v]) => `${LABELS[t]} ${k}: ${v.errors} errors (${v.errorSamples[0] ?? ''})`);
});
md.push(problems.length ? `Problems: ${problems.join('; ')}` : 'No errors.', '');
const markdown = md.join('\n');

mkdirSync(resultsDir, { recursive: true });
writeFileSync(new URL('latest.json', resultsDir), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(new URL('latest.md', resultsDir), markdown);
log('');
log(markdown);
log(`total ${round((performance.now() - began) / 1000)}s; written to bench/results/latest.{json,md}`);
