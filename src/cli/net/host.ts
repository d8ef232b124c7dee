/**
 * A zerostack host on a real link for the CLI: opens the link a HostSpec names
 * (TAP, UDP datagrams, QEMU stream/dgram), optionally captures it to a pcap
 * file, builds a Stack on a RealClock (`stack.net` serves the sockets), and takes it all
 * down again in the right order (sockets, stack, capture flushed, device closed).
 *
 * Owns: the open/close sequence and the translation of open failures into
 * messages that say what is missing (addon not built, no permission, device
 * busy, no /dev/net/tun). Must not: parse options (link-args.ts) or run servers.
 */
import { PacketPool } from '../../buf/pool.js';
import { NativeAddonError } from '../../link/native-loader.js';
import type { Nic } from '../../link/nic.js';
import { PcapWriter } from '../../link/pcap-file.js';
import { PcapNic } from '../../link/pcap-nic.js';
import { QemuStreamNic, openQemuDgram } from '../../link/qemu.js';
import { TapNic } from '../../link/tap.js';
import { UdpLinkNic } from '../../link/udp-link.js';
import { Stack } from '../../stack.js';
import { RealClock } from '../../time/real-clock.js';
import type { HostSpec } from './link-args.js';

/** Opening the link failed for a reason the user can fix; the message says how. */
export class LinkOpenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LinkOpenError';
    this.code = code;
  }
}

export interface NetHost {
  readonly spec: HostSpec;
  readonly clock: RealClock;
  readonly pool: PacketPool;
  /** The link driver itself (TapNic, UdpLinkNic, QemuStreamNic). */
  readonly link: Nic;
  /** The Stack; `stack.net` is its node:net module. */
  readonly stack: Stack;
  readonly pcap: PcapWriter | null;
  /** One line describing the link, for the startup banner. */
  describe(): string;
  /** Take everything down (idempotent): stack, pcap (flushed), link, clock. */
  close(): void;
}

export interface OpenHostOptions {
  /** Pool size (default 64 MiB). */
  poolBytes?: number;
  /** TCP settings for this host (e.g. bigger buffers for bulk transfers). */
  tcp?: Record<string, unknown>;
}

function macText(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Rewrite a TAP open failure as a LinkOpenError that says what to do. */
export function explainTapError(name: string, err: unknown): Error {
  if (err instanceof NativeAddonError) return new LinkOpenError(err.code, err.message, { cause: err });
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'EPERM':
    case 'EACCES':
      return new LinkOpenError(
        e.code,
        `no permission to open TAP device "${name}" (${e.message}): run as root, give node CAP_NET_ADMIN ` +
          '(sudo setcap cap_net_admin+ep "$(command -v node)"), or create the device for your user first ' +
          `(sudo ip tuntap add dev ${name} mode tap user "$USER")`,
        { cause: err },
      );
    case 'EBUSY':
      return new LinkOpenError('EBUSY', `TAP device "${name}" is busy: another process has it open (${e.message})`, { cause: err });
    case 'ENOENT':
    case 'ENODEV':
      return new LinkOpenError(e.code, `/dev/net/tun is unavailable (${e.message}): load the tun module (modprobe tun)`, { cause: err });
    case 'EINVAL':
      return new LinkOpenError('EINVAL', `cannot open "${name}" as a TAP device (${e.message}): is it an existing device of another type (TUN, veth)?`, {
        cause: err,
      });
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

async function openLink(spec: HostSpec, pool: PacketPool, clock: RealClock): Promise<Nic> {
  const l = spec.link;
  const base = { pool, clock, mtu: spec.mtu };
  switch (l.kind) {
    case 'tap':
      try {
        return new TapNic({ ...base, name: l.name, offload: l.offload });
      } catch (err) {
        throw explainTapError(l.name, err);
      }
    case 'udp':
      return await UdpLinkNic.open({ ...base, local: l.udp.local, remote: l.udp.remote }).catch((err: Error & { code?: string }) => {
        throw new LinkOpenError(err.code ?? 'EIO', `--udp: cannot bind ${l.udp.local.address}:${l.udp.local.port}: ${err.message}`, { cause: err });
      });
    case 'qemu-dgram':
      return await openQemuDgram({ ...base, local: l.udp.local, remote: l.udp.remote }).catch((err: Error & { code?: string }) => {
        throw new LinkOpenError(err.code ?? 'EIO', `--qemu-dgram: cannot bind ${l.udp.local.address}:${l.udp.local.port}: ${err.message}`, {
          cause: err,
        });
      });
    case 'qemu-stream': {
      const a = l.address;
      const open = l.mode === 'listen' ? QemuStreamNic.listen(a, base) : QemuStreamNic.connect(a, base);
      return await open.catch((err: Error & { code?: string }) => {
        const where = 'path' in a ? a.path : `${a.host}:${a.port}`;
        throw new LinkOpenError(err.code ?? 'EIO', `--qemu-stream: cannot ${l.mode} ${where}: ${err.message}`, { cause: err });
      });
    }
  }
}

/** Open the link and bring a Stack up on it. */
export async function openHost(spec: HostSpec, opts: OpenHostOptions = {}): Promise<NetHost> {
  const clock = new RealClock();
  const pool = new PacketPool({ memoryBytes: opts.poolBytes ?? 64 * 1024 * 1024 });
  let link: Nic;
  try {
    link = await openLink(spec, pool, clock);
  } catch (err) {
    clock.close();
    throw err;
  }
  let pcap: PcapWriter | null = null;
  let stack: Stack;
  try {
    // pcap timestamps: the RealClock counts from its creation; offset them to the Unix epoch.
    if (spec.pcap !== undefined) pcap = PcapWriter.toFile(spec.pcap, { timeOffsetSeconds: Math.floor(Date.now() / 1000) });
    const nic = pcap !== null ? new PcapNic(link, pcap, clock) : link;
    const config: Record<string, unknown> = { interfaces: [{ address: spec.addr }] };
    if (spec.gateway !== undefined) config.defaultGateway = spec.gateway;
    if (opts.tcp !== undefined) config.tcp = opts.tcp;
    stack = new Stack({ clock, pool, nics: [nic], name: 'zerostack', config });
  } catch (err) {
    pcap?.close();
    link.close();
    clock.close();
    throw err;
  }
  let closed = false;
  return {
    spec,
    clock,
    pool,
    link,
    stack,
    pcap,
    describe() {
      const l = spec.link;
      const where =
        l.kind === 'tap'
          ? `tap ${link.name} (kernel side ${macText((link as TapNic).deviceMac)}${l.offload ? ', offload' : ''})`
          : l.kind === 'qemu-stream'
            ? `qemu-stream ${l.mode} ${'path' in l.address ? l.address.path : `${l.address.host}:${l.address.port}`}`
            : `${l.kind} ${l.udp.local.address}:${l.udp.local.port} -> ${l.udp.remote.address}:${l.udp.remote.port}`;
      return `${where}, address ${spec.addr}, mac ${macText(link.mac)}, mtu ${spec.mtu}${spec.gateway ? `, gateway ${spec.gateway}` : ''}${spec.pcap ? `, capture ${spec.pcap}` : ''}`;
    },
    close() {
      if (closed) return;
      closed = true;
      stack.close();
      pcap?.close();
      link.close();
      clock.close();
    },
  };
}
