import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Distribution } from '../../src/host/index.js';

describe('Distribution (nearest-rank quantiles)', () => {
  it('p50/p90/p99/p99.9 of 1..1000 are 500/900/990/999', () => {
    const d = new Distribution();
    for (let i = 1000; i >= 1; i--) d.add(i); // unsorted input
    expect(d.summary()).toEqual({ count: 1000, mean: 500.5, min: 1, max: 1000, p50: 500, p90: 900, p99: 990, p999: 999 });
  });

  it('an empty distribution reports NaN', () => {
    const d = new Distribution();
    expect(d.p50()).toBeNaN();
    expect(d.mean()).toBeNaN();
    expect(d.cdf(1)).toBeNaN();
  });

  it('cdf counts samples <= x', () => {
    const d = new Distribution();
    for (const x of [1, 2, 2, 3]) d.add(x);
    expect(d.cdf(0)).toBe(0);
    expect(d.cdf(2)).toBe(0.75);
    expect(d.cdf(3)).toBe(1);
  });

  it('rejects non-finite samples and q outside [0, 1]', () => {
    const d = new Distribution('ack');
    expect(() => d.add(NaN)).toThrow(/Distribution ack: sample must be finite/);
    d.add(1);
    expect(() => d.quantile(1.5)).toThrow(RangeError);
  });

  it('quantile(q) is a sample with at least q·n samples <= it and fewer than q·n below it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, q) => {
        const d = new Distribution();
        for (const x of xs) d.add(x);
        const v = d.quantile(q);
        const le = xs.filter((x) => x <= v).length;
        const lt = xs.filter((x) => x < v).length;
        return xs.includes(v) && le >= q * xs.length && (q === 0 || lt < q * xs.length);
      }),
    );
  });

  it('clear() empties it; growth past the initial capacity keeps every sample', () => {
    const d = new Distribution();
    for (let i = 0; i < 200; i++) d.add(i);
    expect(d.count).toBe(200);
    expect(d.max()).toBe(199);
    d.clear();
    expect(d.count).toBe(0);
  });
});
