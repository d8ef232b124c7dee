/**
 * Helpers for the real-I/O link tests (TAP, UDP, QEMU stream): raw frame
 * builders (ARP, ICMP echo) and an event-driven frame collector with a timeout
 * guard (tests wait for frames, never for time).
 */
import { PacketPool } from '../../src/buf/pool.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import type { Nic } from '../../src/link/nic.js';

export function realPool(): PacketPool {
  return new PacketPool({ debug: true, memoryBytes: 8 * 1024 * 1024 });
}

export const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255);

export function ip4(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

function sum16(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i + 1 < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  if (len & 1) s += b[off + len - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** RFC 1071 checksum of b[off, off+len). */
export function inetChecksum(b: Uint8Array, off: number, len: number): number {
  return ~sum16(b, off, len) & 0xffff;
}

/** Ethernet + ARP (RFC 826) request or reply. */
export function arpFrame(op: 1 | 2, srcMac: Uint8Array, srcIp: Uint8Array, dstMac: Uint8Array, dstIp: Uint8Array): Uint8Array {
  const f = new Uint8Array(42);
  f.set(op === 1 ? BROADCAST : dstMac, 0);
  f.set(srcMac, 6);
  f[12] = 0x08;
  f[13] = 0x06;
  f.set([0, 1, 8, 0, 6, 4, 0, op], 14);
  f.set(srcMac, 22);
  f.set(srcIp, 28);
  f.set(op === 1 ? new Uint8Array(6) : dstMac, 32);
  f.set(dstIp, 38);
  return f;
}

/** Ethernet + IPv4 + ICMP echo request (RFC 792) with the given payload. Returns [headers(34+8), payload]. */
export function icmpEchoParts(
  srcMac: Uint8Array,
  dstMac: Uint8Array,
  srcIp: Uint8Array,
  dstIp: Uint8Array,
  id: number,
  payload: Uint8Array,
): [Uint8Array, Uint8Array] {
  const h = new Uint8Array(42);
  h.set(dstMac, 0);
  h.set(srcMac, 6);
  h[12] = 0x08;
  h[13] = 0x00;
  const totalLen = 20 + 8 + payload.length;
  h.set([0x45, 0, totalLen >> 8, totalLen & 0xff, 0, 1, 0x40, 0, 64, 1, 0, 0], 14);
  h.set(srcIp, 26);
  h.set(dstIp, 30);
  const ipSum = inetChecksum(h, 14, 20);
  h[24] = ipSum >> 8;
  h[25] = ipSum & 0xff;
  h.set([8, 0, 0, 0, id >> 8, id & 0xff, 0, 1], 34);
  const icmp = new Uint8Array(8 + payload.length);
  icmp.set(h.subarray(34, 42), 0);
  icmp.set(payload, 8);
  const c = inetChecksum(icmp, 0, icmp.length);
  h[36] = c >> 8;
  h[37] = c & 0xff;
  return [h, payload];
}

/** A pool buffer holding `bytes` (with default headroom). */
export function frameOf(pool: PacketPool, bytes: Uint8Array): PacketBuffer {
  const b = pool.allocCopy(bytes, 0, bytes.length);
  if (b === null) throw new Error('pool exhausted');
  return b;
}

/** A two-buffer chain: header buffer with `next` = payload buffer (never joined). */
export function chainOf(pool: PacketPool, head: Uint8Array, tail: Uint8Array): PacketBuffer {
  const h = frameOf(pool, head);
  h.next = frameOf(pool, tail);
  return h;
}

interface Waiter {
  pred: (f: Uint8Array) => boolean;
  resolve: (f: Uint8Array) => void;
}

/**
 * Copies every frame a Nic receives (and releases it), and lets a test wait for
 * one matching a predicate, rejecting after `timeoutMs` (a guard, not a sleep).
 */
export class FrameCollector {
  readonly frames: Uint8Array[] = [];
  private waiters: Waiter[] = [];
  /** Optional hook run on each received frame (e.g. an ARP responder). */
  onFrame: ((f: Uint8Array) => void) | null = null;

  constructor(nic: Nic) {
    nic.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) {
        const b = fs[i]!;
        const copy = b.view().slice();
        b.release();
        this.frames.push(copy);
        this.onFrame?.(copy);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(copy)) return true;
          w.resolve(copy);
          return false;
        });
      }
    });
  }

  next(pred: (f: Uint8Array) => boolean, what: string, timeoutMs = 5000): Promise<Uint8Array> {
    const seen = this.frames.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      });
    });
  }

  /** Wait until `count` frames have arrived in total. */
  count(count: number, timeoutMs = 5000): Promise<void> {
    if (this.frames.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${count} frames (have ${this.frames.length})`)),
        timeoutMs,
      );
      this.waiters.push({
        pred: () => this.frames.length >= count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

export function isArp(f: Uint8Array, op: number, targetIp: Uint8Array): boolean {
  return (
    f.length >= 42 && f[12] === 0x08 && f[13] === 0x06 && f[21] === op && eq(f.subarray(38, 42), targetIp)
  );
}

export function eq(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
