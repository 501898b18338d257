// npm run bench: starts the whole service in this process (embedded Postgres
// in memory, the outbox notifier) listening on a free port, and measures over
// real HTTP, for BENCH_SECONDS each at BENCH_CONCURRENCY: complete sign-ins,
// refresh grants (with /token latency), discovery, JWKS and userinfo; and the
// resident memory before and after the sign-ins. Results per CPU core, against
// the published Keycloak figures and the goals of the benchmark issue, go to
// bench/results/latest.json and latest.md.
//
// The service and the load generator share one process (and one JavaScript
// thread): every figure here includes the load generator's own work.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestService } from '../test/support/service.js';
import { demoSupplier } from '../test/support/supplier.js';
import {
  createContext,
  createPeople,
  discovery,
  jwksDocument,
  refresh,
  signIn,
  userinfo,
  type Tokens,
} from './scenarios.js';
import { runFor, summarise, type LoadResult } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
if (!(SECONDS > 0) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  throw new Error('BENCH_SECONDS must be > 0 and BENCH_CONCURRENCY a whole number >= 1');
}

/** Published Keycloak sizing figures, per vCPU. */
const KEYCLOAK = { passwordSignInsPerSecond: 15, refreshGrantsPerSecond: 120 };
/** The goals of the benchmark issue. */
const GOALS = {
  signInsPerSecondPerCore: 45,
  refreshGrantsPerSecondPerCore: 600,
  tokenP99Ms: 40,
  baseRssMb: 256,
};

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

// A full collection before each memory reading, so the figures are live data
// rather than whatever garbage happened to be waiting.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const memory = () => {
  gc();
  const m = process.memoryUsage();
  return {
    rssMb: m.rss / 2 ** 20,
    heapUsedMb: round(m.heapUsed / 2 ** 20),
    arrayBuffersMb: round(m.arrayBuffers / 2 ** 20),
  };
};

const cores = availableParallelism();
const log = (line: string) => process.stdout.write(`${line}\n`);

log(`bench: ${SECONDS}s per run, concurrency ${CONCURRENCY}, ${cores} cores (${cpus()[0]?.model ?? '?'})`);
const t0 = performance.now();
const service = await startTestService({
  listen: true,
  rateLimits: {
    codesSentPerRecipient: { points: 1e9 },
    codesSentPerIp: { points: 1e9 },
    passwordAttemptsPerIp: { points: 1e9 },
  },
});
log(`service up in ${round((performance.now() - t0) / 1000)}s at ${service.url}`);

try {
  const ctx = await createContext(service.url, service.database.db, demoSupplier());
  const people = await createPeople(service.database.db, CONCURRENCY);
  const loadBefore = round(loadavg()[0] ?? 0, 2);
  const base = memory();
  const baseRss = base.rssMb;

  // Warm-up: one sign-in per worker (compiles the hot paths; not counted).
  const tokens: Tokens[] = await Promise.all(people.map((p) => signIn(ctx, p)));
  ctx.tokenLatencies.length = 0;
  ctx.steps.clear();

  const runs: Record<string, LoadResult> = {};
  const measure = async (name: string, op: (worker: number) => Promise<void>) => {
    log(`running ${name}...`);
    runs[name] = await runFor(SECONDS, CONCURRENCY, op);
    const r = runs[name];
    log(`  ${r.completed} in ${round(r.seconds)}s = ${round(r.perSecond)}/s, ${r.errors} errors`);
    for (const e of r.errorSamples) log(`  error: ${e}`);
  };

  await measure('signIn', async (w) => {
    tokens[w] = await signIn(ctx, people[w]!);
  });
  const signInToken = summarise(ctx.tokenLatencies);
  const sessions = runs.signIn!.completed + runs.signIn!.late + people.length;
  const steps = Object.fromEntries(
    [...ctx.steps]
      .sort()
      .map(([k, v]) => [k, round(v / (runs.signIn!.completed + runs.signIn!.late + runs.signIn!.errors), 2)]),
  );
  const after = memory();
  const afterRss = after.rssMb;

  ctx.tokenLatencies.length = 0;
  await measure('refresh', (w) => refresh(ctx, tokens[w]!));
  const refreshToken = summarise(ctx.tokenLatencies);

  await measure('discovery', () => discovery(ctx));
  await measure('jwks', () => jwksDocument(ctx));
  await measure('userinfo', (w) => userinfo(ctx, tokens[w]!));

  const perCore = (name: string) => runs[name]!.perSecond / cores;
  const signInsPerCore = perCore('signIn');
  const refreshPerCore = perCore('refresh');
  const report = {
    date: new Date().toISOString(),
    machine: {
      cores,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryGb: round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverage: { before: loadBefore, after: round(loadavg()[0] ?? 0, 2) },
      note:
        'The service and the load generator share this machine and one Node.js process (one JavaScript ' +
        'thread; argon2id runs on the libuv thread pool): every figure includes the load generator’s own work.',
    },
    settings: {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      store: 'embedded PGlite in memory',
      notifier: 'outbox',
      password: 'argon2id m=19 MiB t=2 p=1',
    },
    runs,
    signIn: { tokenLatency: signInToken, meanStepMs: steps },
    refresh: { tokenLatency: refreshToken },
    memory: {
      base: { ...base, rssMb: round(base.rssMb) },
      afterSignIns: { ...after, rssMb: round(after.rssMb) },
      baseRssMb: round(baseRss),
      afterSignInsRssMb: round(afterRss),
      sessionsCreated: sessions,
      perSessionKb: round(((afterRss - baseRss) * 1024) / sessions, 2),
    },
    perCore: {
      signInsPerSecond: round(signInsPerCore, 2),
      refreshGrantsPerSecond: round(refreshPerCore, 2),
      discoveryPerSecond: round(perCore('discovery')),
      jwksPerSecond: round(perCore('jwks')),
      userinfoPerSecond: round(perCore('userinfo')),
    },
    perCpuSecond: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, round(v.perCpuSecond, 2)])),
    keycloak: {
      perVcpu: KEYCLOAK,
      signInRatio: round(signInsPerCore / KEYCLOAK.passwordSignInsPerSecond, 2),
      refreshRatio: round(refreshPerCore / KEYCLOAK.refreshGrantsPerSecond, 2),
    },
    goals: {
      signInsPerCore: {
        goal: `>= ${GOALS.signInsPerSecondPerCore}/s`,
        met: signInsPerCore >= GOALS.signInsPerSecondPerCore,
      },
      refreshPerCore: {
        goal: `>= ${GOALS.refreshGrantsPerSecondPerCore}/s`,
        met: refreshPerCore >= GOALS.refreshGrantsPerSecondPerCore,
      },
      tokenP99: { goal: `< ${GOALS.tokenP99Ms} ms`, met: refreshToken.p99Ms < GOALS.tokenP99Ms },
      baseMemory: { goal: `< ${GOALS.baseRssMb} MB`, met: baseRss < GOALS.baseRssMb },
    },
  };

  const yes = (met: boolean) => (met ? 'yes' : '**no**');
  const line = (
    metric: string,
    name: string | undefined,
    extra: { keycloak?: number; ratio?: number; goal?: string; met?: boolean; measured?: string } = {},
  ) => {
    const run = name ? runs[name] : undefined;
    return [
      metric,
      extra.measured ?? (run ? String(round(run.perSecond)) : ''),
      run ? String(round(run.perSecond / cores)) : '',
      run ? String(round(run.perCpuSecond)) : '',
      extra.keycloak === undefined ? '' : String(extra.keycloak),
      extra.ratio === undefined ? '' : `${extra.ratio}×`,
      extra.goal ?? '',
      extra.met === undefined ? '' : yes(extra.met),
    ];
  };
  const rows: string[][] = [
    [
      'metric',
      'measured',
      `per core (÷ ${cores})`,
      'per CPU-second used',
      'Keycloak / vCPU',
      'ratio',
      'goal',
      'met',
    ],
    line('complete sign-ins/s', 'signIn', {
      keycloak: KEYCLOAK.passwordSignInsPerSecond,
      ratio: report.keycloak.signInRatio,
      goal: `≥ ${GOALS.signInsPerSecondPerCore}/core`,
      met: report.goals.signInsPerCore.met,
    }),
    line('refresh grants/s', 'refresh', {
      keycloak: KEYCLOAK.refreshGrantsPerSecond,
      ratio: report.keycloak.refreshRatio,
      goal: `≥ ${GOALS.refreshGrantsPerSecondPerCore}/core`,
      met: report.goals.refreshPerCore.met,
    }),
    line('/token p50 / p95 / p99 during refresh (ms)', undefined, {
      measured: `${refreshToken.p50Ms} / ${refreshToken.p95Ms} / ${refreshToken.p99Ms}`,
      goal: `p99 < ${GOALS.tokenP99Ms}`,
      met: report.goals.tokenP99.met,
    }),
    line('discovery/s', 'discovery'),
    line('JWKS/s', 'jwks'),
    line('userinfo/s', 'userinfo'),
    line('RSS at start (MB)', undefined, {
      measured: String(round(baseRss)),
      goal: `< ${GOALS.baseRssMb}`,
      met: report.goals.baseMemory.met,
    }),
    line('RSS after sign-ins (MB)', undefined, { measured: String(round(afterRss)) }),
    line(`RSS per session created (KB; ${sessions} sessions)`, undefined, {
      measured: String(report.memory.perSessionKb),
    }),
  ];
  const table = [
    `| ${rows[0]!.join(' | ')} |`,
    `| ${rows[0]!.map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  const errors = Object.entries(runs)
    .filter(([, v]) => v.errors > 0)
    .map(([k, v]) => `${k}: ${v.errors} errors (${v.errorSamples[0] ?? ''})`);
  const md = [
    `# Benchmark: ${report.date}`,
    '',
    `${cores} cores (${report.machine.cpu}), Node.js ${process.version}; ${SECONDS} s per run at concurrency ` +
      `${CONCURRENCY}; embedded PGlite in memory; outbox notifier; argon2id at OWASP parameters. ` +
      `Load average (1 min) ${report.machine.loadAverage.before} before, ${report.machine.loadAverage.after} after.`,
    '',
    `**${report.machine.note}** "Per core" divides the measured rate by all ${cores} cores; "per CPU-second ` +
      'used" divides the operations by the CPU time this process used (all its threads), the rate one core ' +
      'would give if the process had it to itself.',
    '',
    table,
    '',
    `Mean time per sign-in step (ms, as the client saw it): ${Object.entries(steps)
      .map(([k, v]) => `${k.slice(2)} ${v}`)
      .join('; ')}. /token during sign-ins: p50 ${signInToken.p50Ms} ms, p99 ${signInToken.p99Ms} ms.`,
    '',
    `Memory at start: heap ${report.memory.base.heapUsedMb} MB, array buffers (PGlite's WebAssembly memory ` +
      `among them) ${report.memory.base.arrayBuffersMb} MB.`,
    '',
    errors.length ? `Errors: ${errors.join('; ')}` : 'No errors.',
    '',
  ].join('\n');

  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(new URL('./results/latest.md', import.meta.url), md);
  log('');
  log(md);
  log(`total ${round((performance.now() - t0) / 1000)}s; written to bench/results/latest.{json,md}`);
} finally {
  await service.close();
}
