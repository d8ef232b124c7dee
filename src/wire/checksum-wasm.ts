/**
 * The Internet checksum (RFC 1071) as a WebAssembly SIMD module, generated at
 * run time by a checked-in emitter (wasm-emitter.ts), and a ChecksumEngine that
 * runs it in place on packet buffers living in a WebAssembly.Memory.
 *
 * Owns: the module's code (sum, copysum), compiling it once per process, one
 * instance per engine, and choosing in-place / fallback paths per call.
 * Must not: allocate per call when the arrays are in the memory, or give a
 * result that differs from onesSum/copyAndSum in checksum.ts for any input.
 *
 * The SIMD algorithm (per 16-byte vector v, loaded little-endian):
 *  - RFC 1071 §2(B) byte-order independence: summing the data as little-endian
 *    16-bit words gives the byte-swap of the big-endian sum. Words are paired
 *    relative to the start pointer (vectors are loaded at ptr + 16k, scalar tail
 *    loads at even distances from ptr), so any alignment is fine: we sum LE words
 *    from ptr and swap the result into network order once, at the end. An odd
 *    trailing byte is the low byte of an LE word whose high byte is zero; after
 *    the swap it is the high byte of a BE word padded with zero (RFC 1071 §4.1).
 *  - i32x4.dot_i16x8_s(v ^ 0x8000.., 1..) adds adjacent 16-bit words into 32-bit
 *    lanes in one instruction (x86 pmaddwd). It treats words as signed; flipping
 *    the top bit first turns word u into the signed value u - 32768, so each lane
 *    receives u0 + u1 - 65536. We add back 65536 per lane per vector at the end
 *    (exactly: (len >> 4) << 18), so the total is the exact sum of the words.
 *    Cost: xor + pmaddwd + add per 16 bytes (i32x4.extadd_pairwise_i16x8_u is
 *    lowered by V8 to three instructions before the add).
 *  - Four independent i32x4 accumulators, 64 bytes (4 vectors) per iteration.
 *    A lane changes by at most 65536 per vector, so a lane of the sum of the
 *    accumulators stays within ±2^31 for 32767 vectors: every 8191 iterations
 *    (≈512 KiB) the accumulators are added together, widened to i64x2
 *    (extend_low/high_i32x4_s) and cleared.
 *  - Tail: 32- and 16-byte vector steps, then 8/4/2/1-byte scalar loads into an
 *    i64 accumulator (a 32-bit load w0 + 65536·w1 ≡ w0 + w1 mod 0xffff, since
 *    65536 ≡ 1 mod 0xffff).
 *  - End: multiply the i64 total by 256 (≡ byte swap of its folded value, mod
 *    0xffff), add the caller's `initial` (already big-endian) and fold to 16 bits
 *    (end-around carry). Folding a positive number never yields 0, and the total
 *    is 0 only for all-zero data, so the result matches onesSum exactly,
 *    including its 0 vs 0xffff choice.
 * copysum is the same loop with a v128.store of each loaded vector (fused copy:
 * one pass over the source).
 */
import { foldSum, jsChecksum, onesSum, type ChecksumEngine } from './checksum.js';
import { buildModule, FunctionBuilder, Op, Simd, ValType, type ExportedFunction } from './wasm-emitter.js';

/** The parts of WebAssembly.Memory we use (lib.dom typings are not in this project). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** Minimal typings of the WebAssembly JS API used here. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

type SumFn = (ptr: number, len: number, initial: number) => number;
type CopySumFn = (src: number, dst: number, len: number, initial: number) => number;

/** Code-generation choices; the defaults are the measured fastest (bench/checksum.bench.ts). */
export interface ChecksumWasmOptions {
  /** 16-byte vectors per main-loop iteration (= number of accumulators). */
  vectors: 2 | 4 | 8;
  /** How 16-bit words are widened to 32-bit lanes. */
  widen: 'dot' | 'extadd';
}

/**
 * vectors 4: 8 gains nothing (V8 unrolls the loop 3× itself) and 2 is slower for
 * long ranges. widen 'dot': 3 instructions per vector against 4 for extadd.
 * (Aligning the pointer to 16 with a scalar head was tried: no measurable gain,
 * unaligned v128 loads are cheap here.)
 */
export const DEFAULT_WASM_OPTIONS: ChecksumWasmOptions = { vectors: 4, widen: 'dot' };

const { i32, i64, v128 } = ValType;

/**
 * Emits `sum(ptr, len, initial) -> i32` or, with `copy`,
 * `copysum(src, dst, len, initial) -> i32`. See the overview for the algorithm.
 */
function emitSum(copy: boolean, opts: ChecksumWasmOptions): FunctionBuilder {
  const f = new FunctionBuilder(copy ? [i32, i32, i32, i32] : [i32, i32, i32], [i32]);
  const P = 0; // source pointer, advanced as we go
  const Q = copy ? 1 : -1; // destination pointer, advanced as we go
  const LEN = copy ? 2 : 1;
  const INIT = copy ? 3 : 2;
  const rem = f.local(i32); // bytes not yet consumed
  const n = f.local(i32);
  const stop = f.local(i32);
  const nvec = f.local(i32); // vectors the loops will sum (for the dot bias correction)
  const s = f.local(i64); // scalar tail accumulator (little-endian words)
  const x = f.local(i64);
  const total = f.local(v128); // i64x2 running total
  const t = f.local(v128);
  const bias = f.local(v128);
  const ones = f.local(v128);
  const U = opts.vectors;
  const acc: number[] = [];
  for (let k = 0; k < U; k++) acc.push(f.local(v128));
  const IT = 16 * U; // bytes per main-loop iteration
  // Iterations per block: the accumulators together take at most 32767 vectors
  // (block plus up to U-1 tail vectors) before they are widened.
  const BLOCK_BYTES = Math.floor((32767 - (U - 1)) / U) * IT;
  const dot = opts.widen === 'dot';

  const advance = (bytes: number): void => {
    f.get(P).i32(bytes).op(Op.i32Add).set(P);
    if (copy) f.get(Q).i32(bytes).op(Op.i32Add).set(Q);
  };
  /** acc[k] += pairwise word sums of the vector at P + off (and store it at Q + off). */
  const step = (k: number, off: number): void => {
    if (copy) {
      f.get(Q).get(P).simdMem(Simd.v128Load, off).tee(t).simdMem(Simd.v128Store, off);
      f.get(acc[k]!).get(t);
    } else {
      f.get(acc[k]!).get(P).simdMem(Simd.v128Load, off);
    }
    if (dot) f.get(bias).simd(Simd.v128Xor).get(ones).simd(Simd.i32x4DotI16x8S);
    else f.simd(Simd.i32x4ExtaddPairwiseI16x8U);
    f.simd(Simd.i32x4Add).set(acc[k]!);
  };
  /** total += widen(acc[0] + … + acc[U-1]). */
  const reduce = (clear: boolean): void => {
    f.get(acc[0]!);
    for (let k = 1; k < U; k++) f.get(acc[k]!).simd(Simd.i32x4Add);
    f.tee(t);
    f.simd(dot ? Simd.i64x2ExtendLowI32x4S : Simd.i64x2ExtendLowI32x4U).get(total).simd(Simd.i64x2Add);
    f.get(t).simd(dot ? Simd.i64x2ExtendHighI32x4S : Simd.i64x2ExtendHighI32x4U).simd(Simd.i64x2Add).set(total);
    if (clear) for (let k = 0; k < U; k++) f.v128ConstI16(0).set(acc[k]!);
  };
  /**
   * Tail (rem < 16): if bit `bytes` (2, 4 or 8) of rem is set, s += the next
   * `bytes` bytes at P as little-endian words (and copy them to Q). A 32-bit load
   * w0 + 65536·w1 counts as w0 + w1 (65536 ≡ 1 mod 0xffff).
   */
  const scalarStep = (bytes: 2 | 4 | 8): void => {
    f.get(rem).i32(bytes).op(Op.i32And).if();
    if (bytes === 8) {
      f.get(P).mem(Op.i64Load, 0).set(x);
      if (copy) f.get(Q).get(x).mem(Op.i64Store, 0);
      f.get(s).get(x).i64(0xffffffff).op(Op.i64And).op(Op.i64Add).get(x).i64(32).op(Op.i64ShrU).op(Op.i64Add).set(s);
    } else {
      f.get(P).mem(bytes === 4 ? Op.i64Load32U : Op.i64Load16U, 0).set(x);
      if (copy) f.get(Q).get(x).mem(bytes === 4 ? Op.i64Store32 : Op.i64Store16, 0);
      f.get(s).get(x).op(Op.i64Add).set(s);
    }
    advance(bytes);
    f.end();
  };
  const fold16 = (): void => {
    // x = (x & 0xffff) + (x >> 16): end-around carry (RFC 1071 §4.1)
    f.get(x).i64(0xffff).op(Op.i64And).get(x).i64(16).op(Op.i64ShrU).op(Op.i64Add).set(x);
  };

  if (dot) {
    f.v128ConstI16(0x8000).set(bias);
    f.v128ConstI16(1).set(ones);
  }
  f.get(LEN).set(rem);
  f.get(rem).i32(4).op(Op.i32ShrU).set(nvec);

  // Main loop, in blocks of at most BLOCK_BYTES.
  f.block().loop();
  f.get(rem).i32(IT).op(Op.i32LtU).brIf(1);
  // n = min(rem rounded down to IT, BLOCK_BYTES)
  f.get(rem).i32(-IT).op(Op.i32And).tee(n).i32(BLOCK_BYTES).get(n).i32(BLOCK_BYTES).op(Op.i32LtU).op(Op.select).set(n);
  f.get(rem).get(n).op(Op.i32Sub).set(rem);
  f.get(P).get(n).op(Op.i32Add).set(stop);
  f.loop();
  for (let k = 0; k < U; k++) step(k, 16 * k);
  advance(IT);
  f.get(P).get(stop).op(Op.i32LtU).brIf(0);
  f.end();
  // Last block: leave the accumulators for the final reduction (tail included).
  f.get(rem).i32(IT).op(Op.i32LtU).brIf(1);
  reduce(true);
  f.br(0);
  f.end().end();

  // Vector tail: rem < IT; one step per set bit 16..IT/2, each vector into its own accumulator.
  let nextAcc = 0;
  for (let bytes = IT / 2; bytes >= 16; bytes /= 2) {
    f.get(rem).i32(bytes).op(Op.i32And).if();
    for (let k = 0; k < bytes / 16; k++) step(nextAcc++, 16 * k);
    advance(bytes);
    f.end();
  }

  // Scalar tail: 8, 4, 2, 1 bytes (rem's low 4 bits) into s (i64, never overflows).
  scalarStep(8);
  scalarStep(4);
  scalarStep(2);
  f.get(rem).i32(1).op(Op.i32And).if();
  f.get(P).mem(Op.i64Load8U, 0).set(x); // the low byte of a word whose high byte is 0
  if (copy) f.get(Q).get(x).mem(Op.i64Store8, 0);
  f.get(s).get(x).op(Op.i64Add).set(s);
  f.end();

  // Final reduction: x = total lanes + s (+ the dot bias correction): the exact
  // sum of the little-endian words, < 2^48.
  reduce(false);
  f.get(total).lane(Simd.i64x2ExtractLane, 0).get(total).lane(Simd.i64x2ExtractLane, 1).op(Op.i64Add);
  f.get(s).op(Op.i64Add);
  if (dot) f.get(nvec).op(Op.i64ExtendI32U).i64(18).op(Op.i64Shl).op(Op.i64Add);
  // RFC 1071 §2(B): the big-endian sum is the byte swap of the little-endian one,
  // and for a folded x, swap16(x) ≡ 256·x (mod 0xffff); so shift left by 8 rather
  // than swap after folding. Then add the caller's initial sum (big-endian).
  f.i64(8).op(Op.i64Shl);
  f.get(INIT).op(Op.i64ExtendI32U).op(Op.i64Add).set(x); // < 2^57
  // Fold to 16 bits (end-around carry, RFC 1071 §4.1); x ≡ result (mod 0xffff)
  // throughout, and a positive x never folds to 0.
  f.get(x).i64(0xffffffff).op(Op.i64And).get(x).i64(32).op(Op.i64ShrU).op(Op.i64Add).set(x); // < 2^32 + 2^25
  fold16(); // ≤ 0xffff + 0x10200
  fold16(); // ≤ 0x10001
  // x ≤ 0x1fffe: (x + (x >> 16)) & 0xffff is the last fold without another carry.
  f.get(x).get(x).i64(16).op(Op.i64ShrU).op(Op.i64Add).i64(0xffff).op(Op.i64And);
  f.op(Op.i32WrapI64);
  return f;
}

/** The module bytes: imports env.memory, exports sum and copysum. Deterministic. */
export function buildChecksumWasm(options: ChecksumWasmOptions = DEFAULT_WASM_OPTIONS): Uint8Array {
  const functions: ExportedFunction[] = [
    { name: 'sum', fn: emitSum(false, options) },
    { name: 'copysum', fn: emitSum(true, options) },
  ];
  return buildModule({ module: 'env', field: 'memory', minPages: 0 }, functions);
}

function wasmApi(): WasmApi | null {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly ?? null;
}

/** undefined: not tried yet; null: WebAssembly SIMD unavailable. */
let cachedModule: object | null | undefined;

/** Compiles the default module once per process; null if WebAssembly SIMD is unavailable. */
function checksumModule(): object | null {
  if (cachedModule !== undefined) return cachedModule;
  const api = wasmApi();
  const bytes = buildChecksumWasm();
  cachedModule = api && api.validate(bytes) ? new api.Module(bytes) : null;
  return cachedModule;
}

function rangeError(fn: string, offset: number, length: number, size: number): RangeError {
  return new RangeError(`${fn}: offset ${offset} and length ${length} are outside an array of ${size} bytes`);
}

/**
 * Foreign (not in the memory) ranges at least this long are summed by copying
 * them through the scratch region into WASM rather than by the JS word path
 * (break-even ≈ 700 B: bench/checksum.bench.ts, "Summing an array outside the memory").
 */
const SCRATCH_MIN = 1024;

/**
 * Arrays not seen before are looked up (~20 ns) on every call from these lengths
 * on. Shorter ranges of unknown arrays look up only one call in PROBE_EVERY and
 * otherwise use the JS routine (sum) or the non-fused paths (copyAndSum): foreign
 * arrays then pay ~20 ns / PROBE_EVERY, and a view of the memory used only for
 * short ranges is still found (and remembered) within PROBE_EVERY calls.
 */
const SUM_LOOKUP_MIN = 128;
const COPY_LOOKUP_MIN = 256;
const PROBE_EVERY = 8;

/** A ChecksumEngine bound to one WebAssembly.Memory, plus raw-pointer entry points. */
export interface WasmChecksumEngine extends ChecksumEngine {
  readonly kind: 'wasm-simd';
  readonly memory: WasmMemory;
  /** A view of the whole memory (replaced if the memory grows); offsets in it are pointers. */
  readonly bytes: Uint8Array;
  /** sum over memory[ptr, ptr+length): no lookups at all (for the buffer pool). */
  sumAt(ptr: number, length: number, initial?: number): number;
  /** Fused copy memory[src, +length) → memory[dst, +length) and its sum; ranges must not overlap. */
  copySumAt(src: number, dst: number, length: number, initial?: number): number;
}

/**
 * The engine. Finding where a Uint8Array lives costs ~30 ns in Node 20's V8
 * (`.buffer` and `.byteOffset` are not inlined), more than summing 1500 bytes,
 * so the engine remembers the last four views of its memory it saw (identity →
 * byteOffset); the whole-memory view is always remembered. Packet buffers are
 * long-lived views, so lookups hit and a call costs a few compares and the
 * JS→WASM call. Views of other buffers are never remembered (nothing foreign is
 * kept alive); they pay the lookup and take the fallback.
 */
class WasmEngine implements WasmChecksumEngine {
  readonly kind = 'wasm-simd' as const;
  /** The memory's current buffer and a view over all of it (both replaced if the memory grows). */
  private buf: ArrayBuffer;
  private all: Uint8Array;
  // The view cache: slot 0 is the whole-memory view; slots 1..4 round-robin.
  private v1: Uint8Array | null = null;
  private v2: Uint8Array | null = null;
  private v3: Uint8Array | null = null;
  private v4: Uint8Array | null = null;
  private b1 = 0;
  private b2 = 0;
  private b3 = 0;
  private b4 = 0;
  private nextSlot = 1;
  /** Counts short calls on unknown arrays, 0..PROBE_EVERY-1; a lookup happens at 0. */
  private probe = 0;

  constructor(
    readonly memory: WasmMemory,
    private readonly wsum: SumFn,
    private readonly wcopysum: CopySumFn,
    private readonly scratchPtr: number,
    private readonly scratchLen: number,
  ) {
    this.buf = memory.buffer;
    this.all = new Uint8Array(this.buf);
  }

  get bytes(): Uint8Array {
    if (this.all.length === 0) this.refresh();
    return this.all;
  }

  sumAt(ptr: number, length: number, initial = 0): number {
    return this.wsum(ptr, length, initial > 0xffffffff ? foldSum(initial) : initial);
  }

  copySumAt(src: number, dst: number, length: number, initial = 0): number {
    return this.wcopysum(src, dst, length, initial > 0xffffffff ? foldSum(initial) : initial);
  }

  sum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
    if ((offset | length) < 0 || offset + length > bytes.length) throw rangeError('sum', offset, length, bytes.length);
    if (initial > 0xffffffff) initial = foldSum(initial);
    let base = this.cachedBaseOf(bytes);
    if (base < 0) {
      if (length < SUM_LOOKUP_MIN && !this.probeNow()) return onesSum(bytes, offset, length, initial);
      base = this.lookup(bytes);
      if (base < 0) return this.foreignSum(bytes, offset, length, initial);
    }
    return this.wsum(base + offset, length, initial);
  }

  copyAndSum(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, length: number, initial = 0): number {
    if ((srcOff | length) < 0 || srcOff + length > src.length) throw rangeError('copyAndSum (source)', srcOff, length, src.length);
    if ((dstOff | length) < 0 || dstOff + length > dst.length) throw rangeError('copyAndSum (destination)', dstOff, length, dst.length);
    if (initial > 0xffffffff) initial = foldSum(initial);
    // Short copies mostly use only views already known to be in the memory: asking
    // an unknown array where it lives (~20 ns) costs more than the fused pass
    // saves. Any path gives the same result.
    let srcBase = this.cachedBaseOf(src);
    let dstBase = this.cachedBaseOf(dst);
    if ((srcBase | dstBase) < 0 && (length >= COPY_LOOKUP_MIN || this.probeNow())) {
      if (srcBase < 0) srcBase = this.lookup(src);
      if (dstBase < 0) dstBase = this.lookup(dst);
    }
    if (dstBase >= 0) {
      const d = dstBase + dstOff;
      if (srcBase >= 0) {
        const s = srcBase + srcOff;
        // One fused pass. Overlapping ranges are outside the contract; they get
        // memmove semantics below, like jsChecksum.
        if (s + length <= d || d + length <= s) return this.wcopysum(s, d, length, initial);
      }
      // Data coming into the memory (e.g. user data into a packet buffer): native
      // memmove, then sum the destination in place while it is in cache.
      dst.set(srcOff === 0 && length === src.length ? src : src.subarray(srcOff, srcOff + length), dstOff);
      return this.wsum(d, length, initial);
    }
    if (srcBase >= 0) {
      // Data leaving the memory (e.g. payload to the application): sum in place, then copy.
      const sum = this.wsum(srcBase + srcOff, length, initial);
      dst.set(srcOff === 0 && length === src.length ? src : src.subarray(srcOff, srcOff + length), dstOff);
      return sum;
    }
    dst.set(srcOff === 0 && length === src.length ? src : src.subarray(srcOff, srcOff + length), dstOff);
    return this.foreignSum(dst, dstOff, length, initial);
  }

  /** True once every PROBE_EVERY calls (for short ranges of unknown arrays). */
  private probeNow(): boolean {
    this.probe = this.probe === PROBE_EVERY - 1 ? 0 : this.probe + 1;
    return this.probe === 0;
  }

  /** byteOffset of `a` if it is a remembered view of the memory, else -1 (no lookup). */
  private cachedBaseOf(a: Uint8Array): number {
    if (a === this.all) return 0;
    if (a === this.v1) return this.b1;
    if (a === this.v2) return this.b2;
    if (a === this.v3) return this.b3;
    if (a === this.v4) return this.b4;
    return -1;
  }

  /** Ask `a` where it lives (slow) and remember it if it is in the memory; -1 if it is not. */
  private lookup(a: Uint8Array): number {
    if (this.all.length === 0) this.refresh(); // the memory grew: our view was detached
    if (a.buffer !== this.buf) return -1;
    const base = a.byteOffset;
    switch (this.nextSlot) {
      case 1:
        this.v1 = a;
        this.b1 = base;
        break;
      case 2:
        this.v2 = a;
        this.b2 = base;
        break;
      case 3:
        this.v3 = a;
        this.b3 = base;
        break;
      default:
        this.v4 = a;
        this.b4 = base;
    }
    this.nextSlot = (this.nextSlot & 3) + 1;
    return base;
  }

  private refresh(): void {
    this.buf = this.memory.buffer;
    this.all = new Uint8Array(this.buf);
    this.v1 = this.v2 = this.v3 = this.v4 = null;
  }

  /**
   * Sum of a range outside the memory: through the scratch region (native copy +
   * SIMD sum) when there is one and the range is long, else the JS word path.
   * The scratch path creates a subarray view per chunk (unless the chunk is the
   * whole array): ~50 ns against ≥ 1 KiB of work.
   */
  private foreignSum(bytes: Uint8Array, offset: number, length: number, initial: number): number {
    if (length < SCRATCH_MIN || this.scratchLen === 0) return onesSum(bytes, offset, length, initial);
    if (this.all.length === 0) this.refresh();
    let acc = initial;
    while (length > 0) {
      // Chunks are even-sized (scratchLen is even), so chaining through `initial` is exact.
      const n = length < this.scratchLen ? length : this.scratchLen;
      this.all.set(offset === 0 && n === bytes.length ? bytes : bytes.subarray(offset, offset + n), this.scratchPtr);
      acc = this.wsum(this.scratchPtr, n, acc);
      offset += n;
      length -= n;
    }
    return acc;
  }
}

/**
 * A WASM SIMD checksum engine over `memory`, or null when WebAssembly SIMD is
 * unavailable (WebAssembly.validate rejects the module). The module is compiled
 * once per process and instantiated per call. `scratch` (a region of the memory
 * reserved for the engine, used in multiples of 16 bytes) lets it sum long
 * arrays that are not in the memory by copying them there in chunks; without it
 * those use the JS routine.
 */
export function createWasmChecksum(
  memory: WasmMemory,
  scratch?: { offset: number; length: number },
): WasmChecksumEngine | null {
  let scratchPtr = 0;
  let scratchLen = 0;
  if (scratch) {
    const { offset, length } = scratch;
    if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`scratch.offset must be a non-negative integer, got ${offset}`);
    if (!Number.isInteger(length) || length < 0 || offset + length > memory.buffer.byteLength) {
      throw new RangeError(`scratch.length must be a non-negative integer with offset + length <= memory size, got ${length}`);
    }
    scratchPtr = offset;
    scratchLen = length & ~15; // whole vectors, and even (exact chaining); under 16 bytes: no scratch
  }
  const module = checksumModule();
  const api = wasmApi();
  if (!module || !api) return null;
  const instance = new api.Instance(module, { env: { memory } });
  const wsum = instance.exports['sum'] as SumFn;
  const wcopysum = instance.exports['copysum'] as CopySumFn;
  return new WasmEngine(memory, wsum, wcopysum, scratchPtr, scratchLen);
}

/**
 * The fastest available engine ("runtime picks WASM when available"): WASM SIMD
 * over `memory` when WebAssembly SIMD is available, else jsChecksum. Pass the
 * packet-buffer memory: without one, a small private memory is created, and
 * since no caller's array lives in it every call takes the JS fallback.
 */
export function bestChecksumEngine(memory?: WasmMemory): ChecksumEngine {
  const api = wasmApi();
  if (!api) return jsChecksum;
  return createWasmChecksum(memory ?? new api.Memory({ initial: 1 })) ?? jsChecksum;
}
