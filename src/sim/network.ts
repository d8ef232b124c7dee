/**
 * Network: the topology builder for simulations — hosts with SimPorts, wires
 * between them, learning switches, and captures, all on one clock and one
 * seeded PRNG.
 *
 * Owns: naming (hosts, ports, MAC addresses), user-facing option parsing with
 * units and defaults, the per-link-direction random streams, and convenience
 * run methods on the VirtualClock.
 * Must not: know about IP or TCP (later issues attach a Stack to a SimHost's
 * ports), or be needed by link drivers (src/link never imports src/sim).
 *
 * Determinism: a run is a function of the seed and the sequence of builder calls
 * and traffic. Each link direction draws from `prng.fork('link:<from>-><to>')`
 * (port names), which depends only on the seed and the label, so adding a link
 * does not change the draws of the others.
 *
 * Naming: hosts and switches have unique names; host ports are `<host>-eth<i>`,
 * switch ports `<switch>-p<i>` (i from 0). MACs are locally administered and
 * deterministic: host number n (1-based, in order of addHost) port i gets
 * 02:00:00:(n>>8):(n&255):i — 02:00:00:00:01:00 is the first host's eth0;
 * switch ports use 02:00:01:… likewise.
 *
 * Link options (all optional; units as src/util/units.ts parses them):
 *   rate        '10Gbit' | bit/s number | 'unlimited'   (default '1Gbit')
 *   delay       propagation delay, '1ms' | ns            (default 0)
 *   queue       drop-tail bytes, '64KiB' | bytes | 'unlimited'
 *               (default 1000 full-size frames of the sending port, like txqueuelen 1000)
 *   overheadBytes  per-frame serialization overhead (default 0; 24 = preamble+SFD+FCS+IFG)
 *   loss        '1%' | 0.01
 *   burstLoss   { p, r, h?, k? } probabilities (Gilbert-Elliott; h default 0, k default 1)
 *   duplicate   probability
 *   reorder     { p, delay }
 *   corrupt     probability (one bit flipped beyond the Ethernet header)
 *   jitter      '100us' (uniform [0, x]) | { amount, distribution?: 'uniform' | 'normal' }
 *   mtu, rxChecksum, txChecksumOffload, rxBatch   port settings for both ends
 *   ab, ba      per-direction overrides of the direction settings (a→b, b→a)
 *   a, b        per-end overrides of the port settings
 * Port settings default to the host's addHost options, then to mtu 1500,
 * rxChecksum 'none', txChecksumOffload false. Unknown keys and bad values throw
 * a TypeError/RangeError naming the option and the value.
 */
import { PacketPool, type PacketPoolOptions } from '../buf/pool.js';
import { noImpairments, type ImpairmentConfig, type JitterDistribution } from '../link/sim/impairments.js';
import type { RxChecksumCapability } from '../link/nic.js';
import { SimPort } from '../link/sim/port.js';
import { LearningSwitch } from '../link/sim/switch.js';
import { Wire, type LinkDirectionStats, type PacketRecorder, type WireDirection, type WireDirectionConfig } from '../link/sim/wire.js';
import type { Clock, Nanos } from '../time/clock.js';
import { VirtualClock, type RunUntilIdleOptions } from '../time/virtual-clock.js';
import { Prng } from '../util/prng.js';
import { parseDuration, parseProbability, parseRate, parseSize, type UnitValue } from '../util/units.js';
import { describeValue } from '../util/describe.js';

/** Settings of one direction of a link (see the module comment). */
export interface LinkDirectionOptions {
  rate?: UnitValue;
  delay?: UnitValue;
  queue?: UnitValue;
  overheadBytes?: number;
  loss?: UnitValue;
  burstLoss?: { p: UnitValue; r: UnitValue; h?: UnitValue; k?: UnitValue } | null;
  duplicate?: UnitValue;
  reorder?: { p: UnitValue; delay: UnitValue } | null;
  corrupt?: UnitValue;
  jitter?: UnitValue | { amount: UnitValue; distribution?: JitterDistribution } | null;
}

/** Settings of one port (a NIC). */
export interface PortSettings {
  mtu?: number;
  rxChecksum?: RxChecksumCapability;
  txChecksumOffload?: boolean;
  rxBatch?: number;
}

export interface LinkOptions extends LinkDirectionOptions, PortSettings {
  /** Overrides for the a→b direction. */
  ab?: LinkDirectionOptions;
  /** Overrides for the b→a direction. */
  ba?: LinkDirectionOptions;
  /** Overrides for port a. */
  a?: PortSettings;
  /** Overrides for port b. */
  b?: PortSettings;
}

export interface HostOptions extends PortSettings {
  /** The host's packet memory; default: a new PacketPool(network pool options). */
  pool?: PacketPool;
}

export interface SwitchOptions {
  /** The switch's packet memory; default: a new PacketPool(network pool options). */
  pool?: PacketPool;
  /** MAC aging time (default 300 s); 0 disables aging. */
  agingTime?: UnitValue;
}

export interface NetworkOptions {
  /** Seed of the network's PRNG (safe integer or string). */
  seed: number | string;
  /** Default: a new VirtualClock starting at 0. */
  clock?: Clock;
  /** Options for pools the network creates (default 16 MiB of memory each). */
  pool?: PacketPoolOptions;
  /** Defaults for every link, overridden by each link's own options. */
  linkDefaults?: LinkOptions;
}

/** A simulated host: the record a Stack is later attached to. */
export interface SimHost {
  readonly kind: 'host';
  readonly name: string;
  /** 1-based, in order of creation (used in MAC addresses). */
  readonly index: number;
  readonly pool: PacketPool;
  readonly clock: Clock;
  /** The host's NICs in order of creation (eth0, eth1, …). */
  readonly ports: SimPort[];
  readonly settings: Readonly<PortSettings>;
  /** 16 bytes derived from the network seed and the host name: pass as Stack option `secret` for reproducible ISNs. */
  readonly secret: Uint8Array;
}

/** A switch in the network. */
export interface SimSwitch {
  readonly kind: 'switch';
  readonly name: string;
  readonly index: number;
  readonly bridge: LearningSwitch;
  readonly ports: SimPort[];
}

export type SimNode = SimHost | SimSwitch;

/** A link between two ports: the wire and its two ends. */
export class SimLink {
  constructor(
    readonly wire: Wire,
    readonly aNode: SimNode,
    readonly bNode: SimNode,
  ) {}
  get a(): SimPort {
    return this.wire.a;
  }
  get b(): SimPort {
    return this.wire.b;
  }
  /** [a, b]: the two new ports. */
  get ports(): [SimPort, SimPort] {
    return [this.wire.a, this.wire.b];
  }
  /** Per-direction counters (see LinkDirectionStats). */
  get stats(): { ab: LinkDirectionStats; ba: LinkDirectionStats } {
    return { ab: this.wire.ab.stats, ba: this.wire.ba.stats };
  }
}

export type CapturePoint = 'departure' | 'arrival';

const DEFAULT_POOL: PacketPoolOptions = { memoryBytes: 16 * 1024 * 1024 };
const DEFAULT_RATE = 1e9;
const DEFAULT_QUEUE_FRAMES = 1000;

const DIRECTION_KEYS = [
  'rate',
  'delay',
  'queue',
  'overheadBytes',
  'loss',
  'burstLoss',
  'duplicate',
  'reorder',
  'corrupt',
  'jitter',
] as const;
const PORT_KEYS = ['mtu', 'rxChecksum', 'txChecksumOffload', 'rxBatch'] as const;
const LINK_KEYS = new Set<string>([...DIRECTION_KEYS, ...PORT_KEYS, 'ab', 'ba', 'a', 'b']);


function checkKeys(what: string, obj: unknown, allowed: ReadonlySet<string> | readonly string[]): void {
  if (obj === undefined) return;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new TypeError(`${what} must be an object; got ${describeValue(obj)}`);
  }
  const set = allowed instanceof Set ? allowed : new Set(allowed as readonly string[]);
  for (const k of Object.keys(obj)) {
    if (!set.has(k)) throw new TypeError(`${what}: unknown option ${JSON.stringify(k)} (known: ${[...set].join(', ')})`);
  }
}

function isUnlimited(v: unknown): boolean {
  return v === 'unlimited' || v === Infinity;
}

/** Merge direction settings: later sources override earlier ones key by key. */
function mergeDirection(...sources: (LinkDirectionOptions | undefined)[]): LinkDirectionOptions {
  const out: Record<string, unknown> = {};
  for (const s of sources) {
    if (s === undefined) continue;
    for (const k of DIRECTION_KEYS) if (s[k] !== undefined) out[k] = s[k];
  }
  return out as LinkDirectionOptions;
}

function mergePort(...sources: (PortSettings | undefined)[]): PortSettings {
  const out: Record<string, unknown> = {};
  for (const s of sources) {
    if (s === undefined) continue;
    for (const k of PORT_KEYS) if (s[k] !== undefined) out[k] = s[k];
  }
  return out as PortSettings;
}

/**
 * Parse user direction options into a WireDirectionConfig. `opt` prefixes
 * option names in errors (e.g. 'link h1-h2 option').
 */
export function parseDirectionOptions(opt: string, o: LinkDirectionOptions, maxFrameSize: number): WireDirectionConfig {
  const name = (k: string): string => `${opt} "${k}"`;
  const rate = o.rate === undefined ? DEFAULT_RATE : isUnlimited(o.rate) ? Infinity : parseRate(name('rate'), o.rate);
  const delay = o.delay === undefined ? 0 : parseDuration(name('delay'), o.delay);
  const queueBytes =
    o.queue === undefined ? DEFAULT_QUEUE_FRAMES * maxFrameSize : isUnlimited(o.queue) ? Infinity : parseSize(name('queue'), o.queue);
  const overhead = o.overheadBytes ?? 0;
  if (!Number.isInteger(overhead) || overhead < 0) {
    throw new RangeError(`${name('overheadBytes')} must be a non-negative integer; got ${describeValue(o.overheadBytes)}`);
  }
  const imp: ImpairmentConfig = noImpairments();
  if (o.loss !== undefined) imp.loss = parseProbability(name('loss'), o.loss);
  if (o.duplicate !== undefined) imp.duplicate = parseProbability(name('duplicate'), o.duplicate);
  if (o.corrupt !== undefined) imp.corrupt = parseProbability(name('corrupt'), o.corrupt);
  if (o.burstLoss != null) {
    const b = o.burstLoss;
    checkKeys(name('burstLoss'), b, ['p', 'r', 'h', 'k']);
    if (b.p === undefined || b.r === undefined) {
      throw new TypeError(`${name('burstLoss')} needs p (good→bad) and r (bad→good); got ${describeValue(b)}`);
    }
    const p = parseProbability(name('burstLoss.p'), b.p);
    const r = parseProbability(name('burstLoss.r'), b.r);
    const h = b.h === undefined ? 0 : parseProbability(name('burstLoss.h'), b.h);
    const k = b.k === undefined ? 1 : parseProbability(name('burstLoss.k'), b.k);
    if (p + r === 0) throw new RangeError(`${name('burstLoss')} needs p + r > 0; got ${describeValue(b)}`);
    imp.burstLoss = { p, r, h, k };
  }
  if (o.reorder != null) {
    const ro = o.reorder;
    checkKeys(name('reorder'), ro, ['p', 'delay']);
    if (ro.p === undefined || ro.delay === undefined) {
      throw new TypeError(`${name('reorder')} needs p and delay; got ${describeValue(ro)}`);
    }
    const p = parseProbability(name('reorder.p'), ro.p);
    const d = parseDuration(name('reorder.delay'), ro.delay);
    if (p > 0 && d > 0) imp.reorder = { p, delay: d };
  }
  if (o.jitter != null) {
    let amount: Nanos;
    let distribution: JitterDistribution = 'uniform';
    if (typeof o.jitter === 'object') {
      checkKeys(name('jitter'), o.jitter, ['amount', 'distribution']);
      if (o.jitter.amount === undefined) throw new TypeError(`${name('jitter')} needs amount; got ${describeValue(o.jitter)}`);
      amount = parseDuration(name('jitter.amount'), o.jitter.amount);
      const dist = o.jitter.distribution ?? 'uniform';
      if (dist !== 'uniform' && dist !== 'normal') {
        throw new TypeError(`${name('jitter.distribution')} must be 'uniform' or 'normal'; got ${describeValue(dist)}`);
      }
      distribution = dist;
    } else {
      amount = parseDuration(name('jitter'), o.jitter);
    }
    if (amount > 0) imp.jitter = { amount, distribution };
  }
  return { rate, delay, queueBytes, overheadBytes: overhead, impairments: imp };
}

function pickPort(s: PortSettings | undefined): PortSettings {
  return mergePort(s);
}

/** Validate port settings; errors name `${opt} "${keyPrefix}${key}"`. */
function checkPortSettings(opt: string, s: PortSettings | undefined, keyPrefix = ''): void {
  if (s === undefined) return;
  const name = (k: string): string => `${opt} "${keyPrefix}${k}"`;
  if (s.txChecksumOffload !== undefined && typeof s.txChecksumOffload !== 'boolean') {
    throw new TypeError(`${name('txChecksumOffload')} must be a boolean; got ${describeValue(s.txChecksumOffload)}`);
  }
  if (s.rxChecksum !== undefined && s.rxChecksum !== 'none' && s.rxChecksum !== 'unnecessary' && s.rxChecksum !== 'complete') {
    throw new TypeError(`${name('rxChecksum')} must be 'none', 'unnecessary' or 'complete'; got ${describeValue(s.rxChecksum)}`);
  }
  if (s.mtu !== undefined && (!Number.isInteger(s.mtu) || s.mtu < 68 || s.mtu > 65535)) {
    throw new RangeError(`${name('mtu')} must be an integer in 68..65535; got ${describeValue(s.mtu)}`);
  }
  if (s.rxBatch !== undefined && (!Number.isInteger(s.rxBatch) || s.rxBatch < 1)) {
    throw new RangeError(`${name('rxBatch')} must be a positive integer; got ${describeValue(s.rxBatch)}`);
  }
}

/** Check the keys and port settings of a whole LinkOptions object (direction values are parsed later). */
function checkLinkOptions(what: string, o: LinkOptions | undefined): void {
  if (o === undefined) return;
  checkKeys(`${what}s`, o, LINK_KEYS);
  checkPortSettings(what, pickPort(o));
  for (const k of ['ab', 'ba'] as const) checkKeys(`${what} "${k}"`, o[k], DIRECTION_KEYS);
  for (const k of ['a', 'b'] as const) {
    checkKeys(`${what} "${k}"`, o[k], PORT_KEYS);
    checkPortSettings(what, o[k], `${k}.`);
  }
}

function nodeMac(prefix: number, index: number, port: number): Uint8Array {
  return Uint8Array.of(0x02, 0x00, prefix, (index >>> 8) & 0xff, index & 0xff, port);
}

export class Network {
  readonly clock: Clock;
  /** The root PRNG (links fork from it by label). */
  readonly prng: Prng;
  readonly hosts = new Map<string, SimHost>();
  readonly switches = new Map<string, SimSwitch>();
  readonly links: SimLink[] = [];
  private readonly poolOptions: PacketPoolOptions;
  private readonly linkDefaults: LinkOptions;

  constructor(opts: NetworkOptions) {
    checkKeys('Network options', opts, ['seed', 'clock', 'pool', 'linkDefaults']);
    if (opts.seed === undefined) throw new TypeError('Network option "seed" is required (a safe integer or a string)');
    this.prng = new Prng(opts.seed);
    this.clock = opts.clock ?? new VirtualClock();
    this.poolOptions = opts.pool ?? DEFAULT_POOL;
    this.linkDefaults = opts.linkDefaults ?? {};
    checkLinkOptions('Network option "linkDefaults"', this.linkDefaults);
    // Fail fast on bad default values too (frame size only matters for the default queue).
    const d = this.linkDefaults;
    for (const k of ['ab', 'ba'] as const) parseDirectionOptions('Network option "linkDefaults"', mergeDirection(d, d[k]), 1514);
  }

  /** The clock as a VirtualClock (throws if the network runs on another clock). */
  get virtualClock(): VirtualClock {
    if (!(this.clock instanceof VirtualClock)) throw new TypeError('this Network does not run on a VirtualClock');
    return this.clock;
  }

  /** Current time (ns). */
  now(): Nanos {
    return this.clock.now();
  }

  /** Run the virtual clock until absolute time `t` (ns or '10ms'). */
  runUntil(t: UnitValue): number {
    return this.virtualClock.runUntil(parseDuration('runUntil "t"', t));
  }

  /** Run the virtual clock for `dt` (ns or '10ms'). */
  runFor(dt: UnitValue): number {
    return this.virtualClock.runFor(parseDuration('runFor "dt"', dt));
  }

  runUntilIdle(opts?: RunUntilIdleOptions): number {
    return this.virtualClock.runUntilIdle(opts);
  }

  addHost(name: string, opts: HostOptions = {}): SimHost {
    this.checkNewName(name);
    checkKeys(`host ${name} options`, opts, [...PORT_KEYS, 'pool']);
    const { pool, ...settings } = opts;
    checkPortSettings(`host ${name} option`, settings);
    if (pool !== undefined && !(pool instanceof PacketPool)) {
      throw new TypeError(`host ${name} option "pool" must be a PacketPool; got ${describeValue(pool)}`);
    }
    const host: SimHost = {
      kind: 'host',
      name,
      index: this.hosts.size + 1,
      pool: pool ?? new PacketPool(this.poolOptions),
      clock: this.clock,
      ports: [],
      settings: Object.freeze({ ...settings }),
      secret: secretFrom(this.prng.fork(`secret:${name}`)),
    };
    this.hosts.set(name, host);
    return host;
  }

  addSwitch(name: string, opts: SwitchOptions = {}): SimSwitch {
    this.checkNewName(name);
    checkKeys(`switch ${name} options`, opts, ['pool', 'agingTime']);
    const aging = opts.agingTime === undefined ? undefined : parseDuration(`switch ${name} option "agingTime"`, opts.agingTime);
    const bridge = new LearningSwitch({
      name,
      clock: this.clock,
      pool: opts.pool ?? new PacketPool(this.poolOptions),
      ...(aging === undefined ? {} : { agingTime: aging }),
    });
    const sw: SimSwitch = { kind: 'switch', name, index: this.switches.size + 1, bridge, ports: bridge.ports };
    this.switches.set(name, sw);
    return sw;
  }

  /** A host or switch by name (throws if unknown). */
  node(name: string): SimNode {
    const n = this.hosts.get(name) ?? this.switches.get(name);
    if (n === undefined) throw new TypeError(`no host or switch named ${JSON.stringify(name)}`);
    return n;
  }

  /** Wire a new port of `a` to a new port of `b`. Returns the link; `link.ports` are the two new ports. */
  link(a: SimNode | string, b: SimNode | string, options: LinkOptions = {}): SimLink {
    const na = typeof a === 'string' ? this.node(a) : a;
    const nb = typeof b === 'string' ? this.node(b) : b;
    if (na === nb) throw new TypeError(`cannot link ${na.name} to itself`);
    const what = `link ${na.name}-${nb.name} option`;
    checkLinkOptions(what, options);
    const d = this.linkDefaults;
    const portA = mergePort(na.kind === 'host' ? na.settings : undefined, d, d.a, options, options.a);
    const portB = mergePort(nb.kind === 'host' ? nb.settings : undefined, d, d.b, options, options.b);

    const pa = this.newPort(na, portA);
    const pb = this.newPort(nb, portB);
    const ab = parseDirectionOptions(what, mergeDirection(d, d.ab, options, options.ab), pa.capabilities.maxFrameSize);
    const ba = parseDirectionOptions(what, mergeDirection(d, d.ba, options, options.ba), pb.capabilities.maxFrameSize);
    const wire = new Wire(
      this.clock,
      pa,
      pb,
      ab,
      ba,
      this.prng.fork(`link:${pa.name}->${pb.name}`),
      this.prng.fork(`link:${pb.name}->${pa.name}`),
    );
    this.addPort(na, pa);
    this.addPort(nb, pb);
    const link = new SimLink(wire, na, nb);
    this.links.push(link);
    return link;
  }

  /** Wire a host to a switch (a = host side, b = switch side). */
  connect(host: SimHost | string, sw: SimSwitch | string, options: LinkOptions = {}): SimLink {
    const h = typeof host === 'string' ? this.node(host) : host;
    const s = typeof sw === 'string' ? this.node(sw) : sw;
    if (h.kind !== 'host') throw new TypeError(`connect: ${h.name} is not a host`);
    if (s.kind !== 'switch') throw new TypeError(`connect: ${s.name} is not a switch`);
    return this.link(h, s, options);
  }

  /**
   * Record frames into `writer` (e.g. a PcapWriter):
   *  - a SimPort: frames it puts on the wire (at departure: padded, checksums
   *    filled in, before impairments) and frames that arrive for it (at arrival,
   *    after impairments) — the host's view of its wire;
   *  - a SimLink: both directions at `at` (default 'arrival': what each end receives);
   *  - a WireDirection: that direction at `at`.
   */
  capture(target: SimPort | SimLink | WireDirection, writer: PacketRecorder, at: CapturePoint = 'arrival'): void {
    if (at !== 'departure' && at !== 'arrival') {
      throw new TypeError(`capture "at" must be 'departure' or 'arrival'; got ${describeValue(at)}`);
    }
    if (target instanceof SimPort) {
      for (const l of this.links) {
        if (l.a === target || l.b === target) {
          l.wire.from(target).departureCaptures.push(writer);
          l.wire.from(target === l.a ? l.b : l.a).arrivalCaptures.push(writer);
          return;
        }
      }
      throw new TypeError(`capture: port ${target.name} is not linked in this network`);
    }
    if (target instanceof SimLink) {
      for (const d of [target.wire.ab, target.wire.ba]) (at === 'arrival' ? d.arrivalCaptures : d.departureCaptures).push(writer);
      return;
    }
    (at === 'arrival' ? target.arrivalCaptures : target.departureCaptures).push(writer);
  }

  private checkNewName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`a node name must be a non-empty string; got ${describeValue(name)}`);
    if (this.hosts.has(name) || this.switches.has(name)) throw new TypeError(`a host or switch named ${JSON.stringify(name)} already exists`);
  }

  private newPort(node: SimNode, s: PortSettings): SimPort {
    const i = node.ports.length;
    if (i > 255) throw new RangeError(`${node.name}: at most 256 ports`);
    if (node.kind === 'host') {
      return new SimPort({
        name: `${node.name}-eth${i}`,
        mac: nodeMac(0, node.index, i),
        pool: node.pool,
        clock: this.clock,
        ...s,
      });
    }
    return new SimPort({
      name: `${node.name}-p${i}`,
      mac: nodeMac(1, node.index, i),
      pool: node.bridge.pool,
      clock: this.clock,
      ...s,
    });
  }

  private addPort(node: SimNode, port: SimPort): void {
    if (node.kind === 'host') node.ports.push(port);
    else node.bridge.adoptPort(port);
  }
}

/** 16 bytes from a forked stream: deterministic per (seed, host name). */
function secretFrom(prng: Prng): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i += 4) {
    const x = prng.nextU32();
    out[i] = x >>> 24;
    out[i + 1] = (x >>> 16) & 0xff;
    out[i + 2] = (x >>> 8) & 0xff;
    out[i + 3] = x & 0xff;
  }
  return out;
}
