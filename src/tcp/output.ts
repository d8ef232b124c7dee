/**
 * What to send now, and how a segment is built (BSD tcp_output / Linux
 * tcp_write_xmit in one place).
 *
 * Owns: the send decision for data and FIN — usable window = min(cwnd (+RFC 3042
 * allowance), SND.WND) − in flight, segmentation to the effective MSS, Nagle
 * (RFC 9293 §3.7.4), sender SWS avoidance (§3.8.6.2.1), PSH on the segment that
 * empties the send queue — the window we advertise (receiver SWS avoidance
 * §3.8.6.2.2, never shrinking §3.8.6), ACK/window-update segments, SYN and
 * SYN-ACK, RST (with and without a TCB), keepalive and zero-window probes, and
 * segment construction: a fresh header buffer from the pool (pool.headroom
 * for IPv4 + Ethernet) chained to send-buffer clones (zero-copy), checksum per
 * docs/tcp.md "Checksums on transmit".
 * Must not: process input, or decide when timers fire (timers.ts; we only tell
 * it that something left). Allocates nothing per segment beyond pool handles:
 * one scratch TcpRepr per layer is reused for every segment.
 *
 * Pool exhaustion: the segment is not sent, OutNoBuffers counts it, and a
 * retry is scheduled (timers.ts scheduleRetry). Nothing throws.
 */
import type { Nanos } from '../time/clock.js';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { CSUM_PARTIAL } from '../buf/packet-buffer.js';
import { ChecksumMode, Ecn, IpProtocol } from '../wire/ipv4.js';
import { emitTcp, setTcpChecksumField, tcpChecksum, tcpHeaderLen, TcpField, TcpFlag, TcpRepr, TCP_MIN_HEADER_LEN } from '../wire/tcp.js';
import { combineSums } from '../wire/checksum.js';
import { seqAdd, seqDiff, seqGt, seqLe, seqLt } from './seq.js';
import { TcpErrno, TcpState, type Tcb } from './tcb.js';
import type { TcpLayer } from './tcp-layer.js';
import { congestionFlight, sackRecoveryOn, sackRecoveryOutput, sendWindowLimit } from './recovery.js';
import { onSegmentSent, scheduleRetry, updateSendTimers } from './timers.js';
import { ecnAckFlags, ecnCodepoint, ecnSynFlags } from './ecn.js';

/** Bytes the timestamps option takes on a non-SYN segment (NOP NOP TS, RFC 7323 Appendix A). */
export const TS_OPTION_SPACE = 12;
/** Options for every Ipv4Output.output call (one frozen object: no allocation per segment). */
const DF_OPTIONS = Object.freeze({ df: true });
/** DF plus the ECT(0) codepoint (RFC 3168 §6.1.5: new data of an ECN connection). */
const DF_ECT0_OPTIONS = Object.freeze({ df: true, tos: Ecn.ECT0 });
/** RFC 9293 §3.8.6.2.2 / §3.8.6.2.1 fractions Fr and Fs. */
const FRACTION_SHIFT = 1; // ½

/** Our timestamp clock (RFC 7323 §5.4): 1 ms ticks plus the per-connection offset. */
export function tsNow(tcb: Tcb, now: Nanos): number {
  return (Math.floor(now / 1_000_000) + tcb.tsOffset) >>> 0;
}

/** Effective send MSS without options (min(peer MSS, MTU − 40)). */
export function mssBase(tcb: Tcb): number {
  return tcb.sndMss + (tcb.tsEnabled ? TS_OPTION_SPACE : 0);
}

// ---------------------------------------------------------------------------
// Receive window (what we advertise)

/** RCV.BUFF − RCV.USER: receive buffer space not holding unread in-order data. */
export function rcvSpace(tcb: Tcb): number {
  const free = tcb.opts.rcvbuf - tcb.recvBuf.length;
  return free > 0 ? free : 0;
}

/** The window currently offered: RCV.ADV − RCV.NXT (≥ 0). RCV.WND of the acceptability test. */
export function rcvWindow(tcb: Tcb): number {
  const w = seqDiff(tcb.rcvAdv, tcb.rcvNxt);
  return w > 0 ? w : 0;
}

/** RFC 9293 §3.8.6.2.2: the right edge moves only when it can move by min(Fr·RCV.BUFF, Eff.snd.MSS). */
function swsThreshold(tcb: Tcb): number {
  return Math.min(tcb.opts.rcvbuf >>> FRACTION_SHIFT, tcb.advMss);
}

/**
 * The window field for a non-SYN segment (already shifted by rcvWscale), moving
 * RCV.ADV forward when the receiver SWS rule allows and never moving it back.
 */
export function selectWindow(tcb: Tcb): number {
  const shift = tcb.rcvWscale;
  const cur = rcvWindow(tcb);
  const free = rcvSpace(tcb);
  let wnd = cur;
  // RFC 9293 §3.8.6.2.2: advance only if RCV.BUFF − RCV.USER − RCV.WND ≥ min(Fr·RCV.BUFF, Eff.snd.MSS).
  // Once the FIN is in, no data can follow, so there is no silly window to avoid: the
  // FIN (which takes sequence space, not buffer) must not shrink the window offered.
  if (tcb.layer.config.bsdRcvWindow) {
    // config.bsdRcvWindow (FreeBSD tcp_output): offer the free space, unless it is below both
    // RCV.BUFF/4 and the MSS (then keep the edge) — a different receiver SWS avoidance
    // algorithm (RFC 1122 §4.2.3.3 requires one; RFC 9293 §3.8.6.2.2's is the suggested one).
    if (!(free < tcb.opts.rcvbuf >>> 2 && free < tcb.advMss)) wnd = free;
  } else if (free - cur >= swsThreshold(tcb) || tcb.finReceived) wnd = free;
  const max = 65535 * 2 ** shift;
  if (wnd > max) wnd = max;
  let field = Math.floor(wnd / 2 ** shift);
  // RFC 9293 §3.8.6 / RFC 7323 §2.4: never shrink the window; with a scale factor,
  // round up rather than pull the right edge left of RCV.ADV.
  if (field * 2 ** shift < cur) field = Math.ceil(cur / 2 ** shift);
  if (field > 65535) field = 65535;
  const edge = seqAdd(tcb.rcvNxt, field * 2 ** shift);
  if (seqGt(edge, tcb.rcvAdv)) tcb.rcvAdv = edge;
  const mib = tcb.layer.mib;
  if (field === 0) {
    if (!tcb.zeroWindowAdvertised) {
      tcb.zeroWindowAdvertised = true;
      mib.TCPToZeroWindowAdv++;
    }
  } else if (tcb.zeroWindowAdvertised) {
    tcb.zeroWindowAdvertised = false;
    mib.TCPFromZeroWindowAdv++;
  }
  return field;
}

/** The (unscaled) window of our SYN / SYN-ACK (RFC 7323 §2.2: never scaled). */
function synWindow(tcb: Tcb): number {
  const free = rcvSpace(tcb);
  return free > 65535 ? 65535 : free;
}

/**
 * Whether reading made the window worth announcing now (window update,
 * RFC 9293 §3.8.6.2.2 plus Linux __tcp_cleanup_rbuf's damping): the right edge
 * could move by at least the SWS threshold and the new window would be at
 * least twice the one the peer knows. A zero or tiny offered window therefore
 * always reopens at once; a large one is left to the ACKs data triggers.
 */
export function windowUpdateWorthy(tcb: Tcb): boolean {
  if (tcb.state !== TcpState.ESTABLISHED && tcb.state !== TcpState.FIN_WAIT_1 && tcb.state !== TcpState.FIN_WAIT_2) return false;
  if (tcb.finReceived) return false;
  const cur = rcvWindow(tcb);
  let free = rcvSpace(tcb);
  const max = 65535 * 2 ** tcb.rcvWscale; // the largest window the field can carry
  if (free > max) free = max;
  return free - cur >= swsThreshold(tcb) && free >= 2 * cur;
}

// ---------------------------------------------------------------------------
// The send decision

/** States in which data and FIN may be (re)transmitted. */
function canSendData(state: number): boolean {
  return (
    state === TcpState.ESTABLISHED ||
    state === TcpState.CLOSE_WAIT ||
    state === TcpState.FIN_WAIT_1 ||
    state === TcpState.CLOSING ||
    state === TcpState.LAST_ACK
  );
}

/**
 * Send whatever may be sent now: new or go-back-N data, FIN, and an ACK when
 * one is owed immediately (tcb.ackNow) and no other segment carried it.
 * Returns the number of segments sent.
 */
export function tcpOutput(tcb: Tcb): number {
  const state = tcb.state;
  if (state === TcpState.CLOSED || state === TcpState.LISTEN || state === TcpState.SYN_SENT) return 0;
  let sent = 0;
  // RFC 6675 §5 step (C): during SACK recovery NextSeg() decides (retransmissions before new data).
  if (canSendData(state)) sent = tcb.inRecovery && sackRecoveryOn(tcb) ? sackRecoveryOutput(tcb) : sendData(tcb);
  if (sent === 0 && tcb.ackNow) sendAck(tcb);
  updateSendTimers(tcb);
  return sent;
}

/** Why the last sendData loop stopped without sending (persist decisions in timers.ts). */
export const HoldReason = {
  NONE: 0,
  /** Nothing to send. */
  EMPTY: 1,
  /** Nagle: small segment while data is unacknowledged. */
  NAGLE: 2,
  /** Window too small (zero, or sender SWS avoidance). */
  WINDOW: 3,
  /** Congestion window full. */
  CWND: 4,
  /** Pool exhausted. */
  NOBUF: 5,
} as const;

/**
 * New data, or go-back-N retransmission after an RTO, as far as the windows allow:
 * the peer's window bounds SND.NXT − SND.UNA, the congestion window bounds the
 * data in the network (recovery.ts congestionFlight: RFC 6675 pipe with SACK).
 */
export function sendData(tcb: Tcb): number {
  let sent = 0;
  tcb.holdReason = HoldReason.EMPTY;
  if (tcb.sndMax === tcb.sndUna && tcb.lastDataSent > 0 && tcb.sendBuf.length > 0) {
    // RFC 5681 §4.1: after an idle period longer than the RTO, restart from the restart window.
    const now = tcb.layer.clock.now();
    const rto = tcb.rtt.rto();
    if (now - tcb.lastDataSent > rto) tcb.cc.onIdle(now - tcb.lastDataSent, rto, now);
  }
  const sb = tcb.scoreboard;
  for (;;) {
    // RFC 6675 §5.1: go-back-N after an RTO skips what the peer SACKed since (the scoreboard was cleared at the RTO).
    if (!sb.isEmpty() && seqLt(tcb.sndNxt, tcb.sndMax)) {
      const k = sb.indexContaining(tcb.sndNxt);
      if (k >= 0) tcb.sndNxt = sb.right(k);
    }
    const bufLen = tcb.sendBuf.length;
    const nxtOff = seqDiff(tcb.sndNxt, tcb.sndBufSeq);
    let avail = bufLen - nxtOff;
    if (avail < 0) avail = 0;
    const flight = seqDiff(tcb.sndNxt, tcb.sndUna);
    const wndRoom = tcb.sndWnd - flight;
    const cwndRoom = sendWindowLimit(tcb) - congestionFlight(tcb);
    let usable = wndRoom < cwndRoom ? wndRoom : cwndRoom;
    if (usable < 0) usable = 0;
    const retrans = seqLt(tcb.sndNxt, tcb.sndMax);
    const room = dataRoom(tcb);
    let len = avail;
    if (len > room) len = room;
    if (retrans && !sb.isEmpty()) {
      // …and stops short of the next SACKed interval.
      const k = sb.indexAbove(tcb.sndNxt);
      if (k >= 0) {
        const gap = seqDiff(sb.left(k), tcb.sndNxt);
        if (len > gap) len = gap;
      }
    }
    let heldBy: number = HoldReason.NONE;
    if (len > usable) {
      len = usable;
      heldBy = wndRoom <= cwndRoom ? HoldReason.WINDOW : HoldReason.CWND;
    }
    // FIN goes with the segment that sends the last queued byte (or alone), once per
    // pass over its sequence number (FreeBSD: FIN is not limited by the window).
    const fin = tcb.finPending && nxtOff + len === bufLen && (!tcb.finSent || seqLe(seqAdd(tcb.sndNxt, len), tcb.finSeq));
    if (len === 0 && !fin) {
      if (avail > 0) tcb.holdReason = heldBy === HoldReason.NONE ? HoldReason.WINDOW : heldBy;
      break;
    }
    if (len > 0 && len < room && !retrans) {
      if (len === avail) {
        // RFC 9293 §3.7.4 (Nagle, RFC 896) / RFC 1122 §4.2.3.4: with unacknowledged data
        // outstanding, hold a short segment until the ACK arrives or a full segment is
        // ready — unless TCP_NODELAY, or the FIN goes with it.
        if (!tcb.opts.nodelay && flight > 0 && !fin) {
          tcb.holdReason = HoldReason.NAGLE;
          break;
        }
      } else if (len < tcb.maxSndWnd >>> FRACTION_SHIFT) {
        // RFC 9293 §3.8.6.2.1 (sender SWS avoidance): a window-limited segment shorter
        // than a full segment goes only if it is at least Fs·Max(SND.WND).
        tcb.holdReason = heldBy === HoldReason.NONE ? HoldReason.WINDOW : heldBy;
        break;
      }
    }
    let flags = TcpFlag.ACK;
    // PSH on the segment that empties the send queue (the last segment of a write, RFC 9293 §3.9.1 SEND).
    if (len > 0 && nxtOff + len === bufLen) flags |= TcpFlag.PSH;
    if (fin) flags |= TcpFlag.FIN;
    if (!transmitData(tcb, tcb.sndNxt, len, flags, retrans)) {
      tcb.holdReason = HoldReason.NOBUF;
      break;
    }
    sent++;
    if (fin) {
      if (!tcb.finSent) {
        tcb.finSent = true;
        tcb.finSeq = seqAdd(tcb.sndBufSeq, bufLen);
      }
    }
    const adv = len + (fin ? 1 : 0);
    tcb.sndNxt = seqAdd(tcb.sndNxt, adv);
    if (seqGt(tcb.sndNxt, tcb.sndMax)) tcb.sndMax = tcb.sndNxt;
    if (fin) break;
  }
  return sent;
}

/** dataRoom for recovery.ts: the data bytes of a segment sent now. */
export function dataRoomFor(tcb: Tcb): number {
  return dataRoom(tcb);
}

/**
 * Data bytes a segment may carry now: base MSS minus this segment's options
 * (timestamps; SACK blocks, counted without consuming a pending D-SACK block).
 */
function dataRoom(tcb: Tcb): number {
  const repr = tcb.layer.txRepr;
  resetOptions(repr);
  repr.tsPresent = tcb.tsEnabled;
  if (tcb.sackEnabled && (!tcb.reasm.isEmpty() || tcb.sack.hasDsack)) {
    const n = tcb.sack.count + (tcb.sack.hasDsack ? 2 : 0);
    const max = tcb.tsEnabled ? 3 : 4;
    repr.sackCount = n < max ? n : max;
  }
  const optLen = tcpHeaderLen(repr) - TCP_MIN_HEADER_LEN;
  const room = mssBase(tcb) - optLen;
  return room > 1 ? room : 1;
}

// ---------------------------------------------------------------------------
// Segments with a TCB

function resetOptions(repr: TcpRepr): void {
  repr.mss = -1;
  repr.wscale = -1;
  repr.sackPermitted = false;
  repr.tsPresent = false;
  repr.tsVal = 0;
  repr.tsEcr = 0;
  repr.sackCount = 0;
  repr.unknownCount = 0;
  repr.urgentPointer = 0;
}

/** Timestamps (RFC 7323 §3.2: on every segment once negotiated) and SACK blocks (RFC 2018 §4). */
function fillAckOptions(tcb: Tcb, repr: TcpRepr, now: Nanos): void {
  if (tcb.tsEnabled) {
    repr.tsPresent = true;
    repr.tsVal = tsNow(tcb, now);
    // RFC 7323 §4.3 (3): TSecr = TS.Recent.
    repr.tsEcr = tcb.tsRecent;
  }
  if (tcb.sackEnabled && (!tcb.reasm.isEmpty() || tcb.sack.hasDsack)) {
    // RFC 2018 §4: at most 3 blocks next to timestamps, 4 without.
    repr.sackCount = tcb.sack.fill(repr.sackBlocks, tcb.tsEnabled ? 3 : 4);
  }
}

function fillHeader(tcb: Tcb, repr: TcpRepr, seq: number, flags: number): void {
  repr.srcPort = tcb.localPort;
  repr.dstPort = tcb.remotePort;
  repr.seq = seq;
  repr.flags = flags;
  repr.ack = (flags & TcpFlag.ACK) !== 0 ? tcb.rcvNxt : 0;
}

/** Build and send a data/FIN segment covering [seq, seq+len) of the send buffer. */
function transmitData(tcb: Tcb, seq: number, len: number, flags: number, retrans: boolean): boolean {
  const layer = tcb.layer;
  const now = layer.clock.now();
  let payload: PacketBuffer | null = null;
  let sum = -1;
  if (len > 0) {
    const off = seqDiff(seq, tcb.sndBufSeq);
    payload = tcb.sendBuf.slice(off, len);
    if (payload === null) {
      layer.mib.OutNoBuffers++;
      scheduleRetry(tcb);
      return false;
    }
    if (!layer.txChecksumOffload(tcb.remoteAddr)) {
      // No transmit offload: the payload sum from the send buffer's stored chunk sums
      // (copy+csum) where they cover it; only what they do not is summed now (acct.csum).
      sum = tcb.sendBuf.sumRange(off, len);
      if (tcb.sendBuf.lastSoftwareBytes > 0) layer.acct.csum(tcb.sendBuf.lastSoftwareBytes);
    }
  }
  const repr = layer.txRepr;
  resetOptions(repr);
  fillHeader(tcb, repr, seq, flags);
  if (tcb.ecnOk) repr.flags |= ecnAckFlags(tcb, len, retrans); // RFC 3168 §6.1.2/§6.1.3 (src/tcp/ecn.ts)
  fillAckOptions(tcb, repr, now);
  repr.window = selectWindow(tcb);
  if (!emitAndSend(layer, repr, tcb.localAddr, tcb.remoteAddr, payload, len, sum, ecnCodepoint(tcb, len, retrans))) {
    scheduleRetry(tcb);
    return false;
  }
  if (layer.lastOutputError === TcpErrno.EMSGSIZE) {
    // The path MTU shrank under us (IP refused the DF segment): use the new MSS from now
    // on; this segment counts as lost and is retransmitted at the new size.
    layer.pathMtuChanged(tcb, layer.ip.mtuFor(tcb.remoteAddr));
  }
  afterSend(tcb, now, len > 0 || (flags & TcpFlag.FIN) !== 0);
  if (len > 0) {
    tcb.dataSegsOut++;
    tcb.lastDataSent = now;
    tcb.delack.onDataSent(tcb, now);
  }
  if (retrans) {
    layer.mib.RetransSegs++;
    tcb.totalRetrans++;
    tcb.bytesRetrans += len;
    if (tcb.rtxStamp < 0) tcb.rtxStamp = now;
  } else {
    if (len > 0) {
      layer.mib.TCPOrigDataSent++;
      tcb.bytesSent += len;
      // RFC 5681 §3.2 step 2 / RFC 6675 (4.2): data sent by limited transmit stays out of FlightSize
      // for ssthresh — the part of it that takes FlightSize beyond cwnd (within cwnd it is ordinary data).
      if (tcb.dupAcks > 0 && !tcb.inRecovery) {
        const over = seqDiff(seqAdd(seq, len), tcb.sndUna) - tcb.cc.cwnd;
        if (over > 0) tcb.ltBytes += over < len ? over : len;
      }
      // RFC 6298 §3 / Karn: time one segment at a time, never a retransmitted one; not
      // needed with timestamps (RFC 7323 §4: every ACK gives a sample).
      if (!tcb.rttTiming && !tcb.tsEnabled) {
        tcb.rttTiming = true;
        tcb.rttSeq = seq;
        tcb.rttTime = now;
      }
    }
  }
  onSegmentSent(tcb, now, len > 0 || (flags & TcpFlag.FIN) !== 0);
  return true;
}

/** Bookkeeping for every segment that carried our ACK (`withData`: data or FIN, i.e. not a pure ACK). */
function afterSend(tcb: Tcb, now: Nanos, withData: boolean): void {
  tcb.segsOut++;
  // A delayed ACK that rides on data instead of leaving as a pure ACK.
  if (withData && tcb.ackPending && !tcb.ackNow) tcb.layer.mib.PiggybackedAcks++;
  tcb.rcvWup = tcb.rcvNxt;
  tcb.ackPending = false;
  tcb.ackNow = false;
  tcb.delackTimer.cancel();
  tcb.delack.onAckSent(tcb, now);
  if (tcb.rx !== null) tcb.rx.onAckSent(tcb, now); // ACK-delay samples (src/tcp/rx-path)
}

/** A pure ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the current window and options. */
export function sendAck(tcb: Tcb): boolean {
  // A pure ACK carries SND.MAX, not SND.NXT: after an RTO SND.NXT is rewound to
  // SND.UNA (go-back-N), and an ACK sequenced there lies left of the peer's
  // RCV.NXT, so RFC 9293 §3.10.7.4's acceptability test would drop it unread —
  // with both ends retransmitting, neither ever sees the other's ACKs. Linux
  // (tcp_acceptable_seq) and BSD (snd_max) do the same.
  if (tcb.layer.config.finWithEveryAck && finOutstandingAlone(tcb)) {
    // config.finWithEveryAck (FreeBSD tcp_output: TH_FIN with TF_SENTFIN and snd_nxt ==
    // snd_max → snd_nxt−−): the ACK retransmits our unacknowledged FIN.
    return sendControl(tcb, tcb.finSeq, TcpFlag.ACK | TcpFlag.FIN);
  }
  return sendControl(tcb, tcb.sndMax, TcpFlag.ACK);
}

/** An ACK <SEQ=SND.MAX><ACK=RCV.NXT> that never carries the FIN, whatever config.finWithEveryAck says (FreeBSD tcp_respond). */
export function sendPureAck(tcb: Tcb): boolean {
  return sendControl(tcb, tcb.sndMax, TcpFlag.ACK);
}

/** Our FIN is sent, unacknowledged, and the only thing outstanding beyond the sent data (SND.NXT = SND.MAX = FIN + 1). */
function finOutstandingAlone(tcb: Tcb): boolean {
  return tcb.finSent && tcb.sndNxt === tcb.sndMax && seqAdd(tcb.finSeq, 1) === tcb.sndMax && tcb.sndUna !== tcb.sndMax;
}

/** Pure ACK/RST with the TCB's options. */
function sendControl(tcb: Tcb, seq: number, flags: number): boolean {
  const layer = tcb.layer;
  const now = layer.clock.now();
  const repr = layer.txRepr;
  resetOptions(repr);
  fillHeader(tcb, repr, seq, flags);
  if ((flags & TcpFlag.RST) === 0) {
    if (tcb.ecnOk) repr.flags |= ecnAckFlags(tcb, 0, false); // ECE echo (RFC 3168 §6.1.3)
    fillAckOptions(tcb, repr, now);
    repr.window = selectWindow(tcb);
  } else {
    if (tcb.tsEnabled) {
      repr.tsPresent = true;
      repr.tsVal = tsNow(tcb, now);
      repr.tsEcr = tcb.tsRecent;
    }
    repr.window = 0;
  }
  if (!emitAndSend(layer, repr, tcb.localAddr, tcb.remoteAddr, null, 0, 0)) {
    if ((flags & TcpFlag.RST) === 0) {
      tcb.ackNow = true;
      scheduleRetry(tcb);
    }
    return false;
  }
  if ((flags & TcpFlag.RST) !== 0) {
    layer.mib.OutRsts++;
    tcb.segsOut++;
    return true;
  }
  afterSend(tcb, now, false);
  return true;
}

/**
 * RFC 5961 §7: a challenge ACK, subject to the stack-wide rate limit
 * (config.challengeAckLimit per second). Returns whether it was sent.
 */
export function sendChallengeAck(tcb: Tcb): boolean {
  const layer = tcb.layer;
  if (!layer.challengeAckAllowed()) {
    layer.mib.TCPACKSkippedChallenge++;
    return false;
  }
  layer.mib.TCPChallengeACK++;
  // A pure ACK even under config.finWithEveryAck (FreeBSD tcp_send_challenge_ack uses tcp_respond).
  return sendPureAck(tcb);
}

/**
 * RST for a connection we abort (RFC 9293 §3.10.5 ABORT, §3.10.4 close with
 * unread data): <SEQ=SND.MAX><ACK=RCV.NXT><CTL=RST,ACK> (Linux
 * tcp_send_active_reset; SND.MAX is Linux's snd_nxt, which never rewinds).
 */
export function sendRst(tcb: Tcb): boolean {
  return sendControl(tcb, tcb.sndMax, TcpFlag.RST | TcpFlag.ACK);
}

/**
 * SYN (active open) or SYN-ACK (passive/simultaneous open) with our options:
 * MSS (RFC 9293 §3.7.1), window scale (RFC 7323 §2: in a SYN-ACK only if the
 * SYN had it), SACK-permitted (RFC 2018 §2), timestamps (RFC 7323 §3.2).
 */
export function sendSyn(tcb: Tcb, retransmit: boolean): boolean {
  const layer = tcb.layer;
  const now = layer.clock.now();
  const synAck = tcb.state === TcpState.SYN_RECEIVED;
  const repr = layer.txRepr;
  resetOptions(repr);
  repr.srcPort = tcb.localPort;
  repr.dstPort = tcb.remotePort;
  repr.seq = tcb.iss;
  repr.flags = (synAck ? TcpFlag.SYN | TcpFlag.ACK : TcpFlag.SYN) | ecnSynFlags(tcb, synAck); // RFC 3168 §6.1.1
  repr.ack = synAck ? tcb.rcvNxt : 0;
  // EndpointOptions.mssOption false (FreeBSD TCP_NOOPT): no MSS option; the peer assumes 536.
  repr.mss = tcb.opts.mssOption ? tcb.advMss : -1;
  if (tcb.offeredWscale >= 0) repr.wscale = tcb.offeredWscale;
  repr.sackPermitted = tcb.sackOffered;
  if (tcb.tsOffered) {
    repr.tsPresent = true;
    repr.tsVal = tsNow(tcb, now);
    repr.tsEcr = synAck ? tcb.tsRecent : 0;
  }
  const wnd = synWindow(tcb);
  repr.window = wnd;
  if (!emitAndSend(layer, repr, tcb.localAddr, tcb.remoteAddr, null, 0, 0)) {
    scheduleRetry(tcb);
    return false;
  }
  tcb.segsOut++;
  if (synAck) {
    const edge = seqAdd(tcb.rcvNxt, wnd);
    if (seqGt(edge, tcb.rcvAdv)) tcb.rcvAdv = edge;
    tcb.rcvWup = tcb.rcvNxt;
    tcb.ackPending = false;
    tcb.ackNow = false;
  } else {
    tcb.synWindow = wnd;
  }
  if (seqLe(tcb.sndNxt, tcb.iss)) {
    tcb.sndNxt = seqAdd(tcb.iss, 1);
    if (seqGt(tcb.sndNxt, tcb.sndMax)) tcb.sndMax = tcb.sndNxt;
  }
  if (retransmit) {
    layer.mib.RetransSegs++;
    layer.mib.TCPSynRetrans++;
    tcb.totalRetrans++;
    tcb.synRetransmitted = true;
    tcb.rttTiming = false; // Karn (RFC 6298 §3): the handshake RTT is now ambiguous
    if (tcb.rtxStamp < 0) tcb.rtxStamp = now;
  } else if (!tcb.tsEnabled) {
    // Time the SYN (Karn: only if never retransmitted — synRetransmitted is checked on the ACK).
    tcb.rttTiming = true;
    tcb.rttSeq = tcb.iss;
    tcb.rttTime = now;
  }
  onSegmentSent(tcb, now, true);
  return true;
}

/**
 * Retransmit the first unacknowledged segment (fast retransmit, NewReno partial
 * ACK). Does not move SND.NXT. Returns whether a segment left.
 */
export function retransmitHead(tcb: Tcb): boolean {
  if (!canSendData(tcb.state)) return false;
  const bufLen = tcb.sendBuf.length;
  const offset = seqDiff(tcb.sndUna, tcb.sndBufSeq);
  let len = bufLen - offset;
  const room = dataRoom(tcb);
  if (len > room) len = room;
  const outstanding = seqDiff(tcb.sndMax, tcb.sndUna);
  if (len > outstanding) len = outstanding;
  if (len < 0) len = 0;
  const fin = tcb.finSent && len === bufLen - offset && seqLe(seqAdd(tcb.sndUna, len), tcb.finSeq) && seqLt(tcb.finSeq, tcb.sndMax);
  if (len === 0 && !fin) return false;
  let flags = TcpFlag.ACK;
  if (fin) flags |= TcpFlag.FIN;
  if (len > 0 && offset + len === bufLen) flags |= TcpFlag.PSH;
  tcb.rttTiming = false; // Karn
  return transmitData(tcb, tcb.sndUna, len, flags, true);
}

/**
 * Retransmit from `seq` (SND.UNA ≤ seq < SND.MAX) at most `maxSeq` sequence
 * numbers, one segment (RFC 6675 NextSeg): data up to the segment room, plus the
 * FIN when the range reaches it. Does not move SND.NXT. Returns the sequence
 * numbers covered (0 when nothing left: nothing to send or no buffer).
 */
export function retransmitRange(tcb: Tcb, seq: number, maxSeq: number): number {
  if (!canSendData(tcb.state) || maxSeq <= 0) return 0;
  const bufLen = tcb.sendBuf.length;
  const offset = seqDiff(seq, tcb.sndBufSeq);
  if (offset < 0) return 0;
  let len = bufLen - offset;
  const room = dataRoom(tcb);
  if (len > room) len = room;
  if (len > maxSeq) len = maxSeq;
  const outstanding = seqDiff(tcb.sndMax, seq);
  if (len > outstanding) len = outstanding;
  if (len < 0) len = 0;
  const fin =
    tcb.finSent && offset + len === bufLen && len < maxSeq && seqLe(seqAdd(seq, len), tcb.finSeq) && seqLt(tcb.finSeq, tcb.sndMax);
  if (len === 0 && !fin) return 0;
  let flags = TcpFlag.ACK;
  if (fin) flags |= TcpFlag.FIN;
  if (len > 0 && offset + len === bufLen) flags |= TcpFlag.PSH;
  tcb.rttTiming = false; // Karn (RFC 6298 §3)
  if (!transmitData(tcb, seq, len, flags, true)) return 0;
  return len + (fin ? 1 : 0);
}

/**
 * RFC 9293 §3.8.6.1 zero-window probe: one octet of data beyond the window
 * (new data, or the first unacknowledged octet again). Also used for the
 * sender-SWS override (§3.8.6.2.1 (4)) when the window is small but not zero.
 */
export function sendWindowProbe(tcb: Tcb): boolean {
  if (!canSendData(tcb.state)) return false;
  const bufLen = tcb.sendBuf.length;
  const unaOff = seqDiff(tcb.sndUna, tcb.sndBufSeq);
  if (tcb.sndWnd > 0) {
    // SWS override: send what the window allows now.
    const flight = seqDiff(tcb.sndNxt, tcb.sndUna);
    const nxtOff = seqDiff(tcb.sndNxt, tcb.sndBufSeq);
    let len = Math.min(bufLen - nxtOff, tcb.sndWnd - flight, dataRoom(tcb));
    if (len <= 0) len = 0;
    if (len === 0) return false;
    const flags = TcpFlag.ACK | (nxtOff + len === bufLen ? TcpFlag.PSH : 0);
    if (!transmitData(tcb, tcb.sndNxt, len, flags, false)) return false;
    tcb.sndNxt = seqAdd(tcb.sndNxt, len);
    if (seqGt(tcb.sndNxt, tcb.sndMax)) tcb.sndMax = tcb.sndNxt;
    return true;
  }
  if (unaOff >= bufLen) {
    // Only a FIN is waiting: send it (FIN is not window-limited here).
    return tcpOutput(tcb) > 0;
  }
  const isNew = tcb.sndMax === tcb.sndUna || seqLe(tcb.sndMax, tcb.sndUna);
  const flags = TcpFlag.ACK | (unaOff + 1 === bufLen ? TcpFlag.PSH : 0);
  if (!transmitData(tcb, tcb.sndUna, 1, flags, false)) return false;
  tcb.layer.mib.TCPWinProbe++;
  if (isNew) {
    tcb.sndNxt = seqAdd(tcb.sndUna, 1);
    tcb.sndMax = tcb.sndNxt;
  }
  tcb.rttTiming = false; // a probe into a zero window gives no usable RTT sample
  return true;
}

/**
 * RFC 1122 §4.2.3.6 keepalive probe: <SEQ=SND.UNA−1><ACK=RCV.NXT> with no data,
 * which an alive peer must answer with an ACK (it is just left of its window).
 */
export function sendKeepalive(tcb: Tcb): boolean {
  tcb.layer.mib.TCPKeepAlive++;
  return sendControl(tcb, seqAdd(tcb.sndUna, -1), TcpFlag.ACK);
}

// ---------------------------------------------------------------------------
// Segments without a TCB (RFC 9293 §3.10.7.1)

/**
 * RST in reply to `seg` (no connection, LISTEN with ACK, SYN-SENT bad ACK, …):
 * "If the ACK bit is off, sequence number zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
 * if the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>". Never in reply to a RST.
 */
export function sendResetFor(layer: TcpLayer, seg: TcpRepr, src: number, dst: number): boolean {
  if ((seg.flags & TcpFlag.RST) !== 0) return false;
  // RFC 1122 §4.2.3.10: never answer a segment from a broadcast/multicast/unspecified source.
  if (src === 0 || src === 0xffffffff || src >>> 28 === 0xe) return false;
  const repr = layer.txRepr;
  const segAck = seg.ack;
  const segSeq = seg.seq;
  const segLen = seg.payloadLength + ((seg.flags & TcpFlag.SYN) !== 0 ? 1 : 0) + ((seg.flags & TcpFlag.FIN) !== 0 ? 1 : 0);
  const hadAck = (seg.flags & TcpFlag.ACK) !== 0;
  const srcPort = seg.dstPort;
  const dstPort = seg.srcPort;
  resetOptions(repr);
  repr.srcPort = srcPort;
  repr.dstPort = dstPort;
  if (hadAck) {
    repr.seq = segAck;
    repr.ack = 0;
    repr.flags = TcpFlag.RST;
  } else {
    repr.seq = 0;
    repr.ack = seqAdd(segSeq, segLen);
    repr.flags = TcpFlag.RST | TcpFlag.ACK;
  }
  repr.window = 0;
  if (!emitAndSend(layer, repr, dst, src, null, 0, 0)) return false;
  layer.mib.OutRsts++;
  return true;
}

// ---------------------------------------------------------------------------
// Building the packet

/**
 * Emit `repr` into a fresh header buffer, chain `payload` (owned; released on
 * failure), checksum, and hand it to IP. Returns false (counted) when the pool is
 * empty; IP errors count OutIpErrors but return true (the segment is gone
 * either way; retransmission recovers).
 */
export function emitAndSend(
  layer: TcpLayer,
  repr: TcpRepr,
  src: number,
  dst: number,
  payload: PacketBuffer | null,
  payloadLen: number,
  payloadSum: number,
  ecn: number = Ecn.NOT_ECT,
): boolean {
  const pool = layer.pool;
  const hdrLen = tcpHeaderLen(repr);
  const hdr = pool.alloc(hdrLen, pool.headroom);
  if (hdr === null) {
    layer.mib.OutNoBuffers++;
    if (payload !== null) payload.release();
    return false;
  }
  const off = hdr.append(hdrLen);
  const bytes = hdr.bytes;
  repr.payloadLength = payloadLen;
  const engine = pool.checksum;
  if (layer.txChecksumOffload(dst)) {
    // docs/tcp.md "Checksums on transmit": CHECKSUM_PARTIAL; the device (or IP's
    // software fallback) sums from the TCP header to the end.
    emitTcp(repr, bytes, off, src, dst, engine, ChecksumMode.PSEUDO_HEADER);
    hdr.csumState = CSUM_PARTIAL;
    hdr.csumStart = 0;
    hdr.csumOffset = TcpField.CHECKSUM;
  } else {
    emitTcp(repr, bytes, off, src, dst, engine, ChecksumMode.NONE);
    let sum = payloadSum;
    if (payloadLen > 0 && sum < 0) {
      sum = chainSum(layer, payload!);
      layer.acct.csum(payloadLen);
    } else if (payloadLen === 0) {
      sum = 0;
    }
    layer.acct.csum(hdrLen);
    setTcpChecksumField(bytes, off, tcpChecksum(bytes, off, hdrLen, sum, payloadLen, src, dst, engine));
  }
  hdr.next = payload;
  // No acct.packet() here: perPacketNs is the all-in cost of a frame, charged once
  // per direction by the layer that owns the frame (src/ip/link-output.ts sendFrame).
  layer.mib.OutSegs++;
  // RFC 1191 path MTU discovery: DF on every segment (Linux ip_no_pmtu_disc = 0).
  const rc = layer.ip.output(hdr, src, dst, IpProtocol.TCP, ecn === Ecn.ECT0 ? DF_ECT0_OPTIONS : DF_OPTIONS);
  layer.lastOutputError = rc < 0 ? rc : 0;
  if (rc < 0) layer.mib.OutIpErrors++;
  return true;
}

/** Ones'-complement sum of a buffer chain, handling odd-length elements (RFC 1071 §2(B)). */
function chainSum(layer: TcpLayer, buf: PacketBuffer): number {
  const engine = layer.pool.checksum;
  let sum = 0;
  let odd = false;
  for (let b: PacketBuffer | null = buf; b !== null; b = b.next) {
    const n = b.tail - b.head;
    if (n === 0) continue;
    const s = engine.sum(b.bytes, b.head, n);
    sum = combineSums(sum, s, odd);
    if ((n & 1) !== 0) odd = !odd;
  }
  return sum;
}
