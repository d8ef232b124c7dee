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
import { compute, type Distribution, type ProcessOp } from '../../host/index.js';
import { simNetwork, type MachineCounters, type SimMachine } from '../../host/sim-machine.js';
import type { Network } from '../../sim/network.js';
import type { CommonParams } from '../types.js';

export type SockCall = Generator<ProcessOp, number, boolean>;

/**
 * A simulated machine (src/host/sim-machine.ts: Host + Stack + SocketCore +
 * ProcessSockets). The lab uses it as is.
 */
export type LabMachine = SimMachine;

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
  /** Packet memory per host (default 32 MiB). */
  poolBytes?: number;
}

/**
 * Build the two machines of a simulated run from the common parameters: both
 * with the same era, CPUs, checksum offload, receive path, delayed-ACK policy
 * and send copy mode, joined by one link (rate, delay, loss; unlimited queue,
 * so the only losses are the configured ones).
 */
export function buildPair(p: CommonParams, opts: MachineOptions = {}): MachinePair {
  const mtu = opts.mtu ?? 1500;
  const tcp = opts.bufBytes !== undefined ? { sndbuf: opts.bufBytes, rcvbuf: opts.bufBytes } : undefined;
  const common = { era: p.era, cpus: p.cpus, csum: p.csum, rxPath: p.rxPath, delack: p.delack, copy: p.copy, mtu, ...(tcp ? { tcp } : {}) };
  const sn = simNetwork({
    seed: p.seed,
    pool: { memoryBytes: opts.poolBytes ?? 32 * 1024 * 1024 },
    link: { rate: p.linkRateBps, delay: p.delayNs, loss: p.loss, queue: 'unlimited' },
    machines: [
      { name: 'client', address: '10.0.0.1/24', ...common },
      { name: 'server', address: '10.0.0.2/24', ...common },
    ],
  });
  const [client, server] = sn.machines as [SimMachine, SimMachine];
  return { net: sn.net, client, server, events: () => sn.net.virtualClock.eventsRun };
}

/** A socket for a simulated process, or an Error naming the errno. */
export function openSocket(m: LabMachine): number {
  const fd = m.sockets.socket('tcp');
  if (fd < 0) throw new Error(`${m.name}: socket() failed (${fd})`);
  return fd;
}

/** Competing load: `n` CPU-bound processes on `m` that compute forever in 1 ms chunks. */
export function spawnHogs(m: LabMachine, n: number): void {
  for (let i = 0; i < n; i++) {
    m.spawn(`hog${i}`, function* () {
      for (;;) yield compute(1_000_000);
    });
  }
}

/** Counters worth reporting: the TCP MIB plus the machine's receive-path counters and work totals. */
export function tcpCounters(m: LabMachine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.stack.tcp.mib)) if (typeof v === 'number') out[k] = v;
  const c: MachineCounters = m.counters();
  for (const [k, v] of Object.entries(c)) if (typeof v === 'number') out[k] = v;
  return out;
}

/** The machine's ACK-delay distribution (every connection). */
export function ackDelayOf(m: LabMachine): Distribution {
  return m.ackDelay;
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
