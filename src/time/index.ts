/**
 * The time layer: the Clock contract and its two implementations.
 *
 * Owns: re-exports only. Users take a VirtualClock for simulations and tests and
 * a RealClock for real links; the stack itself sees only `Clock`.
 */
export * from './clock.js';
export { VirtualClock, DEFAULT_MAX_EVENTS_PER_INSTANT } from './virtual-clock.js';
export type { VirtualClockOptions, RunUntilIdleOptions } from './virtual-clock.js';
export { RealClock, nodeTimerBackend } from './real-clock.js';
export type { RealClockOptions, RealClockStats, TimerBackend } from './real-clock.js';
export { RunawayEventLoopError, ClockReentrancyError } from './errors.js';
export type { RunawayReason } from './errors.js';
