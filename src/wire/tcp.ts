/**
 * TCP segment headers (RFC 9293 §3.1): ports, sequence and acknowledgment
 * numbers, data offset, flags, window, checksum, urgent pointer, options, payload.
 *
 * Owns: the header layout, view accessors, parse, emit (options in FreeBSD's
 * layout, see tcp-options.ts) and the checksum over the IPv4 pseudo-header.
 * Must not: compare sequence numbers (src/tcp owns modular arithmetic) or judge
 * whether a segment is acceptable. Sequence and acknowledgment numbers are
 * unsigned 32-bit numbers (`>>> 0`).
 */
import { finishChecksum, pseudoHeaderSum, type ChecksumEngine } from './checksum.js';
import { readU16, readU32, writeU16, writeU32 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';
import { ChecksumMode, IpProtocol } from './ipv4.js';
import {
  emitTcpOptions,
  parseTcpOptions,
  TCP_MAX_SACK_BLOCKS,
  TCP_MAX_UNKNOWN_OPTIONS,
  tcpOptionsLen,
  type TcpOptions,
} from './tcp-options.js';

/** Field offsets (RFC 9293 §3.1 "Header Format"). */
export const TcpField = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12, // high nibble; low nibble reserved
  FLAGS: 13, // CWR ECE URG ACK PSH RST SYN FIN
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT_POINTER: 18,
  OPTIONS: 20,
} as const;

export const TCP_MIN_HEADER_LEN = 20;
export const TCP_MAX_HEADER_LEN = 60;

/** Control bits of byte 13 (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1). */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

// --- view (valid after a successful parse) ---

export function tcpSrcPort(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + TcpField.SRC_PORT);
}
export function tcpDstPort(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + TcpField.DST_PORT);
}
export function tcpSeq(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + TcpField.SEQ);
}
export function tcpAck(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + TcpField.ACK);
}
/** Header length in bytes (Data Offset × 4). */
export function tcpHeaderLength(bytes: Uint8Array, off: number): number {
  return (bytes[off + TcpField.DATA_OFFSET]! >>> 4) * 4;
}
/** TcpFlag bits. */
export function tcpFlags(bytes: Uint8Array, off: number): number {
  return bytes[off + TcpField.FLAGS]!;
}
export function tcpWindow(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + TcpField.WINDOW);
}
export function tcpChecksumField(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + TcpField.CHECKSUM);
}
export function setTcpChecksumField(bytes: Uint8Array, off: number, value: number): void {
  writeU16(bytes, off + TcpField.CHECKSUM, value);
}
export function tcpUrgentPointer(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + TcpField.URGENT_POINTER);
}

// --- repr ---

export class TcpRepr implements TcpOptions {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  /** Header length in bytes as received (Data Offset × 4). Emit computes it from the options. */
  headerLength = TCP_MIN_HEADER_LEN;
  /** TcpFlag bits. */
  flags = 0;
  window = 0;
  /** As received; emit computes it per ChecksumMode. */
  checksum = 0;
  urgentPointer = 0;
  /** Absolute offset and length of the raw option bytes. */
  optionsOffset = 0;
  optionsLength = 0;
  // Options (see TcpOptions in tcp-options.ts); arrays are allocated once per repr.
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  tsPresent = false;
  tsVal = 0;
  tsEcr = 0;
  sackCount = 0;
  readonly sackBlocks = new Uint32Array(2 * TCP_MAX_SACK_BLOCKS);
  unknownCount = 0;
  readonly unknownKind = new Uint8Array(TCP_MAX_UNKNOWN_OPTIONS);
  readonly unknownOffset = new Uint32Array(TCP_MAX_UNKNOWN_OPTIONS);
  readonly unknownLength = new Uint8Array(TCP_MAX_UNKNOWN_OPTIONS);
  /** Absolute offset and length of the data. On emit: the length used in the pseudo-header. */
  payloadOffset = 0;
  payloadLength = 0;
}

/**
 * Parse a TCP segment occupying bytes[off, off+len) (the IP payload). Validates
 * the data offset and the option list; does not verify the checksum. On an
 * error `out` may be partly overwritten (as with every parseX).
 */
export function parseTcp(bytes: Uint8Array, off: number, len: number, out: TcpRepr = new TcpRepr()): TcpRepr | WireError {
  if (!hasBytes(bytes, off, len, TCP_MIN_HEADER_LEN)) return WireErrors.truncated;
  // RFC 9293 §3.1 Data Offset: the header is at least 5 32-bit words.
  const headerLength = (bytes[off + TcpField.DATA_OFFSET]! >>> 4) * 4;
  if (headerLength < TCP_MIN_HEADER_LEN) return WireErrors.badDataOffset;
  if (headerLength > len) return WireErrors.truncated;
  const optErr = parseTcpOptions(bytes, off + TCP_MIN_HEADER_LEN, headerLength - TCP_MIN_HEADER_LEN, out);
  if (optErr !== null) return optErr;
  out.srcPort = readU16(bytes, off + TcpField.SRC_PORT);
  out.dstPort = readU16(bytes, off + TcpField.DST_PORT);
  out.seq = readU32(bytes, off + TcpField.SEQ);
  out.ack = readU32(bytes, off + TcpField.ACK);
  out.headerLength = headerLength;
  // RFC 9293 §3.1: the reserved bits (low nibble of byte 12) are ignored on receipt.
  out.flags = bytes[off + TcpField.FLAGS]!;
  out.window = readU16(bytes, off + TcpField.WINDOW);
  out.checksum = readU16(bytes, off + TcpField.CHECKSUM);
  out.urgentPointer = readU16(bytes, off + TcpField.URGENT_POINTER);
  out.optionsOffset = off + TCP_MIN_HEADER_LEN;
  out.optionsLength = headerLength - TCP_MIN_HEADER_LEN;
  out.payloadOffset = off + headerLength;
  out.payloadLength = len - headerLength;
  return out;
}

/** The header length emitTcp will write: 20 + options in FreeBSD's layout. */
export function tcpHeaderLen(repr: TcpRepr): number {
  return TCP_MIN_HEADER_LEN + tcpOptionsLen(repr);
}

/**
 * The checksum field value for the header bytes[hdrOff, hdrOff+hdrLen) (its
 * checksum field is skipped, so it may hold anything) plus a payload of
 * `payloadLen` bytes whose sum (checksum.ts convention) is `payloadSum`. The
 * payload need not follow the header in memory (e.g. a separate buffer chain).
 * RFC 9293 §3.1 Checksum: over the pseudo-header, the header and the data.
 */
export function tcpChecksum(
  bytes: Uint8Array,
  hdrOff: number,
  hdrLen: number,
  payloadSum: number,
  payloadLen: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
): number {
  let sum = pseudoHeaderSum(src, dst, IpProtocol.TCP, hdrLen + payloadLen, payloadSum);
  sum = engine.sum(bytes, hdrOff, TcpField.CHECKSUM, sum);
  const afterField = TcpField.CHECKSUM + 2;
  sum = engine.sum(bytes, hdrOff + afterField, hdrLen - afterField, sum);
  return finishChecksum(sum);
}

/** Whether the segment bytes[off, off+len) verifies against the pseudo-header (RFC 9293 §3.1). */
export function tcpChecksumValid(
  bytes: Uint8Array,
  off: number,
  len: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
): boolean {
  return engine.sum(bytes, off, len, pseudoHeaderSum(src, dst, IpProtocol.TCP, len)) === 0xffff;
}

/**
 * Write the header and options at `off`; returns tcpHeaderLen(repr). The reserved
 * bits are written as zero (RFC 9293 §3.1). Checksum per `mode`:
 *  - FULL: repr.payloadLength bytes of data must already follow the header in
 *    `bytes` (TX buffers reserve headroom). For data elsewhere, emit with NONE and
 *    store tcpChecksum(...) with setTcpChecksumField.
 *  - PSEUDO_HEADER: the folded pseudo-header sum, for the device to complete
 *    (Linux CHECKSUM_PARTIAL, see ChecksumMode).
 *  - NONE: 0.
 */
export function emitTcp(
  repr: TcpRepr,
  bytes: Uint8Array,
  off: number,
  src: number,
  dst: number,
  engine: ChecksumEngine,
  mode: ChecksumMode = ChecksumMode.FULL,
): number {
  const optionsLength = tcpOptionsLen(repr);
  const headerLength = TCP_MIN_HEADER_LEN + optionsLength;
  assertRoom(bytes, off, headerLength + (mode === ChecksumMode.FULL ? repr.payloadLength : 0), 'emitTcp');
  writeU16(bytes, off + TcpField.SRC_PORT, repr.srcPort);
  writeU16(bytes, off + TcpField.DST_PORT, repr.dstPort);
  writeU32(bytes, off + TcpField.SEQ, repr.seq);
  writeU32(bytes, off + TcpField.ACK, repr.ack);
  bytes[off + TcpField.DATA_OFFSET] = (headerLength / 4) << 4;
  bytes[off + TcpField.FLAGS] = repr.flags;
  writeU16(bytes, off + TcpField.WINDOW, repr.window);
  writeU16(bytes, off + TcpField.URGENT_POINTER, repr.urgentPointer);
  emitTcpOptions(repr, bytes, off + TCP_MIN_HEADER_LEN);
  let checksum = 0;
  if (mode === ChecksumMode.FULL) {
    const payloadSum = engine.sum(bytes, off + headerLength, repr.payloadLength);
    checksum = tcpChecksum(bytes, off, headerLength, payloadSum, repr.payloadLength, src, dst, engine);
  } else if (mode === ChecksumMode.PSEUDO_HEADER) {
    checksum = pseudoHeaderSum(src, dst, IpProtocol.TCP, headerLength + repr.payloadLength);
  }
  writeU16(bytes, off + TcpField.CHECKSUM, checksum);
  return headerLength;
}
