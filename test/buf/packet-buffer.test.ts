import { describe, expect, it } from 'vitest';
import { CSUM_NONE, CSUM_PARTIAL, PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';

const pool = new PacketPool({ memoryBytes: 1 << 20, slotSizes: [2048, 16384] });

function alloc(size: number, headroom?: number): PacketBuffer {
  const b = pool.alloc(size, headroom);
  if (b === null) throw new Error('pool exhausted in test');
  return b;
}

describe('PacketBuffer window arithmetic', () => {
  it('alloc gives length 0, the requested headroom and at least the requested tailroom', () => {
    const b = alloc(1500, 128);
    expect(b.length).toBe(0);
    expect(b.headroom()).toBe(128);
    expect(b.tailroom()).toBe(2048 - 128);
    expect(b.head - b.start).toBe(128);
    expect(b.end - b.tail).toBe(b.tailroom());
    expect(b.bytes).toBe(pool.bytes); // the whole pool memory, not a per-packet view
    expect(b.next).toBeNull();
    expect(b.csumState).toBe(CSUM_NONE);
    expect(b.timestamp).toBe(0);
    b.release();
  });

  it('append returns the old tail (where to write) and grows length', () => {
    const b = alloc(100, 10);
    const at = b.append(4);
    expect(at).toBe(b.start + 10);
    b.bytes.set([1, 2, 3, 4], at);
    expect(b.length).toBe(4);
    expect([...b.view()]).toEqual([1, 2, 3, 4]);
    b.release();
  });

  it('prepend moves head back and returns the new head; payload does not move', () => {
    const b = alloc(100, 40);
    const p = b.append(3);
    b.bytes.set([7, 8, 9], p);
    const h = b.prepend(20);
    expect(h).toBe(b.start + 20);
    expect(b.head).toBe(h);
    expect(b.headroom()).toBe(20);
    expect(b.length).toBe(23);
    expect([...b.view().subarray(20)]).toEqual([7, 8, 9]);
    b.release();
  });

  it('prepend past the headroom and append past the tailroom throw RangeError and change nothing', () => {
    const b = alloc(16, 8);
    expect(() => b.prepend(9)).toThrow(RangeError);
    expect(() => b.append(b.tailroom() + 1)).toThrow(RangeError);
    expect(() => b.prepend(-1)).toThrow(RangeError);
    expect(() => b.append(1.5)).toThrow(RangeError);
    expect(b.headroom()).toBe(8);
    expect(b.length).toBe(0);
    b.prepend(8);
    b.append(b.tailroom());
    expect(b.headroom()).toBe(0);
    expect(b.tailroom()).toBe(0);
    b.release();
  });

  it('trimFront/trimBack shrink the window; RangeError beyond length', () => {
    const b = alloc(64, 0);
    b.append(10);
    b.trimFront(3);
    b.trimBack(2);
    expect(b.length).toBe(5);
    expect(b.headroom()).toBe(3); // trimmed bytes become headroom again
    expect(() => b.trimFront(6)).toThrow(RangeError);
    expect(() => b.trimBack(6)).toThrow(RangeError);
    b.trimFront(5);
    expect(b.length).toBe(0);
    b.release();
  });

  it('csumStart is relative to head and follows prepend/trimFront (keeps designating the same byte)', () => {
    const b = alloc(100, 40);
    b.append(28); // a UDP header + payload
    b.csumState = CSUM_PARTIAL;
    b.csumStart = 0;
    b.csumOffset = 6;
    const l4 = b.head;
    b.prepend(20); // IPv4
    b.prepend(14); // Ethernet
    expect(b.head + b.csumStart).toBe(l4);
    b.trimFront(14);
    expect(b.head + b.csumStart).toBe(l4);
    b.release();
  });

  it('chainLength sums the chain; release of the head releases the chain', () => {
    const before = pool.stats.inUse;
    const a = alloc(100, 0);
    a.append(10);
    const b = alloc(100, 0);
    b.append(20);
    const c = alloc(100, 0);
    c.append(30);
    a.next = b;
    b.next = c;
    expect(a.chainLength()).toBe(60);
    expect(b.chainLength()).toBe(50);
    expect(pool.stats.inUse).toBe(before + 3);
    a.release();
    expect(pool.stats.inUse).toBe(before);
  });

  it('view() is bytes.subarray(head, tail)', () => {
    const b = alloc(8, 2);
    b.append(8);
    const v = b.view();
    expect(v.buffer).toBe(pool.bytes.buffer);
    expect(v.byteOffset).toBe(b.head);
    expect(v.length).toBe(8);
    b.release();
  });
});
