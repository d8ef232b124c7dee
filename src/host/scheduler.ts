/**
 * The simulated host: N CPUs that run softirq work and process steps in virtual
 * time, charging each work item the cost of the work it reports (DESIGN
 * principles 6 and 7, "Simulation model").
 *
 * Owns: dispatch (what runs next on which CPU), the run queue, process state
 * transitions, wake-up latency, effect release, and CPU/run-queue measurements.
 * Must not: know about packets or sockets, read the wall clock, or use
 * randomness other than its seeded Prng.
 *
 * Execution model (the rules test/host/scheduler.test.ts checks):
 *  - A work item's code runs at the item's start time t (clock.now() === t during
 *    it). It reports work through `host.acct`; its cost c is the priced sum,
 *    rounded to whole ns. The CPU is busy over [t, t+c). Effects the code buffers
 *    with `host.deferEffect(fn, ctx)` run at t+c, in order, before the CPU takes
 *    its next item. Internal state changes are instantaneous at t; only what other
 *    parties can observe (frames transmitted, data made readable, wake-ups) must
 *    go through deferEffect.
 *  - Softirq work (`host.softirq(fn, ctx, cpu?)`) is raised on one CPU — the CPU
 *    that owns the NIC IRQ, `irqCpu` (default 0) — and runs FIFO there. Policy:
 *    a CPU takes softirq work before any process work. It never preempts another
 *    softirq item or a process *kernel step* (the code between two yields, which
 *    runs as one non-preemptible item), but it does preempt a process *compute*
 *    chunk, as a hardware interrupt would: the chunk is cut at the current time,
 *    the softirq runs, and the process then continues on the same CPU without a
 *    context switch.
 *  - Softirq budget and ksoftirqd (Linux kernel/softirq.c __do_softirq: restart
 *    only while `time_before(jiffies, end)` with end = start + MAX_SOFTIRQ_TIME
 *    (2 ms), else wakeup_softirqd()). When a CPU is about to start a softirq item
 *    at least cost.softirqBudgetNs after the start of its current back-to-back run
 *    of softirq items, and a process could run there (it owns the CPU, or a
 *    process waits in the run queue), the CPU wakes its ksoftirqd pseudo-process
 *    (`ksoftirqd/<cpu>`, no wake-up latency: the IRQ-exit path wakes it on this
 *    CPU) into the run queue and softirq work on that CPU stops taking priority:
 *    it runs only when ksoftirqd gets its turn, one item per "step", round-robin
 *    with processes under the same timeslice rule, and raising softirq work no
 *    longer cuts process compute chunks (Linux do_softirq(): `if (pending &&
 *    !ksoftirqd_running(pending))`). When ksoftirqd finds the queue empty it
 *    sleeps and the CPU returns to normal softirq priority. ksoftirqd time counts
 *    as softirq time (so utilisation sums stay exact); Cpu.ksoftirqdNs is the part
 *    of softirqNs it ran. Below the budget nothing changes. Not modelled: the
 *    MAX_SOFTIRQ_RESTART (10) count, need_resched() early exit, NAPI's own budget
 *    (netdev_budget 300 packets / 2 ms) and CFS wake-up preemption.
 *  - Processes (`host.spawn`) share one FIFO run queue across CPUs. A CPU with no
 *    softirq work continues the process that owns it; when that process has used
 *    its timeslice and another waits, it goes to the tail (round-robin). A free CPU
 *    takes the run-queue head. Switching a CPU to a different process than it last
 *    ran charges contextSwitchNs to that step.
 *  - wake(proc): the waker pays perWakeupNs (its current work item, or, outside
 *    any work item, the woken process's next step); the process enters the run
 *    queue after a latency drawn from cost.wakeupLatency. Sleeps and block
 *    timeouts wake the same way, deadlines rounded up to timerGranularityNs.
 *  - Ties: everything is driven by Clock timers and ordered by the clock's
 *    (time, sequence) rule; idle CPUs are chosen lowest id first (a process's last
 *    CPU preferred); no Map iteration or object identity decides anything.
 */
import type { Clock, Nanos, TimerCallback } from '../time/clock.js';
import type { Prng } from '../util/prng.js';
import { drawWakeupLatency, roundUpToTick, type CostModel } from './cost-model.js';
import { Cpu, ITEM_IDLE, ITEM_PROCESS, ITEM_SOFTIRQ } from './cpu.js';
import { HostAccounting } from './host-accounting.js';
import { costModel, type Era } from './presets.js';
import { Process, type BlockOp, type ProcessBody, type ProcessWaker } from './process.js';
import { Distribution } from './stats.js';

export interface HostOptions {
  /** The simulation clock (a VirtualClock in the lab). */
  clock: Clock;
  /** Seeded randomness; the host forks 'wakeup' from it. */
  prng: Prng;
  /** Number of CPUs (integer >= 1, default 1). */
  cpus?: number;
  /** Cost model era preset (default '2025'). */
  era?: Era;
  /** Overrides of individual cost model constants. */
  cost?: Partial<CostModel>;
  /** CPU that owns the NIC IRQ and runs softirq work by default (default 0). */
  irqCpu?: number;
  /** For reports. */
  name?: string;
}

/** Busy time per CPU at one instant; take two and pass them to utilisation(). */
export interface CpuTimes {
  at: Nanos;
  softirqNs: number[];
  processNs: number[];
}

export interface CpuUtilisation {
  busyNs: number;
  softirqNs: number;
  processNs: number;
  idleNs: number;
  /** busyNs / window. */
  utilisation: number;
}

/** Utilisation over a window; the three fractions sum to 1 and the ns sum to windowNs × cpus. */
export interface Utilisation {
  windowNs: number;
  cpus: number;
  softirqNs: number;
  processNs: number;
  idleNs: number;
  softirq: number;
  process: number;
  idle: number;
  perCpu: CpuUtilisation[];
}

interface CpuSlot {
  host: Host;
  cpu: Cpu;
}

function onCpuTimer(slot: CpuSlot): void {
  slot.host.cpuEvent(slot.cpu);
}

function onProcTimer(p: Process): void {
  (p.waker as Host).procTimer(p);
}

/** purposes of Process.timer */
const T_NONE = 0;
const T_SLEEP = 1;
const T_LATENCY = 2;
const T_TIMEOUT = 3;

/** Body of the ksoftirqd pseudo-processes: the scheduler runs their softirq items itself. */
// eslint-disable-next-line require-yield
function* ksoftirqdBody(): Generator<never, void, boolean> {
  throw new Error('ksoftirqd is run by the scheduler, never stepped');
}

function badNs(v: unknown): boolean {
  return typeof v !== 'number' || !(v >= 0 && v < Infinity);
}

function checkInt(option: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw Object.assign(new RangeError(`${option} must be an integer in [${lo}, ${hi}]; got ${String(v)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  return v;
}

export class Host implements ProcessWaker {
  readonly name: string;
  readonly clock: Clock;
  readonly cost: CostModel;
  /** Give this to the code the host runs (the Stack): it prices reported work. */
  readonly acct: HostAccounting;
  readonly cpus: readonly Cpu[];
  readonly irqCpu: number;
  readonly processes: Process[] = [];
  /** Time from entering the run queue (wake-up latency elapsed, preemption, yield, spawn) to running. */
  readonly runQueueDelay = new Distribution('runQueueDelay');
  /** Time from wake() (or sleep expiry) to running: wake-up latency + run-queue delay. */
  readonly wakeupDelay = new Distribution('wakeupDelay');
  /** Process wake-ups performed. */
  wakeups = 0;
  contextSwitches = 0;
  preemptions = 0;

  private readonly runQueue: Process[] = [];
  /** How many entries of runQueue are ksoftirqd pseudo-processes (each pinned to its CPU). */
  private ksoftirqdQueued = 0;
  private readonly wakePrng: Prng;
  /** The CPU whose work item's code is executing right now, or null. */
  private current: Cpu | null = null;
  /** The CPU inside cpuEvent (completing / dispatching); it picks up queued work itself. */
  private dispatching: Cpu | null = null;
  private nextPid = 1;
  /** The process whose step's code is executing (runStep), else null. */
  private stepping: Process | null = null;

  constructor(opts: HostOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('Host options must be an object');
    if (opts.clock === undefined) throw new TypeError('Host option clock is required');
    if (opts.prng === undefined) throw new TypeError('Host option prng is required');
    this.name = opts.name ?? 'host';
    this.clock = opts.clock;
    this.cost = costModel(opts.era ?? '2025', opts.cost ?? {});
    const n = checkInt('cpus', opts.cpus ?? 1, 1, 4096);
    this.irqCpu = checkInt('irqCpu', opts.irqCpu ?? 0, 0, n - 1);
    this.acct = new HostAccounting(this.cost);
    this.wakePrng = opts.prng.fork('wakeup');
    const cpus: Cpu[] = [];
    for (let i = 0; i < n; i++) {
      const cpu = new Cpu(i);
      const slot: CpuSlot = { host: this, cpu };
      cpu.timer = this.clock.createTimer(onCpuTimer, slot);
      cpus.push(cpu);
    }
    this.cpus = cpus;
  }

  /** True while a work item's code is running on this host. */
  get inWorkItem(): boolean {
    return this.current !== null;
  }

  /** The CPU whose work item is executing now, or null. */
  get currentCpu(): Cpu | null {
    return this.current;
  }

  /** The process whose step is executing now, or null (softirq or outside any work item). */
  get currentProcess(): Process | null {
    // A step's code runs before its item is recorded on the CPU (startItem follows), so the
    // running step is tracked separately.
    return this.current !== null ? this.stepping : null;
  }

  get runQueueLength(): number {
    return this.runQueue.length;
  }

  // ---- softirq and effects ---------------------------------------------------

  /**
   * Raise softirq work: `fn(ctx)` runs as a work item on `cpu` (default: the IRQ
   * CPU) after the softirq work already queued there, before any process work.
   */
  softirq<C>(fn: TimerCallback<C>, ctx: C, cpu: number = this.irqCpu): void {
    const c = this.cpus[cpu];
    if (c === undefined) throw new RangeError(`softirq cpu must be an integer in [0, ${this.cpus.length - 1}]; got ${cpu}`);
    c.softirq.push(fn, ctx);
    if (c.softirq.length > c.maxSoftirqQueue) c.maxSoftirqQueue = c.softirq.length;
    const now = this.clock.now();
    // With softirq work deferred to ksoftirqd it waits for ksoftirqd's turn instead
    // (Linux do_softirq / invoke_softirq: nothing runs at IRQ exit while ksoftirqd is
    // pending).
    if (c.item === ITEM_PROCESS && c.preemptible && c.itemEnd > now && c !== this.current && !c.deferSoftirq) {
      // Interrupt a compute chunk: the rest of it goes back to the process.
      const p = c.proc!;
      const rest = c.itemEnd - now;
      p.pendingComputeNs += rest;
      p.sliceUsedNs -= rest;
      c.itemEnd = now;
      c.timer.arm(now);
    } else if (c.item === ITEM_IDLE && !c.timer.armed && c !== this.current) {
      c.timer.arm(now);
    }
  }

  /**
   * Buffer an effect of the running work item: `fn(ctx)` runs when the item's CPU
   * time has elapsed. Outside a work item it runs via clock.defer (cost 0).
   */
  deferEffect<C>(fn: TimerCallback<C>, ctx: C): void {
    const c = this.current;
    if (c !== null) c.effects.push(fn, ctx);
    else this.clock.defer(fn, ctx);
  }

  /** Charge explicit CPU time to the running work item (e.g. application work inside a step). */
  charge(ns: number): void {
    if (!(ns >= 0 && ns < Infinity)) throw new RangeError(`charge ns must be a finite number >= 0; got ${ns}`);
    this.acct.charge(ns);
  }

  // ---- processes -------------------------------------------------------------

  /** Create a process; it enters the run queue now. */
  spawn(name: string, body: ProcessBody): Process {
    if (typeof body !== 'function') throw new TypeError(`spawn ${name}: body must be a generator function`);
    const p = new Process(this.nextPid++, name, body, this);
    p.timer = this.clock.createTimer(onProcTimer, p);
    this.processes.push(p);
    this.enqueue(p);
    return p;
  }

  /**
   * Wake a blocked process (`signalled` is what its block request returns). Returns
   * false if it was not blocked. Waitable.signal() calls this.
   */
  wake(p: Process, signalled = true): boolean {
    if (p.state === 'running' && p.waitingOn !== null && p.pendingOp !== null && p.pendingOp.kind === 'block') {
      // Signalled while its blocking step is still running: it will not block.
      p.waitingOn.remove(p);
      p.waitingOn = null;
      p.signalledEarly = true;
      return true;
    }
    if (p.state !== 'blocked') return false;
    if (p.waitingOn !== null) {
      p.waitingOn.remove(p);
      p.waitingOn = null;
    }
    const now = this.clock.now();
    p.timer!.cancel();
    p.resumeValue = signalled;
    p.state = 'waking';
    p.wokenAt = now;
    p.stats.wakeups++;
    this.wakeups++;
    if (this.current !== null) this.acct.charge(this.cost.perWakeupNs);
    else p.pendingChargeNs += this.cost.perWakeupNs;
    p.timerPurpose = T_LATENCY;
    p.timer!.arm(now + drawWakeupLatency(this.cost.wakeupLatency, this.wakePrng));
    return true;
  }

  /** @internal Process timer: sleep expiry, block timeout, or wake-up latency elapsed. */
  procTimer(p: Process): void {
    const purpose = p.timerPurpose;
    p.timerPurpose = T_NONE;
    if (purpose === T_LATENCY) {
      if (p.state === 'waking') this.enqueue(p);
    } else if (purpose === T_SLEEP || purpose === T_TIMEOUT) {
      this.wake(p, purpose === T_SLEEP);
    }
  }

  private enqueue(p: Process): void {
    p.state = 'runnable';
    p.enqueuedAt = this.clock.now();
    this.runQueue.push(p);
    const pinned = this.pinnedTo(p);
    if (pinned !== null) {
      // A ksoftirqd runs only on its own CPU.
      this.ksoftirqdQueued++;
      if (this.isFree(pinned)) pinned.timer.arm(p.enqueuedAt);
      return;
    }
    // Kick a free CPU: the process's last CPU if free, else the lowest free id.
    const last = p.lastCpu >= 0 ? this.cpus[p.lastCpu]! : null;
    if (last !== null && this.isFree(last)) {
      last.timer.arm(p.enqueuedAt);
      return;
    }
    for (const c of this.cpus) {
      if (this.isFree(c)) {
        c.timer.arm(p.enqueuedAt);
        return;
      }
    }
  }

  /** Start free CPUs for queued processes (one CPU per queued process at most). */
  private kickFree(): void {
    let want = this.runQueue.length - this.ksoftirqdQueued; // ksoftirqds are kicked by enqueue
    const now = this.clock.now();
    for (const c of this.cpus) {
      if (want === 0) return;
      if (this.isFree(c)) {
        c.timer.arm(now);
        want--;
      }
    }
  }

  private isFree(c: Cpu): boolean {
    return c.item === ITEM_IDLE && c.proc === null && !c.timer.armed && c !== this.current && c !== this.dispatching;
  }

  // ---- dispatch --------------------------------------------------------------

  /** @internal A CPU's timer fired: complete its item (if any) and start the next. */
  cpuEvent(cpu: Cpu): void {
    this.dispatching = cpu;
    try {
      if (cpu.item !== ITEM_IDLE) this.complete(cpu);
      this.dispatch(cpu);
    } finally {
      this.dispatching = null;
      if (this.runQueue.length > 0) this.kickFree();
      // After an exception somewhere above, make sure pending work is not stranded.
      if (cpu.item === ITEM_IDLE && !cpu.timer.armed && (cpu.softirq.length > 0 || cpu.proc !== null || cpu.effects.length > 0)) {
        cpu.timer.arm(this.clock.now());
      }
    }
  }

  private complete(cpu: Cpu): void {
    const dur = cpu.itemEnd - cpu.itemStart;
    const kind = cpu.item;
    cpu.item = ITEM_IDLE;
    if (kind === ITEM_SOFTIRQ) {
      cpu.softirqNs += dur;
      if (cpu.itemByKsoftirqd) {
        cpu.itemByKsoftirqd = false;
        cpu.ksoftirqdNs += dur;
        cpu.proc!.stats.cpuNs += dur;
      } else {
        cpu.softirqRunEnd = cpu.itemEnd; // the softirq run continues if the next item starts now
      }
    } else {
      cpu.processNs += dur;
      cpu.proc!.stats.cpuNs += dur;
    }
    const p = kind === ITEM_PROCESS ? cpu.proc : null;
    // Effects happen at start + cost, in the order they were requested.
    while (cpu.effects.length > 0) cpu.effects.runOne();
    if (p !== null) this.finishStep(cpu, p);
  }

  /** Apply what the process asked for at the end of its step. */
  private finishStep(cpu: Cpu, p: Process): void {
    if (p.exiting) {
      p.exiting = false;
      p.state = 'exited';
      cpu.proc = null;
      if (p.waitingOn !== null) {
        p.waitingOn.remove(p);
        p.waitingOn = null;
      }
      p.exited.set();
      return;
    }
    const op = p.pendingOp;
    if (op === null) return; // keeps the CPU (compute pending, or continue)
    p.pendingOp = null;
    const now = this.clock.now();
    switch (op.kind) {
      case 'sleep':
        cpu.proc = null;
        p.state = 'blocked';
        p.timerPurpose = T_SLEEP;
        p.timer!.arm(roundUpToTick(now + Math.round(op.ns), this.cost.timerGranularityNs));
        return;
      case 'block':
        if (p.signalledEarly) {
          p.signalledEarly = false;
          p.resumeValue = true;
          return; // never slept: keeps running
        }
        cpu.proc = null;
        p.state = 'blocked';
        if (op.timeoutNs !== undefined) {
          p.timerPurpose = T_TIMEOUT;
          p.timer!.arm(roundUpToTick(now + Math.round(op.timeoutNs), this.cost.timerGranularityNs));
        }
        return;
      case 'yield':
        cpu.proc = null;
        this.enqueue(p);
        return;
      case 'compute':
        return; // not stored as pendingOp
    }
  }

  private dispatch(cpu: Cpu): void {
    if (cpu.item !== ITEM_IDLE) return;
    while (cpu.effects.length > 0) cpu.effects.runOne(); // leftovers after an exception
    if (cpu.softirq.length > 0 && !cpu.deferSoftirq) {
      if (!this.softirqOverBudget(cpu)) {
        this.runSoftirq(cpu);
        return;
      }
      this.wakeKsoftirqd(cpu);
    }
    let p = cpu.proc;
    if (p !== null && p.sliceUsedNs >= this.cost.timesliceNs) {
      if (this.hasRunnableFor(cpu)) {
        // Round-robin: timeslice used up and someone is waiting.
        p.stats.preemptions++;
        this.preemptions++;
        cpu.proc = null;
        this.enqueue(p);
        p = null;
      } else {
        p.sliceUsedNs = 0;
      }
    }
    if (p === null) {
      p = this.takeRunnable(cpu);
      if (p === null) return; // idle
      const now = this.clock.now();
      const delay = now - p.enqueuedAt;
      p.stats.runQueueNs += delay;
      if (p !== cpu.ksoftirqd) this.runQueueDelay.add(delay); // the host distributions cover real processes
      if (p.wokenAt === p.wokenAt) {
        this.wakeupDelay.add(now - p.wokenAt);
        p.wokenAt = NaN;
      }
      p.state = 'running';
      p.sliceUsedNs = 0;
      cpu.proc = p;
    }
    if (p === cpu.ksoftirqd) {
      if (cpu.softirq.length > 0) {
        this.runKsoftirqd(cpu, p);
        return;
      }
      // Backlog drained: ksoftirqd sleeps, softirq work takes priority again.
      cpu.proc = null;
      p.state = 'blocked';
      cpu.deferSoftirq = false;
      cpu.softirqRunStart = NaN;
      cpu.softirqRunEnd = NaN;
      this.dispatch(cpu);
      return;
    }
    this.runStep(cpu, p);
  }

  // ---- softirq budget and ksoftirqd (see the header) -------------------------

  /**
   * Called before a softirq item would start at priority: extends or starts the
   * CPU's back-to-back softirq run and says whether the budget is spent while a
   * process could use this CPU (kernel/softirq.c __do_softirq: `time_before(jiffies,
   * end)` fails once MAX_SOFTIRQ_TIME has elapsed).
   */
  private softirqOverBudget(cpu: Cpu): boolean {
    const now = this.clock.now();
    if (cpu.softirqRunEnd !== now) cpu.softirqRunStart = now; // a gap (or a process step) ended the run
    if (now - cpu.softirqRunStart < this.cost.softirqBudgetNs) return false;
    return cpu.proc !== null || this.runQueue.length - this.ksoftirqdQueued > 0;
  }

  /** wakeup_softirqd(): make this CPU's ksoftirqd runnable (created on first use, never in `processes`). */
  private wakeKsoftirqd(cpu: Cpu): void {
    let ks = cpu.ksoftirqd;
    if (ks === null) {
      ks = new Process(0, `ksoftirqd/${cpu.id}`, ksoftirqdBody, this);
      ks.lastCpu = cpu.id;
      cpu.ksoftirqd = ks;
    }
    cpu.deferSoftirq = true;
    cpu.ksoftirqdWakeups++;
    ks.stats.wakeups++;
    this.enqueue(ks);
  }

  /** The CPU whose ksoftirqd `p` is, or null for an ordinary process. */
  private pinnedTo(p: Process): Cpu | null {
    const c = this.cpus[p.lastCpu];
    return c !== undefined && c.ksoftirqd === p ? c : null;
  }

  /** Does any queued process (other CPUs' ksoftirqds excluded) want this CPU? */
  private hasRunnableFor(cpu: Cpu): boolean {
    if (this.runQueue.length - this.ksoftirqdQueued > 0) return true;
    return cpu.ksoftirqd !== null && cpu.ksoftirqd.state === 'runnable';
  }

  /** Remove and return the first queued process that may run on `cpu` (FIFO; same as shift() without ksoftirqds). */
  private takeRunnable(cpu: Cpu): Process | null {
    const q = this.runQueue;
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      const pinned = this.ksoftirqdQueued > 0 ? this.pinnedTo(p) : null;
      if (pinned !== null && pinned !== cpu) continue;
      if (i === 0) q.shift();
      else q.splice(i, 1);
      if (pinned !== null) this.ksoftirqdQueued--;
      return p;
    }
    return null;
  }

  /** One ksoftirqd "step": the next softirq item, charged to its timeslice, counted as softirq time. */
  private runKsoftirqd(cpu: Cpu, ks: Process): void {
    const now = this.clock.now();
    let extra = 0;
    if (cpu.lastProc !== ks) {
      extra = this.cost.contextSwitchNs;
      ks.stats.contextSwitches++;
      this.contextSwitches++;
    }
    cpu.lastProc = ks;
    ks.stats.steps++;
    this.current = cpu;
    this.acct.begin();
    try {
      cpu.softirq.runOne();
    } finally {
      const cost = Math.round(this.acct.end() + extra);
      this.current = null;
      cpu.softirqItems++;
      ks.sliceUsedNs += cost;
      this.startItem(cpu, ITEM_SOFTIRQ, now, cost, false);
      cpu.itemByKsoftirqd = true;
    }
  }

  private runSoftirq(cpu: Cpu): void {
    const now = this.clock.now();
    this.current = cpu;
    this.acct.begin();
    try {
      cpu.softirq.runOne();
    } finally {
      const cost = Math.round(this.acct.end());
      this.current = null;
      cpu.softirqItems++;
      this.startItem(cpu, ITEM_SOFTIRQ, now, cost, false);
    }
  }

  private runStep(cpu: Cpu, p: Process): void {
    const now = this.clock.now();
    cpu.softirqRunEnd = NaN; // a process step ends a back-to-back softirq run
    let extra = p.pendingChargeNs;
    p.pendingChargeNs = 0;
    if (cpu.lastProc !== p) {
      extra += this.cost.contextSwitchNs;
      p.stats.contextSwitches++;
      this.contextSwitches++;
    }
    cpu.lastProc = p;
    p.lastCpu = cpu.id;
    p.stats.steps++;
    cpu.processSteps++;
    if (p.pendingComputeNs > 0) {
      // A preemptible compute chunk, at most the rest of the timeslice.
      const chunk = Math.min(p.pendingComputeNs, Math.max(1, this.cost.timesliceNs - p.sliceUsedNs));
      p.pendingComputeNs -= chunk;
      const cost = Math.round(chunk + extra);
      p.sliceUsedNs += cost;
      this.startItem(cpu, ITEM_PROCESS, now, cost, true);
      return;
    }
    this.current = cpu;
    this.stepping = p;
    this.acct.begin();
    try {
      if (p.gen === null) p.gen = p.body(p);
      const res = p.gen.next(p.resumeValue);
      p.resumeValue = true;
      if (res.done === true) {
        p.exiting = true;
      } else {
        this.request(p, res.value);
      }
    } catch (e) {
      p.error = e;
      p.exiting = true;
      throw e;
    } finally {
      const cost = Math.round(this.acct.end() + extra);
      this.current = null;
      this.stepping = null;
      p.sliceUsedNs += cost;
      this.startItem(cpu, ITEM_PROCESS, now, cost, false);
    }
  }

  /** Record the request a process yielded (applied when its step completes). */
  private request(p: Process, op: unknown): void {
    const o = op as { kind?: unknown; ns?: unknown; until?: unknown; timeoutNs?: unknown } | null;
    const kind = typeof o === 'object' && o !== null ? o.kind : undefined;
    switch (kind) {
      case 'compute':
        if (badNs(o!.ns)) throw new RangeError(`process ${p.name}: compute ns must be a finite number >= 0; got ${String(o!.ns)}`);
        p.pendingComputeNs += Math.round(o!.ns as number);
        return;
      case 'sleep':
        if (badNs(o!.ns)) throw new RangeError(`process ${p.name}: sleep ns must be a finite number >= 0; got ${String(o!.ns)}`);
        p.pendingOp = o as { kind: 'sleep'; ns: number };
        return;
      case 'block': {
        const w = o!.until as { waiters?: unknown } | undefined;
        if (typeof w !== 'object' || w === null || !Array.isArray(w.waiters)) throw new TypeError(`process ${p.name}: block needs until: a Waitable`);
        if (o!.timeoutNs !== undefined && badNs(o!.timeoutNs)) {
          throw new RangeError(`process ${p.name}: block timeoutNs must be a finite number >= 0; got ${String(o!.timeoutNs)}`);
        }
        const op2 = o as BlockOp;
        p.pendingOp = op2;
        if (op2.until.ready) {
          p.signalledEarly = true; // level-triggered and already set: does not block
          return;
        }
        p.signalledEarly = false;
        p.waitingOn = op2.until;
        op2.until.waiters.push(p); // registered now: a signal during this step is not lost
        return;
      }
      case 'yield':
        p.pendingOp = o as { kind: 'yield' };
        return;
      default:
        throw new TypeError(`process ${p.name} yielded ${JSON.stringify(op)}; expected { kind: 'compute' | 'sleep' | 'block' | 'yield' }`);
    }
  }

  private startItem(cpu: Cpu, kind: number, now: Nanos, cost: number, preemptible: boolean): void {
    cpu.item = kind;
    cpu.preemptible = preemptible;
    cpu.itemStart = now;
    cpu.itemEnd = now + cost;
    cpu.timer.arm(cpu.itemEnd);
  }

  // ---- measurement ---------------------------------------------------------

  /** Busy time per CPU and context up to now (in-progress items counted up to now). */
  cpuTimes(): CpuTimes {
    const at = this.clock.now();
    const softirqNs: number[] = [];
    const processNs: number[] = [];
    for (const c of this.cpus) {
      const b = c.busyAt(at);
      softirqNs.push(b.softirqNs);
      processNs.push(b.processNs);
    }
    return { at, softirqNs, processNs };
  }

  /** Utilisation between two cpuTimes() snapshots (default end: now). */
  utilisation(from: CpuTimes, to: CpuTimes = this.cpuTimes()): Utilisation {
    const windowNs = to.at - from.at;
    if (!(windowNs > 0)) throw new RangeError(`utilisation window must be > 0 ns; got ${windowNs}`);
    const perCpu: CpuUtilisation[] = [];
    let s = 0;
    let pr = 0;
    for (let i = 0; i < this.cpus.length; i++) {
      const si = to.softirqNs[i]! - from.softirqNs[i]!;
      const pi = to.processNs[i]! - from.processNs[i]!;
      s += si;
      pr += pi;
      perCpu.push({ busyNs: si + pi, softirqNs: si, processNs: pi, idleNs: windowNs - si - pi, utilisation: (si + pi) / windowNs });
    }
    const total = windowNs * this.cpus.length;
    const idleNs = total - s - pr;
    return {
      windowNs,
      cpus: this.cpus.length,
      softirqNs: s,
      processNs: pr,
      idleNs,
      softirq: s / total,
      process: pr / total,
      idle: idleNs / total,
      perCpu,
    };
  }
}
