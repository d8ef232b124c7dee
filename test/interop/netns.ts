/**
 * Helpers for the interop tests against the real Linux kernel: a network
 * namespace holding the kernel side of a TAP device whose fd zerostack's TapNic
 * keeps (the fd stays valid when the device moves namespaces), a Stack on a
 * RealClock over it, child processes run inside the namespace with
 * line-by-line output waits, and endpoint readiness as Promises.
 *
 * Every wait is event-driven (a child's output line, its exit, an endpoint
 * event) with a timeout guard that rejects — never a sleep.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PacketPool } from '../../src/buf/pool.js';
import { tapAddonAvailable } from '../../src/link/native-loader.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import type { Nic } from '../../src/link/nic.js';
import { NicDecorator } from '../../src/link/nic-decorator.js';
import type { FrameCapture } from '../../src/link/pcap-nic.js';
import { TapNic } from '../../src/link/tap.js';
import { Stack } from '../../src/stack.js';
import { tcpErrnoName, type Endpoint, type EndpointObserver } from '../../src/tcp/endpoint.js';
import { RealClock } from '../../src/time/real-clock.js';

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Run a command that must succeed (configuration steps); throws with its output otherwise. */
export function must(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Why the interop tests cannot run here, or null. Builds the TAP addon if it is missing. */
export function interopSkipReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (!run('ip', ['-V']).ok) return 'iproute2 (ip) is not installed';
  if (!run('python3', ['-c', 'import hashlib, socket']).ok) return 'python3 is not installed';
  const probe = `zsprobe${process.pid}`;
  const add = run('ip', ['netns', 'add', probe]);
  if (!add.ok) return `network namespaces are unavailable (ip netns add: ${add.out})`;
  run('ip', ['netns', 'del', probe]);
  if (!tapAddonAvailable()) {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../native/build.js', import.meta.url)), '--quiet'], {
      encoding: 'utf8',
    });
    if (r.status !== 0 || !tapAddonAvailable()) return `the TAP addon could not be built: ${(r.stderr || r.stdout).trim()}`;
  }
  return null;
}

export interface KernelPeerOptions {
  /** Distinguishes several peers of one test process (device, namespace and subnet). */
  index: number;
  mtu?: number;
  /** Wrap the TapNic before the Stack attaches it (e.g. a PcapNic). */
  wrap?: (tap: TapNic, clock: RealClock) => Nic;
  /** TCP settings merged over the defaults below (4 MiB buffers). */
  tcp?: Record<string, unknown>;
  /** TapNic offload (IFF_VNET_HDR: checksum offload, TSO writes, GSO reads). */
  offload?: boolean;
}

/**
 * The kernel in namespace `ns` at `${net}.1`, zerostack at `${net}.2`, joined by
 * TAP device `dev` (zerostack holds its fd in this namespace; the kernel side
 * lives in `ns`).
 */
export class KernelPeer {
  readonly ns: string;
  readonly dev: string;
  readonly net: string;
  readonly kernelIp: string;
  readonly ourIp: string;
  readonly clock = new RealClock();
  readonly pool = new PacketPool({ memoryBytes: 64 * 1024 * 1024 });
  tap: TapNic | null = null;
  stack: Stack | null = null;
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly opts: KernelPeerOptions) {
    this.ns = `zs${process.pid}${opts.index > 0 ? `-${opts.index}` : ''}`;
    this.dev = `zsi${process.pid}-${opts.index}`.slice(0, 15);
    this.net = `10.77.${(process.pid * 3 + opts.index) % 250}`;
    this.kernelIp = `${this.net}.1`;
    this.ourIp = `${this.net}.2`;
  }

  /** Create the namespace and the device, move the kernel side in, configure both sides. */
  setup(): void {
    run('ip', ['netns', 'del', this.ns]); // a leftover of a crashed run with the same pid
    must('ip', ['netns', 'add', this.ns]);
    const tap = new TapNic({ name: this.dev, pool: this.pool, clock: this.clock, mtu: this.opts.mtu ?? 1500, offload: this.opts.offload ?? false });
    this.tap = tap;
    // The fd stays attached to the device across the move; moving sets the device down.
    must('ip', ['link', 'set', this.dev, 'netns', this.ns]);
    must('ip', ['-n', this.ns, 'addr', 'add', `${this.kernelIp}/24`, 'dev', this.dev]);
    must('ip', ['-n', this.ns, 'link', 'set', this.dev, 'up']);
    must('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
    const nic = this.opts.wrap ? this.opts.wrap(tap, this.clock) : tap;
    this.stack = new Stack({
      clock: this.clock,
      pool: this.pool,
      nics: [nic],
      config: { interfaces: [{ address: `${this.ourIp}/24` }], tcp: { rcvbuf: 4 * 1024 * 1024, sndbuf: 4 * 1024 * 1024, ...this.opts.tcp } },
    });
  }

  /**
   * For a zerostack run as a child process inside the namespace (the CLI): the
   * namespace, a persistent TAP device in it and the kernel side configured;
   * no TapNic or Stack in this process.
   */
  setupDevice(): void {
    this.setupNamespace();
    must('ip', ['-n', this.ns, 'tuntap', 'add', 'dev', this.dev, 'mode', 'tap']);
    must('ip', ['-n', this.ns, 'addr', 'add', `${this.kernelIp}/24`, 'dev', this.dev]);
    must('ip', ['-n', this.ns, 'link', 'set', this.dev, 'up']);
  }

  /** Only the namespace (loopback up): for links someone else creates in it (socat). */
  setupNamespace(): void {
    run('ip', ['netns', 'del', this.ns]);
    must('ip', ['netns', 'add', this.ns]);
    must('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
  }

  /** Undo everything (idempotent, never throws): children, stack, device, namespace. */
  cleanup(): string[] {
    const problems: string[] = [];
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.children.clear();
    try {
      this.stack?.close();
    } catch (e) {
      problems.push(`stack.close: ${String(e)}`);
    }
    try {
      this.tap?.close();
    } catch (e) {
      problems.push(`tap.close: ${String(e)}`);
    }
    this.clock.close();
    // A non-persistent TAP dies with its fd; delete explicitly in case, in both namespaces.
    run('ip', ['-n', this.ns, 'link', 'del', this.dev]);
    run('ip', ['link', 'del', this.dev]);
    const del = run('ip', ['netns', 'del', this.ns]);
    if (!del.ok && existsSync(`/run/netns/${this.ns}`)) problems.push(`ip netns del ${this.ns}: ${del.out}`);
    return problems;
  }

  /** Start `argv` inside the namespace (stdin a pipe: NsProcess.write); see NsProcess. */
  spawn(argv: string[]): NsProcess {
    return spawnInNamespace(this.ns, argv, this.children);
  }

  /** A python3 program run inside the namespace (`-u`: unbuffered, so lines arrive as printed). */
  python(code: string, ...args: string[]): NsProcess {
    return this.spawn(['python3', '-u', '-c', code, ...args]);
  }
}

/** Start `argv` in namespace `ns`, tracked in `children` until it exits (cleanup kills what is left). */
export function spawnInNamespace(ns: string, argv: string[], children: Set<ChildProcess>): NsProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new NsProcess(child, argv.join(' ').slice(0, 60));
}

/** A child process in the namespace: its output by lines, waits on a line or on exit with a guard. */
export class NsProcess {
  readonly lines: string[] = [];
  stderr = '';
  exitCode: number | null = null;
  private partial = '';
  private lineWaiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  private readonly exited: Promise<number>;

  constructor(
    readonly child: ChildProcess,
    readonly what: string,
  ) {
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (s: string) => {
      const parts = (this.partial + s).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.addLine(line);
    });
    child.stderr!.on('data', (s: string) => {
      this.stderr += s;
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        if (this.partial !== '') this.addLine(this.partial);
        this.partial = '';
        this.exitCode = code ?? (signal !== null ? -1 : 0);
        resolve(this.exitCode);
      });
    });
  }

  private addLine(line: string): void {
    this.lines.push(line);
    this.lineWaiters = this.lineWaiters.filter((w) => {
      const m = line.match(w.re);
      if (m === null) return true;
      w.resolve(m);
      return false;
    });
  }

  /** The first output line matching `re` (already printed or still to come). */
  line(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m !== null) return Promise.resolve(m);
    }
    return guard(
      new Promise<RegExpMatchArray>((resolve, reject) => {
        this.lineWaiters.push({ re, resolve });
        void this.exited.then(() => reject(new Error(`${this.what} exited (${this.exitCode}) without printing ${re}: ${this.describe()}`)));
      }),
      timeoutMs,
      () => `a line ${re} from ${this.what}: ${this.describe()}`,
    );
  }

  /** Write `text` to its stdin. */
  write(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Its exit code. */
  exit(timeoutMs = 10_000): Promise<number> {
    return guard(this.exited, timeoutMs, () => `${this.what} to exit: ${this.describe()}`);
  }

  describe(): string {
    return `stdout ${JSON.stringify(this.lines.join('\n').slice(-500))}, stderr ${JSON.stringify(this.stderr.slice(-500))}`;
  }
}

/**
 * A FrameCapture (for a PcapNic) that resolves a Promise on the first frame
 * matching a predicate: waits on what the kernel or zerostack sends. The
 * predicate sees the first buffer of a chain (the headers).
 */
export class FrameWatch implements FrameCapture {
  private pred: ((f: Uint8Array, off: number, len: number) => boolean) | null = null;
  private resolve: (() => void) | null = null;

  writeChain(_timeNs: number, frame: PacketBuffer): void {
    if (this.pred === null) return;
    if (this.pred(frame.bytes, frame.head, frame.length)) {
      this.pred = null;
      this.resolve!();
    }
  }

  /** The next frame matching `pred` (bytes, offset of the Ethernet header, length of the first buffer). */
  next(pred: (f: Uint8Array, off: number, len: number) => boolean): Promise<void> {
    return new Promise((resolve) => {
      this.pred = pred;
      this.resolve = resolve;
    });
  }
}

export interface TcpHeaderInfo {
  sport: number;
  dport: number;
  flags: number;
  window: number;
  /** Payload bytes (from the IPv4 total length). */
  payload: number;
}

/** The TCP header fields of an Ethernet/IPv4/TCP frame, or null. */
export function tcpHeader(b: Uint8Array, off: number, len: number): TcpHeaderInfo | null {
  if (len < 54 || b[off + 12] !== 0x08 || b[off + 13] !== 0x00 || b[off + 23] !== 6) return null;
  const ihl = (b[off + 14]! & 15) * 4;
  const t = off + 14 + ihl;
  if (t + 20 > off + len) return null;
  const total = (b[off + 16]! << 8) | b[off + 17]!;
  return {
    sport: (b[t]! << 8) | b[t + 1]!,
    dport: (b[t + 2]! << 8) | b[t + 3]!,
    flags: b[t + 13]!,
    window: (b[t + 14]! << 8) | b[t + 15]!,
    payload: total - ihl - (b[t + 12]! >> 4) * 4,
  };
}

/** SYN, FIN or RST set. */
export const TCP_SYN_FIN_RST = 0x07;

/**
 * A Nic decorator that loses every `every`-th large frame (> minSize bytes: TCP
 * data) in the chosen direction while armed — deterministic loss on the "wire"
 * between zerostack and the kernel (for kernels without sch_netem). With
 * `rxSwapEvery` it also reorders received frames: every n-th frame of a batch
 * is delivered after the one that followed it on the wire.
 */
export class LossyNic extends NicDecorator {
  txEvery = 0;
  rxEvery = 0;
  rxSwapEvery = 0;
  /** Frames longer than this count as data frames for txEvery/rxEvery. */
  minSize = 1000;
  txDropped = 0;
  rxDropped = 0;
  rxSwapped = 0;
  /** Longest frame transmitted (reset by the user). */
  txMaxFrame = 0;
  private swapCount = 0;
  private txCount = 0;
  private rxCount = 0;
  private readonly kept: PacketBuffer[] = [];

  protected override receive(frames: readonly PacketBuffer[], count: number): void {
    if ((this.rxEvery === 0 && this.rxSwapEvery === 0) || this.handler === null) return this.deliver(frames, count);
    let n = 0;
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      if (this.rxEvery > 0 && f.chainLength() > this.minSize && ++this.rxCount % this.rxEvery === 0) {
        this.rxDropped++;
        f.release();
      } else {
        this.kept[n++] = f;
      }
    }
    if (this.rxSwapEvery > 0) {
      for (let i = 0; i + 1 < n; i++) {
        if (++this.swapCount % this.rxSwapEvery !== 0) continue;
        const a = this.kept[i]!;
        this.kept[i] = this.kept[i + 1]!;
        this.kept[i + 1] = a;
        this.rxSwapped++;
        i++;
      }
    }
    if (n > 0) this.deliver(this.kept, n);
    this.kept.length = 0;
  }

  override transmit(frame: PacketBuffer): boolean {
    const len = frame.chainLength();
    if (len > this.txMaxFrame) this.txMaxFrame = len;
    if (this.txEvery > 0 && frame.chainLength() > this.minSize && ++this.txCount % this.txEvery === 0) {
      this.txDropped++;
      frame.release();
      return true; // lost on the wire
    }
    return this.inner.transmit(frame);
  }
}

/** `p`, or a rejection naming `what` after timeoutMs (a guard, not a sleep). */
export function guard<T>(p: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`)), timeoutMs);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/**
 * An endpoint observer that turns events into Promises: `connected`, `error`
 * (resolves with the errno) and `acceptable`/`readable`/`writable` callbacks.
 */
export class Events implements EndpointObserver {
  readonly connected: Promise<void>;
  readonly failed: Promise<number>;
  readonly hup: Promise<void>;
  private resolveConnect!: () => void;
  private resolveError!: (errno: number) => void;
  private resolveHup!: () => void;
  readable: ((ep: Endpoint) => void) | null = null;
  writable: ((ep: Endpoint) => void) | null = null;
  acceptable: ((ep: Endpoint) => void) | null = null;

  constructor() {
    this.connected = new Promise((r) => (this.resolveConnect = r));
    this.failed = new Promise((r) => (this.resolveError = r));
    this.hup = new Promise((r) => (this.resolveHup = r));
  }
  onConnect(): void {
    this.resolveConnect();
  }
  onError(_ep: Endpoint, errno: number): void {
    this.resolveError(errno);
  }
  onHup(): void {
    this.resolveHup();
  }
  onReadable(ep: Endpoint): void {
    this.readable?.(ep);
  }
  onWritable(ep: Endpoint): void {
    this.writable?.(ep);
  }
  onAcceptable(ep: Endpoint): void {
    this.acceptable?.(ep);
  }
}

/** An errno with its name, for failure messages. */
export function errnoText(n: number): string {
  return n < 0 ? `${n} (${tcpErrnoName(n)})` : String(n);
}
