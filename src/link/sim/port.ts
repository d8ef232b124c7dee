/**
 * SimPort: a simulated NIC (implements Nic) for hosts and switches.
 *
 * Owns: the device side of a simulated link — transmit validation (size,
 * checksum-offload requests), receive "DMA" into the host's PacketPool, receive
 * checksum offload, receive batching, and the port's NicStats.
 * Must not: model time, queues or impairments (a PortTransmitter does: wire.ts,
 * pair.ts), know IP beyond what checksum offload needs (offload.ts), or cost the
 * host any CPU (DMA and offload are free; the stack accounts its own work).
 *
 * Transmit: `transmit(frame)` takes ownership. Frames shorter than an Ethernet
 * header or carrying a CSUM_PARTIAL request that does not fit the frame are
 * 'malformed'; CSUM_PARTIAL without txChecksumOffload is a stack bug, also counted
 * 'malformed'; frames over mtu + 14 bytes are 'tooBig'; a closed or unconnected
 * port drops 'down'. Valid frames go to the port's transmitter, which counts
 * 'queueFull', and txFrames/txBytes when the frame has left the device.
 *
 * Receive: transmitters call rxFrame / rxCopyChain / rxAdopt for each arriving
 * frame and rxFlush at the end of a batch (frames that arrive at the same virtual
 * time from one transmitter). Each frame is copied into a fresh buffer from the
 * port's pool (or adopted without a copy when the pair hands over a buffer of the
 * same pool), stamped with clock.now(), and given its csumState:
 *  - rxChecksum 'none': CSUM_NONE.
 *  - 'unnecessary': CSUM_UNNECESSARY iff it is an unfragmented IPv4 TCP/UDP frame
 *    whose L4 checksum verifies; otherwise CSUM_NONE (bad checksums are left for
 *    software to find, as real NICs do).
 *  - 'complete': CSUM_COMPLETE with csumValue = ones'-complement sum of the IPv4
 *    payload (offload.ts ipv4PayloadSum: from the end of the IPv4 header to Total
 *    Length); non-IPv4 or malformed IPv4 frames get CSUM_NONE.
 * The handler gets at most `rxBatch` frames per call (like a NAPI budget); the
 * array is reused. rxFrames/rxBytes count frames handed to the handler; with no
 * handler installed, frames are released and counted as 'down'. Pool exhaustion
 * drops 'noBuffer'. Receive buffers get the pool's default headroom, so the
 * stack may turn a received frame into a reply in place. Ports accept every
 * destination MAC (promiscuous): filtering is the stack's job.
 *
 * Copies: receive copies use `subarray` views, one short-lived view object per
 * copied buffer — the one per-frame allocation left on this path.
 */
import { CSUM_COMPLETE, CSUM_NONE, CSUM_PARTIAL, CSUM_UNNECESSARY, type PacketBuffer } from '../../buf/packet-buffer.js';
import type { PacketPool } from '../../buf/pool.js';
import type { Clock } from '../../time/clock.js';
import { ETHERNET_HEADER_LEN } from '../../wire/ethernet.js';
import {
  emptyNicStats,
  type Nic,
  type NicCapabilities,
  type NicReceiveHandler,
  type NicStats,
  type RxChecksumCapability,
} from '../nic.js';
import { completePartialChecksum, ipv4PayloadSum, l4ChecksumVerifies } from './offload.js';
import { admitFrame } from '../tx-admit.js';

/** Where a port's frames go: a wire direction (wire.ts) or an in-process pair channel (pair.ts). */
export interface PortTransmitter {
  /**
   * Take ownership of a validated frame of `length` bytes (chain length). Returns
   * false when it was dropped (the transmitter counts it on the port's stats).
   */
  send(frame: PacketBuffer, length: number): boolean;
  /** The sending port closed: release every frame still queued (counted 'down'). */
  senderClosed(): void;
}

export interface SimPortOptions {
  name: string;
  /** 6 bytes; copied. */
  mac: Uint8Array;
  /** The pool received frames are copied into (the host's memory). */
  pool: PacketPool;
  clock: Clock;
  /** IP MTU (default 1500): frames up to mtu + 14 bytes are accepted. */
  mtu?: number;
  rxChecksum?: RxChecksumCapability;
  txChecksumOffload?: boolean;
  /** Most frames per receive-handler call (default 64). */
  rxBatch?: number;
}

export const DEFAULT_MTU = 1500;
export const DEFAULT_RX_BATCH = 64;

const RX_NONE = 0;
const RX_UNNECESSARY = 1;
const RX_COMPLETE = 2;

function checkPortOptions(o: SimPortOptions): void {
  if (!(o.mac instanceof Uint8Array) || o.mac.length !== 6) {
    throw new TypeError(`port option "mac": expected 6 bytes, got ${String(o.mac)}`);
  }
  const mtu = o.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    throw new RangeError(`port option "mtu": expected an integer in 68..65535, got ${String(o.mtu)}`);
  }
  const rx = o.rxChecksum ?? 'none';
  if (rx !== 'none' && rx !== 'unnecessary' && rx !== 'complete') {
    throw new TypeError(`port option "rxChecksum": expected 'none', 'unnecessary' or 'complete', got ${String(o.rxChecksum)}`);
  }
  const batch = o.rxBatch ?? DEFAULT_RX_BATCH;
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`port option "rxBatch": expected a positive integer, got ${String(o.rxBatch)}`);
  }
}

export class SimPort implements Nic {
  readonly name: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
  readonly capabilities: NicCapabilities;
  readonly stats: NicStats = emptyNicStats();
  readonly pool: PacketPool;
  readonly clock: Clock;

  private transmitter: PortTransmitter | null = null;
  private handler: NicReceiveHandler | null = null;
  private isClosed = false;
  private readonly rxMode: number;
  private readonly rxBatch: number;
  private readonly batch: PacketBuffer[] = [];
  private batchCount = 0;

  constructor(opts: SimPortOptions) {
    checkPortOptions(opts);
    this.name = opts.name;
    this.mac = Uint8Array.from(opts.mac);
    this.mtu = opts.mtu ?? DEFAULT_MTU;
    this.pool = opts.pool;
    this.clock = opts.clock;
    const rx = opts.rxChecksum ?? 'none';
    this.capabilities = Object.freeze({
      rxChecksum: rx,
      txChecksumOffload: opts.txChecksumOffload ?? false,
      maxFrameSize: this.mtu + ETHERNET_HEADER_LEN,
    });
    this.rxMode = rx === 'none' ? RX_NONE : rx === 'unnecessary' ? RX_UNNECESSARY : RX_COMPLETE;
    this.rxBatch = opts.rxBatch ?? DEFAULT_RX_BATCH;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether a transmitter (wire, pair) is attached. */
  get connected(): boolean {
    return this.transmitter !== null;
  }

  /** @internal Called by wire.ts / pair.ts when the port is connected. A port connects once. */
  attach(tx: PortTransmitter): void {
    if (this.transmitter !== null) throw new Error(`port ${this.name} is already connected`);
    this.transmitter = tx;
  }

  transmit(frame: PacketBuffer): boolean {
    const transmitter = this.transmitter;
    const len = admitFrame(frame, this.stats, this.capabilities, !this.isClosed && transmitter !== null);
    if (len < 0) return false;
    return transmitter!.send(frame, len);
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.handler = null;
    this.transmitter?.senderClosed();
    this.releaseBatch();
  }

  // --- receive side, called by transmitters ---

  /** @internal A frame arrived as bytes[off, off+len): copy it into a fresh pool buffer (DMA). */
  rxFrame(bytes: Uint8Array, off: number, len: number): void {
    if (!this.rxAccept(len)) return;
    const buf = this.pool.alloc(len);
    if (buf === null) {
      this.stats.drops.noBuffer++;
      return;
    }
    buf.bytes.set(bytes.subarray(off, off + len), buf.append(len));
    this.rxPush(buf);
  }

  /**
   * @internal A frame arrived as a PacketBuffer the caller keeps (and releases):
   * linearize it into a fresh pool buffer. A CSUM_PARTIAL frame has its checksum
   * completed in the copy (the sending device's tx offload).
   */
  rxCopyChain(frame: PacketBuffer, len: number): void {
    if (!this.rxAccept(len)) return;
    const buf = this.pool.alloc(len);
    if (buf === null) {
      this.stats.drops.noBuffer++;
      return;
    }
    copyChain(frame, buf.bytes, buf.append(len));
    if (frame.csumState === CSUM_PARTIAL) {
      completePartialChecksum(this.pool.checksum, buf.bytes, buf.head, len, frame.csumStart, frame.csumOffset);
    }
    this.rxPush(buf);
  }

  /**
   * @internal A single (unchained) buffer of this port's pool arrives and its
   * ownership passes to the port without a copy. A CSUM_PARTIAL frame has its
   * checksum field completed in place.
   */
  rxAdopt(frame: PacketBuffer): void {
    const len = frame.length;
    if (!this.rxAccept(len)) {
      frame.release();
      return;
    }
    if (frame.csumState === CSUM_PARTIAL) {
      completePartialChecksum(this.pool.checksum, frame.bytes, frame.head, len, frame.csumStart, frame.csumOffset);
    }
    this.rxPush(frame);
  }

  /** @internal End of a batch: hand the collected frames to the handler. */
  rxFlush(): void {
    const n = this.batchCount;
    if (n === 0) return;
    this.batchCount = 0;
    const h = this.handler;
    if (h === null) {
      for (let i = 0; i < n; i++) this.batch[i]!.release();
      this.stats.drops.down += n;
      return;
    }
    this.stats.rxFrames += n;
    for (let i = 0; i < n; i++) this.stats.rxBytes += this.batch[i]!.length;
    h(this.batch, n);
  }

  private rxAccept(len: number): boolean {
    if (this.isClosed) {
      this.stats.drops.down++;
      return false;
    }
    if (len > this.capabilities.maxFrameSize) {
      // A peer with a larger MTU sent a frame this device cannot take.
      this.stats.drops.tooBig++;
      return false;
    }
    if (len < ETHERNET_HEADER_LEN) {
      this.stats.drops.malformed++;
      return false;
    }
    return true;
  }

  private rxPush(buf: PacketBuffer): void {
    buf.timestamp = this.clock.now();
    const mode = this.rxMode;
    buf.csumState = CSUM_NONE;
    buf.csumValue = 0;
    if (mode === RX_UNNECESSARY) {
      if (l4ChecksumVerifies(this.pool.checksum, buf.bytes, buf.head, buf.length)) buf.csumState = CSUM_UNNECESSARY;
    } else if (mode === RX_COMPLETE) {
      const sum = ipv4PayloadSum(this.pool.checksum, buf.bytes, buf.head, buf.length);
      if (sum >= 0) {
        buf.csumState = CSUM_COMPLETE;
        buf.csumValue = sum;
      }
    }
    this.batch[this.batchCount++] = buf;
    if (this.batchCount >= this.rxBatch) this.rxFlush();
  }

  private releaseBatch(): void {
    for (let i = 0; i < this.batchCount; i++) this.batch[i]!.release();
    this.batchCount = 0;
  }
}

/** Copy a (possibly chained) frame's bytes to dst[dstOff...]; returns the number of bytes copied. */
export function copyChain(frame: PacketBuffer, dst: Uint8Array, dstOff: number): number {
  let o = dstOff;
  for (let b: PacketBuffer | null = frame; b !== null; b = b.next) {
    const n = b.length;
    if (n > 0) dst.set(b.bytes.subarray(b.head, b.head + n), o);
    o += n;
  }
  return o - dstOff;
}
