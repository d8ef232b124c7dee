/**
 * host.currentProcess: the process whose step's code is running (the "reader's
 * context" a receive path or the socket lock needs), null in softirq work and
 * outside work items.
 */
import { describe, expect, it } from 'vitest';
import { compute } from '../../src/host/index.js';
import { makeHost } from './helpers.js';

describe('host.currentProcess', () => {
  it('is the process during its step, null in softirq and between items', () => {
    const { clock, host } = makeHost({ cpus: 2 });
    const seen: (string | null)[] = [];
    const p = host.spawn('app', function* () {
      seen.push(host.currentProcess?.name ?? null);
      host.softirq(() => seen.push(host.currentProcess === null ? 'softirq:null' : 'softirq:proc'), null);
      yield compute(1000);
      seen.push(host.currentProcess === p ? 'same' : 'other');
    });
    clock.runUntilIdle();
    expect(seen).toEqual(['app', 'softirq:null', 'same']);
    expect(host.currentProcess).toBeNull();
  });
});
