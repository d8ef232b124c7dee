// Sequence-number arithmetic against a BigInt modular reference (RFC 9293 §3.4),
// with generators biased towards the 2^32 wrap-around.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  seqAdd,
  seqBetween,
  seqDiff,
  seqGe,
  seqGt,
  seqInRange,
  seqLe,
  seqLt,
  seqMax,
  seqMin,
} from '../../../src/tcp/seq.js';

const M = 1n << 32n;
const HALF = 1n << 31n;
const mod = (x: bigint): bigint => ((x % M) + M) % M;
/** Signed distance a - b in [-2^31, 2^31), as (a - b) | 0 defines it. */
const refDiff = (a: number, b: number): bigint => {
  const d = mod(BigInt(a) - BigInt(b));
  return d >= HALF ? d - M : d;
};

/** uint32 values, many of them near 0 and near 2^32 (the wrap). */
const u32 = fc.oneof(
  fc.nat({ max: 0xffffffff }),
  fc.integer({ min: 0xffffffff - 1000, max: 0xffffffff }),
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 0x7fffffff - 1000, max: 0x80000000 + 1000 }),
);
/** Offsets up to ±2^31 - 1. */
const delta = fc.oneof(fc.integer({ min: -0x7fffffff, max: 0x7fffffff }), fc.integer({ min: -2000, max: 2000 }));
const RUNS = { numRuns: 5_000 };

describe('seq: comparisons are modular (RFC 9293 §3.4)', () => {
  it('seqLt/seqLe/seqGt/seqGe agree with the sign of the BigInt modular distance', () => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const d = refDiff(a, b);
        expect(seqLt(a, b)).toBe(d < 0n);
        expect(seqLe(a, b)).toBe(d <= 0n);
        expect(seqGt(a, b)).toBe(d > 0n);
        expect(seqGe(a, b)).toBe(d >= 0n);
      }),
      RUNS,
    );
  });

  it('a + n compares after a for 0 < n < 2^31, across the 2^32 wrap', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 1, max: 0x7fffffff }), (a, n) => {
        const b = seqAdd(a, n);
        expect(seqLt(a, b)).toBe(true);
        expect(seqGt(b, a)).toBe(true);
        expect(seqDiff(b, a)).toBe(n);
      }),
      RUNS,
    );
  });

  it('wrap-around examples: 0xffffffff < 0, 0xfffffff0 + 0x20 = 0x10', () => {
    expect(seqLt(0xffffffff, 0)).toBe(true);
    expect(seqGt(0, 0xffffffff)).toBe(true);
    expect(seqAdd(0xfffffff0, 0x20)).toBe(0x10);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
    expect(seqMax(0xfffffff0, 0x10)).toBe(0x10);
    expect(seqMin(0xfffffff0, 0x10)).toBe(0xfffffff0);
  });

  it('numbers exactly 2^31 apart are "less than" each other both ways (documented ambiguity)', () => {
    expect(seqLt(0, 0x80000000)).toBe(true);
    expect(seqLt(0x80000000, 0)).toBe(true);
    expect(seqDiff(0, 0x80000000)).toBe(-0x80000000);
  });
});

describe('seq: arithmetic', () => {
  it('seqAdd is (a + n) mod 2^32 and always a uint32', () => {
    fc.assert(
      fc.property(u32, delta, (a, n) => {
        const r = seqAdd(a, n);
        expect(BigInt(r)).toBe(mod(BigInt(a) + BigInt(n)));
        expect(r >>> 0).toBe(r);
      }),
      RUNS,
    );
  });

  it('seqDiff is the signed modular distance and inverts seqAdd', () => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        expect(BigInt(seqDiff(a, b))).toBe(refDiff(a, b));
        expect(seqAdd(b, seqDiff(a, b))).toBe(a);
      }),
      RUNS,
    );
  });

  it('seqMax/seqMin return one of the arguments, ordered by seqGe/seqLe', () => {
    fc.assert(
      fc.property(u32, u32, (a, b) => {
        const hi = seqMax(a, b);
        const lo = seqMin(a, b);
        expect([a, b]).toContain(hi);
        expect([a, b]).toContain(lo);
        if (refDiff(a, b) !== -HALF) {
          expect(seqGe(hi, a) && seqGe(hi, b)).toBe(true);
          expect(seqLe(lo, a) && seqLe(lo, b)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});

describe('seq: ranges', () => {
  it('seqBetween(lo, x, hi) is (x - lo) mod 2^32 <= (hi - lo) mod 2^32', () => {
    fc.assert(
      fc.property(u32, u32, u32, (lo, x, hi) => {
        expect(seqBetween(lo, x, hi)).toBe(mod(BigInt(x) - BigInt(lo)) <= mod(BigInt(hi) - BigInt(lo)));
      }),
      RUNS,
    );
  });

  it('seqBetween holds for every point of a window straddling 2^32', () => {
    fc.assert(
      fc.property(u32, fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (lo, len, k) => {
        const hi = seqAdd(lo, len);
        expect(seqBetween(lo, seqAdd(lo, k), hi)).toBe(k <= len);
      }),
      RUNS,
    );
  });

  it('seqInRange(x, start, len) is start <= x < start + len (mod 2^32), RFC 9293 §3.10.7.4 window test', () => {
    fc.assert(
      fc.property(u32, u32, fc.oneof(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 70_000 })), (x, start, len) => {
        expect(seqInRange(x, start, len)).toBe(mod(BigInt(x) - BigInt(start)) < BigInt(len));
      }),
      RUNS,
    );
    expect(seqInRange(5, 0xfffffffe, 8)).toBe(true);
    expect(seqInRange(6, 0xfffffffe, 8)).toBe(false);
    expect(seqInRange(0, 0, 0)).toBe(false);
    expect(seqInRange(123, 0, 0x100000000)).toBe(true);
  });
});
