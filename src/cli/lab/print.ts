/**
 * Human output of lab commands: aligned tables (numbers right-aligned and
 * compact, units in the headers) and finding lines.
 */
import type { ExperimentReport, Table } from '../../lab/types.js';
import { columnHeader, formatCell } from '../../lab/report/format.js';

/** The table as aligned text lines (declared columns only; the CSV has every key). */
export function tableLines(table: Table): string[] {
  const cols = table.columns;
  const head = cols.map((c) => columnHeader(c));
  const cells = table.rows.map((r) => cols.map((c) => formatCell(r[c.key])));
  const numeric = cols.map((c) => table.rows.some((r) => typeof r[c.key] === 'number'));
  const width = cols.map((_c, j) => Math.max(head[j]!.length, ...cells.map((row) => row[j]!.length)));
  const fmt = (row: string[]) => row.map((s, j) => (numeric[j] ? s.padStart(width[j]!) : s.padEnd(width[j]!))).join('  ').trimEnd();
  return [fmt(head), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)];
}

/** An experiment: title, table, finding. */
export function experimentLines(e: ExperimentReport): string[] {
  return [`== ${e.title}`, ...tableLines(e.table), `finding: ${e.finding}`, ''];
}

/** Key/value lines, keys aligned. */
export function keyValueLines(entries: readonly [string, string][], indent = '  '): string[] {
  const w = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${indent}${k.padEnd(w)}  ${v}`);
}
