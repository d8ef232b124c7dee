/**
 * The `linux` delayed-ACK policy (issue F item 2): Linux's adaptive ACK timeout
 * (ato), quickack budget and pingpong (interactive) mode, with the constants
 * Linux 2.4.20 and 6.x share (background/receive-path.md §3).
 *
 * Owns: LinuxDelayedAckPolicy (constants configurable per instance) and its
 * per-stack decision counters (linuxDelackStats). Per-connection state lives in
 * the TCB's reserved fields: ackAto (icsk_ack.ato), ackPingpong
 * (icsk_ack.pingpong), ackQuick (icsk_ack.quick), ackLastRcv (icsk_ack.lrcvtime).
 * Must not: send anything or touch timers (the caller does; see delack.ts).
 *
 * Runtime imports: none from delack.ts (delack.ts imports this module to
 * register it; a value import back would make an evaluation-order cycle).
 *
 * Timer (Linux tcp_send_delayed_ack): the caller (timers.ts armDelayedAck) pulls
 * an armed timer in to the new, earlier deadline and never pushes it out; when
 * the armed timer is already due within ato/4 this policy answers ACK_NOW.
 * Segments that fill a hole are ACKed by input.ts at once; onHoleFill runs the
 * ato estimator for them and leaves pingpong once the gap is closed.
 *
 * Deviations from Linux (as the DelayedAckPolicy interface allows):
 * - "pushed" (ICSK_ACK_PUSHED) is judged on the segment that arms the timer: a
 *   payload shorter than rcv_mss (as tcp_measure_rcv_mss sets it).
 * - TCP_QUICKACK is the persistent zerostack option: while set, every segment is
 *   ACKed at once (tcp_enter_quickack_mode) and pingpong is not entered; clearing
 *   it does not enter pingpong (Linux's TCP_QUICKACK=0 does).
 */
import type { Nanos } from '../time/clock.js';
import type { DelayedAckPolicy } from './delack.js';
import type { TcpMib } from './mib.js';
import type { Tcb } from './tcb.js';

const MS = 1_000_000;
/** delack.ts ACK_NOW (kept local: see the module comment). */
const ACK_NOW = 0;

/** Linux constants (include/net/tcp.h), all durations in ns. */
export interface LinuxDelackConstants {
  /** TCP_DELACK_MAX: cap of the timer in pingpong mode or for a pushed segment. */
  readonly delackMax: Nanos;
  /** TCP_DELACK_MIN: below this ato is used as is; lower bound of the srtt cap. */
  readonly delackMin: Nanos;
  /** TCP_ATO_MIN: initial / deflated ato. */
  readonly atoMin: Nanos;
  /**
   * TCP_RTO_MIN: informational (the ato rules use the connection's own RTO, which
   * config.minRto already bounds below by this value).
   */
  readonly rtoMin: Nanos;
  /** TCP_MAX_QUICKACKS: largest quickack budget. */
  readonly maxQuickacks: number;
  /** HZ/2 in tcp_send_delayed_ack: cap of the timer otherwise (RFC 1122 §4.2.3.2: 0.5 s). */
  readonly atoCap: Nanos;
}

export const LINUX_DELACK_DEFAULTS: LinuxDelackConstants = Object.freeze({
  delackMax: 200 * MS,
  delackMin: 40 * MS,
  atoMin: 40 * MS,
  rtoMin: 200 * MS,
  maxQuickacks: 16,
  atoCap: 500 * MS,
});

/** Decision counters of the `linux` policy that the common MIB has no field for (zerostack). */
export class LinuxDelackStats {
  /** ACK now: quickack mode (icsk_ack.quick > 0 and not pingpong; tcp_in_quickack_mode). */
  ImmediateAckQuickackMode = 0;
  /** ACK now: more than one full segment (rcv_mss) unacknowledged and the window does not shrink. */
  ImmediateAck1Mss = 0;
  /** The delayed-ACK timer fired in pingpong mode: the reply did not come; pingpong left. */
  DelayedAckPingpongTimer = 0;
  /** The delayed-ACK timer fired outside pingpong: ato inflated. */
  DelayedAckAtoInflated = 0;
  /** ACK delayed while in pingpong mode (waiting to piggyback on the reply). */
  AckDelayedPingpong = 0;
  /** ACK now: the armed delayed-ACK timer was due within ato/4 anyway (tcp_send_delayed_ack). */
  ImmediateAckTimerDue = 0;
  /** Times pingpong mode was entered (tcp_event_data_sent). */
  PingpongEntered = 0;
  /** Times the quickack budget was raised (tcp_incr_quickack). */
  QuickackIncreased = 0;
}

const STATS = new WeakMap<TcpMib, LinuxDelackStats>();

/** The `linux` policy's counters for one stack (by its MIB). */
export function linuxDelackStats(mib: TcpMib): LinuxDelackStats {
  let s = STATS.get(mib);
  if (s === undefined) {
    s = new LinuxDelackStats();
    STATS.set(mib, s);
  }
  return s;
}

export class LinuxDelayedAckPolicy implements DelayedAckPolicy {
  readonly name: string;
  readonly c: LinuxDelackConstants;

  constructor(constants: Partial<LinuxDelackConstants> = {}, name = 'linux') {
    const c = { ...LINUX_DELACK_DEFAULTS, ...constants };
    for (const k of Object.keys(c) as (keyof LinuxDelackConstants)[]) {
      const v = c[k];
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`linux delayed-ACK constant ${k}: must be a positive integer, got ${String(v)}`);
    }
    this.name = name;
    this.c = Object.freeze(c);
  }

  /** Linux tcp_incr_quickack: quick = max(quick, clamp(rcv_wnd / (2·rcv_mss), 2, TCP_MAX_QUICKACKS)). */
  private incrQuickack(tcb: Tcb): void {
    // rcv_wnd is the window announced with our last ACK: RCV.ADV − rcv_wup.
    const rcvWnd = (tcb.rcvAdv - tcb.rcvWup) | 0;
    let q = Math.floor((rcvWnd > 0 ? rcvWnd : 0) / (2 * tcb.rcvMss));
    // background §3: clamp(…, 2, 16). (Linux: 0 → 2, then min with TCP_MAX_QUICKACKS.)
    if (q < 2) q = 2;
    if (q > this.c.maxQuickacks) q = this.c.maxQuickacks;
    if (q > tcb.ackQuick) {
      tcb.ackQuick = q;
      linuxDelackStats(tcb.layer.mib).QuickackIncreased++;
    }
  }

  /** Linux tcp_enter_quickack_mode: raise the budget, inet_csk_exit_pingpong_mode, ato = TCP_ATO_MIN. */
  private enterQuickackMode(tcb: Tcb): void {
    this.incrQuickack(tcb);
    tcb.ackPingpong = false;
    tcb.ackAto = this.c.atoMin;
  }

  onData(tcb: Tcb, segLen: number, now: Nanos): number {
    const mib = tcb.layer.mib;
    this.eventDataRecv(tcb, now);

    // TCP_QUICKACK (Linux __tcp_sock_set_quickack → tcp_enter_quickack_mode): ACK every segment.
    if (tcb.opts.quickack) {
      this.enterQuickackMode(tcb);
      mib.ImmediateAckQuickack++;
      return ACK_NOW;
    }
    return this.ackSndCheck(tcb, segLen);
  }

  /**
   * Linux tcp_rcv_established for a segment copied straight to the reader ("eaten",
   * prequeue path): tcp_event_data_recv, then `if (tcp_in_quickack_mode(tp))
   * tcp_send_ack(sk); else tcp_send_delayed_ack(sk);` — the 2·MSS rule is not applied.
   */
  onDataEaten(tcb: Tcb, segLen: number, now: Nanos): number {
    this.eventDataRecv(tcb, now);
    if (tcb.opts.quickack) {
      this.enterQuickackMode(tcb);
      tcb.layer.mib.ImmediateAckQuickack++;
      return ACK_NOW;
    }
    if (tcb.ackQuick > 0 && !tcb.ackPingpong) {
      linuxDelackStats(tcb.layer.mib).ImmediateAckQuickackMode++;
      return ACK_NOW;
    }
    return this.sendDelayedAck(tcb, segLen < tcb.rcvMss, now);
  }

  /**
   * Linux tcp_send_delayed_ack: the timeout for this segment, or ACK_NOW when the
   * timer already armed is due within ato/4 ("use new timeout only if there
   * wasn't an older one earlier" — the pull-in itself is timers.ts armDelayedAck's).
   */
  private sendDelayedAck(tcb: Tcb, pushed: boolean, now: Nanos): number {
    const t = tcb.delackTimer;
    if (t.armed && t.deadline <= now + Math.floor(tcb.ackAto / 4)) {
      linuxDelackStats(tcb.layer.mib).ImmediateAckTimerDue++;
      return ACK_NOW;
    }
    return this.delay(tcb, pushed);
  }

  /** Linux tcp_data_queue filling a gap: tcp_event_data_recv; pingpong ends once the out-of-order queue is empty. */
  onHoleFill(tcb: Tcb, _segLen: number, now: Nanos): void {
    this.eventDataRecv(tcb, now);
    if (tcb.reasm.isEmpty()) tcb.ackPingpong = false;
  }

  /** Linux tcp_event_data_recv: the ATO estimator and the quickack budget after idle. */
  private eventDataRecv(tcb: Tcb, now: Nanos): void {
    const c = this.c;
    const rto = tcb.rtt.rto();

    // Linux tcp_event_data_recv (rcv_mss already measured by input.ts, tcp_measure_rcv_mss).
    if (tcb.ackAto === 0) {
      // "The _first_ data packet received, initialize delayed ACK engine."
      this.incrQuickack(tcb);
      tcb.ackAto = c.atoMin;
    } else {
      const m = now - tcb.ackLastRcv;
      if (m <= c.atoMin / 2) {
        // "The fastest case is the first."
        tcb.ackAto = Math.floor(tcb.ackAto / 2) + Math.floor(c.atoMin / 2);
      } else if (m < tcb.ackAto) {
        const ato = Math.floor(tcb.ackAto / 2) + m;
        tcb.ackAto = ato > rto ? rto : ato;
      } else if (m > rto) {
        // "Too long gap. Apparently sender failed to restart window, so that we send ACKs quickly."
        this.incrQuickack(tcb);
      }
    }
    tcb.ackLastRcv = now;
  }

  /** Linux __tcp_ack_snd_check. */
  private ackSndCheck(tcb: Tcb, segLen: number): number {
    const mib = tcb.layer.mib;
    const stats = linuxDelackStats(mib);
    const unacked = (tcb.rcvNxt - tcb.rcvWup) >>> 0;
    // "More than one full frame received... and right edge of window advances far enough"
    // (__tcp_select_window(sk) >= tp->rcv_wnd; tcp_recvmsg() sends the ACK otherwise).
    if (unacked > tcb.rcvMss && this.newWindow(tcb) >= ((tcb.rcvAdv - tcb.rcvWup) | 0)) {
      stats.ImmediateAck1Mss++;
      return ACK_NOW;
    }
    // "We ACK each frame or..." — tcp_in_quickack_mode: quick && !pingpong.
    if (tcb.ackQuick > 0 && !tcb.ackPingpong) {
      stats.ImmediateAckQuickackMode++;
      return ACK_NOW;
    }
    // "We have out of order data." (input.ts normally ACKs these itself; kept for completeness.)
    if (!tcb.reasm.isEmpty()) {
      mib.ImmediateAckOoo++;
      return ACK_NOW;
    }
    if (tcb.ackPingpong) stats.AckDelayedPingpong++;
    return this.sendDelayedAck(tcb, segLen < tcb.rcvMss, tcb.layer.clock.now());
  }

  /**
   * Linux tcp_send_delayed_ack: the timeout. Above TCP_DELACK_MIN, ato is capped
   * by HZ/2 (TCP_DELACK_MAX in pingpong or for a pushed segment) and by
   * max(srtt, TCP_DELACK_MIN) once an RTT is known.
   */
  delay(tcb: Tcb, pushed: boolean): Nanos {
    const c = this.c;
    let ato = tcb.ackAto;
    if (ato > c.delackMin) {
      let maxAto = pushed || tcb.ackPingpong ? c.delackMax : c.atoCap;
      // "If some rtt estimate is known, use it to bound delayed ack."
      if (tcb.rtt.hasSample) {
        const srtt = tcb.rtt.srtt;
        const rtt = srtt > c.delackMin ? srtt : c.delackMin;
        if (rtt < maxAto) maxAto = rtt;
      }
      if (ato > maxAto) ato = maxAto;
    }
    return ato > 0 ? ato : 1;
  }

  /** The window __tcp_select_window would offer now (free space, at most 65535 << wscale), without side effects. */
  private newWindow(tcb: Tcb): number {
    let free = tcb.opts.rcvbuf - tcb.recvBuf.length;
    if (free < 0) free = 0;
    const max = 65535 * 2 ** tcb.rcvWscale;
    return free > max ? max : free;
  }

  /** Linux tcp_event_ack_sent → tcp_dec_quickack_mode: each ACK spends one quickack. */
  onAckSent(tcb: Tcb, _now: Nanos): void {
    if (tcb.ackQuick > 0) {
      tcb.ackQuick--;
      // "Leaving quickack mode we deflate ATO."
      if (tcb.ackQuick === 0) tcb.ackAto = this.c.atoMin;
    }
  }

  /** Linux tcp_event_data_sent: a reply within ato of the last receive → pingpong (interactive) mode. */
  onDataSent(tcb: Tcb, now: Nanos): void {
    if (tcb.opts.quickack || tcb.ackAto === 0) return;
    if (now - tcb.ackLastRcv < tcb.ackAto && !tcb.ackPingpong) {
      tcb.ackPingpong = true;
      linuxDelackStats(tcb.layer.mib).PingpongEntered++;
    }
  }

  /** Linux tcp_delack_timer(_handler): "Delayed ACK missed". */
  onTimer(tcb: Tcb, _now: Nanos): void {
    const stats = linuxDelackStats(tcb.layer.mib);
    if (!tcb.ackPingpong) {
      // "inflate ATO": ato = min(ato << 1, rto).
      const ato = tcb.ackAto * 2;
      const rto = tcb.rtt.rto();
      tcb.ackAto = ato > rto ? rto : ato;
      stats.DelayedAckAtoInflated++;
    } else {
      // "leave pingpong mode and deflate ATO" (inet_csk_exit_pingpong_mode).
      tcb.ackPingpong = false;
      tcb.ackAto = this.c.atoMin;
      stats.DelayedAckPingpongTimer++;
    }
  }
}
