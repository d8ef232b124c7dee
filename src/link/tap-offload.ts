/**
 * TAP offloads through IFF_VNET_HDR: the 10-byte struct virtio_net_hdr that
 * precedes every frame (include/uapi/linux/virtio_net.h), and the coalescing of
 * consecutive TCP segments of one flow into one TSO "super-segment" the kernel
 * takes in a single write (gso_type TCPV4, gso_size = the MSS) — the kernel then
 * handles 64 KiB per syscall as if a NIC had done GRO, instead of 44 frames.
 *
 * Owns: the header layout, which segments may be merged (same flow, contiguous
 * sequence numbers, plain ACK/PSH segments of equal size), the iovec list of a
 * super-segment (pieces stay in the pool: nothing is copied) and the header
 * rewrite (IPv4 total length and checksum, TCP pseudo-header checksum for
 * CHECKSUM_PARTIAL). Must not: write to the device (tap.ts does) or keep a
 * frame past flush.
 *
 * Why merging is safe: the merged header is the first segment's with the total
 * length; the kernel (or anyone it forwards to) re-segments at gso_size with the
 * same headers, sequence numbers advancing, and PSH only on the last segment
 * (tcp_gso_segment) — the byte stream and every header field but the timestamp
 * and window of later segments are what the stack produced. Those two come from
 * the same burst (one event-loop turn), so they are equal or newer-is-harmless.
 */
import { CSUM_PARTIAL, type PacketBuffer } from '../buf/packet-buffer.js';

/** sizeof(struct virtio_net_hdr) without num_buffers (TUNSETVNETHDRSZ 10). */
export const VNET_HDR_LEN = 10;
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
/** TUNSETOFFLOAD flags (linux/if_tun.h). */
export const TUN_F_CSUM = 0x01;
export const TUN_F_TSO4 = 0x02;

/** Most iovec pieces per write (native MAX_IOV). */
export const MAX_PIECES = 64;

const ETH = 14;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;
const TCP_URG = 0x20;

/**
 * Write a virtio_net_hdr at b[off]. Fields are in the host's byte order for a
 * legacy (non-VNETLE) TAP on a little-endian host — every Linux host Node runs
 * TAP on here (x86-64, arm64).
 */
export function writeVnetHeader(
  b: Uint8Array,
  off: number,
  flags: number,
  gsoType: number,
  hdrLen: number,
  gsoSize: number,
  csumStart: number,
  csumOffset: number,
): void {
  b[off] = flags;
  b[off + 1] = gsoType;
  b[off + 2] = hdrLen & 0xff;
  b[off + 3] = hdrLen >>> 8;
  b[off + 4] = gsoSize & 0xff;
  b[off + 5] = gsoSize >>> 8;
  b[off + 6] = csumStart & 0xff;
  b[off + 7] = csumStart >>> 8;
  b[off + 8] = csumOffset & 0xff;
  b[off + 9] = csumOffset >>> 8;
}

/** The vnet header for one ordinary frame: NEEDS_CSUM when the stack left its L4 checksum PARTIAL. */
export function writeFrameVnetHeader(b: Uint8Array, off: number, frame: PacketBuffer): void {
  if (frame.csumState === CSUM_PARTIAL) {
    writeVnetHeader(b, off, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0, frame.csumStart, frame.csumOffset);
  } else {
    writeVnetHeader(b, off, 0, VIRTIO_NET_HDR_GSO_NONE, 0, 0, 0, 0);
  }
}

/** Ones'-complement sum of 16-bit words b[off..off+len) (len even), unfolded. */
function sum16(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | b[off + i + 1]!;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * Collects the TCP segments of one super-segment: their frames (owned until
 * `take`) and the iovec pieces (absolute offsets into the pool memory). Piece 0
 * is reserved for the vnet header.
 */
export class SegmentCoalescer {
  readonly offsets = new Int32Array(MAX_PIECES);
  readonly lengths = new Int32Array(MAX_PIECES);
  /** Pieces used (≥ 1 once a segment is held: piece 0 is the vnet header). */
  pieces = 0;
  /** Frames held. */
  count = 0;
  /** Bytes of the frames as the stack handed them (for stats). */
  frameBytes = 0;
  private readonly frames: PacketBuffer[] = [];
  private mem: Uint8Array | null = null;
  private head = 0; // absolute offset of the first frame's Ethernet header
  private ipOff = 0;
  private tcpOff = 0;
  private hdrLen = 0;
  private mss = 0;
  private payload = 0;
  private nextSeq = 0;
  private psh = 0;
  private closed = false;

  constructor(private readonly poolBytes: Uint8Array) {}

  /**
   * Add `frame` (length `len`) if it continues the held segments (or starts a
   * batch when none is held). Returns false, leaving everything unchanged, when
   * it does not: the caller flushes and writes it otherwise.
   */
  add(frame: PacketBuffer, len: number): boolean {
    const b = frame.bytes;
    if (b !== this.poolBytes) return false;
    const h = frame.head;
    const first = frame.length;
    // RFC 894 Ethernet, IPv4 (RFC 791) without fragmentation, TCP.
    if (first < ETH + 40 || b[h + 12] !== 0x08 || b[h + 13] !== 0x00) return false;
    const ip = h + ETH;
    const vihl = b[ip]!;
    const ihl = (vihl & 15) * 4;
    if (vihl >>> 4 !== 4 || ihl < 20 || b[ip + 9] !== 6 || (((b[ip + 6]! & 0x3f) << 8) | b[ip + 7]!) !== 0) return false;
    const total = (b[ip + 2]! << 8) | b[ip + 3]!;
    if (total + ETH !== len) return false;
    const tcp = ip + ihl;
    if (first < ETH + ihl + 20) return false;
    const thl = (b[tcp + 12]! >>> 4) * 4;
    const hdrLen = ETH + ihl + thl;
    if (thl < 20 || first < hdrLen) return false;
    const flags = b[tcp + 13]!;
    if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_URG)) !== 0 || (flags & TCP_ACK) === 0) return false;
    const payload = total - ihl - thl;
    if (payload <= 0) return false;
    const seq = ((b[tcp + 4]! << 24) | (b[tcp + 5]! << 16) | (b[tcp + 6]! << 8) | b[tcp + 7]!) >>> 0;
    const chainPieces = chainPieceCount(frame);
    if (chainPieces < 0) return false;

    if (this.count === 0) {
      if (1 + chainPieces > MAX_PIECES) return false;
      this.mem = b;
      this.head = h;
      this.ipOff = ip;
      this.tcpOff = tcp;
      this.hdrLen = hdrLen;
      this.mss = payload;
      this.payload = payload;
      this.nextSeq = (seq + payload) >>> 0;
      this.psh = flags & TCP_PSH;
      this.closed = (flags & TCP_PSH) !== 0;
      this.pieces = 1;
      this.addPieces(frame, 0);
      this.hold(frame, len);
      return true;
    }
    const m = this.mem!;
    if (this.closed || hdrLen !== this.hdrLen || seq !== this.nextSeq || payload > this.mss) return false;
    if (ihl + thl + this.payload + payload > 0xffff) return false;
    if (this.pieces + chainPieces > MAX_PIECES) return false;
    // Same addresses (IPv4 src+dst), ports and acknowledgment number.
    for (let i = 12; i < 20; i++) if (b[ip + i] !== m[this.ipOff + i]) return false;
    for (let i = 0; i < 4; i++) if (b[tcp + i] !== m[this.tcpOff + i]) return false;
    for (let i = 8; i < 12; i++) if (b[tcp + i] !== m[this.tcpOff + i]) return false;
    this.addPieces(frame, hdrLen);
    this.payload += payload;
    this.nextSeq = (seq + payload) >>> 0;
    this.psh |= flags & TCP_PSH;
    // A short or PSH segment ends the burst: nothing may follow it in a TSO frame.
    if (payload < this.mss || (flags & TCP_PSH) !== 0) this.closed = true;
    this.hold(frame, len);
    return true;
  }

  /**
   * Make the held segments one frame: with several, rewrite the first header
   * (IPv4 total length and header checksum, TCP pseudo-header checksum, PSH)
   * and write the GSO vnet header into `hdr` (an absolute offset in the pool,
   * VNET_HDR_LEN bytes); with one, its ordinary vnet header. Sets piece 0.
   */
  seal(hdr: number): void {
    const m = this.mem!;
    this.offsets[0] = hdr;
    this.lengths[0] = VNET_HDR_LEN;
    if (this.count === 1) {
      writeFrameVnetHeader(m, hdr, this.frames[0]!);
      return;
    }
    const ip = this.ipOff;
    const ihl = this.tcpOff - ip;
    const tcpLen = this.hdrLen - ETH - ihl + this.payload;
    const total = ihl + tcpLen;
    m[ip + 2] = total >>> 8;
    m[ip + 3] = total & 0xff;
    // RFC 791: header checksum over the header with the checksum field zero.
    m[ip + 10] = 0;
    m[ip + 11] = 0;
    const ipSum = ~fold(sum16(m, ip, ihl)) & 0xffff;
    m[ip + 10] = ipSum >>> 8;
    m[ip + 11] = ipSum & 0xff;
    // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum (RFC 9293 §3.1), the device adds the rest.
    const t = this.tcpOff;
    const pseudo = fold(sum16(m, ip + 12, 8) + 6 + tcpLen);
    m[t + 16] = pseudo >>> 8;
    m[t + 17] = pseudo & 0xff;
    m[t + 13] = m[t + 13]! | this.psh;
    writeVnetHeader(m, hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, this.hdrLen, this.mss, ETH + ihl, 16);
  }

  /** Release the held frames and reset. Returns how many there were. */
  release(): number {
    const n = this.count;
    for (let i = 0; i < n; i++) {
      this.frames[i]!.release();
      this.frames[i] = undefined as unknown as PacketBuffer;
    }
    this.count = 0;
    this.pieces = 0;
    this.frameBytes = 0;
    this.mem = null;
    return n;
  }

  /** Nothing more can be added: a PSH or short segment was taken, or the pieces are nearly used up. */
  get full(): boolean {
    return this.closed || this.pieces > MAX_PIECES - 4;
  }

  /** Payload bytes held. */
  get payloadBytes(): number {
    return this.payload;
  }

  /** The held frames as one frame: Ethernet header offset (for tests). */
  get headOffset(): number {
    return this.head;
  }

  private hold(frame: PacketBuffer, len: number): void {
    this.frames[this.count++] = frame;
    this.frameBytes += len;
  }

  /** Append the chain's bytes from `skip` on as pieces. */
  private addPieces(frame: PacketBuffer, skip: number): void {
    for (let b: PacketBuffer | null = frame; b !== null; b = b.next) {
      let off = b.head;
      let len = b.length;
      if (skip > 0) {
        const s = Math.min(skip, len);
        off += s;
        len -= s;
        skip -= s;
      }
      if (len === 0) continue;
      this.offsets[this.pieces] = off;
      this.lengths[this.pieces] = len;
      this.pieces++;
    }
  }
}

/** Buffers in the chain, or -1 when one is not in the pool memory of the first (zero-copy user memory). */
function chainPieceCount(frame: PacketBuffer): number {
  const mem = frame.bytes;
  let n = 0;
  for (let b: PacketBuffer | null = frame; b !== null; b = b.next) {
    if (b.bytes !== mem) return -1;
    n++;
  }
  return n;
}
