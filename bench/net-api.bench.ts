/**
 * stack.net against node:net, same driver code on both (only the module
 * differs): small-message ping-pong (messages/s, the chat pattern: one write,
 * one 'data' per message) with C concurrent connections, and a one-way 64 MiB
 * stream (MB/s). Baseline: node:net over the kernel loopback, measured in the
 * same run, alternating. zerostack: two Stacks over the in-process pair on a
 * RealClock (MTU 65535 and checksum offload, like the kernel loopback).
 *
 * Run: `npx tsx bench/run.ts net-api`. Env: NET_BENCH_ROUNDS (3), NET_BENCH_CONNS (20), NET_BENCH_MSGS (2000).
 */
import nodeNet from 'node:net';
import { performance } from 'node:perf_hooks';
import { PacketPool } from '../src/buf/pool.js';
import { createPair } from '../src/link/sim/pair.js';
import { Stack } from '../src/stack.js';
import { RealClock } from '../src/time/real-clock.js';
import { median, printTable } from './util.js';

type NetLike = Pick<typeof nodeNet, 'createServer' | 'connect'>;

interface Transport {
  name: string;
  server: NetLike;
  client: NetLike;
  host: string;
  close(): void;
}

function kernel(): Transport {
  return { name: 'node:net (kernel loopback)', server: nodeNet, client: nodeNet, host: '127.0.0.1', close() {} };
}

function zerostack(): Transport {
  const clock = new RealClock();
  const pool = new PacketPool({ memoryBytes: 256 * 1024 * 1024 });
  const pair = createPair({
    clock,
    a: { name: 'a0', mac: new Uint8Array([2, 0, 0, 0, 0, 1]), pool, mtu: 65535, txChecksumOffload: true, rxChecksum: 'unnecessary' },
    b: { name: 'b0', mac: new Uint8Array([2, 0, 0, 0, 0, 2]), pool, mtu: 65535, txChecksumOffload: true, rxChecksum: 'unnecessary' },
  });
  const tcp = { rcvbuf: 1024 * 1024, sndbuf: 1024 * 1024 };
  const a = new Stack({ clock, pool, name: 'A', nics: [pair.a], config: { interfaces: [{ address: '10.0.0.1/24' }], tcp } });
  const b = new Stack({ clock, pool, name: 'B', nics: [pair.b], config: { interfaces: [{ address: '10.0.0.2/24' }], tcp } });
  return {
    name: 'stack.net (in-process pair)',
    server: b.net as unknown as NetLike,
    client: a.net as unknown as NetLike,
    host: '10.0.0.2',
    close() {
      a.close();
      b.close();
      clock.close();
    },
  };
}

/** C connections each doing M request/response round trips of 64-byte messages; messages/s (both directions). */
async function pingPong(t: Transport, conns: number, msgs: number): Promise<number> {
  const msg = Buffer.alloc(64, 1);
  const server = t.server.createServer({ noDelay: true }, (s) => {
    let pending = 0;
    s.on('data', (d: Buffer) => {
      pending += d.length;
      while (pending >= 64) {
        pending -= 64;
        s.write(msg);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, t.host, () => r()));
  const port = (server.address() as { port: number }).port;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conns }, () =>
      new Promise<void>((resolve) => {
        const c = t.client.connect({ port, host: t.host, noDelay: true });
        let left = msgs;
        let got = 0;
        c.on('connect', () => c.write(msg));
        c.on('data', (d: Buffer) => {
          got += d.length;
          while (got >= 64) {
            got -= 64;
            if (--left === 0) {
              c.destroy();
              resolve();
              return;
            }
            c.write(msg);
          }
        });
      }),
    ),
  );
  const s = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => server.close(() => r()));
  return (2 * conns * msgs) / s;
}

/** One connection, 64 MiB one way in 64 KiB writes; MB/s. */
async function stream(t: Transport): Promise<number> {
  const total = 64 * 1024 * 1024;
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = t.server.createServer((s) => {
    s.on('data', (d: Buffer) => (got += d.length));
    s.on('end', () => {
      s.end();
      done();
    });
  });
  await new Promise<void>((r) => server.listen(0, t.host, () => r()));
  const port = (server.address() as { port: number }).port;
  const chunk = Buffer.alloc(64 * 1024, 3);
  const t0 = performance.now();
  const c = t.client.connect(port, t.host);
  await new Promise<void>((r) => c.on('connect', () => r()));
  let sent = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!c.write(chunk)) return void c.once('drain', pump);
      }
      c.end();
      resolve();
    };
    pump();
  });
  await finished;
  const s = (performance.now() - t0) / 1000;
  if (got !== total) throw new Error(`stream: received ${got} of ${total}`);
  await new Promise<void>((r) => server.close(() => r()));
  return total / 1e6 / s;
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.NET_BENCH_ROUNDS ?? 3);
  const conns = Number(process.env.NET_BENCH_CONNS ?? 20);
  const msgs = Number(process.env.NET_BENCH_MSGS ?? 2000);
  const res: Record<string, { pp: number[]; st: number[] }> = {};
  const makers = [kernel, zerostack];
  // Warm-up (JIT), not reported.
  for (const mk of makers) {
    const t = mk();
    await pingPong(t, 2, 200);
    await stream(t);
    t.close();
  }
  for (let r = 0; r < rounds; r++) {
    for (const mk of makers) {
      const t = mk();
      const e = (res[t.name] ??= { pp: [], st: [] });
      e.pp.push(await pingPong(t, conns, msgs));
      e.st.push(await stream(t));
      t.close();
    }
  }
  const base = res[kernel().name]!;
  printTable(
    `stack.net vs node:net, median of ${rounds} (ping-pong: ${conns} conns × ${msgs} round trips of 64 B; stream: 64 MiB)`,
    ['transport', 'msg/s', 'ratio', 'stream MB/s', 'ratio'],
    Object.entries(res).map(([name, v]) => [name, median(v.pp), median(v.pp) / median(base.pp), median(v.st), median(v.st) / median(base.st)]),
  );
}
