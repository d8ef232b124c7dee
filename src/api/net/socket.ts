/**
 * `stack.net.Socket`: node:net's Socket — a real stream.Duplex — over one TCP
 * socket of the Stack's socket core (src/socket).
 *
 * The state machine follows Node 20's lib/net.js line by line where the
 * behaviour is observable: connect → 'connect' then 'ready'; EOF → push(null);
 * end() → _final → shutdown(SHUT_WR) (FIN after queued data); allowHalfOpen
 * false → Duplex ends the writable side after 'end' and later writes get
 * "This socket has been ended by the other party" (EPIPE); destroy() closes the
 * descriptor (FIN, or RST when unread data remains, as the kernel does) and
 * 'close'(hadError) follows 'error'; resetAndDestroy() aborts (RST). Errors are
 * built by errors.ts exactly as Node builds them.
 *
 * Data path (no per-packet closures): the core's readiness listener is this
 * socket's handle object; a readable edge pulls what the core holds — one
 * recv() of exactly the readable byte count into a fresh Buffer (the one copy
 * the kernel also makes) — and push()es it. When push() returns false the
 * socket stops pulling, so TCP's receive buffer fills and the advertised
 * window closes (real backpressure). Writes go to send(); bytes TCP cannot take
 * stay queued here and the write callback waits for a writable edge, so
 * write() returns false until 'drain' exactly when the send buffer is full.
 *
 * Time: socket timeouts (setTimeout) arm a timer of the Stack's Clock, so they
 * run in virtual time in the simulator. Node timers are never used.
 *
 * Owns: the Socket's stream state, its handle (descriptor), timeouts, onread
 * modes and zero-copy send queue (zero-copy.ts holds the mechanisms).
 * Must not: implement TCP, or call into the stack from inside packet
 * processing (readiness arrives from deferred context).
 */
import { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { SocketCore } from '../../socket/core.js';
import { Errno } from '../../socket/errno.js';
import { IPPROTO_TCP, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SO_KEEPALIVE, SOL_SOCKET, TCP_KEEPIDLE, TCP_NODELAY, SHUT_WR } from '../../socket/options.js';
import type { ReadyListener, SockAddr } from '../../socket/socket-table.js';
import type { TcpSocket } from '../../socket/tcp-socket.js';
import { NS_PER_MS, type Timer } from '../../time/clock.js';
import { formatIpv4 } from '../../wire/address.js';
import { normalizeConnectArgs, validateConnectOptions, validateFunction, validateTimeout, type LookupFunction, type NetConnectOpts } from './connect-args.js';
import type { NetContext } from './context.js';
import {
  dnsException,
  errEndedByOtherParty,
  errInvalidArgType,
  errInvalidIpAddress,
  errIpv6Unsupported,
  errnoException,
  errSocketClosed,
  exceptionWithHostPort,
} from './errors.js';
import { ZeroCopyLease, ZeroCopyLinger, ZeroCopySendTracker, type LeaseOwner, type ZcSend, type ZeroCopyCallback } from './zero-copy.js';

/** Constructor option carrying an accepted core socket (Server → Socket). */
export const kAcceptedHandle = Symbol('zerostack.net.acceptedHandle');
/** connect() arguments already normalised by createConnection. */
const kNormalized = Symbol('zerostack.net.normalized');

/** Node's `onread` (copy into the caller's buffer) or zerostack's zero-copy mode. */
export type OnReadOptions =
  | { buffer: Uint8Array | (() => Uint8Array); callback: (nread: number, buf: Uint8Array) => boolean | void }
  | { zeroCopy: true; callback: (view: Uint8Array, lease: ZeroCopyLease) => boolean | void; maxHeldBytes?: number };

export interface SocketOptions {
  allowHalfOpen?: boolean;
  readable?: boolean;
  writable?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  onread?: OnReadOptions;
  signal?: AbortSignal;
  /** Server-side: start paused (Server option pauseOnConnect). */
  pauseOnCreate?: boolean;
  [kAcceptedHandle]?: TcpSocket;
  [key: string]: unknown;
}

export interface AddressInfo {
  address: string;
  family: string;
  port: number;
}

/** The server a socket was accepted by (only what the socket calls back). */
export interface SocketServerLink {
  _connectionEnded(socket: Socket): void;
}

/** Scratch for EOF/error probes (a recv of 1 byte when nothing is readable). */
const PROBE = new Uint8Array(1);
/** Views taken per recvViews call in zero-copy mode. */
const ZC_BATCH = 16;

/** The readiness handle: one object per socket, so no closure is made per packet. */
class SocketHandle implements ReadyListener {
  constructor(readonly owner: Socket) {}
  onReady(_fd: number, events: number): void {
    this.owner._onReady(events);
  }
  onSendComplete(_fd: number, id: number): void {
    this.owner._onSendComplete(id);
  }
}

/** A write in progress: chunks handed to _write/_writev, sent as TCP takes them. */
interface WriteReq {
  chunks: Uint8Array[];
  idx: number;
  off: number;
  cb: (err?: Error | null) => void;
}

function onTimeoutFired(s: Socket): void {
  s._onTimeout();
}
function finalDone(s: Socket): void {
  s._finalDone();
}
function emitCloseNT(s: Socket, hadError: boolean | undefined): void {
  if (hadError === undefined) s.emit('close');
  else s.emit('close', hadError);
}
function emitHandleClose(s: Socket): void {
  s.emit('close', s._closeHadError());
}
function onReadableStreamEnd(this: Socket): void {
  if (!this.allowHalfOpen) (this as unknown as { write: typeof writeAfterFIN }).write = writeAfterFIN;
}
/** Node's writeAfterFIN: a write after the peer's FIN on a socket that is not half-open. */
function writeAfterFIN(this: Socket, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb as (e?: Error | null) => void);
  if (typeof encoding === 'function') cb = encoding;
  const er = errEndedByOtherParty();
  if (typeof cb === 'function') process.nextTick(cb as (e: Error) => void, er);
  this.destroy(er);
  return false;
}

/** node:net's typed events, plus 'zerocopy'(lo, hi) (completed writeZeroCopy id range). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Socket {
  on(event: 'close', listener: (hadError: boolean) => void): this;
  on(event: 'connect' | 'ready' | 'end' | 'timeout' | 'drain' | 'finish', listener: () => void): this;
  on(event: 'data', listener: (data: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'lookup', listener: (err: Error | null, address: string | undefined, family: number | undefined, host: string) => void): this;
  on(event: 'zerocopy', listener: (lo: number, hi: number) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any
  once(event: 'close', listener: (hadError: boolean) => void): this;
  once(event: 'connect' | 'ready' | 'end' | 'timeout' | 'drain' | 'finish', listener: () => void): this;
  once(event: 'data', listener: (data: Buffer) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  once(event: 'zerocopy', listener: (lo: number, hi: number) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this; // eslint-disable-line @typescript-eslint/no-explicit-any
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Socket extends Duplex implements LeaseOwner {
  /** True from connect() until the connection is established or fails. */
  connecting = false;
  /** The Server that accepted this socket (null for client sockets). */
  server: SocketServerLink | null = null;
  _server: SocketServerLink | null = null;

  /** @internal */ readonly _ctx: NetContext;
  private h: TcpSocket | null = null;
  private readonly handle: SocketHandle;
  private reading = false;
  private eof = false;
  private peerCache: AddressInfo | null = null;
  private nameCache: AddressInfo | null = null;
  private nRead = 0;
  private dispatched = 0;
  private timer: Timer | null = null;
  private timeoutNs = 0;
  private wreq: WriteReq | null = null;
  /** Write and end() issued while connecting (Node's _pendingData / deferred _final). */
  private connectWrite: WriteReq | null = null;
  private connectFinal: ((err?: Error | null) => void) | null = null;
  private finalCb: ((err?: Error | null) => void) | null = null;
  private connectReq: { address: string; port: number; localAddress: string | undefined; localPort: number | undefined } | null = null;
  private resetAndClosing = false;
  private readOnConnect = false;
  private closeHadError = false;
  private optNoDelay = false;
  private optKeepAlive = false;
  private optKeepAliveDelay = 0;
  private refed = true;
  // onread modes
  private onreadBuffer: Uint8Array | (() => Uint8Array) | null = null;
  private onreadCb: ((nread: number, buf: Uint8Array) => boolean | void) | null = null;
  private zcCb: ((view: Uint8Array, lease: ZeroCopyLease) => boolean | void) | null = null;
  private zcHeld = 0;
  private zcMaxHeld = 0;
  private zcStash: PacketBuffer[] = [];
  private zcStashHead = 0;
  private zcSend: ZeroCopySendTracker | null = null;
  private readonly zcChunks = new WeakMap<Uint8Array, ZcSend>();

  constructor(ctx: NetContext, options: SocketOptions = {}) {
    if (options === null || typeof options !== 'object') throw errInvalidArgType('options', 'object', options);
    const accepted = options[kAcceptedHandle];
    super({
      allowHalfOpen: Boolean(options.allowHalfOpen),
      emitClose: false,
      autoDestroy: true,
      decodeStrings: false,
      ...(options.highWaterMark !== undefined ? { highWaterMark: options.highWaterMark } : {}),
      ...(options.readableHighWaterMark !== undefined ? { readableHighWaterMark: options.readableHighWaterMark } : {}),
      ...(options.writableHighWaterMark !== undefined ? { writableHighWaterMark: options.writableHighWaterMark } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    this._ctx = ctx;
    this.handle = new SocketHandle(this);
    this.parseOnread(options.onread);
    if (options.noDelay !== undefined) this.optNoDelay = Boolean(options.noDelay);
    if (options.keepAlive) {
      this.optKeepAlive = true;
      this.optKeepAliveDelay = Math.trunc((Number(options.keepAliveInitialDelay) || 0) / 1000);
    }
    this.on('end', onReadableStreamEnd);
    if (accepted !== undefined) {
      this.attach(accepted);
      if (this.optNoDelay) this.applyNoDelay(true);
      if (this.optKeepAlive) this.applyKeepAlive(true, this.optKeepAliveDelay);
      if (options.readable !== false) {
        if (options.pauseOnCreate) {
          (this as unknown as { _readableState: { flowing: boolean } })._readableState.flowing = false;
        } else {
          this.read(0);
        }
      }
    }
  }

  private parseOnread(onread: unknown): void {
    if (onread === null || typeof onread !== 'object') return;
    const o = onread as Record<string, unknown>;
    if (o.zeroCopy === true) {
      if (typeof o.callback !== 'function') throw errInvalidArgType('options.onread.callback', 'Function', o.callback);
      if (o.maxHeldBytes !== undefined && (typeof o.maxHeldBytes !== 'number' || !(o.maxHeldBytes > 0))) {
        throw errInvalidArgType('options.onread.maxHeldBytes', 'number', o.maxHeldBytes);
      }
      this.zcCb = o.callback as (view: Uint8Array, lease: ZeroCopyLease) => boolean | void;
      this.zcMaxHeld = (o.maxHeldBytes as number | undefined) ?? 0;
      return;
    }
    // Node: only a well-formed { buffer, callback } is taken; anything else is ignored.
    if ((o.buffer instanceof Uint8Array || typeof o.buffer === 'function') && typeof o.callback === 'function') {
      this.onreadBuffer = o.buffer as Uint8Array | (() => Uint8Array);
      this.onreadCb = o.callback as (nread: number, buf: Uint8Array) => boolean | void;
    }
  }

  private get onreadMode(): boolean {
    return this.onreadCb !== null || this.zcCb !== null;
  }

  /** Bind this Socket to a core socket (accepted or freshly created). */
  private attach(s: TcpSocket): void {
    this.h = s;
    this._ctx.core.setReadyListener(s, this.handle);
  }

  private get core(): SocketCore {
    return this._ctx.core;
  }

  // ---------------------------------------------------------------------------
  // Properties (node:net)

  get bytesRead(): number {
    return this.nRead;
  }

  /** Node: bytes handed to the socket, including what is still buffered in the stream. */
  get bytesWritten(): number | undefined {
    let n = this.dispatched;
    const wb = (this as unknown as { writableBuffer?: unknown }).writableBuffer as { chunk: Uint8Array | string; encoding: BufferEncoding }[] | undefined;
    if (wb === undefined) return undefined;
    for (const el of wb) n += typeof el.chunk === 'string' ? Buffer.byteLength(el.chunk, el.encoding) : el.chunk.length;
    const cw = this.connectWrite;
    if (cw !== null) for (const c of cw.chunks) n += c.length;
    return n;
  }

  /** Node: true until connected (no handle, or connecting). */
  get pending(): boolean {
    return this.h === null || this.connecting;
  }

  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Node: writableLength plus what the handle still holds. */
  get bufferSize(): number | undefined {
    if (this.h === null) return undefined;
    const q = this.wreq;
    let held = 0;
    if (q !== null) for (let i = q.idx; i < q.chunks.length; i++) held += q.chunks[i]!.length - (i === q.idx ? q.off : 0);
    return held + this.writableLength;
  }

  get remoteAddress(): string | undefined {
    return this.peer()?.address;
  }
  get remotePort(): number | undefined {
    return this.peer()?.port;
  }
  get remoteFamily(): string | undefined {
    return this.peer()?.family;
  }
  get localAddress(): string | undefined {
    return this.sockname()?.address;
  }
  get localPort(): number | undefined {
    return this.sockname()?.port;
  }
  get localFamily(): string | undefined {
    return this.sockname()?.family;
  }

  /** { address, family, port } of the local end ({} when there is no handle, as Node). */
  address(): AddressInfo | Record<string, never> {
    return this.sockname() ?? {};
  }

  private peer(): AddressInfo | null {
    if (this.peerCache === null) {
      if (this.h === null) return null;
      const out: SockAddr = { addr: 0, port: 0 };
      if (this.core.getpeername(this.h, out) !== 0) return null;
      this.peerCache = { address: formatIpv4(out.addr), family: 'IPv4', port: out.port };
    }
    return this.peerCache;
  }

  private sockname(): AddressInfo | null {
    if (this.h === null) return null;
    if (this.nameCache === null) {
      const out: SockAddr = { addr: 0, port: 0 };
      if (this.core.getsockname(this.h, out) !== 0) return null;
      this.nameCache = { address: formatIpv4(out.addr), family: 'IPv4', port: out.port };
    }
    return this.nameCache;
  }

  // ---------------------------------------------------------------------------
  // Options

  setNoDelay(enable?: boolean): this {
    const on = enable === undefined ? true : Boolean(enable);
    if (this.h === null) {
      this.optNoDelay = on;
      return this;
    }
    if (on !== this.optNoDelay) {
      this.optNoDelay = on;
      this.applyNoDelay(on);
    }
    return this;
  }

  private applyNoDelay(on: boolean): void {
    if (this.h !== null) this.core.setsockopt(this.h, IPPROTO_TCP, TCP_NODELAY, on);
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    const on = Boolean(enable);
    const delay = Math.trunc((Number(initialDelay) || 0) / 1000);
    if (this.h === null) {
      this.optKeepAlive = on;
      this.optKeepAliveDelay = delay;
      return this;
    }
    this.applyKeepAlive(on, delay);
    return this;
  }

  private applyKeepAlive(on: boolean, delaySeconds: number): void {
    if (this.h === null) return;
    this.core.setsockopt(this.h, SOL_SOCKET, SO_KEEPALIVE, on);
    // libuv uv_tcp_keepalive: TCP_KEEPIDLE = delay (seconds) when enabling with a delay.
    if (on && delaySeconds >= 1) this.core.setsockopt(this.h, IPPROTO_TCP, TCP_KEEPIDLE, delaySeconds);
  }

  /**
   * Idle timeout on the Stack's Clock: 'timeout' after `msecs` without reads or
   * writes (0 disables). Like Node, it only notifies; the socket stays open.
   */
  setTimeout(msecs: number, callback?: () => void): this {
    if (this.destroyed) return this;
    const ms = validateTimeout(msecs);
    if (callback !== undefined) validateFunction(callback, 'callback');
    if (ms === 0) {
      this.timeoutNs = 0;
      this.timer?.cancel();
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    this.timeoutNs = Math.max(1, Math.round(ms * NS_PER_MS));
    if (this.timer === null) this.timer = this._ctx.clock.createTimer(onTimeoutFired, this);
    this.timer.armAfter(this.timeoutNs);
    if (callback !== undefined) this.once('timeout', callback);
    return this;
  }

  /** The idle timeout in ms (Node's socket.timeout), undefined when none. */
  get timeout(): number | undefined {
    return this.timeoutNs > 0 ? this.timeoutNs / NS_PER_MS : undefined;
  }

  /** @internal */
  _onTimeout(): void {
    if (this.destroyed) return;
    this.emit('timeout');
  }

  /** Activity: restart the idle timer (Node's _unrefTimer). */
  private touch(): void {
    if (this.timeoutNs > 0 && this.timer !== null) this.timer.armAfter(this.timeoutNs);
  }

  /**
   * Recorded only: whether the process stays alive is decided by the Stack's
   * Clock (a RealClock keeps the event loop alive while timers are armed), not
   * by individual sockets.
   */
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
  /** Whether ref() (true) or unref() (false) was called last. */
  get isRefed(): boolean {
    return this.refed;
  }

  // ---------------------------------------------------------------------------
  // connect

  /** connect(port[, host][, cb]) / connect(options[, cb]), as node:net. */
  connect(...args: unknown[]): this {
    let normalized: [NetConnectOpts, ((...a: unknown[]) => void) | null];
    const a0 = args[0] as { [kNormalized]?: boolean } | undefined;
    if (Array.isArray(a0) && (a0 as unknown as { [kNormalized]?: boolean })[kNormalized] === true) {
      normalized = a0 as unknown as [NetConnectOpts, ((...a: unknown[]) => void) | null];
    } else {
      normalized = normalizeConnectArgs(args);
    }
    const [options, cb] = normalized;
    if (Object.prototype.hasOwnProperty.call(this, 'write')) delete (this as unknown as { write?: unknown }).write;
    if (this.destroyed) {
      // Node re-initialises a destroyed socket that connects again.
      this.h = null;
      this.peerCache = null;
      this.nameCache = null;
      this.eof = false;
      this.reading = false;
      this.resetAndClosing = false;
      this.readOnConnect = false;
      (this as unknown as { _undestroy(): void })._undestroy();
    }
    const target = validateConnectOptions(options);
    if (this.h === null) {
      // Node creates the handle in connect() itself (destroy() before the lookup then closes a handle).
      const fd = this.core.socket('tcp');
      if (fd < 0) throw errnoException(fd, 'socket');
      this.attach(this.core.get(fd) as TcpSocket);
    }
    if (cb !== null) this.once('connect', cb);
    this.touch();
    this.connecting = true;
    this.lookupAndConnect(target.host, target.port, target.localAddress, target.localPort, target.lookup ?? this._ctx.defaultLookup);
    return this;
  }

  private lookupAndConnect(host: string, port: number, localAddress: string | undefined, localPort: number | undefined, lookup: LookupFunction | null): void {
    const kind = isIP(host);
    if (kind === 4) {
      process.nextTick(() => {
        if (this.connecting) this.internalConnect(host, port, localAddress, localPort);
      });
      return;
    }
    if (kind === 6) {
      process.nextTick(() => {
        if (this.connecting) this.destroy(errIpv6Unsupported(host, 'connect'));
      });
      return;
    }
    const done = (err: Error | null, ip: string | undefined, family: number | undefined): void => {
      this.emit('lookup', err, ip, family, host);
      if (!this.connecting) return;
      if (err) process.nextTick(() => this.destroy(err));
      else if (ip === undefined || !isIP(ip)) process.nextTick(() => this.destroy(errInvalidIpAddress(ip)));
      else if (isIP(ip) === 6) process.nextTick(() => this.destroy(errIpv6Unsupported(ip, 'connect')));
      else {
        this.touch();
        this.internalConnect(ip, port, localAddress, localPort);
      }
    };
    if (lookup !== null) {
      lookup(host, { family: 4, hints: 0 }, (err, address, family) => {
        const a = address as unknown;
        if (!err && Array.isArray(a)) {
          const first = (a as { address: string; family: number }[]).find((x) => x.family === 4) ?? (a as { address: string; family: number }[])[0];
          done(null, first?.address, first?.family);
        } else done(err, address, family);
      });
      return;
    }
    // No resolver: the stack knows 'localhost' (RFC 6761 §6.3: it is the loopback address).
    process.nextTick(() => {
      if (host.toLowerCase() === 'localhost') done(null, '127.0.0.1', 4);
      else done(dnsException('ENOTFOUND', 'getaddrinfo', host), undefined, undefined);
    });
  }

  private internalConnect(address: string, port: number, localAddress: string | undefined, localPort: number | undefined): void {
    const core = this.core;
    const h = this.h;
    if (h === null) return;
    if (localAddress || localPort) {
      const la = localAddress || '0.0.0.0';
      const r = core.bind(h, la, localPort ?? 0);
      if (r < 0) {
        this.destroy(exceptionWithHostPort(r, 'bind', la, localPort ?? 0));
        return;
      }
    }
    this.connectReq = { address, port, localAddress, localPort };
    const r = core.connect(h, address, port);
    if (r === Errno.EINPROGRESS) return;
    if (r === 0) {
      this.afterConnect(0);
      return;
    }
    if (r === Errno.ECONNREFUSED) {
      // The endpoint refuses port 0 at once; the kernel does it with a RST a moment later (asynchronously, no details).
      process.nextTick(() => this.afterConnect(r));
      return;
    }
    const sn = this.sockname();
    const ex = exceptionWithHostPort(r, 'connect', address, port, sn !== null ? `${sn.address}:${sn.port}` : undefined);
    this.destroy(ex);
  }

  private afterConnect(status: number): void {
    if (this.destroyed || !this.connecting) return;
    const req = this.connectReq!;
    this.connecting = false;
    this.nameCache = null;
    if (status !== 0) {
      let details: string | undefined;
      if (req.localAddress && req.localPort) details = `${req.localAddress}:${req.localPort}`;
      const ex = exceptionWithHostPort(status, 'connect', req.address, req.port, details);
      if (details !== undefined) Object.assign(ex, { localAddress: req.localAddress, localPort: req.localPort });
      this.destroy(ex);
      return;
    }
    this.touch();
    if (this.optNoDelay) this.applyNoDelay(true);
    if (this.optKeepAlive) this.applyKeepAlive(true, this.optKeepAliveDelay);
    this.emit('connect');
    if (this.readOnConnect && this.h !== null) {
      this.readOnConnect = false;
      this._read();
    }
    this.emit('ready');
    // Writes and end() issued while connecting go out now (Node: 'connect' listeners in _writeGeneric/_final).
    const cw = this.connectWrite;
    if (cw !== null) {
      this.connectWrite = null;
      this.startWrite(cw);
    }
    const cf = this.connectFinal;
    if (cf !== null) {
      this.connectFinal = null;
      this._final(cf);
    }
    if (!this.isPaused() || this.onreadMode) this.read(0);
  }

  // ---------------------------------------------------------------------------
  // Readiness (called by SocketHandle)

  /** @internal */
  _onReady(events: number): void {
    if (this.h === null) return;
    if (this.connecting) {
      if ((events & (POLLOUT | POLLERR | POLLHUP)) === 0) return;
      const req = this.connectReq;
      if (req === null) return;
      const r = this.core.connect(this.h, req.address, req.port);
      if (r === Errno.EALREADY || r === Errno.EINPROGRESS) return;
      this.afterConnect(r === Errno.EISCONN ? 0 : r);
      return;
    }
    if ((events & (POLLIN | POLLRDHUP | POLLERR | POLLHUP)) !== 0 && this.reading) this.pump();
    if ((events & (POLLOUT | POLLERR | POLLHUP)) !== 0 && this.wreq !== null && this.h !== null) this.flushWrites();
  }

  /** @internal TCP acknowledged every byte of one zero-copy piece. */
  _onSendComplete(id: number): void {
    this.zcSend?.complete(id);
  }

  // ---------------------------------------------------------------------------
  // Reading

  override _read(): void {
    if (this.connecting || this.h === null) {
      // Node: once('connect', () => this._read(n)) — the stream will not call _read again until data is pushed.
      this.readOnConnect = true;
      return;
    }
    if (!this.reading) {
      this.reading = true;
      this.pump();
    }
  }

  /** Pull what the core holds while the stream wants data (see the module comment). */
  private pump(): void {
    if (this.zcCb !== null) {
      this.pumpZeroCopy();
      return;
    }
    const core = this.core;
    while (this.reading && !this.eof) {
      const h = this.h;
      if (h === null) return;
      if (this.onreadCb !== null) {
        const src = this.onreadBuffer!;
        const buf = typeof src === 'function' ? src() : src;
        const r = core.recv(h, buf, 0, buf.length);
        if (r > 0) {
          this.gotBytes(r);
          if (this.onreadCb(r, buf) === false) this.reading = false;
          continue;
        }
        if (!this.readEnded(r)) return;
        continue;
      }
      const avail = h.ep.readableLength;
      if (avail > 0) {
        const buf = Buffer.allocUnsafe(avail);
        const r = core.recv(h, buf, 0, avail);
        if (r > 0) {
          this.gotBytes(r);
          if (!this.push(r === avail ? buf : buf.subarray(0, r))) this.reading = false;
          continue;
        }
        if (!this.readEnded(r)) return;
        continue;
      }
      const r = core.recv(h, PROBE, 0, 1);
      if (r > 0) {
        this.gotBytes(r);
        if (!this.push(Buffer.from(PROBE.subarray(0, r)))) this.reading = false;
        continue;
      }
      if (!this.readEnded(r)) return;
    }
  }

  private gotBytes(n: number): void {
    this.nRead += n;
    this.touch();
  }

  /** recv() returned ≤ 0: EOF (push null), EAGAIN (wait), or an error (destroy). False when the pump must stop. */
  private readEnded(r: number): boolean {
    if (r === Errno.EAGAIN) return false;
    if (r === 0) {
      this.eof = true;
      this.push(null);
      this.read(0);
      return false;
    }
    this.destroy(errnoException(r, 'read'));
    return false;
  }

  private pumpZeroCopy(): void {
    const core = this.core;
    const cb = this.zcCb!;
    const max = this.zcMaxHeld > 0 ? this.zcMaxHeld : this.h !== null ? this.h.ep.getOption('rcvbuf') : 0;
    while (this.reading && !this.eof && this.h !== null) {
      if (this.zcStashHead >= this.zcStash.length) {
        if (this.zcHeld >= max) return; // leaseReleased() resumes
        this.zcStash.length = 0;
        this.zcStashHead = 0;
        const k = core.recvViews(this.h, ZC_BATCH, this.zcStash);
        if (k <= 0) {
          this.zcStash.length = 0;
          if (!this.readEnded(k)) return;
          continue;
        }
        this.zcStash.length = k;
      }
      const pb = this.zcStash[this.zcStashHead]!;
      this.zcStash[this.zcStashHead++] = null as unknown as PacketBuffer;
      const n = pb.tail - pb.head;
      this.zcHeld += n;
      this.gotBytes(n);
      const lease = new ZeroCopyLease(this, pb, pb.bytes.subarray(pb.head, pb.tail));
      if (cb(lease.view, lease) === false) this.reading = false;
    }
  }

  /** @internal LeaseOwner: a zero-copy view was released. */
  leaseReleased(bytes: number): void {
    const before = this.zcHeld;
    this.zcHeld -= bytes;
    if (this.reading && !this.eof && this.h !== null && this.zcMaxHeldReached(before) && !this.zcMaxHeldReached(this.zcHeld)) this.pump();
  }

  private zcMaxHeldReached(held: number): boolean {
    const max = this.zcMaxHeld > 0 ? this.zcMaxHeld : this.h !== null ? this.h.ep.getOption('rcvbuf') : 0;
    return held >= max;
  }

  /** Bytes of zero-copy views handed out and not yet released. */
  get zeroCopyHeldBytes(): number {
    return this.zcHeld;
  }

  override pause(): this {
    if (this.onreadMode && !this.connecting && this.h !== null && this.reading) this.reading = false;
    return super.pause();
  }

  override resume(): this {
    if (this.onreadMode && !this.connecting && this.h !== null && !this.reading) {
      this.reading = true;
      this.pump();
    }
    return super.resume();
  }

  override read(n?: number): unknown {
    if (this.onreadMode && !this.connecting && this.h !== null && !this.reading) {
      this.reading = true;
      this.pump();
    }
    return super.read(n);
  }

  // ---------------------------------------------------------------------------
  // Writing

  override _write(chunk: Uint8Array | string, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    // Fast path (small messages): nothing queued, connected, plain bytes, and TCP takes them all.
    const h = this.h;
    if (h !== null && !this.connecting && this.wreq === null && bytes.length > 0 && !this.zcChunks.has(bytes)) {
      const r = this.core.send(h, bytes, 0, bytes.length);
      if (r === bytes.length) {
        this.touch();
        this.dispatched += r;
        cb();
        return;
      }
      if (r > 0) {
        // Partly taken: the rest waits for send space like any queued write.
        this.touch();
        this.dispatched += bytes.length;
        this.wreq = { chunks: [bytes], idx: 0, off: r, cb };
        return;
      }
      if (r !== Errno.EAGAIN) {
        cb(errnoException(r, 'write'));
        return;
      }
    }
    this.writeGeneric({ chunks: [bytes], idx: 0, off: 0, cb });
  }

  override _writev(chunks: { chunk: Uint8Array; encoding: BufferEncoding }[], cb: (err?: Error | null) => void): void {
    const list = new Array<Uint8Array>(chunks.length);
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!.chunk;
      list[i] = typeof c === 'string' ? Buffer.from(c as string, chunks[i]!.encoding) : c;
    }
    this.writeGeneric({ chunks: list, idx: 0, off: 0, cb });
  }

  private writeGeneric(req: WriteReq): void {
    if (this.connecting) {
      this.connectWrite = req;
      return;
    }
    if (this.h === null) {
      // Node: the write fails with ERR_SOCKET_CLOSED; the stream destroys the socket with it.
      req.cb(errSocketClosed());
      return;
    }
    this.startWrite(req);
  }

  private startWrite(req: WriteReq): void {
    this.touch();
    for (const c of req.chunks) this.dispatched += c.length;
    this.wreq = req;
    this.flushWrites();
  }

  /** Hand queued bytes to TCP; the write completes when every byte is taken. */
  private flushWrites(): void {
    const q = this.wreq!;
    const core = this.core;
    const h = this.h!;
    while (q.idx < q.chunks.length) {
      const c = q.chunks[q.idx]!;
      const len = c.length - q.off;
      if (len === 0) {
        q.idx++;
        q.off = 0;
        continue;
      }
      const zc = this.zcChunks.get(c);
      let r: number;
      if (zc !== undefined) {
        r = core.sendZeroCopy(h, c, q.off, len, zc.id);
        if (r > 0) zc.pieces++;
      } else {
        r = core.send(h, c, q.off, len);
      }
      if (r === len) {
        if (zc !== undefined) {
          zc.queued = true;
          this.zcSend!.settle();
        }
        q.idx++;
        q.off = 0;
        continue;
      }
      if (r > 0) {
        q.off += r;
        return; // the rest waits for a writable edge
      }
      if (r === Errno.EAGAIN || r === 0) return;
      this.wreq = null;
      const err = errnoException(r, 'write');
      this.rejectZeroCopy(q, err);
      q.cb(err);
      return;
    }
    this.wreq = null;
    q.cb();
  }

  private rejectZeroCopy(q: WriteReq, err: Error): void {
    if (this.zcSend === null) return;
    for (let i = q.idx; i < q.chunks.length; i++) {
      const zc = this.zcChunks.get(q.chunks[i]!);
      if (zc !== undefined) this.zcSend.reject(zc, err);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.connecting || this.h === null) {
      // Node: while pending (connecting, or never connected) the end waits for 'connect'.
      this.connectFinal = cb;
      return;
    }
    const r = this.core.shutdown(this.h, SHUT_WR);
    if (r === Errno.ENOTCONN) {
      cb();
      return;
    }
    if (r < 0) {
      cb(errnoException(r, 'shutdown'));
      return;
    }
    // libuv completes a shutdown request asynchronously (after the write queue drained).
    this.finalCb = cb;
    this._ctx.clock.defer(finalDone, this);
  }

  /** @internal */
  _closeHadError(): boolean {
    return this.closeHadError;
  }

  /** @internal */
  _finalDone(): void {
    const cb = this.finalCb;
    this.finalCb = null;
    if (cb !== null) cb();
  }

  /**
   * Zero-copy send (MSG_ZEROCOPY-like; see zero-copy.ts and docs/api.md): queue
   * `data` without copying it, in order with write(). Returns the send's id.
   * `cb(null)` runs once the peer acknowledged every byte (then the caller may
   * reuse `data`); 'zerocopy'(lo, hi) reports completed id ranges. Until then
   * the caller must not modify `data`. Backpressure: as write() (see
   * writableNeedDrain).
   */
  writeZeroCopy(data: Uint8Array, cb?: ZeroCopyCallback): number {
    if (!(data instanceof Uint8Array)) throw errInvalidArgType('data', ['Buffer', 'TypedArray'], data);
    if (cb !== undefined) validateFunction(cb, 'cb');
    if (this.zcSend === null) this.zcSend = new ZeroCopySendTracker(this._ctx.clock, this);
    const tracker = this.zcSend;
    const send = tracker.register(cb ?? null);
    // A view of the caller's memory (no copy); the WeakMap marks it for flushWrites.
    const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.zcChunks.set(view, send);
    this.write(view, (err) => {
      if (err) tracker.reject(send, err);
    });
    return send.id;
  }

  // ---------------------------------------------------------------------------
  // Ending and destroying

  /** Node: end the writable side, and destroy once it finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Close with a RST (SO_LINGER {1, 0}), as node:net's resetAndDestroy. */
  resetAndDestroy(): this {
    if (this.h !== null) {
      if (this.connecting) {
        this.once('connect', () => {
          this.resetAndClosing = true;
          this.destroy();
        });
      } else {
        this.resetAndClosing = true;
        this.destroy();
      }
    } else {
      this.destroy(errSocketClosed());
    }
    return this;
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.connecting = false;
    this.timer?.cancel();
    this.reading = false;
    const h = this.h;
    const q = this.wreq;
    this.wreq = null;
    this.connectWrite = null;
    this.connectFinal = null;
    this.releaseStash();
    if (h !== null) {
      this.h = null;
      this.nameCache = null;
      const core = this.core;
      const zc = this.zcSend;
      if (zc !== null) zc.abandonUnqueued(err);
      if (q !== null) process.nextTick(q.cb, errnoException(Errno.ECANCELED, 'write'));
      if (this.resetAndClosing) {
        this.resetAndClosing = false;
        core.abort(h);
        zc?.dropInFlight(err);
      } else if (zc !== null && zc.inFlight) {
        new ZeroCopyLinger(core, h, zc).start();
      } else {
        core.close(h);
      }
      cb(err);
      // Node emits 'close' from the handle's close callback, a later turn of the event loop.
      this.closeHadError = err ? true : false;
      this._ctx.clock.defer(emitHandleClose, this);
    } else {
      this.zcSend?.abandonUnqueued(err);
      cb(err);
      process.nextTick(emitCloseNT, this, undefined);
    }
    const srv = this._server;
    if (srv !== null) srv._connectionEnded(this);
  }

  private releaseStash(): void {
    const s = this.zcStash;
    for (let i = this.zcStashHead; i < s.length; i++) s[i]?.release();
    s.length = 0;
    this.zcStashHead = 0;
  }

  /** @internal Used by createConnection to pass normalised arguments through. */
  static _normalized(args: [NetConnectOpts, ((...a: unknown[]) => void) | null]): unknown {
    Object.defineProperty(args, kNormalized, { value: true });
    return args;
  }
}
