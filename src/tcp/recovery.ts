/**
 * Loss recovery on the sender: duplicate-ACK counting (RFC 5681 §2), limited
 * transmit (RFC 3042), fast retransmit and NewReno fast recovery (RFC 5681 §3.2,
 * RFC 6582), RTO recovery (RFC 5681 §3.1 + RFC 6298 §5, go-back-N), and
 * Karn's rule / timestamp RTT sampling (RFC 6298 §3, RFC 7323 §4).
 *
 * Owns: tcb.dupAcks / inRecovery / recover / partialAckSeen / rttTiming and the
 * calls into the congestion controller (cc/*) at loss events.
 * Must not: build segments (output.ts does: retransmitHead/sendAvailable) or
 * decide timer policy (timers.ts arms; this module tells it to restart).
 */
import type { Nanos } from '../time/clock.js';
import { seqDiff, seqGt, seqGe } from './seq.js';
import type { Tcb } from './tcb.js';
import { retransmitHead } from './output.js';

/** RFC 5681 §3.2: the duplicate-ACK threshold. */
export const DUPACK_THRESHOLD = 3;

/** Bytes in flight (sent, not acknowledged): SND.MAX − SND.UNA (FlightSize, RFC 5681 §2). */
export function flightSize(tcb: Tcb): number {
  return seqDiff(tcb.sndMax, tcb.sndUna);
}

/**
 * Extra bytes RFC 3042 limited transmit lets output send beyond cwnd: one SMSS
 * per duplicate ACK for the first two ("…the amount of outstanding data would
 * remain less than or equal to the congestion window plus 2*SMSS bytes").
 */
export function limitedTransmitAllowance(tcb: Tcb): number {
  if (tcb.inRecovery || tcb.dupAcks === 0 || tcb.dupAcks >= DUPACK_THRESHOLD) return 0;
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
 * RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": (a) data outstanding, (b) no data,
 * (c) neither SYN nor FIN, (d) SEG.ACK == SND.UNA, (e) advertised window unchanged.
 */
export function isDuplicateAck(tcb: Tcb, ack: number, segLen: number, synOrFin: boolean, windowScaled: number): boolean {
  return tcb.sndMax !== tcb.sndUna && segLen === 0 && !synOrFin && ack === tcb.sndUna && windowScaled === tcb.sndWnd;
}

/** A duplicate ACK arrived (RFC 5681 §3.2, RFC 6582 §3.2 steps 1-4). */
export function onDuplicateAck(tcb: Tcb, now: Nanos): void {
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
  const flight = flightSize(tcb);
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
 * New data was acknowledged (SND.UNA advanced by `acked` bytes to tcb.sndUna).
 * Returns true when the retransmission timer should be restarted (RFC 6298 §5.3),
 * which is always except on later partial ACKs during recovery (RFC 6582 §3.2 step 5).
 */
export function onNewAck(tcb: Tcb, acked: number, flightBefore: number, rttSample: Nanos, now: Nanos): boolean {
  tcb.dupAcks = 0;
  if (!tcb.inRecovery) {
    tcb.cc.onAck(acked, flightBefore, rttSample, now);
    return true;
  }
  if (seqGe(tcb.sndUna, tcb.recover)) {
    // RFC 6582 §3.2 step 3 (full acknowledgment): exit fast recovery, deflate cwnd.
    tcb.inRecovery = false;
    tcb.cc.onExitRecovery(flightSize(tcb), now);
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
 * §5.4-5.6, RFC 6582 §3.2 step 4 of "after a retransmit timeout"). The caller
 * backs off the RTO and calls output to go back to SND.UNA.
 */
export function onRetransmitTimeout(tcb: Tcb, now: Nanos): void {
  // RFC 5681 §3.1 eq. 4 and "loss window": ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS.
  tcb.cc.onRto(flightSize(tcb), now);
  // RFC 6582 §3.2: "After a retransmit timeout, record the highest sequence number
  // transmitted in the variable recover, and exit the fast recovery procedure".
  tcb.recover = tcb.sndMax;
  tcb.inRecovery = false;
  tcb.dupAcks = 0;
  // Karn (RFC 6298 §3): no sample from a retransmitted segment.
  tcb.rttTiming = false;
  // Go-back-N: resend from SND.UNA (RFC 5681 §3.1 leaves retransmission of the rest to slow start).
  tcb.sndNxt = tcb.sndUna;
}

/**
 * RTT sample for an ACK that advanced SND.UNA to `ack`, or -1 (RFC 6298 §3 Karn;
 * RFC 7323 §4.1: with timestamps, TSecr of an acceptable ACK gives the sample and
 * is unambiguous even for retransmissions).
 */
export function rttSampleFor(tcb: Tcb, ack: number, tsPresent: boolean, tsEcr: number, now: Nanos, tsNowMs: number): Nanos {
  if (tcb.tsEnabled && tsPresent && tsEcr !== 0) {
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
