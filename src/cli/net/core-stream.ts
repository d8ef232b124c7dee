/**
 * CoreStream: a Node Duplex over one TCP descriptor of a SocketCore, shaped
 * enough like net.Socket (remoteAddress/Port, setTimeout, setNoDelay, Node-style
 * errors) that node:http can run on it (`server.emit('connection', s)`, or
 * `http.request({ createConnection })`).
 *
 * Owns: moving bytes between the stream machinery and the core (recv into
 * fresh chunks, send with back-pressure), the connect outcome, the idle timer
 * and turning socket errors into Node's shape (src/socket/errno.ts toNodeError).
 * Must not: implement protocol behaviour. It is the CLI's bridge until a
 * general node:net facade (src/api/net) serves the same purpose.
 *
 * Node shapes kept: a refused/timed-out connect fails with `connect ECONNREFUSED
 * a.b.c.d:port` (syscall 'connect', address, port), a reset of an open
 * connection with `read ECONNRESET` (syscall 'read'), as net.Socket does.
 */
import { Duplex } from 'node:stream';
import type { SocketCore } from '../../socket/core.js';
import { Errno, toNodeError } from '../../socket/errno.js';
import { POLLERR, POLLHUP, POLLOUT, SHUT_WR, SO_ERROR, SOL_SOCKET, TCP_NODELAY, IPPROTO_TCP } from '../../socket/options.js';
import { formatIpv4 } from '../../wire/address.js';

/** Bytes read per recv call (one chunk pushed per call). */
const READ_CHUNK = 64 * 1024;

interface PendingWrite {
  chunk: Uint8Array;
  off: number;
  cb: (err?: Error | null) => void;
}

export class CoreStream extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** True until the handshake finished (client streams). */
  connecting: boolean;
  bytesRead = 0;
  bytesWritten = 0;

  private fd: number;
  private wantRead = false;
  private pending: PendingWrite | null = null;
  private finalCb: ((err?: Error | null) => void) | null = null;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly onReady = (_fd: number, events: number): void => this.ready(events);

  /**
   * Wrap descriptor `fd` (connected, or with a connect in progress when
   * `connecting`). The stream owns the descriptor from now on and closes it.
   */
  constructor(
    private readonly core: SocketCore,
    fd: number,
    opts: { connecting?: boolean; remoteAddress?: string; remotePort?: number } = {},
  ) {
    super({ allowHalfOpen: true, decodeStrings: true });
    this.fd = fd;
    this.connecting = opts.connecting ?? false;
    this.remoteAddress = opts.remoteAddress;
    this.remotePort = opts.remotePort;
    if (!this.connecting) this.fillAddresses();
    core.setReadyListener(fd, this.onReady);
  }

  /** Open a TCP connection to ip:port; 'connect' is emitted once established (or 'error' with ECONNREFUSED...). */
  static connect(core: SocketCore, ip: string, port: number): CoreStream {
    const fd = core.socket('tcp');
    if (fd < 0) throw toNodeError(fd, 'socket');
    const r = core.connect(fd, ip, port);
    const s = new CoreStream(core, fd, { connecting: true, remoteAddress: ip, remotePort: port });
    if (r !== Errno.EINPROGRESS && r !== 0) process.nextTick(() => s.destroy(toNodeError(r, 'connect', ip, port)));
    return s;
  }

  /** The descriptor (-1 once closed). */
  get descriptor(): number {
    return this.fd;
  }

  // --- net.Socket look-alikes used by node:http ---

  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (cb !== undefined) {
      if (ms === 0) this.off('timeout', cb);
      else this.once('timeout', cb);
    }
    this.clearIdle();
    this.touch();
    return this;
  }

  setNoDelay(noDelay = true): this {
    if (this.fd >= 0) this.core.setsockopt(this.fd, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0);
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    return this.localAddress === undefined ? {} : { address: this.localAddress, family: 'IPv4', port: this.localPort ?? 0 };
  }

  // --- Duplex ---

  override _read(): void {
    this.wantRead = true;
    if (!this.connecting) this.pull();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pending = { chunk, off: 0, cb };
    if (!this.connecting) this.pushOut();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.finalCb = cb;
    if (!this.connecting && this.pending === null) this.finish();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.clearIdle();
    const fd = this.fd;
    if (fd >= 0) {
      this.fd = -1;
      this.core.setReadyListener(fd, null);
      // An error or an unfinished write: abortive close (RST), as net.Socket#destroy with unsent data would lose it anyway.
      if (err !== null) this.core.abort(fd);
      else this.core.close(fd);
    }
    const p = this.pending;
    this.pending = null;
    if (p !== null) p.cb(err ?? new Error('the stream was destroyed'));
    cb(err);
  }

  // --- readiness ---

  private ready(events: number): void {
    if (this.fd < 0) return;
    if (this.connecting) {
      if ((events & (POLLOUT | POLLERR | POLLHUP)) === 0) return;
      const r = this.core.connect(this.fd, this.remoteAddress ?? '0.0.0.0', this.remotePort ?? 0);
      if (r === Errno.EALREADY || r === Errno.EINPROGRESS) return;
      if (r !== 0 && r !== Errno.EISCONN) {
        this.destroy(toNodeError(r, 'connect', this.remoteAddress, this.remotePort));
        return;
      }
      this.connecting = false;
      this.fillAddresses();
      this.emit('connect');
      this.emit('ready');
    } else if ((events & POLLERR) !== 0) {
      const e = this.core.getsockopt(this.fd, SOL_SOCKET, SO_ERROR);
      if (typeof e === 'number' && e > 0) {
        this.destroy(toNodeError(-e, 'read')); // net.Socket reports ECONNRESET/ETIMEDOUT of an open connection as 'read'
        return;
      }
    }
    if (this.pending !== null) this.pushOut();
    else if (this.finalCb !== null) this.finish();
    if (this.wantRead) this.pull();
  }

  private pull(): void {
    while (this.wantRead && this.fd >= 0) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const n = this.core.recv(this.fd, buf, 0, READ_CHUNK);
      if (n === Errno.EAGAIN) return;
      if (n < 0) {
        this.destroy(toNodeError(n, 'read'));
        return;
      }
      this.touch();
      if (n === 0) {
        this.wantRead = false;
        this.push(null);
        return;
      }
      this.bytesRead += n;
      this.wantRead = this.push(n === READ_CHUNK ? buf : buf.subarray(0, n));
    }
  }

  private pushOut(): void {
    const p = this.pending;
    if (p === null || this.fd < 0) return;
    while (p.off < p.chunk.length) {
      const n = this.core.send(this.fd, p.chunk, p.off, p.chunk.length - p.off);
      if (n === Errno.EAGAIN) return; // POLLOUT resumes
      if (n < 0) {
        this.pending = null;
        const err = toNodeError(n, 'write');
        p.cb(err);
        return;
      }
      p.off += n;
      this.bytesWritten += n;
    }
    this.touch();
    this.pending = null;
    p.cb();
    if (this.finalCb !== null && this.pending === null) this.finish();
  }

  private finish(): void {
    const cb = this.finalCb;
    if (cb === null || this.fd < 0) return;
    this.finalCb = null;
    const r = this.core.shutdown(this.fd, SHUT_WR);
    cb(r < 0 && r !== Errno.ENOTCONN ? toNodeError(r, 'shutdown') : null);
  }

  private fillAddresses(): void {
    const a = { addr: 0, port: 0 };
    if (this.core.getsockname(this.fd, a) === 0) {
      this.localAddress = formatIpv4(a.addr);
      this.localPort = a.port;
    }
    if (this.core.getpeername(this.fd, a) === 0) {
      this.remoteAddress = formatIpv4(a.addr);
      this.remotePort = a.port;
    }
  }

  // --- idle timeout (net.Socket#setTimeout: 'timeout' after ms without activity) ---

  private touch(): void {
    if (this.idleMs <= 0) {
      this.clearIdle();
      return;
    }
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.emit('timeout');
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}
