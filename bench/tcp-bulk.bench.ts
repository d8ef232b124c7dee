/**
 * TCP bulk throughput: one flow between two Stacks in one process, joined by an
 * in-process pair (src/link/sim/pair.ts, like a veth: no rate, no delay, no
 * impairments, checksum offloaded as on veth/loopback) on a RealClock — at MTU
 * 1500 and MTU 65535 — against Node's own `net` over 127.0.0.1 measured in the
 * same run (the kernel's loopback TCP plus libuv).
 *
 * The sender writes 1 MiB chunks whenever the endpoint is writable (observer
 * onWritable); the receiver drains on onReadable into a 1 MiB buffer. Send and
 * receive buffers are 4 MiB (config.tcp). Each configuration runs ROUNDS times;
 * the table shows the median Gbit/s (payload bits / wall time from the first
 * send to the receiver's EOF) and the ratio to Node's net.
 *
 * Run: `npx tsx bench/run.ts tcp-bulk`. Profile: `node --cpu-prof --import tsx bench/run.ts tcp-bulk`.
 */
import { createServer, connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PacketPool } from '../src/buf/pool.js';
import { createPair } from '../src/link/sim/pair.js';
import { Stack } from '../src/stack.js';
import { NULL_OBSERVER, TcpErrno, type Endpoint } from '../src/tcp/endpoint.js';
import { RealClock } from '../src/time/real-clock.js';
import { parseIpv4 } from '../src/wire/address.js';
import { median, printTable } from './util.js';

const MiB = 1024 * 1024;
const CHUNK = 1 * MiB;
const BUF = 4 * MiB;
const ROUNDS = Number(process.env.TCP_BULK_ROUNDS ?? 5);

/** One bulk transfer of `total` bytes over a fresh pair of Stacks; returns seconds. */
export async function zerostackOnce(mtu: number, total: number): Promise<{ seconds: number; segs: number; retrans: number }> {
  const clock = new RealClock();
  const pa = new PacketPool({ memoryBytes: 128 * MiB });
  const pb = new PacketPool({ memoryBytes: 128 * MiB });
  const port = { mtu, txChecksumOffload: true, rxChecksum: 'unnecessary' as const };
  const pair = createPair({
    clock,
    a: { name: 'a-eth0', mac: Uint8Array.of(2, 0, 0, 0, 1, 0), pool: pa, ...port },
    b: { name: 'b-eth0', mac: Uint8Array.of(2, 0, 0, 0, 2, 0), pool: pb, ...port },
  });
  const tcp = { sndbuf: BUF, rcvbuf: BUF };
  const secret = new Uint8Array(16).fill(7);
  const a = new Stack({ clock, pool: pa, name: 'a', nics: [pair.a], secret, config: { interfaces: [{ address: '10.0.0.1/24', mtu }], tcp } });
  const b = new Stack({ clock, pool: pb, name: 'b', nics: [pair.b], secret, config: { interfaces: [{ address: '10.0.0.2/24', mtu }], tcp } });

  const src = new Uint8Array(CHUNK);
  for (let i = 0; i < src.length; i++) src[i] = (i * 7) & 0xff;
  const dst = new Uint8Array(CHUNK);

  try {
    return await new Promise((resolve, reject) => {
      let sent = 0;
      let received = 0;
      let t0 = 0;
      const l = b.tcp.createEndpoint();
      if (l.bind(0, 5001) !== 0 || l.listen(4) !== 0) throw new Error('listen failed');
      const read = (ep: Endpoint): void => {
        for (;;) {
          const k = ep.recv(dst, 0, dst.length);
          if (k > 0) {
            received += k;
            continue;
          }
          if (k === 0) {
            const seconds = (performance.now() - t0) / 1000;
            if (received !== total) reject(new Error(`received ${received} of ${total} bytes`));
            else resolve({ seconds, segs: a.tcp.mib.OutSegs, retrans: a.tcp.mib.RetransSegs });
            ep.close();
          } else if (k !== TcpErrno.EAGAIN) reject(new Error(`recv: ${k}`));
          return;
        }
      };
      l.observer = {
        ...NULL_OBSERVER,
        onAcceptable(le) {
          const r = le.accept();
          if (typeof r === 'number') return;
          r.observer = { ...NULL_OBSERVER, onReadable: read, onError: (_e, n) => reject(new Error(`server error ${n}`)) };
          read(r);
        },
      };
      const write = (ep: Endpoint): void => {
        if (t0 === 0) t0 = performance.now();
        while (sent < total) {
          const k = ep.send(src, 0, Math.min(CHUNK, total - sent));
          if (k <= 0) {
            if (k !== TcpErrno.EAGAIN) reject(new Error(`send: ${k}`));
            return;
          }
          sent += k;
        }
        if (ep.shutdown(1) === 0) ep.observer = { ...NULL_OBSERVER };
      };
      const c = a.tcp.createEndpoint();
      c.observer = { ...NULL_OBSERVER, onConnect: write, onWritable: write, onError: (_e, n) => reject(new Error(`client error ${n}`)) };
      const r = c.connect(parseIpv4('10.0.0.2'), 5001);
      if (r !== TcpErrno.EINPROGRESS) reject(new Error(`connect: ${r}`));
    });
  } finally {
    a.close();
    b.close();
    clock.close();
  }
}

/** The same transfer through Node's net over 127.0.0.1; returns seconds. */
async function nodeNetOnce(total: number): Promise<number> {
  const src = Buffer.alloc(CHUNK, 7);
  return new Promise((resolve, reject) => {
    let received = 0;
    let t0 = 0;
    const server = createServer((sock: Socket) => {
      sock.on('data', (d: Buffer) => {
        received += d.length;
      });
      sock.on('end', () => {
        const s = (performance.now() - t0) / 1000;
        server.close();
        if (received !== total) reject(new Error(`net received ${received} of ${total}`));
        else resolve(s);
      });
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const c = netConnect({ port, host: '127.0.0.1' }, () => {
        t0 = performance.now();
        let sent = 0;
        const write = (): void => {
          while (sent < total) {
            const n = Math.min(CHUNK, total - sent);
            sent += n;
            if (!c.write(n === CHUNK ? src : src.subarray(0, n))) {
              c.once('drain', write);
              return;
            }
          }
          c.end();
        };
        write();
      });
      c.on('error', reject);
    });
  });
}

const gbps = (bytes: number, s: number): number => (bytes * 8) / s / 1e9;

export async function run(): Promise<void> {
  const configs = [
    { name: 'zerostack MTU 1500', mtu: 1500, total: Number(process.env.TCP_BULK_MIB_1500 ?? 512) * MiB },
    { name: 'zerostack MTU 65535', mtu: 65535, total: Number(process.env.TCP_BULK_MIB_65535 ?? 8192) * MiB },
  ];
  const netTotal = 4096 * MiB;
  // Warm-up (JIT) runs, not reported.
  await zerostackOnce(1500, 16 * MiB);
  await zerostackOnce(65535, 16 * MiB);
  await nodeNetOnce(64 * MiB);

  const netTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) netTimes.push(await nodeNetOnce(netTotal));
  const netG = gbps(netTotal, median(netTimes));

  const rows: (string | number)[][] = [];
  for (const c of configs) {
    const times: number[] = [];
    let segs = 0;
    let retrans = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const r = await zerostackOnce(c.mtu, c.total);
      times.push(r.seconds);
      segs = r.segs;
      retrans = r.retrans;
    }
    const g = gbps(c.total, median(times));
    rows.push([c.name, `${c.total / MiB} MiB`, median(times), g, g / netG, String(segs), String(retrans)]);
  }
  rows.push(["node net 127.0.0.1", `${netTotal / MiB} MiB`, median(netTimes), netG, 1, '-', '-']);
  printTable(`TCP bulk, one flow, median of ${ROUNDS} (Gbit/s of payload; ratio = vs node net)`, ['flow', 'bytes', 'seconds', 'Gbit/s', 'ratio', 'segs out', 'retrans'], rows);
}
