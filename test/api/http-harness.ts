// Shared set-up for the HTTP-over-zerostack tests: two stacks (client 10.0.0.1,
// server 10.0.0.2) joined by the in-process pair on a RealClock, Node's
// http.Server served on the server stack through serveHttp, and a leak check
// (no open socket-core fds, no TCP connection left but TIME-WAIT).
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Readable } from 'node:stream';
import { afterEach } from 'vitest';
import { Stack } from '../../src/stack.js';
import { serveHttp } from '../../src/api/http.js';
import type { NetServer, NetSocket } from '../../src/api/net/index.js';
import { TcpState } from '../../src/tcp/tcb.js';
import { Network, type LinkOptions } from '../../src/sim/network.js';
import { twoStacks, type TwoStacks } from '../../examples/lib/two-stacks.js';


export const SERVER = '10.0.0.2';

/** Client 10.0.0.1 and server 10.0.0.2 on a RealClock. */
export type HttpEnv = TwoStacks;

/** Two stacks on the in-process pair (examples/lib/two-stacks.ts) with 4 MiB socket buffers for the bulk tests. */
export function httpPair(opts: { mtu?: number } = {}): HttpEnv {
  return twoStacks({ mtu: opts.mtu ?? 1500, tcp: { rcvbuf: 4 << 20, sndbuf: 4 << 20 } });
}

/**
 * `env(opts)` for a test file: an httpPair that is closed after each test
 * (registers the vitest afterEach hook, so call it at the top level of the file).
 */
export function httpPairPerTest(): (opts?: { mtu?: number }) => HttpEnv {
  const envs: HttpEnv[] = [];
  afterEach(() => {
    for (const e of envs.splice(0)) e.close();
  });
  return (opts = {}) => {
    const e = httpPair(opts);
    envs.push(e);
    return e;
  };
}

/** The sha256 (hex) of chunkOf(0..n-1, size) concatenated: what a bulk body must hash to. */
export function chunksDigest(n: number, size: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < n; i++) h.update(chunkOf(i, size));
  return h.digest('hex');
}
/** Collect a whole body; `onEnd` gets it at 'end'. */
export function collectBody(body: http.IncomingMessage, onEnd: (whole: Buffer) => void): void {
  const parts: Buffer[] = [];
  body.on('data', (c: Buffer) => parts.push(c));
  body.on('end', () => onEnd(Buffer.concat(parts)));
}

/** Hash a body (or any readable stream) as it streams in; `onEnd` gets its length and sha256 (hex) at 'end'. */
export function hashBody(body: Readable, onEnd: (got: { n: number; digest: string }) => void): void {
  const h = createHash('sha256');
  let n = 0;
  body.on('data', (c: Buffer) => {
    h.update(c);
    n += c.length;
  });
  body.on('end', () => onEnd({ n, digest: h.digest('hex') }));
}

export interface Served {
  http: http.Server;
  listener: NetServer;
  port: number;
  /** Every connection the listener accepted, in order. */
  accepted: NetSocket[];
  close(): Promise<void>;
}

/** Node's http.createServer(handler) listening on the server stack (port chosen by the stack). */
export async function serve(env: HttpEnv, handler: http.RequestListener, options: http.ServerOptions = {}): Promise<Served> {
  const server = http.createServer(options, handler);
  const listener = serveHttp(env.server.net, server);
  const accepted: NetSocket[] = [];
  listener.on('connection', (s: NetSocket) => accepted.push(s));
  await new Promise<void>((resolve) => listener.listen(0, SERVER, resolve));
  const port = (listener.address() as { port: number }).port;
  return {
    http: server,
    listener,
    port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a stack still holds: open socket-core fds and TCP connections other than TIME-WAIT. */
export function leftovers(stack: Stack): string[] {
  const out: string[] = [];
  const fds = stack.net.core.openCount;
  if (fds > 0) out.push(`${stack.name}: ${fds} open fds`);
  for (const t of stack.tcp.demux.connections()) if (t.state !== TcpState.TIME_WAIT) out.push(`${stack.name}: TCB in state ${t.state}`);
  return out;
}

/** Wait (bounded) until `cond` holds, checking after each turn of the event loop. */
export async function waitFor(cond: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Deterministic bytes for body `index` (a cheap xorshift), so both ends can check content. */
export function chunkOf(index: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (index * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

export interface SimHttpEnv {
  net: Network;
  client: Stack;
  server: Stack;
  /** Advance virtual time in 1 ms steps until `p` settles, letting Node's I/O callbacks run between steps. */
  drive<T>(p: Promise<T>, limitMs?: number): Promise<T>;
  close(): void;
}

/** The same two stacks on a simulated link in virtual time (VirtualClock): HTTP code runs while the test drives the clock. */
export function httpSim(link: LinkOptions, seed = 1): SimHttpEnv {
  const net = new Network({ seed, pool: { memoryBytes: 32 * 1024 * 1024 } });
  const h1 = net.addHost('client');
  const h2 = net.addHost('server');
  net.link(h1, h2, link);
  const client = new Stack({ clock: net.clock, pool: h1.pool, name: 'client', nics: h1.ports, secret: h1.secret, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
  const server = new Stack({ clock: net.clock, pool: h2.pool, name: 'server', nics: h2.ports, secret: h2.secret, config: { interfaces: [{ address: `${SERVER}/24` }] } });
  return {
    net,
    client,
    server,
    async drive<T>(p: Promise<T>, limitMs = 60_000): Promise<T> {
      let settled = false;
      const q = p.finally(() => (settled = true));
      for (let i = 0; i < limitMs && !settled; i++) {
        net.runFor('1ms');
        await new Promise((r) => setImmediate(r));
      }
      if (!settled) throw new Error(`not settled after ${limitMs} virtual ms`);
      return q;
    },
    close() {
      client.close();
      server.close();
    },
  };
}
