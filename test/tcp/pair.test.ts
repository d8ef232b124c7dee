/**
 * End to end: two TcpLayers on one VirtualClock joined by an in-memory path
 * with delay, a bottleneck-free link, and seeded loss/reordering. Bulk
 * transfers in both directions must deliver every byte in order, finish
 * cleanly, and leave no buffers behind — across option combinations and
 * delayed-ACK policies. This exercises recovery, SACK, windows and timers
 * against our own stack.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import type { Timer } from '../../src/time/clock.js';
import { PacketPool } from '../../src/buf/pool.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { Ipv4Repr } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { Prng } from '../../src/util/prng.js';
import { TcpLayer, type TcpIpOutput } from '../../src/tcp/tcp-layer.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { Endpoint, EndpointObserver } from '../../src/tcp/endpoint.js';
import { ms, pattern, sec } from './harness.js';

const A = parseIpv4('10.0.0.1');
const B = parseIpv4('10.0.0.2');

interface PathOpts {
  delay: number;
  loss: number;
  reorder: number;
  seed: string;
}

/** One direction of the path: copies each segment (like a wire), delays, drops, reorders. */
class Path {
  private readonly q: { at: number; buf: PacketBuffer; src: number; dst: number }[] = [];
  private readonly timer: Timer;
  private readonly repr = new Ipv4Repr();
  delivered = 0;
  dropped = 0;
  constructor(
    private readonly clock: VirtualClock,
    private readonly pool: PacketPool,
    private readonly prng: Prng,
    private readonly opts: PathOpts,
    public target: TcpLayer | null = null,
  ) {
    this.timer = clock.createTimer((p: Path) => p.fire(), this);
  }
  send(pkt: PacketBuffer, src: number, dst: number): void {
    const total = pkt.chainLength();
    const copy = this.pool.alloc(total, 0)!;
    let at = copy.append(total);
    for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
      const n = b.tail - b.head;
      if (b.csumState === 3) {
        throw new Error('unexpected CSUM_PARTIAL');
      }
      copy.bytes.set(b.bytes.subarray(b.head, b.tail), at);
      at += n;
    }
    pkt.release();
    if (this.prng.bernoulli(this.opts.loss)) {
      this.dropped++;
      copy.release();
      return;
    }
    let when = this.clock.now() + this.opts.delay;
    if (this.prng.bernoulli(this.opts.reorder)) when += Math.round(this.opts.delay * this.prng.uniform(0.1, 1));
    this.q.push({ at: when, buf: copy, src, dst });
    this.q.sort((x, y) => x.at - y.at);
    this.arm();
  }
  private arm(): void {
    if (this.q.length > 0) this.timer.arm(this.q[0]!.at);
  }
  private fire(): void {
    const now = this.clock.now();
    while (this.q.length > 0 && this.q[0]!.at <= now) {
      const e = this.q.shift()!;
      this.delivered++;
      this.repr.src = e.src;
      this.repr.dst = e.dst;
      this.target!.input(e.buf, e.src, e.dst, this.repr);
    }
    this.arm();
  }
  clear(): void {
    for (const e of this.q) e.buf.release();
    this.q.length = 0;
  }
}

class PathIp implements TcpIpOutput {
  constructor(
    private readonly self: number,
    private readonly path: Path,
  ) {}
  output(pkt: PacketBuffer, src: number, dst: number): number {
    this.path.send(pkt, src, dst);
    return 0;
  }
  sourceFor(): number {
    return this.self;
  }
  mtuFor(): number {
    return 1500;
  }
  isLocalAddress(addr: number): boolean {
    return addr === this.self;
  }
}

/** Reads everything as it arrives; records it. */
class Sink implements EndpointObserver {
  received: number[] = [];
  bytes = 0;
  eof = false;
  errors: number[] = [];
  private readonly buf = new Uint8Array(65536);
  check: Uint8Array | null = null;
  mismatch = -1;
  onReadable(ep: Endpoint): void {
    for (;;) {
      const n = ep.recv(this.buf, 0, this.buf.length);
      if (n > 0) {
        if (this.check) {
          for (let i = 0; i < n && this.mismatch < 0; i++) if (this.buf[i] !== this.check[this.bytes + i]) this.mismatch = this.bytes + i;
        }
        this.bytes += n;
        continue;
      }
      if (n === 0) this.eof = true;
      break;
    }
  }
  onWritable(): void {}
  onError(_ep: Endpoint, e: number): void {
    this.errors.push(e);
  }
  onHup(): void {}
  onConnect(): void {}
  onAcceptable(): void {}
}

/** Writes `data` whenever there is room, then closes. */
class Source implements EndpointObserver {
  off = 0;
  closed = false;
  constructor(
    private readonly data: Uint8Array,
    private readonly sink: Sink | null,
  ) {}
  pump(ep: Endpoint): void {
    while (this.off < this.data.length) {
      const n = ep.send(this.data, this.off, Math.min(20000, this.data.length - this.off));
      if (n <= 0) return;
      this.off += n;
    }
    if (!this.closed) {
      this.closed = true;
      ep.shutdown(1);
    }
  }
  onReadable(ep: Endpoint): void {
    this.sink?.onReadable(ep);
  }
  onWritable(ep: Endpoint): void {
    this.pump(ep);
  }
  onError(): void {}
  onHup(): void {}
  onConnect(ep: Endpoint): void {
    this.pump(ep);
  }
  onAcceptable(): void {}
}

function run(name: string, size: number, path: Partial<PathOpts>, config: Partial<TcpConfig> = {}, bidirectional = false) {
  const clock = new VirtualClock();
  const poolA = new PacketPool({ memoryBytes: 32 * 1024 * 1024, debug: true });
  const poolB = new PacketPool({ memoryBytes: 32 * 1024 * 1024, debug: true });
  const prng = new Prng(`pair:${name}`);
  const opts: PathOpts = { delay: ms(5), loss: 0, reorder: 0, seed: name, ...path };
  const ab = new Path(clock, poolB, prng.fork('ab'), opts);
  const ba = new Path(clock, poolA, prng.fork('ba'), opts);
  const tcpA = new TcpLayer({ clock, ip: new PathIp(A, ab), pool: poolA, acct: new CountingAccounting(), config });
  const tcpB = new TcpLayer({ clock, ip: new PathIp(B, ba), pool: poolB, acct: new CountingAccounting(), config });
  ab.target = tcpB;
  ba.target = tcpA;

  const dataAB = pattern(size, 3);
  const dataBA = pattern(bidirectional ? size : 0, 101);
  const sinkB = new Sink();
  sinkB.check = dataAB;
  const sinkA = new Sink();
  sinkA.check = dataBA;
  let serverEp: Endpoint | null = null;
  const listener = tcpB.createEndpoint();
  listener.bind(0, 80);
  listener.listen(8);
  const srcB = new Source(dataBA, sinkB);
  listener.observer = {
    onReadable() {},
    onWritable() {},
    onError() {},
    onHup() {},
    onConnect() {},
    onAcceptable(l: Endpoint) {
      const ep = l.accept();
      if (typeof ep === 'number') return;
      serverEp = ep;
      ep.observer = srcB;
      srcB.pump(ep);
      sinkB.onReadable(ep);
    },
  };
  const client = tcpA.createEndpoint();
  const srcA = new Source(dataAB, sinkA);
  client.observer = srcA;
  expect(client.connect(B, 80)).toBe(-115);
  clock.runUntil(sec(600));
  if (process.env.PAIR_DEBUG) console.log(name, JSON.stringify({ a: pick(tcpA.mib.snapshot()), b: pick(tcpB.mib.snapshot()), ab: [ab.delivered, ab.dropped], ba: [ba.delivered, ba.dropped] }));
  const server = serverEp as Endpoint | null;
  expect(server).not.toBeNull();
  expect(sinkB.mismatch).toBe(-1);
  expect(sinkB.bytes).toBe(size);
  expect(sinkB.eof).toBe(true);
  expect(sinkA.mismatch).toBe(-1);
  expect(sinkA.bytes).toBe(dataBA.length);
  expect(sinkA.eof).toBe(true);
  expect(sinkA.errors).toEqual([]);
  expect(sinkB.errors).toEqual([]);
  client.close();
  server!.close();
  listener.close();
  clock.runUntil(clock.now() + sec(200));
  expect(tcpA.connections().length).toBe(0);
  expect(tcpB.connections().length).toBe(0);
  ab.clear();
  ba.clear();
  for (const p of [poolA, poolB]) {
    expect({ slots: p.stats.inUse, handles: p.stats.handlesInUse }).toEqual({ slots: 0, handles: 0 });
  }
  return { tcpA, tcpB, ab, ba, clock };
}

describe('two stacks over a lossy path deliver every byte (RFC 9293 reliability)', () => {
  it('clean_path_bulk_transfer', () => {
    const r = run('clean', 1_000_000, {});
    expect(r.tcpA.mib.RetransSegs).toBe(0);
    expect(r.tcpB.mib.DelayedACKs).toBeGreaterThanOrEqual(0);
    // Every second full-sized segment is ACKed: roughly half as many ACKs as data segments.
    expect(r.tcpB.mib.OutSegs).toBeLessThan(r.tcpA.mib.OutSegs * 0.75);
  });

  it('one_percent_loss_recovers_with_fast_retransmit', () => {
    const r = run('loss1', 1_000_000, { loss: 0.01 });
    expect(r.tcpA.mib.TCPFastRetrans).toBeGreaterThan(0);
  });

  it('five_percent_loss_with_reordering', () => {
    run('loss5', 300_000, { loss: 0.05, reorder: 0.1 });
  });

  it('heavy_loss_still_completes', () => {
    run('loss20', 50_000, { loss: 0.2 });
  });

  it('bidirectional_transfer_with_loss', () => {
    run('bidi', 200_000, { loss: 0.02 }, {}, true);
  });

  it('without_sack_timestamps_and_window_scaling', () => {
    run('noopts', 300_000, { loss: 0.02 }, { sack: false, timestamps: false, windowScaling: false });
  });

  it('with_delayed_acks_off_and_cubic', () => {
    run('off-cubic', 300_000, { loss: 0.01 }, { delackPolicy: 'off', congestionControl: 'cubic' });
  });

  it('small_buffers_exercise_zero_windows', () => {
    run('smallbuf', 200_000, { loss: 0.01, delay: ms(1) }, { rcvbuf: 4096, sndbuf: 4096 });
  });
});

function pick(m: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (v !== 0) out[k] = v;
  return out;
}
