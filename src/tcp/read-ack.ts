/**
 * The ACK a read owes the peer: Linux tcp_recvmsg → tcp_cleanup_rbuf (2.4.20
 * cleanup_rbuf, 6.x __tcp_cleanup_rbuf), for every receive path.
 *
 * Why it exists. The arrival rules (delack.ts policies) decide on the window as
 * it was when the segment arrived. A slow reader makes that window shrink, and
 * the `linux` policy then deliberately does not ACK a second full segment
 * (tcp_input.c __tcp_ack_snd_check: "more than one rcv_mss unacknowledged *and*
 * the new window is not smaller than the one offered"). Linux relies on the
 * reader to send that ACK once it has made room; without it a CPU-bound
 * receiver is ACKed only by the delayed-ACK timer and bulk transfers stall.
 *
 * The rules, checked when a read returns (after the data left the queue):
 *  1. An ACK is scheduled (tcb.ackPending) and
 *     (a) more than one rcv_mss is unacknowledged ("once-per-two-segments ACK
 *         was not sent by tcp_input.c": RFC 1122 §4.2.3.2 / RFC 5681 §4.2's
 *         every-second-segment ACK, owed now) — ImmediateAckOnRead; or
 *     (b) data was read, a pushed (short) segment is unacknowledged, the queue
 *         is drained and the connection is not interactive (pingpong) —
 *         ImmediateAckPushSmall.
 *  2. Otherwise, a window update (RFC 1122 §4.2.3.3, RFC 9293 §3.8.6.2.2):
 *     data was read and the window opened "significantly" (output.ts
 *     windowUpdateWorthy: by at least the receiver SWS threshold and to at
 *     least twice what the peer knows) — ImmediateAckWindowUpdate.
 *
 * Owns: that decision. Must not: decide arrival-time ACKs (delack.ts).
 */
import { tcpOutput, windowUpdateWorthy } from './output.js';
import { TcpState, type Tcb } from './tcb.js';

/** Linux tcp_cleanup_rbuf: after a read of `copied` bytes (≥ 0), send the ACK the read made due. */
export function ackAfterRead(tcb: Tcb, copied: number): void {
  const s = tcb.state;
  if (s !== TcpState.ESTABLISHED && s !== TcpState.FIN_WAIT_1 && s !== TcpState.FIN_WAIT_2) return;
  if (tcb.ackNow) return; // already on its way
  const mib = tcb.layer.mib;
  if (tcb.ackPending && ((tcb.rcvNxt - tcb.rcvWup) >>> 0) > tcb.rcvMss) {
    mib.ImmediateAckOnRead++;
  } else if (tcb.ackPending && copied > 0 && tcb.rx !== null && tcb.rx.pushed && !tcb.ackPingpong && tcb.recvBuf.length === 0) {
    mib.ImmediateAckPushSmall++;
  } else if (copied > 0 && windowUpdateWorthy(tcb)) {
    mib.ImmediateAckWindowUpdate++;
  } else {
    return;
  }
  tcb.ackNow = true;
  tcpOutput(tcb);
}
