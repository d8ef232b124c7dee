import { describe, expect, it } from 'vitest';
import type { PacketPool } from '../../src/buf/pool.js';
import { noImpairments, type ImpairmentConfig } from '../../src/link/sim/impairments.js';
import { SimPort, type SimPortOptions } from '../../src/link/sim/port.js';
import { serializationDelay, Wire, type WireDirectionConfig } from '../../src/link/sim/wire.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import { bitDiff, MAC_A, MAC_B, rawFrame, record, smallPool } from './sim-helpers.js';

const MS = 1_000_000;
const US = 1_000;

function dir(o: Partial<WireDirectionConfig> & { imp?: Partial<ImpairmentConfig> } = {}): WireDirectionConfig {
  return {
    rate: o.rate ?? 1e9,
    delay: o.delay ?? 0,
    queueBytes: o.queueBytes ?? Infinity,
    overheadBytes: o.overheadBytes ?? 0,
    impairments: { ...noImpairments(), ...o.imp },
  };
}

interface Setup {
  clock: VirtualClock;
  poolA: PacketPool;
  poolB: PacketPool;
  a: SimPort;
  b: SimPort;
  wire: Wire;
}

function setup(
  ab: WireDirectionConfig = dir(),
  ba: WireDirectionConfig = dir(),
  portOpts: Partial<SimPortOptions> = {},
  seed = 1,
): Setup {
  const clock = new VirtualClock();
  const poolA = smallPool();
  const poolB = smallPool();
  const a = new SimPort({ name: 'a', mac: MAC_A, pool: poolA, clock, ...portOpts });
  const b = new SimPort({ name: 'b', mac: MAC_B, pool: poolB, clock, ...portOpts });
  const prng = new Prng(seed);
  const wire = new Wire(clock, a, b, ab, ba, prng.fork('ab'), prng.fork('ba'));
  return { clock, poolA, poolB, a, b, wire };
}

describe('serialization and propagation', () => {
  it('a 1500-byte frame over a 1 Gbit/s, 1 ms link arrives at exactly 1 ms + 12 µs', () => {
    const s = setup(dir({ rate: 1e9, delay: 1 * MS }));
    const rx = record(s.b, s.clock);
    expect(s.a.transmit(rawFrame(s.poolA, 1500))).toBe(true);
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(1);
    expect(rx.frames[0]!.time).toBe(1 * MS + 12 * US);
    expect(rx.frames[0]!.timestamp).toBe(1 * MS + 12 * US);
    expect(rx.frames[0]!.bytes.length).toBe(1500);
  });

  it('serialization delay is ceil(bytes·8·1e9/rate) ns', () => {
    expect(serializationDelay(1500, 1e9)).toBe(12_000);
    expect(serializationDelay(1500, 10e9)).toBe(1_200);
    expect(serializationDelay(1, 3e9)).toBe(3); // 2.67 ns rounds up
    expect(serializationDelay(64, 100e9)).toBe(6); // 5.12 ns
    expect(serializationDelay(1500, Infinity)).toBe(0);
  });

  it('back-to-back frames queue behind each other, one serialization time apart', () => {
    const s = setup(dir({ rate: 1e9, delay: 1 * MS }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 3; i++) s.a.transmit(rawFrame(s.poolA, 1500));
    s.clock.runUntilIdle();
    expect(rx.frames.map((f) => f.time)).toEqual([1_012_000, 1_024_000, 1_036_000]);
  });

  it('overheadBytes (preamble, FCS, IFG) count toward serialization only', () => {
    const s = setup(dir({ rate: 1e9, overheadBytes: 24 }));
    const rx = record(s.b, s.clock);
    s.a.transmit(rawFrame(s.poolA, 1500));
    s.clock.runUntilIdle();
    expect(rx.frames[0]!.time).toBe(12_192);
    expect(rx.frames[0]!.bytes.length).toBe(1500);
    expect(s.wire.ab.stats.bytesSent).toBe(1500);
  });

  it('pads frames shorter than 60 bytes with zeros (IEEE 802.3 minimum frame)', () => {
    const s = setup(dir({ rate: 1e9 }));
    const rx = record(s.b, s.clock);
    s.a.transmit(rawFrame(s.poolA, 20, MAC_B, MAC_A, () => 0xee));
    s.clock.runUntilIdle();
    const f = rx.frames[0]!;
    expect(f.bytes.length).toBe(60);
    expect([...f.bytes.subarray(14, 20)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    expect(f.bytes.subarray(20).every((x) => x === 0)).toBe(true);
    expect(f.time).toBe(serializationDelay(60, 1e9));
    expect(s.a.stats.txBytes).toBe(20); // the port counts what the stack handed over
    expect(s.wire.ab.stats.bytesSent).toBe(60);
  });

  it('frames arriving at the same time are delivered as one batch', () => {
    const s = setup(dir({ rate: Infinity, delay: 1 * MS }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 5; i++) s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntilIdle();
    expect(rx.batches).toEqual([5]);
    expect(rx.frames.every((f) => f.time === 1 * MS)).toBe(true);
  });

  it('splits a large same-time batch at rxBatch frames per handler call', () => {
    const s = setup(dir({ rate: Infinity }), dir(), { rxBatch: 4 });
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 10; i++) s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntilIdle();
    expect(rx.batches).toEqual([4, 4, 2]);
  });

  it('delivers in order, with the right bytes, and each direction independently', () => {
    const s = setup(dir({ rate: 1e9, delay: 1 * MS }), dir({ rate: 100e6, delay: 2 * MS }));
    const rxB = record(s.b, s.clock);
    const rxA = record(s.a, s.clock);
    for (let i = 0; i < 4; i++) s.a.transmit(rawFrame(s.poolA, 100 + i, MAC_B, MAC_A, () => i));
    s.b.transmit(rawFrame(s.poolB, 1000, MAC_A, MAC_B));
    s.clock.runUntilIdle();
    expect(rxB.frames.map((f) => f.bytes.length)).toEqual([100, 101, 102, 103]);
    expect(rxB.frames.map((f) => f.bytes[20])).toEqual([0, 1, 2, 3]);
    expect(rxA.frames[0]!.time).toBe(2 * MS + 80 * US);
  });
});

describe('buffer ownership', () => {
  it('releases the sender buffer once the frame has left, and the receiver gets its own copy', () => {
    const s = setup(dir({ rate: 1e9, delay: 1 * MS }));
    const rx = record(s.b, s.clock);
    s.a.transmit(rawFrame(s.poolA, 1500));
    expect(s.poolA.stats.inUse).toBe(1);
    s.clock.runUntil(11_999);
    expect(s.poolA.stats.inUse).toBe(1); // still serializing
    s.clock.runUntil(12_000);
    expect(s.poolA.stats.inUse).toBe(0); // left the device
    expect(s.a.stats.txFrames).toBe(1);
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(1);
    expect(s.poolB.stats.allocs).toBe(1);
    expect(s.poolB.stats.inUse).toBe(0); // the recorder released it
  });

  it('reuses in-flight records: their number tracks the frames in flight, not the traffic', () => {
    const s = setup(dir({ rate: 1e9, delay: 100 * US }));
    record(s.b, s.clock);
    // 1500-byte frames every 12 µs over 100 µs of delay: at most ~10 in flight at once.
    let sent = 0;
    const t = s.clock.createTimer(() => {
      s.a.transmit(rawFrame(s.poolA, 1500));
      if (++sent < 5000) t.armAfter(12 * US);
    }, null);
    t.arm(0);
    s.clock.runUntilIdle();
    expect(s.b.stats.rxFrames).toBe(5000);
    expect(s.wire.ab.records).toBeLessThanOrEqual(12);
  });

  it('counts noBuffer when the receiving pool is exhausted', () => {
    const s = setup(dir({ rate: Infinity }));
    const rx = record(s.b, s.clock);
    const hog = [];
    let h;
    while ((h = s.poolB.alloc(1500)) !== null) hog.push(h);
    s.a.transmit(rawFrame(s.poolA, 1500));
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(0);
    expect(s.b.stats.drops.noBuffer).toBe(1);
    for (const x of hog) x.release();
  });

  it('a port without a receive handler releases frames and counts them as down', () => {
    const s = setup(dir({ rate: Infinity }));
    s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntilIdle();
    expect(s.b.stats.drops.down).toBe(1);
    expect(s.poolB.stats.inUse).toBe(0);
  });
});

describe('drops', () => {
  it('drop-tail: frames beyond the queue limit are dropped as queueFull on the port and the link', () => {
    const s = setup(dir({ rate: 1e9, queueBytes: 3000 }));
    const rx = record(s.b, s.clock);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(s.a.transmit(rawFrame(s.poolA, 1500)));
    // One serializing (not counted against the queue), two waiting, two dropped.
    expect(results).toEqual([true, true, true, false, false]);
    expect(s.a.stats.drops.queueFull).toBe(2);
    expect(s.wire.ab.stats.drops.queueFull).toBe(2);
    expect(s.wire.ab.stats.queueHighWater).toBe(3000);
    expect(s.wire.ab.backlogFrames).toBe(2);
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(3);
    expect(s.poolA.stats.inUse).toBe(0);
    expect(s.wire.ab.stats.framesOffered).toBe(5);
  });

  it('drops frames larger than mtu + 14 (tooBig) and shorter than an Ethernet header (malformed)', () => {
    const s = setup(dir(), dir(), { mtu: 1500 });
    expect(s.a.transmit(rawFrame(s.poolA, 1515))).toBe(false);
    expect(s.a.stats.drops.tooBig).toBe(1);
    expect(s.a.transmit(rawFrame(s.poolA, 1514))).toBe(true);
    const tiny = s.poolA.alloc(10)!;
    tiny.append(10);
    expect(s.a.transmit(tiny)).toBe(false);
    expect(s.a.stats.drops.malformed).toBe(1);
    expect(s.poolA.stats.inUse).toBe(1); // only the accepted frame, still serializing
  });

  it('the receiver drops frames above its own MTU (tooBig) when the sender has a larger MTU', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const a = new SimPort({ name: 'a', mac: MAC_A, pool, clock, mtu: 9000 });
    const b = new SimPort({ name: 'b', mac: MAC_B, pool, clock, mtu: 1500 });
    const prng = new Prng(1);
    new Wire(clock, a, b, dir(), dir(), prng.fork('ab'), prng.fork('ba'));
    const rx = record(b, clock);
    a.transmit(rawFrame(pool, 3000));
    clock.runUntilIdle();
    expect(rx.frames).toHaveLength(0);
    expect(b.stats.drops.tooBig).toBe(1);
  });

  it('close(): queued frames are released and counted as down; later transmits are down', () => {
    const s = setup(dir({ rate: 1e9 }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 3; i++) s.a.transmit(rawFrame(s.poolA, 1500));
    s.a.close();
    s.a.close(); // idempotent
    expect(s.poolA.stats.inUse).toBe(0);
    expect(s.a.stats.drops.down).toBe(3);
    expect(s.a.transmit(rawFrame(s.poolA, 100))).toBe(false);
    expect(s.a.stats.drops.down).toBe(4);
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(0);
  });

  it('frames arriving at a closed port are dropped as down', () => {
    const s = setup(dir({ rate: 1e9, delay: 1 * MS }));
    record(s.b, s.clock);
    s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntil(MS / 2);
    s.b.close();
    s.clock.runUntilIdle();
    expect(s.b.stats.drops.down).toBe(1);
    expect(s.b.stats.rxFrames).toBe(0);
    expect(s.poolB.stats.inUse).toBe(0);
  });
});

describe('impairments on the wire', () => {
  it('loss p=1: nothing arrives; counted on the link and the sending port', () => {
    const s = setup(dir({ imp: { loss: 1 } }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 10; i++) s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(0);
    expect(s.wire.ab.stats.drops.loss).toBe(10);
    expect(s.a.stats.drops.loss).toBe(10);
    expect(s.wire.ab.stats.framesSent).toBe(10); // lost on the wire, after serialization
    expect(s.poolA.stats.inUse).toBe(0);
  });

  it('duplicate p=1: every frame arrives twice, identical', () => {
    const s = setup(dir({ delay: 1 * MS, imp: { duplicate: 1 } }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 3; i++) s.a.transmit(rawFrame(s.poolA, 100, MAC_B, MAC_A, () => i));
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(6);
    expect(rx.frames.map((f) => f.bytes[30])).toEqual([0, 0, 1, 1, 2, 2]);
    expect(s.wire.ab.stats.duplicated).toBe(3);
    expect(s.wire.ab.stats.framesDelivered).toBe(6);
  });

  it('corrupt p=1: every delivered frame differs from the sent one in exactly one bit, past the Ethernet header', () => {
    const s = setup(dir({ imp: { corrupt: 1 } }));
    const rx = record(s.b, s.clock);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      const f = rawFrame(s.poolA, 60 + (i % 100), MAC_B, MAC_A, (k) => (k * 7 + i) & 0xff);
      sent.push(f.view().slice());
      s.a.transmit(f);
    }
    s.clock.runUntilIdle();
    expect(rx.frames).toHaveLength(200);
    for (let i = 0; i < 200; i++) {
      const d = bitDiff(sent[i]!, rx.frames[i]!.bytes);
      expect(d).toHaveLength(1);
      expect(d[0]!).toBeGreaterThanOrEqual(14 * 8);
    }
    expect(s.wire.ab.stats.corrupted).toBe(200);
  });

  it('reorder: held-back frames are overtaken by later ones', () => {
    const s = setup(dir({ rate: 1e9, imp: { reorder: { p: 0.3, delay: 100 * US } } }), dir(), {}, 4);
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 100; i++) s.a.transmit(rawFrame(s.poolA, 100, MAC_B, MAC_A, () => i));
    s.clock.runUntilIdle();
    const order = rx.frames.map((f) => f.bytes[20]!);
    expect(order).toHaveLength(100);
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(order).not.toEqual([...Array(100).keys()]);
    expect(s.wire.ab.stats.reordered).toBeGreaterThan(10);
  });

  it('jitter delays frames within [delay, delay + jitter] and may reorder them', () => {
    const s = setup(dir({ rate: Infinity, delay: 1 * MS, imp: { jitter: { amount: 50 * US, distribution: 'uniform' } } }));
    const rx = record(s.b, s.clock);
    for (let i = 0; i < 50; i++) s.a.transmit(rawFrame(s.poolA, 100, MAC_B, MAC_A, () => i));
    s.clock.runUntilIdle();
    expect(rx.frames.every((f) => f.time >= 1 * MS && f.time <= 1 * MS + 50 * US)).toBe(true);
    expect(rx.frames.map((f) => f.bytes[20])).not.toEqual([...Array(50).keys()]);
  });

  it('the same seed gives the same arrivals; impairments in one direction leave the other alone', () => {
    const run = (seed: number, lossyBA: boolean): string => {
      const s = setup(
        dir({ delay: 10 * US, imp: { loss: 0.2, duplicate: 0.1, corrupt: 0.1, jitter: { amount: 5 * US, distribution: 'normal' } } }),
        dir({ imp: lossyBA ? { loss: 0.5 } : {} }),
        {},
        seed,
      );
      const rx = record(s.b, s.clock);
      for (let i = 0; i < 200; i++) {
        s.a.transmit(rawFrame(s.poolA, 64 + i, MAC_B, MAC_A, () => i));
        s.b.transmit(rawFrame(s.poolB, 64, MAC_A, MAC_B));
      }
      s.clock.runUntilIdle();
      return rx.frames.map((f) => `${f.time}:${Buffer.from(f.bytes).toString('hex')}`).join('|');
    };
    expect(run(1, false)).toBe(run(1, false));
    expect(run(1, false)).toBe(run(1, true));
    expect(run(1, false)).not.toBe(run(2, false));
  });
});

describe('configuration errors', () => {
  it('rejects bad port options and wire settings, naming the option and the value', () => {
    const clock = new VirtualClock();
    const pool = smallPool(1 << 20);
    expect(() => new SimPort({ name: 'p', mac: new Uint8Array(5), pool, clock })).toThrow(/"mac"/);
    expect(() => new SimPort({ name: 'p', mac: MAC_A, pool, clock, mtu: 67 })).toThrow(/"mtu".*67/);
    expect(() => new SimPort({ name: 'p', mac: MAC_A, pool, clock, rxChecksum: 'maybe' as never })).toThrow(/"rxChecksum".*maybe/);
    expect(() => new SimPort({ name: 'p', mac: MAC_A, pool, clock, rxBatch: 0 })).toThrow(/"rxBatch"/);
    const a = new SimPort({ name: 'a', mac: MAC_A, pool, clock });
    const b = new SimPort({ name: 'b', mac: MAC_B, pool, clock });
    const prng = new Prng(1);
    expect(() => new Wire(clock, a, b, dir({ rate: 0 }), dir(), prng, prng)).toThrow(/"rate".*0/);
    expect(() => new Wire(clock, a, b, dir({ delay: 1.5 }), dir(), prng, prng)).toThrow(/"delay".*1\.5/);
    expect(() => new Wire(clock, a, a, dir(), dir(), prng, prng)).toThrow(/itself/);
    new Wire(clock, a, b, dir(), dir(), prng, prng);
    expect(() => new Wire(clock, a, new SimPort({ name: 'c', mac: MAC_B, pool, clock }), dir(), dir(), prng, prng)).toThrow(
      /already connected/,
    );
    const lonely = new SimPort({ name: 'x', mac: MAC_A, pool, clock });
    expect(lonely.transmit(rawFrame(pool, 60))).toBe(false);
    expect(lonely.stats.drops.down).toBe(1);
  });
});
