/**
 * Stack configuration: the IP-layer tunables of one host (forwarding, TTL, ARP,
 * reassembly, ICMP rate limit, UDP buffers and ports, static neighbours,
 * declarative interfaces and routes), their defaults, units and valid ranges.
 *
 * Owns: validation and defaults. Durations are integer ns (numbers) or strings
 * with a unit ('30s', '500ms'); sizes are bytes or strings ('4MiB').
 * Must not: hold state or touch packets. Validated once, when a Stack is built.
 *
 * Validation (CONVENTIONS "Errors", STYLE lesson 14): an unknown key is a
 * TypeError naming its path (`unknown stack config key "arp.retires"`); a value
 * of the wrong type or out of range is a TypeError/RangeError naming the option
 * and the value. Nothing is silently clamped.
 *
 * Linux equivalents are named next to each option.
 */
import { isValidMac, parseCidr, parseIpv4, parseMac, type Ipv4Cidr } from '../wire/address.js';
import { NS_PER_MS, NS_PER_S, type Nanos } from '../time/clock.js';
import { parseDuration, parseSize, type UnitValue } from '../util/units.js';
import { describeValue } from '../util/describe.js';

/** Options of one interface (Stack.addInterface, or config.interfaces[i] for the i-th constructor NIC). */
export interface InterfaceOptions {
  /** IPv4 address with prefix, e.g. '10.0.0.1/24'. Omit for an interface without an address (yet). */
  address?: string;
  /** Name used in routes and errors (default: the NIC's name). */
  name?: string;
  /**
   * Resolve neighbours with ARP (default true). false = a link without ARP (Linux
   * IFF_NOARP): no requests, no replies, no gratuitous ARP; only static
   * neighbours can be reached, everything else fails with EHOSTUNREACH at once.
   */
  arp?: boolean;
  /** IP MTU, at most the NIC's (default the NIC's). */
  mtu?: number;
}

export interface RouteOptions {
  /** Destination prefix, e.g. '10.2.0.0/16' or '0.0.0.0/0'. */
  destination: string;
  /** Next hop (must be on a connected network); omit for an on-link route (requires `interface`). */
  gateway?: string;
  /** Interface name; default: the interface whose connected network holds the gateway. */
  interface?: string;
  /** Lower wins among routes with the same prefix length (default 0). */
  metric?: number;
}

export interface StackConfigInput {
  /** TCP options (src/tcp/config.ts TcpConfig), validated by the TCP layer. */
  tcp?: Record<string, unknown>;
  /** Forward datagrams not addressed to us between interfaces (Linux net.ipv4.ip_forward; default false). */
  ipForwarding?: boolean;
  /** TTL of datagrams we originate (Linux ip_default_ttl 64; RFC 1700 suggests 64). */
  defaultTtl?: number;
  arp?: {
    /** How long a resolved entry is used before it is resolved again (default 60 s; RFC 1122 §2.3.2.1 "on the order of a minute"). */
    cacheTimeout?: UnitValue;
    /** ARP requests sent before giving up (default 3, Linux mcast_solicit). */
    retries?: number;
    /** Time between requests, and after the last one before failing (default 1 s, Linux retrans_time_ms). */
    retryInterval?: UnitValue;
    /** Packets queued per unresolved neighbour; the oldest is dropped beyond it (default 64; Linux unres_qlen_bytes ≈ 100 full frames). */
    queueLimit?: number;
    /** Announce our address with a gratuitous ARP when it is set (default true; RFC 5227 §3 announcement). */
    gratuitous?: boolean;
  };
  reassembly?: {
    /** Lifetime of an incomplete datagram (default 30 s = Linux ipfrag_time; RFC 1122 §3.3.2 recommends 60-120 s). */
    timeout?: UnitValue;
    /** Bytes held by all incomplete datagrams; fragments beyond it are dropped (default 4 MiB = Linux ipfrag_high_thresh). */
    memoryLimit?: UnitValue;
  };
  icmp?: {
    /** RFC 1812 §4.3.2.8 token bucket for ICMP errors: tokens per second (default 1000, Linux icmp_msgs_per_sec); 0 = no errors. */
    errorRate?: number;
    /** Bucket depth (default 50, Linux icmp_msgs_burst). */
    errorBurst?: number;
    /** Ignore echo requests to broadcast addresses (default true; Linux icmp_echo_ignore_broadcasts, RFC 1122 §3.2.2.6 MAY). */
    echoIgnoreBroadcasts?: boolean;
  };
  udp?: {
    /** Receive buffer per socket in bytes of queued datagrams (default 212992, Linux rmem_default). */
    rcvbuf?: UnitValue;
    /** Ephemeral port range, inclusive (Linux ip_local_port_range 32768 60999). */
    ephemeralLow?: number;
    ephemeralHigh?: number;
    /** Send UDP checksums (default true; RFC 1122 §4.1.3.4 MUST default to on). */
    checksums?: boolean;
  };
  /** How long a path MTU learnt from ICMP fragmentation-needed is kept (default 10 min, RFC 1191 §6.3; Linux mtu_expires). */
  pmtuTimeout?: UnitValue;
  /** Neighbours that need no ARP: { '10.0.0.2': '02:00:00:00:00:02' } (Linux `ip neigh add … nud permanent`). */
  staticNeighbours?: Readonly<Record<string, string>>;
  /** Interface options for the NICs given to the Stack constructor, by index. */
  interfaces?: readonly InterfaceOptions[];
  /** Static routes added after the interfaces. */
  routes?: readonly RouteOptions[];
  /** Default gateway (a route 0.0.0.0/0 via it). */
  defaultGateway?: string;
}

export interface InterfaceConfig {
  readonly address: Ipv4Cidr | null;
  readonly name: string | undefined;
  readonly arp: boolean;
  readonly mtu: number | undefined;
}

export interface RouteConfig {
  readonly destination: Ipv4Cidr;
  readonly gateway: number;
  readonly interface: string | undefined;
  readonly metric: number;
}

export interface StackConfig {
  readonly ipForwarding: boolean;
  readonly defaultTtl: number;
  readonly arp: {
    readonly cacheTimeout: Nanos;
    readonly retries: number;
    readonly retryInterval: Nanos;
    readonly queueLimit: number;
    readonly gratuitous: boolean;
  };
  readonly reassembly: { readonly timeout: Nanos; readonly memoryLimit: number };
  readonly icmp: { readonly errorRate: number; readonly errorBurst: number; readonly echoIgnoreBroadcasts: boolean };
  readonly udp: { readonly rcvbuf: number; readonly ephemeralLow: number; readonly ephemeralHigh: number; readonly checksums: boolean };
  readonly pmtuTimeout: Nanos;
  readonly staticNeighbours: readonly { readonly address: number; readonly mac: Uint8Array }[];
  readonly interfaces: readonly InterfaceConfig[];
  readonly routes: readonly RouteConfig[];
  readonly defaultGateway: number | null;
}

export const DEFAULT_STACK_CONFIG: StackConfig = Object.freeze({
  ipForwarding: false,
  defaultTtl: 64,
  arp: Object.freeze({
    cacheTimeout: 60 * NS_PER_S,
    retries: 3,
    retryInterval: 1 * NS_PER_S,
    queueLimit: 64,
    gratuitous: true,
  }),
  reassembly: Object.freeze({ timeout: 30 * NS_PER_S, memoryLimit: 4 * 1024 * 1024 }),
  icmp: Object.freeze({ errorRate: 1000, errorBurst: 50, echoIgnoreBroadcasts: true }),
  udp: Object.freeze({ rcvbuf: 212992, ephemeralLow: 32768, ephemeralHigh: 60999, checksums: true }),
  pmtuTimeout: 10 * 60 * NS_PER_S,
  staticNeighbours: Object.freeze([]),
  interfaces: Object.freeze([]),
  routes: Object.freeze([]),
  defaultGateway: null,
});

// ---------------------------------------------------------------------------


function typeError(option: string, v: unknown, expected: string): TypeError {
  return new TypeError(`stack config "${option}" must be ${expected}; got ${describeValue(v)}`);
}

function rangeError(option: string, v: unknown, expected: string): RangeError {
  return new RangeError(`stack config "${option}" must be ${expected}; got ${describeValue(v)}`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throw a TypeError naming the first key of `obj` that is not in `allowed`. */
export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, what = 'stack config'): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const full = path === '' ? key : `${path}.${key}`;
      throw new TypeError(`unknown ${what} key "${full}" (known: ${allowed.join(', ')})`);
    }
  }
}

function section(input: Record<string, unknown>, key: string, allowed: readonly string[]): Record<string, unknown> {
  const v = input[key];
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw typeError(key, v, 'an object');
  checkKeys(v, allowed, key);
  return v;
}

function bool(option: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw typeError(option, v, 'a boolean');
  return v;
}

function int(option: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(option, v, `an integer in ${min}..${max}`);
  if (v < min || v > max) throw rangeError(option, v, `an integer in ${min}..${max}`);
  return v;
}

function duration(option: string, v: unknown, dflt: Nanos, min: Nanos): Nanos {
  if (v === undefined) return dflt;
  const ns = parseDuration(`stack config "${option}"`, v as UnitValue);
  if (ns < min) throw rangeError(option, v, `a duration of at least ${min} ns`);
  return ns;
}

function size(option: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = parseSize(`stack config "${option}"`, v as UnitValue);
  if (n < min) throw rangeError(option, v, `a size of at least ${min} bytes`);
  return n;
}

function ipv4(option: string, v: unknown): number {
  if (typeof v !== 'string') throw typeError(option, v, "an IPv4 address string such as '10.0.0.1'");
  try {
    return parseIpv4(v);
  } catch {
    throw typeError(option, v, "an IPv4 address string such as '10.0.0.1'");
  }
}

function cidr(option: string, v: unknown): Ipv4Cidr {
  if (typeof v !== 'string') throw typeError(option, v, "an IPv4 CIDR string such as '10.0.0.1/24'");
  try {
    return parseCidr(v);
  } catch {
    throw typeError(option, v, "an IPv4 CIDR string such as '10.0.0.1/24'");
  }
}

const INTERFACE_KEYS = ['address', 'name', 'arp', 'mtu'] as const;

/** Validate the options of one interface; `path` names it in errors ('interfaces[0]' or 'addInterface'). */
export function resolveInterfaceOptions(v: unknown, path: string): InterfaceConfig {
  if (v === undefined) return { address: null, name: undefined, arp: true, mtu: undefined };
  if (!isPlainObject(v)) throw typeError(path, v, 'an object');
  checkKeys(v, INTERFACE_KEYS, path, 'interface option');
  if (v.name !== undefined && (typeof v.name !== 'string' || v.name === '')) throw typeError(`${path}.name`, v.name, 'a non-empty string');
  return {
    address: v.address === undefined ? null : cidr(`${path}.address`, v.address),
    name: v.name as string | undefined,
    arp: bool(`${path}.arp`, v.arp, true),
    mtu: v.mtu === undefined ? undefined : int(`${path}.mtu`, v.mtu, 0, 68, 65535),
  };
}

const ROUTE_KEYS = ['destination', 'gateway', 'interface', 'metric'] as const;

/** Validate one route; `path` names it in errors ('routes[1]' or 'routes.add'). */
export function resolveRouteOptions(v: unknown, path: string): RouteConfig {
  if (!isPlainObject(v)) throw typeError(path, v, 'an object');
  checkKeys(v, ROUTE_KEYS, path, 'route option');
  const destination = cidr(`${path}.destination`, v.destination);
  const gateway = v.gateway === undefined ? 0 : ipv4(`${path}.gateway`, v.gateway);
  if (v.interface !== undefined && typeof v.interface !== 'string') throw typeError(`${path}.interface`, v.interface, 'an interface name');
  if (gateway === 0 && v.interface === undefined) {
    throw new TypeError(`route "${path}" needs a gateway or an interface (destination ${String(v.destination)})`);
  }
  return {
    destination,
    gateway,
    interface: v.interface as string | undefined,
    metric: int(`${path}.metric`, v.metric, 0, 0, 0x7fffffff),
  };
}

const TOP_KEYS = [
  'ipForwarding',
  'defaultTtl',
  'arp',
  'reassembly',
  'icmp',
  'udp',
  'pmtuTimeout',
  'staticNeighbours',
  'interfaces',
  'routes',
  'defaultGateway',
  'tcp',
] as const;

/** Validate a config object and fill in defaults. Throws TypeError/RangeError naming the bad key or value. */
export function resolveStackConfig(input: unknown): StackConfig {
  if (input === undefined) return DEFAULT_STACK_CONFIG;
  if (!isPlainObject(input)) throw new TypeError(`stack config must be an object; got ${describeValue(input)}`);
  checkKeys(input, TOP_KEYS, '');
  const d = DEFAULT_STACK_CONFIG;

  const arpIn = section(input, 'arp', ['cacheTimeout', 'retries', 'retryInterval', 'queueLimit', 'gratuitous']);
  const arp = Object.freeze({
    cacheTimeout: duration('arp.cacheTimeout', arpIn.cacheTimeout, d.arp.cacheTimeout, 1),
    retries: int('arp.retries', arpIn.retries, d.arp.retries, 1, 100),
    retryInterval: duration('arp.retryInterval', arpIn.retryInterval, d.arp.retryInterval, 1),
    queueLimit: int('arp.queueLimit', arpIn.queueLimit, d.arp.queueLimit, 1, 65536),
    gratuitous: bool('arp.gratuitous', arpIn.gratuitous, d.arp.gratuitous),
  });

  const reIn = section(input, 'reassembly', ['timeout', 'memoryLimit']);
  const reassembly = Object.freeze({
    timeout: duration('reassembly.timeout', reIn.timeout, d.reassembly.timeout, 1),
    memoryLimit: size('reassembly.memoryLimit', reIn.memoryLimit, d.reassembly.memoryLimit, 0),
  });

  const icmpIn = section(input, 'icmp', ['errorRate', 'errorBurst', 'echoIgnoreBroadcasts']);
  const icmp = Object.freeze({
    errorRate: int('icmp.errorRate', icmpIn.errorRate, d.icmp.errorRate, 0, 1_000_000),
    errorBurst: int('icmp.errorBurst', icmpIn.errorBurst, d.icmp.errorBurst, 1, 1_000_000),
    echoIgnoreBroadcasts: bool('icmp.echoIgnoreBroadcasts', icmpIn.echoIgnoreBroadcasts, d.icmp.echoIgnoreBroadcasts),
  });

  const udpIn = section(input, 'udp', ['rcvbuf', 'ephemeralLow', 'ephemeralHigh', 'checksums']);
  const udp = Object.freeze({
    rcvbuf: size('udp.rcvbuf', udpIn.rcvbuf, d.udp.rcvbuf, 0),
    ephemeralLow: int('udp.ephemeralLow', udpIn.ephemeralLow, d.udp.ephemeralLow, 1, 65535),
    ephemeralHigh: int('udp.ephemeralHigh', udpIn.ephemeralHigh, d.udp.ephemeralHigh, 1, 65535),
    checksums: bool('udp.checksums', udpIn.checksums, d.udp.checksums),
  });
  if (udp.ephemeralLow > udp.ephemeralHigh) {
    throw rangeError('udp.ephemeralLow', udp.ephemeralLow, `at most udp.ephemeralHigh (${udp.ephemeralHigh})`);
  }

  const neighbours: { address: number; mac: Uint8Array }[] = [];
  const sn = input.staticNeighbours;
  if (sn !== undefined) {
    if (!isPlainObject(sn)) throw typeError('staticNeighbours', sn, "an object such as { '10.0.0.2': '02:00:00:00:00:02' }");
    for (const [addr, mac] of Object.entries(sn)) {
      const a = ipv4(`staticNeighbours["${addr}"]`, addr);
      if (typeof mac !== 'string' || !isValidMac(mac)) {
        throw typeError(`staticNeighbours["${addr}"]`, mac, "a MAC address such as '02:00:00:00:00:02'");
      }
      neighbours.push(Object.freeze({ address: a, mac: parseMac(mac) }));
    }
  }

  const interfaces: InterfaceConfig[] = [];
  if (input.interfaces !== undefined) {
    if (!Array.isArray(input.interfaces)) throw typeError('interfaces', input.interfaces, 'an array of interface options');
    input.interfaces.forEach((v: unknown, i: number) => interfaces.push(Object.freeze(resolveInterfaceOptions(v, `interfaces[${i}]`))));
  }
  const routes: RouteConfig[] = [];
  if (input.routes !== undefined) {
    if (!Array.isArray(input.routes)) throw typeError('routes', input.routes, 'an array of route options');
    input.routes.forEach((v: unknown, i: number) => routes.push(Object.freeze(resolveRouteOptions(v, `routes[${i}]`))));
  }

  return Object.freeze({
    ipForwarding: bool('ipForwarding', input.ipForwarding, d.ipForwarding),
    defaultTtl: int('defaultTtl', input.defaultTtl, d.defaultTtl, 1, 255),
    arp,
    reassembly,
    icmp,
    udp,
    pmtuTimeout: duration('pmtuTimeout', input.pmtuTimeout, d.pmtuTimeout, 1 * NS_PER_MS),
    staticNeighbours: Object.freeze(neighbours),
    interfaces: Object.freeze(interfaces),
    routes: Object.freeze(routes),
    defaultGateway: input.defaultGateway === undefined ? null : ipv4('defaultGateway', input.defaultGateway),
  });
}
