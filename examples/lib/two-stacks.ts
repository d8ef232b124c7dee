/**
 * Two zerostack hosts in one process: a client stack (10.0.0.1) and a server
 * stack (10.0.0.2) joined by an in-process pair of NICs (like a veth pair), in
 * real time. Every example starts from this.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RealClock, Stack, createPair, getDefaultPool } from '../../src/index.js';

export interface TwoStacks {
  clock: RealClock;
  client: Stack;
  server: Stack;
  /** Close both stacks and the clock (lets the process exit). */
  close(): void;
}

export interface TwoStacksOptions {
  /** MTU of both NICs (default 1500). */
  mtu?: number;
  /** TCP options for both stacks (src/tcp/config.ts TcpConfig), e.g. larger buffers. */
  tcp?: Record<string, unknown>;
}

export function twoStacks(opts: TwoStacksOptions = {}): TwoStacks {
  const clock = new RealClock();
  const pool = getDefaultPool();
  const pair = createPair({
    clock,
    a: { name: 'eth0', mac: new Uint8Array([2, 0, 0, 0, 0, 1]), pool, mtu: opts.mtu },
    b: { name: 'eth0', mac: new Uint8Array([2, 0, 0, 0, 0, 2]), pool, mtu: opts.mtu },
  });
  const tcp = opts.tcp === undefined ? {} : { tcp: opts.tcp };
  const client = new Stack({ clock, pool, name: 'client', nics: [pair.a], config: { interfaces: [{ address: '10.0.0.1/24' }], ...tcp } });
  const server = new Stack({ clock, pool, name: 'server', nics: [pair.b], config: { interfaces: [{ address: '10.0.0.2/24' }], ...tcp } });
  return {
    clock,
    client,
    server,
    close() {
      client.close();
      server.close();
      clock.close();
    },
  };
}

/** True when `moduleUrl` is the script Node was asked to run (`npx tsx examples/x.ts`). */
export function isMain(moduleUrl: string): boolean {
  const arg = process.argv[1];
  return arg !== undefined && moduleUrl === pathToFileURL(resolve(arg)).href;
}
