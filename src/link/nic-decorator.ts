/**
 * NicDecorator: the base of Nic decorators (STYLE lesson 9: pcap capture, fault
 * injection, tracing wrap a Nic and keep its interface).
 *
 * Owns: forwarding everything to the wrapped Nic, and the receive plumbing — one
 * handler installed on the inner Nic (one closure per decorator, none per frame)
 * that calls `receive`, which by default hands the batch to the stack's handler.
 * Subclasses override `transmit` and/or `receive` only.
 * Must not: keep frames; ownership rules are the Nic's (src/link/nic.ts).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Nic, NicCapabilities, NicReceiveHandler, NicStats } from './nic.js';

export abstract class NicDecorator implements Nic {
  /** The stack's handler, or null before setReceiveHandler. */
  protected handler: NicReceiveHandler | null = null;
  private readonly onReceive: NicReceiveHandler = (frames, count) => this.receive(frames, count);

  constructor(readonly inner: Nic) {}

  get name(): string {
    return this.inner.name;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  get mac(): Uint8Array {
    return this.inner.mac;
  }
  get capabilities(): NicCapabilities {
    return this.inner.capabilities;
  }
  get stats(): NicStats {
    return this.inner.stats;
  }

  transmit(frame: PacketBuffer): boolean {
    return this.inner.transmit(frame);
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
    this.inner.setReceiveHandler(this.onReceive);
  }

  close(): void {
    this.inner.close();
  }

  /** A batch from the inner Nic; the default passes it on (or releases it when no handler is set). */
  protected receive(frames: readonly PacketBuffer[], count: number): void {
    this.deliver(frames, count);
  }

  /** Hand a batch to the stack's handler; without one, the frames are released. */
  protected deliver(frames: readonly PacketBuffer[], count: number): void {
    const h = this.handler;
    if (h !== null) h(frames, count);
    else for (let i = 0; i < count; i++) frames[i]!.release();
  }
}
