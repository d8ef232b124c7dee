/**
 * TcpLayer: the TCP engine of one stack, as the IPv4 layer sees it
 * (TransportProtocol: input, icmpError) and as the socket core sees it
 * (createEndpoint, mib, config).
 *
 * Owns: the stack-wide state — validated config, MIB, connection table, ISN
 * generator, the scratch reprs reused for every segment, the RFC 5961 §7
 * challenge-ACK budget, the readiness-event queue — the receive pipeline
 * stages (parse → demux → receive-path hook with the checksum step → per-state
 * processing, docs/tcp.md "Receive-path hook"), and the TCB lifecycle
 * (newTcb, closeTcb, failConnection).
 * Must not: implement per-state rules (input.ts), send decisions (output.ts)
 * or timer policy (timers.ts).
 *
 * Contexts (ARCHITECTURE "Contexts"): input/icmpError and timer callbacks are
 * softirq-like; readiness events raised meanwhile are delivered to endpoint
 * observers when the outermost softirq entry returns. Events raised from a
 * process-context call (an Endpoint method) are delivered by one deferred
 * clock callback, never from inside that call.
 */
import type { Clock, Nanos } from '../time/clock.js';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { CSUM_COMPLETE, CSUM_UNNECESSARY } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import type { Accounting } from '../acct/accounting.js';
import type { Ipv4Repr } from '../wire/ipv4.js';
import type { Ipv4Output, TransportProtocol } from '../ip/types.js';
import { Ecn, IpProtocol } from '../wire/ipv4.js';
import { combineSums, pseudoHeaderSum } from '../wire/checksum.js';
import { readU16, readU32 } from '../wire/address.js';
import { isWireError } from '../wire/error.js';
import { parseTcp, tcpChecksumValid, TcpRepr } from '../wire/tcp.js';
import { icmpErrno } from '../ip/errors.js';
import { IcmpType, IcmpUnreachableCode } from '../wire/icmp.js';
import { resolveTcpConfig, type EndpointOptions, type TcpConfig } from './config.js';
import { TcpMib } from './mib.js';
import { ConnectionTable } from './demux.js';
import { IsnGenerator, ISN_SECRET_BYTES } from './isn.js';
import { RttEstimator } from './rtt.js';
import { createCongestionController } from './cc/controller.js';
import { SendBuffer } from './send-buffer.js';
import { RecvBuffer } from './recv-buffer.js';
import { ReassemblyQueue } from './reassembly.js';
import { SackBlocks } from './sack.js';
import { delayedAckPolicy } from './delack.js';
import { CloseKind, isSynchronized, setState, Tcb, TcbEvent, TcpErrno, TcpState } from './tcb.js';
import { TCB_TIMER_FNS } from './timers.js';
import { processSegment } from './input.js';
import { sendRst, tcpOutput, TS_OPTION_SPACE } from './output.js';
import { detachChild } from './listen.js';
import { Endpoint } from './endpoint.js';
import { seqLe, seqLt } from './seq.js';

/**
 * What TCP needs from the IPv4 layer: src/ip's Ipv4Output (docs/ARCHITECTURE.md
 * "L4 ↔ IP") plus one optional query, `txChecksumOffload(dst)` — whether the
 * route's NIC completes CSUM_PARTIAL checksums (src/ip/ipv4.ts provides it).
 * Without it TCP always checksums in software, which is always correct.
 */
export interface TcpIpOutput extends Ipv4Output {
  txChecksumOffload?(dst: number): boolean;
}

/**
 * The receive-path strategy (issue F): what happens between demux and the
 * per-state processing. `deliver` owns `pkt`; it must eventually call
 * layer.verifyAndProcess(tcb, pkt, src, dst, repr) — now (direct) or later in
 * process context (prequeue, re-parsing into a repr of its own) — or drop it.
 */
export interface ReceivePath {
  readonly name: string;
  deliver(layer: TcpLayer, tcb: Tcb | null, pkt: PacketBuffer, src: number, dst: number, repr: TcpRepr): void;
}

/** `direct`: checksum and process at once in softirq context (modern Linux). */
export const DIRECT_RECEIVE_PATH: ReceivePath = {
  name: 'direct',
  deliver(layer, tcb, pkt, src, dst, repr) {
    layer.verifyAndProcess(tcb, pkt, src, dst, repr);
  },
};

export interface TcpLayerOptions {
  clock: Clock;
  ip: TcpIpOutput;
  pool: PacketPool;
  acct: Accounting;
  config?: Partial<TcpConfig>;
  /**
   * RFC 6528 secret (16 bytes) for ISNs, timestamp offsets and ephemeral ports.
   * Simulation: derive it from the seed. Real mode: pass random bytes — the
   * default key is a fixed constant (deterministic, NOT secret).
   */
  isnKey?: Uint8Array;
  /** Receive-path strategy (default `direct`). */
  receivePath?: ReceivePath;
}

const DEFAULT_ISN_KEY = Uint8Array.from([0x7a, 0x65, 0x72, 0x6f, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2d, 0x69, 0x73, 0x6e, 0x2d, 0x6b, 0x79]);

function flushDeferred(layer: TcpLayer): void {
  layer.flushScheduled = false;
  layer.flushEvents();
}

export class TcpLayer implements TransportProtocol {
  readonly clock: Clock;
  readonly ip: TcpIpOutput;
  readonly pool: PacketPool;
  readonly acct: Accounting;
  readonly config: TcpConfig;
  readonly mib = new TcpMib();
  readonly demux: ConnectionTable;
  receivePath: ReceivePath;
  /** Scratch reprs: one for the segment being parsed, one for the segment being built. */
  readonly rxRepr = new TcpRepr();
  readonly txRepr = new TcpRepr();
  private readonly isn: IsnGenerator;
  private readonly hasOffloadQuery: boolean;

  // RFC 5961 §7 challenge-ACK budget: `challengeCount` sent in the second `challengeSecond`.
  private challengeSecond = -1;
  private challengeCount = 0;

  /** Result of the last Ipv4Output.output call (0 or a negative errno), for callers that react (EMSGSIZE). */
  lastOutputError = 0;
  /**
   * The segment being processed arrived with IP ECN = CE (RFC 3168 §5), for src/tcp/ecn.ts.
   * Set by input() for its synchronous part; a receive path that queues a segment
   * (backlog, prequeue) keeps this mark beside it and restores it with processQueued.
   */
  rxCe = false;

  // Readiness events (see module comment).
  private readonly eventQueue: Tcb[] = [];
  /** Depth of softirq entries (input, icmpError, timers) on the stack. */
  depth = 0;
  flushScheduled = false;

  constructor(opts: TcpLayerOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`TcpLayer options must be an object, got ${String(opts)}`);
    for (const k of ['clock', 'ip', 'pool', 'acct'] as const) {
      if (opts[k] === undefined || opts[k] === null) throw new TypeError(`TcpLayer option ${k} is required`);
    }
    this.clock = opts.clock;
    this.ip = opts.ip;
    this.pool = opts.pool;
    this.acct = opts.acct;
    this.config = resolveTcpConfig(opts.config ?? {});
    const key = opts.isnKey ?? DEFAULT_ISN_KEY;
    if (!(key instanceof Uint8Array) || key.length !== ISN_SECRET_BYTES) {
      throw new RangeError(`TcpLayer option isnKey must be a Uint8Array of ${ISN_SECRET_BYTES} bytes`);
    }
    this.isn = new IsnGenerator(key);
    const seed = this.isn.offset(0, 0, 0, 0);
    this.demux = new ConnectionTable(seed, this.config.ephemeralLow, this.config.ephemeralHigh);
    this.receivePath = opts.receivePath ?? DIRECT_RECEIVE_PATH;
    this.hasOffloadQuery = typeof this.ip.txChecksumOffload === 'function';
    // Validate names now rather than at the first connection.
    delayedAckPolicy(this.config.delackPolicy);
    createCongestionController(this.config.congestionControl, { initialWindowSegments: this.config.initialWindowSegments });
  }

  /** A new endpoint (socket) in CLOSED. */
  createEndpoint(): Endpoint {
    return new Endpoint(this, null);
  }

  // -------------------------------------------------------------------------
  // Receive pipeline: parse → demux → receive path (checksum) → process

  /** TransportProtocol.input: a TCP segment from IPv4 (head at the TCP header). Takes ownership. */
  input(pkt: PacketBuffer, src: number, dst: number, ip?: Ipv4Repr): void {
    this.depth++;
    const outerCe = this.rxCe;
    this.rxCe = ip !== undefined && ip.ecn === Ecn.CE;
    try {
      // No acct.packet() here: the frame was charged once, by IP's receive (ipv4-input.ts frame()).
      if (pkt.next !== null) {
        const flat = this.linearize(pkt);
        if (flat === null) {
          this.mib.OutNoBuffers++;
          return;
        }
        pkt = flat;
      }
      // Stage 1: parse the header into the reused repr (never throws).
      const seg = parseTcp(pkt.bytes, pkt.head, pkt.tail - pkt.head, this.rxRepr);
      if (isWireError(seg)) {
        this.mib.InMalformed++;
        this.mib.InErrs++;
        pkt.release();
        return;
      }
      this.mib.InSegs++;
      // Stage 2: demux — an exact 4-tuple first, then a listener.
      let tcb = this.demux.lookup(dst, seg.dstPort, src, seg.srcPort);
      if (tcb === null) tcb = this.demux.findListener(dst, seg.dstPort);
      // Stage 3: the receive path decides when the checksum step and processing run.
      // A per-socket strategy (src/tcp/rx-path setReceivePath) overrides the layer's.
      const path = tcb !== null && tcb.rx !== null && tcb.rx.path !== null ? tcb.rx.path : this.receivePath;
      path.deliver(this, tcb, pkt, src, dst, seg);
    } finally {
      this.rxCe = outerCe;
      if (--this.depth === 0) this.flushEvents();
    }
  }

  /** Stage 3b + 4: verify the checksum per csumState, then run the per-state rules. Takes `pkt`. */
  verifyAndProcess(tcb: Tcb | null, pkt: PacketBuffer, src: number, dst: number, seg: TcpRepr): void {
    if (!this.checksumOk(pkt, src, dst)) {
      this.mib.InCsumErrors++;
      this.mib.InErrs++;
      pkt.release();
      return;
    }
    processSegment(this, tcb, seg, pkt, src, dst);
  }

  /**
   * verifyAndProcess for a segment a receive path queued at input and processes
   * later (backlog, prequeue): `ce` is the rxCe it had at arrival, so RFC 3168
   * §6.1.3 (CE → ECE) sees the mark the IP header carried. Takes `pkt`.
   */
  processQueued(tcb: Tcb, pkt: PacketBuffer, src: number, dst: number, seg: TcpRepr, ce: boolean): void {
    const outerCe = this.rxCe;
    this.rxCe = ce;
    try {
      this.verifyAndProcess(tcb, pkt, src, dst, seg);
    } finally {
      this.rxCe = outerCe;
    }
  }

  /**
   * docs/tcp.md "Checksums on transmit and receive": UNNECESSARY — done;
   * COMPLETE — fold the device's sum with the pseudo-header; NONE — software (acct.csum).
   */
  checksumOk(pkt: PacketBuffer, src: number, dst: number): boolean {
    const len = pkt.tail - pkt.head;
    if (pkt.csumState === CSUM_UNNECESSARY) return true;
    if (pkt.csumState === CSUM_COMPLETE) {
      return combineSums(pseudoHeaderSum(src, dst, IpProtocol.TCP, len), pkt.csumValue, false) === 0xffff;
    }
    this.acct.csum(len);
    return tcpChecksumValid(pkt.bytes, pkt.head, len, src, dst, this.pool.checksum);
  }

  /** A chained segment (e.g. reassembled IP fragments) copied into one buffer; null if the pool is empty. */
  private linearize(pkt: PacketBuffer): PacketBuffer | null {
    const total = pkt.chainLength();
    const flat = this.pool.alloc(total, 0);
    if (flat === null) {
      pkt.release();
      return null;
    }
    let at = flat.append(total);
    for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
      const n = b.tail - b.head;
      flat.bytes.set(b.bytes.subarray(b.head, b.tail), at);
      at += n;
    }
    this.acct.copy(total);
    flat.csumState = pkt.csumState === CSUM_UNNECESSARY || pkt.csumState === CSUM_COMPLETE ? pkt.csumState : 0;
    flat.csumValue = pkt.csumValue;
    flat.timestamp = pkt.timestamp;
    pkt.release();
    return flat;
  }

  /**
   * TransportProtocol.icmpError (RFC 1122 §4.2.3.9, RFC 5927): `bytes[innerOffset…]`
   * holds the IPv4 header and at least 8 bytes of the TCP header we sent.
   */
  icmpError(type: number, code: number, info: number, bytes: Uint8Array, innerOffset: number, innerLength: number): void {
    this.depth++;
    try {
      if (innerLength < 28 || innerOffset < 0 || innerOffset + innerLength > bytes.length) return;
      const ihl = (bytes[innerOffset]! & 0x0f) * 4;
      if (ihl < 20 || innerLength < ihl + 8 || bytes[innerOffset + 9] !== IpProtocol.TCP) return;
      const local = readU32(bytes, innerOffset + 12);
      const remote = readU32(bytes, innerOffset + 16);
      const at = innerOffset + ihl;
      const lport = readU16(bytes, at);
      const rport = readU16(bytes, at + 2);
      const seq = readU32(bytes, at + 4);
      const tcb = this.demux.lookup(local, lport, remote, rport);
      if (tcb === null) return;
      // RFC 5927 §4.1: act only if the quoted sequence number is in flight (SND.UNA ≤ seq < SND.MAX).
      if (!(seqLe(tcb.sndUna, seq) && seqLt(seq, tcb.sndMax))) return;
      if (type === IcmpType.DEST_UNREACHABLE && code === IcmpUnreachableCode.FRAGMENTATION_NEEDED) {
        this.pmtuReduced(tcb, info);
        return;
      }
      const errno = icmpErrno(type, code);
      if (errno === 0) return;
      if (tcb.state === TcpState.SYN_SENT || (tcb.state === TcpState.SYN_RECEIVED && tcb.active)) {
        // Linux tcp_v4_err: an ICMP error aborts a connection attempt.
        this.failConnection(tcb, errno, false);
      } else {
        // RFC 1122 §4.2.3.9: soft errors for established connections; reported if the
        // connection later times out (Linux sk_err_soft).
        tcb.softError = errno;
      }
    } finally {
      if (--this.depth === 0) this.flushEvents();
    }
  }

  /** RFC 1191 / RFC 8201: a smaller path MTU; resend from SND.UNA with the new MSS (Linux tcp_simple_retransmit). */
  private pmtuReduced(tcb: Tcb, mtu: number): void {
    if (this.pathMtuChanged(tcb, mtu) && isSynchronized(tcb.state)) {
      tcb.sndNxt = tcb.sndUna;
      tcb.rttTiming = false;
      tcpOutput(tcb);
    }
  }

  /** Adopt a smaller path MTU (never below 68): recompute the send MSS. Returns whether the MSS shrank. */
  pathMtuChanged(tcb: Tcb, mtu: number): boolean {
    if (mtu < 68 || mtu >= tcb.pmtu) return false;
    tcb.pmtu = mtu;
    let mss = Math.min(tcb.peerMss, mtu - 40);
    if (tcb.opts.maxseg > 0 && tcb.opts.maxseg < mss) mss = tcb.opts.maxseg;
    mss -= tcb.tsEnabled ? TS_OPTION_SPACE : 0;
    if (mss < 1) mss = 1;
    if (mss >= tcb.sndMss) return false;
    tcb.sndMss = mss;
    tcb.sendBuf.segmentSize = mss;
    tcb.cc.setSmss(mss);
    return true;
  }

  // -------------------------------------------------------------------------
  // Services for the per-connection modules

  /** Whether checksums towards `dst` are completed by the NIC (CSUM_PARTIAL). */
  txChecksumOffload(dst: number): boolean {
    return this.hasOffloadQuery && this.ip.txChecksumOffload!(dst);
  }

  /** RFC 6528 ISN for a 4-tuple at `now`. */
  isnFor(localAddr: number, localPort: number, remoteAddr: number, remotePort: number, now: Nanos): number {
    return this.isn.next(localAddr, localPort, remoteAddr, remotePort, now);
  }

  /** RFC 7323 §5.4: a per-connection timestamp offset, keyed like the ISN (tuple reversed, so unrelated to it). */
  tsOffsetFor(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): number {
    return this.isn.offset(remoteAddr, remotePort, localAddr, localPort);
  }

  /** RFC 5961 §7: may one more challenge ACK be sent this second? */
  challengeAckAllowed(): boolean {
    const second = Math.floor(this.clock.now() / 1_000_000_000);
    if (second !== this.challengeSecond) {
      this.challengeSecond = second;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= this.config.challengeAckLimit) return false;
    this.challengeCount++;
    return true;
  }

  /** A TCB with fresh buffers, estimator, controller and timers. `copyOpts` gives it its own options object. */
  newTcb(opts: EndpointOptions, copyOpts: boolean): Tcb {
    const c = this.config;
    const o = copyOpts ? { ...opts, linger: { ...opts.linger } } : opts;
    const tcb = new Tcb(this, o, TCB_TIMER_FNS);
    tcb.rtt = new RttEstimator({ initialRto: c.initialRto, minRto: c.minRto, maxRto: c.maxRto, granularity: c.rttGranularity });
    tcb.cc = createCongestionController(c.congestionControl, { initialWindowSegments: c.initialWindowSegments });
    tcb.sendBuf = new SendBuffer(this.pool, o.sndbuf, this.acct);
    tcb.recvBuf = new RecvBuffer(o.rcvbuf, this.acct);
    tcb.reasm = new ReassemblyQueue(c.oooLimit, this.pool);
    tcb.sack = new SackBlocks(4, c.dsack);
    tcb.delack = delayedAckPolicy(o.delack);
    tcb.lastRecv = this.clock.now();
    return tcb;
  }

  /**
   * Enter CLOSED: cancel timers, leave the tables, free buffers, count (RFC 4022
   * AttemptFails / EstabResets), and tell the endpoint (ERROR with `errno` if
   * non-zero, then HUP). Idempotent.
   */
  closeTcb(tcb: Tcb, errno: number): void {
    const old = tcb.state;
    if (old === TcpState.SYN_SENT || old === TcpState.SYN_RECEIVED) this.mib.AttemptFails++;
    else if (old === TcpState.ESTABLISHED || old === TcpState.CLOSE_WAIT) this.mib.EstabResets++;
    setState(tcb, TcpState.CLOSED);
    tcb.cancelTimers();
    this.demux.remove(tcb);
    if (tcb.listenState !== null) this.demux.removeListener(tcb);
    detachChild(tcb);
    const keepPort = tcb.ep !== null && tcb.ep.keepsPort && tcb.closeKind === CloseKind.OPEN;
    if (!keepPort) this.demux.releasePort(tcb);
    tcb.sendBuf.clear();
    tcb.reasm.clear();
    tcb.sack.clear();
    if (tcb.rx !== null) tcb.rx.clearQueue(); // raw segments a receive path still held
    if (tcb.closeKind === CloseKind.CLOSED || tcb.ep === null) tcb.recvBuf.clear();
    tcb.ackPending = false;
    tcb.ackNow = false;
    if (old !== TcpState.CLOSED) {
      if (errno !== 0 && tcb.errorCode === 0) tcb.errorCode = errno;
      this.raise(tcb, errno !== 0 ? TcbEvent.ERROR | TcbEvent.HUP : TcbEvent.HUP, errno);
    }
  }

  /**
   * The connection failed or is aborted: optionally send a RST (synchronized
   * states only, RFC 9293 §3.10.5), then closeTcb. A timeout reports a pending
   * soft ICMP error instead of ETIMEDOUT (Linux).
   */
  failConnection(tcb: Tcb, errno: number, rst: boolean): void {
    if (rst && (isSynchronized(tcb.state) || tcb.state === TcpState.SYN_RECEIVED) && tcb.state !== TcpState.TIME_WAIT) sendRst(tcb);
    if (errno === TcpErrno.ETIMEDOUT && tcb.softError !== 0) errno = tcb.softError;
    this.closeTcb(tcb, errno);
  }

  // -------------------------------------------------------------------------
  // Readiness events

  /** Queue readiness events for the TCB's endpoint (delivered by flushEvents). */
  raise(tcb: Tcb, events: number, errno: number): void {
    if (tcb.ep === null || tcb.closeKind === CloseKind.CLOSED) return;
    tcb.events |= events;
    if (errno !== 0) tcb.eventErrno = errno;
    if (!tcb.eventsQueued) {
      tcb.eventsQueued = true;
      this.eventQueue.push(tcb);
    }
    if (this.depth === 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      this.clock.defer(flushDeferred, this);
    }
  }

  /** Deliver queued events to observers (softirq context). */
  flushEvents(): void {
    const q = this.eventQueue;
    for (let i = 0; i < q.length; i++) {
      const tcb = q[i]!;
      const ev = tcb.events;
      const errno = tcb.eventErrno;
      tcb.events = 0;
      tcb.eventErrno = 0;
      tcb.eventsQueued = false;
      const ep = tcb.ep;
      if (ep !== null && ev !== 0 && tcb.closeKind === CloseKind.OPEN) ep.deliverEvents(ev, errno);
    }
    q.length = 0;
  }

  /** Every connection in the 4-tuple table (tests, diagnostics). */
  connections(): Tcb[] {
    return [...this.demux.connections()];
  }
}
