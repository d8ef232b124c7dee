/**
 * Receiver-side SACK option content (RFC 2018 §4) and D-SACK (RFC 2883).
 *
 * Owns: which blocks of the out-of-order queue to report, in which order, and
 * the pending D-SACK block.
 * Must not: hold payload (reassembly.ts does) or build options (output.ts and
 * wire/tcp-options.ts do).
 *
 * RFC 2018 §4 rules kept here:
 *  - "The first SACK block … MUST specify the contiguous block of data containing
 *    the segment which triggered this ACK, unless that segment advanced the
 *    Acknowledgment Number field in the header": onOutOfOrder() moves the queue
 *    block containing the new segment to the front.
 *  - "The data receiver SHOULD include as many distinct SACK blocks as possible"
 *    and "SHOULD be filled out by repeating the most recently reported SACK
 *    blocks … that are not subsets of a SACK block already included": the rest
 *    follow in order of their most recent report; blocks that have merged since
 *    are reported once, as the merged block. Queue blocks never reported yet
 *    (more blocks than ever fitted) come last, lowest sequence first.
 *  - Never a block at or below RCV.NXT (such data is covered by the ACK).
 *  - At most 4 blocks, 3 next to timestamps (RFC 2018 §3: 40 bytes of options):
 *    the caller passes that limit to fill().
 *
 * The blocks are a snapshot of the queue taken at onOutOfOrder /
 * onRcvNxtAdvanced (fill() has no queue argument), so the caller calls one of
 * them after every change to the queue (or clear() after emptying it).
 *
 * D-SACK (RFC 2883, off by default like TcpConfig.dsack): onDuplicate() records
 * a duplicate range; the next fill() reports it as the first block (§4 rule 1),
 * followed by the queue block containing it, if any (§4 rule 2), then the
 * regular blocks. Each duplicate is reported once (§4: "the receiver sends two
 * identical D-SACK blocks in subsequent packets only if the receiver receives
 * two duplicate segments"); a newer duplicate replaces an unreported older one.
 */
import type { ReassemblyQueue } from './reassembly.js';
import { seqGt, seqLe, seqLt } from './seq.js';

/** Blocks this object remembers in recency order (far more than one option can carry). */
const TRACKED = 32;
/** Queue blocks looked at per snapshot. */
const SNAPSHOT = 64;

export class SackBlocks {
  /** Upper bound on blocks per option (RFC 2018 §3: 4). */
  readonly maxBlocks: number;
  /** Report D-SACK blocks (RFC 2883). */
  dsack: boolean;

  /** Reported blocks, most recent first: (left, right) pairs. */
  private readonly list = new Uint32Array(2 * TRACKED);
  private listCount = 0;
  private readonly snap = new Uint32Array(2 * SNAPSHOT);
  private snapCount = 0;
  private readonly order = new Int32Array(TRACKED);
  private readonly used = new Uint8Array(SNAPSHOT);

  private dsackLeft = 0;
  private dsackRight = 0;
  private dsackPending = false;

  private rcvNxt = 0;
  private rcvNxtKnown = false;

  constructor(maxBlocks = 4, dsack = false) {
    if (!Number.isInteger(maxBlocks) || maxBlocks < 1 || maxBlocks > 4) {
      throw new RangeError(`SackBlocks maxBlocks must be an integer in [1, 4], got ${String(maxBlocks)}`);
    }
    this.maxBlocks = maxBlocks;
    this.dsack = dsack;
  }

  /** Blocks currently remembered (regular blocks, not D-SACK). */
  get count(): number {
    return this.listCount;
  }

  /** A D-SACK block waits for the next fill(). */
  get hasDsack(): boolean {
    return this.dsackPending;
  }

  /**
   * Segment [left, right) was queued out of order (or was a duplicate of queued
   * data): its queue block becomes the first block (RFC 2018 §4). Call after
   * queue.insert(); a segment that was not kept (overLimit) changes nothing.
   */
  onOutOfOrder(left: number, right: number, queue: ReassemblyQueue): void {
    this.refresh(queue, left >>> 0, right >>> 0, true);
  }

  /** RFC 2883: segment [left, right) duplicated data already received (below RCV.NXT or queued). */
  onDuplicate(left: number, right: number): void {
    if (!this.dsack) return;
    this.dsackLeft = left >>> 0;
    this.dsackRight = right >>> 0;
    this.dsackPending = true;
  }

  /** RCV.NXT moved to `rcvNxt` (data left the queue): drop blocks at or below it, re-read merged blocks. */
  onRcvNxtAdvanced(rcvNxt: number, queue: ReassemblyQueue): void {
    this.rcvNxt = rcvNxt >>> 0;
    this.rcvNxtKnown = true;
    this.refresh(queue, 0, 0, false);
  }

  /** Forget every block and any pending D-SACK (the queue was cleared / connection reset). */
  clear(): void {
    this.listCount = 0;
    this.snapCount = 0;
    this.dsackPending = false;
  }

  /**
   * Write the blocks to send now as (left, right) pairs into `out` and return
   * how many: at most min(maxBlocks, this.maxBlocks, out.length / 2). A pending
   * D-SACK block goes first and is consumed by this call.
   */
  fill(out: Uint32Array, maxBlocks: number): number {
    let max = Math.min(maxBlocks, this.maxBlocks, out.length >>> 1);
    if (max <= 0) return 0;
    let k = 0;
    let skipLeft = -1;
    if (this.dsackPending && this.dsack) {
      this.dsackPending = false;
      // RFC 2883 §4 (1): the first block reports the duplicate.
      out[0] = this.dsackLeft;
      out[1] = this.dsackRight;
      k = 1;
      // RFC 2883 §4 (2): next, the queue block that contains it, if any.
      for (let i = 0; i < this.listCount && k < max; i++) {
        const l = this.list[2 * i]!;
        const r = this.list[2 * i + 1]!;
        if (seqLe(l, this.dsackLeft) && seqLe(this.dsackRight, r)) {
          out[2] = l;
          out[3] = r;
          k = 2;
          skipLeft = l;
          break;
        }
      }
    }
    max = Math.min(max, k + this.listCount);
    for (let i = 0; i < this.listCount && k < max; i++) {
      const l = this.list[2 * i]!;
      const r = this.list[2 * i + 1]!;
      if (l === skipLeft) continue;
      // RFC 2018 §4: never report data the cumulative ACK already covers.
      if (this.rcvNxtKnown && seqLe(r, this.rcvNxt)) continue;
      out[2 * k] = this.rcvNxtKnown && seqLt(l, this.rcvNxt) ? this.rcvNxt : l;
      out[2 * k + 1] = r;
      k++;
    }
    return k;
  }

  /** Index in the snapshot of the block containing any of [left, right) (right > left), or -1. */
  private findInSnap(left: number, right: number): number {
    for (let j = 0; j < this.snapCount; j++) {
      const l = this.snap[2 * j]!;
      const r = this.snap[2 * j + 1]!;
      if (seqLt(left, r) && seqGt(right, l)) return j;
    }
    return -1;
  }

  /** Re-read the queue's blocks; put the one overlapping [left, right) first when `front`. */
  private refresh(queue: ReassemblyQueue, left: number, right: number, front: boolean): void {
    this.snapCount = queue.blocks(this.snap);
    const used = this.used;
    used.fill(0, 0, this.snapCount);
    const order = this.order;
    let m = 0;
    if (front && left !== right) {
      const j = this.findInSnap(left, right);
      if (j >= 0) {
        used[j] = 1;
        order[m++] = j;
      }
    }
    // Previously reported blocks, most recent first, each mapped to the block that now contains it.
    for (let i = 0; i < this.listCount && m < TRACKED; i++) {
      const l = this.list[2 * i]!;
      const r = this.list[2 * i + 1]!;
      const j = this.findInSnap(l, r);
      if (j >= 0 && used[j] === 0) {
        used[j] = 1;
        order[m++] = j;
      }
    }
    // Queue blocks never reported, lowest first.
    for (let j = 0; j < this.snapCount && m < TRACKED; j++) {
      if (used[j] === 0) {
        used[j] = 1;
        order[m++] = j;
      }
    }
    for (let i = 0; i < m; i++) {
      const j = order[i]!;
      this.list[2 * i] = this.snap[2 * j]!;
      this.list[2 * i + 1] = this.snap[2 * j + 1]!;
    }
    this.listCount = m;
  }
}
