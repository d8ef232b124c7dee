/**
 * RealClock tests run on real time but never assert durations: they assert
 * ordering, "fired no earlier than its deadline", and counts of Node timers.
 * Each waits for events (a Promise resolved by the last callback), not for time,
 * and arms deadlines at most ~50 ms ahead. Tests that need to fire a Node timer
 * by hand use a fake backend, so they do not depend on the event loop at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NS_PER_MS, RealClock, nodeTimerBackend, type TimerBackend, type Timer } from '../../src/time/index.js';
import { Prng } from '../../src/util/prng.js';

/** Node's timers, counted: how many were created, and how many are outstanding at most. */
function countingBackend() {
  const active = new Set<unknown>();
  const c = { created: 0, maxActive: 0, immediates: 0, unrefs: 0, refs: 0 };
  const backend: TimerBackend = {
    setTimeout(cb, ms) {
      c.created++;
      let h: NodeJS.Timeout | undefined = undefined;
      h = nodeTimerBackend.setTimeout(() => {
        active.delete(h);
        cb();
      }, ms) as NodeJS.Timeout;
      const unref = h.unref.bind(h);
      const ref = h.ref.bind(h);
      h.unref = () => (c.unrefs++, unref());
      h.ref = () => (c.refs++, ref());
      active.add(h);
      c.maxActive = Math.max(c.maxActive, active.size);
      return h;
    },
    clearTimeout(h) {
      active.delete(h);
      nodeTimerBackend.clearTimeout(h);
    },
    setImmediate(cb) {
      c.immediates++;
      return nodeTimerBackend.setImmediate(cb);
    },
    clearImmediate(h) {
      nodeTimerBackend.clearImmediate(h);
    },
  };
  return { backend, counts: c, active };
}

/** A backend whose timers only fire when the test says so. */
function manualBackend() {
  const timers = new Map<number, { cb: () => void; ms: number }>();
  const immediates = new Map<number, () => void>();
  let id = 0;
  const backend: TimerBackend = {
    setTimeout(cb, ms) {
      timers.set(++id, { cb, ms });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    setImmediate(cb) {
      immediates.set(++id, cb);
      return id;
    },
    clearImmediate: (h) => void immediates.delete(h as number),
  };
  const fireTimer = (): void => {
    const [[k, t]] = [...timers.entries()];
    timers.delete(k!);
    t!.cb();
  };
  const fireImmediates = (): void => {
    const now = [...immediates.entries()];
    immediates.clear();
    for (const [, cb] of now) cb();
  };
  return { backend, timers, immediates, fireTimer, fireImmediates };
}

const clocks: RealClock[] = [];
function make(opts: ConstructorParameters<typeof RealClock>[0] = {}): RealClock {
  const c = new RealClock(opts);
  clocks.push(c);
  return c;
}
afterEach(() => {
  for (const c of clocks.splice(0)) c.close();
});

/** Busy-wait on the clock itself (no sleeping) until `ns` have passed. */
function spinUntil(clock: RealClock, t: number): void {
  while (clock.now() < t) {
    /* spin */
  }
}

describe('RealClock', () => {
  it('now_is_a_monotonic_integer_number_of_ns_since_creation', () => {
    const clock = make();
    let prev = clock.now();
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const t = clock.now();
      if (!Number.isInteger(t) || t < prev) bad++;
      prev = t;
    }
    expect(prev).toBeGreaterThan(0);
    expect(bad).toBe(0);
  });

  it('coalescing: 100k timers over 50 ms use a handful of Node timers, one at a time, and all fire in deadline order, none early', async () => {
    const { backend, counts, active } = countingBackend();
    const clock = make({ backend });
    const N = 100_000;
    const rng = new Prng('coalescing');
    const offsets = new Float64Array(N);
    for (let i = 0; i < N; i++) offsets[i] = 5 * NS_PER_MS + rng.int(0, 50 * NS_PER_MS);
    const deadlines = new Float64Array(N);
    const firedDeadline = new Float64Array(N);
    let early = 0;
    let firedCount = 0;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    // One shared callback; the context is the timer's index (no closure per timer).
    const firedTimes = new Uint8Array(N);
    const onFire = (i: number): void => {
      if (clock.now() < deadlines[i]!) early++;
      firedTimes[i]!++;
      firedDeadline[firedCount] = deadlines[i]!;
      if (++firedCount === N) resolve();
    };
    const timers: Timer[] = [];
    for (let i = 0; i < N; i++) timers.push(clock.createTimer(onFire, i));
    // Deadlines spread over 50 ms from 5 ms after arming starts.
    const t0 = clock.now();
    for (let i = 0; i < N; i++) {
      deadlines[i] = t0 + offsets[i]!;
      timers[i]!.arm(deadlines[i]!);
    }
    expect(clock.pending).toBe(N);
    await done;
    expect(firedCount).toBe(N);
    expect(early).toBe(0);
    // Deadline order: every timer fired exactly once, in non-decreasing deadline order.
    let disorder = 0;
    let notOnce = 0;
    for (let i = 0; i < N; i++) {
      if (i > 0 && firedDeadline[i]! < firedDeadline[i - 1]!) disorder++;
      if (firedTimes[i] !== 1) notOnce++;
    }
    expect(disorder).toBe(0);
    expect(notOnce).toBe(0);
    // One Node timer per granule at most (~50) plus early/late re-arms, never 100k.
    expect(counts.created).toBeLessThan(200);
    expect(counts.maxActive).toBe(1);
    expect(active.size).toBe(0);
    expect(clock.stats.timersFired).toBe(N);
    expect(clock.stats.nodeTimersArmed).toBe(counts.created);
    expect(clock.pending).toBe(0);
  });

  it('the_node_timer_is_replaced_only_when_the_earliest_wakeup_moves_earlier', () => {
    const m = manualBackend();
    const clock = make({ backend: m.backend });
    const t0 = clock.now();
    const a = clock.createTimer(() => undefined, null);
    const b = clock.createTimer(() => undefined, null);
    a.arm(t0 + 40 * NS_PER_MS);
    expect(clock.stats.nodeTimersArmed).toBe(1);
    b.arm(t0 + 45 * NS_PER_MS); // later: no new Node timer
    expect(clock.stats.nodeTimersArmed).toBe(1);
    a.arm(t0 + 60 * NS_PER_MS); // postpone the earliest: stale wake-up, no new Node timer
    expect(clock.stats.nodeTimersArmed).toBe(1);
    b.arm(t0 + 10 * NS_PER_MS); // earlier: replaced
    expect(clock.stats.nodeTimersArmed).toBe(2);
    expect(m.timers.size).toBe(1);
    const ms = [...m.timers.values()][0]!.ms;
    expect(ms).toBeGreaterThanOrEqual(1);
    expect(ms).toBeLessThanOrEqual(11);
  });

  it('deadlines_in_the_same_granule_fire_in_one_wakeup_and_never_early', () => {
    const m = manualBackend();
    const G = 10 * NS_PER_MS;
    const clock = make({ backend: m.backend, granularity: G });
    const log: string[] = [];
    const base = Math.ceil(clock.now() / G) * G + 3 * G; // a granule boundary >= 30 ms ahead
    const mk = (name: string, at: number): void =>
      clock.createTimer(() => log.push(`${name}:${clock.now() >= at ? 'ok' : 'EARLY'}`), null).arm(at);
    mk('c', base + 9 * NS_PER_MS);
    mk('a', base + 1 * NS_PER_MS);
    mk('b', base + 1 * NS_PER_MS);
    mk('next', base + 10_000 * NS_PER_MS);
    expect(m.timers.size).toBe(1);
    // Fire the Node timer too soon (as Node may, counting from its cached loop
    // time): whatever is not yet due stays armed, and the clock re-arms.
    m.fireTimer();
    if (clock.now() < base + 1 * NS_PER_MS) expect(log).toEqual([]);
    expect(m.timers.size).toBe(1);
    spinUntil(clock, base + 10 * NS_PER_MS);
    m.fireTimer();
    expect(log).toEqual(['a:ok', 'b:ok', 'c:ok']); // one wake-up, in (deadline, arm order)
    expect(m.timers.size).toBe(1);
    expect(clock.pending).toBe(1);
  });

  it('cancel_of_the_last_timer_unrefs_the_stale_node_timer_and_rearm_refs_it', () => {
    const { backend, counts } = countingBackend();
    const clock = make({ backend });
    const t = clock.createTimer(() => undefined, null);
    t.armAfter(30 * NS_PER_MS);
    t.cancel();
    expect(counts.unrefs).toBe(1);
    t.armAfter(40 * NS_PER_MS); // later than the stale wake-up: same Node timer, ref'd again
    expect(counts.created).toBe(1);
    expect(counts.refs).toBe(1);
    clock.close();
  });

  it('unref_option_unrefs_the_node_timer', () => {
    const { backend, counts } = countingBackend();
    const clock = make({ backend, unref: true });
    clock.createTimer(() => undefined, null).armAfter(30 * NS_PER_MS);
    expect(counts.unrefs).toBe(1);
  });

  it('cancelled_timers_never_fire_and_rearmed_timers_fire_once', async () => {
    const clock = make();
    const log: string[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const cancelled = clock.createTimer(() => log.push('cancelled'), null);
    const moved = clock.createTimer(() => log.push('moved'), null);
    const last = clock.createTimer(() => {
      log.push('last');
      resolve();
    }, null);
    cancelled.armAfter(2 * NS_PER_MS);
    moved.armAfter(1 * NS_PER_MS);
    last.armAfter(8 * NS_PER_MS);
    moved.armAfter(4 * NS_PER_MS);
    cancelled.cancel();
    await done;
    expect(log).toEqual(['moved', 'last']);
  });

  it('a_timer_can_rearm_itself_from_its_callback', async () => {
    const clock = make();
    const at: number[] = [];
    const deadlines: number[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const t: Timer = clock.createTimer(() => {
      at.push(clock.now());
      deadlines.push(t.deadline);
      if (at.length < 3) t.armAfter(2 * NS_PER_MS);
      else resolve();
    }, null);
    t.armAfter(2 * NS_PER_MS);
    await done;
    expect(at.length).toBe(3);
    for (let i = 0; i < 3; i++) expect(at[i]).toBeGreaterThanOrEqual(deadlines[i]!);
  });

  it('defer_runs_fifo_in_one_immediate_and_work_deferred_meanwhile_runs_in_the_next', async () => {
    const { backend, counts } = countingBackend();
    const clock = make({ backend });
    const log: string[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    clock.defer((s) => {
      log.push(s);
      clock.defer((s2) => {
        log.push(s2);
        resolve();
      }, 'c');
    }, 'a');
    clock.defer((s) => log.push(s), 'b');
    expect(clock.pending).toBe(2);
    expect(counts.immediates).toBe(1); // one immediate for both
    await done;
    expect(log).toEqual(['a', 'b', 'c']);
    expect(counts.immediates).toBe(2);
    expect(clock.stats.deferredRun).toBe(3);
  });

  it('a_throwing_timer_callback_propagates_and_the_clock_rearms_for_the_rest', () => {
    const m = manualBackend();
    const clock = make({ backend: m.backend });
    const log: string[] = [];
    clock.createTimer(() => {
      throw new Error('boom');
    }, null).arm(0); // in the past: due at once
    clock.createTimer(() => log.push('after'), null).arm(1);
    expect(() => m.fireTimer()).toThrow('boom');
    expect(m.timers.size).toBe(1); // re-armed for what is still pending
    m.fireTimer();
    expect(log).toEqual(['after']);
    expect(m.timers.size).toBe(0);
  });

  it('a_throwing_deferred_callback_propagates_and_the_rest_still_run', () => {
    const m = manualBackend();
    const clock = make({ backend: m.backend });
    const log: string[] = [];
    clock.defer(() => {
      throw new Error('boom');
    }, null);
    clock.defer(() => log.push('second'), null);
    expect(() => m.fireImmediates()).toThrow('boom');
    expect(m.immediates.size).toBe(1);
    m.fireImmediates();
    expect(log).toEqual(['second']);
  });

  it('close_disarms_everything_and_later_arms_and_defers_do_nothing', () => {
    const m = manualBackend();
    const clock = make({ backend: m.backend });
    const t = clock.createTimer(() => undefined, null);
    t.armAfter(10 * NS_PER_MS);
    clock.defer(() => undefined, null);
    expect(m.timers.size).toBe(1);
    expect(m.immediates.size).toBe(1);
    clock.close();
    expect(clock.closed).toBe(true);
    expect(t.armed).toBe(false);
    expect(m.timers.size).toBe(0);
    expect(m.immediates.size).toBe(0);
    t.armAfter(1);
    clock.defer(() => undefined, null);
    expect(t.armed).toBe(false);
    expect(clock.pending).toBe(0);
    expect(m.timers.size).toBe(0);
    clock.close(); // idempotent
  });

  it('options_are_validated_and_named', () => {
    expect(() => new RealClock({ granularity: 0 })).toThrow(/granularity/);
    expect(() => new RealClock({ granularity: 1.5 })).toThrow(RangeError);
    const clock = make();
    expect(() => clock.createTimer(() => undefined, null).arm(NaN)).toThrow(RangeError);
  });
});
