/**
 * Checksum and copy throughput: plain-TypeScript checksum (jsChecksum) versus the
 * WebAssembly SIMD engine, and copy / copy-then-checksum / fused copy+checksum,
 * at 64 B, 1500 B, 64 KiB and 16 MiB, with ratios against baselines measured in
 * the same run (issue A, items 3 and 6). Run: `npx tsx bench/run.ts checksum`.
 *
 * Method: the contenders of one table row run interleaved (each round runs every
 * contender once, in rotating order), so a noisy neighbour slows them all alike,
 * and every figure is the median of 21 rounds of ~30 ms (calibrated with
 * bench/util.ts `measure`). All data lives in one WebAssembly.Memory, as packet
 * buffers will. Views are created outside the timed loops (creating one costs
 * ~50 ns). Small sizes run 16 operations per timed call so the harness's own call
 * is amortised (the same for every contender). At 16 MiB each call uses the next
 * of three 16 MiB regions (source i, destination i+1), 48 MiB in all, so the data
 * comes from DRAM rather than the last-level cache.
 */
import { jsChecksum, onesSum } from '../src/wire/checksum.js';
import { createWasmChecksum, type WasmMemory } from '../src/wire/checksum-wasm.js';
import { performance } from 'node:perf_hooks';
import { consume, measure, median, printTable } from './util.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [64, 1500, 64 * KiB, 16 * MiB];
const ROUNDS = 21;

/** Memory layout (bytes). Small buffers sit in the first MiB, big regions after it. */
const SMALL_SRC = 4 * KiB;
const SMALL_DST = 256 * KiB;
const SCRATCH = 640 * KiB;
const SCRATCH_LEN = 64 * KiB;
const REGIONS = [1 * MiB, 18 * MiB, 35 * MiB];
const MEMORY_BYTES = 52 * MiB;

interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number }) => WasmMemory;
}

function label(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} B`;
}

const gbps = (bytes: number, seconds: number): number => bytes / seconds / 1e9;

/**
 * Median seconds per operation of each contender, measured interleaved; one call
 * of a contender performs `ops` operations.
 */
function compare(contenders: (() => void)[], ops: number): number[] {
  const roundMs = 30;
  // measure() warms each contender up and tells how many calls fill a round.
  const calls = contenders.map((fn) =>
    Math.max(1, Math.round(roundMs / 1000 / measure(fn, { rounds: 3, roundMs }).medianSeconds)),
  );
  const times: number[][] = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < contenders.length; j++) {
      const c = (j + r) % contenders.length;
      const fn = contenders[c]!;
      const n = calls[c]!;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      times[c]!.push((performance.now() - t0) / 1000 / n / ops);
    }
  }
  return times.map((t) => median(t));
}

/**
 * The checksum.ts onesSum before this work (byte pairs, one word per step), kept
 * here as a reference point for how much the plain-TS baseline improved.
 */
function bytewiseOnesSum(bytes: Uint8Array, offset: number, length: number): number {
  let acc = 0;
  const end = offset + length;
  let i = offset;
  const evenEnd = end - (length & 1);
  while (i < evenEnd) {
    const stop = Math.min(evenEnd, i + 0x10000);
    let s = 0;
    for (; i < stop; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
    acc += s;
    acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  }
  if (i < end) acc += bytes[i]! << 8;
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

export function run(): void {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const memory = new api.Memory({ initial: MEMORY_BYTES / 65536, maximum: MEMORY_BYTES / 65536 });
  const engine = createWasmChecksum(memory, { offset: SCRATCH, length: SCRATCH_LEN });
  if (!engine) {
    console.log('WebAssembly SIMD is not available: nothing to compare.');
    return;
  }
  const mem = new Uint8Array(memory.buffer);
  // Deterministic pseudo-random contents (xorshift32).
  let x = 0x9e3779b9;
  for (let i = 0; i < MEMORY_BYTES; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    mem[i] = x;
    mem[i + 1] = x >>> 8;
    mem[i + 2] = x >>> 16;
    mem[i + 3] = x >>> 24;
  }
  // Arrays outside the memory, for the fallback paths.
  const foreignSrc = new Uint8Array(64 * KiB + 64).map((_, i) => (i * 131) >>> 3);
  const foreignDst = new Uint8Array(64 * KiB + 64);

  const sumRows: (string | number)[][] = [];
  const copyRows: (string | number)[][] = [];
  const fallbackRows: (string | number)[][] = [];
  const targets: { name: string; value: number; goal: string; ok: boolean }[] = [];
  const jsTime = new Map<number, number>();
  const sumAtTime = new Map<number, number>();

  for (const size of SIZES) {
    const big = size > SCRATCH_LEN;
    const reps = size <= 1500 ? 16 : 1;
    // Views created once, outside the timed code: the packet-buffer style (one long-lived view per buffer).
    const srcViews = big
      ? REGIONS.map((r) => mem.subarray(r, r + size))
      : [mem.subarray(SMALL_SRC, SMALL_SRC + size)];
    const dstViews = big
      ? REGIONS.map((_, i) => mem.subarray(REGIONS[(i + 1) % 3]!, REGIONS[(i + 1) % 3]! + size))
      : [mem.subarray(SMALL_DST, SMALL_DST + size)];
    const srcPtrs = big ? REGIONS : [SMALL_SRC];
    const dstPtrs = big ? REGIONS.map((_, i) => REGIONS[(i + 1) % 3]!) : [SMALL_DST];
    const n = srcViews.length;
    let k = 0; // which region (16 MiB only); advanced without % (a division per call would inflate small sizes)

    // --- checksum ---------------------------------------------------------
    const [tOld, tJs, tWasm, tWasmAt] = compare(
      [
        () => {
          for (let r = 0; r < reps; r++) consume(bytewiseOnesSum(srcViews[(k = k + 1 === n ? 0 : k + 1)]!, 0, size));
        },
        () => {
          for (let r = 0; r < reps; r++) consume(jsChecksum.sum(srcViews[(k = k + 1 === n ? 0 : k + 1)]!, 0, size));
        },
        () => {
          for (let r = 0; r < reps; r++) consume(engine.sum(srcViews[(k = k + 1 === n ? 0 : k + 1)]!, 0, size));
        },
        () => {
          for (let r = 0; r < reps; r++) consume(engine.sumAt(srcPtrs[(k = k + 1 === n ? 0 : k + 1)]!, size));
        },
      ],
      reps,
    ) as [number, number, number, number];
    jsTime.set(size, tJs);
    sumAtTime.set(size, tWasmAt);
    sumRows.push([
      label(size),
      gbps(size, tOld),
      gbps(size, tJs),
      gbps(size, tWasm),
      gbps(size, tWasmAt),
      tJs / tWasm,
      tOld / tWasm,
      tWasm * 1e9,
    ]);

    // --- copy variants --------------------------------------------------------
    const [tCopy, tCopyWithin, tCopyThenSum, tFused, tJsCopySum] = compare(
      [
        () => {
          for (let r = 0; r < reps; r++) {
            k = k + 1 === n ? 0 : k + 1;
            mem.set(srcViews[k]!, dstPtrs[k]!);
          }
        },
        () => {
          for (let r = 0; r < reps; r++) {
            k = k + 1 === n ? 0 : k + 1;
            mem.copyWithin(dstPtrs[k]!, srcPtrs[k]!, srcPtrs[k]! + size);
          }
        },
        () => {
          for (let r = 0; r < reps; r++) {
            k = k + 1 === n ? 0 : k + 1;
            mem.set(srcViews[k]!, dstPtrs[k]!);
            consume(engine.sum(dstViews[k]!, 0, size));
          }
        },
        () => {
          for (let r = 0; r < reps; r++) {
            k = k + 1 === n ? 0 : k + 1;
            consume(engine.copyAndSum(srcViews[k]!, 0, dstViews[k]!, 0, size));
          }
        },
        () => {
          for (let r = 0; r < reps; r++) {
            k = k + 1 === n ? 0 : k + 1;
            consume(jsChecksum.copyAndSum(srcViews[k]!, 0, dstViews[k]!, 0, size));
          }
        },
      ],
      reps,
    ) as [number, number, number, number, number];
    const row = (t: number): string => `${gbps(size, t).toFixed(1)} (${(t / tCopy).toFixed(2)}×)`;
    copyRows.push([label(size), row(tCopy), row(tCopyWithin), row(tCopyThenSum), row(tFused), row(tJsCopySum)]);

    // --- fallbacks: arrays outside the memory (up to 64 KiB) ---------------------
    if (!big) {
      const fsrc = foreignSrc.subarray(0, size);
      const fdst = foreignDst.subarray(0, size);
      const mdst = dstViews[0]!;
      const [tForeignJs, tForeignWasm, tIntoJs, tIntoWasm, tOutWasm] = compare(
        [
          () => {
            for (let r = 0; r < reps; r++) consume(onesSum(fsrc, 0, size));
          },
          () => {
            for (let r = 0; r < reps; r++) consume(engine.sum(fsrc, 0, size));
          },
          () => {
            for (let r = 0; r < reps; r++) consume(jsChecksum.copyAndSum(fsrc, 0, mdst, 0, size));
          },
          () => {
            for (let r = 0; r < reps; r++) consume(engine.copyAndSum(fsrc, 0, mdst, 0, size));
          },
          () => {
            for (let r = 0; r < reps; r++) consume(engine.copyAndSum(srcViews[0]!, 0, fdst, 0, size));
          },
        ],
        reps,
      ) as [number, number, number, number, number];
      fallbackRows.push([
        label(size),
        gbps(size, tForeignJs),
        gbps(size, tForeignWasm),
        gbps(size, tIntoJs),
        gbps(size, tIntoWasm),
        gbps(size, tOutWasm),
      ]);
    }

    if (size === 1500 || size === 64 * KiB) {
      targets.push({ name: `WASM/JS checksum at ${label(size)}`, value: tJs / tWasm, goal: '>= 6', ok: tJs / tWasm >= 6 });
    }
    if (size === 1500) {
      const r = tCopy / tWasm;
      targets.push({ name: 'WASM checksum speed / plain copy speed at 1500 B', value: r, goal: '>= 0.6', ok: r >= 0.6 });
    }
    targets.push({
      name: `fused faster than copy-then-checksum at ${label(size)} (time ratio)`,
      value: tFused / tCopyThenSum,
      goal: '< 1',
      ok: tFused < tCopyThenSum,
    });
    if (size === 16 * MiB) {
      targets.push({ name: 'fused time / plain copy time at 16 MiB', value: tFused / tCopy, goal: '<= 1.3', ok: tFused / tCopy <= 1.3 });
    }
  }

  // What bounds WASM/JS for packet-sized ranges: the fixed cost of a call into
  // WASM (the JS→WASM transition plus setup and the final fold) and the kernel's
  // streaming rate. Even with no other overhead, WASM needs call + bytes/rate.
  const [tCall] = compare(
    [
      () => {
        for (let r = 0; r < 16; r++) consume(engine.sumAt(SMALL_SRC, 0));
      },
    ],
    16,
  ) as [number];
  const rate = (64 * KiB) / (sumAtTime.get(64 * KiB)! - tCall);
  const best1500 = tCall + 1500 / rate;
  const limitRows: (string | number)[][] = [
    ['JS→WASM call + fixed work (sumAt of 0 bytes), ns', tCall * 1e9],
    ['WASM kernel streaming rate (64 KiB sumAt minus the fixed cost), GB/s', rate / 1e9],
    ['best possible WASM time at 1500 B (call + 1500 B / rate), ns', best1500 * 1e9],
    ['JS time at 1500 B, ns', jsTime.get(1500)! * 1e9],
    ['best possible WASM/JS at 1500 B', jsTime.get(1500)! / best1500],
    ['best possible WASM/JS at 64 KiB (JS time / (call + 64 KiB / rate))', jsTime.get(64 * KiB)! / sumAtTime.get(64 * KiB)!],
  ];

  // Where copying a foreign array through the scratch region starts to pay (SCRATCH_MIN in checksum-wasm.ts).
  const sweepRows: (string | number)[][] = [];
  for (const size of [128, 256, 512, 1024, 2048, 4096]) {
    const fsrc = foreignSrc.subarray(0, size);
    const [tJs, tScratch] = compare(
      [
        () => {
          for (let r = 0; r < 16; r++) consume(onesSum(fsrc, 0, size));
        },
        () => {
          for (let r = 0; r < 16; r++) {
            mem.set(foreignSrc.subarray(0, size), SCRATCH);
            consume(engine.sumAt(SCRATCH, size));
          }
        },
      ],
      16,
    ) as [number, number];
    sweepRows.push([label(size), tJs * 1e9, tScratch * 1e9, tJs / tScratch]);
  }

  printTable(
    'Checksum throughput, GB/s (median of 21 interleaved rounds). JS = jsChecksum (this ' +
      'work); old JS = the byte-pair loop it replaced; WASM = engine.sum(view); sumAt = raw pointer',
    ['size', 'old JS', 'JS', 'WASM', 'WASM sumAt', 'WASM/JS', 'WASM/old JS', 'WASM ns/call'],
    sumRows,
  );
  printTable(
    'Copy throughput, GB/s (time relative to plain copy); all arrays in the WASM memory',
    ['size', 'copy (set)', 'copyWithin', 'copy, then WASM sum', 'fused WASM copysum', 'JS copyAndSum'],
    copyRows,
  );
  printTable(
    'Fallback paths, GB/s: sum of an array outside the memory (JS vs scratch copy + WASM); ' +
      'copyAndSum from outside into the memory (JS vs set + in-place WASM sum); from the memory out',
    ['size', 'foreign sum JS', 'foreign sum engine', 'into mem JS', 'into mem engine', 'out of mem engine'],
    fallbackRows,
  );
  printTable('What bounds WASM/JS (same run)', ['quantity', 'value'], limitRows);
  printTable(
    'Summing an array outside the memory, ns per call: JS word path vs subarray + copy into scratch + WASM',
    ['size', 'JS', 'via scratch', 'JS/scratch'],
    sweepRows,
  );
  printTable(
    'Targets (issue A "Done when")',
    ['target', 'measured', 'goal', 'met'],
    targets.map((t) => [t.name, t.value.toFixed(2), t.goal, t.ok ? 'yes' : 'NO']),
  );
}
