/**
 * ProcessSockets: blocking socket calls for simulated processes (docs/host-model.md
 * "For socket calls"). One per host + SocketCore. Each call is a sub-generator
 * to use with `yield*` inside a `host.spawn` body; it returns what the socket
 * core returns (≥ 0, or a negative errno):
 *
 *   host.spawn('server', function* () {
 *     const c = yield* sockets.accept(lfd);
 *     const n = yield* sockets.recv(c, buf, 0, buf.length);   // blocks until data, EOF (0) or an error
 *     yield* sockets.send(c, buf, 0, n);                        // blocks until every byte is queued
 *   });
 *
 * A call tries the non-blocking socket-core call inside the current step (which
 * counts acct.syscall() and any copy); if it would block (EAGAIN / EINPROGRESS)
 * the process blocks on the socket's `readable` / `writable` Waitable and
 * retries when woken. While blocked in recv the connection is marked as having a
 * waiting reader with its buffer size (Linux ucopy.task / ucopy.len) — what the
 * prequeue receive paths (src/tcp/rx-path) look at.
 *
 * Readiness: the socket core's readiness listener (softirq side, or a deferred
 * callback after a call) signals the Waitables through host.deferEffect, so the
 * wake-up happens when the softirq work item that made the socket ready ends.
 * POLLIN / POLLRDHUP / POLLHUP / POLLERR wake readers; POLLOUT / POLLHUP /
 * POLLERR wake writers. The core has one listener per socket: ProcessSockets
 * installs its own on the descriptors it is used with.
 *
 * Copy mode of send (per ProcessSockets, default 'copy'): 'copy' (acct.copy),
 * 'copy+csum' (fused, acct.copyCsum; TCP then needs no separate transmit
 * checksum), 'zerocopy' (sendZeroCopy: the caller's array is referenced; the
 * application must not change it until acknowledged — simulated applications
 * simply never reuse a buffer they sent).
 *
 * Owns: the per-descriptor Waitables and the blocking loops.
 * Must not: implement socket or protocol behaviour (SocketCore / TCP do).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { CopyMode } from '../lab/types.js';
import { Errno } from '../socket/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from '../socket/options.js';
import type { SocketCore } from '../socket/core.js';
import type { SockAddr, Socket, SocketKind } from '../socket/socket-table.js';
import { TcpSocket } from '../socket/tcp-socket.js';
import { effectiveReceivePath, lockSocket, markWaitingReader, processBacklog, releaseSocket, setReceivePath } from '../tcp/rx-path/index.js';
import type { Tcb } from '../tcp/tcb.js';
import { block, Waitable, type ProcessOp } from './process.js';
import type { Host } from './scheduler.js';

/** A blocking call: yields ProcessOps, returns the socket-core result. */
export type SocketCall<T = number> = Generator<ProcessOp, T, boolean>;

const READ_EVENTS = POLLIN | POLLRDHUP | POLLHUP | POLLERR;
const WRITE_EVENTS = POLLOUT | POLLHUP | POLLERR;

/** Per-descriptor wait state. */
class Entry {
  readonly readable: Waitable;
  readonly writable: Waitable;
  /** The connection this descriptor's current call owns (socket lock), released at the end of the step. */
  lockedTcb: Tcb | null = null;
  lockCpu = 0;
  constructor(
    readonly sock: Socket,
    fd: number,
    readonly host: Host,
  ) {
    this.readable = new Waitable(`fd${fd}:readable`);
    this.writable = new Waitable(`fd${fd}:writable`);
  }
}

/** Effect at the end of the step that made a call: release_sock; the backlog is processed as work on that CPU. */
function releaseLock(e: Entry): void {
  const t = e.lockedTcb;
  e.lockedTcb = null;
  if (t !== null && releaseSocket(t)) e.host.softirq(runBacklog, t, e.lockCpu);
}
function runBacklog(t: Tcb): void {
  processBacklog(t);
}

function signalReadable(e: Entry): void {
  e.readable.signal();
}
function signalWritable(e: Entry): void {
  e.writable.signal();
}

export interface ProcessSocketsOptions {
  /** How send() stores data (default 'copy'). */
  copy?: CopyMode;
}

const COPY_MODES: readonly CopyMode[] = ['copy', 'copy+csum', 'zerocopy'];

export class ProcessSockets {
  readonly copy: CopyMode;
  private readonly entries: (Entry | undefined)[] = [];
  private nextZeroCopyId = 1;
  /** Scratch for consume(): views handed out and released at once. */
  private readonly views: PacketBuffer[] = [];
  private scratch = new Uint8Array(0);

  constructor(
    readonly host: Host,
    readonly core: SocketCore,
    opts: ProcessSocketsOptions = {},
  ) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('ProcessSockets options must be an object');
    const copy = opts.copy ?? 'copy';
    if (!COPY_MODES.includes(copy)) throw new RangeError(`ProcessSockets option copy must be one of ${COPY_MODES.join(', ')}; got ${JSON.stringify(copy)}`);
    this.copy = copy;
  }

  // -------------------------------------------------------------------------
  // Non-blocking helpers (one step each)

  /** socket(): a new descriptor (default TCP) or an errno (as SocketCore.socket). */
  socket(kind: SocketKind = 'tcp'): number {
    return this.core.socket(kind);
  }

  /** close(): as SocketCore.close (never blocks: TCP closes in the background). */
  close(fd: number): number {
    this.entries[fd] = undefined;
    return this.core.close(fd);
  }

  /** A Waitable signalled when `fd` may have become readable (data, EOF, error, a connection to accept). */
  readable(fd: number): Waitable {
    return this.entry(fd).readable;
  }

  /** A Waitable signalled when `fd` may have become writable (send space, connect finished, error). */
  writable(fd: number): Waitable {
    return this.entry(fd).writable;
  }

  /** Choose the receive path of one TCP socket (null: the stack's). 0, EBADF or EOPNOTSUPP; RangeError for an unknown name. */
  setReceivePath(fd: number, name: string | null): number {
    const s = this.core.get(fd);
    if (s === undefined) return Errno.EBADF;
    if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
    setReceivePath(s.ep, name);
    return 0;
  }

  // -------------------------------------------------------------------------
  // Blocking calls (use with yield*)

  /**
   * recv(): blocks until at least one byte, EOF (0) or an error. While blocked the
   * connection has a waiting reader of `len` bytes (prequeue paths queue for it).
   */
  *recv(fd: number, dst: Uint8Array, off = 0, len = dst.length - off): SocketCall {
    for (;;) {
      this.lock(fd);
      const n = this.core.recv(fd, dst, off, len);
      if (n !== Errno.EAGAIN) return n;
      const e = this.entry(fd);
      if (e.sock instanceof TcpSocket) markWaitingReader(e.sock.ep, len);
      yield block(e.readable);
    }
  }

  /**
   * Zero-copy receive: blocks like recv(), then moves up to `max` received
   * buffers into out[0..k) and returns k (the caller reads them in place and
   * releases each), 0 at EOF, or an errno. Nothing is copied.
   */
  *recvViews(fd: number, max: number, out: PacketBuffer[]): SocketCall {
    for (;;) {
      const s = this.core.get(fd);
      if (s === undefined) return Errno.EBADF;
      if (!(s instanceof TcpSocket)) return Errno.EOPNOTSUPP;
      this.lock(fd);
      const k = s.ep.recvViews(max, out);
      if (k !== Errno.EAGAIN) return k;
      yield block(this.entry(fd).readable);
    }
  }

  /**
   * A sink's read: blocks like recv(), then consumes data the cheapest way the
   * socket's receive path allows — on a `zerocopy` path up to 64 whole received
   * buffers, released at once (nothing copied; `max` does not split buffers),
   * else up to `max` bytes copied into an internal scratch buffer. Returns bytes
   * consumed, 0 at EOF, or an errno.
   */
  *consume(fd: number, max: number): SocketCall {
    const s = this.core.get(fd);
    if (s instanceof TcpSocket && effectiveReceivePath(s.ep)?.zeroCopy === true) {
      const k = yield* this.recvViews(fd, 64, this.views);
      if (k <= 0) return k;
      let n = 0;
      for (let i = 0; i < k; i++) {
        const b = this.views[i]!;
        n += b.tail - b.head;
        b.release();
      }
      this.views.length = 0;
      return n;
    }
    if (this.scratch.length < max) this.scratch = new Uint8Array(max);
    return yield* this.recv(fd, this.scratch, 0, max);
  }

  /** send(): blocks until every byte is queued; returns len, or the bytes queued before an error (the errno if none). */
  *send(fd: number, src: Uint8Array, off = 0, len = src.length - off): SocketCall {
    this.applyCopyMode(fd);
    let done = 0;
    while (done < len) {
      this.lock(fd);
      const n =
        this.copy === 'zerocopy'
          ? this.core.sendZeroCopy(fd, src, off + done, len - done, this.nextZeroCopyId++)
          : this.core.send(fd, src, off + done, len - done);
      if (n < 0 && n !== Errno.EAGAIN) return done > 0 ? done : n;
      if (n > 0) done += n;
      if (done < len) yield block(this.entry(fd).writable);
    }
    return done;
  }

  /** accept(): blocks until a connection is ready; its descriptor or an errno. It inherits the listener's receive-path choice. */
  *accept(fd: number, peer?: SockAddr): SocketCall {
    for (;;) {
      const r = this.core.accept(fd, peer);
      if (r !== Errno.EAGAIN) {
        if (r >= 0) this.inheritReceivePath(fd, r);
        return r;
      }
      yield block(this.entry(fd).readable);
    }
  }

  /** connect(): blocks until the handshake ends; 0 or the error (ECONNREFUSED, ETIMEDOUT, …). */
  *connect(fd: number, addr: number | string, port: number): SocketCall {
    let r = this.core.connect(fd, addr, port);
    if (r !== Errno.EINPROGRESS) return r;
    for (;;) {
      yield block(this.entry(fd).writable);
      r = this.core.connect(fd, addr, port);
      if (r !== Errno.EALREADY) return r;
    }
  }

  // -------------------------------------------------------------------------

  /**
   * The call about to be made owns the socket until the end of the current step
   * (Linux lock_sock … release_sock): segments arriving meanwhile on another CPU
   * wait on the backlog (src/tcp/rx-path/backlog.ts). Only inside a process step.
   */
  private lock(fd: number): void {
    const s = this.core.get(fd);
    const cpu = this.host.currentCpu;
    if (!(s instanceof TcpSocket) || cpu === null || this.host.currentProcess === null) return;
    const e = this.entry(fd);
    if (e.lockedTcb !== null || !lockSocket(s.ep)) return;
    e.lockedTcb = s.ep.tcb;
    e.lockCpu = cpu.id;
    this.host.deferEffect(releaseLock, e);
  }

  private entry(fd: number): Entry {
    const s = this.core.get(fd);
    if (s === undefined) throw new RangeError(`ProcessSockets: descriptor ${fd} is not open`);
    let e = this.entries[fd];
    if (e === undefined || e.sock !== s) {
      const ne = new Entry(s, fd, this.host);
      const host = this.host;
      this.core.setReadyListener(fd, (_fd: number, events: number) => {
        // Wake-ups are effects of the work item that made the socket ready.
        if ((events & READ_EVENTS) !== 0) host.deferEffect(signalReadable, ne);
        if ((events & WRITE_EVENTS) !== 0) host.deferEffect(signalWritable, ne);
      });
      this.entries[fd] = ne;
      e = ne;
    }
    return e;
  }

  private applyCopyMode(fd: number): void {
    const s = this.core.get(fd);
    if (s instanceof TcpSocket) s.ep.sendCopyMode = this.copy === 'copy+csum' ? 'copyCsum' : 'copy';
  }

  private inheritReceivePath(listenFd: number, childFd: number): void {
    const l = this.core.get(listenFd);
    const c = this.core.get(childFd);
    if (!(l instanceof TcpSocket) || !(c instanceof TcpSocket)) return;
    const rx = l.ep.tcb.rx;
    if (rx !== null && rx.path !== null) setReceivePath(c.ep, rx.path.name);
  }
}
