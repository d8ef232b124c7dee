/**
 * UdpLinkNic: a Nic that carries one Ethernet frame per UDP datagram over a real
 * node:dgram socket — the no-compiler fallback for TAP, and QEMU's
 * `-netdev dgram`. Compatible with
 *   socat TUN:10.9.0.1/24,tun-type=tap,iff-no-pi,iff-up \
 *         UDP-DATAGRAM:127.0.0.1:<our port>,bind=127.0.0.1:<its port>
 * which bridges a kernel TAP device to this link.
 *
 * Also owns SocketNicBase, the part shared with the QEMU stream link (qemu.ts):
 * option checks, transmit validation and copy-out, receive copy-in into the pool
 * with batching, and stats.
 * Must not: parse packets beyond length checks, or arm Node timers (receive
 * batches are flushed with clock.defer, i.e. once per event-loop iteration).
 *
 * Copies. node:dgram hands us a fresh Buffer per datagram and needs a contiguous
 * Buffer to send, so each frame is copied once in each direction (into the pool on
 * receive, out of it into a Buffer on transmit, which lets the frame be released
 * at once). The zero-copy driver is TAP (tap.ts).
 *
 * Peer. With `remote` given, frames go there; without it, to the address of the
 * last datagram received (frames transmitted before that are dropped 'down').
 * Datagrams are accepted from any sender unless `acceptOnlyRemote` is set.
 */
import { createSocket, type Socket as DgramSocket, type RemoteInfo } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { CSUM_NONE, CSUM_PARTIAL, type PacketBuffer } from '../buf/packet-buffer.js';
import type { PacketPool } from '../buf/pool.js';
import type { Clock } from '../time/clock.js';
import { ETHERNET_HEADER_LEN } from '../wire/ethernet.js';
import { emptyNicStats, type Nic, type NicCapabilities, type NicReceiveHandler, type NicStats } from './nic.js';
import { copyChain } from './sim/port.js';
import { completePartialChecksum } from './sim/offload.js';
import { admitFrame } from './tx-admit.js';

export interface SocketNicOptions {
  /** Name for logs (default: derived from the socket). */
  name?: string;
  pool: PacketPool;
  /** A RealClock: timestamps, and deferring receive-batch delivery. */
  clock: Clock;
  /** zerostack's MAC on this link (default: random, locally administered). */
  mac?: Uint8Array;
  /** IP MTU (default 1500, 68..65521). */
  mtu?: number;
  /** Most frames per handler call (default 64). */
  rxBatch?: number;
  /** Accept CSUM_PARTIAL frames and complete their checksum in the driver (default false). */
  txChecksumOffload?: boolean;
}

const DEFAULT_MTU = 1500;
const DEFAULT_RX_BATCH = 64;

function randomLocalMac(): Uint8Array {
  const mac = new Uint8Array(randomBytes(6));
  mac[0] = (mac[0]! & 0xfc) | 0x02; // unicast, locally administered
  return mac;
}

function checkBaseOptions(kind: string, o: SocketNicOptions): void {
  if (o.mac !== undefined && (!(o.mac instanceof Uint8Array) || o.mac.length !== 6)) {
    throw new TypeError(`${kind} option "mac": expected 6 bytes, got ${String(o.mac)}`);
  }
  const mtu = o.mtu ?? DEFAULT_MTU;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) {
    throw new RangeError(`${kind} option "mtu": expected an integer in 68..65521, got ${String(o.mtu)}`);
  }
  const b = o.rxBatch ?? DEFAULT_RX_BATCH;
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`${kind} option "rxBatch": expected a positive integer, got ${String(o.rxBatch)}`);
  }
}

function flushDeferred(nic: SocketNicBase): void {
  nic._flush();
}

/** Shared by the socket-backed links (UDP datagram, QEMU stream). */
export abstract class SocketNicBase implements Nic {
  abstract readonly name: string;
  readonly mtu: number;
  readonly mac: Uint8Array;
  readonly capabilities: NicCapabilities;
  readonly stats: NicStats = emptyNicStats();
  readonly pool: PacketPool;
  readonly clock: Clock;

  protected isClosed = false;
  protected readonly maxFrame: number;
  private handler: NicReceiveHandler | null = null;
  private readonly rxBatch: number;
  private readonly batch: PacketBuffer[] = [];
  private batchCount = 0;
  private flushPending = false;

  protected constructor(kind: string, opts: SocketNicOptions) {
    checkBaseOptions(kind, opts);
    this.pool = opts.pool;
    this.clock = opts.clock;
    this.mtu = opts.mtu ?? DEFAULT_MTU;
    this.mac = opts.mac !== undefined ? Uint8Array.from(opts.mac) : randomLocalMac();
    this.maxFrame = this.mtu + ETHERNET_HEADER_LEN;
    this.rxBatch = opts.rxBatch ?? DEFAULT_RX_BATCH;
    this.capabilities = Object.freeze({
      rxChecksum: 'none',
      txChecksumOffload: opts.txChecksumOffload ?? false,
      maxFrameSize: this.maxFrame,
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  setReceiveHandler(handler: NicReceiveHandler): void {
    this.handler = handler;
  }

  transmit(frame: PacketBuffer): boolean {
    const len = admitFrame(frame, this.stats, this.capabilities, !this.isClosed);
    if (len < 0) return false;
    const partial = frame.csumState === CSUM_PARTIAL;
    const prefix = this.txPrefix;
    const out = Buffer.allocUnsafe(prefix + len);
    copyChain(frame, out, prefix);
    if (partial) completePartialChecksum(this.pool.checksum, out, prefix, len, frame.csumStart, frame.csumOffset);
    frame.release();
    if (!this.sendCopy(out, len)) return false;
    this.stats.txFrames++;
    this.stats.txBytes += len;
    return true;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.handler = null;
    for (let i = 0; i < this.batchCount; i++) this.batch[i]!.release();
    this.stats.drops.down += this.batchCount;
    this.batchCount = 0;
    this.closeTransport();
  }

  /** Bytes reserved in front of the frame in the transmit copy (the stream link's length prefix). */
  protected get txPrefix(): number {
    return 0;
  }

  /** Send `out` (txPrefix bytes, then the `len`-byte frame); false if dropped (and counted). */
  protected abstract sendCopy(out: Buffer, len: number): boolean;

  protected abstract closeTransport(): void;

  /** Whether a received frame of `len` bytes is acceptable; counts the drop when not. */
  protected rxAccept(len: number): boolean {
    if (this.isClosed) {
      this.stats.drops.down++;
      return false;
    }
    if (len > this.maxFrame) {
      this.stats.drops.tooBig++;
      return false;
    }
    if (len < ETHERNET_HEADER_LEN) {
      this.stats.drops.malformed++;
      return false;
    }
    return true;
  }

  /** A frame arrived as bytes[off, off+len): copy it into the pool and queue it for the handler. */
  protected rxCopy(bytes: Uint8Array, off: number, len: number): void {
    if (!this.rxAccept(len)) return;
    const buf = this.pool.allocCopy(bytes, off, len);
    if (buf === null) {
      this.stats.drops.noBuffer++;
      return;
    }
    this.rxPush(buf);
  }

  /** A complete frame already in a pool buffer of this NIC's pool (ownership passes here). */
  protected rxPush(buf: PacketBuffer): void {
    buf.timestamp = this.clock.now();
    buf.csumState = CSUM_NONE;
    buf.csumValue = 0;
    this.batch[this.batchCount++] = buf;
    if (this.batchCount >= this.rxBatch) this._flush();
    else if (!this.flushPending) {
      this.flushPending = true;
      this.clock.defer(flushDeferred, this);
    }
  }

  /** @internal Hand the queued frames to the handler. */
  _flush(): void {
    this.flushPending = false;
    const n = this.batchCount;
    if (n === 0) return;
    this.batchCount = 0;
    const h = this.handler;
    if (h === null) {
      for (let i = 0; i < n; i++) this.batch[i]!.release();
      this.stats.drops.down += n;
      return;
    }
    this.stats.rxFrames += n;
    for (let i = 0; i < n; i++) this.stats.rxBytes += this.batch[i]!.length;
    h(this.batch, n);
  }
}

export interface UdpEndpoint {
  address: string;
  port: number;
}

export interface UdpLinkOptions extends SocketNicOptions {
  /** Where to bind (default 127.0.0.1, port 0 = any free port). */
  local?: Partial<UdpEndpoint>;
  /** Where frames go (default: the sender of the last datagram received). */
  remote?: UdpEndpoint;
  /** Drop datagrams that do not come from `remote` (default false). */
  acceptOnlyRemote?: boolean;
  /** 'udp4' (default) or 'udp6'. */
  type?: 'udp4' | 'udp6';
}

/** Socket send-buffer backlog (bytes) beyond which frames are dropped 'queueFull'. */
const UDP_MAX_BACKLOG = 4 * 1024 * 1024;

export class UdpLinkNic extends SocketNicBase {
  readonly name: string;
  /** The bound local address (port resolved). */
  readonly local: UdpEndpoint;
  private remote: UdpEndpoint | null;
  private readonly acceptOnlyRemote: boolean;
  private readonly fixedRemote: boolean;
  private readonly socket: DgramSocket;
  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => this.message(msg, rinfo);

  /** Bind a socket and return the link once it is ready. */
  static async open(opts: UdpLinkOptions): Promise<UdpLinkNic> {
    const socket = createSocket({ type: opts.type ?? 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind(opts.local?.port ?? 0, opts.local?.address ?? (opts.type === 'udp6' ? '::1' : '127.0.0.1'), () => {
        socket.off('error', onError);
        resolve();
      });
    });
    return new UdpLinkNic(opts, socket);
  }

  private constructor(opts: UdpLinkOptions, socket: DgramSocket) {
    super('UdpLinkNic', opts);
    this.socket = socket;
    const a = socket.address();
    this.local = { address: a.address, port: a.port };
    this.remote = opts.remote !== undefined ? { address: opts.remote.address, port: opts.remote.port } : null;
    this.acceptOnlyRemote = opts.acceptOnlyRemote ?? false;
    this.fixedRemote = opts.remote !== undefined;
    this.name = opts.name ?? `udp:${a.address}:${a.port}`;
    socket.on('message', this.onMessage);
    // ICMP port unreachable etc. surface as socket errors: the frame is lost, as on a wire.
    socket.on('error', () => {
      this.stats.drops.loss++;
    });
  }

  /** The current peer (given, or learnt from the last datagram). */
  get peer(): UdpEndpoint | null {
    return this.remote;
  }

  protected sendCopy(out: Buffer): boolean {
    const r = this.remote;
    if (r === null) {
      this.stats.drops.down++;
      return false;
    }
    if (this.socket.getSendQueueSize() > UDP_MAX_BACKLOG) {
      this.stats.drops.queueFull++;
      return false;
    }
    this.socket.send(out, r.port, r.address);
    return true;
  }

  protected closeTransport(): void {
    this.socket.off('message', this.onMessage);
    this.socket.close();
  }

  private message(msg: Buffer, rinfo: RemoteInfo): void {
    const r = this.remote;
    const same = r !== null && r.port === rinfo.port && r.address === rinfo.address;
    if (this.fixedRemote) {
      if (this.acceptOnlyRemote && !same) {
        this.stats.drops.malformed++; // a stranger's datagram
        return;
      }
    } else if (!same) {
      this.remote = { address: rinfo.address, port: rinfo.port }; // allocates only when the peer changes
    }
    this.rxCopy(msg, 0, msg.length);
  }
}
