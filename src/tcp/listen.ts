/**
 * Listeners: the SYN queue (half-open connections in SYN-RECEIVED) and the
 * accept queue (established, not yet accepted), with their limits, and the
 * LISTEN-state segment rules (RFC 9293 §3.10.7.2).
 *
 * Owns: Listener (queues and counts), the passive open of a child TCB on a
 * SYN, moving a child to the accept queue when its handshake completes
 * (overflow handling: Linux tcp_abort_on_overflow), and tearing a listener down.
 * Must not: implement the per-state rules after SYN-RECEIVED (input.ts), or
 * build segments itself (output.ts).
 *
 * Half-open connections are full TCBs in SYN-RECEIVED, in the 4-tuple table
 * (not Linux's minisocks): simpler, and the same per-state code handles them.
 * Limits (Linux semantics):
 *  - synQueueLimit (tcp_max_syn_backlog): SYNs beyond it are dropped (ListenDrops).
 *  - backlog: the accept queue is full when it holds MORE than `backlog` children
 *    (Linux sk_acceptq_is_full uses `>`; listen(fd, 0) still accepts one). A SYN
 *    arriving while it is full is dropped (ListenOverflows, ListenDrops). A
 *    handshake completing while it is full: the ACK is dropped and the child
 *    stays in SYN-RECEIVED (its SYN-ACK retransmissions continue), or with
 *    abortOnOverflow the child is reset.
 */
import type { Nanos } from '../time/clock.js';
import type { TcpRepr } from '../wire/tcp.js';
import { TcpFlag } from '../wire/tcp.js';
import { seqAdd } from './seq.js';
import { negotiateOptions } from './input.js';
import { sendResetFor, sendSyn } from './output.js';
import { TcbEvent, TcpState, type Tcb } from './tcb.js';

export class Listener {
  /** listen() backlog after clamping to config.backlogLimit. */
  backlog: number;
  /** Children in SYN-RECEIVED. */
  readonly synQueue = new Set<Tcb>();
  private readonly acceptQ: Tcb[] = [];
  private acceptHead = 0;

  constructor(backlog: number) {
    this.backlog = backlog;
  }

  get acceptCount(): number {
    return this.acceptQ.length - this.acceptHead;
  }

  /** Linux sk_acceptq_is_full: more than `backlog` queued. */
  acceptQueueFull(): boolean {
    return this.acceptCount > this.backlog;
  }

  pushAccept(tcb: Tcb): void {
    this.acceptQ.push(tcb);
    tcb.inAcceptQueue = true;
  }

  /** The oldest established child, or null. */
  shiftAccept(): Tcb | null {
    if (this.acceptHead >= this.acceptQ.length) return null;
    const t = this.acceptQ[this.acceptHead]!;
    this.acceptQ[this.acceptHead++] = undefined as unknown as Tcb;
    if (this.acceptHead > 64 && this.acceptHead * 2 > this.acceptQ.length) {
      this.acceptQ.splice(0, this.acceptHead);
      this.acceptHead = 0;
    }
    t.inAcceptQueue = false;
    return t;
  }

  /** Remove a child that died while queued (RST, timeout). */
  removeAccept(tcb: Tcb): void {
    for (let i = this.acceptHead; i < this.acceptQ.length; i++) {
      if (this.acceptQ[i] === tcb) {
        this.acceptQ.splice(i, 1);
        tcb.inAcceptQueue = false;
        return;
      }
    }
  }

  /** Every queued child (close of the listener). */
  drainAccept(): Tcb[] {
    const out = this.acceptQ.slice(this.acceptHead);
    this.acceptQ.length = 0;
    this.acceptHead = 0;
    for (const t of out) t.inAcceptQueue = false;
    return out;
  }
}

/**
 * RFC 9293 §3.10.7.2: a segment for a TCB in LISTEN. Returns nothing; the
 * caller releases the packet (no data of a SYN is kept: see below).
 */
export function listenInput(listener: Tcb, seg: TcpRepr, src: number, dst: number, now: Nanos, issOverride: number): void {
  const layer = listener.layer;
  const mib = layer.mib;
  const flags = seg.flags;
  // RFC 9293 §3.10.7.2 first: "An incoming RST segment could not be valid … should be ignored."
  if ((flags & TcpFlag.RST) !== 0) return;
  // Second: "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state.
  // An acceptable reset segment should be formed for any arriving ACK-bearing segment:
  // <SEQ=SEG.ACK><CTL=RST>".
  if ((flags & TcpFlag.ACK) !== 0) {
    // config.listenDropSynAck (FreeBSD tcp_input on a listen socket): a SYN-ACK is dropped
    // without the RST (the RFC's "should"), so a forged SYN-ACK cannot make us reflect RSTs.
    if ((flags & TcpFlag.SYN) !== 0 && layer.config.listenDropSynAck) return;
    sendResetFor(layer, seg, src, dst);
    return;
  }
  // Third: check for a SYN.
  if ((flags & TcpFlag.SYN) === 0) return; // fourth: "any other control or text-bearing segment … drop it"
  const l = listener.listenState!;
  // Linux tcp_conn_request: drop the SYN when the accept queue is full …
  if (l.acceptQueueFull()) {
    mib.ListenOverflows++;
    mib.ListenDrops++;
    return;
  }
  // … and when the SYN queue is (tcp_max_syn_backlog; we have no SYN cookies).
  if (l.synQueue.size >= layer.config.synQueueLimit) {
    mib.ListenDrops++;
    return;
  }
  const child = layer.newTcb(listener.opts, true);
  child.localAddr = dst;
  child.localPort = listener.localPort;
  child.remoteAddr = src;
  child.remotePort = seg.srcPort;
  child.parent = listener;
  child.active = false;
  if (!layer.demux.insert(child)) {
    // Cannot happen: the caller looked the 4-tuple up first. Keep the invariant anyway.
    layer.closeTcb(child, 0);
    return;
  }
  layer.demux.claimPort(child);
  // "Set RCV.NXT to SEG.SEQ+1, IRS is set to SEG.SEQ … ISS should be selected".
  child.irs = seg.seq;
  child.rcvNxt = seqAdd(seg.seq, 1);
  child.rcvWup = child.rcvNxt;
  child.rcvAdv = child.rcvNxt;
  child.iss = issOverride >= 0 ? issOverride : layer.isnFor(dst, listener.localPort, src, seg.srcPort, now);
  child.sndUna = child.iss;
  child.sndNxt = child.iss;
  child.sndMax = child.iss;
  child.sndBufSeq = seqAdd(child.iss, 1);
  child.tsOffset = layer.tsOffsetFor(dst, listener.localPort, src, seg.srcPort);
  child.rcvbufLocked = listener.rcvbufLocked;
  child.lastRecv = now;
  child.recover = child.iss;
  // Options of the SYN (RFC 9293 §3.7.1 MSS, RFC 7323 §2.2/§3.2, RFC 2018 §2).
  negotiateOptions(child, seg, true, now);
  // "…the connection state should be changed to SYN-RECEIVED". Any text of the SYN is
  // not kept (no TCP Fast Open): the peer retransmits it once we ACK only the SYN.
  child.state = TcpState.SYN_RECEIVED;
  l.synQueue.add(child);
  mib.PassiveOpens++;
  // "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>".
  sendSyn(child, false);
}

/**
 * A passively opened child reached ESTABLISHED: move it from the SYN queue to
 * the accept queue. Returns false when the accept queue was full and the child
 * was left in SYN-RECEIVED (ACK dropped) or reset (abortOnOverflow); the caller
 * then stops processing the segment.
 */
export function childEstablished(child: Tcb): boolean {
  const parent = child.parent;
  if (parent === null || parent.listenState === null) return true;
  const l = parent.listenState;
  const layer = child.layer;
  if (l.acceptQueueFull()) {
    layer.mib.ListenOverflows++;
    layer.mib.ListenDrops++;
    if (layer.config.abortOnOverflow) {
      l.synQueue.delete(child);
      layer.failConnection(child, 0, true);
    }
    return false;
  }
  l.synQueue.delete(child);
  l.pushAccept(child);
  layer.raise(parent, TcbEvent.ACCEPTABLE, 0);
  return true;
}

/** Forget a child that is closing before being accepted (RST, timeout, abort). */
export function detachChild(child: Tcb): void {
  const parent = child.parent;
  if (parent === null) return;
  const l = parent.listenState;
  if (l !== null) {
    l.synQueue.delete(child);
    if (child.inAcceptQueue) l.removeAccept(child);
  }
  child.parent = null;
}

/**
 * close() of a listener: half-open children are dropped silently; established
 * children nobody accepted are reset (Linux inet_csk_listen_stop).
 */
export function closeListener(listener: Tcb): void {
  const l = listener.listenState;
  if (l === null) return;
  const layer = listener.layer;
  for (const child of [...l.synQueue]) {
    child.parent = null;
    layer.closeTcb(child, 0);
  }
  l.synQueue.clear();
  for (const child of l.drainAccept()) {
    child.parent = null;
    layer.failConnection(child, 0, true);
  }
}
