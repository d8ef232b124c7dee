/**
 * The `prequeue` and `prequeue-hwcsum` receive paths: Linux 2.4's TCP prequeue
 * (2.4.20 tcp_v4_rcv / tcp_prequeue / tcp_prequeue_process / tcp_recvmsg /
 * cleanup_rbuf / tcp_delack_timer), and Andi Kleen's 2002 patch that skips it
 * for segments whose checksum is already verified. The state machine is
 * background/receive-path.md §2; this module is its implementation.
 *
 * Arrival (softirq, `deliver`), Linux tcp_v4_checksum_init first:
 *  - CHECKSUM_COMPLETE (NIC sum): verified now (cheap fold) → UNNECESSARY;
 *  - CHECKSUM_NONE and ≤ 76 bytes of TCP segment: verified now in software
 *    (acct.csum) → UNNECESSARY;
 *  - otherwise verification is deferred.
 * Then, if a reader is blocked in recv on the connection (tcb.rx.readerWaiting,
 * Linux ucopy.task) — and, for `prequeue-hwcsum`, the checksum is still
 * unverified (CHECKSUM_NONE) — the segment is queued raw: nothing is processed
 * and nothing is ACKed. The first queued segment wakes the reader and, if the
 * delayed-ACK timer is idle, arms it at 3·TCP_RTO_MIN/4 = 150 ms. If the
 * queued bytes exceed the receive buffer, the whole queue is processed now in
 * softirq (TCPPrequeueDropped counts the segments). Otherwise: processed now
 * (FASTPATH_SOFTIRQ: checksum, rules, ACK decisions as `direct`).
 *
 * Leaving the prequeue:
 *  (a) the reader runs (`read`, process context): each segment is re-parsed and
 *      processed; an in-order data segment that fits the reader's buffer while
 *      nothing else is unread is "eaten": its payload is copied straight into
 *      the reader's buffer with the checksum fused into the copy (acct.csum for
 *      the header + acct.copyCsum for the payload; a plain acct.copy when it was
 *      already verified), and its ACK is only a delayed one (quickack mode
 *      excepted) — no 2·MSS rule (delack.ts eatenAckDelay). Segments that are not
 *      eaten are processed normally (software checksum if needed). TCPPrequeued
 *      counts segments, TCPDirectCopyFromPrequeue bytes eaten. At the end of the
 *      read, cleanup_rbuf (src/tcp/read-ack.ts, shared with every path, run by
 *      Endpoint.recv) ACKs if more than one rcv_mss is unacknowledged, or a
 *      short ("pushed") segment was read, the buffer is drained and the
 *      connection is not interactive (pingpong), or the window doubled.
 *  (b) overflow, above.
 *  (c) the delayed-ACK timer fires first (`flushQueued`, softirq): the queue is
 *      processed there (TCPSchedulerFailed counts segments) and the timer
 *      handler then sends the ACK.
 *
 * Owns: the two strategy objects and their queue processing.
 * Must not: implement per-state rules (input.ts does, via layer.verifyAndProcess).
 */
import { CSUM_COMPLETE, CSUM_NONE, CSUM_UNNECESSARY, type PacketBuffer } from '../../buf/packet-buffer.js';
import { combineSums, pseudoHeaderSum } from '../../wire/checksum.js';
import { isWireError } from '../../wire/error.js';
import { IpProtocol } from '../../wire/ipv4.js';
import { parseTcp, TcpFlag, type TcpRepr } from '../../wire/tcp.js';
import { seqDiff } from '../seq.js';
import { TcbEvent, TcpState, type Tcb } from '../tcb.js';
import type { TcpLayer } from '../tcp-layer.js';
import { rxStateOf, type RxState, type RxStrategy } from './state.js';

const MS = 1_000_000;
/** Linux TCP_RTO_MIN. */
const TCP_RTO_MIN = 200 * MS;
/** tcp_v4_checksum_init: segments of at most this many bytes are verified at arrival. */
export const SHORT_SEGMENT_BYTES = 76;
/** tcp_prequeue: the delayed-ACK timer armed by the first prequeued segment, 3·TCP_RTO_MIN/4. */
export const PREQUEUE_ACK_TIMEOUT = (3 * TCP_RTO_MIN) / 4;

export interface PrequeueOptions {
  /** Kleen's patch: segments whose checksum is already verified bypass the prequeue. */
  skipVerified: boolean;
  /** Timer armed by the first queued segment (default 150 ms). */
  ackTimeout?: number;
  /** Arrival-verification threshold in bytes of TCP segment (default 76). */
  shortSegment?: number;
}

const EAT_BLOCKERS = TcpFlag.SYN | TcpFlag.RST | TcpFlag.FIN | TcpFlag.URG;

function newBatch(): { pkts: PacketBuffer[]; src: number[]; dst: number[]; ce: number[] } {
  return { pkts: [], src: [], dst: [], ce: [] };
}

export class PrequeuePath implements RxStrategy {
  readonly zeroCopy = false;
  readonly skipVerified: boolean;
  readonly ackTimeout: number;
  readonly shortSegment: number;

  constructor(
    readonly name: string,
    opts: PrequeueOptions,
  ) {
    this.skipVerified = opts.skipVerified;
    const t = opts.ackTimeout ?? PREQUEUE_ACK_TIMEOUT;
    const s = opts.shortSegment ?? SHORT_SEGMENT_BYTES;
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`prequeue option ackTimeout must be a positive integer (ns), got ${String(t)}`);
    if (!Number.isInteger(s) || s < 0) throw new RangeError(`prequeue option shortSegment must be an integer >= 0, got ${String(s)}`);
    this.ackTimeout = t;
    this.shortSegment = s;
  }

  // -------------------------------------------------------------------------
  // Arrival (softirq)

  deliver(layer: TcpLayer, tcb: Tcb | null, pkt: PacketBuffer, src: number, dst: number, repr: TcpRepr): void {
    const len = pkt.tail - pkt.head;
    // Linux tcp_v4_checksum_init: CHECKSUM_HW verified now; short segments verified in software now.
    if (pkt.csumState === CSUM_COMPLETE || (pkt.csumState === CSUM_NONE && len <= this.shortSegment)) {
      if (!layer.checksumOk(pkt, src, dst)) {
        layer.mib.InCsumErrors++;
        layer.mib.InErrs++;
        pkt.release();
        return;
      }
      pkt.csumState = CSUM_UNNECESSARY;
    }
    const rx = tcb !== null ? tcb.rx : null;
    // tcp_v4_rcv: a socket owned by a process gets the segment on its backlog.
    if (rx !== null && rx.backlogIfOwned(tcb!, pkt, src, dst)) return;
    // Kleen: `if (skb->ip_summed != CHECKSUM_NONE || !tcp_prequeue(sk, skb)) tcp_v4_do_rcv(sk, skb);`
    if (rx === null || !rx.readerWaiting || (this.skipVerified && pkt.csumState !== CSUM_NONE)) {
      if (tcb !== null && rx === null && tcb.listenState === null) rxStateOf(tcb);
      layer.verifyAndProcess(tcb, pkt, src, dst, repr);
      return;
    }
    // tcp_prequeue: queue raw; no processing, no ACK.
    const t = tcb!;
    rx.pq.push(pkt);
    rx.pqSrc.push(src);
    rx.pqDst.push(dst);
    rx.pqCe.push(layer.rxCe ? 1 : 0); // RFC 3168 §6.1.3: the CE mark is applied when the segment is processed
    rx.pqMemory += len;
    rx.pqOwner = this;
    if (rx.pqMemory > t.recvBuf.limit) {
      // "prequeue memory exceeds rcvbuf": everything through normal processing, now.
      layer.mib.TCPPrequeueDropped += this.processAll(layer, t, rx);
      return;
    }
    if (rx.pq.length === 1) {
      // wake_up_interruptible(sk->sleep); if no ACK is scheduled, arm the delayed-ACK timer.
      layer.raise(t, TcbEvent.READABLE, 0);
      if (!t.delackTimer.armed) t.delackTimer.armAfter(this.ackTimeout);
    }
  }

  /** (c) tcp_delack_timer: the reader did not run in time; process the queue in softirq. */
  flushQueued(tcb: Tcb, rx: RxState): void {
    const layer = tcb.layer;
    layer.depth++;
    try {
      layer.mib.TCPSchedulerFailed += this.processAll(layer, tcb, rx);
    } finally {
      layer.depth--;
    }
  }

  /** Normal processing of every queued segment (softirq); returns how many. */
  private processAll(layer: TcpLayer, tcb: Tcb, rx: RxState): number {
    // A batch of its own (not shared): processing may re-enter another stack's input (loopback).
    const b = newBatch();
    const n = rx.takeAll(b);
    for (let i = 0; i < n; i++) {
      const pkt = b.pkts[i]!;
      if (tcb.state === TcpState.CLOSED) {
        pkt.release(); // the connection ended under the queue (Linux: CLOSE → discard)
        continue;
      }
      const seg = parseTcp(pkt.bytes, pkt.head, pkt.tail - pkt.head, rx.repr);
      if (isWireError(seg)) {
        // Parsed once already at arrival; only a corrupted buffer could get here.
        layer.mib.InMalformed++;
        layer.mib.InErrs++;
        pkt.release();
        continue;
      }
      layer.processQueued(tcb, pkt, b.src[i]!, b.dst[i]!, seg, b.ce[i] === 1);
    }
    return n;
  }

  // -------------------------------------------------------------------------
  // The reader (process context)

  read(tcb: Tcb, dst: Uint8Array, off: number, len: number): number {
    // tcp_recvmsg: the receive queue first (plain copy), then the prequeue, then what it queued.
    let n = tcb.recvBuf.read(dst, off, len);
    const rx = tcb.rx;
    if (rx !== null && rx.pq.length > 0) n += this.processForReader(tcb, rx, dst, off + n, len - n);
    if (n < len && tcb.recvBuf.length > 0) n += tcb.recvBuf.read(dst, off + n, len - n);
    // cleanup_rbuf follows in Endpoint.recv, for every path (src/tcp/read-ack.ts).
    return n;
  }

  /** (a) tcp_prequeue_process with the fast path's direct copy. Returns bytes eaten into dst[off…). */
  private processForReader(tcb: Tcb, rx: RxState, out: Uint8Array, off: number, room: number): number {
    const layer = tcb.layer;
    const mib = layer.mib;
    // A batch of its own (not shared): processing may re-enter another stack's input (loopback).
    const b = newBatch();
    const n = rx.takeAll(b);
    let eaten = 0;
    for (let i = 0; i < n; i++) {
      const pkt = b.pkts[i]!;
      const src = b.src[i]!;
      const dst = b.dst[i]!;
      const ce = b.ce[i] === 1;
      if (tcb.state === TcpState.CLOSED) {
        pkt.release();
        continue;
      }
      const seg = parseTcp(pkt.bytes, pkt.head, pkt.tail - pkt.head, rx.repr);
      if (isWireError(seg)) {
        mib.InMalformed++;
        mib.InErrs++;
        pkt.release();
        continue;
      }
      const plen = seg.payloadLength;
      if (plen > 0 && plen <= room - eaten && this.eatable(tcb, seg)) {
        if (!this.copyToReader(layer, pkt, src, dst, seg, out, off + eaten)) continue;
        rx.eatPending = plen;
        layer.processQueued(tcb, pkt, src, dst, seg, ce);
        if (rx.eatPending === 0) eaten += plen;
        else rx.eatPending = 0; // processing did not take it in order: the copy is void
      } else {
        layer.processQueued(tcb, pkt, src, dst, seg, ce);
      }
    }
    mib.TCPPrequeued += n;
    mib.TCPDirectCopyFromPrequeue += eaten;
    return eaten;
  }

  /**
   * Header prediction + tcp_rcv_established's direct-copy condition: ESTABLISHED,
   * a plain in-order data segment, nothing unread or out of order, inside the window.
   */
  private eatable(tcb: Tcb, seg: TcpRepr): boolean {
    return (
      tcb.state === TcpState.ESTABLISHED &&
      (seg.flags & EAT_BLOCKERS) === 0 &&
      seg.seq === tcb.rcvNxt &&
      tcb.recvBuf.length === 0 &&
      tcb.reasm.isEmpty() &&
      seg.payloadLength <= seqDiff(tcb.rcvAdv, tcb.rcvNxt)
    );
  }

  /**
   * skb_copy_and_csum_datagram_iovec: copy the payload into out[at…) with the
   * checksum fused into the copy (header summed separately), or a plain copy when
   * already verified. A bad checksum drops the segment (counted). Returns success.
   */
  private copyToReader(layer: TcpLayer, pkt: PacketBuffer, src: number, dst: number, seg: TcpRepr, out: Uint8Array, at: number): boolean {
    const plen = seg.payloadLength;
    if (pkt.csumState === CSUM_UNNECESSARY) {
      out.set(pkt.bytes.subarray(seg.payloadOffset, seg.payloadOffset + plen), at);
      layer.acct.copy(plen);
      return true;
    }
    const engine = layer.pool.checksum;
    const total = pkt.tail - pkt.head;
    const hdr = seg.payloadOffset - pkt.head; // a multiple of 4: the payload sum needs no byte swap
    layer.acct.csum(hdr);
    const head = engine.sum(pkt.bytes, pkt.head, hdr, pseudoHeaderSum(src, dst, IpProtocol.TCP, total));
    const body = engine.copyAndSum(pkt.bytes, seg.payloadOffset, out, at, plen);
    layer.acct.copyCsum(plen);
    if (combineSums(head, body, false) !== 0xffff) {
      layer.mib.InCsumErrors++;
      layer.mib.InErrs++;
      pkt.release();
      return false;
    }
    pkt.csumState = CSUM_UNNECESSARY;
    return true;
  }
}

export const PREQUEUE_PATH = new PrequeuePath('prequeue', { skipVerified: false });
export const PREQUEUE_HWCSUM_PATH = new PrequeuePath('prequeue-hwcsum', { skipVerified: true });
