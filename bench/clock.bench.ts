/**
 * Clock benchmarks.
 *
 * 1. VirtualClock steady state: N timers stay pending; each fired timer re-arms
 *    itself at now + a pseudo-random delay (fixed-seed PRNG, precomputed table),
 *    so every event is one pop + one insert at a random position. Reported as
 *    events/s (median of rounds) for N = 1k, 100k, 1M, against a baseline measured
 *    in the same run: a plain binary heap of {time, seq} objects (no index, no
 *    typed arrays) doing the same pop + push.
 *    The baseline cannot cancel or re-arm (no index); the clock can, so its
 *    O(log n) re-arm of an armed timer (an RTO restart) is reported beside it.
 * 2. VirtualClock defer: defer + run, events/s.
 * 3. RealClock arm + cancel and re-arm, ns per op, against Node's own
 *    setTimeout + clearTimeout and timeout.refresh().
 */
import { NS_PER_MS, NS_PER_S, RealClock, VirtualClock, type Timer } from '../src/time/index.js';
import { Prng } from '../src/util/prng.js';
import { consume, measure, printTable } from './util.js';

const STEPS = 1000; // events per measured call
const DELAYS = 4096; // size of the precomputed delay table (power of two)

function delayTable(maxNs: number): Float64Array {
  const rng = new Prng('clock.bench');
  const t = new Float64Array(DELAYS);
  for (let i = 0; i < DELAYS; i++) t[i] = rng.int(1, maxNs);
  return t;
}

/** VirtualClock with n self-re-arming timers; returns events per second. */
function virtualSteadyState(n: number, delays: Float64Array): number {
  const clock = new VirtualClock();
  const timers: Timer[] = new Array(n);
  let k = 0;
  const onFire = (i: number): void => {
    timers[i]!.armAfter(delays[k++ & (DELAYS - 1)]!);
  };
  for (let i = 0; i < n; i++) {
    timers[i] = clock.createTimer(onFire, i);
    timers[i]!.armAfter(delays[k++ & (DELAYS - 1)]!);
  }
  const s = measure(() => {
    for (let j = 0; j < STEPS; j++) clock.step();
  });
  if (clock.pending !== n) throw new Error(`steady state broken: ${clock.pending} pending, expected ${n}`);
  consume(clock.now());
  return STEPS / s.medianSeconds;
}

/** ns per re-arm of a random armed timer (an RTO restart) with n timers armed, virtual time. */
function virtualRearm(n: number, delays: Float64Array): number {
  const clock = new VirtualClock();
  const timers: Timer[] = new Array(n);
  for (let i = 0; i < n; i++) {
    timers[i] = clock.createTimer(() => undefined, null);
    timers[i]!.armAfter(delays[i & (DELAYS - 1)]!);
  }
  let k = 0;
  let x = 1;
  const s = measure(() => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0; // cheap index stream
    timers[x % n]!.armAfter(delays[k++ & (DELAYS - 1)]!);
  });
  return s.medianSeconds * 1e9;
}

/** Baseline: binary heap of event objects ordered by (time, seq); pop + push per event. */
interface Ev {
  time: number;
  seq: number;
}
class ObjectHeap {
  a: Ev[] = [];
  private less(x: Ev, y: Ev): boolean {
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }
  push(e: Ev): void {
    const a = this.a;
    let i = a.length;
    a.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(e, a[p]!)) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = e;
  }
  pop(): Ev {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    const n = a.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && this.less(a[c + 1]!, a[c]!)) c++;
        if (!this.less(a[c]!, last)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function baselineSteadyState(n: number, delays: Float64Array): number {
  const heap = new ObjectHeap();
  let seq = 0;
  let k = 0;
  let now = 0;
  for (let i = 0; i < n; i++) heap.push({ time: delays[k++ & (DELAYS - 1)]!, seq: ++seq });
  const s = measure(() => {
    for (let j = 0; j < STEPS; j++) {
      const e = heap.pop();
      now = e.time;
      e.time = now + delays[k++ & (DELAYS - 1)]!; // reuse the event object, like a re-armed timer
      e.seq = ++seq;
      heap.push(e);
    }
  });
  consume(now);
  return STEPS / s.medianSeconds;
}

function virtualDefer(): number {
  // Every deferred event runs at virtual time 0: lift the runaway guard.
  const clock = new VirtualClock({ maxEventsPerInstant: Number.MAX_SAFE_INTEGER });
  let count = 0;
  const fn = (): void => void count++;
  const s = measure(() => {
    for (let j = 0; j < STEPS; j++) clock.defer(fn, null);
    for (let j = 0; j < STEPS; j++) clock.step();
  });
  consume(count);
  return STEPS / s.medianSeconds;
}

/** ns per (arm + cancel) on a RealClock with `others` other timers armed. */
function realArmCancel(others: number): number {
  const clock = new RealClock({ unref: true });
  const rng = new Prng('real');
  for (let i = 0; i < others; i++) clock.createTimer(() => undefined, null).armAfter(NS_PER_S + rng.int(0, 10 * NS_PER_S));
  const t = clock.createTimer(() => undefined, null);
  const s = measure(() => {
    t.armAfter(2 * NS_PER_S);
    t.cancel();
  });
  clock.close();
  return s.medianSeconds * 1e9;
}

/** ns per re-arm of an armed timer (an RTO restart) with `others` other timers armed. */
function realRearm(others: number): number {
  const clock = new RealClock({ unref: true });
  const rng = new Prng('real');
  for (let i = 0; i < others; i++) clock.createTimer(() => undefined, null).armAfter(NS_PER_S + rng.int(0, 10 * NS_PER_S));
  const t = clock.createTimer(() => undefined, null);
  t.armAfter(200 * NS_PER_MS);
  const s = measure(() => t.armAfter(200 * NS_PER_MS));
  clock.close();
  return s.medianSeconds * 1e9;
}

function nodeSetClear(): number {
  const noop = (): void => undefined;
  const s = measure(() => {
    const h = setTimeout(noop, 2000);
    clearTimeout(h);
  });
  return s.medianSeconds * 1e9;
}

function nodeRefresh(): number {
  const h = setTimeout(() => undefined, 200);
  h.unref();
  const s = measure(() => h.refresh());
  clearTimeout(h);
  return s.medianSeconds * 1e9;
}

/** 'N.Nx faster' or 'N.Nx slower' for ours vs a baseline, both in ns/op. */
function versus(baselineNs: number, oursNs: number): string {
  const r = baselineNs / oursNs;
  return r >= 1 ? `${r.toFixed(1)}x faster` : `${(1 / r).toFixed(1)}x slower`;
}

export function run(): void {
  const rows: (string | number)[][] = [];
  // Delays up to 10 ms of virtual time: re-armed timers land all over the heap.
  const delays = delayTable(10 * NS_PER_MS);
  for (const n of [1_000, 100_000, 1_000_000]) {
    const v = virtualSteadyState(n, delays);
    const b = baselineSteadyState(n, delays);
    const r = virtualRearm(n, delays);
    rows.push([n.toLocaleString('en-US'), (v / 1e6).toFixed(2), (b / 1e6).toFixed(2), `${(v / b).toFixed(2)}x`, r]);
  }
  printTable(
    'VirtualClock schedule+fire, steady state (each fired timer re-arms at now + random delay); re-arm = move a random armed timer',
    ['pending timers', 'VirtualClock Mevents/s', 'baseline binary object heap Mevents/s', 'ratio', 'VirtualClock re-arm ns/op'],
    rows,
  );

  const d = virtualDefer();
  printTable('VirtualClock defer + run', ['case', 'Mevents/s'], [['defer then step, 1000 at a time', (d / 1e6).toFixed(2)]]);

  const setClear = nodeSetClear();
  const refresh = nodeRefresh();
  const real: (string | number)[][] = [];
  for (const others of [0, 100_000]) {
    const ac = realArmCancel(others);
    const ra = realRearm(others);
    real.push([`RealClock arm+cancel, ${others.toLocaleString('en-US')} others armed`, ac, versus(setClear, ac)]);
    real.push([`RealClock re-arm (RTO restart), ${others.toLocaleString('en-US')} others armed`, ra, versus(refresh, ra)]);
  }
  real.push(['Node setTimeout+clearTimeout (baseline for arm+cancel)', setClear, 'baseline']);
  real.push(['Node timeout.refresh() (baseline for re-arm)', refresh, 'baseline']);
  printTable('RealClock timer operations', ['operation', 'ns/op', 'vs Node'], real);
}

if (import.meta.url === `file://${process.argv[1]}`) run();
