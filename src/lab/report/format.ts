/**
 * How report values are shown to people (terminal tables, index.html): numbers
 * compact and aligned-friendly, SI prefixes for large magnitudes so a goodput of
 * 9412345678 bit/s reads "9.41G". CSV and JSON keep the exact numbers; this is
 * display only.
 */

const SI: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e4, 'k'], // from 10 000 on: "12.3k"; below that the plain number is short enough
];

/** Three significant digits, SI prefix from 10 000 up; integers below that as written. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  for (const [f, p] of SI) {
    if (a >= f) {
      const unit = f === 1e4 ? 1e3 : f;
      return `${trimDigits(x / unit)}${p}`;
    }
  }
  if (Number.isInteger(x)) return String(x);
  return trimDigits(x);
}

/** Three significant digits (at least the integer part), trailing zeros dropped. */
function trimDigits(x: number): string {
  const a = Math.abs(x);
  const decimals = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.01 ? 3 : 4;
  const s = x.toFixed(decimals);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A table cell for display: '' for null, numbers via formatNumber, booleans as yes/no. */
export function formatCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return v;
}

/** A column header with its unit: "goodput (bit/s)". */
export function columnHeader(c: { label: string; unit?: string }): string {
  return c.unit && c.unit !== c.label ? `${c.label} (${c.unit})` : c.label;
}
