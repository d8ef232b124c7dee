import { describe, expect, it } from 'vitest';
import { Prng, createPrng } from '../../src/util/prng.js';

const hex = (xs: number[]): string[] => xs.map((x) => '0x' + x.toString(16).padStart(8, '0'));
const first = (p: Prng, n: number): number[] => Array.from({ length: n }, () => p.nextU32());

/**
 * Recorded with the reference C code: xoshiro128** 1.1
 * (https://prng.di.unimi.it/xoshiro128starstar.c) seeded with the first two
 * outputs of SplitMix64 (https://prng.di.unimi.it/splitmix64.c) started at the
 * seed's 64-bit key, s[0..3] = lo(a), hi(a), lo(b), hi(b). The string key is
 * FNV-1a 64 of the UTF-8 bytes (fnv("zerostack") = 0xd11c4d570596e375).
 */
const REFERENCE: [number | string, string[]][] = [
  [42, ['0x69e85a2a', '0xf843fad0', '0x0105185f', '0x8a1f1ea6', '0xa66be2a9', '0x9844904e', '0xaf4213e7', '0x85c95cd7']],
  [0, ['0xdec9045d', '0x9a089d75', '0xab77d362', '0xc3e16405', '0x5c95a8da', '0x60dea056', '0xc25a5140', '0xa4290614']],
  [-1, ['0x1c78f79c', '0x94a7662a', '0x211f3ea0', '0x243a6ba3', '0x03a7fd33', '0x11f80560', '0x93baaf24', '0x98f02a6a']],
  ['zerostack', ['0x21a15095', '0xe294d3dd', '0xb47e8afc', '0x3057019b', '0xc2c0e99c', '0xc8c540d6', '0x08be7d6c', '0x0d717787']],
];

const min = (xs: number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity);
const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

function stats(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe('Prng determinism', () => {
  it.each(REFERENCE)('xoshiro128** with SplitMix64 seeding matches the reference C output for seed %j', (seed, expected) => {
    expect(hex(first(new Prng(seed), 8))).toEqual(expected);
  });

  it('same_seed_gives_the_same_sequence_and_different_seeds_differ', () => {
    expect(first(new Prng(7), 100)).toEqual(first(createPrng(7), 100));
    expect(first(new Prng('a'), 10)).toEqual(first(new Prng('a'), 10));
    expect(first(new Prng(7), 10)).not.toEqual(first(new Prng(8), 10));
    expect(first(new Prng(7), 10)).not.toEqual(first(new Prng('7'), 10));
  });

  it('fork_is_deterministic_and_independent_of_draws_from_the_parent', () => {
    const a = new Prng(99);
    const b = new Prng(99);
    for (let i = 0; i < 1000; i++) b.nextU32();
    b.normal(0, 1);
    expect(first(a.fork('link:a->b'), 20)).toEqual(first(b.fork('link:a->b'), 20));
    expect(a.fork('link:a->b').label).toBe('99/link:a->b');
    expect(a.fork('x').fork(3).label).toBe('99/x/3');
  });

  it('forks_with_different_labels_or_parents_give_different_streams', () => {
    const root = new Prng(1);
    const streams = [root, root.fork('a'), root.fork('b'), root.fork(1), root.fork('1'), root.fork('a').fork('a'), new Prng(2).fork('a')];
    const heads = streams.map((p) => first(p, 4).join(','));
    expect(new Set(heads).size).toBe(streams.length);
  });

  it('invalid_seeds_and_labels_throw_a_TypeError_naming_the_value', () => {
    expect(() => new Prng(1.5)).toThrow(TypeError);
    expect(() => new Prng(NaN)).toThrow(/seed/);
    expect(() => new Prng(2 ** 60)).toThrow(TypeError);
    expect(() => new Prng({} as unknown as number)).toThrow(TypeError);
    expect(() => new Prng(1).fork(Infinity)).toThrow(TypeError);
  });
});

describe('Prng distributions (statistical sanity at fixed seeds)', () => {
  const N = 200_000;

  it('next_is_uniform_in_0_1_with_mean_one_half_and_variance_one_twelfth', () => {
    const p = new Prng(1);
    const xs = Array.from({ length: N }, () => p.next());
    expect(min(xs)).toBeGreaterThanOrEqual(0);
    expect(max(xs)).toBeLessThan(1);
    const { mean, variance } = stats(xs);
    // Standard error of the mean is sqrt(1/12/N) ≈ 0.00065: allow ~6 sigma.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.004);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.002);
  });

  it('nextU32_bits_are_balanced', () => {
    const p = new Prng(2);
    const ones = new Array(32).fill(0);
    let bad = 0;
    for (let i = 0; i < N; i++) {
      const x = p.nextU32();
      if (!(x >= 0 && x <= 0xffffffff && Number.isInteger(x))) bad++;
      for (let b = 0; b < 32; b++) ones[b] += (x >>> b) & 1;
    }
    expect(bad).toBe(0);
    for (const c of ones) expect(Math.abs(c / N - 0.5)).toBeLessThan(0.01);
  });

  it('int_is_inclusive_of_both_bounds_and_unbiased (chi-square)', () => {
    const p = new Prng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < N; i++) counts[p.int(1, 6) - 1]++;
    const e = N / 6;
    const chi2 = counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(20.5); // 5 degrees of freedom, p = 0.001
    expect(p.int(5, 5)).toBe(5);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 1000; i++) {
      const x = p.int(-3, 3);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect([lo, hi]).toEqual([-3, 3]);
  });

  it('int_handles_ranges_wider_than_2_32', () => {
    const p = new Prng(4);
    const lo = -(2 ** 40);
    const hi = 2 ** 45;
    const xs = Array.from({ length: 20_000 }, () => p.int(lo, hi));
    expect(xs.every((x) => Number.isSafeInteger(x) && x >= lo && x <= hi)).toBe(true);
    const { mean } = stats(xs);
    expect(Math.abs(mean - (lo + hi) / 2) / (hi - lo)).toBeLessThan(0.02);
    expect(() => p.int(2, 1)).toThrow(RangeError);
    expect(() => p.int(0, 1.5)).toThrow(RangeError);
    expect(() => p.int(-(2 ** 53) + 1, 2 ** 53 - 1)).toThrow(RangeError);
  });

  it('bernoulli_frequency_matches_p_and_the_edges_are_exact', () => {
    const p = new Prng(5);
    let hits = 0;
    for (let i = 0; i < N; i++) if (p.bernoulli(0.01)) hits++;
    // mean 2000, sd ≈ 44.5
    expect(Math.abs(hits - 2000)).toBeLessThan(250);
    let wrong = 0;
    for (let i = 0; i < 1000; i++) if (p.bernoulli(0) || !p.bernoulli(1)) wrong++;
    expect(wrong).toBe(0);
    expect(() => p.bernoulli(1.1)).toThrow(RangeError);
    expect(() => p.bernoulli(NaN)).toThrow(RangeError);
  });

  it('exponential_has_the_given_mean_and_variance_mean_squared', () => {
    const p = new Prng(6);
    const xs = Array.from({ length: N }, () => p.exponential(250));
    expect(min(xs)).toBeGreaterThanOrEqual(0);
    const { mean, variance } = stats(xs);
    expect(Math.abs(mean / 250 - 1)).toBeLessThan(0.02);
    expect(Math.abs(variance / 250 ** 2 - 1)).toBeLessThan(0.05);
    expect(() => p.exponential(-1)).toThrow(RangeError);
  });

  it('normal_has_the_given_mean_and_standard_deviation', () => {
    const p = new Prng(7);
    const xs = Array.from({ length: N }, () => p.normal(10, 3));
    const { mean, variance } = stats(xs);
    expect(Math.abs(mean - 10)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(variance) / 3 - 1)).toBeLessThan(0.02);
    // About 68.3% within one sd.
    const within = xs.filter((x) => Math.abs(x - 10) < 3).length / N;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.01);
    expect(() => p.normal(0, -1)).toThrow(RangeError);
  });

  it('uniform_stays_in_its_interval', () => {
    const p = new Prng(8);
    const xs = Array.from({ length: 10_000 }, () => p.uniform(-2, 3));
    expect(min(xs)).toBeGreaterThanOrEqual(-2);
    expect(max(xs)).toBeLessThan(3);
    expect(min(xs)).toBeLessThan(-1.99);
    expect(max(xs)).toBeGreaterThan(2.99);
  });
});
