// The send queue: byte-exact slices over random chunk boundaries, fused sums,
// zero-copy identity and completions, limits, and no leaks.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingAccounting } from '../../../src/acct/accounting.js';
import type { PacketBuffer } from '../../../src/buf/packet-buffer.js';
import { PacketPool } from '../../../src/buf/pool.js';
import { SendBuffer, SEND_CHUNK_BYTES } from '../../../src/tcp/send-buffer.js';
import { combineSums, onesSum } from '../../../src/wire/checksum.js';

const pools: PacketPool[] = [];
function newPool(opts: { maxHandles?: number; memoryBytes?: number } = {}): PacketPool {
  const p = new PacketPool({ memoryBytes: 8 << 20, debug: true, slotSizes: [2048, 16384, 65536], ...opts });
  pools.push(p);
  return p;
}
afterEach(() => {
  const list = pools.splice(0);
  for (const p of list) {
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
    expect(p.stats.externalInUse).toBe(0);
  }
});

function chainBytes(b: PacketBuffer | null): number[] {
  const out: number[] = [];
  for (let x = b; x !== null; x = x.next) for (const v of x.view()) out.push(v);
  return out;
}

function chainElements(b: PacketBuffer | null): number {
  let n = 0;
  for (let x = b; x !== null; x = x.next) n++;
  return n;
}

const src = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 7)) & 0xff);

describe('send-buffer: appends and limits', () => {
  it('appendCopy copies into pool chunks (acct.copy) and slice returns exactly those bytes', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const sb = new SendBuffer(pool, 1 << 20, acct);
    const data = src(40_000);
    expect(sb.appendCopy(data, 0, 40_000)).toBe(40_000);
    expect(acct.bytesCopied).toBe(40_000);
    expect(sb.length).toBe(40_000);
    expect(sb.chunkCount).toBe(Math.ceil(40_000 / SEND_CHUNK_BYTES));
    const s = sb.slice(16_000, 1_000)!; // across the first chunk boundary
    expect(chainElements(s)).toBe(2);
    expect(chainBytes(s)).toEqual(Array.from(data.subarray(16_000, 17_000)));
    s.release();
    sb.clear();
  });

  it('appends take at most space() = limit − length; setLimit changes the bound', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 5000, new CountingAccounting());
    const data = src(8000);
    expect(sb.space()).toBe(5000);
    expect(sb.appendCopy(data, 0, 3000)).toBe(3000);
    expect(sb.appendCopy(data, 3000, 3000)).toBe(2000);
    expect(sb.space()).toBe(0);
    expect(sb.appendZeroCopy(data, 0, 10, 1)).toBe(0);
    expect(sb.appendCopySum(data, 0, 10)).toBe(0);
    sb.ack(1000);
    expect(sb.space()).toBe(1000);
    sb.setLimit(2000);
    expect(sb.space()).toBe(0);
    expect(sb.limit).toBe(2000);
    const s = sb.slice(0, 4000)!;
    expect(chainBytes(s)).toEqual(Array.from(data.subarray(1000, 5000)));
    s.release();
    sb.clear();
  });

  it('small writes fill the tail chunk while it is unshared; after a slice they start a new chunk (shared storage is read-only)', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    const data = src(300);
    sb.appendCopy(data, 0, 100);
    sb.appendCopy(data, 100, 100);
    expect(sb.chunkCount).toBe(1);
    const s = sb.slice(0, 200)!;
    sb.appendCopy(data, 200, 100); // must not append() into the sliced storage (debug pool would throw)
    expect(sb.chunkCount).toBe(2);
    expect(chainBytes(s)).toEqual(Array.from(data.subarray(0, 200)));
    s.release();
    // Once the slice is gone the chunk is unshared again and a copy append may extend the tail.
    sb.appendCopy(data, 0, 10);
    expect(sb.chunkCount).toBe(2);
    const all = sb.slice(0, 310)!;
    expect(chainBytes(all)).toEqual([...data.subarray(0, 300), ...data.subarray(0, 10)]);
    all.release();
    sb.clear();
  });

  it('appendCopy returns fewer bytes when the pool runs dry, and slice returns null when handles run out', () => {
    const pool = new PacketPool({ memoryBytes: 256 << 10, debug: true, slotSizes: [2048, 16384], maxHandles: 4 });
    pools.push(pool);
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    const data = src(200_000);
    const took = sb.appendCopy(data, 0, 200_000);
    expect(took).toBeGreaterThan(0);
    expect(took).toBeLessThan(200_000);
    expect(sb.length).toBe(took);
    const handles = pool.stats.handlesInUse;
    const extra: PacketBuffer[] = [];
    while (pool.stats.handlesInUse < 4) extra.push(pool.alloc(0, 0)!);
    expect(sb.slice(0, Math.min(took, 100))).toBeNull();
    for (const e of extra) e.release();
    expect(pool.stats.handlesInUse).toBe(handles);
    sb.clear();
  });

  it('bad ranges are RangeErrors', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1000, new CountingAccounting());
    sb.appendCopy(src(100), 0, 100);
    expect(() => sb.slice(50, 51)).toThrow(RangeError);
    expect(() => sb.slice(0, 0)).toThrow(RangeError);
    expect(() => sb.ack(101)).toThrow(RangeError);
    expect(() => sb.appendCopy(src(10), 5, 6)).toThrow(RangeError);
    sb.clear();
  });
});

describe('send-buffer: zero-copy', () => {
  it('a slice of a zero-copy append is a view of the caller’s array: same ArrayBuffer, same offset (no copy, no accounting)', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const sb = new SendBuffer(pool, 1 << 20, acct);
    const user = src(10_000);
    expect(sb.appendZeroCopy(user, 1000, 5000, 7)).toBe(5000);
    const s = sb.slice(100, 1448)!;
    expect(s.bytes).toBe(user);
    expect(s.bytes.buffer).toBe(user.buffer);
    expect(s.head).toBe(1100);
    expect(s.length).toBe(1448);
    expect(acct.bytesCopied + acct.bytesCopyChecksummed).toBe(0);
    s.release();
    sb.clear();
  });

  it('completion ids fire once every byte of an append is acked, in append order', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    const done: number[] = [];
    sb.onComplete = (id) => done.push(id);
    const a = src(1000, 1);
    const b = src(1000, 2);
    sb.appendZeroCopy(a, 0, 1000, 11);
    sb.appendCopy(a, 0, 500);
    sb.appendZeroCopy(b, 0, 1000, 12);
    sb.appendZeroCopy(a, 500, 300, 13);
    sb.ack(999);
    expect(done).toEqual([]);
    sb.ack(1);
    expect(done).toEqual([11]);
    sb.ack(500 + 999);
    expect(done).toEqual([11]);
    sb.ack(1 + 300);
    expect(done).toEqual([11, 12, 13]);
    expect(sb.length).toBe(0);
    expect(pool.stats.externalInUse).toBe(0);
  });

  it('a slice outliving the ack keeps the wrapped array referenced until it is released', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    const done: number[] = [];
    sb.onComplete = (id) => done.push(id);
    const user = src(100);
    sb.appendZeroCopy(user, 0, 100, 5);
    const s = sb.slice(0, 100)!;
    sb.ack(100);
    expect(done).toEqual([5]);
    expect(pool.stats.externalInUse).toBe(1);
    s.release();
    expect(pool.stats.externalInUse).toBe(0);
  });

  it('clear() releases zero-copy chunks without reporting their ids', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    const done: number[] = [];
    sb.onComplete = (id) => done.push(id);
    sb.appendZeroCopy(src(100), 0, 100, 1);
    sb.clear();
    expect(done).toEqual([]);
    expect(sb.length).toBe(0);
  });
});

describe('send-buffer: fused copy+checksum sums', () => {
  it('appendCopySum counts acct.copyCsum; with segmentSize = MSS every MSS-aligned segment has a known sum', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const sb = new SendBuffer(pool, 1 << 20, acct);
    sb.segmentSize = 1448;
    const data = src(20_000);
    sb.appendCopySum(data, 0, 7000);
    sb.appendCopySum(data, 7000, 13_000);
    expect(acct.bytesCopyChecksummed).toBe(20_000);
    expect(acct.bytesCopied).toBe(0);
    for (let off = 0; off + 1448 <= 20_000; off += 1448) {
      expect(sb.sumOf(off, 1448)).toBe(onesSum(data, off, 1448));
    }
    // Two whole chunks at once; and the short last chunk.
    expect(sb.sumOf(1448, 2896)).toBe(onesSum(data, 1448, 2896));
    const lastOff = Math.floor(20_000 / 1448) * 1448;
    expect(sb.sumOf(lastOff, 20_000 - lastOff)).toBe(onesSum(data, lastOff, 20_000 - lastOff));
    // Not on chunk boundaries: unknown.
    expect(sb.sumOf(1, 1448)).toBe(-1);
    expect(sb.sumOf(0, 1000)).toBe(-1);
    sb.clear();
  });

  it('sums of odd-length chunks combine with the byte swap (RFC 1071 §2(B))', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    sb.segmentSize = 1001;
    const data = src(5005, 3);
    sb.appendCopySum(data, 0, 5005);
    expect(sb.chunkCount).toBe(5);
    expect(sb.sumOf(0, 3003)).toBe(onesSum(data, 0, 3003));
    expect(sb.sumOf(1001, 4004)).toBe(onesSum(data, 1001, 4004));
    expect(combineSums(sb.sumOf(0, 1001), sb.sumOf(1001, 1001), true)).toBe(onesSum(data, 0, 2002));
    sb.clear();
  });

  it('small fused writes extend the unsent tail chunk (sum kept) until it is sliced or reaches segmentSize', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    sb.segmentSize = 1000;
    const data = src(3000, 4);
    sb.appendCopySum(data, 0, 333);
    sb.appendCopySum(data, 333, 333);
    expect(sb.chunkCount).toBe(1);
    expect(sb.sumOf(0, 666)).toBe(onesSum(data, 0, 666));
    const s = sb.slice(0, 666)!; // a segment was sent: the chunk's sum must keep matching it
    s.release();
    sb.appendCopySum(data, 666, 334);
    expect(sb.chunkCount).toBe(2);
    expect(sb.sumOf(0, 666)).toBe(onesSum(data, 0, 666));
    expect(sb.sumOf(666, 334)).toBe(onesSum(data, 666, 334));
    sb.clear();
  });

  it('copy-mode, zero-copy and partially acked chunks have no sum (-1)', () => {
    const pool = newPool();
    const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
    sb.segmentSize = 500;
    const data = src(3000, 5);
    sb.appendCopySum(data, 0, 1000); // chunks [0,500) [500,1000)
    sb.appendCopy(data, 1000, 500); // [1000,1500) copy mode
    sb.appendZeroCopy(data, 1500, 500, 1); // [1500,2000)
    expect(sb.sumOf(1000, 500)).toBe(-1);
    expect(sb.sumOf(1500, 500)).toBe(-1);
    expect(sb.sumOf(0, 1500)).toBe(-1);
    sb.ack(100);
    expect(sb.sumOf(0, 400)).toBe(-1); // trimmed chunk
    expect(sb.sumOf(400, 500)).toBe(onesSum(data, 500, 500)); // the next one is intact
    sb.clear();
  });
});

describe('send-buffer: property', () => {
  type Op =
    | { k: 'copy' | 'sum' | 'zc'; len: number }
    | { k: 'slice'; off: number; len: number }
    | { k: 'ack'; n: number }
    | { k: 'seg'; size: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ k: fc.constantFrom('copy' as const, 'sum' as const, 'zc' as const), len: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 40_000 })) }),
    fc.record({ k: fc.constant('slice' as const), off: fc.nat(), len: fc.integer({ min: 1, max: 70_000 }) }),
    // A segment-sized slice from the front (what output does): aligned with fused chunks when nothing was partially acked.
    fc.record({ k: fc.constant('slice' as const), off: fc.constant(0), len: fc.constantFrom(536, 1000, 1448, 1460, 9000) }),
    fc.record({ k: fc.constant('ack' as const), n: fc.nat() }),
    fc.record({ k: fc.constant('seg' as const), size: fc.constantFrom(0, 536, 1000, 1448, 1460, 9000) }),
  );

  it('slices are byte-exact over random chunk boundaries, sums are right when known, completions in order, nothing leaks', () => {
    const stream = src(1 << 20, 9);
    let knownSums = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 2048, max: 300_000 }), (ops, limit) => {
        const pool = new PacketPool({ memoryBytes: 8 << 20, debug: true, slotSizes: [2048, 16384, 65536] });
        const acct = new CountingAccounting();
        const sb = new SendBuffer(pool, limit, acct);
        const done: number[] = [];
        sb.onComplete = (id) => done.push(id);
        // Model: the queued bytes are stream[una, end); zero-copy appends end at zcEnds[i] (stream offsets).
        let una = 0;
        let end = 0;
        let nextId = 0;
        const zc: { id: number; end: number }[] = [];
        const held: PacketBuffer[] = [];
        for (const o of ops) {
          switch (o.k) {
            case 'copy':
            case 'sum':
            case 'zc': {
              const len = Math.min(o.len, stream.length - end);
              if (len === 0) break;
              const want = Math.min(len, sb.space());
              let got: number;
              if (o.k === 'copy') got = sb.appendCopy(stream, end, len);
              else if (o.k === 'sum') got = sb.appendCopySum(stream, end, len);
              else got = sb.appendZeroCopy(stream, end, len, nextId);
              expect(got).toBeLessThanOrEqual(want);
              if (o.k === 'zc') {
                expect(got).toBe(want);
                if (got > 0) zc.push({ id: nextId++, end: end + got });
              }
              end += got;
              break;
            }
            case 'slice': {
              const size = end - una;
              if (size === 0) break;
              const off = o.off % size;
              const len = Math.min(o.len, size - off);
              const s = sb.slice(off, len)!;
              expect(chainBytes(s)).toEqual(Array.from(stream.subarray(una + off, una + off + len)));
              const sum = sb.sumOf(off, len);
              if (sum >= 0) {
                expect(sum).toBe(onesSum(stream, una + off, len));
                knownSums++;
              }
              held.push(s);
              if (held.length > 3) held.shift()!.release();
              break;
            }
            case 'ack': {
              const n = o.n % (end - una + 1);
              sb.ack(n);
              una += n;
              const expectDone = zc.filter((z) => z.end <= una).map((z) => z.id);
              expect(done).toEqual(expectDone);
              break;
            }
            case 'seg':
              sb.segmentSize = o.size;
              break;
          }
          expect(sb.length).toBe(end - una);
          expect(sb.space()).toBe(Math.max(0, limit - (end - una)));
        }
        expect(acct.bytesCopied + acct.bytesCopyChecksummed).toBeLessThanOrEqual(end);
        for (const h of held) h.release();
        sb.clear();
        expect(pool.stats.inUse).toBe(0);
        expect(pool.stats.handlesInUse).toBe(0);
        expect(pool.stats.externalInUse).toBe(0);
      }),
      { numRuns: 300, seed: 424242 },
    );
    expect(knownSums).toBeGreaterThan(5);
  });
});
