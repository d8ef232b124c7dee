/**
 * Seeded pseudo-random numbers: the only randomness a simulation may use
 * (CONVENTIONS "Determinism").
 *
 * Owns: the generator (xoshiro128** 1.1, Blackman & Vigna, https://prng.di.unimi.it/),
 * seeding, derived streams, and the few distributions the lab needs.
 * Must not: read Math.random, the clock, or any global state; allocate per draw.
 *
 * - Generator: xoshiro128**, 128 bits of state in four int32 fields, pure 32-bit
 *   integer math (Math.imul), period 2^128 - 1. Output is bit-identical to the
 *   reference C code (test/util/prng.test.ts checks recorded values).
 * - Seeding: a seed (safe integer or string) becomes a 64-bit key — the integer's
 *   two's-complement 64-bit value, or FNV-1a 64 of the string's UTF-8 bytes —
 *   and the state is the first two outputs of SplitMix64 started at the key
 *   (the seeding the xoshiro authors recommend). BigInt is used here only.
 * - fork(label): a child stream whose key is a hash of (parent key, label). It
 *   depends on the parent's seed and the label only — not on how many numbers the
 *   parent has drawn — so adding a draw somewhere never reshuffles other streams.
 *   The same label gives the same stream; use one label per purpose
 *   ("link:a->b", "link:b->a", "host:2/wakeup").
 * - Distributions use V8's Math.log/sin/cos (fdlibm ports, identical on every
 *   platform), so runs reproduce across machines.
 */

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's output function (Stafford variant 13), on a 64-bit BigInt. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** FNV-1a 64 over the UTF-8 bytes of `s`. */
function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK64;
  return h;
}

function seedKey(seed: number | string): bigint {
  if (typeof seed === 'string') return fnv1a64(seed);
  if (typeof seed === 'number' && Number.isSafeInteger(seed)) return BigInt.asUintN(64, BigInt(seed));
  throw new TypeError(`seed must be a safe integer or a string; got ${typeof seed === 'number' ? seed : typeof seed}`);
}

/** A seedable xoshiro128** stream. Same seed, same sequence, on every platform. */
export class Prng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second Box-Muller variate, NaN when none is cached. */
  private spare = NaN;
  private key = 0n;
  private name = '';

  /** `seed`: a safe integer or a string. */
  constructor(seed: number | string) {
    this.init(seedKey(seed), String(seed));
  }

  /** Where this stream comes from, for reports: "42", or "42/link:a->b" for a fork. */
  get label(): string {
    return this.name;
  }

  private init(key: bigint, name: string): void {
    this.key = key;
    this.name = name;
    this.spare = NaN;
    // SplitMix64 from the key; its first two outputs are the 128-bit state.
    let x = key;
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    const a = mix64(x);
    x = (x + 0x9e3779b97f4a7c15n) & MASK64;
    const b = mix64(x);
    this.s0 = Number(a & 0xffffffffn) | 0;
    this.s1 = Number(a >> 32n) | 0;
    this.s2 = Number(b & 0xffffffffn) | 0;
    this.s3 = Number(b >> 32n) | 0;
    // The all-zero state is the one xoshiro cannot leave; SplitMix64 cannot
    // produce it from two consecutive outputs, but be certain.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A stream derived from this one's seed and `label` (see module comment). */
  fork(label: string | number): Prng {
    if (typeof label !== 'string' && !(typeof label === 'number' && Number.isFinite(label))) {
      throw new TypeError(`fork label must be a string or a finite number; got ${String(label)}`);
    }
    const tag = typeof label === 'string' ? `s:${label}` : `n:${label}`;
    const child = new Prng(0);
    child.init(mix64(this.key ^ mix64(fnv1a64(tag))), `${this.name}/${label}`);
    return child;
  }

  /** Uniform 32-bit unsigned integer (xoshiro128** output). */
  nextU32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return result >>> 0;
  }

  /** Uniform float in [0, 1) with 53 random bits (two draws). */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi], both inclusive, without modulo bias. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`int(lo, hi) needs safe integers with lo <= hi; got lo=${lo}, hi=${hi}`);
    }
    const range = hi - lo + 1;
    if (range <= 0x100000000) {
      // Reject the top partial block of 2^32 so every residue is equally likely.
      const limit = 0x100000000 - (0x100000000 % range);
      let x = this.nextU32();
      while (x >= limit) x = this.nextU32();
      return lo + (x % range);
    }
    if (!Number.isSafeInteger(range)) {
      throw new RangeError(`int(lo, hi): hi - lo + 1 must be at most 2^53 - 1; got lo=${lo}, hi=${hi}`);
    }
    const limit = 9007199254740992 - (9007199254740992 % range);
    let x = this.nextU53();
    while (x >= limit) x = this.nextU53();
    return lo + (x % range);
  }

  /** True with probability p (0 <= p <= 1). */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli: p must be in [0, 1]; got ${p}`);
    return this.next() < p;
  }

  /** Exponentially distributed with the given mean (>= 0). */
  exponential(mean: number): number {
    if (!(mean >= 0 && mean < Infinity)) throw new RangeError(`exponential: mean must be finite and >= 0; got ${mean}`);
    return -mean * Math.log(1 - this.next()); // 1 - u is in (0, 1]: never log(0)
  }

  /** Normally distributed (Box-Muller; the second variate is cached for the next call). */
  normal(mean: number, sd: number): number {
    if (!(sd >= 0 && sd < Infinity) || !Number.isFinite(mean)) {
      throw new RangeError(`normal: mean must be finite and sd finite and >= 0; got mean=${mean}, sd=${sd}`);
    }
    let z = this.spare;
    if (z === z) {
      this.spare = NaN;
    } else {
      const r = Math.sqrt(-2 * Math.log(1 - this.next()));
      const theta = 2 * Math.PI * this.next();
      z = r * Math.cos(theta);
      this.spare = r * Math.sin(theta);
    }
    return mean + sd * z;
  }

  /** Uniform integer in [0, 2^53). */
  private nextU53(): number {
    const hi = this.nextU32() >>> 11; // 21 bits
    return hi * 0x100000000 + this.nextU32();
  }
}

/** Shorthand for `new Prng(seed)`. */
export function createPrng(seed: number | string): Prng {
  return new Prng(seed);
}
