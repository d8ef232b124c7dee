/**
 * The zero-copy parts of `stack.net` (docs/api.md "zero-copy ownership").
 *
 * Send (MSG_ZEROCOPY-like): `socket.writeZeroCopy(bytes, cb)` hands the
 * caller's array to TCP without copying (SocketCore.sendZeroCopy wraps it);
 * each call gets the next id (0, 1, 2, … per socket, like Linux's
 * SO_EE_ORIGIN_ZEROCOPY counter). When every byte of a call has been
 * acknowledged by the peer, its callback runs with null and the socket emits
 * 'zerocopy'(lo, hi) for the range of ids completed together (Linux coalesces
 * consecutive ids the same way). Completions arrive in id order. A call whose
 * bytes never get acknowledged (the connection failed or was reset) gets
 * ERR_ZEROCOPY_ABORTED — only once the stack no longer references the array.
 *
 * Receive (an `onread` mode): `onread: { zeroCopy: true, callback(view, lease) }`
 * hands the callback views straight over the packet buffers TCP received into;
 * `lease.release()` returns the memory to the pool. Bytes held by unreleased
 * leases count against the socket's receive budget (`maxHeldBytes`, default
 * the receive buffer size): at the budget the socket stops reading, so the
 * TCP window closes exactly as for an unread receive buffer.
 *
 * Owns: the pending-send FIFO, completion coalescing, leases and the hold
 * budget, and the linger of a destroyed socket whose zero-copy bytes are still
 * in flight. Must not: call user code from inside the stack's packet
 * processing (completions are delivered from a clock-deferred callback).
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import { Errno } from '../../socket/errno.js';
import type { SocketCore } from '../../socket/core.js';
import { POLLERR, POLLHUP, POLLIN } from '../../socket/options.js';
import type { ReadyListener } from '../../socket/socket-table.js';
import type { TcpSocket } from '../../socket/tcp-socket.js';
import { TcpState } from '../../tcp/tcb.js';
import type { Clock } from '../../time/clock.js';
import { errZeroCopyAborted } from './errors.js';

export type ZeroCopyCallback = (err: Error | null) => void;

/** One writeZeroCopy call. */
export class ZcSend {
  /** Pieces handed to TCP and not yet acknowledged (TCP may take a call in several pieces). */
  pieces = 0;
  /** Every byte was handed to TCP (no more pieces will come). */
  queued = false;
  /** Completed (cb scheduled); error when aborted. */
  done = false;
  error: Error | null = null;
  constructor(
    readonly id: number,
    readonly cb: ZeroCopyCallback | null,
  ) {}
}

/** What the tracker reports to (the net Socket). */
export interface ZcSink {
  emit(event: 'zerocopy', lo: number, hi: number): boolean;
}

/**
 * The per-socket FIFO of zero-copy sends. TCP reports `complete(id)` once per
 * piece, in append order; a call completes when its last piece does.
 */
export class ZeroCopySendTracker {
  private nextId = 0;
  private readonly pending: ZcSend[] = [];
  private readonly finished: ZcSend[] = [];
  private flushScheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly sink: ZcSink,
  ) {}

  /** Sends not yet reported. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** True when some pending send has bytes inside TCP (its memory is referenced by the stack). */
  get inFlight(): boolean {
    for (const s of this.pending) if (s.pieces > 0) return true;
    return false;
  }

  register(cb: ZeroCopyCallback | null): ZcSend {
    const s = new ZcSend(this.nextId, cb);
    this.nextId = (this.nextId + 1) >>> 0;
    this.pending.push(s);
    return s;
  }

  /** TCP acknowledged every byte of one piece of send `id`. */
  complete(id: number): void {
    const p = this.pending;
    for (let i = 0; i < p.length; i++) {
      const s = p[i]!;
      if (s.id !== id || s.pieces === 0) continue;
      s.pieces--;
      this.settle();
      return;
    }
  }

  /** The stack dropped everything it held (connection reset, failed, or aborted): pieces in TCP will never complete. */
  dropInFlight(cause: Error | null): void {
    for (const s of this.pending) {
      if (s.pieces > 0) {
        s.pieces = 0;
        s.queued = true;
        s.error ??= errZeroCopyAborted(cause);
      }
    }
    this.settle();
  }

  /**
   * The socket is going away: sends not (fully) handed to TCP will never be;
   * those with no bytes inside TCP fail now, the others when their pieces settle.
   */
  abandonUnqueued(cause: Error | null): void {
    for (const s of this.pending) {
      if (!s.queued) {
        s.queued = true;
        s.error ??= errZeroCopyAborted(cause);
      }
    }
    this.settle();
  }

  /** Fail one send that never reached TCP (write rejected). */
  reject(s: ZcSend, err: Error): void {
    if (s.done) return;
    if (s.pieces === 0) {
      s.queued = true;
      s.error ??= err;
      this.settle();
    } else {
      s.queued = true;
      s.error ??= errZeroCopyAborted(err);
    }
  }

  /** Move the settled head of the FIFO to the finished list (order kept) and schedule delivery. */
  settle(): void {
    const p = this.pending;
    let n = 0;
    while (n < p.length && p[n]!.queued && p[n]!.pieces === 0) n++;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const s = p[i]!;
      s.done = true;
      this.finished.push(s);
    }
    p.splice(0, n);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      this.clock.defer(flushTracker, this);
    }
  }

  /** Deliver finished sends: callbacks in id order, 'zerocopy' per run of consecutive successful ids. */
  flush(): void {
    this.flushScheduled = false;
    const f = this.finished.splice(0, this.finished.length);
    let lo = -1;
    let hi = -1;
    for (const s of f) {
      if (s.error === null) {
        if (lo >= 0 && s.id === ((hi + 1) >>> 0)) hi = s.id;
        else {
          if (lo >= 0) this.sink.emit('zerocopy', lo, hi);
          lo = s.id;
          hi = s.id;
        }
      }
      if (s.cb !== null) s.cb(s.error);
    }
    if (lo >= 0) this.sink.emit('zerocopy', lo, hi);
  }
}

function flushTracker(t: ZeroCopySendTracker): void {
  t.flush();
}

/**
 * A destroyed socket whose zero-copy bytes are still inside TCP. Instead of
 * close() (which would stop completions), the descriptor stays open with its
 * write side shut (FIN after the queued data); received data is discarded;
 * once every piece completed — or the connection failed — the descriptor is
 * closed. This is what lets destroy() keep the promise "every writeZeroCopy
 * callback runs exactly once, after the stack let go of the bytes".
 */
export class ZeroCopyLinger implements ReadyListener {
  private static readonly SCRATCH = new Uint8Array(65536);
  private closed = false;

  constructor(
    private readonly core: SocketCore,
    private readonly sock: TcpSocket,
    private readonly tracker: ZeroCopySendTracker,
  ) {}

  /** Take over `sock` from its destroyed owner. */
  start(): void {
    this.core.setReadyListener(this.sock, this);
    this.core.shutdown(this.sock, 1 /* SHUT_WR */);
    this.onReady(this.sock.fd, POLLIN);
  }

  onReady(_fd: number, events: number): void {
    if (this.closed) return;
    const core = this.core;
    const s = this.sock;
    // Discard what arrives so that the final close() is a FIN, not a RST for unread data.
    if ((events & (POLLIN | POLLERR | POLLHUP)) !== 0) {
      for (;;) {
        const r = core.recv(s, ZeroCopyLinger.SCRATCH, 0, ZeroCopyLinger.SCRATCH.length);
        if (r > 0) continue;
        if (r !== Errno.EAGAIN && r !== 0) {
          this.tracker.dropInFlight(null);
        }
        break;
      }
    }
    const st = s.ep.tcb.state;
    if (st === TcpState.CLOSED) this.tracker.dropInFlight(null);
    if (!this.tracker.inFlight) this.finish();
  }

  onSendComplete(_fd: number, id: number): void {
    this.tracker.complete(id);
    if (!this.tracker.inFlight) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.core.close(this.sock);
  }
}

/** What a lease reports back to (the receiving socket's hold budget). */
export interface LeaseOwner {
  leaseReleased(bytes: number): void;
}

/**
 * One received packet buffer lent to the application: `view` is a Uint8Array
 * directly over pool memory (no copy). Call `release()` exactly once when done;
 * after it the view's bytes belong to the pool again and will be overwritten.
 */
export class ZeroCopyLease {
  private buf: PacketBuffer | null;

  constructor(
    private owner: LeaseOwner | null,
    buf: PacketBuffer,
    readonly view: Uint8Array,
  ) {
    this.buf = buf;
  }

  get released(): boolean {
    return this.buf === null;
  }

  get length(): number {
    return this.view.length;
  }

  release(): void {
    const b = this.buf;
    if (b === null) {
      const e = new Error('ZeroCopyLease.release(): this lease was already released') as Error & { code: string };
      e.code = 'ERR_ZEROCOPY_DOUBLE_RELEASE';
      throw e;
    }
    this.buf = null;
    b.release();
    const o = this.owner;
    this.owner = null;
    if (o !== null) o.leaseReleased(this.view.length);
  }
}
