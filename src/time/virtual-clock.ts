/**
 * VirtualClock: the discrete-event scheduler every simulation and test runs on.
 *
 * Owns: virtual "now", the armed timers, the deferred-work queue, the order in
 * which they run, and the runaway guards.
 * Must not: read the wall clock, arm Node timers, or run anything unless asked
 * (step/runUntil/runFor/runUntilIdle): time moves only when the caller says so.
 *
 * Semantics (the rules the tests in test/time/virtual-clock.test.ts check):
 *  - Every event is a (time, sequence) pair. The clock runs events in increasing
 *    time, and events at the same time in increasing sequence. The sequence is a
 *    counter shared by timers and deferred work, taken when a timer is (re-)armed
 *    or work is deferred — so ties go to whoever was scheduled first, never to
 *    object identity. Re-arming a timer gives it a fresh sequence number, even
 *    at an unchanged deadline (it moves behind same-time events armed meanwhile).
 *  - `defer(fn, ctx)` is an event at `now` with a fresh sequence number: it runs
 *    after everything already scheduled for `now` (timers and earlier deferred
 *    work) and before anything scheduled for `now` afterwards. Deferred work is
 *    FIFO among itself. It lives in a ring buffer, not the heap (O(1), no
 *    allocation in steady state); step() merges both sources by (time, seq).
 *  - Time never goes backwards. Arming a timer in the past fires it at `now`
 *    (as if armed at now). runUntil(t) runs every event with time <= t, then sets
 *    now = t exactly, even if no event was at t.
 *  - A timer is disarmed before its callback runs, so the callback may re-arm it
 *    (or cancel/arm any other timer).
 *  - A callback that throws: the exception propagates out of step/runUntil/…;
 *    the event has been consumed, `now` is that event's time, and every other
 *    event is still scheduled, so the caller may continue calling run methods.
 *  - Runaway guard: more than `maxEventsPerInstant` events at one virtual time
 *    throws RunawayEventLoopError('sameTime') before running the next one (and
 *    restarts the count, so a caller that knows better can continue).
 *  - Run methods are not re-entrant: calling one from inside a callback throws
 *    ClockReentrancyError.
 *  - Deadlines are safe integers (ns); arm() rejects anything else with a
 *    RangeError rather than let a fractional or NaN time into the ordering.
 *
 * Allocation: none per arm, cancel, fire or defer in steady state. Timers are
 * created once and re-armed; the heap (timer-heap.ts) holds the timer objects
 * themselves with their keys in typed arrays, and the defer ring holds (fn, ctx)
 * pairs; both only grow (by doubling) when a new high-water mark is reached.
 */
import type { Clock, Nanos, Timer, TimerCallback } from './clock.js';
import { ClockReentrancyError, RunawayEventLoopError } from './errors.js';
import { checkDeadline, HeapTimer, TimerHeap, type TimerOwner } from './timer-heap.js';

export interface VirtualClockOptions {
  /** Initial virtual time in ns (default 0). */
  start?: Nanos;
  /**
   * Most events allowed at a single virtual time before RunawayEventLoopError
   * (default 1,000,000). A real protocol does a bounded amount of work per instant.
   */
  maxEventsPerInstant?: number;
}

export interface RunUntilIdleOptions {
  /** Throw RunawayEventLoopError('maxEvents') instead of running more than this many events. */
  maxEvents?: number;
  /** Absolute virtual time (ns): throw RunawayEventLoopError('maxTime') rather than run an event after it. */
  maxTime?: Nanos;
}

export const DEFAULT_MAX_EVENTS_PER_INSTANT = 1_000_000;

type AnyCallback = TimerCallback<unknown>;

export class VirtualClock implements Clock, TimerOwner {
  readonly maxEventsPerInstant: number;
  /** Events run since creation (timers fired + deferred callbacks run). */
  eventsRun = 0;

  private time: Nanos;
  /** Last sequence number handed out (timers and deferred work share it). */
  private seq = 0;
  /** Events run at the current `time` (runaway guard). */
  private instantEvents = 0;
  private running = false;
  private readonly heap = new TimerHeap();

  // Deferred work: a FIFO ring of (fn, ctx, seq); all of it is due at `time`.
  private qFns: (AnyCallback | undefined)[] = new Array(16).fill(undefined);
  private qCtxs: unknown[] = new Array(16).fill(undefined);
  private qSeqs = new Float64Array(16);
  private qHead = 0;
  private qCount = 0;

  constructor(opts: VirtualClockOptions = {}) {
    const start = opts.start ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`start must be a non-negative integer number of ns; got ${String(start)}`);
    }
    const max = opts.maxEventsPerInstant ?? DEFAULT_MAX_EVENTS_PER_INSTANT;
    if (!(Number.isSafeInteger(max) && max > 0)) {
      throw new RangeError(`maxEventsPerInstant must be a positive integer; got ${String(max)}`);
    }
    this.time = start;
    this.maxEventsPerInstant = max;
  }

  now(): Nanos {
    return this.time;
  }

  createTimer<C>(fn: TimerCallback<C>, ctx: C): Timer {
    return new HeapTimer<C>(this, fn, ctx);
  }

  /** Run `fn(ctx)` as an event at `now`, after everything already scheduled for `now` (see module comment). */
  defer<C>(fn: TimerCallback<C>, ctx: C): void {
    if (this.qCount === this.qSeqs.length) this.growQueue();
    const i = (this.qHead + this.qCount) & (this.qSeqs.length - 1);
    this.qFns[i] = fn as AnyCallback;
    this.qCtxs[i] = ctx;
    this.qSeqs[i] = ++this.seq;
    this.qCount++;
  }

  /** Number of scheduled events: armed timers plus deferred work. */
  get pending(): number {
    return this.heap.size + this.qCount;
  }

  /** Time of the next event (ns), or Infinity when nothing is scheduled. */
  nextEventTime(): Nanos {
    return this.qCount > 0 ? this.time : this.heap.topDeadline();
  }

  /** Run the next event, advancing time to it. Returns false (and does nothing) when nothing is scheduled. */
  step(): boolean {
    this.enter('step');
    try {
      return this.runOne(Infinity);
    } finally {
      this.running = false;
    }
  }

  /**
   * Run every event with time <= t (including events those events schedule at or
   * before t), then set now = t. Returns the number of events run. `t` must be an
   * integer >= now.
   */
  runUntil(t: Nanos): number {
    if (!Number.isSafeInteger(t) || t < this.time) {
      throw new RangeError(`runUntil: t must be an integer number of ns >= now (${this.time}); got ${t}`);
    }
    this.enter('runUntil');
    let n = 0;
    try {
      while (this.runOne(t)) n++;
    } finally {
      this.running = false;
    }
    if (this.time < t) {
      this.time = t;
      this.instantEvents = 0;
    }
    return n;
  }

  /** runUntil(now + dt). `dt` must be a non-negative integer. */
  runFor(dt: Nanos): number {
    if (!Number.isSafeInteger(dt) || dt < 0) {
      throw new RangeError(`runFor: dt must be a non-negative integer number of ns; got ${dt}`);
    }
    return this.runUntil(this.time + dt);
  }

  /**
   * Run events until none is scheduled; returns the number run. Leaves now at the
   * last event's time. Safety limits throw RunawayEventLoopError (the offending
   * event stays scheduled): `maxEvents` (default unlimited), `maxTime` (absolute,
   * default unlimited), and always the per-instant guard.
   */
  runUntilIdle(opts: RunUntilIdleOptions = {}): number {
    const maxEvents = opts.maxEvents ?? Infinity;
    const maxTime = opts.maxTime ?? Infinity;
    if (!(maxEvents >= 0) || (maxEvents !== Infinity && !Number.isSafeInteger(maxEvents))) {
      throw new RangeError(`maxEvents must be a non-negative integer; got ${maxEvents}`);
    }
    if (!(maxTime >= 0) || (maxTime !== Infinity && !Number.isSafeInteger(maxTime))) {
      throw new RangeError(`maxTime must be a non-negative integer number of ns; got ${maxTime}`);
    }
    this.enter('runUntilIdle');
    let n = 0;
    try {
      while (this.heap.size + this.qCount > 0) {
        if (n >= maxEvents) throw new RunawayEventLoopError('maxEvents', this.time, n, maxEvents);
        if (this.nextEventTime() > maxTime) throw new RunawayEventLoopError('maxTime', this.time, n, maxTime);
        this.runOne(Infinity);
        n++;
      }
    } finally {
      this.running = false;
    }
    return n;
  }

  /** @internal TimerOwner: arm or re-arm. */
  armTimer(t: HeapTimer<unknown>, at: Nanos): void {
    checkDeadline(at);
    if (at < this.time) at = this.time; // a deadline in the past fires at now, never earlier
    const s = ++this.seq;
    t.deadline = at;
    if (t.heapIndex >= 0) this.heap.update(t, at, s);
    else this.heap.push(t, at, s);
  }

  /** @internal TimerOwner: disarm. */
  cancelTimer(t: HeapTimer<unknown>): void {
    this.heap.remove(t);
  }

  private enter(method: string): void {
    if (this.running) throw new ClockReentrancyError(method);
    this.running = true;
  }

  /** Run the next event if its time is <= limit. */
  private runOne(limit: Nanos): boolean {
    const heap = this.heap;
    let fromQueue: boolean;
    let at: Nanos;
    if (this.qCount > 0) {
      // Deferred work is due at `time`; a timer goes first only if it is due at
      // `time` too and was scheduled earlier. (Invariant: every armed deadline is
      // >= time, so a timer chosen here is due exactly at `time`.)
      at = this.time;
      fromQueue = heap.size === 0 || heap.topDeadline() > at || heap.topSeq() > this.qSeqs[this.qHead]!;
    } else if (heap.size > 0) {
      at = heap.topDeadline();
      fromQueue = false;
    } else {
      return false;
    }
    if (at > limit) return false;

    if (at === this.time) {
      if (this.instantEvents >= this.maxEventsPerInstant) {
        const n = this.instantEvents;
        this.instantEvents = 0;
        throw new RunawayEventLoopError('sameTime', at, n, this.maxEventsPerInstant);
      }
      this.instantEvents++;
    } else {
      this.time = at;
      this.instantEvents = 1;
    }
    this.eventsRun++;

    if (fromQueue) {
      const h = this.qHead;
      const fn = this.qFns[h]!;
      const ctx = this.qCtxs[h];
      this.qFns[h] = undefined;
      this.qCtxs[h] = undefined;
      this.qHead = (h + 1) & (this.qSeqs.length - 1);
      this.qCount--;
      fn(ctx);
    } else {
      const t = heap.pop(); // disarmed before the callback so it can re-arm itself
      t.fn(t.ctx);
    }
    return true;
  }

  private growQueue(): void {
    const cap = this.qSeqs.length;
    const fns: (AnyCallback | undefined)[] = new Array(cap * 2).fill(undefined);
    const ctxs: unknown[] = new Array(cap * 2).fill(undefined);
    const seqs = new Float64Array(cap * 2);
    for (let k = 0; k < this.qCount; k++) {
      const i = (this.qHead + k) & (cap - 1);
      fns[k] = this.qFns[i];
      ctxs[k] = this.qCtxs[i];
      seqs[k] = this.qSeqs[i]!;
    }
    this.qFns = fns;
    this.qCtxs = ctxs;
    this.qSeqs = seqs;
    this.qHead = 0;
  }
}
