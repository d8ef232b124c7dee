// Shared helpers for the IP-layer tests: small simulated topologies with a
// Stack on each host, a way to run virtual time until a promise settles, and
// hand-built frames for the malformed-input tests.
import { PacketPool } from '../../src/buf/pool.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { Network, type LinkOptions, type SimHost } from '../../src/sim/network.js';
import { Stack, type StackConfigInput } from '../../src/stack.js';
import { parseIpv4, writeU16, writeU32 } from '../../src/wire/address.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';

export const MS = 1_000_000;
export const S = 1_000_000_000;

/** A small pool for a test host (8 MiB; 2 KiB / 16 KiB / 64 KiB classes). */
export function testPool(): PacketPool {
  return new PacketPool({ memoryBytes: 8 * 1024 * 1024 });
}

export interface HostSpec {
  name: string;
  /** One CIDR per port, in port order. */
  addresses: string[];
  config?: StackConfigInput;
}

/** Attach a Stack to a SimHost's ports with the given addresses. */
export function stackOn(host: SimHost, net: Network, addresses: string[], config: StackConfigInput = {}): Stack {
  return new Stack({
    clock: net.clock,
    pool: host.pool,
    name: host.name,
    nics: host.ports,
    config: { ...config, interfaces: addresses.map((address) => ({ address })) },
  });
}

export interface TwoHosts {
  net: Network;
  h1: SimHost;
  h2: SimHost;
  a: Stack;
  b: Stack;
}

/** h1 (10.0.0.1/24) — h2 (10.0.0.2/24) on one link. */
export function twoHosts(opts: { seed?: number; link?: LinkOptions; a?: StackConfigInput; b?: StackConfigInput } = {}): TwoHosts {
  const net = new Network({ seed: opts.seed ?? 1, pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms', ...opts.link });
  const a = stackOn(h1, net, ['10.0.0.1/24'], opts.a);
  const b = stackOn(h2, net, ['10.0.0.2/24'], opts.b);
  return { net, h1, h2, a, b };
}

export interface Routed {
  net: Network;
  h1: SimHost;
  r: SimHost;
  h2: SimHost;
  a: Stack;
  router: Stack;
  b: Stack;
}

/** h1 (10.0.1.2/24) — router (10.0.1.1/24 | 10.0.2.1/24) — h2 (10.0.2.2/24); hosts default-route via the router. */
export function routed(opts: { seed?: number; link1?: LinkOptions; link2?: LinkOptions; router?: StackConfigInput; a?: StackConfigInput; b?: StackConfigInput } = {}): Routed {
  const net = new Network({ seed: opts.seed ?? 1, pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
  const h1 = net.addHost('h1');
  const r = net.addHost('r');
  const h2 = net.addHost('h2');
  net.link(h1, r, { delay: '1ms', ...opts.link1 });
  net.link(r, h2, { delay: '1ms', ...opts.link2 });
  const a = stackOn(h1, net, ['10.0.1.2/24'], { defaultGateway: '10.0.1.1', ...opts.a });
  const router = stackOn(r, net, ['10.0.1.1/24', '10.0.2.1/24'], { ipForwarding: true, ...opts.router });
  const b = stackOn(h2, net, ['10.0.2.2/24'], { defaultGateway: '10.0.2.1', ...opts.b });
  return { net, h1, r, h2, a, router, b };
}

export interface Settled<T> {
  done: boolean;
  value?: T;
  error?: Error;
}

/** Observe a promise's outcome without awaiting it (virtual time runs synchronously). */
export function track<T>(p: Promise<T>): Settled<T> {
  const s: Settled<T> = { done: false };
  p.then(
    (v) => {
      s.done = true;
      s.value = v;
    },
    (e: Error) => {
      s.done = true;
      s.error = e;
    },
  );
  return s;
}

/** Let promise continuations (microtasks) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Run virtual time in `step` slices until the promise settles or `limit` ns pass; then return its outcome. */
export async function runUntilSettled<T>(net: Network, p: Promise<T>, limit = 10 * S, step = 1 * MS): Promise<Settled<T>> {
  const s = track(p);
  const end = net.now() + limit;
  while (!s.done && net.now() < end) {
    net.runFor(step);
    await flushMicrotasks();
  }
  return s;
}

/** Deterministic bytes (an LCG keyed by seed). */
export function pattern(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

// --- hand-built frames ------------------------------------------------------

export interface Ipv4FrameSpec {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  /** Flags (3 bits) and fragment offset in bytes. */
  flags?: number;
  fragmentOffset?: number;
  /** Override fields after building (for malformed frames). */
  mutate?: (frame: Uint8Array, ipOff: number) => void;
  /** Bytes of Ethernet padding after the datagram. */
  trailer?: number;
}

/** An Ethernet + IPv4 frame as plain bytes with a correct header checksum (before `mutate`). */
export function ipv4Frame(spec: Ipv4FrameSpec): Uint8Array {
  const ip = 14;
  const total = 20 + spec.payload.length;
  const f = new Uint8Array(14 + total + (spec.trailer ?? 0));
  f.set(spec.dstMac, 0);
  f.set(spec.srcMac, 6);
  writeU16(f, 12, 0x0800);
  f[ip] = 0x45;
  writeU16(f, ip + 2, total);
  writeU16(f, ip + 4, spec.id ?? 1);
  writeU16(f, ip + 6, ((spec.flags ?? 0) << 13) | ((spec.fragmentOffset ?? 0) >>> 3));
  f[ip + 8] = spec.ttl ?? 64;
  f[ip + 9] = spec.protocol;
  writeU32(f, ip + 12, parseIpv4(spec.src));
  writeU32(f, ip + 16, parseIpv4(spec.dst));
  writeU16(f, ip + 10, finishChecksum(onesSum(f, ip, 20)));
  f.set(spec.payload, ip + 20);
  spec.mutate?.(f, ip);
  return f;
}

/** A UDP datagram (header + data) with a correct checksum (or `checksum` forced). */
export function udpDatagram(src: string, dst: string, srcPort: number, dstPort: number, data: Uint8Array, checksum?: number): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  writeU16(u, 0, srcPort);
  writeU16(u, 2, dstPort);
  writeU16(u, 4, u.length);
  u.set(data, 8);
  if (checksum !== undefined) writeU16(u, 6, checksum);
  else {
    const c = finishChecksum(onesSum(u, 0, u.length, pseudoHeaderSum(parseIpv4(src), parseIpv4(dst), 17, u.length)));
    writeU16(u, 6, c === 0 ? 0xffff : c);
  }
  return u;
}

/** An ICMP message (type, code, rest-of-header word, body) with a correct checksum. */
export function icmpMessage(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type;
  m[1] = code;
  writeU32(m, 4, rest);
  m.set(body, 8);
  writeU16(m, 2, finishChecksum(onesSum(m, 0, m.length)));
  return m;
}

/** Copy bytes into a fresh buffer of `pool` (for feeding Stack.input directly). */
export function frameBuffer(pool: PacketPool, bytes: Uint8Array): PacketBuffer {
  const b = pool.allocCopy(bytes, 0, bytes.length, 0);
  if (b === null) throw new Error('test pool exhausted');
  return b;
}
