/**
 * One simulated CPU: its queues, what it is running, and its busy-time counters.
 *
 * Owns: per-CPU state (softirq queue, pending effects, current work item, the
 * process that owns the CPU, busy time per context) and FnQueue, the allocation-
 * free FIFO of (fn, ctx) pairs used for softirq work and buffered effects.
 * Must not: decide what runs next — scheduler.ts does.
 */
import type { Nanos, Timer, TimerCallback } from '../time/clock.js';
import type { Process } from './process.js';

/** A FIFO ring of (fn, ctx) pairs; grows by doubling, never shrinks. */
export class FnQueue {
  private fns: (TimerCallback<unknown> | undefined)[] = new Array(16).fill(undefined);
  private ctxs: unknown[] = new Array(16).fill(undefined);
  private head = 0;
  private n = 0;

  get length(): number {
    return this.n;
  }

  push<C>(fn: TimerCallback<C>, ctx: C): void {
    if (this.n === this.fns.length) this.grow();
    const i = (this.head + this.n) & (this.fns.length - 1);
    this.fns[i] = fn as TimerCallback<unknown>;
    this.ctxs[i] = ctx;
    this.n++;
  }

  /** Remove the head and run it. Caller checks length > 0. */
  runOne(): void {
    const i = this.head;
    const fn = this.fns[i]!;
    const ctx = this.ctxs[i];
    this.fns[i] = undefined;
    this.ctxs[i] = undefined;
    this.head = (i + 1) & (this.fns.length - 1);
    this.n--;
    fn(ctx);
  }

  private grow(): void {
    const cap = this.fns.length;
    const fns: (TimerCallback<unknown> | undefined)[] = new Array(cap * 2).fill(undefined);
    const ctxs: unknown[] = new Array(cap * 2).fill(undefined);
    for (let k = 0; k < this.n; k++) {
      fns[k] = this.fns[(this.head + k) & (cap - 1)];
      ctxs[k] = this.ctxs[(this.head + k) & (cap - 1)];
    }
    this.fns = fns;
    this.ctxs = ctxs;
    this.head = 0;
  }
}

export const ITEM_IDLE = 0;
export const ITEM_SOFTIRQ = 1;
export const ITEM_PROCESS = 2;

export class Cpu {
  /** Softirq work raised on this CPU, FIFO. */
  readonly softirq = new FnQueue();
  /** Effects of the running work item, released when it completes. */
  readonly effects = new FnQueue();
  /** ITEM_IDLE, ITEM_SOFTIRQ or ITEM_PROCESS: the work item in progress. */
  item = ITEM_IDLE;
  itemStart: Nanos = 0;
  itemEnd: Nanos = 0;
  /** The current item is a process compute chunk that softirq work may cut short. */
  preemptible = false;
  /** The process that owns this CPU (running), between and during its steps. */
  proc: Process | null = null;
  /** The process whose step this CPU ran last (context-switch cost when it changes). */
  lastProc: Process | null = null;
  /** Completed busy time per context (ns). */
  softirqNs = 0;
  processNs = 0;
  softirqItems = 0;
  processSteps = 0;
  /** Longest softirq queue seen. */
  maxSoftirqQueue = 0;
  /**
   * Softirq budget state (scheduler.ts, "Softirq budget and ksoftirqd"): start and
   * end of the current back-to-back run of softirq items (NaN: none), and this CPU's
   * ksoftirqd pseudo-process, created on first use. While `deferSoftirq` is set the
   * ksoftirqd process is runnable or running and softirq work waits for its turn.
   */
  softirqRunStart: Nanos = NaN;
  softirqRunEnd: Nanos = NaN;
  deferSoftirq = false;
  ksoftirqd: Process | null = null;
  /** The current ITEM_SOFTIRQ item is run by ksoftirqd (part of softirqNs). */
  itemByKsoftirqd = false;
  /** Softirq time run by ksoftirqd (a part of softirqNs, never added to processNs). */
  ksoftirqdNs = 0;
  /** Times softirq work was handed to ksoftirqd because the budget ran out. */
  ksoftirqdWakeups = 0;
  /** Dispatch timer: fires at the end of the current item, or "now" to start one. */
  timer!: Timer;

  constructor(readonly id: number) {}

  /** Busy time in each context up to `now`, counting the in-progress item's elapsed part. */
  busyAt(now: Nanos): { softirqNs: number; processNs: number } {
    let s = this.softirqNs;
    let p = this.processNs;
    if (this.item !== ITEM_IDLE) {
      const part = Math.max(0, Math.min(now, this.itemEnd) - this.itemStart);
      if (this.item === ITEM_SOFTIRQ) s += part;
      else p += part;
    }
    return { softirqNs: s, processNs: p };
  }
}
