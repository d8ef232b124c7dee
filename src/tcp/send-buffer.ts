/**
 * The send queue: application data from SND.UNA onwards (sent-but-unacked
 * first, then unsent), held as chunks of packet-pool memory or of the
 * application's own arrays, from which segments are sliced as buffer clones.
 *
 * Owns: the chunks (one PacketBuffer reference each), the byte count and its
 * limit (SO_SNDBUF), per-chunk payload sums in fused copy+checksum mode, and
 * zero-copy completions.
 * Must not: know sequence numbers (offset 0 is the byte at SND.UNA; the TCB maps
 * sequence numbers), decide what to send, or write into storage that a slice
 * shares (src/buf/README.md: shared storage is read-only).
 *
 * Chunks live in a ring of parallel arrays (buffer, sum, kind, id, sliced flag),
 * reused without per-append objects; the ring only grows.
 *
 * Copy modes (DESIGN principle 5):
 *  - appendCopy: copies into pool buffers (acct.copy). Chunks are allocated with
 *    no headroom: up to SEND_CHUNK_BYTES (16 KiB, the pool's middle size class)
 *    per chunk for bulk data; a smaller remainder takes the smallest class that
 *    fits it (alloc(size, 0) picks it), and later appends fill the tail chunk's
 *    tailroom as long as its storage is not shared with an outstanding slice.
 *  - appendCopySum: the same with the copy and the Internet checksum fused
 *    (pool.checksum.copyAndSum, acct.copyCsum), keeping the ones'-complement sum
 *    of each chunk. To make those sums usable, fused chunks are cut at
 *    `segmentSize` bytes (set it to the send MSS) and allocated with that much
 *    room even for a short append, so the unsent tail chunk grows to a full
 *    segment: full-sized segments then map onto whole chunks. A fused chunk is never extended once anything of it has
 *    been sliced (its sum must keep matching the segment that was sent).
 *  - appendZeroCopy: wraps the caller's array (pool.wrap, no copy, no
 *    accounting); its completion id is reported through onComplete once every
 *    byte of that append has been acknowledged (MSG_ZEROCOPY-like). Slices of
 *    it are clones whose `bytes` is the caller's array.
 *
 * sumOf(offset, len) answers exactly when [offset, offset+len) begins at the
 * start of a chunk, ends at the end of a chunk (possibly a later one), and every
 * chunk in between holds a known sum — i.e. was filled only by appendCopySum and
 * has not been partially acknowledged. The result is the 16-bit folded,
 * uninverted ones'-complement sum of those bytes (src/wire/checksum.ts
 * conventions), combined across chunks of odd length (RFC 1071 §2(B)). In every
 * other case it returns -1. sumRange(offset, len) always answers, summing in
 * software only what stored sums do not cover (lastSoftwareBytes; output.ts
 * reports them as acct.csum).
 *
 * Zero-copy caveat: completion means "acknowledged". A clone of the wrapped
 * array may outlive that (a retransmitted segment still queued at a NIC); the
 * pool's own release of the wrap happens when the last clone goes.
 */
import type { Accounting } from '../acct/accounting.js';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import { combineSums, foldSum, swap16 } from '../wire/checksum.js';

/** Largest chunk appendCopy allocates (bytes, headroom 0). */
export const SEND_CHUNK_BYTES = 16384;

const KIND_COPY = 0;
const KIND_ZEROCOPY = 1;

function checkRange(where: string, src: Uint8Array, off: number, len: number): void {
  if (!(src instanceof Uint8Array)) throw new TypeError(`${where}: src must be a Uint8Array, got ${String(src)}`);
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > src.length) {
    throw new RangeError(`${where}: range [${off}, ${off}+${len}) is outside the source (${src.length} bytes)`);
  }
}

export class SendBuffer {
  /** Zero-copy completion callback: `id` of an appendZeroCopy whose bytes are all acknowledged, in append order. */
  onComplete: ((id: number) => void) | null = null;
  /**
   * Fused mode chunk size: the send MSS (0: no per-segment cut, chunks of up to
   * SEND_CHUNK_BYTES, so sumOf rarely answers). Affects later appends only.
   */
  segmentSize = 0;

  private readonly pool: PacketPool;
  private readonly acct: Accounting;
  private _limit = 0;
  private _length = 0;

  // Ring of chunks: index (head + k) & mask for chunk k (k = 0 holds the byte at offset 0).
  private cap = 16;
  private mask = 15;
  private head = 0;
  private count = 0;
  private bufs: (PacketBuffer | null)[] = new Array<PacketBuffer | null>(16).fill(null);
  private sums = new Int32Array(16);
  private kinds = new Uint8Array(16);
  private ids = new Float64Array(16);
  private sliced = new Uint8Array(16);

  /** Slice cursor: chunk k and the offset of its first byte (hint for sequential slicing); -1 = none. */
  private curK = -1;
  private curStart = 0;

  constructor(pool: PacketPool, limitBytes: number, acct: Accounting) {
    this.pool = pool;
    this.acct = acct;
    this.setLimit(limitBytes);
  }

  /** Bytes queued: unacknowledged plus unsent. */
  get length(): number {
    return this._length;
  }

  get limit(): number {
    return this._limit;
  }

  /** Change the limit (SO_SNDBUF). Bytes already queued stay even if above it. */
  setLimit(limitBytes: number): void {
    if (!Number.isInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`SendBuffer limitBytes must be an integer >= 0, got ${String(limitBytes)}`);
    }
    this._limit = limitBytes;
  }

  /** Bytes an append may take now: limit − length (0 when over). */
  space(): number {
    const s = this._limit - this._length;
    return s > 0 ? s : 0;
  }

  /** Chunks queued (tests, diagnostics). */
  get chunkCount(): number {
    return this.count;
  }

  /** Copy src[off, off+len) in (acct.copy). Returns the bytes taken: at most space(); fewer if the pool ran dry. */
  appendCopy(src: Uint8Array, off: number, len: number): number {
    checkRange('SendBuffer.appendCopy', src, off, len);
    const n = this.appendCopied(src, off, len, false);
    if (n > 0) this.acct.copy(n);
    return n;
  }

  /** Copy and checksum src[off, off+len) in one pass (acct.copyCsum), keeping per-chunk sums for sumOf. */
  appendCopySum(src: Uint8Array, off: number, len: number): number {
    checkRange('SendBuffer.appendCopySum', src, off, len);
    const n = this.appendCopied(src, off, len, true);
    if (n > 0) this.acct.copyCsum(n);
    return n;
  }

  /**
   * Queue src[off, off+len) without copying: the caller must not modify those
   * bytes until `id` is reported through onComplete. Returns the bytes taken (at
   * most space()); `id` is reported once for them, and not at all when 0 was taken.
   */
  appendZeroCopy(src: Uint8Array, off: number, len: number, id: number): number {
    checkRange('SendBuffer.appendZeroCopy', src, off, len);
    const take = Math.min(len, this.space());
    if (take <= 0) return 0;
    const b = this.pool.wrap(src, off, take);
    this.pushChunk(b, -1, KIND_ZEROCOPY, id);
    this._length += take;
    return take;
  }

  private appendCopied(src: Uint8Array, off: number, len: number, fused: boolean): number {
    const take = Math.min(len, this.space());
    if (take <= 0) return 0;
    const engine = this.pool.checksum;
    const segCap = fused && this.segmentSize > 0 ? Math.min(this.segmentSize, this.pool.maxSlotSize) : SEND_CHUNK_BYTES;
    let done = 0;
    // 1. The tail chunk's tailroom, when it may still grow.
    if (this.count > 0) {
      const idx = (this.head + this.count - 1) & this.mask;
      const b = this.bufs[idx]!;
      if (this.canExtend(idx, b, fused, segCap)) {
        let room = b.tailroom();
        if (fused && b.length + room > segCap) room = segCap - b.length;
        const n = room < take ? room : take;
        if (n > 0) {
          const prevOdd = (b.length & 1) === 1;
          const at = b.append(n);
          if (fused) {
            const s = engine.copyAndSum(src, off, b.bytes, at, n);
            this.sums[idx] = combineSums(this.sums[idx]!, s, prevOdd);
          } else {
            b.bytes.set(src.subarray(off, off + n), at);
          }
          done = n;
        }
      }
    }
    // 2. New chunks.
    while (done < take) {
      const want = take - done;
      // Fused: a whole segment's room (Linux sk_stream_alloc_skb(size_goal)), so later appends
      // fill this chunk up to a full segment while it is unsent and its sum keeps matching one.
      const size = want < segCap && !fused ? want : segCap;
      let b = this.pool.alloc(size, 0);
      if (b === null) {
        // The fitting class is empty: try the smallest class before giving up.
        const small = this.pool.sizeClasses[0]!;
        if (size > small) b = this.pool.alloc(small, 0);
        if (b === null) break;
      }
      const room = b.tailroom();
      const n = Math.min(want, room, segCap);
      const at = b.append(n);
      let sum = -1;
      if (fused) sum = engine.copyAndSum(src, off + done, b.bytes, at, n);
      else b.bytes.set(src.subarray(off + done, off + done + n), at);
      this.pushChunk(b, sum, KIND_COPY, 0);
      done += n;
    }
    this._length += done;
    return done;
  }

  /** May new bytes be appended into chunk `idx`? Never into shared storage (src/buf/README.md). */
  private canExtend(idx: number, b: PacketBuffer, fused: boolean, segCap: number): boolean {
    if (this.kinds[idx] !== KIND_COPY || b.tailroom() === 0 || b.isShared()) return false;
    // A plain copy never extends a fused chunk (that would lose its sum): modes do not mix in a chunk.
    if (!fused) return this.sums[idx]! < 0;
    // Fused: the chunk's sum must stay the sum of what a segment will carry.
    return this.sums[idx]! >= 0 && this.sliced[idx] === 0 && b.length < segCap;
  }

  private pushChunk(b: PacketBuffer, sum: number, kind: number, id: number): void {
    if (this.count === this.cap) this.grow();
    const idx = (this.head + this.count) & this.mask;
    this.bufs[idx] = b;
    this.sums[idx] = sum;
    this.kinds[idx] = kind;
    this.ids[idx] = id;
    this.sliced[idx] = 0;
    this.count++;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const bufs = new Array<PacketBuffer | null>(cap).fill(null);
    const sums = new Int32Array(cap);
    const kinds = new Uint8Array(cap);
    const ids = new Float64Array(cap);
    const sliced = new Uint8Array(cap);
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask;
      bufs[k] = this.bufs[i]!;
      sums[k] = this.sums[i]!;
      kinds[k] = this.kinds[i]!;
      ids[k] = this.ids[i]!;
      sliced[k] = this.sliced[i]!;
    }
    this.bufs = bufs;
    this.sums = sums;
    this.kinds = kinds;
    this.ids = ids;
    this.sliced = sliced;
    this.cap = cap;
    this.mask = cap - 1;
    this.head = 0;
  }

  private checkSlice(where: string, offset: number, len: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len <= 0 || offset + len > this._length) {
      throw new RangeError(`SendBuffer.${where}: range [${offset}, ${offset}+${len}) is not a non-empty part of the ${this._length} queued bytes`);
    }
  }

  /** Chunk k holding byte `offset` and the offset of its first byte, left in findK / findStart. */
  private findK = 0;
  private findStart = 0;
  private find(offset: number): void {
    let k = 0;
    let start = 0;
    if (this.curK >= 0 && this.curK < this.count && this.curStart <= offset) {
      k = this.curK;
      start = this.curStart;
    }
    for (;;) {
      const l = this.bufs[(this.head + k) & this.mask]!.length;
      if (offset < start + l) break;
      start += l;
      k++;
    }
    this.findK = k;
    this.findStart = start;
  }

  /**
   * The payload of one segment: a chain of read-only clones covering
   * [offset, offset+len) (offset 0 = SND.UNA), across chunk boundaries. The
   * caller owns the chain. Null when the pool has no handles left.
   * RangeError unless 0 < len and offset + len <= length.
   */
  slice(offset: number, len: number): PacketBuffer | null {
    this.checkSlice('slice', offset, len);
    this.find(offset);
    let k = this.findK;
    let start = this.findStart;
    this.curK = k;
    this.curStart = start;
    let first: PacketBuffer | null = null;
    let last: PacketBuffer | null = null;
    let pos = offset - start;
    let remaining = len;
    for (;;) {
      const idx = (this.head + k) & this.mask;
      const b = this.bufs[idx]!;
      const l = b.length;
      const n = l - pos < remaining ? l - pos : remaining;
      const c = this.pool.clone(b, pos, n);
      if (c === null) {
        if (first !== null) first.release();
        return null;
      }
      this.sliced[idx] = 1;
      if (last === null) first = c;
      else last.next = c;
      last = c;
      remaining -= n;
      if (remaining === 0) break;
      start += l;
      k++;
      pos = 0;
    }
    return first;
  }

  /** The payload sum of [offset, offset+len) when it is known (see the module comment), else -1. */
  sumOf(offset: number, len: number): number {
    this.checkSlice('sumOf', offset, len);
    this.find(offset);
    if (this.findStart !== offset) return -1;
    let k = this.findK;
    let acc = 0;
    let odd = false;
    let remaining = len;
    while (remaining > 0) {
      if (k >= this.count) return -1;
      const idx = (this.head + k) & this.mask;
      const l = this.bufs[idx]!.length;
      const s = this.sums[idx]!;
      if (s < 0 || l > remaining) return -1;
      acc = combineSums(acc, s, odd);
      if ((l & 1) === 1) odd = !odd;
      remaining -= l;
      k++;
    }
    return acc;
  }

  /**
   * Bytes sumRange had to read itself in its last call (0 when every piece came
   * from stored chunk sums): the caller reports them as acct.csum.
   */
  lastSoftwareBytes = 0;

  /**
   * The payload sum of [offset, offset+len), always (16-bit folded, uninverted;
   * src/wire/checksum.ts conventions). Chunks the range covers whole with a known
   * sum (appendCopySum) cost nothing; for a chunk it covers in part, or one
   * without a sum, the bytes are summed here — for a part of a chunk with a known
   * sum only the smaller side: the part itself, or the rest of the chunk,
   * subtracted from the chunk's sum (RFC 1624 §3 ones'-complement arithmetic).
   * Pieces combine with a byte swap when they start at an odd offset of the
   * range (RFC 1071 §2(B)). lastSoftwareBytes says how many bytes were read.
   */
  sumRange(offset: number, len: number): number {
    this.checkSlice('sumRange', offset, len);
    this.find(offset);
    const engine = this.pool.checksum;
    let k = this.findK;
    let start = this.findStart;
    let acc = 0;
    let at = 0; // offset of the next piece within the range
    let soft = 0;
    while (at < len) {
      const idx = (this.head + k) & this.mask;
      const b = this.bufs[idx]!;
      const l = b.length;
      const a = offset + at - start; // piece [a, e) of the chunk
      const e = Math.min(l, a + (len - at));
      const n = e - a;
      const s = this.sums[idx]!;
      let piece: number;
      if (s >= 0 && a === 0 && e === l) {
        piece = s;
      } else if (s >= 0 && l - n < n) {
        // sum[a,e) = S − sum[0,a) − sum[e,l), each placed at its parity within the chunk.
        let rest = 0;
        if (a > 0) rest = engine.sum(b.bytes, b.head, a);
        if (e < l) rest = combineSums(rest, engine.sum(b.bytes, b.head + e, l - e), (e & 1) === 1);
        soft += l - n;
        const within = foldSum(s + (~rest & 0xffff)); // the piece as it sits in the chunk (parity of a)
        piece = (a & 1) === 1 ? swap16(within) : within;
      } else {
        piece = engine.sum(b.bytes, b.head + a, n);
        soft += n;
      }
      acc = combineSums(acc, piece, (at & 1) === 1);
      at += n;
      start += l;
      k++;
    }
    this.lastSoftwareBytes = soft;
    return acc;
  }

  /**
   * `bytes` at the front were acknowledged: drop them, releasing whole chunks
   * (a partially acknowledged chunk is trimmed) and reporting zero-copy
   * completions in append order. RangeError if bytes > length.
   */
  ack(bytes: number): void {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > this._length) {
      throw new RangeError(`SendBuffer.ack(${String(bytes)}): must be an integer in [0, ${this._length}]`);
    }
    let remaining = bytes;
    let removed = 0;
    while (remaining > 0 && this.count > 0) {
      const idx = this.head;
      const b = this.bufs[idx]!;
      const l = b.length;
      if (l > remaining) {
        // Partially acknowledged: the chunk's sum no longer describes its window.
        b.trimFront(remaining);
        this.sums[idx] = -1;
        this._length -= remaining;
        remaining = 0;
        break;
      }
      this.bufs[idx] = null;
      this.head = (this.head + 1) & this.mask;
      this.count--;
      this._length -= l;
      remaining -= l;
      removed++;
      const zc = this.kinds[idx] === KIND_ZEROCOPY;
      const id = this.ids[idx]!;
      b.release();
      if (zc && this.onComplete !== null) this.onComplete(id);
    }
    if (this.curK >= 0) {
      if (this.curK - removed <= 0) this.curK = -1;
      else {
        this.curK -= removed;
        this.curStart -= bytes;
      }
    }
    if (this.count === 0) this.head = 0;
  }

  /** Release every chunk. Pending zero-copy ids are not reported (their bytes were never acknowledged). */
  clear(): void {
    for (let k = 0; k < this.count; k++) {
      const idx = (this.head + k) & this.mask;
      const b = this.bufs[idx]!;
      this.bufs[idx] = null;
      b.release();
    }
    this.count = 0;
    this.head = 0;
    this._length = 0;
    this.curK = -1;
  }
}
