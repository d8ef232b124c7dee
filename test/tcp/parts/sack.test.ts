// Receiver SACK blocks: the RFC 2018 §7 examples (rules of §4) and the RFC 2883
// §4.1 D-SACK examples, driven through a real ReassemblyQueue.
import { afterEach, describe, expect, it } from 'vitest';
import { PacketPool } from '../../../src/buf/pool.js';
import { ReassemblyQueue } from '../../../src/tcp/reassembly.js';
import { SackBlocks } from '../../../src/tcp/sack.js';

const pools: PacketPool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) expect(p.stats.inUse).toBe(0);
});

/** A receiver: in-order data advances RCV.NXT (and drains the queue), the rest is queued; SACK blocks follow. */
class Receiver {
  readonly pool = new PacketPool({ memoryBytes: 1 << 20, debug: true, slotSizes: [2048] });
  readonly q = new ReassemblyQueue(1 << 16, this.pool);
  readonly sack: SackBlocks;
  private readonly out = new Uint32Array(8);
  constructor(
    public rcvNxt: number,
    dsack = false,
  ) {
    pools.push(this.pool);
    this.sack = new SackBlocks(4, dsack);
  }

  /** Segment [seq, seq+len) arrives; returns the SACK blocks of the ACK it triggers, as [l, r] pairs. */
  recv(seq: number, len: number, maxBlocks = 4): number[][] {
    const buf = this.pool.alloc(len, 0)!;
    buf.append(len);
    const end = (seq + len) >>> 0;
    if (seq === this.rcvNxt) {
      buf.release();
      this.rcvNxt = end;
      for (let b = this.q.takeInOrder(this.rcvNxt); b !== null; b = this.q.takeInOrder(this.rcvNxt)) {
        this.rcvNxt = (this.rcvNxt + b.length) >>> 0;
        b.release();
      }
      this.sack.onRcvNxtAdvanced(this.rcvNxt, this.q);
    } else if ((((end - this.rcvNxt) | 0) <= 0)) {
      buf.release();
      this.sack.onDuplicate(seq, end); // RFC 2883: below RCV.NXT
    } else {
      const r = this.q.insert(seq, buf, this.rcvNxt);
      if (r === 'duplicate') this.sack.onDuplicate(seq, end);
      if (r !== 'overLimit') this.sack.onOutOfOrder(seq, end, this.q);
    }
    return this.blocks(maxBlocks);
  }

  blocks(maxBlocks = 4): number[][] {
    const n = this.sack.fill(this.out, maxBlocks);
    const res: number[][] = [];
    for (let i = 0; i < n; i++) res.push([this.out[2 * i]!, this.out[2 * i + 1]!]);
    return res;
  }

  done(): void {
    this.q.clear();
  }
}

describe('sack: RFC 2018 §7 examples (left window edge 5000, eight 500-byte segments)', () => {
  it('case 1: the first 4 segments arrive, the last 4 are dropped: no SACK blocks', () => {
    const r = new Receiver(5000);
    for (let s = 5000; s < 7000; s += 500) expect(r.recv(s, 500)).toEqual([]);
    expect(r.rcvNxt).toBe(7000);
    r.done();
  });

  it('case 2: the first segment is dropped, the other 7 arrive: one growing block', () => {
    const r = new Receiver(5000);
    const seen: number[][][] = [];
    for (let s = 5500; s < 9000; s += 500) seen.push(r.recv(s, 500));
    expect(seen).toEqual([
      [[5500, 6000]],
      [[5500, 6500]],
      [[5500, 7000]],
      [[5500, 7500]],
      [[5500, 8000]],
      [[5500, 8500]],
      [[5500, 9000]],
    ]);
    r.done();
  });

  it('case 3: segments 2, 4, 6, 8 dropped: the block of the newest segment first, then the most recent others (RFC 2018 §4)', () => {
    const r = new Receiver(5000);
    expect(r.recv(5000, 500)).toEqual([]);
    expect(r.rcvNxt).toBe(5500);
    expect(r.recv(6000, 500)).toEqual([[6000, 6500]]);
    expect(r.recv(7000, 500)).toEqual([
      [7000, 7500],
      [6000, 6500],
    ]);
    expect(r.recv(8000, 500)).toEqual([
      [8000, 8500],
      [7000, 7500],
      [6000, 6500],
    ]);
    // "Suppose at this point, the 4th packet is received out of order": blocks merge.
    expect(r.recv(6500, 500)).toEqual([
      [6000, 7500],
      [8000, 8500],
    ]);
    // "Suppose at this point, the 2nd segment is received": ACK 7500, one block left.
    expect(r.recv(5500, 500)).toEqual([[8000, 8500]]);
    expect(r.rcvNxt).toBe(7500);
    r.done();
  });

  it('at most 3 blocks next to timestamps, 4 without; the first is always the newest (RFC 2018 §3, §4)', () => {
    const r = new Receiver(1000);
    for (const s of [2000, 3000, 4000, 5000, 6000]) r.recv(s, 100);
    expect(r.blocks(3)).toEqual([
      [6000, 6100],
      [5000, 5100],
      [4000, 4100],
    ]);
    expect(r.blocks(4)).toHaveLength(4);
    // A segment for an older block moves that block to the front.
    expect(r.recv(2100, 100, 3)).toEqual([
      [2000, 2200],
      [6000, 6100],
      [5000, 5100],
    ]);
    r.done();
  });

  it('never reports a block at or below RCV.NXT (RFC 2018 §4)', () => {
    const r = new Receiver(1000);
    r.recv(1500, 500);
    r.recv(3000, 500);
    expect(r.recv(1000, 500)).toEqual([[3000, 3500]]);
    expect(r.rcvNxt).toBe(2000);
    r.done();
  });

  it('works across the 2^32 wrap', () => {
    const r = new Receiver(0xfffffe00);
    expect(r.recv(0xffffff00, 0x200)).toEqual([[0xffffff00, 0x100]]);
    expect(r.recv(0x200, 0x100)).toEqual([
      [0x200, 0x300],
      [0xffffff00, 0x100],
    ]);
    expect(r.recv(0xfffffe00, 0x100)).toEqual([[0x200, 0x300]]);
    expect(r.rcvNxt).toBe(0x100);
    r.done();
  });

  it('D-SACK is off by default: duplicates add no block', () => {
    const r = new Receiver(4000);
    r.recv(4500, 500);
    expect(r.recv(3000, 500)).toEqual([[4500, 5000]]);
    r.done();
  });
});

describe('sack: RFC 2883 D-SACK examples (§4.1)', () => {
  it('example 1: a duplicate below the cumulative ACK is reported as the first block, once (RFC 2883 §4.1.1)', () => {
    const r = new Receiver(3000, true);
    r.recv(3000, 500);
    r.recv(3500, 500);
    expect(r.recv(3000, 500)).toEqual([[3000, 3500]]);
    expect(r.rcvNxt).toBe(4000);
    expect(r.blocks()).toEqual([]); // reported once
    r.done();
  });

  it('example 2: an out-of-order segment and a duplicate: D-SACK first, then the SACK block (RFC 2883 §4.1.2)', () => {
    const r = new Receiver(3000, true);
    r.recv(3000, 500);
    r.recv(3500, 500);
    expect(r.recv(4500, 500)).toEqual([[4500, 5000]]);
    expect(r.recv(3000, 500)).toEqual([
      [3000, 3500],
      [4500, 5000],
    ]);
    r.done();
  });

  it('example 3: a duplicate of an out-of-order segment: D-SACK, then the block containing it (RFC 2883 §4.1.3)', () => {
    const r = new Receiver(3500, true);
    r.recv(3500, 500);
    expect(r.recv(4500, 500)).toEqual([[4500, 5000]]);
    expect(r.recv(5000, 500)).toEqual([[4500, 5500]]);
    expect(r.recv(5000, 500)).toEqual([
      [5000, 5500],
      [4500, 5500],
    ]);
    r.done();
  });

  it('the D-SACK block counts against the option limit (3 with timestamps)', () => {
    const r = new Receiver(1000, true);
    for (const s of [2000, 3000, 4000, 5000]) r.recv(s, 100);
    r.sack.onDuplicate(500, 600);
    expect(r.sack.hasDsack).toBe(true);
    expect(r.blocks(3)).toEqual([
      [500, 600],
      [5000, 5100],
      [4000, 4100],
    ]);
    expect(r.sack.hasDsack).toBe(false);
    r.done();
  });

  it('clear() forgets blocks and a pending D-SACK', () => {
    const r = new Receiver(1000, true);
    r.recv(2000, 100);
    r.sack.onDuplicate(500, 600);
    r.sack.clear();
    expect(r.sack.count).toBe(0);
    expect(r.blocks()).toEqual([]);
    r.done();
  });

  it('maxBlocks must be 1..4', () => {
    expect(() => new SackBlocks(5)).toThrow(RangeError);
  });
});
