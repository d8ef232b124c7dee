/**
 * Tables as CSV (RFC 4180): a header of column keys, one line per row, CRLF
 * line ends, fields quoted when they hold a comma, quote or line break. Values
 * are written exactly (numbers via String(), so they read back unchanged);
 * null is an empty field. `parseCsv` reads such text back (tests, tools).
 */
import type { Table } from '../types.js';

type Cell = string | number | boolean | null | undefined;

/** RFC 4180 §2.6–2.7: quote fields with separators or quotes; double embedded quotes. */
export function csvField(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The keys to write: the table's columns in order, then any row keys they miss (nothing is dropped). */
export function csvKeys(table: Table): string[] {
  const keys = table.columns.map((c) => c.key);
  const seen = new Set(keys);
  for (const row of table.rows) {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) {
        seen.add(k);
        keys.push(k);
      }
    }
  }
  return keys;
}

export function tableToCsv(table: Table): string {
  const keys = csvKeys(table);
  const lines = [keys.map(csvField).join(',')];
  for (const row of table.rows) lines.push(keys.map((k) => csvField(row[k])).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** Parse RFC 4180 text into records of strings (the first line is the header). */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = 0;
  const endField = () => {
    record.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') endField();
    else if (ch === '\r' && text[i + 1] === '\n') {
      endRecord();
      i++;
    } else if (ch === '\n') endRecord();
    else field += ch;
    i++;
  }
  if (field !== '' || record.length > 0) endRecord();
  const [header, ...rows] = records;
  if (header === undefined) return [];
  return rows.map((r) => Object.fromEntries(header.map((k, j) => [k, r[j] ?? ''])));
}
