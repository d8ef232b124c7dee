/**
 * The seed experiments: findings follow from the numbers (a small deterministic
 * run reproduces both seed claims; synthetic results change the finding), and
 * the same seed gives the same report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { johnsonReport, johnsonTasks, predictedGoodput } from '../../src/lab/experiments/johnson.js';
import { KLEEN_LOAD, kleenReport, kleenTasks } from '../../src/lab/experiments/kleen.js';
import { runTasksSequentially, type SeedTask } from '../../src/lab/experiments/seed.js';
import { runSeed } from '../../src/lab/registry.js';

/** The loaded rr runs of Kleen (shortened) and a few Johnson rates: the cheap core of `lab seed`. */
function smallTasks(seed: number): { kleen: SeedTask[]; johnson: SeedTask[] } {
  const kleen = kleenTasks(seed, true)
    .filter((t) => t.workload === 'rr' && t.params['load'] === KLEEN_LOAD)
    // 1 s (the quick duration): 600 ms left only 2 transactions, whose 2 start-up ACKs were half the samples.
    .map((t) => ({ ...t, params: { ...t.params, durationNs: 1_000_000_000 } }));
  const johnson = johnsonTasks(seed, true).filter((t) => t.params['era'] === '2025' && t.params['csum'] === 'unnecessary' && t.params['copy'] !== 'copy+csum');
  return { kleen, johnson };
}

describe('seed experiments from a small deterministic run', () => {
  let kres: Record<string, unknown>[];
  let jres: Record<string, unknown>[];
  beforeAll(async () => {
    const t = smallTasks(3);
    kres = (await runTasksSequentially(t.kleen)) as Record<string, unknown>[];
    jres = (await runTasksSequentially(t.johnson)) as Record<string, unknown>[];
  });

  it('Kleen: under load, prequeue without offload ACKs from the delayed-ACK timer (TCPSchedulerFailed counts it); direct and prequeue-hwcsum with offload ACK at arrival', () => {
    const pick = (rx: string, csum: string) => kres.find((r) => (r['params'] as Record<string, unknown>)['rxPath'] === rx && (r['params'] as Record<string, unknown>)['csum'] === csum)!;
    const pq = pick('prequeue', 'none') as { ackDelayTimerShare: number; ackDelayUs: { p50: number }; counters: { server: Record<string, number> } };
    const dir = pick('direct', 'unnecessary') as { ackDelayUs: { p50: number }; counters: { server: Record<string, number> } };
    const hw = pick('prequeue-hwcsum', 'unnecessary') as { ackDelayUs: { p50: number }; counters: { server: Record<string, number> } };
    expect(pq.counters.server['TCPSchedulerFailed']).toBeGreaterThan(0);
    expect(pq.ackDelayTimerShare).toBeGreaterThan(0.5);
    expect(pq.ackDelayUs.p50).toBeGreaterThan(30_000);
    for (const r of [dir, hw]) {
      expect(r.ackDelayUs.p50).toBeLessThan(1_000);
      expect(r.counters.server['TCPSchedulerFailed']).toBe(0);
    }
    const rep = kleenReport(kres as never);
    expect(rep.finding).toMatch(/rr under load/);
    expect(rep.finding).toContain(`TCPSchedulerFailed ${pq.counters.server['TCPSchedulerFailed']}`);
    expect(rep.table.rows.length).toBe(kres.length);
  });

  it('Johnson: copy and zero-copy coincide at low rates and separate where the cost model puts the copy limit', () => {
    const rep = johnsonReport(jres as never);
    const sep = (rep.extra!['separations'] as { era: string; offload: string; measuredSeparationBps: number | null; previousRateBps: number | null; predictedCopyLimitBps: number; lowRatesAgree: boolean }[]).find((s) => s.era === '2025' && s.offload === 'on')!;
    expect(sep.lowRatesAgree).toBe(true);
    expect(sep.measuredSeparationBps).not.toBeNull();
    expect(sep.predictedCopyLimitBps).toBe(Math.round(predictedGoodput('2025', 'copy', 'unnecessary').bitsPerSecond));
    // The separation brackets the model's copy limit: below it the curves agree, above it they part.
    expect(sep.previousRateBps!).toBeLessThan(sep.predictedCopyLimitBps * 1.1);
    expect(sep.measuredSeparationBps!).toBeGreaterThanOrEqual(sep.predictedCopyLimitBps);
    expect(rep.finding).toMatch(/2025 offload on: copy and zero-copy coincide at low rates and separate/);
    expect(rep.charts[0]!.x.log).toBe(true);
  });

  it('Johnson table: one row per era, offload and link rate, copy modes side by side, every run kept in extra.runs', () => {
    const rep = johnsonReport(jres as never);
    const runs = jres as { params: Record<string, unknown>; goodputBitsPerSecond: number }[];
    const groups = new Set(runs.map((r) => `${String(r.params['era'])}|${String(r.params['csum'])}|${String(r.params['linkRateBps'])}`));
    expect(rep.table.rows.length).toBe(groups.size);
    expect((rep.extra!['runs'] as unknown[]).length).toBe(runs.length);
    for (const row of rep.table.rows) {
      const of = (copy: string) => runs.find((r) => r.params['era'] === row['era'] && r.params['linkRateBps'] === row['linkRateBps'] && r.params['copy'] === copy)!;
      expect(row['copyGbps']).toBeCloseTo(of('copy').goodputBitsPerSecond / 1e9, 3);
      expect(row['zerocopyGbps']).toBeCloseTo(of('zerocopy').goodputBitsPerSecond / 1e9, 3);
      expect(row['copyCsumGbps']).toBeNull(); // the small run has no copy+csum tasks
    }
  });

  it('the same seed gives the same report', async () => {
    const t = smallTasks(3);
    const again = (await runTasksSequentially(t.johnson)) as Record<string, unknown>[];
    expect(johnsonReport(again as never)).toEqual(johnsonReport(jres as never));
    const kAgain = (await runTasksSequentially(t.kleen)) as Record<string, unknown>[];
    expect(kleenReport(kAgain as never)).toEqual(kleenReport(kres as never));
  });
});

describe('findings are derived from the numbers', () => {
  const fake = (copy: string, rate: number, goodput: number) => ({ params: { era: '2002', csum: 'unnecessary', copy, linkRateBps: rate }, goodputBitsPerSecond: goodput, cpu: { sender: { idle: 0.5 }, receiver: { idle: 0.5 } } });

  it('curves that never part are reported as never separating', () => {
    const rs = [1e8, 1e9, 1e10].flatMap((r) => [fake('copy', r, r * 0.9), fake('zerocopy', r, r * 0.9)]);
    expect(johnsonReport(rs).finding).toMatch(/2002 offload on: copy and zero-copy coincide at low rates and never separate by >10% up to 10 Gbit\/s/);
  });

  it('a separation is placed between the last agreeing and the first differing rate', () => {
    const rs = [1e8, 1e9, 1e10].flatMap((r) => [fake('copy', r, Math.min(r, 2e9)), fake('zerocopy', r, Math.min(r, 8e9))]);
    expect(johnsonReport(rs).finding).toMatch(/separate \(zero-copy >10% ahead\) between 1 Gbit\/s and 10 Gbit\/s/);
  });
});

describe('runSeed', () => {
  it('composes the experiments, reports simulated events, and uses the runMany hook when given', async () => {
    const seen: number[] = [];
    const rep = await runSeed({
      seed: 5,
      quick: true,
      real: false,
      // A stand-in pool: answers every task with a minimal result so the composition is checked without the cost.
      runMany: async (tasks) => {
        seen.push(tasks.length);
        return tasks.map((t) => ({ workload: t.workload, params: t.params, simEvents: 10, goodputBitsPerSecond: 1, messagesPerSecond: 1, transactionsPerSecond: 1, latencyUs: { p50: 1, p90: 1, p99: 1, p999: 1 } }));
      },
    });
    expect(seen).toEqual([kleenTasks(5, true).length + johnsonTasks(5, true).length]);
    expect(rep.command).toBe('lab seed');
    expect(rep.experiments.map((e) => e.id)).toEqual(['kleen', 'johnson']);
    expect(rep.simEvents).toBe(10 * seen[0]!);
  });
});
