/**
 * src/ip: interfaces, routing, ARP, IPv4 input/output (fragmentation,
 * reassembly, forwarding), ICMP (ping), UDP and its dgram-shaped socket.
 * The Stack (src/stack.ts) assembles these parts; transports use the
 * Ipv4Output / TransportProtocol contracts from ./types.js.
 */
export type { Ipv4Output, Ipv4OutputOptions, TransportProtocol } from './types.js';
export { Ipv4Layer } from './ipv4.js';
export { IcmpLayer } from './icmp.js';
export { UdpLayer, UDP_MAX_PAYLOAD } from './udp.js';
export { UdpSocket, RCVBUF_OVERHEAD, type AddressInfo, type RemoteInfo, type SendCallback, type UdpSocketOptions } from './udp-socket.js';
export { ArpLayer, type NeighbourInfo, type NeighbourState } from './arp.js';
export { RoutingTable, type Route, type RouteInfo, type RouteKind } from './routing.js';
export { Interface } from './interface.js';
export { PmtuCache, plateauBelow, MIN_PMTU } from './pmtu.js';
export { Reassembler, type ReassemblyStats } from './reassembly.js';
export { PingManager, type PingOptions, type PingResult } from './ping.js';
export { StackCounters, IpMib, IcmpMib, UdpMib, ArpStats, DropCounters, type DropReason } from './counters.js';
export {
  DEFAULT_STACK_CONFIG,
  resolveStackConfig,
  type InterfaceOptions,
  type RouteOptions,
  type StackConfig,
  type StackConfigInput,
} from './config.js';
export { Errno, errnoName, icmpErrno, PingError, SocketError, SocketNotRunningError, type ErrnoName } from './errors.js';
export { LOOPBACK_MTU } from './ipv4-output.js';
