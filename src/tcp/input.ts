/**
 * Segment arrival: RFC 9293 §3.10.7 in the RFC's order, per state, with the
 * RFC 5961 mitigations (§3 RST, §4 SYN, §5 ACK validation, §7 throttling),
 * RFC 7323 PAWS (§5.3, checked before the sequence number) and timestamp
 * rules (§4.3), RFC 1337 (TIME-WAIT ignores RST), RFC 6191 TIME-WAIT reuse, and
 * the receive side of data transfer: in-order delivery, the out-of-order queue,
 * SACK blocks, delayed-ACK decisions (RFC 1122 §4.2.3.2, RFC 5681 §4.2).
 *
 * Owns: processSegment (after parse → demux → checksum, see tcp-layer.ts) and
 * the per-state rules; option negotiation on SYN / SYN-ACK.
 * Must not: build segments (output.ts), arm timers directly except through
 * timers.ts, or compare sequence numbers other than through seq.ts. Never throws
 * on any bytes: every drop path releases the packet exactly once.
 *
 * Ownership: processSegment takes the packet. Its payload window (head at the
 * TCP header, linear) is trimmed in place to the acceptable data and handed to
 * the receive buffer or the reassembly queue; everything else is released here.
 */
import type { Nanos } from '../time/clock.js';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqInRange, seqLe, seqLt } from './seq.js';
import { CloseKind, isSynchronized, setState, TcbEvent, TcpErrno, TcpState, type Tcb } from './tcb.js';
import type { TcpLayer } from './tcp-layer.js';
import { ACK_NOW, eatenAckDelay } from './delack.js';
import { childEstablished, listenInput } from './listen.js';
import { mssBase, rcvSpace, rcvWindow, sendAck, sendPureAck, sendChallengeAck, sendResetFor, sendSyn, tcpOutput, TS_OPTION_SPACE, tsNow } from './output.js';
import { isDuplicateAck, onDuplicateAck, onNewAck, rttSampleFor, sackRecoveryOn, updateScoreboard } from './recovery.js';
import { armDelayedAck, armFinWait2, armKeepalive, onAckAdvanced, startTimeWait, updateSendTimers } from './timers.js';
import { MAX_WSCALE } from './config.js';
import { ecnNegotiate, ecnOnSegment } from './ecn.js';

/** RFC 7323 §5.5: TS.Recent older than 24 days is invalid (PAWS must not reject on it). */
const PAWS_IDLE_LIMIT: Nanos = 24 * 24 * 3600 * 1_000_000_000;
/** Smallest peer MSS we accept (Linux tcp_min_snd_mss = 48). */
const MIN_PEER_MSS = 48;

/**
 * Process one segment whose checksum verified. `tcb` is the demux result
 * (connection, listener, or null). Takes ownership of `pkt`.
 */
export function processSegment(layer: TcpLayer, tcb: Tcb | null, seg: TcpRepr, pkt: PacketBuffer, src: number, dst: number): void {
  const now = layer.clock.now();
  const flags = seg.flags;
  if (layer.config.dropSynFin && (flags & (TcpFlag.SYN | TcpFlag.FIN)) === (TcpFlag.SYN | TcpFlag.FIN)) {
    layer.mib.InSynFinDrops++;
    pkt.release();
    return;
  }
  if (tcb === null) {
    // RFC 9293 §3.10.7.1 CLOSED: "all data in the incoming segment is discarded. An
    // incoming segment containing a RST is discarded. An incoming segment not containing
    // a RST causes a RST to be sent in response."
    layer.mib.InNoSocket++;
    pkt.release();
    sendResetFor(layer, seg, src, dst);
    return;
  }
  tcb.segsIn++;
  switch (tcb.state) {
    case TcpState.LISTEN:
      pkt.release();
      listenInput(tcb, seg, src, dst, now, -1);
      return;
    case TcpState.SYN_SENT:
      synSent(tcb, seg, pkt, now);
      return;
    case TcpState.CLOSED:
      pkt.release();
      sendResetFor(layer, seg, src, dst);
      return;
    default:
      otherwise(tcb, seg, pkt, src, dst, now);
  }
}

// ---------------------------------------------------------------------------
// Option negotiation

/** Window shift we offer: the smallest that covers the largest receive buffer (RFC 7323 §2.3, at most 14). */
export function chooseWscale(tcb: Tcb): number {
  const space = tcb.rcvbufLocked ? tcb.opts.rcvbuf : Math.max(tcb.opts.rcvbuf, tcb.layer.config.rcvbufMax);
  let shift = 0;
  while (shift < MAX_WSCALE && 65535 * 2 ** shift < space) shift++;
  return shift;
}

/** Path MTU towards `addr`; RFC 1122 §3.3.3's 576 when IP has no route (mtuFor returns 0). */
export function pathMtu(tcb: Tcb, addr: number): number {
  const mtu = tcb.layer.ip.mtuFor(addr);
  return mtu >= 68 ? mtu : 576;
}

/** MSS we advertise: route MTU − 40 (RFC 9293 §3.7.1, RFC 879), clamped by TCP_MAXSEG. */
export function advertisedMss(tcb: Tcb): number {
  let mss = tcb.pmtu - 40;
  if (tcb.opts.maxseg > 0 && tcb.opts.maxseg < mss) mss = tcb.opts.maxseg;
  return mss < 1 ? 1 : mss > 65535 ? 65535 : mss;
}

/** Prepare a TCB's SYN options for an active open. */
export function prepareActiveOptions(tcb: Tcb): void {
  const o = tcb.opts;
  tcb.pmtu = pathMtu(tcb, tcb.remoteAddr);
  tcb.advMss = advertisedMss(tcb);
  tcb.offeredWscale = o.windowScaling ? chooseWscale(tcb) : -1;
  tcb.tsOffered = o.timestamps;
  tcb.sackOffered = o.sack;
}

/**
 * Options of a received SYN (`passive`: the SYN opening the connection, our SYN-ACK
 * will answer it) or SYN-ACK / simultaneous-open SYN (`!passive`: answering our SYN).
 */
export function negotiateOptions(tcb: Tcb, seg: TcpRepr, passive: boolean, now: Nanos): void {
  const o = tcb.opts;
  const layer = tcb.layer;
  if (passive) {
    tcb.pmtu = pathMtu(tcb, tcb.remoteAddr);
    tcb.advMss = advertisedMss(tcb);
    // RFC 7323 §2.2: a SYN-ACK carries Window Scale only if the SYN did.
    tcb.offeredWscale = o.windowScaling && seg.wscale >= 0 ? chooseWscale(tcb) : -1;
    // RFC 7323 §3.2: TSopt in a SYN-ACK only if the SYN had one; RFC 2018 §2 likewise.
    tcb.tsOffered = o.timestamps && seg.tsPresent;
    tcb.sackOffered = o.sack && seg.sackPermitted;
  }
  // RFC 9293 §3.7.1: without an MSS option assume 536 (config.defaultMss).
  let peer = seg.mss >= 0 ? seg.mss : layer.config.defaultMss;
  if (peer < MIN_PEER_MSS) peer = MIN_PEER_MSS;
  tcb.peerMss = peer;
  // RFC 7323 §2.2-2.3: scaling is on only if both SYNs carried the option; a shift above 14 is used as 14.
  if (tcb.offeredWscale >= 0 && seg.wscale >= 0) {
    tcb.sndWscale = seg.wscale > MAX_WSCALE ? MAX_WSCALE : seg.wscale;
    tcb.rcvWscale = tcb.offeredWscale;
  } else {
    tcb.sndWscale = 0;
    tcb.rcvWscale = 0;
    if (!passive) tcb.offeredWscale = -1;
  }
  tcb.tsEnabled = tcb.tsOffered && seg.tsPresent;
  if (!passive && !tcb.tsEnabled) tcb.tsOffered = false;
  if (tcb.tsEnabled) {
    tcb.tsRecent = seg.tsVal;
    tcb.tsRecentAge = now;
    tcb.tsRecentValid = true;
  }
  tcb.sackEnabled = tcb.sackOffered && seg.sackPermitted;
  if (!passive && !tcb.sackEnabled) tcb.sackOffered = false;
  ecnNegotiate(tcb, seg); // RFC 3168 §6.1.1 (src/tcp/ecn.ts)
  // RFC 9293 §3.7.1: Eff.snd.MSS = min(SendMSS, MMS_S) − option bytes on every segment.
  let base = peer;
  const routeMss = tcb.pmtu - 40;
  if (routeMss < base) base = routeMss;
  if (o.maxseg > 0 && o.maxseg < base) base = o.maxseg;
  let mss = base - (tcb.tsEnabled ? TS_OPTION_SPACE : 0);
  if (mss < 1) mss = 1;
  tcb.sndMss = mss;
  tcb.sendBuf.segmentSize = mss;
  const rcv = tcb.advMss - (tcb.tsEnabled ? TS_OPTION_SPACE : 0);
  tcb.rcvMss = Math.max(1, Math.min(rcv, mss));
  tcb.cc.setSmss(mss);
  tcb.cc.init(mss, now);
}

// ---------------------------------------------------------------------------
// SYN-SENT (RFC 9293 §3.10.7.3)

function synSent(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer, now: Nanos): void {
  const layer = tcb.layer;
  const flags = seg.flags;
  const hasAck = (flags & TcpFlag.ACK) !== 0;
  const ack = seg.ack;
  // First, check the ACK bit: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
  // the RST bit is set, if so drop the segment and return) <SEQ=SEG.ACK><CTL=RST>".
  if (hasAck && (seqLe(ack, tcb.iss) || seqGt(ack, tcb.sndNxt))) {
    pkt.release();
    if ((flags & TcpFlag.RST) === 0) sendResetFor(layer, seg, tcb.remoteAddr, tcb.localAddr);
    return;
  }
  // Second, check the RST bit: "If the ACK was acceptable, then signal to the user 'error:
  // connection reset', drop the segment, enter CLOSED state … Otherwise (no ACK), drop".
  // (RFC 5961 §3 leaves SYN-SENT as it is: the ACK already proves the RST is not blind.)
  if ((flags & TcpFlag.RST) !== 0) {
    pkt.release();
    if (hasAck) layer.failConnection(tcb, TcpErrno.ECONNREFUSED, false);
    return;
  }
  // Third: security (not implemented). Fourth: the SYN bit.
  if ((flags & TcpFlag.SYN) === 0) {
    pkt.release(); // fifth: "If neither of the SYN or RST bits is set, then drop the segment and return."
    return;
  }
  tcb.lastRecv = now;
  tcb.irs = seg.seq;
  tcb.rcvNxt = seqAdd(seg.seq, 1);
  tcb.rcvWup = tcb.rcvNxt;
  negotiateOptions(tcb, seg, false, now);
  // FreeBSD calls tcp_mss() on the SYN (or SYN-ACK) that reaches SYN-SENT.
  roundBuffersToMss(tcb);
  // RFC 7323 §2.2: the window of a SYN is never scaled.
  tcb.sndWnd = seg.window;
  tcb.maxSndWnd = seg.window;
  tcb.sndWl1 = seg.seq;
  tcb.sndWl2 = ack;
  if (hasAck) {
    // "SND.UNA should be advanced to equal SEG.ACK … If SND.UNA > ISS (our SYN has been
    // ACKed), change the connection state to ESTABLISHED, form an ACK segment
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
    tcb.sndUna = ack;
    if (seqLt(tcb.sndNxt, ack)) tcb.sndNxt = ack;
    // Karn: a sample from the SYN only if it was never retransmitted (or from TSecr).
    const sample = tcb.synRetransmitted && !tcb.tsEnabled ? -1 : rttSampleFor(tcb, ack, seg.tsPresent, seg.tsEcr, now, tsNow(tcb, now));
    tcb.rttTiming = false;
    if (sample >= 0) tcb.rtt.sample(sample);
    else tcb.rtt.resetBackoff();
    tcb.rcvAdv = seqAdd(tcb.rcvNxt, tcb.synWindow);
    tcb.connTimer.cancel();
    onAckAdvanced(tcb, now, false);
    setState(tcb, TcpState.ESTABLISHED);
    armKeepalive(tcb);
    layer.raise(tcb, TcbEvent.CONNECT | TcbEvent.WRITABLE, 0);
    // "If there are other controls or text in the segment, then continue processing at the
    // sixth step below where the URG bit is checked" — text of a SYN-ACK is accepted.
    const dataLen = seg.payloadLength;
    const fin = (flags & TcpFlag.FIN) !== 0;
    if (dataLen > 0 || fin) {
      receiveText(tcb, seg, pkt, tcb.rcvNxt, dataLen, fin, now);
    } else {
      pkt.release();
    }
    tcb.ackNow = true;
    tcpOutput(tcb);
    return;
  }
  // "Otherwise, enter SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  // and send it. … If there are other controls or text in the segment, queue them for
  // processing after the ESTABLISHED state has been reached" (simultaneous open). The text
  // waits, not yet acknowledged, in the reassembly queue at RCV.NXT (deliverSynText); a FIN
  // is not kept (the peer retransmits it once we ACK its SYN; FreeBSD does the same).
  queueSynText(tcb, seg, pkt);
  setState(tcb, TcpState.SYN_RECEIVED);
  tcb.rtxTimer.cancel();
  tcb.rtxCount = 0;
  tcb.rcvAdv = tcb.rcvNxt;
  sendSyn(tcb, false);
}

// ---------------------------------------------------------------------------
// Otherwise: SYN-RECEIVED and the synchronized states (RFC 9293 §3.10.7.4)

function otherwise(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer, src: number, dst: number, now: Nanos): void {
  if (tcb.state === TcpState.SYN_RECEIVED && seg.seq === tcb.irs && (seg.flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === (TcpFlag.SYN | TcpFlag.ACK)) {
    // Simultaneous open: the peer's SYN-ACK. Its SYN repeats the one we have; its ACK may
    // complete our handshake (Linux does the same): process it as the ACK that follows the SYN.
    seg.flags &= ~TcpFlag.SYN;
    seg.seq = seqAdd(seg.seq, 1);
  }
  const layer = tcb.layer;
  const mib = layer.mib;
  const config = layer.config;
  const flags = seg.flags;
  const rst = (flags & TcpFlag.RST) !== 0;
  const syn = (flags & TcpFlag.SYN) !== 0;
  const hasAck = (flags & TcpFlag.ACK) !== 0;
  let fin = (flags & TcpFlag.FIN) !== 0;
  const seq = seg.seq;
  const state = tcb.state;

  if (state === TcpState.SYN_RECEIVED && syn && !hasAck && !rst && seq === tcb.irs) {
    // A retransmitted SYN: our SYN-ACK was lost; send it again (Linux tcp_check_req).
    pkt.release();
    sendSyn(tcb, true);
    return;
  }
  if (state === TcpState.TIME_WAIT && timeWaitSpecial(tcb, seg, pkt, src, dst, now)) return;

  // RFC 7323 §5.3 (PAWS), before the sequence-number check.
  if (tcb.tsEnabled && !rst) {
    if (!seg.tsPresent) {
      // RFC 7323 §3.2: "If a non-<RST> segment is received without a TSopt, a TCP SHOULD
      // silently drop the segment."
      mib.TCPTSMissingDrops++;
      pkt.release();
      return;
    }
    if (tcb.tsRecentValid && seqLt(seg.tsVal, tcb.tsRecent)) {
      if (now - tcb.tsRecentAge > PAWS_IDLE_LIMIT) {
        tcb.tsRecentValid = false; // RFC 7323 §5.5: TS.Recent too old to judge by
      } else {
        // R1: "treat the arriving segment as not acceptable: Send an acknowledgment in reply
        // … and drop the segment."
        if (state === TcpState.TIME_WAIT) mib.PAWSTimewait++;
        else mib.PAWSEstab++;
        pkt.release();
        mib.ImmediateAckOutOfWindow++;
        sendAck(tcb);
        return;
      }
    }
  }

  // First: check the sequence number (the acceptability table).
  const dataLen = seg.payloadLength;
  const segLen = dataLen + (syn ? 1 : 0) + (fin ? 1 : 0);
  // config.acceptUpToBuffer (FreeBSD tcp_input: rcv_wnd = imax(sbspace, rcv_adv − rcv_nxt)):
  // data that fits the receive buffer is accepted even beyond the advertised right edge —
  // on a full connection only (including SYN-RECEIVED reached from SYN-SENT): FreeBSD's
  // passive SYN-RECEIVED (syncache) and TIME-WAIT (tcptw) judge by the advertised window.
  const upToBuffer = config.acceptUpToBuffer && state !== TcpState.TIME_WAIT && (isSynchronized(state) || (state === TcpState.SYN_RECEIVED && tcb.active));
  const rcvWnd = upToBuffer ? Math.max(rcvSpace(tcb), rcvWindow(tcb)) : rcvWindow(tcb);
  const rcvNxt = tcb.rcvNxt;
  let acceptable: boolean;
  let zeroWindowData = false;
  let oldSegment = false;
  if (segLen === 0) {
    acceptable = rcvWnd === 0 ? seq === rcvNxt : seqInRange(seq, rcvNxt, rcvWnd);
  } else if (rcvWnd === 0) {
    // "If the RCV.WND is zero, no segments will be acceptable, but special allowance should be
    // made to accept valid ACKs, URGs, and RSTs": a segment at RCV.NXT is processed for its
    // controls; its data is dropped (TCPZeroWindowDrop) and a FIN is accepted (it needs no space).
    acceptable = seq === rcvNxt;
    zeroWindowData = acceptable && dataLen > 0;
  } else {
    acceptable = seqInRange(seq, rcvNxt, rcvWnd) || seqInRange(seqAdd(seq, segLen - 1), rcvNxt, rcvWnd);
  }
  if (!acceptable) {
    // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
    // (unless the RST bit is set, if so drop the segment and return)".
    mib.TCPSeqDrops++;
    // config.ackFromOldSegments (4.4BSD/FreeBSD tcp_input "keep on processing for RST or ACK",
    // Stevens vol. 2 p. 960): an entirely old segment still delivers its ACK field; its text
    // and FIN are dropped below, and the ACK in reply leaves after the ACK was processed.
    // Otherwise RFC 9293 §3.10.7.4: reply and drop the whole segment.
    oldSegment =
      config.ackFromOldSegments && isSynchronized(state) && state !== TcpState.TIME_WAIT && !rst && !syn && hasAck && seqLt(seq, rcvNxt) && seqLe(seqAdd(seq, segLen), rcvNxt);
    if (!rst) {
      if (dataLen > 0 && seqLe(seqAdd(seq, segLen), rcvNxt)) {
        // An old duplicate: our ACK was probably lost (Linux DelayedACKLost); RFC 2883 D-SACK.
        mib.DelayedACKLost++;
        if (tcb.sackEnabled && config.dsack) {
          tcb.sack.onDuplicate(seq, seqAdd(seq, dataLen));
          mib.TCPDSACKOldSent++;
        }
      }
      mib.ImmediateAckOutOfWindow++;
      mib.TCPOutOfWindowAcks++;
      // A SYN is answered with a pure ACK (identical to sendAck unless config.finWithEveryAck:
      // FreeBSD answers any SYN on a synchronized connection with tcp_send_challenge_ack).
      if (syn) sendPureAck(tcb);
      else if (oldSegment) tcb.ackNow = true;
      else sendAck(tcb);
    }
    if (!oldSegment) {
      pkt.release();
      return;
    }
  }

  // Second: check the RST bit.
  if (rst) {
    pkt.release();
    // RFC 5961 §3.2: reset only if SEG.SEQ exactly matches RCV.NXT; otherwise (in the
    // window) send a challenge ACK and drop.
    if (config.rfc5961 && config.rfc5961Rst && seq !== rcvNxt) {
      sendChallengeAck(tcb);
      return;
    }
    switch (state) {
      case TcpState.SYN_RECEIVED:
        // "If this connection was initiated with a passive OPEN … return this connection to
        // LISTEN" (the child is dropped); "if initiated with an active OPEN … connection refused".
        if (tcb.active) layer.failConnection(tcb, TcpErrno.ECONNREFUSED, false);
        else layer.closeTcb(tcb, TcpErrno.ECONNRESET);
        return;
      case TcpState.ESTABLISHED:
      case TcpState.FIN_WAIT_1:
      case TcpState.FIN_WAIT_2:
      case TcpState.CLOSE_WAIT:
        // "any outstanding RECEIVEs and SEND should receive 'reset' responses … enter CLOSED".
        // Linux tcp_reset(): the error is EPIPE in CLOSE-WAIT (the peer had already finished), else
        // ECONNRESET; config.closeWaitRstEconnreset gives ECONNRESET there too (FreeBSD; RFC 9293's
        // "connection reset" signal).
        layer.failConnection(tcb, state === TcpState.CLOSE_WAIT && !config.closeWaitRstEconnreset ? TcpErrno.EPIPE : TcpErrno.ECONNRESET, false);
        return;
      case TcpState.TIME_WAIT:
        // RFC 1337 (TIME-WAIT assassination, hazard H1): ignore RST in TIME-WAIT.
        if (config.rfc1337) return;
        layer.closeTcb(tcb, 0);
        return;
      default:
        // CLOSING, LAST-ACK: "enter the CLOSED state, delete the TCB, and return". A socket
        // still open after shutdown() learns of the reset as ECONNRESET (Linux tcp_reset,
        // FreeBSD tcp_drop), like the synchronized states above.
        layer.closeTcb(tcb, TcpErrno.ECONNRESET);
        return;
    }
  }

  // Third: security (not implemented: no IP security compartments).

  // Fourth: check the SYN bit.
  if (syn) {
    pkt.release();
    if (config.rfc5961 && config.rfc5961Syn) {
      // RFC 5961 §4.2: in any synchronized state (and SYN-RECEIVED), answer a SYN with a
      // challenge ACK and drop it; a peer that really restarted will RST our ACK.
      mib.TCPSYNChallenge++;
      sendChallengeAck(tcb);
      return;
    }
    // RFC 793 behaviour: "the connection should be reset" (passive SYN-RECEIVED returns to LISTEN).
    if (state === TcpState.SYN_RECEIVED && !tcb.active) {
      layer.closeTcb(tcb, TcpErrno.ECONNRESET);
      return;
    }
    layer.failConnection(tcb, TcpErrno.ECONNRESET, true);
    return;
  }

  // Fifth: check the ACK field. "If the ACK bit is off, drop the segment and return."
  if (!hasAck) {
    pkt.release();
    return;
  }
  const ack = seg.ack;
  // RFC 5961 §5.2: acceptable only if (SND.UNA − MAX.SND.WND) ≤ SEG.ACK ≤ SND.NXT
  // (SND.MAX here: after an RTO SND.NXT is rewound, but ACKs up to SND.MAX are real);
  // otherwise discard and send an ACK (a challenge ACK, rate-limited per §7).
  if (config.rfc5961 && isSynchronized(state) && (seqGt(ack, tcb.sndMax) || seqLt(ack, seqAdd(tcb.sndUna, -tcb.maxSndWnd)))) {
    pkt.release();
    sendChallengeAck(tcb);
    return;
  }
  tcb.lastRecv = now;
  tcb.keepaliveProbes = 0;
  tcb.lastAckRecv = now;

  if (state === TcpState.SYN_RECEIVED) {
    // "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state and continue processing
    // … If the segment acknowledgment is not acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST>".
    if (!(seqLt(tcb.sndUna, ack) && seqLe(ack, tcb.sndMax))) {
      pkt.release();
      sendResetFor(layer, seg, src, dst);
      return;
    }
    if (!tcb.active && !childEstablished(tcb)) {
      pkt.release(); // accept queue full: the ACK is dropped (or the child was reset)
      return;
    }
    roundBuffersToMss(tcb);
    setState(tcb, TcpState.ESTABLISHED);
    tcb.connTimer.cancel();
    if (!tcb.reasm.isEmpty()) deliverSynText(tcb, now);
    // The handshake is over: SYN-ACK backoff does not carry into data transfer (no RFC 6298
    // §5.7 3-second fallback either: like Linux, the RTO stays at its initial value).
    if (tcb.synRetransmitted && !tcb.tsEnabled) tcb.rtt.resetBackoff();
    // "Set the variables: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK".
    tcb.sndWnd = seg.window * 2 ** tcb.sndWscale;
    if (tcb.sndWnd > tcb.maxSndWnd) tcb.maxSndWnd = tcb.sndWnd;
    tcb.sndWl1 = seq;
    tcb.sndWl2 = ack;
    armKeepalive(tcb);
    if (tcb.active) layer.raise(tcb, TcbEvent.CONNECT | TcbEvent.WRITABLE, 0);
    // RFC 9293 §3.10.4: a CLOSE in SYN-RECEIVED was queued until ESTABLISHED; now it applies.
    if (tcb.finPending) setState(tcb, TcpState.FIN_WAIT_1);
  }

  // RFC 7323 §4.3 (2): update TS.Recent from an acceptable segment that covers Last.ACK.sent.
  if (tcb.tsEnabled && seg.tsPresent && seqLe(seq, tcb.rcvWup) && (!tcb.tsRecentValid || seqGe(seg.tsVal, tcb.tsRecent))) {
    tcb.tsRecent = seg.tsVal;
    tcb.tsRecentAge = now;
    tcb.tsRecentValid = true;
  }

  const scaledWnd = seg.window * 2 ** tcb.sndWscale;
  if (seqGt(ack, tcb.sndMax)) {
    // "If the ACK acknowledges something not yet sent (SEG.ACK > SND.NXT), then send an
    // ACK, drop the segment, and return." (Reached only with rfc5961 off.)
    pkt.release();
    sendAck(tcb);
    return;
  }
  // RFC 6675 §5: every ACK's SACK information goes into the scoreboard first (Update()); with
  // SACK recovery a DupAck is an ACK that SACKs new data (§2) — even if it changes the window
  // or moves SND.UNA. Otherwise RFC 5681 §2's definition.
  const dup = sackRecoveryOn(tcb) ? updateScoreboard(tcb, seg, ack) > 0 : isDuplicateAck(tcb, ack, dataLen, syn || fin, scaledWnd);
  const unaBefore = tcb.sndUna;
  if (seqLt(unaBefore, ack)) {
    ackAdvanced(tcb, ack, seg, now);
  }
  // RFC 3168 §6.1.2-§6.1.3: CE/ECE/CWR (src/tcp/ecn.ts). Not on the ACK completing our
  // handshake: an ECN-setup SYN-ACK's ECE is negotiation, not congestion.
  if (tcb.ecnOk && state !== TcpState.SYN_RECEIVED) ecnOnSegment(tcb, seg, layer.rxCe, dataLen, now);
  // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 < SEG.SEQ
  // or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ,
  // and SND.WL2 <- SEG.ACK."
  if (seqLe(unaBefore, ack) && (seqLt(tcb.sndWl1, seq) || (tcb.sndWl1 === seq && seqLe(tcb.sndWl2, ack)))) {
    const wasZero = tcb.sndWnd === 0;
    tcb.sndWnd = scaledWnd;
    tcb.sndWl1 = seq;
    tcb.sndWl2 = ack;
    if (scaledWnd > tcb.maxSndWnd) tcb.maxSndWnd = scaledWnd;
    if (wasZero && scaledWnd > 0) {
      // The window reopened: octets sent into the zero window (probes) were dropped unless
      // acknowledged — send again from SND.UNA.
      tcb.persistProbes = 0;
      if (seqLt(tcb.sndUna, tcb.sndNxt)) {
        tcb.sndNxt = tcb.sndUna;
        tcb.rttTiming = false;
      }
    }
  }
  if (dup) {
    onDuplicateAck(tcb, now);
  } else if (dataLen === 0 && !syn && !fin && ack === tcb.sndUna && !seqLt(unaBefore, ack)) {
    // Not a duplicate by RFC 5681 §2 (e.g. a window update): the run of duplicates ends.
    if (tcb.sndMax === tcb.sndUna) tcb.dupAcks = 0;
  }
  if (dataLen === 0 && !fin) mib.TCPPureAcks++;

  if (tcb.state === TcpState.CLOSED) {
    pkt.release();
    return;
  }
  // Per-state ACK rules.
  switch (tcb.state) {
    case TcpState.FIN_WAIT_1:
      // "In addition to the processing for the ESTABLISHED state, if the FIN segment is now
      // acknowledged, then enter FIN-WAIT-2 and continue processing in that state."
      if (tcb.finAcked) {
        setState(tcb, TcpState.FIN_WAIT_2);
        armFinWait2(tcb);
      }
      break;
    case TcpState.CLOSING:
      // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise, ignore".
      if (tcb.finAcked) {
        enterTimeWait(tcb);
      }
      break;
    case TcpState.LAST_ACK:
      // "The only thing that can arrive in this state is an acknowledgment of our FIN. If our
      // FIN is now acknowledged, delete the TCB, enter the CLOSED state, and return."
      if (tcb.finAcked) {
        pkt.release();
        layer.closeTcb(tcb, 0);
        return;
      }
      break;
    default:
      break;
  }

  // Sixth: check the URG bit. RFC 9293 §3.8.5 / RFC 6093: the urgent pointer marks the end of
  // urgent data; we record RCV.UP and deliver all data inline (as SO_OOBINLINE): there is no
  // out-of-band signal to the user.
  if ((flags & TcpFlag.URG) !== 0 && (tcb.state === TcpState.ESTABLISHED || tcb.state === TcpState.FIN_WAIT_1 || tcb.state === TcpState.FIN_WAIT_2)) {
    const up = seqAdd(seq, seg.urgentPointer);
    if (seqGt(up, tcb.rcvUp)) tcb.rcvUp = up;
  }

  // Seventh: process the segment text; eighth: check the FIN bit.
  if (oldSegment) {
    // Already received and acknowledged above (config.ackFromOldSegments): only the ACK counted.
    fin = false;
    pkt.release();
  } else if (zeroWindowData) {
    // Data at RCV.NXT into a zero window: drop the data, keep the ACK informed.
    mib.TCPZeroWindowDrop++;
    mib.ImmediateAckOutOfWindow++;
    tcb.ackNow = true;
    fin = false;
    pkt.release();
  } else if (dataLen > 0 || fin) {
    // Trim to the window: data before RCV.NXT was already received; data beyond RCV.NXT+RCV.WND
    // does not fit (RFC 9293 §3.10.7.4 "segments … should be trimmed").
    let dataSeq = seq;
    let off = 0;
    let len = dataLen;
    if (seqLt(dataSeq, tcb.rcvNxt)) {
      const d = seqDiff(tcb.rcvNxt, dataSeq);
      const cut = d > len ? len : d;
      off += cut;
      len -= cut;
      dataSeq = seqAdd(dataSeq, cut);
    }
    const right = seqAdd(tcb.rcvNxt, rcvWnd);
    if (len > 0 && seqGt(seqAdd(dataSeq, len), right)) {
      const over = seqDiff(seqAdd(dataSeq, len), right);
      len -= over > len ? len : over;
      fin = false; // the FIN lies beyond the window
    }
    if (len > 0) {
      pkt.trimFront(seg.payloadOffset - pkt.head + off);
      pkt.trimBack(pkt.length - len);
    }
    if (len === 0 && !fin) {
      pkt.release();
      mib.ImmediateAckOutOfWindow++;
      tcb.ackNow = true;
    } else {
      receiveTextTrimmed(tcb, pkt, dataSeq, len, fin, now);
    }
  } else {
    pkt.release();
  }

  if (tcb.state === TcpState.CLOSED) return;
  tcpOutput(tcb);
  updateSendTimers(tcb);
}

/** A new cumulative ACK (SND.UNA < SEG.ACK ≤ SND.MAX): RFC 9293 §3.10.7.4 fifth, RFC 5681/6582/6298. */
function ackAdvanced(tcb: Tcb, ack: number, seg: TcpRepr, now: Nanos): void {
  const flightBefore = seqDiff(tcb.sndMax, tcb.sndUna);
  const bufLen = tcb.sendBuf.length;
  let dataAcked = seqDiff(ack, tcb.sndBufSeq);
  if (dataAcked < 0) dataAcked = 0;
  if (dataAcked > bufLen) dataAcked = bufLen;
  // "SND.UNA <- SEG.ACK. Any segments on the retransmission queue that are thereby entirely
  // acknowledged are removed."
  if (dataAcked > 0) {
    tcb.sendBuf.ack(dataAcked);
    tcb.sndBufSeq = seqAdd(tcb.sndBufSeq, dataAcked);
    tcb.bytesAcked += dataAcked;
    tcb.delivered += Math.max(1, Math.round(dataAcked / tcb.sndMss));
  }
  if (tcb.finSent && seqGt(ack, tcb.finSeq)) tcb.finAcked = true;
  tcb.sndUna = ack;
  if (seqLt(tcb.sndNxt, ack)) tcb.sndNxt = ack;
  const sample = rttSampleFor(tcb, ack, seg.tsPresent, seg.tsEcr, now, tsNow(tcb, now));
  if (sample >= 0) tcb.rtt.sample(sample);
  const restart = onNewAck(tcb, dataAcked, flightBefore, sample, now);
  onAckAdvanced(tcb, now, restart);
  if (dataAcked > 0 && tcb.sndBlocked) {
    const space = tcb.sendBuf.space();
    if (space >= tcb.sendBuf.limit >>> 2 || tcb.sendBuf.length === 0) {
      tcb.sndBlocked = false;
      tcb.layer.raise(tcb, TcbEvent.WRITABLE, 0);
    }
  }
}

/**
 * config.roundBuffersToMss, when the MSS is known (the SYN reaching SYN-SENT; for a
 * passive open, when the handshake completes, as FreeBSD's syncache_socket): the receive and send
 * buffers grow to a multiple of the MSS (min(peer MSS, MTU − 40), without
 * options), capped by rcvbufMax/sndbufMax (FreeBSD tcp_mss(): `roundup(sb_hiwat,
 * mss)`, capped by sb_max; a buffer not larger than the MSS is left alone).
 * Whole segments then fill the buffer exactly.
 */
function roundBuffersToMss(tcb: Tcb): void {
  const c = tcb.layer.config;
  if (!c.roundBuffersToMss) return;
  const mss = mssBase(tcb);
  const o = tcb.opts;
  if (o.rcvbuf > mss) {
    const r = Math.min(Math.ceil(o.rcvbuf / mss) * mss, c.rcvbufMax);
    if (r > o.rcvbuf) {
      o.rcvbuf = r;
      tcb.recvBuf.setLimit(r);
    }
  }
  if (o.sndbuf > mss) {
    const r = Math.min(Math.ceil(o.sndbuf / mss) * mss, c.sndbufMax);
    if (r > o.sndbuf) {
      o.sndbuf = r;
      tcb.sendBuf.setLimit(r);
    }
  }
}

/** RFC 9293 §3.10.7.3: keep the text of a SYN received in SYN-SENT (up to the receive buffer) at RCV.NXT. */
function queueSynText(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer): void {
  const len = Math.min(seg.payloadLength, tcb.opts.rcvbuf);
  if (len <= 0) {
    pkt.release();
    return;
  }
  pkt.trimFront(seg.payloadOffset - pkt.head);
  pkt.trimBack(pkt.length - len);
  tcb.reasm.insert(tcb.rcvNxt, pkt, tcb.rcvNxt);
}

/** The handshake completed: deliver the queued SYN text as in-order data (ACKed under the delayed-ACK policy). */
function deliverSynText(tcb: Tcb, now: Nanos): void {
  let total = 0;
  for (;;) {
    const b = tcb.reasm.takeInOrder(tcb.rcvNxt);
    if (b === null) break;
    const n = b.chainLength();
    tcb.recvBuf.push(b);
    tcb.rcvNxt = seqAdd(tcb.rcvNxt, n);
    tcb.bytesReceived += n;
    total += n;
  }
  if (total === 0) return;
  tcb.sack.onRcvNxtAdvanced(tcb.rcvNxt, tcb.reasm);
  tcb.dataSegsIn++;
  tcb.lastDataRecv = now;
  tcb.ackPending = true;
  const d = tcb.delack.onData(tcb, total, now);
  if (d === ACK_NOW) tcb.ackNow = true;
  else armDelayedAck(tcb, d);
  tcb.layer.raise(tcb, TcbEvent.READABLE, 0);
}

/** Text and/or FIN of a SYN-ACK (already at RCV.NXT): trim to the window, then receive. */
function receiveText(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer, dataSeq: number, dataLen: number, fin: boolean, now: Nanos): void {
  let len = dataLen;
  const wnd = rcvWindow(tcb);
  if (len > wnd) {
    len = wnd;
    fin = false;
  }
  if (len > 0) {
    pkt.trimFront(seg.payloadOffset - pkt.head);
    pkt.trimBack(pkt.length - len);
  }
  if (len === 0 && !fin) {
    pkt.release();
    return;
  }
  receiveTextTrimmed(tcb, pkt, dataSeq, len, fin, now);
}

/**
 * Seventh and eighth steps with the payload window already trimmed to
 * [dataSeq, dataSeq+len) inside the receive window. Takes `pkt` (released when len is 0).
 */
function receiveTextTrimmed(tcb: Tcb, pkt: PacketBuffer, dataSeq: number, len: number, fin: boolean, now: Nanos): void {
  const layer = tcb.layer;
  const mib = layer.mib;
  const state = tcb.state;
  const textOk = state === TcpState.ESTABLISHED || state === TcpState.FIN_WAIT_1 || state === TcpState.FIN_WAIT_2;
  if (len > 0 && !textOk) {
    // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur since a FIN has been
    // received from the remote side. Ignore the segment text." (released below)
    len = 0;
  }
  if (fin && tcb.finReceived) {
    // A FIN after the FIN (a misbehaving peer): RCV.NXT already covers the real one; just ACK.
    fin = false;
    tcb.ackNow = true;
  }
  if (len > 0 && tcb.closeKind === CloseKind.CLOSED) {
    // RFC 1122 §4.2.2.13 / Linux: data arriving after close() cannot be delivered: reset
    // the connection (TCPAbortOnData).
    pkt.release();
    mib.TCPAbortOnData++;
    layer.failConnection(tcb, TcpErrno.ECONNRESET, true);
    return;
  }
  if (len > 0) {
    tcb.dataSegsIn++;
    tcb.lastDataRecv = now;
    if (dataSeq === tcb.rcvNxt) {
      // In order: deliver, then pull what the reassembly queue now continues.
      const holeFill = !tcb.reasm.isEmpty();
      // Receive path (src/tcp/rx-path): the payload may already sit in a waiting reader's buffer (Linux "eaten").
      const eaten = tcb.rx !== null && !holeFill && tcb.rx.onInOrder(tcb, pkt, len);
      if (!eaten) tcb.recvBuf.push(pkt);
      tcb.rcvNxt = seqAdd(tcb.rcvNxt, len);
      tcb.bytesReceived += len;
      if (len > tcb.rcvMss) {
        // Linux tcp_measure_rcv_mss: the largest segment seen, bounded by what we advertised.
        const cap = tcb.advMss - (tcb.tsEnabled ? TS_OPTION_SPACE : 0);
        tcb.rcvMss = len < cap ? len : cap;
      }
      if (holeFill) {
        for (;;) {
          const b = tcb.reasm.takeInOrder(tcb.rcvNxt);
          if (b === null) break;
          const n = b.chainLength();
          tcb.recvBuf.push(b);
          tcb.rcvNxt = seqAdd(tcb.rcvNxt, n);
          tcb.bytesReceived += n;
        }
        tcb.sack.onRcvNxtAdvanced(tcb.rcvNxt, tcb.reasm);
        // The policy still sees the data (Linux tcp_event_data_recv; pingpong ends once the gap is gone).
        if (tcb.delack.onHoleFill !== undefined) tcb.delack.onHoleFill(tcb, len, now);
        // RFC 5681 §4.2: "an immediate ACK … when a segment fills in all or part of a gap".
        mib.ImmediateAckHoleFill++;
        tcb.ackNow = true;
      } else {
        // Linux tcp_rcv_established: an eaten segment gets only a delayed ACK (no 2·MSS rule).
        const d = eaten ? eatenAckDelay(tcb, len, now) : tcb.delack.onData(tcb, len, now);
        if (d === ACK_NOW) {
          tcb.ackNow = true;
        } else {
          mib.AckDelayed++;
          armDelayedAck(tcb, d);
        }
      }
      tcb.ackPending = true;
      if (tcb.rcvFinQueued && tcb.rcvFinSeq === tcb.rcvNxt) {
        tcb.rcvFinQueued = false;
        fin = true;
      }
      layer.raise(tcb, TcbEvent.READABLE, 0);
    } else {
      // Out of order (beyond RCV.NXT, inside the window): queue, SACK, ACK at once.
      const right = seqAdd(dataSeq, len);
      const r = tcb.reasm.insert(dataSeq, pkt, tcb.rcvNxt);
      if (r === 'queued') {
        mib.TCPOFOQueue++;
        if (tcb.sackEnabled) tcb.sack.onOutOfOrder(dataSeq, right, tcb.reasm);
      } else if (r === 'duplicate') {
        if (tcb.sackEnabled) {
          if (layer.config.dsack) {
            tcb.sack.onDuplicate(dataSeq, right);
            mib.TCPDSACKOfoSent++;
          }
          tcb.sack.onOutOfOrder(dataSeq, right, tcb.reasm);
        }
      } else {
        mib.TCPOFODrop++;
      }
      if (fin) {
        tcb.rcvFinQueued = true;
        tcb.rcvFinSeq = right;
        fin = false;
      }
      // RFC 5681 §4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when an
      // out-of-order segment arrives."
      mib.ImmediateAckOoo++;
      tcb.ackNow = true;
      tcb.ackPending = true;
      return;
    }
  } else {
    pkt.release();
    if (fin && dataSeq !== tcb.rcvNxt) {
      // A FIN beyond a hole: remember it; ACK at once (it is out of order).
      if (seqGt(dataSeq, tcb.rcvNxt)) {
        tcb.rcvFinQueued = true;
        tcb.rcvFinSeq = dataSeq;
      }
      mib.ImmediateAckOoo++;
      tcb.ackNow = true;
      return;
    }
  }
  if (fin) receiveFin(tcb);
}

/** Eighth: the FIN bit, at RCV.NXT. */
function receiveFin(tcb: Tcb): void {
  const layer = tcb.layer;
  // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN … signal the user
  // 'connection closing'".
  tcb.rcvNxt = seqAdd(tcb.rcvNxt, 1);
  tcb.finReceived = true;
  tcb.ackPending = true;
  tcb.ackNow = true;
  layer.mib.ImmediateAckFin++;
  layer.raise(tcb, TcbEvent.READABLE, 0);
  switch (tcb.state) {
    case TcpState.SYN_RECEIVED:
    case TcpState.ESTABLISHED:
      // "Enter the CLOSE-WAIT state."
      setState(tcb, TcpState.CLOSE_WAIT);
      break;
    case TcpState.FIN_WAIT_1:
      // "If our FIN has been ACKed … enter TIME-WAIT … otherwise, enter the CLOSING state."
      if (tcb.finAcked) enterTimeWait(tcb);
      else setState(tcb, TcpState.CLOSING);
      break;
    case TcpState.FIN_WAIT_2:
      // "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
      enterTimeWait(tcb);
      break;
    case TcpState.TIME_WAIT:
      // "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait timeout."
      startTimeWait(tcb);
      break;
    default:
      break; // CLOSE-WAIT, CLOSING, LAST-ACK: remain
  }
}

function enterTimeWait(tcb: Tcb): void {
  setState(tcb, TcpState.TIME_WAIT);
  startTimeWait(tcb);
  tcb.layer.raise(tcb, TcbEvent.HUP, 0);
}

/**
 * config.bsdTimeWait: TIME-WAIT as FreeBSD tcp_twcheck() handles it (a SYN that
 * may reopen the connection was dealt with before). RSTs keep the general rule
 * (RFC 1337, config.rfc1337). Otherwise: "Drop the segment if it does not contain
 * an ACK"; a FIN that is the peer's FIN again restarts the 2·MSL timer; then
 * "Acknowledge the segment if it has data or is not a duplicate ACK" — every
 * segment other than <SEQ=RCV.NXT><ACK=SND.NXT><CTL=ACK> without text gets an
 * ACK, in or out of the window, and is dropped. RFC 9293 §3.10.7.4 answers only
 * unacceptable segments and RFC 5961 §4 challenges SYNs (both SHOULDs); neither
 * forbids the extra ACKs. Returns whether the segment was consumed.
 */
function bsdTimeWait(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer): boolean {
  const flags = seg.flags;
  if (!tcb.layer.config.bsdTimeWait || (flags & TcpFlag.RST) !== 0) return false;
  pkt.release();
  if ((flags & TcpFlag.ACK) === 0) return true;
  const len = seg.payloadLength;
  if ((flags & TcpFlag.FIN) !== 0 && seqAdd(seg.seq, len + ((flags & TcpFlag.SYN) !== 0 ? 1 : 0) + 1) === tcb.rcvNxt) startTimeWait(tcb);
  const dupAck = (flags & ~TcpFlag.PSH) === TcpFlag.ACK && len === 0 && seg.seq === tcb.rcvNxt && seg.ack === tcb.sndMax;
  if (!dupAck) sendPureAck(tcb);
  return true;
}

/**
 * TIME-WAIT segments handled before the general rules. Returns true when the
 * segment was consumed.
 *  - RFC 6191 / RFC 1122 §4.2.2.13: a new SYN may reopen the connection if its
 *    timestamp is newer than TS.Recent (with timestamps) or its sequence number
 *    is above RCV.NXT (without): the TIME-WAIT TCB is dropped (TWRecycled) and
 *    the SYN goes to the listener, with an ISS above the old SND.MAX.
 *  - config.bsdTimeWait: everything else but RSTs as FreeBSD tcp_twcheck (bsdTimeWait).
 *  - a retransmitted FIN: ACK it and restart the 2·MSL timer (§3.10.7.4 eighth).
 */
function timeWaitSpecial(tcb: Tcb, seg: TcpRepr, pkt: PacketBuffer, src: number, dst: number, now: Nanos): boolean {
  const layer = tcb.layer;
  const flags = seg.flags;
  if ((flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN) {
    const newer = tcb.tsEnabled && seg.tsPresent ? seqGt(seg.tsVal, tcb.tsRecent) : seqGt(seg.seq, tcb.rcvNxt);
    const listener = newer ? layer.demux.findListener(dst, seg.dstPort) : null;
    if (listener === null) return bsdTimeWait(tcb, seg, pkt);
    const iss = seqAdd(tcb.sndMax, 65535 + 2); // Linux tcp_timewait_state_process
    layer.mib.TWRecycled++;
    layer.closeTcb(tcb, 0);
    pkt.release();
    listenInput(listener, seg, src, dst, now, iss);
    return true;
  }
  if (bsdTimeWait(tcb, seg, pkt)) return true;
  if ((flags & (TcpFlag.FIN | TcpFlag.RST | TcpFlag.SYN)) === TcpFlag.FIN && seqAdd(seg.seq, seg.payloadLength + 1) === tcb.rcvNxt) {
    pkt.release();
    layer.mib.ImmediateAckFin++;
    sendAck(tcb);
    startTimeWait(tcb);
    return true;
  }
  return false;
}
