/**
 * Buffer-chain helpers the IP layer needs on its transmit and receive paths:
 * making room for headers, copying out of a chain, and completing a
 * CSUM_PARTIAL checksum in software (Linux skb_checksum_help).
 *
 * Owns: nothing but these helpers.
 * Must not: keep state, or write into shared storage (README ownership rule):
 * headers for a shared or cramped buffer go into a fresh buffer chained in front.
 */
import { CSUM_NONE, CSUM_PARTIAL, type PacketBuffer } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import type { Accounting } from '../acct/accounting.js';
import { combineSums } from '../wire/checksum.js';

/**
 * Return a chain whose head buffer has at least `need` bytes of headroom and may
 * be written: `pkt` itself when it qualifies, else a fresh empty buffer with
 * `pkt` chained behind it (checksum metadata moved to the new head). Returns
 * null when the pool is exhausted; `pkt` is then still the caller's.
 */
export function ensureHeadroom(pool: PacketPool, pkt: PacketBuffer, need: number): PacketBuffer | null {
  if (pkt.headroom() >= need && !pkt.isShared()) return pkt;
  const head = pool.alloc(0, Math.max(need, pool.headroom));
  if (head === null) return null;
  head.next = pkt;
  head.csumState = pkt.csumState;
  head.csumStart = pkt.csumStart; // relative to head; the new buffer is empty, so the same byte
  head.csumOffset = pkt.csumOffset;
  head.csumValue = pkt.csumValue;
  head.timestamp = pkt.timestamp;
  pkt.csumState = CSUM_NONE;
  return head;
}

/** Copy `len` bytes starting `off` bytes into the chain `buf` to dst[dstOff…]. The range must lie inside the chain. */
export function copyFromChain(buf: PacketBuffer, off: number, dst: Uint8Array, dstOff: number, len: number): void {
  let b: PacketBuffer | null = buf;
  while (b !== null && off >= b.tail - b.head) {
    off -= b.tail - b.head;
    b = b.next;
  }
  while (len > 0 && b !== null) {
    const n = Math.min(len, b.tail - b.head - off);
    const s = b.head + off;
    dst.set(b.bytes.subarray(s, s + n), dstOff);
    dstOff += n;
    len -= n;
    off = 0;
    b = b.next;
  }
}

/**
 * Complete a CSUM_PARTIAL chain in software: sum from csumStart (relative to the
 * head buffer's head) to the end of the chain, field included (it holds the
 * pseudo-header sum), store the complement (0 → 0xffff, RFC 768), and mark the
 * chain CSUM_NONE. Counts the summed bytes as software checksum work.
 */
export function completePartialChecksum(pool: PacketPool, acct: Accounting, pkt: PacketBuffer): void {
  const engine = pool.checksum;
  const start = pkt.csumStart;
  let fieldPos = start + pkt.csumOffset; // chain offset of the field
  let skip = start;
  let sum = 0;
  let odd = false;
  let total = 0;
  let fieldBuf: PacketBuffer | null = null;
  let fieldAt = 0;
  for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
    const n = b.tail - b.head;
    if (fieldBuf === null) {
      if (fieldPos < n) {
        fieldBuf = b;
        fieldAt = b.head + fieldPos;
      } else {
        fieldPos -= n;
      }
    }
    if (skip >= n) {
      skip -= n;
      continue;
    }
    const len = n - skip;
    const s = engine.sum(b.bytes, b.head + skip, len);
    sum = combineSums(sum, s, odd);
    if ((len & 1) === 1) odd = !odd;
    total += len;
    skip = 0;
  }
  acct.csum(total);
  if (fieldBuf !== null) {
    const v = ~sum & 0xffff;
    const field = v === 0 ? 0xffff : v;
    // The field may straddle two buffers only if a header was split, which L4 never does.
    fieldBuf.bytes[fieldAt] = field >>> 8;
    fieldBuf.bytes[fieldAt + 1] = field & 0xff;
  }
  pkt.csumState = CSUM_NONE;
}

/** Whether the chain asks for checksum offload. */
export function isPartial(pkt: PacketBuffer): boolean {
  return pkt.csumState === CSUM_PARTIAL;
}

/**
 * A single-buffer copy of a chain (headroom `headroom`), metadata copied; the
 * chain is released. Null (and the chain released) when the pool is exhausted.
 */
export function linearize(pool: PacketPool, acct: Accounting, pkt: PacketBuffer, headroom: number): PacketBuffer | null {
  const len = pkt.chainLength();
  const out = pool.alloc(len, headroom);
  if (out === null) {
    pkt.release();
    return null;
  }
  copyFromChain(pkt, 0, out.bytes, out.tail, len);
  out.tail += len;
  acct.copy(len);
  out.csumState = pkt.csumState;
  out.csumValue = pkt.csumValue;
  out.csumStart = pkt.csumStart;
  out.csumOffset = pkt.csumOffset;
  out.timestamp = pkt.timestamp;
  pkt.release();
  return out;
}
