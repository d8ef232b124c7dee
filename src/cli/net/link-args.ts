/**
 * The link options every networking subcommand shares (`up`, `ping`, `get`,
 * `send`): which real link to attach to (`--tap`, `--udp`, `--qemu-stream`,
 * `--qemu-dgram`), the address, gateway, MTU and capture file. Parsed into a
 * validated LinkSpec before anything is opened, so that a bad value is a clear
 * message naming the option, never a half-opened device.
 *
 * Owns: option declarations and validation. Must not: open devices (host.ts does).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { isValidIpv4, parseCidr, parseIpv4, prefixToMask, ipv4InSubnet } from '../../wire/address.js';

export interface UdpLinkSpec {
  local: { address: string; port: number };
  remote: { address: string; port: number };
}

export type StreamSpec = { path: string } | { host: string; port: number };

export type LinkSpec =
  | { kind: 'tap'; name: string; offload: boolean }
  | { kind: 'udp'; udp: UdpLinkSpec }
  | { kind: 'qemu-dgram'; udp: UdpLinkSpec }
  | { kind: 'qemu-stream'; mode: 'connect' | 'listen'; address: StreamSpec };

export interface HostSpec {
  link: LinkSpec;
  /** a.b.c.d/n */
  addr: string;
  gateway?: string;
  mtu: number;
  pcap?: string;
}

/** The raw option values commander hands over. */
export interface LinkOptionValues {
  tap?: string;
  udp?: string;
  qemuStream?: string;
  qemuDgram?: string;
  addr?: string;
  gw?: string;
  mtu?: string;
  pcap?: string;
  /** commander's --no-offload gives false; default true. */
  offload?: boolean;
}

/** A usage error: printed as `zerostack <cmd>: <message>`, exit status 2. */
export class UsageError extends Error {
  readonly code = 'ERR_ZEROSTACK_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Declare the link options on a subcommand. */
export function addLinkOptions(cmd: Command): Command {
  return cmd
    .option('--tap <name>', 'attach to TAP device <name> (created if missing; needs CAP_NET_ADMIN and the native addon)')
    .option('--udp <local,remote>', 'one Ethernet frame per UDP datagram: LOCALIP:PORT,REMOTEIP:PORT (socat TUN bridge)')
    .option('--qemu-stream <addr>', 'QEMU -netdev stream: connect:HOST:PORT, listen:HOST:PORT, connect:unix:PATH or listen:unix:PATH')
    .option('--qemu-dgram <local,remote>', 'QEMU -netdev dgram: LOCALIP:PORT,REMOTEIP:PORT')
    .option('--addr <cidr>', "zerostack's address on the link, e.g. 10.7.0.2/24")
    .option('--gw <ip>', 'default gateway')
    .option('--mtu <bytes>', 'IP MTU of the link (68..65521)', '1500')
    .option('--pcap <file>', 'capture every frame to a pcap file (tcpdump -r)')
    .option('--no-offload', 'TAP without IFF_VNET_HDR offloads (no TSO/GSO, checksums in software)');
}

function endpoint(option: string, text: string): { address: string; port: number } {
  const i = text.lastIndexOf(':');
  const address = i < 0 ? '' : text.slice(0, i);
  const port = i < 0 ? NaN : Number(text.slice(i + 1));
  if (!isValidIpv4(address) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`${option}: expected IPv4:PORT (port 1..65535), got "${text}"`);
  }
  return { address, port };
}

function udpPair(option: string, text: string): UdpLinkSpec {
  const parts = text.split(',');
  if (parts.length !== 2) throw new UsageError(`${option}: expected LOCALIP:PORT,REMOTEIP:PORT, got "${text}"`);
  return { local: endpoint(option, parts[0]!), remote: endpoint(option, parts[1]!) };
}

function streamAddress(text: string): { mode: 'connect' | 'listen'; address: StreamSpec } {
  const m = /^(connect|listen):(.+)$/.exec(text);
  if (m === null) throw new UsageError(`--qemu-stream: expected connect:HOST:PORT, listen:HOST:PORT or (connect|listen):unix:PATH, got "${text}"`);
  const mode = m[1] as 'connect' | 'listen';
  const rest = m[2]!;
  if (rest.startsWith('unix:')) {
    const path = rest.slice(5);
    if (path === '') throw new UsageError('--qemu-stream: the unix socket path is empty');
    return { mode, address: { path } };
  }
  const e = endpoint('--qemu-stream', rest);
  return { mode, address: { host: e.address, port: e.port } };
}

/** Validate the raw values into a HostSpec (UsageError naming the option otherwise). */
export function hostSpecFrom(o: LinkOptionValues): HostSpec {
  const given = (['tap', 'udp', 'qemuStream', 'qemuDgram'] as const).filter((k) => o[k] !== undefined);
  if (given.length === 0) throw new UsageError('name a link: --tap NAME, --udp LOCAL:PORT,REMOTE:PORT, --qemu-stream ... or --qemu-dgram ...');
  if (given.length > 1) throw new UsageError(`give one link, not ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' and ')}`);
  let link: LinkSpec;
  if (o.tap !== undefined) {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(o.tap)) throw new UsageError(`--tap: a device name has 1..15 characters of [A-Za-z0-9_.-], got "${o.tap}"`);
    link = { kind: 'tap', name: o.tap, offload: o.offload ?? true };
  } else if (o.udp !== undefined) {
    link = { kind: 'udp', udp: udpPair('--udp', o.udp) };
  } else if (o.qemuDgram !== undefined) {
    link = { kind: 'qemu-dgram', udp: udpPair('--qemu-dgram', o.qemuDgram) };
  } else {
    link = { kind: 'qemu-stream', ...streamAddress(o.qemuStream!) };
  }
  if (o.addr === undefined) throw new UsageError('--addr is required, e.g. --addr 10.7.0.2/24');
  let cidr;
  try {
    cidr = parseCidr(o.addr);
  } catch {
    throw new UsageError(`--addr: expected an IPv4 address with a prefix length 1..32 (a.b.c.d/n), got "${o.addr}"`);
  }
  if (cidr.prefixLength === 0) throw new UsageError(`--addr: a prefix length of 0 makes every address on-link; got "${o.addr}"`);
  const mtu = Number(o.mtu ?? '1500');
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65521) throw new UsageError(`--mtu: expected an integer in 68..65521, got "${o.mtu}"`);
  const spec: HostSpec = { link, addr: o.addr, mtu };
  if (o.gw !== undefined) {
    if (!isValidIpv4(o.gw)) throw new UsageError(`--gw: expected an IPv4 address, got "${o.gw}"`);
    if (!ipv4InSubnet(parseIpv4(o.gw), cidr.address, prefixToMask(cidr.prefixLength))) {
      throw new UsageError(`--gw: ${o.gw} is not on the link's network ${o.addr}`);
    }
    spec.gateway = o.gw;
  }
  if (o.pcap !== undefined) {
    if (o.pcap === '') throw new UsageError('--pcap: the file name is empty');
    spec.pcap = o.pcap;
  }
  return spec;
}

/** A commander parser for a TCP/UDP port option (1..65535). */
export function portOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`${name} must be a port number 1..65535; got "${v}"`);
    return n;
  };
}

/** HOST:PORT with an IPv4 host (no DNS on zerostack). */
export function hostPort(what: string, text: string): { host: string; port: number } {
  const e = endpoint(what, text);
  return { host: e.address, port: e.port };
}
