/**
 * The `direct` and `zerocopy` receive paths (issue F; background/receive-path.md §2,
 * "Modern Linux"): every segment is verified and processed when it arrives, in
 * softirq context — the checksum in software only when the NIC did not verify it
 * (TcpLayer.checksumOk: acct.csum) — and the ACK rules apply at once (the 2·MSS
 * rule included). The reader later copies data out (`direct`: RecvBuffer.read,
 * acct.copy) or takes the packet buffers themselves (`zerocopy`: readers that can
 * use Endpoint.recvViews do, and nothing is copied or counted).
 *
 * Owns: the two strategy objects. Same processing as tcp-layer.ts's built-in
 * DIRECT_RECEIVE_PATH; the difference is that these attach the per-connection
 * receive-path state (tcb.rx), so ACK delays are measured and the path can be
 * chosen per socket.
 * Must not: queue segments (nothing here ever defers processing).
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { TcpRepr } from '../../wire/tcp.js';
import type { Tcb } from '../tcb.js';
import type { TcpLayer } from '../tcp-layer.js';
import { rxStateOf, type RxState, type RxStrategy } from './state.js';

export class DirectPath implements RxStrategy {
  constructor(
    readonly name: string,
    readonly zeroCopy: boolean,
  ) {}

  deliver(layer: TcpLayer, tcb: Tcb | null, pkt: PacketBuffer, src: number, dst: number, repr: TcpRepr): void {
    let rx = tcb !== null ? tcb.rx : null;
    if (tcb !== null && rx === null && tcb.listenState === null) rx = rxStateOf(tcb);
    if (rx !== null && rx.backlogIfOwned(tcb!, pkt, src, dst)) return; // a process owns the socket
    layer.verifyAndProcess(tcb, pkt, src, dst, repr);
  }

  /** A plain copy (acct.copy). Zero-copy readers call Endpoint.recvViews instead. */
  read(tcb: Tcb, dst: Uint8Array, off: number, len: number): number {
    return tcb.recvBuf.read(dst, off, len);
  }

  flushQueued(_tcb: Tcb, _rx: RxState): void {
    // Never queues.
  }
}

export const DIRECT_PATH = new DirectPath('direct', false);
export const ZEROCOPY_PATH = new DirectPath('zerocopy', true);
