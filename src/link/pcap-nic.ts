/**
 * PcapNic: a Nic decorator (STYLE lesson 9) that records every frame the stack
 * transmits and every frame the device delivers, with the Clock's time, into a
 * capture writer (src/link/pcap-file.ts PcapWriter) — tcpdump on the interface.
 *
 * Owns: nothing but the tap. The wrapped Nic keeps its own state and statistics.
 * Must not: change frames, ownership or timing, or close the writer (whoever
 * opened the capture closes it).
 *
 * What the capture shows: transmitted frames as handed to the device, before
 * the device looks at them — frames the device then drops (tooBig, queueFull…)
 * are still recorded, and a frame marked CSUM_PARTIAL shows the pseudo-header
 * sum in its checksum field, exactly as tcpdump on Linux does with tx offload.
 * Received frames are recorded as delivered to the stack, at delivery time.
 * For what is on the wire itself (padded, checksums filled in, impairments
 * applied) capture on the wire instead (WireDirection.departureCaptures /
 * arrivalCaptures, or Network.capture).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Clock } from '../time/clock.js';
import type { Nic } from './nic.js';
import { NicDecorator } from './nic-decorator.js';

/** Where a PcapNic writes; PcapWriter satisfies it. */
export interface FrameCapture {
  /** Record one frame (a chain is one frame) at `timeNs`. Must not keep the buffer. */
  writeChain(timeNs: number, frame: PacketBuffer): void;
}

export interface PcapNicOptions {
  /** Which frames to record (default 'both'). */
  direction?: 'both' | 'tx' | 'rx';
}

export class PcapNic extends NicDecorator {
  private readonly captureTx: boolean;
  private readonly captureRx: boolean;

  constructor(
    inner: Nic,
    readonly writer: FrameCapture,
    readonly clock: Clock,
    opts: PcapNicOptions = {},
  ) {
    super(inner);
    const dir = opts.direction ?? 'both';
    if (dir !== 'both' && dir !== 'tx' && dir !== 'rx') {
      throw new TypeError(`PcapNic option "direction": expected 'both', 'tx' or 'rx', got ${String(opts.direction)}`);
    }
    this.captureTx = dir !== 'rx';
    this.captureRx = dir !== 'tx';
  }

  override transmit(frame: PacketBuffer): boolean {
    if (this.captureTx) this.writer.writeChain(this.clock.now(), frame);
    return this.inner.transmit(frame);
  }

  protected override receive(frames: readonly PacketBuffer[], count: number): void {
    if (this.captureRx) {
      const now = this.clock.now();
      for (let i = 0; i < count; i++) this.writer.writeChain(now, frames[i]!);
    }
    this.deliver(frames, count);
  }
}
