/**
 * The out-of-order queue: segments that arrived beyond RCV.NXT, held as
 * PacketBuffer windows until the hole before them is filled (RFC 9293
 * §3.10.7.4: segments "may overlap"; RFC 5681 §4.2 wants them kept rather
 * than dropped), bounded by a byte limit (Linux tcp_data_queue_ofo with
 * TCPOFODrop beyond the bound).
 *
 * Owns: the queued buffers (ownership is taken on insert), their sequence
 * numbers, overlap trimming, the in-order hand-off, and the merged block list
 * that SACK (sack.ts) reports.
 * Must not: advance RCV.NXT, send ACKs, or copy payload bytes.
 *
 * Invariants: entries are sorted by sequence number and disjoint (adjacent
 * entries may touch: blocks() merges them); every entry has length > 0; `bytes`
 * is the sum of their lengths; all of them lie within 2^31 of each other.
 *
 * Overlaps keep the bytes already queued (first arrival wins) and trim the new
 * buffer to the holes it fills. When the new buffer spans one or more queued
 * entries it fills several holes: each extra hole gets a read-only clone of the
 * new buffer (pool.clone), so the constructor needs the pool for that case.
 * Without a pool, or if a clone fails (handle exhaustion), the new buffer
 * instead replaces the entries it covers entirely (what BSD tcp_reass and Linux
 * tcp_data_queue_ofo do); partial overlaps still trim the new buffer.
 *
 * Chained buffers (`next !== null`) are split into their elements, each
 * inserted on its own; the caller must hold the only reference to the chain.
 *
 * Bound: `bytes` never exceeds `limit`, and the entry count never exceeds
 * max(16, floor(limit / 64)) — so that a peer sending tiny segments cannot make
 * the sorted-array insertion quadratic (Linux charges skb truesize for the same reason).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import { seqDiff, seqGt, seqLe, seqLt } from './seq.js';

export type ReassemblyResult = 'queued' | 'duplicate' | 'overLimit';

/** Bytes of limit per allowed entry (see the module comment). */
const BYTES_PER_ENTRY = 64;

export class ReassemblyQueue {
  private _limit = 0;
  private maxEntries = 16;
  private readonly pool: PacketPool | null;

  /** Entry i (0 ≤ i < n) lives at index off + i of the arrays below. */
  private seqs: number[] = [];
  private bufs: (PacketBuffer | null)[] = [];
  private off = 0;
  private n = 0;
  private _bytes = 0;

  /** Scratch for multi-hole inserts (reused). */
  private readonly holeStart: number[] = [];
  private readonly holeLen: number[] = [];

  /**
   * `limitBytes`: the byte bound (TcpConfig.oooLimit). `pool`: the pool the
   * buffers come from, used to split a buffer that fills several holes (optional,
   * see the module comment).
   */
  constructor(limitBytes: number, pool: PacketPool | null = null) {
    this.setLimit(limitBytes);
    this.pool = pool;
  }

  get limit(): number {
    return this._limit;
  }

  /** Change the byte bound (e.g. SO_RCVBUF changed). Data already queued stays. */
  setLimit(limitBytes: number): void {
    if (!Number.isInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`ReassemblyQueue limitBytes must be an integer >= 0, got ${String(limitBytes)}`);
    }
    this._limit = limitBytes;
    this.maxEntries = Math.max(16, Math.floor(limitBytes / BYTES_PER_ENTRY));
  }

  /** Payload bytes queued. */
  get bytes(): number {
    return this._bytes;
  }

  /** Buffers queued. */
  get count(): number {
    return this.n;
  }

  isEmpty(): boolean {
    return this.n === 0;
  }

  /** Sequence number of the first queued byte (meaningless when empty). */
  firstSeq(): number {
    return this.n === 0 ? 0 : this.seqs[this.off]!;
  }

  /** One past the last queued byte (meaningless when empty). */
  endSeq(): number {
    if (this.n === 0) return 0;
    const i = this.off + this.n - 1;
    return (this.seqs[i]! + this.bufs[i]!.length) >>> 0;
  }

  /**
   * Queue the payload window `buf` (sequence number `seq` for its first byte),
   * taking ownership. Bytes before `rcvNxt` and bytes already queued are
   * trimmed off. Returns 'duplicate' (nothing new: the buffer was released),
   * 'overLimit' (the new bytes would exceed the bound: the buffer was released)
   * or 'queued' (at least one new byte kept).
   */
  insert(seq: number, buf: PacketBuffer, rcvNxt: number): ReassemblyResult {
    if (buf.next === null) return this.insertOne(seq >>> 0, buf, rcvNxt >>> 0);
    // A chain: detach and insert each element (the chain head owned them; now each is owned alone).
    let result: ReassemblyResult = 'duplicate';
    let s = seq >>> 0;
    let b: PacketBuffer | null = buf;
    while (b !== null) {
      const next: PacketBuffer | null = b.next;
      b.next = null;
      const len = b.length;
      const r = this.insertOne(s, b, rcvNxt >>> 0);
      if (r === 'queued' || (r === 'overLimit' && result === 'duplicate')) result = r;
      s = (s + len) >>> 0;
      b = next;
    }
    return result;
  }

  private insertOne(seq: number, buf: PacketBuffer, rcvNxt: number): ReassemblyResult {
    let len = buf.length;
    if (len === 0) {
      buf.release();
      return 'duplicate';
    }
    // Data before RCV.NXT was already delivered: trim it (RFC 9293 §3.10.7.4, "trim … to the window").
    const before = seqDiff(rcvNxt, seq);
    if (before > 0) {
      if (before >= len) {
        buf.release();
        return 'duplicate';
      }
      buf.trimFront(before);
      seq = rcvNxt;
      len -= before;
    }
    const end = (seq + len) >>> 0;

    // Entries overlapping [seq, end): [first, last).
    const first = this.firstEndingAfter(seq);
    let last = first;
    while (last < this.n && seqLt(this.seqs[this.off + last]!, end)) last++;

    // Holes of [seq, end) not covered by those entries.
    const hs = this.holeStart;
    const hl = this.holeLen;
    let holes = 0;
    let newBytes = 0;
    let cursor = seq;
    for (let i = first; i < last; i++) {
      const a = this.seqs[this.off + i]!;
      if (seqLt(cursor, a)) {
        const l = seqDiff(a, cursor);
        hs[holes] = cursor;
        hl[holes] = l;
        holes++;
        newBytes += l;
      }
      const b = (a + this.bufs[this.off + i]!.length) >>> 0;
      if (seqGt(b, cursor)) cursor = b;
    }
    if (seqLt(cursor, end)) {
      const l = seqDiff(end, cursor);
      hs[holes] = cursor;
      hl[holes] = l;
      holes++;
      newBytes += l;
    }
    if (newBytes === 0) {
      buf.release();
      return 'duplicate';
    }
    if (this._bytes + newBytes > this._limit || this.n + (holes > 1 && this.pool === null ? 1 : holes) > this.maxEntries) {
      buf.release();
      return 'overLimit';
    }

    if (holes === 1) {
      // The common case: trim the new buffer to its one hole.
      const hStart = hs[0]!;
      const front = seqDiff(hStart, seq);
      const back = len - front - hl[0]!;
      if (front > 0) buf.trimFront(front);
      if (back > 0) buf.trimBack(back);
      this.insertAt(this.positionFor(hStart), hStart, buf);
      this._bytes += newBytes;
      return 'queued';
    }

    if (this.pool !== null && this.splitIntoHoles(seq, buf, holes)) {
      this._bytes += newBytes;
      return 'queued';
    }
    this.replaceCovered(seq, end, buf, first, last);
    this._bytes += newBytes;
    return 'queued';
  }

  /**
   * Several holes: holes 1.. get clones of `buf`, hole 0 the trimmed `buf`
   * itself. False (nothing changed, `buf` untouched) if a clone failed.
   */
  private splitIntoHoles(seq: number, buf: PacketBuffer, holes: number): boolean {
    const pool = this.pool!;
    const hs = this.holeStart;
    const hl = this.holeLen;
    const clones = this.cloneScratch;
    let made = 0;
    for (let h = 1; h < holes; h++) {
      const c = pool.clone(buf, seqDiff(hs[h]!, seq), hl[h]!);
      if (c === null) {
        for (let i = 0; i < made; i++) {
          clones[i]!.release();
          clones[i] = null;
        }
        return false;
      }
      clones[made++] = c;
    }
    const front = seqDiff(hs[0]!, seq);
    const back = buf.length - front - hl[0]!;
    if (front > 0) buf.trimFront(front);
    if (back > 0) buf.trimBack(back);
    this.insertAt(this.positionFor(hs[0]!), hs[0]!, buf);
    for (let h = 1; h < holes; h++) this.insertAt(this.positionFor(hs[h]!), hs[h]!, clones[h - 1]!);
    for (let i = 0; i < made; i++) clones[i] = null;
    return true;
  }

  private readonly cloneScratch: (PacketBuffer | null)[] = [];

  /**
   * Fallback for several holes: trim `buf` against the entries that overlap its
   * ends (they keep their bytes), drop the entries it covers entirely, insert it.
   */
  private replaceCovered(seq: number, end: number, buf: PacketBuffer, first: number, last: number): void {
    let lo = first;
    let hi = last;
    // An entry starting before `seq` (necessarily entry `first`) keeps its bytes: trim our front.
    const a0 = this.seqs[this.off + first]!;
    if (seqLt(a0, seq)) {
      const b0 = (a0 + this.bufs[this.off + first]!.length) >>> 0;
      buf.trimFront(seqDiff(b0, seq));
      seq = b0;
      lo = first + 1;
    }
    // An entry ending after `end` (necessarily entry `last - 1`) keeps its bytes: trim our back.
    const aL = this.seqs[this.off + last - 1]!;
    const bL = (aL + this.bufs[this.off + last - 1]!.length) >>> 0;
    if (last - 1 >= lo && seqGt(bL, end)) {
      buf.trimBack(seqDiff(end, aL));
      hi = last - 1;
    }
    // Entries in [lo, hi) lie inside [seq, end): release them. buf carries the same range, so
    // `bytes` grows by exactly the hole bytes the caller adds.
    for (let i = lo; i < hi; i++) this.bufs[this.off + i]!.release();
    this.removeRange(lo, hi - lo);
    this.insertAt(lo, seq, buf);
  }

  /** Lowest entry index whose end is after `seq` (n if none). Entries are disjoint, so ends are sorted too. */
  private firstEndingAfter(seq: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const i = this.off + mid;
      const e = (this.seqs[i]! + this.bufs[i]!.length) >>> 0;
      if (seqGt(e, seq)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Index at which an entry starting at `seq` keeps the order. */
  private positionFor(seq: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqLt(this.seqs[this.off + mid]!, seq)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertAt(pos: number, seq: number, buf: PacketBuffer): void {
    const seqs = this.seqs;
    const bufs = this.bufs;
    if (this.off > 0 && pos < this.n - pos) {
      // Shift the front part left into the free slot before `off`.
      this.off--;
      for (let i = 0; i < pos; i++) {
        seqs[this.off + i] = seqs[this.off + i + 1]!;
        bufs[this.off + i] = bufs[this.off + i + 1]!;
      }
    } else {
      if (this.off + this.n === seqs.length) {
        if (this.off > 0) this.compact();
        else {
          seqs.push(0);
          bufs.push(null);
        }
      }
      const endIdx = this.off + this.n;
      for (let i = endIdx; i > this.off + pos; i--) {
        seqs[i] = seqs[i - 1]!;
        bufs[i] = bufs[i - 1]!;
      }
    }
    seqs[this.off + pos] = seq;
    bufs[this.off + pos] = buf;
    this.n++;
  }

  /** Move the entries to the start of the arrays (off = 0). */
  private compact(): void {
    const seqs = this.seqs;
    const bufs = this.bufs;
    const off = this.off;
    for (let i = 0; i < this.n; i++) {
      seqs[i] = seqs[off + i]!;
      bufs[i] = bufs[off + i]!;
    }
    for (let i = this.n; i < this.n + off; i++) bufs[i] = null;
    this.off = 0;
  }

  /** Remove `count` entries starting at `pos` (already released or handed out). */
  private removeRange(pos: number, count: number): void {
    if (count === 0) return;
    const seqs = this.seqs;
    const bufs = this.bufs;
    if (pos === 0) {
      for (let i = 0; i < count; i++) bufs[this.off + i] = null;
      this.off += count;
    } else {
      const endIdx = this.off + this.n;
      for (let i = this.off + pos; i + count < endIdx; i++) {
        seqs[i] = seqs[i + count]!;
        bufs[i] = bufs[i + count]!;
      }
      for (let i = endIdx - count; i < endIdx; i++) bufs[i] = null;
    }
    this.n -= count;
    if (this.n === 0) this.off = 0;
  }

  /**
   * The buffer holding RCV.NXT, trimmed to start exactly there, removed from
   * the queue (the caller owns it); null if the queue does not start at or
   * before `rcvNxt`. Entries wholly before `rcvNxt` are released on the way.
   * Call repeatedly, advancing rcvNxt by each buffer's length, to drain.
   */
  takeInOrder(rcvNxt: number): PacketBuffer | null {
    rcvNxt >>>= 0;
    while (this.n > 0) {
      const i = this.off;
      const s = this.seqs[i]!;
      if (seqGt(s, rcvNxt)) return null;
      const b = this.bufs[i]!;
      const len = b.length;
      this.removeRange(0, 1);
      const end = (s + len) >>> 0;
      if (seqLe(end, rcvNxt)) {
        this._bytes -= len;
        b.release();
        continue;
      }
      const d = seqDiff(rcvNxt, s);
      if (d > 0) b.trimFront(d);
      this._bytes -= len;
      return b;
    }
    return null;
  }

  /**
   * The queued ranges, adjacent entries merged, in sequence order, written as
   * (left, right) pairs — right is one past the last byte, as in a SACK block
   * (RFC 2018 §3). Writes at most out.length / 2 pairs; returns how many it wrote.
   */
  blocks(out: Uint32Array): number {
    const max = out.length >>> 1;
    let pairs = 0;
    let i = 0;
    while (i < this.n && pairs < max) {
      const left = this.seqs[this.off + i]!;
      let right = (left + this.bufs[this.off + i]!.length) >>> 0;
      i++;
      while (i < this.n && this.seqs[this.off + i] === right) {
        right = (right + this.bufs[this.off + i]!.length) >>> 0;
        i++;
      }
      out[2 * pairs] = left;
      out[2 * pairs + 1] = right;
      pairs++;
    }
    return pairs;
  }

  /** Release every queued buffer. */
  clear(): void {
    for (let i = 0; i < this.n; i++) {
      const b = this.bufs[this.off + i]!;
      this.bufs[this.off + i] = null;
      b.release();
    }
    this.n = 0;
    this.off = 0;
    this._bytes = 0;
  }
}
