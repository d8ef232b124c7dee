import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { block, compute, sleep, Waitable, YIELD, type Process } from '../../src/host/index.js';
import { makeHost } from './helpers.js';

describe('work items and effects', () => {
  it("an item's effect happens at its start time plus its cost", () => {
    const { clock, host } = makeHost();
    const seen: number[] = [];
    let startedAt = -1;
    clock.createTimer(() => {
      host.softirq(() => {
        startedAt = clock.now();
        host.acct.packet(); // 1000
        host.acct.copy(500); // 500
        host.deferEffect((t: number[]) => t.push(clock.now()), seen);
      }, null);
    }, null).arm(2000);
    clock.runUntilIdle();
    expect(startedAt).toBe(2000);
    expect(seen).toEqual([2000 + 1500]);
    expect(host.cpus[0]!.softirqNs).toBe(1500);
  });

  it('effects are released in the order they were requested', () => {
    const { clock, host } = makeHost();
    const order: string[] = [];
    host.softirq(() => {
      host.acct.packet();
      host.deferEffect((s: string) => order.push(s), 'a');
      host.deferEffect((s: string) => order.push(s), 'b');
    }, null);
    clock.runUntilIdle();
    expect(order).toEqual(['a', 'b']);
  });

  it('a second item queued behind a busy CPU starts when the first ends', () => {
    const { clock, host } = makeHost();
    const starts: number[] = [];
    const effects: number[] = [];
    const item = (bytes: number): void => {
      starts.push(clock.now());
      host.acct.packet();
      host.acct.copy(bytes);
      host.deferEffect(() => effects.push(clock.now()), null);
    };
    host.softirq(item, 1000); // cost 2000, busy [0, 2000)
    clock.createTimer(() => host.softirq(item, 0), null).arm(500); // cost 1000
    clock.runUntilIdle();
    expect(starts).toEqual([0, 2000]);
    expect(effects).toEqual([2000, 3000]);
  });

  it('softirq work goes to the IRQ CPU even when another CPU is idle', () => {
    const { clock, host } = makeHost({ cpus: 2, irqCpu: 1 });
    const cpus: number[] = [];
    host.softirq(() => {
      cpus.push(host.currentCpu!.id);
      host.acct.packet();
    }, null);
    host.softirq(() => cpus.push(host.currentCpu!.id), null);
    clock.runUntilIdle();
    expect(cpus).toEqual([1, 1]);
    expect(host.cpus[1]!.softirqNs).toBe(1000);
    expect(host.cpus[0]!.softirqNs).toBe(0);
  });

  it('an effect outside any work item runs via clock.defer at cost 0', () => {
    const { clock, host } = makeHost();
    const at: number[] = [];
    clock.createTimer(() => host.deferEffect(() => at.push(clock.now()), null), null).arm(77);
    clock.runUntilIdle();
    expect(at).toEqual([77]);
  });

  it('work reported outside a work item charges no CPU (counted as unattributed)', () => {
    const { clock, host } = makeHost();
    host.acct.packet();
    clock.runUntilIdle();
    expect(host.acct.unattributedNs).toBe(1000);
    expect(host.cpus[0]!.softirqNs + host.cpus[0]!.processNs).toBe(0);
  });
});

describe('softirq priority', () => {
  it('softirq work runs before queued process work on its CPU', () => {
    const { clock, host } = makeHost();
    const log: string[] = [];
    host.softirq(() => {
      log.push(`A@${clock.now()}`);
      host.acct.packet();
      host.softirq(() => {
        log.push(`B@${clock.now()}`);
        host.acct.packet();
      }, null);
    }, null);
    host.spawn('p', function* () {
      log.push(`P@${clock.now()}`);
      yield compute(0);
    });
    clock.runUntilIdle();
    expect(log).toEqual(['A@0', 'B@1000', 'P@2000']);
  });

  it('softirq preempts a compute chunk, and the process continues after it without losing work', () => {
    const { clock, host } = makeHost();
    let done = -1;
    let irqAt = -1;
    host.spawn('cruncher', function* () {
      yield compute(100_000);
      done = clock.now();
    });
    clock.createTimer(() => host.softirq(() => {
      irqAt = clock.now();
      host.acct.packet();
    }, null), null).arm(30_000);
    clock.runUntilIdle();
    expect(irqAt).toBe(30_000);
    expect(done).toBe(100_000 + 1000);
    expect(host.cpus[0]!.processNs).toBe(100_000);
    expect(host.cpus[0]!.softirqNs).toBe(1000);
  });

  it('softirq does not preempt a process kernel step (code between yields)', () => {
    const { clock, host } = makeHost();
    let irqAt = -1;
    host.spawn('sender', function* () {
      host.acct.copy(50_000); // one non-preemptible step of 50 µs
      yield compute(0);
    });
    clock.createTimer(() => host.softirq(() => {
      irqAt = clock.now();
    }, null), null).arm(10_000);
    clock.runUntilIdle();
    expect(irqAt).toBe(50_000);
  });
});

describe('processes and the run queue', () => {
  function cpuBound(host: ReturnType<typeof makeHost>['host'], clock: ReturnType<typeof makeHost>['clock'], n: number, workNs: number): { procs: Process[]; done: number[] } {
    const done: number[] = new Array<number>(n).fill(-1);
    const procs: Process[] = [];
    for (let i = 0; i < n; i++) {
      procs.push(
        host.spawn(`p${i}`, function* () {
          yield compute(workNs);
          done[i] = clock.now();
        }),
      );
    }
    return { procs, done };
  }

  it('N CPU-bound processes on 2 CPUs share time and each waits in the run queue', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const { procs, done } = cpuBound(host, clock, 4, 10_000_000);
    clock.runUntilIdle();
    for (const p of procs) {
      expect(p.state).toBe('exited');
      expect(p.stats.runQueueNs).toBeGreaterThan(0);
      expect(p.stats.preemptions).toBeGreaterThan(0);
    }
    // 40 ms of work on 2 CPUs: the last finishes at 20 ms; round-robin means nobody finishes early.
    expect(Math.max(...done)).toBe(20_000_000);
    expect(Math.min(...done)).toBeGreaterThanOrEqual(18_000_000);
    expect(host.runQueueDelay.p50()).toBeGreaterThan(0);
    expect(host.runQueueDelay.max()).toBeGreaterThanOrEqual(1_000_000); // waited at least one timeslice
  });

  it('1 CPU-bound process on 2 CPUs is never delayed', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const { procs, done } = cpuBound(host, clock, 1, 10_000_000);
    clock.runUntilIdle();
    expect(done[0]).toBe(10_000_000);
    expect(procs[0]!.stats.runQueueNs).toBe(0);
    expect(procs[0]!.stats.preemptions).toBe(0);
    expect(host.runQueueDelay.max()).toBe(0);
  });

  it('2 processes on 2 CPUs run in parallel on different CPUs', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const { done } = cpuBound(host, clock, 2, 5_000_000);
    clock.runUntilIdle();
    expect(done).toEqual([5_000_000, 5_000_000]);
    expect(host.cpus[0]!.processNs).toBe(5_000_000);
    expect(host.cpus[1]!.processNs).toBe(5_000_000);
  });

  it('switching a CPU to another process charges the context-switch cost', () => {
    const { clock, host } = makeHost({ cost: { contextSwitchNs: 2_000, timesliceNs: 1_000_000 } });
    const { procs, done } = cpuBound(host, clock, 2, 3_000_000);
    clock.runUntilIdle();
    const switches = procs[0]!.stats.contextSwitches + procs[1]!.stats.contextSwitches;
    expect(switches).toBeGreaterThan(2);
    expect(Math.max(...done)).toBe(6_000_000 + switches * 2_000);
  });

  it('yield sends a process to the tail of the run queue', () => {
    const { clock, host } = makeHost();
    const log: string[] = [];
    host.spawn('a', function* () {
      log.push('a1');
      yield YIELD;
      log.push('a2');
    });
    host.spawn('b', function* () {
      log.push('b1');
      yield YIELD;
      log.push('b2');
    });
    clock.runUntilIdle();
    expect(log).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('a process that throws is marked exited with the error, and the error propagates', () => {
    const { clock, host } = makeHost();
    const p = host.spawn('bad', function* () {
      yield compute(10);
      throw new Error('boom');
    });
    expect(() => clock.runUntilIdle()).toThrow('boom');
    clock.runUntilIdle();
    expect(p.state).toBe('exited');
    expect((p.error as Error).message).toBe('boom');
  });

  it('an unknown request is a TypeError naming the process', () => {
    const { clock, host } = makeHost();
    host.spawn('weird', function* () {
      yield { kind: 'nap' } as unknown as ReturnType<typeof compute>;
    });
    expect(() => clock.runUntilIdle()).toThrow(/process weird yielded/);
  });
});

describe('blocking, waking and wake-up latency', () => {
  it('wake-up latency is applied between the signal and the process running', () => {
    const { clock, host } = makeHost({ cost: { wakeupLatency: { kind: 'fixed', ns: 7_000 } } });
    const w = new Waitable('data');
    const resumed: number[] = [];
    host.spawn('reader', function* () {
      const ok = yield block(w);
      resumed.push(clock.now(), ok ? 1 : 0);
    });
    clock.createTimer(() => w.signal(), null).arm(100_000);
    clock.runUntilIdle();
    expect(resumed).toEqual([107_000, 1]);
    expect(host.wakeupDelay.count).toBe(1);
    expect(host.wakeupDelay.max()).toBe(7_000);
  });

  it('the wake-up cost is paid by the waker work item, or by the woken process outside one', () => {
    const { clock, host } = makeHost({ cost: { perWakeupNs: 500 } });
    const w = new Waitable();
    const effects: number[] = [];
    host.spawn('reader', function* () {
      yield block(w);
      host.deferEffect(() => effects.push(clock.now()), null);
      yield block(w);
      host.deferEffect(() => effects.push(clock.now()), null);
    });
    clock.createTimer(() => w.signal(), null).arm(10_000); // outside a work item
    clock.createTimer(() => host.softirq(() => w.signal(), null), null).arm(20_000); // from softirq
    clock.runUntilIdle();
    // 1st: charged to the reader's step (effect at 10.5 µs); 2nd: to the softirq (busy 20–20.5 µs), so the reader starts at 20.5 µs.
    expect(effects).toEqual([10_500, 20_500]);
    expect(host.cpus[0]!.softirqNs).toBe(500);
  });

  it('a signal during the blocking step is not lost (the process does not block)', () => {
    const { clock, host } = makeHost({ cost: { wakeupLatency: { kind: 'fixed', ns: 50_000 } } });
    const w = new Waitable();
    let resumedAt = -1;
    host.spawn('reader', function* () {
      host.acct.copy(10_000); // the step takes 10 µs
      yield block(w);
      resumedAt = clock.now();
    });
    clock.createTimer(() => w.signal(), null).arm(5_000);
    clock.runUntilIdle();
    expect(resumedAt).toBe(10_000); // no wake-up latency: it never slept
  });

  it('a block with a timeout resumes with false when not signalled', () => {
    const { clock, host } = makeHost();
    const w = new Waitable();
    const got: (boolean | number)[] = [];
    host.spawn('p', function* () {
      const ok = yield block(w, 3_000);
      got.push(ok, clock.now(), w.waiting);
    });
    clock.runUntilIdle();
    expect(got).toEqual([false, 3_000, 0]);
  });

  it('sleep blocks for its duration and wakes with the wake-up latency', () => {
    const { clock, host } = makeHost({ cost: { wakeupLatency: { kind: 'fixed', ns: 1_000 } } });
    const at: number[] = [];
    host.spawn('s', function* () {
      yield sleep(50_000);
      at.push(clock.now());
    });
    clock.runUntilIdle();
    expect(at).toEqual([51_000]);
  });

  it('sleep deadlines round up to the timer tick (HZ=100)', () => {
    const { clock, host } = makeHost({ cost: { timerGranularityNs: 10_000_000 } });
    const at: number[] = [];
    host.spawn('s', function* () {
      yield sleep(15_000_000);
      at.push(clock.now());
    });
    clock.runUntilIdle();
    expect(at).toEqual([20_000_000]);
  });

  it('signalOne wakes only the longest waiter; signal wakes all', () => {
    const { clock, host } = makeHost();
    const w = new Waitable();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      host.spawn(name, function* () {
        yield block(w);
        order.push(name);
      });
    }
    clock.runUntilIdle();
    expect(w.waiting).toBe(3);
    expect(w.signalOne()).toBe(true);
    clock.runUntilIdle();
    expect(order).toEqual(['a']);
    expect(w.signal()).toBe(2);
    clock.runUntilIdle();
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('a process exit signals its exited waitable (join)', () => {
    const { clock, host } = makeHost();
    const log: string[] = [];
    const child = host.spawn('child', function* () {
      yield compute(5_000);
      log.push('child done');
    });
    host.spawn('parent', function* () {
      yield block(child.exited);
      log.push(`joined@${clock.now()}`);
    });
    clock.runUntilIdle();
    expect(log).toEqual(['child done', 'joined@5000']);
  });

  it('exponential wake-up latency is drawn from the seeded PRNG: same seed, same run', () => {
    const run = (seed: number): number[] => {
      const { clock, host } = makeHost({ seed, cpus: 2, cost: { wakeupLatency: { kind: 'exponential', meanNs: 10_000, minNs: 1_000 } } });
      const w = new Waitable();
      for (let i = 0; i < 5; i++) {
        host.spawn(`r${i}`, function* () {
          for (let k = 0; k < 20; k++) {
            yield block(w);
            host.acct.copy(3_000);
          }
        });
      }
      const t = clock.createTimer(() => {
        w.signal();
        if (clock.now() < 2_000_000) t.armAfter(50_000);
      }, null);
      t.arm(10_000);
      clock.runUntilIdle();
      return Array.from(host.wakeupDelay.toSortedArray());
    };
    const a = run(7);
    expect(a.length).toBe(100);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(1_000);
  });
});

describe('utilisation', () => {
  it('the softirq / process / idle split sums to the window on every CPU', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const t0 = host.cpuTimes();
    host.softirq(() => host.acct.copy(1_500), null); // CPU0 softirq 1.5 µs
    host.spawn('p', function* () {
      yield compute(4_000);
    }); // CPU1 process 4 µs
    clock.runUntil(3_000); // mid-item on CPU1
    const mid = host.utilisation(t0);
    expect(mid.softirqNs + mid.processNs + mid.idleNs).toBe(mid.windowNs * 2);
    expect(mid.softirqNs).toBe(1_500);
    expect(mid.processNs).toBe(3_000);
    clock.runUntil(10_000);
    const u = host.utilisation(t0);
    expect(u.windowNs).toBe(10_000);
    expect(u.softirq + u.process + u.idle).toBeCloseTo(1, 12);
    expect(u.softirq).toBeCloseTo(1_500 / 20_000, 12);
    expect(u.process).toBeCloseTo(4_000 / 20_000, 12);
    for (const c of u.perCpu) expect(c.busyNs + c.idleNs).toBe(10_000);
    expect(u.perCpu[1]!.utilisation).toBeCloseTo(0.4, 12);
  });

  it('a window that starts mid-item counts only the part inside it', () => {
    const { clock, host } = makeHost();
    host.softirq(() => host.acct.copy(10_000), null);
    clock.runUntil(4_000);
    const t0 = host.cpuTimes();
    clock.runUntil(20_000);
    const u = host.utilisation(t0);
    expect(u.softirqNs).toBe(6_000);
    expect(u.idleNs).toBe(10_000);
  });
});

describe('scheduling delay of a reader under contention (the chatroom condition)', () => {
  function readerDelay(hogs: number): { p50: number; max: number } {
    const { clock, host } = makeHost({ cpus: 1, cost: { timesliceNs: 1_000_000, wakeupLatency: { kind: 'fixed', ns: 2_000 } } });
    const w = new Waitable('readable');
    const reader = host.spawn('reader', function* () {
      for (let i = 0; i < 50; i++) {
        yield block(w);
        host.acct.copy(100);
      }
    });
    for (let i = 0; i < hogs; i++) {
      host.spawn(`hog${i}`, function* () {
        yield compute(200_000_000);
      });
    }
    const t = clock.createTimer(() => {
      w.signal();
      if (reader.state !== 'exited') t.armAfter(3_100_000);
    }, null);
    t.arm(100_000);
    clock.runUntil(400_000_000);
    expect(reader.state).toBe('exited');
    return { p50: host.wakeupDelay.p50(), max: host.wakeupDelay.max() };
  }

  it('an idle host wakes the reader after the wake-up latency only', () => {
    const d = readerDelay(0);
    expect(d.p50).toBe(2_000);
    expect(d.max).toBe(2_000);
  });

  it('with CPU-bound processes on the same CPU the reader waits in the run queue (up to hogs × timeslice)', () => {
    const d = readerDelay(3);
    expect(d.p50).toBeGreaterThan(100_000);
    expect(d.max).toBeLessThanOrEqual(2_000 + 3 * 1_000_000);
  });
});

describe('utilisation (property)', () => {
  it('for random softirq and process work, softirq + process + idle = window × cpus on every snapshot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 50_000 }), bytes: fc.integer({ min: 0, max: 5_000 }), proc: fc.boolean() }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 80_000 }),
        (cpus, items, until) => {
          const { clock, host } = makeHost({ cpus, cost: { timesliceNs: 3_000 } });
          const t0 = host.cpuTimes();
          for (const it of items) {
            clock.createTimer(() => {
              if (it.proc) {
                host.spawn('p', function* () {
                  yield compute(it.bytes);
                });
              } else {
                host.softirq(() => host.acct.copy(it.bytes), null);
              }
            }, null).arm(it.at);
          }
          clock.runUntil(until);
          const u = host.utilisation(t0);
          const totalWork = items.filter((i) => i.at <= until).reduce((s, i) => s + i.bytes, 0);
          return u.softirqNs + u.processNs + u.idleNs === until * cpus && u.idleNs >= 0 && u.softirqNs + u.processNs <= totalWork && u.perCpu.every((c) => c.busyNs <= until);
        },
      ),
    );
  });
});
