/**
 * Issue F "Done when": CPU model sanity. A link delivers packets of S bytes at
 * rate R; the receiver spends per-packet + per-byte work on each in softirq.
 * Throughput must match the closed form min(R, S / (perPacket + S·perByte))
 * within 5%, in the link-bound and the CPU-bound regime, for both eras.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import { block, Host, Waitable, type Era } from '../../src/host/index.js';

const S = 1500; // bytes per packet
const N = 4000; // packets

interface Run {
  bytesPerNs: number;
  expected: number;
  utilisation: number;
}

/** Packets arrive every S·8/R ns; each costs packet() + copyCsum(S) in softirq. */
function softirqPipeline(era: Era, rateBitsPerSec: number): Run {
  const clock = new VirtualClock();
  const host = new Host({ clock, prng: new Prng(1), era });
  const interval = Math.round((S * 8 * 1e9) / rateBitsPerSec);
  let delivered = 0;
  let lastDone = 0;
  const onDelivered = (): void => {
    delivered += S;
    lastDone = clock.now();
  };
  const rx = (): void => {
    host.acct.packet();
    host.acct.copyCsum(S);
    host.deferEffect(onDelivered, null);
  };
  let sent = 0;
  const link = clock.createTimer(() => {
    host.softirq(rx, null);
    if (++sent < N) link.armAfter(interval);
  }, null);
  link.arm(0);
  const t0 = host.cpuTimes();
  clock.runUntilIdle();
  const perPacket = host.cost.perPacketNs + S * host.cost.perByteCopyCsumNs;
  const expected = Math.min(S / interval, S / perPacket); // bytes per ns
  return { bytesPerNs: delivered / lastDone, expected, utilisation: host.utilisation(t0).softirq };
}

function within5(r: Run): void {
  expect(Math.abs(r.bytesPerNs - r.expected) / r.expected).toBeLessThan(0.05);
}

describe('CPU model sanity: throughput ≈ min(link rate, 1 / cost per byte)', () => {
  it('2002, 100 Mbit link: link-bound (12.5 MB/s), CPU mostly idle', () => {
    const r = softirqPipeline('2002', 100e6);
    within5(r);
    expect(r.expected).toBeCloseTo(0.0125, 6);
    expect(r.utilisation).toBeLessThan(0.1);
  });

  it('2002, 10 Gbit link: CPU-bound at S / (5 µs + 1.1 ns/B · S) ≈ 226 MB/s, CPU saturated', () => {
    const r = softirqPipeline('2002', 10e9);
    within5(r);
    expect(r.expected).toBeCloseTo(1500 / 6650, 6);
    expect(r.utilisation).toBeGreaterThan(0.99);
  });

  it('2025, 10 Gbit link: link-bound (1.25 GB/s)', () => {
    const r = softirqPipeline('2025', 10e9);
    within5(r);
    expect(r.expected).toBeCloseTo(1.25, 6);
  });

  it('2025, 100 Gbit link: CPU-bound at S / (400 ns + 0.11 ns/B · S) ≈ 2.65 GB/s', () => {
    const r = softirqPipeline('2025', 100e9);
    within5(r);
    expect(r.expected).toBeCloseTo(1500 / 565, 6);
  });

  it('two-stage pipeline (softirq on CPU 0, reader process copying on CPU 1): throughput ≈ min(link, slowest stage)', () => {
    // Softirq: per-packet work + checksum; reader: one recv syscall + copy per packet.
    const clock = new VirtualClock();
    const host = new Host({ clock, prng: new Prng(1), era: '2002', cpus: 2, cost: { wakeupLatency: { kind: 'fixed', ns: 0 }, perWakeupNs: 0 } });
    const interval = 1_200; // 10 Gbit/s: CPU-bound
    const readable = new Waitable('rx');
    let queued = 0;
    let delivered = 0;
    let lastDone = 0;
    const makeReadable = (): void => {
      queued++;
      readable.signal();
    };
    let sent = 0;
    const link = clock.createTimer(() => {
      host.softirq(() => {
        host.acct.packet();
        host.acct.csum(S);
        host.deferEffect(makeReadable, null);
      }, null);
      if (++sent < N) link.armAfter(interval);
    }, null);
    link.arm(0);
    host.spawn('reader', function* () {
      while (delivered < N * S) {
        while (queued === 0) yield block(readable);
        queued--;
        host.acct.syscall();
        host.acct.copy(S);
        delivered += S;
        lastDone = clock.now();
      }
    });
    clock.runUntilIdle();
    const stage1 = host.cost.perPacketNs + S * host.cost.perByteCsumNs; // 6.5 µs
    const stage2 = host.cost.perSyscallNs + S * host.cost.perByteCopyNs; // 2.5 µs
    const expected = Math.min(S / interval, S / Math.max(stage1, stage2));
    const got = delivered / lastDone;
    expect(Math.abs(got - expected) / expected).toBeLessThan(0.05);
    // The reader runs where the softirq is not: CPU 0 is busy with softirq work whenever it wakes.
    expect(host.cpus[1]!.processNs).toBeGreaterThan(host.cpus[0]!.processNs);
  });
});
