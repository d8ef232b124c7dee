/**
 * Writes a report folder for a LabReport:
 *   results.json        the whole LabReport (tables, findings, chart data, extras)
 *   runs.jsonl          the raw workload results, one per line (when given)
 *   <experiment>.csv    one CSV per experiment table
 *   <chart>.svg/.png    every chart, rendered via vega-lite → vega → resvg
 *   index.html          tables, findings and charts; opens offline
 *
 * Owns: file names and layout. Ids become file names: characters outside
 * [A-Za-z0-9._-] are replaced, and two ids that map to the same file are an
 * error (they would overwrite each other).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabReport } from '../types.js';
import { tableToCsv } from './csv.js';
import { reportHtml, type HtmlFiles } from './html.js';
import { renderPng, renderSvg } from './render.js';
import { toVegaLite } from './vega-spec.js';

export interface WrittenReport {
  dir: string;
  /** Paths of every file written, relative to `dir`. */
  files: string[];
}

/** A file-name-safe version of an id. */
export function safeName(id: string): string {
  const s = id.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return s === '' ? 'unnamed' : s;
}

/** JSON that survives what workloads may hold: bigints as strings, Maps as objects, typed arrays as arrays. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Map) return Object.fromEntries(v);
      if (v instanceof Set) return [...v];
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    indent,
  );
}

export async function writeReport(dir: string, report: LabReport, results?: readonly unknown[]): Promise<WrittenReport> {
  const files: HtmlFiles = { csv: new Map(), charts: new Map() };
  const used = new Map<string, string>([['results.json', '(report)'], ['index.html', '(report)'], ['runs.jsonl', '(report)']]);
  const claim = (file: string, owner: string) => {
    const prev = used.get(file);
    if (prev !== undefined) throw new Error(`report ${owner} would overwrite ${file} (also written for ${prev}); give them distinct ids`);
    used.set(file, owner);
    return file;
  };
  for (const e of report.experiments) {
    files.csv.set(e.id, claim(`${safeName(e.id)}.csv`, `table of experiment "${e.id}"`));
    for (const c of e.charts) {
      const base = safeName(c.id);
      const owner = `chart "${c.id}"`;
      files.charts.set(c.id, { svg: claim(`${base}.svg`, owner), png: claim(`${base}.png`, owner) });
    }
  }

  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const put = async (file: string, data: string | Buffer) => {
    await writeFile(join(dir, file), data);
    written.push(file);
  };
  await put('results.json', toJson(report, 2) + '\n');
  if (results !== undefined) await put('runs.jsonl', results.map((r) => toJson(r)).join('\n') + (results.length ? '\n' : ''));
  for (const e of report.experiments) {
    await put(files.csv.get(e.id)!, tableToCsv(e.table));
    for (const c of e.charts) {
      const f = files.charts.get(c.id)!;
      const svg = await renderSvg(toVegaLite(c));
      await put(f.svg, svg);
      await put(f.png, renderPng(svg));
    }
  }
  await put('index.html', reportHtml(report, files));
  return { dir, files: written };
}
