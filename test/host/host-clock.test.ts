import { describe, expect, it } from 'vitest';
import { compute, HostClock } from '../../src/host/index.js';
import { makeHost } from './helpers.js';

describe('HostClock: timer callbacks are softirq work', () => {
  it('a timer callback runs as a softirq work item and its work costs CPU', () => {
    const { clock, host } = makeHost();
    const hc = new HostClock(host);
    const log: number[] = [];
    const t = hc.createTimer(() => {
      log.push(clock.now());
      expect(host.inWorkItem).toBe(true);
      host.acct.packet();
      host.deferEffect(() => log.push(clock.now()), null);
    }, null);
    t.arm(5_000);
    expect(t.armed).toBe(true);
    expect(t.deadline).toBe(5_000);
    clock.runUntilIdle();
    expect(log).toEqual([5_000, 6_000]);
    expect(host.cpus[0]!.softirqNs).toBe(1_000);
    expect(t.armed).toBe(false);
  });

  it('a timer that expires while its CPU is busy runs when the CPU is free (still armed meanwhile)', () => {
    const { clock, host } = makeHost();
    const hc = new HostClock(host);
    let ranAt = -1;
    const t = hc.createTimer(() => (ranAt = clock.now()), null);
    host.softirq(() => host.acct.copy(10_000), null); // busy [0, 10 µs)
    t.arm(2_000);
    clock.runUntil(5_000);
    expect(t.armed).toBe(true); // expired, callback pending
    clock.runUntilIdle();
    expect(ranAt).toBe(10_000);
  });

  it('cancelling after expiry but before the softirq runs drops the callback', () => {
    const { clock, host } = makeHost();
    const hc = new HostClock(host);
    let ran = 0;
    const t = hc.createTimer(() => ran++, null);
    host.softirq(() => host.acct.copy(10_000), null);
    t.arm(2_000);
    clock.runUntil(5_000);
    t.cancel();
    clock.runUntilIdle();
    expect(ran).toBe(0);
  });

  it('with HZ=100 granularity timers expire on the next 10 ms tick', () => {
    const { clock, host } = makeHost({ cost: { timerGranularityNs: 10_000_000 } });
    const hc = new HostClock(host);
    let ranAt = -1;
    hc.createTimer(() => (ranAt = clock.now()), null).armAfter(15_000_000);
    clock.runUntilIdle();
    expect(ranAt).toBe(20_000_000);
  });

  it('defer inside a work item becomes softirq work on the same CPU, after the item', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const hc = new HostClock(host);
    const log: string[] = [];
    host.spawn('app', function* () {
      host.acct.syscall(); // 100 ns
      hc.defer(() => log.push(`deferred@${clock.now()} cpu${host.currentCpu!.id} softirq=${host.currentProcess === null}`), null);
      yield compute(0);
    });
    clock.runUntilIdle();
    expect(log).toEqual(['deferred@100 cpu0 softirq=true']);
  });
});
