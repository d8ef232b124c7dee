/**
 * ARP packets (RFC 826) for IPv4 over Ethernet: the only combination zerostack
 * resolves (hardware type 1, protocol type 0x0800, lengths 6 and 4).
 *
 * Owns: the 28-byte Ethernet/IPv4 ARP layout, its view accessors, parse and emit.
 * Must not: keep a cache or decide replies (src/ip/arp does).
 */
import { copyMac, MAC_LENGTH, readU16, readU32, writeU16, writeU32 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';

/** Field offsets (RFC 826 "Packet format": ar$hrd, ar$pro, ar$hln, ar$pln, ar$op, ar$sha, …). */
export const ArpField = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  SHA: 8,
  SPA: 14,
  THA: 18,
  TPA: 24,
} as const;

/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_LEN = 28;

/** RFC 826 ar$hrd: Ethernet (10Mb) = 1 (IANA ARP parameters). */
export const ARP_HTYPE_ETHERNET = 1;
/** RFC 826 ar$pro: an EtherType; IPv4 = 0x0800. */
export const ARP_PTYPE_IPV4 = 0x0800;

/** RFC 826 ar$op. */
export const ArpOp = {
  REQUEST: 1,
  REPLY: 2,
} as const;

// --- view (valid after a successful parse) ---

export function arpHardwareType(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + ArpField.HTYPE);
}
export function arpProtocolType(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + ArpField.PTYPE);
}
export function arpOperation(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + ArpField.OPER);
}
/** Sender protocol (IPv4) address. */
export function arpSpa(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + ArpField.SPA);
}
/** Target protocol (IPv4) address. */
export function arpTpa(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + ArpField.TPA);
}

// --- repr ---

export class ArpRepr {
  /** ArpOp.REQUEST or ArpOp.REPLY (other values are reported as they are). */
  op = 0;
  /** Sender hardware address (allocated once per repr). */
  readonly sha = new Uint8Array(MAC_LENGTH);
  /** Sender protocol address (IPv4, unsigned 32-bit). */
  spa = 0;
  /** Target hardware address (all zero in requests). */
  readonly tha = new Uint8Array(MAC_LENGTH);
  tpa = 0;
}

/**
 * Parse an ARP packet. Trailing bytes (Ethernet padding to 60 bytes) are ignored.
 * Anything but Ethernet/IPv4 ARP returns 'unsupported'.
 */
export function parseArp(bytes: Uint8Array, off: number, len: number, out: ArpRepr = new ArpRepr()): ArpRepr | WireError {
  // The fixed part (hrd, pro, hln, pln) must be present before we can judge the lengths.
  if (!hasBytes(bytes, off, len, ArpField.OPER)) return WireErrors.truncated;
  // RFC 826: "?Do I have the hardware type in ar$hrd?" / "?Do I speak the protocol in ar$pro?"
  if (
    readU16(bytes, off + ArpField.HTYPE) !== ARP_HTYPE_ETHERNET ||
    readU16(bytes, off + ArpField.PTYPE) !== ARP_PTYPE_IPV4 ||
    bytes[off + ArpField.HLEN] !== MAC_LENGTH ||
    bytes[off + ArpField.PLEN] !== 4
  ) {
    return WireErrors.unsupported;
  }
  if (len < ARP_LEN) return WireErrors.truncated;
  out.op = readU16(bytes, off + ArpField.OPER);
  copyMac(bytes, off + ArpField.SHA, out.sha, 0);
  out.spa = readU32(bytes, off + ArpField.SPA);
  copyMac(bytes, off + ArpField.THA, out.tha, 0);
  out.tpa = readU32(bytes, off + ArpField.TPA);
  return out;
}

export function arpHeaderLen(_repr?: ArpRepr): number {
  return ARP_LEN;
}

/** Write a 28-byte Ethernet/IPv4 ARP packet at `off`; returns 28. */
export function emitArp(repr: ArpRepr, bytes: Uint8Array, off: number): number {
  assertRoom(bytes, off, ARP_LEN, 'emitArp');
  writeU16(bytes, off + ArpField.HTYPE, ARP_HTYPE_ETHERNET);
  writeU16(bytes, off + ArpField.PTYPE, ARP_PTYPE_IPV4);
  bytes[off + ArpField.HLEN] = MAC_LENGTH;
  bytes[off + ArpField.PLEN] = 4;
  writeU16(bytes, off + ArpField.OPER, repr.op);
  copyMac(repr.sha, 0, bytes, off + ArpField.SHA);
  writeU32(bytes, off + ArpField.SPA, repr.spa);
  copyMac(repr.tha, 0, bytes, off + ArpField.THA);
  writeU32(bytes, off + ArpField.TPA, repr.tpa);
  return ARP_LEN;
}
