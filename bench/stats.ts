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
   * CPU time this whole process (service, load generator, thread pool) used
   * during the run, seconds; completed / cpuSeconds is the rate one fully
   * available core would give, whatever else the machine was doing.
   */
  cpuSeconds: number;
  perCpuSecond: number;
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
    perCpuSecond: (latencies.length + late) / cpuSeconds,
    latency: summarise(latencies),
  };
}
