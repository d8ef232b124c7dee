/**
 * Cost model presets for hardware eras ("Simulation model" in DESIGN.md).
 *
 * Owns: the era constants, with the source or rationale of each, and
 * `costModel(era, overrides)` which merges and validates overrides.
 * Must not: hide an estimate behind a precise-looking number without saying so.
 * docs/host-model.md repeats these values in a table with the same notes.
 *
 * Honesty note: only the memory-bandwidth figures (copy per byte) come from
 * measurements we can cite directly (background/receive-path.md §5). Per-packet,
 * syscall, context-switch and wake-up figures are order-of-magnitude estimates
 * from widely reported microbenchmarks (lmbench lat_syscall / lat_ctx, the
 * "1 Hz per bit/s" rule of thumb for TCP) — good enough to place the regime
 * boundaries (link-bound vs CPU-bound) in the right decade, not to predict a
 * specific machine. Override them when you calibrate against one.
 */
import { validateCostModel, validateWakeupLatency, COST_MODEL_KEYS, type CostModel } from './cost-model.js';

export type Era = '2002' | '2025';

export const ERAS: readonly Era[] = ['2002', '2025'];

/**
 * 2002: a ~1 GHz Pentium III with PC133 SDRAM, Linux 2.4, 100 Mbit–1 Gbit NIC
 * without checksum offload (Kleen's and Johnson's setting).
 */
export const ERA_2002: CostModel = Object.freeze({
  // Estimate. "1 GHz of CPU per 1 Gbit/s of TCP" (Foong et al., "TCP performance
  // re-visited", ISPASS 2003) gives ~12k cycles per 1500 B frame all-in; minus
  // ~3k cycles of copy+checksum leaves several µs of interrupt, driver, IP and TCP
  // work per frame on a 1 GHz CPU. We take 5 µs.
  perPacketNs: 5_000,
  // Measured era figure: memcpy ≈ 1 GB/s out of DRAM (background §5) → 1 ns/B.
  perByteCopyNs: 1.0,
  // Estimate: checksumming reads the data once; out of DRAM it is bound by the
  // same ~1 GB/s read bandwidth as the copy (csum_partial is not ALU-bound).
  perByteCsumNs: 1.0,
  // Fused copy+checksum (csum_partial_copy_generic) is about one pass over
  // memory (background §5); +10% for the add-with-carry work. Estimate.
  perByteCopyCsumNs: 1.1,
  // Estimate: int 0x80 entry/exit is a few hundred cycles on a PIII (lmbench
  // lat_syscall ~0.3–0.7 µs); a socket call adds lock_sock/release_sock. ~1 µs.
  perSyscallNs: 1_000,
  // Estimate: lmbench lat_ctx on PIII-class machines reports ~2–10 µs depending
  // on working set (TLB flush, cache refill). We take 5 µs.
  contextSwitchNs: 5_000,
  // Estimate: try_to_wake_up with runqueue lock and reschedule IPI, ~1 µs.
  perWakeupNs: 1_000,
  // Estimate: a floor of 5 µs (IPI / reschedule) plus an exponential tail with
  // mean 20 µs (the 2.4 scheduler's goodness() scan over the run queue).
  wakeupLatency: Object.freeze({ kind: 'exponential', meanNs: 20_000, minNs: 5_000 }),
  // Linux 2.4 at HZ=100: NICE_TO_TICKS(0) = (20 >> 2) + 1 = 6 ticks = 60 ms.
  timesliceNs: 60_000_000,
  // 0 = exact timers. Set 10_000_000 for HZ=100 jiffies (2.4 on i386).
  timerGranularityNs: 0,
  // Linux kernel/softirq.c MAX_SOFTIRQ_TIME = msecs_to_jiffies(2): __do_softirq
  // stops restarting after 2 ms and wakes ksoftirqd. (2.4 bounded only the restart
  // count and ran ksoftirqd at nice 19; we use the modern rule for both eras so the
  // model never livelocks — docs/host-model.md "Softirq budget and ksoftirqd".)
  softirqBudgetNs: 2_000_000,
}) as CostModel;

/**
 * 2025: one core of a current x86-64 server (~3–4 GHz, DDR5), Linux 6.x,
 * 10–400 Gbit NIC with checksum offload (offload is a NIC capability: with it the
 * stack simply reports no csum work, so it is not a cost here).
 */
export const ERA_2025: CostModel = Object.freeze({
  // Estimate: a full TCP receive per MTU frame (no GRO batching credited) of a
  // few hundred ns — consistent with ~1–3 Mpps per core for small-packet TCP.
  // We take 400 ns.
  perPacketNs: 400,
  // Measured: one core copies ≈ 8–14 GB/s out of DRAM (background §5; Node's
  // Buffer.copy measured 8.5 GB/s) → ~0.1 ns/B.
  perByteCopyNs: 0.1,
  // Estimate: software checksum is memory-bound out of DRAM (~10 GB/s); in cache
  // it is faster (WASM SIMD measured 23 GB/s at 1500 B). We take the DRAM case.
  perByteCsumNs: 0.1,
  // One pass (background §5); +10% as for 2002. Estimate.
  perByteCopyCsumNs: 0.11,
  // Estimate: syscall entry/exit ~100 ns, more with speculative-execution
  // mitigations; plus socket lock. We take 150 ns.
  perSyscallNs: 150,
  // Estimate: lmbench lat_ctx ~1–3 µs on current hardware with mitigations. 1.5 µs.
  contextSwitchNs: 1_500,
  // Estimate: try_to_wake_up + IPI to another core, a few hundred ns.
  perWakeupNs: 300,
  // Estimate: cyclictest-style wake-up latency on a non-idle-optimised server:
  // floor ~2 µs (IPI, idle exit from a shallow C-state) plus exponential tail mean 5 µs.
  wakeupLatency: Object.freeze({ kind: 'exponential', meanNs: 5_000, minNs: 2_000 }),
  // EEVDF base slice 0.75 ms × (1 + ilog2(ncpus)) → 3 ms on 8 CPUs (Linux 6.6+).
  timesliceNs: 3_000_000,
  // hrtimers: exact.
  timerGranularityNs: 0,
  // Linux kernel/softirq.c MAX_SOFTIRQ_TIME = msecs_to_jiffies(2).
  softirqBudgetNs: 2_000_000,
}) as CostModel;

/** The preset for `era`; throws a RangeError for an unknown era. */
export function presetFor(era: Era): CostModel {
  if (era === '2002') return ERA_2002;
  if (era === '2025') return ERA_2025;
  throw Object.assign(new RangeError(`era must be '2002' or '2025'; got ${JSON.stringify(era)}`), { code: 'ERR_OUT_OF_RANGE' });
}

/**
 * A validated cost model: the era's preset with `overrides` applied. Unknown
 * override names and out-of-range values throw a RangeError naming the option.
 */
export function costModel(era: Era = '2025', overrides: Partial<CostModel> = {}): CostModel {
  const base = presetFor(era);
  for (const key of Object.keys(overrides)) {
    if (!(COST_MODEL_KEYS as readonly string[]).includes(key)) {
      throw Object.assign(new RangeError(`cost.${key} is not a cost model option (known: ${COST_MODEL_KEYS.join(', ')})`), { code: 'ERR_OUT_OF_RANGE' });
    }
  }
  const merged: CostModel = { ...base, ...stripUndefined(overrides) };
  if (overrides.wakeupLatency !== undefined) validateWakeupLatency('cost.wakeupLatency', overrides.wakeupLatency);
  return Object.freeze(validateCostModel(merged));
}

function stripUndefined(o: Partial<CostModel>): Partial<CostModel> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as Partial<CostModel>;
}
