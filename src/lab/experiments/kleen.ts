/**
 * The Kleen experiment (LKML, 28 Jun 2002; background/receive-path.md §1–§3):
 * does the prequeue (checksum fused into the copy to user space, in the
 * reader's context) add ACK latency when the reader is not scheduled in time,
 * and does skipping it when the NIC verified the checksum (his patch,
 * `prequeue-hwcsum`) remove that latency?
 *
 * Runs, on the era-2002 host: chatroom and rr, for rx path direct / prequeue /
 * prequeue-hwcsum × NIC checksum offload off (`none`) / on (`unnecessary`) ×
 * without / with competing load (CPU-bound processes on the server host, the
 * receiver of the requests and chat messages).
 *
 * Reported per run: messages/s or transactions/s, latency percentiles, the
 * server host's ACK-delay distribution (time from a data segment's arrival to
 * the ACK covering it leaving the host) with the share of ACKs that waited for
 * a timer (≥ TIMER_MODE_MS), and the prequeue counters (TCPPrequeued,
 * TCPSchedulerFailed, …). The finding compares the loaded prequeue run
 * without offload against direct and prequeue-hwcsum with offload — computed
 * from those numbers.
 *
 * Owns: the task list, the analysis and the report of this experiment.
 */
import type { CsumMode, ExperimentReport, RxPathName, Table } from '../types.js';
import { TIMER_MODE_NS } from '../workloads/summary.js';

const RX: RxPathName[] = ['direct', 'prequeue', 'prequeue-hwcsum'];
const CSUMS: CsumMode[] = ['none', 'unnecessary'];
/** Competing CPU-bound processes on the server host in the loaded runs. */
export const KLEEN_LOAD = 6;
/** ACK delays at or above this are "timer mode" (the delayed-ACK timer, not processing, released them). */
export const TIMER_MODE_MS = TIMER_MODE_NS / 1e6;

export interface KleenTask {
  workload: 'chatroom' | 'rr';
  params: Record<string, unknown>;
}

export function kleenTasks(seed: number, quick: boolean): KleenTask[] {
  const tasks: KleenTask[] = [];
  for (const rxPath of RX) {
    for (const csum of CSUMS) {
      for (const load of [0, KLEEN_LOAD]) {
        const common = { transport: 'sim', seed, era: '2002', cpus: 2, rxPath, csum, delack: 'linux', copy: 'copy', linkRateBps: 100e6, delayNs: 50_000, loss: 0 };
        tasks.push({ workload: 'chatroom', params: { ...common, rooms: 2, users: 20, msgs: quick ? 10 : 20, msgBytes: 100, load } });
        tasks.push({ workload: 'rr', params: { ...common, conns: 2, requestBytes: 100, responseBytes: 100, transactions: 0, durationNs: quick ? 1_000_000_000 : 2_000_000_000, warmupNs: 10_000_000, load } });
      }
    }
  }
  return tasks;
}

interface Pcts {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  count?: number;
}

interface RunLike {
  workload: string;
  params: Record<string, unknown>;
  messagesPerSecond?: number;
  transactionsPerSecond?: number;
  latencyUs: Pcts;
  ackDelayUs?: Pcts | null;
  ackDelayTimerShare?: number | null;
  ackDelayHistogramUs?: { lowUs: number; highUs: number; count: number }[];
  counters?: { server?: Record<string, number> };
  simEvents?: number;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;
const fmtUs = (us: number): string => (us >= 1000 ? `${r1(us / 1000)} ms` : `${Math.round(us)} µs`);

export function kleenReport(results: readonly RunLike[]): ExperimentReport {
  const rows: Table['rows'] = [];
  const sorted = [...results].sort((a, b) => order(a) - order(b));
  for (const r of sorted) {
    const p = r.params;
    const c = r.counters?.server ?? {};
    rows.push({
      workload: r.workload,
      rxPath: String(p['rxPath']),
      offload: p['csum'] === 'none' ? 'off' : 'on',
      load: p['load'] as number,
      rate: r.workload === 'chatroom' ? (r.messagesPerSecond ?? 0) : (r.transactionsPerSecond ?? 0),
      latencyP50Us: r.latencyUs.p50,
      latencyP99Us: r.latencyUs.p99,
      ackDelayP50Us: r.ackDelayUs?.p50 ?? null,
      ackDelayP90Us: r.ackDelayUs?.p90 ?? null,
      ackTimerSharePct: r.ackDelayTimerShare == null ? null : r1(r.ackDelayTimerShare * 100),
      ackSamples: r.ackDelayUs?.count ?? null,
      segsIn: c['InSegs'] ?? null,
      prequeued: c['TCPPrequeued'] ?? null,
      schedulerFailed: c['TCPSchedulerFailed'] ?? null,
      delayedAcks: c['DelayedACKs'] ?? null,
    });
  }

  const find = (w: string, rx: string, csum: string, load: number): RunLike | undefined =>
    results.find((r) => r.workload === w && r.params['rxPath'] === rx && r.params['csum'] === csum && r.params['load'] === load);
  const phrases: string[] = [];
  for (const w of ['rr', 'chatroom']) {
    const pq = find(w, 'prequeue', 'none', KLEEN_LOAD);
    const dir = find(w, 'direct', 'unnecessary', KLEEN_LOAD);
    const hw = find(w, 'prequeue-hwcsum', 'unnecessary', KLEEN_LOAD);
    const pqIdle = find(w, 'prequeue', 'none', 0);
    if (pq === undefined || dir === undefined || hw === undefined) continue;
    const share = (r: RunLike): string => (r.ackDelayTimerShare == null ? 'n/a' : `${r1(r.ackDelayTimerShare * 100)}%`);
    const ack = (r: RunLike): string => (r.ackDelayUs == null ? 'n/a' : fmtUs(r.ackDelayUs.p50));
    const sf = pq.counters?.server?.['TCPSchedulerFailed'];
    const rate = (r: RunLike): number => (w === 'chatroom' ? (r.messagesPerSecond ?? 0) : (r.transactionsPerSecond ?? 0));
    const unit = w === 'chatroom' ? 'msg/s' : 'trans/s';
    const change = rate(dir) > 0 ? Math.round(((rate(pq) - rate(dir)) / rate(dir)) * 100) : 0;
    phrases.push(
      `${w} under load (${KLEEN_LOAD} CPU hogs): prequeue without offload has ${share(pq)} of ACKs in timer mode (≥ ${TIMER_MODE_MS} ms; median ACK delay ${ack(pq)}, TCPSchedulerFailed ${sf ?? 'n/a'})` +
        `${pqIdle ? ` vs ${share(pqIdle)} unloaded` : ''}; direct and prequeue-hwcsum with offload: ${share(dir)} / ${share(hw)} (median ${ack(dir)} / ${ack(hw)}); ` +
        `${unit} prequeue ${rate(pq)} vs direct ${rate(dir)} (${change >= 0 ? '+' : ''}${change}%), p99 latency ${fmtUs(pq.latencyUs.p99)} vs ${fmtUs(dir.latencyUs.p99)}`,
    );
  }

  // ACK-delay distributions of the loaded runs (log-spaced buckets), one series per mode.
  const histData: Record<string, string | number>[] = [];
  for (const r of sorted) {
    if ((r.params['load'] as number) === 0 || !r.ackDelayHistogramUs) continue;
    const total = r.ackDelayHistogramUs.reduce((a, b) => a + b.count, 0);
    for (const b of r.ackDelayHistogramUs) {
      histData.push({ workload: r.workload, mode: `${String(r.params['rxPath'])} / offload ${r.params['csum'] === 'none' ? 'off' : 'on'}`, lowUs: b.lowUs, sharePct: total > 0 ? r1((b.count / total) * 100) : 0 });
    }
  }
  const ackChart = rows
    .filter((r) => r['ackDelayP50Us'] !== null)
    .map(withChartLabels);
  return {
    id: 'kleen',
    title: 'Kleen 2002: prequeue vs direct receive, ACK delay and chat throughput (era 2002)',
    table: {
      columns: [
        { key: 'workload', label: 'workload' },
        { key: 'rxPath', label: 'rx path' },
        { key: 'offload', label: 'csum offload' },
        { key: 'load', label: 'CPU hogs' },
        { key: 'rate', label: 'msgs or trans/s', unit: '1/s' },
        { key: 'latencyP50Us', label: 'latency p50', unit: 'µs' },
        { key: 'latencyP99Us', label: 'latency p99', unit: 'µs' },
        { key: 'ackDelayP50Us', label: 'ACK delay p50', unit: 'µs' },
        { key: 'ackDelayP90Us', label: 'ACK delay p90', unit: 'µs' },
        { key: 'ackTimerSharePct', label: `ACKs ≥ ${TIMER_MODE_MS} ms`, unit: '%' },
        { key: 'ackSamples', label: 'ACK-delay samples' },
        { key: 'segsIn', label: 'segments in' },
        { key: 'prequeued', label: 'TCPPrequeued' },
        { key: 'schedulerFailed', label: 'TCPSchedulerFailed' },
        { key: 'delayedAcks', label: 'DelayedACKs' },
      ],
      rows,
    },
    finding: phrases.length > 0 ? phrases.join('; ') + '.' : 'no loaded runs to compare.',
    charts: [
      {
        id: 'kleen-ack-delay',
        title: 'Median ACK delay on the server host by receive path (era 2002)',
        mark: 'bar',
        data: ackChart,
        x: { field: 'mode', title: 'rx path / checksum offload', type: 'nominal' },
        y: { field: 'ackDelayP50Us', title: 'ACK delay p50 (µs)', type: 'quantitative', log: true },
        color: { field: 'loadLabel', title: 'competing load' },
        column: { field: 'workload', title: 'workload' },
      },
      {
        id: 'kleen-ack-delay-distribution',
        title: `ACK-delay distribution on the loaded server host (${KLEEN_LOAD} CPU hogs, era 2002)`,
        mark: 'line',
        data: histData,
        x: { field: 'lowUs', title: 'ACK delay, bucket start (µs)', type: 'quantitative', log: true },
        y: { field: 'sharePct', title: 'share of ACK-delay samples (%)', type: 'quantitative' },
        color: { field: 'mode', title: 'rx path / checksum offload' },
        column: { field: 'workload', title: 'workload' },
      },
      {
        id: 'kleen-rate',
        title: 'Chat messages/s and rr transactions/s by receive path (era 2002)',
        mark: 'bar',
        data: rows.map(withChartLabels),
        x: { field: 'mode', title: 'rx path / checksum offload', type: 'nominal' },
        y: { field: 'rate', title: 'messages or transactions per second', type: 'quantitative' },
        color: { field: 'loadLabel', title: 'competing load' },
        column: { field: 'workload', title: 'workload' },
      },
    ],
    extra: { load: KLEEN_LOAD, timerModeMs: TIMER_MODE_MS, ackDelayHistograms: histData },
  };
}

/** A table row with the two chart labels: `mode` (rx path / offload) and `loadLabel`. */
function withChartLabels<R extends Record<string, unknown>>(r: R): R & { mode: string; loadLabel: string } {
  return { ...r, mode: `${String(r['rxPath'])} / offload ${String(r['offload'])}`, loadLabel: Number(r['load']) > 0 ? `load ${String(r['load'])}` : 'no load' };
}

function order(r: RunLike): number {
  const w = r.workload === 'chatroom' ? 0 : 1;
  const rx = RX.indexOf(r.params['rxPath'] as RxPathName);
  const cs = CSUMS.indexOf(r.params['csum'] as CsumMode);
  const ld = (r.params['load'] as number) > 0 ? 1 : 0;
  return ((w * 3 + rx) * 2 + cs) * 2 + ld;
}
