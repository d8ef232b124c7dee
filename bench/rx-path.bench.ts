/**
 * Receive paths doing the real work inside zerostack (background/receive-path.md
 * §5: "inside zerostack itself, the seed's trade-offs are real"). Real mode — no
 * host CPU model, CountingAccounting — two stacks on a 10 Gbit/s virtual link,
 * NIC without checksum offload, a 16 MiB bulk transfer; the receiver uses:
 *   direct    software checksum at arrival, then a copy in recv
 *   prequeue  a waiting reader: segments queued raw, fused checksum+copy in recv
 *   zerocopy  software checksum at arrival, recvViews (no copy)
 * Wall time per transfer (the sender's work is the same in every row), median of
 * interleaved rounds, ratio against `direct` measured in the same run.
 * Run: `npx tsx bench/run.ts rx-path`.
 */
import { performance } from 'node:perf_hooks';
import type { PacketBuffer } from '../src/buf/packet-buffer.js';
import { CountingAccounting } from '../src/acct/accounting.js';
import { Network } from '../src/sim/network.js';
import { Stack } from '../src/stack.js';
import type { Endpoint } from '../src/tcp/endpoint.js';
import { markWaitingReader, setStackReceivePath } from '../src/tcp/rx-path/index.js';
import { parseIpv4 } from '../src/wire/address.js';
import { median, printTable } from './util.js';

const TOTAL = 16 << 20;
const ROUNDS = 5;
const PATHS = ['direct', 'prequeue', 'zerocopy'] as const;

interface Outcome {
  seconds: number;
  copied: number;
  fused: number;
  checksummed: number;
}

function transfer(path: (typeof PATHS)[number]): Outcome {
  const net = new Network({ seed: 1, pool: { memoryBytes: 64 << 20 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { rate: '10Gbit', delay: '10us', queue: 'unlimited' });
  const tcp = { rcvbuf: 4 << 20, sndbuf: 4 << 20 };
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', secret: h1.secret, nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }], tcp } });
  const acct = new CountingAccounting();
  const b = new Stack({ clock: net.clock, pool: h2.pool, acct, name: 'h2', secret: h2.secret, nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }], tcp } });
  setStackReceivePath(b.tcp, path);
  const l = b.tcp.createEndpoint();
  l.bind(0, 80);
  l.listen(1);
  const c = a.tcp.createEndpoint();
  c.connect(parseIpv4('10.0.0.2'), 80);
  net.runFor(1_000_000);
  const s = l.accept() as Endpoint;
  const data = new Uint8Array(1 << 20);
  const buf = new Uint8Array(256 << 10);
  const views: PacketBuffer[] = [];
  let sent = 0;
  let got = 0;
  const t0 = performance.now();
  while (got < TOTAL) {
    while (sent < TOTAL) {
      const n = c.send(data, 0, Math.min(data.length, TOTAL - sent));
      if (n <= 0) break;
      sent += n;
    }
    if (path === 'prequeue') markWaitingReader(s, buf.length);
    net.runFor(20_000);
    for (;;) {
      if (path === 'zerocopy') {
        const k = s.recvViews(64, views);
        if (k <= 0) break;
        for (let i = 0; i < k; i++) {
          const v = views[i]!;
          got += v.tail - v.head;
          v.release();
        }
      } else {
        const n = s.recv(buf, 0, buf.length);
        if (n <= 0) break;
        got += n;
      }
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, copied: acct.bytesCopied, fused: acct.bytesCopyChecksummed, checksummed: acct.bytesChecksummed };
}

export function run(): void {
  const times = new Map<string, number[]>(PATHS.map((p) => [p, []]));
  const last = new Map<string, Outcome>();
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < PATHS.length; i++) {
      const p = PATHS[(i + r) % PATHS.length]!;
      const o = transfer(p);
      times.get(p)!.push(o.seconds);
      last.set(p, o);
    }
  }
  const base = median(times.get('direct')!);
  printTable(
    `receive paths, real mode: ${TOTAL >> 20} MiB bulk, no checksum offload (median of ${ROUNDS} interleaved rounds)`,
    ['path', 'ms', 'MiB/s', 'vs direct', 'copied MiB', 'fused MiB', 'csum MiB'],
    PATHS.map((p) => {
      const t = median(times.get(p)!);
      const o = last.get(p)!;
      return [p, t * 1000, TOTAL / (1 << 20) / t, base / t, o.copied / (1 << 20), o.fused / (1 << 20), o.checksummed / (1 << 20)];
    }),
  );
}
