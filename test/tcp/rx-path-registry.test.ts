/**
 * The receive-path registry and selection API (src/tcp/rx-path/index.ts).
 */
import { describe, expect, it } from 'vitest';
import { RX_PATHS } from '../../src/lab/types.js';
import { Harness } from './harness.js';
import {
  DirectPath,
  effectiveReceivePath,
  receivePathByName,
  receivePathNames,
  registerReceivePath,
  setReceivePath,
  setStackReceivePath,
} from '../../src/tcp/rx-path/index.js';

describe('receive-path registry', () => {
  it('knows the four strategies, in the lab’s order', () => {
    expect(receivePathNames().slice(0, 4)).toEqual([...RX_PATHS]);
    for (const n of RX_PATHS) expect(receivePathByName(n).name).toBe(n);
    expect(receivePathByName('zerocopy').zeroCopy).toBe(true);
    expect(receivePathByName('prequeue').zeroCopy).toBe(false);
  });

  it('an unknown name is a RangeError naming it and the known ones', () => {
    expect(() => receivePathByName('turbo')).toThrow(/unknown name "turbo" \(known: direct, prequeue, prequeue-hwcsum, zerocopy/);
    expect(() => receivePathByName(42 as never)).toThrow(RangeError);
  });

  it('registering rejects duplicates and incomplete strategies', () => {
    expect(() => registerReceivePath(new DirectPath('direct', false))).toThrow(/already registered/);
    expect(() => registerReceivePath({ name: 'x' } as never)).toThrow(/deliver\(\), read\(\), flushQueued\(\)/);
    registerReceivePath(new DirectPath('direct-test-copy', false));
    expect(receivePathByName('direct-test-copy').name).toBe('direct-test-copy');
  });

  it('per-stack and per-socket selection: the socket’s choice wins, null returns to the stack’s', () => {
    const h = new Harness();
    const c = h.passiveEstablished();
    expect(effectiveReceivePath(c.ep)).toBeNull(); // the layer's built-in direct path
    setStackReceivePath(h.tcp, 'prequeue');
    expect(effectiveReceivePath(c.ep)?.name).toBe('prequeue');
    expect(setReceivePath(c.ep, 'zerocopy')?.name).toBe('zerocopy');
    expect(setReceivePath(c.ep, null)?.name).toBe('prequeue');
    expect(() => setStackReceivePath(h.tcp, 'nope')).toThrow(RangeError);
  });
});
