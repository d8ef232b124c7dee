import { describe, expect, it } from 'vitest';
import { singleRunReport } from '../../src/lab/report/index.js';

const rr = {
  workload: 'rr',
  transport: 'sim',
  params: { seed: 4, era: '2002' },
  transactionsPerSecond: 12345,
  latencyUs: { p50: 40, p90: 55, p99: 120000, p999: 180000, count: 100, mean: 900, max: 181000 },
  ackDelayUs: { p50: 20, p90: 40000, p99: 120000, p999: 120000, count: 50, mean: 5000, max: 120000 },
  ackDelayHistogramUs: [
    { lowUs: 10, highUs: 17.8, count: 30 },
    { lowUs: 100000, highUs: 177827.9, count: 20 },
  ],
  simEvents: 999,
};

describe('single-run report', () => {
  it('finding_states_the_measured_headline_and_percentiles', () => {
    const r = singleRunReport(rr, { transactionsPerSecond: 12345 });
    expect(r.experiments[0]!.finding).toBe('rr over sim: 12.3k transactions/s; latency p50 40 µs, p99 120k µs; ACK delay p50 20 µs, p99 120k µs');
    expect(r.simEvents).toBe(999);
    expect(r.seed).toBe(4);
    expect(r.command).toBe('lab rr');
  });
  it('charts_the_latency_and_ack_delay_percentiles_and_histogram', () => {
    const charts = singleRunReport(rr, {}).experiments[0]!.charts;
    expect(charts.map((c) => c.id)).toEqual(['rr-latencyUs', 'rr-ackDelayUs', 'rr-ack-delay-histogram']);
    expect(charts[0]!.data).toEqual([
      { percentile: 'p50', us: 40 },
      { percentile: 'p90', us: 55 },
      { percentile: 'p99', us: 120000 },
      { percentile: 'p99.9', us: 180000 },
    ]);
    expect(charts[2]!.data).toEqual([
      { bucket: '10–17.8', count: 30 },
      { bucket: '100k–178k', count: 20 },
    ]);
  });
  it('a_result_without_distributions_gets_no_charts_and_says_so_in_numbers_only', () => {
    const r = singleRunReport({ workload: 'bulk', transport: 'kernel', params: {}, goodputBitsPerSecond: 9.41e9 }, { goodputBitsPerSecond: 9.41e9 });
    expect(r.experiments[0]!.charts).toEqual([]);
    expect(r.experiments[0]!.finding).toBe('bulk over kernel: 9.41G bit/s');
  });
});
