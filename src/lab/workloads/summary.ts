/**
 * Small helpers that turn measurements into result fields: latency
 * percentiles in µs, CPU utilisation splits, flat rows for CSV.
 *
 * Owns: units and rounding of reported figures (µs with 0.1 µs resolution,
 * fractions with 4 digits), so every workload reports them alike.
 */
import type { Distribution } from '../../host/stats.js';

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export interface PercentilesWithCount extends Percentiles {
  count: number;
  mean: number;
  max: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
/** ACK delays at or above this (30 ms) were released by a timer (Linux's delayed-ACK timer is 40–200 ms), not by processing. */
export const TIMER_MODE_NS = 30_000_000;

export const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** p50/p90/p99/p99.9 (and count, mean, max) of a distribution of ns, in µs. Zeros when empty. */
export function percentilesUs(d: Distribution): PercentilesWithCount {
  if (d.count === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, count: 0, mean: 0, max: 0 };
  return {
    p50: round1(d.p50() / 1e3),
    p90: round1(d.p90() / 1e3),
    p99: round1(d.p99() / 1e3),
    p999: round1(d.p999() / 1e3),
    count: d.count,
    mean: round1(d.mean() / 1e3),
    max: round1(d.max() / 1e3),
  };
}

/**
 * A histogram of a distribution (ns) on a log scale in µs, for charts: buckets
 * [lowUs, highUs) with `perDecade` buckets per factor of ten; only non-empty
 * buckets are listed. Samples below 0.1 µs go to the lowest bucket.
 */
export function logHistogramUs(d: Distribution, perDecade = 4): { lowUs: number; highUs: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const v of d.toSortedArray()) {
    const b = Math.floor(Math.log10(Math.max(0.1, v / 1e3)) * perDecade + 1e-9);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((x, y) => x[0] - y[0])
    .map(([b, count]) => ({ lowUs: round1(10 ** (b / perDecade)), highUs: round1(10 ** ((b + 1) / perDecade)), count }));
}

/** The ACK-delay fields of a sim result (a null distribution: the run did not measure them). */
export interface AckDelaySummary {
  ackDelayUs: PercentilesWithCount | null;
  /** Share of ACK delays >= TIMER_MODE_NS: ACKs a timer released, not processing (null: no samples). */
  ackDelayTimerShare: number | null;
  ackDelayHistogramUs: { lowUs: number; highUs: number; count: number }[];
}

/** ackDelayUs, ackDelayTimerShare and ackDelayHistogramUs of a distribution of ACK delays (ns). */
export function ackDelaySummary(d: Distribution | null): AckDelaySummary {
  return {
    ackDelayUs: d === null ? null : percentilesUs(d),
    ackDelayTimerShare: d === null || d.count === 0 ? null : round4(1 - d.cdf(TIMER_MODE_NS - 1)),
    ackDelayHistogramUs: d === null ? [] : logHistogramUs(d),
  };
}

/** Flatten nested plain objects into dotted keys (a.b.c), keeping scalars only. */
export function flatten(obj: Record<string, unknown>, prefix = '', out: Record<string, string | number | boolean | null> = {}): Record<string, string | number | boolean | null> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key, out);
  }
  return out;
}

/**
 * The flat CSV/sweep row of a result: its parameters (by name), then the
 * figures given (nested objects flattened to dotted keys), then simEvents.
 */
export function resultRow(r: { workload: string; transport: string; params: Record<string, unknown>; simEvents?: number }, figures: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const row: Record<string, string | number | boolean | null> = { workload: r.workload };
  flatten(r.params, '', row);
  flatten(figures, '', row);
  row['simEvents'] = r.simEvents ?? null;
  return row;
}
