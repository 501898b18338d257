// The benchmark's percentile (nearest rank), which its latency figures rest on.
import { describe, expect, it } from 'vitest';
import { percentile, summarise } from '../bench/stats.js';

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
