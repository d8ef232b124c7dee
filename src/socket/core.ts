/**
 * SocketCore: the BSD-like, non-blocking socket API of one Stack, used by the
 * Node facades, the lab and the packetdrill runner.
 *
 *   const core = new SocketCore(stack);
 *   const fd = core.socket('tcp');            // lowest free descriptor ≥ 3
 *   core.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
 *   core.connect(fd, '10.0.0.2', 80);          // EINPROGRESS; onReady(fd, POLLOUT) follows
 *
 * Every call takes a descriptor (or the Socket object from `core.get(fd)`) and
 * returns a number ≥ 0 on success or a negative Linux errno (`Errno`, errno.ts);
 * `toNodeError(errno, syscall, address, port)` makes the Node-shaped error.
 * The core never blocks: where a blocking socket would sleep it returns EAGAIN
 * (connect: EINPROGRESS, then EALREADY until the handshake ends; calling connect
 * again then collects 0 or the error), whatever O_NONBLOCK says; the caller (the
 * packetdrill runner, a simulated process) waits for readiness — `poll(fd)` or
 * the per-socket listener `setReadyListener(fd, l)`, which receives the POLL*
 * bits that became true (edges) from softirq or deferred context, never from
 * inside a call.
 *
 * Misuse answers like BSD: a bad descriptor EBADF, an unknown option
 * ENOPROTOOPT, a bad value or address EINVAL, a bad buffer range EFAULT; only
 * wrong JS types throw (TypeError).
 *
 * Owns: the descriptor table, argument checks, dispatch to TcpSocket/UdpCoreSocket.
 * Must not: implement protocol behaviour.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { TcpInfo } from '../tcp/endpoint.js';
import { isValidIpv4, parseIpv4 } from '../wire/address.js';
import { Errno } from './errno.js';
import { F_GETFL, F_SETFL, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, O_NONBLOCK, optionLevel, optionName, POLLNVAL } from './options.js';
import { FdTable, Socket, type ReadyCallback, type SockAddr, type SockOptInput, type SockOptValue, type SocketKind, type SocketStack } from './socket-table.js';
import { TcpSocket } from './tcp-socket.js';
import { UdpCoreSocket } from './udp-socket.js';

/** A descriptor or the socket object itself. */
export type FdLike = number | Socket;
/** An IPv4 address as a 32-bit number or a dotted quad. */
export type AddrLike = number | string;

const SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL;
const RECV_FLAGS = MSG_DONTWAIT | MSG_WAITALL | MSG_PEEK | MSG_TRUNC;

export class SocketCore {
  private readonly table: FdTable;

  constructor(
    readonly stack: SocketStack,
    options: { maxFds?: number } = {},
  ) {
    if (typeof options !== 'object' || options === null) throw new TypeError('SocketCore options must be an object');
    const max = options.maxFds ?? 65536;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`SocketCore option maxFds must be a positive integer, got ${String(max)}`);
    this.table = new FdTable(max);
  }

  /** Open sockets. */
  get openCount(): number {
    return this.table.size;
  }

  /** socket(): a new TCP (SOCK_STREAM) or UDP (SOCK_DGRAM) socket's descriptor, or EMFILE / EPROTONOSUPPORT. */
  socket(kind: SocketKind): number {
    if (typeof kind !== 'string') throw new TypeError(`socket: kind must be 'tcp' or 'udp', got ${typeof kind}`);
    this.stack.acct.syscall();
    if (kind !== 'tcp' && kind !== 'udp') return Errno.EPROTONOSUPPORT;
    if (this.table.size >= this.table.maxFds) return Errno.EMFILE;
    const s: Socket = kind === 'tcp' ? new TcpSocket(this.stack.tcp.createEndpoint()) : new UdpCoreSocket(this.stack);
    return this.table.add(s);
  }

  /** The socket object behind a descriptor (undefined when not open). */
  get(fd: number): Socket | undefined {
    if (typeof fd !== 'number') throw new TypeError(`fd must be a number, got ${typeof fd}`);
    return this.table.get(fd);
  }

  bind(fd: FdLike, addr: AddrLike, port: number): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    const a = toAddr(addr);
    const p = toPort(port);
    if (a < 0 || p < 0) return Errno.EINVAL;
    // TCP and UDP count the call themselves (Endpoint.bind, UdpSocket.bind).
    return s instanceof TcpSocket ? s.bind(a, p) : (s as UdpCoreSocket).bind(a, p);
  }

  listen(fd: FdLike, backlog: number): number {
    const s = this.lookup(fd);
    if (typeof backlog !== 'number') throw new TypeError(`listen: backlog must be a number, got ${typeof backlog}`);
    if (s === undefined) return Errno.EBADF;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    return s.listen(Number.isInteger(backlog) ? backlog : Math.trunc(backlog) || 0);
  }

  /** accept(): the new connection's descriptor (filling `peer` if given), or EAGAIN / EINVAL / EOPNOTSUPP / EMFILE. */
  accept(fd: FdLike, peer?: SockAddr): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    if (this.table.size >= this.table.maxFds) return Errno.EMFILE;
    const r = s.accept();
    if (typeof r === 'number') return r;
    const child = new TcpSocket(r);
    if (peer !== undefined) {
      peer.addr = r.remoteAddress;
      peer.port = r.remotePort;
    }
    return this.table.add(child);
  }

  /** connect(): TCP answers EINPROGRESS (then see the class comment); UDP fixes the peer at once (0). */
  connect(fd: FdLike, addr: AddrLike, port: number): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    const a = toAddr(addr);
    const p = toPort(port);
    if (a < 0 || p < 0) return Errno.EINVAL;
    if (s instanceof TcpSocket) return s.connect(a, p);
    const u = s as UdpCoreSocket;
    if (a === 0 && p === 0) this.stack.acct.syscall(); // the dissolve path counts nothing else
    return u.connect(a, p);
  }

  /** send(): bytes accepted (TCP: maybe fewer than len), or EAGAIN / EPIPE / ENOTCONN / a pending error. */
  send(fd: FdLike, bytes: Uint8Array, off = 0, len = -1, flags = 0): number {
    return this.sendto(fd, bytes, off, len, flags);
  }

  /** sendto(): as send; UDP uses addr:port (or the connected peer when addr is omitted); TCP ignores them. */
  sendto(fd: FdLike, bytes: Uint8Array, off = 0, len = -1, flags = 0, addr?: AddrLike, port?: number): number {
    const s = this.lookup(fd);
    checkBytes('send', bytes, off, len, flags);
    if (s === undefined) return Errno.EBADF;
    if (len < 0) len = bytes.length - off;
    if (!inRange(bytes, off, len)) return Errno.EFAULT;
    if ((flags & MSG_OOB) !== 0) return Errno.EOPNOTSUPP;
    if ((flags & ~(SEND_FLAGS | MSG_OOB)) !== 0) return Errno.EINVAL;
    if (s instanceof TcpSocket) return s.send(bytes, off, len);
    let a = -1;
    let p = 0;
    if (addr !== undefined) {
      a = toAddr(addr);
      p = toPort(port ?? 0);
      if (a < 0 || p < 0) return Errno.EINVAL;
    }
    return (s as UdpCoreSocket).sendto(bytes, off, len, a, p);
  }

  /**
   * Zero-copy send (MSG_ZEROCOPY-like, TCP only): the bytes are referenced, not
   * copied; the caller must leave them unchanged until its listener's
   * onSendComplete(fd, id) reports them acknowledged. Bytes accepted or an errno.
   */
  sendZeroCopy(fd: FdLike, bytes: Uint8Array, off: number, len: number, id: number): number {
    const s = this.lookup(fd);
    checkBytes('sendZeroCopy', bytes, off, len, id);
    if (s === undefined) return Errno.EBADF;
    if (!inRange(bytes, off, len) || !Number.isInteger(id)) return Errno.EFAULT;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    return s.sendZeroCopy(bytes, off, len, id);
  }

  /** recv(): bytes copied (> 0), 0 at EOF, or EAGAIN / ENOTCONN / a pending error. */
  recv(fd: FdLike, dst: Uint8Array, off = 0, len = -1, flags = 0): number {
    return this.recvfrom(fd, dst, off, len, flags);
  }

  /** recvfrom(): as recv, filling `from` with the sender (UDP) or the peer (TCP). */
  recvfrom(fd: FdLike, dst: Uint8Array, off = 0, len = -1, flags = 0, from?: SockAddr): number {
    const s = this.lookup(fd);
    checkBytes('recv', dst, off, len, flags);
    if (s === undefined) return Errno.EBADF;
    if (len < 0) len = dst.length - off;
    if (!inRange(dst, off, len)) return Errno.EFAULT;
    if ((flags & MSG_OOB) !== 0) return Errno.EINVAL; // urgent data is inline (SO_OOBINLINE)
    if ((flags & ~RECV_FLAGS) !== 0) return Errno.EINVAL;
    if (s instanceof TcpSocket) {
      if ((flags & MSG_PEEK) !== 0) return Errno.EOPNOTSUPP;
      const n = s.recv(dst, off, len);
      if (n > 0 && from !== undefined) s.getpeername(from);
      return n;
    }
    return (s as UdpCoreSocket).recvfrom(dst, off, len, flags, from);
  }

  /**
   * Zero-copy receive (TCP only): moves up to `max` received packet buffers into
   * out[0..k) and returns k (> 0); the caller owns them (reads bytes in place,
   * then releases each). 0 at EOF, or an errno as recv().
   */
  recvViews(fd: FdLike, max: number, out: PacketBuffer[]): number {
    const s = this.lookup(fd);
    if (typeof max !== 'number' || !Array.isArray(out)) throw new TypeError('recvViews: max must be a number and out an array');
    if (s === undefined) return Errno.EBADF;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    return s.recvViews(max, out);
  }

  /** shutdown(SHUT_RD | SHUT_WR | SHUT_RDWR). */
  shutdown(fd: FdLike, how: number): number {
    const s = this.lookup(fd);
    if (typeof how !== 'number') throw new TypeError(`shutdown: how must be a number, got ${typeof how}`);
    if (s === undefined) return Errno.EBADF;
    if (s instanceof TcpSocket) return s.shutdown(how);
    this.stack.acct.syscall();
    return (s as UdpCoreSocket).shutdown(how);
  }

  /** close(): frees the descriptor. TCP closes gracefully (FIN) unless SO_LINGER {1, 0} or unread data (RST). */
  close(fd: FdLike): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    s.setListener(null);
    this.table.remove(s);
    return s instanceof TcpSocket ? s.close() : (s as UdpCoreSocket).close();
  }

  /** abort(): RST (RFC 9293 §3.10.5) and free the descriptor. */
  abort(fd: FdLike): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    s.setListener(null);
    this.table.remove(s);
    return s instanceof TcpSocket ? s.abort() : (s as UdpCoreSocket).close();
  }

  /** poll(): the POLL* bits true now (POLLNVAL for a bad descriptor). */
  poll(fd: FdLike): number {
    const s = this.lookup(fd);
    this.stack.acct.syscall();
    if (s === undefined) return POLLNVAL;
    return s instanceof TcpSocket ? s.poll() : (s as UdpCoreSocket).poll();
  }

  /** Install (or remove, with null) the readiness listener of a socket. 0 or EBADF. */
  setReadyListener(fd: FdLike, listener: ReadyCallback | null): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    s.setListener(listener);
    return 0;
  }

  /** fcntl(fd, F_GETFL) → flags; fcntl(fd, F_SETFL, flags) → 0 (only O_NONBLOCK is kept). */
  fcntl(fd: FdLike, cmd: number, arg = 0): number {
    const s = this.lookup(fd);
    if (typeof cmd !== 'number' || typeof arg !== 'number') throw new TypeError('fcntl: cmd and arg must be numbers');
    if (s === undefined) return Errno.EBADF;
    if (cmd === F_GETFL) return s.flags;
    if (cmd === F_SETFL) {
      s.flags = arg & O_NONBLOCK;
      return 0;
    }
    return Errno.EINVAL;
  }

  /** setsockopt(fd, level, name, value): 0 or EBADF / ENOPROTOOPT / EINVAL / EISCONN. Names: numbers or 'TCP_NODELAY'-style strings. */
  setsockopt(fd: FdLike, level: number | string, name: number | string, value: SockOptInput): number {
    const s = this.lookup(fd);
    const lv = optionLevel(level);
    const nm = optionName(lv, name);
    if (s === undefined) return Errno.EBADF;
    if (lv < 0 || nm < 0) return Errno.ENOPROTOOPT;
    if (s instanceof TcpSocket) return s.setsockopt(lv, nm, value);
    this.stack.acct.syscall();
    return (s as UdpCoreSocket).setsockopt(lv, nm, value);
  }

  /**
   * getsockopt(fd, level, name): the value (≥ 0 numbers, 0/1 flags, SO_LINGER
   * {onoff, linger}, TCP_INFO object; SO_ERROR is the positive errno, cleared) or a
   * negative errno (EBADF / ENOPROTOOPT).
   */
  getsockopt(fd: FdLike, level: number | string, name: number | string): SockOptValue {
    const s = this.lookup(fd);
    const lv = optionLevel(level);
    const nm = optionName(lv, name);
    this.stack.acct.syscall();
    if (s === undefined) return Errno.EBADF;
    if (lv < 0 || nm < 0) return Errno.ENOPROTOOPT;
    return s instanceof TcpSocket ? s.getsockopt(lv, nm) : (s as UdpCoreSocket).getsockopt(lv, nm);
  }

  /** TCP_INFO-like status of a TCP socket, or EBADF / EOPNOTSUPP. */
  info(fd: FdLike): TcpInfo | number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    return s.info();
  }

  getsockname(fd: FdLike, out: SockAddr): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    return s instanceof TcpSocket ? s.getsockname(out) : (s as UdpCoreSocket).getsockname(out);
  }

  getpeername(fd: FdLike, out: SockAddr): number {
    const s = this.lookup(fd);
    if (s === undefined) return Errno.EBADF;
    return s instanceof TcpSocket ? s.getpeername(out) : (s as UdpCoreSocket).getpeername(out);
  }

  private lookup(fd: FdLike): Socket | undefined {
    if (typeof fd === 'number') return this.table.get(fd);
    if (fd instanceof Socket) return fd.isOpen && this.table.get(fd.fd) === fd ? fd : undefined;
    throw new TypeError(`fd must be a number or a Socket, got ${fd === null ? 'null' : typeof fd}`);
  }
}

/** Address as a 32-bit number, or -1 when invalid. TypeError for other JS types. */
function toAddr(a: AddrLike): number {
  if (typeof a === 'number') return Number.isInteger(a) && a >= 0 && a <= 0xffffffff ? a >>> 0 : -1;
  if (typeof a === 'string') return isValidIpv4(a) ? parseIpv4(a) : -1;
  throw new TypeError(`address must be a number or a dotted quad, got ${a === null ? 'null' : typeof a}`);
}

/** Port, or -1 when out of range. TypeError for non-numbers. */
function toPort(p: number): number {
  if (typeof p !== 'number') throw new TypeError(`port must be a number, got ${typeof p}`);
  return Number.isInteger(p) && p >= 0 && p <= 65535 ? p : -1;
}

function checkBytes(what: string, bytes: Uint8Array, off: number, len: number, flags: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what}: buffer must be a Uint8Array`);
  if (typeof off !== 'number' || typeof len !== 'number' || typeof flags !== 'number') throw new TypeError(`${what}: offset, length and flags must be numbers`);
}

function inRange(bytes: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= bytes.length;
}
