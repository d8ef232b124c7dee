/**
 * Lab parameters on the command line: the option name of each ParamDef
 * (`rxPath` → `--rx-path`, `linkRateBps` → `--link-rate`, `msgBytes` →
 * `--msg-bytes`, `warmupNs` → `--warmup`), commander Options with parsers whose
 * errors name the option and the accepted values, and the sweep's
 * `--param name=v1,v2,…` grammar.
 *
 * Owns: the CLI spelling of parameters. Values are checked by the lab's own
 * parseParam (src/lab/params.ts), so the CLI and the API accept the same things.
 */
import { InvalidArgumentError, Option } from 'commander';
import { COMMON_PARAM_DEFS, parseParam, type ParamDef } from '../../lab/registry.js';
import type { SweepAxis } from '../../lab/sweep.js';
import { formatDuration, formatRate, formatSize } from '../../util/units.js';

/** CLI names of the common parameters, as the lab's documentation spells them. */
const COMMON_OPTION_NAMES: Readonly<Record<string, string>> = {
  transport: 'transport',
  seed: 'seed',
  rxPath: 'rx-path',
  delack: 'delack',
  csum: 'csum',
  copy: 'copy',
  era: 'era',
  linkRateBps: 'link-rate',
  delayNs: 'delay',
  loss: 'loss',
  cpus: 'cpus',
  durationNs: 'duration',
};

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** commander's attribute name for an option name ('msg-bytes' → 'msgBytes'). */
export const camel = (s: string): string => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** The option name (without dashes) of a parameter. The unit suffix goes: values carry their unit ('--warmup 5ms'). */
export function optionName(def: ParamDef): string {
  const common = COMMON_OPTION_NAMES[def.name];
  if (common !== undefined) return common;
  let n = def.name;
  if (def.type === 'duration' && /.Ns$/.test(n)) n = n.slice(0, -2);
  if (def.type === 'rate' && /.Bps$/.test(n)) n = n.slice(0, -3);
  return kebab(n);
}

/** A parameter's default as people write it. */
export function showDefault(def: ParamDef): string {
  const v = def.default;
  if (typeof v === 'number') {
    if (def.type === 'rate') return formatRate(v).replace(' ', '');
    if (def.type === 'duration') return formatDuration(v).replace(' ', '');
    if (def.type === 'size') return formatSize(v).replace(' ', '');
  }
  return String(v);
}

function placeholder(def: ParamDef): string {
  if (def.choices && def.choices.join('|').length <= 40) return def.choices.join('|');
  return { int: 'n', number: 'x', string: 'word', rate: 'rate', duration: 'time', size: 'bytes' }[def.type];
}

/** Parse one value as option `--name` (the error names the option and what it accepts). */
export function parseOptionValue(def: ParamDef, label: string, raw: string): unknown {
  try {
    // Parse under the lab's own name (parseParam keys some behaviour on it, e.g. loss takes '1%'),
    // then say the option as the user typed it.
    return parseParam(def, raw);
  } catch (e) {
    const msg = (e as Error).message;
    const lead = [`option ${def.name} `, `${def.name} `].find((p) => msg.startsWith(p));
    throw new InvalidArgumentError(lead ? `${label} ${msg.slice(lead.length)}` : `${label}: ${msg}`);
  }
}

/** A commander Option for a parameter; no commander default, so the lab's defaults apply to what is not given. */
export function paramOption(def: ParamDef): Option {
  const name = optionName(def);
  const desc = `${def.description} (default: ${showDefault(def)})`;
  return new Option(`--${name} <${placeholder(def)}>`, desc).argParser((v: string) => parseOptionValue(def, `--${name}`, v));
}

export { COMMON_PARAM_DEFS };

/**
 * The parameters given on the command line, keyed by ParamDef name, from
 * commander's parsed options (only those present: defaults stay the lab's).
 */
export function paramsFromOptions(opts: Record<string, unknown>, defs: readonly ParamDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of defs) {
    const v = opts[camel(optionName(d))];
    if (v !== undefined) out[d.name] = v;
  }
  return out;
}

/** Find a parameter by its option name ('link-rate') or its lab name ('linkRateBps'). */
export function findParam(name: string, defs: readonly ParamDef[]): ParamDef | undefined {
  const n = name.replace(/^--/, '');
  return defs.find((d) => optionName(d) === n || d.name === n);
}

/** Parse one `--param name=v1,v2,…` into a sweep axis; errors name the parameter and what is accepted. */
export function parseSweepParam(spec: string, defs: readonly ParamDef[], workload: string): SweepAxis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--param must be name=value[,value…] (e.g. rooms=1,10); got ${JSON.stringify(spec)}`);
  const name = spec.slice(0, eq).trim();
  const def = findParam(name, defs);
  if (def === undefined) {
    throw new InvalidArgumentError(`--param: ${workload} has no parameter ${JSON.stringify(name)}; accepted: ${defs.map(optionName).join(', ')}`);
  }
  const label = optionName(def);
  const raw = spec.slice(eq + 1).split(',').map((s) => s.trim());
  if (raw.some((s) => s === '')) throw new InvalidArgumentError(`--param ${label}: empty value in ${JSON.stringify(spec)}; give a comma-separated list such as ${label}=1,2,3`);
  const values = raw.map((r) => parseOptionValue(def, `--param ${label}`, r));
  return { def, label, values };
}
