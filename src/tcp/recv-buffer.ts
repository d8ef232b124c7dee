/**
 * In-order received data not yet read by the application, kept as the payload
 * windows of the received packets (no copy on receive).
 *
 * Owns: the queued PacketBuffers (ownership taken on push), the readable byte
 * count, and the three ways out: copy (read), fused copy+checksum (readCsum, the
 * prequeue path's deferred verification, receive-path issue F) and zero-copy
 * hand-off of the windows themselves (readViews).
 * Must not: know sequence numbers or windows (the TCB computes the advertised
 * window from `length` and `limit`), or touch bytes it does not own.
 *
 * Buffers sit in a ring (reused, grows only). A partially read buffer is
 * trimmed at the front (trimFront only moves this handle's head, so it is
 * allowed on shared storage too). Chained buffers are split into their
 * elements on push; the caller must hold the only reference to the chain.
 */
import type { Accounting } from '../acct/accounting.js';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { combineSums, type ChecksumEngine } from '../wire/checksum.js';

/** readCsum's result: one object per RecvBuffer, overwritten by every call (no allocation). */
export interface CsumReadResult {
  /** Bytes copied. */
  bytes: number;
  /** Ones'-complement sum of the copied bytes as one sequence (16-bit folded, not inverted); 0 when none. */
  sum: number;
}

/** Below this many bytes a loop beats creating a subarray view for TypedArray.set. */
const SMALL_COPY = 32;

function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (n <= SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[dstOff + i] = src[srcOff + i]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}

function checkDst(where: string, dst: Uint8Array, off: number, len: number): void {
  if (!(dst instanceof Uint8Array)) throw new TypeError(`${where}: dst must be a Uint8Array, got ${String(dst)}`);
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > dst.length) {
    throw new RangeError(`${where}: range [${off}, ${off}+${len}) is outside the destination (${dst.length} bytes)`);
  }
}

export class RecvBuffer {
  private readonly acct: Accounting;
  private _limit = 0;
  private _length = 0;

  private ring: (PacketBuffer | null)[] = new Array<PacketBuffer | null>(16).fill(null);
  private mask = 15;
  private head = 0;
  private count = 0;

  private readonly result: CsumReadResult = { bytes: 0, sum: 0 };

  constructor(limitBytes: number, acct: Accounting) {
    this.acct = acct;
    this.setLimit(limitBytes);
  }

  /** Bytes readable. */
  get length(): number {
    return this._length;
  }

  /** The receive buffer size (SO_RCVBUF): the window is computed from limit − length. */
  get limit(): number {
    return this._limit;
  }

  setLimit(limitBytes: number): void {
    if (!Number.isInteger(limitBytes) || limitBytes < 0) {
      throw new RangeError(`RecvBuffer limitBytes must be an integer >= 0, got ${String(limitBytes)}`);
    }
    this._limit = limitBytes;
  }

  /** limit − length, at least 0. */
  space(): number {
    const s = this._limit - this._length;
    return s > 0 ? s : 0;
  }

  /** Buffers queued (tests, diagnostics). */
  get bufferCount(): number {
    return this.count;
  }

  /**
   * Append an in-order payload window, taking ownership. Empty buffers are
   * released at once. The limit is not enforced here: the advertised window is.
   */
  push(buf: PacketBuffer): void {
    let b: PacketBuffer | null = buf;
    while (b !== null) {
      const next: PacketBuffer | null = b.next;
      b.next = null;
      if (b.tail === b.head) b.release();
      else {
        if (this.count === this.ring.length) this.grow();
        this.ring[(this.head + this.count) & this.mask] = b;
        this.count++;
        this._length += b.tail - b.head;
      }
      b = next;
    }
  }

  private grow(): void {
    const cap = this.ring.length * 2;
    const ring = new Array<PacketBuffer | null>(cap).fill(null);
    for (let k = 0; k < this.count; k++) ring[k] = this.ring[(this.head + k) & this.mask]!;
    this.ring = ring;
    this.mask = cap - 1;
    this.head = 0;
  }

  /** Drop the front buffer from the ring (not released) and return it. */
  private shift(): PacketBuffer {
    const b = this.ring[this.head]!;
    this.ring[this.head] = null;
    this.head = (this.head + 1) & this.mask;
    this.count--;
    if (this.count === 0) this.head = 0;
    return b;
  }

  /**
   * Copy up to `len` bytes into dst[off, …) (acct.copy), consuming them:
   * emptied buffers are released, a partly read one trimmed. Returns the bytes
   * copied (0 when empty).
   */
  read(dst: Uint8Array, off: number, len: number): number {
    checkDst('RecvBuffer.read', dst, off, len);
    let n = 0;
    while (n < len && this.count > 0) {
      const b = this.ring[this.head]!;
      const avail = b.tail - b.head;
      const take = avail < len - n ? avail : len - n;
      copyBytes(b.bytes, b.head, dst, off + n, take);
      n += take;
      if (take === avail) this.shift().release();
      else b.trimFront(take);
    }
    this._length -= n;
    if (n > 0) this.acct.copy(n);
    return n;
  }

  /**
   * Fused copy + checksum (engine.copyAndSum, acct.copyCsum): like read(), and
   * the result's `sum` is the ones'-complement sum of the copied bytes taken as
   * one sequence starting at an even position (combined across buffers of odd
   * length). Returns this RecvBuffer's reusable result object: read it before
   * the next call.
   */
  readCsum(dst: Uint8Array, off: number, len: number, engine: ChecksumEngine): CsumReadResult {
    checkDst('RecvBuffer.readCsum', dst, off, len);
    let n = 0;
    let sum = 0;
    while (n < len && this.count > 0) {
      const b = this.ring[this.head]!;
      const avail = b.tail - b.head;
      const take = avail < len - n ? avail : len - n;
      const s = engine.copyAndSum(b.bytes, b.head, dst, off + n, take);
      sum = combineSums(sum, s, (n & 1) === 1);
      n += take;
      if (take === avail) this.shift().release();
      else b.trimFront(take);
    }
    this._length -= n;
    if (n > 0) this.acct.copyCsum(n);
    const r = this.result;
    r.bytes = n;
    r.sum = sum;
    return r;
  }

  /**
   * Zero-copy read: move up to `max` whole buffers into out[0..k) and return k.
   * The caller owns them (reads their bytes in place, then releases each). No
   * copy, so no accounting. `max` counts buffers, not bytes.
   */
  readViews(max: number, out: PacketBuffer[]): number {
    let k = 0;
    while (k < max && this.count > 0) {
      const b = this.shift();
      this._length -= b.tail - b.head;
      out[k++] = b;
    }
    return k;
  }

  /** Release everything. */
  clear(): void {
    while (this.count > 0) this.shift().release();
    this._length = 0;
  }
}
