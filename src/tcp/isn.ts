/**
 * Initial sequence numbers (RFC 6528, the ISN rule of RFC 9293 §3.4.1).
 *
 * Owns: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with
 * M the 4 µs timer of RFC 9293 §3.4.1 read from the Clock's `now`, and F a
 * keyed pseudorandom function: SipHash-2-4 (Aumasson & Bernstein 2012, the PRF
 * Linux uses for secure_tcp_seq) over the 4-tuple, truncated to 32 bits.
 * Must not: read the clock itself, draw randomness, or keep per-connection state.
 *
 * The secret key comes from the stack: in simulation derive it from the network
 * seed (`IsnGenerator.fromPrng(prng.fork('tcp:isn'))`) so runs are reproducible;
 * in real mode from a cryptographically random source. RFC 6528 §3: the key must
 * not be guessable by an attacker, or off-path ISN prediction becomes possible.
 *
 * SipHash is implemented on 32-bit halves (no BigInt) so that an ISN costs no
 * allocation; it reproduces the reference test vectors (test/tcp/parts/isn.test.ts).
 */
import type { Nanos } from '../time/clock.js';

/** RFC 9293 §3.4.1 / RFC 6528 §3: M is "a timer that is incremented every 4 microseconds". */
export const ISN_TICK_NS = 4000;

// SipHash state v0..v3 as (hi, lo) 32-bit halves; module-level scratch, so no allocation per call.
let v0h = 0, v0l = 0, v1h = 0, v1l = 0, v2h = 0, v2l = 0, v3h = 0, v3l = 0;

function sipRound(): void {
  let lo: number, hi: number, t: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  lo = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  hi = ((v1h << 13) | (v1l >>> 19)) >>> 0;
  lo = ((v1l << 13) | (v1h >>> 19)) >>> 0;
  v1h = (hi ^ v0h) >>> 0;
  v1l = (lo ^ v0l) >>> 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  hi = ((v3h << 16) | (v3l >>> 16)) >>> 0;
  lo = ((v3l << 16) | (v3h >>> 16)) >>> 0;
  v3h = (hi ^ v2h) >>> 0;
  v3l = (lo ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  hi = ((v3h << 21) | (v3l >>> 11)) >>> 0;
  lo = ((v3l << 21) | (v3h >>> 11)) >>> 0;
  v3h = (hi ^ v0h) >>> 0;
  v3l = (lo ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  hi = ((v1h << 17) | (v1l >>> 15)) >>> 0;
  lo = ((v1l << 17) | (v1h >>> 15)) >>> 0;
  v1h = (hi ^ v2h) >>> 0;
  v1l = (lo ^ v2l) >>> 0;
  t = v2h;
  v2h = v2l;
  v2l = t;
}

function le32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** High and low 32 bits of the last siphash24() result. */
export const sipOut = { hi: 0, lo: 0 };

/**
 * SipHash-2-4 of bytes[off, off+len) under the 128-bit key given as four
 * little-endian 32-bit words (k0 = key[0..8), k1 = key[8..16)). The 64-bit
 * result is left in `sipOut`; the low 32 bits are also returned.
 */
export function siphash24(key: Uint32Array, bytes: Uint8Array, off: number, len: number): number {
  const k0l = key[0]!, k0h = key[1]!, k1l = key[2]!, k1h = key[3]!;
  // "somepseudorandomlygeneratedbytes"
  v0h = (k0h ^ 0x736f6d65) >>> 0;
  v0l = (k0l ^ 0x70736575) >>> 0;
  v1h = (k1h ^ 0x646f7261) >>> 0;
  v1l = (k1l ^ 0x6e646f6d) >>> 0;
  v2h = (k0h ^ 0x6c796765) >>> 0;
  v2l = (k0l ^ 0x6e657261) >>> 0;
  v3h = (k1h ^ 0x74656462) >>> 0;
  v3l = (k1l ^ 0x79746573) >>> 0;
  const end = off + len;
  const blockEnd = off + (len & ~7);
  let i = off;
  for (; i < blockEnd; i += 8) {
    const ml = le32(bytes, i);
    const mh = le32(bytes, i + 4);
    v3l = (v3l ^ ml) >>> 0;
    v3h = (v3h ^ mh) >>> 0;
    sipRound();
    sipRound();
    v0l = (v0l ^ ml) >>> 0;
    v0h = (v0h ^ mh) >>> 0;
  }
  // Last block: the remaining 0..7 bytes, little-endian, with (len mod 256) in the top byte.
  let bl = 0;
  let bh = (len & 0xff) << 24;
  for (let j = 0; i + j < end; j++) {
    const v = bytes[i + j]!;
    if (j < 4) bl |= v << (8 * j);
    else bh |= v << (8 * (j - 4));
  }
  bl >>>= 0;
  bh >>>= 0;
  v3l = (v3l ^ bl) >>> 0;
  v3h = (v3h ^ bh) >>> 0;
  sipRound();
  sipRound();
  v0l = (v0l ^ bl) >>> 0;
  v0h = (v0h ^ bh) >>> 0;
  v2l = (v2l ^ 0xff) >>> 0;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
  sipOut.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  sipOut.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  return sipOut.lo;
}

/** Bytes of the 128-bit secret key. */
export const ISN_SECRET_BYTES = 16;

/** RFC 6528 ISN generator for one stack; holds only the secret key. */
export class IsnGenerator {
  private readonly key = new Uint32Array(4);
  /** The hashed 4-tuple: local addr, remote addr (big-endian), local port, remote port. */
  private readonly msg = new Uint8Array(12);

  /** `secret`: exactly 16 bytes (ISN_SECRET_BYTES). Copied. */
  constructor(secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.length !== ISN_SECRET_BYTES) {
      throw new RangeError(`IsnGenerator secret must be a Uint8Array of ${ISN_SECRET_BYTES} bytes, got ${secret instanceof Uint8Array ? `${secret.length} bytes` : String(secret)}`);
    }
    for (let w = 0; w < 4; w++) this.key[w] = le32(secret, 4 * w);
  }

  /** A generator whose secret is drawn from a seeded stream (simulation: deterministic per network seed). */
  static fromPrng(prng: { nextU32(): number }): IsnGenerator {
    const secret = new Uint8Array(ISN_SECRET_BYTES);
    for (let w = 0; w < 4; w++) {
      const x = prng.nextU32();
      secret[4 * w] = x & 0xff;
      secret[4 * w + 1] = (x >>> 8) & 0xff;
      secret[4 * w + 2] = (x >>> 16) & 0xff;
      secret[4 * w + 3] = x >>> 24;
    }
    return new IsnGenerator(secret);
  }

  /** F(localip, localport, remoteip, remoteport, secretkey) of RFC 6528 §3: 32 bits of SipHash-2-4. */
  offset(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): number {
    const m = this.msg;
    m[0] = localAddr >>> 24;
    m[1] = (localAddr >>> 16) & 0xff;
    m[2] = (localAddr >>> 8) & 0xff;
    m[3] = localAddr & 0xff;
    m[4] = remoteAddr >>> 24;
    m[5] = (remoteAddr >>> 16) & 0xff;
    m[6] = (remoteAddr >>> 8) & 0xff;
    m[7] = remoteAddr & 0xff;
    m[8] = (localPort >>> 8) & 0xff;
    m[9] = localPort & 0xff;
    m[10] = (remotePort >>> 8) & 0xff;
    m[11] = remotePort & 0xff;
    return siphash24(this.key, m, 0, 12);
  }

  /**
   * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
   * M = now / 4 µs (mod 2^32). Addresses are unsigned 32-bit IPv4 values, `now` the Clock's ns.
   */
  next(localAddr: number, localPort: number, remoteAddr: number, remotePort: number, now: Nanos): number {
    const m = Math.floor(now / ISN_TICK_NS) % 0x100000000;
    return (m + this.offset(localAddr, localPort, remoteAddr, remotePort)) >>> 0;
  }
}
