/**
 * HTTP over zerostack: the glue that lets Node's own HTTP software run on a
 * Stack's `stack.net` — Node's `http.Server` as the server, and Node's
 * `http.request` or undici as the client. Nothing here parses HTTP: Node and
 * undici do, over stack.net sockets (real `stream.Duplex`es).
 *
 *   const server = http.createServer(handler);
 *   serveHttp(stack.net, server).listen(80, '10.0.0.2');           // server side
 *   http.get({ host: '10.0.0.2', agent: new StackHttpAgent(client.net) }, cb);
 *   fetch('http://10.0.0.2/', { dispatcher: new undici.Agent({ connect: undiciConnector(client.net) }) });
 *
 * Owns: handing accepted connections to an http.Server (what Node's own
 * net.Server does inside http.Server.listen), closing the listener with the
 * http.Server, and the two client-side connection factories.
 * Must not: depend on undici (its connector is a plain function of undici's
 * documented `connect(options, callback)` shape), or support TLS (zerostack has
 * none: an https URL gets a clear error).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { NetModule, NetServer, NetSocket } from './net/index.js';

/**
 * Wire `server` (an http.Server, or anything with Node's 'connection' contract)
 * to a new stack.net Server and return that listener, ready for `listen(...)` in
 * any of node:net's forms. `server.close()` closes the listener too, so the
 * usual shutdown code works unchanged.
 */
export function serveHttp(net: NetModule, server: http.Server): NetServer {
  if (typeof server !== 'object' || server === null || typeof (server as { emit?: unknown }).emit !== 'function') {
    throw new TypeError('serveHttp: server must be an http.Server (an EventEmitter with the "connection" contract)');
  }
  const listener = net.createServer((socket: NetSocket) => server.emit('connection', socket));
  // Errors of the listener (EADDRINUSE, …) are the server's, as with http.Server.listen.
  listener.on('error', (err: Error) => server.emit('error', err));
  listener.on('listening', () => server.emit('listening'));
  // server.close() closes the listener too. The http.Server itself never listened (the listener
  // does), so Node's close() would hand its callback ERR_SERVER_NOT_RUNNING: while the listener
  // was open that error is not the caller's, and is dropped.
  const close = server.close;
  server.close = function closeWithListener(this: http.Server, cb?: (err?: Error) => void): http.Server {
    const wasListening = listener.listening;
    if (wasListening) listener.close();
    return close.call(this, (err?: Error) => {
      if (typeof cb !== 'function') return;
      cb(wasListening && (err as { code?: string } | undefined)?.code === 'ERR_SERVER_NOT_RUNNING' ? undefined : err);
    });
  };
  return listener;
}

/**
 * An http.Agent whose connections are stack.net sockets: pass it as `agent` to
 * http.request/http.get (keepAlive, maxSockets and the other Agent options work
 * as usual: connection reuse is Node's).
 */
export class StackHttpAgent extends http.Agent {
  constructor(
    private readonly net: NetModule,
    options?: http.AgentOptions,
  ) {
    super(options);
  }

  /** Node's Agent uses the returned socket at once (its callback argument is then redundant, as for net.createConnection). */
  override createConnection(options: ConnectOptionsIn): Duplex {
    return this.net.connect(connectOptions(options, 80));
  }
}

/** The options Node's Agent passes to createConnection, and undici's connector options. */
interface ConnectOptionsIn {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  protocol?: string | null;
  localAddress?: string | null;
  localPort?: number | null;
  timeout?: number;
}

function connectOptions(o: ConnectOptionsIn, defaultPort: number): { host: string; port: number; localAddress?: string; localPort?: number; timeout?: number } {
  if (o.protocol === 'https:') throw new Error('zerostack has no TLS: https is not available over stack.net (use http)');
  const out: { host: string; port: number; localAddress?: string; localPort?: number; timeout?: number } = {
    // undici passes hostname (no brackets, no port); Node's Agent passes host.
    host: o.hostname || o.host || 'localhost',
    port: Number(o.port) || defaultPort,
  };
  if (o.localAddress) out.localAddress = o.localAddress;
  if (o.localPort) out.localPort = o.localPort;
  if (typeof o.timeout === 'number') out.timeout = o.timeout;
  return out;
}

/**
 * undici's connector: `(options, callback)`, called per new connection;
 * callback(null, socket) once connected, or callback(err, null). The socket is a
 * stack.net Socket, which undici's typings cannot name (they expect node:net's),
 * hence `never` in that slot: any undici callback type accepts it.
 */
export type UndiciConnector = (options: ConnectOptionsIn, callback: (...args: [null, never] | [Error, null]) => void) => void;

/**
 * A connector for undici (`new Agent({ connect: undiciConnector(stack.net) })`,
 * then `request(url, { dispatcher })` or `fetch(url, { dispatcher })`): opens a
 * stack.net connection and reports it once connected (or its error).
 */
export function undiciConnector(net: NetModule): UndiciConnector {
  return (options, callback) => {
    let socket: NetSocket;
    try {
      socket = net.connect(connectOptions(options, options.protocol === 'https:' ? 443 : 80));
    } catch (e) {
      callback(e as Error, null);
      return;
    }
    const onError = (err: Error): void => callback(err, null);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.removeListener('error', onError);
      callback(null, socket as never);
    });
  };
}
