/**
 * IPv4 output (RFC 791, RFC 1122 §3.3): datagrams from local transports —
 * route lookup, source selection, header, fragmentation or EMSGSIZE (DF),
 * checksum completion for NICs without offload, loopback delivery — and the
 * transmit half of forwarding.
 *
 * Owns: the identification counter, the loopback queue, Ipv4Output.sourceFor/mtuFor.
 * Must not: resolve MACs (arp.ts) or parse received packets (ipv4-input.ts).
 *
 * Loopback: a datagram to one of our own addresses (or 127.0.0.0/8) never
 * touches a NIC. It is queued and delivered to the input path from a deferred
 * clock callback (clock.defer), never re-entrantly from inside output(): a
 * transport sending to itself sees its own packet only after the current event,
 * like Linux's loopback device going through the backlog (netif_rx). Loopback
 * MTU is 65535 (no fragmentation); like Linux's lo, looped-back packets are
 * marked CSUM_UNNECESSARY, so CSUM_PARTIAL packets are never completed.
 */
import { CSUM_PARTIAL, CSUM_UNNECESSARY, type PacketBuffer } from '../buf/packet-buffer.js';
import { IPV4_BROADCAST } from '../wire/address.js';
import { emitIpv4Header, IPV4_MAX_TOTAL_LEN, IPV4_MIN_HEADER_LEN, Ipv4Flag, Ipv4Repr } from '../wire/ipv4.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { completePartialChecksum, ensureHeadroom, linearize } from './chain.js';
import type { IpContext } from './context.js';
import { Errno } from './errors.js';
import { fragmentAndSend } from './fragment.js';
import type { Interface } from './interface.js';
import type { Route } from './routing.js';
import type { Ipv4OutputOptions } from './types.js';

/** MTU of the loopback path (Linux lo is 65536; a datagram cannot exceed 65535). */
export const LOOPBACK_MTU = IPV4_MAX_TOTAL_LEN;

function drainLoopback(tx: Ipv4Sender): void {
  tx.drainLoopback();
}

export class Ipv4Sender {
  /** RFC 791 Identification: one counter per stack (RFC 6864 §4.1 allows any scheme for atomic datagrams). */
  private ident: number;
  private readonly hdr = new Ipv4Repr();
  private readonly fragScratch = new Ipv4Repr();
  private readonly loopQueue: PacketBuffer[] = [];
  private loopScheduled = false;

  constructor(private readonly ctx: IpContext) {
    // A per-host starting point (deterministic: derived from the stack's name).
    let h = 0x811c9dc5;
    for (let i = 0; i < ctx.name.length; i++) h = Math.imul(h ^ ctx.name.charCodeAt(i), 0x01000193);
    this.ident = (h >>> 0) & 0xffff;
  }

  /** Ipv4Output.output (see types.ts for the contract). */
  output(pkt: PacketBuffer, src: number, dst: number, protocol: number, opts?: Ipv4OutputOptions): number {
    const ctx = this.ctx;
    const c = ctx.counters;
    c.ip.OutRequests++;
    const ttl = opts?.ttl ?? ctx.config.defaultTtl;
    const tos = opts?.tos ?? 0;
    const df = opts?.df === true;
    const badArgs = protocol >>> 0 !== protocol || protocol > 255 || dst !== dst >>> 0 || src !== src >>> 0;
    if (badArgs || ttl >>> 0 !== ttl || ttl > 255 || tos >>> 0 !== tos || tos > 255) {
      pkt.release();
      return Errno.EINVAL;
    }
    const len = pkt.next === null ? pkt.length : pkt.chainLength();
    if (len + IPV4_MIN_HEADER_LEN > IPV4_MAX_TOTAL_LEN) {
      c.drops.tooBig++;
      c.ip.OutDiscards++;
      pkt.release();
      return Errno.EMSGSIZE;
    }

    if (ctx.isLocalAddress(dst)) {
      // RFC 1122 §3.3.1.1: "locally destined" datagrams are delivered internally.
      return this.loopback(pkt, src === 0 ? dst : src, dst, protocol, ttl, tos, df, len);
    }

    const route = ctx.routes.lookup(dst);
    let iface: Interface | null = route === null ? null : route.iface;
    if (dst === IPV4_BROADCAST && iface === null) iface = this.firstAddressed();
    if (iface === null) {
      c.ip.OutNoRoutes++;
      c.drops.noRoute++;
      pkt.release();
      return Errno.ENETUNREACH;
    }
    if (src === 0) {
      if (!iface.hasAddress) {
        c.ip.OutNoRoutes++;
        c.drops.noRoute++;
        pkt.release();
        return Errno.ENETUNREACH;
      }
      src = iface.address;
    }
    const nextHop = route === null || route.gateway === 0 || dst === IPV4_BROADCAST ? dst : route.gateway;
    const mtu = this.routeMtu(iface, dst);
    const ident = this.nextIdent();

    if (len + IPV4_MIN_HEADER_LEN > mtu) {
      if (df) {
        // RFC 1191: with DF set the sender learns the MTU instead of fragmenting.
        c.ip.FragFails++;
        c.drops.fragNeeded++;
        pkt.release();
        return Errno.EMSGSIZE;
      }
      // The checksum covers the whole datagram: complete it before splitting (skb_checksum_help).
      if (pkt.csumState === CSUM_PARTIAL) completePartialChecksum(ctx.pool, ctx.acct, pkt);
      const h = this.hdr;
      h.identification = ident;
      h.dscp = tos >>> 2;
      h.ecn = tos & 3;
      h.ttl = ttl;
      h.protocol = protocol;
      h.src = src;
      h.dst = dst;
      h.flags = 0;
      h.fragmentOffset = 0;
      const n = fragmentAndSend(ctx, pkt, 0, len, h, mtu, iface, nextHop, this.fragScratch);
      return n < 0 ? n : 0;
    }

    const frame = this.prependHeader(pkt, src, dst, protocol, ttl, tos, df, ident, len);
    if (frame === null) return Errno.ENOBUFS;
    if (frame.csumState === CSUM_PARTIAL && !iface.txChecksumOffload) {
      // Linux skb_checksum_help: the device cannot finish it, so software does.
      completePartialChecksum(ctx.pool, ctx.acct, frame);
    }
    ctx.arp.output(frame, iface, nextHop);
    return 0;
  }

  /**
   * Send a datagram that already has its header (head at the IPv4 header):
   * the transmit half of forwarding. Fragments when it exceeds the MTU (the
   * caller has checked DF). `repr` describes the header (as parsed, TTL already
   * decremented). Takes ownership.
   */
  sendBuilt(pkt: PacketBuffer, repr: Ipv4Repr, route: Route, mtu: number): void {
    const dst = repr.dst;
    const nextHop = route.gateway === 0 ? dst : route.gateway;
    const total = repr.headerLength + repr.payloadLength;
    if (total > mtu) {
      fragmentAndSend(this.ctx, pkt, repr.headerLength, repr.payloadLength, repr, mtu, route.iface, nextHop, this.fragScratch);
      return;
    }
    this.ctx.arp.output(pkt, route.iface, nextHop);
  }

  /** Ipv4Output.sourceFor. */
  sourceFor(dst: number): number {
    const ctx = this.ctx;
    if (ctx.isLocalAddress(dst)) return dst;
    const route = ctx.routes.lookup(dst);
    let iface = route === null ? null : route.iface;
    if (dst === IPV4_BROADCAST && iface === null) iface = this.firstAddressed();
    return iface === null || !iface.hasAddress ? -1 : iface.address;
  }

  /** Ipv4Output.mtuFor. */
  mtuFor(dst: number): number {
    const ctx = this.ctx;
    if (ctx.isLocalAddress(dst)) return LOOPBACK_MTU;
    const route = ctx.routes.lookup(dst);
    if (route === null) return 0;
    return this.routeMtu(route.iface, dst);
  }

  /** Whether a datagram of `total` bytes to dst would leave through a NIC that completes CSUM_PARTIAL checksums (or loop back). */
  checksumOffloadFor(dst: number, total: number): boolean {
    const ctx = this.ctx;
    if (ctx.isLocalAddress(dst)) return true;
    const route = ctx.routes.lookup(dst);
    if (route === null) return false;
    return route.iface.txChecksumOffload && total <= this.routeMtu(route.iface, dst);
  }

  /** Interface MTU lowered by a path-MTU estimate (RFC 1191). */
  routeMtu(iface: Interface, dst: number): number {
    const p = this.ctx.pmtu.get(dst);
    return p > 0 && p < iface.mtu ? p : iface.mtu;
  }

  private firstAddressed(): Interface | null {
    for (const f of this.ctx.interfaces) if (f.hasAddress) return f;
    return null;
  }

  private nextIdent(): number {
    const id = this.ident;
    this.ident = (id + 1) & 0xffff;
    return id;
  }

  /** Put a 20-byte header in front of `pkt` (chaining a header buffer if needed). Null: pool exhausted (pkt released, counted). */
  private prependHeader(
    pkt: PacketBuffer,
    src: number,
    dst: number,
    protocol: number,
    ttl: number,
    tos: number,
    df: boolean,
    ident: number,
    len: number,
  ): PacketBuffer | null {
    const ctx = this.ctx;
    const frame = ensureHeadroom(ctx.pool, pkt, IPV4_MIN_HEADER_LEN + ETHERNET_HEADER_LEN);
    if (frame === null) {
      ctx.counters.drops.noBuffer++;
      ctx.counters.ip.OutDiscards++;
      pkt.release();
      return null;
    }
    const h = this.hdr;
    h.dscp = tos >>> 2;
    h.ecn = tos & 3;
    h.identification = ident;
    h.flags = df ? Ipv4Flag.DF : 0;
    h.fragmentOffset = 0;
    h.ttl = ttl;
    h.protocol = protocol;
    h.src = src;
    h.dst = dst;
    h.payloadLength = len;
    emitIpv4Header(h, frame.bytes, frame.prepend(IPV4_MIN_HEADER_LEN));
    ctx.acct.csum(IPV4_MIN_HEADER_LEN); // RFC 791 header checksum, always in software
    return frame;
  }

  private loopback(pkt: PacketBuffer, src: number, dst: number, protocol: number, ttl: number, tos: number, df: boolean, len: number): number {
    const ctx = this.ctx;
    const frame = this.prependHeader(pkt, src, dst, protocol, ttl, tos, df, this.nextIdent(), len);
    if (frame === null) return Errno.ENOBUFS;
    ctx.acct.packet(); // the loopback "device" handles the frame on transmit
    this.loopQueue.push(frame);
    if (!this.loopScheduled) {
      this.loopScheduled = true;
      ctx.clock.defer(drainLoopback, this);
    }
    return 0;
  }

  /** @internal Deferred: feed looped-back datagrams to the input path. */
  drainLoopback(): void {
    this.loopScheduled = false;
    const ctx = this.ctx;
    const q = this.loopQueue;
    // Datagrams looped back while draining (replies) wait for the next deferred run: no unbounded loop per event.
    const n = q.length;
    for (let i = 0; i < n; i++) {
      let p: PacketBuffer | null = q[i]!;
      q[i] = undefined as unknown as PacketBuffer;
      if (p.next !== null) p = linearize(ctx.pool, ctx.acct, p, ctx.pool.headroom);
      if (p === null) {
        ctx.counters.drops.noBuffer++;
        continue;
      }
      // Like Linux lo: nothing can corrupt a looped-back packet, and PARTIAL checksums are never completed.
      p.csumState = CSUM_UNNECESSARY;
      ctx.acct.packet(); // ... and on receive: one perPacket charge per frame per direction (docs/host-model.md)
      ctx.rx.input(p, null);
    }
    q.splice(0, n);
  }

  /** Release looped-back datagrams not yet delivered (Stack.close). */
  clear(): void {
    for (const p of this.loopQueue) if (p !== undefined) p.release();
    this.loopQueue.length = 0;
  }
}
