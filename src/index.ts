/**
 * zerostack's public entry point. Re-exports the layers a user composes.
 */
export * from './time/clock.js';
export * from './wire/checksum.js';
export type * from './link/nic.js';
