/**
 * PacketPool: the slab allocator behind every PacketBuffer (DESIGN principle 3).
 *
 * Owns: one fixed-size WebAssembly.Memory (created once, never grown: growing
 * would detach every view), the checksum engine bound to it, fixed size classes
 * of storage slots with O(1) free lists in typed arrays, storage refcounts,
 * wrapped external arrays, and the recycling of PacketBuffer handles.
 * Must not: know packet formats, read the clock, or throw for exhaustion — a
 * full pool is a counted, recoverable condition (`alloc` returns null).
 *
 * Memory layout (offsets into `bytes`):
 *
 *   [0, scratch)               checksum engine scratch (checksumScratchBytes)
 *   [class 0 region)           slots of slotSizes[0] bytes, 64-byte aligned region
 *   [class 1 region) ...       one region per size class, smallest first
 *
 * Steady state allocates no JS objects (DESIGN principle 4): free slots are
 * Int32Array stacks, refcounts an Int32Array, released handles go to a free
 * list and are reused, wrapped-array records are recycled too. Debug pools
 * trade that for detection: handles are never reused and are poisoned on
 * release, freed storage is filled with 0xDB, and writes into shared storage
 * throw (see README.md "Debug mode").
 */
import { createWasmChecksum, bestChecksumEngine, type WasmMemory } from '../wire/checksum-wasm.js';
import type { ChecksumEngine } from '../wire/checksum.js';
import {
  CSUM_NONE,
  CSUM_UNNECESSARY,
  EMPTY_BYTES,
  PacketBuffer,
  PacketBufferError,
  poisonHandle,
  type BufferOwner,
} from './packet-buffer.js';
import { describeValue } from '../util/describe.js';

/** The byte freed storage is filled with in debug mode, so stale views read obvious garbage. */
export const POISON_BYTE = 0xdb;

const PAGE = 65536;
/** wasm32 limit: 65536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 65536 * PAGE;
const ALIGN = 64;

/**
 * One size class. Give either `share` (fraction of the slab memory left after the
 * scratch region and the `count` classes) or `count` (number of slots); a class
 * with neither gets an equal part of the share the others leave.
 */
export interface SizeClassOptions {
  /** Slot size in bytes (headroom included). Multiples of 64 keep slots aligned. */
  size: number;
  share?: number;
  count?: number;
}

export interface PacketPoolOptions {
  /** Size of the WebAssembly.Memory, rounded up to 64 KiB pages. Default 64 MiB. */
  memoryBytes?: number;
  /**
   * Size classes, smallest first (strictly increasing sizes). A number is a size
   * with an equal share. Default: 2048 (½ of the memory), 16384 (¼), and
   * 64 KiB + headroom for MTU-65535 frames (¼).
   */
  slotSizes?: readonly (number | SizeClassOptions)[];
  /** Default headroom of `alloc` in bytes. Default 160 (room for Ethernet + IPv4 + TCP with options). */
  headroom?: number;
  /** Detect ownership bugs (see README.md "Debug mode"). Default false. */
  debug?: boolean;
  /** Bytes reserved at offset 0 for the checksum engine's scratch use. Default 64 KiB. */
  checksumScratchBytes?: number;
  /** Cap on live handles from alloc/clone (null when reached, counted). Default 2^20. wrap is not capped. */
  maxHandles?: number;
}

export interface PacketPoolClassStats {
  readonly size: number;
  readonly slots: number;
  /** Slots currently in use. */
  inUse: number;
  /** Most slots ever in use at once. */
  highWater: number;
  allocs: number;
  /** Failed allocs: no free slot in this class. */
  exhausted: number;
}

export interface PacketPoolStats {
  /** Storage slots handed out (alloc, allocCopy). */
  allocs: number;
  /** Storage slots returned to the free lists. allocs - releases === inUse. */
  releases: number;
  /** Storage slots in use (a slot shared by clones counts once). */
  inUse: number;
  /** Failed allocs because the fitting class had no free slot. */
  exhausted: number;
  /** Failed allocs because headroom + size exceeds the largest class. */
  oversize: number;
  clones: number;
  wraps: number;
  /** Wrapped external arrays whose last reference is not yet dropped. */
  externalInUse: number;
  /** Handles (PacketBuffer objects) with at least one reference. */
  handlesInUse: number;
  /** PacketBuffer objects ever constructed; flat in steady state (production mode). */
  handlesCreated: number;
  /** alloc/clone failures because maxHandles live handles exist. */
  handlesExhausted: number;
  /** release() of a handle (or storage) with no references left: production mode counts instead of throwing. */
  doubleRelease: number;
  readonly classes: readonly PacketPoolClassStats[];
}

type OnRelease = (ctx: unknown) => void;

/**
 * The parts of WebAssembly.Memory the pool exposes. Typed locally because the
 * project has no lib.dom typings (as src/wire/checksum-wasm.ts's WasmMemory);
 * at run time it is a real WebAssembly.Memory.
 */
export interface PoolMemory extends WasmMemory {
  /** Never call it: a pool's memory has maximum === initial, so grow throws (growing would detach every view). */
  grow(deltaPages: number): number;
}

interface WasmMemoryApi {
  Memory: new (descriptor: { initial: number; maximum?: number }) => PoolMemory;
}

function fail(name: string, value: unknown, what: string, type: 'range' | 'type' = 'range'): never {
  const msg = `PacketPool option ${name} must be ${what} (got ${describeValue(value)})`;
  throw type === 'range' ? new RangeError(msg) : new TypeError(msg);
}


function intOption(name: string, value: unknown, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number') fail(name, value, `an integer in [${min}, ${max}]`, 'type');
  if (!Number.isInteger(value) || value < min || value > max) fail(name, value, `an integer in [${min}, ${max}]`);
  return value;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

interface ResolvedClass {
  size: number;
  count: number;
}

function resolveClasses(
  spec: readonly (number | SizeClassOptions)[] | undefined,
  headroom: number,
  slabBytes: number,
  memoryBytes: number,
): ResolvedClass[] {
  if (!Array.isArray(spec) && spec !== undefined) fail('slotSizes', spec, 'an array of sizes or {size, share|count}', 'type');
  const entries: (number | SizeClassOptions)[] = spec
    ? [...spec]
    : [
        { size: 2048, share: 0.5 },
        { size: 16384, share: 0.25 },
        // An MTU-65535 IPv4 packet in an Ethernet frame, plus the default headroom.
        { size: alignUp(65535 + 14 + headroom, ALIGN), share: 0.25 },
      ];
  if (entries.length === 0 || entries.length > 32) fail('slotSizes', spec, 'a non-empty array of at most 32 classes');
  const norm: { size: number; share?: number; count?: number }[] = [];
  let prev = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const name = `slotSizes[${i}]`;
    const o = typeof e === 'number' ? { size: e } : e;
    if (typeof o !== 'object' || o === null) fail(name, e, 'a size or {size, share|count}', 'type');
    if (o.size === undefined) fail(`${name}.size`, o.size, 'a positive integer', 'type');
    const size = intOption(`${name}.size`, o.size, 0, 1, MAX_MEMORY_BYTES);
    if (size <= prev) fail(`${name}.size`, size, `larger than the previous class (${prev}); sizes must increase`);
    prev = size;
    if (o.share !== undefined && o.count !== undefined) fail(name, e, 'either share or count, not both', 'type');
    if (o.share !== undefined && (typeof o.share !== 'number' || !(o.share > 0 && o.share <= 1))) {
      fail(`${name}.share`, o.share, 'a number in (0, 1]');
    }
    const count = o.count === undefined ? undefined : intOption(`${name}.count`, o.count, 0, 1, 2 ** 31 - 1);
    norm.push({ size, share: o.share, count });
  }
  // Count classes first, then shares of what is left; classes with neither split the rest equally.
  let countBytes = 0;
  for (const n of norm) if (n.count !== undefined) countBytes += alignUp(n.count * n.size, ALIGN);
  if (countBytes > slabBytes) {
    fail('slotSizes', spec, `classes that fit the ${slabBytes} bytes after the scratch region (counts need ${countBytes})`);
  }
  const shareSum = norm.reduce((s, n) => s + (n.share ?? 0), 0);
  if (shareSum > 1 + 1e-9) fail('slotSizes', spec, 'shares summing to at most 1');
  const rest = norm.filter((n) => n.share === undefined && n.count === undefined).length;
  const restShare = rest > 0 ? (1 - shareSum) / rest : 0;
  if (rest > 0 && !(restShare > 0)) fail('slotSizes', spec, 'explicit shares below 1 when some classes have no share');
  const left = slabBytes - countBytes;
  const out: ResolvedClass[] = [];
  let total = 0;
  for (let i = 0; i < norm.length; i++) {
    const n = norm[i]!;
    const count =
      n.count ?? Math.floor(Math.max(0, Math.floor(left * (n.share ?? restShare)) - (ALIGN - 1)) / n.size);
    if (count < 1) {
      fail('memoryBytes', memoryBytes, `large enough for one slot of slotSizes[${i}] (${n.size} bytes) in its share`);
    }
    total += alignUp(count * n.size, ALIGN);
    out.push({ size: n.size, count });
  }
  if (total > slabBytes) fail('slotSizes', spec, `classes that fit the ${slabBytes} bytes of slab memory`);
  return out;
}

/**
 * A pool of packet buffers over one WebAssembly.Memory. See the module comment
 * and src/buf/README.md for the ownership rules.
 */
export class PacketPool implements BufferOwner {
  /** A WebAssembly.Memory, created once with maximum === initial: it can never grow. */
  readonly memory: PoolMemory;
  /** View of the whole memory: the `bytes` of every pool buffer. */
  readonly bytes: Uint8Array;
  /** Checksum engine bound to `memory` (WASM SIMD in place; JS fallback). */
  readonly checksum: ChecksumEngine;
  /** Default headroom of `alloc`. */
  readonly headroom: number;
  readonly debug: boolean;
  /** Slot sizes of the classes, smallest first. */
  readonly sizeClasses: readonly number[];
  /** The largest class size: alloc(size, headroom) needs headroom + size <= this. */
  readonly maxSlotSize: number;
  /** Checksum scratch region [offset, offset+length) at the start of memory. */
  readonly scratch: { readonly offset: number; readonly length: number };
  readonly stats: PacketPoolStats;

  private readonly maxHandles: number;
  private readonly nClasses: number;
  private readonly classSize: Int32Array;
  /** Per class: stack of free global slot indices, and its top. */
  private readonly freeStacks: Int32Array[];
  private readonly freeTop: Int32Array;
  /** Per global slot: byte offset, class, references. */
  private readonly slotBase: Float64Array;
  private readonly slotClass: Uint8Array;
  private readonly slotRefs: Int32Array;
  private readonly classStats: PacketPoolClassStats[];

  /** Released handles for reuse (production mode); entries at >= freeHandleCount are stale. */
  private readonly freeHandles: PacketBuffer[] = [];
  private freeHandleCount = 0;

  /** Wrapped external arrays: parallel arrays indexed by record k (storage id ~k), recycled via extFree. */
  private readonly extArrays: Uint8Array[] = [];
  private readonly extOnRelease: (OnRelease | null)[] = [];
  private readonly extCtx: unknown[] = [];
  private readonly extRefs: number[] = [];
  private readonly extFree: number[] = [];
  private extFreeCount = 0;

  /** First error thrown by an onRelease callback during the current releaseChain. */
  private releaseError: unknown = undefined;
  private releaseFailed = false;

  constructor(options: PacketPoolOptions = {}) {
    if (typeof options !== 'object' || options === null) fail('options', options, 'an object', 'type');
    const memoryBytes = intOption('memoryBytes', options.memoryBytes, 64 * 1024 * 1024, PAGE, MAX_MEMORY_BYTES);
    const headroom = intOption('headroom', options.headroom, 160, 0, MAX_MEMORY_BYTES);
    const scratchBytes = intOption('checksumScratchBytes', options.checksumScratchBytes, 65536, 0, MAX_MEMORY_BYTES);
    const maxHandles =
      options.maxHandles === Infinity ? Infinity : intOption('maxHandles', options.maxHandles, 1 << 20, 1, 2 ** 31 - 1);
    if (options.debug !== undefined && typeof options.debug !== 'boolean') {
      fail('debug', options.debug, 'a boolean', 'type');
    }
    const pages = Math.ceil(memoryBytes / PAGE);
    const totalBytes = pages * PAGE;
    const scratchLen = alignUp(scratchBytes, ALIGN);
    if (scratchLen >= totalBytes) fail('checksumScratchBytes', scratchBytes, `less than memoryBytes (${totalBytes})`);
    const classes = resolveClasses(options.slotSizes, headroom, totalBytes - scratchLen, memoryBytes);
    const largest = classes[classes.length - 1]!.size;
    if (headroom >= largest) fail('headroom', headroom, `smaller than the largest slot size (${largest})`);

    this.debug = options.debug ?? false;
    this.headroom = headroom;
    this.maxHandles = maxHandles;
    // maximum === initial: the memory can never grow, so views never detach.
    const api = (globalThis as { WebAssembly?: WasmMemoryApi }).WebAssembly;
    if (!api) throw new Error('PacketPool needs WebAssembly.Memory, which this runtime does not provide');
    this.memory = new api.Memory({ initial: pages, maximum: pages });
    this.bytes = new Uint8Array(this.memory.buffer);
    this.scratch = Object.freeze({ offset: 0, length: scratchLen });
    this.checksum =
      (scratchLen > 0 ? createWasmChecksum(this.memory, { offset: 0, length: scratchLen }) : null) ??
      bestChecksumEngine(this.memory);

    this.nClasses = classes.length;
    this.classSize = Int32Array.from(classes, (c) => c.size);
    this.sizeClasses = Object.freeze(classes.map((c) => c.size));
    this.maxSlotSize = largest;
    const nSlots = classes.reduce((s, c) => s + c.count, 0);
    this.slotBase = new Float64Array(nSlots);
    this.slotClass = new Uint8Array(nSlots);
    this.slotRefs = new Int32Array(nSlots);
    this.freeStacks = [];
    this.freeTop = new Int32Array(this.nClasses);
    this.classStats = [];
    let offset = scratchLen;
    let slot = 0;
    for (let c = 0; c < classes.length; c++) {
      const { size, count } = classes[c]!;
      offset = alignUp(offset, ALIGN);
      const stack = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        this.slotBase[slot] = offset + i * size;
        this.slotClass[slot] = c;
        // Highest index at the bottom so that the first alloc gets the lowest address.
        stack[count - 1 - i] = slot;
        slot++;
      }
      offset += count * size;
      this.freeStacks.push(stack);
      this.freeTop[c] = count;
      this.classStats.push({ size, slots: count, inUse: 0, highWater: 0, allocs: 0, exhausted: 0 });
    }
    if (this.debug) this.bytes.fill(POISON_BYTE, scratchLen);
    this.stats = {
      allocs: 0,
      releases: 0,
      inUse: 0,
      exhausted: 0,
      oversize: 0,
      clones: 0,
      wraps: 0,
      externalInUse: 0,
      handlesInUse: 0,
      handlesCreated: 0,
      handlesExhausted: 0,
      doubleRelease: 0,
      classes: this.classStats,
    };
  }

  /**
   * A buffer with `headroom` bytes before head, length 0, and tailroom >= size
   * (the rest of the slot), from the smallest class with slot size >= headroom + size.
   * Returns null — counted in stats.exhausted, stats.oversize or
   * stats.handlesExhausted — when it cannot; never throws for that. RangeError
   * for arguments that are not non-negative integers (a programming error).
   */
  alloc(size: number, headroom: number = this.headroom): PacketBuffer | null {
    if (size >>> 0 !== size || headroom >>> 0 !== headroom) {
      throw new RangeError(`alloc(${size}, ${headroom}): size and headroom must be non-negative integers`);
    }
    const need = size + headroom;
    let c = 0;
    while (c < this.nClasses && this.classSize[c]! < need) c++;
    if (c === this.nClasses) {
      this.stats.oversize++;
      return null;
    }
    const top = this.freeTop[c]!;
    if (top === 0) {
      this.stats.exhausted++;
      this.classStats[c]!.exhausted++;
      return null;
    }
    const h = this.takeHandle(false);
    if (h === null) return null;
    const slot = this.freeStacks[c]![top - 1]!;
    this.freeTop[c] = top - 1;
    this.slotRefs[slot] = 1;
    const cs = this.classStats[c]!;
    cs.allocs++;
    if (++cs.inUse > cs.highWater) cs.highWater = cs.inUse;
    this.stats.allocs++;
    this.stats.inUse++;
    const base = this.slotBase[slot]!;
    h.bytes = this.bytes;
    h._start = base;
    h._end = base + this.classSize[c]!;
    h.head = base + headroom;
    h.tail = base + headroom;
    h._storage = slot;
    return h;
  }

  /**
   * alloc(length, headroom) and copy src[offset, offset+length) into it (tail
   * advanced). Null when alloc would be. For drivers that receive into foreign
   * memory (a Node Buffer from a socket) and for tests.
   */
  allocCopy(src: Uint8Array, offset: number, length: number, headroom: number = this.headroom): PacketBuffer | null {
    if (offset >>> 0 !== offset || length >>> 0 !== length || offset + length > src.length) {
      throw new RangeError(`allocCopy: range [${offset}, ${offset}+${length}) is outside the source (${src.length} bytes)`);
    }
    const b = this.alloc(length, headroom);
    if (b === null) return null;
    this.bytes.set(src.subarray(offset, offset + length), b.tail);
    b.tail += length;
    return b;
  }

  /**
   * A new handle on buf's storage (skb_clone): window [buf.head+offset, +length),
   * no headroom or tailroom, sharing (and referencing) the storage. The storage
   * is read-only while shared. Copies `timestamp`, and csumState when it is
   * CSUM_UNNECESSARY (still true of any sub-range); COMPLETE/PARTIAL describe a
   * specific range, so the clone gets CSUM_NONE. `next` is not cloned.
   * Null (counted in stats.handlesExhausted) when maxHandles handles are live.
   * TypeError if `buf` comes from another pool.
   */
  clone(buf: PacketBuffer, offset: number, length: number): PacketBuffer | null {
    if (buf._refs <= 0) throw new PacketBufferError('ERR_BUFFER_RELEASED', 'clone() of a released PacketBuffer');
    // Storage ids index this pool's tables: a clone must come from the pool that owns the storage.
    if (buf._owner !== this) throw new TypeError('clone: the buffer belongs to another PacketPool (clone it with that pool)');
    if (offset >>> 0 !== offset || length >>> 0 !== length || offset + length > buf.tail - buf.head) {
      throw new RangeError(`clone: window [${offset}, ${offset}+${length}) is outside the buffer (length ${buf.tail - buf.head})`);
    }
    const h = this.takeHandle(false);
    if (h === null) return null;
    this.retainStorage(buf._storage);
    this.stats.clones++;
    const head = buf.head + offset;
    h.bytes = buf.bytes;
    h._start = head;
    h.head = head;
    h._end = head + length;
    h.tail = head + length;
    h._storage = buf._storage;
    h.timestamp = buf.timestamp;
    if (buf.csumState === CSUM_UNNECESSARY) h.csumState = CSUM_UNNECESSARY;
    return h;
  }

  /**
   * An external array as a buffer, without copying (zero-copy send): window
   * external[offset, offset+length), no headroom or tailroom. `onRelease(ctx)`
   * runs synchronously inside the release() that drops the last reference to
   * this storage (the handle and every clone of it). If it throws, the release
   * still completes and the error is rethrown from that release().
   * The caller must not modify the array until then. Not capped by maxHandles.
   */
  wrap(external: Uint8Array, offset: number, length: number, onRelease?: (ctx: unknown) => void, ctx?: unknown): PacketBuffer {
    if (!(external instanceof Uint8Array)) throw new TypeError(`wrap: external must be a Uint8Array (got ${describeValue(external)})`);
    if (offset >>> 0 !== offset || length >>> 0 !== length || offset + length > external.length) {
      throw new RangeError(`wrap: range [${offset}, ${offset}+${length}) is outside the array (${external.length} bytes)`);
    }
    if (onRelease !== undefined && typeof onRelease !== 'function') {
      throw new TypeError(`wrap: onRelease must be a function (got ${describeValue(onRelease)})`);
    }
    let k: number;
    if (this.extFreeCount > 0) {
      k = this.extFree[--this.extFreeCount]!;
      this.extArrays[k] = external;
      this.extOnRelease[k] = onRelease ?? null;
      this.extCtx[k] = ctx;
      this.extRefs[k] = 1;
    } else {
      k = this.extArrays.length;
      this.extArrays.push(external);
      this.extOnRelease.push(onRelease ?? null);
      this.extCtx.push(ctx);
      this.extRefs.push(1);
    }
    const h = this.takeHandle(true)!;
    this.stats.wraps++;
    this.stats.externalInUse++;
    h.bytes = external;
    h._start = offset;
    h.head = offset;
    h._end = offset + length;
    h.tail = offset + length;
    h._storage = ~k;
    return h;
  }

  /** @internal References to a storage id. */
  storageRefs(storage: number): number {
    return storage >= 0 ? this.slotRefs[storage]! : this.extRefs[~storage]!;
  }

  /** @internal */
  retainStorage(storage: number): void {
    if (storage >= 0) this.slotRefs[storage]!++;
    else this.extRefs[~storage]!++;
  }

  /**
   * @internal Drop one reference of `buf`; when it was its last, recycle the
   * handle and continue with `next` (kfree_skb semantics: an element that still
   * has other references keeps the rest of its chain).
   */
  releaseChain(buf: PacketBuffer): void {
    let b: PacketBuffer | null = buf;
    while (b !== null) {
      if (b._refs <= 0) {
        // Already released (or a recycled handle sitting in the free list).
        if (this.debug) {
          throw new PacketBufferError('ERR_BUFFER_DOUBLE_RELEASE', 'release() of an already released PacketBuffer (in a chain)');
        }
        this.stats.doubleRelease++;
        break;
      }
      this.dropStorage(b._storage);
      if (--b._refs > 0) break;
      const next: PacketBuffer | null = b.next;
      this.recycle(b);
      b = next;
    }
    if (this.releaseFailed) {
      const err = this.releaseError;
      this.releaseFailed = false;
      this.releaseError = undefined;
      throw err;
    }
  }

  private dropStorage(storage: number): void {
    if (storage >= 0) {
      const refs = this.slotRefs[storage]!;
      if (refs <= 0) {
        // Never push a slot twice: that would hand it out to two owners.
        this.stats.doubleRelease++;
        return;
      }
      this.slotRefs[storage] = refs - 1;
      if (refs > 1) return;
      const c = this.slotClass[storage]!;
      this.freeStacks[c]![this.freeTop[c]!] = storage;
      this.freeTop[c]!++;
      this.classStats[c]!.inUse--;
      this.stats.inUse--;
      this.stats.releases++;
      if (this.debug) {
        const base = this.slotBase[storage]!;
        this.bytes.fill(POISON_BYTE, base, base + this.classSize[c]!);
      }
      return;
    }
    const k = ~storage;
    const refs = this.extRefs[k]!;
    if (refs <= 0) {
      this.stats.doubleRelease++;
      return;
    }
    this.extRefs[k] = refs - 1;
    if (refs > 1) return;
    const cb = this.extOnRelease[k]!;
    const ctx = this.extCtx[k];
    this.extArrays[k] = EMPTY_BYTES;
    this.extOnRelease[k] = null;
    this.extCtx[k] = undefined;
    this.extFree[this.extFreeCount++] = k;
    this.stats.externalInUse--;
    if (cb !== null) {
      try {
        cb(ctx);
      } catch (err) {
        if (!this.releaseFailed) {
          this.releaseFailed = true;
          this.releaseError = err;
        }
      }
    }
  }

  private takeHandle(force: boolean): PacketBuffer | null {
    if (!force && this.stats.handlesInUse >= this.maxHandles) {
      this.stats.handlesExhausted++;
      return null;
    }
    let h: PacketBuffer;
    if (this.freeHandleCount > 0) {
      h = this.freeHandles[--this.freeHandleCount]!;
    } else {
      h = new PacketBuffer(this);
      this.stats.handlesCreated++;
    }
    h._refs = 1;
    this.stats.handlesInUse++;
    return h;
  }

  private recycle(h: PacketBuffer): void {
    this.stats.handlesInUse--;
    h._refs = 0;
    if (this.debug) {
      // Never reused: a stale reference keeps throwing instead of aliasing a new owner.
      poisonHandle(h);
      return;
    }
    h.bytes = EMPTY_BYTES;
    h.next = null;
    h.head = 0;
    h.tail = 0;
    h._start = 0;
    h._end = 0;
    h.csumState = CSUM_NONE;
    h.csumValue = 0;
    h.csumStart = 0;
    h.csumOffset = 0;
    h.timestamp = 0;
    this.freeHandles[this.freeHandleCount++] = h;
  }
}
