/**
 * HostClock: the Clock a simulated host gives its Stack, so that every timer
 * callback runs as softirq work on the host's CPUs (DESIGN principle 7: "a timer
 * fired" is softirq context) and costs CPU time.
 *
 * Owns: timer wrappers that raise softirq work when they expire, tick rounding
 * (cost.timerGranularityNs, e.g. HZ=100), and `defer` as follow-up softirq work.
 * Must not: run stack code outside a host work item.
 *
 * Semantics:
 *  - now() is the underlying clock's now.
 *  - A timer armed for t expires at roundUpToTick(t) and queues softirq work on
 *    the IRQ CPU; the callback runs when that CPU gets to it (later if busy).
 *    Between expiry and the callback the timer still reports `armed` (the
 *    callback is pending); re-arming or cancelling then drops the pending run.
 *  - defer(fn, ctx) inside a work item queues softirq work on the same CPU (it runs
 *    after the current item); outside one, on the IRQ CPU.
 */
import type { Clock, Nanos, Timer, TimerCallback } from '../time/clock.js';
import { roundUpToTick } from './cost-model.js';
import type { Host } from './scheduler.js';

class HostTimer<C> implements Timer {
  /** Expired; the callback is queued as softirq work. */
  pending = false;
  private readonly inner: Timer;
  private firedAt: Nanos = 0;

  constructor(
    readonly host: Host,
    readonly fn: TimerCallback<C>,
    readonly ctx: C,
  ) {
    this.inner = host.clock.createTimer(expire, this as HostTimer<unknown>);
  }

  get armed(): boolean {
    return this.inner.armed || this.pending;
  }

  get deadline(): Nanos {
    return this.inner.armed ? this.inner.deadline : this.firedAt;
  }

  arm(at: Nanos): void {
    this.pending = false;
    this.inner.arm(roundUpToTick(at, this.host.cost.timerGranularityNs));
  }

  armAfter(delay: Nanos): void {
    this.arm(this.host.clock.now() + delay);
  }

  cancel(): void {
    this.pending = false;
    this.inner.cancel();
  }

  /** @internal */
  expired(): void {
    this.pending = true;
    this.firedAt = this.host.clock.now();
    this.host.softirq(runPending, this as HostTimer<unknown>);
  }

  /** @internal */
  runIfPending(): void {
    if (!this.pending) return;
    this.pending = false;
    this.fn(this.ctx);
  }
}

function expire(t: HostTimer<unknown>): void {
  t.expired();
}

function runPending(t: HostTimer<unknown>): void {
  t.runIfPending();
}

export class HostClock implements Clock {
  constructor(readonly host: Host) {}

  now(): Nanos {
    return this.host.clock.now();
  }

  createTimer<C>(fn: TimerCallback<C>, ctx: C): Timer {
    return new HostTimer(this.host, fn, ctx);
  }

  defer<C>(fn: TimerCallback<C>, ctx: C): void {
    const cpu = this.host.currentCpu;
    this.host.softirq(fn, ctx, cpu === null ? this.host.irqCpu : cpu.id);
  }
}
