/**
 * Parameter sweeps: the grid of runs for `zerostack lab sweep <workload>
 * --param a=1,2,3 --param b=x,y` (the cartesian product of the axes, first axis
 * outermost), and the report of its outcomes — a table with one row per grid
 * point (failed points kept and marked), a finding line derived from the
 * numbers, and a chart of the workload's headline figure versus the first
 * swept parameter (series by the second, panels by the third).
 *
 * Owns: grid expansion, the sweep's table/chart/JSON-lines shapes and each
 * workload's headline figure. Must not: parse CLI strings (src/cli/lab does;
 * values arrive typed) or run anything itself (the caller passes the outcomes,
 * e.g. from the worker pool in parallel.ts).
 */
import type { ParamDef } from './params.js';
import type { LabTask, TaskOutcome } from './parallel.js';
import type { ChartSpec, LabReport, Table } from './types.js';
import { columnHeader, formatNumber } from './report/format.js';
import { formatDuration, formatRate, formatSize } from '../util/units.js';

/** One swept parameter: its definition and the values to try (already parsed). */
export interface SweepAxis {
  def: ParamDef;
  /** How the user named it (for titles), e.g. "link-rate". */
  label: string;
  values: unknown[];
}

export interface Headline {
  field: string;
  label: string;
  unit: string;
}

/** The headline figure of each workload (stable names, also the top-level keys of `--json`). */
export const HEADLINES: Readonly<Record<string, Headline>> = {
  bulk: { field: 'goodputBitsPerSecond', label: 'goodput', unit: 'bit/s' },
  chatroom: { field: 'messagesPerSecond', label: 'messages/s', unit: 'messages/s' },
  rr: { field: 'transactionsPerSecond', label: 'transactions/s', unit: 'transactions/s' },
};

/** The unit a parameter's numbers are in once parsed. */
export function paramUnit(def: ParamDef): string | undefined {
  return def.type === 'rate' ? 'bit/s' : def.type === 'duration' ? 'ns' : def.type === 'size' ? 'B' : undefined;
}

/** All combinations of the axes' values, first axis varying slowest. */
export function gridPoints(axes: readonly SweepAxis[]): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const a of axes) {
    if (a.values.length === 0) throw new RangeError(`sweep parameter ${a.label} has no values`);
    points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.def.name]: v })));
  }
  return points;
}

/** The tasks of a sweep: the fixed `base` parameters with each grid point on top. */
export function sweepTasks(workload: string, base: Record<string, unknown>, axes: readonly SweepAxis[]): LabTask[] {
  const names = new Set<string>();
  for (const a of axes) {
    if (names.has(a.def.name)) throw new RangeError(`sweep parameter ${a.label} is given twice`);
    names.add(a.def.name);
  }
  return gridPoints(axes).map((point) => ({ workload, params: { ...base, ...point } }));
}

type Cell = string | number | boolean | null;

function cell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** One table row per grid point: the swept values, the workload's row, ok and error. */
export function sweepRows(axes: readonly SweepAxis[], tasks: readonly LabTask[], outcomes: readonly TaskOutcome[]): Record<string, Cell>[] {
  return tasks.map((t, i) => {
    const o = outcomes[i]!;
    const row: Record<string, Cell> = {};
    for (const a of axes) row[a.def.name] = cell(t.params[a.def.name]);
    if (o.ok) Object.assign(row, o.row);
    for (const a of axes) row[a.def.name] = cell(t.params[a.def.name]); // the swept value wins over a reformatted copy
    row['ok'] = o.ok;
    row['error'] = o.ok ? null : o.error;
    return row;
  });
}

/** A JSON line per run: its index, the swept values, ok, and the full result or the error. */
export function sweepJsonLines(axes: readonly SweepAxis[], tasks: readonly LabTask[], outcomes: readonly TaskOutcome[]): string[] {
  return tasks.map((t, i) => {
    const o = outcomes[i]!;
    const point = Object.fromEntries(axes.map((a) => [a.def.name, t.params[a.def.name]]));
    return JSON.stringify(o.ok ? { index: i, point, ok: true, row: o.row, result: o.result } : { index: i, point, ok: false, error: o.error, params: t.params });
  });
}

function describePoint(axes: readonly SweepAxis[], row: Record<string, Cell>): string {
  return axes.map((a) => `${a.label}=${showValue(a.def, row[a.def.name])}`).join(', ');
}

/** A swept value as people write it: 1G rather than 1000000000 for a rate. */
export function showValue(def: ParamDef, v: unknown): string {
  if (typeof v !== 'number') return String(v);
  // The unit formatters of src/util/units.ts, without the space so "name=value" stays one token.
  const text = def.type === 'rate' ? formatRate(v) : def.type === 'duration' ? formatDuration(v) : def.type === 'size' ? formatSize(v) : String(v);
  return text.replace(' ', '');
}

/** The finding line: the headline's range over the grid and where its ends are, from the numbers. */
export function sweepFinding(workload: string, axes: readonly SweepAxis[], rows: readonly Record<string, Cell>[], headline: Headline): string {
  const good = rows.filter((r) => r['ok'] === true && typeof r[headline.field] === 'number' && Number.isFinite(r[headline.field]));
  const failed = rows.filter((r) => r['ok'] !== true).length;
  const failText = failed > 0 ? `; ${failed} of ${rows.length} runs failed` : '';
  if (good.length === 0) return `${workload}: no run produced ${headline.label}${failText}`;
  let lo = good[0]!;
  let hi = good[0]!;
  for (const r of good) {
    if ((r[headline.field] as number) < (lo[headline.field] as number)) lo = r;
    if ((r[headline.field] as number) > (hi[headline.field] as number)) hi = r;
  }
  const v = (r: Record<string, Cell>) => formatNumber(r[headline.field] as number);
  if (good.length === 1) return `${workload}: ${headline.label} ${v(lo)} ${headline.unit} at ${describePoint(axes, lo)}${failText}`;
  const [loV, hiV] = [lo[headline.field] as number, hi[headline.field] as number];
  if (hiV - loV <= 0.005 * Math.abs(hiV)) {
    return `${workload}: ${headline.label} ${v(hi)} ${headline.unit} at all ${good.length} points (spread ${formatNumber(hiV - loV)}, under 0.5%)${failText}`;
  }
  const ratio = (lo[headline.field] as number) > 0 ? ` (${formatNumber((hi[headline.field] as number) / (lo[headline.field] as number))}×)` : '';
  return `${workload}: ${headline.label} from ${v(lo)} ${headline.unit} at ${describePoint(axes, lo)} to ${v(hi)} at ${describePoint(axes, hi)}${ratio} over ${good.length} runs${failText}`;
}

/** The chart of the headline versus the first swept parameter; undefined when nothing succeeded. */
export function sweepChart(workload: string, axes: readonly SweepAxis[], rows: readonly Record<string, Cell>[], headline: Headline): ChartSpec | undefined {
  const [x, series, panel] = axes;
  if (x === undefined) return undefined;
  const data = rows.filter((r) => r['ok'] === true && typeof r[headline.field] === 'number');
  if (data.length === 0) return undefined;
  const xNumeric = data.every((r) => typeof r[x.def.name] === 'number');
  const unit = paramUnit(x.def);
  const spec: ChartSpec = {
    id: `${workload}-${headline.field}-vs-${x.def.name}`,
    title: `${workload}: ${headline.label} versus ${x.label}`,
    mark: xNumeric ? 'line' : series ? 'point' : 'bar',
    data: data.map((r) => {
      const d: Record<string, Cell> = { [x.def.name]: r[x.def.name]!, [headline.field]: r[headline.field]! };
      if (series) d[series.def.name] = r[series.def.name] === null ? null : String(r[series.def.name]);
      if (panel) d[panel.def.name] = r[panel.def.name] === null ? null : String(r[panel.def.name]);
      return d;
    }),
    x: { field: x.def.name, title: unit ? `${x.label} (${unit})` : x.label, type: xNumeric ? 'quantitative' : 'nominal' },
    y: { field: headline.field, title: columnHeader(headline) },
  };
  if (series) spec.color = { field: series.def.name, title: series.label };
  if (panel) spec.column = { field: panel.def.name, title: panel.label };
  return spec;
}

/** The sweep as a LabReport (one experiment): table, finding, chart. */
export function sweepReport(
  workload: string,
  axes: readonly SweepAxis[],
  tasks: readonly LabTask[],
  outcomes: readonly TaskOutcome[],
  headline: Headline = HEADLINES[workload] ?? { field: 'value', label: 'value', unit: '' },
): LabReport {
  const rows = sweepRows(axes, tasks, outcomes);
  const table: Table = {
    columns: [
      ...axes.map((a) => {
        const unit = paramUnit(a.def);
        return unit ? { key: a.def.name, label: a.label, unit } : { key: a.def.name, label: a.label };
      }),
      { key: headline.field, label: headline.label, unit: headline.unit },
      { key: 'ok', label: 'ok' },
      { key: 'error', label: 'error' },
    ],
    rows,
  };
  const chart = sweepChart(workload, axes, rows, headline);
  const simEvents = outcomes.reduce((a, o) => a + (o.ok && typeof o.result.simEvents === 'number' ? o.result.simEvents : 0), 0);
  return {
    command: `lab sweep ${workload}`,
    experiments: [
      {
        id: `sweep-${workload}`,
        title: `Sweep of ${workload} over ${axes.map((a) => a.label).join(' × ')} (${tasks.length} runs)`,
        table,
        finding: sweepFinding(workload, axes, rows, headline),
        charts: chart ? [chart] : [],
      },
    ],
    simEvents,
  };
}
