// The out-of-order queue: overlap trimming (RFC 9293 §3.10.7.4), duplicates,
// the byte bound, in-order hand-off, blocks, and no leaks — including a property
// test that random overlapping segment sets in random order reassemble to the
// original bytes, with sequence numbers across the 2^32 wrap.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketPool } from '../../../src/buf/pool.js';
import type { PacketBuffer } from '../../../src/buf/packet-buffer.js';
import { ReassemblyQueue } from '../../../src/tcp/reassembly.js';

const pools: PacketPool[] = [];
function newPool(opts: { maxHandles?: number } = {}): PacketPool {
  const p = new PacketPool({ memoryBytes: 4 << 20, debug: true, slotSizes: [2048, 16384], ...opts });
  pools.push(p);
  return p;
}
afterEach(() => {
  for (const p of pools.splice(0)) {
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
  }
});

function seg(pool: PacketPool, data: Uint8Array, off: number, len: number): PacketBuffer {
  const b = pool.allocCopy(data, off, len, 0);
  if (b === null) throw new Error('pool exhausted in test');
  return b;
}

function bytesOf(b: PacketBuffer): number[] {
  return Array.from(b.view());
}

function blocks(q: ReassemblyQueue): number[] {
  const out = new Uint32Array(64);
  const n = q.blocks(out);
  return Array.from(out.subarray(0, 2 * n));
}

/** Drain everything in order from rcvNxt; returns the bytes and the new rcvNxt. */
function drain(q: ReassemblyQueue, rcvNxt: number, sink: number[]): number {
  for (let b = q.takeInOrder(rcvNxt); b !== null; b = q.takeInOrder(rcvNxt)) {
    for (const x of b.view()) sink.push(x);
    rcvNxt = (rcvNxt + b.length) >>> 0;
    b.release();
  }
  return rcvNxt;
}

const DATA = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7 + 3) & 0xff);

describe('reassembly: inserting', () => {
  it('queues an out-of-order segment and hands it out once RCV.NXT reaches it', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    expect(q.insert(1100, seg(pool, DATA, 100, 100), 1000)).toBe('queued');
    expect(q.bytes).toBe(100);
    expect(q.count).toBe(1);
    expect(q.takeInOrder(1000)).toBeNull();
    const b = q.takeInOrder(1100)!;
    expect(bytesOf(b)).toEqual(Array.from(DATA.subarray(100, 200)));
    b.release();
    expect(q.isEmpty()).toBe(true);
    expect(q.bytes).toBe(0);
  });

  it('an exact duplicate is reported as duplicate and released', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    q.insert(2000, seg(pool, DATA, 0, 100), 1000);
    expect(q.insert(2000, seg(pool, DATA, 0, 100), 1000)).toBe('duplicate');
    expect(q.insert(2010, seg(pool, DATA, 10, 50), 1000)).toBe('duplicate');
    expect(q.bytes).toBe(100);
    expect(q.count).toBe(1);
    q.clear();
  });

  it('data before RCV.NXT is trimmed; a segment wholly before it is a duplicate', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    expect(q.insert(900, seg(pool, DATA, 0, 100), 1000)).toBe('duplicate');
    expect(q.insert(950, seg(pool, DATA, 0, 100), 1000)).toBe('queued');
    expect(q.bytes).toBe(50);
    expect(blocks(q)).toEqual([1000, 1050]);
    const b = q.takeInOrder(1000)!;
    expect(bytesOf(b)).toEqual(Array.from(DATA.subarray(50, 100)));
    b.release();
  });

  it('partial overlaps keep the bytes already queued and trim the new buffer (RFC 9293 §3.10.7.4)', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    const a = new Uint8Array(300).fill(0xaa);
    const b = new Uint8Array(300).fill(0xbb);
    q.insert(1100, seg(pool, a, 0, 100), 1000); // [1100, 1200) = aa
    expect(q.insert(1150, seg(pool, b, 0, 100), 1000)).toBe('queued'); // [1150, 1250): only [1200, 1250) is new
    expect(q.insert(1050, seg(pool, b, 0, 100), 1000)).toBe('queued'); // [1050, 1150): only [1050, 1100) is new
    expect(q.bytes).toBe(200);
    expect(blocks(q)).toEqual([1050, 1250]);
    const out: number[] = [];
    q.insert(1000, seg(pool, b, 0, 50), 1000);
    drain(q, 1000, out);
    expect(out).toEqual([...Array(100).fill(0xbb), ...Array(100).fill(0xaa), ...Array(50).fill(0xbb)]);
  });

  it('a buffer spanning queued entries fills each hole with a clone and keeps the queued bytes', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    const a = new Uint8Array(100).fill(0xaa);
    const b = new Uint8Array(500).fill(0xbb);
    q.insert(1100, seg(pool, a, 0, 50), 1000); // [1100, 1150)
    q.insert(1200, seg(pool, a, 0, 50), 1000); // [1200, 1250)
    expect(q.insert(1050, seg(pool, b, 0, 300), 1000)).toBe('queued'); // [1050, 1350): holes 1050, 1150, 1250
    expect(q.count).toBe(5);
    expect(q.bytes).toBe(300);
    expect(pool.stats.clones).toBe(2);
    const out: number[] = [];
    q.insert(1000, seg(pool, b, 0, 50), 1000);
    expect(drain(q, 1000, out)).toBe(1350);
    expect(out).toEqual([...Array(100).fill(0xbb), ...Array(50).fill(0xaa), ...Array(50).fill(0xbb), ...Array(50).fill(0xaa), ...Array(100).fill(0xbb)]);
  });

  it('without a pool (or when a clone fails) a spanning buffer replaces the entries it covers entirely', () => {
    for (const mode of ['no pool', 'clone fails'] as const) {
      const pool = newPool(mode === 'clone fails' ? { maxHandles: 3 } : {});
      const q = new ReassemblyQueue(65536, mode === 'no pool' ? null : pool);
      const a = new Uint8Array(100).fill(0xaa);
      const b = new Uint8Array(500).fill(0xbb);
      q.insert(1100, seg(pool, a, 0, 50), 1000); // [1100, 1150): covered entirely by the new buffer
      q.insert(1300, seg(pool, a, 0, 100), 1000); // [1300, 1400): overlaps its end
      expect(q.insert(1050, seg(pool, b, 0, 300), 1000)).toBe('queued'); // [1050, 1350)
      expect(q.count).toBe(2);
      expect(q.bytes).toBe(350);
      expect(blocks(q)).toEqual([1050, 1400]);
      const out: number[] = [];
      q.insert(1000, seg(pool, b, 0, 50), 1000);
      expect(drain(q, 1000, out)).toBe(1400);
      expect(out).toEqual([...Array(300).fill(0xbb), ...Array(100).fill(0xaa)]);
    }
  });

  it('beyond the byte bound an insert is overLimit and the buffer is released (TCPOFODrop)', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(1000, pool);
    expect(q.insert(2000, seg(pool, DATA, 0, 600), 1000)).toBe('queued');
    expect(q.insert(3000, seg(pool, DATA, 0, 600), 1000)).toBe('overLimit');
    expect(q.bytes).toBe(600);
    // Only the new bytes count: a mostly-duplicate segment fits.
    expect(q.insert(1900, seg(pool, DATA, 0, 700), 1000)).toBe('queued');
    expect(q.bytes).toBe(700);
    expect(pool.stats.inUse).toBe(2);
    q.clear();
  });

  it('the entry count is bounded too (max(16, limit/64)): tiny segments cannot grow it without bound', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(1024, pool); // 16 entries
    let queued = 0;
    for (let i = 0; i < 40; i++) if (q.insert(2000 + 2 * i, seg(pool, DATA, 0, 1), 1000) === 'queued') queued++;
    expect(queued).toBe(16);
    q.clear();
  });

  it('a chain is split into its elements, each inserted at its own sequence number', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    const h = seg(pool, DATA, 0, 10);
    h.next = seg(pool, DATA, 10, 20);
    h.next.next = seg(pool, DATA, 30, 5);
    expect(q.insert(5000, h, 1000)).toBe('queued');
    expect(q.count).toBe(3);
    expect(blocks(q)).toEqual([5000, 5035]);
    const out: number[] = [];
    drain(q, 5000, out);
    expect(out).toEqual(Array.from(DATA.subarray(0, 35)));
  });

  it('takeInOrder trims an entry RCV.NXT has moved into and releases entries wholly below it', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    q.insert(1100, seg(pool, DATA, 0, 100), 1000);
    q.insert(1300, seg(pool, DATA, 0, 100), 1000);
    const b = q.takeInOrder(1350)!;
    expect(bytesOf(b)).toEqual(Array.from(DATA.subarray(50, 100)));
    b.release();
    expect(q.isEmpty()).toBe(true);
    expect(q.bytes).toBe(0);
  });

  it('blocks() merges adjacent entries and reports (left, right) pairs in sequence order', () => {
    const pool = newPool();
    const q = new ReassemblyQueue(65536, pool);
    q.insert(1500, seg(pool, DATA, 0, 100), 1000);
    q.insert(1100, seg(pool, DATA, 0, 100), 1000);
    q.insert(1200, seg(pool, DATA, 0, 100), 1000);
    expect(blocks(q)).toEqual([1100, 1300, 1500, 1600]);
    const small = new Uint32Array(2);
    expect(q.blocks(small)).toBe(1);
    expect(Array.from(small)).toEqual([1100, 1300]);
    expect(q.firstSeq()).toBe(1100);
    expect(q.endSeq()).toBe(1600);
    q.clear();
  });
});

describe('reassembly: property', () => {
  /** Segments covering [0, L) plus random overlapping extras, in random order. */
  const scenario = fc
    .record({
      len: fc.integer({ min: 1, max: 3000 }),
      isn: fc.oneof(fc.constant(0xffffff00), fc.nat({ max: 0xffffffff }), fc.constant(0xfffffff0)),
      cuts: fc.array(fc.integer({ min: 1, max: 2999 }), { maxLength: 30 }),
      extras: fc.array(fc.tuple(fc.integer({ min: 0, max: 2999 }), fc.integer({ min: 1, max: 600 })), { maxLength: 25 }),
      order: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      usePool: fc.boolean(),
    })
    .map((r) => {
      const points = [...new Set(r.cuts.filter((c) => c < r.len))].sort((a, b) => a - b);
      const segs: [number, number][] = [];
      let prev = 0;
      for (const p of [...points, r.len]) {
        segs.push([prev, p - prev]);
        prev = p;
      }
      for (const [o, l] of r.extras) if (o < r.len) segs.push([o, Math.min(l, r.len - o)]);
      // Fisher-Yates with the drawn numbers.
      for (let i = segs.length - 1; i > 0; i--) {
        const j = r.order[i % r.order.length]! % (i + 1);
        [segs[i], segs[j]] = [segs[j]!, segs[i]!];
      }
      return { ...r, segs };
    });

  it('random overlapping/duplicate segments in random order reassemble to exactly the original bytes, without leaks', () => {
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 131 + (i >> 8)) & 0xff);
    let splitRuns = 0;
    fc.assert(
      fc.property(scenario, ({ len, isn, segs, usePool }) => {
        const pool = new PacketPool({ memoryBytes: 4 << 20, debug: true, slotSizes: [2048, 16384] });
        const q = new ReassemblyQueue(1 << 20, usePool ? pool : null);
        const out: number[] = [];
        let rcvNxt = isn;
        const have = new Uint8Array(len); // model: bytes received (at or beyond rcvNxt)
        for (const [o, l] of segs) {
          const r = q.insert((isn + o) >>> 0, seg(pool, data, o, l), rcvNxt);
          const fresh = have.subarray(o, o + l).some((x, i) => x === 0 && o + i >= out.length);
          expect(r).toBe(fresh ? 'queued' : 'duplicate');
          have.fill(1, o, o + l);
          rcvNxt = drain(q, rcvNxt, out);
          // Model check: queued bytes and blocks are exactly the received bytes beyond rcvNxt.
          const delivered = out.length;
          let expectBytes = 0;
          const expectBlocks: number[] = [];
          for (let i = delivered; i < len; i++) {
            if (have[i] === 0) continue;
            expectBytes++;
            if (i > delivered && have[i - 1] === 1 && expectBlocks.length > 0 && expectBlocks[expectBlocks.length - 1] === ((isn + i) >>> 0)) {
              expectBlocks[expectBlocks.length - 1] = (isn + i + 1) >>> 0;
            } else {
              expectBlocks.push((isn + i) >>> 0, (isn + i + 1) >>> 0);
            }
          }
          expect(q.bytes).toBe(expectBytes);
          expect(blocks(q)).toEqual(expectBlocks.slice(0, 64));
        }
        expect(rcvNxt).toBe((isn + len) >>> 0);
        expect(out).toEqual(Array.from(data.subarray(0, len)));
        expect(q.isEmpty()).toBe(true);
        q.clear();
        expect(pool.stats.inUse).toBe(0);
        expect(pool.stats.handlesInUse).toBe(0);
        if (pool.stats.clones > 0) splitRuns++;
      }),
      { numRuns: 300, seed: 20240607 },
    );
    // The multi-hole split (clones) path was exercised, not only single-hole trims.
    expect(splitRuns).toBeGreaterThan(10);
  });

  it('clear() releases everything queued (pool back to baseline)', () => {
    fc.assert(
      fc.property(scenario, ({ isn, segs, usePool }) => {
        const pool = new PacketPool({ memoryBytes: 4 << 20, debug: true, slotSizes: [2048, 16384] });
        const q = new ReassemblyQueue(1 << 20, usePool ? pool : null);
        // RCV.NXT stays before everything: all of it is queued, nothing delivered.
        for (const [o, l] of segs) q.insert((isn + 1 + o) >>> 0, seg(pool, DATA, o, l), isn);
        q.clear();
        expect(q.bytes).toBe(0);
        expect(pool.stats.inUse).toBe(0);
        expect(pool.stats.handlesInUse).toBe(0);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
