/**
 * What a Stack sees of a network device (NIC): the contract between the stack
 * and every link driver (simulated wire/switch port, TAP, UDP, QEMU, in-process pair).
 *
 * Owns: the device interface, its capabilities and its statistics shape.
 * Must not: know about IP or TCP. Decorators (pcap, tracing, fault injection)
 * implement this same interface around another Nic (STYLE lesson 9).
 *
 * Ownership (see src/buf/README.md):
 *  - transmit(frame): ownership of the whole chain passes to the NIC, which
 *    releases it when the frame has left (or was dropped). The caller must not
 *    touch the buffers afterwards (it may keep its own retained clone).
 *  - receive: the NIC hands each received frame to the handler; ownership passes
 *    to the handler, which must release it (or keep it, e.g. queued for a reader).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';

/** Receive checksum capability of a device, as Linux's ip_summed on receive. */
export type RxChecksumCapability = 'none' | 'unnecessary' | 'complete';

export interface NicCapabilities {
  /**
   * 'none': frames arrive with csumState NONE; software must verify.
   * 'unnecessary': the device verified L4 checksums (csumState UNNECESSARY on good frames).
   * 'complete': the device supplies the ones'-complement sum of the L3 payload (csumState COMPLETE, csumValue).
   */
  readonly rxChecksum: RxChecksumCapability;
  /** The device fills in L4 checksums of frames marked csumState PARTIAL. */
  readonly txChecksumOffload: boolean;
  /** Largest frame (Ethernet header included, FCS excluded) the device accepts. */
  readonly maxFrameSize: number;
}

/** Why a device dropped a frame. One counter per reason. */
export type NicDropReason =
  | 'queueFull' // drop-tail queue overflow
  | 'loss' // impairment: random or burst loss
  | 'corrupt' // delivered corrupted frames are counted by the receiver; this counts frames the link discarded
  | 'tooBig' // frame larger than maxFrameSize / MTU
  | 'noBuffer' // receive pool exhausted
  | 'down' // link or device is down / closed
  | 'malformed'; // e.g. shorter than an Ethernet header

export interface NicStats {
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
  drops: Record<NicDropReason, number>;
}

export function emptyNicStats(): NicStats {
  return {
    txFrames: 0,
    txBytes: 0,
    rxFrames: 0,
    rxBytes: 0,
    drops: { queueFull: 0, loss: 0, corrupt: 0, tooBig: 0, noBuffer: 0, down: 0, malformed: 0 },
  };
}

/**
 * Called with a batch of received frames: frames[0..count-1]. The array is owned
 * by the NIC and reused for the next batch; the frames themselves now belong to the handler.
 */
export type NicReceiveHandler = (frames: readonly PacketBuffer[], count: number) => void;

export interface Nic {
  /** A name for logs and errors, e.g. 'h1-eth0' or 'tap0'. */
  readonly name: string;
  /** IP MTU (max L3 packet size), e.g. 1500. Frame size is mtu + 14 (Ethernet header). */
  readonly mtu: number;
  /** 6-byte MAC address. */
  readonly mac: Uint8Array;
  readonly capabilities: NicCapabilities;
  readonly stats: NicStats;
  /**
   * Queue a frame (Ethernet header included; a chain of buffers is one frame) for
   * transmission. Returns false if the frame was dropped (counted in stats.drops);
   * ownership passes to the NIC either way.
   */
  transmit(frame: PacketBuffer): boolean;
  /** Install the receive handler (one per NIC; replaces any previous one). */
  setReceiveHandler(handler: NicReceiveHandler): void;
  /** Stop the device: release queued frames, stop delivering. Idempotent. */
  close(): void;
}
