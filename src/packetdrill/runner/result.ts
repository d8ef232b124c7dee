/**
 * What running one script produces: the two verdicts and the list of failures,
 * each saying what differed, when, and whether the portable verdict forgives it.
 *
 * Owns: the result types and their one-line rendering. Must not: run anything.
 */

export type Verdict = 'pass' | 'fail' | 'unsupported';

export interface Failure {
  /** Script line and column of the event that failed (0 for teardown). */
  readonly line: number;
  readonly column: number;
  /** Virtual time of the failure in seconds since the script started. */
  readonly time: number;
  /**
   * 'packet' (fields differ), 'timing' (too early/late), 'missing' (no packet),
   * 'unexpected' (a different packet came before the expected one), 'syscall'
   * (return value, errno or value by pointer), 'command', 'assert', 'runner'.
   */
  readonly kind: string;
  readonly message: string;
  readonly expected?: string;
  readonly actual?: string;
  /** true when only the strict verdict fails on this. */
  readonly portable: boolean;
  /** What portable forgave, e.g. 'option order/padding'. */
  readonly forgiven?: string;
}

export interface ScriptResult {
  readonly path: string;
  readonly strict: Verdict;
  readonly portable: Verdict;
  /** Set when a verdict is 'unsupported': what the runner cannot honour. */
  readonly unsupported?: string;
  /** In order; the run stops at the first failure portable does not forgive. */
  readonly failures: readonly Failure[];
  /** Virtual seconds the script ran. */
  readonly duration: number;
  /** --verbose trace. */
  readonly log: readonly string[];
  /** pcap file bytes when a capture was requested. */
  readonly pcap?: Uint8Array;
}

/** The failure that decides a verdict: the first one (strict) or the first not forgiven (portable). */
export function firstMismatch(r: ScriptResult, mode: 'strict' | 'portable'): Failure | undefined {
  return mode === 'strict' ? r.failures[0] : r.failures.find((f) => !f.portable);
}

export function formatFailure(f: Failure): string {
  let s = `line ${f.line}: ${f.time.toFixed(6)} s: ${f.message}`;
  if (f.expected !== undefined) s += `\n    expected: ${f.expected}`;
  if (f.actual !== undefined) s += `\n    actual:   ${f.actual}`;
  if (f.portable) s += `\n    (strict only: portable forgives ${f.forgiven ?? 'it'})`;
  return s;
}
