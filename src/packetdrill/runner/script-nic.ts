/**
 * ScriptNic: the test link between a packetdrill script and the stack under
 * test. The script side injects IPv4 packets (`<` events) as Ethernet frames
 * from the gateway; every frame the stack transmits is copied out, stamped
 * with the virtual time and queued for the `>` events to consume.
 *
 * Owns: the two queues and Ethernet framing. Must not: interpret TCP (the
 * runner's packet modules do) or keep the stack's buffers (each transmitted
 * frame is copied and released at once).
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { PacketPool } from '../../buf/pool.js';
import { emptyNicStats, type Nic, type NicCapabilities, type NicReceiveHandler, type NicStats } from '../../link/nic.js';
import type { Clock } from '../../time/clock.js';
import { ETHERNET_HEADER_LEN, EtherType } from '../../wire/ethernet.js';

/** One frame the stack sent: the IPv4 packet (Ethernet header removed) and when. */
export interface SentPacket {
  /** Virtual time in ns. */
  readonly at: number;
  /** The IPv4 packet bytes. */
  readonly ip: Uint8Array;
  /** EtherType of the frame (only IPv4 frames carry TCP). */
  readonly etherType: number;
}

export const STACK_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
export const GATEWAY_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x02);

export class ScriptNic implements Nic {
  readonly name = 'pd0';
  readonly mac = STACK_MAC;
  readonly capabilities: NicCapabilities;
  readonly stats: NicStats = emptyNicStats();
  /** Frames sent by the stack and not yet consumed by a `>` event, oldest first. */
  readonly sent: SentPacket[] = [];
  private handler: NicReceiveHandler | null = null;
  private readonly batch: PacketBuffer[] = [];
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly pool: PacketPool,
    readonly mtu: number,
  ) {
    // No offloads: the stack computes and verifies every checksum itself, so
    // what it sends is what the script checks (packetdrill sees the wire).
    this.capabilities = { rxChecksum: 'none', txChecksumOffload: false, maxFrameSize: mtu + ETHERNET_HEADER_LEN };
  }

  transmit(frame: PacketBuffer): boolean {
    const total = frame.chainLength();
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let b: PacketBuffer | null = frame; b !== null; b = b.next) {
      bytes.set(b.bytes.subarray(b.head, b.tail), at);
      at += b.tail - b.head;
    }
    frame.release();
    if (this.closed) {
      this.stats.drops.down++;
      return false;
    }
    this.stats.txFrames++;
    this.stats.txBytes += total;
    if (total < ETHERNET_HEADER_LEN) return true;
    const etherType = (bytes[12]! << 8) | bytes[13]!;
    this.sent.push({ at: this.clock.now(), ip: bytes.subarray(ETHERNET_HEADER_LEN), etherType });
    return true;
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
  }

  /** Deliver one IPv4 packet to the stack as a frame from the gateway. False if the pool is empty. */
  inject(ip: Uint8Array): boolean {
    if (this.closed || this.handler === null) return false;
    const frame = this.pool.alloc(ETHERNET_HEADER_LEN + ip.length);
    if (frame === null) {
      this.stats.drops.noBuffer++;
      return false;
    }
    frame.append(ETHERNET_HEADER_LEN + ip.length);
    const b = frame.bytes;
    const h = frame.head;
    b.set(STACK_MAC, h);
    b.set(GATEWAY_MAC, h + 6);
    b[h + 12] = EtherType.IPV4 >>> 8;
    b[h + 13] = EtherType.IPV4 & 0xff;
    b.set(ip, h + ETHERNET_HEADER_LEN);
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
    this.batch[0] = frame;
    this.handler(this.batch, 1);
    return true;
  }

  close(): void {
    this.closed = true;
  }
}
