/**
 * The contracts between the IPv4 layer and transport protocols, exactly as
 * docs/ARCHITECTURE.md "L4 ↔ IP" states them (binding for src/tcp and src/ip).
 *
 * Owns: the Ipv4Output and TransportProtocol interfaces and their option type.
 * Must not: contain code.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Ipv4Repr } from '../wire/ipv4.js';

export interface Ipv4OutputOptions {
  /** Time to live (default: the stack's defaultTtl). */
  ttl?: number;
  /** The whole TOS/DSCP+ECN byte (default 0). */
  tos?: number;
  /** Don't Fragment (default false): too big for the path → -EMSGSIZE and nothing sent. */
  df?: boolean;
}

/** Provided by src/ip to transport protocols. */
export interface Ipv4Output {
  /**
   * Send an L4 packet (head at the L4 header, headroom for IPv4 + Ethernet —
   * a new head buffer is chained in front when there is not enough). Takes
   * ownership. `src` 0 means "the route's source address". A CSUM_PARTIAL packet
   * (csumStart/csumOffset relative to head, pseudo-header sum in the field) is
   * completed in software when the route's NIC cannot offload or the datagram
   * is fragmented. Returns 0 (sent, queued for ARP, or looped back) or a negative
   * errno: -ENETUNREACH (no route), -EMSGSIZE (DF and larger than the path MTU,
   * or over 65535 bytes), -ENOBUFS (pool exhausted), -EINVAL (bad arguments).
   * A later failure (ARP) is reported through TransportProtocol.icmpError.
   */
  output(pkt: PacketBuffer, src: number, dst: number, protocol: number, opts?: Ipv4OutputOptions): number;
  /** Source address the route to dst would use, or -1 when unroutable (EHOSTUNREACH / ENETUNREACH). */
  sourceFor(dst: number): number;
  /** Path MTU towards dst (interface MTU, lowered by ICMP fragmentation-needed); 0 when unroutable. */
  mtuFor(dst: number): number;
  isLocalAddress(addr: number): boolean;
}

/** Implemented by transport protocols, registered with the IPv4 layer by protocol number. */
export interface TransportProtocol {
  /**
   * A received L4 packet: head at the L4 header, csumState as received (CSUM_COMPLETE
   * for reassembled datagrams: csumValue is the sum of the whole L4 datagram). Takes
   * ownership. `ip` is a scratch repr valid only during the call; its
   * payloadOffset equals pkt.head, and the IPv4 header lies in pkt.bytes just
   * before it (ip.payloadOffset - ip.headerLength), which is how an ICMP error
   * about the packet can quote it.
   */
  input(pkt: PacketBuffer, src: number, dst: number, ip: Ipv4Repr): void;
  /**
   * An ICMP error about a packet we sent: `bytes[innerOffset, innerOffset+innerLength)`
   * is the quoted original datagram, starting at its IPv4 header (at least the
   * header + 8 bytes). `info` is the next-hop MTU for fragmentation-needed, else 0.
   * Valid only during the call. Also called for local failures (ARP resolution
   * failed: type 3 code 1, like Linux's locally generated host unreachable).
   */
  icmpError(type: number, code: number, info: number, bytes: Uint8Array, innerOffset: number, innerLength: number): void;
}
