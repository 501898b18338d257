// Summaries of a V8 CPU profile (.cpuprofile, from the inspector's
// Profiler.stop): where the main thread's time went, by package or source
// folder and by function. Work on the libuv thread pool (argon2id) is not
// in it; bench/run.ts measures that separately.

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Which part of the code a frame belongs to: a package under node_modules
 * (scoped packages keep their scope), a folder of our own (src/oidc,
 * bench, test), Node.js itself, or V8's pseudo-frames (GC, idle, program).
 */
export function categoryOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(garbage collector)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  if (url.startsWith('node:')) return 'node';
  if (url.startsWith('wasm://')) return 'wasm';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : (parts[0] ?? '?');
  }
  const own = /\/(src|bench|test)\/(?:([^/]+)\/)?[^/]*$/.exec(url);
  if (own) return own[2] ? `${own[1]}/${own[2]}` : own[1]!;
  return 'other';
}

export interface ProfileSummary {
  /** Sampled time, milliseconds, idle included. */
  totalMs: number;
  idleMs: number;
  /** Busy time by category, largest first, with its share of the busy time. */
  byCategory: { name: string; ms: number; share: number }[];
  /** Busy time by function (self time), largest first. */
  topFunctions: { name: string; category: string; ms: number; share: number }[];
  /**
   * Busy time by the innermost function of our own (src/) on the stack, self
   * time of everything it called synchronously included: which of our code
   * the engine's and the libraries' time is spent for. "(no src frame)" is
   * time with none of ours on the stack (the engine, HTTP, timers).
   */
  byOwnFrame: { name: string; ms: number; share: number }[];
}

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;

/** Self time per category and per function; each sample is charged its following time delta. */
export function summariseProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: the time up to sample i+1 belongs to sample i.
    const us = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, us));
  }
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parents.set(c, n.id);
  const label = (node: CpuProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url ? url.slice(url.lastIndexOf('/') + 1) : '';
    // Code loaded through tsx reports line 0 for every function; a line is only shown when known.
    return `${functionName || '(anonymous)'}${file ? ` ${file}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}` : ''}`;
  };
  const ownFrame = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const node = nodes.get(at);
      if (node && categoryOf(node.callFrame.url, node.callFrame.functionName).startsWith('src'))
        return label(node);
    }
    return '(no src frame)';
  };
  const byOwn = new Map<string, number>();
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, { category: string; us: number }>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url } = node.callFrame;
    const category = categoryOf(url, functionName);
    if (category === '(idle)') {
      idleUs += us;
      continue;
    }
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    const own = ownFrame(id);
    byOwn.set(own, (byOwn.get(own) ?? 0) + us);
    const name = label(node);
    const entry = byFunction.get(name) ?? { category, us: 0 };
    entry.us += us;
    byFunction.set(name, entry);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? round(us / busyUs, 3) : 0);
  return {
    totalMs: round(totalUs / 1000),
    idleMs: round(idleUs / 1000),
    byCategory: [...byCategory]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: round(us / 1000), share: share(us) })),
    topFunctions: [...byFunction]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([name, { category, us }]) => ({ name, category, ms: round(us / 1000), share: share(us) })),
    byOwnFrame: [...byOwn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: round(us / 1000), share: share(us) })),
  };
}
