import { describe, expect, it } from 'vitest';
import { runSelfcheck } from '../../src/cli/selfcheck.js';

describe('zerostack selfcheck (the README main job until the lab lands)', () => {
  it('selfcheck_passes_and_is_deterministic_for_a_seed', async () => {
    const opts = { seed: 7, loss: '1%', bytes: 256 * 1024 };
    const r1 = await runSelfcheck(opts);
    const r2 = await runSelfcheck(opts);
    expect(r1.ok).toBe(true);
    expect(r1.checks.map((c) => c.name)).toEqual(['checksum engine', 'ping 10.0.0.2', `tcp ${opts.bytes} bytes`]);
    // Same seed: identical event count, virtual time and details (Principle: determinism).
    expect(r2).toEqual(r1);
  });

  it('selfcheck_reports_failure_when_the_link_loses_everything', async () => {
    const r = await runSelfcheck({ seed: 1, loss: '100%', bytes: 1024 });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name.startsWith('ping'))?.ok).toBe(false);
  });
});
