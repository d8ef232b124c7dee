/**
 * The Internet checksum (RFC 1071) in plain TypeScript (checksum.ts) and
 * WebAssembly SIMD (checksum-wasm.ts): every path of both engines must equal an
 * obviously-correct byte-by-byte reference, for every length 0..2048 at odd and
 * even offsets, for random contents, offsets and initial values, for large sizes
 * (accumulator widening), and for arrays inside and outside the WASM memory.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combineSums,
  copyAndSum,
  finishChecksum,
  foldSum,
  incrementalUpdate,
  incrementalUpdate32,
  internetChecksum,
  jsChecksum,
  onesSum,
  pseudoHeaderSum,
  swap16,
  type ChecksumEngine,
} from '../../src/wire/checksum.js';
import {
  bestChecksumEngine,
  buildChecksumWasm,
  createWasmChecksum,
  type ChecksumWasmOptions,
  type WasmChecksumEngine,
  type WasmMemory,
} from '../../src/wire/checksum-wasm.js';
import { sleb, uleb } from '../../src/wire/wasm-emitter.js';

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory & { grow(pages: number): number };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** RFC 1071 §4.1, one byte at a time: even positions are high bytes, odd low; fold at the end. */
function refSum(bytes: Uint8Array, offset: number, length: number, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < length; i++) sum += i % 2 === 0 ? bytes[offset + i]! * 256 : bytes[offset + i]!;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function fillRandom(a: Uint8Array, seed: number): Uint8Array {
  let x = seed | 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = x >>> 24;
  }
  return a;
}

/** Byte-wise equality, fast (expect(...).toEqual on large typed arrays is slow). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

const MiB = 1 << 20;
// 8 MiB, growable (for the growth test, which uses its own memory).
const memory = new WA.Memory({ initial: 128 });
const SCRATCH = { offset: 7 * MiB, length: 64 * 1024 };
const wasm = createWasmChecksum(memory, SCRATCH)!;
const wasmNoScratch = createWasmChecksum(memory)!;
// The engine's own whole-memory view: always known to it, so every in-memory call
// below runs the WASM kernel (wasmNoScratch meets it as an unknown view instead).
const mem = wasm.bytes;
fillRandom(mem, 12345);

/** Both engines (the WASM one with and without a scratch region). */
const engines: [string, ChecksumEngine][] = [
  ['js', jsChecksum],
  ['wasm', wasm],
  ['wasm without scratch', wasmNoScratch],
];

describe('WASM module emitter', () => {
  it('emits the same bytes every time (deterministic)', () => {
    expect(buildChecksumWasm()).toEqual(buildChecksumWasm());
  });

  it('emits a module that WebAssembly.validate accepts, exporting sum and copysum', () => {
    const bytes = buildChecksumWasm();
    expect(WA.validate(bytes)).toBe(true);
    const inst = new WA.Instance(new WA.Module(bytes), { env: { memory } });
    expect(typeof inst.exports['sum']).toBe('function');
    expect(typeof inst.exports['copysum']).toBe('function');
  });

  it('encodes LEB128 as the spec examples (§5.2.2)', () => {
    expect(uleb(0)).toEqual([0x00]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(0n)).toEqual([0x00]);
    expect(sleb(-1n)).toEqual([0x7f]);
    expect(sleb(63n)).toEqual([0x3f]);
    expect(sleb(64n)).toEqual([0xc0, 0x00]);
    expect(sleb(-64n)).toEqual([0x40]);
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
    expect(() => uleb(-1)).toThrow(RangeError);
  });

  it('every code-generation variant computes the RFC 1071 sum', () => {
    const variants: ChecksumWasmOptions[] = [];
    for (const vectors of [2, 4, 8] as const) for (const widen of ['dot', 'extadd'] as const) variants.push({ vectors, widen });
    for (const opts of variants) {
      const bytes = buildChecksumWasm(opts);
      expect(WA.validate(bytes)).toBe(true);
      const ex = new WA.Instance(new WA.Module(bytes), { env: { memory } }).exports as {
        sum: (p: number, l: number, i: number) => number;
        copysum: (s: number, d: number, l: number, i: number) => number;
      };
      for (let len = 0; len <= 300; len++) {
        for (const ptr of [4096, 4097]) {
          expect(ex.sum(ptr, len, 7), `${JSON.stringify(opts)} sum len ${len} ptr ${ptr}`).toBe(refSum(mem, ptr, len, 7));
          expect(ex.copysum(ptr, 2 * MiB + (ptr & 1) * 3, len, 7)).toBe(refSum(mem, ptr, len, 7));
          expect(sameBytes(mem.subarray(2 * MiB + (ptr & 1) * 3, 2 * MiB + (ptr & 1) * 3 + len), mem.subarray(ptr, ptr + len))).toBe(true);
        }
      }
      // Across several widening blocks (≈512 KiB each), at the extremes of the lane values.
      const big = 1200 * 1024 + 13;
      for (const fill of [0x00, 0xff, -1]) {
        const region = mem.subarray(3 * MiB, 3 * MiB + big);
        if (fill < 0) fillRandom(region, 99);
        else region.fill(fill);
        expect(ex.sum(3 * MiB + 0, big, 0), `${JSON.stringify(opts)} fill ${fill}`).toBe(refSum(mem, 3 * MiB, big));
        expect(ex.sum(3 * MiB + 1, big - 1, 0)).toBe(refSum(mem, 3 * MiB + 1, big - 1));
      }
      fillRandom(mem.subarray(3 * MiB, 3 * MiB + big), 4242);
    }
  });
});

describe('RFC 1071 known vectors', () => {
  const example = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
  // An IPv4 header whose checksum field (0xb861) is correct.
  const ipHeader = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];

  for (const [name, engine] of engines) {
    for (const where of ['in memory', 'outside memory'] as const) {
      for (const at of [64, 65]) {
        const place = (data: number[]): Uint8Array => {
          if (where === 'outside memory') {
            const a = new Uint8Array(at + data.length);
            a.set(data, at);
            return a;
          }
          mem.set(data, 5 * MiB + at);
          return mem;
        };
        const base = where === 'in memory' ? 5 * MiB + at : at;

        it(`RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (${name}, ${where}, offset parity ${at & 1})`, () => {
          const a = place(example);
          expect(engine.sum(a, base, 8)).toBe(0xddf2);
          expect(finishChecksum(engine.sum(a, base, 8))).toBe(0x220d);
        });

        it(`RFC 1071 §1: a header including its correct checksum sums to 0xffff (${name}, ${where}, ${at & 1})`, () => {
          const a = place(ipHeader);
          expect(engine.sum(a, base, 20)).toBe(0xffff);
          expect(internetChecksum(Uint8Array.from(ipHeader.map((b, i) => (i === 10 || i === 11 ? 0 : b))), 0, 20)).toBe(0xb861);
        });
      }
    }
  }

  it('RFC 1071 §4.1: an odd trailing byte is padded with a zero low byte', () => {
    const a = Uint8Array.from([0x12, 0x34, 0x56]);
    expect(onesSum(a, 0, 3)).toBe(0x1234 + 0x5600);
    expect(wasm.sum(a, 0, 3)).toBe(0x1234 + 0x5600);
  });

  it('all-zero data sums to 0, and non-zero data never folds to 0 (ones-complement zero is 0xffff)', () => {
    for (const [, engine] of engines) {
      mem.fill(0, 5 * MiB, 5 * MiB + 4096);
      expect(engine.sum(mem, 5 * MiB, 4096)).toBe(0);
      expect(engine.sum(mem, 5 * MiB + 1, 4095)).toBe(0);
      mem[5 * MiB + 100] = 0xff;
      mem[5 * MiB + 101] = 0xff;
      expect(engine.sum(mem, 5 * MiB, 4096)).toBe(0xffff);
      expect(engine.sum(mem, 5 * MiB, 4096, 0xffff)).toBe(0xffff);
      expect(engine.sum(mem, 5 * MiB, 0, 0)).toBe(0);
      expect(engine.sum(mem, 5 * MiB, 0, 0xffff)).toBe(0xffff);
    }
    fillRandom(mem.subarray(5 * MiB, 5 * MiB + 4096), 7);
  });
});

describe('RFC 1071 sum equals the byte-by-byte reference', () => {
  // One source of random bytes both inside the memory and outside it.
  const N = 2048;
  const SRC = 1 * MiB;
  const foreign = fillRandom(new Uint8Array(N + 64), 777);
  mem.set(foreign, SRC);

  it('for every length 0..2048 at even and odd offsets: sum (JS and WASM, in and outside the memory)', () => {
    for (let len = 0; len <= N; len++) {
      for (const off of [0, 1, 2, 3, 6]) {
        const want = refSum(foreign, off, len, 0x1234);
        expect(onesSum(foreign, off, len, 0x1234), `JS len ${len} off ${off}`).toBe(want);
        expect(wasm.sum(mem, SRC + off, len, 0x1234), `WASM len ${len} off ${off}`).toBe(want);
        expect(wasm.sum(foreign, off, len, 0x1234), `WASM foreign len ${len} off ${off}`).toBe(want);
      }
    }
  });

  it('for every length 0..2048 at even and odd offsets: copyAndSum copies and sums (JS and WASM fused)', () => {
    const jsDst = new Uint8Array(N + 64);
    for (let len = 0; len <= N; len++) {
      for (const [so, dof] of [
        [0, 0],
        [1, 0],
        [0, 3],
        [5, 2],
      ] as const) {
        const want = refSum(foreign, so, len, 0xfffe);
        const d = 2 * MiB + dof;
        expect(wasm.copyAndSum(mem, SRC + so, mem, d, len, 0xfffe), `WASM len ${len} ${so}/${dof}`).toBe(want);
        expect(sameBytes(mem.subarray(d, d + len), foreign.subarray(so, so + len))).toBe(true);
        expect(copyAndSum(foreign, so, jsDst, dof, len, 0xfffe), `JS len ${len}`).toBe(want);
        expect(sameBytes(jsDst.subarray(dof, dof + len), foreign.subarray(so, so + len))).toBe(true);
      }
    }
  });

  it('for random contents, offsets and initial values (property): every engine and path', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.nat(31),
        fc.nat(31),
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom('mem→mem', 'foreign→mem', 'mem→foreign', 'foreign→foreign'),
        (data, srcPad, dstPad, initial, route) => {
          const len = data.length;
          const want = refSum(data, 0, len, initial);
          // Source and destination, placed inside the memory or in plain arrays.
          const srcIn = route.startsWith('mem');
          const dstIn = route.endsWith('mem');
          const src = srcIn ? mem : new Uint8Array(srcPad + len);
          const srcOff = srcIn ? 4 * MiB + srcPad : srcPad;
          src.set(data, srcOff);
          const dst = dstIn ? mem : new Uint8Array(dstPad + len + 7);
          const dstOff = dstIn ? 4 * MiB + 65536 + dstPad : dstPad;
          for (const [, engine] of engines) {
            expect(engine.sum(src, srcOff, len, initial)).toBe(want);
            dst.fill(0xa5, dstOff, dstOff + len);
            expect(engine.copyAndSum(src, srcOff, dst, dstOff, len, initial)).toBe(want);
            expect(sameBytes(dst.subarray(dstOff, dstOff + len), data)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('for random large sizes up to 1 MiB (accumulator widening), in and outside the memory', () => {
    const big = new Uint8Array(MiB + 64);
    fc.assert(
      fc.property(
        fc.integer({ min: 2049, max: MiB }),
        fc.nat(63),
        fc.integer(),
        fc.integer({ min: 0, max: 0xffff }),
        (len, off, seed, initial) => {
          fillRandom(big.subarray(off, off + len), seed);
          mem.set(big.subarray(off, off + len), 6 * MiB - len - off);
          const p = 6 * MiB - len - off; // ends exactly at 6 MiB: tail reads stay in range
          const want = refSum(big, off, len, initial);
          expect(onesSum(big, off, len, initial)).toBe(want);
          expect(wasm.sum(big, off, len, initial)).toBe(want); // foreign: through the scratch region
          expect(wasmNoScratch.sum(big, off, len, initial)).toBe(want); // foreign: JS fallback
          expect(wasm.sum(mem, p, len, initial)).toBe(want);
          expect(wasm.sumAt(p, len, initial)).toBe(want);
          expect(wasm.copyAndSum(mem, p, mem, 1 * MiB + 256 + (off & 7), len, initial)).toBe(want);
          expect(wasm.copyAndSum(big, off, mem, 1 * MiB + 256 + (off & 7), len, initial)).toBe(want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps exact sums for 0xff and 0x00 data beyond the 32-bit lane limits (3 MiB)', () => {
    const len = 3 * MiB + 5;
    const region = mem.subarray(1 * MiB, 1 * MiB + len);
    for (const fill of [0xff, 0x00, 0x80]) {
      region.fill(fill);
      const want = refSum(mem, 1 * MiB, len);
      expect(wasm.sum(mem, 1 * MiB, len)).toBe(want);
      expect(onesSum(mem, 1 * MiB, len)).toBe(want);
      expect(wasm.sum(mem, 1 * MiB + 1, len - 1)).toBe(refSum(mem, 1 * MiB + 1, len - 1));
    }
    fillRandom(region, 1);
    mem.set(foreign, SRC);
  });

  it('initial values above 0xffff (unfolded sums) are folded first', () => {
    for (const initial of [0x10000, 0x1fffe, 0xffffffff, 2 ** 40 + 3]) {
      expect(onesSum(mem, SRC, 100, initial)).toBe(refSum(mem, SRC, 100, initial));
      expect(wasm.sum(mem, SRC, 100, initial)).toBe(refSum(mem, SRC, 100, initial));
      expect(wasm.copyAndSum(mem, SRC, mem, 2 * MiB, 100, initial)).toBe(refSum(mem, SRC, 100, initial));
    }
  });
});

describe('WASM engine: where arrays live', () => {
  it('picks WASM when available ("runtime picks WASM when available")', () => {
    expect(bestChecksumEngine(memory).kind).toBe('wasm-simd');
    const e = bestChecksumEngine();
    const a = fillRandom(new Uint8Array(5000), 3);
    expect(e.sum(a, 1, 4999)).toBe(refSum(a, 1, 4999));
  });

  it('stays correct with more distinct views than its cache holds', () => {
    const views = Array.from({ length: 9 }, (_, i) => mem.subarray(MiB + i * 1000, MiB + i * 1000 + 900));
    for (let round = 0; round < 3; round++) {
      for (const [i, v] of views.entries()) {
        expect(wasm.sum(v, i, 800)).toBe(refSum(mem, MiB + i * 1000 + i, 800));
        const other = views[(i + 3) % views.length]!;
        expect(wasm.copyAndSum(v, 0, mem, 2 * MiB + i * 1000, 300 + i)).toBe(refSum(mem, MiB + i * 1000, 300 + i));
        expect(wasm.copyAndSum(v, 0, other.subarray(0), 0, 300)).toBe(refSum(v, 0, 300));
      }
    }
  });

  it('copyAndSum with overlapping ranges behaves like memmove in both engines', () => {
    for (const [, engine] of engines) {
      for (const shift of [-7, -1, 1, 2, 100]) {
        fillRandom(mem.subarray(MiB, MiB + 5000), shift + 50);
        const expected = mem.slice(MiB + 1000, MiB + 3000);
        const want = refSum(expected, 0, 2000);
        expect(engine.copyAndSum(mem, MiB + 1000, mem, MiB + 1000 + shift, 2000)).toBe(want);
        expect(mem.subarray(MiB + 1000 + shift, MiB + 3000 + shift)).toEqual(expected);
      }
    }
  });

  it('keeps working after the memory grows (old views are detached; new ones are found)', () => {
    const m = new WA.Memory({ initial: 2 });
    const e = createWasmChecksum(m)!;
    const before = fillRandom(new Uint8Array(m.buffer), 5);
    const want = refSum(before, 10, 3000);
    expect(e.sum(before, 10, 3000)).toBe(want);
    m.grow(1);
    const after = new Uint8Array(m.buffer);
    expect(e.sum(after, 10, 3000)).toBe(want);
    expect(e.sumAt(10, 3000)).toBe(want);
    expect(e.copyAndSum(after, 10, after, 70000, 3000)).toBe(want);
    expect(e.bytes.length).toBe(3 * 65536);
    expect(() => e.sum(before, 10, 3000)).toThrow(RangeError);
  });

  it('sumAt and copySumAt work on raw memory offsets', () => {
    expect(wasm.sumAt(MiB + 3, 1777, 5)).toBe(refSum(mem, MiB + 3, 1777, 5));
    expect(wasm.copySumAt(MiB + 3, 2 * MiB + 1, 1777, 5)).toBe(refSum(mem, MiB + 3, 1777, 5));
    expect(mem.subarray(2 * MiB + 1, 2 * MiB + 1778)).toEqual(mem.subarray(MiB + 3, MiB + 1780));
    const e: WasmChecksumEngine = wasm;
    expect(e.memory).toBe(memory);
  });

  it('rejects ranges outside the array, and a bad scratch region, with RangeError', () => {
    const a = new Uint8Array(10);
    for (const [, engine] of engines) {
      expect(() => engine.sum(a, 5, 6)).toThrow(RangeError);
      expect(() => engine.sum(a, -1, 2)).toThrow(RangeError);
      expect(() => engine.copyAndSum(a, 0, a.subarray(0, 4), 0, 5)).toThrow(RangeError);
      expect(() => engine.copyAndSum(a, 6, new Uint8Array(10), 0, 5)).toThrow(RangeError);
      expect(() => engine.sum(mem, mem.length - 1, 2)).toThrow(RangeError);
    }
    expect(() => createWasmChecksum(memory, { offset: -1, length: 1024 })).toThrow(/scratch.offset/);
    expect(() => createWasmChecksum(memory, { offset: 0, length: -16 })).toThrow(/scratch.length/);
    expect(() => createWasmChecksum(memory, { offset: 0, length: 1.5 })).toThrow(/scratch.length/);
    const tiny = createWasmChecksum(memory, { offset: 0, length: 8 })!; // too small to use: no scratch
    const a4k = fillRandom(new Uint8Array(4096), 11);
    expect(tiny.sum(a4k, 1, 4095)).toBe(refSum(a4k, 1, 4095));
    expect(() => createWasmChecksum(memory, { offset: 8 * MiB - 100, length: 1024 })).toThrow(/scratch.length/);
  });
});

describe('pseudo-header, combining and incremental update', () => {
  it('RFC 9293 §3.1 / RFC 768: pseudoHeaderSum equals the sum of the 12-byte pseudo-header', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(255), fc.nat(0xffff), fc.nat(0xffff), (src, dst, proto, len, init) => {
        const ph = new Uint8Array(12);
        const dv = new DataView(ph.buffer);
        dv.setUint32(0, src);
        dv.setUint32(4, dst);
        ph[8] = 0;
        ph[9] = proto;
        dv.setUint16(10, len);
        expect(pseudoHeaderSum(src, dst, proto, len, init)).toBe(refSum(ph, 0, 12, init));
      }),
      { numRuns: 2000 },
    );
  });

  it('RFC 1071 §2(B): combineSums of a prefix and the rest equals the whole sum (odd prefix byte-swapped)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(400), (data, cut) => {
        const k = Math.min(cut, data.length);
        const a = onesSum(data, 0, k);
        const b = onesSum(data, k, data.length - k);
        expect(combineSums(a, b, (k & 1) === 1)).toBe(refSum(data, 0, data.length));
      }),
      { numRuns: 3000 },
    );
  });

  it('swap16 and foldSum are the RFC 1071 byte swap and end-around carry', () => {
    expect(swap16(0x1234)).toBe(0x3412);
    expect(foldSum(0)).toBe(0);
    expect(foldSum(0xffff)).toBe(0xffff);
    expect(foldSum(0x10000)).toBe(1);
    expect(foldSum(0x1fffe)).toBe(0xffff);
    expect(foldSum(2 ** 53 - 1)).toBe(refFold(2 ** 53 - 1));
    fc.assert(
      fc.property(fc.nat(Number.MAX_SAFE_INTEGER), (x) => {
        expect(foldSum(x)).toBe(refFold(x));
      }),
    );
  });

  /** A header of `words` 16-bit words with its checksum field (word `field`) set correctly. */
  function header(words: number[], field: number): Uint8Array {
    const h = new Uint8Array(words.length * 2);
    words.forEach((w, i) => {
      h[2 * i] = w >>> 8;
      h[2 * i + 1] = w & 0xff;
    });
    h[2 * field] = h[2 * field + 1] = 0;
    const c = finishChecksum(onesSum(h, 0, h.length));
    h[2 * field] = c >>> 8;
    h[2 * field + 1] = c & 0xff;
    return h;
  }

  /** True if the header's words other than the checksum field are all zero. */
  function allZeroExcept(h: Uint8Array, field: number): boolean {
    return h.every((b, i) => b === 0 || i >> 1 === field);
  }

  it('RFC 1624 eqn. 3: incrementalUpdate equals recomputing the checksum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(0xffff), { minLength: 2, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.nat(0xffff),
        (words, f, w, newWord) => {
          const field = f % words.length;
          let which = w % words.length;
          if (which === field) which = (which + 1) % words.length;
          const h = header(words, field);
          const oldChecksum = (h[2 * field]! << 8) | h[2 * field + 1]!;
          const oldWord = (h[2 * which]! << 8) | h[2 * which + 1]!;
          const updated = incrementalUpdate(oldChecksum, oldWord, newWord);
          h[2 * which] = newWord >>> 8;
          h[2 * which + 1] = newWord & 0xff;
          h[2 * field] = h[2 * field + 1] = 0;
          // The all-zero header is the one exception (next test).
          if (!allZeroExcept(h, field)) expect(updated).toBe(finishChecksum(onesSum(h, 0, h.length)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('RFC 1624 §4: eqn. 3 gives 0x0000 where eqn. 2 would give 0xffff (m 0x5555 → 0x3285, rest 0xcd7a)', () => {
    // HC = ~(0xcd7a + 0x5555) = 0xdd2f; recomputation: ~(0xcd7a + 0x3285) = ~0xffff = 0x0000.
    expect(incrementalUpdate(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
    expect(finishChecksum(foldSum(0xcd7a + 0x3285))).toBe(0x0000);
    // The same through a real header: the other words sum to 0xcd7a.
    const h = header([0xcd7a, 0x5555, 0], 2);
    expect((h[4]! << 8) | h[5]!).toBe(0xdd2f);
    expect(incrementalUpdate(0xdd2f, 0x5555, 0x3285)).toBe(finishChecksum(refSum(Uint8Array.from([0xcd, 0x7a, 0x32, 0x85]), 0, 4)));
  });

  it('RFC 1624 §3: a field changing to or from 0x0000 / 0xffff updates like recomputation', () => {
    for (const [oldWord, newWord] of [
      [0x0000, 0xffff],
      [0xffff, 0x0000],
      [0x0000, 0x0000],
      [0xffff, 0xffff],
      [0x1234, 0x0000],
      [0x1234, 0xffff],
      [0x0000, 0x1234],
      [0xffff, 0x1234],
    ] as const) {
      for (const rest of [0x0001, 0xfffe, 0xffff, 0x8000, 0xedcb]) {
        const h = header([rest, oldWord, 0], 2);
        const hc = (h[4]! << 8) | h[5]!;
        const fresh = header([rest, newWord, 0], 2);
        expect(incrementalUpdate(hc, oldWord, newWord), `${rest} ${oldWord}→${newWord}`).toBe((fresh[4]! << 8) | fresh[5]!);
      }
    }
  });

  it('RFC 1624 §3: only an all-zero header differs: recomputation gives -0 (0xffff), eqn. 3 gives +0', () => {
    // Recomputing over all-zero data gives sum +0 and checksum 0xffff; eqn. 3 only
    // sees ~HC + ~m + m' = -0 and returns 0x0000. No IP/TCP/UDP header is all zero.
    const before = header([0x0000, 0xffff, 0], 2); // sum 0xffff, checksum 0x0000
    expect((before[4]! << 8) | before[5]!).toBe(0x0000);
    const after = header([0x0000, 0x0000, 0], 2);
    expect((after[4]! << 8) | after[5]!).toBe(0xffff);
    expect(incrementalUpdate(0x0000, 0xffff, 0x0000)).toBe(0x0000);
  });

  it('RFC 1624 applied to a 32-bit field: incrementalUpdate32 equals recomputation', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(0xffff), { minLength: 4, maxLength: 20 }), fc.nat(0xffffffff), (words, newValue) => {
        // Words 0..1 hold the 32-bit field (e.g. an address); the last word is the checksum.
        const field = words.length - 1;
        const h = header(words, field);
        const oldValue = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
        const oldChecksum = (h[2 * field]! << 8) | h[2 * field + 1]!;
        const updated = incrementalUpdate32(oldChecksum, oldValue, newValue);
        new DataView(h.buffer).setUint32(0, newValue);
        h[2 * field] = h[2 * field + 1] = 0;
        if (!allZeroExcept(h, field)) expect(updated).toBe(finishChecksum(onesSum(h, 0, h.length)));
      }),
      { numRuns: 3000 },
    );
  });
});

function refFold(x: number): number {
  let big = BigInt(x);
  while (big > 0xffffn) big = (big & 0xffffn) + (big >> 16n);
  return Number(big);
}
