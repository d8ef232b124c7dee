/**
 * TapNic: a Nic on a Linux TAP device, through the native addon (native/tap.c).
 *
 * Owns: the device fd, its uv_poll readiness handle, the receive ring of pool
 * buffers the addon reads into, transmit through writev, and the NicStats.
 * Must not: parse packets beyond length checks, copy frames in JS on the common
 * paths, or arm Node timers (readiness comes from libuv; timestamps from the Clock).
 *
 * Receive. The ring is `rxBatch` pool buffers allocated ahead of time. Their
 * absolute offsets in the pool's memory (and capacities) sit in Int32Arrays;
 * when the fd is readable one addon call reads up to rxBatch frames straight into
 * those buffers (read() until EAGAIN) and returns the count, lengths in an
 * Int32Array. The frames go to the handler as one batch (ownership passes: rule 2
 * of src/buf/README.md) and the used slots are refilled from the pool. At most
 * RX_BATCHES_PER_WAKEUP batches are read per readiness callback; uv_poll is
 * level-triggered, so the rest comes on the next loop iteration and the loop
 * never starves other I/O. A slot whose refill failed (pool exhausted) points at
 * a private discard buffer: a frame read there is counted 'noBuffer' — draining
 * the device rather than letting the kernel queue grow.
 *
 * Transmit. A frame chain of up to 4 buffers is written with one
 * writev whose iovecs point into the pool memory (header and payload are never
 * joined). Longer chains, and CSUM_PARTIAL frames whose checksum must be
 * completed, are linearized into one scratch pool buffer first. The frame is
 * released right after the write: the kernel copied it.
 *
 * Checksums. rxChecksum is 'none' (TAP gives no verification). txChecksumOffload
 * defaults to false, so the stack computes checksums; with `txChecksumOffload:
 * true` this driver plays the device and completes PARTIAL checksums in software
 * (not accounted as stack work, as for offload hardware).
 *
 * Offload (`offload: true`, IFF_VNET_HDR; see tap-offload.ts). Every frame
 * carries a virtio_net_hdr. Transmit: PARTIAL checksums go to the kernel as
 * NEEDS_CSUM (nobody computes them for local delivery), and consecutive TCP
 * segments of one flow sent in one event-loop turn are written as one TSO
 * super-segment (up to 64 KiB, one syscall; flushed by clock.defer, by a
 * segment that does not continue it, or at once after a PSH/short segment).
 * Receive: TUNSETOFFLOAD(CSUM|TSO4) lets the kernel hand us TCP segments up
 * to 64 KiB (it skips segmenting them) with checksums marked NEEDS_CSUM or
 * DATA_VALID — delivered as CSUM_UNNECESSARY, as virtio-net does.
 */
import { randomBytes } from 'node:crypto';
import { CSUM_NONE, CSUM_PARTIAL, CSUM_UNNECESSARY, type PacketBuffer } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import type { Clock } from '../time/clock.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { loadTapAddon, NativeAddonError, type TapAddon } from './native-loader.js';
import { emptyNicStats, type Nic, type NicCapabilities, type NicReceiveHandler, type NicStats } from './nic.js';
import { copyChain } from './sim/port.js';
import { completePartialChecksum } from './sim/offload.js';
import { admitFrame } from './tx-admit.js';
import {
  SegmentCoalescer,
  TUN_F_CSUM,
  TUN_F_TSO4,
  VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VNET_HDR_LEN,
  writeFrameVnetHeader,
} from './tap-offload.js';

export interface TapNicOptions {
  /** Device name (1..15 characters), created if it does not exist (needs CAP_NET_ADMIN). */
  name: string;
  /** The pool received frames land in (the host's memory). */
  pool: PacketPool;
  /** A RealClock (timestamps only). */
  clock: Clock;
  /** zerostack's MAC on this link (6 bytes; default: random, locally administered). Not the kernel side's MAC. */
  mac?: Uint8Array;
  /** IP MTU (default 1500, 68..65521). */
  mtu?: number;
  /** Also set the kernel device's MTU to `mtu` (default true). */
  setDeviceMtu?: boolean;
  /** Bring the device up (IFF_UP) after opening it (default true). */
  up?: boolean;
  /** Most frames read per addon call and per handler call (default 64). */
  rxBatch?: number;
  /** Accept CSUM_PARTIAL frames and complete them in software (default false). */
  txChecksumOffload?: boolean;
  /**
   * IFF_VNET_HDR offloads (default false): checksums left to the kernel both
   * ways, TCP segments coalesced into TSO writes, GSO segments up to 64 KiB
   * received. Implies txChecksumOffload.
   */
  offload?: boolean;
  /** The addon (default: loadTapAddon()); injectable for tests. */
  addon?: TapAddon;
}

const DEFAULT_MTU = 1500;
const DEFAULT_RX_BATCH = 64;
/** With offload each slot holds up to 64 KiB (a GSO segment of ~44 MSS): fewer slots do the same work. */
const DEFAULT_RX_BATCH_OFFLOAD = 16;
/** Batches read per readiness callback before yielding to the event loop. */
const RX_BATCHES_PER_WAKEUP = 4;
const EAGAIN = 11;
/** Largest frame the kernel hands us with TSO4 on: an IPv4 packet of 64 KiB in an Ethernet frame. */
const MAX_GSO_FRAME = ETHERNET_HEADER_LEN + 0xffff;

function flushDeferred(nic: TapNic): void {
  nic.flushCoalesced();
}

/** A random unicast, locally administered MAC (IEEE 802: bit 1 of octet 0 set, bit 0 clear). */
export function randomLocalMac(): Uint8Array {
  const mac = new Uint8Array(randomBytes(6));
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

function checkOptions(o: TapNicOptions): void {
  if (typeof o.name !== 'string' || o.name.length < 1 || o.name.length > 15) {
    throw new TypeError(`TapNic option "name": expected 1..15 characters, got ${JSON.stringify(o.name)}`);
  }
  if (o.mac !== undefined && (!(o.mac instanceof Uint8Array) || o.mac.length !== 6)) {
    throw new TypeError(`TapNic option "mac": expected 6 bytes, got ${String(o.mac)}`);
  }
  const mtu = o.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) {
    throw new RangeError(`TapNic option "mtu": expected an integer in 68..65521, got ${String(o.mtu)}`);
  }
  const b = o.rxBatch ?? DEFAULT_RX_BATCH;
  if (!Number.isInteger(b) || b < 1 || b > 1024) {
    throw new RangeError(`TapNic option "rxBatch": expected an integer in 1..1024, got ${String(o.rxBatch)}`);
  }
}

export class TapNic implements Nic {
  readonly name: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
  /** The kernel side's MAC address (what the host's stack uses on this device). */
  readonly deviceMac: Uint8Array;
  readonly capabilities: NicCapabilities;
  readonly stats: NicStats = emptyNicStats();
  readonly pool: PacketPool;
  readonly clock: Clock;

  private readonly addon: TapAddon;
  private fd: number;
  private pollHandle: object | null;
  private handler: NicReceiveHandler | null = null;
  private isClosed = false;
  private readErrno = 0;
  private readonly maxFrame: number;
  private readonly rxBatch: number;
  private readonly ring: (PacketBuffer | null)[];
  private readonly offsets: Int32Array;
  private readonly caps: Int32Array;
  private readonly lens: Int32Array;
  private readonly discard: PacketBuffer;
  private readonly batch: PacketBuffer[] = [];
  /** IFF_VNET_HDR on. */
  private readonly vnet: boolean;
  /** Largest read (vnet header included) accepted as a frame. */
  private readonly maxRead: number;
  private readonly coalescer: SegmentCoalescer | null = null;
  /** Pool scratch for the transmit vnet header (absolute offset), -1 without offload. */
  private readonly vhdr: PacketBuffer | null = null;
  private vhdrOff = -1;
  private flushArmed = false;
  /**
   * With `offload`: TSO super-segments written and the stack segments they
   * carried; received frames longer than the MTU allows (the kernel's GSO segments).
   */
  readonly offloadStats = { tsoWrites: 0, tsoSegments: 0, gsoReceived: 0 };
  private readonly onReadable = (): void => this.readReady();

  constructor(opts: TapNicOptions) {
    checkOptions(opts);
    this.addon = opts.addon ?? loadTapAddon();
    this.pool = opts.pool;
    this.clock = opts.clock;
    this.mtu = opts.mtu ?? DEFAULT_MTU;
    this.mac = opts.mac !== undefined ? Uint8Array.from(opts.mac) : randomLocalMac();
    this.maxFrame = this.mtu + ETHERNET_HEADER_LEN;
    this.rxBatch = opts.rxBatch ?? (opts.offload === true ? DEFAULT_RX_BATCH_OFFLOAD : DEFAULT_RX_BATCH);
    this.vnet = opts.offload ?? false;
    this.maxRead = this.vnet ? VNET_HDR_LEN + MAX_GSO_FRAME : this.maxFrame;
    this.capabilities = Object.freeze({
      rxChecksum: this.vnet ? 'unnecessary' : 'none',
      txChecksumOffload: this.vnet || (opts.txChecksumOffload ?? false),
      maxFrameSize: this.maxFrame,
    });
    if (this.vnet) {
      if (typeof this.addon.setOffload !== 'function' || typeof this.addon.writevPool !== 'function') {
        throw new NativeAddonError('TapNic option "offload" needs a newer TAP addon: run `npm run build:native`');
      }
      const h = this.pool.alloc(16, 0);
      if (h === null) throw new RangeError('TapNic: the pool has no buffer for the vnet header');
      this.vhdr = h;
      this.vhdrOff = h.append(VNET_HDR_LEN);
      this.coalescer = new SegmentCoalescer(this.pool.bytes);
    }

    // One extra byte of capacity so that a frame longer than maxRead is seen as such, not truncated to fit.
    const discard = this.pool.alloc(this.maxRead + 1, 0);
    if (discard === null) throw new RangeError(`TapNic: the pool has no buffer for a ${this.maxFrame}-byte frame`);
    this.discard = discard;
    this.ring = new Array<PacketBuffer | null>(this.rxBatch).fill(null);
    this.offsets = new Int32Array(this.rxBatch);
    this.caps = new Int32Array(this.rxBatch);
    this.lens = new Int32Array(this.rxBatch);
    for (let i = 0; i < this.rxBatch; i++) this.refill(i);
    if (this.vnet && this.ring.some((b) => b === null)) {
      const have = this.ring.filter((b) => b !== null).length;
      this.releaseRing();
      this.vhdr?.release();
      throw new RangeError(
        `TapNic option "offload": the receive ring needs ${this.rxBatch} buffers of ${this.maxRead + 1} bytes and the pool had ${have}; ` +
          'give the pool more memory (memoryBytes) or lower "rxBatch"',
      );
    }

    let opened: { fd: number; name: string };
    try {
      opened = this.vnet ? this.addon.open(opts.name, true) : this.addon.open(opts.name);
    } catch (err) {
      this.releaseRing();
      throw err;
    }
    this.name = opened.name;
    this.fd = opened.fd;
    try {
      if (this.vnet) this.addon.setOffload!(this.fd, TUN_F_CSUM | TUN_F_TSO4);
      if (opts.setDeviceMtu ?? true) this.addon.setMtu(this.name, this.mtu);
      if (opts.up ?? true) this.addon.setUp(this.name);
      this.deviceMac = this.addon.getMac(this.name);
      this.pollHandle = this.addon.poll(this.fd, this.onReadable);
    } catch (err) {
      this.addon.close(this.fd);
      this.releaseRing();
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** errno of the read error that stopped receiving (0 while receiving works). */
  get receiveError(): number {
    return this.readErrno;
  }

  transmit(frame: PacketBuffer): boolean {
    const drops = this.stats.drops;
    const len = admitFrame(frame, this.stats, this.capabilities, !this.isClosed);
    if (len < 0) return false;
    if (this.vnet) return this.transmitVnet(frame, len);
    let r: number;
    if (frame.csumState === CSUM_PARTIAL) {
      r = this.writeLinear(frame, len, true);
    } else {
      r = this.writeChain(frame, len);
    }
    frame.release();
    if (r < 0) {
      if (r === -EAGAIN) drops.queueFull++;
      else drops.down++; // EIO: the device is down, or the fd is gone
      return false;
    }
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.isClosed) return;
    this.flushCoalesced();
    this.isClosed = true;
    this.handler = null;
    if (this.pollHandle !== null) this.addon.pollStop(this.pollHandle);
    this.pollHandle = null;
    this.addon.close(this.fd);
    this.fd = -1;
    this.releaseRing();
    this.vhdr?.release();
  }

  /** Write the held TSO super-segment now (also run from clock.defer). */
  flushCoalesced(): void {
    this.flushArmed = false;
    const co = this.coalescer;
    if (co === null || co.count === 0) return;
    co.seal(this.vhdrOff);
    const r = this.addon.writevPool!(this.fd, this.pool.bytes, co.offsets, co.lengths, co.pieces);
    const bytes = co.frameBytes;
    const n = co.release();
    if (r < 0) {
      if (r === -EAGAIN) this.stats.drops.queueFull += n;
      else this.stats.drops.down += n;
      return;
    }
    this.stats.txFrames += n;
    this.stats.txBytes += bytes;
    if (n > 1) {
      this.offloadStats.tsoWrites++;
      this.offloadStats.tsoSegments += n;
    }
  }

  // --- transmit with IFF_VNET_HDR ---

  private transmitVnet(frame: PacketBuffer, len: number): boolean {
    const co = this.coalescer!;
    if (co.add(frame, len) || (co.count > 0 && (this.flushCoalesced(), co.add(frame, len)))) {
      // A PSH or short segment ends the burst: write now (request/response traffic waits for nothing).
      if (co.full || co.payloadBytes > 0xffff - 2 * this.mtu) this.flushCoalesced();
      else if (!this.flushArmed) {
        this.flushArmed = true;
        this.clock.defer(flushDeferred, this);
      }
      return true;
    }
    // Not a TCP data segment (or not in pool memory): after what is held, on its own.
    this.flushCoalesced();
    const r = this.writeVnetSingle(frame, len);
    frame.release();
    if (r < 0) {
      if (r === -EAGAIN) this.stats.drops.queueFull++;
      else this.stats.drops.down++;
      return false;
    }
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  /** One frame behind its vnet header: pieces in place when the chain is pool memory, else one copy. */
  private writeVnetSingle(frame: PacketBuffer, len: number): number {
    const bytes = this.pool.bytes;
    writeFrameVnetHeader(bytes, this.vhdrOff, frame);
    const co = this.coalescer!;
    const offs = co.offsets;
    const lens = co.lengths;
    offs[0] = this.vhdrOff;
    lens[0] = VNET_HDR_LEN;
    let n = 1;
    for (let b: PacketBuffer | null = frame; b !== null && n < offs.length; b = b.next) {
      if (b.bytes !== bytes) {
        n = -1;
        break;
      }
      offs[n] = b.head;
      lens[n++] = b.length;
    }
    if (n > 0 && n < offs.length) return this.addon.writevPool!(this.fd, bytes, offs, lens, n);
    const tmp = this.pool.alloc(len + VNET_HDR_LEN, 0);
    if (tmp === null) {
      this.stats.drops.noBuffer++;
      return -EAGAIN;
    }
    const off = tmp.append(len + VNET_HDR_LEN);
    writeFrameVnetHeader(tmp.bytes, off, frame);
    copyChain(frame, tmp.bytes, off + VNET_HDR_LEN);
    const r = this.addon.writev(this.fd, 1, tmp.bytes, off, len + VNET_HDR_LEN);
    tmp.release();
    return r;
  }

  // --- transmit ---

  private writeChain(frame: PacketBuffer, len: number): number {
    const a = this.addon;
    const fd = this.fd;
    const b1 = frame.next;
    if (b1 === null) return a.writev(fd, 1, frame.bytes, frame.head, frame.length);
    const b2 = b1.next;
    if (b2 === null) return a.writev(fd, 2, frame.bytes, frame.head, frame.length, b1.bytes, b1.head, b1.length);
    const b3 = b2.next;
    if (b3 === null) {
      return a.writev(fd, 3, frame.bytes, frame.head, frame.length, b1.bytes, b1.head, b1.length, b2.bytes, b2.head, b2.length);
    }
    if (b3.next === null) {
      return a.writev(
        fd, 4,
        frame.bytes, frame.head, frame.length,
        b1.bytes, b1.head, b1.length,
        b2.bytes, b2.head, b2.length,
        b3.bytes, b3.head, b3.length,
      ); // prettier-ignore
    }
    return this.writeLinear(frame, len, false);
  }

  /** Copy the chain into one scratch buffer (completing a PARTIAL checksum there) and write it. */
  private writeLinear(frame: PacketBuffer, len: number, completeCsum: boolean): number {
    const tmp = this.pool.alloc(len, 0);
    if (tmp === null) {
      this.stats.drops.noBuffer++;
      return -EAGAIN;
    }
    const off = tmp.append(len);
    copyChain(frame, tmp.bytes, off);
    if (completeCsum) completePartialChecksum(this.pool.checksum, tmp.bytes, off, len, frame.csumStart, frame.csumOffset);
    const r = this.addon.writev(this.fd, 1, tmp.bytes, off, len);
    tmp.release();
    return r;
  }

  // --- receive ---

  private readReady(): void {
    if (this.isClosed) return;
    const n = this.rxBatch;
    for (let round = 0; round < RX_BATCHES_PER_WAKEUP && !this.isClosed; round++) {
      const got = this.addon.readBatch(this.fd, this.pool.bytes, this.offsets, this.caps, this.lens, n);
      if (got < 0) {
        // A hard error (EBADFD after `ip link del`, EIO): it would repeat on every
        // level-triggered wake-up, so stop polling; the NIC receives nothing more.
        this.readErrno = -got;
        this.stats.drops.down++;
        if (this.pollHandle !== null) this.addon.pollStop(this.pollHandle);
        this.pollHandle = null;
        return;
      }
      if (got > 0) this.deliver(got);
      if (got < n) return; // EAGAIN: drained
    }
  }

  private deliver(got: number): void {
    const drops = this.stats.drops;
    const now = this.clock.now();
    const batch = this.batch;
    let k = 0;
    const vnet = this.vnet ? VNET_HDR_LEN : 0;
    for (let i = 0; i < got; i++) {
      const len = this.lens[i]!;
      const buf = this.ring[i];
      if (buf === null || buf === undefined) {
        drops.noBuffer++; // read into the discard buffer
        continue;
      }
      if (len > this.maxRead) {
        drops.tooBig++; // the buffer stays in its slot, unused
        continue;
      }
      if (len < vnet + ETHERNET_HEADER_LEN) {
        drops.malformed++;
        continue;
      }
      const vflags = vnet > 0 ? buf.bytes[buf.tail]! : 0;
      buf.append(len);
      if (vnet > 0) {
        buf.trimFront(vnet);
        if (len - vnet > this.maxFrame) this.offloadStats.gsoReceived++;
      }
      buf.timestamp = now;
      // NEEDS_CSUM: the kernel left the checksum partial (in-memory data, nothing to verify); DATA_VALID: it verified.
      buf.csumState = (vflags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) !== 0 ? CSUM_UNNECESSARY : CSUM_NONE;
      buf.csumValue = 0;
      this.ring[i] = null;
      batch[k++] = buf;
    }
    // Refill before the handler runs, so a handler that closes the NIC finds a consistent ring.
    for (let i = 0; i < got; i++) if (this.ring[i] === null) this.refill(i);
    if (k === 0) return;
    const h = this.handler;
    if (h === null) {
      for (let i = 0; i < k; i++) batch[i]!.release();
      drops.down += k;
      return;
    }
    this.stats.rxFrames += k;
    for (let i = 0; i < k; i++) this.stats.rxBytes += batch[i]!.length;
    h(batch, k);
  }

  private refill(i: number): void {
    const buf = this.pool.alloc(this.maxRead + 1);
    this.ring[i] = buf;
    const target = buf ?? this.discard;
    this.offsets[i] = target.tail; // absolute index into pool.bytes, which readBatch gets
    this.caps[i] = target.tailroom();
  }

  private releaseRing(): void {
    for (let i = 0; i < this.ring.length; i++) {
      this.ring[i]?.release();
      this.ring[i] = null;
    }
    this.discard.release();
  }
}
