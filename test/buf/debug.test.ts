import { describe, expect, it } from 'vitest';
import { PacketBufferError, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool, POISON_BYTE } from '../../src/buf/pool.js';

const MiB = 1 << 20;

function must(b: PacketBuffer | null): PacketBuffer {
  if (b === null) throw new Error('unexpected null buffer');
  return b;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof PacketBufferError) return err.code;
    throw err;
  }
  return undefined;
}

const debugPool = (): PacketPool => new PacketPool({ memoryBytes: MiB, slotSizes: [2048, 8192], debug: true });

describe('PacketPool debug mode', () => {
  it('every field and method of a released handle throws ERR_BUFFER_RELEASED', () => {
    const p = debugPool();
    const b = must(p.alloc(100));
    b.release();
    const reads: [string, () => unknown][] = [
      ['bytes', () => b.bytes],
      ['head', () => b.head],
      ['tail', () => b.tail],
      ['start', () => b.start],
      ['end', () => b.end],
      ['length', () => b.length],
      ['next', () => b.next],
      ['csumState', () => b.csumState],
      ['csumValue', () => b.csumValue],
      ['csumStart', () => b.csumStart],
      ['csumOffset', () => b.csumOffset],
      ['timestamp', () => b.timestamp],
      ['headroom()', () => b.headroom()],
      ['tailroom()', () => b.tailroom()],
      ['prepend()', () => b.prepend(0)],
      ['append()', () => b.append(0)],
      ['trimFront()', () => b.trimFront(0)],
      ['trimBack()', () => b.trimBack(0)],
      ['chainLength()', () => b.chainLength()],
      ['retain()', () => b.retain()],
      ['isShared()', () => b.isShared()],
      ['view()', () => b.view()],
      ['write head', () => (b.head = 0)],
      ['write next', () => (b.next = null)],
      ['clone()', () => p.clone(b, 0, 0)],
    ];
    for (const [name, fn] of reads) expect([name, codeOf(fn)]).toEqual([name, 'ERR_BUFFER_RELEASED']);
  });

  it('double release throws ERR_BUFFER_DOUBLE_RELEASE', () => {
    const p = debugPool();
    const b = must(p.alloc(100));
    b.retain();
    b.release();
    b.release(); // the second owner's release: fine
    expect(codeOf(() => b.release())).toBe('ERR_BUFFER_DOUBLE_RELEASE');
  });

  it('releasing a chain that contains an already released element throws ERR_BUFFER_DOUBLE_RELEASE', () => {
    const p = debugPool();
    const a = must(p.alloc(10));
    const b = must(p.alloc(10));
    a.next = b;
    b.release(); // bug: b belongs to a's chain
    expect(codeOf(() => a.release())).toBe('ERR_BUFFER_DOUBLE_RELEASE');
  });

  it('handles are never recycled', () => {
    const p = debugPool();
    const a = must(p.alloc(10));
    a.release();
    const b = must(p.alloc(10));
    expect(b).not.toBe(a);
    expect(p.stats.handlesCreated).toBe(2);
    b.release();
  });

  it('freed storage is filled with the poison byte 0xDB, so a stale raw view reads garbage', () => {
    const p = debugPool();
    const b = must(p.alloc(100));
    const at = b.append(100);
    b.bytes.fill(0x11, at, at + 100);
    const stale = b.view(); // keeping this beyond release breaks the rules
    const { start, end } = b;
    b.release();
    expect(stale.every((x) => x === POISON_BYTE)).toBe(true);
    expect(p.bytes.subarray(start, end).every((x) => x === POISON_BYTE)).toBe(true);
  });

  it('storage is poisoned only when its last reference goes (a clone keeps it intact)', () => {
    const p = debugPool();
    const b = must(p.alloc(100));
    const at = b.append(100);
    b.bytes.fill(0x22, at, at + 100);
    const c = must(p.clone(b, 0, 100));
    b.release();
    expect(c.view().every((x) => x === 0x22)).toBe(true);
    c.release();
    expect(p.bytes.subarray(at, at + 100).every((x) => x === POISON_BYTE)).toBe(true);
  });

  it('never-allocated slot memory starts poisoned too', () => {
    const p = debugPool();
    const b = must(p.alloc(100));
    expect(p.bytes.subarray(b.start, b.end).every((x) => x === POISON_BYTE)).toBe(true);
    b.release();
  });

  it('prepend/append into shared storage throw ERR_BUFFER_SHARED (clone or retain)', () => {
    const p = debugPool();
    const b = must(p.alloc(100, 64));
    b.append(50);
    const c = must(p.clone(b, 0, 50));
    expect(codeOf(() => b.prepend(14))).toBe('ERR_BUFFER_SHARED');
    expect(codeOf(() => b.append(1))).toBe('ERR_BUFFER_SHARED');
    expect(codeOf(() => c.prepend(14))).toBe('ERR_BUFFER_SHARED');
    expect(codeOf(() => c.append(1))).toBe('ERR_BUFFER_SHARED');
    c.release();
    // Sole owner again: writes are allowed.
    expect(b.prepend(14)).toBe(b.start + 50);
    b.retain();
    expect(codeOf(() => b.append(1))).toBe('ERR_BUFFER_SHARED');
    b.release();
    expect(b.append(1)).toBe(b.start + 50 + 14 + 50);
    b.release();
  });

  it('the sanctioned pattern works: headers in a fresh buffer chained in front of a payload clone', () => {
    const p = debugPool();
    const data = must(p.alloc(1000, 0));
    data.append(1000);
    const seg = must(p.clone(data, 0, 500));
    const hdr = must(p.alloc(0));
    hdr.prepend(20);
    hdr.prepend(20);
    hdr.prepend(14);
    hdr.next = seg;
    expect(hdr.chainLength()).toBe(554);
    hdr.release();
    data.release();
    expect(p.stats.inUse).toBe(0);
    expect(p.stats.handlesInUse).toBe(0);
  });

  it('production pools do not check shared writes (cost), debug pools do', () => {
    const prod = new PacketPool({ memoryBytes: MiB, slotSizes: [2048] });
    const b = must(prod.alloc(10));
    b.retain();
    expect(() => b.append(1)).not.toThrow();
    b.release();
    b.release();
  });
});
