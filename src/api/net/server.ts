/**
 * `stack.net.Server`: node:net's Server over a listening TCP socket of the
 * Stack's socket core.
 *
 * Behaviour follows Node 20: listen() in all its argument forms (a random port
 * when none is given), 'listening' and listen errors (`listen EADDRINUSE:
 * address already in use 10.0.0.1:80`) emitted on the next tick, a second
 * listen() while listening throws ERR_SERVER_ALREADY_LISTEN; each accepted
 * connection becomes a Socket ('connection'), dropped ('drop') past
 * maxConnections; close() stops accepting and emits 'close' once every
 * connection has ended (its callback gets ERR_SERVER_NOT_RUNNING when the
 * server was not listening); getConnections() answers on the next tick.
 *
 * Owns: the listening descriptor and the connection count.
 * Must not: know about stream internals of the sockets it creates.
 */
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import type { TcpSocket } from '../../socket/tcp-socket.js';
import { POLLERR, POLLIN } from '../../socket/options.js';
import { Errno } from '../../socket/errno.js';
import type { ReadyListener, SockAddr } from '../../socket/socket-table.js';
import { SO_REUSEADDR, SOL_SOCKET } from '../../socket/options.js';
import { formatIpv4 } from '../../wire/address.js';
import { normalizeListenArgs, validateBoolean, validateFunction, type LookupFunction } from './connect-args.js';
import type { NetContext } from './context.js';
import { dnsException, errInvalidArgType, errIpv6Unsupported, errnoException, errServerAlreadyListen, errServerNotRunning, uvExceptionWithHostPort } from './errors.js';
import { kAcceptedHandle, type AddressInfo, type Socket, type SocketOptions } from './socket.js';

export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  /** Resolves a listen() host that is neither an IPv4 literal nor 'localhost'. */
  lookup?: LookupFunction;
  [key: string]: unknown;
}

/** Node's default listen backlog. */
const DEFAULT_BACKLOG = 511;

class ServerHandle implements ReadyListener {
  constructor(readonly owner: Server) {}
  onReady(_fd: number, events: number): void {
    if ((events & (POLLIN | POLLERR)) !== 0) this.owner._onAcceptable();
  }
}

function emitListeningNT(s: Server): void {
  if (s.listening) s.emit('listening');
}
function emitErrorNT(s: Server, err: Error): void {
  s.emit('error', err);
}
function emitCloseNT(s: Server): void {
  s.emit('close');
}

export class Server extends EventEmitter {
  /** Refuse connections beyond this many (Node: close them, emit 'drop'). */
  maxConnections: number | undefined = undefined;
  /** Open connections accepted by this server. */
  _connections = 0;
  readonly allowHalfOpen: boolean;
  readonly pauseOnConnect: boolean;
  readonly noDelay: boolean;
  readonly keepAlive: boolean;
  readonly keepAliveInitialDelay: number;
  readonly highWaterMark: number | undefined;

  private h: TcpSocket | null = null;
  private readonly handle: ServerHandle;
  private readonly lookup: LookupFunction | undefined;
  private refed = true;
  private closeRequested = false;

  constructor(
    private readonly ctx: NetContext,
    private readonly SocketClass: new (options?: SocketOptions) => Socket,
    options?: ServerOptions | ((socket: Socket) => void),
    listener?: (socket: Socket) => void,
  ) {
    super();
    let opts: ServerOptions;
    if (typeof options === 'function') {
      listener = options;
      opts = {};
    } else if (options === undefined || options === null) {
      opts = {};
    } else if (typeof options === 'object') {
      opts = options;
    } else {
      throw errInvalidArgType('options', 'object', options);
    }
    if (listener !== undefined) {
      validateFunction(listener, 'connectionListener');
      this.on('connection', listener);
    }
    if (opts.noDelay !== undefined) validateBoolean(opts.noDelay, 'options.noDelay');
    if (opts.keepAlive !== undefined) validateBoolean(opts.keepAlive, 'options.keepAlive');
    if (opts.lookup !== undefined) validateFunction(opts.lookup, 'options.lookup');
    this.allowHalfOpen = opts.allowHalfOpen || false;
    this.pauseOnConnect = Boolean(opts.pauseOnConnect);
    this.noDelay = Boolean(opts.noDelay);
    this.keepAlive = Boolean(opts.keepAlive);
    this.keepAliveInitialDelay = Math.trunc((Number(opts.keepAliveInitialDelay) || 0) / 1000) * 1000;
    this.highWaterMark = opts.highWaterMark;
    this.lookup = opts.lookup;
    this.handle = new ServerHandle(this);
  }

  /** True while listening. */
  get listening(): boolean {
    return this.h !== null;
  }

  /**
   * listen([port][, host][, backlog][, cb]) / listen(options[, cb]) / listen(cb).
   * Without a host the server listens on every address (0.0.0.0: IPv4 only).
   */
  listen(...args: unknown[]): this {
    const t = normalizeListenArgs(args);
    if (this.h !== null) throw errServerAlreadyListen();
    if (t.cb !== null) this.once('listening', t.cb);
    const backlog = t.backlog > 0 ? Math.trunc(t.backlog) : DEFAULT_BACKLOG;
    const host = t.host;
    if (host === undefined) {
      this.doListen('0.0.0.0', t.port, backlog);
      return this;
    }
    const kind = isIP(host);
    if (kind === 4) {
      this.doListen(host, t.port, backlog);
      return this;
    }
    if (kind === 6) {
      process.nextTick(emitErrorNT, this, errIpv6Unsupported(host, 'listen'));
      return this;
    }
    const lookup = this.lookup ?? this.ctx.defaultLookup;
    const finish = (err: Error | null, ip: string | undefined): void => {
      if (err) this.emit('error', err);
      else if (ip === undefined || isIP(ip) !== 4) this.emit('error', errIpv6Unsupported(String(ip), 'listen'));
      else this.doListen(ip, t.port, backlog);
    };
    if (lookup !== null && lookup !== undefined) {
      lookup(host, { family: 4, hints: 0 }, (err, ip) => finish(err, ip));
    } else {
      process.nextTick(() => {
        if (host.toLowerCase() === 'localhost') finish(null, '127.0.0.1');
        else finish(dnsException('ENOTFOUND', 'getaddrinfo', host), undefined);
      });
    }
    return this;
  }

  private doListen(address: string, port: number, backlog: number): void {
    const core = this.ctx.core;
    const fd = core.socket('tcp');
    if (fd < 0) {
      process.nextTick(emitErrorNT, this, uvExceptionWithHostPort(fd, 'listen', address, port));
      return;
    }
    const s = core.get(fd) as TcpSocket;
    // libuv sets SO_REUSEADDR on every TCP listener (a restarted server can bind over TIME-WAIT).
    core.setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
    let r = core.bind(s, address, port);
    if (r === 0) r = core.listen(s, backlog);
    if (r < 0) {
      core.close(s);
      process.nextTick(emitErrorNT, this, uvExceptionWithHostPort(r, 'listen', address, port));
      return;
    }
    this.h = s;
    this.closeRequested = false;
    core.setReadyListener(s, this.handle);
    process.nextTick(emitListeningNT, this);
    // A child may already be waiting (nothing arrives before listen(), but keep the rule: check the level).
    if (s.ep.isReadable) this.ctx.clock.defer(acceptDeferred, this);
  }

  /** @internal The listening socket is readable: accept every queued connection. */
  _onAcceptable(): void {
    const core = this.ctx.core;
    while (this.h !== null) {
      const fd = core.accept(this.h);
      if (fd === Errno.EAGAIN) return;
      if (fd < 0) {
        this.emit('error', errnoException(fd, 'accept'));
        return;
      }
      const child = core.get(fd) as TcpSocket;
      if (this.maxConnections !== undefined && this._connections >= this.maxConnections) {
        const info = this.dropInfo(child);
        core.close(child);
        this.emit('drop', info);
        continue;
      }
      const socket = new this.SocketClass({
        [kAcceptedHandle]: child,
        allowHalfOpen: this.allowHalfOpen,
        pauseOnCreate: this.pauseOnConnect,
        readable: true,
        writable: true,
        ...(this.noDelay ? { noDelay: true } : {}),
        ...(this.keepAlive ? { keepAlive: true, keepAliveInitialDelay: this.keepAliveInitialDelay } : {}),
        ...(this.highWaterMark !== undefined ? { highWaterMark: this.highWaterMark } : {}),
      });
      this._connections++;
      socket.server = this;
      socket._server = this;
      this.emit('connection', socket);
    }
  }

  private dropInfo(child: TcpSocket): Record<string, string | number> {
    const l: SockAddr = { addr: 0, port: 0 };
    const r: SockAddr = { addr: 0, port: 0 };
    this.ctx.core.getsockname(child, l);
    this.ctx.core.getpeername(child, r);
    return { localAddress: formatIpv4(l.addr), localPort: l.port, localFamily: 'IPv4', remoteAddress: formatIpv4(r.addr), remotePort: r.port, remoteFamily: 'IPv4' };
  }

  /** @internal A socket this server accepted was destroyed. */
  _connectionEnded(_socket: Socket): void {
    this._connections--;
    this.emitCloseIfDrained();
  }

  /** { address, family, port } while listening, else null. */
  address(): AddressInfo | null {
    if (this.h === null) return null;
    const out: SockAddr = { addr: 0, port: 0 };
    this.ctx.core.getsockname(this.h, out);
    return { address: formatIpv4(out.addr), family: 'IPv4', port: out.port };
  }

  /** Stop accepting; 'close' once every connection ended. cb gets ERR_SERVER_NOT_RUNNING if not listening. */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (this.h === null) this.once('close', () => cb(errServerNotRunning()));
      else this.once('close', cb);
    }
    if (this.h !== null) {
      this.ctx.core.close(this.h);
      this.h = null;
    }
    this.closeRequested = true;
    this.emitCloseIfDrained();
    return this;
  }

  private emitCloseIfDrained(): void {
    if (this.h !== null || this._connections > 0 || !this.closeRequested) return;
    this.closeRequested = false;
    process.nextTick(emitCloseNT, this);
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    validateFunction(cb, 'cb');
    process.nextTick(cb, null, this._connections);
    return this;
  }

  /** Recorded only (see Socket.ref): process liveness follows the Stack's Clock. */
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
  get isRefed(): boolean {
    return this.refed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return new Promise((resolve) => {
      if (this.h === null) resolve();
      else this.close(() => resolve());
    });
  }
}

function acceptDeferred(s: Server): void {
  s._onAcceptable();
}
