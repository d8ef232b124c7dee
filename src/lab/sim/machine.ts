/**
 * The lab's view of a simulated machine pair: two hosts (CPU model from
 * src/host) with a Stack and a SocketCore each, joined by one simulated link,
 * plus blocking socket calls for generator processes.
 *
 * This adapter is the only place where the lab's simulated drivers meet the
 * host/stack wiring, so the drivers (chatroom-sim, bulk-sim, rr-sim) read the
 * same whatever builds the machines.
 *
 * Owns: building the pair from CommonParams (era, cpus, csum, delack, link
 * rate/delay/loss, MTU), blocking recv/send/accept/connect as `yield*`-able
 * sub-generators, CPU hogs (competing load), and collecting counters.
 * Must not: read the wall clock (virtual time only).
 */
import { Host, HostClock, HostNic, block, compute, type ProcessOp, Waitable, Distribution } from '../../host/index.js';
import { Network } from '../../sim/network.js';
import { SocketCore } from '../../socket/core.js';
import { Errno } from '../../socket/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT } from '../../socket/options.js';
import { Stack } from '../../stack.js';
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { CommonParams } from '../types.js';

export type SockCall = Generator<ProcessOp, number, boolean>;

/** Blocking socket calls for simulated processes (one per machine). */
export class BlockingSockets {
  private readonly readable = new Map<number, Waitable>();
  private readonly writable = new Map<number, Waitable>();

  constructor(
    readonly host: Host,
    readonly core: SocketCore,
  ) {}

  /** socket() + readiness wiring. */
  socket(): number {
    const fd = this.core.socket('tcp');
    if (fd < 0) throw new Error(`socket() failed: ${fd}`);
    this.watch(fd);
    return fd;
  }

  private watch(fd: number): void {
    const r = new Waitable(`fd${fd}:r`);
    const w = new Waitable(`fd${fd}:w`);
    this.readable.set(fd, r);
    this.writable.set(fd, w);
    const host = this.host;
    this.core.setReadyListener(fd, (_fd: number, ev: number) => {
      // docs/host-model.md: wake-ups caused by softirq work happen at the end of the item.
      if ((ev & (POLLIN | POLLERR | POLLHUP)) !== 0) {
        if (host.inWorkItem) host.deferEffect(signalW, r);
        else r.signal();
      }
      if ((ev & (POLLOUT | POLLERR | POLLHUP)) !== 0) {
        if (host.inWorkItem) host.deferEffect(signalW, w);
        else w.signal();
      }
    });
  }

  /** Blocking recv: bytes (> 0), 0 at EOF, or a negative errno. */
  *recv(fd: number, buf: Uint8Array, off: number, len: number): SockCall {
    for (;;) {
      const n = this.core.recv(fd, buf, off, len);
      if (n !== Errno.EAGAIN) return n;
      yield block(this.readable.get(fd)!);
    }
  }

  /**
   * Zero-copy receive: up to `max` received buffers moved into `out` (the
   * caller releases them). Count (> 0), 0 at EOF, or a negative errno.
   */
  *recvViews(fd: number, max: number, out: PacketBuffer[]): SockCall {
    const s = this.core.get(fd) as unknown as { ep: { recvViews(max: number, out: PacketBuffer[]): number } };
    for (;;) {
      const n = s.ep.recvViews(max, out);
      if (n !== Errno.EAGAIN) return n;
      yield block(this.readable.get(fd)!);
    }
  }

  /** Blocking send of all of buf[off, off+len) (a write(2) on a blocking socket). Bytes sent or a negative errno. */
  *send(fd: number, buf: Uint8Array, off: number, len: number, zeroCopyId = -1): SockCall {
    let done = 0;
    while (done < len) {
      const n = zeroCopyId >= 0 ? this.core.sendZeroCopy(fd, buf, off + done, len - done, zeroCopyId) : this.core.send(fd, buf, off + done, len - done);
      if (n > 0) {
        done += n;
        continue;
      }
      if (n !== Errno.EAGAIN) return done > 0 ? done : n;
      yield block(this.writable.get(fd)!);
    }
    return done;
  }

  /** Blocking accept: the new descriptor or a negative errno. */
  *accept(fd: number): SockCall {
    for (;;) {
      const c = this.core.accept(fd);
      if (c >= 0) {
        this.watch(c);
        return c;
      }
      if (c !== Errno.EAGAIN) return c;
      yield block(this.readable.get(fd)!);
    }
  }

  /** Blocking connect: 0 or a negative errno. */
  *connect(fd: number, addr: string, port: number): SockCall {
    let r = this.core.connect(fd, addr, port);
    while (r === Errno.EINPROGRESS || r === Errno.EALREADY) {
      yield block(this.writable.get(fd)!);
      r = this.core.connect(fd, addr, port);
    }
    return r === Errno.EISCONN ? 0 : r;
  }

  close(fd: number): number {
    this.readable.delete(fd);
    this.writable.delete(fd);
    return this.core.close(fd);
  }
}

function signalW(w: Waitable): void {
  w.signal();
}

export interface LabMachine {
  readonly name: string;
  readonly address: string;
  readonly host: Host;
  readonly stack: Stack;
  readonly core: SocketCore;
  readonly sockets: BlockingSockets;
  /** ACK delays (ns) of segments this machine received, when the receive path measures them. */
  readonly ackDelay: Distribution | null;
}

export interface MachinePair {
  readonly net: Network;
  readonly client: LabMachine;
  readonly server: LabMachine;
  /** Events the virtual clock has run so far. */
  events(): number;
}

export interface MachineOptions {
  mtu?: number;
  /** Send/receive buffer bytes per socket (default: the TCP default). */
  bufBytes?: number;
}

/** Build the two machines of a simulated run from the common parameters. */
export function buildPair(p: CommonParams, opts: MachineOptions = {}): MachinePair {
  if (p.rxPath !== 'direct') {
    throw new RangeError(`option rxPath ${JSON.stringify(p.rxPath)} needs the receive-path strategies of the simulated machines (issue F); available here: direct`);
  }
  const mtu = opts.mtu ?? 1500;
  const offload = p.csum !== 'none';
  const net = new Network({ seed: p.seed, pool: { memoryBytes: 64 * 1024 * 1024 } });
  const hc = net.addHost('client', { mtu, rxChecksum: p.csum, txChecksumOffload: offload });
  const hs = net.addHost('server', { mtu, rxChecksum: p.csum, txChecksumOffload: offload });
  net.link(hc, hs, { rate: p.linkRateBps, delay: p.delayNs, loss: p.loss, queue: 'unlimited' });
  const tcp: Record<string, unknown> = { delackPolicy: p.delack === 'off' ? 'off' : p.delack };
  if (opts.bufBytes !== undefined) Object.assign(tcp, { sndbuf: opts.bufBytes, rcvbuf: opts.bufBytes });
  const make = (h: typeof hc, address: string): LabMachine => {
    const host = new Host({ clock: net.clock, prng: net.prng.fork(`host:${h.name}`), era: p.era, cpus: p.cpus, name: h.name });
    const stack = new Stack({
      clock: new HostClock(host),
      acct: host.acct,
      pool: h.pool,
      name: h.name,
      secret: h.secret,
      nics: h.ports.map((port) => new HostNic(port, host)),
      config: { interfaces: [{ address: `${address}/24`, mtu }], tcp },
    });
    const core = new SocketCore(stack);
    return { name: h.name, address, host, stack, core, sockets: new BlockingSockets(host, core), ackDelay: null };
  };
  const client = make(hc, '10.0.0.1');
  const server = make(hs, '10.0.0.2');
  return { net, client, server, events: () => net.virtualClock.eventsRun };
}

/** Competing load: `n` CPU-bound processes on `m` that compute forever in 1 ms chunks. */
export function spawnHogs(m: LabMachine, n: number): void {
  for (let i = 0; i < n; i++) {
    m.host.spawn(`hog${i}`, function* () {
      for (;;) yield compute(1_000_000);
    });
  }
}

/** Stack counters worth reporting (TCP MIB, including the receive-path ones when present). */
export function tcpCounters(m: LabMachine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.stack.tcp.mib)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** Virtual-time guard: a run that has not finished by then is cut off (its shortfall is reported). */
const LIMIT_NS = 600e9;

export interface CpuSplit {
  softirq: number;
  process: number;
  idle: number;
}

/** Run the simulation in slices until `done()` (or the virtual-time guard). */
export function runUntilDone(pair: MachinePair, done: () => boolean, sliceNs = 10_000_000): void {
  const net = pair.net;
  while (!done() && net.now() < LIMIT_NS) {
    if (net.virtualClock.pending === 0) break;
    net.runFor(sliceNs);
  }
}

export function cpuSplit(m: LabMachine, from: ReturnType<LabMachine['host']['cpuTimes']>): CpuSplit {
  const u = m.host.utilisation(from);
  return { softirq: round4(u.softirq), process: round4(u.process), idle: round4(u.idle) };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
