// Statistical tests of the impairment models at fixed seeds. Bounds are ±5σ of
// the sampling distribution, so a correct model fails them with negligible
// probability, and because seeds are fixed the outcome is deterministic anyway.
import { describe, expect, it } from 'vitest';
import { Prng } from '../../src/util/prng.js';
import {
  CORRUPT_SKIP_BYTES,
  Impairments,
  LossOutcome,
  noImpairments,
  type ImpairmentConfig,
} from '../../src/link/sim/impairments.js';

function impair(overrides: Partial<ImpairmentConfig>, seed: number | string = 1): Impairments {
  return new Impairments({ ...noImpairments(), ...overrides }, new Prng(seed).fork('link:test'));
}

/** Binomial bound: |count - n·p| <= 5·sqrt(n·p·(1-p)). */
function expectBinomial(count: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(5 * sd);
}

describe('Bernoulli loss', () => {
  it('loses 1% of 100k frames within a binomial 5σ bound', () => {
    const imp = impair({ loss: 0.01 });
    let lost = 0;
    for (let i = 0; i < 100_000; i++) if (imp.lost() !== LossOutcome.KEPT) lost++;
    expectBinomial(lost, 100_000, 0.01);
    expect(lost).toBeGreaterThan(0);
  });

  it('never loses with p = 0 and always loses with p = 1', () => {
    const none = impair({ loss: 0 });
    const all = impair({ loss: 1 });
    let wrong = 0;
    for (let i = 0; i < 1000; i++) {
      if (none.lost() !== LossOutcome.KEPT) wrong++;
      if (all.lost() !== LossOutcome.RANDOM) wrong++;
    }
    expect(wrong).toBe(0);
  });
});

describe('Gilbert-Elliott burst loss', () => {
  /** Runs n frames; returns the loss count and the lengths of loss bursts. */
  function run(imp: Impairments, n: number): { lost: number; bursts: number[] } {
    let lost = 0;
    const bursts: number[] = [];
    let run = 0;
    for (let i = 0; i < n; i++) {
      if (imp.lost() === LossOutcome.BURST) {
        lost++;
        run++;
      } else if (run > 0) {
        bursts.push(run);
        run = 0;
      }
    }
    if (run > 0) bursts.push(run);
    return { lost, bursts };
  }

  /**
   * 5σ bound for the loss count of a stationary two-state Markov chain: the
   * variance of the sum is inflated by (1+λ)/(1-λ), λ = 1-p-r, over the binomial.
   */
  function expectMarkov(lost: number, n: number, p: number, r: number, h: number, k: number): void {
    const piBad = p / (p + r);
    const rate = piBad * (1 - h) + (1 - piBad) * (1 - k);
    const lambda = 1 - p - r;
    const sd = Math.sqrt(n * rate * (1 - rate) * ((1 + lambda) / (1 - lambda)));
    expect(Math.abs(lost - n * rate)).toBeLessThanOrEqual(5 * sd);
  }

  it('matches the stationary loss rate p/(p+r)·(1-h) + r/(p+r)·(1-k) for simple Gilbert (h=0, k=1)', () => {
    const n = 200_000;
    const { lost } = run(impair({ burstLoss: { p: 0.01, r: 0.25, h: 0, k: 1 } }), n);
    expectMarkov(lost, n, 0.01, 0.25, 0, 1);
  });

  it('losses are bursty: mean burst length ≈ 1/r when h = 0 and k = 1', () => {
    const { bursts } = run(impair({ burstLoss: { p: 0.01, r: 0.25, h: 0, k: 1 } }, 7), 200_000);
    const mean = bursts.reduce((a, b) => a + b, 0) / bursts.length;
    // Geometric(r) lengths: sd = sqrt(1-r)/r; 5σ of the mean of ~1900 bursts ≈ 0.4.
    const se = Math.sqrt(1 - 0.25) / 0.25 / Math.sqrt(bursts.length);
    expect(Math.abs(mean - 4)).toBeLessThanOrEqual(5 * se);
    // Bernoulli loss at the same rate would have mean burst length ≈ 1/(1-0.038) ≈ 1.04.
    expect(mean).toBeGreaterThan(3);
  });

  it('matches the stationary formula with partial loss in both states (h=0.2, k=0.99)', () => {
    const n = 200_000;
    const { lost } = run(impair({ burstLoss: { p: 0.05, r: 0.3, h: 0.2, k: 0.99 } }, 3), n);
    // Losses in both states are BURST outcomes; the Markov bound is conservative for the extra Bernoulli noise.
    const piBad = 0.05 / 0.35;
    const rate = piBad * 0.8 + (1 - piBad) * 0.01;
    const sd = Math.sqrt(n * rate * (1 - rate) * ((2 - 0.35) / 0.35));
    expect(Math.abs(lost - n * rate)).toBeLessThanOrEqual(5 * sd);
  });
});

describe('duplication, reordering, jitter, corruption', () => {
  it('duplicates 2% of 100k frames within 5σ', () => {
    const imp = impair({ duplicate: 0.02 });
    let d = 0;
    for (let i = 0; i < 100_000; i++) if (imp.duplicate()) d++;
    expectBinomial(d, 100_000, 0.02);
  });

  it('reorders 5% of copies within 5σ, each held back exactly the reorder delay', () => {
    const imp = impair({ reorder: { p: 0.05, delay: 3_000 } });
    let r = 0;
    let wrong = 0;
    for (let i = 0; i < 100_000; i++) {
      const extra = imp.extraDelay();
      if (imp.lastReordered) r++;
      if (extra !== (imp.lastReordered ? 3_000 : 0)) wrong++;
    }
    expect(wrong).toBe(0);
    expectBinomial(r, 100_000, 0.05);
  });

  it('uniform jitter stays in [0, amount], is integral, and has mean ≈ amount/2', () => {
    const amount = 1_000;
    const imp = impair({ jitter: { amount, distribution: 'uniform' } });
    const n = 50_000;
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = imp.extraDelay();
      if (!Number.isInteger(x) || x < 0 || x > amount) outside++;
      sum += x;
    }
    expect(outside).toBe(0);
    const sd = amount / Math.sqrt(12);
    expect(Math.abs(sum / n - amount / 2)).toBeLessThanOrEqual((5 * sd) / Math.sqrt(n));
  });

  it('normal jitter is half-normal: non-negative with mean ≈ amount·√(2/π)', () => {
    const amount = 1_000;
    const imp = impair({ jitter: { amount, distribution: 'normal' } });
    const n = 50_000;
    let sum = 0;
    let negative = 0;
    for (let i = 0; i < n; i++) {
      const x = imp.extraDelay();
      if (!Number.isInteger(x) || x < 0) negative++;
      sum += x;
    }
    expect(negative).toBe(0);
    const mean = amount * Math.sqrt(2 / Math.PI);
    const sd = amount * Math.sqrt(1 - 2 / Math.PI);
    expect(Math.abs(sum / n - mean)).toBeLessThanOrEqual((5 * sd) / Math.sqrt(n) + 1);
  });

  it('corruption picks one bit beyond the Ethernet header, at rate p', () => {
    const imp = impair({ corrupt: 0.1 });
    let c = 0;
    const seen = new Set<number>();
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const bit = imp.corruptBit(60);
      if (bit < 0) continue;
      c++;
      if (bit < CORRUPT_SKIP_BYTES * 8 || bit >= 60 * 8) outside++;
      seen.add(bit);
    }
    expect(outside).toBe(0);
    expectBinomial(c, 20_000, 0.1);
    expect(seen.size).toBeGreaterThan(300); // spread over the 368 eligible bits
    expect(impair({ corrupt: 1 }).corruptBit(CORRUPT_SKIP_BYTES)).toBe(-1); // nothing to corrupt
  });
});

describe('stream independence', () => {
  it('enabling another impairment does not change which frames are lost', () => {
    const a = impair({ loss: 0.1 }, 99);
    const b = impair({ loss: 0.1, duplicate: 0.3, corrupt: 0.2, reorder: { p: 0.1, delay: 5 } }, 99);
    let differ = 0;
    for (let i = 0; i < 5000; i++) {
      const la = a.lost();
      const lb = b.lost();
      if (la !== lb) differ++;
      if (lb === LossOutcome.KEPT) {
        b.duplicate();
        b.extraDelay();
        b.corruptBit(100);
      }
    }
    expect(differ).toBe(0);
  });

  it('the same seed gives the same decisions; another seed different ones', () => {
    const draw = (seed: number): string => {
      const imp = impair({ loss: 0.2, duplicate: 0.2 }, seed);
      let s = '';
      for (let i = 0; i < 200; i++) s += `${imp.lost()}${imp.duplicate() ? 1 : 0}`;
      return s;
    };
    expect(draw(5)).toBe(draw(5));
    expect(draw(5)).not.toBe(draw(6));
  });
});
