// Shared helpers for the simulated-link tests: small pools, raw Ethernet frames,
// IPv4/UDP/TCP frames with full or pseudo-header (offload) checksums, and a
// receive handler that records what arrived.
import { CSUM_PARTIAL, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import type { Nic } from '../../src/link/nic.js';
import type { Clock } from '../../src/time/clock.js';

export function smallPool(memoryBytes = 4 * 1024 * 1024): PacketPool {
  return new PacketPool({ memoryBytes });
}

export const MAC_A = Uint8Array.of(2, 0, 0, 0, 0, 0xa);
export const MAC_B = Uint8Array.of(2, 0, 0, 0, 0, 0xb);
export const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255);

/** A raw Ethernet frame of `length` bytes (header included): dst, src, ethertype 0x88b5, then `fill` bytes. */
export function rawFrame(
  pool: PacketPool,
  length: number,
  dst: Uint8Array = MAC_B,
  src: Uint8Array = MAC_A,
  fill: (i: number) => number = (i) => i & 0xff,
): PacketBuffer {
  const b = pool.alloc(length);
  if (b === null) throw new Error('test pool exhausted');
  const at = b.append(length);
  const bytes = b.bytes;
  bytes.set(dst, at);
  bytes.set(src, at + 6);
  bytes[at + 12] = 0x88; // IEEE 802 local experimental EtherType
  bytes[at + 13] = 0xb5;
  for (let i = 14; i < length; i++) bytes[at + i] = fill(i);
  return b;
}

export const IP_A = 0x0a000001;
export const IP_B = 0x0a000002;

function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function w32(b: Uint8Array, o: number, v: number): void {
  w16(b, o, v >>> 16);
  w16(b, o + 2, v & 0xffff);
}

export interface L4FrameOptions {
  protocol: 6 | 17;
  payloadLength: number;
  /** 'full': correct checksum; 'partial': pseudo-header sum + CSUM_PARTIAL; 'bad': wrong checksum; 'zero' (UDP only). */
  checksum: 'full' | 'partial' | 'bad' | 'zero';
  seed?: number;
  /** Extra bytes after the IPv4 datagram (Ethernet padding). */
  trailer?: number;
}

/** An Ethernet + IPv4 + UDP/TCP frame. Returns the buffer and the absolute offset of the L4 header. */
export function l4Frame(pool: PacketPool, o: L4FrameOptions): { buf: PacketBuffer; l4: number } {
  const l4hdr = o.protocol === 6 ? 20 : 8;
  const l4len = l4hdr + o.payloadLength;
  const total = 20 + l4len;
  const len = 14 + total + (o.trailer ?? 0);
  const buf = pool.alloc(len);
  if (buf === null) throw new Error('test pool exhausted');
  const at = buf.append(len);
  const b = buf.bytes;
  b.fill(0, at, at + len);
  b.set(MAC_B, at);
  b.set(MAC_A, at + 6);
  w16(b, at + 12, 0x0800);
  const ip = at + 14;
  b[ip] = 0x45;
  w16(b, ip + 2, total);
  b[ip + 8] = 64;
  b[ip + 9] = o.protocol;
  w32(b, ip + 12, IP_A);
  w32(b, ip + 16, IP_B);
  w16(b, ip + 10, finishChecksum(onesSum(b, ip, 20)));
  const l4 = ip + 20;
  w16(b, l4, 1234);
  w16(b, l4 + 2, 80);
  let seed = o.seed ?? 1;
  for (let i = l4hdr; i < l4len; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    b[l4 + i] = seed >>> 24;
  }
  const field = o.protocol === 6 ? l4 + 16 : l4 + 6;
  if (o.protocol === 6) b[l4 + 12] = 5 << 4;
  else w16(b, l4 + 4, l4len);
  const pseudo = pseudoHeaderSum(IP_A, IP_B, o.protocol, l4len);
  if (o.checksum === 'partial') {
    w16(b, field, pseudo);
    buf.csumState = CSUM_PARTIAL;
    buf.csumStart = l4 - buf.head;
    buf.csumOffset = field - l4;
  } else if (o.checksum !== 'zero') {
    let c = finishChecksum(onesSum(b, l4, l4len, pseudo));
    if (c === 0) c = 0xffff;
    if (o.checksum === 'bad') c ^= 0x0100;
    w16(b, field, c);
  }
  return { buf, l4 };
}

/** True when the L4 checksum of the IPv4 frame in `bytes` verifies. */
export function l4Verifies(bytes: Uint8Array): boolean {
  const ip = 14;
  const total = (bytes[ip + 2]! << 8) | bytes[ip + 3]!;
  const proto = bytes[ip + 9]!;
  const l4len = total - 20;
  return onesSum(bytes, ip + 20, l4len, pseudoHeaderSum(IP_A, IP_B, proto, l4len)) === 0xffff;
}

export interface Arrival {
  time: number;
  bytes: Uint8Array;
  csumState: number;
  csumValue: number;
  timestamp: number;
  batch: number;
}

/** Install a handler on `nic` that copies every frame out, records it and releases it. */
export function record(nic: Nic, clock: Clock): { frames: Arrival[]; batches: number[] } {
  const frames: Arrival[] = [];
  const batches: number[] = [];
  nic.setReceiveHandler((fs, count) => {
    batches.push(count);
    for (let i = 0; i < count; i++) {
      const f = fs[i]!;
      frames.push({
        time: clock.now(),
        bytes: f.view().slice(),
        csumState: f.csumState,
        csumValue: f.csumValue,
        timestamp: f.timestamp,
        batch: batches.length - 1,
      });
      f.release();
    }
  });
  return { frames, batches };
}

/** Bits that differ between two equal-length arrays. */
export function bitDiff(a: Uint8Array, b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    for (let k = 0; k < 8; k++) if (x & (0x80 >> k)) out.push(i * 8 + k);
  }
  return out;
}
