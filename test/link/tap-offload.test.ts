/**
 * The TAP offload helpers (src/link/tap-offload.ts) without a device: which TCP
 * segments are merged into one TSO super-segment, what the merged frame looks
 * like (virtio_net_hdr, IPv4 total length and header checksum, the TCP
 * pseudo-header checksum of CHECKSUM_PARTIAL) and that the pieces, written in
 * order, are exactly the first header followed by every payload byte.
 */
import { describe, expect, it } from 'vitest';
import { CSUM_NONE, CSUM_PARTIAL, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';
import { TapNic } from '../../src/link/tap.js';
import type { TapAddon } from '../../src/link/native-loader.js';
import { RealClock } from '../../src/time/real-clock.js';
import {
  SegmentCoalescer,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VNET_HDR_LEN,
  writeFrameVnetHeader,
} from '../../src/link/tap-offload.js';

const ACK = 0x10;
const PSH = 0x08;
const HDR = 14 + 20 + 32; // Ethernet, IPv4, TCP with 12 bytes of options (timestamps)

interface Seg {
  seq: number;
  len: number;
  flags?: number;
  sport?: number;
  ack?: number;
  /** Put the payload in a second, chained buffer. */
  chained?: boolean;
  fragOffset?: number;
}

function payloadByte(seq: number): number {
  return (seq * 7 + 3) & 0xff;
}

/** An Ethernet/IPv4/TCP frame as the stack builds it (checksum PARTIAL). */
function segment(pool: PacketPool, s: Seg): { frame: PacketBuffer; len: number } {
  const head = pool.alloc(s.chained ? HDR : HDR + s.len, 0)!;
  const h = head.append(s.chained ? HDR : HDR + s.len);
  const b = head.bytes;
  b.fill(0, h, h + HDR);
  b[h + 12] = 0x08; // IPv4
  const ip = h + 14;
  b[ip] = 0x45;
  const total = 20 + 32 + s.len;
  b[ip + 2] = total >>> 8;
  b[ip + 3] = total & 0xff;
  b[ip + 6] = (s.fragOffset ?? 0) >>> 8;
  b[ip + 7] = (s.fragOffset ?? 0) & 0xff;
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  b.set([10, 0, 0, 2, 10, 0, 0, 1], ip + 12);
  const t = ip + 20;
  const sport = s.sport ?? 40000;
  b[t] = sport >>> 8;
  b[t + 1] = sport & 0xff;
  b[t + 2] = 0x13;
  b[t + 3] = 0x89;
  new DataView(b.buffer, b.byteOffset).setUint32(t + 4, s.seq >>> 0);
  new DataView(b.buffer, b.byteOffset).setUint32(t + 8, s.ack ?? 777);
  b[t + 12] = 8 << 4;
  b[t + 13] = s.flags ?? ACK;
  b[t + 14] = 0x10;
  let frame = head;
  let pay = h + HDR;
  if (s.chained) {
    const p = pool.alloc(s.len, 0)!;
    pay = p.append(s.len);
    head.next = p;
    frame = head;
  }
  for (let i = 0; i < s.len; i++) b[pay + i] = payloadByte(s.seq + i);
  frame.csumState = CSUM_PARTIAL;
  frame.csumStart = 34;
  frame.csumOffset = 16;
  return { frame, len: HDR + s.len };
}

function sum16(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

function gather(co: SegmentCoalescer, mem: Uint8Array): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < co.pieces; i++) for (let k = 0; k < co.lengths[i]!; k++) parts.push(mem[co.offsets[i]! + k]!);
  return Uint8Array.from(parts);
}

function setup(): { pool: PacketPool; co: SegmentCoalescer; hdr: number } {
  const pool = new PacketPool({ memoryBytes: 8 * 1024 * 1024 });
  const h = pool.alloc(16, 0)!;
  return { pool, co: new SegmentCoalescer(pool.bytes), hdr: h.append(VNET_HDR_LEN) };
}

describe('SegmentCoalescer: TSO super-segments from consecutive TCP segments', () => {
  it('merges contiguous equal segments of one flow and writes a TCPV4 GSO header (virtio_net_hdr)', () => {
    const { pool, co, hdr } = setup();
    const mss = 1448;
    for (let i = 0; i < 3; i++) {
      const { frame, len } = segment(pool, { seq: 1000 + i * mss, len: mss, chained: i === 1 });
      expect(co.add(frame, len)).toBe(true);
    }
    expect(co.count).toBe(3);
    co.seal(hdr);
    const m = pool.bytes;
    expect(Array.from(m.subarray(hdr, hdr + VNET_HDR_LEN))).toEqual([
      VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, HDR, 0, mss & 0xff, mss >>> 8, 34, 0, 16, 0,
    ]); // prettier-ignore
    const out = gather(co, m);
    expect(out.length).toBe(VNET_HDR_LEN + HDR + 3 * mss);
    const f = out.subarray(VNET_HDR_LEN);
    // RFC 791: total length covers the whole super-segment; the header checksum verifies.
    expect((f[16]! << 8) | f[17]!).toBe(20 + 32 + 3 * mss);
    expect(sum16(f, 14, 20)).toBe(0xffff);
    // CHECKSUM_PARTIAL: the TCP checksum field is the folded pseudo-header sum for the whole length.
    const pseudo = sum16(Uint8Array.of(10, 0, 0, 2, 10, 0, 0, 1, 0, 6, (32 + 3 * mss) >>> 8, (32 + 3 * mss) & 0xff), 0, 12);
    expect((f[34 + 16]! << 8) | f[34 + 17]!).toBe(pseudo);
    // The payload is every byte of the three segments, in order.
    for (let i = 0; i < 3 * mss; i++) if (f[HDR + i] !== payloadByte(1000 + i)) throw new Error(`payload byte ${i} differs`);
    const before = pool.stats.inUse;
    expect(co.release()).toBe(3);
    expect(pool.stats.inUse).toBe(before - 4); // three frames, one of them a two-buffer chain
    expect(co.count).toBe(0);
  });

  it('refuses what would change the byte stream or the flow: other ports, a gap, another ack, SYN/FIN/RST, a bigger segment, fragments', () => {
    const { pool, co } = setup();
    const first = segment(pool, { seq: 0, len: 1000 });
    expect(co.add(first.frame, first.len)).toBe(true);
    const cases: Seg[] = [
      { seq: 1000, len: 1000, sport: 40001 },
      { seq: 1001, len: 1000 },
      { seq: 1000, len: 1000, ack: 778 },
      { seq: 1000, len: 1000, flags: ACK | 0x01 },
      { seq: 1000, len: 1000, flags: ACK | 0x04 },
      { seq: 1000, len: 1000, flags: 0x02 },
      { seq: 1000, len: 1001 },
      { seq: 1000, len: 1000, fragOffset: 0x2000 }, // MF
    ];
    for (const c of cases) {
      const s = segment(pool, c);
      expect(co.add(s.frame, s.len), JSON.stringify(c)).toBe(false);
      s.frame.release();
    }
    expect(co.count).toBe(1);
    expect(co.payloadBytes).toBe(1000);
  });

  it('a PSH or shorter segment ends the super-segment: nothing may follow it', () => {
    const { pool, co } = setup();
    for (const s of [
      { seq: 0, len: 1000 },
      { seq: 1000, len: 500 },
    ]) {
      const x = segment(pool, s);
      expect(co.add(x.frame, x.len)).toBe(true);
    }
    expect(co.full).toBe(true);
    const next = segment(pool, { seq: 1500, len: 500 });
    expect(co.add(next.frame, next.len)).toBe(false);

    const b = setup();
    const p = segment(b.pool, { seq: 0, len: 1000, flags: ACK | PSH });
    expect(b.co.add(p.frame, p.len)).toBe(true);
    expect(b.co.full).toBe(true);
  });

  it('a lone segment keeps its own header: NEEDS_CSUM at the stack’s csumStart/csumOffset, no GSO', () => {
    const { pool, co, hdr } = setup();
    const s = segment(pool, { seq: 5, len: 100 });
    const before = Array.from(s.frame.bytes.subarray(s.frame.head, s.frame.head + HDR));
    expect(co.add(s.frame, s.len)).toBe(true);
    co.seal(hdr);
    expect(Array.from(pool.bytes.subarray(hdr, hdr + VNET_HDR_LEN))).toEqual([VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0, 34, 0, 16, 0]);
    expect(Array.from(s.frame.bytes.subarray(s.frame.head, s.frame.head + HDR))).toEqual(before); // untouched
  });

  it('a frame whose checksum is already complete gets a header with no flags', () => {
    const { pool } = setup();
    const s = segment(pool, { seq: 5, len: 10 });
    s.frame.csumState = CSUM_NONE;
    const out = new Uint8Array(VNET_HDR_LEN).fill(9);
    writeFrameVnetHeader(out, 0, s.frame);
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses frames outside the pool memory (zero-copy user buffers are written on their own)', () => {
    const { pool } = setup();
    const other = new SegmentCoalescer(new Uint8Array(16));
    const s = segment(pool, { seq: 0, len: 100 });
    expect(other.add(s.frame, s.len)).toBe(false);
  });
});

describe('TapNic offload: the receive ring must fit the pool', () => {
  it('a pool too small for 64 KiB receive slots is a RangeError naming the option, not a silent drop of every frame', () => {
    const pool = new PacketPool({ memoryBytes: 1 << 20 }); // its largest class holds only a few 64 KiB slots
    const fake = { setOffload: () => undefined, writevPool: () => 0 } as unknown as TapAddon;
    const clock = new RealClock();
    const inUse = pool.stats.inUse;
    expect(() => new TapNic({ name: 'zsnone0', pool, clock, offload: true, addon: fake })).toThrow(
      /TapNic option "offload": the receive ring needs 16 buffers of 65560 bytes and the pool had \d+; give the pool more memory/,
    );
    expect(pool.stats.inUse).toBe(inUse); // everything taken was given back
    clock.close();
  });
});
