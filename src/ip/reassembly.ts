/**
 * IPv4 reassembly (RFC 791 §3.2 "An Example Reassembly Procedure", RFC 815
 * hole bookkeeping by sorted, non-overlapping ranges) with a time limit and a
 * memory limit.
 *
 * Owns: incomplete datagrams (their fragment buffers), the reassembly timer, and
 * the byte count they hold.
 * Must not: validate IPv4 headers (the input path has) or deliver datagrams.
 *
 * Rules, and where they come from:
 *  - Key: (source, destination, protocol, identification) — RFC 791 §2.3.
 *  - A fragment with MF set must carry a multiple of 8 data bytes, and no
 *    fragment may end beyond 65535 − 20 (RFC 791 §3.1 Total Length; the "ping of
 *    death"). Such a fragment is dropped alone ('badFragment').
 *  - Overlap: any fragment that overlaps data already held discards the whole
 *    datagram (RFC 5722 §3, applied to IPv4 as Linux does since 4.19). RFC 5722
 *    §4 lets an implementation "silently drop exact duplicate fragments while
 *    still retaining the other fragments": we do ('fragDuplicate'), because the
 *    network duplicates packets. A discarded datagram stays as a tombstone until
 *    its timer expires so that its later fragments are discarded too (RFC 5722
 *    §3: "including those not yet received").
 *  - A last fragment (MF clear) fixes the datagram's length; a contradicting
 *    last fragment, or data beyond the end, discards the datagram (Linux
 *    ip_frag_queue does the same).
 *  - Timeout: reassembly.timeout after the FIRST fragment arrived (RFC 1122
 *    §3.3.2 "a fixed value"; default 30 s = Linux ipfrag_time). On expiry, if
 *    fragment zero is held, ICMP Time Exceeded code 1 is sent to the source
 *    (RFC 792; RFC 1122 §3.3.2: "if fragment zero is not available, no time
 *    exceeded need be sent").
 *  - Memory: the bytes of all held fragments (headers included) never exceed
 *    reassembly.memoryLimit. A fragment that would exceed it is dropped
 *    ('reasmMemory'), like Linux refusing new fragments above ipfrag_high_thresh;
 *    the datagram it belonged to then times out.
 *
 * Because every datagram lives exactly `timeout`, expiry order is creation
 * order: datagrams form one FIFO list and a single timer tracks the oldest.
 *
 * Completion copies the fragments' data behind the first fragment's header into
 * one new buffer with a fused copy-and-checksum pass (acct.copyCsum), so the
 * datagram is delivered CSUM_COMPLETE with the sum of its whole payload: the
 * transport's checksum check costs nothing more.
 */
import { CSUM_COMPLETE, type PacketBuffer } from '../buf/packet-buffer.js';
import type { Timer } from '../time/clock.js';
import { writeU16 } from '../wire/address.js';
import { IcmpTimeExceededCode, IcmpType } from '../wire/icmp.js';
import {
  ipv4Flags,
  Ipv4Field,
  ipv4HeaderLength,
  Ipv4Flag,
  IPV4_MAX_TOTAL_LEN,
  IPV4_MIN_HEADER_LEN,
  parseIpv4Header,
  writeIpv4HeaderChecksum,
  type Ipv4Repr,
} from '../wire/ipv4.js';
import { isWireError } from '../wire/error.js';
import type { IpContext } from './context.js';

class Datagram {
  hashNext: Datagram | null = null;
  older: Datagram | null = null;
  newer: Datagram | null = null;
  deadline = 0;
  /** Discarded (overlap / inconsistent): a tombstone until its deadline. */
  dead = false;
  /** Fragments (head at their IPv4 header), sorted by data offset, non-overlapping. */
  readonly frags: PacketBuffer[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** Data length of the whole datagram once the last fragment arrived, else -1. */
  total = -1;
  /** Data bytes held. */
  received = 0;
  /** Bytes held (fragment headers included). */
  memory = 0;

  constructor(
    readonly src: number,
    readonly dst: number,
    readonly protocol: number,
    readonly id: number,
    readonly hash: number,
  ) {}
}

function hashKey(src: number, dst: number, protocol: number, id: number): number {
  let h = Math.imul(src ^ 0x9e3779b1, 0x85ebca6b);
  h = Math.imul(h ^ dst ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ ((id << 8) | protocol) ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

function onTimer(r: Reassembler): void {
  r.expire();
}

export interface ReassemblyStats {
  /** Datagrams being reassembled (tombstones included). */
  datagrams: number;
  /** Bytes held. */
  memory: number;
}

export class Reassembler {
  private readonly buckets = new Map<number, Datagram>();
  private oldest: Datagram | null = null;
  private newest: Datagram | null = null;
  private readonly timer: Timer;
  private count = 0;
  /** Bytes held by all incomplete datagrams. */
  memory = 0;

  constructor(private readonly ctx: IpContext) {
    this.timer = ctx.clock.createTimer(onTimer, this);
  }

  get stats(): ReassemblyStats {
    return { datagrams: this.count, memory: this.memory };
  }

  /**
   * A fragment arrived (head at its IPv4 header, `r` its parsed header, trailing
   * padding already trimmed). Takes ownership. Returns the reassembled datagram
   * (head at its IPv4 header; `out` describes it) when this fragment completed
   * one, else null.
   */
  add(buf: PacketBuffer, r: Ipv4Repr, out: Ipv4Repr): PacketBuffer | null {
    const ctx = this.ctx;
    const c = ctx.counters;
    c.ip.ReasmReqds++;
    const start = r.fragmentOffset;
    const len = r.payloadLength;
    const end = start + len;
    const mf = (r.flags & Ipv4Flag.MF) !== 0;
    if ((mf && (len === 0 || (len & 7) !== 0)) || end > IPV4_MAX_TOTAL_LEN - IPV4_MIN_HEADER_LEN) {
      c.drops.badFragment++;
      c.ip.ReasmFails++;
      buf.release();
      return null;
    }
    const hash = hashKey(r.src, r.dst, r.protocol, r.identification);
    let d = this.buckets.get(hash) ?? null;
    while (d !== null && !(d.src === r.src && d.dst === r.dst && d.protocol === r.protocol && d.id === r.identification)) {
      d = d.hashNext;
    }
    if (d !== null && d.dead) {
      // RFC 5722 §3: fragments of a discarded datagram are discarded too.
      c.drops.reasmDiscarded++;
      buf.release();
      return null;
    }
    const bytes = buf.length;
    if (this.memory + bytes > ctx.config.reassembly.memoryLimit) {
      c.drops.reasmMemory++;
      c.ip.ReasmFails++;
      buf.release();
      return null;
    }
    if (d === null) d = this.create(r, hash);

    if (!mf) {
      // The last fragment fixes the length; nothing may contradict it.
      if ((d.total >= 0 && d.total !== end) || (d.ends.length > 0 && d.ends[d.ends.length - 1]! > end)) {
        this.discard(d);
        c.drops.badFragment++;
        buf.release();
        return null;
      }
      d.total = end;
    } else if (d.total >= 0 && end > d.total) {
      this.discard(d);
      c.drops.badFragment++;
      buf.release();
      return null;
    }

    // Find the insertion point and check both neighbours for overlap.
    const starts = d.starts;
    const ends = d.ends;
    let i = starts.length;
    while (i > 0 && starts[i - 1]! > start) i--;
    if (i > 0 && starts[i - 1] === start && ends[i - 1] === end) {
      // RFC 5722 §4: an exact duplicate may be dropped while the datagram is kept.
      c.drops.fragDuplicate++;
      buf.release();
      return null;
    }
    if ((i > 0 && ends[i - 1]! > start) || (i < starts.length && starts[i]! < end) || (i > 0 && starts[i - 1] === start)) {
      // RFC 5722 §3: overlapping fragments → the whole datagram is discarded.
      this.discard(d);
      c.drops.fragOverlap++;
      buf.release();
      return null;
    }
    d.frags.splice(i, 0, buf);
    starts.splice(i, 0, start);
    ends.splice(i, 0, end);
    d.received += len;
    d.memory += bytes;
    this.memory += bytes;
    if (d.total >= 0 && d.received === d.total) return this.complete(d, buf.timestamp, out);
    return null;
  }

  /** Release everything (Stack.close). */
  clear(): void {
    while (this.oldest !== null) this.remove(this.oldest);
    this.timer.cancel();
  }

  /** @internal Timer: expire every datagram whose deadline passed. */
  expire(): void {
    const ctx = this.ctx;
    const now = ctx.clock.now();
    while (this.oldest !== null && this.oldest.deadline <= now) {
      const d = this.oldest;
      if (!d.dead) {
        ctx.counters.ip.ReasmTimeout++;
        ctx.counters.ip.ReasmFails++;
        ctx.counters.drops.reasmTimeout++;
        if (d.frags.length > 0 && d.starts[0] === 0) {
          // RFC 792 / RFC 1122 §3.3.2: Time Exceeded, "fragment reassembly time exceeded".
          const f = d.frags[0]!;
          ctx.icmp.sendError(IcmpType.TIME_EXCEEDED, IcmpTimeExceededCode.REASSEMBLY_EXCEEDED, 0, f.bytes, f.head, f.length);
        }
      }
      this.remove(d);
    }
    if (this.oldest !== null) this.timer.arm(this.oldest.deadline);
  }

  private create(r: Ipv4Repr, hash: number): Datagram {
    const d = new Datagram(r.src, r.dst, r.protocol, r.identification, hash);
    d.hashNext = this.buckets.get(hash) ?? null;
    this.buckets.set(hash, d);
    d.deadline = this.ctx.clock.now() + this.ctx.config.reassembly.timeout;
    d.older = this.newest;
    if (this.newest !== null) this.newest.newer = d;
    else this.oldest = d;
    this.newest = d;
    this.count++;
    if (!this.timer.armed) this.timer.arm(d.deadline);
    return d;
  }

  /** Drop a datagram's fragments and keep it as a tombstone (RFC 5722). */
  private discard(d: Datagram): void {
    this.ctx.counters.ip.ReasmFails++;
    this.releaseFragments(d);
    d.dead = true;
  }

  private releaseFragments(d: Datagram): void {
    for (let k = 0; k < d.frags.length; k++) d.frags[k]!.release();
    d.frags.length = 0;
    d.starts.length = 0;
    d.ends.length = 0;
    this.memory -= d.memory;
    d.memory = 0;
    d.received = 0;
  }

  private remove(d: Datagram): void {
    this.releaseFragments(d);
    // Unlink from the hash chain.
    const first = this.buckets.get(d.hash)!;
    if (first === d) {
      if (d.hashNext === null) this.buckets.delete(d.hash);
      else this.buckets.set(d.hash, d.hashNext);
    } else {
      let p = first;
      while (p.hashNext !== d) p = p.hashNext!;
      p.hashNext = d.hashNext;
    }
    // Unlink from the FIFO.
    if (d.older !== null) d.older.newer = d.newer;
    else this.oldest = d.newer;
    if (d.newer !== null) d.newer.older = d.older;
    else this.newest = d.older;
    d.older = d.newer = d.hashNext = null;
    this.count--;
  }

  private complete(d: Datagram, timestamp: number, out: Ipv4Repr): PacketBuffer | null {
    const ctx = this.ctx;
    const c = ctx.counters;
    const first = d.frags[0]!;
    const hl = ipv4HeaderLength(first.bytes, first.head);
    const total = d.total;
    if (hl + total > IPV4_MAX_TOTAL_LEN) {
      c.drops.badFragment++;
      c.ip.ReasmFails++;
      this.remove(d);
      return null;
    }
    const buf = ctx.pool.alloc(hl + total);
    if (buf === null) {
      c.drops.noBuffer++;
      c.ip.ReasmFails++;
      c.ip.InDiscards++;
      this.remove(d);
      return null;
    }
    const h = buf.append(hl + total);
    const ob = buf.bytes;
    // RFC 791 §3.2: the first fragment's header (with its options) heads the datagram.
    ob.set(first.bytes.subarray(first.head, first.head + hl), h);
    const engine = ctx.pool.checksum;
    let sum = 0;
    for (let k = 0; k < d.frags.length; k++) {
      const f = d.frags[k]!;
      const fhl = ipv4HeaderLength(f.bytes, f.head);
      // Offsets are multiples of 8, so every earlier range had even length: sums chain directly.
      sum = engine.copyAndSum(f.bytes, f.head + fhl, ob, h + hl + d.starts[k]!, d.ends[k]! - d.starts[k]!, sum);
    }
    ctx.acct.copyCsum(total);
    writeU16(ob, h + Ipv4Field.TOTAL_LENGTH, hl + total);
    // Offset 0 and MF clear; DF (and the reserved bit) as in fragment zero.
    writeU16(ob, h + Ipv4Field.FLAGS_FRAGMENT, (ipv4Flags(first.bytes, first.head) & ~Ipv4Flag.MF & 7) << 13);
    writeIpv4HeaderChecksum(ob, h);
    ctx.acct.csum(hl);
    buf.csumState = CSUM_COMPLETE;
    buf.csumValue = sum;
    buf.timestamp = timestamp;
    this.remove(d);
    c.ip.ReasmOKs++;
    const r = parseIpv4Header(ob, h, hl + total, out);
    if (isWireError(r)) {
      // Cannot happen (we built the header); keep the no-throw promise anyway.
      c.drops.badFragment++;
      buf.release();
      return null;
    }
    return buf;
  }
}
