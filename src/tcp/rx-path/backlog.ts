/**
 * The socket lock and its backlog (Linux lock_sock / release_sock / sk_backlog;
 * background/receive-path.md §2 BACKLOGGED): while a process is inside a
 * socket call on a connection, segments that arrive (on another CPU) are not
 * processed but queued; the release processes them (tcp_v4_do_rcv) and sends an
 * ACK a delayed-ACK timer could not send meanwhile (DelayedACKLocked).
 *
 * In the simulator a call owns the socket from the start of the process step
 * that makes it to the end of that step (its CPU time): src/host/process-socket.ts
 * calls lockSocket in the step and releaseSocket as an effect at the step's end,
 * then runs processBacklog as a work item on that CPU. On one CPU nothing can
 * arrive meanwhile (softirq never preempts a kernel step), so this only matters
 * with several CPUs.
 *
 * Owns: the lock state transitions and the backlog replay.
 * Must not: decide when a call starts or ends (the caller does).
 */
import { isWireError } from '../../wire/error.js';
import { parseTcp } from '../../wire/tcp.js';
import type { Endpoint } from '../endpoint.js';
import { tcpOutput } from '../output.js';
import { isSynchronized, TcpState, type Tcb } from '../tcb.js';
import { rxStateOf } from './state.js';

function tcbOf(x: Endpoint | Tcb): Tcb {
  return 'tcb' in x ? x.tcb : x;
}

/** A process call takes the socket. Returns false when it was already owned (nothing to release then). */
export function lockSocket(ep: Endpoint | Tcb): boolean {
  const rx = rxStateOf(tcbOf(ep));
  if (rx.owned) return false;
  rx.owned = true;
  return true;
}

/** The call's step ended. Returns whether processBacklog has work (segments queued, or a blocked ACK). */
export function releaseSocket(tcb: Tcb): boolean {
  const rx = tcb.rx;
  if (rx === null) return false;
  rx.owned = false;
  return rx.bl.length > 0 || rx.ackBlocked;
}

/** release_sock: process the backlog in order, then the ACK the timer could not send. */
export function processBacklog(tcb: Tcb): void {
  const rx = tcb.rx;
  if (rx === null || rx.owned) return;
  const layer = tcb.layer;
  layer.depth++;
  try {
    while (rx.bl.length > 0) {
      const pkts = rx.bl.splice(0);
      const srcs = rx.blSrc.splice(0);
      const dsts = rx.blDst.splice(0);
      const ces = rx.blCe.splice(0);
      for (let i = 0; i < pkts.length; i++) {
        const pkt = pkts[i]!;
        if (tcb.state === TcpState.CLOSED) {
          pkt.release(); // the connection ended under the backlog (Linux tcp_rcv_state_process: CLOSE → discard)
          continue;
        }
        const seg = parseTcp(pkt.bytes, pkt.head, pkt.tail - pkt.head, rx.repr);
        if (isWireError(seg)) {
          layer.mib.InMalformed++;
          layer.mib.InErrs++;
          pkt.release();
          continue;
        }
        layer.processQueued(tcb, pkt, srcs[i]!, dsts[i]!, seg, ces[i] === 1);
      }
    }
    if (rx.ackBlocked) {
      // 2.4 cleanup_rbuf: "Delayed ACKs frequently hit locked sockets during bulk receive" → ACK now.
      rx.ackBlocked = false;
      if (tcb.ackPending && isSynchronized(tcb.state)) {
        tcb.ackNow = true;
        tcpOutput(tcb);
      }
    }
  } finally {
    if (--layer.depth === 0) layer.flushEvents();
  }
}
