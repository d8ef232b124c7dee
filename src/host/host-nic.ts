/**
 * HostNic: a Nic decorator that puts a device under a simulated host's CPU model
 * (DESIGN principle 6: "effects of a work item — frames sent — happen at its start
 * time plus its cost"; principle 7: "a frame arrived" is softirq work).
 *
 * Owns: the per-device receive backlog (NAPI-like polling with a budget and a
 * drop-tail limit, as Linux's netdev_max_backlog), and the deferral of transmits
 * made inside a work item to that item's completion time.
 * Must not: touch frame contents, or charge work itself (the stack reports
 * acct.packet() per frame it handles).
 *
 * Receive: frames from the inner device are queued (ownership moves to the
 * backlog) and one softirq poll is raised on the host's IRQ CPU (or `cpu`); the
 * poll hands up to `budget` frames to the Stack's handler as one batch, inside a
 * work item, and re-raises itself while frames remain. A frame arriving to a full
 * backlog is released and counted in `backlogDrops`.
 * Transmit: inside a work item the frame is buffered and handed to the inner
 * device when the item completes (transmit() then returns true; a later drop by
 * the device shows in its stats). Outside a work item it goes straight through.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Nic, NicCapabilities, NicReceiveHandler, NicStats } from '../link/nic.js';
import type { Host } from './scheduler.js';

export interface HostNicOptions {
  /** CPU that takes this device's interrupts (default: host.irqCpu). */
  cpu?: number;
  /** Frames handed to the stack per softirq poll (default 64, Linux's NAPI weight). */
  budget?: number;
  /** Receive backlog limit in frames (default 1000, Linux's netdev_max_backlog). */
  maxBacklog?: number;
}

/** A FIFO of frames: array + head index, compacted now and then. */
class FrameQueue {
  private items: (PacketBuffer | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(f: PacketBuffer): void {
    this.items.push(f);
  }
  shift(): PacketBuffer {
    const f = this.items[this.head]!;
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return f;
  }
}

function transmitOne(n: HostNic): void {
  n.flushOne();
}

function poll(n: HostNic): void {
  n.poll();
}

function checkInt(option: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw Object.assign(new RangeError(`${option} must be an integer in [${lo}, ${hi}]; got ${String(v)}`), { code: 'ERR_OUT_OF_RANGE' });
  }
  return v;
}

export class HostNic implements Nic {
  readonly name: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
  readonly capabilities: NicCapabilities;
  readonly cpu: number;
  readonly budget: number;
  readonly maxBacklog: number;
  /** Frames dropped because the receive backlog was full. */
  backlogDrops = 0;
  /** Softirq polls run. */
  polls = 0;

  private handler: NicReceiveHandler | null = null;
  private readonly rx = new FrameQueue();
  private readonly tx = new FrameQueue();
  private readonly batch: PacketBuffer[] = [];
  private pollScheduled = false;
  private closed = false;

  constructor(
    readonly inner: Nic,
    readonly host: Host,
    opts: HostNicOptions = {},
  ) {
    this.name = inner.name;
    this.mtu = inner.mtu;
    this.mac = inner.mac;
    this.capabilities = inner.capabilities;
    this.cpu = checkInt('cpu', opts.cpu ?? host.irqCpu, 0, host.cpus.length - 1);
    this.budget = checkInt('budget', opts.budget ?? 64, 1, 1 << 20);
    this.maxBacklog = checkInt('maxBacklog', opts.maxBacklog ?? 1000, 1, 1 << 24);
    inner.setReceiveHandler((frames, count) => this.onFrames(frames, count));
  }

  get stats(): NicStats {
    return this.inner.stats;
  }

  transmit(frame: PacketBuffer): boolean {
    if (!this.host.inWorkItem) return this.inner.transmit(frame);
    this.tx.push(frame);
    this.host.deferEffect(transmitOne, this);
    return true;
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    while (this.rx.length > 0) this.rx.shift().release();
    this.inner.close();
  }

  /** @internal effect: hand the oldest buffered frame to the device. */
  flushOne(): void {
    const f = this.tx.shift();
    if (this.closed) f.release();
    else this.inner.transmit(f);
  }

  /** @internal softirq: deliver up to `budget` frames to the stack. */
  poll(): void {
    this.polls++;
    const n = Math.min(this.budget, this.rx.length);
    const batch = this.batch;
    for (let i = 0; i < n; i++) batch[i] = this.rx.shift();
    if (this.rx.length > 0) this.host.softirq(poll, this, this.cpu);
    else this.pollScheduled = false;
    const h = this.handler;
    if (h === null) {
      for (let i = 0; i < n; i++) batch[i]!.release();
    } else if (n > 0) {
      h(batch, n);
    }
  }

  private onFrames(frames: readonly PacketBuffer[], count: number): void {
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      if (this.closed || this.rx.length >= this.maxBacklog) {
        f.release();
        if (!this.closed) this.backlogDrops++;
        continue;
      }
      this.rx.push(f);
    }
    if (!this.pollScheduled && this.rx.length > 0) {
      this.pollScheduled = true;
      this.host.softirq(poll, this, this.cpu);
    }
  }
}
