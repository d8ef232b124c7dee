import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockReentrancyError, RunawayEventLoopError, VirtualClock, NS_PER_MS, NS_PER_S } from '../../src/time/index.js';
import type { Timer } from '../../src/time/index.js';

/** A clock plus named timers that log "name@time" when they fire. */
function setup(opts?: ConstructorParameters<typeof VirtualClock>[0]) {
  const clock = new VirtualClock(opts);
  const log: string[] = [];
  const timers = new Map<string, Timer>();
  const timer = (name: string, onFire?: () => void): Timer => {
    const t = clock.createTimer((n: string) => {
      log.push(`${n}@${clock.now()}`);
      onFire?.();
    }, name);
    timers.set(name, t);
    return t;
  };
  return { clock, log, timer };
}

describe('VirtualClock ordering', () => {
  it('timers_fire_in_deadline_order', () => {
    const { clock, log, timer } = setup();
    timer('c').arm(300);
    timer('a').arm(100);
    timer('b').arm(200);
    expect(clock.pending).toBe(3);
    expect(clock.nextEventTime()).toBe(100);
    expect(clock.runUntilIdle()).toBe(3);
    expect(log).toEqual(['a@100', 'b@200', 'c@300']);
    expect(clock.now()).toBe(300);
    expect(clock.pending).toBe(0);
    expect(clock.nextEventTime()).toBe(Infinity);
  });

  it('same_deadline_ties_fire_in_arm_order_not_creation_order', () => {
    const { clock, log, timer } = setup();
    const x = timer('x');
    const y = timer('y');
    const z = timer('z');
    z.arm(50);
    x.arm(50);
    y.arm(50);
    clock.runUntilIdle();
    expect(log).toEqual(['z@50', 'x@50', 'y@50']);
  });

  it('rearm_at_unchanged_deadline_moves_behind_timers_armed_meanwhile', () => {
    const { clock, log, timer } = setup();
    const a = timer('a');
    a.arm(10);
    timer('b').arm(10);
    a.arm(10); // fresh sequence number: now after b
    clock.runUntilIdle();
    expect(log).toEqual(['b@10', 'a@10']);
  });

  it('step_runs_one_event_and_returns_false_when_idle', () => {
    const { clock, log, timer } = setup();
    timer('a').arm(5);
    timer('b').arm(7);
    expect(clock.step()).toBe(true);
    expect(log).toEqual(['a@5']);
    expect(clock.now()).toBe(5);
    expect(clock.step()).toBe(true);
    expect(clock.step()).toBe(false);
    expect(clock.now()).toBe(7);
    expect(clock.eventsRun).toBe(2);
  });

  it('arming_in_the_past_fires_at_now_not_earlier', () => {
    const { clock, log, timer } = setup({ start: 1000 });
    const t = timer('late');
    t.arm(10);
    expect(t.deadline).toBe(1000);
    clock.runUntilIdle();
    expect(log).toEqual(['late@1000']);
    timer('neg').armAfter(-50);
    clock.runUntilIdle();
    expect(log).toEqual(['late@1000', 'neg@1000']);
  });

  it('time_never_goes_backwards: runUntil into the past throws', () => {
    const { clock } = setup();
    clock.runUntil(100);
    expect(() => clock.runUntil(99)).toThrow(RangeError);
    expect(() => clock.runUntil(99)).toThrow(/got 99/);
    expect(() => clock.runFor(-1)).toThrow(RangeError);
    expect(clock.now()).toBe(100);
  });

  it('non_integer_deadlines_are_rejected_with_a_RangeError', () => {
    const { clock, timer } = setup();
    const t = timer('t');
    expect(() => t.arm(1.5)).toThrow(RangeError);
    expect(() => t.arm(NaN)).toThrow(/got NaN/);
    expect(() => t.arm(Infinity)).toThrow(RangeError);
    expect(() => t.armAfter(0.25)).toThrow(RangeError);
    expect(t.armed).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it('constructor_options_are_validated_and_named', () => {
    expect(() => new VirtualClock({ start: -1 })).toThrow(/start/);
    expect(() => new VirtualClock({ maxEventsPerInstant: 0 })).toThrow(/maxEventsPerInstant/);
    expect(new VirtualClock({ start: 5 }).now()).toBe(5);
  });
});

describe('VirtualClock cancel and re-arm', () => {
  it('cancel_prevents_firing_and_is_a_noop_when_disarmed', () => {
    const { clock, log, timer } = setup();
    const a = timer('a');
    const b = timer('b');
    a.arm(10);
    b.arm(20);
    expect(a.armed).toBe(true);
    a.cancel();
    expect(a.armed).toBe(false);
    a.cancel(); // no-op
    expect(clock.pending).toBe(1);
    clock.runUntilIdle();
    expect(log).toEqual(['b@20']);
    expect(b.armed).toBe(false);
    b.cancel(); // after firing: no-op
  });

  it('rearm_earlier_fires_at_the_new_deadline', () => {
    const { clock, log, timer } = setup();
    const a = timer('a');
    a.arm(500);
    timer('b').arm(300);
    a.arm(100);
    expect(a.deadline).toBe(100);
    clock.runUntilIdle();
    expect(log).toEqual(['a@100', 'b@300']);
  });

  it('rearm_later_fires_once_at_the_new_deadline', () => {
    const { clock, log, timer } = setup();
    const a = timer('a');
    a.arm(100);
    timer('b').arm(300);
    a.arm(500);
    clock.runUntilIdle();
    expect(log).toEqual(['b@300', 'a@500']);
  });

  it('rearm_from_inside_its_own_callback_makes_a_periodic_timer', () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    const t: Timer = clock.createTimer(() => {
      fired.push(clock.now());
      expect(t.armed).toBe(false); // disarmed before the callback runs
      if (fired.length < 5) t.armAfter(10);
    }, null);
    t.arm(10);
    clock.runUntilIdle();
    expect(fired).toEqual([10, 20, 30, 40, 50]);
  });

  it('cancel_another_timer_from_inside_a_callback', () => {
    const { clock, log, timer } = setup();
    const victim = timer('victim');
    timer('killer', () => victim.cancel()).arm(10);
    victim.arm(10); // same time, armed later: would fire right after killer
    timer('later').arm(20);
    clock.runUntilIdle();
    expect(log).toEqual(['killer@10', 'later@20']);
  });

  it('arm_another_timer_at_now_from_inside_a_callback_fires_after_same_time_events', () => {
    const { clock, log, timer } = setup();
    const late = timer('late');
    timer('first', () => late.arm(clock.now())).arm(10);
    timer('second').arm(10);
    clock.runUntilIdle();
    expect(log).toEqual(['first@10', 'second@10', 'late@10']);
  });

  it('timer_objects_are_reused: arm after fire needs no new timer', () => {
    const clock = new VirtualClock();
    let n = 0;
    const t = clock.createTimer((c) => c.count++, { count: 0 });
    for (let i = 0; i < 1000; i++) {
      t.armAfter(1 + (i % 7));
      clock.runUntilIdle();
      n++;
    }
    expect(n).toBe(1000);
    expect(clock.eventsRun).toBe(1000);
  });
});

describe('VirtualClock defer', () => {
  it('defer_runs_fifo_at_now_after_events_already_scheduled_for_now', () => {
    const { clock, log, timer } = setup();
    clock.runUntil(100);
    timer('t1').arm(100);
    clock.defer((s) => log.push(`${s}@${clock.now()}`), 'd1');
    timer('t2').arm(100);
    clock.defer((s) => log.push(`${s}@${clock.now()}`), 'd2');
    timer('t3').arm(101);
    expect(clock.pending).toBe(5);
    expect(clock.nextEventTime()).toBe(100);
    clock.runUntilIdle();
    expect(log).toEqual(['t1@100', 'd1@100', 't2@100', 'd2@100', 't3@101']);
  });

  it('work_deferred_from_a_callback_runs_after_events_scheduled_before_it', () => {
    const { clock, log, timer } = setup();
    timer('a', () => clock.defer(() => log.push(`deferred@${clock.now()}`), null)).arm(10);
    timer('b').arm(10);
    timer('c').arm(11);
    clock.runUntilIdle();
    expect(log).toEqual(['a@10', 'b@10', 'deferred@10', 'c@11']);
  });

  it('defer_queue_grows_and_keeps_fifo_order_across_wraparound', () => {
    const clock = new VirtualClock();
    const out: number[] = [];
    let next = 0;
    // Interleave pushes and pops so the ring wraps before it grows.
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < round; k++) clock.defer((v) => out.push(v), next++);
      for (let k = 0; k < round >> 1; k++) clock.step();
    }
    clock.runUntilIdle();
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});

describe('VirtualClock run methods', () => {
  it('runUntil_runs_events_up_to_t_inclusive_then_sets_now_exactly', () => {
    const { clock, log, timer } = setup();
    timer('a').arm(100);
    timer('b').arm(250);
    timer('c').arm(251);
    expect(clock.runUntil(250)).toBe(2);
    expect(log).toEqual(['a@100', 'b@250']);
    expect(clock.now()).toBe(250);
    expect(clock.runUntil(251 - 1)).toBe(0);
    clock.runUntil(1000);
    expect(clock.now()).toBe(1000);
    expect(log).toEqual(['a@100', 'b@250', 'c@251']);
  });

  it('runFor_advances_relative_to_now', () => {
    const { clock, log, timer } = setup({ start: 7 });
    timer('a').armAfter(10);
    expect(clock.runFor(9)).toBe(0);
    expect(clock.now()).toBe(16);
    expect(clock.runFor(1)).toBe(1);
    expect(log).toEqual(['a@17']);
  });

  it('events_scheduled_by_events_within_the_window_run_in_the_same_runUntil', () => {
    const { clock, log, timer } = setup();
    const b = timer('b');
    timer('a', () => b.armAfter(5)).arm(10);
    clock.runUntil(15);
    expect(log).toEqual(['a@10', 'b@15']);
  });

  it('a_throwing_callback_propagates_and_the_clock_stays_usable', () => {
    const { clock, log, timer } = setup();
    clock.createTimer(() => {
      throw new Error('boom');
    }, null).arm(10);
    timer('after').arm(10);
    timer('later').arm(30);
    expect(() => clock.runUntil(100)).toThrow('boom');
    expect(clock.now()).toBe(10);
    expect(clock.pending).toBe(2);
    clock.runUntil(100);
    expect(log).toEqual(['after@10', 'later@30']);
    expect(clock.now()).toBe(100);
  });

  it('run_methods_are_not_reentrant', () => {
    const clock = new VirtualClock();
    let caught: unknown;
    clock.defer(() => {
      try {
        clock.runUntil(clock.now() + 10);
      } catch (e) {
        caught = e;
      }
    }, null);
    clock.runUntilIdle();
    expect(caught).toBeInstanceOf(ClockReentrancyError);
    expect((caught as ClockReentrancyError).code).toBe('ERR_CLOCK_REENTRANT');
    // and the clock still works afterwards
    clock.defer(() => undefined, null);
    expect(clock.runUntilIdle()).toBe(1);
  });

  it('a_simulated_day_keeps_integer_ns_exact', () => {
    const clock = new VirtualClock();
    const day = 86_400 * NS_PER_S;
    const ticks: number[] = [];
    let bad = 0;
    // A 1 s periodic timer for a whole day: every tick lands exactly on k·1e9.
    const tick = clock.createTimer(() => {
      const now = clock.now();
      if (now !== ticks.length * NS_PER_S + NS_PER_S) bad++;
      ticks.push(now);
      if (now < day) tick.armAfter(NS_PER_S);
    }, null);
    tick.armAfter(NS_PER_S);
    let at = -1;
    const odd = clock.createTimer(() => (at = clock.now()), null);
    odd.arm(day + 1);
    let at2 = -1;
    clock.createTimer(() => (at2 = clock.now()), null).arm(day + 1 + 3 * NS_PER_MS + 7);
    clock.runUntilIdle();
    expect(bad).toBe(0);
    expect(ticks.length).toBe(86_400);
    expect(ticks.at(-1)).toBe(day);
    expect(at).toBe(86_400_000_000_001);
    expect(at2).toBe(86_400_003_000_008);
    expect(Number.isInteger(clock.now())).toBe(true);
  });
});

describe('VirtualClock runaway guard', () => {
  it('runaway_guard_throws_on_a_timer_that_rearms_itself_at_now_forever', () => {
    const clock = new VirtualClock({ maxEventsPerInstant: 10_000 });
    clock.runUntil(5_000);
    let fires = 0;
    const storm: Timer = clock.createTimer(() => {
      fires++;
      storm.arm(clock.now());
    }, null);
    storm.arm(5_000);
    let err: unknown;
    try {
      clock.runUntilIdle();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunawayEventLoopError);
    const e = err as RunawayEventLoopError;
    expect(e.code).toBe('ERR_RUNAWAY_EVENT_LOOP');
    expect(e.reason).toBe('sameTime');
    expect(e.time).toBe(5_000);
    expect(e.events).toBe(10_000);
    expect(e.message).toMatch(/10000 events ran at virtual time 5000 ns/);
    expect(fires).toBe(10_000);
    // The clock is consistent: the storm timer is still armed at 5000; stop it and go on.
    expect(storm.armed).toBe(true);
    storm.cancel();
    clock.runUntil(6_000);
    expect(clock.now()).toBe(6_000);
  });

  it('runaway_guard_default_limit_catches_a_deferred_work_storm', () => {
    const clock = new VirtualClock();
    const again = (c: VirtualClock): void => c.defer(again, c);
    clock.defer(again, clock);
    expect(() => clock.runUntil(10)).toThrow(RunawayEventLoopError);
    expect(clock.now()).toBe(0);
  });

  it('same_time_count_restarts_when_time_advances', () => {
    const clock = new VirtualClock({ maxEventsPerInstant: 3 });
    for (let t = 0; t < 5; t++) for (let k = 0; k < 3; k++) clock.createTimer(() => undefined, null).arm(t * 10);
    expect(clock.runUntilIdle()).toBe(15);
  });

  it('runUntilIdle_throws_when_maxEvents_is_reached_with_work_left', () => {
    const clock = new VirtualClock();
    const t: Timer = clock.createTimer(() => t.armAfter(1), null); // periodic forever
    t.arm(0);
    let err: unknown;
    try {
      clock.runUntilIdle({ maxEvents: 500 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RunawayEventLoopError);
    expect((err as RunawayEventLoopError).reason).toBe('maxEvents');
    expect((err as RunawayEventLoopError).events).toBe(500);
    expect((err as RunawayEventLoopError).message).toMatch(/500 events/);
    expect(clock.now()).toBe(499);
    expect(t.armed).toBe(true);
  });

  it('runUntilIdle_throws_when_the_next_event_lies_beyond_maxTime', () => {
    const clock = new VirtualClock();
    const t: Timer = clock.createTimer(() => t.armAfter(100), null);
    t.arm(0);
    expect(() => clock.runUntilIdle({ maxTime: 1_000 })).toThrow(/maxTime 1000 ns/);
    expect(clock.now()).toBe(1_000);
    expect(t.deadline).toBe(1_100);
  });

  it('runUntilIdle_returns_the_event_count_within_its_limits', () => {
    const clock = new VirtualClock();
    for (let i = 0; i < 10; i++) clock.createTimer(() => undefined, null).arm(i);
    expect(clock.runUntilIdle({ maxEvents: 10, maxTime: 9 })).toBe(10);
    expect(() => clock.runUntilIdle({ maxEvents: -1 })).toThrow(/maxEvents/);
  });
});

// ---- property: the clock fires exactly like a reference model -----------------

/** What a timer does when it fires (scripted per timer). */
type OnFire =
  | { kind: 'none' }
  | { kind: 'rearm'; delay: number }
  | { kind: 'cancel'; other: number }
  | { kind: 'armOther'; other: number; delay: number }
  | { kind: 'defer' };

type Op =
  | { op: 'arm'; i: number; at: number }
  | { op: 'armAfter'; i: number; delay: number }
  | { op: 'cancel'; i: number }
  | { op: 'defer' }
  | { op: 'runFor'; dt: number }
  | { op: 'step' };

const NTIMERS = 8;

/** Reference model: a flat list, the next event is the minimum by (deadline, seq). */
class Model {
  now = 0;
  seq = 0;
  entries: { id: string; timer: number; deadline: number; seq: number }[] = [];
  log: string[] = [];
  deferred = 0;
  constructor(private readonly onFire: OnFire[]) {}
  arm(i: number, at: number): void {
    this.cancel(i);
    this.entries.push({ id: `t${i}`, timer: i, deadline: Math.max(at, this.now), seq: ++this.seq });
  }
  cancel(i: number): void {
    this.entries = this.entries.filter((e) => e.timer !== i);
  }
  defer(): void {
    this.entries.push({ id: `d${this.deferred++}`, timer: -1, deadline: this.now, seq: ++this.seq });
  }
  private next(): number {
    let m = -1;
    for (let k = 0; k < this.entries.length; k++) {
      const e = this.entries[k]!;
      const b = m < 0 ? undefined : this.entries[m]!;
      if (!b || e.deadline < b.deadline || (e.deadline === b.deadline && e.seq < b.seq)) m = k;
    }
    return m;
  }
  runOne(limit: number): boolean {
    const k = this.next();
    if (k < 0 || this.entries[k]!.deadline > limit) return false;
    const [e] = this.entries.splice(k, 1);
    this.now = e!.deadline;
    this.log.push(`${e!.id}@${this.now}`);
    if (e!.timer >= 0) {
      const a = this.onFire[e!.timer]!;
      if (a.kind === 'rearm') this.arm(e!.timer, this.now + a.delay);
      else if (a.kind === 'cancel') this.cancel(a.other);
      else if (a.kind === 'armOther') this.arm(a.other, this.now + a.delay);
      else if (a.kind === 'defer') this.defer();
    }
    return true;
  }
  runFor(dt: number): void {
    const t = this.now + dt;
    while (this.runOne(t));
    this.now = t;
  }
}

/** The same script against a real VirtualClock. */
function runReal(onFire: OnFire[], ops: Op[]): { log: string[]; now: number; armed: boolean[] } {
  const clock = new VirtualClock();
  const log: string[] = [];
  let deferred = 0;
  const deferFn = (id: string): void => void log.push(`${id}@${clock.now()}`);
  const timers: Timer[] = [];
  for (let i = 0; i < NTIMERS; i++) {
    timers.push(
      clock.createTimer((idx: number) => {
        log.push(`t${idx}@${clock.now()}`);
        const a = onFire[idx]!;
        if (a.kind === 'rearm') timers[idx]!.arm(clock.now() + a.delay);
        else if (a.kind === 'cancel') timers[a.other]!.cancel();
        else if (a.kind === 'armOther') timers[a.other]!.armAfter(a.delay);
        else if (a.kind === 'defer') clock.defer(deferFn, `d${deferred++}`);
      }, i),
    );
  }
  for (const o of ops) {
    if (o.op === 'arm') timers[o.i]!.arm(o.at);
    else if (o.op === 'armAfter') timers[o.i]!.armAfter(o.delay);
    else if (o.op === 'cancel') timers[o.i]!.cancel();
    else if (o.op === 'defer') clock.defer(deferFn, `d${deferred++}`);
    else if (o.op === 'runFor') clock.runFor(o.dt);
    else clock.step();
  }
  clock.runFor(10_000);
  return { log, now: clock.now(), armed: timers.map((t) => t.armed) };
}

function runModel(onFire: OnFire[], ops: Op[]): { log: string[]; now: number; armed: boolean[] } {
  const m = new Model(onFire);
  for (const o of ops) {
    if (o.op === 'arm') m.arm(o.i, o.at);
    else if (o.op === 'armAfter') m.arm(o.i, m.now + o.delay);
    else if (o.op === 'cancel') m.cancel(o.i);
    else if (o.op === 'defer') m.defer();
    else if (o.op === 'runFor') m.runFor(o.dt);
    else m.runOne(Infinity);
  }
  m.runFor(10_000);
  const armed = Array.from({ length: NTIMERS }, (_, i) => m.entries.some((e) => e.timer === i));
  return { log: m.log, now: m.now, armed };
}

const idx = fc.integer({ min: 0, max: NTIMERS - 1 });
// Small time range so that ties are common.
const time = fc.integer({ min: 0, max: 60 });
const onFireArb: fc.Arbitrary<OnFire> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('rearm' as const), delay: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('cancel' as const), other: idx }),
  // delay >= 1 so two timers cannot ping-pong at one instant forever
  fc.record({ kind: fc.constant('armOther' as const), other: idx, delay: fc.integer({ min: 1, max: 30 }) }),
  fc.constant({ kind: 'defer' as const }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('arm' as const), i: idx, at: time }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('armAfter' as const), i: idx, delay: fc.integer({ min: -5, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), i: idx }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('defer' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('runFor' as const), dt: fc.integer({ min: 0, max: 25 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('step' as const) }) },
);

describe('VirtualClock property', () => {
  it('random_arm_cancel_rearm_defer_sequences_fire_in_the_order_of_the_reference_model', () => {
    fc.assert(
      fc.property(fc.array(onFireArb, { minLength: NTIMERS, maxLength: NTIMERS }), fc.array(opArb, { maxLength: 120, size: 'max' }), (onFire, ops) => {
        // Periodic 'rearm' timers never go idle; both sides stop at now + 10_000.
        expect(runReal(onFire, ops)).toEqual(runModel(onFire, ops));
      }),
      { numRuns: 400 },
    );
  });
});
