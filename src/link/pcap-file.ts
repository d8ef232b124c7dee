/**
 * The classic libpcap capture file format: a writer (to a file, to memory, or to
 * any sink) and a reader. Files open in tcpdump and Wireshark.
 *
 * Format (draft-ietf-opsawg-pcap, "PCAP Capture File Format"):
 *   file header, 24 bytes: magic u32, version major u16 (2), minor u16 (4),
 *     reserved1 u32 (thiszone, 0), reserved2 u32 (sigfigs, 0), SnapLen u32,
 *     LinkType-and-additional-information u32
 *   per packet, 16-byte record header: timestamp seconds u32, timestamp
 *     fraction u32 (µs or ns, chosen by the magic), captured length u32,
 *     original length u32; then the captured bytes.
 * All fields are in the writer's byte order; the reader tells by the magic.
 * We write little-endian.
 *
 * Owns: the byte layout, buffering of records, and the µs/ns timestamp split.
 * Must not: read the clock (the caller passes ns from its Clock), keep or
 * release PacketBuffers (writeChain only reads the frame), or throw on bad
 * input when reading (readPcap returns a PcapError with a code).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { PacketBuffer } from '../buf/packet-buffer.js';

/** LINKTYPE_ETHERNET (IEEE 802.3, DLT_EN10MB). */
export const LINKTYPE_ETHERNET = 1;
/** Magic for microsecond timestamps (draft-ietf-opsawg-pcap §4). */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic for nanosecond timestamps (draft-ietf-opsawg-pcap §4). */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** libpcap's default (and tcpdump's maximum accepted) snapshot length. */
export const PCAP_DEFAULT_SNAPLEN = 262144;

/** Where a writer's bytes go. `write` must consume the chunk before returning: the writer reuses it. */
export interface PcapSink {
  write(chunk: Uint8Array): void;
  close?(): void;
}

export interface PcapWriterOptions {
  /** Nanosecond timestamps (magic 0xa1b23c4d). Default true; false writes µs (0xa1b2c3d4). */
  nanosecond?: boolean;
  /** Bytes of each packet kept; longer packets are truncated, originalLength tells. Default 262144. */
  snaplen?: number;
  /** LINKTYPE_* of the frames. Default LINKTYPE_ETHERNET. */
  linkType?: number;
  /**
   * Whole seconds added to every timestamp, e.g. the wall-clock epoch second at
   * which a real capture's Clock started (the caller reads the wall clock, not
   * the writer). Seconds rather than ns: an epoch in ns exceeds 2^53 and would
   * not be exact. Default 0 (virtual time starts at 1970-01-01).
   */
  timeOffsetSeconds?: number;
  /** Size of the writer's staging buffer. Default 64 KiB. */
  bufferBytes?: number;
}

export class PcapWriterClosedError extends Error {
  readonly code = 'ERR_PCAP_CLOSED';
  constructor() {
    super('PcapWriter is closed');
    this.name = 'PcapWriterClosedError';
  }
}

function checkInt(name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number') throw new TypeError(`PcapWriter option ${name} must be a number (got ${String(v)})`);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`PcapWriter option ${name} must be an integer in [${min}, ${max}] (got ${v})`);
  }
}

/**
 * Writes a pcap stream to a sink through a staging buffer: records are copied
 * in, and the buffer goes to the sink when full, on flush() and on close().
 */
export class PcapWriter {
  readonly nanosecond: boolean;
  readonly snaplen: number;
  readonly linkType: number;
  readonly timeOffsetSeconds: number;
  /** Records written. */
  packets = 0;
  /** Bytes handed to the staging buffer (file header included). */
  bytesWritten = 0;

  private readonly sink: PcapSink;
  private readonly buf: Uint8Array;
  private readonly dv: DataView;
  private pos = 0;
  private closed = false;

  constructor(sink: PcapSink, options: PcapWriterOptions = {}) {
    if (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function') {
      throw new TypeError('PcapWriter: sink must have a write(chunk) method');
    }
    if (options.nanosecond !== undefined && typeof options.nanosecond !== 'boolean') {
      throw new TypeError(`PcapWriter option nanosecond must be a boolean (got ${String(options.nanosecond)})`);
    }
    const snaplen = options.snaplen ?? PCAP_DEFAULT_SNAPLEN;
    checkInt('snaplen', snaplen, 1, 0x7fffffff);
    const linkType = options.linkType ?? LINKTYPE_ETHERNET;
    checkInt('linkType', linkType, 0, 0xffff);
    const timeOffsetSeconds = options.timeOffsetSeconds ?? 0;
    checkInt('timeOffsetSeconds', timeOffsetSeconds, 0, 0xffffffff);
    const bufferBytes = options.bufferBytes ?? 65536;
    checkInt('bufferBytes', bufferBytes, PCAP_FILE_HEADER_LEN + PCAP_RECORD_HEADER_LEN, 1 << 30);
    this.sink = sink;
    this.nanosecond = options.nanosecond ?? true;
    this.snaplen = snaplen;
    this.linkType = linkType;
    this.timeOffsetSeconds = timeOffsetSeconds;
    this.buf = new Uint8Array(bufferBytes);
    this.dv = new DataView(this.buf.buffer);
    // draft-ietf-opsawg-pcap §4: the file header.
    const dv = this.dv;
    dv.setUint32(0, this.nanosecond ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
    dv.setUint16(4, 2, true); // Major Version
    dv.setUint16(6, 4, true); // Minor Version
    dv.setUint32(8, 0, true); // Reserved1 (was thiszone): 0
    dv.setUint32(12, 0, true); // Reserved2 (was sigfigs): 0
    dv.setUint32(16, snaplen, true);
    dv.setUint32(20, linkType, true); // FCS bits 0: frames carry no FCS
    this.pos = PCAP_FILE_HEADER_LEN;
    this.bytesWritten = PCAP_FILE_HEADER_LEN;
  }

  /** A buffered writer to a file (created or truncated). Call close() to flush and close it. */
  static toFile(path: string, options?: PcapWriterOptions): PcapWriter {
    const fd = openSync(path, 'w');
    const sink: PcapSink = {
      write(chunk) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      },
      close() {
        closeSync(fd);
      },
    };
    try {
      return new PcapWriter(sink, options);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** A writer that collects the capture in memory; bytes() returns the file so far. */
  static toMemory(options?: PcapWriterOptions): MemoryPcapWriter {
    return new MemoryPcapWriter(options);
  }

  /**
   * Record bytes[offset, offset+length) captured at `timeNs` (ns from the caller's
   * Clock; timeOffsetSeconds is added). Keeps at most snaplen bytes.
   */
  writePacket(timeNs: number, bytes: Uint8Array, offset: number, length: number): void {
    if (offset >>> 0 !== offset || length >>> 0 !== length || offset + length > bytes.length) {
      throw new RangeError(`writePacket: range [${offset}, ${offset}+${length}) is outside the array (${bytes.length} bytes)`);
    }
    const caplen = length < this.snaplen ? length : this.snaplen;
    this.recordHeader(timeNs, caplen, length);
    this.copyIn(bytes, offset, caplen);
  }

  /** Record a frame that may be a chain of buffers, concatenated. Only reads the frame. */
  writeChain(timeNs: number, frame: PacketBuffer): void {
    const total = frame.chainLength();
    const caplen = total < this.snaplen ? total : this.snaplen;
    this.recordHeader(timeNs, caplen, total);
    let left = caplen;
    for (let b: PacketBuffer | null = frame; b !== null && left > 0; b = b.next) {
      const n = b.tail - b.head < left ? b.tail - b.head : left;
      this.copyIn(b.bytes, b.head, n);
      left -= n;
    }
  }

  /** Hand buffered bytes to the sink. */
  flush(): void {
    if (this.pos > 0) {
      this.sink.write(this.buf.subarray(0, this.pos));
      this.pos = 0;
    }
  }

  /** Flush and close the sink. Idempotent; writing afterwards throws ERR_PCAP_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.sink.close?.();
  }

  private recordHeader(timeNs: number, caplen: number, origLen: number): void {
    if (this.closed) throw new PcapWriterClosedError();
    const t = Math.floor(timeNs);
    const clockSec = Math.floor(t / 1e9);
    const sec = clockSec + this.timeOffsetSeconds;
    if (!(t >= 0) || sec > 0xffffffff) {
      throw new RangeError(
        `pcap timestamp must be in [0, 2^32) s after the epoch (got ${timeNs} ns + ${this.timeOffsetSeconds} s)`,
      );
    }
    const subNs = t - clockSec * 1e9;
    if (this.pos + PCAP_RECORD_HEADER_LEN > this.buf.length) this.flush();
    const p = this.pos;
    const dv = this.dv;
    dv.setUint32(p, sec, true);
    // The magic says what the fraction counts: µs (integer division) or ns.
    dv.setUint32(p + 4, this.nanosecond ? subNs : Math.floor(subNs / 1000), true);
    dv.setUint32(p + 8, caplen, true);
    dv.setUint32(p + 12, origLen, true);
    this.pos = p + PCAP_RECORD_HEADER_LEN;
    this.bytesWritten += PCAP_RECORD_HEADER_LEN + caplen;
    this.packets++;
  }

  private copyIn(src: Uint8Array, off: number, n: number): void {
    if (n === 0) return;
    if (this.pos + n > this.buf.length) {
      this.flush();
      if (n > this.buf.length) {
        // Bigger than the staging buffer: straight to the sink.
        this.sink.write(src.subarray(off, off + n));
        return;
      }
    }
    this.buf.set(src.subarray(off, off + n), this.pos);
    this.pos += n;
  }
}

/** A PcapWriter into memory (PcapWriter.toMemory). */
export class MemoryPcapWriter extends PcapWriter {
  private readonly chunks: Uint8Array[];

  constructor(options?: PcapWriterOptions) {
    const chunks: Uint8Array[] = [];
    super({ write: (chunk) => void chunks.push(chunk.slice()) }, options);
    this.chunks = chunks;
  }

  /** The capture so far (flushes first): a complete pcap file. */
  bytes(): Uint8Array {
    this.flush();
    if (this.chunks.length !== 1) {
      const total = this.chunks.reduce((s, c) => s + c.length, 0);
      const out = new Uint8Array(total);
      let off = 0;
      for (const c of this.chunks) {
        out.set(c, off);
        off += c.length;
      }
      this.chunks.length = 0;
      this.chunks.push(out);
    }
    return this.chunks[0]!.slice();
  }
}

// --- reading ---

export interface PcapRecord {
  /** Timestamp in ns (µs files: multiples of 1000). */
  timeNs: number;
  /** Length of the packet on the wire; > data.length when the capture was truncated by snaplen. */
  originalLength: number;
  /** The captured bytes: a view into the array given to readPcap. */
  data: Uint8Array;
}

export interface PcapFile {
  /** LinkType (low 16 bits of the header field, draft-ietf-opsawg-pcap §4). */
  linkType: number;
  nanosecond: boolean;
  /** True when the file was written big-endian. */
  bigEndian: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  records: PcapRecord[];
}

export type PcapErrorCode =
  | 'truncatedHeader' // fewer than 24 bytes of file header
  | 'badMagic' // not a classic pcap magic in either byte order (pcapng and others included)
  | 'badVersion' // major version is not 2
  | 'truncatedRecord' // a record header or its captured bytes run past the end
  | 'badRecordLength'; // captured length larger than the original length or than any sane snaplen

/** Why readPcap rejected a file. Returned, never thrown. */
export class PcapError {
  constructor(
    readonly code: PcapErrorCode,
    readonly message: string,
    /** Byte offset in the file where the problem is. */
    readonly offset: number,
    /** The records read before the problem (e.g. of a capture cut off mid-write); null for header errors. */
    readonly partial: PcapFile | null,
  ) {}

  toString(): string {
    return `PcapError(${this.code}) at byte ${this.offset}: ${this.message}`;
  }
}

export function isPcapError(x: unknown): x is PcapError {
  return x instanceof PcapError;
}

/** Largest captured length we accept: libpcap's MAXIMUM_SNAPLEN is 262144; allow generous slack for other writers. */
const MAX_CAPLEN = 0x4000000;

/**
 * Parse a classic pcap file (both magics, both byte orders). Never throws on bad
 * content: returns a PcapError with a code (TypeError only if `bytes` is not a Uint8Array).
 */
export function readPcap(bytes: Uint8Array): PcapFile | PcapError {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readPcap: bytes must be a Uint8Array');
  const len = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (len < 4) return new PcapError('truncatedHeader', `file has ${len} bytes, a pcap header has 24`, 0, null);
  const magicLe = dv.getUint32(0, true);
  const magicBe = dv.getUint32(0, false);
  let le: boolean;
  let nanosecond: boolean;
  if (magicLe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS) {
    le = true;
    nanosecond = magicLe === PCAP_MAGIC_NANOS;
  } else if (magicBe === PCAP_MAGIC_MICROS || magicBe === PCAP_MAGIC_NANOS) {
    le = false;
    nanosecond = magicBe === PCAP_MAGIC_NANOS;
  } else {
    return new PcapError('badMagic', `magic 0x${magicBe.toString(16).padStart(8, '0')} is not a pcap magic`, 0, null);
  }
  if (len < PCAP_FILE_HEADER_LEN) {
    return new PcapError('truncatedHeader', `file has ${len} bytes, a pcap header has 24`, 0, null);
  }
  const versionMajor = dv.getUint16(4, le);
  const versionMinor = dv.getUint16(6, le);
  if (versionMajor !== 2) {
    return new PcapError('badVersion', `version ${versionMajor}.${versionMinor} (expected 2.x)`, 4, null);
  }
  const file: PcapFile = {
    linkType: dv.getUint32(20, le) & 0xffff,
    nanosecond,
    bigEndian: !le,
    versionMajor,
    versionMinor,
    snaplen: dv.getUint32(16, le),
    records: [],
  };
  const unit = nanosecond ? 1 : 1000;
  let off = PCAP_FILE_HEADER_LEN;
  while (off < len) {
    if (len - off < PCAP_RECORD_HEADER_LEN) {
      return new PcapError('truncatedRecord', `record ${file.records.length}: header cut off`, off, file);
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const origLen = dv.getUint32(off + 12, le);
    if (caplen > origLen || caplen > MAX_CAPLEN) {
      return new PcapError(
        'badRecordLength',
        `record ${file.records.length}: captured length ${caplen} exceeds original length ${origLen} or ${MAX_CAPLEN}`,
        off + 8,
        file,
      );
    }
    const data = off + PCAP_RECORD_HEADER_LEN;
    if (len - data < caplen) {
      return new PcapError('truncatedRecord', `record ${file.records.length}: ${caplen} bytes, ${len - data} left`, off, file);
    }
    file.records.push({ timeNs: sec * 1e9 + frac * unit, originalLength: origLen, data: bytes.subarray(data, data + caplen) });
    off = data + caplen;
  }
  return file;
}
