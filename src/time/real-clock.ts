/**
 * RealClock: the Clock for real links (TAP, UDP, QEMU), on Node's event loop.
 *
 * Owns: monotonic time since creation, the armed timers, one Node timer for the
 * earliest of them, and one setImmediate for deferred work.
 * Must not: be used by simulations (they take a VirtualClock), or fire a timer
 * before its deadline.
 *
 * Coalescing. Armed timers live in our own heap (timer-heap.ts); Node sees ONE
 * setTimeout, for the earliest deadline rounded up to the clock's granularity
 * (default 1 ms), so 100k armed TCP timers cost one Node timer, and all deadlines
 * in the same granule fire in one wake-up. The Node timer is replaced only when
 * an arm moves the earliest wake-up earlier, or when it fires. Cancelling or
 * postponing the earliest timer leaves the Node timer alone: the stale wake-up
 * finds nothing due and re-arms for the new earliest (STYLE lesson 4 — cheap
 * RTO restarts). When no timer is armed the stale Node timer is unref'd, so it
 * never keeps the process alive.
 *
 * Never early. Node's timers count from the event loop's cached time, so a
 * setTimeout can fire a little before our hrtime deadline. A wake-up fires only
 * timers whose deadline <= now(); anything not yet due waits for the next
 * wake-up. Lateness is up to one granule plus Node's own timer lateness.
 *
 * Order. A wake-up fires due timers by (deadline, arm sequence) — the same
 * rule as the VirtualClock. To never starve I/O it fires at most as many timers
 * as were armed when it started, and only those due at its start; a timer
 * re-armed at or before now from a callback fires on the next wake-up. A
 * deadline in the past is kept as given (it is due at once).
 *
 * Deferred work. `defer` appends to a FIFO queue drained by one setImmediate
 * callback. setImmediate rather than queueMicrotask: microtasks run before the
 * event loop can poll for I/O, so a stack that keeps deferring (e.g. a busy
 * connection) would starve its own links; immediates run once per loop
 * iteration, after I/O polling. A drain runs only the work queued before it
 * started; work deferred from inside it runs on the next iteration (Node's own
 * setImmediate rule).
 *
 * Errors. A callback that throws propagates out of the Node timer/immediate
 * callback (Node reports an uncaught exception, as for its own timers). The
 * clock stays consistent first: the Node timer or immediate is re-armed for
 * whatever is still pending.
 *
 * close() disarms every timer, drops deferred work and releases the Node
 * handles; after it, arm() and defer() do nothing.
 */
import type { Clock, Nanos, Timer, TimerCallback } from './clock.js';
import { NS_PER_MS } from './clock.js';
import { checkDeadline, HeapTimer, TimerHeap, type TimerOwner } from './timer-heap.js';

/** Where a RealClock gets its Node timers. Injectable so tests can count them. */
export interface TimerBackend {
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(cb: () => void): unknown;
  clearImmediate(handle: unknown): void;
}

/** Node's global timer functions. */
export const nodeTimerBackend: TimerBackend = {
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setImmediate: (cb) => setImmediate(cb),
  clearImmediate: (h) => clearImmediate(h as NodeJS.Immediate),
};

export interface RealClockOptions {
  /**
   * Wake-up granularity in ns (default 1 ms): deadlines in the same granule fire
   * in one wake-up. Must be a positive integer; 1 disables coalescing beyond
   * what Node's millisecond timers do anyway.
   */
  granularity?: Nanos;
  /** unref() the Node timer so armed timers alone do not keep the process alive (default false). */
  unref?: boolean;
  /** Source of Node timers (default: Node's globals). */
  backend?: TimerBackend;
}

/** Counters, for tests and reports. */
export interface RealClockStats {
  /** Node timers created (setTimeout calls). */
  nodeTimersArmed: number;
  /** Node timer callbacks run. */
  wakeups: number;
  timersFired: number;
  deferredRun: number;
}

/** setTimeout's largest delay; longer ones wake up early and re-arm. */
const MAX_NODE_DELAY_MS = 2 ** 31 - 1;

type AnyCallback = TimerCallback<unknown>;

export class RealClock implements Clock, TimerOwner {
  readonly granularity: Nanos;
  readonly stats: RealClockStats = { nodeTimersArmed: 0, wakeups: 0, timersFired: 0, deferredRun: 0 };

  private readonly origin = process.hrtime.bigint();
  private readonly backend: TimerBackend;
  private readonly unref: boolean;
  private readonly heap = new TimerHeap();
  private seq = 0;
  private isClosed = false;

  private nodeTimer: unknown = undefined;
  /** Clock time (ns) the Node timer is due at; Infinity when none is armed. */
  private wakeAt = Infinity;
  /** The Node timer was unref'd because no timer is armed (see cancelTimer). */
  private staleUnrefd = false;
  /** True while a wake-up is firing timers (it re-arms the Node timer once, at the end). */
  private inWake = false;
  private readonly onWake = (): void => this.wake();

  private immediate: unknown = undefined;
  private readonly onImmediate = (): void => this.drainDeferred();
  private qFns: (AnyCallback | undefined)[] = new Array(16).fill(undefined);
  private qCtxs: unknown[] = new Array(16).fill(undefined);
  private qHead = 0;
  private qCount = 0;

  constructor(opts: RealClockOptions = {}) {
    const g = opts.granularity ?? NS_PER_MS;
    if (!(Number.isSafeInteger(g) && g > 0)) {
      throw new RangeError(`granularity must be a positive integer number of ns; got ${String(g)}`);
    }
    this.granularity = g;
    this.unref = opts.unref ?? false;
    this.backend = opts.backend ?? nodeTimerBackend;
  }

  /** Monotonic ns since this clock was created (an integer). */
  now(): Nanos {
    return Number(process.hrtime.bigint() - this.origin);
  }

  createTimer<C>(fn: TimerCallback<C>, ctx: C): Timer {
    return new HeapTimer<C>(this, fn, ctx);
  }

  defer<C>(fn: TimerCallback<C>, ctx: C): void {
    if (this.isClosed) return;
    if (this.qCount === this.qFns.length) this.growQueue();
    const i = (this.qHead + this.qCount) & (this.qFns.length - 1);
    this.qFns[i] = fn as AnyCallback;
    this.qCtxs[i] = ctx;
    this.qCount++;
    if (this.immediate === undefined) this.immediate = this.backend.setImmediate(this.onImmediate);
  }

  /** Armed timers plus deferred work not yet run. */
  get pending(): number {
    return this.heap.size + this.qCount;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Disarm every timer, drop deferred work, release the Node timer and immediate. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.nodeTimer !== undefined) this.backend.clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    this.wakeAt = Infinity;
    if (this.immediate !== undefined) this.backend.clearImmediate(this.immediate);
    this.immediate = undefined;
    this.heap.clear();
    this.qFns.fill(undefined);
    this.qCtxs.fill(undefined);
    this.qHead = 0;
    this.qCount = 0;
  }

  /** @internal TimerOwner: arm or re-arm. */
  armTimer(t: HeapTimer<unknown>, at: Nanos): void {
    checkDeadline(at);
    if (this.isClosed) return;
    const s = ++this.seq;
    t.deadline = at;
    if (t.heapIndex >= 0) this.heap.update(t, at, s);
    else this.heap.push(t, at, s);
    // Only an earlier wake-up needs a new Node timer; a wake-up in progress re-arms at its end.
    if (this.inWake) return;
    if (this.granuleEnd(at) < this.wakeAt) this.scheduleWake();
    else if (this.staleUnrefd) {
      (this.nodeTimer as { ref?: () => void }).ref?.();
      this.staleUnrefd = false;
    }
  }

  /**
   * @internal TimerOwner: disarm. The Node timer is left alone (a stale wake-up
   * is harmless and cheaper than clearTimeout + setTimeout on every RTO restart),
   * but when nothing is armed any more it is unref'd, so a cancelled two-hour
   * keepalive never keeps the process alive; the next arm ref()s it again.
   */
  cancelTimer(t: HeapTimer<unknown>): void {
    this.heap.remove(t);
    if (this.heap.size === 0 && this.nodeTimer !== undefined && !this.unref && !this.staleUnrefd) {
      (this.nodeTimer as { unref?: () => void }).unref?.();
      this.staleUnrefd = true;
    }
  }

  /** The end of the granule containing `at`: the time all deadlines in it are due. */
  private granuleEnd(at: Nanos): Nanos {
    const g = this.granularity;
    return g === 1 ? at : Math.ceil(at / g) * g;
  }

  /** Replace the Node timer with one for the earliest armed deadline (or none). */
  private scheduleWake(): void {
    if (this.nodeTimer !== undefined) this.backend.clearTimeout(this.nodeTimer);
    this.nodeTimer = undefined;
    this.wakeAt = Infinity;
    this.staleUnrefd = false;
    if (this.isClosed || this.heap.size === 0) return;
    const wakeAt = this.granuleEnd(this.heap.topDeadline());
    const ms = Math.min(MAX_NODE_DELAY_MS, Math.max(1, Math.ceil((wakeAt - this.now()) / NS_PER_MS)));
    const h = this.backend.setTimeout(this.onWake, ms);
    if (this.unref) (h as { unref?: () => void } | undefined)?.unref?.();
    this.nodeTimer = h;
    this.wakeAt = wakeAt;
    this.stats.nodeTimersArmed++;
  }

  private wake(): void {
    this.nodeTimer = undefined;
    this.wakeAt = Infinity;
    this.staleUnrefd = false;
    this.stats.wakeups++;
    const heap = this.heap;
    const limit = this.now();
    let budget = heap.size;
    this.inWake = true;
    try {
      while (budget-- > 0 && heap.size > 0 && heap.topDeadline() <= limit) {
        const t = heap.pop(); // disarmed before the callback so it can re-arm itself
        this.stats.timersFired++;
        t.fn(t.ctx);
      }
    } finally {
      this.inWake = false;
      if (this.nodeTimer === undefined) this.scheduleWake();
    }
  }

  private drainDeferred(): void {
    this.immediate = undefined;
    let n = this.qCount; // only work queued before this drain started
    try {
      while (n-- > 0 && this.qCount > 0) {
        const h = this.qHead;
        const fn = this.qFns[h]!;
        const ctx = this.qCtxs[h];
        this.qFns[h] = undefined;
        this.qCtxs[h] = undefined;
        this.qHead = (h + 1) & (this.qFns.length - 1);
        this.qCount--;
        this.stats.deferredRun++;
        fn(ctx);
      }
    } finally {
      if (this.qCount > 0 && this.immediate === undefined && !this.isClosed) {
        this.immediate = this.backend.setImmediate(this.onImmediate);
      }
    }
  }

  private growQueue(): void {
    const cap = this.qFns.length;
    const fns: (AnyCallback | undefined)[] = new Array(cap * 2).fill(undefined);
    const ctxs: unknown[] = new Array(cap * 2).fill(undefined);
    for (let k = 0; k < this.qCount; k++) {
      const i = (this.qHead + k) & (cap - 1);
      fns[k] = this.qFns[i];
      ctxs[k] = this.qCtxs[i];
    }
    this.qFns = fns;
    this.qCtxs = ctxs;
    this.qHead = 0;
  }
}
