import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import {
  costModel,
  costOf,
  drawWakeupLatency,
  ERA_2002,
  ERA_2025,
  Host,
  meanWakeupLatency,
  presetFor,
  roundUpToTick,
  validateCostModel,
  type CostModel,
} from '../../src/host/index.js';

describe('era presets', () => {
  it('2002: ~1 GB/s copy (1 ns/B), fused copy+checksum about one pass, µs-scale syscalls and switches', () => {
    const m = costModel('2002');
    expect(m.perByteCopyNs).toBe(1);
    expect(m.perByteCopyCsumNs).toBeLessThan(m.perByteCopyNs + m.perByteCsumNs);
    expect(m.perByteCopyCsumNs).toBeGreaterThanOrEqual(m.perByteCopyNs);
    expect(m.perPacketNs).toBeGreaterThanOrEqual(1_000);
    expect(m.perSyscallNs).toBe(1_000);
    expect(m.contextSwitchNs).toBeGreaterThan(m.perSyscallNs);
  });

  it('2025: ~10 GB/s copy (0.1 ns/B), per-packet hundreds of ns, syscall 100–200 ns', () => {
    const m = costModel('2025');
    expect(m.perByteCopyNs).toBe(0.1);
    expect(m.perPacketNs).toBeGreaterThanOrEqual(100);
    expect(m.perPacketNs).toBeLessThan(1_000);
    expect(m.perSyscallNs).toBeGreaterThanOrEqual(100);
    expect(m.perSyscallNs).toBeLessThanOrEqual(200);
  });

  it('both presets pass validation and are frozen', () => {
    expect(validateCostModel(ERA_2002)).toBe(ERA_2002);
    expect(validateCostModel(ERA_2025)).toBe(ERA_2025);
    expect(Object.isFrozen(ERA_2002)).toBe(true);
    expect(presetFor('2002')).toBe(ERA_2002);
  });

  it('every constant can be overridden', () => {
    const m = costModel('2002', { perPacketNs: 7, perByteCsumNs: 0.5, timerGranularityNs: 10_000_000, wakeupLatency: { kind: 'uniform', minNs: 1, maxNs: 2 } });
    expect(m.perPacketNs).toBe(7);
    expect(m.perByteCsumNs).toBe(0.5);
    expect(m.timerGranularityNs).toBe(10_000_000);
    expect(m.wakeupLatency).toEqual({ kind: 'uniform', minNs: 1, maxNs: 2 });
    expect(m.perByteCopyNs).toBe(ERA_2002.perByteCopyNs);
    expect(ERA_2002.perPacketNs).not.toBe(7); // the preset itself is untouched
  });
});

describe('validation: bad values throw a RangeError naming the option', () => {
  const bad: [Partial<CostModel>, RegExp][] = [
    [{ perPacketNs: -1 }, /cost\.perPacketNs must be .*; got -1/],
    [{ perByteCopyNs: NaN }, /cost\.perByteCopyNs/],
    [{ perSyscallNs: Infinity }, /cost\.perSyscallNs/],
    [{ perByteCsumNs: '3' as unknown as number }, /cost\.perByteCsumNs/],
    [{ timesliceNs: 0 }, /cost\.timesliceNs/],
    [{ timesliceNs: 1.5 }, /cost\.timesliceNs/],
    [{ timerGranularityNs: 0.5 }, /cost\.timerGranularityNs/],
    [{ wakeupLatency: { kind: 'fixed', ns: -5 } }, /cost\.wakeupLatency\.ns/],
    [{ wakeupLatency: { kind: 'uniform', minNs: 5, maxNs: 1 } }, /cost\.wakeupLatency\.maxNs/],
    [{ wakeupLatency: { kind: 'exponential', meanNs: -1 } }, /cost\.wakeupLatency\.meanNs/],
    [{ wakeupLatency: { kind: 'gamma' } as unknown as CostModel['wakeupLatency'] }, /cost\.wakeupLatency\.kind/],
    [{ bogus: 1 } as unknown as Partial<CostModel>, /cost\.bogus/],
  ];
  for (const [o, re] of bad) {
    it(`rejects ${JSON.stringify(o)}`, () => {
      expect(() => costModel('2025', o)).toThrow(RangeError);
      expect(() => costModel('2025', o)).toThrow(re);
    });
  }

  it('rejects an unknown era', () => {
    expect(() => costModel('1990' as '2002')).toThrow(/era must be '2002' or '2025'; got "1990"/);
  });

  it('rejects bad host options', () => {
    const clock = new VirtualClock();
    const prng = new Prng(1);
    expect(() => new Host({ clock, prng, cpus: 0 })).toThrow(/cpus must be an integer/);
    expect(() => new Host({ clock, prng, cpus: 1.5 })).toThrow(RangeError);
    expect(() => new Host({ clock, prng, cpus: 2, irqCpu: 2 })).toThrow(/irqCpu must be an integer in \[0, 1\]; got 2/);
    expect(() => new Host({ clock, prng, cost: { contextSwitchNs: -3 } })).toThrow(/cost\.contextSwitchNs/);
  });
});

describe('cost arithmetic and wake-up latency draws', () => {
  it('cost = sum of reported work × per-unit cost', () => {
    const m = costModel('2002');
    expect(costOf(m, { packets: 2, bytesCopied: 1000, bytesChecksummed: 100, bytesCopyChecksummed: 10, syscalls: 3 })).toBeCloseTo(
      2 * m.perPacketNs + 1000 * m.perByteCopyNs + 100 * m.perByteCsumNs + 10 * m.perByteCopyCsumNs + 3 * m.perSyscallNs,
      9,
    );
  });

  it('HostAccounting prices work exactly like costOf', () => {
    const clock = new VirtualClock();
    const host = new Host({ clock, prng: new Prng(1), era: '2002' });
    let cost = -1;
    host.softirq(() => {
      host.acct.packet();
      host.acct.copy(1000);
      host.acct.csum(100);
      host.acct.copyCsum(10);
      host.acct.syscall();
      cost = host.acct.pendingNs;
    }, null);
    clock.runUntilIdle();
    expect(cost).toBeCloseTo(costOf(host.cost, { packets: 1, bytesCopied: 1000, bytesChecksummed: 100, bytesCopyChecksummed: 10, syscalls: 1 }), 9);
    expect(host.cpus[0]!.softirqNs).toBe(Math.round(cost));
    expect(host.acct.packets).toBe(1);
    expect(host.acct.syscalls).toBe(1);
  });

  it('draws are integers within the distribution bounds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), fc.integer(), (a, b, seed) => {
        const prng = new Prng(seed);
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const u = drawWakeupLatency({ kind: 'uniform', minNs: lo, maxNs: hi }, prng);
        const e = drawWakeupLatency({ kind: 'exponential', meanNs: a, minNs: b }, prng);
        return Number.isInteger(u) && u >= lo && u <= hi && Number.isInteger(e) && e >= b;
      }),
    );
  });

  it('exponential latency has the configured mean (within 3%, 20k draws)', () => {
    const prng = new Prng('lat');
    const d = { kind: 'exponential', meanNs: 20_000, minNs: 5_000 } as const;
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += drawWakeupLatency(d, prng);
    expect(Math.abs(sum / 20_000 - meanWakeupLatency(d)) / meanWakeupLatency(d)).toBeLessThan(0.03);
  });

  it('timer deadlines round up to the tick', () => {
    expect(roundUpToTick(15, 10)).toBe(20);
    expect(roundUpToTick(20, 10)).toBe(20);
    expect(roundUpToTick(15, 0)).toBe(15);
  });
});
