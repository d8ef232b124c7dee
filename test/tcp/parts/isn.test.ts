// RFC 6528 initial sequence numbers: ISN = M + F(4-tuple, secret), M a 4 µs timer.
import { describe, expect, it } from 'vitest';
import { IsnGenerator, ISN_TICK_NS, siphash24, sipOut } from '../../../src/tcp/isn.js';
import { Prng } from '../../../src/util/prng.js';

const key = (fill: (i: number) => number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => fill(i));
const A = 0x0a000001;
const B = 0x0a000002;

describe('isn: SipHash-2-4 keyed hash', () => {
  it('reproduces the reference test vectors (key 00..0f, message 00..len-1)', () => {
    const k = key((i) => i);
    const kw = new Uint32Array(4);
    for (let w = 0; w < 4; w++) kw[w] = k[4 * w]! | (k[4 * w + 1]! << 8) | (k[4 * w + 2]! << 16) | (k[4 * w + 3]! << 24);
    const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
    const hex = (n: number): string => {
      siphash24(kw, msg, 0, n);
      return sipOut.hi.toString(16).padStart(8, '0') + sipOut.lo.toString(16).padStart(8, '0');
    };
    // From the SipHash paper (appendix A) and the reference vectors.h.
    expect(hex(15)).toBe('a129ca6149be45e5');
    expect(hex(0)).toBe('726fdb47dd0e0e31');
    expect(hex(8)).toBe('93f5f5799a932462');
    expect(hex(63)).toBe('958a324ceb064572');
  });
});

describe('isn: RFC 6528', () => {
  it('isn: same key, tuple and time give the same ISN (deterministic per secret)', () => {
    const g1 = new IsnGenerator(key((i) => i * 7));
    const g2 = new IsnGenerator(key((i) => i * 7));
    expect(g1.next(A, 1234, B, 80, 5_000_000)).toBe(g2.next(A, 1234, B, 80, 5_000_000));
  });

  it('isn: a secret derived from a seeded PRNG is reproducible (simulation determinism)', () => {
    const g1 = IsnGenerator.fromPrng(new Prng('net-seed').fork('tcp:isn'));
    const g2 = IsnGenerator.fromPrng(new Prng('net-seed').fork('tcp:isn'));
    const g3 = IsnGenerator.fromPrng(new Prng('other-seed').fork('tcp:isn'));
    expect(g1.next(A, 1, B, 2, 0)).toBe(g2.next(A, 1, B, 2, 0));
    expect(g1.next(A, 1, B, 2, 0)).not.toBe(g3.next(A, 1, B, 2, 0));
  });

  it('isn: F differs for different 4-tuples and different keys (RFC 6528 §3)', () => {
    const g = new IsnGenerator(key((i) => i));
    const h = new IsnGenerator(key((i) => 255 - i));
    const base = g.offset(A, 1234, B, 80);
    const variants = [
      g.offset(A, 1235, B, 80),
      g.offset(A, 1234, B, 81),
      g.offset(B, 1234, A, 80),
      g.offset(A, 1234, B + 1, 80),
      g.offset(A + 1, 1234, B, 80),
      h.offset(A, 1234, B, 80),
    ];
    for (const v of variants) expect(v).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
    // Distinct ports over many connections give (practically) distinct offsets.
    const seen = new Set<number>();
    for (let p = 32768; p < 32768 + 5000; p++) seen.add(g.offset(A, p, B, 80));
    expect(seen.size).toBeGreaterThan(4990);
  });

  it('isn: M advances by one every 4 µs of Clock time (RFC 6528 §3, RFC 9293 §3.4.1)', () => {
    const g = new IsnGenerator(key((i) => i ^ 0x5a));
    const at = (t: number): number => g.next(A, 1000, B, 22, t);
    expect(ISN_TICK_NS).toBe(4000);
    expect((at(4000) - at(0)) >>> 0).toBe(1);
    expect((at(3999) - at(0)) >>> 0).toBe(0);
    expect((at(1_000_000_000) - at(0)) >>> 0).toBe(250_000);
    // The timer wraps mod 2^32 (after ~4.77 h): still a uint32.
    const far = at(4000 * 0x100000000 + 8000);
    expect(far >>> 0).toBe(far);
    expect((far - at(0)) >>> 0).toBe(2);
  });

  it('isn: the secret must be 16 bytes', () => {
    expect(() => new IsnGenerator(new Uint8Array(8))).toThrow(RangeError);
  });
});
