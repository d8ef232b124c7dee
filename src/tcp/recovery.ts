/**
 * Loss recovery on the sender. Two strategies, chosen per connection:
 *  - SACK-based conservative recovery (RFC 6675) when SACK was negotiated and
 *    config.sackRecovery is on (the default): DupAcks defined by new SACK
 *    information (§2), entry at DupThresh or IsLost(HighACK+1) (§5 steps 1-2),
 *    pipe-limited transmission (SetPipe, §4) with NextSeg rules 1-4, exit at
 *    RecoveryPoint (§5 A), limited transmit by pipe (§5 step 3), and RTO
 *    interaction (§5.1 / RFC 2018 §8: the scoreboard is cleared on RTO; SACK
 *    information that arrives afterwards lets go-back-N skip SACKed data).
 *    One addition: a partial ACK marks the segment at SND.UNA lost (RFC 6582
 *    §3.2 step 3's inference; see onNewAck).
 *  - NewReno (RFC 5681 §3.2, RFC 6582) otherwise: RFC 5681 §2 duplicate ACKs,
 *    RFC 3042 limited transmit, fast retransmit and window inflation, partial ACKs.
 * Both share RTO recovery (RFC 5681 §3.1 + RFC 6298 §5, go-back-N) and the RTT
 * sampling rules (RFC 6298 §3 Karn, RFC 7323 §4.1 RTTM).
 *
 * Owns: tcb.dupAcks / inRecovery / recover / partialAckSeen / highRxt /
 * rescueRxt / lostBelow / ltBytes (output.ts adds to it) / rttTiming /
 * tsRtoStamp, the scoreboard updates (tcb.scoreboard,
 * scoreboard.ts does the interval work), and the calls into the congestion
 * controller (cc/*) at loss events.
 * Must not: build segments (output.ts does: retransmitHead, retransmitRange,
 * sendData) or decide timer policy (timers.ts arms; this module tells it to restart).
 *
 * Sequence variables of RFC 6675 map onto the TCB as: HighACK = SND.UNA − 1,
 * HighData = SND.MAX − 1, RecoveryPoint = tcb.recover − 1, HighRxt =
 * tcb.highRxt − 1, RescueRxt = tcb.rescueRxt − 1 (the TCB keeps "one past").
 */
import type { Nanos } from '../time/clock.js';
import type { TcpRepr } from '../wire/tcp.js';
import { seqAdd, seqDiff, seqGt, seqGe, seqLe, seqLt, seqMax } from './seq.js';
import type { Tcb } from './tcb.js';
import { dataRoomFor, retransmitHead, retransmitRange, sendData, tsNow } from './output.js';

/** RFC 5681 §3.2 / RFC 6675 §2 DupThresh. */
export const DUPACK_THRESHOLD = 3;

/** Scratch for scoreboard hole queries (one per process: recovery runs to completion, never re-entered). */
const HOLE = new Uint32Array(2);

/** Bytes in flight (sent, not acknowledged): SND.MAX − SND.UNA (FlightSize, RFC 5681 §2). */
export function flightSize(tcb: Tcb): number {
  return seqDiff(tcb.sndMax, tcb.sndUna);
}

/**
 * FlightSize for ssthresh at recovery entry: RFC 5681 §3.2 step 2 "additional data
 * sent in limited transmit MUST NOT be included in this calculation" (RFC 6675 (4.2)).
 */
function entryFlight(tcb: Tcb): number {
  const f = flightSize(tcb) - tcb.ltBytes;
  return f > 0 ? f : 0;
}

/** RFC 6675 recovery applies to this connection: SACK negotiated (RFC 2018 §2) and config.sackRecovery. */
export function sackRecoveryOn(tcb: Tcb): boolean {
  return tcb.sackEnabled && tcb.layer.config.sackRecovery;
}

/**
 * Extra bytes RFC 3042 limited transmit lets output send beyond cwnd: one SMSS
 * per duplicate ACK for the first two ("…the amount of outstanding data would
 * remain less than or equal to the congestion window plus 2*SMSS bytes").
 * With SACK recovery the allowance is 0: RFC 6675 §5 step (3) expresses limited
 * transmit through pipe, which already excludes the SACKed segments.
 */
export function limitedTransmitAllowance(tcb: Tcb): number {
  if (tcb.inRecovery || tcb.dupAcks === 0 || tcb.dupAcks >= DUPACK_THRESHOLD) return 0;
  if (sackRecoveryOn(tcb)) return 0;
  return tcb.dupAcks * tcb.sndMss;
}

/**
 * The congestion window output may fill now: cwnd, plus the limited-transmit
 * allowance. During NewReno recovery cwnd is already inflated (RFC 6582 §3.2 step 4).
 */
export function sendWindowLimit(tcb: Tcb): number {
  return tcb.cc.cwnd + limitedTransmitAllowance(tcb);
}

/**
 * What output compares with sendWindowLimit(): the data the network holds.
 *  - NewReno, or SACK with nothing SACKed outside recovery: SND.NXT − SND.UNA.
 *  - Go-back-N after an RTO (SND.NXT < SND.MAX): what was resent since, less what
 *    the peer SACKed since (RFC 6675 §5.1: use the SACK information that arrives
 *    during RTO recovery); the rest of the old flight is presumed lost.
 *  - Otherwise RFC 6675 §4 SetPipe(): unSACKed octets not IsLost(), plus the
 *    octets retransmitted in this recovery (below HighRxt). Never negative.
 */
export function congestionFlight(tcb: Tcb): number {
  const seqFlight = seqDiff(tcb.sndNxt, tcb.sndUna);
  if (!sackRecoveryOn(tcb)) return seqFlight;
  const sb = tcb.scoreboard;
  if (seqLt(tcb.sndNxt, tcb.sndMax)) return sb.isEmpty() ? seqFlight : seqFlight - sb.sackedBetween(tcb.sndUna, tcb.sndNxt);
  if (sb.isEmpty() && !tcb.inRecovery) return seqFlight;
  // RFC 6675 §5 step (3.1): outside recovery HighRxt = HighACK (nothing counts twice).
  const highRxt = tcb.inRecovery ? tcb.highRxt : tcb.sndUna;
  return sb.pipe(tcb.sndUna, tcb.sndMax, highRxt, DUPACK_THRESHOLD, tcb.sndMss, lostBelow(tcb));
}

/** Octets below this count as lost in SetPipe/NextSeg besides IsLost(): SND.UNA outside recovery. */
function lostBelow(tcb: Tcb): number {
  if (!tcb.inRecovery || !seqGt(tcb.lostBelow, tcb.sndUna)) return tcb.sndUna;
  return seqLt(tcb.lostBelow, tcb.sndMax) ? tcb.lostBelow : tcb.sndMax;
}

/**
 * RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": (a) data outstanding, (b) no data,
 * (c) neither SYN nor FIN, (d) SEG.ACK == SND.UNA, (e) advertised window unchanged.
 */
export function isDuplicateAck(tcb: Tcb, ack: number, segLen: number, synOrFin: boolean, windowScaled: number): boolean {
  return tcb.sndMax !== tcb.sndUna && segLen === 0 && !synOrFin && ack === tcb.sndUna && windowScaled === tcb.sndWnd;
}

/**
 * RFC 6675 §5: "Upon the receipt of any ACK containing SACK information, the
 * scoreboard MUST be updated via the Update () routine." Called before SND.UNA
 * moves to SEG.ACK. Blocks are checked first (RFC 2018 §4 gives their meaning;
 * anything else is dropped and counted): a block must be non-empty, end at or
 * below SND.MAX and lie within one maximum window of SND.UNA; a block at or below
 * the cumulative ACK (a D-SACK, RFC 2883, or an old block) carries nothing new.
 * Returns the octets newly SACKed: > 0 makes this ACK an RFC 6675 §2 DupAck.
 */
export function updateScoreboard(tcb: Tcb, seg: TcpRepr, ack: number): number {
  const n = seg.sackCount;
  if (n === 0) return 0;
  const base = seqMax(ack, tcb.sndUna);
  const blocks = seg.sackBlocks;
  const floor = seqAdd(tcb.sndUna, -Math.max(tcb.maxSndWnd, 65535));
  let fresh = 0;
  for (let i = 0; i < n; i++) {
    let left = blocks[2 * i]!;
    const right = blocks[2 * i + 1]!;
    if (!seqLt(left, right) || seqGt(right, tcb.sndMax) || seqLt(left, floor)) {
      tcb.layer.mib.TCPSACKDiscard++;
      continue;
    }
    if (seqLe(right, base)) continue; // D-SACK (RFC 2883 §4) or already cumulatively acknowledged
    if (seqLt(left, base)) left = base;
    fresh += tcb.scoreboard.add(left, right);
  }
  return fresh;
}

/** A duplicate ACK arrived: RFC 6675 §2 DupAck with SACK recovery, else RFC 5681 §2 (RFC 5681 §3.2, RFC 6582 §3.2 steps 1-4). */
export function onDuplicateAck(tcb: Tcb, now: Nanos): void {
  if (sackRecoveryOn(tcb)) {
    sackDuplicateAck(tcb, now);
    return;
  }
  tcb.dupAcks++;
  const mib = tcb.layer.mib;
  if (tcb.inRecovery) {
    // RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 4): inflate cwnd by SMSS for each additional duplicate ACK.
    tcb.cc.setCwnd(tcb.cc.cwnd + tcb.sndMss);
    return;
  }
  if (tcb.dupAcks < DUPACK_THRESHOLD) return; // RFC 3042: output may send new data (limitedTransmitAllowance)
  if (tcb.dupAcks > DUPACK_THRESHOLD) return;
  // RFC 6582 §3.2 step 2: enter fast retransmit only if the ACK "covers more than recover"
  // (otherwise these duplicates are from segments sent before the last RTO/recovery).
  // RFC 6582's recover is the highest sequence number sent; tcb.recover is one past it,
  // so "SEG.ACK − 1 > recover" reads SEG.ACK ≥ tcb.recover.
  if (!seqGe(tcb.sndUna, tcb.recover)) return;
  const flight = entryFlight(tcb);
  // RFC 6582 §3.2 step 2: recover = highest sequence number transmitted.
  tcb.recover = tcb.sndMax;
  tcb.inRecovery = true;
  tcb.partialAckSeen = false;
  // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize / 2, 2*SMSS) (eq. 4) — in the controller.
  tcb.cc.onEnterRecovery(flight, now);
  mib.TCPRenoRecovery++;
  mib.TCPFastRetrans++;
  // RFC 5681 §3.2 step 3: retransmit the lost segment, cwnd = ssthresh + 3*SMSS.
  tcb.rttTiming = false; // Karn: the timed segment may be the one retransmitted
  retransmitHead(tcb);
  tcb.cc.setCwnd(tcb.cc.ssthresh + DUPACK_THRESHOLD * tcb.sndMss);
}

/**
 * RFC 6675 §5 for a DupAck (an ACK with new SACK information) outside recovery.
 * Inside recovery nothing happens here: steps (B) and (C) are the scoreboard
 * update already done and the pipe-limited output that follows every ACK.
 */
function sackDuplicateAck(tcb: Tcb, now: Nanos): void {
  if (tcb.inRecovery) return;
  // "the TCP MUST increase DupAcks by one and take the following steps".
  tcb.dupAcks++;
  // RFC 6675 §5.1: after an RTO "a new recovery phase … MUST NOT be initiated until
  // HighACK is greater than or equal to the new value of RecoveryPoint".
  if (!seqGe(tcb.sndUna, tcb.recover)) return;
  // Step (1): DupAcks ≥ DupThresh; step (2): IsLost(HighACK + 1) — at least three
  // segments' worth of data arrived above the cumulative ACK point.
  if (tcb.dupAcks >= DUPACK_THRESHOLD || tcb.scoreboard.isLost(tcb.sndUna, DUPACK_THRESHOLD, tcb.sndMss)) {
    enterSackRecovery(tcb, now);
    return;
  }
  // Step (3): limited transmit by pipe; (3.1) HighRxt = HighACK. The output pass after this
  // ACK sends new data while cwnd − pipe ≥ 1 SMSS (congestionFlight).
  tcb.highRxt = tcb.sndUna;
}

/** RFC 6675 §5 step (4): fast retransmit and enter loss recovery. */
function enterSackRecovery(tcb: Tcb, now: Nanos): void {
  const mib = tcb.layer.mib;
  const flight = entryFlight(tcb);
  // (4.1) RecoveryPoint = HighData.
  tcb.recover = tcb.sndMax;
  tcb.inRecovery = true;
  tcb.partialAckSeen = false;
  tcb.lostBelow = tcb.sndUna;
  // (4.2) ssthresh = cwnd = FlightSize / 2 (RFC 5681 eq. 4, at least 2 SMSS; CUBIC: β·FlightSize).
  tcb.cc.onEnterRecovery(flight, now);
  mib.TCPSackRecovery++;
  mib.TCPFastRetrans++;
  // (4.3) Retransmit the segment starting at HighACK + 1, no further than the first SACKed
  // octet; HighRxt = RescueRxt = its highest sequence number.
  const sb = tcb.scoreboard;
  let max = dataRoomFor(tcb);
  if (!sb.isEmpty()) max = Math.min(max, seqDiff(sb.left(0), tcb.sndUna));
  const sent = retransmitRange(tcb, tcb.sndUna, max);
  tcb.highRxt = seqAdd(tcb.sndUna, sent);
  tcb.rescueRxt = tcb.highRxt;
  // (4.4) SetPipe and (4.5) step (C): the output pass after this ACK (sackRecoveryOutput).
}

/**
 * RFC 6675 §5 step (C) — the output pass during SACK recovery: while
 * cwnd − pipe ≥ 1 SMSS, send what NextSeg() names. Rule (1): the lowest lost
 * hole above HighRxt; rule (2): new data (sendData, which limits itself by
 * cwnd − pipe and the peer's window); rule (3): the lowest unSACKed hole above
 * HighRxt even if not yet lost; rule (4): one rescue retransmission of the
 * highest unSACKed octet per recovery. Returns the segments sent.
 */
export function sackRecoveryOutput(tcb: Tcb): number {
  const sb = tcb.scoreboard;
  const smss = tcb.sndMss;
  const mib = tcb.layer.mib;
  let sent = 0;
  // Rule (1) — (C.1)-(C.5): lost holes first, lowest first.
  while (tcb.cc.cwnd - congestionFlight(tcb) >= smss) {
    if (!sb.findHole(tcb.sndUna, tcb.highRxt, true, DUPACK_THRESHOLD, smss, HOLE, lostBelow(tcb))) break;
    if (!retransmitHole(tcb, HOLE[0]!, HOLE[1]!)) break;
    mib.TCPFastRetrans++;
    sent++;
  }
  // Rule (2): previously unsent data.
  sent += sendData(tcb);
  // Rules (3) and (4) only when cwnd still has room and no new data could go.
  while (tcb.cc.cwnd - congestionFlight(tcb) >= smss) {
    if (sb.findHole(tcb.sndUna, tcb.highRxt, false, DUPACK_THRESHOLD, smss, HOLE, tcb.sndUna)) {
      if (!retransmitHole(tcb, HOLE[0]!, HOLE[1]!)) return sent;
      mib.TCPFastRetrans++;
      sent++;
      continue;
    }
    // Rule (4): "the cumulative ACK is for data below RecoveryPoint and HighACK > RescueRxt".
    if (seqLt(tcb.sndUna, tcb.recover) && seqGt(tcb.sndUna, tcb.rescueRxt) && rescueRetransmit(tcb)) {
      mib.TCPSackRescue++;
      sent++;
    }
    break;
  }
  return sent;
}

/** Retransmit the start of hole [lo, hi): at most one segment; (C.2) HighRxt = its highest octet. */
function retransmitHole(tcb: Tcb, lo: number, hi: number): boolean {
  const n = retransmitRange(tcb, lo, Math.min(dataRoomFor(tcb), seqDiff(hi, lo)));
  if (n <= 0) return false;
  tcb.highRxt = seqAdd(lo, n);
  return true;
}

/**
 * NextSeg rule (4): one segment of up to SMSS "that MUST include the highest
 * outstanding unSACKed sequence number"; RescueRxt = RecoveryPoint; HighRxt
 * MUST NOT be updated.
 */
function rescueRetransmit(tcb: Tcb): boolean {
  const sb = tcb.scoreboard;
  // The highest unSACKed octet is SND.MAX − 1 unless the top of the flight is SACKed.
  let top = tcb.sndMax;
  let bottom = tcb.sndUna;
  if (!sb.isEmpty() && sb.highestSacked() === top) {
    const k = sb.count - 1;
    top = sb.left(k);
    if (k > 0) bottom = seqMax(bottom, sb.right(k - 1));
  } else if (!sb.isEmpty()) {
    bottom = seqMax(bottom, sb.highestSacked());
  }
  // Nothing to rescue when that octet was already retransmitted in this recovery.
  if (!seqLt(bottom, top) || seqLe(top, tcb.highRxt)) return false;
  const room = dataRoomFor(tcb);
  const span = seqDiff(top, bottom);
  const from = span > room ? seqAdd(top, -room) : bottom;
  const n = retransmitRange(tcb, from, seqDiff(top, from));
  if (n <= 0) return false;
  tcb.rescueRxt = tcb.recover;
  return true;
}

/**
 * New data was acknowledged (SND.UNA advanced by `acked` bytes to tcb.sndUna).
 * Returns true when the retransmission timer should be restarted (RFC 6298 §5.3),
 * which is always except on later partial ACKs during NewReno recovery (RFC 6582 §3.2 step 5).
 */
export function onNewAck(tcb: Tcb, acked: number, flightBefore: number, rttSample: Nanos, now: Nanos): boolean {
  // RFC 6675 §5: "If the incoming ACK is a cumulative acknowledgment, the TCP MUST reset DupAcks to zero."
  tcb.dupAcks = 0;
  tcb.ltBytes = 0;
  const sack = sackRecoveryOn(tcb);
  if (sack) {
    tcb.scoreboard.advance(tcb.sndUna);
    if (seqLt(tcb.highRxt, tcb.sndUna)) tcb.highRxt = tcb.sndUna;
  }
  // The RTO episode is over once everything sent before it is acknowledged (rttSampleFor).
  if (tcb.tsRtoStampValid && seqGe(tcb.sndUna, tcb.recover)) tcb.tsRtoStampValid = false;
  if (!tcb.inRecovery) {
    tcb.cc.onAck(acked, flightBefore, rttSample, now);
    return true;
  }
  if (seqGe(tcb.sndUna, tcb.recover)) {
    // RFC 6582 §3.2 step 3 (full acknowledgment) / RFC 6675 §5 (A): the cumulative ACK covers
    // RecoveryPoint — recovery ends; the scoreboard above HighACK is kept ("SHOULD NOT be cleared").
    tcb.inRecovery = false;
    tcb.cc.onExitRecovery(flightSize(tcb), now);
    return true;
  }
  if (sack) {
    // RFC 6675 §5 (B): the scoreboard was updated; SetPipe and step (C) run in the output
    // pass after this ACK. RFC 6298 §5.3: restart the timer for the new SND.UNA.
    // RFC 6582 §3.2 step 3's inference holds here too: the segment now at SND.UNA was sent
    // before the retransmission this ACK reports, so (barring reordering) it is lost. Without it
    // a run of losses with fewer than DupThresh segments SACKed above it never passes IsLost()
    // and, once pipe fills cwnd, waits for the RTO. NextSeg rule (1) and SetPipe treat the
    // segment's octets as lost (tcb.lostBelow).
    tcb.lostBelow = seqAdd(tcb.sndUna, tcb.sndMss);
    return true;
  }
  // RFC 6582 §3.2 step 3 (partial acknowledgment): retransmit the first unacknowledged
  // segment, deflate cwnd by the amount acked, add back SMSS if at least SMSS was acked.
  tcb.layer.mib.TCPFastRetrans++;
  retransmitHead(tcb);
  let cwnd = tcb.cc.cwnd - acked;
  if (acked >= tcb.sndMss) cwnd += tcb.sndMss;
  tcb.cc.setCwnd(Math.max(cwnd, tcb.sndMss));
  // RFC 6582 §3.2 step 5 ("Impatient" variant): reset the retransmit timer only on the first partial ACK.
  const restart = !tcb.partialAckSeen;
  tcb.partialAckSeen = true;
  return restart;
}

/**
 * The retransmission timer expired with data outstanding (RFC 5681 §3.1, RFC 6298
 * §5.4-5.6, RFC 6582 §3.2 step 4 of "after a retransmit timeout", RFC 6675 §5.1).
 * The caller backs off the RTO and calls output to go back to SND.UNA.
 */
export function onRetransmitTimeout(tcb: Tcb, now: Nanos): void {
  // RFC 5681 §3.1 eq. 4 and "loss window": ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS.
  tcb.cc.onRto(flightSize(tcb), now);
  // RFC 6582 §3.2: "After a retransmit timeout, record the highest sequence number
  // transmitted in the variable recover, and exit the fast recovery procedure".
  // RFC 6675 §5.1: "RecoveryPoint MUST be set to HighData … the loss recovery algorithm
  // … MUST be terminated".
  tcb.recover = tcb.sndMax;
  tcb.inRecovery = false;
  tcb.dupAcks = 0;
  tcb.ltBytes = 0;
  tcb.lostBelow = tcb.sndUna;
  tcb.highRxt = tcb.sndUna;
  tcb.rescueRxt = tcb.sndUna;
  if (!tcb.scoreboard.isEmpty()) {
    // RFC 2018 §8: "after a retransmit timeout the data sender SHOULD turn off all of the
    // SACKed bits, since the timeout might indicate that the data receiver has reneged"
    // (RFC 6675 §5.1). SACK blocks that arrive from now on are recorded again.
    tcb.scoreboard.clear();
    tcb.layer.mib.TCPSackScoreboardResets++;
  }
  // Karn (RFC 6298 §3): no sample from a retransmitted segment.
  tcb.rttTiming = false;
  // RFC 6298 §3 with RFC 7323 §4.1 timestamps: an ACK echoing a TSval older than this
  // retransmission cannot be attributed to it (see rttSampleFor). Kept for the first RTO of an episode.
  if (!tcb.tsRtoStampValid && tcb.tsEnabled) {
    tcb.tsRtoStamp = tsNow(tcb, now);
    tcb.tsRtoStampValid = true;
  }
  // Go-back-N: resend from SND.UNA (RFC 5681 §3.1 leaves retransmission of the rest to slow start).
  tcb.sndNxt = tcb.sndUna;
}

/**
 * RTT sample for an ACK that advanced SND.UNA to `ack`, or -1.
 *  - RFC 7323 §4.1 RTTM rule: a TSecr is used only from a segment that advances
 *    SND.UNA (the only caller is the ACK-advanced path) and only when non-zero.
 *  - RFC 6298 §3 (Karn) carried over to timestamps: after an RTO, an ACK whose
 *    TSecr predates the first retransmission echoes an earlier transmission or,
 *    when the receiver answered the retransmission as an old duplicate, its
 *    stale TS.Recent (RFC 7323 §4.3 keeps TS.Recent for unacceptable segments) —
 *    "now − TSecr" then measures the RTO wait, not the path. Such samples are
 *    refused (TCPRttStaleTsecr) until everything sent before the RTO is acknowledged.
 *  - Without timestamps: one timed segment at a time (output.ts), never a
 *    retransmitted one; any retransmission cancels the timing (Karn).
 */
export function rttSampleFor(tcb: Tcb, ack: number, tsPresent: boolean, tsEcr: number, now: Nanos, tsNowMs: number): Nanos {
  if (tcb.tsEnabled && tsPresent && tsEcr !== 0) {
    if (tcb.tsRtoStampValid && seqLt(tsEcr, tcb.tsRtoStamp)) {
      tcb.layer.mib.TCPRttStaleTsecr++;
      tcb.rttTiming = false;
      return -1;
    }
    const ms = (tsNowMs - tsEcr) | 0;
    if (ms >= 0 && ms < 0x7fffffff) {
      tcb.rttTiming = false;
      // Timestamps tick in ms: a 0 ms sample means "less than one tick"; count it as the granularity.
      return Math.max(ms * 1_000_000, tcb.layer.config.rttGranularity);
    }
  }
  if (tcb.rttTiming && seqGt(ack, tcb.rttSeq)) {
    tcb.rttTiming = false;
    return Math.max(now - tcb.rttTime, tcb.layer.config.rttGranularity);
  }
  return -1;
}
