/**
 * PacketBuffer: one handle on a window of packet bytes (an sk_buff without the
 * protocol fields), allocated and recycled by a PacketPool (pool.ts).
 *
 * Owns: the window arithmetic (head/tail inside start/end: headroom, tailroom,
 * prepend, append, trim), the scatter-gather chain link `next`, per-packet
 * checksum metadata (Linux ip_summed) and the receive timestamp.
 * Must not: allocate memory, copy bytes, or know any packet format. Storage
 * refcounts, handle recycling and debug poisoning belong to the pool.
 *
 * Ownership (the full rules are in src/buf/README.md):
 *  - Every handle has exactly one owner per reference. `alloc`/`clone`/`wrap`
 *    return a handle with one reference; `retain()` adds a reference to the SAME
 *    handle (a second owner); each reference is dropped with exactly one `release()`.
 *  - Passing a buffer to a function that "takes ownership" (Nic.transmit, a
 *    receive handler, Ipv4Output.output, ...) transfers the reference: the caller
 *    must not touch the handle, its `bytes` or any view of them afterwards.
 *  - A chain head owns its `next` elements: when the head's last reference is
 *    dropped the rest of the chain is released too (kfree_skb with frags).
 *  - Storage shared by several references (a clone, or a retained handle) is
 *    read-only: never prepend, append or write into it; put new headers into a
 *    fresh buffer chained in front. `isShared()` tells; debug pools enforce it.
 *  - `bytes` (for pool buffers: the whole pool memory) must never be read or kept
 *    beyond release: the storage is reused by the next alloc.
 */

/** Linux ip_summed values (include/linux/skbuff.h "Checksumming of received/transmitted packets"). */
/** Nothing is known about the checksum: software must verify (rx) / the checksum is already complete (tx). */
export const CSUM_NONE = 0;
/** rx: the device verified the L4 checksum; do not check it again. */
export const CSUM_UNNECESSARY = 1;
/** rx: `csumValue` is the ones'-complement sum of the L3 payload as received, supplied by the device. */
export const CSUM_COMPLETE = 2;
/** tx: the device must compute the checksum from head+csumStart to the end and store it at csumStart+csumOffset. */
export const CSUM_PARTIAL = 3;

export type PacketBufferErrorCode = 'ERR_BUFFER_RELEASED' | 'ERR_BUFFER_DOUBLE_RELEASE' | 'ERR_BUFFER_SHARED';

/** An ownership-rule violation: a programming error, thrown by debug pools (and by a few cheap production checks). */
export class PacketBufferError extends Error {
  readonly code: PacketBufferErrorCode;
  constructor(code: PacketBufferErrorCode, message: string) {
    super(message);
    this.name = 'PacketBufferError';
    this.code = code;
  }
}

/**
 * @internal What a handle needs from the pool that made it. An interface rather
 * than the PacketPool class so that this module does not import pool.ts.
 */
export interface BufferOwner {
  readonly debug: boolean;
  /** References to the storage identified by `storage` (pool slot >= 0, external record ~k < 0). */
  storageRefs(storage: number): number;
  retainStorage(storage: number): void;
  /** Drop one reference of `buf`, and of its chain when it was the last. */
  releaseChain(buf: PacketBuffer): void;
}

const EMPTY = new Uint8Array(0);

/**
 * A handle on bytes[head, tail) inside bytes[start, end). Created only by a
 * PacketPool (`alloc`, `clone`, `wrap`, `allocCopy`); see the module comment for
 * the ownership rules.
 *
 * All offsets are absolute indices into `bytes`, except `csumStart`, which is
 * relative to `head` (and moves with it: prepend/trimFront shift it so that it
 * keeps designating the same byte, as Linux's csum_start relative to skb->head does).
 */
export class PacketBuffer {
  /** Backing bytes. Pool buffers: the pool's whole memory view (shared by all its buffers). Wrapped buffers: the caller's array. */
  bytes: Uint8Array = EMPTY;
  /** Absolute offset in `bytes` of the first valid byte. */
  head = 0;
  /** Absolute offset in `bytes` just after the last valid byte. */
  tail = 0;
  /** The next buffer of the same frame/segment (scatter-gather), owned by this one. */
  next: PacketBuffer | null = null;
  /** rx: ip_summed (CSUM_*). tx: CSUM_PARTIAL requests checksum offload. */
  csumState = CSUM_NONE;
  /** rx with CSUM_COMPLETE: the device-supplied ones'-complement sum (16-bit, folded, not inverted). */
  csumValue = 0;
  /** tx with CSUM_PARTIAL: where checksumming starts, relative to `head`. */
  csumStart = 0;
  /** tx with CSUM_PARTIAL: where the checksum field is, relative to csumStart. */
  csumOffset = 0;
  /** Receive (or capture) time in ns from the link's Clock; 0 when unset. */
  timestamp = 0;

  /** @internal Lower bound `head` may be prepended to. */
  _start = 0;
  /** @internal Upper bound `tail` may be appended to. */
  _end = 0;
  /** @internal Storage id: pool slot index (>= 0) or ~externalRecord (< 0). */
  _storage = 0;
  /** @internal References to this handle (1 after alloc; +1 per retain; 0 when released/free). */
  _refs = 0;
  /** @internal */
  readonly _owner: BufferOwner;

  /** @internal Only PacketPool creates handles. */
  constructor(owner: BufferOwner) {
    this._owner = owner;
  }

  /** Absolute lower bound of this handle's window (headroom = head - start). */
  get start(): number {
    return this._start;
  }

  /** Absolute upper bound of this handle's window (tailroom = end - tail). */
  get end(): number {
    return this._end;
  }

  /** Valid bytes in this buffer (not the chain: see chainLength). */
  get length(): number {
    return this.tail - this.head;
  }

  headroom(): number {
    return this.head - this._start;
  }

  tailroom(): number {
    return this._end - this.tail;
  }

  /**
   * Grow the front by `n` bytes (to write a header there). Returns the new head.
   * RangeError if `n` is not a non-negative integer or exceeds the headroom.
   */
  prepend(n: number): number {
    if (this._owner.debug && n > 0) this.checkUnshared('prepend');
    if (n >>> 0 !== n || n > this.head - this._start) {
      throw new RangeError(`prepend(${n}): headroom is ${this.head - this._start}`);
    }
    this.head -= n;
    this.csumStart += n;
    return this.head;
  }

  /**
   * Grow the back by `n` bytes. Returns the old tail: where to write the new bytes.
   * RangeError if `n` is not a non-negative integer or exceeds the tailroom.
   */
  append(n: number): number {
    if (this._owner.debug && n > 0) this.checkUnshared('append');
    const t = this.tail;
    if (n >>> 0 !== n || n > this._end - t) {
      throw new RangeError(`append(${n}): tailroom is ${this._end - t}`);
    }
    this.tail = t + n;
    return t;
  }

  /** Drop `n` bytes from the front (e.g. a parsed header). RangeError if n > length. */
  trimFront(n: number): void {
    if (n >>> 0 !== n || n > this.tail - this.head) {
      throw new RangeError(`trimFront(${n}): length is ${this.tail - this.head}`);
    }
    this.head += n;
    this.csumStart -= n;
  }

  /** Drop `n` bytes from the back (e.g. Ethernet padding). RangeError if n > length. */
  trimBack(n: number): void {
    if (n >>> 0 !== n || n > this.tail - this.head) {
      throw new RangeError(`trimBack(${n}): length is ${this.tail - this.head}`);
    }
    this.tail -= n;
  }

  /** Total valid bytes over this buffer and its `next` chain. */
  chainLength(): number {
    let total = this.tail - this.head;
    for (let b = this.next; b !== null; b = b.next) total += b.tail - b.head;
    return total;
  }

  /**
   * Add a reference to this same handle (a second owner, who must release it
   * too). The storage becomes shared: nobody may write into it until only one
   * reference is left. Returns `this`.
   */
  retain(): this {
    if (this._refs <= 0) throw new PacketBufferError('ERR_BUFFER_RELEASED', 'retain() on a released PacketBuffer');
    this._refs++;
    this._owner.retainStorage(this._storage);
    return this;
  }

  /**
   * Drop one reference. When it was the last, the handle is recycled and the
   * rest of its chain is released too; storage returns to its pool (or a
   * wrapped array's onRelease runs) when its last reference is gone.
   */
  release(): void {
    this._owner.releaseChain(this);
  }

  /** Whether this handle's storage has more than one reference (clone or retain): then it is read-only. */
  isShared(): boolean {
    return this._owner.storageRefs(this._storage) > 1;
  }

  /** bytes.subarray(head, tail). Allocates a view: for tests and APIs, not for per-packet code. */
  view(): Uint8Array {
    return this.bytes.subarray(this.head, this.tail);
  }

  private checkUnshared(op: string): void {
    if (this._owner.storageRefs(this._storage) > 1) {
      throw new PacketBufferError(
        'ERR_BUFFER_SHARED',
        `${op}() on a PacketBuffer whose storage is shared (cloned or retained): shared storage is read-only`,
      );
    }
  }
}

// --- debug-mode poisoning (used by PacketPool when options.debug is true) ---

const POISONED_FIELDS = [
  'bytes',
  'head',
  'tail',
  'next',
  'csumState',
  'csumValue',
  'csumStart',
  'csumOffset',
  'timestamp',
  'start',
  'end',
  'length',
] as const;
const POISONED_METHODS = [
  'headroom',
  'tailroom',
  'prepend',
  'append',
  'trimFront',
  'trimBack',
  'chainLength',
  'retain',
  'isShared',
  'view',
] as const;

function throwReleased(): never {
  throw new PacketBufferError('ERR_BUFFER_RELEASED', 'use of a released PacketBuffer');
}
function throwDoubleRelease(): never {
  throw new PacketBufferError('ERR_BUFFER_DOUBLE_RELEASE', 'release() of an already released PacketBuffer');
}

/**
 * @internal Make every public field and method of a released handle throw.
 * Debug pools never recycle handles, so a poisoned handle stays poisoned; the
 * own accessors shadow the fields, which changes the object's shape — fine in
 * debug mode, and the reason production mode does not do it.
 */
export function poisonHandle(buf: PacketBuffer): void {
  for (const name of POISONED_FIELDS) {
    Object.defineProperty(buf, name, { get: throwReleased, set: throwReleased, configurable: true, enumerable: false });
  }
  for (const name of POISONED_METHODS) {
    Object.defineProperty(buf, name, { value: throwReleased, configurable: true, enumerable: false });
  }
  Object.defineProperty(buf, 'release', { value: throwDoubleRelease, configurable: true, enumerable: false });
}

/** @internal The empty array released handles point at, so they do not keep external arrays alive. */
export const EMPTY_BYTES = EMPTY;
