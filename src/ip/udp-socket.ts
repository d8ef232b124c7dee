/**
 * UdpSocket: a low-level UDP socket with the shape of Node's dgram.Socket
 * (`bind`, `connect`, `send`, `'message'` with rinfo, `'error'`, `'close'`,
 * `address()`), over the stack's UdpLayer. The full Node-compatible
 * `stack.dgram` facade is built on it later (issue E).
 *
 * Owns: the socket's binding, connection, receive queue (bounded by rcvbuf) and
 * the scheduling of its events.
 * Must not: touch packets beyond its own queue, or emit events re-entrantly:
 * every event ('listening', 'connect', 'message', 'error', 'close') is emitted
 * from a deferred clock callback (clock.defer), never from inside a call into
 * the socket or from inside the stack's receive path — like Node, which emits
 * them from the event loop. Callbacks run in the same deferred way.
 *
 * Receive: the UDP layer queues datagrams (ownership of the buffer passes to the
 * queue); a deferred drain copies each into a fresh Buffer (acct.copy, one
 * acct.syscall per datagram read, like recvmsg) and emits 'message'. The queue
 * charges each datagram its payload plus 256 bytes (an approximation of Linux's
 * skb truesize); a datagram that would take it past rcvbuf is dropped
 * (RcvbufErrors) unless the queue is empty.
 *
 * Errors follow Node: bind failures are 'error' events (`bind EADDRINUSE
 * 0.0.0.0:5000`); send failures go to the send callback (and are dropped
 * silently without one, as Node's dgram does); calls on a closed socket throw
 * ERR_SOCKET_DGRAM_NOT_RUNNING. ICMP errors reach connected sockets (or
 * `recvErrors: true` ones) as 'error' events with syscall 'recvmsg'.
 */
import { EventEmitter } from 'node:events';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { formatIpv4, isValidIpv4, parseIpv4 } from '../wire/address.js';
import { checkKeys } from './config.js';
import type { IpContext } from './context.js';
import { Errno, SocketError, SocketNotRunningError } from './errors.js';
import type { Ipv4OutputOptions } from './types.js';
import type { UdpLayer } from './udp.js';

export interface UdpSocketOptions {
  /** Only 'udp4' (the default). */
  type?: 'udp4';
  /** Report ICMP errors on an unconnected socket too (like Linux IP_RECVERR). Default false. */
  recvErrors?: boolean;
  /** Receive buffer in bytes (default: the stack's udp.rcvbuf). */
  recvBufferSize?: number;
  /** TTL of sent datagrams (default: the stack's defaultTtl). */
  ttl?: number;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4';
  port: number;
}

export interface RemoteInfo extends AddressInfo {
  /** Payload bytes. */
  size: number;
}

export type SendCallback = (error: Error | null, bytes: number) => void;
type MessageData = string | Uint8Array | DataView | readonly (string | Uint8Array | DataView)[];

/** Per-datagram charge against rcvbuf on top of the payload (≈ skb truesize overhead). */
export const RCVBUF_OVERHEAD = 256;

const STATE_UNBOUND = 0;
const STATE_BOUND = 1;
const STATE_CLOSED = 2;

function drainQueue(s: UdpSocket): void {
  s.drain();
}

interface DeferredEvent {
  sock: UdpSocket;
  name: string;
  args: unknown[];
}

function emitDeferred(e: DeferredEvent): void {
  e.sock.emit(e.name, ...e.args);
}

interface DeferredCallback {
  cb: SendCallback;
  err: Error | null;
  n: number;
}

function callDeferred(d: DeferredCallback): void {
  d.cb(d.err, d.n);
}

function codeError(code: string, message: string, ctor: ErrorConstructor = Error): Error {
  return Object.assign(new ctor(message), { code });
}

function validatePort(port: unknown, allowZero: boolean): number {
  if (typeof port === 'string' && /^\d+$/.test(port.trim())) port = Number(port);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw codeError(
      'ERR_SOCKET_BAD_PORT',
      `Port should be ${allowZero ? '>= 0' : '> 0'} and < 65536. Received ${String(port)}.`,
      RangeError as ErrorConstructor,
    );
  }
  return port;
}

function parseAddress(address: string, what: string): number {
  if (address === 'localhost') return 0x7f000001;
  if (typeof address !== 'string' || !isValidIpv4(address)) {
    const msg = `The argument '${what}' must be an IPv4 address. Received ${JSON.stringify(address)}`;
    throw codeError('ERR_INVALID_ARG_VALUE', msg, TypeError as ErrorConstructor);
  }
  return parseIpv4(address);
}

function toBytes(d: string | Uint8Array | DataView): Uint8Array {
  if (typeof d === 'string') return Buffer.from(d);
  if (d instanceof Uint8Array) return d;
  if (d instanceof DataView) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  throw codeError(
    'ERR_INVALID_ARG_TYPE',
    'The "buffer" argument must be of type string or an instance of Buffer, TypedArray, or DataView.',
    TypeError as ErrorConstructor,
  );
}

export class UdpSocket extends EventEmitter {
  /** @internal Local address (0 = wildcard) and port (0 = unbound). */
  localAddr = 0;
  localPort = 0;
  /** @internal Connected peer (port 0 = not connected). */
  peerAddr = 0;
  peerPort = 0;
  /** @internal */
  readonly recvErrors: boolean;
  /** @internal TTL for sent datagrams (0 = the stack default). */
  ttl: number;
  /** @internal Options passed to Ipv4Output.output (undefined: defaults); rebuilt by setTTL, not per datagram. */
  outputOptions: Ipv4OutputOptions | undefined = undefined;
  /** @internal May send to broadcast addresses (SO_BROADCAST). */
  broadcast = false;

  private state: number = STATE_UNBOUND;
  private rcvbuf: number;
  // Receive queue: payload buffers with their sender, FIFO from qHead.
  private readonly qBufs: PacketBuffer[] = [];
  private readonly qAddrs: number[] = [];
  private readonly qPorts: number[] = [];
  private qHead = 0;
  private qBytes = 0;
  private drainScheduled = false;

  constructor(
    private readonly ctx: IpContext,
    private readonly layer: UdpLayer,
    options: UdpSocketOptions = {},
  ) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError(`createUdpSocket options must be an object; got ${String(options)}`);
    checkKeys(options as Record<string, unknown>, ['type', 'recvErrors', 'recvBufferSize', 'ttl'], '', 'UDP socket option');
    if (options.type !== undefined && options.type !== 'udp4') {
      const msg = `Bad socket type specified. Valid types are: udp4 (got ${String(options.type)})`;
      throw codeError('ERR_SOCKET_BAD_TYPE', msg, TypeError as ErrorConstructor);
    }
    if (options.recvErrors !== undefined && typeof options.recvErrors !== 'boolean') {
      throw new TypeError(`UDP socket option "recvErrors" must be a boolean; got ${String(options.recvErrors)}`);
    }
    this.recvErrors = options.recvErrors ?? false;
    this.rcvbuf = ctx.config.udp.rcvbuf;
    if (options.recvBufferSize !== undefined) this.setRecvBufferSize(options.recvBufferSize);
    this.ttl = 0;
    if (options.ttl !== undefined) this.setTTL(options.ttl);
  }

  // --- Node dgram.Socket API ---

  /**
   * bind([port][, address][, callback]) or bind({ port, address }[, callback]).
   * Binds at once (address() works immediately); 'listening' (and the callback)
   * follow from a deferred callback, or an 'error' event if the bind failed.
   */
  bind(port?: number | { port?: number; address?: string } | (() => void), address?: string | (() => void), callback?: () => void): this {
    this.healthCheck();
    if (this.state === STATE_BOUND) throw codeError('ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
    let p: unknown = port;
    let a: unknown = address;
    let cb: unknown = callback;
    if (typeof p === 'function') {
      cb = p;
      p = undefined;
      a = undefined;
    } else if (typeof p === 'object' && p !== null) {
      const o = p as { port?: unknown; address?: unknown };
      cb = a;
      a = o.address;
      p = o.port;
    }
    if (typeof a === 'function') {
      cb = a;
      a = undefined;
    }
    const portNum = p === undefined || p === null ? 0 : validatePort(p, true);
    const addrText = a === undefined || a === null || a === '' ? '0.0.0.0' : String(a);
    const addr = parseAddress(addrText, 'address');
    this.ctx.acct.syscall();
    const rc = this.layer.bind(this, portNum, addr);
    if (rc < 0) {
      this.emitSoon('error', new SocketError(rc, 'bind', addrText, portNum));
      return this;
    }
    this.state = STATE_BOUND;
    if (typeof cb === 'function') this.once('listening', cb as () => void);
    this.emitSoon('listening');
    return this;
  }

  /** connect(port[, address][, callback]): fix the peer; binds an ephemeral port first if needed. */
  connect(port: number, address?: string | (() => void), callback?: () => void): void {
    this.healthCheck();
    if (this.peerPort !== 0) throw codeError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    }
    const p = validatePort(port, false);
    const addr = parseAddress(address ?? '127.0.0.1', 'address');
    if (!this.ensureBound()) return; // bind failed: its 'error' is on the way
    this.ctx.acct.syscall();
    this.peerAddr = addr;
    this.peerPort = p;
    if (typeof callback === 'function') this.once('connect', callback);
    this.emitSoon('connect');
  }

  disconnect(): void {
    this.healthCheck();
    if (this.peerPort === 0) throw codeError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    this.peerAddr = 0;
    this.peerPort = 0;
  }

  /**
   * send(msg[, offset, length][, port][, address][, callback]) with Node's
   * argument rules. Datagrams up to 65507 bytes; larger than the path MTU are
   * fragmented by IP. The callback gets (error, bytes) from a deferred callback.
   */
  send(
    msg: MessageData,
    offset?: number | string | SendCallback,
    length?: number | string | SendCallback,
    port?: number | string | SendCallback,
    address?: string | SendCallback,
    callback?: SendCallback,
  ): void {
    this.healthCheck();
    let data: Uint8Array[];
    const o: unknown = offset;
    const l: unknown = length;
    let p: unknown = port;
    let a: unknown = address;
    let cb: unknown = callback;
    const connected = this.peerPort !== 0;
    const slice = (m: MessageData, off: number, len: number): Uint8Array => {
      const b = toBytes(m as string | Uint8Array | DataView);
      return b.subarray(off, off + len);
    };
    // dgram.js send(): offset/length only when followed by a port (unconnected) or when numeric (connected).
    if (!connected) {
      if (a !== undefined || (p !== undefined && typeof p !== 'function')) {
        data = [slice(msg, o as number, l as number)];
      } else {
        cb = p;
        p = o;
        a = l;
        data = Array.isArray(msg) ? (msg as (string | Uint8Array | DataView)[]).map(toBytes) : [toBytes(msg as string | Uint8Array | DataView)];
      }
    } else {
      if (typeof l === 'number') {
        data = [slice(msg, o as number, l)];
        if (typeof p === 'function') {
          cb = p;
          p = undefined;
        }
      } else {
        cb = o;
        data = Array.isArray(msg) ? (msg as (string | Uint8Array | DataView)[]).map(toBytes) : [toBytes(msg as string | Uint8Array | DataView)];
        p = undefined;
        a = undefined;
      }
      if (p !== undefined || a !== undefined) throw codeError('ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
    }
    if (typeof a === 'function') {
      cb = a;
      a = undefined;
    }
    // dgram.js: "Normalize callback so it's either a function or undefined but not anything else."
    if (typeof cb !== 'function') cb = undefined;
    let dst: number;
    let dstPort: number;
    let addrText: string;
    if (connected) {
      dst = this.peerAddr;
      dstPort = this.peerPort;
      addrText = formatIpv4(dst);
    } else {
      dstPort = validatePort(p, false);
      addrText = a === undefined || a === null || a === '' ? '127.0.0.1' : String(a);
      dst = parseAddress(addrText, 'address');
    }
    if (!this.ensureBound()) return;
    let total = 0;
    for (const d of data) total += d.length;
    this.ctx.acct.syscall();
    const rc = this.layer.send(this, data, total, dst, dstPort);
    if (typeof cb === 'function') {
      const err = rc < 0 ? new SocketError(rc, 'send', addrText, dstPort) : null;
      this.ctx.clock.defer(callDeferred, { cb: cb as SendCallback, err, n: rc < 0 ? 0 : total });
    }
  }

  /** Unbind, drop queued datagrams, then 'close' (and the callback). */
  close(callback?: () => void): this {
    this.healthCheck();
    this.ctx.acct.syscall();
    if (this.state === STATE_BOUND) this.layer.unbind(this);
    this.state = STATE_CLOSED;
    this.peerAddr = 0;
    this.peerPort = 0;
    this.clearQueue();
    if (typeof callback === 'function') this.once('close', callback);
    this.emitSoon('close');
    return this;
  }

  address(): AddressInfo {
    if (this.state !== STATE_BOUND) throw new SocketError(Errno.EBADF, 'getsockname');
    return { address: formatIpv4(this.localAddr), family: 'IPv4', port: this.localPort };
  }

  /** Node's remoteAddress(): the connected peer. */
  remoteAddress(): AddressInfo {
    this.healthCheck();
    if (this.peerPort === 0) throw codeError('ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
    return { address: formatIpv4(this.peerAddr), family: 'IPv4', port: this.peerPort };
  }

  setTTL(ttl: number): number {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 255) {
      throw new RangeError(`setTTL: ttl must be an integer in 1..255; got ${String(ttl)}`);
    }
    this.ttl = ttl;
    this.outputOptions = { ttl };
    return ttl;
  }

  /** Allow sending to broadcast addresses (SO_BROADCAST); without it such sends fail with EACCES, as on Linux. */
  setBroadcast(flag: boolean): void {
    this.healthCheck();
    this.broadcast = flag === true;
  }

  setRecvBufferSize(size: number): void {
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
      throw new RangeError(`setRecvBufferSize: size must be a non-negative integer; got ${String(size)}`);
    }
    this.rcvbuf = size;
  }

  getRecvBufferSize(): number {
    return this.rcvbuf;
  }

  /** Whether close() was called. */
  get isClosed(): boolean {
    return this.state === STATE_CLOSED;
  }

  /** Bytes queued (payload + overhead charge). */
  get queuedBytes(): number {
    return this.qBytes;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // --- used by the UDP layer ---

  /** @internal Queue a received datagram (head at its payload). False: rcvbuf full (caller keeps and drops the buffer). */
  enqueue(pkt: PacketBuffer, src: number, srcPort: number): boolean {
    const charge = pkt.length + RCVBUF_OVERHEAD;
    if (this.qBufs.length > this.qHead && this.qBytes + charge > this.rcvbuf) return false;
    this.qBufs.push(pkt);
    this.qAddrs.push(src);
    this.qPorts.push(srcPort);
    this.qBytes += charge;
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      this.ctx.clock.defer(drainQueue, this);
    }
    return true;
  }

  /** @internal Deferred: hand queued datagrams to the application. */
  drain(): void {
    this.drainScheduled = false;
    const ctx = this.ctx;
    while (this.qHead < this.qBufs.length && this.state !== STATE_CLOSED) {
      const i = this.qHead++;
      const pkt = this.qBufs[i]!;
      const n = pkt.length;
      this.qBufs[i] = undefined as unknown as PacketBuffer;
      this.qBytes -= n + RCVBUF_OVERHEAD;
      const msg = Buffer.allocUnsafe(n);
      msg.set(pkt.bytes.subarray(pkt.head, pkt.tail));
      pkt.release();
      ctx.acct.syscall();
      ctx.acct.copy(n);
      const rinfo: RemoteInfo = { address: formatIpv4(this.qAddrs[i]!), family: 'IPv4', port: this.qPorts[i]!, size: n };
      this.emit('message', msg, rinfo);
    }
    if (this.qHead >= this.qBufs.length) {
      this.qBufs.length = 0;
      this.qAddrs.length = 0;
      this.qPorts.length = 0;
      this.qHead = 0;
    }
  }

  /** @internal An ICMP error about a datagram this socket sent to dst:dstPort. */
  reportError(errno: number, dst: number, dstPort: number, icmpType: number, icmpCode: number): void {
    const err = new SocketError(errno, 'recvmsg', formatIpv4(dst), dstPort);
    Object.assign(err, { icmpType, icmpCode });
    this.emitSoon('error', err);
  }

  private clearQueue(): void {
    for (let i = this.qHead; i < this.qBufs.length; i++) this.qBufs[i]!.release();
    this.qBufs.length = 0;
    this.qAddrs.length = 0;
    this.qPorts.length = 0;
    this.qHead = 0;
    this.qBytes = 0;
  }

  private emitSoon(name: string, ...args: unknown[]): void {
    this.ctx.clock.defer(emitDeferred, { sock: this, name, args });
  }

  /** Bind an ephemeral port if unbound (Node binds implicitly on send/connect). False if that failed. */
  private ensureBound(): boolean {
    if (this.state === STATE_UNBOUND) this.bind(0);
    return this.state === STATE_BOUND;
  }

  private healthCheck(): void {
    if (this.state === STATE_CLOSED) throw new SocketNotRunningError();
  }
}
