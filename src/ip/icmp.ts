/**
 * ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): answering echo requests,
 * delivering received errors to the transport that sent the quoted datagram,
 * generating errors (rate-limited) for the rest of the stack, and reporting
 * local link failures (ARP) as host unreachable.
 *
 * Owns: ICMP input, the error generator and its token bucket, the ping manager.
 * Must not: decide when an error is due (callers do: input, forwarding,
 * reassembly, UDP, ARP) — only whether RFC 1122 allows sending it.
 *
 * Error generation (sendError), in order:
 *  1. RFC 1122 §3.2.2: never about an ICMP error message, a datagram sent to a
 *     broadcast or multicast address or received as a link-layer broadcast, a
 *     non-initial fragment, or one whose source does not define a single host
 *     (0.0.0.0, broadcast, multicast, class E). Counted OutSuppressed.
 *  2. RFC 1812 §4.3.2.8 rate limit: a token bucket of icmp.errorBurst tokens
 *     refilled at icmp.errorRate per second of virtual time (Linux
 *     icmp_msgs_per_sec / icmp_msgs_burst; global, not per destination). Errors
 *     for our own (looped-back) datagrams are exempt, as Linux exempts loopback.
 *     Counted OutRateLimitGlobal. Echo replies are never limited.
 *  3. The message quotes as much of the datagram as fits in 576 bytes
 *     (RFC 1812 §4.3.2.3; at least the header + 8 bytes RFC 792 requires) and
 *     is sent from the address the datagram was sent to if that is ours, else
 *     from the address of the interface the error leaves by (RFC 1812 §4.3.2.4).
 *
 * Received errors: only those quoting a datagram from one of our addresses are
 * delivered (others are counted InErrorsUnclaimed). Fragmentation needed (code 4)
 * lowers the path MTU first (RFC 1191). Source quench (RFC 6633: deprecated)
 * and redirects are counted and ignored — the latter a documented gap (RFC 1122
 * §3.2.2.2 wants hosts to update their route).
 */
import { CSUM_COMPLETE, CSUM_NONE, CSUM_UNNECESSARY, type PacketBuffer } from '../buf/packet-buffer.js';
import { readU16, readU32 } from '../wire/address.js';
import { incrementalUpdate } from '../wire/checksum.js';
import { isWireError } from '../wire/error.js';
import {
  emitIcmp,
  ICMP_HEADER_LEN,
  IcmpField,
  icmpIsError,
  IcmpRepr,
  IcmpType,
  IcmpUnreachableCode,
  parseIcmp,
} from '../wire/icmp.js';
import { Ipv4Field, IPV4_MIN_HEADER_LEN, IpProtocol, type Ipv4Repr } from '../wire/ipv4.js';
import type { IpContext } from './context.js';
import { PingManager } from './ping.js';
import type { TransportProtocol } from './types.js';

/** RFC 1812 §4.3.2.3: an ICMP error datagram is at most 576 bytes. */
const MAX_ERROR_DATAGRAM = 576;
const MAX_QUOTE = MAX_ERROR_DATAGRAM - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN;

export class IcmpLayer implements TransportProtocol {
  readonly ping: PingManager;
  private readonly repr = new IcmpRepr();
  private readonly txRepr = new IcmpRepr();
  /** Copy of a failed packet's first bytes (linkFailure): header + quoted data, contiguous. */
  private readonly quote = new Uint8Array(MAX_QUOTE);
  private tokens: number;
  private lastRefill = 0;

  constructor(private readonly ctx: IpContext) {
    this.ping = new PingManager(ctx);
    this.tokens = ctx.config.icmp.errorBurst;
    this.lastRefill = ctx.clock.now();
  }

  /** TransportProtocol.input: an ICMP message for us (head at the ICMP header). */
  input(pkt: PacketBuffer, src: number, dst: number, ip: Ipv4Repr): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    c.icmp.InMsgs++;
    const bytes = pkt.bytes;
    const off = pkt.head;
    const len = pkt.length;
    // RFC 792: the checksum covers the whole ICMP message (no pseudo-header).
    let ok: boolean;
    if (pkt.csumState === CSUM_UNNECESSARY) ok = true;
    else if (pkt.csumState === CSUM_COMPLETE) ok = pkt.csumValue === 0xffff;
    else {
      ctx.acct.csum(len);
      ok = ctx.pool.checksum.sum(bytes, off, len) === 0xffff;
    }
    if (!ok) {
      c.icmp.InCsumErrors++;
      c.icmp.InErrors++;
      c.drops.badChecksum++;
      pkt.release();
      return;
    }
    const r = parseIcmp(bytes, off, len, this.repr);
    if (isWireError(r)) {
      c.icmp.InErrors++;
      c.drops.icmpMalformed++;
      pkt.release();
      return;
    }
    switch (r.type) {
      case IcmpType.ECHO_REQUEST:
        c.icmp.InEchos++;
        this.echo(pkt, src, dst);
        return;
      case IcmpType.ECHO_REPLY:
        c.icmp.InEchoReps++;
        this.ping.onReply(r.identifier, r.sequence, src, ip.ttl, r.payloadLength, bytes, r.payloadOffset);
        pkt.release();
        return;
      case IcmpType.DEST_UNREACHABLE:
        c.icmp.InDestUnreachs++;
        break;
      case IcmpType.TIME_EXCEEDED:
        c.icmp.InTimeExcds++;
        break;
      case IcmpType.PARAMETER_PROBLEM:
        c.icmp.InParmProbs++;
        break;
      case IcmpType.SOURCE_QUENCH:
        c.icmp.InSrcQuenchs++; // RFC 6633 §2: hosts MUST NOT react to source quench
        c.drops.icmpIgnored++;
        pkt.release();
        return;
      case IcmpType.REDIRECT:
        c.icmp.InRedirects++;
        c.drops.icmpIgnored++;
        pkt.release();
        return;
      case IcmpType.TIMESTAMP:
        c.icmp.InTimestamps++;
        c.drops.icmpIgnored++;
        pkt.release();
        return;
      default:
        c.icmp.InOther++;
        c.drops.icmpIgnored++;
        pkt.release();
        return;
    }
    // An error about a datagram we sent: only if it came from one of our addresses.
    if (!ctx.isLocalAddress(r.originalSrc)) {
      c.icmp.InErrorsUnclaimed++;
      pkt.release();
      return;
    }
    let info = 0;
    if (r.type === IcmpType.DEST_UNREACHABLE && r.code === IcmpUnreachableCode.FRAGMENTATION_NEEDED) {
      // RFC 1191 §3: lower the path MTU estimate for the quoted destination.
      const quotedTotal = readU16(bytes, r.payloadOffset + Ipv4Field.TOTAL_LENGTH);
      const route = ctx.routes.lookup(r.originalDst);
      const current = route === null ? quotedTotal : ctx.tx.routeMtu(route.iface, r.originalDst);
      info = ctx.pmtu.update(r.originalDst, r.nextHopMtu, quotedTotal, current);
    }
    this.deliverError(r.type, r.code, info, bytes, r.payloadOffset, r.payloadLength, src);
    pkt.release();
  }

  /** TransportProtocol.icmpError: errors about ICMP messages we sent go to ping. */
  icmpError(type: number, code: number, _info: number, bytes: Uint8Array, innerOffset: number, innerLength: number): void {
    this.ping.onError(type, code, bytes, innerOffset, innerLength, 0);
  }

  /**
   * Hand an error about one of our datagrams (quoted at bytes[off, off+len)) to
   * the protocol that sent it. `from` is who reported it (0: local failure).
   */
  deliverError(type: number, code: number, info: number, bytes: Uint8Array, off: number, len: number, from: number): void {
    const proto = bytes[off + Ipv4Field.PROTOCOL]!;
    if (proto === IpProtocol.ICMP) {
      this.ping.onError(type, code, bytes, off, len, from);
      return;
    }
    const h = this.ctx.protocols[proto];
    if (h === null || h === undefined) {
      this.ctx.counters.icmp.InErrorsUnclaimed++;
      return;
    }
    h.icmpError(type, code, info, bytes, off, len);
  }

  /** RFC 792 echo: turn the request around in place (RFC 1122 §3.2.2.6: all data returned). */
  private echo(pkt: PacketBuffer, src: number, dst: number): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    if (ctx.config.icmp.echoIgnoreBroadcasts && (ctx.isBroadcastAddress(dst) || dst >>> 28 === 0xe || ctx.rxLinkBroadcast)) {
      // RFC 1122 §3.2.2.6: an echo request to a broadcast/multicast address MAY be discarded.
      c.drops.icmpEchoBroadcast++;
      pkt.release();
      return;
    }
    let reply = pkt;
    if (pkt.isShared()) {
      const copy = ctx.pool.alloc(pkt.length);
      if (copy === null) {
        c.icmp.OutErrors++;
        c.drops.noBuffer++;
        pkt.release();
        return;
      }
      copy.bytes.set(pkt.bytes.subarray(pkt.head, pkt.tail), copy.append(pkt.length));
      ctx.acct.copy(pkt.length);
      pkt.release();
      reply = copy;
    }
    const b = reply.bytes;
    const h = reply.head;
    const oldWord = (b[h + IcmpField.TYPE]! << 8) | b[h + IcmpField.CODE]!;
    b[h + IcmpField.TYPE] = IcmpType.ECHO_REPLY;
    b[h + IcmpField.CODE] = 0;
    // RFC 1624 eqn. 3: only the type/code word changed.
    const cs = incrementalUpdate(readU16(b, h + IcmpField.CHECKSUM), oldWord, IcmpType.ECHO_REPLY << 8);
    b[h + IcmpField.CHECKSUM] = cs >>> 8;
    b[h + IcmpField.CHECKSUM + 1] = cs & 0xff;
    reply.csumState = CSUM_NONE;
    const from = ctx.isLocalAddress(dst) ? dst : 0;
    c.icmp.OutMsgs++;
    c.icmp.OutEchoReps++;
    if (ctx.tx.output(reply, from, src, IpProtocol.ICMP) < 0) c.icmp.OutErrors++;
  }

  /**
   * Send an ICMP error about the datagram whose IPv4 header starts at
   * bytes[ipOff] (`avail` bytes of it available: header + as much data as
   * there is). Applies the RFC 1122 §3.2.2 suppressions and the rate limit.
   * Returns whether a message was sent. Does not take ownership of anything.
   */
  sendError(type: number, code: number, info: number, bytes: Uint8Array, ipOff: number, avail: number): boolean {
    const ctx = this.ctx;
    const c = ctx.counters;
    if (avail < IPV4_MIN_HEADER_LEN) return false;
    const ihl = (bytes[ipOff]! & 0x0f) * 4;
    const origSrc = readU32(bytes, ipOff + Ipv4Field.SRC);
    const origDst = readU32(bytes, ipOff + Ipv4Field.DST);
    const fragOffset = readU16(bytes, ipOff + Ipv4Field.FLAGS_FRAGMENT) & 0x1fff;
    const proto = bytes[ipOff + Ipv4Field.PROTOCOL]!;
    // RFC 1122 §3.2.2: "An ICMP error message MUST NOT be sent as the result of receiving: …"
    if (
      ctx.rxLinkBroadcast || // "a datagram sent as a link-layer broadcast"
      fragOffset !== 0 || // "a non-initial fragment"
      !ctx.isUnicast(origDst) || // "a datagram destined to an IP broadcast or IP multicast address"
      !ctx.isUnicast(origSrc) || // "a datagram whose source address does not define a single host"
      (proto === IpProtocol.ICMP && !isQuotableIcmp(bytes, ipOff + ihl, avail - ihl)) // "an ICMP error message"
    ) {
      c.icmp.OutSuppressed++;
      return false;
    }
    const local = ctx.isLocalAddress(origSrc);
    if (!local && !this.takeToken()) {
      c.icmp.OutRateLimitGlobal++;
      return false;
    }
    // RFC 1812 §4.3.2.4: source = the datagram's destination if it was ours, else the outgoing interface's address.
    let from = ctx.isLocalAddress(origDst) ? origDst : ctx.tx.sourceFor(origSrc);
    if (from < 0) {
      c.icmp.OutErrors++;
      c.ip.OutNoRoutes++;
      return false;
    }
    from >>>= 0;
    const quoteLen = Math.min(avail, MAX_QUOTE);
    const buf = ctx.pool.alloc(ICMP_HEADER_LEN + quoteLen);
    if (buf === null) {
      c.icmp.OutErrors++;
      c.drops.noBuffer++;
      return false;
    }
    const h = buf.append(ICMP_HEADER_LEN + quoteLen);
    buf.bytes.set(bytes.subarray(ipOff, ipOff + quoteLen), h + ICMP_HEADER_LEN);
    ctx.acct.copy(quoteLen);
    const t = this.txRepr;
    t.type = type;
    t.code = code;
    t.rest = 0;
    t.nextHopMtu = type === IcmpType.DEST_UNREACHABLE && code === IcmpUnreachableCode.FRAGMENTATION_NEEDED ? info : 0;
    t.identifier = 0;
    t.sequence = 0;
    t.payloadLength = quoteLen;
    emitIcmp(t, buf.bytes, h, ctx.pool.checksum);
    ctx.acct.csum(ICMP_HEADER_LEN + quoteLen);
    c.icmp.OutMsgs++;
    if (type === IcmpType.DEST_UNREACHABLE) c.icmp.OutDestUnreachs++;
    else if (type === IcmpType.TIME_EXCEEDED) c.icmp.OutTimeExcds++;
    else if (type === IcmpType.PARAMETER_PROBLEM) c.icmp.OutParmProbs++;
    if (ctx.tx.output(buf, from, origSrc, IpProtocol.ICMP) < 0) {
      c.icmp.OutErrors++;
      return false;
    }
    return true;
  }

  /**
   * A datagram we were sending (head at its IPv4 header) could not be delivered
   * to its next hop (ARP failed). RFC 1122 §3.2.2.1 / Linux ipv4_link_failure:
   * host unreachable — delivered straight to the local transport (or ping) when
   * we originated it, sent as ICMP to the source when we were forwarding it.
   * Only the first fragment of a datagram is reported. Does not take ownership.
   */
  linkFailure(pkt: PacketBuffer): void {
    const ctx = this.ctx;
    const total = pkt.next === null ? pkt.length : pkt.chainLength();
    if (total < IPV4_MIN_HEADER_LEN) return;
    // Copy the start of the datagram: it may be a chain (IPv4 header, then the L4 buffers).
    const n = Math.min(total, MAX_QUOTE);
    let o = 0;
    for (let b: PacketBuffer | null = pkt; b !== null && o < n; b = b.next) {
      const k = Math.min(b.tail - b.head, n - o);
      this.quote.set(b.bytes.subarray(b.head, b.head + k), o);
      o += k;
    }
    const q = this.quote;
    const ihl = (q[0]! & 0x0f) * 4;
    if ((readU16(q, Ipv4Field.FLAGS_FRAGMENT) & 0x1fff) !== 0 || n < ihl + 8) return;
    const src = readU32(q, Ipv4Field.SRC);
    if (ctx.isLocalAddress(src)) {
      this.deliverError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.HOST, 0, q, 0, n, src);
    } else {
      this.sendError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.HOST, 0, q, 0, n);
    }
  }

  private takeToken(): boolean {
    const cfg = this.ctx.config.icmp;
    if (cfg.errorRate === 0) return false;
    const now = this.ctx.clock.now();
    const elapsed = now - this.lastRefill;
    if (elapsed > 0) {
      this.tokens = Math.min(cfg.errorBurst, this.tokens + (elapsed * cfg.errorRate) / 1e9);
      this.lastRefill = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * ICMP types we may answer with an error: the queries (RFC 792 echo,
 * timestamp, information; RFC 950 address mask). Unknown types are treated
 * like errors and never answered (Linux icmp_pointers[].error / the
 * "not an informational message" check).
 */
function isKnownQuery(type: number): boolean {
  return type === 0 || type === 8 || (type >= 13 && type <= 18);
}

/** Whether an ICMP message (its type at bytes[off], `len` bytes available) may draw an ICMP error. */
function isQuotableIcmp(bytes: Uint8Array, off: number, len: number): boolean {
  return len >= 1 && !icmpIsError(bytes[off]!) && isKnownQuery(bytes[off]!);
}
