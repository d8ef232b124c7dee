/**
 * `stack.net`: a node:net-compatible module bound to one Stack.
 *
 *   const net = stack.net;            // same shape as `import net from 'node:net'`
 *   const server = net.createServer((s) => s.pipe(s)).listen(7, '10.0.0.1');
 *   const c = net.connect(7, '10.0.0.1', () => c.end('hi'));
 *
 * Owns: building the per-Stack module object (Socket and Server classes bound
 * to the Stack's socket core and Clock) and the module-level functions.
 * Must not: hold connection state (socket.ts / server.ts do).
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { SocketCore } from '../../socket/core.js';
import type { SocketStack } from '../../socket/socket-table.js';
import { normalizeConnectArgs, type LookupFunction, type NetConnectOpts } from './connect-args.js';
import type { NetContext } from './context.js';
import { Server as BaseServer, type ServerOptions } from './server.js';
import { Socket as BaseSocket, type SocketOptions } from './socket.js';

export { BaseSocket as NetSocket, BaseServer as NetServer };
export type { SocketOptions, ServerOptions, NetConnectOpts, LookupFunction };
export type { OnReadOptions, AddressInfo } from './socket.js';
export { ZeroCopyLease } from './zero-copy.js';
export type { ZeroCopyCallback } from './zero-copy.js';
export * from './errors.js';

/** The module object `stack.net` (node:net's exported API, bound to one Stack). */
export interface NetModule {
  /** `new net.Socket(options)`: an unconnected socket of this Stack. */
  readonly Socket: new (options?: SocketOptions) => BaseSocket;
  /** Legacy alias of Socket (node:net exports it too). */
  readonly Stream: new (options?: SocketOptions) => BaseSocket;
  readonly Server: new (options?: ServerOptions | ((socket: BaseSocket) => void), listener?: (socket: BaseSocket) => void) => BaseServer;
  createServer(options?: ServerOptions | ((socket: BaseSocket) => void), listener?: (socket: BaseSocket) => void): BaseServer;
  connect(options: NetConnectOpts, connectListener?: () => void): BaseSocket;
  connect(port: number, host?: string, connectListener?: () => void): BaseSocket;
  connect(port: number, connectListener?: () => void): BaseSocket;
  createConnection: NetModule['connect'];
  isIP(input: string): number;
  isIPv4(input: string): boolean;
  isIPv6(input: string): boolean;
  /** Happy Eyeballs needs IPv6: always false here. */
  getDefaultAutoSelectFamily(): boolean;
  setDefaultAutoSelectFamily(value: boolean): void;
  /**
   * The resolver used for hostnames other than IPv4 literals and 'localhost'
   * when a call gives no `lookup` option (default null: such names fail with
   * ENOTFOUND, as an unknown name does on a host without DNS).
   */
  setDefaultLookup(lookup: LookupFunction | null): void;
  /** The Stack's socket core (BSD calls), shared by every socket of this module. */
  readonly core: SocketCore;
}

/** Build `stack.net` for a Stack (Stack's lazy `net` getter calls this once). */
export function createNet(stack: SocketStack & { readonly name?: string }): NetModule {
  const ctx: NetContext = { core: new SocketCore(stack), clock: stack.clock, name: stack.name ?? 'stack', defaultLookup: null };

  class Socket extends BaseSocket {
    constructor(options?: SocketOptions) {
      super(ctx, options);
    }
  }
  class Server extends BaseServer {
    constructor(options?: ServerOptions | ((socket: BaseSocket) => void), listener?: (socket: BaseSocket) => void) {
      super(ctx, Socket, options, listener);
    }
  }

  function connect(...args: unknown[]): BaseSocket {
    const normalized = normalizeConnectArgs(args);
    const options = normalized[0];
    const socket = new Socket(options as SocketOptions);
    if (options.timeout) socket.setTimeout(options.timeout);
    return socket.connect(BaseSocket._normalized(normalized));
  }

  const mod: NetModule = {
    Socket,
    Stream: Socket,
    Server,
    createServer: (options, listener) => new Server(options, listener),
    connect: connect as NetModule['connect'],
    createConnection: connect as NetModule['connect'],
    isIP,
    isIPv4,
    isIPv6,
    getDefaultAutoSelectFamily: () => false,
    setDefaultAutoSelectFamily: () => {},
    setDefaultLookup: (lookup) => {
      if (lookup !== null && typeof lookup !== 'function') throw new TypeError('setDefaultLookup: lookup must be a function or null');
      ctx.defaultLookup = lookup;
    },
    core: ctx.core,
  };
  return Object.freeze(mod);
}
