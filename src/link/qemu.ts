/**
 * Links to QEMU guests (and to other zerostack instances speaking the same framing).
 *
 *  - QemuStreamNic: QEMU's `-netdev stream` (and the older `-netdev socket`):
 *    a TCP or unix-domain stream carrying each Ethernet frame behind a 4-byte
 *    big-endian length. Server mode (QEMU connects to us:
 *      `-netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/zs.sock`)
 *    or client mode (we connect to QEMU's `server=on`). One peer at a time: a
 *    server replaces its connection when a new one arrives.
 *  - openQemuDgram: `-netdev dgram` is one frame per UDP datagram, exactly
 *    UdpLinkNic (udp-link.ts):
 *      `-netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=<qemu>,
 *       remote.type=inet,remote.host=127.0.0.1,remote.port=<ours>`.
 *
 * Owns: the stream framing (StreamFrameParser: length prefixes split across
 * chunks, frames split across chunks, many frames per chunk), the socket and
 * server lifetimes. Must not: parse frames beyond their length, or arm timers.
 *
 * Copies: a frame wholly inside one received chunk is copied once into the pool
 * (allocCopy); a frame split across chunks is assembled directly in its pool
 * buffer, allocated when its length prefix arrives. Transmit copies the frame
 * behind its prefix into one Buffer (SocketNicBase), so one write per frame.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { SocketNicBase, UdpLinkNic, type SocketNicOptions, type UdpLinkOptions } from './udp-link.js';

/** What the parser does with frames; QemuStreamNic implements it on its pool. */
export interface StreamFrameSink {
  /** Whether to take a frame of `len` bytes (false: its bytes are skipped; the sink counts the drop). */
  accept(len: number): boolean;
  /** A whole frame inside one chunk: bytes[off, off+len), valid only during the call. */
  whole(bytes: Uint8Array, off: number, len: number): void;
  /** A frame of `len` bytes spans chunks: a buffer with `len` bytes of tailroom, or null to skip it. */
  begin(len: number): PacketBuffer | null;
  /** The frame begun with begin() is complete (ownership passes to the sink). */
  done(buf: PacketBuffer): void;
}

/** Length-prefix framing: u32 big-endian length, then that many bytes of Ethernet frame. */
export const STREAM_PREFIX_LEN = 4;

/**
 * Incremental parser for the 4-byte big-endian length framing. Feed it chunks in
 * order; it calls the sink once per frame. Never throws on input: an
 * unacceptable length skips exactly that many bytes, so framing stays in sync.
 */
export class StreamFrameParser {
  private readonly hdr = new Uint8Array(STREAM_PREFIX_LEN);
  private hdrGot = 0;
  /** Body bytes still expected for the current frame (0: reading a length prefix). */
  private need = 0;
  private cur: PacketBuffer | null = null;
  private skipping = false;

  constructor(private readonly sink: StreamFrameSink) {}

  /** Whether the parser is between frames (no partial prefix or body pending). */
  get idle(): boolean {
    return this.hdrGot === 0 && this.need === 0;
  }

  feed(chunk: Uint8Array, off: number, len: number): void {
    let p = off;
    const end = off + len;
    while (p < end) {
      if (this.need === 0) {
        // A length prefix: fast path when all 4 bytes are in this chunk.
        let flen: number;
        if (this.hdrGot === 0 && end - p >= STREAM_PREFIX_LEN) {
          flen = ((chunk[p]! << 24) | (chunk[p + 1]! << 16) | (chunk[p + 2]! << 8) | chunk[p + 3]!) >>> 0;
          p += STREAM_PREFIX_LEN;
        } else {
          while (this.hdrGot < STREAM_PREFIX_LEN && p < end) this.hdr[this.hdrGot++] = chunk[p++]!;
          if (this.hdrGot < STREAM_PREFIX_LEN) return;
          const h = this.hdr;
          flen = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
          this.hdrGot = 0;
        }
        if (!this.sink.accept(flen)) {
          this.need = flen;
          this.skipping = flen > 0;
          continue;
        }
        if (end - p >= flen) {
          this.sink.whole(chunk, p, flen);
          p += flen;
          continue;
        }
        this.need = flen;
        this.cur = this.sink.begin(flen);
        this.skipping = this.cur === null;
        continue;
      }
      const n = Math.min(this.need, end - p);
      if (!this.skipping) {
        const b = this.cur!;
        b.bytes.set(chunk.subarray(p, p + n), b.append(n));
      }
      p += n;
      this.need -= n;
      if (this.need === 0) {
        const b = this.cur;
        this.cur = null;
        if (!this.skipping && b !== null) this.sink.done(b);
        this.skipping = false;
      }
    }
  }

  /** Forget any partial frame (the stream ended); releases its buffer. */
  reset(): void {
    this.cur?.release();
    this.cur = null;
    this.hdrGot = 0;
    this.need = 0;
    this.skipping = false;
  }
}

export type StreamAddress = { path: string } | { host?: string; port: number };

export interface QemuStreamOptions extends SocketNicOptions {
  /** Most bytes queued in the socket before frames are dropped 'queueFull' (default 4 MiB). */
  maxBacklog?: number;
}

const DEFAULT_MAX_BACKLOG = 4 * 1024 * 1024;

function describeAddress(a: StreamAddress): string {
  return 'path' in a ? `unix:${a.path}` : `tcp:${a.host ?? '127.0.0.1'}:${a.port}`;
}

export class QemuStreamNic extends SocketNicBase implements StreamFrameSink {
  readonly name: string;
  private socket: Socket | null = null;
  private server: Server | null = null;
  private readonly parser = new StreamFrameParser(this);
  private readonly maxBacklog: number;
  private connWaiters: (() => void)[] = [];
  private readonly onData = (chunk: Buffer): void => this.parser.feed(chunk, 0, chunk.length);

  /** Listen at `address` (unix path or TCP port; port 0 picks one — see `address`) and accept the peer. */
  static async listen(address: StreamAddress, opts: QemuStreamOptions): Promise<QemuStreamNic> {
    const nic = new QemuStreamNic(address, opts);
    const server = createServer((s) => nic.attach(s));
    nic.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      if ('path' in address) server.listen(address.path, done);
      else server.listen(address.port, address.host ?? '127.0.0.1', done);
    });
    server.on('error', () => {
      nic.stats.drops.down++;
    });
    return nic;
  }

  /** Connect to a peer listening at `address` (QEMU with server=on, or a listening QemuStreamNic). */
  static async connect(address: StreamAddress, opts: QemuStreamOptions): Promise<QemuStreamNic> {
    const nic = new QemuStreamNic(address, opts);
    const socket =
      'path' in address ? createConnection(address.path) : createConnection(address.port, address.host ?? '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    nic.attach(socket);
    return nic;
  }

  private constructor(address: StreamAddress, opts: QemuStreamOptions) {
    super('QemuStreamNic', opts);
    this.name = opts.name ?? `qemu-stream:${describeAddress(address)}`;
    const b = opts.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    if (!Number.isInteger(b) || b < 0) {
      throw new RangeError(`QemuStreamNic option "maxBacklog": expected a non-negative integer, got ${String(opts.maxBacklog)}`);
    }
    this.maxBacklog = b;
  }

  /** Whether a peer is connected now. */
  get connected(): boolean {
    return this.socket !== null;
  }

  /** The listening address (server mode), e.g. to learn the port picked for port 0. */
  get address(): ReturnType<Server['address']> {
    return this.server?.address() ?? null;
  }

  /** Resolves when a peer is connected (at once if one is). */
  whenConnected(): Promise<void> {
    if (this.socket !== null) return Promise.resolve();
    return new Promise((resolve) => this.connWaiters.push(resolve));
  }

  // --- StreamFrameSink ---

  accept(len: number): boolean {
    return this.rxAccept(len);
  }

  whole(bytes: Uint8Array, off: number, len: number): void {
    this.rxCopy(bytes, off, len);
  }

  begin(len: number): PacketBuffer | null {
    const buf = this.pool.alloc(len);
    if (buf === null) this.stats.drops.noBuffer++;
    return buf;
  }

  done(buf: PacketBuffer): void {
    if (this.isClosed) {
      buf.release();
      this.stats.drops.down++;
      return;
    }
    this.rxPush(buf);
  }

  // --- transport ---

  protected override get txPrefix(): number {
    return 4;
  }

  protected sendCopy(out: Buffer, len: number): boolean {
    const s = this.socket;
    if (s === null) {
      this.stats.drops.down++;
      return false;
    }
    if (s.writableLength > this.maxBacklog) {
      this.stats.drops.queueFull++;
      return false;
    }
    out.writeUInt32BE(len, 0);
    s.write(out);
    return true;
  }

  protected closeTransport(): void {
    this.detach();
    this.server?.close();
    this.server = null;
    const w = this.connWaiters;
    this.connWaiters = [];
    for (const f of w) f(); // nobody waits forever on a closed link
  }

  private attach(s: Socket): void {
    if (this.isClosed) {
      s.destroy();
      return;
    }
    this.detach(); // a new peer replaces the old one (QEMU reconnecting)
    this.socket = s;
    s.setNoDelay?.(true);
    s.on('data', this.onData);
    s.on('error', () => {
      this.stats.drops.down++;
    });
    s.on('close', () => {
      if (this.socket === s) this.detach();
    });
    const w = this.connWaiters;
    this.connWaiters = [];
    for (const f of w) f();
  }

  private detach(): void {
    const s = this.socket;
    if (s === null) return;
    this.socket = null;
    s.off('data', this.onData);
    s.destroy();
    this.parser.reset();
  }
}

/** QEMU `-netdev dgram`: one frame per UDP datagram — a UdpLinkNic. */
export function openQemuDgram(opts: UdpLinkOptions): Promise<UdpLinkNic> {
  return UdpLinkNic.open(opts);
}

