/**
 * ICMPv4 messages (RFC 792): the generic 8-byte header, echo request/reply,
 * and the error messages that quote the datagram that caused them
 * (destination unreachable with RFC 1191 next-hop MTU, time exceeded, …).
 *
 * Owns: the header layout, view accessors, parse (including a length/version
 * check of the quoted IPv4 header, so upper layers can match it to a socket),
 * emit, and the checksum over the whole message.
 * Must not: decide whether to answer, rate-limit, or act on errors (src/ip does).
 * RFC 4884 extension structures after the quoted datagram are not interpreted.
 */
import { finishChecksum, type ChecksumEngine } from './checksum.js';
import { readU16, readU32, writeU16, writeU32 } from './address.js';
import { assertRoom, hasBytes, WireErrors, type WireError } from './error.js';
import { IPV4_MIN_HEADER_LEN, Ipv4Field } from './ipv4.js';

/** Field offsets (RFC 792). Bytes 4-7 ("rest of header") depend on the type. */
export const IcmpField = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  REST: 4,
  IDENTIFIER: 4, // echo
  SEQUENCE: 6, // echo
  POINTER: 4, // parameter problem
  GATEWAY: 4, // redirect
  NEXT_HOP_MTU: 6, // destination unreachable, code 4 (RFC 1191 §4)
  PAYLOAD: 8,
} as const;

export const ICMP_HEADER_LEN = 8;
/** RFC 792: error messages quote "the internet header plus the first 64 bits of the original datagram's data". */
export const ICMP_ERROR_QUOTED_DATA_MIN = 8;

export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;

/** Destination unreachable codes: RFC 792 (0-5), RFC 1122 §3.2.2.1 (6-12), RFC 1812 §5.2.7.1 (13-15). */
export const IcmpUnreachableCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAGMENTATION_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  NET_UNKNOWN: 6,
  HOST_UNKNOWN: 7,
  SOURCE_HOST_ISOLATED: 8,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  NET_UNREACHABLE_FOR_TOS: 11,
  HOST_UNREACHABLE_FOR_TOS: 12,
  ADMIN_PROHIBITED: 13,
  HOST_PRECEDENCE_VIOLATION: 14,
  PRECEDENCE_CUTOFF: 15,
} as const;

/** RFC 792 time exceeded codes. */
export const IcmpTimeExceededCode = {
  TTL_EXCEEDED: 0,
  REASSEMBLY_EXCEEDED: 1,
} as const;

/** The types whose body is the quoted original datagram (RFC 792). */
export function icmpIsError(type: number): boolean {
  return (
    type === IcmpType.DEST_UNREACHABLE ||
    type === IcmpType.SOURCE_QUENCH ||
    type === IcmpType.REDIRECT ||
    type === IcmpType.TIME_EXCEEDED ||
    type === IcmpType.PARAMETER_PROBLEM
  );
}

function isEcho(type: number): boolean {
  return type === IcmpType.ECHO_REQUEST || type === IcmpType.ECHO_REPLY;
}

// --- view (valid after a successful parse) ---

export function icmpType(bytes: Uint8Array, off: number): number {
  return bytes[off + IcmpField.TYPE]!;
}
export function icmpCode(bytes: Uint8Array, off: number): number {
  return bytes[off + IcmpField.CODE]!;
}
export function icmpChecksumField(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + IcmpField.CHECKSUM);
}
export function setIcmpChecksumField(bytes: Uint8Array, off: number, value: number): void {
  writeU16(bytes, off + IcmpField.CHECKSUM, value);
}
/** Bytes 4-7 as one unsigned 32-bit number. */
export function icmpRest(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + IcmpField.REST);
}
export function icmpIdentifier(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + IcmpField.IDENTIFIER);
}
export function icmpSequence(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + IcmpField.SEQUENCE);
}
/** RFC 1191 §4: low-order 16 bits of the unused field (0 from pre-RFC 1191 routers). */
export function icmpNextHopMtu(bytes: Uint8Array, off: number): number {
  return readU16(bytes, off + IcmpField.NEXT_HOP_MTU);
}
/** RFC 792 parameter problem: the octet where the error was detected. */
export function icmpPointer(bytes: Uint8Array, off: number): number {
  return bytes[off + IcmpField.POINTER]!;
}
/** RFC 792 redirect: the gateway address. */
export function icmpGateway(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off + IcmpField.GATEWAY);
}

// --- repr ---

/**
 * A parsed (or to-be-emitted) ICMP message. On parse every field is filled
 * (type-specific ones are 0 when they do not apply). On emit, bytes 4-7 come from
 * the fields that belong to the type: identifier/sequence for echo, nextHopMtu
 * for destination unreachable (0 unless code 4), `rest` for every other type.
 */
export class IcmpRepr {
  type = 0;
  code = 0;
  /** As received; emit computes it. */
  checksum = 0;
  /** Bytes 4-7 as received (unsigned 32-bit). */
  rest = 0;
  /** Echo request/reply (RFC 792). */
  identifier = 0;
  sequence = 0;
  /** Destination unreachable, code 4: next-hop MTU (RFC 1191 §4); 0 if the router sent none. */
  nextHopMtu = 0;
  /** Absolute offset and length of the body after the 8-byte header: echo data, or the quoted datagram. */
  payloadOffset = 0;
  payloadLength = 0;
  /**
   * Error messages only (icmpIsError(type)); 0 otherwise. The quoted IPv4 header
   * starts at payloadOffset and is originalHeaderLength bytes; at least 8 bytes of
   * its data follow at originalDataOffset (enough for ports, RFC 792).
   */
  originalHeaderLength = 0;
  originalProtocol = 0;
  originalSrc = 0;
  originalDst = 0;
  originalDataOffset = 0;
  originalDataLength = 0;
}

/**
 * Parse an ICMP message occupying bytes[off, off+len) (the IP payload). Does not
 * verify the checksum. Error messages must quote a well-formed IPv4 header plus 8
 * bytes, or they return the error for the quoted header (badVersion,
 * badHeaderLength, truncated): without it no socket can be matched.
 */
export function parseIcmp(bytes: Uint8Array, off: number, len: number, out: IcmpRepr = new IcmpRepr()): IcmpRepr | WireError {
  if (!hasBytes(bytes, off, len, ICMP_HEADER_LEN)) return WireErrors.truncated;
  const type = bytes[off + IcmpField.TYPE]!;
  const code = bytes[off + IcmpField.CODE]!;
  const echo = isEcho(type);
  out.type = type;
  out.code = code;
  out.checksum = readU16(bytes, off + IcmpField.CHECKSUM);
  out.rest = readU32(bytes, off + IcmpField.REST);
  out.identifier = echo ? readU16(bytes, off + IcmpField.IDENTIFIER) : 0;
  out.sequence = echo ? readU16(bytes, off + IcmpField.SEQUENCE) : 0;
  out.nextHopMtu =
    type === IcmpType.DEST_UNREACHABLE && code === IcmpUnreachableCode.FRAGMENTATION_NEEDED
      ? readU16(bytes, off + IcmpField.NEXT_HOP_MTU)
      : 0;
  out.payloadOffset = off + ICMP_HEADER_LEN;
  out.payloadLength = len - ICMP_HEADER_LEN;
  out.originalHeaderLength = 0;
  out.originalProtocol = 0;
  out.originalSrc = 0;
  out.originalDst = 0;
  out.originalDataOffset = 0;
  out.originalDataLength = 0;
  if (!icmpIsError(type)) return out;

  // RFC 792: errors carry "Internet Header + 64 bits of Data Datagram".
  const q = out.payloadOffset;
  if (out.payloadLength < IPV4_MIN_HEADER_LEN) return WireErrors.truncated;
  const verIhl = bytes[q]!;
  if (verIhl >>> 4 !== 4) return WireErrors.badVersion;
  const headerLength = (verIhl & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER_LEN) return WireErrors.badHeaderLength;
  if (headerLength + ICMP_ERROR_QUOTED_DATA_MIN > out.payloadLength) return WireErrors.truncated;
  out.originalHeaderLength = headerLength;
  out.originalProtocol = bytes[q + Ipv4Field.PROTOCOL]!;
  out.originalSrc = readU32(bytes, q + Ipv4Field.SRC);
  out.originalDst = readU32(bytes, q + Ipv4Field.DST);
  out.originalDataOffset = q + headerLength;
  out.originalDataLength = out.payloadLength - headerLength;
  return out;
}

export function icmpHeaderLen(_repr?: IcmpRepr): number {
  return ICMP_HEADER_LEN;
}

/**
 * The checksum field value for the header at `off` (checksum field skipped) plus a
 * body whose sum is `payloadSum` (RFC 792: "the 16-bit one's complement of the
 * one's complement sum of the ICMP message starting with the ICMP Type").
 */
export function icmpChecksum(bytes: Uint8Array, off: number, payloadSum: number, engine: ChecksumEngine): number {
  let sum = engine.sum(bytes, off, IcmpField.CHECKSUM, payloadSum);
  sum = engine.sum(bytes, off + IcmpField.REST, ICMP_HEADER_LEN - IcmpField.REST, sum);
  return finishChecksum(sum);
}

/** Whether the message bytes[off, off+len) verifies (RFC 792). */
export function icmpChecksumValid(bytes: Uint8Array, off: number, len: number, engine: ChecksumEngine): boolean {
  return engine.sum(bytes, off, len) === 0xffff;
}

/**
 * Write the 8-byte header at `off`; returns 8. With `computeChecksum` the body
 * (repr.payloadLength bytes) must already follow the header in `bytes`; otherwise
 * the field is 0 and the caller stores icmpChecksum(...) via setIcmpChecksumField.
 */
export function emitIcmp(
  repr: IcmpRepr,
  bytes: Uint8Array,
  off: number,
  engine: ChecksumEngine,
  computeChecksum = true,
): number {
  assertRoom(bytes, off, ICMP_HEADER_LEN + (computeChecksum ? repr.payloadLength : 0), 'emitIcmp');
  bytes[off + IcmpField.TYPE] = repr.type;
  bytes[off + IcmpField.CODE] = repr.code;
  writeU16(bytes, off + IcmpField.CHECKSUM, 0);
  if (isEcho(repr.type)) {
    writeU16(bytes, off + IcmpField.IDENTIFIER, repr.identifier);
    writeU16(bytes, off + IcmpField.SEQUENCE, repr.sequence);
  } else if (repr.type === IcmpType.DEST_UNREACHABLE) {
    // RFC 792: unused (zero); RFC 1191 §4: next-hop MTU in the low 16 bits for code 4.
    writeU16(bytes, off + IcmpField.REST, 0);
    writeU16(bytes, off + IcmpField.NEXT_HOP_MTU, repr.nextHopMtu);
  } else {
    writeU32(bytes, off + IcmpField.REST, repr.rest);
  }
  if (computeChecksum) {
    const payloadSum = engine.sum(bytes, off + ICMP_HEADER_LEN, repr.payloadLength);
    writeU16(bytes, off + IcmpField.CHECKSUM, icmpChecksum(bytes, off, payloadSum, engine));
  }
  return ICMP_HEADER_LEN;
}
