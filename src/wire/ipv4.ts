/**
 * IPv4 headers (RFC 791 §3.1): the 20-byte fixed header, options skipped by
 * length, the header checksum, and the checksum modes TCP/UDP/ICMP emitters share.
 *
 * Owns: the header layout, view accessors, parse (length/version validation) and
 * emit (20-byte header; computes the header checksum unless told not to).
 * Must not: reassemble fragments, route, or interpret options (src/ip does what
 * the stack needs). Emitting options is not supported: the stack never sends them.
 */
import { onesSum, finishChecksum } from './checksum.js';
import { readU16, readU32, writeU16, writeU32 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';

/** Field offsets (RFC 791 §3.1 "Internet Header Format"). */
export const Ipv4Field = {
  VER_IHL: 0,
  DSCP_ECN: 1, // RFC 2474 DSCP (6 bits) + RFC 3168 ECN (2 bits), formerly Type of Service
  TOTAL_LENGTH: 2,
  IDENTIFICATION: 4,
  FLAGS_FRAGMENT: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;

export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_MAX_HEADER_LEN = 60;
export const IPV4_MAX_TOTAL_LEN = 0xffff;

/** RFC 791 §3.1 Flags, as the 3-bit field value (bit 0 reserved, DF, MF). */
export const Ipv4Flag = {
  RESERVED: 0b100,
  DF: 0b010,
  MF: 0b001,
} as const;

/** IANA protocol numbers carried in the Protocol field. */
export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
} as const;

/** RFC 3168 §5 ECN codepoints. */
export const Ecn = {
  NOT_ECT: 0,
  ECT1: 1,
  ECT0: 2,
  CE: 3,
} as const;

/**
 * How a TCP/UDP/ICMP emitter fills its checksum field.
 *  - FULL: compute the complete checksum in software.
 *  - PSEUDO_HEADER: transmit offload, Linux CHECKSUM_PARTIAL semantics: the field
 *    holds the folded pseudo-header sum, NOT inverted (Linux writes
 *    `~csum_tcpudp_magic(...)`, i.e. the complement of the folded complement).
 *    The device sums from the L4 header to the end (field included) and stores
 *    the complement; tcpdump on Linux `lo` shows exactly these values. Meaningless
 *    for ICMP (no pseudo-header): ICMP emitters treat it as NONE.
 *  - NONE: write 0 (UDP: "no checksum", RFC 768; otherwise the caller fills it later).
 */
export const ChecksumMode = {
  FULL: 0,
  PSEUDO_HEADER: 1,
  NONE: 2,
} as const;
export type ChecksumMode = (typeof ChecksumMode)[keyof typeof ChecksumMode];

// --- view (valid after a successful parse) ---

export function ipv4Version(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.VER_IHL]! >>> 4;
}
/** Header length in bytes (IHL × 4). */
export function ipv4HeaderLength(bytes: Uint8Array, off: number): number {
  return (bytes[off + Ipv4Field.VER_IHL]! & 0x0f) * 4;
}
export function ipv4Dscp(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.DSCP_ECN]! >>> 2;
}
export function ipv4Ecn(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.DSCP_ECN]! & 3;
}
export function ipv4TotalLength(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + Ipv4Field.TOTAL_LENGTH);
}
export function ipv4Identification(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + Ipv4Field.IDENTIFICATION);
}
/** The 3-bit flags field (Ipv4Flag bits). */
export function ipv4Flags(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.FLAGS_FRAGMENT]! >>> 5;
}
/** Fragment offset in bytes (RFC 791: the field counts 8-octet units). */
export function ipv4FragmentOffset(bytes: Uint8Array, off: number): number {
  return (readU16(bytes, off + Ipv4Field.FLAGS_FRAGMENT) & 0x1fff) * 8;
}
export function ipv4Ttl(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.TTL]!;
}
export function ipv4Protocol(bytes: Uint8Array, off: number): number {
  return bytes[off + Ipv4Field.PROTOCOL]!;
}
export function ipv4Checksum(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + Ipv4Field.CHECKSUM);
}
export function ipv4Src(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + Ipv4Field.SRC);
}
export function ipv4Dst(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + Ipv4Field.DST);
}

// --- header checksum (RFC 791 §3.1 "Header Checksum", computed per RFC 1071) ---

/** Whether the header at `off` (IHL read from it; call after parse) verifies. */
export function ipv4HeaderChecksumValid(bytes: Uint8Array, off: number): boolean {
  return onesSum(bytes, off, ipv4HeaderLength(bytes, off)) === 0xffff;
}

/** The checksum field value for the header at `off`, computed as if the field were zero. */
export function ipv4HeaderChecksum(bytes: Uint8Array, off: number, headerLength: number): number {
  const beforeField = onesSum(bytes, off, Ipv4Field.CHECKSUM);
  const afterField = Ipv4Field.CHECKSUM + 2;
  return finishChecksum(onesSum(bytes, off + afterField, headerLength - afterField, beforeField));
}

/** Recompute and store the header checksum in place (e.g. after changing the TTL). */
export function writeIpv4HeaderChecksum(bytes: Uint8Array, off: number): void {
  writeU16(bytes, off + Ipv4Field.CHECKSUM, ipv4HeaderChecksum(bytes, off, ipv4HeaderLength(bytes, off)));
}

// --- repr ---

export class Ipv4Repr {
  /** Header length in bytes as received (IHL × 4). Emit always writes a 20-byte header. */
  headerLength = IPV4_MIN_HEADER_LEN;
  dscp = 0;
  /** Ecn codepoint. */
  ecn = 0;
  identification = 0;
  /** Ipv4Flag bits (DF, MF, RESERVED). */
  flags = 0;
  /** In bytes, a multiple of 8. */
  fragmentOffset = 0;
  ttl = 64;
  /** IpProtocol number. */
  protocol = 0;
  /** Header checksum as received (parse does not verify it; emit computes it). */
  checksum = 0;
  src = 0;
  dst = 0;
  /** Absolute offset and length of the options (0 length when IHL = 5). */
  optionsOffset = 0;
  optionsLength = 0;
  /** Absolute offset and length of the payload (total length − header length). */
  payloadOffset = 0;
  payloadLength = 0;
  /** Bytes after total length in the parsed range (e.g. Ethernet padding); ignored. */
  paddingLength = 0;
}

/**
 * Parse an IPv4 header. Validates version, IHL and total length against `len`
 * (RFC 1122 §3.2.1.1 / RFC 1812 §5.2.2); does not verify the checksum (see
 * ipv4HeaderChecksumValid) or look at options.
 */
export function parseIpv4Header(
  bytes: Uint8Array,
  off: number,
  len: number,
  out: Ipv4Repr = new Ipv4Repr(),
): Ipv4Repr | WireError {
  if (!hasBytes(bytes, off, len, IPV4_MIN_HEADER_LEN)) return WireErrors.truncated;
  const verIhl = bytes[off]!;
  // RFC 791 §3.1 Version: 4. RFC 1122 §3.2.1.1: silently discard other versions.
  if (verIhl >>> 4 !== 4) return WireErrors.badVersion;
  // RFC 791 §3.1 IHL: "the minimum value for a correct header is 5".
  const headerLength = (verIhl & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LEN) return WireErrors.badHeaderLength;
  if (headerLength > len) return WireErrors.truncated;
  // RFC 791 §3.1 Total Length: header and data; it cannot be less than the header.
  const totalLength = readU16(bytes, off + Ipv4Field.TOTAL_LENGTH);
  if (totalLength < headerLength) return WireErrors.badTotalLength;
  if (totalLength > len) return WireErrors.truncated;

  const tos = bytes[off + Ipv4Field.DSCP_ECN]!;
  const flagsFragment = readU16(bytes, off + Ipv4Field.FLAGS_FRAGMENT);
  out.headerLength = headerLength;
  out.dscp = tos >>> 2;
  out.ecn = tos & 3;
  out.identification = readU16(bytes, off + Ipv4Field.IDENTIFICATION);
  out.flags = flagsFragment >>> 13;
  out.fragmentOffset = (flagsFragment & 0x1fff) * 8; // RFC 791: measured in 8-octet units
  out.ttl = bytes[off + Ipv4Field.TTL]!;
  out.protocol = bytes[off + Ipv4Field.PROTOCOL]!;
  out.checksum = readU16(bytes, off + Ipv4Field.CHECKSUM);
  out.src = readU32(bytes, off + Ipv4Field.SRC);
  out.dst = readU32(bytes, off + Ipv4Field.DST);
  out.optionsOffset = off + IPV4_MIN_HEADER_LEN;
  out.optionsLength = headerLength - IPV4_MIN_HEADER_LEN;
  out.payloadOffset = off + headerLength;
  out.payloadLength = totalLength - headerLength;
  // Ethernet pads frames to 60 bytes: bytes beyond Total Length are not part of the datagram.
  out.paddingLength = len - totalLength;
  return out;
}

/** Emit writes no options: always 20. */
export function ipv4HeaderLen(_repr?: Ipv4Repr): number {
  return IPV4_MIN_HEADER_LEN;
}

/**
 * Write a 20-byte header at `off` with Total Length = 20 + repr.payloadLength.
 * Computes the header checksum unless `computeChecksum` is false (then writes 0).
 * Returns 20. Throws RangeError for a fragment offset that is not a multiple of 8
 * or a payload too large for one datagram (programming errors).
 */
export function emitIpv4Header(repr: Ipv4Repr, bytes: Uint8Array, off: number, computeChecksum = true): number {
  assertRoom(bytes, off, IPV4_MIN_HEADER_LEN, 'emitIpv4Header');
  const totalLength = IPV4_MIN_HEADER_LEN + repr.payloadLength;
  if (totalLength > IPV4_MAX_TOTAL_LEN || repr.payloadLength < 0) {
    throw new RangeError(`emitIpv4Header: payloadLength ${repr.payloadLength} does not fit a datagram`);
  }
  if ((repr.fragmentOffset & 7) !== 0 || repr.fragmentOffset < 0 || repr.fragmentOffset > 0x1fff * 8) {
    throw new RangeError(`emitIpv4Header: fragmentOffset ${repr.fragmentOffset} is not a multiple of 8 in 0..65528`);
  }
  bytes[off + Ipv4Field.VER_IHL] = 0x45;
  bytes[off + Ipv4Field.DSCP_ECN] = ((repr.dscp & 0x3f) << 2) | (repr.ecn & 3);
  writeU16(bytes, off + Ipv4Field.TOTAL_LENGTH, totalLength);
  writeU16(bytes, off + Ipv4Field.IDENTIFICATION, repr.identification);
  writeU16(bytes, off + Ipv4Field.FLAGS_FRAGMENT, ((repr.flags & 7) << 13) | (repr.fragmentOffset >>> 3));
  bytes[off + Ipv4Field.TTL] = repr.ttl;
  bytes[off + Ipv4Field.PROTOCOL] = repr.protocol;
  writeU16(bytes, off + Ipv4Field.CHECKSUM, 0);
  writeU32(bytes, off + Ipv4Field.SRC, repr.src);
  writeU32(bytes, off + Ipv4Field.DST, repr.dst);
  if (computeChecksum) {
    // RFC 791 §3.1: "For purposes of computing the checksum, the value of the checksum field is zero."
    writeU16(bytes, off + Ipv4Field.CHECKSUM, finishChecksum(onesSum(bytes, off, IPV4_MIN_HEADER_LEN)));
  }
  return IPV4_MIN_HEADER_LEN;
}
