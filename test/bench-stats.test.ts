// The benchmark's pure helpers: the percentile (nearest rank) its latency
// figures rest on, CPU time from /proc and Redis INFO, ratios, the Markdown
// table, CPU profile summaries, and the bare provider's lifetimes.
import { describe, expect, it } from 'vitest';
import { BARE_LIFETIMES } from '../bench/bare-lifetimes.js';
import { categoryOf, summariseProfile, type CpuProfile } from '../bench/profile.js';
import {
  markdownTable,
  perCpuSecond,
  percentile,
  procStatCpuTicks,
  ratio,
  redisInfoNumbers,
  summarise,
} from '../bench/stats.js';
import { LIFETIMES } from '../src/oidc/provider.js';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7, 1, 3], 50)).toBe(3);
    expect(percentile([7, 1, 3], 1)).toBe(1);
  });

  it('gives NaN for no values and refuses percentiles out of range', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder what it is given', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('summarises latencies', () => {
    expect(summarise([1, 2, 3, 4])).toMatchObject({ count: 4, meanMs: 2.5, p50Ms: 2, p99Ms: 4, maxMs: 4 });
  });
});

describe('procStatCpuTicks', () => {
  it('adds utime and stime, counting fields after the command name', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)); // field n holds n
    expect(procStatCpuTicks(`1234 (node) ${fields.join(' ')}`)).toBe(14 + 15);
    // A command name with spaces and parentheses does not shift the fields.
    expect(procStatCpuTicks(`99 (postgres: a (b) c) ${fields.join(' ')}\n`)).toBe(29);
  });

  it('refuses what is not a stat line', () => {
    expect(() => procStatCpuTicks('no parentheses here')).toThrow();
    expect(() => procStatCpuTicks('1 (x) S 2')).toThrow();
  });
});

describe('perCpuSecond and ratio', () => {
  it('divides, and gives nothing for nothing', () => {
    expect(perCpuSecond(50, 2)).toBe(25);
    expect(perCpuSecond(50, 0)).toBeNaN();
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(10, 4, 1)).toBe(2.5);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(Number.NaN, 2)).toBeUndefined();
  });
});

describe('markdownTable', () => {
  it('writes a header, a rule and rows, escaping pipes and filling short rows', () => {
    expect(markdownTable([['a', 'b'], ['1', 'x|y'], ['2']])).toBe(
      ['| a | b |', '| --- | --- |', '| 1 | x\\|y |', '| 2 |  |'].join('\n'),
    );
    expect(markdownTable([])).toBe('');
  });
});

describe('redisInfoNumbers', () => {
  it('reads the numeric fields of INFO', () => {
    const info =
      '# CPU\r\nused_cpu_sys:1.50\r\nused_cpu_user:2.25\r\nredis_mode:standalone\r\nempty:\r\n\r\n# Memory\r\nused_memory:1024\r\n';
    expect(redisInfoNumbers(info)).toEqual({ used_cpu_sys: 1.5, used_cpu_user: 2.25, used_memory: 1024 });
  });
});

describe('the bare provider baseline', () => {
  it('has our lifetimes', () => {
    expect(BARE_LIFETIMES).toEqual(LIFETIMES);
  });
});

describe('categoryOf', () => {
  it('names packages, our folders, Node.js and V8', () => {
    expect(categoryOf('file:///w/node_modules/oidc-provider/lib/x.js', 'f')).toBe('oidc-provider');
    expect(categoryOf('file:///w/node_modules/@node-rs/argon2/index.js', 'f')).toBe('@node-rs/argon2');
    expect(categoryOf('file:///w/node_modules/a/node_modules/b/c.js', 'f')).toBe('b');
    expect(categoryOf('file:///w/main/src/oidc/provider.ts', 'f')).toBe('src/oidc');
    expect(categoryOf('file:///w/main/src/runtime.ts', 'f')).toBe('src');
    expect(categoryOf('file:///w/main/bench/run.ts', 'f')).toBe('bench');
    expect(categoryOf('node:internal/http', 'f')).toBe('node');
    expect(categoryOf('wasm://wasm/abc', 'f')).toBe('wasm');
    expect(categoryOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(categoryOf('', '(idle)')).toBe('(idle)');
    expect(categoryOf('', 'writev')).toBe('(native)');
  });
});

describe('summariseProfile', () => {
  // root → handler (src/web) → render (nunjucks); root → (idle)
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 10_000,
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
      { id: 2, callFrame: frame('handler', 'file:///w/src/web/views.ts'), children: [3] },
      { id: 3, callFrame: frame('render', 'file:///w/node_modules/nunjucks/index.js') },
      { id: 4, callFrame: frame('(idle)', '') },
    ],
    // Each sample is charged the delta that follows it.
    samples: [3, 3, 2, 4, 3],
    timeDeltas: [0, 1000, 1000, 1000, 4000, 0],
  };

  it('charges self time by package, by function and by our innermost frame', () => {
    const s = summariseProfile(profile);
    expect(s.totalMs).toBe(7);
    expect(s.idleMs).toBe(4);
    expect(s.byCategory).toEqual([
      { name: 'nunjucks', ms: 2, share: 0.667 },
      { name: 'src/web', ms: 1, share: 0.333 },
    ]);
    expect(s.topFunctions[0]).toMatchObject({ name: 'render index.js', ms: 2 });
    expect(s.byOwnFrame).toEqual([{ name: 'handler views.ts', ms: 3, share: 1 }]);
  });
});
