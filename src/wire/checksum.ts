/**
 * The Internet checksum (RFC 1071) in plain TypeScript, and the engine interface
 * that the WebAssembly SIMD implementation (checksum-wasm.ts) also provides.
 *
 * Owns: ones'-complement sums over byte ranges, pseudo-header sums, incremental
 * update (RFC 1624) and fused copy-and-sum.
 * Must not: allocate per call, or know which packet format it is summing.
 *
 * Conventions used everywhere in zerostack:
 *  - A "sum" is the 16-bit ones'-complement sum of the data read as big-endian
 *    16-bit words starting at `offset` (an odd trailing byte is padded with a zero
 *    low byte, RFC 1071 §4.1), folded to 0..0xffff, NOT inverted.
 *  - `initial` lets sums be chained: sum(b, 0, 20, sum(a, ...)) — valid when each
 *    earlier range had even length (otherwise use combineSums with odd=true).
 *  - The checksum field value is finishChecksum(sum) = ~sum & 0xffff.
 *  - A received header verifies when sum over it (checksum field included) is 0xffff.
 */

/** Fold a non-negative integer < 2^53 into a 16-bit ones'-complement sum. */
export function foldSum(x: number): number {
  // Two folds suffice for values < 2^32; loop for larger accumulators.
  while (x > 0xffff) x = (x % 0x10000) + Math.floor(x / 0x10000);
  return x;
}

/** The value to store in a checksum field for a computed sum. */
export function finishChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/**
 * RFC 1071 §4.1 sum over bytes[offset, offset+length), folded, starting from `initial`.
 * Reference-quality but reasonably fast plain TypeScript.
 */
export function onesSum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  let acc = initial;
  const end = offset + length;
  let i = offset;
  // Sum 16-bit words into a number accumulator; fold periodically so it stays a small integer (SMI/int32-ish).
  const evenEnd = end - ((end - offset) & 1);
  while (i < evenEnd) {
    const stop = Math.min(evenEnd, i + 0x10000); // ≤ 32768 words of ≤ 0xffff: < 2^31
    let s = 0;
    for (; i < stop; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
    acc += s;
    acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  }
  if (i < end) acc += bytes[i]! << 8; // RFC 1071 §4.1: pad odd byte with zero
  return foldSum(acc);
}

/** RFC 1071: the checksum field value for bytes[offset, offset+length). */
export function internetChecksum(bytes: Uint8Array, offset: number, length: number): number {
  return finishChecksum(onesSum(bytes, offset, length));
}

/**
 * Sum of the TCP/UDP pseudo-header (RFC 9293 §3.1, RFC 768): source and destination
 * IPv4 addresses (as unsigned 32-bit numbers), zero, protocol, and the L4 length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number, initial = 0): number {
  return foldSum(initial + (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length);
}

/** Swap the bytes of a 16-bit sum (used when a range starts at an odd position). */
export function swap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/**
 * Combine the sum `a` of a prefix with the sum `b` of the following range, where
 * `prefixOdd` says the prefix had odd length (RFC 1071 §2(B): byte-swapped sums).
 */
export function combineSums(a: number, b: number, prefixOdd: boolean): number {
  return foldSum(a + (prefixOdd ? swap16(b) : b));
}

/**
 * RFC 1624 eqn. 3: new checksum field after one 16-bit word changed from `oldWord`
 * to `newWord`: HC' = ~(~HC + ~m + m').
 */
export function incrementalUpdate(oldChecksum: number, oldWord: number, newWord: number): number {
  const sum = foldSum((~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff));
  return ~sum & 0xffff;
}

/** RFC 1624 applied to a 32-bit field (e.g. an IPv4 address in the pseudo-header). */
export function incrementalUpdate32(oldChecksum: number, oldValue: number, newValue: number): number {
  const c = incrementalUpdate(oldChecksum, oldValue >>> 16, newValue >>> 16);
  return incrementalUpdate(c, oldValue & 0xffff, newValue & 0xffff);
}

/**
 * Fused copy-and-sum: copies src[srcOff, +length) to dst[dstOff, +length) and
 * returns the sum of the copied bytes (as onesSum would), starting from `initial`.
 * The ranges must not overlap.
 */
export function copyAndSum(
  src: Uint8Array,
  srcOff: number,
  dst: Uint8Array,
  dstOff: number,
  length: number,
  initial = 0,
): number {
  dst.set(src.subarray(srcOff, srcOff + length), dstOff);
  return onesSum(dst, dstOff, length, initial);
}

/**
 * A checksum implementation. `jsChecksum` (below) works on any Uint8Array; the
 * WebAssembly SIMD engine (checksum-wasm.ts) runs in place on arrays backed by its
 * WebAssembly.Memory and falls back for others. Both give identical results.
 */
export interface ChecksumEngine {
  readonly kind: 'js' | 'wasm-simd';
  sum(bytes: Uint8Array, offset: number, length: number, initial?: number): number;
  copyAndSum(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, length: number, initial?: number): number;
}

export const jsChecksum: ChecksumEngine = {
  kind: 'js',
  sum: onesSum,
  copyAndSum,
};
