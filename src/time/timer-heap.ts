/**
 * The timer object both clocks hand out, and the indexed priority queue they
 * keep armed timers in.
 *
 * Owns: ordering of armed timers by (deadline, arm sequence), O(log n) insert,
 * re-key and removal with no allocation in steady state.
 * Must not: read any clock, run callbacks, or decide what "now" is — that is the
 * owning clock's job (virtual-clock.ts, real-clock.ts).
 *
 * Layout. A 4-ary min-heap whose keys live in two parallel Float64Arrays
 * (`deadlines`, `seqs`) next to an array of the timer objects themselves. Each
 * timer stores its own slot index (`heapIndex`, -1 when not in the heap), so
 * cancel and re-arm find it without a search. Keys in typed arrays keep the four
 * children of a node in one cache line, which is what makes a heap of a million
 * timers cheap to sift; a 4-ary heap is half as deep as a binary one
 * (bench/clock.bench.ts measures it against an object-based binary heap).
 *
 * Ordering. Keys compare by deadline, then by the sequence number the clock gave
 * the timer when it was last armed: ties go to the timer armed first, never to
 * object identity (DESIGN "Simulation model"). Sequence numbers and deadlines are
 * integers below 2^53, exact in a float64.
 */
import type { Nanos, Timer, TimerCallback } from './clock.js';

/** What a HeapTimer needs from the clock that created it. Internal to src/time. */
export interface TimerOwner {
  now(): Nanos;
  /** Arm or re-arm `t` at absolute time `at`. */
  armTimer(t: HeapTimer<unknown>, at: Nanos): void;
  /** Remove an armed `t` from the heap. */
  cancelTimer(t: HeapTimer<unknown>): void;
}

/**
 * The Timer implementation of both clocks. One class for every timer so that the
 * heap and the fire loop only ever see one object shape (monomorphic).
 */
export class HeapTimer<C> implements Timer {
  /**
   * Absolute deadline in ns; meaningful only while armed (NaN before the first arm).
   * Starting from a double (NaN), not the small integer 0, gives the field V8's
   * double representation from the first object on: real deadlines exceed 2^31
   * and would otherwise force a map change and a slow migration of every timer
   * already created.
   */
  deadline: Nanos = NaN;
  /** Slot in the owner's heap, or -1 when not armed. Maintained by TimerHeap. */
  heapIndex = -1;

  constructor(
    private readonly owner: TimerOwner,
    readonly fn: TimerCallback<C>,
    readonly ctx: C,
  ) {}

  get armed(): boolean {
    return this.heapIndex >= 0;
  }

  arm(at: Nanos): void {
    this.owner.armTimer(this as HeapTimer<unknown>, at);
  }

  armAfter(delay: Nanos): void {
    this.owner.armTimer(this as HeapTimer<unknown>, this.owner.now() + delay);
  }

  cancel(): void {
    if (this.heapIndex >= 0) this.owner.cancelTimer(this as HeapTimer<unknown>);
  }
}

/** Checks a deadline given to arm(): a safe integer (ns). Throws a RangeError naming the value. */
export function checkDeadline(at: Nanos): void {
  if (!Number.isSafeInteger(at)) {
    throw new RangeError(`timer deadline must be an integer number of ns (a safe integer); got ${at}`);
  }
}

const INITIAL_CAPACITY = 64;

/** Indexed 4-ary min-heap of HeapTimers keyed by (deadline, seq). */
export class TimerHeap {
  private deadlines = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private items: (HeapTimer<unknown> | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  /** Number of timers in the heap. */
  size = 0;

  /** Deadline of the earliest timer; Infinity when empty. */
  topDeadline(): number {
    return this.size > 0 ? this.deadlines[0]! : Infinity;
  }

  /** Sequence number of the earliest timer; Infinity when empty. */
  topSeq(): number {
    return this.size > 0 ? this.seqs[0]! : Infinity;
  }

  /** The earliest timer (undefined when empty), left in the heap. */
  peek(): HeapTimer<unknown> | undefined {
    return this.items[0];
  }

  /** Insert `t` (which must not be in the heap) with key (deadline, seq). */
  push(t: HeapTimer<unknown>, deadline: number, seq: number): void {
    if (this.size === this.deadlines.length) this.grow();
    this.siftUp(this.size++, t, deadline, seq);
  }

  /** Give `t` (which must be in the heap) the key (deadline, seq). */
  update(t: HeapTimer<unknown>, deadline: number, seq: number): void {
    const i = t.heapIndex;
    const od = this.deadlines[i]!;
    if (deadline < od || (deadline === od && seq < this.seqs[i]!)) this.siftUp(i, t, deadline, seq);
    else this.siftDown(i, t, deadline, seq);
  }

  /**
   * Remove and return the earliest timer (its heapIndex becomes -1). The heap
   * must not be empty. Bottom-up ("Floyd") deletion: walk the hole at the root
   * down to a leaf along the smallest children, then sift the last element up
   * from there. The last element usually belongs near the bottom, so this saves
   * a comparison per level over the textbook sift-down.
   */
  pop(): HeapTimer<unknown> {
    const deadlines = this.deadlines;
    const seqs = this.seqs;
    const items = this.items;
    const top = items[0]!;
    top.heapIndex = -1;
    const n = --this.size;
    const lt = items[n]!;
    const ld = deadlines[n]!;
    const ls = seqs[n]!;
    items[n] = undefined;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let m = first;
      let md = deadlines[first]!;
      let ms = seqs[first]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < end; c++) {
        const cd = deadlines[c]!;
        if (cd < md || (cd === md && seqs[c]! < ms)) {
          m = c;
          md = cd;
          ms = seqs[c]!;
        }
      }
      deadlines[i] = md;
      seqs[i] = ms;
      const mt = items[m]!;
      items[i] = mt;
      mt.heapIndex = i;
      i = m;
    }
    this.siftUp(i, lt, ld, ls);
    return top;
  }

  /** Remove `t` (which must be in the heap); its heapIndex becomes -1. */
  remove(t: HeapTimer<unknown>): void {
    this.removeAt(t.heapIndex);
  }

  /** Remove everything (each timer's heapIndex becomes -1). */
  clear(): void {
    for (let i = 0; i < this.size; i++) {
      this.items[i]!.heapIndex = -1;
      this.items[i] = undefined;
    }
    this.size = 0;
  }

  private removeAt(i: number): void {
    const t = this.items[i]!;
    t.heapIndex = -1;
    const last = --this.size;
    if (i === last) {
      this.items[last] = undefined;
      return;
    }
    // Move the last element into the hole and restore the heap property.
    const lt = this.items[last]!;
    const ld = this.deadlines[last]!;
    const ls = this.seqs[last]!;
    this.items[last] = undefined;
    const hd = this.deadlines[i]!;
    if (ld < hd || (ld === hd && ls < this.seqs[i]!)) this.siftUp(i, lt, ld, ls);
    else this.siftDown(i, lt, ld, ls);
  }

  /** Place (t, d, s) at or above hole `i`. */
  private siftUp(i: number, t: HeapTimer<unknown>, d: number, s: number): void {
    const deadlines = this.deadlines;
    const seqs = this.seqs;
    const items = this.items;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pd = deadlines[p]!;
      if (pd < d || (pd === d && seqs[p]! < s)) break;
      deadlines[i] = pd;
      seqs[i] = seqs[p]!;
      const pt = items[p]!;
      items[i] = pt;
      pt.heapIndex = i;
      i = p;
    }
    deadlines[i] = d;
    seqs[i] = s;
    items[i] = t;
    t.heapIndex = i;
  }

  /** Place (t, d, s) at or below hole `i`. */
  private siftDown(i: number, t: HeapTimer<unknown>, d: number, s: number): void {
    const deadlines = this.deadlines;
    const seqs = this.seqs;
    const items = this.items;
    const n = this.size;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      // Smallest of up to four children.
      let m = first;
      let md = deadlines[first]!;
      let ms = seqs[first]!;
      const end = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < end; c++) {
        const cd = deadlines[c]!;
        if (cd < md || (cd === md && seqs[c]! < ms)) {
          m = c;
          md = cd;
          ms = seqs[c]!;
        }
      }
      if (d < md || (d === md && s < ms)) break;
      deadlines[i] = md;
      seqs[i] = ms;
      const mt = items[m]!;
      items[i] = mt;
      mt.heapIndex = i;
      i = m;
    }
    deadlines[i] = d;
    seqs[i] = s;
    items[i] = t;
    t.heapIndex = i;
  }

  private grow(): void {
    const cap = this.deadlines.length * 2;
    const d = new Float64Array(cap);
    d.set(this.deadlines);
    this.deadlines = d;
    const s = new Float64Array(cap);
    s.set(this.seqs);
    this.seqs = s;
    // Keep `items` a packed array of one element kind: grow it with push, never with holes.
    for (let i = this.items.length; i < cap; i++) this.items.push(undefined);
  }
}
