/**
 * UDP datagrams (RFC 768): ports, length, checksum over the IPv4 pseudo-header.
 *
 * Owns: the 8-byte header layout, view accessors, parse, emit, and the checksum
 * (full, from a precomputed payload sum, or pseudo-header only for offload).
 * Must not: demultiplex to sockets or decide whether a checksum is required.
 */
import { finishChecksum, pseudoHeaderSum, type ChecksumEngine } from './checksum.js';
import { readU16, writeU16 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';
import { ChecksumMode, IpProtocol } from './ipv4.js';

/** Field offsets (RFC 768 "Format"). */
export const UdpField = {
  SRC_PORT: 0,
  DST_PORT: 2,
  LENGTH: 4,
  CHECKSUM: 6,
  PAYLOAD: 8,
} as const;

export const UDP_HEADER_LEN = 8;

// --- view (valid after a successful parse) ---

export function udpSrcPort(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + UdpField.SRC_PORT);
}
export function udpDstPort(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + UdpField.DST_PORT);
}
/** Header plus data, in bytes. */
export function udpLength(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + UdpField.LENGTH);
}
export function udpChecksumField(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + UdpField.CHECKSUM);
}
export function setUdpChecksumField(bytes: Uint8Array, off: number, value: number): void {
  writeU16(bytes, off + UdpField.CHECKSUM, value);
}

// --- repr ---

export class UdpRepr {
  srcPort = 0;
  dstPort = 0;
  /** As received; 0 means the sender computed none (RFC 768). Emit ignores it. */
  checksum = 0;
  /** Absolute offset and length of the data (Length − 8). */
  payloadOffset = 0;
  payloadLength = 0;
}

/**
 * Parse a UDP header. `len` is what the IP layer delivered; the datagram is
 * Length bytes of it (bytes beyond are ignored). Does not verify the checksum.
 */
export function parseUdp(bytes: Uint8Array, off: number, len: number, out: UdpRepr = new UdpRepr()): UdpRepr | WireError {
  if (!hasBytes(bytes, off, len, UDP_HEADER_LEN)) return WireErrors.truncated;
  // RFC 768: "Length is the length in octets of this user datagram including this header
  // and the data. (This means the minimum value of the length is eight.)"
  const length = readU16(bytes, off + UdpField.LENGTH);
  if (length < UDP_HEADER_LEN) return WireErrors.badLength;
  if (length > len) return WireErrors.truncated;
  out.srcPort = readU16(bytes, off + UdpField.SRC_PORT);
  out.dstPort = readU16(bytes, off + UdpField.DST_PORT);
  out.checksum = readU16(bytes, off + UdpField.CHECKSUM);
  out.payloadOffset = off + UDP_HEADER_LEN;
  out.payloadLength = length - UDP_HEADER_LEN;
  return out;
}

export function udpHeaderLen(_repr?: UdpRepr): number {
  return UDP_HEADER_LEN;
}

/**
 * The checksum field value for the header at `off` (ports and Length already
 * written; the checksum field itself is skipped) plus a payload whose sum
 * (checksum.ts convention, starting at an even position) is `payloadSum`. The
 * payload need not follow the header in memory. RFC 768: a computed 0 is sent as
 * 0xffff, because 0 means "no checksum".
 */
export function udpChecksum(
  bytes: Uint8Array,
  off: number,
  payloadSum: number,
  payloadLength: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
): number {
  const length = UDP_HEADER_LEN + payloadLength;
  // RFC 768: pseudo-header of source/destination address, protocol and UDP length.
  let sum = pseudoHeaderSum(src, dst, IpProtocol.UDP, length, payloadSum);
  sum = engine.sum(bytes, off, UdpField.CHECKSUM, sum);
  const value = finishChecksum(sum);
  return value === 0 ? 0xffff : value;
}

/**
 * Whether the datagram bytes[off, off+len) (len = its Length field, as parsed)
 * verifies. RFC 768 / RFC 1122 §4.1.3.4: a transmitted checksum of 0 means none
 * was computed, and is accepted here; the caller decides whether to require one.
 */
export function udpChecksumValid(
  bytes: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
): boolean {
  if (readU16(bytes, off + UdpField.CHECKSUM) === 0) return true;
  return engine.sum(bytes, off, len, pseudoHeaderSum(src, dst, IpProtocol.UDP, len)) === 0xffff;
}

/**
 * Write the 8-byte header at `off` with Length = 8 + repr.payloadLength; returns 8.
 * With ChecksumMode.FULL the payload must already follow the header in `bytes`
 * (TX buffers reserve headroom for this); for a payload elsewhere, emit with NONE
 * and store udpChecksum(...) with setUdpChecksumField. PSEUDO_HEADER writes the
 * folded pseudo-header sum for the device to complete (see ChecksumMode).
 */
export function emitUdp(
  repr: UdpRepr,
  bytes: Uint8Array,
  off: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
  mode: ChecksumMode = ChecksumMode.FULL,
): number {
  const length = UDP_HEADER_LEN + repr.payloadLength;
  if (length > 0xffff || repr.payloadLength < 0) {
    throw new RangeError(`emitUdp: payloadLength ${repr.payloadLength} does not fit the Length field`);
  }
  assertRoom(bytes, off, mode === ChecksumMode.FULL ? length : UDP_HEADER_LEN, 'emitUdp');
  writeU16(bytes, off + UdpField.SRC_PORT, repr.srcPort);
  writeU16(bytes, off + UdpField.DST_PORT, repr.dstPort);
  writeU16(bytes, off + UdpField.LENGTH, length);
  let checksum = 0;
  if (mode === ChecksumMode.FULL) {
    const payloadSum = engine.sum(bytes, off + UDP_HEADER_LEN, repr.payloadLength);
    checksum = udpChecksum(bytes, off, payloadSum, repr.payloadLength, src, dst, engine);
  } else if (mode === ChecksumMode.PSEUDO_HEADER) {
    checksum = pseudoHeaderSum(src, dst, IpProtocol.UDP, length);
  }
  writeU16(bytes, off + UdpField.CHECKSUM, checksum);
  return UDP_HEADER_LEN;
}
