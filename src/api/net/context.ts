/**
 * What every `stack.net` object of one Stack shares: the Stack's socket core
 * (descriptor table, BSD calls), its Clock (socket timeouts, deferred work),
 * and the Stack-bound Socket class (the Server builds accepted sockets with it).
 *
 * Owns: nothing but references. Must not: hold per-socket state.
 */
import type { SocketCore } from '../../socket/core.js';
import type { Clock } from '../../time/clock.js';
import type { LookupFunction } from './connect-args.js';

export interface NetContext {
  readonly core: SocketCore;
  readonly clock: Clock;
  /** Stack name, for messages. */
  readonly name: string;
  /** Resolves hostnames other than IP literals and 'localhost' when a connect/listen gives no `lookup` (default: none → ENOTFOUND). */
  defaultLookup: LookupFunction | null;
}
