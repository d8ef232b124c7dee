/**
 * Lab parameters: the definitions of the common parameters (CommonParams) and
 * of each workload's own ones, their defaults, and validation.
 *
 * Owns: turning loosely typed input (CLI strings such as '10Gbit', '2ms',
 * '64KiB', or numbers from code) into checked values, and the error messages
 * for bad ones — each names the option and the accepted values (STYLE lesson 14).
 * Must not: run anything.
 */
import { describeValue } from '../util/describe.js';
import { parseDuration, parseProbability, parseRate, parseSize } from '../util/units.js';
import {
  COPY_MODES,
  CSUM_MODES,
  DELACKS,
  ERA_NAMES,
  RX_PATHS,
  TRANSPORTS,
  type CommonParams,
} from './types.js';

export type ParamType = 'int' | 'number' | 'string' | 'rate' | 'duration' | 'size';

export interface ParamDef {
  name: string;
  type: ParamType;
  default: unknown;
  /** For 'string' parameters: the accepted values. */
  choices?: readonly string[];
  /** Inclusive bounds for numeric parameters (after unit parsing). */
  min?: number;
  max?: number;
  description: string;
}

/** The parameters every workload understands (the CLI maps its common options onto these). */
export const COMMON_PARAM_DEFS: readonly ParamDef[] = [
  { name: 'transport', type: 'string', default: 'sim', choices: TRANSPORTS, description: 'where the workload runs: simulator (virtual time), zerostack in-process (real time), kernel loopback via node:net' },
  { name: 'seed', type: 'int', default: 1, min: 0, max: 0xffffffff, description: 'seed of every random choice in a simulated run (same seed ⇒ same result)' },
  { name: 'rxPath', type: 'string', default: 'direct', choices: RX_PATHS, description: 'TCP receive path on simulated hosts (background/receive-path.md §2)' },
  { name: 'delack', type: 'string', default: 'linux', choices: DELACKS, description: 'delayed-ACK policy' },
  { name: 'csum', type: 'string', default: 'unnecessary', choices: CSUM_MODES, description: 'NIC checksum offload: none (software), unnecessary (rx verified + tx offload), complete (rx sum supplied + tx offload)' },
  { name: 'copy', type: 'string', default: 'copy', choices: COPY_MODES, description: 'send-side copy mode (zerocopy also receives without copying)' },
  { name: 'era', type: 'string', default: '2025', choices: ERA_NAMES, description: 'host cost-model preset' },
  { name: 'linkRateBps', type: 'rate', default: 10e9, description: 'simulated link rate (bit/s, or a string such as 10Gbit)' },
  { name: 'delayNs', type: 'duration', default: 20_000, description: 'simulated one-way propagation delay (ns, or a string such as 20us)' },
  { name: 'loss', type: 'number', default: 0, min: 0, max: 1, description: 'simulated loss probability per frame (0..1 or a percentage string)' },
  { name: 'cpus', type: 'int', default: 2, min: 1, max: 256, description: 'CPUs per simulated host' },
  { name: 'durationNs', type: 'duration', default: 50_000_000, min: 1, description: 'measurement duration of time-bound workloads (bulk, rr)' },
];

/** Defaults of the common parameters. */
export const DEFAULT_PARAMS: CommonParams = Object.freeze(
  Object.fromEntries(COMMON_PARAM_DEFS.map((d) => [d.name, d.default])) as unknown as CommonParams,
);

function fail(name: string, value: unknown, expected: string): never {
  throw new RangeError(`option ${name} must be ${expected}; got ${describeValue(value)}`);
}

/** Parse and check one value against its definition. */
export function parseParam(def: ParamDef, value: unknown): unknown {
  const name = def.name;
  switch (def.type) {
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number') fail(name, value, def.choices ? `one of ${def.choices.join(', ')}` : 'a string');
      const s = String(value);
      if (def.choices !== undefined && !def.choices.includes(s)) fail(name, value, `one of ${def.choices.join(', ')}`);
      return s;
    }
    case 'int':
    case 'number': {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '') n = def.name === 'loss' ? parseProbability(name, value) : Number(value);
      else n = NaN;
      const kind = def.type === 'int' ? 'an integer' : 'a number';
      const range = rangeText(def);
      if (!Number.isFinite(n) || (def.type === 'int' && !Number.isSafeInteger(n))) fail(name, value, `${kind}${range}`);
      checkRange(def, n, value, kind);
      return n;
    }
    case 'rate':
    case 'duration':
    case 'size': {
      if (typeof value !== 'number' && typeof value !== 'string') fail(name, value, `a ${def.type}`);
      const n = def.type === 'rate' ? parseRate(name, value) : def.type === 'duration' ? parseDuration(name, value) : parseSize(name, value);
      checkRange(def, n, value, `a ${def.type}`);
      return n;
    }
  }
}

function rangeText(def: ParamDef): string {
  if (def.min !== undefined && def.max !== undefined) return ` from ${def.min} to ${def.max}`;
  if (def.min !== undefined) return ` >= ${def.min}`;
  if (def.max !== undefined) return ` <= ${def.max}`;
  return '';
}

function checkRange(def: ParamDef, n: number, raw: unknown, kind: string): void {
  if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) fail(def.name, raw, `${kind}${rangeText(def)}`);
}

/**
 * Check a parameter object against `defs` (plus the common ones), filling in
 * defaults. Unknown keys are rejected with the list of known ones.
 */
export function resolveParams(p: Record<string, unknown> | undefined, defs: readonly ParamDef[], what: string): Record<string, unknown> {
  if (p !== undefined && (typeof p !== 'object' || p === null || Array.isArray(p))) {
    throw new TypeError(`${what} parameters must be an object; got ${describeValue(p)}`);
  }
  const all = [...COMMON_PARAM_DEFS, ...defs];
  const byName = new Map(all.map((d) => [d.name, d]));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(p ?? {})) {
    if (!byName.has(k)) throw new TypeError(`unknown ${what} option ${JSON.stringify(k)} (known: ${all.map((d) => d.name).join(', ')})`);
  }
  for (const d of all) {
    const v = p?.[d.name];
    out[d.name] = v === undefined ? d.default : parseParam(d, v);
  }
  return out;
}

/**
 * The common parameters of `p`, with defaults, checked (workload-specific keys
 * are ignored here; `resolveParams` checks those). Throws a RangeError naming
 * the bad option and the accepted values.
 */
export function validateParams(p: Partial<CommonParams> & Record<string, unknown> = {}): CommonParams {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new TypeError(`lab parameters must be an object; got ${describeValue(p)}`);
  const out: Record<string, unknown> = {};
  for (const d of COMMON_PARAM_DEFS) {
    const v = p[d.name];
    out[d.name] = v === undefined ? d.default : parseParam(d, v);
  }
  return out as unknown as CommonParams;
}
