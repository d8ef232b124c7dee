/**
 * IpContext: the state the parts of one host's IP layer share — clock, pool,
 * accounting, config, counters, interfaces, routes, the protocol table — and
 * late-bound references between the parts (ARP ↔ output ↔ input ↔ ICMP refer to
 * each other; the Stack builds them and then links them here).
 *
 * Owns: the address predicates every part asks per packet, and the flag that
 * says whether the frame being handled arrived as a link-layer broadcast.
 * Must not: contain protocol logic.
 */
import type { Accounting } from '../acct/accounting.js';
import type { PacketPool } from '../buf/pool.js';
import type { Clock } from '../time/clock.js';
import { IPV4_BROADCAST, isIpv4Loopback, isIpv4Multicast } from '../wire/address.js';
import type { ArpLayer } from './arp.js';
import type { StackConfig } from './config.js';
import type { StackCounters } from './counters.js';
import type { IcmpLayer } from './icmp.js';
import type { Interface } from './interface.js';
import type { Ipv4Receiver } from './ipv4-input.js';
import type { Ipv4Sender } from './ipv4-output.js';
import type { PmtuCache } from './pmtu.js';
import type { RoutingTable } from './routing.js';
import type { TransportProtocol } from './types.js';

export class IpContext {
  readonly interfaces: Interface[] = [];
  /** Transport protocols by IP protocol number (ICMP registers itself as 1). */
  readonly protocols: (TransportProtocol | null)[] = new Array<TransportProtocol | null>(256).fill(null);

  // Linked by the Stack after construction.
  arp!: ArpLayer;
  icmp!: IcmpLayer;
  tx!: Ipv4Sender;
  rx!: Ipv4Receiver;
  pmtu!: PmtuCache;
  routes!: RoutingTable;

  /**
   * True while a frame that arrived as a link-layer broadcast is being handled
   * (synchronously, down to the transport): RFC 1122 §3.2.2 forbids ICMP errors
   * about such frames, and the ICMP error generator is called from transports.
   */
  rxLinkBroadcast = false;

  constructor(
    readonly name: string,
    readonly clock: Clock,
    readonly pool: PacketPool,
    readonly acct: Accounting,
    readonly config: StackConfig,
    readonly counters: StackCounters,
  ) {}

  /** One of our interface addresses, or 127.0.0.0/8 (RFC 1122 §3.2.1.3: loopback is always local). */
  isLocalAddress(addr: number): boolean {
    if (isIpv4Loopback(addr)) return true;
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) {
      const f = ifs[i]!;
      if (f.hasAddress && f.address === addr) return true;
    }
    return false;
  }

  /** One of our interface addresses (not loopback). */
  isInterfaceAddress(addr: number): boolean {
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) {
      const f = ifs[i]!;
      if (f.hasAddress && f.address === addr) return true;
    }
    return false;
  }

  /** 255.255.255.255 or the directed broadcast of any of our subnets. */
  isBroadcastAddress(addr: number): boolean {
    if (addr === IPV4_BROADCAST) return true;
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) if (ifs[i]!.isBroadcast(addr)) return true;
    return false;
  }

  /**
   * RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7: an address "that defines a single host"
   * — not 0.0.0.0, not broadcast (limited or one of our subnets'), not multicast,
   * not class E (240.0.0.0/4). ICMP errors go only to such sources.
   */
  isUnicast(addr: number): boolean {
    if (addr === 0 || isIpv4Multicast(addr) || addr >>> 28 === 0xf) return false;
    return !this.isBroadcastAddress(addr);
  }

  /** The interface that owns `addr`, or null. */
  interfaceWithAddress(addr: number): Interface | null {
    const ifs = this.interfaces;
    for (let i = 0; i < ifs.length; i++) {
      const f = ifs[i]!;
      if (f.hasAddress && f.address === addr) return f;
    }
    return null;
  }
}
