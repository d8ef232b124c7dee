/**
 * Comparing one expected outbound packet (`>` event, already mapped into live
 * values where packetdrill maps them) with what the stack sent.
 *
 * Every difference names the field, the expected and the actual value, and
 * whether the `portable` verdict forgives it. Portable forgives only a stack's
 * local choices: option order and padding (the same kinds with the same values
 * are still required) and timestamp values. Everything else packetdrill checks
 * (flags, seq, ack, win when written, urg when written, length, option kinds and
 * values, checksums, ECN when written) fails both verdicts.
 *
 * Owns: the field-by-field rules. Must not: look at time (the runner checks
 * timing) or at sequence-space mapping.
 */
import type { IpInfo } from '../ast.js';
import { flagLetters, formatOption, type LivePacket, type WireOption } from './packets.js';

export interface Difference {
  /** 'flags' | 'seq' | 'ack' | 'win' | 'urg' | 'len' | 'options' | 'checksum' | 'ecn' | 'ts' */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  /** true when the portable verdict forgives this difference. */
  readonly portable: boolean;
  /** Why portable forgives it (when it does). */
  readonly note?: string;
}

/** The expectation after mapping: seq relative to the stack's ISN is already turned into a live value. */
export interface ExpectedSegment {
  readonly flags: number;
  /** Live start sequence number, or null for `...(len)` (unchecked). */
  readonly seq: number | null;
  readonly len: number;
  readonly ack?: number;
  readonly win?: number;
  readonly urg?: number;
  /** null: none may be present; 'any': unchecked. */
  readonly options: readonly WireOption[] | 'any';
  readonly ipInfo?: IpInfo;
  /** --tcp_ts_tick_usecs: when non-zero, TS val must be within tolerance ticks (packetdrill). */
  readonly tsValCheck?: { readonly script: number; readonly live: (v: number) => boolean };
}

const ECN_NAME = ['noecn', 'ect1', 'ect0', 'ce'];

/** Field differences between `exp` and the live packet `p` (seq/ack already in live space). */
export function compareSegment(exp: ExpectedSegment, p: LivePacket, seqShown: (live: number) => number): Difference[] {
  const d: Difference[] = [];
  if (!p.ipChecksumOk) d.push({ field: 'checksum', expected: 'valid IPv4 header checksum', actual: 'invalid', portable: false });
  if (!p.tcpChecksumOk) d.push({ field: 'checksum', expected: 'valid TCP checksum', actual: 'invalid', portable: false });
  if (exp.flags !== p.flags) d.push({ field: 'flags', expected: flagLetters(exp.flags), actual: flagLetters(p.flags), portable: false });
  if (exp.seq !== null && exp.seq >>> 0 !== p.seq) d.push({ field: 'seq', expected: String(seqShown(exp.seq)), actual: String(seqShown(p.seq)), portable: false });
  if (exp.len !== p.payloadLen) d.push({ field: 'len', expected: String(exp.len), actual: String(p.payloadLen), portable: false });
  if (exp.ack !== undefined && exp.ack >>> 0 !== p.ack) d.push({ field: 'ack', expected: String(exp.ack >>> 0), actual: String(p.ack), portable: false });
  if (exp.win !== undefined && exp.win !== p.win) d.push({ field: 'win', expected: String(exp.win), actual: String(p.win), portable: false });
  if (exp.urg !== undefined && exp.urg !== p.urg) d.push({ field: 'urg', expected: String(exp.urg), actual: String(p.urg), portable: false });
  const ecn = exp.ipInfo?.ecn;
  if (ecn !== undefined) {
    const want = ecn === 'noecn' ? 0 : ecn === 'ect1' ? 1 : ecn === 'ect0' ? 2 : ecn === 'ce' ? 3 : -1;
    if (ecn === 'ect01' ? p.ecn !== 1 && p.ecn !== 2 : want !== p.ecn) d.push({ field: 'ecn', expected: ecn, actual: ECN_NAME[p.ecn]!, portable: false });
  }
  if (exp.options !== 'any') d.push(...compareOptions(exp.options, p.options, exp.tsValCheck));
  return d;
}

const show = (opts: readonly WireOption[]): string => (opts.length === 0 ? '(none)' : `<${opts.map(formatOption).join(',')}>`);

/**
 * packetdrill compares option lists kind by kind in order (NOP and EOL padding
 * included), lengths and values; TS val only with --tcp_ts_tick_usecs. When that
 * fails, portable compares the lists without NOP/EOL as multisets: equal there
 * means only order or padding differ. TS ecr differences are timestamp values.
 */
export function compareOptions(exp: readonly WireOption[], act: readonly WireOption[], tsVal?: ExpectedSegment['tsValCheck']): Difference[] {
  const d: Difference[] = [];
  let sameOrder = exp.length === act.length;
  let tsDiff: Difference | null = null;
  for (let i = 0; sameOrder && i < exp.length; i++) {
    const e = exp[i]!;
    const a = act[i]!;
    if (e.kind !== a.kind) sameOrder = false;
    else if (e.kind === 'timestamp' && a.kind === 'timestamp') {
      if (e.ecr !== a.ecr) tsDiff = { field: 'ts', expected: `TS ecr ${e.ecr}`, actual: `TS ecr ${a.ecr}`, portable: true, note: 'timestamp value' };
      else if (tsVal !== undefined && !tsVal.live(a.val)) tsDiff = { field: 'ts', expected: `TS val ${tsVal.script} (±tolerance)`, actual: `TS val ${a.val}`, portable: true, note: 'timestamp value' };
    } else if (key(e) !== key(a)) sameOrder = false;
  }
  if (sameOrder) {
    if (tsDiff !== null) d.push(tsDiff);
    return d;
  }
  // Not the same list in order: does portable forgive it (same kinds and values, other order or padding)?
  const strip = (l: readonly WireOption[]): string[] => l.filter((o) => o.kind !== 'nop' && o.kind !== 'eol').map((o) => (o.kind === 'timestamp' ? 'TS' : key(o))).sort();
  const se = strip(exp);
  const sa = strip(act);
  const sameSet = se.length === sa.length && se.every((k, i) => k === sa[i]);
  d.push({ field: 'options', expected: show(exp), actual: show(act), portable: sameSet, ...(sameSet ? { note: 'option order/padding' } : {}) });
  return d;
}

function key(o: WireOption): string {
  switch (o.kind) {
    case 'nop': case 'eol': case 'sackOK': return o.kind;
    case 'mss': case 'wscale': return `${o.kind} ${o.value}`;
    case 'sack': return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'timestamp': return 'TS';
    case 'other': return `opt${o.code}:${o.data.join('.')}`;
  }
}
