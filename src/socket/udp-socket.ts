/**
 * UdpCoreSocket: a SOCK_DGRAM socket of the core over the IP layer's UdpSocket
 * (src/ip/udp-socket.ts), with synchronous BSD results instead of events.
 *
 * Owns: a receive queue of delivered datagrams (recvfrom reads it; MSG_PEEK
 * leaves the datagram; a short buffer truncates the datagram as Linux does),
 * the pending ICMP error (SO_ERROR; returned once by the next recv/send),
 * shutdown flags and poll bits.
 * Must not: emit events itself. Readiness edges come from the UdpSocket's
 * 'message'/'error' events, which it emits from deferred clock callbacks.
 *
 * Binding and sending go through the UdpLayer directly to get the errno at once
 * (UdpSocket reports those only through deferred events/callbacks).
 */
import { RCVBUF_OVERHEAD, type UdpSocket, type RemoteInfo } from '../ip/udp-socket.js';
import type { SocketError as IpSocketError } from '../ip/errors.js';
import { formatIpv4, parseIpv4 } from '../wire/address.js';
import { Errno } from './errno.js';
import {
  flagValue,
  positive,
  intValue,
  lingerValue,
  MSG_PEEK,
  MSG_TRUNC,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLRDHUP,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOL_SOCKET,
} from './options.js';
import { Socket, type SockAddr, type SockOptInput, type SockOptValue, type SocketStack } from './socket-table.js';

/** Largest UDP payload over IPv4. */
const UDP_MAX_PAYLOAD = 65507;

export class UdpCoreSocket extends Socket {
  readonly kind = 'udp';
  readonly sock: UdpSocket;
  private bound = false;
  private pendingError = 0;
  private shutRd = false;
  private shutWr = false;
  private sndbuf: number;
  private reuseAddr = false;
  private keepalive = false;
  private linger = { onoff: 0, linger: 0 };
  // Delivered datagrams, FIFO from qHead.
  private readonly qData: Uint8Array[] = [];
  private readonly qAddr: number[] = [];
  private readonly qPort: number[] = [];
  private qHead = 0;
  /** Queue charge: payload + RCVBUF_OVERHEAD per datagram, bounded by SO_RCVBUF. */
  private qBytes = 0;
  /** Datagrams dropped because the queue was at SO_RCVBUF (Linux RcvbufErrors). */
  rcvbufDrops = 0;
  private readonly chunk: Uint8Array[] = [new Uint8Array(0)];

  constructor(private readonly stack: SocketStack) {
    super();
    this.sock = stack.createUdpSocket();
    this.sndbuf = 212992; // Linux net.core.wmem_default
    this.sock.on('message', (msg: Uint8Array, rinfo: RemoteInfo) => this.onMessage(msg, rinfo));
    this.sock.on('error', (err: IpSocketError) => this.onError(err));
  }

  private onMessage(msg: Uint8Array, rinfo: RemoteInfo): void {
    if (this.shutRd || this.fd < 0) return;
    // Same rule as the IP layer's queue: a datagram that would pass rcvbuf is dropped unless the queue is empty.
    const charge = msg.length + RCVBUF_OVERHEAD;
    if (this.queued > 0 && this.qBytes + charge > this.sock.getRecvBufferSize()) {
      this.rcvbufDrops++;
      return;
    }
    this.qBytes += charge;
    this.qData.push(msg);
    this.qAddr.push(parseIpv4(rinfo.address));
    this.qPort.push(rinfo.port);
    this.notify(POLLIN);
  }

  private onError(err: IpSocketError): void {
    if (this.fd < 0) return;
    this.pendingError = err.errno;
    this.notify(POLLERR);
  }

  private get queued(): number {
    return this.qData.length - this.qHead;
  }

  bind(addr: number, port: number): number {
    if (this.bound) return Errno.EINVAL;
    const layer = this.stack.udp;
    const s = this.sock;
    // Probe with the layer for a synchronous errno, then bind the UdpSocket to what was chosen.
    const rc = layer.bind(s, port, addr);
    if (rc < 0) return rc;
    const chosen = s.localPort;
    layer.unbind(s);
    s.localAddr = 0;
    s.localPort = 0;
    s.bind(chosen, formatIpv4(addr));
    this.bound = true;
    return 0;
  }

  connect(addr: number, port: number): number {
    const s = this.sock;
    if (addr === 0 && port === 0) {
      // Dissolve the association (Linux: connect with AF_UNSPEC).
      if (s.peerPort !== 0) s.disconnect();
      return 0;
    }
    if (addr === 0 || port === 0) return Errno.EINVAL;
    if (!this.bound) {
      const rc = this.bind(0, 0);
      if (rc < 0) return rc;
    }
    if (s.peerPort !== 0) s.disconnect();
    s.connect(port, formatIpv4(addr));
    return 0;
  }

  sendto(bytes: Uint8Array, off: number, len: number, addr: number, port: number): number {
    if (this.shutWr) return Errno.EPIPE;
    if (this.pendingError !== 0) return this.takeError();
    const s = this.sock;
    let dst = addr;
    let dport = port;
    if (addr < 0) {
      if (s.peerPort === 0) return Errno.EDESTADDRREQ;
      dst = s.peerAddr;
      dport = s.peerPort;
    } else if (dport === 0) {
      return Errno.EINVAL;
    }
    if (len > UDP_MAX_PAYLOAD) return Errno.EMSGSIZE;
    if (!this.bound) {
      const rc = this.bind(0, 0);
      if (rc < 0) return rc;
    }
    this.stack.acct.syscall();
    const c = this.chunk;
    c[0] = bytes.subarray(off, off + len);
    const rc = this.stack.udp.send(s, c, len, dst, dport);
    c[0] = EMPTY;
    return rc < 0 ? rc : len;
  }

  recvfrom(dst: Uint8Array, off: number, len: number, flags: number, from: SockAddr | undefined): number {
    this.stack.acct.syscall();
    if (this.pendingError !== 0) return this.takeError();
    if (this.queued === 0) return this.shutRd ? 0 : Errno.EAGAIN;
    const i = this.qHead;
    const msg = this.qData[i]!;
    const n = Math.min(len, msg.length);
    dst.set(msg.subarray(0, n), off);
    this.stack.acct.copy(n);
    if (from !== undefined) {
      from.addr = this.qAddr[i]!;
      from.port = this.qPort[i]!;
    }
    if ((flags & MSG_PEEK) === 0) {
      this.qBytes -= msg.length + RCVBUF_OVERHEAD;
      this.qData[i] = EMPTY;
      this.qHead++;
      if (this.qHead === this.qData.length) {
        this.qData.length = 0;
        this.qAddr.length = 0;
        this.qPort.length = 0;
        this.qHead = 0;
      }
    }
    // Linux udp_recvmsg: MSG_TRUNC returns the datagram's real length.
    return (flags & MSG_TRUNC) !== 0 ? msg.length : n;
  }

  shutdown(how: number): number {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return Errno.EINVAL;
    // Linux inet_shutdown: an unconnected datagram socket answers ENOTCONN (but the flags still apply).
    const r = this.sock.peerPort === 0 ? Errno.ENOTCONN : 0;
    if (how !== SHUT_WR) this.shutRd = true;
    if (how !== SHUT_RD) this.shutWr = true;
    if (how !== SHUT_WR) this.stackDefer(POLLIN | POLLRDHUP);
    return r;
  }

  close(): number {
    this.sock.close(); // counts the call
    this.qData.length = 0;
    this.qAddr.length = 0;
    this.qPort.length = 0;
    this.qHead = 0;
    this.qBytes = 0;
    return 0;
  }

  getsockname(out: SockAddr): number {
    out.addr = this.sock.localAddr;
    out.port = this.sock.localPort;
    return 0;
  }

  getpeername(out: SockAddr): number {
    if (this.sock.peerPort === 0) return Errno.ENOTCONN;
    out.addr = this.sock.peerAddr;
    out.port = this.sock.peerPort;
    return 0;
  }

  /** Linux datagram_poll() bits. */
  poll(): number {
    let m = POLLOUT;
    if (this.shutWr) m = 0;
    if (this.queued > 0 || this.shutRd) m |= POLLIN;
    if (this.shutRd) m |= POLLRDHUP;
    if (this.shutRd && this.shutWr) m |= POLLHUP;
    if (this.pendingError !== 0) m |= POLLERR;
    return m;
  }

  setsockopt(level: number, name: number, value: SockOptInput): number {
    if (level !== SOL_SOCKET) return Errno.ENOPROTOOPT;
    switch (name) {
      case SO_REUSEADDR:
        this.reuseAddr = flagValue('SO_REUSEADDR', value);
        return 0;
      case SO_KEEPALIVE:
        this.keepalive = flagValue('SO_KEEPALIVE', value);
        return 0;
      case SO_BROADCAST:
        this.broadcastFlag = flagValue('SO_BROADCAST', value);
        this.sock.setBroadcast(this.broadcastFlag);
        return 0;
      case SO_LINGER: {
        const l = lingerValue(value);
        if (l === null) return Errno.EINVAL;
        this.linger = { onoff: l.onoff ? 1 : 0, linger: l.linger };
        return 0;
      }
      case SO_RCVBUF:
      case SO_SNDBUF: {
        const n = intValue(name === SO_RCVBUF ? 'SO_RCVBUF' : 'SO_SNDBUF', value);
        if (Number.isNaN(n)) return Errno.EINVAL;
        const v = Math.min(Math.max(n, 2048), 1 << 30);
        if (name === SO_RCVBUF) this.sock.setRecvBufferSize(v);
        else this.sndbuf = v;
        return 0;
      }
      default:
        return Errno.ENOPROTOOPT;
    }
  }

  getsockopt(level: number, name: number): SockOptValue {
    if (level !== SOL_SOCKET) return Errno.ENOPROTOOPT;
    switch (name) {
      case SO_REUSEADDR:
        return this.reuseAddr ? 1 : 0;
      case SO_KEEPALIVE:
        return this.keepalive ? 1 : 0;
      case SO_BROADCAST:
        return this.broadcastFlag ? 1 : 0;
      case SO_LINGER:
        return { onoff: this.linger.onoff, linger: this.linger.linger };
      case SO_RCVBUF:
        return this.sock.getRecvBufferSize();
      case SO_SNDBUF:
        return this.sndbuf;
      case SO_ERROR:
        return positive(this.takeError());
      case SO_TYPE:
        return SOCK_DGRAM;
      default:
        return Errno.ENOPROTOOPT;
    }
  }

  private takeError(): number {
    const e = this.pendingError;
    this.pendingError = 0;
    return e;
  }

  /** Readiness caused by a call is reported after the call returns (a deferred clock callback), never from inside it. */
  private stackDefer(events: number): void {
    this.deferred |= events;
    if (!this.deferScheduled) {
      this.deferScheduled = true;
      this.stack.clock.defer(flushDeferred, this);
    }
  }
  private deferred = 0;
  private deferScheduled = false;

  /** @internal */
  flushDeferred(): void {
    this.deferScheduled = false;
    const ev = this.deferred;
    this.deferred = 0;
    this.notify(ev);
  }
}

function flushDeferred(s: UdpCoreSocket): void {
  s.flushDeferred();
}

const EMPTY = new Uint8Array(0);
