/**
 * Receive-path strategies (issue F; docs/receive-paths.md): what happens to a
 * TCP segment between demux and processing, and how a reader gets the data.
 *
 *   direct           process on arrival (softirq), reader copies        (modern Linux)
 *   prequeue         a blocked reader's segments wait raw for it; fused checksum+copy
 *                    in the reader's context; delayed ACKs only            (Linux 2.4)
 *   prequeue-hwcsum  prequeue, but verified segments bypass it            (Kleen 2002)
 *   zerocopy         direct, readers take the packet buffers (no copy)
 *
 * Selection: per stack with `setStackReceivePath(stack.tcp, name)` (replaces the
 * TcpLayer's receivePath), per socket with `setReceivePath(endpoint, name)`
 * (null returns to the stack's). Measurement: `configureRxMeasurement(layer, …)`
 * gives every connection an ACK-delay sink; `ackDelayOf(endpoint)` reads it.
 *
 * Owns: the registry by name and the selection / measurement API.
 */
import type { Endpoint } from '../endpoint.js';
import type { Tcb } from '../tcb.js';
import type { TcpLayer } from '../tcp-layer.js';
import { DIRECT_PATH, ZEROCOPY_PATH } from './direct.js';
import { PREQUEUE_HWCSUM_PATH, PREQUEUE_PATH } from './prequeue.js';
import { rxSettings, rxStateOf, type RxLayerSettings, type RxStrategy, type SampleSink } from './state.js';

export { DirectPath, DIRECT_PATH, ZEROCOPY_PATH } from './direct.js';
export { PrequeuePath, PREQUEUE_PATH, PREQUEUE_HWCSUM_PATH, PREQUEUE_ACK_TIMEOUT, SHORT_SEGMENT_BYTES } from './prequeue.js';
export type { PrequeueOptions } from './prequeue.js';
export { RxState, rxStateOf, rxSettings } from './state.js';
export { lockSocket, releaseSocket, processBacklog } from './backlog.js';
export type { RxStrategy, RxLayerSettings, SampleSink } from './state.js';

/** The strategy names (same list as src/lab/types.ts RX_PATHS). */
export type ReceivePathName = 'direct' | 'prequeue' | 'prequeue-hwcsum' | 'zerocopy';

const REGISTRY = new Map<string, RxStrategy>([
  ['direct', DIRECT_PATH],
  ['prequeue', PREQUEUE_PATH],
  ['prequeue-hwcsum', PREQUEUE_HWCSUM_PATH],
  ['zerocopy', ZEROCOPY_PATH],
]);

/** Names known, in registration order. */
export function receivePathNames(): string[] {
  return [...REGISTRY.keys()];
}

/** Add a strategy (tests, experiments). A name already taken is a TypeError. */
export function registerReceivePath(path: RxStrategy): void {
  const p = path as Partial<RxStrategy> | null;
  if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || p.name === '' || typeof p.deliver !== 'function' || typeof p.read !== 'function' || typeof p.flushQueued !== 'function') {
    throw new TypeError('registerReceivePath: a strategy needs a non-empty name and deliver(), read(), flushQueued()');
  }
  if (REGISTRY.has(path.name)) throw new TypeError(`receive path ${JSON.stringify(path.name)} is already registered`);
  REGISTRY.set(path.name, path);
}

/** The strategy called `name`; RangeError naming it (and the known ones) otherwise. */
export function receivePathByName(name: string): RxStrategy {
  const p = typeof name === 'string' ? REGISTRY.get(name) : undefined;
  if (p === undefined) throw new RangeError(`receive path: unknown name ${JSON.stringify(name)} (known: ${receivePathNames().join(', ')})`);
  return p;
}

/** Per stack: every connection without a per-socket choice uses `name`. */
export function setStackReceivePath(layer: TcpLayer, name: string): RxStrategy {
  const p = receivePathByName(name);
  layer.receivePath = p;
  return p;
}

function tcbOf(x: Endpoint | Tcb): Tcb {
  return 'tcb' in x ? x.tcb : x;
}

/**
 * Per socket (the receive-path socket option): `name`, or null for the stack's.
 * Segments already queued by the previous strategy stay with it until its timer
 * or the next read. Returns the strategy now in effect.
 */
export function setReceivePath(ep: Endpoint | Tcb, name: string | null): RxStrategy | null {
  const tcb = tcbOf(ep);
  const rx = rxStateOf(tcb);
  rx.path = name === null ? null : receivePathByName(name);
  return effectiveReceivePath(tcb);
}

/** The strategy a connection uses (null: the layer's path is not one of these, e.g. the built-in direct). */
export function effectiveReceivePath(ep: Endpoint | Tcb): RxStrategy | null {
  const tcb = tcbOf(ep);
  const p = tcb.rx !== null && tcb.rx.path !== null ? tcb.rx.path : tcb.layer.receivePath;
  return REGISTRY.get(p.name) === p ? (p as RxStrategy) : null;
}

/**
 * A reader blocks in recv with a buffer of `len` bytes (Linux ucopy.task /
 * ucopy.len); len 0 unmarks. The next recv() clears the mark itself. Process
 * context (src/host/process-socket.ts calls this right before blocking).
 */
export function markWaitingReader(ep: Endpoint | Tcb, len: number): void {
  rxStateOf(tcbOf(ep)).setReader(len);
}

/** Measurement settings of a layer (apply before connections are made: existing ones keep theirs). */
export function configureRxMeasurement(layer: TcpLayer, settings: Partial<RxLayerSettings>): RxLayerSettings {
  const s = rxSettings(layer);
  if (settings.ackDelaySink !== undefined) s.ackDelaySink = settings.ackDelaySink;
  if (settings.ackDelayAll !== undefined) s.ackDelayAll = settings.ackDelayAll;
  if (settings.deferEffect !== undefined) s.deferEffect = settings.deferEffect;
  return s;
}

/** The connection's ACK-delay sink (time from a segment's arrival to the ACK that covers it), or null. */
export function ackDelayOf(ep: Endpoint | Tcb): SampleSink | null {
  const tcb = tcbOf(ep);
  return tcb.rx !== null ? tcb.rx.ackDelay : null;
}
