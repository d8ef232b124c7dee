/**
 * The report of one workload run (`zerostack lab chatroom|bulk|rr --out DIR`):
 * its row as the table, a finding line built from its figures, and the charts
 * its result supports — latency percentiles, the ACK-delay histogram (sim),
 * goodput per flow (bulk with several flows).
 */
import type { ChartSpec, ExperimentReport, LabReport } from '../types.js';
import { HEADLINES } from '../sweep.js';
import { formatNumber } from './format.js';

type Row = Record<string, string | number | boolean | null>;
type Result = Record<string, unknown> & { workload: string; transport: string; params: Record<string, unknown> };

interface Pct {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

function isPct(v: unknown): v is Pct {
  return typeof v === 'object' && v !== null && ['p50', 'p90', 'p99', 'p999'].every((k) => typeof (v as Record<string, unknown>)[k] === 'number');
}

/** "chatroom over sim: 123k messages/s; latency p50 12 µs, p99 40 µs; ACK delay p99 41 ms" — from the numbers. */
export function singleRunFinding(r: Result): string {
  const h = HEADLINES[r.workload];
  const parts: string[] = [];
  const head = h ? r[h.field] : undefined;
  parts.push(`${r.workload} over ${r.transport}: ${typeof head === 'number' ? `${formatNumber(head)} ${h!.unit}` : 'no headline figure'}`);
  if (isPct(r['latencyUs'])) parts.push(`latency p50 ${formatNumber(r['latencyUs'].p50)} µs, p99 ${formatNumber(r['latencyUs'].p99)} µs`);
  if (isPct(r['ackDelayUs']) && (r['ackDelayUs'] as unknown as { count?: number }).count !== 0) {
    parts.push(`ACK delay p50 ${formatNumber(r['ackDelayUs'].p50)} µs, p99 ${formatNumber(r['ackDelayUs'].p99)} µs`);
  }
  if (typeof r['messagesReceived'] === 'number' && typeof r['expectedMessages'] === 'number') {
    parts.push(`${formatNumber(r['messagesReceived'])} of ${formatNumber(r['expectedMessages'])} messages delivered`);
  }
  if (typeof r['retransmits'] === 'number') parts.push(`${formatNumber(r['retransmits'])} retransmits`);
  return parts.join('; ');
}

export function singleRunCharts(r: Result): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const who = `${r.workload} over ${r.transport}`;
  for (const [key, what] of [['latencyUs', 'latency'], ['ackDelayUs', 'ACK delay']] as const) {
    const p = r[key];
    if (!isPct(p)) continue;
    charts.push({
      id: `${r.workload}-${key}`,
      title: `${who}: ${what} percentiles`,
      mark: 'bar',
      data: (['p50', 'p90', 'p99', 'p999'] as const).map((q) => ({ percentile: q === 'p999' ? 'p99.9' : q, us: p[q] })),
      x: { field: 'percentile', title: 'percentile', type: 'ordinal' },
      y: { field: 'us', title: `${what} (µs)`, log: false },
    });
  }
  const hist = r['ackDelayHistogramUs'];
  if (Array.isArray(hist) && hist.length > 0) {
    charts.push({
      id: `${r.workload}-ack-delay-histogram`,
      title: `${who}: ACK delay distribution`,
      mark: 'bar',
      data: (hist as { lowUs: number; highUs: number; count: number }[]).map((b) => ({ bucket: `${formatNumber(b.lowUs)}–${formatNumber(b.highUs)}`, count: b.count })),
      x: { field: 'bucket', title: 'ACK delay bucket (µs, log-spaced)', type: 'ordinal' },
      y: { field: 'count', title: 'ACKs (count)' },
    });
  }
  const flows = r['perFlow'];
  if (Array.isArray(flows) && flows.length > 1) {
    const data = (flows as { goodputBitsPerSecond?: unknown; received?: unknown }[]).map((f, i) => ({ flow: `flow ${i}`, received: typeof f.received === 'number' ? f.received : null }));
    charts.push({
      id: `${r.workload}-per-flow`,
      title: `${who}: bytes received per flow`,
      mark: 'bar',
      data,
      x: { field: 'flow', title: 'flow', type: 'nominal' },
      y: { field: 'received', title: 'received (B)', log: false },
    });
  }
  return charts;
}

/** The LabReport of one run. */
export function singleRunReport(result: Result, row: Row): LabReport {
  const e: ExperimentReport = {
    id: result.workload,
    title: `${result.workload} over ${result.transport}`,
    table: { columns: Object.keys(row).map((k) => ({ key: k, label: k })), rows: [row] },
    finding: singleRunFinding(result),
    charts: singleRunCharts(result),
  };
  const report: LabReport = { command: `lab ${result.workload}`, experiments: [e] };
  if (typeof result['simEvents'] === 'number') report.simEvents = result['simEvents'];
  if (typeof result.params['seed'] === 'number') report.seed = result.params['seed'];
  return report;
}
