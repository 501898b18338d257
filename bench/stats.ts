// Numbers for the benchmark report: percentiles and a fixed-duration,
// fixed-concurrency load loop.

/**
 * The p-th percentile (0 < p <= 100) by the nearest-rank method: the smallest
 * value with at least p% of the values at or below it. NaN for no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError('percentile must be in (0, 100]');
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarise(latenciesMs: readonly number[]): LatencySummary {
  const count = latenciesMs.length;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    count,
    meanMs: round(count ? latenciesMs.reduce((a, b) => a + b, 0) / count : Number.NaN),
    p50Ms: round(percentile(latenciesMs, 50)),
    p95Ms: round(percentile(latenciesMs, 95)),
    p99Ms: round(percentile(latenciesMs, 99)),
    maxMs: round(count ? latenciesMs.reduce((a, b) => Math.max(a, b), -Infinity) : Number.NaN),
  };
}

export interface LoadResult {
  /** Operations that completed without error. */
  completed: number;
  /** Operations that completed, but after the deadline (not counted in the rate). */
  late: number;
  errors: number;
  /** The first few error messages, for the report. */
  errorSamples: string[];
  seconds: number;
  perSecond: number;
  /**
   * CPU time the process running this loop used during the run, seconds (all
   * its threads): with the server in a child process, the load generator's
   * own cost; the server's is measured around the run (bench/run.ts).
   */
  cpuSeconds: number;
  /** Whole-operation latency. */
  latency: LatencySummary;
}

/**
 * Runs `operation(worker)` in `concurrency` loops for `seconds`: each loop
 * starts its next operation when the last one ends (closed loop). Operations
 * still running at the deadline are awaited but only count if they finished
 * in time.
 */
export async function runFor(
  seconds: number,
  concurrency: number,
  operation: (worker: number) => Promise<void>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let late = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (worker: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await operation(worker);
        const t1 = performance.now();
        if (t1 <= deadline) latencies.push(t1 - t0);
        else late++;
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(e instanceof Error ? e.message : String(e));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  const elapsed = (Math.min(performance.now(), deadline) - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    completed: latencies.length,
    late,
    errors,
    errorSamples,
    seconds: elapsed,
    perSecond: latencies.length / elapsed,
    cpuSeconds,
    latency: summarise(latencies),
  };
}

/**
 * CPU time from a Linux /proc/<pid>/stat line, in clock ticks: utime and
 * stime (fields 14 and 15), which cover all of the process's threads. The
 * command name (field 2, in parentheses) may itself hold spaces or
 * parentheses, so the fields are counted from the last ')'.
 */
export function procStatCpuTicks(stat: string): number {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  // After ')' come field 3 (state) onwards; utime is field 14, stime 15.
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in the stat line');
  return utime + stime;
}

/**
 * Operations per CPU-second: the rate one core would give if it did nothing
 * but this work. NaN when no CPU time was measured.
 */
export function perCpuSecond(operations: number, cpuSeconds: number): number {
  return cpuSeconds > 0 ? operations / cpuSeconds : Number.NaN;
}

/** a ÷ b rounded to `places`, or undefined when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined, places = 2): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return undefined;
  return Math.round((a / b) * 10 ** places) / 10 ** places;
}

/** A Markdown table: the first row is the header; cells have their `|` escaped. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  if (!header) return '';
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const line = (row: readonly string[]) => `| ${header.map((_, i) => cell(row[i] ?? '')).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...body.map(line)].join('\n');
}

/** The numeric fields of a Redis INFO reply (`name:value` lines; sections and text values skipped). */
export function redisInfoNumbers(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    const value = Number(line.slice(colon + 1).trim());
    if (line.slice(colon + 1).trim() !== '' && Number.isFinite(value)) out[line.slice(0, colon)] = value;
  }
  return out;
}
