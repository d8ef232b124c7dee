/**
 * The host cost model: how many virtual nanoseconds each unit of reported work
 * costs a CPU (DESIGN principle 6, "Simulation model").
 *
 * Owns: the CostModel shape, its validation (bad values -> RangeError naming the
 * option), the wake-up latency distributions and drawing from them, and the
 * arithmetic that turns work counts into a cost.
 * Must not: know about packets, sockets or the scheduler; read any clock; use
 * randomness other than the seeded Prng it is given.
 *
 * Costs are per unit and may be fractional (0.1 ns per byte); a work item's total
 * is rounded to an integer number of ns once, when the item ends (host-accounting.ts).
 * Era presets with sourced values live in presets.ts.
 */
import type { Prng } from '../util/prng.js';

/** Distribution of the delay between `wake(proc)` and the process entering the run queue. */
export type WakeupLatency =
  | { readonly kind: 'fixed'; readonly ns: number }
  | { readonly kind: 'uniform'; readonly minNs: number; readonly maxNs: number }
  /** minNs + Exp(meanNs): a floor (IPI / idle exit) plus a long tail. */
  | { readonly kind: 'exponential'; readonly meanNs: number; readonly minNs?: number };

export interface CostModel {
  /** Fixed cost per frame handled in either direction (interrupt/driver, IP and L4 header work). */
  readonly perPacketNs: number;
  /** Per payload byte copied (memcpy between packet buffers and application memory). */
  readonly perByteCopyNs: number;
  /** Per byte checksummed in software (not charged when the NIC offloads it). */
  readonly perByteCsumNs: number;
  /** Per byte copied and checksummed in one fused pass. */
  readonly perByteCopyCsumNs: number;
  /** Per application call into the socket core (kernel entry/exit + socket lock). */
  readonly perSyscallNs: number;
  /** Charged to a process step when a CPU switches to a different process than it last ran. */
  readonly contextSwitchNs: number;
  /** Charged for each wake-up (try_to_wake_up): to the waker's work item, or to the woken process. */
  readonly perWakeupNs: number;
  /** Delay from wake(proc) until the process is runnable (drawn from the host's seeded Prng). */
  readonly wakeupLatency: WakeupLatency;
  /** Round-robin timeslice for process work: a process that used it up yields to queued processes. */
  readonly timesliceNs: number;
  /**
   * Timer granularity (jiffy) in ns; 0 = exact (hrtimers). With HZ=100 it is
   * 10,000,000: host timers and sleeps then expire on the next tick boundary.
   */
  readonly timerGranularityNs: number;
  /**
   * Softirq time budget (ns) per CPU: once a CPU has run softirq work back to back
   * for this long while a process waits for it, further softirq work on that CPU
   * is handed to its ksoftirqd pseudo-process, which competes round-robin with
   * processes (Linux kernel/softirq.c MAX_SOFTIRQ_TIME; scheduler.ts).
   */
  readonly softirqBudgetNs: number;
}

/** Every CostModel field, so overrides can be validated by name. */
export const COST_MODEL_KEYS: readonly (keyof CostModel)[] = [
  'perPacketNs',
  'perByteCopyNs',
  'perByteCsumNs',
  'perByteCopyCsumNs',
  'perSyscallNs',
  'contextSwitchNs',
  'perWakeupNs',
  'wakeupLatency',
  'timesliceNs',
  'timerGranularityNs',
  'softirqBudgetNs',
];

function fail(option: string, v: unknown, expected: string): RangeError {
  const shown = typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return Object.assign(new RangeError(`${option} must be ${expected}; got ${shown}`), { code: 'ERR_OUT_OF_RANGE' });
}

function checkNonNegative(option: string, v: unknown): void {
  if (typeof v !== 'number' || !(v >= 0 && v < Infinity)) throw fail(option, v, 'a finite number >= 0');
}

/** Validate a wake-up latency distribution; throws a RangeError naming `option`. */
export function validateWakeupLatency(option: string, d: unknown): WakeupLatency {
  if (typeof d !== 'object' || d === null) throw fail(option, d, "an object with kind 'fixed', 'uniform' or 'exponential'");
  const w = d as Record<string, unknown>;
  switch (w['kind']) {
    case 'fixed':
      checkNonNegative(`${option}.ns`, w['ns']);
      break;
    case 'uniform':
      checkNonNegative(`${option}.minNs`, w['minNs']);
      checkNonNegative(`${option}.maxNs`, w['maxNs']);
      if ((w['maxNs'] as number) < (w['minNs'] as number)) throw fail(`${option}.maxNs`, w['maxNs'], `>= ${option}.minNs (${String(w['minNs'])})`);
      break;
    case 'exponential':
      checkNonNegative(`${option}.meanNs`, w['meanNs']);
      if (w['minNs'] !== undefined) checkNonNegative(`${option}.minNs`, w['minNs']);
      break;
    default:
      throw fail(`${option}.kind`, w['kind'], "'fixed', 'uniform' or 'exponential'");
  }
  return d as WakeupLatency;
}

/**
 * Validate a complete cost model (every field present and in range) and return it.
 * Throws a RangeError whose message names the option and the value.
 */
export function validateCostModel(m: CostModel, prefix = 'cost'): CostModel {
  if (typeof m !== 'object' || m === null) throw fail(prefix, m, 'a cost model object');
  for (const key of COST_MODEL_KEYS) {
    const v = (m as unknown as Record<string, unknown>)[key];
    if (key === 'wakeupLatency') validateWakeupLatency(`${prefix}.${key}`, v);
    else checkNonNegative(`${prefix}.${key}`, v);
  }
  if (m.timesliceNs <= 0) throw fail(`${prefix}.timesliceNs`, m.timesliceNs, 'a finite number > 0');
  if (!Number.isSafeInteger(m.timesliceNs)) throw fail(`${prefix}.timesliceNs`, m.timesliceNs, 'an integer number of ns');
  if (!Number.isSafeInteger(m.softirqBudgetNs)) throw fail(`${prefix}.softirqBudgetNs`, m.softirqBudgetNs, 'an integer number of ns');
  if (!Number.isSafeInteger(m.timerGranularityNs)) throw fail(`${prefix}.timerGranularityNs`, m.timerGranularityNs, 'an integer number of ns');
  for (const key of Object.keys(m)) {
    if (!(COST_MODEL_KEYS as readonly string[]).includes(key)) throw fail(`${prefix}.${key}`, (m as unknown as Record<string, unknown>)[key], 'a known cost model option (unknown option)');
  }
  return m;
}

/** Draw one wake-up latency (integer ns >= 0) from `d` using `prng`. */
export function drawWakeupLatency(d: WakeupLatency, prng: Prng): number {
  switch (d.kind) {
    case 'fixed':
      return Math.round(d.ns);
    case 'uniform':
      return d.maxNs === d.minNs ? Math.round(d.minNs) : Math.round(prng.uniform(d.minNs, d.maxNs));
    case 'exponential':
      return Math.round((d.minNs ?? 0) + prng.exponential(d.meanNs));
  }
}

/** Mean of a wake-up latency distribution (for closed-form checks and reports). */
export function meanWakeupLatency(d: WakeupLatency): number {
  switch (d.kind) {
    case 'fixed':
      return d.ns;
    case 'uniform':
      return (d.minNs + d.maxNs) / 2;
    case 'exponential':
      return (d.minNs ?? 0) + d.meanNs;
  }
}

/** Work counts as reported through Accounting. */
export interface WorkCounts {
  packets: number;
  bytesCopied: number;
  bytesChecksummed: number;
  bytesCopyChecksummed: number;
  syscalls: number;
}

/** Cost in ns (unrounded) of the given work under `m`. */
export function costOf(m: CostModel, w: WorkCounts): number {
  return (
    w.packets * m.perPacketNs +
    w.bytesCopied * m.perByteCopyNs +
    w.bytesChecksummed * m.perByteCsumNs +
    w.bytesCopyChecksummed * m.perByteCopyCsumNs +
    w.syscalls * m.perSyscallNs
  );
}

/** Round a deadline up to the next multiple of `granularity` (0 = unchanged). */
export function roundUpToTick(t: number, granularity: number): number {
  if (granularity <= 0) return t;
  return Math.ceil(t / granularity) * granularity;
}
