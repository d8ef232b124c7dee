// In-order receive data: byte-exact reads across random buffer boundaries,
// fused copy+checksum reads, zero-copy view hand-off, and no leaks.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingAccounting } from '../../../src/acct/accounting.js';
import type { PacketBuffer } from '../../../src/buf/packet-buffer.js';
import { PacketPool } from '../../../src/buf/pool.js';
import { RecvBuffer } from '../../../src/tcp/recv-buffer.js';
import { jsChecksum, onesSum } from '../../../src/wire/checksum.js';

const pools: PacketPool[] = [];
function newPool(): PacketPool {
  const p = new PacketPool({ memoryBytes: 4 << 20, debug: true, slotSizes: [2048, 16384] });
  pools.push(p);
  return p;
}
afterEach(() => {
  for (const p of pools.splice(0)) {
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
  }
});

const DATA = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 13 + (i >> 9)) & 0xff);

/** Push DATA[off, off+len) as a payload window (with a fake 40-byte header trimmed off, as input does). */
function push(pool: PacketPool, rb: RecvBuffer, off: number, len: number): PacketBuffer {
  const b = pool.alloc(40 + len, 0)!;
  const at = b.append(40 + len);
  b.bytes.set(DATA.subarray(off, off + len), at + 40);
  b.trimFront(40);
  rb.push(b);
  return b;
}

describe('recv-buffer', () => {
  it('read copies across buffers, releases consumed ones, trims a partly read one (acct.copy)', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const rb = new RecvBuffer(65536, acct);
    push(pool, rb, 0, 100);
    push(pool, rb, 100, 50);
    push(pool, rb, 150, 200);
    expect(rb.length).toBe(350);
    const dst = new Uint8Array(400);
    expect(rb.read(dst, 10, 120)).toBe(120);
    expect(Array.from(dst.subarray(10, 130))).toEqual(Array.from(DATA.subarray(0, 120)));
    expect(rb.bufferCount).toBe(2);
    expect(pool.stats.inUse).toBe(2);
    expect(rb.length).toBe(230);
    expect(rb.read(dst, 0, 400)).toBe(230);
    expect(Array.from(dst.subarray(0, 230))).toEqual(Array.from(DATA.subarray(120, 350)));
    expect(acct.bytesCopied).toBe(350);
    expect(rb.read(dst, 0, 10)).toBe(0);
    expect(rb.length).toBe(0);
  });

  it('readCsum copies and returns the sum of exactly the bytes copied, combined over odd-length buffers (acct.copyCsum)', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const rb = new RecvBuffer(65536, acct);
    push(pool, rb, 0, 101);
    push(pool, rb, 101, 33);
    push(pool, rb, 134, 500);
    const dst = new Uint8Array(1000);
    const r = rb.readCsum(dst, 0, 300, pool.checksum);
    expect(r.bytes).toBe(300);
    expect(r.sum).toBe(onesSum(DATA, 0, 300));
    expect(Array.from(dst.subarray(0, 300))).toEqual(Array.from(DATA.subarray(0, 300)));
    const r2 = rb.readCsum(dst, 1, 999, jsChecksum);
    expect(r2).toBe(r); // the same reusable result object: no allocation per call
    expect(r2.bytes).toBe(334);
    expect(r2.sum).toBe(onesSum(DATA, 300, 334));
    expect(acct.bytesCopyChecksummed).toBe(634);
    expect(acct.bytesCopied).toBe(0);
    expect(rb.readCsum(dst, 0, 10, jsChecksum).bytes).toBe(0);
  });

  it('readViews hands out the buffers themselves (zero-copy identity); the caller releases them', () => {
    const pool = newPool();
    const acct = new CountingAccounting();
    const rb = new RecvBuffer(65536, acct);
    const a = push(pool, rb, 0, 10);
    const b = push(pool, rb, 10, 20);
    const c = push(pool, rb, 30, 30);
    const out: PacketBuffer[] = [];
    expect(rb.readViews(2, out)).toBe(2);
    expect(out[0]).toBe(a);
    expect(out[1]).toBe(b);
    expect(out[0]!.bytes).toBe(pool.bytes);
    expect(Array.from(out[1]!.view())).toEqual(Array.from(DATA.subarray(10, 30)));
    expect(rb.length).toBe(30);
    expect(acct.bytesCopied + acct.bytesCopyChecksummed).toBe(0);
    for (const v of out) v.release();
    expect(rb.readViews(8, out)).toBe(1);
    expect(out[0]).toBe(c);
    c.release();
    expect(rb.length).toBe(0);
  });

  it('push splits chains and drops empty windows; clear releases everything', () => {
    const pool = newPool();
    const rb = new RecvBuffer(65536, new CountingAccounting());
    const h = pool.allocCopy(DATA, 0, 10, 0)!;
    h.next = pool.allocCopy(DATA, 0, 0, 0)!;
    h.next.next = pool.allocCopy(DATA, 10, 5, 0)!;
    rb.push(h);
    expect(rb.bufferCount).toBe(2);
    expect(rb.length).toBe(15);
    const dst = new Uint8Array(15);
    rb.read(dst, 0, 15);
    expect(Array.from(dst)).toEqual(Array.from(DATA.subarray(0, 15)));
    push(pool, rb, 0, 100);
    rb.clear();
    expect(rb.length).toBe(0);
  });

  it('limit and space(): the window is computed from them', () => {
    const pool = newPool();
    const rb = new RecvBuffer(1000, new CountingAccounting());
    push(pool, rb, 0, 300);
    expect(rb.space()).toBe(700);
    rb.setLimit(200);
    expect(rb.space()).toBe(0);
    expect(rb.limit).toBe(200);
    rb.clear();
    expect(() => rb.read(new Uint8Array(4), 2, 3)).toThrow(RangeError);
  });

  it('property: reads of random sizes across random buffer boundaries are byte-exact, mixing read, readCsum and readViews', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.tuple(fc.constantFrom('read', 'csum', 'views'), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 60 }),
        (sizes, reads) => {
          const pool = new PacketPool({ memoryBytes: 4 << 20, debug: true, slotSizes: [2048, 16384] });
          const acct = new CountingAccounting();
          const rb = new RecvBuffer(1 << 20, acct);
          let pushed = 0;
          for (const s of sizes) {
            const len = Math.min(s, DATA.length - pushed);
            push(pool, rb, pushed, len);
            pushed += len;
          }
          const got: number[] = [];
          const dst = new Uint8Array(5000);
          const views: PacketBuffer[] = [];
          let copied = 0;
          for (const [kind, n] of reads) {
            if (kind === 'read') {
              const k = rb.read(dst, 0, n);
              copied += k;
              for (let i = 0; i < k; i++) got.push(dst[i]!);
            } else if (kind === 'csum') {
              const start = got.length;
              const r = rb.readCsum(dst, 0, n, pool.checksum);
              copied += r.bytes;
              for (let i = 0; i < r.bytes; i++) got.push(dst[i]!);
              expect(r.sum).toBe(r.bytes === 0 ? 0 : onesSum(DATA, start, r.bytes));
            } else {
              const k = rb.readViews(n % 5, views);
              for (let i = 0; i < k; i++) {
                for (const x of views[i]!.view()) got.push(x);
                views[i]!.release();
              }
            }
            expect(rb.length).toBe(pushed - got.length);
          }
          expect(got).toEqual(Array.from(DATA.subarray(0, got.length)));
          expect(acct.bytesCopied + acct.bytesCopyChecksummed).toBe(copied);
          rb.clear();
          expect(pool.stats.inUse).toBe(0);
          expect(pool.stats.handlesInUse).toBe(0);
        },
      ),
      { numRuns: 300, seed: 99 },
    );
  });
});
