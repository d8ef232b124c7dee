/**
 * The receive path from a NIC frame to a transport: Ethernet dispatch,
 * IPv4 header validation (RFC 791, RFC 1122 §3.2.1, RFC 1812 §5.2.2), address
 * filtering, reassembly, delivery by protocol number, and forwarding (RFC 1812
 * §5.2/§5.3) when enabled.
 *
 * Owns: the per-frame receive logic and the reassembler.
 * Must not: throw or leak on any frame contents: every exit either hands the
 * buffer on (ownership passes) or releases it and bumps a drop counter.
 *
 * Order of checks for a datagram (each failure counted and dropped):
 *  1. header parse: version 4, IHL ≥ 5, IHL ≤ Total Length ≤ bytes received
 *     (InHdrErrors; 'truncated'/'badVersion'/'badHeaderLength'/'badTotalLength';
 *     short datagrams also InTruncatedPkts);
 *  2. header checksum, always in software like Linux (acct.csum(IHL×4);
 *     InCsumErrors + InHdrErrors; skipped for looped-back datagrams);
 *  3. Ethernet padding beyond Total Length is trimmed;
 *  4. RFC 1812 §5.3.7 martian sources from the wire (multicast, limited
 *     broadcast, class E, 127/8, one of our own addresses) → InAddrErrors;
 *  5. local delivery if the destination is ours, 127/8 from loopback, the
 *     limited broadcast or one of our subnets' broadcast; else forwarding if
 *     enabled and it came from a NIC; else InAddrErrors ('notForUs').
 * IP options are accepted and skipped (not interpreted). Multicast is not
 * supported (dropped 'notForUs').
 */
import { CSUM_NONE, type PacketBuffer } from '../buf/packet-buffer.js';
import { IPV4_BROADCAST, isBroadcastMac, isIpv4Loopback, isIpv4Multicast, macEquals, readU16 } from '../wire/address.js';
import { incrementalUpdate } from '../wire/checksum.js';
import { isWireError } from '../wire/error.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetField } from '../wire/ethernet.js';
import { IcmpTimeExceededCode, IcmpType, IcmpUnreachableCode } from '../wire/icmp.js';
import { Ipv4Field, Ipv4Flag, Ipv4Repr, parseIpv4Header } from '../wire/ipv4.js';
import { linearize } from './chain.js';
import type { IpContext } from './context.js';
import type { Interface } from './interface.js';
import { Reassembler } from './reassembly.js';

export class Ipv4Receiver {
  readonly reassembler: Reassembler;
  private readonly repr = new Ipv4Repr();
  private readonly reasmRepr = new Ipv4Repr();

  constructor(private readonly ctx: IpContext) {
    this.reassembler = new Reassembler(ctx);
  }

  /** A frame from `iface`'s NIC (head at the Ethernet header). Takes ownership. */
  frame(buf: PacketBuffer, iface: Interface): void {
    const ctx = this.ctx;
    ctx.acct.packet();
    if (buf.next !== null) {
      // Drivers deliver single buffers; a chained frame is made linear so headers are contiguous.
      const lin = linearize(ctx.pool, ctx.acct, buf, 0);
      if (lin === null) {
        ctx.counters.drops.noBuffer++;
        return;
      }
      buf = lin;
    }
    if (buf.length < ETHERNET_HEADER_LEN) {
      ctx.counters.drops.runtFrame++;
      buf.release();
      return;
    }
    const b = buf.bytes;
    const h = buf.head;
    const bcast = isBroadcastMac(b, h + EthernetField.DST);
    if (!bcast && !macEquals(b, h + EthernetField.DST, iface.mac, 0)) {
      // Not for our MAC (a flooding switch, or multicast we did not join).
      ctx.counters.drops.otherHost++;
      buf.release();
      return;
    }
    const type = readU16(b, h + EthernetField.ETHERTYPE);
    buf.trimFront(ETHERNET_HEADER_LEN);
    if (type === EtherType.IPV4) {
      ctx.rxLinkBroadcast = bcast;
      this.input(buf, iface);
      ctx.rxLinkBroadcast = false;
    } else if (type === EtherType.ARP) {
      ctx.arp.input(buf, iface);
    } else {
      ctx.counters.drops.unknownEtherType++;
      buf.release();
    }
  }

  /** An IPv4 datagram (head at its header) from `iface`, or from loopback (null). Takes ownership. */
  input(buf: PacketBuffer, iface: Interface | null): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    c.ip.InReceives++;
    const b = buf.bytes;
    const head = buf.head;
    const r = parseIpv4Header(b, head, buf.length, this.repr);
    if (isWireError(r)) {
      c.ip.InHdrErrors++;
      switch (r.code) {
        case 'truncated':
          c.ip.InTruncatedPkts++;
          c.drops.truncated++;
          break;
        case 'badVersion':
          c.drops.badVersion++;
          break;
        case 'badHeaderLength':
          c.drops.badHeaderLength++;
          break;
        default:
          c.drops.badTotalLength++;
          break;
      }
      buf.release();
      return;
    }
    if (iface !== null) {
      // RFC 1122 §3.2.1.2: "A host MUST verify the IP header checksum on every received datagram".
      ctx.acct.csum(r.headerLength);
      if (ctx.pool.checksum.sum(b, head, r.headerLength) !== 0xffff) {
        c.ip.InCsumErrors++;
        c.ip.InHdrErrors++;
        c.drops.badChecksum++;
        buf.release();
        return;
      }
    }
    if (r.paddingLength > 0) buf.trimBack(r.paddingLength);
    const src = r.src;
    const dst = r.dst;
    if (iface !== null) {
      // RFC 1812 §5.3.7 / RFC 1122 §3.2.1.3: martian source addresses.
      if (
        isIpv4Multicast(src) ||
        src === IPV4_BROADCAST ||
        src >>> 28 === 0xf ||
        isIpv4Loopback(src) ||
        isIpv4Loopback(dst) ||
        ctx.isInterfaceAddress(src)
      ) {
        c.ip.InAddrErrors++;
        c.drops.martianSource++;
        buf.release();
        return;
      }
    }
    if (ctx.isLocalAddress(dst) || dst === IPV4_BROADCAST || ctx.isBroadcastAddress(dst)) {
      this.deliver(buf, r);
      return;
    }
    if (iface !== null && ctx.config.ipForwarding && !isIpv4Multicast(dst)) {
      this.forward(buf, r);
      return;
    }
    c.ip.InAddrErrors++;
    c.drops.notForUs++;
    buf.release();
  }

  /** Local delivery: reassemble if needed, then hand to the protocol. */
  private deliver(buf: PacketBuffer, r: Ipv4Repr): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    if ((r.flags & Ipv4Flag.MF) !== 0 || r.fragmentOffset !== 0) {
      const whole = this.reassembler.add(buf, r, this.reasmRepr);
      if (whole === null) return;
      buf = whole;
      r = this.reasmRepr;
    }
    const handler = ctx.protocols[r.protocol];
    if (handler === null || handler === undefined) {
      c.ip.InUnknownProtos++;
      c.drops.unknownProtocol++;
      // RFC 1122 §3.2.2.1: protocol unreachable (code 2) for an unknown transport.
      ctx.icmp.sendError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.PROTOCOL, 0, buf.bytes, buf.head, buf.length);
      buf.release();
      return;
    }
    c.ip.InDelivers++;
    buf.trimFront(r.headerLength);
    handler.input(buf, r.src, r.dst, r);
  }

  /** RFC 1812 §5.2/§5.3: forward a datagram not addressed to us. */
  private forward(buf: PacketBuffer, r: Ipv4Repr): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    const b = buf.bytes;
    const head = buf.head;
    const total = r.headerLength + r.payloadLength;
    if (ctx.rxLinkBroadcast || r.dst === 0 || r.dst >>> 28 === 0xf) {
      // RFC 1812 §5.3.4: link-layer broadcasts are not forwarded; nor are 0.0.0.0 or class E.
      c.ip.InAddrErrors++;
      c.drops.notForUs++;
      buf.release();
      return;
    }
    // RFC 1812 §5.3.1: "the router MUST NOT forward a datagram with TTL ≤ 1" after decrementing; ICMP Time Exceeded.
    if (r.ttl <= 1) {
      c.ip.InHdrErrors++;
      c.drops.ttlExceeded++;
      ctx.icmp.sendError(IcmpType.TIME_EXCEEDED, IcmpTimeExceededCode.TTL_EXCEEDED, 0, b, head, total);
      buf.release();
      return;
    }
    const route = ctx.routes.lookup(r.dst);
    if (route === null) {
      c.ip.OutNoRoutes++;
      c.drops.noRoute++;
      ctx.icmp.sendError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.NET, 0, b, head, total);
      buf.release();
      return;
    }
    const mtu = ctx.tx.routeMtu(route.iface, r.dst);
    if (total > mtu && (r.flags & Ipv4Flag.DF) !== 0) {
      // RFC 1191 §4 / RFC 1812 §5.2.7.1: fragmentation needed, with the next-hop MTU.
      c.ip.FragFails++;
      c.drops.fragNeeded++;
      ctx.icmp.sendError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.FRAGMENTATION_NEEDED, mtu, b, head, total);
      buf.release();
      return;
    }
    // Decrement the TTL and patch the header checksum incrementally (RFC 1624 eqn. 3; RFC 1812 §5.3.1).
    const oldWord = readU16(b, head + Ipv4Field.TTL);
    const newWord = oldWord - 0x100;
    const cs = incrementalUpdate(readU16(b, head + Ipv4Field.CHECKSUM), oldWord, newWord);
    b[head + Ipv4Field.TTL] = r.ttl - 1;
    b[head + Ipv4Field.CHECKSUM] = cs >>> 8;
    b[head + Ipv4Field.CHECKSUM + 1] = cs & 0xff;
    r.ttl -= 1;
    buf.csumState = CSUM_NONE;
    c.ip.ForwDatagrams++;
    ctx.tx.sendBuilt(buf, r, route, mtu);
  }
}
