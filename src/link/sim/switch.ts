/**
 * A learning L2 switch (IEEE 802.1D transparent bridging, without spanning tree):
 * N SimPorts, each wired to a host port; source-MAC learning, unicast forwarding
 * to the learned port, flooding of broadcast/multicast/unknown destinations.
 *
 * Owns: the forwarding table (MAC → port, with optional aging) and the
 * forwarding decision; switch-level counters. Per-port counters are the ports'
 * NicStats (rx = frames from the host, tx = frames to the host, drops).
 * Must not: model forwarding latency (frames are forwarded the moment they have
 * fully arrived: store-and-forward with zero processing time), modify frames, or
 * loop: there is no spanning tree, so switches must be connected as a tree.
 *
 * Buffers: the switch's ports receive into the switch's own PacketPool (its
 * packet memory); a frame waiting in an output queue holds switch memory, and an
 * exhausted pool drops arrivals as 'noBuffer'. A flooded frame is shared by the
 * output ports by reference (retain), never copied or written.
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { PacketPool } from '../../buf/pool.js';
import type { Clock, Nanos } from '../../time/clock.js';
import { readU16, readU32 } from '../../wire/address.js';
import { EthernetField } from '../../wire/ethernet.js';
import { SimPort, type SimPortOptions } from './port.js';

export interface SwitchOptions {
  name: string;
  clock: Clock;
  pool: PacketPool;
  /**
   * Forget a learned address after this many ns without a frame from it (802.1D
   * default 300 s); 0 or Infinity never ages. Stale entries are treated as unknown
   * (the frame is flooded) and refreshed when the station sends again.
   */
  agingTime?: Nanos;
}

export interface SwitchStats {
  /** Frames sent out of exactly one learned port. */
  forwarded: number;
  /** Frames sent out of every other port (broadcast, multicast, unknown or aged destination). */
  flooded: number;
  /** Frames dropped because the destination is learned on the port they came in on. */
  filtered: number;
  /** Addresses learned or moved to a new port. */
  learned: number;
}

/** 802.1D §7.9.2 recommended default aging time: 300 s. */
export const DEFAULT_AGING_TIME: Nanos = 300_000_000_000;

class MacEntry {
  constructor(
    public port: number,
    public seen: Nanos,
  ) {}
}

/** A 48-bit MAC as an exact JS number (no allocation). */
function macKey(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off) * 0x1_0000_0000 + readU32(bytes, off + 2);
}

export class LearningSwitch {
  readonly name: string;
  readonly clock: Clock;
  readonly pool: PacketPool;
  readonly agingTime: Nanos;
  readonly ports: SimPort[] = [];
  readonly stats: SwitchStats = { forwarded: 0, flooded: 0, filtered: 0, learned: 0 };
  private readonly table = new Map<number, MacEntry>();

  constructor(opts: SwitchOptions) {
    const aging = opts.agingTime ?? DEFAULT_AGING_TIME;
    if (!(aging >= 0)) throw new RangeError(`switch option "agingTime": expected a duration >= 0, got ${String(aging)}`);
    this.name = opts.name;
    this.clock = opts.clock;
    this.pool = opts.pool;
    this.agingTime = aging === 0 ? Infinity : aging;
  }

  /** Add a port (not yet wired) using the switch's pool and clock. */
  addPort(opts: Omit<SimPortOptions, 'pool' | 'clock'>): SimPort {
    return this.adoptPort(new SimPort({ ...opts, pool: this.pool, clock: this.clock }));
  }

  /** Make an existing port (normally built on the switch's pool and clock) the switch's next port. */
  adoptPort(port: SimPort): SimPort {
    const index = this.ports.length;
    this.ports.push(port);
    // One closure per port, created once: the handler signature carries no context.
    port.setReceiveHandler((frames, count) => this.input(index, frames, count));
    return port;
  }

  /** The port a MAC address (6 bytes) is learned on and fresh, or -1. */
  lookup(mac: Uint8Array): number {
    return this.find(macKey(mac, 0));
  }

  /** Number of entries in the forwarding table (fresh or stale). */
  get tableSize(): number {
    return this.table.size;
  }

  private find(key: number): number {
    const e = this.table.get(key);
    if (e === undefined) return -1;
    if (this.clock.now() - e.seen > this.agingTime) return -1;
    return e.port;
  }

  private input(inPort: number, frames: readonly PacketBuffer[], count: number): void {
    const now = this.clock.now();
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      const bytes = f.bytes;
      const off = f.head;
      // 802.1D §7.8: learn the source address unless it is a group address.
      if ((bytes[off + EthernetField.SRC]! & 1) === 0) {
        const key = macKey(bytes, off + EthernetField.SRC);
        const e = this.table.get(key);
        if (e === undefined) {
          this.table.set(key, new MacEntry(inPort, now));
          this.stats.learned++;
        } else {
          if (e.port !== inPort) this.stats.learned++;
          e.port = inPort;
          e.seen = now;
        }
      }
      // Group (broadcast/multicast) destination: I/G bit of the first octet.
      const out = (bytes[off + EthernetField.DST]! & 1) !== 0 ? -1 : this.find(macKey(bytes, off + EthernetField.DST));
      if (out === inPort) {
        this.stats.filtered++;
        f.release();
      } else if (out >= 0) {
        this.stats.forwarded++;
        this.ports[out]!.transmit(f);
      } else {
        this.flood(inPort, f);
      }
    }
  }

  private flood(inPort: number, f: PacketBuffer): void {
    this.stats.flooded++;
    const ports = this.ports;
    let last = -1;
    for (let p = 0; p < ports.length; p++) {
      if (p === inPort || ports[p]!.closed || !ports[p]!.connected) continue;
      // Every output but the last gets its own reference; the last takes ours.
      if (last >= 0) ports[last]!.transmit(f.retain());
      last = p;
    }
    if (last >= 0) ports[last]!.transmit(f);
    else f.release();
  }
}
