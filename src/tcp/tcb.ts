/**
 * The TCB: one connection's record (RFC 9293 §3.3.1 variables plus the
 * extensions of RFC 7323, RFC 2018, RFC 5681/6582/6298 and the timers).
 *
 * Owns: the fields and their invariants (documented at each field, smoltcp
 * style), the state enumeration and names, and the one-per-purpose Timer
 * objects, created here once per TCB and only ever re-armed or cancelled.
 * Must not: implement protocol rules (input.ts, output.ts, timers.ts,
 * recovery.ts do) or compare sequence numbers with raw operators (seq.ts).
 *
 * Every sequence number is an unsigned 32-bit value held in a JS number.
 * Every time is integer ns from the layer's Clock.
 */
import type { Timer, Nanos } from '../time/clock.js';
import type { RttEstimator } from './rtt.js';
import type { CongestionController } from './cc/controller.js';
import type { SendBuffer } from './send-buffer.js';
import type { RecvBuffer } from './recv-buffer.js';
import type { ReassemblyQueue } from './reassembly.js';
import type { SackBlocks } from './sack.js';
import { SackScoreboard } from './scoreboard.js';
import type { DelayedAckPolicy } from './delack.js';
import type { EndpointOptions } from './config.js';
import type { Listener } from './listen.js';
import type { TcpLayer } from './tcp-layer.js';
import type { Endpoint } from './endpoint.js';
import type { RxState } from './rx-path/state.js';

/**
 * Errors of the TCP user calls and of connections: negative Linux errno values
 * (as Node reports `err.errno` on Linux). Success results are ≥ 0.
 */
export const TcpErrno = {
  EPIPE: -32,
  EAGAIN: -11,
  EINVAL: -22,
  EMSGSIZE: -90,
  ENOPROTOOPT: -92,
  EOPNOTSUPP: -95,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ENETUNREACH: -101,
  ECONNABORTED: -103,
  ECONNRESET: -104,
  ENOBUFS: -105,
  EISCONN: -106,
  ENOTCONN: -107,
  ETIMEDOUT: -110,
  ECONNREFUSED: -111,
  EHOSTUNREACH: -113,
  EALREADY: -114,
  EINPROGRESS: -115,
} as const;
export type TcpErrnoName = keyof typeof TcpErrno;

const ERRNO_NAMES = new Map<number, string>(Object.entries(TcpErrno).map(([k, v]) => [v, k]));

/** -104 → 'ECONNRESET'; other values → 'E<n>'. */
export function tcpErrnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${-errno}`;
}

/** RFC 9293 §3.3.2 connection states. Numeric for monomorphic hot paths. */
export const TcpState = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  FIN_WAIT_1: 5,
  FIN_WAIT_2: 6,
  CLOSE_WAIT: 7,
  CLOSING: 8,
  LAST_ACK: 9,
  TIME_WAIT: 10,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** State names as RFC 9293 writes them. */
export const TCP_STATE_NAMES = [
  'CLOSED',
  'LISTEN',
  'SYN-SENT',
  'SYN-RECEIVED',
  'ESTABLISHED',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'CLOSE-WAIT',
  'CLOSING',
  'LAST-ACK',
  'TIME-WAIT',
] as const;
export type TcpStateName = (typeof TCP_STATE_NAMES)[number];

/** RFC 9293 §3.3.2: states in which the connection is synchronized. */
export function isSynchronized(s: number): boolean {
  return s >= TcpState.ESTABLISHED;
}

/** What the shared retransmit/persist timer currently means. */
export const RtxMode = {
  NONE: 0,
  /** RFC 6298 retransmission timer (data, SYN, SYN-ACK or FIN outstanding). */
  RETRANSMIT: 1,
  /** RFC 9293 §3.8.6.1 persist timer (zero window, data waiting). */
  PERSIST: 2,
  /** No data outstanding; a retry of output after pool exhaustion. */
  KICK: 3,
} as const;

/** Readiness events pending delivery to the endpoint observer (bit mask). */
export const TcbEvent = {
  READABLE: 1,
  WRITABLE: 2,
  ERROR: 4,
  HUP: 8,
  CONNECT: 16,
  ACCEPTABLE: 32,
} as const;

/** Why the user side closed (for RST-on-data and FIN-WAIT-2 timeout rules). */
export const CloseKind = {
  /** Endpoint still owned by the user. */
  OPEN: 0,
  /** close() called: orphaned; the TCB lives on until CLOSED. */
  CLOSED: 1,
} as const;

export class Tcb {
  /** The layer: clock, config, MIB, pool, IP output, demux. */
  readonly layer: TcpLayer;
  /** The user-facing endpoint (readiness target); null for a child not yet created / orphaned. */
  ep: Endpoint | null = null;
  /** Per-endpoint options (shared object with the endpoint; children copy the listener's). */
  opts: EndpointOptions;
  /** SO_RCVBUF was set explicitly: the window scale follows it rather than rcvbufMax (Linux SOCK_RCVBUF_LOCK). */
  rcvbufLocked = false;

  /** RFC 9293 §3.3.2 state (TcpState). */
  state: number = TcpState.CLOSED;

  // ---- identity (4-tuple); addresses are unsigned 32-bit, ports 0..65535 ----
  /** Local address; 0 = wildcard (only while unbound/listening on any). */
  localAddr = 0;
  localPort = 0;
  remoteAddr = 0;
  remotePort = 0;
  /** Holds an entry in the demux port table (localPort reserved). */
  portBound = false;
  /** In the 4-tuple hash (connection states, TIME-WAIT included). */
  hashed = false;
  /** Demux: next TCB in the same hash chain. */
  hashNext: Tcb | null = null;

  /** LISTEN: the listener state (SYN and accept queues). Null otherwise. */
  listenState: Listener | null = null;
  /** A passively opened child: the listener it belongs to until accepted (null afterwards or if active). */
  parent: Tcb | null = null;
  /** Child is in its parent's accept queue. */
  inAcceptQueue = false;

  // ---- send sequence space (RFC 9293 §3.3.1 Figure 4) ----
  /** Initial send sequence number (RFC 6528). */
  iss = 0;
  /** SND.UNA: oldest unacknowledged sequence number. Invariant: una ≤ nxt ≤ max. */
  sndUna = 0;
  /** SND.NXT: next sequence number to send. Goes back to una after an RTO (go-back-N). */
  sndNxt = 0;
  /** SND.MAX (BSD snd_max): one past the highest sequence number ever sent. ACKs up to here are acceptable. */
  sndMax = 0;
  /** SND.WND: peer's offered window in bytes (already scaled by sndWscale). */
  sndWnd = 0;
  /** SND.WL1 / SND.WL2: seq and ack of the segment that last updated sndWnd (RFC 9293 §3.10.7.4). */
  sndWl1 = 0;
  sndWl2 = 0;
  /** MAX.SND.WND (RFC 5961 §5.2; RFC 9293 §3.8.6.2.1 Max(SND.WND)): largest window the peer offered. */
  maxSndWnd = 0;
  /**
   * Sequence number of send-buffer byte 0. Invariant: equals sndUna once the SYN
   * is acknowledged (before that, iss + 1); data byte i has sequence sndBufSeq + i.
   */
  sndBufSeq = 0;
  /** The user asked for FIN (close/shutdown WR): send it once the buffer drains. */
  finPending = false;
  /** FIN sent at least once; its sequence number is finSeq (= sndBufSeq + data length at that time). */
  finSent = false;
  finSeq = 0;
  /** Our FIN has been acknowledged. */
  finAcked = false;

  // ---- receive sequence space (RFC 9293 §3.3.1 Figure 5) ----
  /** IRS: peer's initial sequence number. */
  irs = 0;
  /** RCV.NXT: next sequence number expected. */
  rcvNxt = 0;
  /**
   * RCV.ADV (Linux rcv_wup + rcv_wnd, gVisor rcvAcc): the right edge of the window
   * we last advertised. Never moves left (RFC 9293 §3.8.6: do not shrink the
   * window); the acceptability test uses rcvAdv − rcvNxt as RCV.WND.
   */
  rcvAdv = 0;
  /**
   * rcv_wup (Linux) = Last.ACK.sent (RFC 7323 §4.3): RCV.NXT as of the last segment
   * we sent (every segment carries ACK and window). rcvNxt − rcvWup is the data
   * not yet acknowledged (delayed-ACK rule).
   */
  rcvWup = 0;
  /** RCV.UP: urgent pointer (received; data is delivered inline). */
  rcvUp = 0;
  /** A FIN was received out of order (beyond a hole): its sequence number is rcvFinSeq. */
  rcvFinQueued = false;
  rcvFinSeq = 0;
  /** The peer's FIN has been consumed (rcvNxt advanced past it): EOF after the buffer drains. */
  finReceived = false;

  // ---- options (negotiated on the SYN exchange) ----
  /** RFC 7323 §2: shift we apply to windows we send (0 when not negotiated). */
  rcvWscale = 0;
  /** RFC 7323 §2: shift the peer applies; we scale received windows by it. */
  sndWscale = 0;
  /** Window scale offered in our SYN (-1: not offered). */
  offeredWscale = -1;
  /** Timestamps negotiated (RFC 7323 §3.2); then every segment carries TSopt. */
  tsEnabled = false;
  /** We offered timestamps in our SYN / SYN-ACK. */
  tsOffered = false;
  /** SACK-permitted negotiated (RFC 2018 §2): we send SACK blocks. */
  sackEnabled = false;
  sackOffered = false;
  // ECN (RFC 3168, src/tcp/ecn.ts). ecnRequested: our last SYN was an ECN-setup SYN (ECE|CWR).
  ecnRequested = false;
  /** ECN negotiated (§6.1.1): data carries ECT(0), CE/ECE/CWR are honoured. */
  ecnOk = false;
  /** Receiver (§6.1.3): a CE-marked segment arrived; set ECE on every ACK until a CWR arrives. */
  ecnEce = false;
  /** Sender (§6.1.2): cwnd was reduced for an ECE; set CWR on the next new data segment. */
  ecnSendCwr = false;
  /** Sender (§6.1.2): no further ECE reaction until SND.UNA passes this (once per window). */
  ecnRecover = 0;
  ecnReacting = false;
  /** TS.Recent (RFC 7323 §4.3) and when it was set (for the 24-day PAWS rule, §5.5). */
  tsRecent = 0;
  tsRecentAge: Nanos = 0;
  tsRecentValid = false;
  /** Added to our ms timestamp clock (RFC 7323 §5.4 per-connection offset). */
  tsOffset = 0;
  /** MSS from the peer's SYN option (RFC 9293 §3.7.1; 536 when absent). */
  peerMss = 536;
  /** MSS we advertised: route MTU − 40, clamped by TCP_MAXSEG. */
  advMss = 536;
  /**
   * Effective send MSS (bytes of data per segment with the fixed options):
   * min(peerMss, MTU − 40) − 12 if timestamps. SACK blocks shrink individual segments further.
   */
  sndMss = 536;
  /** Path MTU towards the peer when the connection was set up (or lowered by ICMP). */
  pmtu = 576;
  /** Estimate of the peer's segment size (Linux rcv_mss): largest payload seen, ≤ advMss. */
  rcvMss = 536;

  // ---- congestion control and loss recovery ----
  cc!: CongestionController;
  rtt!: RttEstimator;
  /** RFC 5681 §2 duplicate ACKs in a row. */
  dupAcks = 0;
  /** RFC 6582 fast recovery in progress. */
  inRecovery = false;
  /** RFC 6582 "recover": highest sequence number sent when recovery (or the last RTO) began. */
  recover = 0;
  /** First partial ACK of this recovery seen (RFC 6582 §3.2 step 5: reset the timer only for it). */
  partialAckSeen = false;
  /**
   * RFC 6675 sender scoreboard: octets above SND.UNA the peer SACKed. Filled only when
   * SACK recovery is in use (recovery.ts sackRecoveryOn); cleared on RTO (RFC 2018 §8).
   */
  readonly scoreboard = new SackScoreboard();
  /** Data sent by limited transmit (RFC 3042) since the last cumulative ACK: not part of FlightSize at recovery entry. */
  ltBytes = 0;
  /**
   * SACK recovery: octets below this are deemed lost besides IsLost() — the segment at SND.UNA
   * after a partial ACK (RFC 6582 §3.2 step 3's inference, recovery.ts). Meaningful only in recovery.
   */
  lostBelow = 0;
  /** RFC 6675 HighRxt, held as one past the highest octet retransmitted in this recovery. Invariant: ≤ SND.MAX. */
  highRxt = 0;
  /** RFC 6675 RescueRxt (one past): the rescue retransmission (NextSeg rule 4) happened for the data below it. */
  rescueRxt = 0;
  /** Timestamp clock (ms) of the first retransmission after the last RTO; TSecr older than it gives no sample (rtt rules). */
  tsRtoStamp = 0;
  tsRtoStampValid = false;
  /** Karn (RFC 6298 §3): a segment is being timed (no timestamps); sequence and send time. */
  rttTiming = false;
  rttSeq = 0;
  rttTime: Nanos = 0;

  // ---- retransmission / persist ----
  /** Meaning of rtxTimer (RtxMode). */
  rtxMode: number = RtxMode.NONE;
  /** When the retransmit timer should really fire; the Timer may be armed earlier (lazy restart, gVisor pattern). */
  rtxDeadline: Nanos = 0;
  /** Consecutive timeouts without progress (SYN, SYN-ACK or data). */
  rtxCount = 0;
  /** Time of the first retransmission in the current series (user timeout); -1 if none. */
  rtxStamp: Nanos = -1;
  /** Persist probes sent without any ACK in between. */
  persistProbes = 0;
  /** Current persist interval (backed off). */
  persistInterval: Nanos = 0;
  /** Why the last output pass stopped (output.ts HoldReason): persist decisions. */
  holdReason = 0;
  /** Window (unscaled) of our SYN: RCV.ADV once the SYN-ACK arrives. */
  synWindow = 0;
  /** SYN/SYN-ACK was retransmitted (Karn: no RTT sample from the handshake). */
  synRetransmitted = false;

  // ---- keepalive ----
  keepaliveProbes = 0;

  // ---- buffers ----
  sendBuf!: SendBuffer;
  recvBuf!: RecvBuffer;
  reasm!: ReassemblyQueue;
  sack!: SackBlocks;

  // ---- ACK generation ----
  delack!: DelayedAckPolicy;
  /** An ACK is owed to the peer (data or FIN received and not yet acknowledged). */
  ackPending = false;
  /** The ACK must go out now (immediate reason recorded in the MIB by whoever set it). */
  ackNow = false;
  /** Policy state for delack policies that need it (Linux: ato, pingpong, quick ACK budget). */
  ackAto: Nanos = 0;
  ackPingpong = false;
  ackQuick = 0;
  ackLastRcv: Nanos = 0;
  /** A zero window was advertised (TCPToZeroWindowAdv / TCPFromZeroWindowAdv). */
  zeroWindowAdvertised = false;
  /** Receive-path strategy state (src/tcp/rx-path: waiting reader, prequeue, ACK-delay log); null until a strategy there touches the connection. */
  rx: RxState | null = null;

  // ---- user-side state ----
  /** The user called close() (orphan) — CloseKind. */
  closeKind: number = CloseKind.OPEN;
  /** shutdown(SHUT_RD) / shutdown(SHUT_WR) called. */
  shutRd = false;
  shutWr = false;
  /** Pending socket error (negative errno), 0 if none (SO_ERROR). */
  errorCode = 0;
  /** Last soft ICMP error (RFC 1122 §4.2.3.9), reported instead of ETIMEDOUT if the connection times out. */
  softError = 0;
  /** The user hit a full send buffer: tell them (onWritable) when space returns. */
  sndBlocked = false;
  /** Readiness events waiting for the end of the current softirq batch (TcbEvent mask). */
  events = 0;
  /** Queued in the layer's event list. */
  eventsQueued = false;
  /** Errno delivered with TcbEvent.ERROR. */
  eventErrno = 0;
  /** The connection was active (connect) rather than passive. */
  active = false;

  // ---- timers: one object per purpose, created once, re-armed or cancelled ----
  /** Retransmit (SYN, SYN-ACK, data, FIN) and persist (zero-window probes) — see rtxMode. */
  readonly rtxTimer: Timer;
  /** Delayed ACK (RFC 1122 §4.2.3.2). Also the retry after pool exhaustion for a lost ACK. */
  readonly delackTimer: Timer;
  /** Keepalive (RFC 1122 §4.2.3.6). */
  readonly keepaliveTimer: Timer;
  /** TIME-WAIT 2·MSL, and the FIN-WAIT-2 timeout of orphaned connections. */
  readonly closeTimer: Timer;
  /** Connection-establishment limit (opts.connectTimeout). */
  readonly connTimer: Timer;

  // ---- statistics (TCP_INFO) ----
  segsIn = 0;
  segsOut = 0;
  dataSegsIn = 0;
  dataSegsOut = 0;
  bytesAcked = 0;
  bytesReceived = 0;
  bytesSent = 0;
  bytesRetrans = 0;
  totalRetrans = 0;
  /** Segments (approx. bytes/sndMss) delivered — TCP_INFO tcpi_delivered. */
  delivered = 0;
  lastDataRecv: Nanos = 0;
  lastDataSent: Nanos = 0;
  lastAckRecv: Nanos = 0;
  /** Last time anything was received (keepalive idle base). */
  lastRecv: Nanos = 0;
  /** Time the connection was created (for info). */
  created: Nanos = 0;

  constructor(layer: TcpLayer, opts: EndpointOptions, timerFns: TcbTimerFns) {
    this.layer = layer;
    this.opts = opts;
    const clock = layer.clock;
    this.rtxTimer = clock.createTimer(timerFns.rtx, this);
    this.delackTimer = clock.createTimer(timerFns.delack, this);
    this.keepaliveTimer = clock.createTimer(timerFns.keepalive, this);
    this.closeTimer = clock.createTimer(timerFns.close, this);
    this.connTimer = clock.createTimer(timerFns.conn, this);
    this.created = clock.now();
  }

  get stateName(): TcpStateName {
    return TCP_STATE_NAMES[this.state]!;
  }

  /** Last.ACK.sent (RFC 7323 §4.3): the same value as rcvWup. */
  get lastAckSent(): number {
    return this.rcvWup;
  }

  /** Cancel every timer (on entering CLOSED). */
  cancelTimers(): void {
    this.rtxTimer.cancel();
    this.delackTimer.cancel();
    this.keepaliveTimer.cancel();
    this.closeTimer.cancel();
    this.connTimer.cancel();
    this.rtxMode = RtxMode.NONE;
  }
}

/** The timer callbacks (timers.ts), passed in to avoid an import cycle at module load. */
export interface TcbTimerFns {
  rtx(tcb: Tcb): void;
  delack(tcb: Tcb): void;
  keepalive(tcb: Tcb): void;
  close(tcb: Tcb): void;
  conn(tcb: Tcb): void;
}

/** Change state, keeping the CurrEstab gauge (ESTABLISHED + CLOSE-WAIT, RFC 4022 tcpCurrEstab). */
export function setState(tcb: Tcb, s: number): void {
  const old = tcb.state;
  if (old === s) return;
  const wasEst = old === TcpState.ESTABLISHED || old === TcpState.CLOSE_WAIT;
  const isEst = s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT;
  if (wasEst && !isEst) tcb.layer.mib.CurrEstab--;
  else if (!wasEst && isEst) tcb.layer.mib.CurrEstab++;
  tcb.state = s;
}
