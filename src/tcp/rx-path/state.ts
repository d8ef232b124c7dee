/**
 * Per-connection receive-path state (issue F; background/receive-path.md §2):
 * Linux's `tp->ucopy` (the waiting reader and the prequeue) plus the ACK-delay
 * measurement, attached to a TCB as `tcb.rx` the first time a receive-path
 * strategy from this folder touches the connection. TCBs of stacks that keep
 * the built-in `direct` path never get one (tcb.rx stays null: zero cost).
 *
 * Owns: the data (reader mark, raw prequeue, "eaten" hand-off, pushed flag,
 * arrival log for ACK delays) and the three hooks the engine calls:
 *  - onInOrder  (input.ts, an in-order payload is about to be queued): logs its
 *    arrival and tells whether the payload was already copied into a waiting
 *    reader's buffer (Linux "eaten" — then the ACK is only a delayed one);
 *  - onAckSent  (output.ts, any segment carrying our ACK left): closes the
 *    arrival log entries the ACK covers → ACK-delay samples;
 *  - onDelackTimer (timers.ts, before the normal handler): lets the strategy
 *    that queued segments process them (Linux tcp_delack_timer's prequeue run).
 * Must not: decide policy (the strategies in this folder do) or send anything.
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { Nanos, TimerCallback } from '../../time/clock.js';
import type { Tcb } from '../tcb.js';
import type { ReceivePath } from '../tcp-layer.js';
import { TcpRepr } from '../../wire/tcp.js';

/** Anything that takes samples (a host Distribution in the simulator). */
export interface SampleSink {
  add(x: number): void;
}

/** A receive-path strategy of this folder: ReceivePath plus the reader side. */
export interface RxStrategy extends ReceivePath {
  /** Readers of this path take views (RecvBuffer.readViews) rather than copies when they can. */
  readonly zeroCopy: boolean;
  /** Process context: recv() of up to len bytes into dst[off…). Bytes read (≥ 0). */
  read(tcb: Tcb, dst: Uint8Array, off: number, len: number): number;
  /** The delayed-ACK timer fired with segments this strategy queued (softirq). */
  flushQueued(tcb: Tcb, rx: RxState): void;
}

/** Layer-wide receive-path settings (one per TcpLayer; see index.ts). */
export interface RxLayerSettings {
  /** Per-connection ACK-delay sink factory (null: no per-socket sink). */
  ackDelaySink: ((tcb: Tcb) => SampleSink) | null;
  /** Host-wide ACK-delay sink (null: none). */
  ackDelayAll: SampleSink | null;
  /**
   * How to run an observable effect at the end of the current work item (the
   * simulator's host.deferEffect), so an ACK-delay sample ends when the ACK
   * leaves the host, not when the code that built it ran. null: record at once.
   */
  deferEffect: (<C>(fn: TimerCallback<C>, ctx: C) => void) | null;
}

const LOG_INITIAL = 64;
/** Linux TCP_DELACK_MIN: the retry of a delayed-ACK timer that found the socket owned. */
const TCP_DELACK_MIN = 40_000_000;

function flushAckSamples(rx: RxState): void {
  rx.flushSamples();
}

export class RxState {
  /** Scratch repr for re-parsing queued segments (the layer's rxRepr belongs to the arriving segment). */
  readonly repr = new TcpRepr();
  /** Per-socket strategy override (null: the layer's receivePath). */
  path: RxStrategy | null = null;

  // ---- the waiting reader (Linux ucopy.task / ucopy.len) ----
  /** A reader is blocked in recv on this connection. */
  readerWaiting = false;
  /** Size of its buffer (ucopy.len). */
  readerLen = 0;

  // ---- the prequeue (raw segments, Linux ucopy.prequeue) ----
  /** Queued raw segments with their IPv4 source and destination. */
  readonly pq: PacketBuffer[] = [];
  readonly pqSrc: number[] = [];
  readonly pqDst: number[] = [];
  /** 1 when the segment's IP header carried CE (layer.rxCe at arrival; RFC 3168 §6.1.3), else 0. */
  readonly pqCe: number[] = [];
  /** Bytes queued (Linux ucopy.memory; segment lengths, not truesize). */
  pqMemory = 0;
  /** The strategy that queued them (processes them when the delayed-ACK timer fires). */
  pqOwner: RxStrategy | null = null;

  // ---- the socket lock (Linux sock_owned_by_user / sk_backlog) ----
  /** A process is inside a socket call on this connection (until the end of its step, see index.ts lockSocket). */
  owned = false;
  /** Segments that arrived while owned, with their IPv4 source and destination (Linux sk_backlog). */
  readonly bl: PacketBuffer[] = [];
  readonly blSrc: number[] = [];
  readonly blDst: number[] = [];
  /** 1 when the segment's IP header carried CE (as pqCe). */
  readonly blCe: number[] = [];
  /** The delayed-ACK timer fired while owned (Linux icsk_ack.blocked): the ACK goes at release. */
  ackBlocked = false;

  // ---- hand-off of an "eaten" segment (reader context) ----
  /** Payload bytes of the segment being processed that are already in the reader's buffer (0: none). */
  eatPending = 0;

  // ---- Linux ICSK_ACK_PUSHED: a short in-order segment not yet acknowledged ----
  pushed = false;
  pushedEnd = 0;

  // ---- ACK-delay measurement ----
  /** Per-connection sink. */
  readonly ackDelay: SampleSink | null;
  private readonly all: SampleSink | null;
  private readonly defer: RxLayerSettings['deferEffect'];
  /** Arrival log: end sequence number and arrival time of in-order payloads not yet ACKed. */
  private logEnd = new Float64Array(LOG_INITIAL);
  private logAt = new Float64Array(LOG_INITIAL);
  private logHead = 0;
  private logCount = 0;
  /** Arrival times whose ACK was built in the current work item (recorded at its end). */
  private readonly pending: number[] = [];
  private flushQueuedFlag = false;

  constructor(
    readonly tcb: Tcb,
    settings: RxLayerSettings,
  ) {
    this.ackDelay = settings.ackDelaySink !== null ? settings.ackDelaySink(tcb) : null;
    this.all = settings.ackDelayAll;
    this.defer = settings.deferEffect;
  }

  get pqCount(): number {
    return this.pq.length;
  }

  /** Move every queued segment (and its IPv4 src/dst and CE mark) into `out`, emptying the queue; returns the count. */
  takeAll(out: { pkts: PacketBuffer[]; src: number[]; dst: number[]; ce: number[] }): number {
    const n = this.pq.length;
    for (let i = 0; i < n; i++) {
      out.pkts[i] = this.pq[i]!;
      out.src[i] = this.pqSrc[i]!;
      out.dst[i] = this.pqDst[i]!;
      out.ce[i] = this.pqCe[i]!;
    }
    this.pq.length = 0;
    this.pqSrc.length = 0;
    this.pqDst.length = 0;
    this.pqCe.length = 0;
    this.pqMemory = 0;
    this.pqOwner = null;
    return n;
  }

  /** Release every queued segment (connection gone). */
  clearQueue(): void {
    for (const p of this.bl) p.release();
    this.bl.length = 0;
    this.blSrc.length = 0;
    this.blDst.length = 0;
    this.blCe.length = 0;
    for (const p of this.pq) p.release();
    this.pq.length = 0;
    this.pqSrc.length = 0;
    this.pqDst.length = 0;
    this.pqCe.length = 0;
    this.pqMemory = 0;
    this.pqOwner = null;
  }

  // -------------------------------------------------------------------------
  // Hooks called by the engine

  /**
   * input.ts: an in-order payload of `len` bytes ending at tcb.rcvNxt + len is
   * about to be queued. Returns true when it was "eaten" (already copied to the
   * waiting reader; `pkt` is released here).
   */
  onInOrder(tcb: Tcb, pkt: PacketBuffer, len: number): boolean {
    const end = (tcb.rcvNxt + len) >>> 0;
    this.logArrival(end, pkt.timestamp > 0 ? pkt.timestamp : tcb.layer.clock.now());
    // Linux tcp_measure_rcv_mss: a segment shorter than rcv_mss sets ICSK_ACK_PUSHED.
    if (len < tcb.rcvMss) {
      this.pushed = true;
      this.pushedEnd = end;
    }
    if (this.eatPending > 0 && len === this.eatPending) {
      this.eatPending = 0;
      pkt.release();
      return true;
    }
    return false;
  }

  /** output.ts: a segment carrying ACK = tcb.rcvNxt left. */
  onAckSent(tcb: Tcb, now: Nanos): void {
    const ack = tcb.rcvNxt;
    if (this.pushed && ((this.pushedEnd - ack) | 0) <= 0) this.pushed = false;
    let any = false;
    while (this.logCount > 0) {
      const i = this.logHead;
      if (((this.logEnd[i]! - ack) | 0) > 0) break; // not covered yet
      const at = this.logAt[i]!;
      this.logHead = (i + 1) % this.logEnd.length;
      this.logCount--;
      if (this.defer === null) this.record(now - at);
      else {
        this.pending.push(at);
        any = true;
      }
    }
    if (any && !this.flushQueuedFlag) {
      this.flushQueuedFlag = true;
      this.defer!(flushAckSamples, this);
    }
  }

  /**
   * endpoint.ts recv(): the connection's strategy reads (a prequeue strategy
   * processes its queue here, in the reader's context); then the reader is no
   * longer waiting (Linux tcp_recvmsg clears ucopy.task on the way out).
   */
  read(tcb: Tcb, dst: Uint8Array, off: number, len: number): number {
    const p = (this.path ?? tcb.layer.receivePath) as Partial<RxStrategy>;
    const n = typeof p.read === 'function' ? p.read(tcb, dst, off, len) : tcb.recvBuf.read(dst, off, len);
    this.readerWaiting = false;
    this.readerLen = 0;
    return n;
  }

  /** Mark (len > 0) or unmark (0) a reader blocked in recv with a buffer of len bytes (Linux ucopy.task/len). */
  setReader(len: number): void {
    this.readerWaiting = len > 0;
    this.readerLen = len > 0 ? len : 0;
  }

  /**
   * timers.ts: the delayed-ACK timer fired. Returns true when it is handled here:
   * the socket is owned by a process (Linux: DelayedACKLocked, icsk_ack.blocked,
   * try again after TCP_DELACK_MIN; the release sends the ACK). Otherwise queued
   * segments are processed first (Linux tcp_delack_timer) and the handler goes on.
   */
  onDelackTimer(tcb: Tcb): boolean {
    if (this.owned) {
      tcb.layer.mib.DelayedACKLocked++;
      this.ackBlocked = true;
      tcb.delackTimer.arm(tcb.layer.clock.now() + TCP_DELACK_MIN);
      return true;
    }
    if (this.pq.length > 0 && this.pqOwner !== null) this.pqOwner.flushQueued(tcb, this);
    return false;
  }

  /**
   * Strategies' deliver: while a process owns the socket, an arriving segment goes to
   * the backlog, with its CE mark (layer.rxCe, set by input for this segment). Takes `pkt` when true.
   */
  backlogIfOwned(tcb: Tcb, pkt: PacketBuffer, src: number, dst: number): boolean {
    if (!this.owned) return false;
    this.bl.push(pkt);
    this.blSrc.push(src);
    this.blDst.push(dst);
    this.blCe.push(tcb.layer.rxCe ? 1 : 0);
    tcb.layer.mib.TCPBacklogQueued++;
    return true;
  }

  /** @internal effect: the ACKs built in the item just left the host. */
  flushSamples(): void {
    this.flushQueuedFlag = false;
    const now = this.tcb.layer.clock.now();
    for (const at of this.pending) this.record(now - at);
    this.pending.length = 0;
  }

  private record(d: number): void {
    const x = d > 0 ? d : 0;
    if (this.ackDelay !== null) this.ackDelay.add(x);
    if (this.all !== null) this.all.add(x);
  }

  private logArrival(end: number, at: number): void {
    if (this.ackDelay === null && this.all === null) return;
    if (this.logCount === this.logEnd.length) this.growLog();
    const i = (this.logHead + this.logCount) % this.logEnd.length;
    this.logEnd[i] = end;
    this.logAt[i] = at;
    this.logCount++;
  }

  private growLog(): void {
    const n = this.logEnd.length;
    const e = new Float64Array(n * 2);
    const a = new Float64Array(n * 2);
    for (let k = 0; k < this.logCount; k++) {
      e[k] = this.logEnd[(this.logHead + k) % n]!;
      a[k] = this.logAt[(this.logHead + k) % n]!;
    }
    this.logEnd = e;
    this.logAt = a;
    this.logHead = 0;
  }
}

// ---------------------------------------------------------------------------
// Layer settings and lazy per-connection state

const SETTINGS = new WeakMap<object, RxLayerSettings>();

/** The receive-path settings of a TcpLayer (created with no measurement on first use). */
export function rxSettings(layer: Tcb['layer']): RxLayerSettings {
  let s = SETTINGS.get(layer);
  if (s === undefined) {
    s = { ackDelaySink: null, ackDelayAll: null, deferEffect: null };
    SETTINGS.set(layer, s);
  }
  return s;
}

/** The connection's receive-path state, created on first use. */
export function rxStateOf(tcb: Tcb): RxState {
  let rx = tcb.rx;
  if (rx === null) {
    rx = new RxState(tcb, rxSettings(tcb.layer));
    tcb.rx = rx;
  }
  return rx;
}
