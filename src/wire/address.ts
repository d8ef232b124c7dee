/**
 * Addresses and integers in network byte order: MAC and IPv4 address text
 * conversion, and the big-endian field readers/writers every header module uses.
 *
 * Owns: the textual forms ('aa:bb:cc:dd:ee:ff', '10.0.0.1', '10.0.0.0/24') and
 * how 16/32-bit fields and addresses sit in bytes. IPv4 addresses are unsigned
 * 32-bit numbers (`>>> 0`) everywhere in zerostack; MACs are 6-byte Uint8Arrays.
 * Must not: know about any header layout. Text parsers throw a TypeError that
 * names the value: bad address strings are API misuse, not bad packets.
 */

// ---------------------------------------------------------------------------
// Big-endian (network byte order, RFC 791 Appendix B) field access.
// Callers check lengths first (the parse functions do); these never bounds-check.

export function readU16(bytes: Uint8Array, off: number): number {
  return (bytes[off]! << 8) | bytes[off + 1]!;
}

/** Unsigned: 0..2^32-1. */
export function readU32(bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
}

export function writeU16(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = value >>> 8;
  bytes[off + 1] = value;
}

export function writeU32(bytes: Uint8Array, off: number, value: number): void {
  bytes[off] = value >>> 24;
  bytes[off + 1] = value >>> 16;
  bytes[off + 2] = value >>> 8;
  bytes[off + 3] = value;
}

// ---------------------------------------------------------------------------
// MAC (IEEE 802 48-bit) addresses.

export const MAC_LENGTH = 6;

const MAC_RE = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

export function isValidMac(text: string): boolean {
  return typeof text === 'string' && MAC_RE.test(text);
}

/** 'aa:bb:cc:dd:ee:ff' (or with '-') → 6 bytes. Throws TypeError on anything else. */
export function parseMac(text: string): Uint8Array {
  if (!isValidMac(text)) throw new TypeError(`invalid MAC address: ${JSON.stringify(text)}`);
  const out = new Uint8Array(MAC_LENGTH);
  for (let i = 0; i < MAC_LENGTH; i++) out[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return out;
}

/** The 6 bytes at `off` as lower-case 'aa:bb:cc:dd:ee:ff'. */
export function formatMac(bytes: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < MAC_LENGTH; i++) {
    if (i > 0) s += ':';
    s += bytes[off + i]!.toString(16).padStart(2, '0');
  }
  return s;
}

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < MAC_LENGTH; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Copy 6 bytes (no allocation). */
export function copyMac(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < MAC_LENGTH; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** A fresh ff:ff:ff:ff:ff:ff (typed arrays cannot be frozen, so no shared constant). */
export function broadcastMac(): Uint8Array {
  return new Uint8Array(MAC_LENGTH).fill(0xff);
}

export function isBroadcastMac(bytes: Uint8Array, off = 0): boolean {
  for (let i = 0; i < MAC_LENGTH; i++) if (bytes[off + i] !== 0xff) return false;
  return true;
}

/** IEEE 802: the I/G bit (least significant bit of the first byte) marks group addresses. */
export function isMulticastMac(bytes: Uint8Array, off = 0): boolean {
  return (bytes[off]! & 1) === 1;
}

// ---------------------------------------------------------------------------
// IPv4 addresses (RFC 791 §3.1, RFC 4632 for prefixes).

export const IPV4_LENGTH = 4;
/** RFC 919 limited broadcast, 255.255.255.255. */
export const IPV4_BROADCAST = 0xffffffff;
export const IPV4_ANY = 0;

// Dotted-quad decimal without leading zeros, as Node's net.isIPv4 accepts.
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const IPV4_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export function isValidIpv4(text: string): boolean {
  return typeof text === 'string' && IPV4_RE.test(text);
}

/** '10.0.0.1' → 0x0a000001. Throws TypeError on anything but a dotted quad. */
export function parseIpv4(text: string): number {
  const m = typeof text === 'string' ? IPV4_RE.exec(text) : null;
  if (m === null) throw new TypeError(`invalid IPv4 address: ${JSON.stringify(text)}`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** 0x0a000001 → '10.0.0.1'. Throws RangeError unless 0 ≤ address ≤ 2^32-1 is an integer. */
export function formatIpv4(address: number): string {
  if (!Number.isInteger(address) || address < 0 || address > 0xffffffff) {
    throw new RangeError(`invalid IPv4 address number: ${address}`);
  }
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

/** Network mask for a prefix length 0..32: 24 → 0xffffff00. */
export function prefixToMask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`invalid IPv4 prefix length: ${prefixLength}`);
  }
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export interface Ipv4Cidr {
  /** The address as written (host bits kept: '10.0.0.1/24' is an interface address). */
  readonly address: number;
  readonly prefixLength: number;
  readonly mask: number;
}

/** '10.0.0.1/24' → { address: 0x0a000001, prefixLength: 24, mask: 0xffffff00 }. */
export function parseCidr(text: string): Ipv4Cidr {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  const prefix = slash < 0 ? '' : text.slice(slash + 1);
  if (slash < 0 || !/^(3[0-2]|[12]?[0-9])$/.test(prefix) || !isValidIpv4(text.slice(0, slash))) {
    throw new TypeError(`invalid IPv4 CIDR (expected a.b.c.d/n, n ≤ 32): ${JSON.stringify(text)}`);
  }
  const prefixLength = Number(prefix);
  return { address: parseIpv4(text.slice(0, slash)), prefixLength, mask: prefixToMask(prefixLength) };
}

export function isValidCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether `address` lies in the network `network`/`mask`. */
export function ipv4InSubnet(address: number, network: number, mask: number): boolean {
  return ((address & mask) >>> 0) === ((network & mask) >>> 0);
}

/** RFC 5771: 224.0.0.0/4. */
export function isIpv4Multicast(address: number): boolean {
  return address >>> 28 === 0xe;
}

/** RFC 1122 §3.2.1.3: 127.0.0.0/8. */
export function isIpv4Loopback(address: number): boolean {
  return address >>> 24 === 127;
}

export function readIpv4(bytes: Uint8Array, off: number): number {
  return readU32(bytes, off);
}

export function writeIpv4(bytes: Uint8Array, off: number, address: number): void {
  writeU32(bytes, off, address);
}
