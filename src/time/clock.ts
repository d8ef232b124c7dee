/**
 * The Clock: the only source of time for all of zerostack (DESIGN principle 2).
 *
 * Owns: what "now" is, one-shot timers, and deferred ("run soon") work.
 * Must not: know anything about packets or protocols.
 *
 * Time is an integer number of nanoseconds held in a JS number. Integers up to
 * 2^53 ns (≈104 days) are exact, so a simulated day (8.64e13 ns) never loses
 * precision. Always keep time values integral (use Math.round/Math.floor when
 * deriving a time from rates) so that comparisons are exact and runs reproducible.
 *
 * Timers are *state*, not closures (STYLE lesson 4): a protocol creates one Timer
 * object per purpose (retransmit, delayed ACK, keepalive…) once, and re-arms or
 * cancels it as often as it likes without allocating. The callback receives the
 * context object given at creation so that no closure is needed per connection.
 */

/** Nanoseconds. Always an integer. */
export type Nanos = number;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** A re-armable one-shot timer owned by whoever created it. */
export interface Timer {
  /** True while armed and not yet fired or cancelled. */
  readonly armed: boolean;
  /** The absolute time (ns) it will fire at; meaningful only while armed. */
  readonly deadline: Nanos;
  /** Arm (or re-arm) to fire at absolute time `at` (ns). A time in the past fires as soon as possible. */
  arm(at: Nanos): void;
  /** Arm (or re-arm) to fire `delay` ns from now. */
  armAfter(delay: Nanos): void;
  /** Disarm; a no-op when not armed. */
  cancel(): void;
}

export type TimerCallback<C> = (ctx: C) => void;

export interface Clock {
  /** Current time in ns. Virtual: simulation time. Real: monotonic time since the clock was created. */
  now(): Nanos;
  /** Create a disarmed timer that calls `fn(ctx)` when it fires. */
  createTimer<C>(fn: TimerCallback<C>, ctx: C): Timer;
  /**
   * Run `fn(ctx)` soon, after the current event/callback returns, in FIFO order
   * with other deferred work (virtual: at the current time, ordered by sequence).
   */
  defer<C>(fn: TimerCallback<C>, ctx: C): void;
}
