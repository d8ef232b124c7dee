/**
 * Ipv4Layer: what `stack.ip` is — the Ipv4Output contract for transport
 * protocols (docs/ARCHITECTURE.md), protocol registration, and a few queries.
 *
 * Owns: nothing but delegation to the output path (ipv4-output.ts), the input
 * path (ipv4-input.ts) and the protocol table in the IpContext.
 * Must not: hold per-packet state.
 *
 * TCP plugs in with `stack.ip.registerProtocol(6, tcpLayer)` and sends with
 * `stack.ip.output(pkt, src, dst, 6, { df: true })`.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { IpContext } from './context.js';
import type { ReassemblyStats } from './reassembly.js';
import type { Ipv4Output, Ipv4OutputOptions, TransportProtocol } from './types.js';

export class Ipv4Layer implements Ipv4Output {
  constructor(private readonly ctx: IpContext) {}

  output(pkt: PacketBuffer, src: number, dst: number, protocol: number, opts?: Ipv4OutputOptions): number {
    return this.ctx.tx.output(pkt, src, dst, protocol, opts);
  }

  sourceFor(dst: number): number {
    return this.ctx.tx.sourceFor(dst >>> 0);
  }

  mtuFor(dst: number): number {
    return this.ctx.tx.mtuFor(dst >>> 0);
  }

  isLocalAddress(addr: number): boolean {
    return this.ctx.isLocalAddress(addr >>> 0);
  }

  /**
   * Whether a datagram of `total` bytes to dst would leave through a NIC that
   * completes CSUM_PARTIAL checksums (true for loopback, which needs none). A
   * transport may then mark segments CSUM_PARTIAL; output() falls back to
   * software anyway when the guess turns out wrong.
   */
  checksumOffloadFor(dst: number, total: number): boolean {
    return this.ctx.tx.checksumOffloadFor(dst >>> 0, total);
  }

  /**
   * The optional query src/tcp asks (tcp-layer.ts Ipv4Output.txChecksumOffload):
   * whether the route to dst goes out through a NIC that completes CSUM_PARTIAL
   * checksums, or loops back (where no checksum is needed). Datagrams that end
   * up fragmented are completed in software by output() regardless.
   */
  txChecksumOffload(dst: number): boolean {
    return this.ctx.tx.checksumOffloadFor(dst >>> 0, 0);
  }

  /**
   * Register the handler of IP protocol `protocol` (0..255). Replacing an
   * existing handler throws (ICMP, 1, and UDP, 17, are registered by the
   * Stack); pass null to unregister.
   */
  registerProtocol(protocol: number, handler: TransportProtocol | null): void {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
      throw new RangeError(`registerProtocol: protocol must be an integer in 0..255; got ${String(protocol)}`);
    }
    if (handler !== null && (typeof handler.input !== 'function' || typeof handler.icmpError !== 'function')) {
      throw new TypeError('registerProtocol: handler must implement TransportProtocol (input, icmpError)');
    }
    if (handler !== null && this.ctx.protocols[protocol] !== null) {
      throw new Error(`registerProtocol: protocol ${protocol} already has a handler`);
    }
    this.ctx.protocols[protocol] = handler;
  }

  /** Incomplete datagrams awaiting reassembly and the bytes they hold. */
  get reassembly(): ReassemblyStats {
    return this.ctx.rx.reassembler.stats;
  }
}
