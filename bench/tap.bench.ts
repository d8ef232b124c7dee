/**
 * Real-link throughput and latency: zerostack ↔ the Linux kernel over a TAP
 * device (TapNic, native addon), against kernel ↔ kernel over a veth pair
 * measured in the same run as the reference.
 *
 * The kernel's side is the same small python3 program in every case (a sink that
 * recv_into()s a 4 MiB buffer, a source that sendall()s a 4 MiB buffer, a 1-byte
 * echo), running in a network namespace; in the reference both ends are that
 * program, in two namespaces joined by veth. zerostack's side drives its TCP
 * endpoint directly (1 MiB send/recv calls on readiness), as bench/tcp-bulk does.
 *
 * Bulk: payload Gbit/s from connect to the receiver's EOF, MTU 1500 and 9000,
 * each direction, median of ROUNDS runs, and the ratio to veth at the same MTU;
 * zerostack's TapNic plain (one write/read per frame) and with `offload`
 * (IFF_VNET_HDR: TSO writes of up to 64 KiB, GSO reads, checksum offload).
 * Latency: 1-byte ping-pong round trips (TCP_NODELAY), median and p99.
 *
 * Needs root, /dev/net/tun, ip netns, python3 and the TAP addon; otherwise prints
 * why it is skipped. Run: `npm run bench -- tap` (TAP_ROUNDS, TAP_MIB to change
 * the size). Profile: `node --cpu-prof --import tsx bench/run.ts tap`.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Distribution } from '../src/host/stats.js';
import type { ChildProcess } from 'node:child_process';
import { TcpErrno } from '../src/tcp/endpoint.js';
import { parseIpv4 } from '../src/wire/address.js';
import { Events, guard, interopSkipReason, KernelPeer, must, spawnInNamespace, type NsProcess } from '../test/interop/netns.js';
import { median, printTable } from './util.js';

const MiB = 1024 * 1024;
const ROUNDS = Number(process.env.TAP_ROUNDS ?? 3);
/** Bytes per run without offload; offload and veth runs move 4× as much (they are that much faster). */
const BYTES = Number(process.env.TAP_MIB ?? 256) * MiB;
const FAST_BYTES = 4 * BYTES;
const PINGS = Number(process.env.TAP_PINGS ?? 2000);
const T = 120_000;

const PY_SINK = `
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print('ready')
c, _ = s.accept(); buf = bytearray(4 << 20); n = 0; t0 = time.perf_counter()
while True:
    k = c.recv_into(buf)
    if not k: break
    n += k
print('done', n, time.perf_counter() - t0); c.close()
`;

const PY_SOURCE_LISTEN = `
import socket, sys
n = int(sys.argv[3]); data = bytes(4 << 20)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print('ready')
c, _ = s.accept(); sent = 0
while sent < n:
    k = min(len(data), n - sent); c.sendall(memoryview(data)[:k]); sent += k
c.close(); print('sent', sent)
`;

const PY_SOURCE_CONNECT = `
import socket, sys, time
n = int(sys.argv[3]); data = bytes(4 << 20)
c = socket.create_connection((sys.argv[1], int(sys.argv[2]))); sent = 0; t0 = time.perf_counter()
while sent < n:
    k = min(len(data), n - sent); c.sendall(memoryview(data)[:k]); sent += k
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
print('sent', sent, time.perf_counter() - t0)
`;

const PY_ECHO1 = `
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print('ready')
c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    b = c.recv(1)
    if not b: break
    c.sendall(b)
`;

const PY_PINGPONG = `
import socket, sys, time
n = int(sys.argv[3]); c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); ts = []
for i in range(n):
    t0 = time.perf_counter(); c.sendall(b'x'); c.recv(1); ts.append(time.perf_counter() - t0)
ts.sort(); print('rtt', ts[len(ts) // 2] * 1e6, ts[int(len(ts) * 0.99)] * 1e6)
`;

const gbps = (bytes: number, s: number): number => (bytes * 8) / s / 1e9;

/** kernel ↔ kernel over veth in two namespaces: the reference. */
class VethPair {
  readonly a = `zsva${process.pid}`;
  readonly b = `zsvb${process.pid}`;
  readonly ipA = '10.88.0.1';
  readonly ipB = '10.88.0.2';
  private readonly children = new Set<ChildProcess>();

  setup(mtu: number): void {
    this.cleanup();
    must('ip', ['netns', 'add', this.a]);
    must('ip', ['netns', 'add', this.b]);
    must('ip', ['-n', this.a, 'link', 'add', 'va', 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'vb', 'netns', this.b, 'mtu', String(mtu)]);
    must('ip', ['-n', this.a, 'addr', 'add', `${this.ipA}/24`, 'dev', 'va']);
    must('ip', ['-n', this.b, 'addr', 'add', `${this.ipB}/24`, 'dev', 'vb']);
    must('ip', ['-n', this.a, 'link', 'set', 'va', 'up']);
    must('ip', ['-n', this.b, 'link', 'set', 'vb', 'up']);
  }

  cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', this.a]);
    spawnSync('ip', ['netns', 'del', this.b]);
  }

  python(ns: string, code: string, ...args: string[]): NsProcess {
    return spawnInNamespace(ns, ['python3', '-u', '-c', code, ...args], this.children);
  }

  /** Seconds for BYTES from A to B. */
  async bulk(): Promise<number> {
    const sink = this.python(this.b, PY_SINK, this.ipB, '5201');
    await sink.line(/^ready$/, T);
    const src = this.python(this.a, PY_SOURCE_CONNECT, this.ipB, '5201', String(FAST_BYTES));
    const done = await sink.line(/^done (\d+) ([\d.e-]+)$/, T);
    await src.exit(T);
    await sink.exit(T);
    if (Number(done[1]) !== FAST_BYTES) throw new Error(`veth sink got ${done[1]} bytes`);
    return Number(done[2]);
  }

  async latency(): Promise<{ p50: number; p99: number }> {
    const echo = this.python(this.b, PY_ECHO1, this.ipB, '5202');
    await echo.line(/^ready$/, T);
    const pp = this.python(this.a, PY_PINGPONG, this.ipB, '5202', String(PINGS));
    const m = await pp.line(/^rtt ([\d.e-]+) ([\d.e-]+)$/, T);
    await echo.exit(T);
    return { p50: Number(m[1]), p99: Number(m[2]) };
  }
}

/** zerostack → kernel sink: seconds from connect to the sink's EOF. */
async function zsSend(peer: KernelPeer, port: number, BYTES: number): Promise<number> {
  const stack = peer.stack!;
  const sink = peer.python(PY_SINK, peer.kernelIp, String(port));
  await sink.line(/^ready$/, T);
  const chunk = new Uint8Array(MiB);
  const ep = stack.tcp.createEndpoint();
  const ev = new Events();
  ep.observer = ev;
  const t0 = performance.now();
  ep.connect(parseIpv4(peer.kernelIp), port);
  await guard(ev.connected, T, () => 'connect');
  await new Promise<void>((resolve, reject) => {
    let sent = 0;
    const pump = (): void => {
      while (sent < BYTES) {
        const n = ep.send(chunk, 0, Math.min(chunk.length, BYTES - sent));
        if (n === TcpErrno.EAGAIN) return;
        if (n < 0) return reject(new Error(`send: ${n}`));
        sent += n;
      }
      ev.writable = null;
      ep.close();
      resolve();
    };
    ev.writable = pump;
    pump();
  });
  const done = await sink.line(/^done (\d+)/, T);
  const s = (performance.now() - t0) / 1000;
  if (Number(done[1]) !== BYTES) throw new Error(`sink got ${done[1]} bytes`);
  await sink.exit(T);
  return s;
}

/** kernel source → zerostack: seconds from connect to our EOF. */
async function zsRecv(peer: KernelPeer, port: number, BYTES: number): Promise<number> {
  const stack = peer.stack!;
  const src = peer.python(PY_SOURCE_LISTEN, peer.kernelIp, String(port), String(BYTES));
  await src.line(/^ready$/, T);
  const buf = new Uint8Array(MiB);
  const ep = stack.tcp.createEndpoint();
  const ev = new Events();
  ep.observer = ev;
  const t0 = performance.now();
  ep.connect(parseIpv4(peer.kernelIp), port);
  const got = await guard(
    new Promise<number>((resolve, reject) => {
      let total = 0;
      const drain = (): void => {
        for (;;) {
          const n = ep.recv(buf, 0, buf.length);
          if (n === TcpErrno.EAGAIN) return;
          if (n < 0) return reject(new Error(`recv: ${n}`));
          if (n === 0) {
            ev.readable = null;
            ep.close();
            return resolve(total);
          }
          total += n;
        }
      };
      ev.readable = drain;
    }),
    T,
    () => 'EOF',
  );
  const s = (performance.now() - t0) / 1000;
  if (got !== BYTES) throw new Error(`received ${got} bytes`);
  await src.exit(T);
  return s;
}

/** 1-byte ping-pong from zerostack to a kernel echo: RTTs in µs. */
async function zsLatency(peer: KernelPeer, port: number): Promise<{ p50: number; p99: number }> {
  const stack = peer.stack!;
  const echo = peer.python(PY_ECHO1, peer.kernelIp, String(port));
  await echo.line(/^ready$/, T);
  const ep = stack.tcp.createEndpoint();
  ep.setOption('nodelay', true);
  const ev = new Events();
  ep.observer = ev;
  ep.connect(parseIpv4(peer.kernelIp), port);
  await guard(ev.connected, T, () => 'connect');
  const one = Uint8Array.of(120);
  const rx = new Uint8Array(16);
  const d = new Distribution('rtt');
  await guard(
    new Promise<void>((resolve, reject) => {
      let i = 0;
      let t0 = 0;
      const send = (): void => {
        t0 = performance.now();
        if (ep.send(one, 0, 1) !== 1) reject(new Error('send failed'));
      };
      ev.readable = () => {
        const n = ep.recv(rx, 0, rx.length);
        if (n === TcpErrno.EAGAIN) return;
        if (n !== 1) return reject(new Error(`recv ${n}`));
        d.add((performance.now() - t0) * 1000);
        if (++i === PINGS) {
          ev.readable = null;
          ep.close();
          resolve();
        } else send();
      };
      send();
    }),
    T,
    () => 'ping-pong',
  );
  await echo.exit(T);
  return { p50: d.quantile(0.5), p99: d.quantile(0.99) };
}

export async function run(): Promise<void> {
  const reason = interopSkipReason();
  if (reason !== null) {
    console.log(`tap benchmark skipped: ${reason}`);
    return;
  }
  const rows: (string | number)[][] = [];
  const lat: (string | number)[][] = [];
  const veth = new VethPair();
  let port = 7000;
  try {
    for (const mtu of [1500, 9000]) {
      veth.setup(mtu);
      const ref: number[] = [];
      for (let r = 0; r < ROUNDS; r++) ref.push(gbps(FAST_BYTES, await veth.bulk()));
      const refMed = median(ref);
      const refLat = mtu === 1500 ? await veth.latency() : null;
      veth.cleanup();
      rows.push(['kernel → kernel (veth)', mtu, FAST_BYTES / MiB, refMed, 1]);
      if (refLat !== null) lat.push(['kernel ↔ kernel (veth)', refLat.p50, refLat.p99, 1]);

      for (const offload of [false, true]) {
        const n = offload ? FAST_BYTES : BYTES;
        const how = offload ? 'TAP + offload' : 'TAP';
        const peer = new KernelPeer({ index: 9, mtu, offload });
        try {
          peer.setup();
          await peer.stack!.ping(peer.kernelIp, { timeout: '3s' });
          const tx: number[] = [];
          const rx: number[] = [];
          for (let r = 0; r < ROUNDS; r++) {
            tx.push(gbps(n, await zsSend(peer, port++, n)));
            rx.push(gbps(n, await zsRecv(peer, port++, n)));
          }
          rows.push([`zerostack → kernel (${how})`, mtu, n / MiB, median(tx), median(tx) / refMed]);
          rows.push([`kernel → zerostack (${how})`, mtu, n / MiB, median(rx), median(rx) / refMed]);
          if (refLat !== null) {
            const z = await zsLatency(peer, port++);
            lat.push([`zerostack ↔ kernel (${how})`, z.p50, z.p99, z.p50 / refLat.p50]);
          }
          const st = peer.tap!.stats;
          const drops = Object.entries(st.drops).filter(([, v]) => v > 0);
          const o = peer.tap!.offloadStats;
          const off = offload ? `; ${o.tsoSegments} segments in ${o.tsoWrites} TSO writes, ${o.gsoReceived} GSO segments received` : '';
          console.log(`MTU ${mtu} ${how}: rx ${st.rxFrames} frames, tx ${st.txFrames} frames, drops ${drops.length ? JSON.stringify(Object.fromEntries(drops)) : 'none'}${off}`);
        } finally {
          peer.cleanup();
        }
      }
    }
  } finally {
    veth.cleanup();
  }
  printTable(`bulk TCP, median of ${ROUNDS} runs (Gbit/s of payload; ratio to veth at the same MTU)`, ['path', 'MTU', 'MiB/run', 'Gbit/s', 'x veth'], rows);
  printTable(`1-byte TCP ping-pong, ${PINGS} round trips (µs)`, ['path', 'median', 'p99', 'x veth'], lat);
}
