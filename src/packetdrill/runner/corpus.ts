/**
 * Running many scripts: collecting .pkt files from paths, running each, and
 * summarising the verdicts (per directory, and the failure causes grouped) for
 * the CLI and the corpus test.
 *
 * Owns: file discovery and the summary shape (`--json`). Must not: decide
 * verdicts (runner.ts does).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { firstMismatch, type Failure, type ScriptResult } from './result.js';
import { runScriptText, type RunOptions } from './runner.js';

/** Every .pkt file under the given files/directories, sorted within each directory. */
export function collectScripts(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e));
    } else if (p.endsWith('.pkt')) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export interface RunFilesOptions extends RunOptions {
  /** #ifdef names (default FreeBSD, the corpus's own platform). */
  readonly defines?: Readonly<Record<string, string>>;
}

export function runFile(path: string, opts: RunFilesOptions = {}): ScriptResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const f: Failure = { line: 0, column: 0, time: 0, kind: 'runner', message: `cannot read ${path}: ${(e as Error).message}`, portable: false };
    return { path, strict: 'fail', portable: 'fail', failures: [f], duration: 0, log: [] };
  }
  return runScriptText(text, { ...opts, file: path });
}

export interface Summary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly unsupported: number;
}

export function summarize(results: readonly ScriptResult[], mode: 'strict' | 'portable'): Summary {
  let passed = 0;
  let failed = 0;
  let unsupported = 0;
  for (const r of results) {
    const v = r[mode];
    if (v === 'pass') passed++;
    else if (v === 'fail') failed++;
    else unsupported++;
  }
  return { total: results.length, passed, failed, unsupported };
}

/** Pass counts per directory (relative to `root`). */
export function byDirectory(results: readonly ScriptResult[], root: string): Map<string, { total: number; strict: number; portable: number }> {
  const m = new Map<string, { total: number; strict: number; portable: number }>();
  for (const r of results) {
    const rel = relative(root, r.path);
    const top = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : dirname(rel);
    const e = m.get(top) ?? { total: 0, strict: 0, portable: 0 };
    e.total++;
    if (r.strict === 'pass') e.strict++;
    if (r.portable === 'pass') e.portable++;
    m.set(top, e);
  }
  return m;
}

/** The deciding failure of each non-passing script, grouped by its message with numbers blanked. */
export function failureCauses(results: readonly ScriptResult[], mode: 'strict' | 'portable'): [string, number][] {
  const m = new Map<string, number>();
  for (const r of results) {
    if (r[mode] === 'pass') continue;
    const f = firstMismatch(r, mode);
    const key = r.unsupported !== undefined ? `unsupported: ${r.unsupported}` : f === undefined ? 'unknown' : `${f.kind}: ${f.message.replace(/\d+\.\d+/g, 'T').replace(/\s+/g, ' ')}`;
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
