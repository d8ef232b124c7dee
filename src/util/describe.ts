/**
 * How a rejected option value is shown in an error message: strings quoted,
 * plain values as written, objects as JSON when possible. One helper so every
 * "option X must be …; got …" message looks the same.
 */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return Object.prototype.toString.call(v);
    }
  }
  return `a value of type ${typeof v}`;
}
