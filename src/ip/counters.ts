/**
 * Counters of the IP layers of one stack: IPv4, ICMP, UDP (Linux /proc/net/snmp
 * names, RFC 4293 IP-MIB / RFC 4113 UDP-MIB), ARP, and one counter per drop reason.
 *
 * Owns: the counter fields. Code increments them directly (`ip.InReceives++`):
 * plain numeric fields on classes, no lookup by string on the hot path.
 * Must not: decide anything. Counters Linux does not have are marked (zerostack).
 *
 * Every dropped packet bumps exactly one `drops` reason in addition to the MIB
 * counter of the layer that dropped it, so `drops` answers "why did it vanish".
 */

/** IPv4 (Linux "Ip:" and "IpExt:"). */
export class IpMib {
  /** Datagrams received from interfaces (and loopback), including those with errors. */
  InReceives = 0;
  /** Header errors: bad version/IHL/length, bad checksum, TTL expired while forwarding. */
  InHdrErrors = 0;
  /** Destination not a local address and forwarding off, or a martian source/destination. */
  InAddrErrors = 0;
  /** Locally addressed datagrams for a protocol nobody registered. */
  InUnknownProtos = 0;
  /** Datagrams shorter than their Total Length says (Linux IpExt InTruncatedPkts); also counted in InHdrErrors. */
  InTruncatedPkts = 0;
  /** Header checksum errors (Linux IpExt InCsumErrors); also counted in InHdrErrors. */
  InCsumErrors = 0;
  /** Good datagrams dropped for lack of resources (buffer pool exhausted). */
  InDiscards = 0;
  /** Datagrams handed to a transport protocol (incl. ICMP). */
  InDelivers = 0;
  /** Datagrams the local transports asked IP to send (Linux counts before fragmentation). */
  OutRequests = 0;
  /** Outgoing datagrams dropped for lack of resources (pool exhausted, ARP queue full, ARP failure). */
  OutDiscards = 0;
  /** No route to the destination (local output and forwarding). */
  OutNoRoutes = 0;
  /** Datagrams forwarded (RFC 4293 ipSystemStatsOutForwDatagrams). */
  ForwDatagrams = 0;
  /** Fragments received that needed reassembly. */
  ReasmReqds = 0;
  /** Datagrams reassembled. */
  ReasmOKs = 0;
  /** Reassembly failures of any kind (timeout, overlap, memory limit, bad fragment). */
  ReasmFails = 0;
  /** Reassemblies abandoned by the timeout (Linux IPSTATS_MIB_REASMTIMEOUT; also counted in ReasmFails). */
  ReasmTimeout = 0;
  /** Datagrams fragmented successfully. */
  FragOKs = 0;
  /** Datagrams that needed fragmenting but could not be (DF set, or no buffers). */
  FragFails = 0;
  /** Fragments created. */
  FragCreates = 0;
  /** Frames handed to a NIC (zerostack; fragments and forwarded packets included, ARP excluded). */
  OutTransmits = 0;
}

/** ICMP (Linux "Icmp:"; per-type counters are named as in "IcmpMsg:" but by type name). */
export class IcmpMib {
  InMsgs = 0;
  /** Messages with a bad checksum or that do not parse (includes InCsumErrors). */
  InErrors = 0;
  InCsumErrors = 0;
  InDestUnreachs = 0;
  InTimeExcds = 0;
  InParmProbs = 0;
  InSrcQuenchs = 0;
  InRedirects = 0;
  InEchos = 0;
  InEchoReps = 0;
  InTimestamps = 0;
  /** Any other type (zerostack). */
  InOther = 0;
  OutMsgs = 0;
  /** Errors we could not send (no route, no buffer). */
  OutErrors = 0;
  OutDestUnreachs = 0;
  OutTimeExcds = 0;
  OutParmProbs = 0;
  OutEchos = 0;
  OutEchoReps = 0;
  /** ICMP errors suppressed by the token bucket (Linux IcmpOutRateLimitGlobal). */
  OutRateLimitGlobal = 0;
  /** Error messages not generated because RFC 1122 §3.2.2 forbids it (zerostack). */
  OutSuppressed = 0;
  /** Received errors about a datagram no socket/protocol claimed (zerostack). */
  InErrorsUnclaimed = 0;
}

/** UDP (Linux "Udp:"). */
export class UdpMib {
  InDatagrams = 0;
  /** Datagrams for a port nobody listens on. */
  NoPorts = 0;
  /** Datagrams dropped for any other reason (malformed, bad checksum, receive buffer full). */
  InErrors = 0;
  OutDatagrams = 0;
  /** Receive buffer full. */
  RcvbufErrors = 0;
  /** Send failed for lack of buffers. */
  SndbufErrors = 0;
  InCsumErrors = 0;
  /** Received ICMP errors not reported because the socket is not connected (zerostack; Linux does the same silently). */
  IcmpErrorsIgnored = 0;
  /** Received ICMP errors reported to a socket as an 'error' event (zerostack). */
  IcmpErrorsReported = 0;
}

/** ARP (zerostack; Linux keeps these per neighbour table in /proc/net/stat/arp_cache). */
export class ArpStats {
  requestsSent = 0;
  repliesSent = 0;
  gratuitousSent = 0;
  requestsReceived = 0;
  repliesReceived = 0;
  /** Resolutions that ran out of retries (Linux res_failed). */
  resolutionFailures = 0;
  /** Packets dropped because the per-neighbour queue was full (Linux unresolved_discards). */
  queueDrops = 0;
  /** Entries that expired and were resolved again. */
  expirations = 0;
  /** Malformed or unsupported ARP packets. */
  invalid = 0;
}

/** Why a packet was dropped: one counter per reason, across layers. */
export class DropCounters {
  // link / Ethernet
  /** Frame shorter than an Ethernet header, or an empty chain. */
  runtFrame = 0;
  /** Destination MAC is neither ours nor broadcast. */
  otherHost = 0;
  /** EtherType we do not speak (IPv6, VLAN, LLC...). */
  unknownEtherType = 0;
  // IPv4 header validation
  truncated = 0;
  badVersion = 0;
  badHeaderLength = 0;
  badTotalLength = 0;
  badChecksum = 0;
  /** Source address is broadcast/multicast/loopback-from-wire (RFC 1812 §5.3.7 martians). */
  martianSource = 0;
  /** Not addressed to us and not forwarding (or unroutable destination class). */
  notForUs = 0;
  unknownProtocol = 0;
  // forwarding / output
  ttlExceeded = 0;
  noRoute = 0;
  /** DF set and larger than the MTU (RFC 1191). */
  fragNeeded = 0;
  /** Datagram would exceed 65535 bytes. */
  tooBig = 0;
  arpFailed = 0;
  arpQueueFull = 0;
  noBuffer = 0;
  /** A NIC refused a frame (its own stats.drops say why). */
  nicDrop = 0;
  // reassembly
  fragOverlap = 0;
  fragDuplicate = 0;
  /** Fragment that is not a multiple of 8 bytes, ends past 65535, or contradicts the datagram's end. */
  badFragment = 0;
  reasmTimeout = 0;
  reasmMemory = 0;
  /** Fragment of a datagram already discarded (RFC 5722 §4: later fragments are discarded too). */
  reasmDiscarded = 0;
  // ICMP
  icmpMalformed = 0;
  /** ICMP echo request to a broadcast address (RFC 1122 §3.2.2.6, Linux icmp_echo_ignore_broadcasts). */
  icmpEchoBroadcast = 0;
  /** ICMP types we receive but do not act on (redirect, timestamp, ...). */
  icmpIgnored = 0;
  // UDP
  udpMalformed = 0;
  noPort = 0;
  rcvbufFull = 0;
  // ARP
  arpInvalid = 0;
  /** ARP request or reply not concerning us (counted, not an error). */
  arpNotForUs = 0;
}

/** Everything `stack.counters` exposes. */
export class StackCounters {
  readonly ip = new IpMib();
  readonly icmp = new IcmpMib();
  readonly udp = new UdpMib();
  readonly arp = new ArpStats();
  readonly drops = new DropCounters();

  /** A plain-data copy of every counter (for reports and test assertions). */
  snapshot(): {
    ip: IpMib;
    icmp: IcmpMib;
    udp: UdpMib;
    arp: ArpStats;
    drops: DropCounters;
  } {
    return {
      ip: { ...this.ip },
      icmp: { ...this.icmp },
      udp: { ...this.udp },
      arp: { ...this.arp },
      drops: { ...this.drops },
    };
  }
}

export type DropReason = keyof DropCounters;
