/**
 * Configuration values with units: parse what people type ('10Gbit', '200us',
 * '64KiB', '1%') into the stack's internal units, and format them back for reports.
 *
 * Owns: the unit grammar, the internal units (bit/s, ns, bytes, probability in
 * [0, 1]) and the error messages for bad values.
 * Must not: be called per packet — parse options once, at configuration time.
 *
 * Grammar: a decimal number (optional fraction and exponent), optional spaces,
 * then a unit. A plain JS number, or a string without a unit, is already in the
 * internal unit. Decimal SI prefixes are powers of 1000 (k = 10^3 … T = 10^12);
 * binary IEC prefixes (Ki, Mi, Gi, Ti) powers of 1024.
 *  - rate: bit, bits, bit/s, bits/s, bps, b/s; bytes: B/s, Bps, byte/s, bytes/s
 *    (x 8). Prefixes are case-insensitive ('100mbit', as tc writes it, is 100
 *    Mbit/s — nobody means millibits). Unlike tc, 'bps' means bits per second.
 *    Result: bit/s, a positive finite number (may be fractional).
 *  - duration: ns, us, µs, μs, ms, s, min, h. Result: ns, rounded to the nearest
 *    integer; must be >= 0. A plain JS number must already be an integer.
 *  - size: B, byte, bytes, kB/KB (1000), MB, GB, TB, KiB (1024), MiB, GiB, TiB.
 *    Lower-case 'b' means bits and is rejected. Result: an integer number of
 *    bytes >= 0; a value that is not a whole number of bytes is rejected.
 *  - probability: a number in [0, 1], or a percentage string ('1%', '0.5 %').
 *
 * Errors follow Node's argument errors and name the option and the value: a
 * TypeError (code ERR_INVALID_ARG_TYPE) for a value of the wrong JS type, a
 * TypeError (code ERR_INVALID_ARG_VALUE) for a string that does not parse or has
 * an unknown unit, a RangeError (code ERR_OUT_OF_RANGE) for a value out of range.
 */
import { describeValue } from './describe.js';

/** What parse functions accept. */
export type UnitValue = number | string;

type ErrCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';


function fail(code: ErrCode, option: string, v: unknown, expected: string): Error {
  const msg = `${option} must be ${expected}; got ${describeValue(v)}`;
  const err = code === 'ERR_OUT_OF_RANGE' ? new RangeError(msg) : new TypeError(msg);
  return Object.assign(err, { code });
}

const NUMBER_WITH_UNIT = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(\S*?)\s*$/;

/** Split "1.5 Gbit" into [1.5, 'Gbit'], or throw naming the option. */
function split(option: string, v: UnitValue, expected: string): [number, string] {
  if (typeof v === 'number') return [v, ''];
  if (typeof v !== 'string') throw fail('ERR_INVALID_ARG_TYPE', option, v, expected);
  const m = NUMBER_WITH_UNIT.exec(v);
  if (!m) throw fail('ERR_INVALID_ARG_VALUE', option, v, expected);
  return [Number(m[1]), m[2]!];
}

// ---- rate ----------------------------------------------------------------

const RATE_EXPECTED =
  "a positive rate: a number of bit/s or a string with a unit such as '10Gbit', '100Mbit/s', '1.5Gbps', '9600bit', '125MB/s'";

const DECIMAL_PREFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
const BINARY_PREFIX: Record<string, number> = { ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4 };
const BIT_RATE_UNITS = new Set(['bit', 'bits', 'bit/s', 'bits/s', 'bps', 'b/s']);
const BYTE_RATE_UNITS = new Set(['B/s', 'Bps', 'byte/s', 'bytes/s', 'Byte/s', 'Bytes/s']);

/** The multiplier (bit/s) for a rate unit such as 'Gbit' or 'MB/s', or undefined. */
function rateFactor(unit: string): number | undefined {
  if (unit === '') return 1;
  for (const plen of [2, 1, 0]) {
    if (unit.length <= plen) continue;
    const prefix = unit.slice(0, plen).toLowerCase();
    const base = unit.slice(plen);
    const p = plen === 2 ? BINARY_PREFIX[prefix] : DECIMAL_PREFIX[prefix];
    if (p === undefined) continue;
    if (BIT_RATE_UNITS.has(base)) return p;
    if (BYTE_RATE_UNITS.has(base)) return p * 8;
  }
  return undefined;
}

/** Parse a link rate into bits per second (> 0, finite). */
export function parseRate(option: string, v: UnitValue): number {
  const [x, unit] = split(option, v, RATE_EXPECTED);
  const f = rateFactor(unit);
  if (f === undefined) throw fail('ERR_INVALID_ARG_VALUE', option, v, RATE_EXPECTED);
  const r = x * f;
  if (!(r > 0 && r < Infinity)) throw fail('ERR_OUT_OF_RANGE', option, v, RATE_EXPECTED);
  return r;
}

// ---- duration --------------------------------------------------------------

const DURATION_EXPECTED =
  "a duration from 0 to 2^53-1 ns (about 104 days): an integer number of ns or a string with a unit such as '1ms', '200us', '1.5s', '10ns', '40µs'";

const DURATION_UNITS: Record<string, number> = {
  '': 1,
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5 MICRO SIGN
  'μs': 1e3, // U+03BC GREEK SMALL LETTER MU
  ms: 1e6,
  s: 1e9,
  min: 60e9,
  h: 3600e9,
};

/** Parse a duration into an integer number of ns (>= 0). */
export function parseDuration(option: string, v: UnitValue): number {
  const [x, unit] = split(option, v, DURATION_EXPECTED);
  const f = Object.hasOwn(DURATION_UNITS, unit) ? DURATION_UNITS[unit]! : undefined;
  if (f === undefined) throw fail('ERR_INVALID_ARG_VALUE', option, v, DURATION_EXPECTED);
  if (typeof v === 'number' && !Number.isInteger(v)) throw fail('ERR_OUT_OF_RANGE', option, v, DURATION_EXPECTED);
  const ns = Math.round(x * f);
  if (!(ns >= 0 && ns <= Number.MAX_SAFE_INTEGER)) throw fail('ERR_OUT_OF_RANGE', option, v, DURATION_EXPECTED);
  return ns;
}

// ---- size ------------------------------------------------------------------

const SIZE_EXPECTED =
  "a whole number of bytes >= 0: an integer or a string with a unit such as '1500B', '64KiB', '1MiB', '10kB', '2MB'";

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  byte: 1,
  bytes: 1,
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Parse a size into an integer number of bytes (>= 0). */
export function parseSize(option: string, v: UnitValue): number {
  const [x, unit] = split(option, v, SIZE_EXPECTED);
  const f = Object.hasOwn(SIZE_UNITS, unit) ? SIZE_UNITS[unit]! : undefined;
  if (f === undefined) throw fail('ERR_INVALID_ARG_VALUE', option, v, SIZE_EXPECTED);
  const raw = x * f;
  const bytes = Math.round(raw);
  // Allow float noise from decimal fractions ('1.1kB' = 1100.0000000000002) but
  // not a fraction of a byte.
  const whole = Math.abs(raw - bytes) <= 1e-9 * Math.max(1, Math.abs(raw));
  if (!whole || !(bytes >= 0 && bytes <= Number.MAX_SAFE_INTEGER)) {
    throw fail('ERR_OUT_OF_RANGE', option, v, SIZE_EXPECTED);
  }
  return bytes;
}

// ---- probability -------------------------------------------------------------

const PROBABILITY_EXPECTED = "a probability in [0, 1]: a number such as 0.01 or a percentage such as '1%'";

/** Parse a probability into a number in [0, 1]. */
export function parseProbability(option: string, v: UnitValue): number {
  const [x, unit] = split(option, v, PROBABILITY_EXPECTED);
  if (unit !== '' && unit !== '%') throw fail('ERR_INVALID_ARG_VALUE', option, v, PROBABILITY_EXPECTED);
  const p = unit === '%' ? x / 100 : x;
  if (!(p >= 0 && p <= 1)) throw fail('ERR_OUT_OF_RANGE', option, v, PROBABILITY_EXPECTED);
  return p;
}

// ---- formatting --------------------------------------------------------------

/** At most `decimals` decimals, trailing zeros dropped: 1.500 -> '1.5'. */
function trim(x: number, decimals = 3): string {
  return String(Number(x.toFixed(decimals)));
}

/** '10 Gbit/s', '9.6 kbit/s', '1.5 Gbit/s' (decimal prefixes, 3 decimals; parseRate reads it back). */
export function formatRate(bitsPerSecond: number): string {
  const x = bitsPerSecond;
  if (!Number.isFinite(x)) return `${x} bit/s`;
  const a = Math.abs(x);
  if (a >= 1e12) return `${trim(x / 1e12)} Tbit/s`;
  if (a >= 1e9) return `${trim(x / 1e9)} Gbit/s`;
  if (a >= 1e6) return `${trim(x / 1e6)} Mbit/s`;
  if (a >= 1e3) return `${trim(x / 1e3)} kbit/s`;
  return `${trim(x)} bit/s`;
}

/** '1.5 ms', '200 µs', '10 ns', '3.2 s' (3 decimals; parseDuration reads it back). */
export function formatDuration(ns: number): string {
  const x = ns;
  if (!Number.isFinite(x)) return `${x} ns`;
  const a = Math.abs(x);
  if (a >= 1e9) return `${trim(x / 1e9)} s`;
  if (a >= 1e6) return `${trim(x / 1e6)} ms`;
  if (a >= 1e3) return `${trim(x / 1e3)} µs`;
  return `${trim(x)} ns`;
}

/** '1500 B', '64 KiB', '1.5 MiB' (binary prefixes, 3 decimals: for reports, not a lossless encoding). */
export function formatSize(bytes: number): string {
  const x = bytes;
  if (!Number.isFinite(x)) return `${x} B`;
  const a = Math.abs(x);
  if (a >= 1024 ** 4) return `${trim(x / 1024 ** 4)} TiB`;
  if (a >= 1024 ** 3) return `${trim(x / 1024 ** 3)} GiB`;
  if (a >= 1024 ** 2) return `${trim(x / 1024 ** 2)} MiB`;
  if (a >= 1024) return `${trim(x / 1024)} KiB`;
  return `${trim(x)} B`;
}
