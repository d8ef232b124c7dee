/**
 * Softirq budget and ksoftirqd (src/host/scheduler.ts header; docs/host-model.md
 * "Softirq budget and ksoftirqd"; Linux kernel/softirq.c __do_softirq
 * MAX_SOFTIRQ_TIME → wakeup_softirqd()). With SIMPLE_COST every softirq item
 * below costs 1000 ns (one packet), the timeslice is 1 ms and wake-ups are free.
 */
import { describe, expect, it } from 'vitest';
import { compute, type Process } from '../../src/host/index.js';
import type { Host } from '../../src/host/index.js';
import type { VirtualClock } from '../../src/time/virtual-clock.js';
import { makeHost } from './helpers.js';

const MS = 1_000_000;

function packet(host: Host): void {
  host.acct.packet(); // 1000 ns
}

/** Raise one 1000 ns softirq item on `cpu` every `everyNs` from `from` until `until` (a NIC faster than the CPU). */
function flood(clock: VirtualClock, host: Host, from: number, until: number, everyNs: number, cpu = 0): void {
  const st = { t: from };
  const timer = clock.createTimer(() => {
    host.softirq(packet, host, cpu);
    st.t += everyNs;
    if (st.t < until) timer.arm(st.t);
  }, null);
  timer.arm(from);
}

/** A process that computes forever in 10 µs chunks and records when its steps run. */
function spinner(host: Host, starts: number[], clock: VirtualClock): Process {
  return host.spawn('reader', function* () {
    for (;;) {
      starts.push(clock.now());
      yield compute(10_000);
    }
  });
}

describe('softirq budget: softirq work beyond cost.softirqBudgetNs goes to ksoftirqd', () => {
  it('a softirq flood with one runnable process on one CPU: the process gets a fair share (≈ 1/2) after the 2 ms budget, not 0', () => {
    const { clock, host } = makeHost({ cost: { softirqBudgetNs: 2 * MS } });
    flood(clock, host, 0, 40 * MS, 500); // 2× what the CPU can serve
    const starts: number[] = [];
    const t0 = host.cpuTimes();
    const reader = spinner(host, starts, clock);
    clock.runUntil(40 * MS);
    const u = host.utilisation(t0);
    const cpu = host.cpus[0]!;
    // Strict softirq priority up to the budget: the reader first runs when it runs out.
    expect(starts[0]).toBe(2 * MS);
    expect(cpu.ksoftirqdWakeups).toBe(1);
    // Afterwards ksoftirqd and the reader alternate timeslices: each ≈ half of the remaining 38 ms.
    const share = reader.stats.cpuNs / (38 * MS);
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    // ksoftirqd time is softirq time; the sums stay exact.
    expect(cpu.ksoftirqdNs).toBeGreaterThan(15 * MS);
    expect(cpu.ksoftirqdNs).toBeLessThan(cpu.softirqNs);
    expect(u.softirqNs + u.processNs + u.idleNs).toBe(u.windowNs);
    expect(u.idleNs).toBe(0);
    expect(u.processNs).toBe(reader.stats.cpuNs);
    // ksoftirqd is not a user process.
    expect(host.processes.map((p) => p.name)).toEqual(['reader']);
  });

  it('below the budget nothing changes: a 1.5 ms softirq burst keeps strict priority and the process runs exactly when it ends', () => {
    const { clock, host } = makeHost({ cost: { softirqBudgetNs: 2 * MS } });
    for (let i = 0; i < 1500; i++) host.softirq(packet, host);
    const starts: number[] = [];
    spinner(host, starts, clock);
    clock.runUntil(3 * MS);
    expect(starts[0]).toBe(1_500_000);
    expect(host.cpus[0]!.ksoftirqdWakeups).toBe(0);
    expect(host.cpus[0]!.ksoftirqdNs).toBe(0);
  });

  it('the budget is configurable: with softirqBudgetNs 0.5 ms the waiting process runs at 0.5 ms', () => {
    const { clock, host } = makeHost({ cost: { softirqBudgetNs: MS / 2 } });
    for (let i = 0; i < 3000; i++) host.softirq(packet, host);
    const starts: number[] = [];
    spinner(host, starts, clock);
    clock.runUntil(10 * MS);
    expect(starts[0]).toBe(MS / 2);
    expect(host.cpus[0]!.softirqNs).toBe(3000 * 1000); // every item still ran, once
  });

  it('when the backlog drains ksoftirqd sleeps and softirq work takes priority again (it cuts a compute chunk at once)', () => {
    const { clock, host } = makeHost({ cost: { softirqBudgetNs: MS / 2 } });
    for (let i = 0; i < 3000; i++) host.softirq(packet, host);
    const starts: number[] = [];
    const reader = spinner(host, starts, clock);
    clock.runUntil(10 * MS); // backlog (3 ms of work) long drained
    const cpu = host.cpus[0]!;
    expect(cpu.deferSoftirq).toBe(false);
    expect(cpu.ksoftirqd!.state).toBe('blocked');
    let ranAt = -1;
    clock.createTimer(() => host.softirq(() => { ranAt = clock.now(); packet(host); }, null), null).arm(10 * MS + 3_000);
    clock.runUntil(11 * MS);
    expect(ranAt).toBe(10 * MS + 3_000);
    expect(reader.state).toBe('running');
  });

  it('a process that can run elsewhere does not trigger ksoftirqd: 2 CPUs, flood on CPU 0, the process runs on CPU 1', () => {
    const { clock, host } = makeHost({ cpus: 2, cost: { softirqBudgetNs: 2 * MS } });
    flood(clock, host, 0, 10 * MS, 500);
    const starts: number[] = [];
    const reader = spinner(host, starts, clock);
    clock.runUntil(10 * MS);
    expect(host.cpus[0]!.ksoftirqdWakeups).toBe(0);
    expect(reader.lastCpu).toBe(1);
    expect(reader.stats.cpuNs).toBe(10 * MS);
  });

  it('same seed ⇒ same run with ksoftirqd and random wake-up latencies', () => {
    const run = (): number[] => {
      const { clock, host } = makeHost({ seed: 7, cost: { softirqBudgetNs: MS, wakeupLatency: { kind: 'exponential', meanNs: 20_000, minNs: 1_000 } } });
      flood(clock, host, 0, 20 * MS, 700);
      const starts: number[] = [];
      const r = spinner(host, starts, clock);
      const other = host.spawn('sleeper', function* () {
        for (let i = 0; i < 50; i++) yield { kind: 'sleep', ns: 100_000 };
      });
      clock.runUntil(20 * MS);
      return [...starts.slice(0, 200), r.stats.cpuNs, other.stats.cpuNs, host.cpus[0]!.ksoftirqdNs, host.contextSwitches];
    };
    expect(run()).toEqual(run());
  });

  it('softirqBudgetNs is validated: a negative or fractional value names the option', () => {
    expect(() => makeHost({ cost: { softirqBudgetNs: -1 } })).toThrow(/cost\.softirqBudgetNs/);
    expect(() => makeHost({ cost: { softirqBudgetNs: 1.5 } })).toThrow(/cost\.softirqBudgetNs/);
  });
});
