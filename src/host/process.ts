/**
 * Simulated processes: generator functions that yield requests to the host
 * scheduler (DESIGN "Simulation model": Promise continuations would run outside
 * the event order, so process steps are explicit).
 *
 * Owns: the process protocol (ProcessOp), Process state, and Waitable — the
 * object a blocked process waits on and other code signals.
 * Must not: decide when a process runs (scheduler.ts does) or read the clock.
 *
 * Protocol. `host.spawn(name, function* (proc) { ... })`. Each resumption of the
 * generator is one *step*: the code between two yields runs at the step's start
 * time, reports its work through `host.acct` (socket calls count syscalls and
 * copies), and its externally visible effects (frames sent, wake-ups requested
 * via host.deferEffect) happen when the step's CPU time has elapsed. It then
 * yields one request:
 *  - `{ kind: 'compute', ns }`  burn ns of CPU (split into timeslices; the
 *    process keeps running unless others wait and its slice is used up).
 *  - `{ kind: 'sleep', ns }`    block for ns (rounded up to the timer tick when
 *    the cost model has one), then wake with the usual wake-up latency.
 *  - `{ kind: 'block', until, timeoutNs? }`  block until `until.signal…()` wakes
 *    it; the generator receives true when signalled, false on timeout.
 *  - `{ kind: 'yield' }`        go to the tail of the run queue.
 * Returning ends the process (`proc.exited` is signalled). The value sent back
 * into the generator is always a boolean (true except for a timed-out block).
 *
 * Socket calls (later): a non-blocking attempt runs inside the step; if it would
 * block, the wrapper yields `{ kind: 'block', until: socket.readable }` and
 * retries after waking — e.g.
 *   `while ((n = sock.recv(buf)) === EAGAIN) yield block(sock.readable);`
 * The socket core signals `readable` from its readiness observer (softirq side).
 * A waiter registers when it yields, not when its step ends, so a signal that
 * arrives while the step's CPU time is still elapsing is not lost (the process
 * then does not block at all; cf. Linux prepare_to_wait).
 */
import type { Timer } from '../time/clock.js';

export interface ComputeOp {
  readonly kind: 'compute';
  readonly ns: number;
}
export interface SleepOp {
  readonly kind: 'sleep';
  readonly ns: number;
}
export interface BlockOp {
  readonly kind: 'block';
  readonly until: Waitable;
  readonly timeoutNs?: number;
}
export interface YieldOp {
  readonly kind: 'yield';
}
export type ProcessOp = ComputeOp | SleepOp | BlockOp | YieldOp;

/** A process body: a generator yielding ProcessOps and receiving booleans. */
export type ProcessBody = (proc: Process) => Generator<ProcessOp, void, boolean>;

export const compute = (ns: number): ComputeOp => ({ kind: 'compute', ns });
export const sleep = (ns: number): SleepOp => ({ kind: 'sleep', ns });
export const block = (until: Waitable, timeoutNs?: number): BlockOp =>
  timeoutNs === undefined ? { kind: 'block', until } : { kind: 'block', until, timeoutNs };
export const YIELD: YieldOp = Object.freeze({ kind: 'yield' });

/**
 * runnable: in the run queue. running: owns a CPU (possibly between steps, e.g.
 * while a softirq runs on that CPU). blocked: waiting (sleep, Waitable).
 * waking: woken, waiting out its wake-up latency. exited: returned or threw.
 */
export type ProcessState = 'runnable' | 'running' | 'blocked' | 'waking' | 'exited';

/** What the scheduler needs from whoever owns a process (implemented by Host). */
export interface ProcessWaker {
  wake(proc: Process, signalled: boolean): boolean;
}

/**
 * Something processes can wait on: a socket's readable/writable condition, a
 * process exit, an application event.
 *  - Edge-triggered use: signal() / signalOne() wake the processes waiting now; a
 *    process that is not waiting misses it, so check the condition before
 *    yielding a block (as a socket recv does).
 *  - Level-triggered use: set() marks it ready (and wakes all waiters); a block on
 *    a ready Waitable returns true at once, until reset(). Process exit uses this.
 */
export class Waitable {
  /** @internal processes waiting, in arrival order. */
  readonly waiters: Process[] = [];
  /** Times signal()/signalOne() woke at least one waiter. */
  signals = 0;
  /** Level state: while true, blocking on this Waitable does not block. */
  ready = false;

  constructor(readonly name = '') {}

  get waiting(): number {
    return this.waiters.length;
  }

  /** Wake every waiting process. Returns how many were woken. */
  signal(): number {
    let n = 0;
    while (this.waiters.length > 0) {
      const p = this.waiters.shift()!;
      if (p.waker.wake(p, true)) n++;
    }
    if (n > 0) this.signals++;
    return n;
  }

  /** Become ready (level-triggered) and wake every waiter. */
  set(): number {
    this.ready = true;
    return this.signal();
  }

  /** Clear the ready state. */
  reset(): void {
    this.ready = false;
  }

  /** Wake the longest-waiting process (exclusive wake-up). */
  signalOne(): boolean {
    while (this.waiters.length > 0) {
      const p = this.waiters.shift()!;
      if (p.waker.wake(p, true)) {
        this.signals++;
        return true;
      }
    }
    return false;
  }

  /** @internal */
  remove(p: Process): void {
    const i = this.waiters.indexOf(p);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}

/** Per-process counters (all ns are virtual time). */
export interface ProcessStats {
  steps: number;
  /** CPU time charged to this process. */
  cpuNs: number;
  contextSwitches: number;
  wakeups: number;
  preemptions: number;
  /** Total time spent runnable in the run queue. */
  runQueueNs: number;
}

export class Process {
  state: ProcessState = 'runnable';
  /** Set when the body threw. */
  error: unknown = undefined;
  /** Signalled when the process exits. */
  readonly exited: Waitable;
  readonly stats: ProcessStats = { steps: 0, cpuNs: 0, contextSwitches: 0, wakeups: 0, preemptions: 0, runQueueNs: 0 };

  /** @internal the generator; created on first dispatch. */
  gen: Generator<ProcessOp, void, boolean> | null = null;
  /** @internal */
  resumeValue = true;
  /** @internal CPU time still to burn from a compute op. */
  pendingComputeNs = 0;
  /** @internal slice used since last dispatched from the run queue. */
  sliceUsedNs = 0;
  /** @internal extra cost (wake-up) to charge to the next step. */
  pendingChargeNs = 0;
  /** @internal the op to apply when the current step completes (null = keep running). */
  pendingOp: ProcessOp | null = null;
  /** @internal the body returned or threw during the current step. */
  exiting = false;
  /** @internal a Waitable it registered on during its current step. */
  waitingOn: Waitable | null = null;
  /** @internal signalled while its blocking step was still running. */
  signalledEarly = false;
  /** @internal time it entered the run queue. */
  enqueuedAt = 0;
  /** @internal time wake() was called (NaN if not woken). */
  wokenAt = NaN;
  /** @internal index of the CPU it last ran on (-1 none). */
  lastCpu = -1;
  /** @internal 0 none, 1 sleep/timeout, 2 wake latency */
  timerPurpose = 0;
  /** @internal the process's one timer (sleep, block timeout, wake-up latency); set by the host. */
  timer: Timer | null = null;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly body: ProcessBody,
    /** @internal */ readonly waker: ProcessWaker,
  ) {
    this.exited = new Waitable(`${name}:exit`);
  }
}
