/**
 * TCP options (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018): parse the option list of a
 * TCP header into plain fields, and emit options in FreeBSD's layout.
 *
 * Owns: option kinds and lengths, the option-list parser (strict about illegal
 * lengths, tolerant of unknown kinds) and the emitter. The emitter reproduces
 * FreeBSD tcp_addoptions() (sys/netinet/tcp_output.c) byte for byte, because the
 * conformance corpus (FreeBSD's packetdrill suite) expects exactly that layout.
 * Must not: decide which options to send or accept (e.g. clamping a window scale
 * above 14, RFC 7323 §2.3, or ignoring MSS outside a SYN): the TCP layer does.
 */
import { readU16, readU32, writeU16, writeU32 } from './address.js';
import { WireErrors, type WireError } from './error.js';

/** RFC 9293 §3.2 and IANA "TCP Option Kind Numbers". */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WINDOW_SCALE: 3, // RFC 7323 §2.2
  SACK_PERMITTED: 4, // RFC 2018 §2
  SACK: 5, // RFC 2018 §3
  TIMESTAMPS: 8, // RFC 7323 §3.2
} as const;

/** Total option lengths (kind and length bytes included). */
export const TcpOptionLength = {
  MSS: 4,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 2,
  SACK_HEADER: 2,
  SACK_BLOCK: 8,
  TIMESTAMPS: 10,
} as const;

/** Data offset is 4 bits of 32-bit words: at most 60 − 20 bytes of options. */
export const TCP_MAX_OPTIONS_LEN = 40;
/** RFC 2018 §3: at most 4 blocks fit in 40 bytes (3 alongside timestamps). */
export const TCP_MAX_SACK_BLOCKS = 4;
/** How many unknown options a repr records (all are counted and skipped). */
export const TCP_MAX_UNKNOWN_OPTIONS = 4;

/**
 * Option fields of a TCP repr (TcpRepr implements this). Parse fills every field;
 * emit writes the options that are present.
 */
export interface TcpOptions {
  /** RFC 9293 §3.7.1 Maximum Segment Size; -1 when absent. */
  mss: number;
  /** RFC 7323 §2 shift count as received (not clamped to 14); -1 when absent. */
  wscale: number;
  /** RFC 2018 §2. */
  sackPermitted: boolean;
  /** RFC 7323 §3: TSval and TSecr (unsigned 32-bit) are meaningful only when tsPresent. */
  tsPresent: boolean;
  tsVal: number;
  tsEcr: number;
  /** RFC 2018 §3: number of blocks (0..4) in sackBlocks as [left0, right0, left1, right1, …]. */
  sackCount: number;
  readonly sackBlocks: Uint32Array;
  /** Options of unknown kind: all are counted, the first TCP_MAX_UNKNOWN_OPTIONS recorded. */
  unknownCount: number;
  readonly unknownKind: Uint8Array;
  /** Absolute offset of each recorded unknown option's kind byte. */
  readonly unknownOffset: Uint32Array;
  /** Total length of each recorded unknown option (kind and length bytes included). */
  readonly unknownLength: Uint8Array;
}

/** Reset every option field to "absent". */
export function clearTcpOptions(o: TcpOptions): void {
  o.mss = -1;
  o.wscale = -1;
  o.sackPermitted = false;
  o.tsPresent = false;
  o.tsVal = 0;
  o.tsEcr = 0;
  o.sackCount = 0;
  o.unknownCount = 0;
}

/**
 * Parse the option list bytes[off, off+len) (len = data offset × 4 − 20, already
 * validated to lie inside the buffer) into `o`. Returns null on success or
 * WireErrors.badOptionLength: RFC 9293 §3.1 (MUST-7) requires handling an illegal
 * option length without crashing; the segment is then dropped and counted.
 * A repeated option overwrites the earlier one.
 */
export function parseTcpOptions(bytes: Uint8Array, off: number, len: number, o: TcpOptions): WireError | null {
  clearTcpOptions(o);
  const end = off + len;
  let i = off;
  while (i < end) {
    const kind = bytes[i]!;
    // RFC 9293 §3.2: End of Option List; what follows is padding (zero).
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) {
      i++;
      continue;
    }
    // RFC 9293 §3.1: every other option has a length octet counting kind and length.
    if (i + 1 >= end) return WireErrors.badOptionLength;
    const olen = bytes[i + 1]!;
    if (olen < 2 || i + olen > end) return WireErrors.badOptionLength;
    switch (kind) {
      case TcpOptionKind.MSS: // RFC 9293 §3.2: kind 2, length 4
        if (olen !== TcpOptionLength.MSS) return WireErrors.badOptionLength;
        o.mss = readU16(bytes, i + 2);
        break;
      case TcpOptionKind.WINDOW_SCALE: // RFC 7323 §2.2: kind 3, length 3
        if (olen !== TcpOptionLength.WINDOW_SCALE) return WireErrors.badOptionLength;
        o.wscale = bytes[i + 2]!;
        break;
      case TcpOptionKind.SACK_PERMITTED: // RFC 2018 §2: kind 4, length 2
        if (olen !== TcpOptionLength.SACK_PERMITTED) return WireErrors.badOptionLength;
        o.sackPermitted = true;
        break;
      case TcpOptionKind.SACK: {
        // RFC 2018 §3: kind 5, length 2 + 8n with n ≥ 1 (n ≤ 4 follows from the 40-byte limit).
        const body = olen - TcpOptionLength.SACK_HEADER;
        if (body < TcpOptionLength.SACK_BLOCK || body % TcpOptionLength.SACK_BLOCK !== 0) {
          return WireErrors.badOptionLength;
        }
        const n = body / TcpOptionLength.SACK_BLOCK;
        for (let b = 0; b < n; b++) {
          const at = i + TcpOptionLength.SACK_HEADER + b * TcpOptionLength.SACK_BLOCK;
          o.sackBlocks[2 * b] = readU32(bytes, at);
          o.sackBlocks[2 * b + 1] = readU32(bytes, at + 4);
        }
        o.sackCount = n;
        break;
      }
      case TcpOptionKind.TIMESTAMPS: // RFC 7323 §3.2: kind 8, length 10
        if (olen !== TcpOptionLength.TIMESTAMPS) return WireErrors.badOptionLength;
        o.tsPresent = true;
        o.tsVal = readU32(bytes, i + 2);
        o.tsEcr = readU32(bytes, i + 6);
        break;
      default:
        // RFC 9293 §3.1 (MUST-6): ignore without error any option we do not implement (it has a length).
        if (o.unknownCount < TCP_MAX_UNKNOWN_OPTIONS) {
          o.unknownKind[o.unknownCount] = kind;
          o.unknownOffset[o.unknownCount] = i;
          o.unknownLength[o.unknownCount] = olen;
        }
        o.unknownCount++;
    }
    i += olen;
  }
  return null;
}

// --- emit: FreeBSD tcp_addoptions() ---
//
// Options go in FreeBSD's TOF_* bit order (MSS, window scale, SACK-permitted,
// timestamps, SACK), each aligned by leading NOPs with the same rules, an option
// that no longer fits is skipped (its NOPs stay), SACK blocks are cut to what fits,
// and the list ends with one EOL plus zero padding to a 4-byte boundary.
// With `bytes === null` the same walk only measures.

function put(bytes: Uint8Array | null, at: number, value: number): void {
  if (bytes !== null) bytes[at] = value;
}

/** Length of the options before the SACK option (MSS, WS, SACK-permitted, TS), writing them if asked. */
function layoutFixed(o: TcpOptions, bytes: Uint8Array | null, off: number): number {
  let n = 0;
  if (o.mss >= 0) {
    while (n % 4 !== 0) put(bytes, off + n++, TcpOptionKind.NOP); // FreeBSD: MSS 4-aligned (always first)
    put(bytes, off + n, TcpOptionKind.MSS);
    put(bytes, off + n + 1, TcpOptionLength.MSS);
    if (bytes !== null) writeU16(bytes, off + n + 2, o.mss);
    n += TcpOptionLength.MSS;
  }
  if (o.wscale >= 0 && n < TCP_MAX_OPTIONS_LEN) {
    while (n === 0 || n % 2 !== 1) put(bytes, off + n++, TcpOptionKind.NOP); // starts at an odd offset
    if (TCP_MAX_OPTIONS_LEN - n >= TcpOptionLength.WINDOW_SCALE) {
      put(bytes, off + n, TcpOptionKind.WINDOW_SCALE);
      put(bytes, off + n + 1, TcpOptionLength.WINDOW_SCALE);
      put(bytes, off + n + 2, o.wscale);
      n += TcpOptionLength.WINDOW_SCALE;
    }
  }
  if (o.sackPermitted && n < TCP_MAX_OPTIONS_LEN) {
    while (n % 2 !== 0) put(bytes, off + n++, TcpOptionKind.NOP); // 2-aligned
    if (TCP_MAX_OPTIONS_LEN - n >= TcpOptionLength.SACK_PERMITTED) {
      put(bytes, off + n, TcpOptionKind.SACK_PERMITTED);
      put(bytes, off + n + 1, TcpOptionLength.SACK_PERMITTED);
      n += TcpOptionLength.SACK_PERMITTED;
    }
  }
  if (o.tsPresent && n < TCP_MAX_OPTIONS_LEN) {
    while (n === 0 || n % 4 !== 2) put(bytes, off + n++, TcpOptionKind.NOP); // values 4-aligned (RFC 7323 App. A)
    if (TCP_MAX_OPTIONS_LEN - n >= TcpOptionLength.TIMESTAMPS) {
      put(bytes, off + n, TcpOptionKind.TIMESTAMPS);
      put(bytes, off + n + 1, TcpOptionLength.TIMESTAMPS);
      if (bytes !== null) {
        writeU32(bytes, off + n + 2, o.tsVal);
        writeU32(bytes, off + n + 6, o.tsEcr);
      }
      n += TcpOptionLength.TIMESTAMPS;
    }
  }
  return n;
}

/** Where the SACK option starts after its NOPs, given the length before it. */
function sackStart(n: number): number {
  while (n === 0 || n % 4 !== 2) n++;
  return n;
}

/** How many of o.sackCount blocks FreeBSD's layout has room for (the first ones are sent). */
function sackBlocksThatFit(o: TcpOptions, fixedLen: number): number {
  if (o.sackCount <= 0 || fixedLen >= TCP_MAX_OPTIONS_LEN) return 0;
  const start = sackStart(fixedLen);
  const room = TCP_MAX_OPTIONS_LEN - start - TcpOptionLength.SACK_HEADER;
  if (room < TcpOptionLength.SACK_BLOCK) return 0;
  return Math.min(o.sackCount, TCP_MAX_SACK_BLOCKS, Math.floor(room / TcpOptionLength.SACK_BLOCK));
}

function layout(o: TcpOptions, bytes: Uint8Array | null, off: number): number {
  let n = layoutFixed(o, bytes, off);
  if (o.sackCount > 0 && n < TCP_MAX_OPTIONS_LEN) {
    const blocks = sackBlocksThatFit(o, n);
    const start = sackStart(n);
    while (n < start) put(bytes, off + n++, TcpOptionKind.NOP);
    if (blocks > 0) {
      const olen = TcpOptionLength.SACK_HEADER + blocks * TcpOptionLength.SACK_BLOCK;
      put(bytes, off + n, TcpOptionKind.SACK);
      put(bytes, off + n + 1, olen);
      if (bytes !== null) {
        for (let b = 0; b < blocks; b++) {
          writeU32(bytes, off + n + 2 + 8 * b, o.sackBlocks[2 * b]!);
          writeU32(bytes, off + n + 6 + 8 * b, o.sackBlocks[2 * b + 1]!);
        }
      }
      n += olen;
    }
  }
  // FreeBSD: "Terminate and pad TCP options to a 4 byte boundary": one EOL, then zeros
  // (RFC 9293 §3.1: the header padding is composed of zeros).
  while (n % 4 !== 0) put(bytes, off + n++, TcpOptionKind.EOL);
  return n;
}

/** Bytes emitTcpOptions will write (a multiple of 4, at most 40). */
export function tcpOptionsLen(o: TcpOptions): number {
  return layout(o, null, 0);
}

/** How many of the first o.sackCount SACK blocks emitTcpOptions will send. */
export function tcpSackBlocksEmitted(o: TcpOptions): number {
  return sackBlocksThatFit(o, layoutFixed(o, null, 0));
}

/** Write the options at bytes[off…] in FreeBSD's layout; returns their length. */
export function emitTcpOptions(o: TcpOptions, bytes: Uint8Array, off: number): number {
  return layout(o, bytes, off);
}
