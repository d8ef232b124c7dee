/**
 * ChartSpec (the lab's library-neutral chart description) → a vega-lite 5
 * spec. Decides what makes a chart readable without the author asking: axis
 * titles (which carry the units), a legend for the series, SI-prefixed tick
 * labels for large numbers, small multiples for `column`, and a log scale when
 * the spec asks for one or when a quantitative axis spans two decades or more.
 *
 * Must not: render (render.ts does) or touch files.
 */
import type { ChartAxis, ChartSpec } from '../types.js';

type Datum = ChartSpec['data'][number];

/** Ranges spanning at least this max/min ratio get a log scale unless the spec says log: false. */
export const LOG_SPAN = 100;

const PANEL_WIDTH = 320;
const PANEL_HEIGHT = 220;

function numbers(data: readonly Datum[], field: string): number[] {
  const out: number[] = [];
  for (const d of data) {
    const v = d[field];
    if (typeof v === 'number' && Number.isFinite(v)) out.push(v);
  }
  return out;
}

/** The encoding type of an axis: as given, else quantitative when every present value is a number. */
export function axisType(axis: ChartAxis, data: readonly Datum[]): 'quantitative' | 'nominal' | 'ordinal' {
  if (axis.type) return axis.type;
  const present = data.map((d) => d[axis.field]).filter((v) => v !== null && v !== undefined);
  return present.length > 0 && present.every((v) => typeof v === 'number') ? 'quantitative' : 'nominal';
}

/**
 * The scale type of a quantitative axis: 'log' when asked for (or when the
 * positive values span LOG_SPAN or more and the spec did not say log: false),
 * 'symlog' when a log axis must also show zeros or negatives, else 'linear'.
 */
export function scaleType(axis: ChartAxis, data: readonly Datum[]): 'linear' | 'log' | 'symlog' {
  const vs = numbers(data, axis.field);
  const positive = vs.filter((v) => v > 0);
  const min = Math.min(...positive);
  const max = Math.max(...positive);
  const spans = positive.length > 1 && max / min >= LOG_SPAN;
  const wantLog = axis.log === true || (axis.log === undefined && spans);
  if (!wantLog) return 'linear';
  // log(0) is -Infinity: vega would drop those points silently; symlog keeps them.
  return positive.length === vs.length ? 'log' : 'symlog';
}

function maxAbs(data: readonly Datum[], field: string): number {
  return numbers(data, field).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function axisEncoding(axis: ChartAxis, data: readonly Datum[]): Record<string, unknown> {
  const type = axisType(axis, data);
  const enc: Record<string, unknown> = { field: axis.field, type, title: axis.title };
  if (type === 'quantitative') {
    const scale = scaleType(axis, data);
    enc['scale'] = scale === 'linear' ? { zero: false } : { type: scale };
    // "10G" reads better than "10,000,000,000"; '~s' is d3's SI format without trailing zeros.
    const ax: Record<string, unknown> = { labelOverlap: true };
    if (maxAbs(data, axis.field) >= 1e4) ax['format'] = '~s';
    // Counts (rooms, flows, CPUs) should not get ticks at 1.2, 1.4, …
    if (scale === 'linear' && numbers(data, axis.field).every(Number.isInteger)) ax['tickMinStep'] = 1;
    enc['axis'] = ax;
  } else {
    // Long category names ("prequeue-hwcsum / offload on") overlap when level; slant them.
    const longest = Math.max(0, ...data.map((d) => String(d[axis.field] ?? '').length));
    enc['axis'] = longest > 10 ? { labelAngle: -30, labelLimit: 400, labelOverlap: false } : { labelAngle: 0, labelOverlap: true };
  }
  return enc;
}

/** The vega-lite spec for one chart (data inline, so the output stands alone). */
export function toVegaLite(chart: ChartSpec): Record<string, unknown> {
  const encoding: Record<string, unknown> = {
    x: axisEncoding(chart.x, chart.data),
    y: axisEncoding(chart.y, chart.data),
  };
  const tooltip: Record<string, unknown>[] = [
    { field: chart.x.field, title: chart.x.title },
    { field: chart.y.field, title: chart.y.title },
  ];
  if (chart.color) {
    encoding['color'] = { field: chart.color.field, type: 'nominal', title: chart.color.title, legend: { orient: 'right' } };
    tooltip.push({ field: chart.color.field, title: chart.color.title });
  }
  if (chart.column) {
    encoding['column'] = { field: chart.column.field, type: 'nominal', title: chart.column.title, header: { labelFontSize: 12, titleFontSize: 13 } };
  }
  if (chart.mark === 'bar') {
    const y = encoding['y'] as Record<string, unknown>;
    // Bars compare values side by side: never stack them (vega-lite's default for a colour
    // field), group them within each x category instead.
    y['stack'] = null;
    if (chart.color) encoding['xOffset'] = { field: chart.color.field, type: 'nominal' };
    // A log axis has no zero for bars to grow from: start them at the smallest decade shown.
    // (An explicit domain turns off vega's rounding, so round both ends to whole decades.)
    const scale = y['scale'] as { type?: string; domain?: number[]; zero?: boolean } | undefined;
    // A bar's length is its value: a linear axis must start at zero, or 588k vs 590k looks like 1:20.
    if (scale !== undefined && scale.type === undefined) scale.zero = true;
    if (scale?.type === 'log') {
      const pos = numbers(chart.data, chart.y.field).filter((v) => v > 0);
      if (pos.length > 0) scale.domain = [10 ** Math.floor(Math.log10(Math.min(...pos))), 10 ** Math.ceil(Math.log10(Math.max(...pos)))];
    }
  }
  encoding['tooltip'] = tooltip;
  const mark = chart.mark === 'line' ? { type: 'line', point: true } : chart.mark === 'point' ? { type: 'point', filled: true, size: 60 } : { type: 'bar' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: chart.title, fontSize: 15, anchor: 'start' },
    background: 'white',
    padding: 12,
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    // Copies: vega tags the objects it ingests (Symbol(vega_id)); the caller's report stays untouched.
    data: { values: chart.data.map((d) => ({ ...d })) },
    mark,
    encoding,
    config: {
      font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
      axis: { titleFontSize: 12, labelFontSize: 11, grid: true },
      // vega truncates legend text at 160 px by default, which made series like "direct / offload on" indistinguishable.
      legend: { titleFontSize: 12, labelFontSize: 11, labelLimit: 400, titleLimit: 400 },
    },
  };
}
