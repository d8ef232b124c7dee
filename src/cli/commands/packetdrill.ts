/**
 * `zerostack packetdrill [--portable] [--verbose] [--json] [--pcap DIR] FILES|DIRS…`:
 * run packetdrill scripts against zerostack in virtual time (docs/packetdrill.md).
 * Prints one line per script with its verdict and first mismatch, then a
 * summary; exits 1 when a script fails under the chosen verdict.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { choiceOption, intOption } from '../options.js';
import { PROFILES, type ProfileName } from '../../packetdrill/runner/profile.js';
import { byDirectory, collectScripts, failureCauses, runFile, summarize } from '../../packetdrill/runner/corpus.js';
import { firstMismatch, formatFailure, type ScriptResult } from '../../packetdrill/runner/result.js';

interface Opts {
  portable?: boolean;
  verbose?: boolean;
  json?: boolean;
  pcap?: string;
  toleranceUsecs?: number;
  define?: string[];
  stats?: boolean;
  profile?: ProfileName;
}

export function register(program: Command): void {
  program
    .command('packetdrill')
    .description('run packetdrill (.pkt) scripts against zerostack in virtual time')
    .argument('<paths...>', '.pkt files or directories holding them')
    .option('--portable', 'judge by the portable verdict (forgives option order/padding, SO_RCVBUF/SO_SNDBUF rounding, timestamp values)')
    .option('--verbose', 'print every event and packet of each script')
    .option('--json', 'print one JSON object: {summary, scripts}')
    .option('--pcap <dir>', 'write a capture per script into DIR')
    .option('--tolerance-usecs <n>', "override the scripts' --tolerance_usecs", intOption('--tolerance-usecs'))
    .option('-D, --define <name=value...>', '#ifdef names (default FreeBSD=1)')
    .option('--profile <name>', `stack profile the scripts start from: ${PROFILES.join('|')} (default freebsd, the corpus's OS; docs/packetdrill.md)`, choiceOption('--profile', PROFILES))
    .option('--stats', 'after the summary: pass counts per subdirectory and the failure causes, grouped')
    .action((paths: string[], o: Opts) => {
      const mode = o.portable === true ? 'portable' : 'strict';
      let files: string[];
      try {
        files = collectScripts(paths);
      } catch (e) {
        console.error(`zerostack packetdrill: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      if (files.length === 0) {
        console.error('zerostack packetdrill: no .pkt files found');
        process.exitCode = 2;
        return;
      }
      const defines: Record<string, string> = {};
      for (const d of o.define ?? ['FreeBSD=1']) {
        const eq = d.indexOf('=');
        defines[eq < 0 ? d : d.slice(0, eq)] = eq < 0 ? '1' : d.slice(eq + 1);
      }
      if (o.pcap !== undefined) mkdirSync(o.pcap, { recursive: true });
      const results: ScriptResult[] = [];
      for (const f of files) {
        const r = runFile(f, {
          defines,
          profile: o.profile ?? 'freebsd',
          ...(o.verbose === true ? { verbose: true } : {}),
          ...(o.pcap !== undefined ? { pcap: true } : {}),
          ...(o.toleranceUsecs !== undefined ? { toleranceUsecs: o.toleranceUsecs } : {}),
        });
        results.push(r);
        if (o.pcap !== undefined && r.pcap !== undefined) writeFileSync(join(o.pcap, `${basename(f, '.pkt')}.pcap`), r.pcap);
        if (o.json === true) continue;
        const v = r[mode];
        const m = firstMismatch(r, mode);
        const extra = v === 'unsupported' ? `: ${r.unsupported}` : mode === 'portable' && r.strict !== 'pass' && v === 'pass' ? ' (strict: fail)' : '';
        console.log(`${v.padEnd(11)} ${f}${extra}`);
        if (m !== undefined && v === 'fail') console.log(`  ${formatFailure(m).replace(/\n/g, '\n  ')}`);
        if (o.verbose === true) for (const l of r.log) console.log(`    ${l}`);
      }
      const s = summarize(results, mode);
      if (o.json === true) {
        console.log(
          JSON.stringify({
            summary: { ...s, verdict: mode },
            scripts: results.map((r) => {
              const m = firstMismatch(r, mode);
              return { path: r.path, verdict: r[mode], strict: r.strict, portable: r.portable, ...(r.unsupported !== undefined ? { unsupported: r.unsupported } : {}), firstMismatch: m ?? null };
            }),
          }),
        );
      } else {
        console.log(`${mode}: ${s.passed} passed, ${s.failed} failed, ${s.unsupported} unsupported of ${s.total}`);
        if (o.stats === true) printStats(paths, results, mode);
      }
      process.exitCode = s.failed > 0 ? 1 : 0;
    });
}

/** --stats: per-subdirectory pass counts (of a single directory argument) and grouped failure causes. */
function printStats(paths: readonly string[], results: readonly ScriptResult[], mode: 'strict' | 'portable'): void {
  const root = paths.length === 1 && statSync(paths[0]!).isDirectory() ? paths[0]! : null;
  if (root !== null) {
    for (const [dir, e] of byDirectory(results, root)) console.log(`  ${dir}: strict ${e.strict}/${e.total}, portable ${e.portable}/${e.total}`);
  }
  console.log(`${mode} failures by cause:`);
  for (const [cause, n] of failureCauses(results, mode)) console.log(`  ${String(n).padStart(4)} × ${cause}`);
}
