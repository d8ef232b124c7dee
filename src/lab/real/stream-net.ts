/**
 * The real-time transports of the lab behind one small interface, so that a
 * workload's real-time driver is the same code on both:
 *
 *  - `kernel`: Node's own `net` over 127.0.0.1 (the kernel's loopback TCP + libuv);
 *  - `zerostack`: two zerostack Stacks in this process, joined by the in-process
 *    pair link (src/link/sim/pair.ts, like a veth; MTU 65535 and checksum
 *    offload, as the kernel's loopback), on a RealClock. Connections are driven
 *    through the TCP endpoints and their observers — the thinnest API the stack
 *    has (no socket-core descriptor lookups, no stream objects).
 *
 * Owns: connection set-up, write with backpressure (a per-connection queue of
 * what the transport did not take), data delivery as (bytes, off, len) views
 * valid during the callback, and the wall clock (`now()`, ns) of real-time runs.
 * Must not: know any workload.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PacketPool } from '../../buf/pool.js';
import { createPair } from '../../link/sim/pair.js';
import { Stack } from '../../stack.js';
import { NULL_OBSERVER, TcpErrno, type Endpoint, type EndpointObserver } from '../../tcp/endpoint.js';
import { RealClock } from '../../time/real-clock.js';
import { parseIpv4 } from '../../wire/address.js';

export interface StreamConn {
  /**
   * Send bytes[off, off+len). The transport copies what it needs before
   * returning (the caller may reuse `bytes`). Returns false when the transport
   * is backed up (the bytes are still queued; wait for onDrain).
   */
  write(bytes: Uint8Array, off: number, len: number): boolean;
  /** Bytes queued in user space waiting for the transport. */
  readonly queued: number;
  onData: ((bytes: Uint8Array, off: number, len: number) => void) | null;
  onDrain: (() => void) | null;
  onFailure: ((e: Error) => void) | null;
  /** Half-close (FIN) after the queued bytes. */
  end(): void;
  /** Close at once. */
  destroy(): void;
}

export interface StreamNet {
  readonly kind: 'kernel' | 'zerostack';
  /** Start the server; resolves with the port. */
  listen(onConn: (c: StreamConn) => void): Promise<number>;
  connect(port: number): Promise<StreamConn>;
  /** Wall-clock ns since the transport was created. */
  now(): number;
  /** Transport counters for the report (segments, retransmissions …). */
  counters(): Record<string, number>;
  close(): Promise<void>;
}

/** A macrotask turn: lets the event loop poll I/O (and RealClock's deferred work) run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// ---------------------------------------------------------------------------
// kernel: node:net

class KernelConn implements StreamConn {
  onData: ((bytes: Uint8Array, off: number, len: number) => void) | null = null;
  onDrain: (() => void) | null = null;
  onFailure: ((e: Error) => void) | null = null;

  constructor(readonly sock: Socket) {
    sock.on('data', (d: Buffer) => this.onData?.(d, 0, d.length));
    sock.on('drain', () => this.onDrain?.());
    sock.on('error', (e) => this.onFailure?.(e));
  }

  get queued(): number {
    return this.sock.writableLength;
  }

  write(bytes: Uint8Array, off: number, len: number): boolean {
    // One write per call, as the plain Node implementation; the copy keeps the caller free to reuse `bytes`.
    const b = Buffer.allocUnsafe(len);
    b.set(bytes.subarray(off, off + len));
    return this.sock.write(b);
  }

  end(): void {
    this.sock.end();
  }

  destroy(): void {
    this.sock.destroy();
  }
}

export class KernelNet implements StreamNet {
  readonly kind = 'kernel' as const;
  private readonly t0 = performance.now();
  private server: Server | null = null;
  private readonly socks = new Set<Socket>();

  now(): number {
    return Math.round((performance.now() - this.t0) * 1e6);
  }

  listen(onConn: (c: StreamConn) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => {
        this.socks.add(s);
        onConn(new KernelConn(s));
      });
      this.server = server;
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? a.port : 0);
      });
    });
  }

  connect(port: number): Promise<StreamConn> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ port, host: '127.0.0.1' }, () => {
        s.off('error', reject);
        resolve(new KernelConn(s));
      });
      this.socks.add(s);
      s.once('error', reject);
    });
  }

  counters(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    this.socks.clear();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((r) => server.close(() => r()));
  }
}

// ---------------------------------------------------------------------------
// zerostack: two Stacks over an in-process pair, on a RealClock

const RECV_SCRATCH = new Uint8Array(256 * 1024);

class ZerostackConn implements StreamConn, EndpointObserver {
  onData: ((bytes: Uint8Array, off: number, len: number) => void) | null = null;
  onDrain: (() => void) | null = null;
  onFailure: ((e: Error) => void) | null = null;
  connected: ((c: ZerostackConn) => void) | null = null;
  /** Bytes the endpoint did not take yet (its send buffer was full), oldest first. */
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private ending = false;

  constructor(readonly ep: Endpoint) {
    ep.observer = this;
  }

  get queued(): number {
    return this.backlogBytes;
  }

  write(bytes: Uint8Array, off: number, len: number): boolean {
    if (this.backlogBytes === 0) {
      const n = this.ep.send(bytes, off, len);
      if (n === len) return true;
      if (n < 0 && n !== TcpErrno.EAGAIN) {
        this.onFailure?.(new Error(`zerostack send failed: errno ${n}`));
        return false;
      }
      const k = n > 0 ? n : 0;
      off += k;
      len -= k;
    }
    this.backlog.push(bytes.slice(off, off + len));
    this.backlogBytes += len;
    return false;
  }

  private flush(): boolean {
    while (this.backlog.length > 0) {
      const b = this.backlog[0]!;
      const n = this.ep.send(b, 0, b.length);
      if (n <= 0) return false;
      this.backlogBytes -= n;
      if (n < b.length) {
        this.backlog[0] = b.subarray(n);
        return false;
      }
      this.backlog.shift();
    }
    if (this.ending) this.ep.shutdown(1);
    return true;
  }

  end(): void {
    this.ending = true;
    if (this.backlogBytes === 0) this.ep.shutdown(1);
  }

  destroy(): void {
    this.ep.observer = NULL_OBSERVER;
    this.ep.abort();
  }

  // EndpointObserver
  onReadable(ep: Endpoint): void {
    for (;;) {
      const n = ep.recv(RECV_SCRATCH, 0, RECV_SCRATCH.length);
      if (n <= 0) return;
      this.onData?.(RECV_SCRATCH, 0, n);
    }
  }
  onWritable(): void {
    if (this.backlogBytes > 0 && this.flush()) this.onDrain?.();
  }
  onError(_ep: Endpoint, errno: number): void {
    this.onFailure?.(new Error(`zerostack connection error: errno ${errno}`));
  }
  onHup(): void {}
  onConnect(): void {
    const c = this.connected;
    this.connected = null;
    c?.(this);
  }
  onAcceptable(): void {}
}

export interface ZerostackNetOptions {
  /** Link MTU (default 65535, like the kernel's loopback). */
  mtu?: number;
  /** Send/receive buffer per connection (default 256 KiB). */
  bufBytes?: number;
  /** Pool memory per stack (default 128 MiB). */
  poolBytes?: number;
  /** Delayed-ACK policy (default 'linux'). */
  delack?: 'rfc' | 'linux' | 'off';
}

export class ZerostackNet implements StreamNet {
  readonly kind = 'zerostack' as const;
  readonly clock = new RealClock();
  readonly client: Stack;
  readonly server: Stack;
  private readonly t0 = performance.now();
  private readonly conns = new Set<ZerostackConn>();
  private listener: Endpoint | null = null;

  constructor(opts: ZerostackNetOptions = {}) {
    const mtu = opts.mtu ?? 65535;
    const buf = opts.bufBytes ?? 256 * 1024;
    const poolBytes = opts.poolBytes ?? 128 * 1024 * 1024;
    const pa = new PacketPool({ memoryBytes: poolBytes });
    const pb = new PacketPool({ memoryBytes: poolBytes });
    const port = { mtu, txChecksumOffload: true, rxChecksum: 'unnecessary' as const };
    const pair = createPair({
      clock: this.clock,
      a: { name: 'c-eth0', mac: Uint8Array.of(2, 0, 0, 0, 1, 0), pool: pa, ...port },
      b: { name: 's-eth0', mac: Uint8Array.of(2, 0, 0, 0, 2, 0), pool: pb, ...port },
    });
    // Linux's delayed-ACK policy, as the kernel loopback it is compared with.
    const tcp = { sndbuf: buf, rcvbuf: buf, delackPolicy: opts.delack ?? 'linux' };
    const secret = new Uint8Array(16).fill(7);
    this.client = new Stack({ clock: this.clock, pool: pa, name: 'client', nics: [pair.a], secret, config: { interfaces: [{ address: '10.0.0.1/24', mtu }], tcp } });
    this.server = new Stack({ clock: this.clock, pool: pb, name: 'server', nics: [pair.b], secret, config: { interfaces: [{ address: '10.0.0.2/24', mtu }], tcp } });
  }

  now(): number {
    return Math.round((performance.now() - this.t0) * 1e6);
  }

  listen(onConn: (c: StreamConn) => void): Promise<number> {
    const l = this.server.tcp.createEndpoint();
    const port = 9999;
    const r1 = l.bind(0, port);
    const r2 = l.listen(4096);
    if (r1 !== 0 || r2 !== 0) return Promise.reject(new Error(`zerostack listen failed: bind ${r1}, listen ${r2}`));
    this.listener = l;
    const conns = this.conns;
    l.observer = {
      ...NULL_OBSERVER,
      onAcceptable(le: Endpoint) {
        for (;;) {
          const ep = le.accept();
          if (typeof ep === 'number') return;
          const c = new ZerostackConn(ep);
          conns.add(c);
          onConn(c);
          if (ep.isReadable) c.onReadable(ep);
        }
      },
    };
    return Promise.resolve(port);
  }

  connect(port: number): Promise<StreamConn> {
    return new Promise((resolve, reject) => {
      const ep = this.client.tcp.createEndpoint();
      const c = new ZerostackConn(ep);
      this.conns.add(c);
      c.connected = (x) => resolve(x);
      c.onFailure = (e) => reject(e);
      const r = ep.connect(parseIpv4('10.0.0.2'), port);
      if (r !== TcpErrno.EINPROGRESS && r !== 0) reject(new Error(`zerostack connect failed: errno ${r}`));
    });
  }

  counters(): Record<string, number> {
    const c = this.client.tcp.mib;
    const s = this.server.tcp.mib;
    return {
      segsOut: c.OutSegs + s.OutSegs,
      retransSegs: c.RetransSegs + s.RetransSegs,
      timeouts: c.TCPTimeouts + s.TCPTimeouts,
      fastRetrans: c.TCPFastRetrans + s.TCPFastRetrans,
      outNoBuffers: c.OutNoBuffers + s.OutNoBuffers,
      delayedAcks: c.DelayedACKs + s.DelayedACKs,
    };
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    this.listener?.abort();
    this.listener = null;
    this.client.close();
    this.server.close();
    this.clock.close();
    await turn();
  }
}

export function createStreamNet(kind: 'kernel' | 'zerostack', opts: ZerostackNetOptions = {}): StreamNet {
  return kind === 'kernel' ? new KernelNet() : new ZerostackNet(opts);
}
