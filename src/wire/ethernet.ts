/**
 * Ethernet II frames (DIX / RFC 894): destination and source MAC, EtherType, payload.
 *
 * Owns: the 14-byte header layout, its view accessors, parse and emit.
 * Must not: pad short frames or handle the FCS (links do; frames here exclude the
 * FCS), or dispatch on EtherType (src/ip does).
 *
 * 802.1Q: a VLAN-tagged frame parses with `ethertype` 0x8100 (EtherType.VLAN) and
 * the payload starting at the tag control field; the tag is not skipped, so the
 * IP layer drops it as an unknown EtherType. Values < 0x0600 are IEEE 802.3
 * lengths (LLC frames) and are likewise reported as they are.
 */
import { copyMac, MAC_LENGTH, readU16, writeU16 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';

/** Field offsets from the start of the frame. */
export const EthernetField = {
  DST: 0,
  SRC: 6,
  ETHERTYPE: 12,
  PAYLOAD: 14,
} as const;

export const ETHERNET_HEADER_LEN = 14;
/** IEEE 802.3 minimum frame (64) without the 4-byte FCS; senders pad to this. */
export const ETHERNET_MIN_FRAME_LEN = 60;

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
} as const;

// --- view: read fields in place (valid after a successful parse) ---

export function ethernetEtherType(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + EthernetField.ETHERTYPE);
}

// MAC fields are compared in place with macEquals(bytes, off + EthernetField.DST, mac)
// or isBroadcastMac/isMulticastMac from address.ts.

// --- repr ---

export class EthernetRepr {
  /** Destination and source MAC, copied in on parse (6 bytes each, allocated once per repr). */
  readonly dst = new Uint8Array(MAC_LENGTH);
  readonly src = new Uint8Array(MAC_LENGTH);
  ethertype = 0;
  /** Absolute offset of the payload in the parsed bytes, and its length. */
  payloadOffset = 0;
  payloadLength = 0;
}

export function parseEthernet(
  bytes: Uint8Array,
  off: number,
  len: number,
  out: EthernetRepr = new EthernetRepr(),
): EthernetRepr | WireError {
  if (!hasBytes(bytes, off, len, ETHERNET_HEADER_LEN)) return WireErrors.truncated;
  copyMac(bytes, off + EthernetField.DST, out.dst, 0);
  copyMac(bytes, off + EthernetField.SRC, out.src, 0);
  out.ethertype = readU16(bytes, off + EthernetField.ETHERTYPE);
  out.payloadOffset = off + ETHERNET_HEADER_LEN;
  out.payloadLength = len - ETHERNET_HEADER_LEN;
  return out;
}

export function ethernetHeaderLen(_repr?: EthernetRepr): number {
  return ETHERNET_HEADER_LEN;
}

/** Write the 14-byte header at `off`; returns 14. The payload is the caller's. */
export function emitEthernet(repr: EthernetRepr, bytes: Uint8Array, off: number): number {
  assertRoom(bytes, off, ETHERNET_HEADER_LEN, 'emitEthernet');
  copyMac(repr.dst, 0, bytes, off + EthernetField.DST);
  copyMac(repr.src, 0, bytes, off + EthernetField.SRC);
  writeU16(bytes, off + EthernetField.ETHERTYPE, repr.ethertype);
  return ETHERNET_HEADER_LEN;
}
