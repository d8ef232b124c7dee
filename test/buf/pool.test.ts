import { describe, expect, it } from 'vitest';
import { CSUM_COMPLETE, CSUM_UNNECESSARY, PacketBufferError, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool, type PacketPoolOptions } from '../../src/buf/pool.js';
import { onesSum } from '../../src/wire/checksum.js';

const MiB = 1 << 20;

function must(b: PacketBuffer | null): PacketBuffer {
  if (b === null) throw new Error('unexpected null buffer');
  return b;
}

describe('PacketPool options', () => {
  it('defaults: 64 MiB fixed memory, 64 KiB checksum scratch, headroom 160, 2K/16K/64K+ classes', () => {
    const p = new PacketPool();
    expect(p.memory.buffer.byteLength).toBe(64 * MiB);
    expect(p.bytes.buffer).toBe(p.memory.buffer);
    expect(p.bytes.length).toBe(64 * MiB);
    expect(p.scratch).toEqual({ offset: 0, length: 65536 });
    expect(p.headroom).toBe(160);
    expect(p.sizeClasses[0]).toBe(2048);
    expect(p.sizeClasses[1]).toBe(16384);
    // An MTU-65535 IPv4 packet in an Ethernet frame fits with the default headroom.
    expect(p.maxSlotSize).toBeGreaterThanOrEqual(65535 + 14 + 160);
    const big = must(p.alloc(65535 + 14));
    expect(big.headroom()).toBe(160);
    big.release();
    // Shares: about half of the memory in 2K slots, a quarter in each of the others.
    const [c0, c1, c2] = p.stats.classes;
    expect(c0!.slots * 2048).toBeGreaterThan(0.49 * 64 * MiB);
    expect(c1!.slots * 16384).toBeGreaterThan(0.24 * 64 * MiB);
    expect(c2!.slots * c2!.size).toBeGreaterThan(0.24 * 64 * MiB);
  });

  it('the memory can never grow (growing would detach every view)', () => {
    const p = new PacketPool({ memoryBytes: MiB });
    expect(() => p.memory.grow(1)).toThrow(RangeError);
    expect(p.bytes.length).toBe(MiB);
  });

  it('classes by count, by share, and plain sizes splitting the rest', () => {
    const p = new PacketPool({
      memoryBytes: 4 * MiB,
      checksumScratchBytes: 0,
      slotSizes: [{ size: 1024, count: 100 }, { size: 4096, share: 0.5 }, 8192],
    });
    const [a, b, c] = p.stats.classes;
    expect(a!.slots).toBe(100);
    const left = 4 * MiB - Math.ceil((100 * 1024) / 64) * 64;
    expect(b!.slots).toBe(Math.floor((left * 0.5 - 63) / 4096));
    expect(c!.slots).toBe(Math.floor((left * 0.5 - 63) / 8192));
  });

  const bad: [string, PacketPoolOptions, RegExp, typeof RangeError | typeof TypeError][] = [
    ['memoryBytes negative', { memoryBytes: -1 }, /memoryBytes.*-1/, RangeError],
    ['memoryBytes not an integer', { memoryBytes: 1.5 * MiB + 0.5 }, /memoryBytes/, RangeError],
    ['memoryBytes a string', { memoryBytes: '1M' as unknown as number }, /memoryBytes.*"1M"/, TypeError],
    ['memoryBytes beyond wasm32', { memoryBytes: 2 ** 33 }, /memoryBytes/, RangeError],
    ['headroom negative', { headroom: -4 }, /headroom.*-4/, RangeError],
    ['headroom beyond the largest class', { memoryBytes: MiB, slotSizes: [2048], headroom: 4096 }, /headroom.*4096/, RangeError],
    ['debug not boolean', { debug: 1 as unknown as boolean }, /debug.*1/, TypeError],
    ['scratch negative', { checksumScratchBytes: -1 }, /checksumScratchBytes.*-1/, RangeError],
    ['scratch as big as memory', { memoryBytes: MiB, checksumScratchBytes: MiB }, /checksumScratchBytes/, RangeError],
    ['sizes not increasing', { slotSizes: [4096, 2048] }, /slotSizes\[1\]\.size.*2048/, RangeError],
    ['size zero', { slotSizes: [0] }, /slotSizes\[0\]\.size.*0/, RangeError],
    ['share above 1', { slotSizes: [{ size: 2048, share: 1.5 }] }, /slotSizes\[0\]\.share.*1\.5/, RangeError],
    ['shares above 1 in sum', { slotSizes: [{ size: 2048, share: 0.6 }, { size: 4096, share: 0.6 }] }, /slotSizes.*shares/, RangeError],
    ['share and count', { slotSizes: [{ size: 2048, share: 0.5, count: 3 }] }, /slotSizes\[0\].*either share or count/, TypeError],
    ['counts too big', { memoryBytes: MiB, slotSizes: [{ size: 2048, count: 1000 }] }, /slotSizes/, RangeError],
    ['empty classes', { slotSizes: [] }, /slotSizes/, RangeError],
    ['slotSizes not an array', { slotSizes: 2048 as unknown as number[] }, /slotSizes.*2048/, TypeError],
    ['memory too small for a slot', { memoryBytes: MiB, slotSizes: [2048, 4 * MiB] }, /memoryBytes/, RangeError],
    ['maxHandles zero', { maxHandles: 0 }, /maxHandles.*0/, RangeError],
  ];
  for (const [name, opts, msg, type] of bad) {
    it(`rejects ${name} with a ${type.name} naming the option and value`, () => {
      expect(() => new PacketPool(opts)).toThrow(type);
      expect(() => new PacketPool(opts)).toThrow(msg);
    });
  }
});

describe('PacketPool allocation', () => {
  it('picks the smallest class that fits headroom + size', () => {
    const p = new PacketPool({ memoryBytes: 2 * MiB, slotSizes: [2048, 16384, 65536 + 256] });
    const small = must(p.alloc(1514));
    expect(small.end - small.start).toBe(2048);
    const exact = must(p.alloc(2048 - 160));
    expect(exact.end - exact.start).toBe(2048);
    const over = must(p.alloc(2048 - 159));
    expect(over.end - over.start).toBe(16384);
    const noHeadroom = must(p.alloc(2048, 0));
    expect(noHeadroom.end - noHeadroom.start).toBe(2048);
    const jumbo = must(p.alloc(9000));
    expect(jumbo.end - jumbo.start).toBe(16384);
    const max = must(p.alloc(65536 + 256 - 160));
    expect(max.end - max.start).toBe(65536 + 256);
    expect(p.stats.classes.map((c) => c.inUse)).toEqual([3, 2, 1]);
    for (const b of [small, exact, over, noHeadroom, jumbo, max]) b.release();
    expect(p.stats.inUse).toBe(0);
  });

  it('requests larger than the largest class return null and are counted in stats.oversize', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [2048] });
    expect(p.alloc(2048 - 160 + 1)).toBeNull();
    expect(p.alloc(5000, 0)).toBeNull();
    expect(p.stats.oversize).toBe(2);
    expect(p.stats.exhausted).toBe(0);
    expect(p.stats.inUse).toBe(0);
  });

  it('bad size/headroom arguments are programming errors (RangeError)', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [2048] });
    expect(() => p.alloc(-1)).toThrow(RangeError);
    expect(() => p.alloc(1.5)).toThrow(RangeError);
    expect(() => p.alloc(10, -2)).toThrow(RangeError);
    expect(() => p.alloc(NaN)).toThrow(RangeError);
  });

  it('exhaustion is counted and recoverable: null when full, alloc works again after release', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [{ size: 2048, count: 8 }, { size: 8192, count: 2 }] });
    const held: PacketBuffer[] = [];
    for (let i = 0; i < 8; i++) held.push(must(p.alloc(1000)));
    expect(p.alloc(1000)).toBeNull();
    expect(p.alloc(1000)).toBeNull();
    expect(p.stats.exhausted).toBe(2);
    expect(p.stats.classes[0]!.exhausted).toBe(2);
    expect(p.stats.classes[0]!.inUse).toBe(8);
    expect(p.stats.classes[0]!.highWater).toBe(8);
    // No fallback into the larger class: small frames cannot starve big ones.
    expect(p.stats.classes[1]!.inUse).toBe(0);
    // Distinct slots: all 8 windows are disjoint.
    const starts = held.map((b) => b.start).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(2048);
    held.pop()!.release();
    const again = must(p.alloc(1000));
    expect(p.stats.inUse).toBe(8);
    again.release();
    for (const b of held) b.release();
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.allocs - p.stats.releases).toBe(0);
    expect(p.stats.allocs).toBe(9);
  });

  it('slots are outside the checksum scratch region and inside the memory', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [{ size: 2048, count: 400 }] });
    const all: PacketBuffer[] = [];
    for (let b = p.alloc(0); b !== null; b = p.alloc(0)) all.push(b);
    expect(all.length).toBe(400);
    for (const b of all) {
      expect(b.start).toBeGreaterThanOrEqual(p.scratch.offset + p.scratch.length);
      expect(b.end).toBeLessThanOrEqual(p.bytes.length);
      b.release();
    }
  });

  it('allocCopy copies the source into a fresh buffer with headroom', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [2048] });
    const src = Uint8Array.from({ length: 100 }, (_, i) => i);
    const b = must(p.allocCopy(src, 10, 50, 32));
    expect(b.headroom()).toBe(32);
    expect([...b.view()]).toEqual([...src.subarray(10, 60)]);
    expect(() => p.allocCopy(src, 90, 20)).toThrow(RangeError);
    b.release();
  });
});

describe('PacketPool clone, retain and wrap', () => {
  const opts: PacketPoolOptions = { memoryBytes: MiB, slotSizes: [2048, 8192] };

  it('clone shares storage (skb_clone): same bytes, no copy, storage freed with the last reference', () => {
    const p = new PacketPool(opts);
    const b = must(p.alloc(100));
    const at = b.append(100);
    for (let i = 0; i < 100; i++) b.bytes[at + i] = i;
    b.timestamp = 1234;
    b.csumState = CSUM_UNNECESSARY;
    const c = must(p.clone(b, 10, 20));
    expect(c.bytes).toBe(b.bytes);
    expect(c.head).toBe(b.head + 10);
    expect(c.length).toBe(20);
    expect(c.headroom()).toBe(0); // a clone has no room to write into
    expect(c.tailroom()).toBe(0);
    expect([...c.view()]).toEqual([...b.view().subarray(10, 30)]);
    expect(c.timestamp).toBe(1234);
    expect(c.csumState).toBe(CSUM_UNNECESSARY);
    expect(b.isShared()).toBe(true);
    expect(c.isShared()).toBe(true);
    expect(p.stats.inUse).toBe(1);
    expect(p.stats.handlesInUse).toBe(2);
    b.release();
    expect(p.stats.inUse).toBe(1); // the clone keeps the storage
    expect([...c.view()]).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    c.release();
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
    expect(p.stats.clones).toBe(1);
  });

  it('clone does not carry COMPLETE/PARTIAL checksum state (they describe the whole range)', () => {
    const p = new PacketPool(opts);
    const b = must(p.alloc(100));
    b.append(100);
    b.csumState = CSUM_COMPLETE;
    b.csumValue = 0x1234;
    const c = must(p.clone(b, 0, 50));
    expect(c.csumState).toBe(0);
    expect(c.csumValue).toBe(0);
    c.release();
    b.release();
  });

  it('clone of a clone, and clone window checks', () => {
    const p = new PacketPool(opts);
    const b = must(p.alloc(100));
    b.append(100);
    const c = must(p.clone(b, 10, 50));
    const d = must(p.clone(c, 5, 5));
    expect(d.head).toBe(b.head + 15);
    expect(() => p.clone(c, 40, 11)).toThrow(RangeError);
    expect(() => p.clone(c, -1, 1)).toThrow(RangeError);
    b.release();
    c.release();
    expect(p.stats.inUse).toBe(1);
    d.release();
    expect(p.stats.inUse).toBe(0);
  });

  it('retain shares the same handle: both owners release; the chain goes with the last reference', () => {
    const p = new PacketPool(opts);
    const a = must(p.alloc(10));
    const tailBuf = must(p.alloc(10));
    a.next = tailBuf;
    expect(a.retain()).toBe(a);
    expect(a.isShared()).toBe(true);
    a.release();
    expect(p.stats.inUse).toBe(2);
    expect(a.length).toBe(0); // still live for the second owner
    expect(a.isShared()).toBe(false);
    a.release();
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
  });

  it('a chain element retained elsewhere keeps itself and its tail alive (kfree_skb semantics)', () => {
    const p = new PacketPool(opts);
    const a = must(p.alloc(10));
    const b = must(p.alloc(10));
    const c = must(p.alloc(10));
    a.next = b;
    b.next = c;
    b.retain(); // someone else also owns b (and so c)
    a.release();
    expect(p.stats.inUse).toBe(2);
    expect(b.chainLength()).toBe(0);
    b.release();
    expect(p.stats.inUse).toBe(0);
  });

  it('wrap: zero-copy view of an external array; onRelease(ctx) runs once when the last reference goes', () => {
    const p = new PacketPool(opts);
    const ext = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    const done: unknown[] = [];
    const ctx = { id: 7 };
    const w = p.wrap(ext, 8, 32, (c) => done.push(c), ctx);
    expect(w.bytes).toBe(ext);
    expect(w.head).toBe(8);
    expect(w.length).toBe(32);
    expect(w.headroom()).toBe(0);
    expect(w.tailroom()).toBe(0);
    expect(p.stats.externalInUse).toBe(1);
    const s1 = must(p.clone(w, 0, 16));
    const s2 = must(p.clone(w, 16, 16));
    expect(s2.bytes).toBe(ext);
    w.release();
    s1.release();
    expect(done).toEqual([]);
    s2.release();
    expect(done).toEqual([ctx]);
    expect(p.stats.externalInUse).toBe(0);
    expect(p.stats.wraps).toBe(1);
    expect(p.stats.inUse).toBe(0); // wrapped storage is not pool storage
  });

  it('clone refuses a buffer of another pool (storage ids are per pool)', () => {
    const p = new PacketPool(opts);
    const q = new PacketPool(opts);
    const b = must(q.alloc(10));
    expect(() => p.clone(b, 0, 0)).toThrow(TypeError);
    must(q.clone(b, 0, 0)).release();
    b.release();
    expect(q.stats.inUse).toBe(0);
  });

  it('wrap argument checks', () => {
    const p = new PacketPool(opts);
    const ext = new Uint8Array(10);
    expect(() => p.wrap(ext, 5, 6)).toThrow(RangeError);
    expect(() => p.wrap([1, 2] as unknown as Uint8Array, 0, 1)).toThrow(TypeError);
    expect(() => p.wrap(ext, 0, 1, 5 as unknown as () => void)).toThrow(TypeError);
  });

  it('an onRelease that throws does not leave the chain half released; the error surfaces from release()', () => {
    const p = new PacketPool(opts);
    const head = must(p.alloc(10));
    head.next = p.wrap(new Uint8Array(4), 0, 4, () => {
      throw new Error('boom');
    });
    head.next.next = must(p.alloc(10));
    expect(() => head.release()).toThrow('boom');
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.externalInUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
    // The pool keeps working.
    must(p.alloc(10)).release();
  });

  it('maxHandles caps live handles from alloc and clone: null, counted, recoverable', () => {
    const p = new PacketPool({ ...opts, maxHandles: 3 });
    const a = must(p.alloc(10));
    const b = must(p.clone(a, 0, 0));
    const c = must(p.alloc(10));
    expect(p.alloc(10)).toBeNull();
    expect(p.clone(a, 0, 0)).toBeNull();
    expect(p.stats.handlesExhausted).toBe(2);
    expect(p.stats.inUse).toBe(2); // the failed alloc did not take a slot
    b.release();
    must(p.clone(a, 0, 0)).release();
    a.release();
    c.release();
    expect(p.stats.inUse).toBe(0);
  });
});

describe('PacketPool production mode', () => {
  it('steady-state alloc/clone/wrap/release creates no new handles (DESIGN principle 4)', () => {
    const p = new PacketPool({ memoryBytes: 4 * MiB });
    const ext = new Uint8Array(256);
    const cycle = (): void => {
      const hdr = must(p.alloc(54));
      hdr.append(54);
      const data = must(p.alloc(1400));
      data.append(1400);
      const seg = must(p.clone(data, 100, 1000));
      hdr.next = seg;
      const w = p.wrap(ext, 0, 256);
      seg.next = w;
      data.release();
      hdr.retain();
      hdr.release();
      hdr.release();
    };
    for (let i = 0; i < 10; i++) cycle();
    const created = p.stats.handlesCreated;
    expect(created).toBeGreaterThan(0);
    for (let i = 0; i < 10_000; i++) cycle();
    expect(p.stats.handlesCreated).toBe(created);
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
    expect(p.stats.externalInUse).toBe(0);
  });

  it('handles are recycled: a released handle object comes back from the next alloc', () => {
    const p = new PacketPool({ memoryBytes: MiB });
    const a = must(p.alloc(10));
    a.release();
    const b = must(p.alloc(10));
    expect(b).toBe(a);
    expect(b.next).toBeNull();
    expect(b.timestamp).toBe(0);
    b.release();
  });

  it('recycled handles come back clean (no leftover chain, checksum state, timestamp)', () => {
    const p = new PacketPool({ memoryBytes: MiB });
    const a = must(p.alloc(10));
    a.next = must(p.alloc(10));
    a.csumState = CSUM_COMPLETE;
    a.csumValue = 99;
    a.csumStart = 3;
    a.csumOffset = 4;
    a.timestamp = 5;
    a.release();
    const b = must(p.alloc(10));
    const c = must(p.alloc(10));
    for (const x of [b, c]) {
      expect([x.next, x.csumState, x.csumValue, x.csumStart, x.csumOffset, x.timestamp]).toEqual([null, 0, 0, 0, 0, 0]);
    }
    b.release();
    c.release();
  });

  it('double release is detected cheaply and counted, and does not corrupt the free list', () => {
    const p = new PacketPool({ memoryBytes: MiB, slotSizes: [{ size: 2048, count: 4 }] });
    const a = must(p.alloc(10));
    a.release();
    a.release(); // a sits in the handle free list with no references
    expect(p.stats.doubleRelease).toBe(1);
    // Chain with an already released element: counted, the walk stops there.
    const x = must(p.alloc(10));
    const y = must(p.alloc(10));
    x.next = y;
    y.release();
    x.release();
    expect(p.stats.doubleRelease).toBe(2);
    // Every slot is handed out exactly once.
    const bufs: PacketBuffer[] = [];
    for (let b = p.alloc(10); b !== null; b = p.alloc(10)) bufs.push(b);
    expect(bufs.length).toBe(4);
    expect(new Set(bufs.map((b) => b.start)).size).toBe(4);
    expect(new Set(bufs).size).toBe(4);
    expect(p.stats.inUse).toBe(4);
    for (const b of bufs) b.release();
    expect(p.stats.inUse).toBe(0);
  });

  it('retain or clone of a released handle throws ERR_BUFFER_RELEASED even in production', () => {
    const p = new PacketPool({ memoryBytes: MiB });
    const a = must(p.alloc(10));
    a.release();
    expect(() => a.retain()).toThrow(PacketBufferError);
    expect(() => p.clone(a, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_RELEASED' }));
  });
});

describe('PacketPool checksum engine', () => {
  it('is bound to the pool memory and sums buffers in place, equal to the JS reference', () => {
    const p = new PacketPool({ memoryBytes: 2 * MiB });
    expect(['js', 'wasm-simd']).toContain(p.checksum.kind);
    const b = must(p.alloc(1500));
    const at = b.append(1500);
    for (let i = 0; i < 1500; i++) b.bytes[at + i] = (i * 31 + 7) & 0xff;
    for (const [off, len] of [
      [0, 1500],
      [1, 1499],
      [3, 64],
      [14, 20],
    ] as const) {
      expect(p.checksum.sum(b.bytes, b.head + off, len)).toBe(onesSum(b.bytes, b.head + off, len));
    }
    const dst = must(p.alloc(1500));
    const d = dst.append(1500);
    expect(p.checksum.copyAndSum(b.bytes, b.head, dst.bytes, d, 1500)).toBe(onesSum(b.bytes, b.head, 1500));
    expect([...dst.view()]).toEqual([...b.view()]);
    b.release();
    dst.release();
  });
});
