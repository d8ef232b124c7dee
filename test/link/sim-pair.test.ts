import { describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CSUM_UNNECESSARY } from '../../src/buf/packet-buffer.js';
import type { PacketPool } from '../../src/buf/pool.js';
import { createPair } from '../../src/link/sim/pair.js';
import { RealClock } from '../../src/time/real-clock.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import type { Clock } from '../../src/time/clock.js';
import { l4Frame, l4Verifies, MAC_A, MAC_B, rawFrame, record, smallPool } from './sim-helpers.js';

function pair(clock: Clock, poolA: PacketPool, poolB: PacketPool = poolA, extra: { queueFrames?: number } = {}) {
  return createPair({
    clock,
    a: { name: 'a', mac: MAC_A, pool: poolA, txChecksumOffload: true },
    b: { name: 'b', mac: MAC_B, pool: poolB, rxChecksum: 'unnecessary' },
    ...extra,
  });
}

describe('in-process pair', () => {
  it('hands a single unshared buffer of the same pool over without copying', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a, b } = pair(clock, pool);
    const got: PacketBuffer[] = [];
    b.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) got.push(fs[i]!);
    });
    const f = rawFrame(pool, 100);
    const head = f.head;
    a.transmit(f);
    expect(got).toHaveLength(0); // delivery is deferred, never synchronous
    clock.runUntilIdle();
    expect(got).toHaveLength(1);
    expect(got[0]).toBe(f); // the same handle: ownership moved
    expect(got[0]!.head).toBe(head);
    expect(pool.stats.allocs).toBe(1);
    got[0]!.release();
    expect(pool.stats.inUse).toBe(0);
  });

  it('delivers everything sent before the deferred call as one batch (one defer per batch)', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a, b } = pair(clock, pool);
    const rx = record(b, clock);
    for (let i = 0; i < 10; i++) a.transmit(rawFrame(pool, 60 + i));
    expect(clock.pending).toBe(1);
    clock.runUntilIdle();
    expect(rx.batches).toEqual([10]);
    expect(rx.frames.map((f) => f.bytes.length)).toEqual([60, 61, 62, 63, 64, 65, 66, 67, 68, 69]);
    expect(clock.now()).toBe(0);
    expect(a.stats.txFrames).toBe(10);
    expect(b.stats.rxFrames).toBe(10);
  });

  it('frames sent from the receive handler go into the next batch', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a, b } = pair(clock, pool);
    let pings = 0;
    const batches: number[] = [];
    b.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) {
        fs[i]!.release();
        if (pings < 3) b.transmit(rawFrame(pool, 64)); // reply
      }
    });
    a.setReceiveHandler((fs, n) => {
      batches.push(n);
      for (let i = 0; i < n; i++) {
        fs[i]!.release();
        pings++;
        a.transmit(rawFrame(pool, 64));
      }
    });
    a.transmit(rawFrame(pool, 64));
    clock.runUntilIdle();
    expect(pings).toBe(3);
    expect(batches).toEqual([1, 1, 1]);
    expect(pool.stats.inUse).toBe(0);
  });

  it('copies frames from another pool, chains, and shared buffers; releases the originals', () => {
    const clock = new VirtualClock();
    const poolA = smallPool();
    const poolB = smallPool();
    const { a, b } = pair(clock, poolA, poolB);
    const rx = record(b, clock);
    a.transmit(rawFrame(poolA, 100, MAC_B, MAC_A, () => 7));
    clock.runUntilIdle();
    expect(rx.frames[0]!.bytes[50]).toBe(7);
    expect(poolA.stats.inUse).toBe(0);
    expect(poolB.stats.allocs).toBe(1);

    // A chain in the receiver's own pool is linearized.
    const head = rawFrame(poolB, 30, MAC_B, MAC_A, () => 1);
    const tail = rawFrame(poolB, 40, MAC_B, MAC_A, () => 2);
    head.next = tail;
    const { a: a2, b: b2 } = pair(clock, poolB);
    const rx2 = record(b2, clock);
    a2.transmit(head);
    clock.runUntilIdle();
    expect(rx2.frames[0]!.bytes.length).toBe(70);
    expect(rx2.frames[0]!.bytes[29]).toBe(1);
    expect(rx2.frames[0]!.bytes[30]).toBe(MAC_B[0]);

    // A retained (shared) buffer is copied: the receiver may write into what it gets.
    const shared = rawFrame(poolB, 80);
    shared.retain();
    a2.transmit(shared);
    clock.runUntilIdle();
    expect(rx2.frames).toHaveLength(2);
    expect(shared.isShared()).toBe(false); // the pair dropped its reference
    shared.release();
    expect(poolB.stats.inUse).toBe(0);
  });

  it('completes CSUM_PARTIAL checksums (in place when handed over, in the copy otherwise)', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const other = smallPool();
    for (const [pa, pb] of [
      [pool, pool],
      [pool, other],
    ] as const) {
      const { a, b } = pair(clock, pa, pb);
      const rx = record(b, clock);
      a.transmit(l4Frame(pa, { protocol: 6, payloadLength: 501, checksum: 'partial' }).buf);
      a.transmit(l4Frame(pa, { protocol: 17, payloadLength: 64, checksum: 'partial' }).buf);
      clock.runUntilIdle();
      expect(rx.frames.map((f) => l4Verifies(f.bytes))).toEqual([true, true]);
      expect(rx.frames.map((f) => f.csumState)).toEqual([CSUM_UNNECESSARY, CSUM_UNNECESSARY]);
    }
  });

  it('bounds the queue with queueFrames (queueFull) and drops for closed ports (down)', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a, b } = pair(clock, pool, pool, { queueFrames: 2 });
    const rx = record(b, clock);
    expect([1, 2, 3].map(() => a.transmit(rawFrame(pool, 64)))).toEqual([true, true, false]);
    expect(a.stats.drops.queueFull).toBe(1);
    clock.runUntilIdle();
    expect(rx.frames).toHaveLength(2);
    a.transmit(rawFrame(pool, 64));
    b.close();
    clock.runUntilIdle();
    expect(b.stats.drops.down).toBe(1);
    a.transmit(rawFrame(pool, 64));
    a.close();
    expect(a.stats.drops.down).toBe(1); // queued frame released on close
    clock.runUntilIdle();
    expect(pool.stats.inUse).toBe(0);
  });

  it('works on a RealClock: delivery happens on the event loop', async () => {
    const clock = new RealClock();
    const pool = smallPool();
    const { a, b } = pair(clock, pool);
    const done = new Promise<number[]>((resolve) => {
      const sizes: number[] = [];
      b.setReceiveHandler((fs, n) => {
        for (let i = 0; i < n; i++) {
          sizes.push(fs[i]!.length);
          fs[i]!.release();
        }
        if (sizes.length === 3) resolve(sizes);
      });
    });
    for (const n of [60, 70, 80]) a.transmit(rawFrame(pool, n));
    expect(await done).toEqual([60, 70, 80]);
    expect(pool.stats.inUse).toBe(0);
    clock.close();
  });
});
