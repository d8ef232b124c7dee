/**
 * TapNic's receive ring and transmit paths against a scripted addon (no kernel,
 * no compiler needed): batching, pool exhaustion draining into the discard
 * buffer ('noBuffer'), oversize and runt frames, writev piece counts, write
 * errors, and hard read errors stopping the poll.
 */
import { describe, expect, it } from 'vitest';
import { PacketPool } from '../../src/buf/pool.js';
import { CSUM_PARTIAL, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import type { TapAddon } from '../../src/link/native-loader.js';
import { TapNic } from '../../src/link/tap.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { chainOf, frameOf, inetChecksum } from './real-helpers.js';

class FakeAddon implements TapAddon {
  rxQueue: Uint8Array[] = [];
  readError = 0;
  writeResult: number | null = null;
  written: { pieces: number; bytes: Uint8Array }[] = [];
  onReadable: ((status: number) => void) | null = null;
  pollStops = 0;
  closed = false;
  readCalls = 0;

  open(name: string): { fd: number; name: string } {
    return { fd: 42, name };
  }
  setMtu(): void {}
  setUp(): void {}
  getMac(): Uint8Array {
    return Uint8Array.of(2, 0, 0, 0, 0, 1);
  }
  readBatch(_fd: number, mem: Uint8Array, offsets: Int32Array, caps: Int32Array, lens: Int32Array, n: number): number {
    this.readCalls++;
    if (this.readError !== 0) return -this.readError;
    let got = 0;
    while (got < n && this.rxQueue.length > 0) {
      const f = this.rxQueue.shift()!;
      const len = Math.min(f.length, caps[got]!); // read() truncates to the buffer, as the kernel does
      mem.set(f.subarray(0, len), offsets[got]!);
      lens[got++] = len;
    }
    return got;
  }
  writev(_fd: number, n: number, ...pieces: (Uint8Array | number)[]): number {
    if (this.writeResult !== null) return this.writeResult;
    const parts: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = pieces[3 * i] as Uint8Array;
      const o = pieces[3 * i + 1] as number;
      const l = pieces[3 * i + 2] as number;
      for (let k = 0; k < l; k++) parts.push(a[o + k]!);
    }
    this.written.push({ pieces: n, bytes: Uint8Array.from(parts) });
    return parts.length;
  }
  poll(_fd: number, cb: (status: number) => void): object {
    this.onReadable = cb;
    return {};
  }
  pollStop(): void {
    this.pollStops++;
    this.onReadable = null;
  }
  close(): void {
    this.closed = true;
  }
  /** Queue frames and signal readability. */
  arrive(...frames: Uint8Array[]): void {
    this.rxQueue.push(...frames);
    this.onReadable?.(0);
  }
}

function setup(opts: { rxBatch?: number; pool?: PacketPool; txChecksumOffload?: boolean } = {}) {
  const addon = new FakeAddon();
  const pool = opts.pool ?? new PacketPool({ debug: true, memoryBytes: 2 * 1024 * 1024 });
  const clock = new VirtualClock({ start: 1000 });
  const nic = new TapNic({ name: 'fake0', pool, clock, addon, rxBatch: opts.rxBatch ?? 8, txChecksumOffload: opts.txChecksumOffload ?? false });
  const batches: number[] = [];
  const held: PacketBuffer[] = [];
  nic.setReceiveHandler((fs, n) => {
    batches.push(n);
    for (let i = 0; i < n; i++) held.push(fs[i]!);
  });
  return { addon, pool, nic, batches, held };
}

const frame = (len: number, fill = 0xab): Uint8Array => new Uint8Array(len).fill(fill);

describe('TapNic receive ring (scripted addon)', () => {
  it('reads a burst in batches of rxBatch per addon call, at most 4 batches per wake-up, timestamped', () => {
    const { addon, nic, batches, held } = setup({ rxBatch: 8 });
    addon.arrive(...Array.from({ length: 40 }, (_, i) => frame(60 + i)));
    expect(batches).toEqual([8, 8, 8, 8]); // the 5th batch waits for the next (level-triggered) wake-up
    addon.onReadable!(0);
    expect(batches).toEqual([8, 8, 8, 8, 8]);
    expect(held.map((b) => b.length)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i));
    expect(held[0]!.timestamp).toBe(1000);
    expect(held[0]!.headroom()).toBeGreaterThan(0); // room for the stack to turn it into a reply in place
    expect(nic.stats.rxFrames).toBe(40);
    expect(nic.stats.rxBytes).toBe(40 * 60 + (39 * 40) / 2);
    for (const b of held) b.release();
    nic.close();
  });

  it('counts oversize and runt frames, reusing their ring buffers', () => {
    const { addon, nic, held, pool } = setup();
    const inUse = pool.stats.handlesInUse;
    addon.arrive(frame(1515), frame(13), frame(1514));
    expect(nic.stats.drops.tooBig).toBe(1);
    expect(nic.stats.drops.malformed).toBe(1);
    expect(held.map((b) => b.length)).toEqual([1514]);
    expect(pool.stats.handlesInUse).toBe(inUse + 1); // only the delivered frame's slot was refilled
    held[0]!.release();
    nic.close();
  });

  it('pool exhaustion: frames drain into the discard buffer as noBuffer; receiving resumes when buffers return', () => {
    const pool = new PacketPool({ debug: true, memoryBytes: 1024 * 1024, slotSizes: [{ size: 2048, count: 12 }] });
    const { addon, nic, held } = setup({ pool, rxBatch: 4 });
    // 1 discard + 4 ring buffers are taken; the handler holds what it gets, so at most 11 frames can be held.
    addon.arrive(...Array.from({ length: 20 }, () => frame(100)));
    while (addon.rxQueue.length > 0) addon.onReadable!(0);
    expect(held.length).toBe(11);
    expect(nic.stats.drops.noBuffer).toBe(9); // drained, not left to pile up in the kernel
    expect(nic.stats.rxFrames).toBe(11);
    expect(pool.stats.exhausted).toBeGreaterThan(0);
    for (const b of held.splice(0)) b.release();
    // Every slot points at the discard buffer: the next frames land there, then the slots are refilled.
    addon.arrive(frame(100), frame(100));
    expect(nic.stats.drops.noBuffer).toBe(11);
    addon.arrive(frame(100), frame(100), frame(100), frame(100), frame(100));
    expect(held.length).toBe(3);
    expect(nic.stats.drops.noBuffer).toBe(13);
    for (const b of held) b.release();
    nic.close();
    expect(pool.stats.handlesInUse).toBe(0);
  });

  it('a hard read error stops polling and is reported; close still releases everything', () => {
    const { addon, nic, pool } = setup();
    addon.readError = 77; // EBADFD
    addon.arrive(frame(60));
    expect(nic.receiveError).toBe(77);
    expect(addon.pollStops).toBe(1);
    expect(nic.stats.drops.down).toBe(1);
    nic.close();
    expect(addon.pollStops).toBe(1); // not stopped twice
    expect(addon.closed).toBe(true);
    expect(pool.stats.handlesInUse).toBe(0);
  });

  it('frames with no handler are released and counted down', () => {
    const addon = new FakeAddon();
    const pool = new PacketPool({ debug: true, memoryBytes: 2 * 1024 * 1024 });
    const nic = new TapNic({ name: 'fake1', pool, clock: new VirtualClock(), addon });
    const inUse = pool.stats.handlesInUse;
    addon.arrive(frame(60), frame(61));
    expect(nic.stats.drops.down).toBe(2);
    expect(pool.stats.handlesInUse).toBe(inUse);
    nic.close();
  });
});

describe('TapNic transmit (scripted addon)', () => {
  it('writes a chain of up to 4 buffers as that many iovecs, longer chains linearized, and releases the frame', () => {
    const { addon, nic, pool } = setup();
    const inUse = pool.stats.handlesInUse;
    expect(nic.transmit(frameOf(pool, frame(60, 1)))).toBe(true);
    expect(nic.transmit(chainOf(pool, frame(54, 2), frame(100, 3)))).toBe(true);
    const long = frameOf(pool, frame(20, 4));
    let last = long;
    for (let i = 0; i < 5; i++) last = last.next = frameOf(pool, frame(10, 5 + i));
    expect(nic.transmit(long)).toBe(true);
    expect(addon.written.map((w) => [w.pieces, w.bytes.length])).toEqual([
      [1, 60],
      [2, 154],
      [1, 70],
    ]);
    expect(addon.written[1]!.bytes[54]).toBe(3);
    expect(addon.written[2]!.bytes[69]).toBe(9);
    expect(nic.stats.txFrames).toBe(3);
    expect(nic.stats.txBytes).toBe(60 + 154 + 70);
    expect(pool.stats.handlesInUse).toBe(inUse);
    nic.close();
  });

  it('EAGAIN counts queueFull, other write errors count down', () => {
    const { addon, nic, pool } = setup();
    addon.writeResult = -11;
    expect(nic.transmit(frameOf(pool, frame(60)))).toBe(false);
    addon.writeResult = -5;
    expect(nic.transmit(frameOf(pool, frame(60)))).toBe(false);
    expect(nic.stats.drops.queueFull).toBe(1);
    expect(nic.stats.drops.down).toBe(1);
    expect(nic.stats.txFrames).toBe(0);
    nic.close();
  });

  it('with txChecksumOffload the driver completes a CSUM_PARTIAL chain in a linear copy (RFC 768 checksum)', () => {
    const { addon, nic, pool } = setup({ txChecksumOffload: true });
    const hdr = new Uint8Array(42);
    hdr[12] = 0x08;
    hdr.set([0x45, 0, 0, 38, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    hdr.set([0x30, 0x39, 0x00, 0x35, 0, 18, 0, 0], 34);
    const pseudo = (0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 18) & 0xffff;
    hdr[40] = pseudo >> 8;
    hdr[41] = pseudo & 0xff;
    const f = chainOf(pool, hdr, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    f.csumState = CSUM_PARTIAL;
    f.csumStart = 34;
    f.csumOffset = 6;
    expect(nic.transmit(f)).toBe(true);
    const out = addon.written[0]!.bytes;
    const all = new Uint8Array(12 + 18);
    all.set([10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 18], 0);
    all.set(out.subarray(34, 52), 12);
    expect(inetChecksum(all, 0, all.length)).toBe(0);
    nic.close();
  });
});
