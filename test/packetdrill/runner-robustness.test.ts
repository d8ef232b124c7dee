// Bad scripts (mutated corpus scripts: lines dropped, duplicated, directions
// flipped, numbers changed) give a verdict with a message; the runner never
// throws and never fails with an internal exception.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectScripts } from '../../src/packetdrill/runner/corpus.js';
import { runScriptText } from '../../src/packetdrill/runner/runner.js';

const snippets = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/packetdrill/snippets');
const present = existsSync(snippets);
if (!present) console.log(`packetdrill robustness test skipped: ${snippets} does not exist`);

describe.skipIf(!present)('packetdrill runner robustness', () => {
  it('mutated_scripts_get_a_verdict_and_never_an_internal_exception', () => {
    const texts = collectScripts([snippets]).map((f) => readFileSync(f, 'utf8').split('\n'));
    const mutation = fc.record({
      script: fc.nat(texts.length - 1),
      line: fc.nat(200),
      kind: fc.constantFrom('drop', 'flip', 'number', 'duplicate'),
      value: fc.nat(70000),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const lines = [...texts[ms[0]!.script]!];
        for (const m of ms) {
          const i = m.line % lines.length;
          if (m.kind === 'drop') lines.splice(i, 1);
          else if (m.kind === 'duplicate') lines.splice(i, 0, lines[(i * 7) % lines.length]!);
          else if (m.kind === 'number') lines[i] = lines[i]!.replace(/\d+/, String(m.value));
          else lines[i] = lines[i]!.includes(' < ') ? lines[i]!.replace(' < ', ' > ') : lines[i]!.replace(' > ', ' < ');
        }
        const r = runScriptText(lines.join('\n'), { file: 'mutant.pkt', defines: { FreeBSD: '1' } });
        expect(['pass', 'fail', 'unsupported']).toContain(r.strict);
        expect(['pass', 'fail', 'unsupported']).toContain(r.portable);
        if (r.portable === 'fail') expect(r.failures.find((f) => !f.portable)?.message.length).toBeGreaterThan(0);
        expect(r.failures.filter((f) => f.message.startsWith('exception'))).toEqual([]);
      }),
      { numRuns: 150, seed: 1 },
    );
  });
});
