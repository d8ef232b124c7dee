/**
 * Errors thrown by the clocks.
 *
 * Owns: error classes with stable `code`s (STYLE lesson 13).
 * Must not: be thrown for anything a peer on the network can cause — these are
 * programming or configuration errors (a protocol that re-arms a timer at `now`
 * forever, a simulation that never goes idle).
 */
import type { Nanos } from './clock.js';

/** Which safety limit stopped the event loop. */
export type RunawayReason =
  /** More than `maxEventsPerInstant` events ran without virtual time advancing. */
  | 'sameTime'
  /** runUntilIdle ran `maxEvents` events and there was still work. */
  | 'maxEvents'
  /** runUntilIdle reached `maxTime` and there was still work after it. */
  | 'maxTime';

/**
 * A virtual-time event loop that would not stop: thrown instead of hanging.
 * The clock stays consistent; the event that would have broken the limit has not
 * run and is still pending.
 */
export class RunawayEventLoopError extends Error {
  readonly code = 'ERR_RUNAWAY_EVENT_LOOP' as const;
  override readonly name = 'RunawayEventLoopError';

  constructor(
    readonly reason: RunawayReason,
    /** Virtual time (ns) at which the loop was stopped. */
    readonly time: Nanos,
    /** How many events ran (at `time` for 'sameTime'; in the run for the others). */
    readonly events: number,
    /** The limit that was reached. */
    readonly limit: number,
  ) {
    super(RunawayEventLoopError.describe(reason, time, events, limit));
  }

  private static describe(reason: RunawayReason, time: Nanos, events: number, limit: number): string {
    switch (reason) {
      case 'sameTime':
        return (
          `runaway event loop: ${events} events ran at virtual time ${time} ns without time advancing ` +
          `(maxEventsPerInstant is ${limit}); is a timer re-arming itself at now, or deferred work re-deferring itself?`
        );
      case 'maxEvents':
        return `runaway event loop: runUntilIdle ran ${events} events (maxEvents is ${limit}) and the clock is still not idle at virtual time ${time} ns`;
      case 'maxTime':
        return `runaway event loop: runUntilIdle stopped at virtual time ${time} ns after ${events} events because the next event lies beyond maxTime ${limit} ns; the clock never went idle`;
    }
  }
}

/**
 * A VirtualClock run method (step, runUntil, runFor, runUntilIdle) was called from
 * inside an event the clock is running. Nested run loops would fire events out
 * of order; schedule the work as an event instead.
 */
export class ClockReentrancyError extends Error {
  readonly code = 'ERR_CLOCK_REENTRANT' as const;
  override readonly name = 'ClockReentrancyError';

  constructor(method: string) {
    super(`VirtualClock.${method}() called from inside a timer or deferred callback; arm a timer or defer() instead`);
  }
}
