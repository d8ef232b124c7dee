/**
 * An in-process pair: two SimPorts joined directly, with no rate, delay or
 * impairments (Linux veth). Meant for two stacks in one process — benchmarks on
 * a RealClock, tests on a VirtualClock.
 *
 * Owns: the hand-over of frames from one port to the other, in batches.
 * Must not: model time (frames arrive at the same clock time they were sent) or
 * drop frames except for the reasons the ports count.
 *
 * Delivery: `transmit` queues the frame and, if no delivery is pending, asks the
 * clock for one `defer`; that deferred call hands everything queued so far to the
 * peer as batches (one defer per batch, not per frame). Frames transmitted while
 * a batch is being delivered go into the next batch. The sender's txFrames and
 * txBytes count at transmit; the receiver's rxFrames/rxBytes at delivery.
 *
 * Zero copy: a single (unchained), unshared buffer whose bytes live in the
 * receiving port's pool is handed over as is — ownership moves, no copy. A chain,
 * a shared buffer (retained or cloned: its storage is read-only), or a buffer of
 * another pool is linearized by copying into a fresh buffer of the receiver's
 * pool and the original released. A CSUM_PARTIAL frame gets its checksum
 * completed (the sender's tx offload): in place when handed over, otherwise in
 * the copy.
 *
 * Queue limit: `queueFrames` bounds the frames waiting for delivery (default
 * unlimited: the senders' pools are the bound); overflow drops 'queueFull'.
 * Closing a port: frames it had queued are released ('down' on the sender);
 * frames for a closed port are dropped ('down' on the receiver).
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { Clock } from '../../time/clock.js';
import { SimPort, type PortTransmitter, type SimPortOptions } from './port.js';

export interface PairOptions {
  clock: Clock;
  a: Omit<SimPortOptions, 'clock'>;
  b: Omit<SimPortOptions, 'clock'>;
  /** Most frames waiting for delivery per direction (default Infinity). */
  queueFrames?: number;
}

export interface SimPair {
  readonly a: SimPort;
  readonly b: SimPort;
}

class PairChannel implements PortTransmitter {
  private pending: PacketBuffer[] = [];
  private pendingCount = 0;
  private delivering: PacketBuffer[] = [];
  private scheduled = false;

  constructor(
    private readonly clock: Clock,
    private readonly from: SimPort,
    private readonly to: SimPort,
    private readonly limit: number,
  ) {}

  send(frame: PacketBuffer, length: number): boolean {
    if (this.pendingCount >= this.limit) {
      this.from.stats.drops.queueFull++;
      frame.release();
      return false;
    }
    this.pending[this.pendingCount++] = frame;
    const s = this.from.stats;
    s.txFrames++;
    s.txBytes += length;
    if (!this.scheduled) {
      this.scheduled = true;
      this.clock.defer(deliverPair, this);
    }
    return true;
  }

  senderClosed(): void {
    const n = this.pendingCount;
    for (let i = 0; i < n; i++) this.pending[i]!.release();
    this.pendingCount = 0;
    this.from.stats.drops.down += n;
  }

  deliver(): void {
    this.scheduled = false;
    // Swap the arrays: frames sent from the receive handler go to the next batch.
    const batch = this.pending;
    const n = this.pendingCount;
    this.pending = this.delivering;
    this.pendingCount = 0;
    this.delivering = batch;
    const to = this.to;
    const memory = to.pool.bytes;
    for (let i = 0; i < n; i++) {
      const f = batch[i]!;
      if (f.next === null && f.bytes === memory && !f.isShared()) {
        to.rxAdopt(f);
      } else {
        to.rxCopyChain(f, f.next === null ? f.length : f.chainLength());
        f.release();
      }
    }
    to.rxFlush();
  }
}

function deliverPair(c: PairChannel): void {
  c.deliver();
}

/** Create two ports joined by an in-process pair. */
export function createPair(opts: PairOptions): SimPair {
  const limit = opts.queueFrames ?? Infinity;
  if (!(limit >= 1)) throw new RangeError(`pair option "queueFrames": expected a positive number, got ${String(opts.queueFrames)}`);
  const a = new SimPort({ ...opts.a, clock: opts.clock });
  const b = new SimPort({ ...opts.b, clock: opts.clock });
  a.attach(new PairChannel(opts.clock, a, b, limit));
  b.attach(new PairChannel(opts.clock, b, a, limit));
  return { a, b };
}
