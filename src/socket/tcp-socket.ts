/**
 * TcpSocket: a SOCK_STREAM socket of the core, a thin layer over one TCP
 * Endpoint (src/tcp/endpoint.ts), which it observes.
 *
 * Owns: the BSD connect() protocol around the endpoint (EINPROGRESS, then
 * EALREADY while the handshake runs, then 0 or the error once it finished:
 * Linux __inet_stream_connect), the mapping of Linux option levels/names/units
 * (seconds, milliseconds) onto EndpointOptions, poll bits, and endpoint
 * events → readiness edges.
 * Must not: implement protocol rules, or call the listener from inside a call
 * (the endpoint delivers its events from softirq or deferred context).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { NS_PER_MS, NS_PER_S } from '../time/clock.js';
import { NULL_OBSERVER, type Endpoint, type EndpointObserver, type TcpInfo } from '../tcp/endpoint.js';
import type { EndpointOptionName, EndpointOptions } from '../tcp/config.js';
import { TcpState } from '../tcp/tcb.js';
import { Errno } from './errno.js';
import {
  flagValue,
  positive,
  intValue,
  IPPROTO_TCP,
  lingerValue,
  MAX_TCP_KEEPCNT,
  MAX_TCP_KEEPIDLE,
  MAX_TCP_KEEPINTVL,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_INFO,
  TCP_KEEPCNT,
  TCP_KEEPIDLE,
  TCP_KEEPINTVL,
  TCP_MAXSEG,
  TCP_NODELAY,
  TCP_QUICKACK,
  TCP_USER_TIMEOUT,
} from './options.js';
import { Socket, type SockAddr, type SockOptInput, type SockOptValue } from './socket-table.js';

/** Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF-like floor (the endpoint's minimum). */
const MIN_BUF = 2048;

export class TcpSocket extends Socket implements EndpointObserver {
  readonly kind = 'tcp';
  /** connect() returned EINPROGRESS and its outcome has not been collected by a later connect(). */
  private connecting = false;

  constructor(readonly ep: Endpoint) {
    super();
    ep.observer = this;
    ep.context = this;
  }

  // --- EndpointObserver: endpoint events → readiness edges ---
  onConnect(): void {
    this.notify(POLLOUT);
  }
  onAcceptable(): void {
    this.notify(POLLIN);
  }
  onReadable(ep: Endpoint): void {
    // Linux tcp_poll: the peer's FIN makes the socket readable (EOF) and sets POLLRDHUP.
    this.notify(ep.eofReceived ? POLLIN | POLLRDHUP : POLLIN);
  }
  onWritable(): void {
    this.notify(POLLOUT);
  }
  onError(): void {
    this.notify(POLLERR);
  }
  onHup(): void {
    this.notify(POLLHUP);
  }
  onSendComplete(_ep: Endpoint, id: number): void {
    this.notifyComplete(id);
  }

  // --- calls (the core validated fd, addresses and ranges) ---

  bind(addr: number, port: number): number {
    return this.ep.bind(addr, port);
  }

  listen(backlog: number): number {
    return this.ep.listen(backlog);
  }

  /** The next established child, or a negative errno (EAGAIN, EINVAL when not listening). */
  accept(): Endpoint | number {
    return this.ep.accept();
  }

  connect(addr: number, port: number): number {
    const ep = this.ep;
    if (this.connecting) {
      const s = ep.tcb.state;
      if (s === TcpState.SYN_SENT || s === TcpState.SYN_RECEIVED) return Errno.EALREADY;
      // Linux __inet_stream_connect: the attempt ended; report it once (sock_error), then EISCONN.
      this.connecting = false;
      if (ep.errorCode !== 0) return ep.takeError();
      if (s === TcpState.CLOSED) return Errno.ECONNABORTED;
      return 0;
    }
    const r = ep.connect(addr, port);
    if (r === Errno.EINPROGRESS) this.connecting = true;
    return r;
  }

  send(bytes: Uint8Array, off: number, len: number): number {
    return this.reported(this.ep.send(bytes, off, len));
  }

  sendZeroCopy(bytes: Uint8Array, off: number, len: number, id: number): number {
    return this.reported(this.ep.sendZeroCopy(bytes, off, len, id));
  }

  recv(dst: Uint8Array, off: number, len: number): number {
    return this.reported(this.ep.recv(dst, off, len));
  }

  recvViews(max: number, out: PacketBuffer[]): number {
    return this.reported(this.ep.recvViews(max, out));
  }

  /** Linux sock_error(): a pending error is reported once by the call that returns it, then cleared. */
  private reported(r: number): number {
    if (r < 0 && r === this.ep.errorCode) {
      this.ep.takeError();
      this.connecting = false;
    }
    return r;
  }

  shutdown(how: number): number {
    return this.ep.shutdown(how);
  }

  close(): number {
    this.ep.observer = NULL_OBSERVER;
    this.ep.context = null;
    return this.ep.close();
  }

  abort(): number {
    this.ep.observer = NULL_OBSERVER;
    this.ep.context = null;
    return this.ep.abort();
  }

  getsockname(out: SockAddr): number {
    out.addr = this.ep.localAddress;
    out.port = this.ep.localPort;
    return 0;
  }

  getpeername(out: SockAddr): number {
    const s = this.ep.tcb.state;
    if (s === TcpState.CLOSED || s === TcpState.LISTEN || s === TcpState.SYN_SENT) return Errno.ENOTCONN;
    out.addr = this.ep.remoteAddress;
    out.port = this.ep.remotePort;
    return 0;
  }

  /** Linux tcp_poll() bits from the endpoint's level state. */
  poll(): number {
    const ep = this.ep;
    let m = 0;
    if (ep.isReadable) m |= POLLIN;
    if (ep.eofReceived) m |= POLLIN | POLLRDHUP;
    const s = ep.tcb.state;
    if (s !== TcpState.LISTEN && s !== TcpState.SYN_SENT && s !== TcpState.SYN_RECEIVED && ep.isWritable && (s !== TcpState.CLOSED || ep.errorCode !== 0 || ep.isHup)) m |= POLLOUT;
    if (ep.errorCode !== 0) m |= POLLERR;
    if (ep.isHup) m |= POLLHUP;
    // Linux tcp_done() shuts both directions: a finished connection polls readable (EOF) and writable (EPIPE).
    if (s === TcpState.CLOSED && ep.isHup) m |= POLLIN | POLLOUT | POLLRDHUP;
    return m;
  }

  info(): TcpInfo {
    return this.ep.info();
  }

  // --- options ---

  setsockopt(level: number, name: number, value: SockOptInput): number {
    const cfg = this.ep.layer.config;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_REUSEADDR:
          return this.set('reuseAddr', flagValue('SO_REUSEADDR', value));
        case SO_KEEPALIVE:
          return this.set('keepalive', flagValue('SO_KEEPALIVE', value));
        case SO_LINGER: {
          const l = lingerValue(value);
          return l === null ? Errno.EINVAL : this.set('linger', l);
        }
        case SO_RCVBUF:
        case SO_SNDBUF: {
          const n = intValue(name === SO_RCVBUF ? 'SO_RCVBUF' : 'SO_SNDBUF', value);
          if (Number.isNaN(n)) return Errno.EINVAL;
          // Linux sock_setsockopt clamps into [SOCK_MIN_*BUF, *mem_max] rather than failing.
          const max = name === SO_RCVBUF ? cfg.rcvbufMax : cfg.sndbufMax;
          const v = Math.min(Math.max(n, MIN_BUF), max);
          return this.set(name === SO_RCVBUF ? 'rcvbuf' : 'sndbuf', v);
        }
        case SO_BROADCAST:
          this.broadcastFlag = flagValue('SO_BROADCAST', value);
          return 0;
        default:
          return Errno.ENOPROTOOPT; // SO_ERROR, SO_TYPE are read-only
      }
    }
    if (level !== IPPROTO_TCP) return Errno.ENOPROTOOPT;
    switch (name) {
      case TCP_NODELAY:
        return this.set('nodelay', flagValue('TCP_NODELAY', value));
      case TCP_QUICKACK:
        return this.set('quickack', flagValue('TCP_QUICKACK', value));
      case TCP_MAXSEG: {
        const n = intValue('TCP_MAXSEG', value);
        // Linux do_tcp_setsockopt: 0 or TCP_MIN_MSS (88) .. MAX_TCP_WINDOW.
        if (Number.isNaN(n) || (n !== 0 && (n < 88 || n > 65535))) return Errno.EINVAL;
        return this.set('maxseg', n);
      }
      case TCP_KEEPIDLE:
      case TCP_KEEPINTVL: {
        const n = intValue(name === TCP_KEEPIDLE ? 'TCP_KEEPIDLE' : 'TCP_KEEPINTVL', value);
        const max = name === TCP_KEEPIDLE ? MAX_TCP_KEEPIDLE : MAX_TCP_KEEPINTVL;
        if (Number.isNaN(n) || n < 1 || n > max) return Errno.EINVAL; // seconds, as Linux
        return this.set(name === TCP_KEEPIDLE ? 'keepIdle' : 'keepIntvl', n * NS_PER_S);
      }
      case TCP_KEEPCNT: {
        const n = intValue('TCP_KEEPCNT', value);
        if (Number.isNaN(n) || n < 1 || n > MAX_TCP_KEEPCNT) return Errno.EINVAL;
        return this.set('keepCnt', n);
      }
      case TCP_USER_TIMEOUT: {
        const n = intValue('TCP_USER_TIMEOUT', value);
        if (Number.isNaN(n) || n < 0) return Errno.EINVAL; // milliseconds, as Linux
        return this.set('userTimeout', n * NS_PER_MS);
      }
      default:
        return Errno.ENOPROTOOPT; // TCP_INFO is read-only
    }
  }

  getsockopt(level: number, name: number): SockOptValue {
    const ep = this.ep;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_REUSEADDR:
          return ep.getOption('reuseAddr') ? 1 : 0;
        case SO_KEEPALIVE:
          return ep.getOption('keepalive') ? 1 : 0;
        case SO_LINGER: {
          const l = ep.getOption('linger');
          return { onoff: l.onoff ? 1 : 0, linger: l.linger };
        }
        case SO_RCVBUF:
          return ep.getOption('rcvbuf');
        case SO_SNDBUF:
          return ep.getOption('sndbuf');
        case SO_ERROR:
          return positive(ep.takeError()); // positive, as Linux; cleared
        case SO_TYPE:
          return SOCK_STREAM;
        case SO_BROADCAST:
          return this.broadcastFlag ? 1 : 0;
        default:
          return Errno.ENOPROTOOPT;
      }
    }
    if (level !== IPPROTO_TCP) return Errno.ENOPROTOOPT;
    switch (name) {
      case TCP_NODELAY:
        return ep.getOption('nodelay') ? 1 : 0;
      case TCP_QUICKACK:
        return ep.getOption('quickack') ? 1 : 0;
      case TCP_MAXSEG: {
        // Linux: the current MSS once connected, else the user's clamp (or the default).
        const s = ep.tcb.state;
        if (s !== TcpState.CLOSED && s !== TcpState.LISTEN && ep.tcb.sndMss > 0) return ep.tcb.sndMss;
        const m = ep.getOption('maxseg');
        return m !== 0 ? m : ep.layer.config.defaultMss;
      }
      case TCP_KEEPIDLE:
        return Math.floor(ep.getOption('keepIdle') / NS_PER_S);
      case TCP_KEEPINTVL:
        return Math.floor(ep.getOption('keepIntvl') / NS_PER_S);
      case TCP_KEEPCNT:
        return ep.getOption('keepCnt');
      case TCP_USER_TIMEOUT:
        return Math.floor(ep.getOption('userTimeout') / NS_PER_MS);
      case TCP_INFO:
        return ep.info();
      default:
        return Errno.ENOPROTOOPT;
    }
  }

  /** Endpoint.setOption, with its RangeError (a value out of the endpoint's range) turned into EINVAL. */
  private set<K extends EndpointOptionName>(name: K, v: EndpointOptions[K]): number {
    try {
      return this.ep.setOption(name, v);
    } catch (e) {
      if (e instanceof RangeError) return Errno.EINVAL;
      throw e;
    }
  }
}
