/**
 * Benchmark helpers: wall-clock timing with medians, printed as plain tables.
 * Benchmarks may read the wall clock; the stack may not (DESIGN principle 2).
 */
import { performance } from 'node:perf_hooks';

export interface Sample {
  /** Median seconds per call of the measured function. */
  medianSeconds: number;
  /** All per-call times of each round, seconds. */
  rounds: number[];
}

/**
 * Time `fn` in `rounds` rounds; each round calls it enough times to last about
 * `roundMs` milliseconds (calibrated once). Returns the median per-call time.
 */
export function measure(fn: () => void, opts: { rounds?: number; roundMs?: number } = {}): Sample {
  const rounds = opts.rounds ?? 15;
  const roundMs = opts.roundMs ?? 40;
  // Warm up and calibrate the number of calls per round.
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= roundMs / 4 || calls >= 1 << 30) {
      calls = Math.max(1, Math.round((calls * roundMs) / Math.max(dt, 0.001)));
      break;
    }
    calls *= 4;
  }
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    times.push((performance.now() - t0) / 1000 / calls);
  }
  return { medianSeconds: median(times), rounds: times };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Print rows as an aligned text table. */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  console.log(`\n${title}`);
  for (const [k, r] of cells.entries()) {
    console.log(r.map((c, i) => String(c).padStart(widths[i]!)).join('  '));
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Keeps results observable so the JIT cannot drop the measured work. */
export let sink = 0;
export function consume(x: number): void {
  sink = (sink + x) | 0;
}
