/**
 * The sender's SACK scoreboard (RFC 6675 §3-4): which octets above SND.UNA the
 * receiver has reported in SACK blocks (RFC 2018), and the queries RFC 6675's
 * loss recovery asks of it — Update(), IsLost(), SetPipe()'s sum and the hole
 * searches behind NextSeg().
 *
 * Owns: a sorted set of disjoint, non-adjacent SACKed intervals [left, right)
 * (sequence numbers, mod 2^32) held as (left, right) pairs in one Uint32Array,
 * and the running total of SACKed octets.
 * Must not: decide when recovery starts or what to send (recovery.ts), or keep
 * any per-segment state: holes are the gaps between intervals, so the
 * scoreboard stays O(number of holes) whatever the window size.
 *
 * Allocation: the array grows by doubling up to MAX_BLOCKS intervals, only when
 * a new disjoint block arrives and it is full; nothing else allocates. A block
 * that would need more than MAX_BLOCKS intervals is ignored (counted in
 * `overflows`): losing SACK information is safe — the sender retransmits a
 * little more or waits for the RTO — never wrong.
 *
 * Every "lo"/"hi" in this file is a sequence number; comparisons go through
 * seq.ts (STYLE lesson 3).
 */
import { seqDiff, seqGt, seqLe, seqLt, seqMax, seqMin } from './seq.js';

/** Intervals held at first (grows by doubling). */
const INITIAL_BLOCKS = 8;
/** Upper bound on disjoint intervals (holes) the scoreboard tracks. */
export const MAX_BLOCKS = 1024;

export class SackScoreboard {
  /** (left, right) pairs, ascending by left, disjoint and not touching. */
  private r: Uint32Array = new Uint32Array(2 * INITIAL_BLOCKS);
  private n = 0;
  private sacked = 0;
  /** Blocks ignored because MAX_BLOCKS intervals were already held. */
  overflows = 0;

  /** Number of disjoint SACKed intervals. */
  get count(): number {
    return this.n;
  }

  /** Total SACKed octets held. */
  get sackedBytes(): number {
    return this.sacked;
  }

  isEmpty(): boolean {
    return this.n === 0;
  }

  /** Left edge of interval i (0 ≤ i < count), ascending. */
  left(i: number): number {
    return this.r[2 * i]!;
  }

  /** Right edge (exclusive) of interval i. */
  right(i: number): number {
    return this.r[2 * i + 1]!;
  }

  /** One past the highest SACKed octet; only meaningful when !isEmpty(). */
  highestSacked(): number {
    return this.r[2 * this.n - 1]!;
  }

  /** Forget everything (RFC 2018 §8 / RFC 6675 §5.1: after an RTO the receiver may have reneged). */
  clear(): void {
    this.n = 0;
    this.sacked = 0;
  }

  /**
   * Update() for one block [left, right) that the caller already validated
   * (non-empty, above the cumulative ACK, not beyond SND.MAX). Merges it with
   * every interval it overlaps or touches. Returns the octets newly SACKed
   * (0 for a block already fully known — such an ACK is not an RFC 6675 DupAck).
   */
  add(left: number, right: number): number {
    left >>>= 0;
    right >>>= 0;
    if (!seqLt(left, right)) return 0;
    const r = this.r;
    const n = this.n;
    // First interval whose right edge reaches left (could merge), then all that start at or before right.
    let i = 0;
    while (i < n && seqLt(r[2 * i + 1]!, left)) i++;
    let j = i;
    let covered = 0;
    let lo = left;
    let hi = right;
    while (j < n && seqLe(r[2 * j]!, right)) {
      const l = r[2 * j]!;
      const rr = r[2 * j + 1]!;
      // Octets of [left, right) this interval already covers.
      const ol = seqMax(l, left);
      const or = seqMin(rr, right);
      if (seqLt(ol, or)) covered += seqDiff(or, ol);
      lo = seqMin(lo, l);
      hi = seqMax(hi, rr);
      j++;
    }
    const fresh = seqDiff(right, left) - covered;
    const merged = j - i;
    if (merged === 0) {
      // A new disjoint interval at index i.
      if (n * 2 + 2 > r.length) {
        if (n >= MAX_BLOCKS) {
          this.overflows++;
          return 0;
        }
        const grown = new Uint32Array(Math.min(r.length * 2, 2 * MAX_BLOCKS));
        grown.set(r.subarray(0, 2 * n));
        this.r = grown;
      }
      const a = this.r;
      a.copyWithin(2 * i + 2, 2 * i, 2 * n);
      a[2 * i] = lo;
      a[2 * i + 1] = hi;
      this.n = n + 1;
    } else {
      // Intervals i..j-1 collapse into one at i.
      r[2 * i] = lo;
      r[2 * i + 1] = hi;
      if (merged > 1) r.copyWithin(2 * i + 2, 2 * j, 2 * n);
      this.n = n - merged + 1;
    }
    this.sacked += fresh;
    return fresh;
  }

  /** The cumulative ACK moved to `una`: drop what lies below it (RFC 6675 §4: only HighACK..HighData matters). */
  advance(una: number): void {
    una >>>= 0;
    const r = this.r;
    const n = this.n;
    let k = 0;
    while (k < n && seqLe(r[2 * k + 1]!, una)) {
      this.sacked -= seqDiff(r[2 * k + 1]!, r[2 * k]!);
      k++;
    }
    if (k > 0) {
      r.copyWithin(0, 2 * k, 2 * n);
      this.n = n - k;
    }
    if (this.n > 0 && seqLt(r[0]!, una)) {
      this.sacked -= seqDiff(una, r[0]!);
      r[0] = una;
    }
  }

  /** Whether octet `seq` is SACKed. */
  isSacked(seq: number): boolean {
    return this.indexContaining(seq) >= 0;
  }

  /** Index of the interval containing `seq`, or -1. */
  indexContaining(seq: number): number {
    const r = this.r;
    for (let i = 0; i < this.n; i++) {
      if (seqLt(seq, r[2 * i]!)) return -1;
      if (seqLt(seq, r[2 * i + 1]!)) return i;
    }
    return -1;
  }

  /** Index of the first interval starting above `seq`, or -1 (the end of the hole containing an unSACKed seq). */
  indexAbove(seq: number): number {
    const r = this.r;
    for (let i = 0; i < this.n; i++) if (seqGt(r[2 * i]!, seq)) return i;
    return -1;
  }

  /** SACKed octets in [lo, hi). */
  sackedBetween(lo: number, hi: number): number {
    const r = this.r;
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const l = seqMax(r[2 * i]!, lo);
      const rr = seqMin(r[2 * i + 1]!, hi);
      if (seqLt(l, rr)) sum += seqDiff(rr, l);
    }
    return sum;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNumber): true when DupThresh discontiguous SACKed
   * sequences lie above `seq`, or more than (DupThresh − 1)·SMSS SACKed octets
   * have sequence numbers greater than `seq`.
   */
  isLost(seq: number, dupThresh: number, smss: number): boolean {
    const r = this.r;
    let blocks = 0;
    let bytes = 0;
    for (let i = this.n - 1; i >= 0; i--) {
      const l = r[2 * i]!;
      const rr = r[2 * i + 1]!;
      if (seqLe(rr, seq)) break;
      if (seqGt(l, seq)) {
        blocks++;
        bytes += seqDiff(rr, l);
      } else {
        bytes += seqDiff(rr, seq) - 1; // octets of seq's own interval above it
      }
      if (blocks >= dupThresh || bytes > (dupThresh - 1) * smss) return true;
    }
    return false;
  }

  /**
   * RFC 6675 §4 SetPipe() over [una, sndMax): every unSACKed octet counts once
   * unless IsLost(), and once more if it lies below `highRxt` (exclusive: one
   * past the highest retransmitted octet); octets below `lostBelow` count as lost
 * too (an inference the caller adds to IsLost). IsLost is constant over one hole
   * (the SACKed octets above every octet of a hole are the same), so this walks
   * holes, not octets. Never negative.
   */
  pipe(una: number, sndMax: number, highRxt: number, dupThresh: number, smss: number, lostBelow: number = una): number {
    const r = this.r;
    const n = this.n;
    const lostBytes = (dupThresh - 1) * smss;
    let pipe = 0;
    let blocksAbove = 0;
    let bytesAbove = 0;
    for (let i = n; i >= 0; i--) {
      // Hole i: from the right edge of interval i-1 (or una) to the left edge of interval i (or sndMax).
      const lo = i === 0 ? una : seqMax(r[2 * i - 1]!, una);
      const hi = i === n ? sndMax : r[2 * i]!;
      if (seqLt(lo, hi)) {
        const size = seqDiff(hi, lo);
        const lost = blocksAbove >= dupThresh || bytesAbove > lostBytes;
        // Octets below lostBelow are lost whatever IsLost says (the caller's extra inference).
        if (!lost) pipe += seqGt(lostBelow, lo) ? (seqLt(lostBelow, hi) ? seqDiff(hi, lostBelow) : 0) : size;
        // (b): retransmitted and not yet SACKed/ACKed.
        if (seqGt(highRxt, lo)) pipe += seqDiff(seqMin(highRxt, hi), lo);
      }
      if (i > 0) {
        blocksAbove++;
        bytesAbove += seqDiff(r[2 * i - 1]!, r[2 * i - 2]!);
        if (seqLe(r[2 * i - 1]!, una)) break;
      }
    }
    return pipe;
  }

  /**
   * The lowest unSACKed octet S with S ≥ from and S below the highest SACKed
   * octet (NextSeg rules (1.a), (1.b)); with `lostOnly`, also IsLost(S) (rule
   * (1.c)). Writes the hole's bounds [S, end of hole) to out[0..1]; returns
   * false when there is none.
   */
  findHole(una: number, from: number, lostOnly: boolean, dupThresh: number, smss: number, out: Uint32Array, lostBelow: number = una): boolean {
    const r = this.r;
    const n = this.n;
    const lostBytes = (dupThresh - 1) * smss;
    let bytesBelow = 0;
    const start = seqMax(una, from);
    if (lostOnly && seqLt(start, lostBelow)) {
      // The caller deems [una, lostBelow) lost: the part above `from` that is not SACKed.
      const k = this.indexContaining(start);
      const lo = k >= 0 ? r[2 * k + 1]! : start;
      if (seqLt(lo, lostBelow)) {
        const a = this.indexAbove(lo);
        out[0] = lo;
        out[1] = a >= 0 ? seqMin(r[2 * a]!, lostBelow) : lostBelow;
        return true;
      }
    }
    if (n === 0) return false;
    for (let i = 0; i < n; i++) {
      const lo = seqMax(i === 0 ? una : r[2 * i - 1]!, start);
      const hi = r[2 * i]!;
      if (seqLt(lo, hi)) {
        const blocksAbove = n - i;
        const bytesAbove = this.sacked - bytesBelow;
        if (!lostOnly || blocksAbove >= dupThresh || bytesAbove > lostBytes) {
          out[0] = lo;
          out[1] = hi;
          return true;
        }
        // IsLost only gets harder going up: no higher hole can qualify either.
        if (lostOnly) return false;
      }
      bytesBelow += seqDiff(r[2 * i + 1]!, r[2 * i]!);
    }
    return false;
  }
}
