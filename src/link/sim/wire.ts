/**
 * A simulated point-to-point wire between two SimPorts: per direction a drop-tail
 * queue, a transmitter with a rate (serialization delay), a propagation delay and
 * impairments (impairments.ts). Runs on any Clock; deterministic on a VirtualClock.
 *
 * Owns: when each frame leaves and arrives, what is lost/duplicated/reordered/
 * corrupted on the way, the per-direction statistics, and wire-level capture.
 * Must not: allocate per frame in steady state (in-flight records and timers are
 * reused), interpret frames beyond Ethernet padding and tx checksum offload, or
 * touch the sender's bytes (the device copies them).
 *
 * Life of a frame in one direction (times are integer ns):
 *  1. The sending port hands over a validated frame (ownership passes). If the
 *     transmitter is idle it starts at once; otherwise the frame waits in the
 *     drop-tail queue — unless the bytes already waiting plus this frame exceed
 *     `queueBytes`, in which case it is dropped ('queueFull', on the sending port's
 *     NicStats and the direction's stats). The frame being serialized does not
 *     count against the queue.
 *  2. Serialization start (departure): the device copies the frame into a wire
 *     record (linearizing a chain), pads it with zeros to 60 bytes (the Ethernet
 *     minimum, excluding FCS), completes a CSUM_PARTIAL checksum (offload.ts), and
 *     departure captures see it. Serialization takes
 *     ceil((wireBytes + overheadBytes)·8·1e9 / rate) ns, where wireBytes is the
 *     padded frame length and overheadBytes models preamble/SFD/FCS/IFG (e.g. 24).
 *  3. Serialization end: the frame has left; the device releases the sender's
 *     buffer and counts txFrames/txBytes on the sending port. Impairments are
 *     drawn: a lost frame vanishes ('loss'); otherwise it may be duplicated, and
 *     each copy gets its own extra delay (reorder, jitter) and corruption draw.
 *  4. Arrival at end + delay + extra: arrival captures see the copy; the
 *     receiving port copies it into its pool (rxFrame). Copies arriving at the
 *     same time are delivered as one batch; ties are ordered by when each copy
 *     was scheduled (a per-direction sequence number).
 * So with no queueing and no impairments a frame of B bytes sent at t arrives at
 * t + ceil(B·8·1e9/rate) + delay (1500 B over 1 Gbit/s and 1 ms: t + 1.012 ms).
 *
 * Statistics per direction: see LinkDirectionStats.
 */
import { CSUM_PARTIAL, type PacketBuffer } from '../../buf/packet-buffer.js';
import type { Clock, Nanos, Timer } from '../../time/clock.js';
import { ETHERNET_MIN_FRAME_LEN } from '../../wire/ethernet.js';
import { flipBit, Impairments, LossOutcome, type ImpairmentConfig, type RandomStream } from './impairments.js';
import { completePartialChecksum } from './offload.js';
import { copyChain, type PortTransmitter, type SimPort } from './port.js';
import { Ring, TimedHeap, type Timed } from './queue.js';
import { jsChecksum } from '../../wire/checksum.js';

/** Where wire captures go; src/link/pcap-file.ts PcapWriter satisfies it. */
export interface PacketRecorder {
  writePacket(timeNs: number, bytes: Uint8Array, off: number, len: number): void;
}

/** Settings of one direction of a wire (normalized: numbers only). */
export interface WireDirectionConfig {
  /** Bit/s; Infinity means no serialization delay. */
  rate: number;
  /** Propagation delay, integer ns. */
  delay: Nanos;
  /** Drop-tail limit on bytes waiting to be serialized (frame lengths as handed over); Infinity for none. */
  queueBytes: number;
  /** Extra bytes per frame on the wire for serialization (preamble, SFD, FCS, inter-frame gap). */
  overheadBytes: number;
  impairments: ImpairmentConfig;
}

/**
 * Counters of one wire direction. Bytes are frame bytes (Ethernet header +
 * payload, after padding to 60 when padded, without overheadBytes).
 */
export interface LinkDirectionStats {
  /** Frames handed to this direction by the sending port (whether queued or dropped). */
  framesOffered: number;
  /** Frames that finished serialization (left the sender), and their bytes. */
  framesSent: number;
  bytesSent: number;
  /** Frame copies handed to the receiving port (duplicates and corrupted copies included). */
  framesDelivered: number;
  bytesDelivered: number;
  drops: {
    /** Drop-tail queue overflow. */
    queueFull: number;
    /** Lost on the wire: random + burst. */
    loss: number;
    /** Of `loss`, frames the Gilbert-Elliott model lost (bad or good state). */
    burstLoss: number;
    /** Queued or in-serialization frames discarded because the sending port closed. */
    down: number;
  };
  /** Extra copies created by duplication. */
  duplicated: number;
  /** Copies given the reorder hold-back delay. */
  reordered: number;
  /** Copies delivered with one bit flipped. */
  corrupted: number;
  /** Largest number of bytes ever waiting in the queue. */
  queueHighWater: number;
}

export function emptyLinkDirectionStats(): LinkDirectionStats {
  return {
    framesOffered: 0,
    framesSent: 0,
    bytesSent: 0,
    framesDelivered: 0,
    bytesDelivered: 0,
    drops: { queueFull: 0, loss: 0, burstLoss: 0, down: 0 },
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    queueHighWater: 0,
  };
}

/** Serialization delay (ns) of `bytes` at `rate` bit/s: ceil(bytes·8·1e9/rate); 0 at an infinite rate. */
export function serializationDelay(bytes: number, rate: number): Nanos {
  if (rate === Infinity) return 0;
  // bytes·8e9 is an exact integer below 2^53 for any frame size; division is
  // correctly rounded, so exact quotients stay exact before ceil.
  return Math.ceil((bytes * 8 * 1e9) / rate);
}

/** A frame copy on the wire (reused). */
class InFlight implements Timed {
  time = 0;
  seq = 0;
  len = 0;
  constructor(readonly data: Uint8Array) {}
}

export function checkDirectionConfig(c: WireDirectionConfig): void {
  if (!(c.rate > 0)) throw new RangeError(`wire "rate" must be > 0 bit/s, got ${c.rate}`);
  if (!Number.isSafeInteger(c.delay) || c.delay < 0) {
    throw new RangeError(`wire "delay" must be a non-negative integer number of ns, got ${c.delay}`);
  }
  if (!(c.queueBytes >= 0)) throw new RangeError(`wire "queue" must be >= 0 bytes, got ${c.queueBytes}`);
  if (!Number.isInteger(c.overheadBytes) || c.overheadBytes < 0) {
    throw new RangeError(`wire "overheadBytes" must be a non-negative integer, got ${c.overheadBytes}`);
  }
}

/** One direction of a wire: from one port's transmitter to the other port's receiver. */
export class WireDirection implements PortTransmitter {
  readonly stats: LinkDirectionStats = emptyLinkDirectionStats();
  readonly impairments: Impairments;
  /** Captures of frames as they start serialization (pre-impairment). */
  readonly departureCaptures: PacketRecorder[] = [];
  /** Captures of frame copies as they arrive (post-impairment, before the receiving port's checks). */
  readonly arrivalCaptures: PacketRecorder[] = [];

  private readonly queue = new Ring<PacketBuffer>(64);
  private queuedBytes = 0;
  /** The frame being serialized (still owned by the device until it has left), and its record. */
  private current: PacketBuffer | null = null;
  private currentLen = 0;
  private currentRec: InFlight | null = null;
  private readonly txTimer: Timer;
  private readonly rxTimer: Timer;
  private readonly inFlight = new TimedHeap<InFlight>();
  private readonly free: InFlight[] = [];
  private readonly recordSize: number;
  private recordsCreated = 0;
  private seq = 0;

  constructor(
    readonly clock: Clock,
    readonly config: WireDirectionConfig,
    rng: RandomStream,
    readonly from: SimPort,
    readonly to: SimPort,
  ) {
    checkDirectionConfig(config);
    this.impairments = new Impairments(config.impairments, rng);
    this.recordSize = Math.max(ETHERNET_MIN_FRAME_LEN, from.capabilities.maxFrameSize);
    this.txTimer = clock.createTimer(onTxDone, this);
    this.rxTimer = clock.createTimer(onArrival, this);
  }

  /** Bytes waiting in the queue (not counting the frame being serialized). */
  get backlogBytes(): number {
    return this.queuedBytes;
  }

  /** Frames waiting in the queue (not counting the frame being serialized). */
  get backlogFrames(): number {
    return this.queue.size;
  }

  /** In-flight records ever created: bounded by the most copies in flight at once, not by traffic. */
  get records(): number {
    return this.recordsCreated;
  }

  /** Frame copies on the wire (serialized, not yet arrived). */
  get inFlightFrames(): number {
    return this.inFlight.size;
  }

  send(frame: PacketBuffer, length: number): boolean {
    const s = this.stats;
    s.framesOffered++;
    if (this.current === null) {
      this.startIdle(frame, length);
      return true;
    }
    if (this.queuedBytes + length > this.config.queueBytes) {
      s.drops.queueFull++;
      this.from.stats.drops.queueFull++;
      frame.release();
      return false;
    }
    this.queue.push(frame);
    this.queuedBytes += length;
    if (this.queuedBytes > s.queueHighWater) s.queueHighWater = this.queuedBytes;
    return true;
  }

  senderClosed(): void {
    const drops = this.from.stats.drops;
    if (this.current !== null) {
      this.txTimer.cancel();
      this.current.release();
      this.current = null;
      this.freeRecord(this.currentRec!);
      this.currentRec = null;
      drops.down++;
      this.stats.drops.down++;
    }
    let f: PacketBuffer | undefined;
    while ((f = this.queue.shift()) !== undefined) {
      f.release();
      drops.down++;
      this.stats.drops.down++;
    }
    this.queuedBytes = 0;
  }

  /** Departure: copy, pad, offload, capture. Returns the serialization time (ns). */
  private start(frame: PacketBuffer, length: number): Nanos {
    const rec = this.allocRecord();
    const data = rec.data;
    copyChain(frame, data, 0);
    let wireLen = length;
    if (wireLen < ETHERNET_MIN_FRAME_LEN) {
      data.fill(0, wireLen, ETHERNET_MIN_FRAME_LEN); // IEEE 802.3 §3.2.8 (Pad field): pad to the minimum frame size
      wireLen = ETHERNET_MIN_FRAME_LEN;
    }
    if (frame.csumState === CSUM_PARTIAL) {
      // Records are not pool memory, so the plain JS engine (the WASM one would fall back to it anyway).
      completePartialChecksum(jsChecksum, data, 0, length, frame.csumStart, frame.csumOffset);
    }
    rec.len = wireLen;
    this.current = frame;
    this.currentLen = length;
    this.currentRec = rec;
    const now = this.clock.now();
    const caps = this.departureCaptures;
    for (let i = 0; i < caps.length; i++) caps[i]!.writePacket(now, data, 0, wireLen);
    return serializationDelay(wireLen + this.config.overheadBytes, this.config.rate);
  }

  /** Start `frame` on an idle transmitter. */
  private startIdle(frame: PacketBuffer, length: number): void {
    const ser = this.start(frame, length);
    if (ser === 0) this.drain();
    else this.txTimer.arm(this.clock.now() + ser);
  }

  /**
   * Serialization end of the current frame, then of every following frame that
   * needs no time (infinite rate); arms the timer for the first one that does.
   */
  drain(): void {
    while (true) {
      this.finish();
      const next = this.queue.shift();
      if (next === undefined) return;
      const len = next.next === null ? next.length : next.chainLength();
      this.queuedBytes -= len;
      const ser = this.start(next, len);
      if (ser > 0) {
        this.txTimer.arm(this.clock.now() + ser);
        return;
      }
    }
  }

  /** The current frame has left: release it, count it, draw its impairments. */
  private finish(): void {
    const frame = this.current!;
    const rec = this.currentRec!;
    this.current = null;
    this.currentRec = null;
    frame.release();
    const s = this.stats;
    const wireLen = rec.len;
    s.framesSent++;
    s.bytesSent += wireLen;
    const ps = this.from.stats;
    ps.txFrames++;
    ps.txBytes += this.currentLen;

    const imp = this.impairments;
    const lost = imp.lost();
    if (lost !== LossOutcome.KEPT) {
      s.drops.loss++;
      if (lost === LossOutcome.BURST) s.drops.burstLoss++;
      ps.drops.loss++;
      this.freeRecord(rec);
    } else if (imp.duplicate()) {
      const copy = this.allocRecord();
      copy.data.set(rec.data.subarray(0, wireLen), 0);
      copy.len = wireLen;
      s.duplicated++;
      this.schedule(rec);
      this.schedule(copy);
    } else {
      this.schedule(rec);
    }
  }

  private schedule(rec: InFlight): void {
    const imp = this.impairments;
    const extra = imp.extraDelay();
    if (imp.lastReordered) this.stats.reordered++;
    const bit = imp.corruptBit(rec.len);
    if (bit >= 0) {
      flipBit(rec.data, 0, bit);
      this.stats.corrupted++;
    }
    rec.time = this.clock.now() + this.config.delay + extra;
    rec.seq = this.seq++;
    this.inFlight.push(rec);
    const t = this.rxTimer;
    if (!t.armed || t.deadline > rec.time) t.arm(rec.time);
  }

  /** Arrival: deliver every copy due now, as one batch. */
  arrive(): void {
    const now = this.clock.now();
    const heap = this.inFlight;
    const to = this.to;
    const s = this.stats;
    const caps = this.arrivalCaptures;
    let top: InFlight | undefined;
    while ((top = heap.peek()) !== undefined && top.time <= now) {
      heap.pop();
      for (let i = 0; i < caps.length; i++) caps[i]!.writePacket(now, top.data, 0, top.len);
      s.framesDelivered++;
      s.bytesDelivered += top.len;
      to.rxFrame(top.data, 0, top.len);
      this.freeRecord(top);
    }
    to.rxFlush();
    if (top !== undefined && !this.rxTimer.armed) this.rxTimer.arm(top.time);
  }

  private allocRecord(): InFlight {
    const r = this.free.pop();
    if (r !== undefined) return r;
    this.recordsCreated++;
    return new InFlight(new Uint8Array(this.recordSize));
  }

  private freeRecord(rec: InFlight): void {
    this.free.push(rec);
  }
}

function onTxDone(d: WireDirection): void {
  d.drain();
}

function onArrival(d: WireDirection): void {
  d.arrive();
}

/** A full-duplex wire between ports `a` and `b`. */
export class Wire {
  readonly ab: WireDirection;
  readonly ba: WireDirection;

  constructor(
    clock: Clock,
    readonly a: SimPort,
    readonly b: SimPort,
    ab: WireDirectionConfig,
    ba: WireDirectionConfig,
    rngAB: RandomStream,
    rngBA: RandomStream,
  ) {
    if (a === b) throw new Error(`cannot connect port ${a.name} to itself`);
    for (const p of [a, b]) if (p.connected) throw new Error(`port ${p.name} is already connected`);
    this.ab = new WireDirection(clock, ab, rngAB, a, b);
    this.ba = new WireDirection(clock, ba, rngBA, b, a);
    a.attach(this.ab);
    b.attach(this.ba);
  }

  /** The direction whose sender is `port`. */
  from(port: SimPort): WireDirection {
    if (port === this.a) return this.ab;
    if (port === this.b) return this.ba;
    throw new Error(`port ${port.name} is not on this wire`);
  }
}
