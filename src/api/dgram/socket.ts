/**
 * dgram.Socket over zerostack: Node's `node:dgram` Socket (Node 20 semantics)
 * for UDP/IPv4, on top of the IP layer's UdpSocket (src/ip/udp-socket.ts), which
 * acts as the "handle" (libuv's uv_udp_t in Node).
 *
 * Owns: Node's argument rules and their errors (send's six forms, bind's two,
 * connect/disconnect), the bind and connect states (unbound → binding → bound;
 * disconnected → connecting → connected), the queue of sends and connects made
 * before the socket is bound, Linux's buffer-size arithmetic (SO_RCVBUF doubles
 * the request), and the shape of every error it emits (syscall errors rebuilt
 * with the address and port Node reports).
 * Must not: touch packets, or emit events from inside a call: every event comes
 * from a deferred clock callback (the handle emits them so), like Node's, which
 * come from the event loop.
 *
 * Departures from Node, each deliberate:
 * - bind() validates the port (ERR_SOCKET_BAD_PORT); Node passes 70000 to libuv,
 *   which silently binds port 70000 & 0xffff.
 * - Names are not resolved: literal IPv4 addresses and 'localhost' work; other
 *   names go to the `lookup` option if given, else fail with getaddrinfo ENOTFOUND.
 * - A bind to a literal address completes at once (address() works before
 *   'listening'); Node completes it on the next tick.
 * - ref()/unref() keep a flag: what keeps a process alive is the stack's links
 *   and clock, not a socket.
 * - No multicast: those methods throw ERR_METHOD_NOT_IMPLEMENTED. reuseAddr is
 *   accepted but ports are still exclusive (a second bind reports EADDRINUSE).
 * - sendBufferSize is kept and reported (Linux arithmetic) but sends never queue:
 *   a datagram goes to IP at once, so it never blocks on the send buffer.
 */
import { EventEmitter } from 'node:events';
import type { RemoteInfo, UdpSocket, UdpSocketOptions } from '../../ip/udp-socket.js';
import type { Clock } from '../../time/clock.js';
import { Errno, toNodeError } from '../../socket/errno.js';
import { formatIpv4, isValidIpv4, parseIpv4 } from '../../wire/address.js';
import {
  alreadyBound,
  badBufferSize,
  BUFFER_TYPES,
  codedError,
  invalidArgType,
  isConnected,
  notConnected,
  notRunning,
  outOfBounds,
  SystemError,
} from './errors.js';
import { dnsException, errInvalidIpAddress, validatePort } from '../node-errors.js';

/** What a Socket needs from its Stack (a structural type: no import cycle with src/stack.ts). */
export interface DgramStack {
  readonly clock: Clock;
  readonly ip: { sourceFor(dst: number): number };
  createUdpSocket(options?: UdpSocketOptions | 'udp4'): UdpSocket;
}

/** dns.lookup-shaped resolver (Node's `lookup` option): called as lookup(hostname, 4, cb). */
export type LookupFunction = (hostname: string, family: number, callback: (err: Error | null, address: string, family?: number) => void) => void;

export interface SocketOptions {
  type: 'udp4';
  /** Accepted for compatibility; ports stay exclusive (see the module comment). */
  reuseAddr?: boolean;
  /** Ignored for udp4, as in Node. */
  ipv6Only?: boolean;
  /** Applied when the socket is bound (setRecvBufferSize). */
  recvBufferSize?: number;
  /** Applied when the socket is bound (setSendBufferSize). */
  sendBufferSize?: number;
  /** Resolver for non-literal addresses. */
  lookup?: LookupFunction;
  /** Closes the socket when aborted. */
  signal?: AbortSignal;
}

export type SendCallback = (error: Error | null, bytes: number) => void;
/** What send() takes as a datagram (or a part of one, in a list). */
export type Message = string | NodeJS.ArrayBufferView;
type Chunk = Message;

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

const OPTION_KEYS = new Set(['type', 'reuseAddr', 'ipv6Only', 'recvBufferSize', 'sendBufferSize', 'lookup', 'signal']);

const UNBOUND = 0;
const BINDING = 1;
const BOUND = 2;
const DISCONNECTED = 0;
const CONNECTING = 1;
const CONNECTED = 2;

/** Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF (include/net/sock.h) and net.core.wmem_default. */
const MIN_RCVBUF = 2304;
const MIN_SNDBUF = 4608;
const DEFAULT_SNDBUF = 212992;

const EMPTY = Buffer.alloc(0);

function isView(v: unknown): v is NodeJS.ArrayBufferView {
  return ArrayBuffer.isView(v);
}

function toBytes(v: Chunk): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v);
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Node's sliceBuffer(): offset/length coerced with >>> 0 and checked against the buffer. */
function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Uint8Array {
  if (typeof buffer !== 'string' && !isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer);
  const b = toBytes(buffer);
  const off = (offset as number) >>> 0;
  const len = (length as number) >>> 0;
  if (off > b.byteLength) throw outOfBounds('offset');
  if (off + len > b.byteLength) throw outOfBounds('length');
  return b.subarray(off, off + len);
}

interface Deferred {
  sock: Socket;
  fn: () => void;
}

function runDeferred(d: Deferred): void {
  d.fn();
}

export class Socket extends EventEmitter {
  readonly type = 'udp4' as const;

  private handle: UdpSocket | null;
  private bindState = UNBOUND;
  private connectState = DISCONNECTED;
  /** Work waiting for the bind to complete (Node's state.queue). */
  private queue: (() => void)[] | null = null;
  /** Where the bind in progress goes, for its error (Node reports the resolved ip and the port asked for). */
  private bindIp = '0.0.0.0';
  private bindPort = 0;
  private readonly lookup: LookupFunction | undefined;
  private pendingRecvBuf: number | undefined;
  private pendingSendBuf: number | undefined;
  private sndbuf = DEFAULT_SNDBUF;
  private refed = true;

  constructor(
    private readonly stack: DgramStack,
    type: 'udp4' | SocketOptions,
    listener?: (msg: Buffer, rinfo: RemoteInfo) => void,
  ) {
    super();
    let options: SocketOptions | undefined;
    if (typeof type === 'object' && type !== null) {
      options = type;
      for (const k of Object.keys(options)) {
        if (!OPTION_KEYS.has(k)) throw new TypeError(`dgram.createSocket: unknown option "${k}" (known: ${[...OPTION_KEYS].join(', ')})`);
      }
      type = options.type;
    }
    if ((type as string) === 'udp6') {
      throw codedError(TypeError, 'ERR_SOCKET_BAD_TYPE', "Bad socket type specified. zerostack's dgram supports only udp4 (IPv4); udp6 is not available");
    }
    if (type !== 'udp4') throw codedError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4');
    if (options !== undefined) {
      if (options.recvBufferSize !== undefined) this.pendingRecvBuf = checkBufferSize(options.recvBufferSize);
      if (options.sendBufferSize !== undefined) this.pendingSendBuf = checkBufferSize(options.sendBufferSize);
      if (options.lookup !== undefined && typeof options.lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', options.lookup);
      this.lookup = options.lookup;
      const signal = options.signal;
      if (signal !== undefined) {
        if (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean') throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
        if (signal.aborted) this.defer(() => this.closeIfOpen());
        else signal.addEventListener('abort', () => this.closeIfOpen(), { once: true });
      }
    }
    const h = stack.createUdpSocket('udp4');
    this.handle = h;
    h.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.emit('message', msg, rinfo));
    h.on('listening', () => this.onListening());
    h.on('connect', () => this.emit('connect'));
    h.on('error', (err: { errno: number; syscall: string }) => this.onHandleError(err));
    h.on('close', () => this.onHandleClose());
    if (typeof listener === 'function') this.on('message', listener);
  }

  // --- binding -------------------------------------------------------------

  /** bind([port][, address][, callback]) or bind(options[, callback]); 'listening' or 'error' follows. */
  bind(port?: unknown, address?: unknown, callback?: unknown): this;
  bind(...args: unknown[]): this {
    this.healthCheck();
    if (this.bindState !== UNBOUND) throw alreadyBound();
    let port = args[0];
    let address: unknown;
    if (port !== null && typeof port === 'object') {
      const o = port as { port?: unknown; address?: unknown };
      address = o.address || '';
      port = o.port;
    } else {
      address = typeof args[1] === 'function' ? '' : args[1];
    }
    if (typeof port === 'function') port = 0;
    const p = port === undefined || port === null ? 0 : validatePort(port, 'Port', true);
    if (address !== undefined && address !== null && typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
    this.bindState = BINDING;
    const cb = args.length > 0 ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      // Node: the callback is a 'listening' listener that an 'error' removes.
      const onListening = (): void => {
        this.removeListener('error', removeListeners);
        (cb as () => void).call(this);
      };
      const removeListeners = (): void => {
        this.removeListener('error', removeListeners);
        this.removeListener('listening', onListening);
      };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    const host = (address as string | undefined) || '0.0.0.0';
    this.resolve(host, (err, ip) => {
      if (this.handle === null) return; // closed meanwhile
      if (err !== null) {
        this.bindState = UNBOUND;
        this.emit('error', err);
        return;
      }
      this.bindIp = ip;
      this.bindPort = p;
      // The handle emits 'listening' or a bind 'error' from a deferred callback.
      this.handle.bind(p, ip);
    });
    return this;
  }

  private onListening(): void {
    if (this.handle === null) return;
    this.bindState = BOUND;
    if (this.pendingRecvBuf !== undefined) this.setRecvBufferSize(this.pendingRecvBuf);
    if (this.pendingSendBuf !== undefined) this.setSendBufferSize(this.pendingSendBuf);
    this.emit('listening');
  }

  private onHandleError(err: { errno: number; syscall: string }): void {
    if (err.syscall === 'bind') {
      this.bindState = UNBOUND;
      this.emit('error', toNodeError(err.errno, 'bind', this.bindIp, this.bindPort || undefined));
      return;
    }
    // An ICMP error reported by the handle: Node's onMessage gives ErrnoException(nread, 'recvmsg'), no address.
    this.emit('error', toNodeError(err.errno, err.syscall));
  }

  /** Run `fn` once the socket is bound (at once if it is); binding errors drop the queue, as in Node. */
  private whenBound(fn: () => void): void {
    if (this.bindState === BOUND) {
      fn();
      return;
    }
    if (this.queue === null) {
      this.queue = [];
      const onError = (): void => {
        this.removeListener('listening', onSuccess);
        this.queue = null;
      };
      const onSuccess = (): void => {
        this.removeListener('error', onError);
        const q = this.queue ?? [];
        this.queue = null;
        for (const f of q) f();
      };
      this.once('error', onError);
      this.once('listening', onSuccess);
    }
    this.queue.push(fn);
  }

  // --- connecting ----------------------------------------------------------

  /** connect(port[, address][, callback]): fix the peer; 'connect' (or the callback) follows. */
  connect(port: unknown, address?: unknown, callback?: unknown): void {
    const p = validatePort(port, 'Port', false);
    if (typeof address === 'function') {
      callback = address;
      address = '';
    } else if (address === undefined) {
      address = '';
    }
    if (typeof address !== 'string') throw invalidArgType('address', 'of type string', address);
    if (this.connectState !== DISCONNECTED) throw isConnected();
    this.healthCheck();
    this.connectState = CONNECTING;
    if (this.bindState === UNBOUND) this.bind({ port: 0 });
    const host = address || '127.0.0.1';
    const cb = typeof callback === 'function' ? (callback as (err?: Error) => void) : undefined;
    this.whenBound(() => this.doConnect(p, address as string, host, cb));
  }

  private doConnect(port: number, address: string, host: string, cb: ((err?: Error) => void) | undefined): void {
    if (cb !== undefined) this.once('connect', cb);
    this.resolve(host, (err, ip) => {
      const h = this.handle;
      if (h === null) return;
      let ex = err;
      // Linux ip4_datagram_connect routes at connect time: no route is ENETUNREACH.
      if (ex === null && this.stack.ip.sourceFor(parseIpv4(ip)) < 0) ex = toNodeError(Errno.ENETUNREACH, 'connect', address || ip, port);
      if (ex !== null) {
        this.connectState = DISCONNECTED;
        const e = ex;
        this.defer(() => {
          if (cb !== undefined) {
            this.removeListener('connect', cb);
            cb(e);
          } else {
            this.emit('error', e);
          }
        });
        return;
      }
      this.connectState = CONNECTED;
      h.connect(port, ip); // the handle emits 'connect' from a deferred callback
    });
  }

  disconnect(): void {
    if (this.connectState !== CONNECTED) throw notConnected();
    this.healthCheck();
    this.handle!.disconnect();
    this.connectState = DISCONNECTED;
  }

  remoteAddress(): AddressInfo {
    this.healthCheck();
    if (this.connectState !== CONNECTED) throw notConnected();
    return this.handle!.remoteAddress();
  }

  // --- sending -------------------------------------------------------------

  /**
   * send(msg[, offset, length][, port][, address][, callback]) with Node 20's
   * argument rules: msg is a string, Buffer/TypedArray/DataView, or an array of
   * them (sent as one datagram); offset/length select part of a single msg.
   */
  send(msg: Message | readonly Message[], port?: number, address?: string, callback?: SendCallback): void;
  send(msg: Message | readonly Message[], port?: number, callback?: SendCallback): void;
  send(msg: Message | readonly Message[], callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, port?: number, address?: string, callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, port?: number, callback?: SendCallback): void;
  send(msg: Message, offset: number, length: number, callback?: SendCallback): void;
  send(msg: unknown, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    const connected = this.connectState === CONNECTED;
    let buffer: unknown = msg;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw isConnected();
    }
    let list: Uint8Array[];
    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)];
      else if (!isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer);
      else list = [toBytes(buffer)];
    } else {
      list = [];
      for (const b of buffer as unknown[]) {
        if (typeof b !== 'string' && !isView(b)) throw invalidArgType('buffer list arguments', BUFFER_TYPES, buffer);
        list.push(toBytes(b));
      }
    }
    let dstPort = 0;
    if (!connected) dstPort = validatePort(port, 'Port', false);
    let cb = typeof callback === 'function' ? (callback as SendCallback) : undefined;
    if (typeof address === 'function') {
      cb = address as SendCallback;
      address = undefined;
    } else if (address !== undefined && address !== null && typeof address !== 'string') {
      throw invalidArgType('address', 'of type string', address);
    }
    this.healthCheck();
    if (this.bindState === UNBOUND) this.bind({ port: 0 });
    if (list.length === 0) list.push(EMPTY);
    const addr = (address as string | null | undefined) ?? undefined;
    this.whenBound(() => this.doSend(list, connected, dstPort, addr, cb));
  }

  private doSend(list: Uint8Array[], connected: boolean, port: number, address: string | undefined, cb: SendCallback | undefined): void {
    const h = this.handle;
    if (h === null) return;
    if (connected) {
      if (this.connectState !== CONNECTED) return; // disconnected while queued: Node drops it too (no peer)
      h.send(list, cb === undefined ? undefined : (err: Error | null, n: number) => this.sendDone(cb, err, n, undefined, undefined));
      return;
    }
    this.resolve(address || '127.0.0.1', (err, ip) => {
      if (this.handle === null) return;
      if (err !== null) {
        if (cb !== undefined) (cb as (e: Error) => void)(err);
        else this.emit('error', err);
        return;
      }
      // Unconnected form of the handle's send: (msg, port, address, callback).
      this.handle.send(list, port, ip, cb === undefined ? undefined : (e: Error | null, n: number) => this.sendDone(cb, e, n, address, port));
    });
  }

  /** Node's afterSend: errors carry the address and port the caller gave (ExceptionWithHostPort). */
  private sendDone(cb: SendCallback, err: Error | null, n: number, address: string | undefined, port: number | undefined): void {
    if (err === null) cb(null, n);
    else (cb as (e: Error) => void)(toNodeError((err as unknown as { errno: number }).errno, 'send', address, port));
  }

  // --- closing, addresses, options -----------------------------------------

  /** Stop receiving, unbind, then 'close' (and the callback). */
  close(callback?: () => void): this {
    if (typeof callback === 'function') this.on('close', callback);
    this.healthCheck();
    const h = this.handle!;
    this.handle = null;
    this.queue = null;
    this.connectState = DISCONNECTED;
    h.removeAllListeners('message');
    h.once('close', () => this.emit('close'));
    h.close();
    return this;
  }

  /** `await using s = dgram.createSocket(...)`: closes the socket (if open) and resolves on 'close', as in Node. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.handle === null) return;
    await new Promise<void>((resolve) => this.close(resolve));
  }

  private closeIfOpen(): void {
    if (this.handle !== null) this.close();
  }

  /** The handle was closed under us (stack.close()). */
  private onHandleClose(): void {
    if (this.handle === null) return; // our own close(): its listener emits 'close'
    this.handle = null;
    this.queue = null;
    this.emit('close');
  }

  address(): AddressInfo {
    this.healthCheck();
    const h = this.handle!;
    if (h.localPort === 0) throw toNodeError(Errno.EBADF, 'getsockname');
    let local = h.localAddr;
    // Linux fixes the source address of a wildcard-bound socket at connect() (ip4_datagram_connect).
    if (local === 0 && this.connectState === CONNECTED) {
      const src = this.stack.ip.sourceFor(h.peerAddr);
      if (src >= 0) local = src;
    }
    return { address: formatIpv4(local), family: 'IPv4', port: h.localPort };
  }

  setBroadcast(flag: boolean): void {
    const h = this.bound('setBroadcast');
    h.setBroadcast(!!flag);
  }

  setTTL(ttl: number): number {
    if (typeof ttl !== 'number') throw invalidArgType('ttl', 'of type number', ttl);
    const h = this.bound('setTTL');
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw toNodeError(Errno.EINVAL, 'setTTL');
    h.setTTL(ttl);
    return ttl;
  }

  /** Linux SO_RCVBUF: the kernel doubles the request (bookkeeping overhead), with a floor of 2304. */
  setRecvBufferSize(size: number): void {
    const n = checkBufferSize(size);
    const h = this.bufferHandle('uv_recv_buffer_size');
    if (n !== 0) h.setRecvBufferSize(Math.max(n * 2, MIN_RCVBUF));
  }

  getRecvBufferSize(): number {
    return this.bufferHandle('uv_recv_buffer_size').getRecvBufferSize();
  }

  /** Linux SO_SNDBUF: doubled, floor 4608. Kept and reported; UDP sends never wait for it. */
  setSendBufferSize(size: number): void {
    const n = checkBufferSize(size);
    this.bufferHandle('uv_send_buffer_size');
    if (n !== 0) this.sndbuf = Math.max(n * 2, MIN_SNDBUF);
  }

  getSendBufferSize(): number {
    this.bufferHandle('uv_send_buffer_size');
    return this.sndbuf;
  }

  /** Bytes waiting to be sent: always 0 (datagrams go to IP at once). */
  getSendQueueSize(): number {
    return 0;
  }

  getSendQueueCount(): number {
    return 0;
  }

  ref(): this {
    this.refed = true;
    return this;
  }

  unref(): this {
    this.refed = false;
    return this;
  }

  /** Whether ref() is in effect (Node's handle.hasRef()). */
  hasRef(): boolean {
    return this.refed && this.handle !== null;
  }

  setMulticastTTL(): never {
    throw notImplemented('setMulticastTTL');
  }
  setMulticastLoopback(): never {
    throw notImplemented('setMulticastLoopback');
  }
  setMulticastInterface(): never {
    throw notImplemented('setMulticastInterface');
  }
  addMembership(): never {
    throw notImplemented('addMembership');
  }
  dropMembership(): never {
    throw notImplemented('dropMembership');
  }
  addSourceSpecificMembership(): never {
    throw notImplemented('addSourceSpecificMembership');
  }
  dropSourceSpecificMembership(): never {
    throw notImplemented('dropSourceSpecificMembership');
  }

  // --- helpers -------------------------------------------------------------

  private healthCheck(): void {
    if (this.handle === null) throw notRunning();
  }

  /** The handle of a bound socket, for an option call; unbound: Node's `<syscall> EBADF` (no fd yet). */
  private bound(syscall: string): UdpSocket {
    this.healthCheck();
    const h = this.handle!;
    if (h.localPort === 0) throw toNodeError(Errno.EBADF, syscall);
    return h;
  }

  private bufferHandle(syscall: string): UdpSocket {
    const h = this.handle;
    if (h === null || h.localPort === 0) throw new SystemError('ERR_SOCKET_BUFFER_SIZE', 'Could not get or set buffer size', Errno.EBADF, syscall);
    return h;
  }

  /** Literal IPv4 and 'localhost' resolve at once; other names go to the lookup option (or fail ENOTFOUND, deferred). */
  private resolve(host: string, cb: (err: Error | null, ip: string) => void): void {
    if (isValidIpv4(host)) {
      cb(null, host);
      return;
    }
    if (host === 'localhost') {
      cb(null, '127.0.0.1');
      return;
    }
    const lookup = this.lookup;
    if (lookup === undefined) {
      this.defer(() => cb(dnsException('ENOTFOUND', 'getaddrinfo', host), ''));
      return;
    }
    // A lookup that answers at once must not make the caller's callback re-entrant: results go through a deferred callback.
    lookup(host, 4, (err, ip) => this.defer(() => this.looked(err, ip, cb)));
  }

  private looked(err: Error | null, ip: unknown, cb: (err: Error | null, ip: string) => void): void {
    if (err) cb(err, '');
    else if (typeof ip !== 'string' || !isValidIpv4(ip)) cb(errInvalidIpAddress(ip), '');
    else cb(null, ip);
  }

  private defer(fn: () => void): void {
    this.stack.clock.defer(runDeferred, { sock: this, fn } satisfies Deferred);
  }
}

/** Node's bufferSize(): `size >>> 0 !== size` is ERR_SOCKET_BAD_BUFFER_SIZE. */
function checkBufferSize(size: unknown): number {
  if (typeof size !== 'number' || size >>> 0 !== size) throw badBufferSize();
  return size;
}

function notImplemented(method: string): Error {
  return codedError(Error, 'ERR_METHOD_NOT_IMPLEMENTED', `The ${method}() method is not implemented (zerostack's dgram has no multicast)`);
}
