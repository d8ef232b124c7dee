/**
 * Model-based property test of the pool: random sequences of alloc, clone, wrap,
 * retain, release, prepend, append, write, trim and chain keep the invariants:
 *  - no storage slot is handed out twice while in use (live slot ranges are disjoint),
 *  - counters balance (slots, handles, wrapped arrays; allocs - releases = inUse),
 *  - every live buffer's window holds exactly the bytes written through it: a
 *    write through one buffer is never visible through another buffer's window
 *    (writes happen only through unshared storage, as the rules require),
 *  - onRelease of wrapped arrays runs exactly when the last reference goes,
 *  - exhaustion returns null exactly when the fitting class is full (counted).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketBufferError, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';

const CLASSES = [
  { size: 256, count: 6 },
  { size: 1024, count: 4 },
  { size: 4096, count: 2 },
];
const HEADROOM = 32;

interface MHandle {
  buf: PacketBuffer;
  refs: number;
  /** Storage key: slot start (pool) or 'ext:n'. */
  key: number | string;
  /** Class index for pool storage, -1 for wrapped. */
  cls: number;
  expected: number[];
  next: MHandle | null;
}

interface Model {
  pool: PacketPool;
  debug: boolean;
  owners: MHandle[];
  live: Set<MHandle>;
  dead: MHandle[];
  storageRefs: Map<number | string, number>;
  /** Live pool slot ranges by key. */
  slots: Map<number, { start: number; end: number; cls: number }>;
  classUsed: number[];
  extCounter: number;
  released: (number | string)[];
  expectReleased: (number | string)[];
  oversize: number;
  exhausted: number;
}

type Op = { kind: number; a: number; b: number; c: number };

// Kinds 11..13 are extra allocs: enough allocation keeps recycled handles and exhaustion in play.
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.nat(13).map((k) => (k > 10 ? 0 : k)),
  a: fc.nat(1 << 16),
  b: fc.nat(1 << 16),
  c: fc.nat(1 << 16),
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PacketBufferError) return err.code;
    if (err instanceof RangeError) return 'RangeError';
    throw err;
  }
  return undefined;
}

function stamp(seed: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => (seed + k * 7) & 0xff);
}

function newModel(debug: boolean): Model {
  return {
    pool: new PacketPool({ memoryBytes: 4 * 65536, checksumScratchBytes: 4096, slotSizes: CLASSES, headroom: HEADROOM, debug }),
    debug,
    owners: [],
    live: new Set(),
    dead: [],
    storageRefs: new Map(),
    slots: new Map(),
    classUsed: CLASSES.map(() => 0),
    extCounter: 0,
    released: [],
    expectReleased: [],
    oversize: 0,
    exhausted: 0,
  };
}

function track(m: Model, buf: PacketBuffer, key: number | string, cls: number, expected: number[]): void {
  const h: MHandle = { buf, refs: 1, key, cls, expected, next: null };
  m.owners.push(h);
  m.live.add(h);
  m.storageRefs.set(key, (m.storageRefs.get(key) ?? 0) + 1);
}

/** Model of releaseChain: kfree_skb semantics. */
function modelRelease(m: Model, h: MHandle): void {
  let x: MHandle | null = h;
  while (x !== null) {
    x.refs--;
    const r = m.storageRefs.get(x.key)! - 1;
    if (r === 0) {
      m.storageRefs.delete(x.key);
      if (typeof x.key === 'number') {
        m.slots.delete(x.key);
        m.classUsed[x.cls]!--;
      } else {
        m.expectReleased.push(x.key);
      }
    } else {
      m.storageRefs.set(x.key, r);
    }
    if (x.refs > 0) break;
    m.live.delete(x);
    m.dead.push(x);
    x = x.next;
  }
}

function chainOf(h: MHandle): MHandle[] {
  const out: MHandle[] = [];
  for (let x: MHandle | null = h; x !== null; x = x.next) out.push(x);
  return out;
}

function step(m: Model, op: Op): void {
  const { pool } = m;
  const owner = m.owners.length > 0 ? m.owners[op.a % m.owners.length]! : null;
  switch (op.kind) {
    case 0:
    case 1: {
      // alloc
      const size = [0, 1, 100, 200, 224, 225, 500, 1000, 2000, 4064, 4065, 9000][op.b % 12]!;
      const headroom = op.kind === 0 ? HEADROOM : op.c % 300;
      const need = size + headroom;
      const cls = CLASSES.findIndex((c) => c.size >= need);
      const b = pool.alloc(size, headroom);
      if (cls < 0) {
        expect(b).toBeNull();
        m.oversize++;
      } else if (m.classUsed[cls] === CLASSES[cls]!.count) {
        expect(b).toBeNull();
        m.exhausted++;
      } else {
        expect(b).not.toBeNull();
        const buf = b!;
        expect(buf.end - buf.start).toBe(CLASSES[cls]!.size);
        expect(buf.headroom()).toBe(headroom);
        expect(buf.length).toBe(0);
        expect(buf.tailroom()).toBeGreaterThanOrEqual(size);
        // Never a slot that is in use.
        expect(m.slots.has(buf.start)).toBe(false);
        for (const s of m.slots.values()) expect(buf.end <= s.start || s.end <= buf.start).toBe(true);
        m.slots.set(buf.start, { start: buf.start, end: buf.end, cls });
        m.classUsed[cls]!++;
        track(m, buf, buf.start, cls, []);
      }
      break;
    }
    case 2: {
      // clone
      if (owner === null) break;
      const len = owner.buf.length;
      const off = op.b % (len + 1);
      const n = op.c % (len - off + 1);
      const c = pool.clone(owner.buf, off, n)!;
      expect(c.bytes).toBe(owner.buf.bytes);
      track(m, c, owner.key, owner.cls, owner.expected.slice(off, off + n));
      break;
    }
    case 3: {
      // wrap
      const size = op.b % 64;
      const ext = Uint8Array.from(stamp(op.c, size));
      const off = op.c % (size + 1);
      const n = op.a % (size - off + 1);
      const key = `ext:${m.extCounter++}`;
      const w = pool.wrap(ext, off, n, (k) => m.released.push(k as string), key);
      track(m, w, key, -1, [...ext.subarray(off, off + n)]);
      break;
    }
    case 4: {
      // retain
      if (owner === null) break;
      owner.buf.retain();
      owner.refs++;
      m.storageRefs.set(owner.key, m.storageRefs.get(owner.key)! + 1);
      m.owners.push(owner);
      break;
    }
    case 5:
    case 6: {
      // release (twice as likely, so the pool drains too)
      if (owner === null) break;
      m.owners.splice(m.owners.indexOf(owner), 1);
      owner.buf.release();
      modelRelease(m, owner);
      break;
    }
    case 7: {
      // prepend or append some bytes and write them
      if (owner === null) break;
      const shared = m.storageRefs.get(owner.key)! > 1;
      const front = (op.c & 1) === 0;
      const room = front ? owner.buf.headroom() : owner.buf.tailroom();
      const n = op.b % (room + 8); // sometimes too much
      if (shared && m.debug && n > 0) {
        expect(codeOf(() => (front ? owner.buf.prepend(n) : owner.buf.append(n)))).toBe('ERR_BUFFER_SHARED');
        break;
      }
      if (shared) break; // the rules forbid it; production does not check
      if (n > room) {
        expect(codeOf(() => (front ? owner.buf.prepend(n) : owner.buf.append(n)))).toBe('RangeError');
        break;
      }
      const data = stamp(op.a, n);
      if (front) {
        const at = owner.buf.prepend(n);
        owner.buf.bytes.set(data, at);
        owner.expected = [...data, ...owner.expected];
      } else {
        const at = owner.buf.append(n);
        owner.buf.bytes.set(data, at);
        owner.expected = [...owner.expected, ...data];
      }
      break;
    }
    case 8: {
      // overwrite the window (only through unshared storage)
      if (owner === null || m.storageRefs.get(owner.key)! > 1) break;
      const data = stamp(op.b, owner.buf.length);
      owner.buf.bytes.set(data, owner.buf.head);
      owner.expected = data;
      break;
    }
    case 9: {
      // trim (reading narrower is allowed on shared storage too)
      if (owner === null) break;
      const len = owner.buf.length;
      const n = op.b % (len + 2); // sometimes too much
      const front = (op.c & 1) === 0;
      if (n > len) {
        expect(codeOf(() => (front ? owner.buf.trimFront(n) : owner.buf.trimBack(n)))).toBe('RangeError');
        break;
      }
      if (front) {
        owner.buf.trimFront(n);
        owner.expected = owner.expected.slice(n);
      } else {
        owner.buf.trimBack(n);
        owner.expected = owner.expected.slice(0, len - n);
      }
      break;
    }
    case 10: {
      // chain: the tail of owner's chain takes ownership of another owner's handle
      if (owner === null) break;
      const other = m.owners[op.b % m.owners.length]!;
      if (other.refs !== 1) break; // only sole-owned handles can be moved into a chain
      const mine = chainOf(owner);
      if (chainOf(other).some((x) => mine.includes(x))) break; // would make a cycle
      const last = mine[mine.length - 1]!;
      last.buf.next = other.buf;
      last.next = other;
      m.owners.splice(m.owners.indexOf(other), 1);
      break;
    }
  }
}

function checkInvariants(m: Model): void {
  const { pool } = m;
  const s = pool.stats;
  expect(s.handlesInUse).toBe(m.live.size);
  expect(s.inUse).toBe(m.slots.size);
  expect(s.allocs - s.releases).toBe(s.inUse);
  expect(s.classes.map((c) => c.inUse)).toEqual(m.classUsed);
  expect(s.externalInUse).toBe([...m.storageRefs.keys()].filter((k) => typeof k === 'string').length);
  expect(s.oversize).toBe(m.oversize);
  expect(s.exhausted).toBe(m.exhausted);
  expect(s.doubleRelease).toBe(0);
  expect(m.released).toEqual(m.expectReleased);
  for (const h of m.live) {
    const b = h.buf;
    expect(b.start <= b.head && b.head <= b.tail && b.tail <= b.end).toBe(true);
    if (typeof h.key === 'number') {
      const slot = m.slots.get(h.key)!;
      expect(b.start >= slot.start && b.end <= slot.end).toBe(true);
      expect(b.start).toBeGreaterThanOrEqual(pool.scratch.length);
    }
    expect(b.isShared()).toBe(m.storageRefs.get(h.key)! > 1);
    // Isolation: the window holds exactly what was written through this buffer.
    expect([...b.view()]).toEqual(h.expected);
    expect(b.next === null ? null : b.next).toBe(h.next === null ? null : h.next.buf);
  }
  if (m.debug) {
    for (const h of m.dead.slice(-3)) expect(codeOf(() => h.buf.length)).toBe('ERR_BUFFER_RELEASED');
  }
}

function runOps(debug: boolean, ops: Op[]): void {
  const m = newModel(debug);
  for (const op of ops) {
    step(m, op);
    checkInvariants(m);
  }
  // Drain: every reference released gives a pristine pool.
  while (m.owners.length > 0) {
    const h = m.owners.pop()!;
    h.buf.release();
    modelRelease(m, h);
  }
  checkInvariants(m);
  expect(m.pool.stats.inUse).toBe(0);
  expect(m.pool.stats.handlesInUse).toBe(0);
  expect(m.pool.stats.externalInUse).toBe(0);
  // And the whole capacity is usable again.
  for (let c = 0; c < CLASSES.length; c++) {
    const got: PacketBuffer[] = [];
    for (let i = 0; i < CLASSES[c]!.count; i++) got.push(m.pool.alloc(CLASSES[c]!.size, 0)!);
    expect(got.every((b) => b !== null)).toBe(true);
    expect(m.pool.alloc(CLASSES[c]!.size, 0)).toBeNull();
    for (const b of got) b.release();
  }
}

describe('PacketPool model-based properties', () => {
  it('production mode: random op sequences keep the invariants', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 100 }), (ops) => runOps(false, ops)),
      { numRuns: 600 },
    );
  });

  it('debug mode: random op sequences keep the invariants, shared writes are refused', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 100 }), (ops) => runOps(true, ops)),
      { numRuns: 400 },
    );
  });
});
