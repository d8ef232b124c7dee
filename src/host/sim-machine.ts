/**
 * SimMachine: a simulated computer — a Host (CPUs, cost model) running a Stack,
 * a SocketCore and ProcessSockets on a Network host, wired exactly as
 * docs/host-model.md "Integration contract" shows (HostClock, host.acct,
 * HostNic-wrapped ports) — and `simNetwork()`, which builds two or more of them
 * joined by a link (or a switch) in one call:
 *
 *   const { net, machines: [a, b] } = simNetwork({
 *     seed: 1, link: { rate: '100Mbit', delay: '1ms' },
 *     machines: [{ name: 'a', era: '2002' }, { name: 'b', era: '2002', rxPath: 'prequeue', csum: 'none' }],
 *   });
 *   b.spawn('server', function* () { … yield* b.sockets.accept(fd) … });
 *
 * Options map onto the lab's parameters (src/lab/types.ts): era, cpus, cost
 * overrides, csum (NIC rx checksum state and tx offload), rxPath (receive-path
 * strategy, src/tcp/rx-path), delack (delayed-ACK policy), copy (send copy
 * mode), tcp config overrides, address/prefix, mtu.
 *
 * Measurement reachable from a machine: host.utilisation (softirq / process /
 * idle), `counters()` (the receive-path and delayed-ACK MIB counters plus the
 * accounting totals: bytes copied / checksummed / fused), `ackDelay` (all of
 * this host's connections) and `ackDelayOf(fd)` (one socket's).
 *
 * Owns: option validation and the wiring. Must not: implement behaviour.
 */
import type { CopyMode, CsumMode, DelackName, EraName, RxPathName } from '../lab/types.js';
import { Network, type LinkOptions, type SimHost } from '../sim/network.js';
import { SocketCore } from '../socket/core.js';
import { TcpSocket } from '../socket/tcp-socket.js';
import { Stack } from '../stack.js';
import type { TcpConfig } from '../tcp/config.js';
import { ackDelayOf, configureRxMeasurement, receivePathNames, setStackReceivePath } from '../tcp/rx-path/index.js';
import type { PacketPoolOptions } from '../buf/pool.js';
import { Prng } from '../util/prng.js';
import { describeValue } from '../util/describe.js';
import type { CostModel } from './cost-model.js';
import { HostClock } from './host-clock.js';
import { HostNic, type HostNicOptions } from './host-nic.js';
import type { Process, ProcessBody } from './process.js';
import { ProcessSockets } from './process-socket.js';
import { Host, type CpuTimes, type Utilisation } from './scheduler.js';
import { Distribution, type DistributionSummary } from './stats.js';

export interface SimMachineOptions {
  /** Host name (unique in the network). */
  name: string;
  /** Cost-model era (default '2025'). */
  era?: EraName;
  /** CPUs (default 1). */
  cpus?: number;
  /** Cost-model overrides (docs/host-model.md table). */
  cost?: Partial<CostModel>;
  /** CPU that takes the NIC interrupt (default 0). */
  irqCpu?: number;
  /** NIC checksum: 'none' (software both ways), 'unnecessary' / 'complete' (rx state, with tx offload). Default 'none'. */
  csum?: CsumMode;
  /** Receive-path strategy (default 'direct'). */
  rxPath?: RxPathName;
  /** Delayed-ACK policy (default 'rfc'). */
  delack?: DelackName;
  /** Send copy mode of ProcessSockets.send (default 'copy'). */
  copy?: CopyMode;
  /** TCP configuration overrides (src/tcp/config.ts); `delack` wins over tcp.delackPolicy. */
  tcp?: Partial<TcpConfig>;
  /** Address with prefix, e.g. '10.0.0.1/24' (simNetwork assigns 10.0.0.<i+1>/24 by default). */
  address?: string;
  /** Interface MTU (default 1500). */
  mtu?: number;
  /** HostNic options (budget, backlog). */
  nic?: HostNicOptions;
}

/** The receive-path / delayed-ACK counters and the accounting totals of one machine. */
export interface MachineCounters {
  TCPPrequeued: number;
  TCPDirectCopyFromPrequeue: number;
  TCPDirectCopyFromBacklog: number;
  TCPPrequeueDropped: number;
  TCPSchedulerFailed: number;
  DelayedACKs: number;
  DelayedACKLocked: number;
  DelayedACKLost: number;
  InSegs: number;
  OutSegs: number;
  InCsumErrors: number;
  packets: number;
  bytesCopied: number;
  bytesChecksummed: number;
  bytesCopyChecksummed: number;
  syscalls: number;
}

export interface SimMachine {
  readonly name: string;
  /** Dotted-quad address (no prefix). */
  readonly addr: string;
  /** Address with prefix. */
  readonly cidr: string;
  readonly net: Network;
  readonly simHost: SimHost;
  readonly host: Host;
  readonly stack: Stack;
  readonly core: SocketCore;
  readonly sockets: ProcessSockets;
  /** Processes started with spawn(). */
  readonly apps: Process[];
  /** ACK delays (ns) of every connection of this machine: segment arrival at the NIC → the covering ACK leaves. */
  readonly ackDelay: Distribution;
  /** The options in effect (defaults filled in). */
  readonly options: Readonly<Required<Omit<SimMachineOptions, 'cost' | 'tcp' | 'nic' | 'irqCpu'>>> & Pick<SimMachineOptions, 'cost' | 'tcp' | 'nic' | 'irqCpu'>;
  /** host.spawn, remembered in `apps`. */
  spawn(name: string, body: ProcessBody): Process;
  /** One socket's ACK-delay distribution (null: not a TCP socket, or no data received yet). */
  ackDelayOf(fd: number): Distribution | null;
  counters(): MachineCounters;
  /**
   * Everything the lab reports for this machine since `from` (default: time 0):
   * CPU split softirq / process / idle, the counters, and the ACK-delay summary.
   */
  stats(from?: CpuTimes): MachineStats;
}

/** A machine's measurements (plain data, JSON-able). */
export interface MachineStats {
  cpu: Utilisation;
  counters: MachineCounters;
  /** ACK delay over all connections (null: no sample). */
  ackDelay: DistributionSummary | null;
}

const CSUM: readonly CsumMode[] = ['none', 'unnecessary', 'complete'];
const DELACK: readonly DelackName[] = ['rfc', 'linux', 'off'];
const COPY: readonly CopyMode[] = ['copy', 'copy+csum', 'zerocopy'];
const KEYS = ['name', 'era', 'cpus', 'cost', 'irqCpu', 'csum', 'rxPath', 'delack', 'copy', 'tcp', 'address', 'mtu', 'nic'];

function choice<T extends string>(what: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new RangeError(`${what} must be one of ${allowed.join(', ')}; got ${describeValue(v)}`);
  }
  return v as T;
}

function resolve(o: SimMachineOptions, defaultAddress: string | undefined): SimMachine['options'] {
  if (typeof o !== 'object' || o === null) throw new TypeError(`SimMachine options must be an object; got ${describeValue(o)}`);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw new TypeError(`SimMachine ${String(o.name)}: unknown option ${JSON.stringify(k)}`);
  if (typeof o.name !== 'string' || o.name === '') throw new TypeError(`SimMachine option name must be a non-empty string; got ${describeValue(o.name)}`);
  const w = `SimMachine ${o.name} option`;
  const address = o.address ?? defaultAddress;
  if (typeof address !== 'string' || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(address)) {
    throw new TypeError(`${w} address must be 'a.b.c.d/prefix'; got ${describeValue(address)}`);
  }
  const mtu = o.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new RangeError(`${w} mtu must be an integer in [68, 65535]; got ${describeValue(mtu)}`);
  const cpus = o.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`${w} cpus must be an integer >= 1; got ${describeValue(cpus)}`);
  return {
    name: o.name,
    era: choice(`${w} era`, o.era, ['2002', '2025'], '2025'),
    cpus,
    csum: choice(`${w} csum`, o.csum, CSUM, 'none'),
    rxPath: choice(`${w} rxPath`, o.rxPath, receivePathNames() as RxPathName[], 'direct'),
    delack: choice(`${w} delack`, o.delack, DELACK, 'rfc'),
    copy: choice(`${w} copy`, o.copy, COPY, 'copy'),
    address,
    mtu,
    ...(o.cost !== undefined ? { cost: o.cost } : {}),
    ...(o.tcp !== undefined ? { tcp: o.tcp } : {}),
    ...(o.nic !== undefined ? { nic: o.nic } : {}),
    ...(o.irqCpu !== undefined ? { irqCpu: o.irqCpu } : {}),
  };
}

/** Port settings a machine's NICs need (pass to Network.addHost before linking). */
export function portSettingsFor(csum: CsumMode, mtu = 1500): { rxChecksum: CsumMode; txChecksumOffload: boolean; mtu: number } {
  return { rxChecksum: csum, txChecksumOffload: csum !== 'none', mtu };
}

/**
 * Add a machine's host record to `net` (ports follow from net.link / net.connect);
 * then link it and call attachSimMachine.
 */
export function addMachineHost(net: Network, opts: SimMachineOptions): SimHost {
  const o = resolve(opts, '0.0.0.0/0');
  return net.addHost(o.name, portSettingsFor(o.csum, o.mtu));
}

/**
 * Build the Host, Stack, SocketCore and ProcessSockets of a machine on a linked
 * Network host (its ports already exist). The host's PRNG is forked from the
 * network's as `host:<name>` (deterministic per seed and name).
 */
export function attachSimMachine(net: Network, simHost: SimHost, opts: SimMachineOptions): SimMachine {
  const o = resolve(opts, undefined);
  if (simHost.ports.length === 0) throw new TypeError(`SimMachine ${o.name}: host ${simHost.name} has no ports; link it before attaching`);
  const host = new Host({
    clock: net.clock,
    prng: net.prng.fork(`host:${o.name}`),
    era: o.era,
    cpus: o.cpus,
    name: o.name,
    ...(o.cost !== undefined ? { cost: o.cost } : {}),
    ...(o.irqCpu !== undefined ? { irqCpu: o.irqCpu } : {}),
  });
  const tcp: Partial<TcpConfig> = { ...(o.tcp ?? {}), delackPolicy: o.delack };
  const stack = new Stack({
    clock: new HostClock(host),
    acct: host.acct,
    pool: simHost.pool,
    name: o.name,
    secret: simHost.secret,
    nics: simHost.ports.map((p) => new HostNic(p, host, o.nic ?? {})),
    config: { interfaces: [{ address: o.address, mtu: o.mtu }], tcp },
  });
  setStackReceivePath(stack.tcp, o.rxPath);
  const ackDelay = new Distribution(`${o.name}:ackDelay`);
  configureRxMeasurement(stack.tcp, {
    ackDelaySink: () => new Distribution('ackDelay'),
    ackDelayAll: ackDelay,
    deferEffect: (fn, ctx) => host.deferEffect(fn, ctx),
  });
  const core = new SocketCore(stack);
  const sockets = new ProcessSockets(host, core, { copy: o.copy });
  const apps: Process[] = [];
  return {
    name: o.name,
    addr: o.address.slice(0, o.address.indexOf('/')),
    cidr: o.address,
    net,
    simHost,
    host,
    stack,
    core,
    sockets,
    apps,
    ackDelay,
    options: Object.freeze(o),
    spawn(name: string, body: ProcessBody): Process {
      const p = host.spawn(name, body);
      apps.push(p);
      return p;
    },
    ackDelayOf(fd: number): Distribution | null {
      const s = core.get(fd);
      if (!(s instanceof TcpSocket)) return null;
      const d = ackDelayOf(s.ep);
      return d instanceof Distribution ? d : null;
    },
    counters(): MachineCounters {
      const m = stack.tcp.mib;
      const a = host.acct;
      return {
        TCPPrequeued: m.TCPPrequeued,
        TCPDirectCopyFromPrequeue: m.TCPDirectCopyFromPrequeue,
        TCPDirectCopyFromBacklog: m.TCPDirectCopyFromBacklog,
        TCPPrequeueDropped: m.TCPPrequeueDropped,
        TCPSchedulerFailed: m.TCPSchedulerFailed,
        DelayedACKs: m.DelayedACKs,
        DelayedACKLocked: m.DelayedACKLocked,
        DelayedACKLost: m.DelayedACKLost,
        InSegs: m.InSegs,
        OutSegs: m.OutSegs,
        InCsumErrors: m.InCsumErrors,
        packets: a.packets,
        bytesCopied: a.bytesCopied,
        bytesChecksummed: a.bytesChecksummed,
        bytesCopyChecksummed: a.bytesCopyChecksummed,
        syscalls: a.syscalls,
      };
    },
    stats(from?: CpuTimes): MachineStats {
      const start = from ?? { at: 0, softirqNs: host.cpus.map(() => 0), processNs: host.cpus.map(() => 0) };
      const to = host.cpuTimes();
      return {
        cpu: host.utilisation(start, to.at > start.at ? to : { ...to, at: start.at + 1 }),
        counters: this.counters(),
        ackDelay: ackDelay.count > 0 ? ackDelay.summary() : null,
      };
    },
  };
}

export interface SimNetworkOptions {
  /** Network seed (every random stream derives from it). */
  seed: number | string;
  /** The machines; addresses default to 10.0.0.<i+1>/24. */
  machines: SimMachineOptions[];
  /** Link options (rate, delay, loss, queue, …; src/sim/network.ts): the pair's link, or every machine's link to the switch. */
  link?: LinkOptions;
  /** Packet memory per host (default 16 MiB). */
  pool?: PacketPoolOptions;
}

export interface SimNetwork {
  readonly net: Network;
  readonly machines: SimMachine[];
  /** A machine by name (TypeError if unknown). */
  machine(name: string): SimMachine;
}

/**
 * Build N ≥ 2 machines on one Network: two are joined by one link, more by one
 * learning switch ('sw') with a link per machine.
 */
export function simNetwork(opts: SimNetworkOptions): SimNetwork {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`simNetwork options must be an object; got ${describeValue(opts)}`);
  if (!Array.isArray(opts.machines) || opts.machines.length < 2) {
    throw new RangeError(`simNetwork option machines must be an array of at least 2 machine options; got ${describeValue(opts.machines)}`);
  }
  if (opts.machines.length > 250) throw new RangeError(`simNetwork option machines: at most 250 machines; got ${opts.machines.length}`);
  const net = new Network({ seed: opts.seed, ...(opts.pool !== undefined ? { pool: opts.pool } : {}) });
  const resolved = opts.machines.map((m, i) => ({ ...m, address: m.address ?? `10.0.0.${i + 1}/24` }));
  const hosts = resolved.map((m) => addMachineHost(net, m));
  const link = opts.link ?? {};
  if (hosts.length === 2) {
    net.link(hosts[0]!, hosts[1]!, link);
  } else {
    const sw = net.addSwitch('sw');
    for (const h of hosts) net.connect(h, sw, link);
  }
  const machines = resolved.map((m, i) => attachSimMachine(net, hosts[i]!, m));
  return {
    net,
    machines,
    machine(name: string): SimMachine {
      const m = machines.find((x) => x.name === name);
      if (m === undefined) throw new TypeError(`simNetwork: no machine named ${JSON.stringify(name)}`);
      return m;
    },
  };
}

/** A fresh Prng stream for an application (deterministic per network seed and label). */
export function appPrng(m: SimMachine, label: string): Prng {
  return m.net.prng.fork(`app:${m.name}:${label}`);
}
