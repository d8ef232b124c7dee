/**
 * The connection timers: retransmission (RFC 6298) and persist (RFC 9293
 * §3.8.6.1) sharing one Timer, delayed ACK (RFC 1122 §4.2.3.2), keepalive
 * (RFC 1122 §4.2.3.6), TIME-WAIT 2·MSL (RFC 9293 §3.4.2) and the FIN-WAIT-2
 * timeout of orphaned connections, and the connection-establishment limit.
 *
 * Owns: when each timer is armed and what happens when it fires. Deadlines
 * live in the TCB (tcb.rtxDeadline); a Timer may fire before the deadline it
 * serves (the retransmission timer is restarted lazily on every ACK by moving
 * only the deadline, gVisor `timer.go`), so every handler re-checks and simply
 * re-arms when early. Stale firings are harmless by construction.
 * Must not: build segments (output.ts) or parse input.
 *
 * Handlers run in softirq context: each ends with layer.flushEvents() so that
 * observers hear about errors and readiness caused by the timer.
 */
import type { Nanos } from '../time/clock.js';
import { seqDiff } from './seq.js';
import { CloseKind, isSynchronized, RtxMode, TcpErrno, TcpState, type Tcb, type TcbTimerFns } from './tcb.js';
import { HoldReason, sendKeepalive, sendSyn, sendWindowProbe, tcpOutput } from './output.js';
import { onRetransmitTimeout } from './recovery.js';

// ---------------------------------------------------------------------------
// Retransmission / persist

/**
 * Current RTO (with backoff), from the RFC 6298 estimator, plus config.rtoSlop
 * once it is computed (FreeBSD TCPT_RANGESET adds tcp_rexmit_slop to every
 * timeout it sets; the first, un-backed-off initial RTO of a connection has none).
 */
function rto(tcb: Tcb): Nanos {
  const r = tcb.rtt.rto();
  const slop = tcb.layer.config.rtoSlop;
  if (slop === 0 || (!tcb.rtt.hasSample && tcb.rtt.backoffCount === 0)) return r;
  const max = tcb.layer.config.maxRto;
  return r + slop > max ? max : r + slop;
}

function armRtx(tcb: Tcb, mode: number, at: Nanos): void {
  tcb.rtxMode = mode;
  tcb.rtxDeadline = at;
  tcb.rtxTimer.arm(at);
}

/**
 * A segment that occupies sequence space left (data, SYN, FIN): RFC 6298 §5.1
 * "Every time a packet containing data is sent (including a retransmission), if
 * the timer is not running, start it running so that it will expire after RTO".
 */
export function onSegmentSent(tcb: Tcb, now: Nanos, consumesSeq: boolean): void {
  if (!consumesSeq) return;
  if (tcb.rtxMode === RtxMode.PERSIST && tcb.sndWnd === 0) return; // a zero-window probe: persist stays in charge
  if (tcb.rtxMode === RtxMode.RETRANSMIT && tcb.rtxTimer.armed) return;
  armRtx(tcb, RtxMode.RETRANSMIT, now + rto(tcb));
}

/**
 * New data was acknowledged: RFC 6298 §5.2 (all acked: stop the timer) and §5.3
 * (restart it so that it expires after RTO) — lazily: only the deadline moves;
 * an earlier firing re-arms to it. `restart` false keeps the deadline (RFC 6582 §3.2 step 5).
 */
export function onAckAdvanced(tcb: Tcb, now: Nanos, restart: boolean): void {
  tcb.rtxCount = 0;
  tcb.rtxStamp = -1;
  tcb.persistProbes = 0;
  if (tcb.sndMax === tcb.sndUna) {
    if (tcb.rtxMode === RtxMode.RETRANSMIT) {
      tcb.rtxMode = RtxMode.NONE;
      tcb.rtxTimer.cancel();
    }
    return;
  }
  if (!restart || tcb.rtxMode !== RtxMode.RETRANSMIT) return;
  const at = now + rto(tcb);
  tcb.rtxDeadline = at;
  if (!tcb.rtxTimer.armed || tcb.rtxTimer.deadline > at) tcb.rtxTimer.arm(at);
}

/**
 * After output or ACK processing: make the shared timer mean what the state
 * needs — RETRANSMIT while sequence space is outstanding, PERSIST while data
 * waits on a zero window (or on sender SWS with nothing in flight), else off.
 */
export function updateSendTimers(tcb: Tcb): void {
  const state = tcb.state;
  if (state === TcpState.CLOSED || state === TcpState.LISTEN || state === TcpState.TIME_WAIT) return;
  const now = tcb.layer.clock.now();
  const flight = seqDiff(tcb.sndMax, tcb.sndUna);
  if (!isSynchronized(state)) {
    if (flight > 0 && !(tcb.rtxMode === RtxMode.RETRANSMIT && tcb.rtxTimer.armed)) armRtx(tcb, RtxMode.RETRANSMIT, now + rto(tcb));
    return;
  }
  const unsent = tcb.sendBuf.length - seqDiff(tcb.sndNxt, tcb.sndBufSeq);
  const waiting = unsent > 0;
  if (waiting && (tcb.sndWnd === 0 || (flight === 0 && tcb.holdReason === HoldReason.WINDOW))) {
    if (tcb.rtxMode !== RtxMode.PERSIST || !tcb.rtxTimer.armed) {
      // RFC 9293 §3.8.6.1: probe a zero window; the first probe after one RTO (Linux tcp_probe0_base).
      tcb.persistInterval = clampRto(tcb, rto(tcb));
      armRtx(tcb, RtxMode.PERSIST, now + tcb.persistInterval);
    }
    return;
  }
  if (flight > 0) {
    if (tcb.rtxMode !== RtxMode.RETRANSMIT || !tcb.rtxTimer.armed) armRtx(tcb, RtxMode.RETRANSMIT, now + rto(tcb));
    return;
  }
  if (tcb.rtxMode === RtxMode.KICK && tcb.rtxTimer.armed) return;
  if (tcb.rtxMode !== RtxMode.NONE) {
    tcb.rtxMode = RtxMode.NONE;
    tcb.rtxTimer.cancel();
  }
}

function clampRto(tcb: Tcb, v: Nanos): Nanos {
  const c = tcb.layer.config;
  return v < c.minRto ? c.minRto : v > c.maxRto ? c.maxRto : v;
}

/** Output could not get a buffer: try again soon (never crash, never spin). */
export function scheduleRetry(tcb: Tcb): void {
  const now = tcb.layer.clock.now();
  const at = now + tcb.layer.config.noBufferRetry;
  if (tcb.ackNow || tcb.ackPending) {
    if (!tcb.delackTimer.armed || tcb.delackTimer.deadline > at) tcb.delackTimer.arm(at);
  }
  if (!tcb.rtxTimer.armed) armRtx(tcb, RtxMode.KICK, at);
}

function onRtxTimer(tcb: Tcb): void {
  const layer = tcb.layer;
  const now = layer.clock.now();
  if (tcb.rtxMode === RtxMode.NONE || tcb.state === TcpState.CLOSED) return;
  if (now < tcb.rtxDeadline) {
    tcb.rtxTimer.arm(tcb.rtxDeadline); // fired early: the deadline moved (lazy restart)
    return;
  }
  switch (tcb.rtxMode) {
    case RtxMode.KICK:
      tcb.rtxMode = RtxMode.NONE;
      if (tcb.state === TcpState.SYN_SENT || tcb.state === TcpState.SYN_RECEIVED) sendSyn(tcb, false);
      else tcpOutput(tcb);
      break;
    case RtxMode.PERSIST:
      persistTimeout(tcb, now);
      break;
    default:
      retransmitTimeout(tcb, now);
  }
  layer.flushEvents();
}

/** Whether the RFC 1122 §4.2.3.5 R2 limit (retries) or the user timeout is reached. */
function timedOut(tcb: Tcb, now: Nanos, retries: number): boolean {
  if (tcb.rtxCount >= retries) return true;
  const ut = tcb.opts.userTimeout;
  return ut > 0 && tcb.rtxStamp >= 0 && now - tcb.rtxStamp >= ut;
}

function retransmitTimeout(tcb: Tcb, now: Nanos): void {
  const layer = tcb.layer;
  const c = layer.config;
  const mib = layer.mib;
  if (tcb.state === TcpState.SYN_SENT || tcb.state === TcpState.SYN_RECEIVED) {
    const passive = tcb.state === TcpState.SYN_RECEIVED && !tcb.active;
    const limit = passive ? c.synAckRetries : c.synRetries;
    if (timedOut(tcb, now, limit)) {
      mib.TCPAbortOnTimeout++;
      if (passive) layer.closeTcb(tcb, 0);
      else layer.failConnection(tcb, TcpErrno.ETIMEDOUT, false);
      return;
    }
    tcb.rtxCount++;
    mib.TCPTimeouts++;
    if (c.synRetransmitDropOptions && tcb.state === TcpState.SYN_SENT && tcb.rtxCount === 3) {
      // config.synRetransmitDropOptions (FreeBSD rexmit_drop_options, t_rxtshift == 3): from the
      // 3rd retransmission on, the SYN asks for no window scale, timestamps or SACK (MSS stays),
      // in case a middlebox drops SYNs with options. Options are only offers (RFC 7323 §2.2, §3.2; RFC 2018 §2).
      tcb.offeredWscale = -1;
      tcb.tsOffered = false;
      tcb.sackOffered = false;
    }
    // RFC 6298 §5.5: back off the timer; §5.4: retransmit.
    tcb.rtt.backoff();
    tcb.rtxMode = RtxMode.NONE;
    sendSyn(tcb, true);
    return;
  }
  const flight = seqDiff(tcb.sndMax, tcb.sndUna);
  if (flight <= 0) {
    tcb.rtxMode = RtxMode.NONE;
    tcpOutput(tcb);
    return;
  }
  // RFC 1122 §4.2.3.5: after R2 retransmissions (config.retries2, Linux tcp_retries2) or
  // the user timeout (RFC 5482 / TCP_USER_TIMEOUT), close the connection with ETIMEDOUT.
  if (timedOut(tcb, now, c.retries2)) {
    mib.TCPAbortOnTimeout++;
    layer.failConnection(tcb, TcpErrno.ETIMEDOUT, false);
    return;
  }
  tcb.rtxCount++;
  mib.TCPTimeouts++;
  // RFC 6298 §5.5: RTO ← RTO·2 (clamped to maxRto); §5.4 retransmit the earliest unacked
  // segment — here by going back to SND.UNA (recovery.onRetransmitTimeout); §5.6 restart.
  tcb.rtt.backoff();
  onRetransmitTimeout(tcb, now);
  tcb.rtxMode = RtxMode.NONE;
  if (tcb.rtxStamp < 0) tcb.rtxStamp = now;
  tcpOutput(tcb);
  if (!tcb.rtxTimer.armed && tcb.state !== TcpState.CLOSED && seqDiff(tcb.sndMax, tcb.sndUna) > 0) {
    armRtx(tcb, RtxMode.RETRANSMIT, now + rto(tcb));
  }
}

function persistTimeout(tcb: Tcb, now: Nanos): void {
  const layer = tcb.layer;
  // Linux tcp_probe_timer: give up after retries2 unanswered probes (RFC 9293 §3.8.6.1:
  // never while the peer keeps answering — any ACK resets persistProbes).
  if (tcb.persistProbes >= layer.config.retries2 || (tcb.opts.userTimeout > 0 && tcb.rtxStamp >= 0 && now - tcb.rtxStamp >= tcb.opts.userTimeout)) {
    layer.mib.TCPAbortOnTimeout++;
    layer.failConnection(tcb, TcpErrno.ETIMEDOUT, false);
    return;
  }
  if (tcb.rtxStamp < 0) tcb.rtxStamp = now;
  tcb.persistProbes++;
  sendWindowProbe(tcb);
  if (tcb.state === TcpState.CLOSED) return;
  if (tcb.rtxMode === RtxMode.RETRANSMIT && tcb.rtxTimer.armed) return; // the window opened; RTO took over
  // RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: exponential backoff of the probe interval.
  tcb.persistInterval = clampRto(tcb, tcb.persistInterval * 2);
  const unsent = tcb.sendBuf.length - seqDiff(tcb.sndNxt, tcb.sndBufSeq);
  if (tcb.sndWnd === 0 || unsent > 0) armRtx(tcb, RtxMode.PERSIST, now + tcb.persistInterval);
  else updateSendTimers(tcb);
}

// ---------------------------------------------------------------------------
// Delayed ACK

function onDelackTimer(tcb: Tcb): void {
  const layer = tcb.layer;
  if (tcb.state === TcpState.CLOSED) return;
  // Linux tcp_delack_timer: an owned socket retries later (DelayedACKLocked); segments still on the
  // prequeue are processed here first (TCPSchedulerFailed).
  if (tcb.rx !== null && tcb.rx.onDelackTimer(tcb)) return;
  const now = layer.clock.now();
  if (tcb.ackPending) {
    // RFC 1122 §4.2.3.2: the delay expired; send the ACK (on data if any can go).
    layer.mib.DelayedACKs++;
    tcb.delack.onTimer(tcb, now);
    tcb.ackNow = true;
  }
  if (tcb.ackNow) tcpOutput(tcb);
  layer.flushEvents();
}

/**
 * Data arrived in order and the policy allowed a delay: the ACK is due `delay`
 * after it (RFC 1122 §4.2.3.2). An armed deadline is never pushed later (the
 * first unacknowledged segment's bound holds) but is pulled in when this
 * segment's is earlier — Linux tcp_send_delayed_ack, e.g. after ato shrank, or
 * the prequeue's 150 ms timer met a segment the reader ate.
 */
export function armDelayedAck(tcb: Tcb, delay: Nanos): void {
  const t = tcb.delackTimer;
  const at = tcb.layer.clock.now() + delay;
  if (t.armed && t.deadline <= at) return;
  t.arm(at);
}

// ---------------------------------------------------------------------------
// Keepalive

/** (Re)start keepalive for a synchronized connection with SO_KEEPALIVE (called on state changes and setOption). */
export function armKeepalive(tcb: Tcb): void {
  if (!tcb.opts.keepalive || !keepaliveState(tcb.state)) {
    tcb.keepaliveTimer.cancel();
    return;
  }
  const at = tcb.lastRecv + tcb.opts.keepIdle;
  if (!tcb.keepaliveTimer.armed || tcb.keepaliveTimer.deadline > at) tcb.keepaliveTimer.arm(at);
}

function keepaliveState(s: number): boolean {
  return s === TcpState.ESTABLISHED || s === TcpState.CLOSE_WAIT || s === TcpState.FIN_WAIT_1 || s === TcpState.FIN_WAIT_2;
}

function onKeepaliveTimer(tcb: Tcb): void {
  const layer = tcb.layer;
  if (!tcb.opts.keepalive || !keepaliveState(tcb.state)) return;
  const now = layer.clock.now();
  const o = tcb.opts;
  // Linux tcp_keepalive_timer: data in flight or queued → the retransmission/persist
  // machinery watches the peer; look again after keepIdle.
  const unsent = tcb.sendBuf.length - seqDiff(tcb.sndNxt, tcb.sndBufSeq);
  if (tcb.sndMax !== tcb.sndUna || unsent > 0) {
    tcb.keepaliveTimer.arm(now + o.keepIdle);
    return;
  }
  // RFC 1122 §4.2.3.6: probe only after the connection was idle for keepIdle.
  if (tcb.keepaliveProbes === 0 && now - tcb.lastRecv < o.keepIdle) {
    tcb.keepaliveTimer.arm(tcb.lastRecv + o.keepIdle);
    return;
  }
  if (tcb.keepaliveProbes >= o.keepCnt) {
    // Linux: RST, then ETIMEDOUT.
    layer.mib.TCPAbortOnTimeout++;
    layer.failConnection(tcb, TcpErrno.ETIMEDOUT, true);
    layer.flushEvents();
    return;
  }
  tcb.keepaliveProbes++;
  sendKeepalive(tcb);
  tcb.keepaliveTimer.arm(now + o.keepIntvl);
  layer.flushEvents();
}

// ---------------------------------------------------------------------------
// TIME-WAIT / FIN-WAIT-2, connection establishment

/** RFC 9293 §3.10.7.4: enter TIME-WAIT; the 2·MSL timer (re)starts. */
export function startTimeWait(tcb: Tcb): void {
  tcb.rtxTimer.cancel();
  tcb.rtxMode = RtxMode.NONE;
  tcb.keepaliveTimer.cancel();
  tcb.connTimer.cancel();
  tcb.closeTimer.armAfter(2 * tcb.layer.config.msl);
}

/** Orphaned FIN-WAIT-2 (close() done, peer silent): give up after finTimeout (Linux tcp_fin_timeout). */
export function armFinWait2(tcb: Tcb): void {
  if (tcb.closeKind === CloseKind.CLOSED) tcb.closeTimer.armAfter(tcb.layer.config.finTimeout);
}

function onCloseTimer(tcb: Tcb): void {
  const layer = tcb.layer;
  if (tcb.state === TcpState.TIME_WAIT) {
    layer.mib.TW++;
    layer.closeTcb(tcb, 0);
  } else if (tcb.state === TcpState.FIN_WAIT_2 && tcb.closeKind === CloseKind.CLOSED) {
    layer.closeTcb(tcb, 0);
  }
  layer.flushEvents();
}

function onConnTimer(tcb: Tcb): void {
  const layer = tcb.layer;
  if (tcb.state === TcpState.SYN_SENT || (tcb.state === TcpState.SYN_RECEIVED && tcb.active)) {
    layer.mib.TCPAbortOnTimeout++;
    layer.failConnection(tcb, TcpErrno.ETIMEDOUT, false);
  }
  layer.flushEvents();
}

/** The callbacks each TCB's Timers are created with. */
export const TCB_TIMER_FNS: TcbTimerFns = {
  rtx: onRtxTimer,
  delack: onDelackTimer,
  keepalive: onKeepaliveTimer,
  close: onCloseTimer,
  conn: onConnTimer,
};
