import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  escapeHtml,
  formatNumber,
  parseCsv,
  renderSvg,
  scaleType,
  tableToCsv,
  toVegaLite,
  writeReport,
} from '../../src/lab/report/index.js';
import type { ChartSpec, LabReport, Table } from '../../src/lab/types.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'zs-report-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const rates = [1e7, 1e8, 1e9, 1e10, 1e11, 4e11];
const johnsonData = rates.flatMap((r) =>
  ['copy', 'zerocopy'].flatMap((mode) =>
    ['2002', '2025'].map((era) => ({ rate: r, mode, era, goodput: Math.min(r * 0.95, mode === 'copy' ? (era === '2002' ? 2e9 : 4e10) : 1e12) })),
  ),
);

const table: Table = {
  columns: [
    { key: 'mode', label: 'copy mode' },
    { key: 'rate', label: 'link rate', unit: 'bit/s' },
    { key: 'goodput', label: 'goodput', unit: 'bit/s' },
    { key: 'note', label: 'note' },
    { key: 'ok', label: 'ok' },
  ],
  rows: [
    { mode: 'copy', rate: 1e9, goodput: 941234567.5, note: 'plain', ok: true },
    { mode: 'zero,copy', rate: 4e11, goodput: 0.000123, note: 'has "quotes"\nand a newline', ok: false },
    { mode: 'copy', rate: 1e7, goodput: null, note: '<script>alert(1)</script>', ok: null },
  ],
};

const goodputChart: ChartSpec = {
  id: 'goodput-vs-rate',
  title: 'Goodput versus link rate',
  mark: 'line',
  data: johnsonData,
  x: { field: 'rate', title: 'link rate (bit/s)', log: true },
  y: { field: 'goodput', title: 'goodput (bit/s)' },
  color: { field: 'mode', title: 'copy mode' },
  column: { field: 'era', title: 'era' },
};
const barChart: ChartSpec = {
  id: 'latency',
  title: 'Latency <percentiles> & "tails"',
  mark: 'bar',
  data: [
    { p: 'p50', us: 12 },
    { p: 'p99', us: 40 },
  ],
  x: { field: 'p', title: 'percentile' },
  y: { field: 'us', title: 'latency (µs)' },
};

const report: LabReport = {
  command: 'lab test',
  seed: 3,
  wallSeconds: 1.5,
  simEvents: 123456,
  simEventsPerSecond: 82304,
  experiments: [
    { id: 'johnson', title: 'Johnson <b>', table, finding: 'copy & zerocopy separate above 2 Gbit/s <i>', charts: [goodputChart, barChart] },
    { id: 'empty', title: 'No charts', table: { columns: [{ key: 'a', label: 'a' }], rows: [{ a: 1 }] }, finding: 'nothing', charts: [] },
  ],
};

describe('report writer', () => {
  it('writes results.json, one CSV per table, an SVG and a PNG per chart and index.html', async () => {
    const dir = await tempDir();
    const out = await writeReport(dir, report, [{ workload: 'bulk', x: 1n }]);
    expect(out.files.sort()).toEqual(
      ['results.json', 'runs.jsonl', 'johnson.csv', 'empty.csv', 'goodput-vs-rate.svg', 'goodput-vs-rate.png', 'latency.svg', 'latency.png', 'index.html'].sort(),
    );
    expect(JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))).toEqual(report);
    // bigint results are kept as decimal strings rather than crashing JSON.stringify
    expect(JSON.parse((await readFile(join(dir, 'runs.jsonl'), 'utf8')).trim())).toEqual({ workload: 'bulk', x: '1' });
  });

  it('csv_parses_back_to_the_rows (RFC 4180 quoting of commas, quotes, newlines; null as empty)', async () => {
    const dir = await tempDir();
    await writeReport(dir, report);
    const rows = parseCsv(await readFile(join(dir, 'johnson.csv'), 'utf8'));
    expect(rows).toEqual(table.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? '' : String(v)]))));
    expect(Number(rows[1]!['goodput'])).toBe(0.000123);
  });

  it('csv_keeps_row_keys_missing_from_the_columns', () => {
    const csv = tableToCsv({ columns: [{ key: 'a', label: 'A' }], rows: [{ a: 1, extra: 'x' }] });
    expect(parseCsv(csv)).toEqual([{ a: '1', extra: 'x' }]);
  });

  it('svg_carries_the_title_axis_titles_with_units_legend_and_panels', async () => {
    const dir = await tempDir();
    await writeReport(dir, report);
    const svg = await readFile(join(dir, 'goodput-vs-rate.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['Goodput versus link rate', 'link rate (bit/s)', 'goodput (bit/s)', 'copy mode', 'zerocopy', '2002', '2025']) {
      expect(svg).toContain(text);
    }
    // SI tick labels on the log axis instead of 10,000,000,000
    expect(svg).toMatch(/>10G</);
    const bar = await readFile(join(dir, 'latency.svg'), 'utf8');
    expect(bar).toContain('Latency &lt;percentiles&gt; &amp; "tails"'.replace('"tails"', '&quot;tails&quot;'));
  });

  it('png_has_the_signature_and_a_plausible_size', async () => {
    const dir = await tempDir();
    await writeReport(dir, report);
    const png = await readFile(join(dir, 'goodput-vs-rate.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: width and height, big-endian, at offsets 16 and 20; two panels at 2x zoom
    const w = png.readUInt32BE(16);
    const h = png.readUInt32BE(20);
    expect(w).toBeGreaterThan(1000);
    expect(w).toBeLessThan(4000);
    expect(h).toBeGreaterThan(400);
    expect(h).toBeLessThan(2000);
    expect(png.length).toBeGreaterThan(20_000);
  });

  it('index_html_references_every_chart_and_table_and_escapes_data', async () => {
    const dir = await tempDir();
    await writeReport(dir, report);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    for (const f of ['goodput-vs-rate.svg', 'goodput-vs-rate.png', 'latency.svg', 'latency.png', 'johnson.csv', 'empty.csv', 'results.json']) {
      expect(html).toContain(`href="${f}"`);
    }
    expect(html).toContain('<img src="goodput-vs-rate.svg"');
    expect(html).toContain('<img src="latency.svg"');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('copy &amp; zerocopy separate above 2 Gbit/s &lt;i&gt;');
    expect(html).toContain('alt="Latency &lt;percentiles&gt; &amp; &quot;tails&quot;"');
    // no network references
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    // numbers shown compactly
    expect(html).toContain('>941M<');
  });

  it('rejects two charts that would write the same file, naming both', async () => {
    const dir = await tempDir();
    const bad: LabReport = { command: 'x', experiments: [{ ...report.experiments[0]!, charts: [barChart, { ...goodputChart, id: 'latency' }] }] };
    await expect(writeReport(dir, bad)).rejects.toThrow(/chart "latency" would overwrite latency\.svg/);
  });

  it('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('chart mapping (ChartSpec → vega-lite)', () => {
  const axis = (field: string, extra = {}) => ({ field, title: field, ...extra });
  it('log_scale_when_the_range_spans_two_decades', () => {
    expect(scaleType(axis('v'), [{ v: 1 }, { v: 100 }])).toBe('log');
    expect(scaleType(axis('v'), [{ v: 1 }, { v: 99 }])).toBe('linear');
    expect(scaleType(axis('v', { log: false }), [{ v: 1 }, { v: 1e6 }])).toBe('linear');
    expect(scaleType(axis('v', { log: true }), [{ v: 5 }, { v: 6 }])).toBe('log');
  });
  it('symlog_when_a_log_axis_must_show_zero', () => {
    expect(scaleType(axis('v', { log: true }), [{ v: 0 }, { v: 1e6 }])).toBe('symlog');
  });
  it('maps title, axis titles, series legend and small multiples', () => {
    const vl = toVegaLite(goodputChart) as { title: { text: string }; encoding: Record<string, Record<string, unknown>> };
    expect(vl.title.text).toBe('Goodput versus link rate');
    expect(vl.encoding['x']).toMatchObject({ field: 'rate', type: 'quantitative', title: 'link rate (bit/s)', scale: { type: 'log' } });
    expect(vl.encoding['y']).toMatchObject({ field: 'goodput', title: 'goodput (bit/s)', scale: { type: 'log' } });
    expect(vl.encoding['color']).toMatchObject({ field: 'mode', title: 'copy mode', type: 'nominal' });
    expect(vl.encoding['column']).toMatchObject({ field: 'era', title: 'era' });
    const bar = toVegaLite(barChart) as { encoding: Record<string, Record<string, unknown>> };
    expect(bar.encoding['x']).toMatchObject({ type: 'nominal' });
    // bar lengths are values: a linear bar axis starts at zero (lines and points may not)
    expect(bar.encoding['y']!['scale']).toEqual({ zero: true });
    const line = toVegaLite({ ...barChart, mark: 'line', data: [{ p: 1, us: 588000 }, { p: 2, us: 590000 }], x: { field: 'p', title: 'p' } }) as { encoding: Record<string, Record<string, unknown>> };
    expect(line.encoding['y']!['scale']).toEqual({ zero: false });
  });
});

describe('bar charts', () => {
  const grouped: ChartSpec = {
    id: 'rate',
    title: 'rate by mode',
    mark: 'bar',
    data: [
      { mode: 'direct / offload on', load: 'no load', rate: 89000 },
      { mode: 'direct / offload on', load: 'load 6', rate: 8 },
      { mode: 'prequeue / offload off', load: 'no load', rate: 89100 },
      { mode: 'prequeue / offload off', load: 'load 6', rate: 7 },
    ],
    x: { field: 'mode', title: 'rx path', type: 'nominal' },
    y: { field: 'rate', title: 'messages per second' },
    color: { field: 'load', title: 'competing load' },
  };
  it('bars_with_series_are_grouped_side_by_side_not_stacked', () => {
    const vl = toVegaLite(grouped) as { encoding: Record<string, Record<string, unknown>> };
    expect(vl.encoding['y']!['stack']).toBeNull();
    expect(vl.encoding['xOffset']).toEqual({ field: 'load', type: 'nominal' });
  });
  it('log_bars_start_at_the_decade_below_the_smallest_value', () => {
    const vl = toVegaLite(grouped) as { encoding: Record<string, Record<string, unknown>> };
    expect(vl.encoding['y']!['scale']).toEqual({ type: 'log', domain: [1, 1e5] });
  });
  it('long_category_labels_are_slanted_and_not_truncated', async () => {
    const vl = toVegaLite(grouped) as { encoding: Record<string, Record<string, unknown>> };
    expect(vl.encoding['x']!['axis']).toMatchObject({ labelAngle: -30 });
    const svg = await renderSvg(toVegaLite(grouped));
    expect(svg).toContain('prequeue / offload off');
    expect(svg).toContain('competing load');
  });
});

describe('number formatting for tables', () => {
  it('three significant digits with SI prefixes from 10 000', () => {
    expect(formatNumber(941234567.5)).toBe('941M');
    expect(formatNumber(9.41e9)).toBe('9.41G');
    expect(formatNumber(12345)).toBe('12.3k');
    expect(formatNumber(9999)).toBe('9999');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(-2.5e6)).toBe('-2.5M');
    expect(formatNumber(Number.NaN)).toBe('NaN');
  });
});
