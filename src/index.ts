/**
 * zerostack's public entry point. Re-exports the layers a user composes.
 */
export * from './time/index.js';
export * from './util/index.js';
export * from './wire/index.js';
export * from './buf/index.js';
export * from './acct/accounting.js';
export * from './link/index.js';
export { Network } from './sim/network.js';
export { Stack, getDefaultPool } from './stack.js';
export { TcpLayer } from './tcp/tcp-layer.js';
export * from './socket/index.js';
export { createNet, NetSocket, NetServer, ZeroCopyLease, type NetModule, type SocketOptions as NetSocketOptions, type ServerOptions as NetServerOptions, type OnReadOptions, type LookupFunction, type NetConnectOpts, type ZeroCopyCallback } from './api/net/index.js';
export { Dgram, Socket as DgramSocket, type SocketOptions as DgramSocketOptions, type SendCallback as DgramSendCallback } from './api/dgram/index.js';
export { serveHttp, StackHttpAgent, undiciConnector, type UndiciConnector } from './api/http.js';
