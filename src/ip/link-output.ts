/**
 * The last step of every transmit: prepend the Ethernet II header (RFC 894)
 * and hand the frame to the interface's NIC.
 *
 * Owns: Ethernet header writing on transmit and the per-frame accounting of
 * the transmit direction (one acct.packet() per frame handed to a NIC).
 * Must not: resolve addresses (arp.ts) or fragment (ipv4-output.ts).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { copyMac, writeU16 } from '../wire/address.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetField } from '../wire/ethernet.js';
import { ensureHeadroom } from './chain.js';
import type { IpContext } from './context.js';
import type { Interface } from './interface.js';

/**
 * Prepend Ethernet (dst = mac[macOff…+6], src = the interface's MAC) and
 * transmit. Takes ownership of `pkt` (head at the L3 header). Returns false
 * when the frame was dropped (no buffer for the header, or the NIC refused it).
 */
export function sendFrame(
  ctx: IpContext,
  pkt: PacketBuffer,
  iface: Interface,
  mac: Uint8Array,
  macOff: number,
  ethertype: number,
): boolean {
  const frame = ensureHeadroom(ctx.pool, pkt, ETHERNET_HEADER_LEN);
  if (frame === null) {
    ctx.counters.drops.noBuffer++;
    pkt.release();
    return false;
  }
  const h = frame.prepend(ETHERNET_HEADER_LEN);
  const b = frame.bytes;
  copyMac(mac, macOff, b, h + EthernetField.DST);
  copyMac(iface.mac, 0, b, h + EthernetField.SRC);
  writeU16(b, h + EthernetField.ETHERTYPE, ethertype);
  ctx.acct.packet();
  if (ethertype === EtherType.IPV4) ctx.counters.ip.OutTransmits++;
  if (!iface.nic.transmit(frame)) {
    ctx.counters.drops.nicDrop++;
    return false;
  }
  return true;
}
