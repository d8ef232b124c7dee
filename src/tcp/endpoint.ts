/**
 * Endpoint: the user-call API of one TCP connection or listener (RFC 9293
 * §3.10.1-6: OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS) in BSD-socket shape,
 * non-blocking, with errno results, readiness through an observer, options, and
 * a TCP_INFO-like status. The socket core (src/socket) is a thin layer on this.
 *
 * Owns: argument and state checks of each call, binding (local address/port),
 * the endpoint's options, and turning TCB events into observer calls.
 * Must not: implement protocol rules (input/output/timers do). Every call is
 * process context: it counts one acct.syscall() and never calls the observer
 * synchronously (events it causes are delivered by a deferred clock callback).
 *
 * Results: every call returns a number ≥ 0 on success, or a negative Linux errno
 * from TcpErrno (EAGAIN −11, EINPROGRESS −115, ECONNREFUSED −111, ECONNRESET −104,
 * ETIMEDOUT −110, EPIPE −32, EADDRINUSE −98, EADDRNOTAVAIL −99, ENOTCONN −107,
 * EINVAL −22, EISCONN −106, EALREADY −114, EHOSTUNREACH −113, ENETUNREACH −101,
 * EMSGSIZE −90); tcpErrnoName(n) gives the code string. accept() returns an
 * Endpoint or an errno. Bad arguments that are programming errors (offsets
 * outside an array, unknown option names, bad option values) throw TypeError/RangeError.
 *
 * Readiness (observer): onConnect (active open completed), onAcceptable (a child
 * is in the accept queue), onReadable (data or EOF arrived), onWritable (send
 * space returned after a send was refused or cut short, or the connection became
 * writable), onError(errno) (the connection failed: ECONNREFUSED, ECONNRESET,
 * ETIMEDOUT, …), onHup (the connection is finished: CLOSED, or TIME-WAIT),
 * onSendComplete(id) (every byte of a sendZeroCopy buffer was acknowledged).
 * Events are edge-like notifications; the level state is queryable
 * (readableLength, writableSpace, isReadable, isWritable, errorCode, state).
 * A child returned by accept() may already hold data: check isReadable.
 *
 * Urgent data: RFC 9293 §3.8.5 urgent pointers are recorded (info().rcvUp) but
 * there is no out-of-band channel: urgent bytes are delivered inline, in order,
 * like any other data (as SO_OOBINLINE).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Nanos } from '../time/clock.js';
import { defaultEndpointOptions, validateEndpointOption, type EndpointOptionName, type EndpointOptions } from './config.js';
import { delayedAckPolicy } from './delack.js';
import { prepareActiveOptions } from './input.js';
import { Listener, closeListener } from './listen.js';
import { sendAck, sendSyn, tcpOutput, windowUpdateWorthy } from './output.js';
import { ackAfterRead } from './read-ack.js';
import { seqAdd, seqDiff } from './seq.js';
import { CloseKind, isSynchronized, setState, TcbEvent, TcpErrno, TcpState, TCP_STATE_NAMES, type Tcb, type TcpStateName } from './tcb.js';
import { armFinWait2, armKeepalive } from './timers.js';
import type { TcpLayer } from './tcp-layer.js';

export { TcpErrno, tcpErrnoName } from './tcb.js';

/** shutdown() directions (BSD values). */
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** TCP_INFO tcpi_options bits (Linux). */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
/** ECN negotiated (RFC 3168 §6.1.1). */
export const TCPI_OPT_ECN = 8;

export interface EndpointObserver {
  onReadable(ep: Endpoint): void;
  onWritable(ep: Endpoint): void;
  onError(ep: Endpoint, errno: number): void;
  onHup(ep: Endpoint): void;
  onConnect(ep: Endpoint): void;
  onAcceptable(ep: Endpoint): void;
  /** Optional: a sendZeroCopy buffer is fully acknowledged (its memory may be reused). */
  onSendComplete?(ep: Endpoint, id: number): void;
}

/** An observer that ignores everything (the default). */
export const NULL_OBSERVER: EndpointObserver = Object.freeze({
  onReadable() {},
  onWritable() {},
  onError() {},
  onHup() {},
  onConnect() {},
  onAcceptable() {},
});

/** How send() stores data: plain copy, or copy with the checksum fused (payload sum kept per chunk). */
export type SendCopyMode = 'copy' | 'copyCsum';

/** Linux TCP_INFO, with times in ns (not µs) and sizes in bytes unless named …Segs. */
export interface TcpInfo {
  state: TcpStateName;
  /** Consecutive timeouts without progress (tcpi_retransmits), keepalive/persist probes out, backoff exponent. */
  retransmits: number;
  probes: number;
  backoff: number;
  /** TCPI_OPT_* bits of the negotiated options. */
  options: number;
  sndWscale: number;
  rcvWscale: number;
  rto: Nanos;
  /** Delayed-ACK timeout in use (tcpi_ato). */
  ato: Nanos;
  sndMss: number;
  rcvMss: number;
  advMss: number;
  /** Segments in flight (tcpi_unacked), as sndMss-sized units. */
  unacked: number;
  /** No sender-side SACK scoreboard: always 0. */
  sacked: number;
  /** No loss marking beyond NewReno: always 0. */
  lost: number;
  /** Time since last data sent / received and last ACK received; -1 if never. */
  lastDataSent: Nanos;
  lastDataRecv: Nanos;
  lastAckRecv: Nanos;
  pmtu: number;
  rtt: Nanos;
  rttvar: Nanos;
  /** Congestion window and slow-start threshold in bytes and in segments (Linux reports segments). */
  cwnd: number;
  ssthresh: number;
  sndCwnd: number;
  sndSsthresh: number;
  sndWnd: number;
  rcvWnd: number;
  totalRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  bytesSent: number;
  bytesRetrans: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  dataSegsIn: number;
  delivered: number;
  /** Bytes queued but not yet sent (tcpi_notsent_bytes). */
  notsentBytes: number;
  /** Bytes readable now. */
  rcvQueued: number;
  /** Out-of-order bytes held. */
  reordBytes: number;
  rcvUp: number;
  congestionControl: string;
  delackPolicy: string;
  inRecovery: boolean;
}

export class Endpoint {
  readonly layer: TcpLayer;
  /** Readiness observer (set by the socket core). */
  observer: EndpointObserver = NULL_OBSERVER;
  /** Free slot for the owner (socket core) to find its object from callbacks. */
  context: unknown = null;
  /** Copy mode for send() (not sendZeroCopy). */
  sendCopyMode: SendCopyMode = 'copy';
  /** The current connection record. Replaced when a finished endpoint connects again. */
  tcb: Tcb;
  private readonly opts: EndpointOptions;
  /** bind() was called: the port stays reserved while the endpoint is open (Linux SOCK_BINDPORT_LOCK). */
  keepsPort = false;
  private closed = false;
  /** The TCB was used for a connection attempt or listen (connect again needs a fresh one). */
  private used = false;
  private readonly completeFn: (id: number) => void;

  /** @internal Use TcpLayer.createEndpoint() (or accept()). */
  constructor(layer: TcpLayer, child: Tcb | null) {
    this.layer = layer;
    this.completeFn = (id: number) => {
      const f = this.observer.onSendComplete;
      if (f !== undefined) f.call(this.observer, this, id);
    };
    if (child !== null) {
      this.tcb = child;
      this.opts = child.opts;
      this.used = true;
    } else {
      this.opts = defaultEndpointOptions(layer.config);
      this.tcb = layer.newTcb(this.opts, false);
    }
    this.tcb.ep = this;
    this.tcb.sendBuf.onComplete = this.completeFn;
  }

  // -------------------------------------------------------------------------
  // Status

  get state(): TcpStateName {
    return TCP_STATE_NAMES[this.tcb.state]!;
  }
  get localAddress(): number {
    return this.tcb.localAddr;
  }
  get localPort(): number {
    return this.tcb.localPort;
  }
  get remoteAddress(): number {
    return this.tcb.remoteAddr;
  }
  get remotePort(): number {
    return this.tcb.remotePort;
  }
  /** Pending error (negative errno) or 0; sticky (see takeError for SO_ERROR semantics). */
  get errorCode(): number {
    return this.tcb.errorCode;
  }
  /** SO_ERROR: the pending error, cleared. */
  takeError(): number {
    const e = this.tcb.errorCode;
    this.tcb.errorCode = 0;
    return e;
  }
  /** Bytes recv() would return now. */
  get readableLength(): number {
    return this.tcb.recvBuf.length;
  }
  /** Bytes send() would accept now (0 when not connected). */
  get writableSpace(): number {
    const s = this.tcb.state;
    if (s !== TcpState.ESTABLISHED && s !== TcpState.CLOSE_WAIT) return 0;
    if (this.tcb.shutWr) return 0;
    return this.tcb.sendBuf.space();
  }
  /** recv() would not return EAGAIN (data, EOF or an error). */
  get isReadable(): boolean {
    const t = this.tcb;
    if (t.state === TcpState.LISTEN) return t.listenState!.acceptCount > 0;
    return t.recvBuf.length > 0 || t.finReceived || t.shutRd || t.errorCode !== 0;
  }
  /** send() would not return EAGAIN. */
  get isWritable(): boolean {
    return this.writableSpace > 0 || this.tcb.errorCode !== 0 || this.tcb.shutWr;
  }
  /**
   * Linux POLLHUP: the connection is finished (CLOSED after use), or both directions are
   * shut (our FIN queued and the peer's FIN received / SHUT_RD).
   */
  get isHup(): boolean {
    const t = this.tcb;
    if (t.state === TcpState.CLOSED) return this.used;
    return t.shutWr && (t.finReceived || t.shutRd);
  }
  /** The peer's FIN has been received (all data before it is in the receive queue). */
  get eofReceived(): boolean {
    return this.tcb.finReceived;
  }

  // -------------------------------------------------------------------------
  // OPEN: bind, listen, accept, connect

  /** bind(addr, port): port 0 picks an ephemeral port. EINVAL if already bound/used, EADDRNOTAVAIL, EADDRINUSE. */
  bind(addr: number, port: number): number {
    this.layer.acct.syscall();
    checkAddrPort(addr, port, true);
    const t = this.tcb;
    if (this.closed || t.state !== TcpState.CLOSED || t.portBound) return TcpErrno.EINVAL;
    const layer = this.layer;
    if (addr !== 0 && !layer.ip.isLocalAddress(addr)) return TcpErrno.EADDRNOTAVAIL;
    if (port === 0) {
      port = layer.demux.allocEphemeral(addr, 0, 0, false);
      if (port === 0) return TcpErrno.EADDRINUSE;
    } else if (!layer.demux.canBind(addr, port, this.opts.reuseAddr, t)) {
      return TcpErrno.EADDRINUSE;
    }
    t.localAddr = addr >>> 0;
    t.localPort = port;
    layer.demux.claimPort(t);
    this.keepsPort = true;
    return 0;
  }

  /** listen(backlog): LISTEN (auto-binding an ephemeral port). Backlog clamped to config.backlogLimit. */
  listen(backlog: number): number {
    this.layer.acct.syscall();
    if (!Number.isInteger(backlog)) throw new TypeError(`listen: backlog must be an integer, got ${String(backlog)}`);
    const layer = this.layer;
    let t = this.tcb;
    const b = Math.min(Math.max(backlog, 0), layer.config.backlogLimit);
    if (this.closed) return TcpErrno.EINVAL;
    if (t.state === TcpState.LISTEN) {
      t.listenState!.backlog = b;
      return 0;
    }
    if (t.state !== TcpState.CLOSED) return TcpErrno.EINVAL;
    if (this.used) t = this.freshTcb();
    if (!t.portBound) {
      const port = layer.demux.allocEphemeral(0, 0, 0, false);
      if (port === 0) return TcpErrno.EADDRINUSE;
      t.localAddr = 0;
      t.localPort = port;
      layer.demux.claimPort(t);
      this.keepsPort = true;
    }
    if (layer.demux.hasOverlappingListener(t.localAddr, t.localPort, t)) return TcpErrno.EADDRINUSE;
    t.listenState = new Listener(b);
    setState(t, TcpState.LISTEN);
    layer.demux.addListener(t);
    this.used = true;
    return 0;
  }

  /** accept(): the oldest established child as a new Endpoint, or EAGAIN; EINVAL if not listening. */
  accept(): Endpoint | number {
    this.layer.acct.syscall();
    const t = this.tcb;
    if (t.state !== TcpState.LISTEN || this.closed) return TcpErrno.EINVAL;
    const child = t.listenState!.shiftAccept();
    if (child === null) return TcpErrno.EAGAIN;
    child.parent = null;
    return new Endpoint(this.layer, child);
  }

  /**
   * connect(addr, port) (RFC 9293 §3.10.1 active OPEN): sends the SYN and returns
   * EINPROGRESS; onConnect or onError(ECONNREFUSED / ETIMEDOUT / …) follows.
   * EALREADY while connecting, EISCONN when connected or listening.
   */
  connect(addr: number, port: number): number {
    this.layer.acct.syscall();
    checkAddrPort(addr, port, true);
    const layer = this.layer;
    if (this.closed || addr === 0) return TcpErrno.EINVAL;
    let t = this.tcb;
    switch (t.state) {
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED:
        return TcpErrno.EALREADY;
      case TcpState.CLOSED:
        break;
      default:
        return TcpErrno.EISCONN;
    }
    if (port === 0) return TcpErrno.ECONNREFUSED;
    let local = t.portBound ? t.localAddr : 0;
    if (local === 0) {
      local = layer.ip.sourceFor(addr);
      if (local < 0) return TcpErrno.ENETUNREACH;
    }
    if (this.used) t = this.freshTcb();
    let lport = t.portBound ? t.localPort : 0;
    if (lport === 0) {
      lport = layer.demux.allocEphemeral(local, addr, port, true);
      if (lport === 0) return TcpErrno.EADDRNOTAVAIL;
    } else if (layer.demux.lookup(local, lport, addr, port) !== null) {
      return TcpErrno.EADDRNOTAVAIL; // the 4-tuple is in use (e.g. in TIME-WAIT), Linux __inet_check_established
    }
    const wasBound = t.portBound;
    if (wasBound) layer.demux.releasePort(t);
    t.localAddr = local >>> 0;
    t.localPort = lport;
    t.remoteAddr = addr >>> 0;
    t.remotePort = port;
    layer.demux.claimPort(t);
    if (!layer.demux.insert(t)) {
      layer.demux.releasePort(t);
      return TcpErrno.EADDRNOTAVAIL;
    }
    this.used = true;
    t.errorCode = 0;
    const now = layer.clock.now();
    t.active = true;
    t.iss = layer.isnFor(local, lport, addr, port, now);
    t.sndUna = t.iss;
    t.sndNxt = t.iss;
    t.sndMax = t.iss;
    t.sndBufSeq = seqAdd(t.iss, 1);
    t.recover = t.iss;
    t.tsOffset = layer.tsOffsetFor(local, lport, addr, port);
    t.lastRecv = now;
    prepareActiveOptions(t);
    // Until the SYN-ACK, the effective MSS follows the route (RFC 9293 §3.7.1 default 536 if it never says).
    t.sndMss = Math.max(1, Math.min(layer.config.defaultMss, t.advMss));
    t.cc.setSmss(t.sndMss);
    t.cc.init(t.sndMss, now);
    setState(t, TcpState.SYN_SENT);
    layer.mib.ActiveOpens++;
    if (this.opts.connectTimeout > 0) t.connTimer.armAfter(this.opts.connectTimeout);
    sendSyn(t, false);
    return TcpErrno.EINPROGRESS;
  }

  // -------------------------------------------------------------------------
  // SEND / RECEIVE

  /** send(): bytes accepted into the send buffer (> 0), or EAGAIN / EPIPE / ENOTCONN / the pending error. */
  send(bytes: Uint8Array, off: number, len: number): number {
    this.layer.acct.syscall();
    checkRange('send', bytes, off, len);
    const t = this.tcb;
    const e = this.sendCheck(t);
    if (e !== 0) return e;
    if (len === 0) return 0;
    const n = this.sendCopyMode === 'copyCsum' ? t.sendBuf.appendCopySum(bytes, off, len) : t.sendBuf.appendCopy(bytes, off, len);
    return this.afterAppend(t, n, len);
  }

  /**
   * Zero-copy send (MSG_ZEROCOPY-like): the bytes are wrapped, not copied; the
   * caller must not modify them until observer.onSendComplete(ep, id) reports
   * that every byte was acknowledged. Returns bytes accepted or an errno.
   */
  sendZeroCopy(bytes: Uint8Array, off: number, len: number, id: number): number {
    this.layer.acct.syscall();
    checkRange('sendZeroCopy', bytes, off, len);
    const t = this.tcb;
    const e = this.sendCheck(t);
    if (e !== 0) return e;
    if (len === 0) return 0;
    const n = t.sendBuf.appendZeroCopy(bytes, off, len, id);
    return this.afterAppend(t, n, len);
  }

  private sendCheck(t: Tcb): number {
    if (this.closed) return TcpErrno.EPIPE;
    switch (t.state) {
      case TcpState.ESTABLISHED:
      case TcpState.CLOSE_WAIT:
        return t.shutWr ? TcpErrno.EPIPE : 0;
      case TcpState.SYN_SENT:
      case TcpState.SYN_RECEIVED:
        return TcpErrno.EAGAIN;
      case TcpState.CLOSED:
        if (t.errorCode !== 0) return t.errorCode;
        return this.used ? TcpErrno.EPIPE : TcpErrno.ENOTCONN;
      case TcpState.LISTEN:
        return TcpErrno.ENOTCONN;
      default:
        return TcpErrno.EPIPE;
    }
  }

  private afterAppend(t: Tcb, n: number, len: number): number {
    if (n < len) t.sndBlocked = true;
    if (n === 0) return TcpErrno.EAGAIN;
    tcpOutput(t);
    return n;
  }

  /** recv(): bytes copied (> 0), 0 at EOF, or EAGAIN / ENOTCONN / the pending error. */
  recv(dst: Uint8Array, off: number, len: number): number {
    this.layer.acct.syscall();
    checkRange('recv', dst, off, len);
    const t = this.tcb;
    // A receive-path strategy (src/tcp/rx-path) may process its prequeue here, in the reader's context.
    const n = len > 0 ? (t.rx !== null ? t.rx.read(t, dst, off, len) : t.recvBuf.read(dst, off, len)) : 0;
    return this.afterRead(t, n, len);
  }

  /**
   * Zero-copy receive: moves up to `max` whole received buffers into
   * out[0..k) and returns k (> 0); the caller owns them (reads bytes in place,
   * then releases each). Returns 0 at EOF, or an errno as recv().
   */
  recvViews(max: number, out: PacketBuffer[]): number {
    this.layer.acct.syscall();
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`recvViews: max must be a non-negative integer, got ${String(max)}`);
    const t = this.tcb;
    const k = max > 0 ? t.recvBuf.readViews(max, out) : 0;
    return this.afterRead(t, k, max);
  }

  private afterRead(t: Tcb, n: number, asked: number): number {
    if (n > 0) {
      // Linux tcp_cleanup_rbuf: the ACK or window update this read made due (read-ack.ts).
      ackAfterRead(t, n);
      return n;
    }
    if (asked === 0) return 0;
    if (t.state === TcpState.LISTEN) return TcpErrno.ENOTCONN;
    if (t.finReceived || t.shutRd) return 0;
    if (t.errorCode !== 0) return t.errorCode;
    if (t.state === TcpState.CLOSED) return this.used ? 0 : TcpErrno.ENOTCONN;
    return TcpErrno.EAGAIN;
  }

  // -------------------------------------------------------------------------
  // CLOSE / ABORT

  /** shutdown(SHUT_RD | SHUT_WR | SHUT_RDWR). SHUT_WR sends FIN after queued data. ENOTCONN if not connected. */
  shutdown(how: number): number {
    this.layer.acct.syscall();
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return TcpErrno.EINVAL;
    const t = this.tcb;
    const s = t.state;
    if (s === TcpState.CLOSED || s === TcpState.LISTEN) return TcpErrno.ENOTCONN;
    if (how !== SHUT_WR) {
      t.shutRd = true;
      this.layer.raise(t, TcbEvent.READABLE, 0);
    }
    if (how !== SHUT_RD && !t.shutWr) {
      t.shutWr = true;
      if (s === TcpState.SYN_SENT) {
        this.layer.closeTcb(t, 0);
        return 0;
      }
      this.queueFin(t);
    }
    return 0;
  }

  /**
   * close(): RFC 9293 §3.10.4. Graceful (FIN after queued data; the TCB lives on,
   * orphaned, until CLOSED) unless data is still unread — then RST (RFC 1122
   * §4.2.2.13, Linux TCPAbortOnClose) — or SO_LINGER {onoff, linger: 0} is set
   * — then RST (abortive, TCPAbortOnLinger). A listener resets its unaccepted children.
   */
  close(): number {
    this.layer.acct.syscall();
    if (this.closed) return 0;
    this.closed = true;
    const layer = this.layer;
    const t = this.tcb;
    const mib = layer.mib;
    switch (t.state) {
      case TcpState.CLOSED:
        t.closeKind = CloseKind.CLOSED;
        layer.demux.releasePort(t);
        t.recvBuf.clear();
        t.sendBuf.clear();
        break;
      case TcpState.LISTEN:
        closeListener(t);
        t.closeKind = CloseKind.CLOSED;
        layer.closeTcb(t, 0);
        break;
      case TcpState.SYN_SENT:
        // "Delete the TCB and return 'error: closing' responses to any queued SENDs".
        t.closeKind = CloseKind.CLOSED;
        layer.closeTcb(t, 0);
        break;
      case TcpState.SYN_RECEIVED:
        // Simplification: a simultaneous open closed before ESTABLISHED is aborted with RST.
        t.closeKind = CloseKind.CLOSED;
        layer.failConnection(t, 0, true);
        break;
      case TcpState.TIME_WAIT:
        t.closeKind = CloseKind.CLOSED;
        break;
      default: {
        const unread = t.recvBuf.length > 0 || !t.reasm.isEmpty();
        t.closeKind = CloseKind.CLOSED;
        if (unread) {
          mib.TCPAbortOnClose++;
          layer.failConnection(t, 0, true);
        } else if (this.opts.linger.onoff && this.opts.linger.linger === 0) {
          mib.TCPAbortOnLinger++;
          layer.failConnection(t, 0, true);
        } else {
          t.recvBuf.clear();
          t.shutRd = true;
          if (!t.shutWr) {
            t.shutWr = true;
            this.queueFin(t);
          } else if (t.state === TcpState.FIN_WAIT_2) {
            armFinWait2(t);
          }
        }
      }
    }
    return 0;
  }

  /** abort(): RFC 9293 §3.10.5 — RST in synchronized states, then CLOSED. */
  abort(): number {
    this.layer.acct.syscall();
    const t = this.tcb;
    this.closed = true;
    t.closeKind = CloseKind.CLOSED;
    if (t.state === TcpState.LISTEN) closeListener(t);
    if (t.state === TcpState.CLOSED) {
      this.layer.demux.releasePort(t);
      t.recvBuf.clear();
      return 0;
    }
    if (t.state === TcpState.SYN_SENT || t.state === TcpState.TIME_WAIT || t.state === TcpState.LISTEN) this.layer.closeTcb(t, 0);
    else this.layer.failConnection(t, 0, true);
    return 0;
  }

  /** Queue a FIN (RFC 9293 §3.10.4: ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK) and push. */
  private queueFin(t: Tcb): void {
    switch (t.state) {
      case TcpState.ESTABLISHED:
        setState(t, TcpState.FIN_WAIT_1);
        break;
      case TcpState.CLOSE_WAIT:
        setState(t, TcpState.LAST_ACK);
        break;
      case TcpState.SYN_RECEIVED:
        // RFC 9293 §3.10.4: queued until ESTABLISHED; we send it once established (finPending).
        break;
      default:
        return;
    }
    t.finPending = true;
    tcpOutput(t);
  }

  // -------------------------------------------------------------------------
  // Options and status

  /**
   * Set an option. Throws TypeError/RangeError for bad names/values. Returns 0, or
   * EISCONN for options that only matter before the SYN (sack, timestamps,
   * windowScaling, maxseg) once a connection attempt started.
   */
  setOption<K extends EndpointOptionName>(name: K, value: EndpointOptions[K]): number {
    this.layer.acct.syscall();
    const v = validateEndpointOption(this.layer.config, name, value);
    const t = this.tcb;
    const started = t.state !== TcpState.CLOSED && t.state !== TcpState.LISTEN;
    if (started && (name === 'sack' || name === 'timestamps' || name === 'windowScaling' || name === 'mssOption' || name === 'maxseg')) return TcpErrno.EISCONN;
    this.opts[name] = v;
    switch (name) {
      case 'rcvbuf':
        t.rcvbufLocked = true;
        t.recvBuf.setLimit(v as number);
        if (isSynchronized(t.state) && windowUpdateWorthy(t)) {
          t.ackNow = true;
          tcpOutput(t);
        }
        break;
      case 'sndbuf':
        t.sendBuf.setLimit(v as number);
        break;
      case 'keepalive':
      case 'keepIdle':
        armKeepalive(t);
        break;
      case 'delack':
        t.delack = delayedAckPolicy(v as string);
        break;
      case 'quickack':
        if (v === true && t.ackPending && isSynchronized(t.state)) {
          this.layer.mib.ImmediateAckQuickack++;
          sendAck(t);
        }
        break;
      case 'nodelay':
        if (v === true && isSynchronized(t.state)) tcpOutput(t);
        break;
      default:
        break;
    }
    return 0;
  }

  /** Current value of an option (a copy for objects). */
  getOption<K extends EndpointOptionName>(name: K): EndpointOptions[K] {
    if (!(name in this.opts)) throw new TypeError(`tcp option: unknown option ${JSON.stringify(name)}`);
    const v = this.opts[name];
    if (name === 'linger') {
      const l = v as EndpointOptions['linger'];
      return { onoff: l.onoff, linger: l.linger } as EndpointOptions[K];
    }
    return v;
  }

  /** TCP_INFO-like status (allocates: process context, not per packet). */
  info(): TcpInfo {
    const t = this.tcb;
    const now = this.layer.clock.now();
    const mss = t.sndMss > 0 ? t.sndMss : 1;
    const flight = seqDiff(t.sndMax, t.sndUna);
    const unsent = t.sendBuf.length - Math.max(0, seqDiff(t.sndMax, t.sndBufSeq));
    const ago = (x: Nanos): Nanos => (x > 0 ? now - x : -1);
    const cwnd = t.cc.cwnd;
    const ssthresh = t.cc.ssthresh;
    return {
      state: this.state,
      retransmits: t.rtxCount,
      probes: Math.max(t.keepaliveProbes, t.persistProbes),
      backoff: t.rtt.backoffCount,
      options: (t.tsEnabled ? TCPI_OPT_TIMESTAMPS : 0) | (t.sackEnabled ? TCPI_OPT_SACK : 0) | (t.offeredWscale >= 0 && isSynchronized(t.state) ? TCPI_OPT_WSCALE : 0) | (t.ecnOk ? TCPI_OPT_ECN : 0),
      sndWscale: t.sndWscale,
      rcvWscale: t.rcvWscale,
      rto: t.rtt.rto(),
      // The policy's adaptive timeout (linux: icsk_ack.ato) once it has one, else the fixed one.
      ato: t.ackAto > 0 ? t.ackAto : this.layer.config.delackTimeout,
      sndMss: t.sndMss,
      rcvMss: t.rcvMss,
      advMss: t.advMss,
      unacked: flight > 0 ? Math.ceil(flight / mss) : 0,
      sacked: 0,
      lost: 0,
      lastDataSent: ago(t.lastDataSent),
      lastDataRecv: ago(t.lastDataRecv),
      lastAckRecv: ago(t.lastAckRecv),
      pmtu: t.pmtu,
      rtt: t.rtt.srtt,
      rttvar: t.rtt.rttvar,
      cwnd,
      ssthresh,
      sndCwnd: Math.floor(cwnd / mss),
      sndSsthresh: ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(ssthresh / mss),
      sndWnd: t.sndWnd,
      rcvWnd: Math.max(0, seqDiff(t.rcvAdv, t.rcvNxt)),
      totalRetrans: t.totalRetrans,
      bytesAcked: t.bytesAcked,
      bytesReceived: t.bytesReceived,
      bytesSent: t.bytesSent,
      bytesRetrans: t.bytesRetrans,
      segsOut: t.segsOut,
      segsIn: t.segsIn,
      dataSegsOut: t.dataSegsOut,
      dataSegsIn: t.dataSegsIn,
      delivered: t.delivered,
      notsentBytes: unsent > 0 ? unsent : 0,
      rcvQueued: t.recvBuf.length,
      reordBytes: t.reasm.bytes,
      rcvUp: t.rcvUp,
      congestionControl: t.cc.name,
      delackPolicy: t.delack.name,
      inRecovery: t.inRecovery,
    };
  }

  // -------------------------------------------------------------------------
  // Internal

  /** A fresh TCB replacing a used one, keeping an explicit bind. */
  private freshTcb(): Tcb {
    const layer = this.layer;
    const old = this.tcb;
    const t = layer.newTcb(this.opts, false);
    t.rcvbufLocked = old.rcvbufLocked;
    if (old.portBound && this.keepsPort) {
      layer.demux.releasePort(old);
      t.localAddr = old.localAddr;
      t.localPort = old.localPort;
      layer.demux.claimPort(t);
    }
    old.ep = null;
    t.ep = this;
    t.sendBuf.onComplete = this.completeFn;
    this.tcb = t;
    this.used = false;
    return t;
  }

  /** @internal Deliver TCB events (TcbEvent bits) to the observer, in a fixed order. */
  deliverEvents(ev: number, errno: number): void {
    const o = this.observer;
    if ((ev & TcbEvent.CONNECT) !== 0) o.onConnect(this);
    if ((ev & TcbEvent.ACCEPTABLE) !== 0) o.onAcceptable(this);
    if ((ev & TcbEvent.READABLE) !== 0) o.onReadable(this);
    if ((ev & TcbEvent.WRITABLE) !== 0) o.onWritable(this);
    if ((ev & TcbEvent.ERROR) !== 0) o.onError(this, errno);
    if ((ev & TcbEvent.HUP) !== 0) o.onHup(this);
  }
}

function checkAddrPort(addr: number, port: number, allowZeroAddr: boolean): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff || (!allowZeroAddr && addr === 0)) {
    throw new RangeError(`invalid IPv4 address number: ${String(addr)}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port: ${String(port)}`);
}

function checkRange(what: string, bytes: Uint8Array, off: number, len: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: buffer must be a Uint8Array`);
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > bytes.length) {
    throw new RangeError(`${what}: range [${off}, ${off}+${len}) is outside the buffer (${bytes.length} bytes)`);
  }
}

