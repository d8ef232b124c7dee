import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, validateParams, resolveParams, WORKLOADS, workload } from '../../src/lab/registry.js';
import { CHATROOM_PARAMS } from '../../src/lab/workloads/chatroom.js';

describe('lab parameters', () => {
  it('defaults fill every common parameter', () => {
    const p = validateParams({});
    expect(p).toEqual(DEFAULT_PARAMS);
    expect(p.transport).toBe('sim');
  });

  it('unit strings are parsed (rate, duration, probability)', () => {
    const p = validateParams({ linkRateBps: '10Gbit' as never, delayNs: '2ms' as never, loss: '1%' as never, durationNs: '100ms' as never, cpus: '4' as never });
    expect(p.linkRateBps).toBe(10e9);
    expect(p.delayNs).toBe(2_000_000);
    expect(p.loss).toBeCloseTo(0.01);
    expect(p.durationNs).toBe(100_000_000);
    expect(p.cpus).toBe(4);
  });

  it('a bad choice is rejected naming the option and the accepted values', () => {
    expect(() => validateParams({ transport: 'udp' as never })).toThrow(/option transport must be one of sim, zerostack, kernel; got "udp"/);
    expect(() => validateParams({ rxPath: 'fast' as never })).toThrow(/option rxPath must be one of direct, prequeue, prequeue-hwcsum, zerocopy/);
    expect(() => validateParams({ era: '1999' as never })).toThrow(/option era must be one of 2002, 2025/);
    expect(() => validateParams({ csum: 'hw' as never })).toThrow(/option csum must be one of none, unnecessary, complete/);
  });

  it('out-of-range and malformed numbers are rejected naming the option', () => {
    expect(() => validateParams({ cpus: 0 })).toThrow(/option cpus must be an integer from 1 to 256; got 0/);
    expect(() => validateParams({ loss: 2 })).toThrow(/option loss must be a number from 0 to 1; got 2/);
    expect(() => validateParams({ linkRateBps: 'fast' as never })).toThrow(/linkRateBps/);
    expect(() => validateParams({ seed: 1.5 })).toThrow(/option seed must be an integer/);
  });

  it('workload options are checked too, unknown ones rejected with the known list', () => {
    expect(() => resolveParams({ rooms: 0 }, CHATROOM_PARAMS, 'chatroom')).toThrow(/option rooms must be an integer from 1 to 1000; got 0/);
    expect(() => resolveParams({ msgBytes: 10 }, CHATROOM_PARAMS, 'chatroom')).toThrow(/option msgBytes/);
    expect(() => resolveParams({ romos: 2 }, CHATROOM_PARAMS, 'chatroom')).toThrow(/unknown chatroom option "romos" \(known: .*rooms/);
  });

  it('a workload run rejects bad parameters before running', async () => {
    await expect(WORKLOADS['rr']!.run({ transport: 'tcp' as never })).rejects.toThrow(/option transport must be one of/);
    await expect(WORKLOADS['bulk']!.run({ flows: -1 })).rejects.toThrow(/option flows/);
  });

  it('the registry names the accepted workloads for an unknown one', () => {
    expect(Object.keys(WORKLOADS).sort()).toEqual(['bulk', 'chatroom', 'rr']);
    expect(() => workload('iperf')).toThrow(/unknown workload "iperf"; accepted: chatroom, bulk, rr/);
  });
});
