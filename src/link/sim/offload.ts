/**
 * What the simulated NIC "hardware" does with checksums: completes transmit
 * checksums of CHECKSUM_PARTIAL frames and classifies received frames the way a
 * NIC with receive checksum offload would (Linux ip_summed on receive).
 *
 * Owns: the byte-level offload rules for frames laid out as Ethernet II.
 * Must not: allocate, count statistics or charge CPU work (offload is free for
 * the host; the cost model only charges software checksums).
 */
import { pseudoHeaderSum, type ChecksumEngine } from '../../wire/checksum.js';
import { readU16, readU32, writeU16 } from '../../wire/address.js';
import { ETHERNET_HEADER_LEN, EtherType, EthernetField } from '../../wire/ethernet.js';
import { IPV4_MIN_HEADER_LEN, Ipv4Field, IpProtocol } from '../../wire/ipv4.js';

/**
 * Transmit checksum offload with Linux CHECKSUM_PARTIAL semantics: the field at
 * `start + offset` holds the folded pseudo-header sum (not inverted); the device
 * sums from `start` to the end of the frame (field included), and stores the
 * complement. A computed 0 is stored as 0xffff (RFC 768: UDP transmits an all-zero
 * result as all ones; for TCP both encodings verify). `start` and `offset` are
 * relative to the frame's first byte at bytes[off]; the caller has checked
 * partialChecksumFits().
 */
export function completePartialChecksum(
  engine: ChecksumEngine,
  bytes: Uint8Array,
  off: number,
  len: number,
  start: number,
  offset: number,
): void {
  const sum = engine.sum(bytes, off + start, len - start);
  const field = ~sum & 0xffff;
  writeU16(bytes, off + start + offset, field === 0 ? 0xffff : field);
}

/** Whether a PARTIAL request fits a frame of `len` bytes: the field lies inside the summed range. */
export function partialChecksumFits(len: number, start: number, offset: number): boolean {
  return (
    Number.isInteger(start) && Number.isInteger(offset) && start >= ETHERNET_HEADER_LEN && offset >= 0 && start + offset + 2 <= len
  );
}

/** Set by ipv4HeaderLen(): the IPv4 payload length of the frame it last accepted. */
let payloadLength = 0;

/**
 * Locate the IPv4 payload of a frame, or return -1 when the frame is not a
 * well-formed IPv4 frame as far as a NIC checks (EtherType 0x0800, version 4,
 * IHL ≥ 5, IHL ≤ Total Length ≤ what the frame holds). On success returns the
 * IPv4 header length and leaves the payload length in `payloadLength` (a module
 * variable rather than an out-object: no allocation, single-threaded).
 */
function ipv4HeaderLen(bytes: Uint8Array, off: number, len: number): number {
  if (len < ETHERNET_HEADER_LEN + IPV4_MIN_HEADER_LEN) return -1;
  if (readU16(bytes, off + EthernetField.ETHERTYPE) !== EtherType.IPV4) return -1;
  const ip = off + ETHERNET_HEADER_LEN;
  const verIhl = bytes[ip]!;
  // RFC 791 §3.1: Version 4; IHL counts 32-bit words, at least 5.
  if (verIhl >>> 4 !== 4) return -1;
  const ihl = (verIhl & 0x0f) * 4;
  const total = readU16(bytes, ip + Ipv4Field.TOTAL_LENGTH);
  if (ihl < IPV4_MIN_HEADER_LEN || total < ihl || total > len - ETHERNET_HEADER_LEN) return -1;
  payloadLength = total - ihl;
  return ihl;
}

/**
 * CHECKSUM_UNNECESSARY rule: true only for an unfragmented IPv4 TCP or UDP frame
 * whose L4 checksum verifies (RFC 9293 §3.1 / RFC 768: the sum over pseudo-header,
 * header and data is 0xffff). UDP with checksum 0 ("no checksum", RFC 768) is
 * not vouched for. A frame with a bad checksum is not dropped, just left
 * unverified, as real NICs do: software then finds and counts the error.
 */
export function l4ChecksumVerifies(engine: ChecksumEngine, bytes: Uint8Array, off: number, len: number): boolean {
  const ihl = ipv4HeaderLen(bytes, off, len);
  if (ihl < 0) return false;
  const ip = off + ETHERNET_HEADER_LEN;
  // A fragment's L4 checksum covers the reassembled datagram: MF set or offset ≠ 0 → cannot verify.
  if ((readU16(bytes, ip + Ipv4Field.FLAGS_FRAGMENT) & 0x3fff) !== 0) return false;
  const protocol = bytes[ip + Ipv4Field.PROTOCOL]!;
  const l4 = ip + ihl;
  const l4len = payloadLength;
  if (protocol === IpProtocol.TCP) {
    if (l4len < 20) return false;
  } else if (protocol === IpProtocol.UDP) {
    if (l4len < 8 || readU16(bytes, l4 + 6) === 0) return false;
  } else {
    return false;
  }
  const pseudo = pseudoHeaderSum(readU32(bytes, ip + Ipv4Field.SRC), readU32(bytes, ip + Ipv4Field.DST), protocol, l4len);
  return engine.sum(bytes, l4, l4len, pseudo) === 0xffff;
}

/**
 * CHECKSUM_COMPLETE value: the ones'-complement sum (src/wire/checksum.ts
 * convention: 16-bit big-endian words, folded, not inverted) of the IPv4 payload
 * — the bytes from the end of the IPv4 header (IHL × 4) to Total Length, so
 * Ethernet padding is excluded — or -1 when the frame is not well-formed IPv4 (the
 * frame is then delivered CHECKSUM_NONE). Fragments get the sum of their own
 * payload. For TCP/UDP, adding the pseudo-header sum gives 0xffff iff the L4
 * checksum verifies.
 */
export function ipv4PayloadSum(engine: ChecksumEngine, bytes: Uint8Array, off: number, len: number): number {
  const ihl = ipv4HeaderLen(bytes, off, len);
  if (ihl < 0) return -1;
  return engine.sum(bytes, off + ETHERNET_HEADER_LEN + ihl, payloadLength);
}
