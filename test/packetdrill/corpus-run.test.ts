/**
 * Runs the whole shared FreeBSD packetdrill corpus against zerostack (virtual
 * time: about two seconds of CPU) and fails when the strict or portable pass
 * count, overall or per directory, drops below test/packetdrill/corpus-floor.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { byDirectory, collectScripts, failureCauses, runFile, summarize } from '../../src/packetdrill/runner/corpus.js';

const here = dirname(fileURLToPath(import.meta.url));
const corpusDir = resolve(here, '../../../shared/packetdrill');
const present = existsSync(corpusDir);
if (!present) console.log(`packetdrill corpus run skipped: ${corpusDir} does not exist`);

interface Floor {
  total: number;
  strict: number;
  portable: number;
  byDirectory: Record<string, { strict: number; portable: number }>;
}
const floor = JSON.parse(readFileSync(resolve(here, 'corpus-floor.json'), 'utf8')) as Floor;

describe.skipIf(!present)('FreeBSD packetdrill corpus run', () => {
  it('pass_counts_stay_at_or_above_the_recorded_floor', () => {
    const files = collectScripts([corpusDir]);
    expect(files.length).toBe(floor.total);
    // The corpus was recorded on FreeBSD: its local choices come from the 'freebsd' profile (docs/packetdrill.md).
    const results = files.map((f) => runFile(f, { defines: { FreeBSD: '1' }, profile: 'freebsd' }));
    const strict = summarize(results, 'strict');
    const portable = summarize(results, 'portable');
    const dirs = byDirectory(results, corpusDir);
    // Printed so CI logs show the numbers and the main causes next to the floor.
    console.log(`packetdrill corpus: strict ${strict.passed}/${strict.total}, portable ${portable.passed}/${portable.total} (${portable.unsupported} unsupported)`);
    for (const [d, e] of dirs) console.log(`  ${d}: strict ${e.strict}/${e.total}, portable ${e.portable}/${e.total}`);
    for (const [cause, n] of failureCauses(results, 'portable').slice(0, 8)) console.log(`  ${String(n).padStart(3)} × ${cause.slice(0, 160)}`);
    expect(strict.passed).toBeGreaterThanOrEqual(floor.strict);
    expect(portable.passed).toBeGreaterThanOrEqual(floor.portable);
    for (const [d, f] of Object.entries(floor.byDirectory)) {
      const e = dirs.get(d);
      expect(e, `directory ${d}`).toBeDefined();
      expect(e!.strict, `${d} strict`).toBeGreaterThanOrEqual(f.strict);
      expect(e!.portable, `${d} portable`).toBeGreaterThanOrEqual(f.portable);
    }
    // Every script gets a verdict; none crashes the runner.
    expect(results.filter((r) => r.failures.some((f) => f.kind === 'runner' && f.message.startsWith('exception'))).map((r) => r.path)).toEqual([]);
  });
});
