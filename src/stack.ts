/**
 * Stack: one host's network stack — interfaces, routes, ARP, IPv4 (with
 * fragmentation, reassembly and optional forwarding), ICMP, UDP, and the hook
 * TCP registers on — built from a Clock, NICs, a PacketPool and a config.
 *
 * Owns: assembling the IP-layer parts (src/ip) around one IpContext, installing
 * a receive handler on each NIC, and the public entry points (addInterface,
 * routes, setDefaultGateway, ping, createUdpSocket, counters).
 * Must not: contain protocol logic (src/ip has it) or read the wall clock.
 *
 * Contexts (docs/ARCHITECTURE.md): `input()` — called by the NIC receive
 * handlers — and clock timers are the softirq-like entry points; socket calls
 * and ping are process-like (each counts acct.syscall()).
 *
 * ```ts
 * const stack = new Stack({ clock, pool, nics: [port], config: { interfaces: [{ address: '10.0.0.1/24' }], defaultGateway: '10.0.0.254' } });
 * const { rttNs } = await stack.ping('10.0.0.2');
 * stack.ip.registerProtocol(6, tcpLayer);
 * ```
 */
import { CountingAccounting, type Accounting } from './acct/accounting.js';
import type { PacketBuffer } from './buf/packet-buffer.js';
import { PacketPool } from './buf/pool.js';
import type { Nic } from './link/nic.js';
import type { Clock } from './time/clock.js';
import { formatIpv4, parseCidr, parseIpv4, parseMac } from './wire/address.js';
import { IpProtocol } from './wire/ipv4.js';
import { ArpLayer } from './ip/arp.js';
import {
  checkKeys,
  resolveInterfaceOptions,
  resolveStackConfig,
  type InterfaceOptions,
  type StackConfig,
  type StackConfigInput,
} from './ip/config.js';
import { IpContext } from './ip/context.js';
import { StackCounters } from './ip/counters.js';
import { IcmpLayer } from './ip/icmp.js';
import { Interface } from './ip/interface.js';
import { Ipv4Layer } from './ip/ipv4.js';
import { Ipv4Receiver } from './ip/ipv4-input.js';
import { Ipv4Sender } from './ip/ipv4-output.js';
import type { PingOptions, PingResult } from './ip/ping.js';
import { PmtuCache } from './ip/pmtu.js';
import { RoutingTable } from './ip/routing.js';
import { UdpLayer } from './ip/udp.js';
import { UdpSocket, type UdpSocketOptions } from './ip/udp-socket.js';
import { PingError, Errno } from './ip/errors.js';
import { randomBytes } from 'node:crypto';
import { TcpLayer } from './tcp/tcp-layer.js';
import type { TcpConfig } from './tcp/config.js';
import { createNet, type NetModule } from './api/net/index.js';
import { Dgram } from './api/dgram/index.js';

export interface StackOptions {
  clock: Clock;
  /** Buffers for everything the stack builds (default: one process-wide pool, created on first use). Give the pool the NICs receive into. */
  pool?: PacketPool;
  /** Where work is reported (default: a CountingAccounting). */
  acct?: Accounting;
  /** For logs, errors and per-host determinism (IP identification start, ping identifier). Default 'stack'. */
  name?: string;
  /** NICs to attach at once; config.interfaces[i] configures nics[i]. */
  nics?: readonly Nic[];
  config?: StackConfigInput;
  /**
   * 16 secret bytes for RFC 6528 ISNs, timestamp offsets and ephemeral ports.
   * Default: random (crypto). Simulations pass a seed-derived one (SimHost.secret)
   * so that runs are reproducible.
   */
  secret?: Uint8Array;
}

let defaultPool: PacketPool | null = null;

/** The process-wide default pool (docs/ARCHITECTURE.md: one per process by default). */
export function getDefaultPool(): PacketPool {
  if (defaultPool === null) defaultPool = new PacketPool();
  return defaultPool;
}

export class Stack {
  readonly name: string;
  readonly clock: Clock;
  readonly pool: PacketPool;
  readonly acct: Accounting;
  readonly config: StackConfig;
  readonly counters: StackCounters;
  /** The routing table: `stack.routes.add({ destination, gateway })`, `lookup`, `remove`, `list`. */
  readonly routes: RoutingTable;
  /** IPv4: the Ipv4Output contract for transports, plus registerProtocol(proto, handler). */
  readonly ip: Ipv4Layer;
  readonly icmp: IcmpLayer;
  readonly udp: UdpLayer;
  readonly arp: ArpLayer;
  /** TCP (src/tcp), registered as IP protocol 6. */
  readonly tcp: TcpLayer;

  private readonly ctx: IpContext;
  private readonly sockets = new Set<UdpSocket>();
  private netModule: NetModule | null = null;
  private dgramModule: Dgram | null = null;
  private closed = false;

  constructor(options: StackOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Stack options must be an object; got ${String(options)}`);
    checkKeys(options as unknown as Record<string, unknown>, ['clock', 'pool', 'acct', 'name', 'nics', 'config', 'secret'], '', 'Stack option');
    const clock = options.clock;
    const isClock =
      typeof clock === 'object' && clock !== null && typeof clock.now === 'function' && typeof clock.createTimer === 'function';
    if (!isClock || typeof clock.defer !== 'function') {
      throw new TypeError('Stack option "clock" must be a Clock (now, createTimer, defer)');
    }
    if (options.pool !== undefined && !(options.pool instanceof PacketPool)) throw new TypeError('Stack option "pool" must be a PacketPool');
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new TypeError(`Stack option "name" must be a non-empty string; got ${String(options.name)}`);
    }
    if (options.nics !== undefined && !Array.isArray(options.nics)) throw new TypeError('Stack option "nics" must be an array of Nic');
    this.config = resolveStackConfig(options.config);
    this.name = options.name ?? 'stack';
    this.clock = clock;
    this.pool = options.pool ?? getDefaultPool();
    this.acct = options.acct ?? new CountingAccounting();
    this.counters = new StackCounters();

    const ctx = new IpContext(this.name, clock, this.pool, this.acct, this.config, this.counters);
    this.ctx = ctx;
    this.routes = new RoutingTable(ctx.interfaces);
    ctx.routes = this.routes;
    ctx.pmtu = new PmtuCache(clock, this.config.pmtuTimeout);
    this.arp = new ArpLayer(ctx);
    ctx.arp = this.arp;
    ctx.tx = new Ipv4Sender(ctx);
    ctx.rx = new Ipv4Receiver(ctx);
    this.icmp = new IcmpLayer(ctx);
    ctx.icmp = this.icmp;
    this.ip = new Ipv4Layer(ctx);
    this.udp = new UdpLayer(ctx);
    this.ip.registerProtocol(IpProtocol.ICMP, this.icmp);
    this.ip.registerProtocol(IpProtocol.UDP, this.udp);
    const secret = options.secret ?? randomBytes(16);
    if (!(secret instanceof Uint8Array) || secret.length !== 16) throw new TypeError('Stack option "secret" must be a Uint8Array of 16 bytes');
    const tcpConfig = (options.config as StackConfigInput | undefined)?.tcp;
    try {
      this.tcp = new TcpLayer({ clock, ip: this.ip, pool: this.pool, acct: this.acct, isnKey: secret, ...(tcpConfig ? { config: tcpConfig as Partial<TcpConfig> } : {}) });
    } catch (e) {
      throw prefixError('stack config "tcp"', e);
    }
    this.ip.registerProtocol(IpProtocol.TCP, this.tcp);

    for (const n of this.config.staticNeighbours) this.arp.addStatic(n.address, n.mac);
    const nics = options.nics ?? [];
    if (this.config.interfaces.length > nics.length) {
      throw new TypeError(`stack config "interfaces" has ${this.config.interfaces.length} entries but only ${nics.length} NICs were given`);
    }
    nics.forEach((nic, i) => this.attach(nic, this.config.interfaces[i] ?? resolveInterfaceOptions(undefined, `interfaces[${i}]`)));
    this.config.routes.forEach((r, i) => {
      const opts = {
        destination: `${formatIpv4(r.destination.address)}/${r.destination.prefixLength}`,
        metric: r.metric,
        ...(r.gateway !== 0 ? { gateway: formatIpv4(r.gateway) } : {}),
        ...(r.interface !== undefined ? { interface: r.interface } : {}),
      };
      try {
        this.routes.add(opts);
      } catch (e) {
        throw new TypeError(`stack config "routes[${i}]": ${(e as Error).message}`);
      }
    });
    if (this.config.defaultGateway !== null) this.setDefaultGateway(formatIpv4(this.config.defaultGateway));
  }

  /**
   * A node:net-compatible module bound to this stack (src/api/net): `stack.net.createServer`,
   * `stack.net.connect`, `new stack.net.Socket()`, … Built on first use.
   */
  get net(): NetModule {
    if (this.netModule === null) this.netModule = createNet(this);
    return this.netModule;
  }

  /** A node:dgram-compatible module bound to this stack (src/api/dgram, udp4): `stack.dgram.createSocket('udp4')`. Built on first use. */
  get dgram(): Dgram {
    if (this.dgramModule === null) this.dgramModule = new Dgram(this);
    return this.dgramModule;
  }

  /** The interfaces, in the order they were added. */
  get interfaces(): readonly Interface[] {
    return this.ctx.interfaces;
  }

  /** The interface named `name` (TypeError if there is none). */
  interface(name: string): Interface {
    const f = this.ctx.interfaces.find((i) => i.name === name);
    if (f === undefined) throw new TypeError(`no interface named "${name}" (have: ${this.ctx.interfaces.map((i) => i.name).join(', ')})`);
    return f;
  }

  /**
   * Attach a NIC: `addInterface(nic, { address: '10.0.0.1/24', name?, arp?, mtu? })`.
   * Installs the stack's receive handler on the NIC, adds the connected route
   * and sends a gratuitous ARP for the address.
   */
  addInterface(nic: Nic, options?: InterfaceOptions): Interface {
    return this.attach(nic, resolveInterfaceOptions(options, 'addInterface'));
  }

  /** Set (or with null, remove) an interface's address; updates its connected route and announces it. */
  setAddress(iface: Interface | string, cidr: string | null): void {
    const f = typeof iface === 'string' ? this.interface(iface) : iface;
    if (!this.ctx.interfaces.includes(f)) throw new TypeError(`setAddress: ${f.name} is not an interface of this stack`);
    if (f.hasAddress) {
      this.routes.removeInterfaceRoutes(f, true);
      this.arp.flush(f);
      f.clearAddress();
    }
    if (cidr === null) return;
    const c = parseCidr(cidr);
    const owner = this.ctx.interfaceWithAddress(c.address);
    if (owner !== null) throw new TypeError(`address ${formatIpv4(c.address)} is already assigned to ${owner.name}`);
    f.setAddress(c.address, c.prefixLength);
    this.routes.addConnected(f);
    this.arp.announce(f);
  }

  /** Route 0.0.0.0/0 via `gateway` (replacing the previous default), or remove it (null). */
  setDefaultGateway(gateway: string | null): void {
    this.routes.setDefault(gateway === null ? 0 : parseIpv4(gateway));
  }

  /** A permanent ARP entry (no resolution traffic for this neighbour). */
  addStaticNeighbour(address: string, mac: string): void {
    this.arp.addStatic(parseIpv4(address), parseMac(mac));
  }

  /**
   * ICMP echo to `dst`: resolves with { rttNs, from, ttl, bytes, seq } or rejects
   * with a PingError whose code is 'ETIMEDOUT', 'EHOSTUNREACH' (ICMP error or
   * ARP failure), 'ENETUNREACH' (no route), 'EMSGSIZE' or 'ENOBUFS'.
   */
  ping(dst: string | number, options?: PingOptions): Promise<PingResult> {
    if (this.closed) return Promise.reject(new PingError(Errno.ENETUNREACH, String(dst), 'the stack is closed'));
    return this.icmp.ping.ping(dst, options);
  }

  /** A UDP socket with the shape of Node's dgram.Socket ('udp4' only). */
  createUdpSocket(options?: UdpSocketOptions | 'udp4'): UdpSocket {
    if (this.closed) throw new Error(`stack ${this.name} is closed`);
    const s = new UdpSocket(this.ctx, this.udp, options === 'udp4' ? {} : (options ?? {}));
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    return s;
  }

  /** Softirq entry point: frames[0..count-1] arrived on `iface` (ownership passes to the stack). */
  input(frames: readonly PacketBuffer[], count: number, iface: Interface): void {
    const rx = this.ctx.rx;
    if (this.closed) {
      for (let i = 0; i < count; i++) frames[i]!.release();
      return;
    }
    for (let i = 0; i < count; i++) rx.frame(frames[i]!, iface);
  }

  /** What `stack.counters.snapshot()` returns, plus the reassembly and ARP state; for reports. */
  stats(): ReturnType<StackCounters['snapshot']> & { reassembly: { datagrams: number; memory: number }; neighbours: number } {
    return { ...this.counters.snapshot(), reassembly: this.ip.reassembly, neighbours: this.arp.neighbours().length };
  }

  /**
   * Stop: release everything the stack holds (ARP queues, fragments, looped-back
   * datagrams), reject outstanding pings, close UDP sockets; frames arriving
   * afterwards are released. NICs are not closed (their owner does that).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sockets]) if (!s.isClosed) s.close();
    this.icmp.ping.cancelAll(new PingError(Errno.ENETUNREACH, '', 'the stack was closed'));
    this.arp.flush();
    this.ctx.rx.reassembler.clear();
    this.ctx.tx.clear();
  }

  private attach(nic: Nic, opts: ReturnType<typeof resolveInterfaceOptions>): Interface {
    if (this.closed) throw new Error(`stack ${this.name} is closed`);
    if (typeof nic !== 'object' || nic === null || typeof nic.transmit !== 'function' || typeof nic.setReceiveHandler !== 'function') {
      throw new TypeError('addInterface: nic must implement Nic');
    }
    if (this.ctx.interfaces.some((i) => i.nic === nic)) throw new TypeError(`addInterface: NIC ${nic.name} is already attached`);
    const name = opts.name ?? nic.name;
    if (this.ctx.interfaces.some((i) => i.name === name)) throw new TypeError(`addInterface: an interface named "${name}" exists already`);
    const mtu = opts.mtu ?? nic.mtu;
    if (mtu > nic.mtu) throw new RangeError(`addInterface: mtu ${mtu} exceeds the MTU of NIC ${nic.name} (${nic.mtu})`);
    const iface = new Interface(this.ctx.interfaces.length, name, nic, mtu, opts.arp);
    this.ctx.interfaces.push(iface);
    this.arp.attach(iface);
    nic.setReceiveHandler((frames, count) => this.input(frames, count, iface));
    if (opts.address !== null) this.setAddress(iface, `${formatIpv4(opts.address.address)}/${opts.address.prefixLength}`);
    return iface;
  }
}

export type { StackConfig, StackConfigInput, InterfaceOptions } from './ip/config.js';
export type { PingOptions, PingResult } from './ip/ping.js';
export type { UdpSocketOptions } from './ip/udp-socket.js';

/** Re-throw a validation error with the config path in front, keeping its class. */
function prefixError(path: string, e: unknown): Error {
  if (e instanceof RangeError) return new RangeError(`${path}: ${e.message}`);
  if (e instanceof TypeError) return new TypeError(`${path}: ${e.message}`);
  return e as Error;
}
