import { describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { createPair } from '../../src/link/sim/pair.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import { Host, HostNic, type HostNicOptions } from '../../src/host/index.js';
import { MAC_A, MAC_B, rawFrame, smallPool } from '../link/sim-helpers.js';
import { SIMPLE_COST } from './helpers.js';

function setup(nicOpts: HostNicOptions = {}) {
  const clock = new VirtualClock();
  const pool = smallPool();
  const { a, b } = createPair({ clock, a: { name: 'a', mac: MAC_A, pool }, b: { name: 'b', mac: MAC_B, pool } });
  const hostA = new Host({ clock, prng: new Prng(1), cost: SIMPLE_COST, name: 'A' });
  const hostB = new Host({ clock, prng: new Prng(2), cost: SIMPLE_COST, cpus: 2, irqCpu: 1, name: 'B' });
  const nicA = new HostNic(a, hostA);
  const nicB = new HostNic(b, hostB, nicOpts);
  return { clock, pool, hostA, hostB, nicA, nicB };
}

describe('HostNic', () => {
  it('a frame transmitted inside a work item leaves when the item completes', () => {
    const { clock, pool, hostA, nicA, nicB } = setup();
    const arrivals: number[] = [];
    nicB.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) {
        arrivals.push(clock.now());
        fs[i]!.release();
      }
    });
    hostA.softirq(() => {
      hostA.acct.packet(); // 1 µs
      expect(nicA.transmit(rawFrame(pool, 100))).toBe(true);
      expect(nicA.stats.txFrames).toBe(0); // not yet on the wire
    }, null);
    clock.runUntilIdle();
    expect(nicA.stats.txFrames).toBe(1);
    expect(arrivals).toEqual([1_000]);
    expect(pool.stats.inUse).toBe(0);
  });

  it('received frames are handed to the stack in softirq work on the IRQ CPU, at most budget per poll', () => {
    const { clock, pool, hostB, nicA, nicB } = setup({ budget: 2 });
    const batches: string[] = [];
    nicB.setReceiveHandler((fs: readonly PacketBuffer[], n: number) => {
      batches.push(`${n}@${clock.now()} cpu${hostB.currentCpu?.id ?? '-'}`);
      for (let i = 0; i < n; i++) {
        hostB.acct.packet();
        fs[i]!.release();
      }
    });
    for (let i = 0; i < 5; i++) nicA.transmit(rawFrame(pool, 60));
    clock.runUntilIdle();
    expect(batches).toEqual(['2@0 cpu1', '2@2000 cpu1', '1@4000 cpu1']);
    expect(nicB.polls).toBe(3);
    expect(hostB.cpus[1]!.softirqNs).toBe(5_000);
    expect(pool.stats.inUse).toBe(0);
  });

  it('a full receive backlog drops (and releases) frames, counted in backlogDrops', () => {
    const { clock, pool, nicA, nicB } = setup({ maxBacklog: 3 });
    let got = 0;
    nicB.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) fs[i]!.release();
      got += n;
    });
    for (let i = 0; i < 5; i++) nicA.transmit(rawFrame(pool, 60));
    clock.runUntilIdle();
    expect(got).toBe(3);
    expect(nicB.backlogDrops).toBe(2);
    expect(pool.stats.inUse).toBe(0);
  });

  it('rejects bad options naming them', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a } = createPair({ clock, a: { name: 'a', mac: MAC_A, pool }, b: { name: 'b', mac: MAC_B, pool } });
    const host = new Host({ clock, prng: new Prng(1) });
    expect(() => new HostNic(a, host, { budget: 0 })).toThrow(/budget must be an integer/);
    expect(() => new HostNic(a, host, { cpu: 1 })).toThrow(/cpu must be an integer in \[0, 0\]; got 1/);
  });
});
