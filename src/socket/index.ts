/**
 * The socket core (src/socket): a BSD-like, non-blocking socket API over a
 * Stack's TCP and UDP, with Linux errno results, readiness listeners, poll bits,
 * socket options and TCP_INFO. Facades, the lab and the packetdrill runner use it.
 */
export { SocketCore, type AddrLike, type FdLike } from './core.js';
export { Errno, errnoMessage, errnoName, SocketError, toNodeError, type ErrnoName } from './errno.js';
export * from './options.js';
export { FdTable, Socket, type ReadyCallback, type ReadyListener, type SockAddr, type SockOptInput, type SockOptValue, type SocketKind, type SocketStack } from './socket-table.js';
export { TcpSocket } from './tcp-socket.js';
export { UdpCoreSocket } from './udp-socket.js';
export type { TcpInfo } from '../tcp/endpoint.js';
