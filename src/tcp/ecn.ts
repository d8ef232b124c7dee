/**
 * Explicit Congestion Notification for TCP (RFC 3168 §6.1), behind
 * TcpConfig.ecn (request and accept) and TcpConfig.ecnAccept (accept only).
 *
 * Owns: the ECN fields of a TCB (ecnRequested, ecnOk, ecnEce, ecnSendCwr,
 * ecnRecover, ecnReacting) and the decisions made from them: which flags a SYN,
 * SYN-ACK or ACK carries, which IP ECN codepoint a segment carries, and what a
 * received ECE/CWR/CE does. Must not: build or send segments (output.ts asks
 * here), or change cwnd other than through the congestion controller.
 */
import { Ecn } from '../wire/ipv4.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import type { Nanos } from '../time/clock.js';
import { flightSize } from './recovery.js';
import { seqLe } from './seq.js';
import type { Tcb } from './tcb.js';

const ECE_CWR = TcpFlag.ECE | TcpFlag.CWR;

/** ECN is on for new connections in some form (either config switch). */
function ecnAcceptable(tcb: Tcb): boolean {
  const c = tcb.layer.config;
  return c.ecn || c.ecnAccept;
}

/**
 * Extra flags for our SYN or SYN-ACK (RFC 3168 §6.1.1). An active open with
 * config.ecn sends an "ECN-setup SYN" (ECE and CWR) on the first SYN and on
 * the first config.ecnSynRetries retransmissions (§6.1.1.1: later SYNs go
 * without, in case a middlebox drops ECN-setup SYNs; FreeBSD ecn.maxretries).
 * A SYN-ACK answering an ECN-setup SYN is an "ECN-setup SYN-ACK": ECE only.
 */
export function ecnSynFlags(tcb: Tcb, synAck: boolean): number {
  if (synAck) return tcb.ecnOk ? TcpFlag.ECE : 0;
  const c = tcb.layer.config;
  tcb.ecnRequested = c.ecn && tcb.rtxCount <= c.ecnSynRetries;
  return tcb.ecnRequested ? ECE_CWR : 0;
}

/**
 * Negotiation from a received SYN or SYN-ACK (RFC 3168 §6.1.1). A SYN (passive
 * open or simultaneous open) with ECE and CWR asks for ECN: accepted when
 * config.ecn or config.ecnAccept is on. A SYN-ACK with ECE and without CWR
 * confirms it, if our SYN asked ("a host MUST NOT set ECT on data packets
 * unless it has sent at least one ECN-setup SYN or ECN-setup SYN-ACK packet
 * … and has received an ECN-setup SYN or ECN-setup SYN-ACK").
 */
export function ecnNegotiate(tcb: Tcb, seg: TcpRepr): void {
  const f = seg.flags;
  let ok: boolean;
  if ((f & TcpFlag.ACK) === 0) ok = ecnAcceptable(tcb) && (f & ECE_CWR) === ECE_CWR;
  else ok = tcb.ecnRequested && (f & ECE_CWR) === TcpFlag.ECE;
  tcb.ecnOk = ok;
  if (ok) tcb.layer.mib.TCPECNEstab++;
}

/**
 * The IP ECN codepoint of a segment we send (RFC 3168 §6.1.5 and §6.1.1):
 * ECT(0) on new data of an ECN connection; Not-ECT on pure ACKs, SYNs, RSTs,
 * window probes and retransmissions ("the TCP data sender MUST NOT set either
 * ECT codepoint … on retransmitted data packets").
 */
export function ecnCodepoint(tcb: Tcb, len: number, retransmit: boolean): number {
  return tcb.ecnOk && len > 0 && !retransmit ? Ecn.ECT0 : Ecn.NOT_ECT;
}

/**
 * Flags an ACK-bearing segment (not a SYN or RST) adds: ECE while the receiver
 * owes the peer a congestion notice (§6.1.3); CWR on the first new data segment
 * after we reduced cwnd for an ECE (§6.1.2), which clears the request.
 */
export function ecnAckFlags(tcb: Tcb, len: number, retransmit: boolean): number {
  if (!tcb.ecnOk) return 0;
  let f = tcb.ecnEce ? TcpFlag.ECE : 0;
  if (tcb.ecnSendCwr && len > 0 && !retransmit) {
    f |= TcpFlag.CWR;
    tcb.ecnSendCwr = false;
  }
  return f;
}

/**
 * ECN processing of an acceptable segment in a synchronized state, after its
 * ACK moved SND.UNA (`ce`: the IP header carried Congestion Experienced).
 * Receiver (§6.1.3): CWR stops the ECE echo; CE on a data segment starts it
 * (a segment with both CWR and CE leaves ECE on). Sender (§6.1.2): an ECE
 * ACK reduces cwnd and ssthresh as a loss would, at most once per window of
 * data (until SND.UNA passes what was outstanding at the reduction), and not
 * during loss recovery (which already reduced them).
 */
export function ecnOnSegment(tcb: Tcb, seg: TcpRepr, ce: boolean, dataLen: number, now: Nanos): void {
  if (!tcb.ecnOk) return;
  const f = seg.flags;
  const mib = tcb.layer.mib;
  if ((f & TcpFlag.CWR) !== 0) tcb.ecnEce = false;
  if (ce && dataLen > 0) {
    mib.TCPECNCe++;
    tcb.ecnEce = true;
  }
  if ((f & (TcpFlag.ECE | TcpFlag.ACK | TcpFlag.SYN)) !== (TcpFlag.ECE | TcpFlag.ACK)) return;
  if (tcb.ecnReacting && seqLe(tcb.sndUna, tcb.ecnRecover)) {
    mib.TCPECNEceIgnored++;
    return;
  }
  if (tcb.inRecovery) {
    mib.TCPECNEceIgnored++;
    return;
  }
  // §6.1.2: "the TCP source halves the congestion window 'cwnd' and reduces the slow
  // start threshold 'ssthresh'" — the controller's loss response (NewReno: RFC 5681 eq. 4).
  tcb.cc.onEnterRecovery(flightSize(tcb), now);
  tcb.ecnRecover = tcb.sndMax;
  tcb.ecnReacting = true;
  tcb.ecnSendCwr = true;
  mib.TCPECNReductions++;
}
