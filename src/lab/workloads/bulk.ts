/**
 * `bulk`: iperf-like bulk transfer, one or more flows, on any of the three
 * transports. Headline: `goodputBitsPerSecond` (payload bits received per
 * second of the measurement window). Drivers: sim/bulk-sim.ts, real/bulk-real.ts.
 */
import { runBulkReal } from '../real/bulk-real.js';
import { resolveParams, type ParamDef } from '../params.js';
import { runBulkSim } from '../sim/bulk-sim.js';
import type { CommonParams } from '../types.js';
import type { WorkloadDef, WorkloadResult } from './def.js';
import { resultRow } from './summary.js';

export const BULK_PARAMS: ParamDef[] = [
  { name: 'flows', type: 'int', default: 1, min: 1, max: 256, description: 'parallel connections' },
  { name: 'bytes', type: 'size', default: 0, description: 'bytes per flow (0 = run for durationNs)' },
  { name: 'chunkBytes', type: 'size', default: 65536, min: 1, max: 16 * 1024 * 1024, description: 'bytes per write' },
  { name: 'mtu', type: 'int', default: 1500, min: 576, max: 65535, description: 'sim: link MTU (large values stand in for TSO/GRO super-segments)' },
  { name: 'warmupNs', type: 'duration', default: 5_000_000, description: 'sim: time before the measurement window (time-bound runs)' },
  { name: 'bufBytes', type: 'size', default: 0, max: 16 * 1024 * 1024, description: 'sim: socket send/receive buffer (0 = 4 bandwidth-delay products, at least 256 KiB)' },
  { name: 'verify', type: 'string', default: 'off', choices: ['on', 'off'], description: 'check every received byte against the sent pattern' },
];

export interface BulkResult extends WorkloadResult {
  workload: 'bulk';
  goodputBitsPerSecond: number;
  bytesSent: number;
  bytesReceived: number;
  /** Received bytes that did not match the pattern (verify = on). */
  corruptBytes: number;
  elapsedSeconds: number;
  retransmits: number;
  perFlow: { sent: number; received: number; goodputBitsPerSecond: number }[];
  /** sim: CPU utilisation split of each host over the window (fractions of all CPUs). */
  cpu?: Record<string, { softirq: number; process: number; idle: number }>;
  /** sim: work the hosts did in the window (bytes copied / checksummed, packets, syscalls). */
  work?: Record<string, Record<string, number>>;
  counters?: Record<string, unknown>;
}

export async function runBulk(input: Partial<CommonParams> & Record<string, unknown> = {}, hooks: { onProgress?(m: string): void } = {}): Promise<BulkResult> {
  const all = resolveParams(input, BULK_PARAMS, 'bulk');
  const p = all as unknown as CommonParams & { flows: number; bytes: number; chunkBytes: number; mtu: number; warmupNs: number; bufBytes: number; verify: 'on' | 'off' };
  const base = { workload: 'bulk' as const, transport: p.transport, params: all };
  const verify = p.verify === 'on';
  if (p.transport === 'sim') {
    hooks.onProgress?.(`bulk/sim: ${p.flows} flow(s), ${p.linkRateBps} bit/s, era ${p.era}, copy ${p.copy}, csum ${p.csum}`);
    const r = runBulkSim(p, { flows: p.flows, bytes: p.bytes, chunkBytes: p.chunkBytes, mtu: p.mtu, warmupNs: p.warmupNs, bufBytes: p.bufBytes, verify });
    const secs = r.windowNs / 1e9;
    return {
      ...base,
      goodputBitsPerSecond: Math.round((r.windowBytes * 8) / secs),
      bytesSent: r.perFlow.reduce((a, f) => a + f.sent, 0),
      bytesReceived: r.perFlow.reduce((a, f) => a + f.received, 0),
      corruptBytes: r.perFlow.reduce((a, f) => a + f.corrupt, 0),
      elapsedSeconds: secs,
      retransmits: r.retransmits,
      perFlow: r.perFlow.map((f) => ({ sent: f.sent, received: f.received, goodputBitsPerSecond: p.bytes > 0 ? Math.round((f.received * 8) / secs) : NaN })),
      cpu: { sender: r.cpu.sender, receiver: r.cpu.receiver },
      work: { sender: { ...r.work.sender }, receiver: { ...r.work.receiver } },
      counters: r.counters,
      simEvents: r.simEvents,
      virtualSeconds: r.virtualNs / 1e9,
    };
  }
  const r = await runBulkReal(p.transport, { flows: p.flows, chunkBytes: p.chunkBytes, bytes: p.bytes, durationNs: p.durationNs, verify }, hooks.onProgress);
  const secs = r.elapsedNs / 1e9;
  const received = r.perFlow.reduce((a, f) => a + f.received, 0);
  return {
    ...base,
    goodputBitsPerSecond: Math.round((received * 8) / secs),
    bytesSent: r.perFlow.reduce((a, f) => a + f.sent, 0),
    bytesReceived: received,
    corruptBytes: r.perFlow.reduce((a, f) => a + f.corrupt, 0),
    elapsedSeconds: secs,
    retransmits: r.counters['retransSegs'] ?? 0,
    perFlow: r.perFlow.map((f) => ({ sent: f.sent, received: f.received, goodputBitsPerSecond: Math.round((f.received * 8) / secs) })),
    counters: r.counters,
  };
}

export const bulk: WorkloadDef = {
  name: 'bulk',
  description: 'iperf-like bulk transfer: goodput, retransmits, CPU per host split softirq/process/idle (sim), bytes copied/checksummed',
  params: BULK_PARAMS,
  run: runBulk,
  toRow(result) {
    const r = result as BulkResult;
    return resultRow(r, {
      goodputBitsPerSecond: r.goodputBitsPerSecond,
      bytesReceived: r.bytesReceived,
      retransmits: r.retransmits,
      elapsedSeconds: r.elapsedSeconds,
      cpu: r.cpu ?? null,
      work: r.work ?? null,
    });
  },
};
