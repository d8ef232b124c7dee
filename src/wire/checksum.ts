/**
 * The Internet checksum (RFC 1071) in plain TypeScript, and the engine interface
 * that the WebAssembly SIMD implementation (checksum-wasm.ts) also provides.
 *
 * Owns: ones'-complement sums over byte ranges, pseudo-header sums, incremental
 * update (RFC 1624) and fused copy-and-sum.
 * Must not: allocate per call in steady state (a DataView is made when a new
 * buffer is first summed; copyAndSum makes a subarray view of a partial source),
 * or know which packet format it is summing.
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
  // Above 2^32: x = hi·2^16 + lo ≡ hi + lo (mod 0xffff), in float arithmetic
  // (no % on doubles: V8 compiles that to a call to fmod).
  while (x > 0xffffffff) {
    const hi = Math.floor(x / 0x10000);
    x = x - hi * 0x10000 + hi;
  }
  // Two end-around-carry folds take any 32-bit value to 0..0xffff; they never
  // turn a non-zero value into 0.
  x = (x >>> 16) + (x & 0xffff);
  return (x >>> 16) + (x & 0xffff);
}

/** The value to store in a checksum field for a computed sum. */
export function finishChecksum(sum: number): number {
  return ~sum & 0xffff;
}

/**
 * Lengths below this are summed byte by byte; from here on the word path's fixed
 * cost (finding the array's DataView, folding) is repaid (measured: the two paths
 * cross at 48..64 bytes).
 */
const WORD_PATH_MIN = 64;

/** Bytes per block of the word path: s0 + s1 stay below 2^53 (exact doubles). */
const WORD_BLOCK = 1 << 20;

/**
 * One-entry caches for the word path. Reading `.buffer` (~20 ns) and
 * `.byteOffset` (~10 ns) of a typed array is slow in Node 20's V8, and creating
 * a DataView allocates, so we remember the last array summed (its byteOffset) and
 * the last buffer seen (its DataView). Hot callers pass the same packet-buffer
 * array again and again, so both usually hit. Cost: the most recently summed
 * array and its buffer stay reachable until another array is summed.
 * A cached array whose buffer was detached has length 0, so the range check in
 * onesSum rejects it before the stale view is read.
 */
let cachedArray: Uint8Array | null = null;
let cachedBase = 0;
let cachedBuffer: ArrayBufferLike | null = null;
let cachedView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function cacheArray(bytes: Uint8Array): void {
  const buffer = bytes.buffer;
  if (buffer !== cachedBuffer) {
    cachedBuffer = buffer;
    // Over the whole buffer: length-tracking when the buffer is resizable, so
    // reads stay within the live bytes.
    cachedView = new DataView(buffer);
  }
  cachedArray = bytes;
  cachedBase = bytes.byteOffset;
}

function rangeError(fn: string, offset: number, length: number, size: number): RangeError {
  return new RangeError(`${fn}: offset ${offset} and length ${length} are outside an array of ${size} bytes`);
}

/**
 * RFC 1071 §4.1 sum over bytes[offset, offset+length), folded, starting from `initial`.
 * Throws a RangeError if the range is not inside `bytes` (a programming error).
 *
 * The fastest plain TypeScript we found (bench/checksum.bench.ts): short ranges
 * byte by byte; longer ones 4 bytes at a time through a DataView, little-endian,
 * 64 bytes per iteration into two float64 accumulators (a uint32 load converts to
 * a double exactly; a sum of 2^18 of them is still exact), which beats Uint32Array
 * (needs 4-byte alignment handling) and int32 splitting (w & 0xffff, w >>> 16).
 * RFC 1071 §2(B): the little-endian words sum to the byte-swapped big-endian sum,
 * and 2^16 ≡ 1 (mod 0xffff) lets a 32-bit word count as its two 16-bit halves; so
 * we fold the little-endian total and swap it once.
 */
export function onesSum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  if ((offset | length) < 0 || offset + length > bytes.length) throw rangeError('onesSum', offset, length, bytes.length);
  if (length < WORD_PATH_MIN) return byteSum(bytes, offset, length, initial);
  if (bytes !== cachedArray) cacheArray(bytes);
  return wordSum(cachedView, cachedBase + offset, length, initial);
}

/** Byte-pair loop for short ranges (no buffer lookups). */
function byteSum(bytes: Uint8Array, offset: number, length: number, initial: number): number {
  let acc = initial;
  let i = offset;
  const evenEnd = offset + (length & ~1);
  for (; i < evenEnd; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (length & 1) acc += bytes[i]! << 8; // RFC 1071 §4.1: pad odd byte with zero
  return foldSum(acc);
}

/** The word path over view[start, start+length); see onesSum. */
function wordSum(view: DataView<ArrayBufferLike>, start: number, length: number, initial: number): number {
  let i = start;
  const end = start + length;
  let le = 0; // little-endian-word sum (RFC 1071 §2(B)), kept folded between blocks
  while (end - i >= 64) {
    const stop = i + Math.min((end - i) & ~63, WORD_BLOCK);
    let s0 = 0;
    let s1 = 0;
    for (; i < stop; i += 64) {
      s0 +=
        view.getUint32(i, true) + view.getUint32(i + 4, true) + (view.getUint32(i + 8, true) + view.getUint32(i + 12, true)) +
        (view.getUint32(i + 16, true) + view.getUint32(i + 20, true) + (view.getUint32(i + 24, true) + view.getUint32(i + 28, true)));
      s1 +=
        view.getUint32(i + 32, true) + view.getUint32(i + 36, true) + (view.getUint32(i + 40, true) + view.getUint32(i + 44, true)) +
        (view.getUint32(i + 48, true) + view.getUint32(i + 52, true) + (view.getUint32(i + 56, true) + view.getUint32(i + 60, true)));
    }
    le = foldSum(le + s0 + s1);
  }
  for (; end - i >= 4; i += 4) le += view.getUint32(i, true);
  // Back in network byte order for the last 0..3 bytes (i - start is a multiple of 4: even).
  let be = initial + swap16(foldSum(le));
  if (end - i >= 2) {
    be += view.getUint16(i);
    i += 2;
  }
  if (i < end) be += view.getUint8(i) << 8; // RFC 1071 §4.1: pad odd byte with zero
  return foldSum(be);
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
  if ((srcOff | length) < 0 || srcOff + length > src.length) throw rangeError('copyAndSum (source)', srcOff, length, src.length);
  if ((dstOff | length) < 0 || dstOff + length > dst.length) throw rangeError('copyAndSum (destination)', dstOff, length, dst.length);
  // memmove (TypedArray.prototype.set) then sum the destination while it is in
  // cache. A JS loop that copies and sums in one pass is slower than the native
  // copy plus the word path; a whole-array source avoids creating a subarray view.
  dst.set(srcOff === 0 && length === src.length ? src : src.subarray(srcOff, srcOff + length), dstOff);
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
