/**
 * `rr`: request/response, netperf TCP_RR-like, on any of the three transports.
 * Headline: `transactionsPerSecond` and `latencyUs: {p50, p90, p99, p999}`;
 * in the simulator also the ACK-delay distribution of the server host (the
 * receiver of the requests) and its run-queue delay. Drivers: sim/rr-sim.ts,
 * real/rr-real.ts.
 */
import { runRrReal } from '../real/rr-real.js';
import { resolveParams, type ParamDef } from '../params.js';
import { runRrSim } from '../sim/rr-sim.js';
import type { CommonParams } from '../types.js';
import type { Distribution } from '../../host/stats.js';
import type { WorkloadDef, WorkloadResult } from './def.js';
import { ackDelaySummary, percentilesUs, resultRow, type PercentilesWithCount } from './summary.js';

export const RR_PARAMS: ParamDef[] = [
  { name: 'conns', type: 'int', default: 1, min: 1, max: 1000, description: 'connections, each with one transaction outstanding' },
  { name: 'requestBytes', type: 'size', default: 100, min: 1, max: 1 << 20, description: 'request size' },
  { name: 'responseBytes', type: 'size', default: 100, min: 1, max: 1 << 20, description: 'response size' },
  { name: 'transactions', type: 'int', default: 0, min: 0, max: 100_000_000, description: 'transactions per connection (0 = run for durationNs)' },
  { name: 'warmupNs', type: 'duration', default: 1_000_000, description: 'sim: time before the measurement window (time-bound runs)' },
  { name: 'load', type: 'int', default: 0, min: 0, max: 1000, description: 'sim: CPU-bound processes competing on the server host' },
  { name: 'serviceNs', type: 'duration', default: 0, description: 'sim: server CPU time per request' },
];

export interface RrResult extends WorkloadResult {
  workload: 'rr';
  transactionsPerSecond: number;
  transactions: number;
  latencyUs: PercentilesWithCount;
  errors: number;
  elapsedSeconds: number;
  ackDelayUs?: PercentilesWithCount | null;
  /** sim: share of ACK delays >= TIMER_MODE_NS (30 ms): ACKs a timer released, not processing. */
  ackDelayTimerShare?: number | null;
  ackDelayHistogramUs?: { lowUs: number; highUs: number; count: number }[];
  runQueueDelayUs?: PercentilesWithCount;
  cpu?: Record<string, unknown>;
  counters?: Record<string, unknown>;
}

export async function runRr(input: Partial<CommonParams> & Record<string, unknown> = {}, hooks: { onProgress?(m: string): void } = {}): Promise<RrResult> {
  const all = resolveParams(input, RR_PARAMS, 'rr');
  const p = all as unknown as CommonParams & { conns: number; requestBytes: number; responseBytes: number; transactions: number; warmupNs: number; load: number; serviceNs: number };
  const base = { workload: 'rr' as const, transport: p.transport, params: all };
  if (p.transport === 'sim') {
    hooks.onProgress?.(`rr/sim: ${p.conns} conn(s), era ${p.era}, rx ${p.rxPath}, csum ${p.csum}, load ${p.load}`);
    const r = runRrSim(p, { conns: p.conns, requestBytes: p.requestBytes, responseBytes: p.responseBytes, transactions: p.transactions, warmupNs: p.warmupNs, load: p.load, serviceNs: p.serviceNs });
    return {
      ...base,
      ...rrFigures(r, r.windowNs),
      ...ackDelaySummary(r.ackDelayNs),
      runQueueDelayUs: percentilesUs(r.runQueueDelayNs),
      cpu: r.cpu,
      counters: r.counters,
      simEvents: r.simEvents,
      virtualSeconds: r.virtualNs / 1e9,
    };
  }
  const r = await runRrReal(p.transport, { conns: p.conns, requestBytes: p.requestBytes, responseBytes: p.responseBytes, transactions: p.transactions, durationNs: p.durationNs }, hooks.onProgress);
  return {
    ...base,
    ...rrFigures(r, r.elapsedNs),
    counters: r.counters,
  };
}

/** The figures both transports report; `measuredNs`: the measurement window (sim) or wall time (real). */
function rrFigures(r: { transactions: number; latencyNs: Distribution; errors: number }, measuredNs: number): Pick<RrResult, 'transactionsPerSecond' | 'transactions' | 'latencyUs' | 'errors' | 'elapsedSeconds'> {
  const secs = measuredNs / 1e9;
  return {
    transactionsPerSecond: Math.round(r.transactions / secs),
    transactions: r.transactions,
    latencyUs: percentilesUs(r.latencyNs),
    errors: r.errors,
    elapsedSeconds: secs,
  };
}

export const rr: WorkloadDef = {
  name: 'rr',
  description: 'request/response (netperf TCP_RR-like): transactions/s, latency percentiles, ACK-delay distribution (sim)',
  params: RR_PARAMS,
  run: runRr,
  toRow(result) {
    const r = result as RrResult;
    return resultRow(r, {
      transactionsPerSecond: r.transactionsPerSecond,
      transactions: r.transactions,
      latencyUs: r.latencyUs,
      ackDelayUs: r.ackDelayUs ?? null,
      errors: r.errors,
    });
  },
};
