import { describe, expect, it } from 'vitest';
import type { ParamDef } from '../../src/lab/params.js';
import type { TaskOutcome } from '../../src/lab/parallel.js';
import { gridPoints, HEADLINES, showValue, sweepChart, sweepFinding, sweepJsonLines, sweepReport, sweepRows, sweepTasks, type SweepAxis } from '../../src/lab/sweep.js';

const def = (name: string, type: ParamDef['type'] = 'int'): ParamDef => ({ name, type, default: 0, description: name });
const axis = (name: string, values: unknown[], type: ParamDef['type'] = 'int', label = name): SweepAxis => ({ def: def(name, type), label, values });

const okOutcome = (value: number, params: Record<string, unknown>): TaskOutcome => ({
  ok: true,
  result: { workload: 'bulk', transport: 'sim', params, goodputBitsPerSecond: value, simEvents: 10 },
  row: { goodputBitsPerSecond: value, retransmits: 0 },
});

describe('sweep grid', () => {
  it('cartesian_product_with_the_first_axis_outermost', () => {
    expect(gridPoints([axis('a', [1, 2]), axis('b', ['x', 'y', 'z'])])).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
    expect(gridPoints([])).toEqual([{}]);
  });

  it('tasks_put_the_grid_point_over_the_fixed_parameters', () => {
    const tasks = sweepTasks('bulk', { era: '2002', flows: 1 }, [axis('flows', [2, 4])]);
    expect(tasks).toEqual([
      { workload: 'bulk', params: { era: '2002', flows: 2 } },
      { workload: 'bulk', params: { era: '2002', flows: 4 } },
    ]);
  });

  it('rejects_an_axis_without_values_or_given_twice', () => {
    expect(() => gridPoints([axis('a', [])])).toThrow('sweep parameter a has no values');
    expect(() => sweepTasks('bulk', {}, [axis('a', [1], 'int', 'a'), axis('a', [2], 'int', 'a')])).toThrow('sweep parameter a is given twice');
  });
});

describe('sweep report', () => {
  const axes = [axis('linkRateBps', [1e8, 1e9, 1e10], 'rate', 'link-rate'), axis('copy', ['copy', 'zerocopy'], 'string')];
  const tasks = sweepTasks('bulk', {}, axes);
  const outcomes: TaskOutcome[] = tasks.map((t, i) =>
    i === 3 ? { ok: false, error: 'boom' } : okOutcome(Math.min(t.params['linkRateBps'] as number, t.params['copy'] === 'copy' ? 2e9 : 9e9), t.params),
  );

  it('rows_keep_failed_points_marked_with_their_error', () => {
    const rows = sweepRows(axes, tasks, outcomes);
    expect(rows).toHaveLength(6);
    expect(rows[3]).toEqual({ linkRateBps: 1e9, copy: 'zerocopy', ok: false, error: 'boom' });
    expect(rows[5]).toEqual({ linkRateBps: 1e10, copy: 'zerocopy', goodputBitsPerSecond: 9e9, retransmits: 0, ok: true, error: null });
  });

  it('finding_is_derived_from_the_numbers (range ends, ratio, failures)', () => {
    const rows = sweepRows(axes, tasks, outcomes);
    expect(sweepFinding('bulk', axes, rows, HEADLINES['bulk']!)).toBe(
      'bulk: goodput from 100M bit/s at link-rate=100Mbit/s, copy=copy to 9G at link-rate=10Gbit/s, copy=zerocopy (90×) over 5 runs; 1 of 6 runs failed',
    );
    const flat = rows.map((r) => ({ ...r, goodputBitsPerSecond: r['ok'] ? 5e9 : null }));
    expect(sweepFinding('bulk', axes, flat, HEADLINES['bulk']!)).toBe('bulk: goodput 5G bit/s at all 5 points (spread 0, under 0.5%); 1 of 6 runs failed');
    const allFailed = rows.map((r) => ({ ...r, ok: false }));
    expect(sweepFinding('bulk', axes, allFailed, HEADLINES['bulk']!)).toBe('bulk: no run produced goodput; 6 of 6 runs failed');
  });

  it('chart_plots_the_headline_vs_the_first_parameter_with_series_by_the_second', () => {
    const rows = sweepRows(axes, tasks, outcomes);
    const c = sweepChart('bulk', axes, rows, HEADLINES['bulk']!)!;
    expect(c.mark).toBe('line');
    expect(c.x).toEqual({ field: 'linkRateBps', title: 'link-rate (bit/s)', type: 'quantitative' });
    expect(c.y).toEqual({ field: 'goodputBitsPerSecond', title: 'goodput (bit/s)' });
    expect(c.color).toEqual({ field: 'copy', title: 'copy' });
    expect(c.data).toHaveLength(5); // the failed point is not plotted
    const three = [...axes, axis('era', ['2002', '2025'], 'string')];
    const t3 = sweepTasks('bulk', {}, three);
    const c3 = sweepChart('bulk', three, sweepRows(three, t3, t3.map((t) => okOutcome(1, t.params))), HEADLINES['bulk']!)!;
    expect(c3.column).toEqual({ field: 'era', title: 'era' });
    const nominal = [axis('copy', ['copy', 'zerocopy'], 'string')];
    const tn = sweepTasks('bulk', {}, nominal);
    expect(sweepChart('bulk', nominal, sweepRows(nominal, tn, tn.map((t) => okOutcome(1, t.params))), HEADLINES['bulk']!)!.mark).toBe('bar');
  });

  it('report_has_one_experiment_with_table_finding_chart_and_summed_sim_events', () => {
    const r = sweepReport('bulk', axes, tasks, outcomes);
    expect(r.command).toBe('lab sweep bulk');
    expect(r.simEvents).toBe(50);
    const e = r.experiments[0]!;
    expect(e.table.columns.map((c) => c.key)).toEqual(['linkRateBps', 'copy', 'goodputBitsPerSecond', 'ok', 'error']);
    expect(e.table.columns[0]).toEqual({ key: 'linkRateBps', label: 'link-rate', unit: 'bit/s' });
    expect(e.charts).toHaveLength(1);
  });

  it('swept_values_are_shown_with_their_units', () => {
    expect(showValue(def('linkRateBps', 'rate'), 4e11)).toBe('400Gbit/s');
    expect(showValue(def('durationNs', 'duration'), 5e6)).toBe('5ms');
    expect(showValue(def('msgBytes', 'size'), 65536)).toBe('64KiB');
    expect(showValue(def('rooms'), 10)).toBe('10');
    expect(showValue(def('era', 'string'), '2002')).toBe('2002');
  });

  it('json_lines_hold_one_run_each_with_result_or_error', () => {
    const lines = sweepJsonLines(axes, tasks, outcomes).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatchObject({ index: 0, point: { linkRateBps: 1e8, copy: 'copy' }, ok: true, row: { goodputBitsPerSecond: 1e8 } });
    expect(lines[3]).toMatchObject({ index: 3, ok: false, error: 'boom', params: { linkRateBps: 1e9, copy: 'zerocopy' } });
  });
});
