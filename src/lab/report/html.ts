/**
 * index.html of a report folder: plain HTML with inline CSS and no scripts or
 * network references — the tables, each experiment's finding, and its charts
 * (SVG images next to the file, with links to the PNG and CSV). Every text that
 * comes from data is escaped.
 */
import type { LabReport } from '../types.js';
import { columnHeader, formatCell } from './format.js';
import { csvKeys } from './csv.js';

/** Escape text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A relative link to a file in the same folder; names are sanitised by the writer, this only URL-encodes. */
function href(file: string): string {
  return escapeHtml(encodeURIComponent(file));
}

export interface HtmlFiles {
  /** experiment id → CSV file name */
  csv: Map<string, string>;
  /** chart id → { svg, png } file names */
  charts: Map<string, { svg: string; png: string }>;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 80rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
.finding { background: #f4f8ff; border-left: 4px solid #4c78a8; padding: .5rem .8rem; }
table { border-collapse: collapse; font-size: .85rem; margin: .8rem 0; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f6f6f6; } figure { margin: 1rem 0; } img { max-width: 100%; }
.meta { color: #666; font-size: .9rem; }
`;

export function reportHtml(report: LabReport, files: HtmlFiles): string {
  const out: string[] = [];
  out.push('<!doctype html>', '<html lang="en"><head><meta charset="utf-8">');
  out.push(`<title>${escapeHtml(`zerostack ${report.command}`)}</title>`);
  out.push(`<style>${STYLE}</style></head><body>`);
  out.push(`<h1>${escapeHtml(`zerostack ${report.command}`)}</h1>`);
  const meta: string[] = [];
  if (report.seed !== undefined) meta.push(`seed ${report.seed}`);
  if (report.wallSeconds !== undefined) meta.push(`${report.wallSeconds.toFixed(1)} s wall clock`);
  if (report.simEvents !== undefined) meta.push(`${formatCell(report.simEvents)} simulated events`);
  if (report.simEventsPerSecond !== undefined) meta.push(`${formatCell(Math.round(report.simEventsPerSecond))} simulated events per wall-clock second`);
  meta.push('<a href="results.json">results.json</a>');
  out.push(`<p class="meta">${meta.map((m) => (m.startsWith('<a ') ? m : escapeHtml(m))).join(' · ')}</p>`);
  for (const e of report.experiments) {
    out.push(`<section id="${escapeHtml(e.id)}">`, `<h2>${escapeHtml(e.title)}</h2>`);
    out.push(`<p class="finding">${escapeHtml(e.finding)}</p>`);
    out.push(tableHtml(e.table));
    const csv = files.csv.get(e.id);
    if (csv !== undefined) out.push(`<p class="meta">table as CSV: <a href="${href(csv)}">${escapeHtml(csv)}</a></p>`);
    for (const c of e.charts) {
      const f = files.charts.get(c.id);
      if (f === undefined) continue;
      out.push(
        '<figure>',
        `<img src="${href(f.svg)}" alt="${escapeHtml(c.title)}">`,
        `<figcaption class="meta">${escapeHtml(c.title)} — <a href="${href(f.svg)}">SVG</a> · <a href="${href(f.png)}">PNG</a></figcaption>`,
        '</figure>',
      );
    }
    out.push('</section>');
  }
  out.push('</body></html>', '');
  return out.join('\n');
}

function tableHtml(table: LabReport['experiments'][number]['table']): string {
  const byKey = new Map(table.columns.map((c) => [c.key, c]));
  // Declared columns only (the CSV keeps every key); a table without declared columns shows all.
  const keys = table.columns.length > 0 ? table.columns.map((c) => c.key) : csvKeys(table);
  const head = keys.map((k) => `<th>${escapeHtml(columnHeader(byKey.get(k) ?? { label: k }))}</th>`).join('');
  const body = table.rows
    .map((r) => '<tr>' + keys.map((k) => `<td${typeof r[k] === 'number' ? ' class="num"' : ''}>${escapeHtml(formatCell(r[k]))}</td>`).join('') + '</tr>')
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
