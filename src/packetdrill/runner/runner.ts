/**
 * The packetdrill interpreter: runs one parsed script against a fresh zerostack
 * Stack on a VirtualClock, as packetdrill runs it against a kernel.
 *
 *   const r = runScript(script, { file: 'x.pkt' });   // → ScriptResult (strict + portable verdicts)
 *
 * The script plays the remote peer 192.0.2.1 behind the gateway of the stack's
 * network 192.168.0.1/16 (packetdrill's defaults). Events run in order at their
 * scripted virtual times; `<` packets are injected through a ScriptNic, `>`
 * packets are taken from what the stack sent and checked (expect.ts), syscalls
 * go to the socket core (syscalls.ts), commands to commands.ts, `%{ }%` asserts
 * to the socket's TCP info.
 *
 * Sequence spaces as packetdrill maps them (run_packet.c): the peer's values
 * are used on the wire as written (the live remote ISN is the script's); the
 * stack's ISN is learned from its first SYN/SYN-ACK, and every ack, SACK block
 * and local seq is shifted by the difference; an inbound TS ecr is rewritten to
 * the live TS val the stack sent when the script said `val V`.
 *
 * Timing: relative times anchor on the previous event's actual time (an
 * outbound packet's arrival, a blocking call's start). A `>` packet must leave
 * within ±tolerance of its time (tolerance = max(--tolerance_usecs,
 * --tolerance_percent × the scripted gap); percent defaults to 0 as in the
 * FreeBSD packetdrill the corpus was written for). The runner waits up to 2 s
 * past the window to tell "late" from "missing".
 *
 * Owns: the event loop, the connection-under-test tuple, the ISN/TS mappings,
 * failures and verdicts. Must not: read the wall clock or keep state between
 * scripts (each run builds its own pool, clock and stack).
 */
import type { Event, Packet, Script, Syscall, TcpOption } from '../ast.js';
import { parseScript } from '../parser.js';
import { PacketPool } from '../../buf/pool.js';
import { MemoryPcapWriter } from '../../link/pcap-file.js';
import { PcapNic } from '../../link/pcap-nic.js';
import type { Nic } from '../../link/nic.js';
import { SocketCore } from '../../socket/core.js';
import { Stack } from '../../stack.js';
import { resolveTcpConfig, type TcpConfig } from '../../tcp/config.js';
import { NS_PER_S } from '../../time/clock.js';
import { VirtualClock } from '../../time/virtual-clock.js';
import { parseIpv4 } from '../../wire/address.js';
import { TcpFlag } from '../../wire/tcp.js';
import { runCommand } from './commands.js';
import { parseSysctl } from './sysctl.js';
import { profileConfig, type ProfileName } from './profile.js';
import { compareSegment, type Difference, type ExpectedSegment } from './expect.js';
import { buildInbound, encodeOptions, flagBits, formatSegment, parseLive, scriptOptions, type LivePacket, type WireOption } from './packets.js';
import type { Failure, ScriptResult, Verdict } from './result.js';
import { ScriptNic, GATEWAY_MAC } from './script-nic.js';
import { runCodeBlock } from './asserts.js';
import { SyscallRunner } from './syscalls.js';

export const LOCAL_IP = '192.168.0.1';
export const GATEWAY_IP = '192.168.0.2';
export const REMOTE_IP = '192.0.2.1';
/** packetdrill's live_bind_port / live_connect_port. */
export const SCRIPT_PORT = 8080;
/** The remote port of connections the script opens to a listener (packetdrill picks an ephemeral one). */
export const REMOTE_EPHEMERAL_PORT = 48001;
const NS_PER_US = 1000;
/** How long past its window the runner waits for a `>` packet before calling it missing. */
const LATE_GRACE_NS = 2 * NS_PER_S;
/** How long a `*` packet or a blocking call without `...` may take. */
const ANY_WAIT_NS = 600 * NS_PER_S;

/** Header options the runner understands; any other makes the script unsupported. */
const KNOWN_OPTIONS = new Set(['ip_version', 'tolerance_usecs', 'tolerance_percent', 'mtu', 'tcp_ts_tick_usecs', 'define', 'verbose', 'strict']);

export interface RunOptions {
  /** Name for messages (default the Script's file). */
  readonly file?: string;
  /** Override of --tolerance_usecs. */
  readonly toleranceUsecs?: number;
  /** Record a pcap of the run (ScriptResult.pcap). */
  readonly pcap?: boolean;
  /** Keep a trace of events and packets (ScriptResult.log). */
  readonly verbose?: boolean;
  /** 16-byte RFC 6528 secret (default fixed, so runs are reproducible). */
  readonly secret?: Uint8Array;
  /** TcpConfig the stack starts from before the script's sysctls (profile.ts; default 'rfc'). */
  readonly profile?: ProfileName;
}

/** Thrown to stop the run: a failure portable does not forgive, or something unsupported. */
class Stop extends Error {
  constructor(readonly why: 'fail' | 'unsupported', what: string) {
    super(what);
  }
}

/** The connection the script talks to (packetdrill's socket under test). */
interface Tuple {
  localPort: number;
  remotePort: number;
}

/** A call that blocked: retried after every clock event until it returns. */
export interface PendingCall {
  readonly event: Event;
  readonly start: number;
  /** Return time window [lo, hi] in ns, or null when the call has no `...t2`. */
  readonly end: number | null;
  /** Try again: a result (≥ 0 or −errno), or null to keep waiting. */
  readonly retry: () => number | null;
  /** Verify the result (calls run.fail on mismatch). */
  readonly finish: (result: number) => void;
}

export function runScriptText(text: string, opts: RunOptions & { readonly defines?: Readonly<Record<string, string>> } = {}): ScriptResult {
  const file = opts.file ?? 'script.pkt';
  const parsed = parseScript(text, { file, defines: opts.defines ?? { FreeBSD: '1' } });
  if (!('events' in parsed)) {
    const f: Failure = { line: parsed.line, column: parsed.column, time: 0, kind: 'parse', message: parsed.message, portable: false };
    return { path: file, strict: 'fail', portable: 'fail', failures: [f], duration: 0, log: [] };
  }
  return runScript(parsed, { ...opts, file });
}

export function runScript(script: Script, opts: RunOptions = {}): ScriptResult {
  return new Run(script, opts).execute();
}

const DEFAULT_SECRET = Uint8Array.from([0x7a, 0x65, 0x72, 0x6f, 0x73, 0x74, 0x61, 0x63, 0x6b, 0x2d, 0x70, 0x6b, 0x74, 0x2d, 0x30, 0x31]);

export class Run {
  readonly file: string;
  readonly clock = new VirtualClock();
  readonly failures: Failure[] = [];
  readonly log: string[] = [];
  readonly verbose: boolean;
  stack!: Stack;
  core!: SocketCore;
  nic!: ScriptNic;
  tcpConfig: Partial<Record<keyof TcpConfig, unknown>>;
  readonly tuple: Tuple = { localPort: SCRIPT_PORT, remotePort: REMOTE_EPHEMERAL_PORT };
  /** Live local ISN − script local ISN (packetdrill local_seq_script_to_live_offset); 0 until learned. */
  localOffset = 0;
  /** Script TS val → live TS val (packetdrill ts_val_map). */
  readonly tsMap = new Map<number, number>();
  readonly pending: PendingCall[] = [];
  /** Packets taken from the NIC queue but given back (a failed aggregation). */
  private readonly backlog: LivePacket[] = [];
  /** The event being run (for failure positions). */
  current: Event | null = null;
  private readonly toleranceNs: number;
  get toleranceNsValue(): number {
    return this.toleranceNs;
  }
  private readonly tolerancePercent: number;
  private readonly tsTickUsecs: number;
  private readonly mtu: number;
  private pcap: MemoryPcapWriter | null = null;
  private ipId = 1;
  readonly syscalls: SyscallRunner;

  constructor(
    readonly script: Script,
    private readonly opts: RunOptions,
  ) {
    this.file = opts.file ?? script.file;
    this.verbose = opts.verbose ?? false;
    this.tcpConfig = profileConfig(opts.profile ?? 'rfc');
    const o = script.options;
    this.toleranceNs = (opts.toleranceUsecs ?? num(o.get('tolerance_usecs'), 4000)) * NS_PER_US;
    this.tolerancePercent = num(o.get('tolerance_percent'), 0);
    this.tsTickUsecs = num(o.get('tcp_ts_tick_usecs'), 0);
    this.mtu = num(o.get('mtu'), 1500);
    this.syscalls = new SyscallRunner(this);
  }

  execute(): ScriptResult {
    let unsupported: string | undefined;
    try {
      this.checkHeader();
      this.applyLeadingSysctls();
      this.build();
      this.runEvents();
      this.teardown();
    } catch (e) {
      if (e instanceof Stop) {
        if (e.why === 'unsupported') unsupported = e.message;
      } else {
        // A runner or stack exception is a failure of the script, never a crash of the caller.
        this.failures.push({ ...this.where(), kind: 'runner', message: `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, portable: false });
      }
    }
    const verdictOf = (mode: 'strict' | 'portable'): Verdict => {
      if (unsupported !== undefined) return 'unsupported';
      const f = mode === 'strict' ? this.failures[0] : this.failures.find((x) => !x.portable);
      return f === undefined ? 'pass' : 'fail';
    };
    const pcap = this.pcap?.bytes();
    return {
      path: this.file,
      strict: verdictOf('strict'),
      portable: verdictOf('portable'),
      ...(unsupported !== undefined ? { unsupported } : {}),
      failures: this.failures,
      duration: this.clock.now() / NS_PER_S,
      log: this.log,
      ...(pcap !== undefined ? { pcap } : {}),
    };
  }

  // ------------------------------------------------------------------ setup

  private checkHeader(): void {
    for (const [k, v] of this.script.options) {
      if (!KNOWN_OPTIONS.has(k)) this.unsupported(`script option --${k}`);
      if (k === 'ip_version' && v !== 'ipv4') this.unsupported(`--ip_version=${v} (the runner speaks IPv4)`);
    }
    if (this.script.initCommand !== undefined) this.unsupported(`init command \`${this.script.initCommand.command}\``);
  }

  /**
   * TcpConfig is fixed when the Stack is built, so the sysctl commands the script
   * runs before its first other event are applied first (they run at the start in
   * the corpus). A sysctl later in the script is applied to the running layer.
   */
  private applyLeadingSysctls(): void {
    for (const ev of this.script.events) {
      if (ev.body.kind !== 'command') break;
      runCommand(this, ev.body.command, true);
    }
  }

  private build(): void {
    const pool = new PacketPool({ memoryBytes: this.mtu > 9000 ? 16 * 1024 * 1024 : 4 * 1024 * 1024 });
    this.nic = new ScriptNic(this.clock, pool, this.mtu);
    let nic: Nic = this.nic;
    if (this.opts.pcap === true) {
      this.pcap = new MemoryPcapWriter();
      nic = new PcapNic(this.nic, this.pcap, this.clock);
    }
    let tcp: TcpConfig;
    try {
      tcp = resolveTcpConfig(this.tcpConfig as Partial<TcpConfig>);
    } catch (e) {
      this.unsupported(`stack configuration: ${(e as Error).message}`);
    }
    this.stack = new Stack({
      clock: this.clock,
      pool,
      name: 'packetdrill',
      nics: [nic],
      secret: this.opts.secret ?? DEFAULT_SECRET,
      config: {
        interfaces: [{ address: `${LOCAL_IP}/16`, arp: false, mtu: this.mtu }],
        defaultGateway: GATEWAY_IP,
        staticNeighbours: { [GATEWAY_IP]: [...GATEWAY_MAC].map((b) => b.toString(16).padStart(2, '0')).join(':') },
        tcp: tcp as unknown as Record<string, unknown>,
      },
    });
    this.core = new SocketCore(this.stack);
  }

  /** Change TcpConfig on the running stack (a sysctl after the start): new endpoints see it. */
  reconfigure(): void {
    const tcp = resolveTcpConfig(this.tcpConfig as Partial<TcpConfig>);
    // The script is the administrator here: replacing the validated config object is
    // what `sysctl -w` does to a kernel. Existing connections keep their options.
    (this.stack.tcp as unknown as { config: TcpConfig }).config = tcp;
  }

  // ------------------------------------------------------------------ event loop

  private runEvents(): void {
    let anchor = 0; // ns: what relative times count from
    let leading = true;
    for (const ev of this.script.events) {
      this.current = ev;
      // The commands before the first other event: their sysctls were applied before the
      // stack was built (applyLeadingSysctls); other commands among them run in order.
      if (ev.body.kind !== 'command') leading = false;
      const isLeadingSysctl = leading && ev.body.kind === 'command' && parseSysctl(ev.body.command) !== null;
      const t = ev.time;
      const base = t.kind === 'absolute' || (t.kind === 'range' && !t.relative) ? 0 : anchor;
      const body = ev.body;
      if (body.kind === 'packet' && body.direction === '>') {
        let lo: number;
        let hi: number;
        let at: number;
        if (t.kind === 'any') {
          lo = -Infinity;
          hi = this.clock.now() + ANY_WAIT_NS;
          at = this.clock.now();
        } else {
          const s = t.kind === 'range' ? t.startUsecs * NS_PER_US + base : t.usecs * NS_PER_US + base;
          const e = t.kind === 'range' ? t.endUsecs * NS_PER_US + base : s;
          const tol = Math.max(this.toleranceNs, (this.tolerancePercent / 100) * (e - anchor));
          lo = s - tol;
          hi = e + tol;
          at = s;
        }
        const arrived = this.expectPacket(body, at, lo, hi, t.kind === 'any');
        anchor = arrived;
        continue;
      }
      if (t.kind === 'range' || t.kind === 'any') this.fail('runner', `${t.kind} times are only allowed on outbound packets`, false);
      // Two consecutive inbound events anchor to the previous scheduled time (no drift).
      const scheduled = (t as { usecs: number }).usecs * NS_PER_US + (t.kind === 'absolute' ? 0 : anchor);
      this.advanceTo(Math.max(scheduled, this.clock.now()));
      if (scheduled < this.clock.now() - this.toleranceNs && this.failures.length === 0) {
        // The previous event (a blocking call) ran past this one's time.
        this.fail('timing', `event at ${sec(scheduled)} s ran late, at ${sec(this.clock.now())} s`, false);
      }
      if (isLeadingSysctl) {
        if (this.verbose) this.trace(`\`${body.kind === 'command' ? body.command : ''}\` (applied before the stack was built)`);
      } else if (body.kind === 'packet') this.injectPacket(body);
      else if (body.kind === 'syscall') this.syscalls.run(ev, body as Syscall, ev.endTime !== undefined ? this.endWindow(ev, anchor) : null);
      else if (body.kind === 'command') runCommand(this, body.command, false);
      else runCodeBlock(this, body);
      // What the event did may have unblocked a pending call (packets are processed synchronously).
      if (this.pending.length > 0) this.retryPending();
      anchor = scheduled;
    }
    // Blocking calls with `...t2` must still return.
    if (this.pending.length > 0) {
      const last = Math.max(...this.pending.map((p) => p.end ?? p.start));
      this.advanceTo(last + this.toleranceNs);
      for (const p of [...this.pending]) {
        this.current = p.event;
        this.fail('syscall', `blocking ${(p.event.body as Syscall).name}() had not returned by ${sec(last + this.toleranceNs)} s`, false);
      }
    }
  }

  private endWindow(ev: Event, anchor: number): number {
    const e = ev.endTime!.usecs * NS_PER_US;
    return ev.time.kind === 'absolute' ? e : anchor + e;
  }

  /** Run the clock to `t`, retrying blocked calls after every event. */
  advanceTo(t: number): void {
    const c = this.clock;
    if (this.pending.length > 0) this.retryPending();
    while (c.nextEventTime() <= t) {
      c.step();
      if (this.pending.length > 0) this.retryPending();
    }
    if (c.now() < t) c.runUntil(t);
  }

  /** Run the clock until `done()` or past `limit`; returns whether done. */
  runUntil(done: () => boolean, limit: number): boolean {
    const c = this.clock;
    for (;;) {
      if (done()) return true;
      const next = c.nextEventTime();
      if (next > limit) return false;
      c.step();
      if (this.pending.length > 0) this.retryPending();
    }
  }

  private retryPending(): void {
    for (let i = 0; i < this.pending.length; i++) {
      const p = this.pending[i]!;
      const r = p.retry();
      if (r === null) continue;
      this.pending.splice(i--, 1);
      const saved = this.current;
      this.current = p.event;
      const now = this.clock.now();
      if (p.end !== null && Math.abs(now - p.end) > this.toleranceNs) {
        this.fail('timing', `blocking ${(p.event.body as Syscall).name}() returned at ${sec(now)} s, expected at ${sec(p.end)} s (±${this.toleranceNs / 1e6} ms)`, false);
      }
      p.finish(r);
      this.current = saved;
    }
  }

  // ------------------------------------------------------------------ packets

  private injectPacket(p: Packet): void {
    const flags = flagBits(p.flags);
    const syn = (flags & TcpFlag.SYN) !== 0;
    const ack = (flags & TcpFlag.ACK) !== 0;
    if (p.seq.start === null) this.fail('runner', 'an inbound packet needs seq:end(len)', false);
    let options: WireOption[] = [];
    if (p.options === 'any') this.fail('runner', '<...> is only allowed on outbound packets', false);
    else if (p.options !== null) {
      const o = scriptOptions(p.options);
      if (typeof o === 'string') this.unsupported(o);
      options = o.map((x) => this.mapInboundOption(x, ack));
    }
    const encoded = encodeOptions(options);
    if (typeof encoded === 'string') this.fail('runner', encoded, false);
    if (syn && !ack && this.syscalls.listening) {
      // A SYN to the listener: packetdrill's new child uses a fresh remote port.
      this.tuple.remotePort = REMOTE_EPHEMERAL_PORT;
    }
    const live = {
      src: parseIpv4(REMOTE_IP),
      dst: parseIpv4(LOCAL_IP),
      srcPort: this.tuple.remotePort,
      dstPort: this.tuple.localPort,
      seq: p.seq.start!,
      ack: ack ? (p.ack ?? 0) + this.localOffset : (p.ack ?? 0),
      flags,
      win: p.win ?? 0,
      urg: p.urg ?? 0,
      options: encoded as Uint8Array,
      payloadLen: p.seq.len,
      ipId: this.ipId++,
      ...(p.ipInfo !== undefined ? { ipInfo: p.ipInfo } : {}),
    };
    const bytes = buildInbound(live);
    if (this.verbose) this.trace(`inbound  ${formatSegment(flags, live.seq, p.seq.len, ack ? p.ack ?? 0 : null, live.win, live.urg, options)}`);
    if (!this.nic.inject(bytes)) this.fail('runner', 'the packet could not be injected (pool exhausted)', false);
  }

  private mapInboundOption(o: WireOption, ack: boolean): WireOption {
    if (o.kind === 'sack') return { kind: 'sack', blocks: o.blocks.map(([l, r]) => [(l + this.localOffset) >>> 0, (r + this.localOffset) >>> 0] as const) };
    if (o.kind === 'timestamp' && ack) {
      const live = this.tsMap.get(o.ecr);
      if (live === undefined) this.fail('runner', `unable to find mapping for timestamp ecr ${o.ecr}`, false);
      return { kind: 'timestamp', val: o.val, ecr: live! };
    }
    return o;
  }

  /** The next TCP packet the stack sent, or null once the clock passes `limit`. */
  private nextSent(limit: number): LivePacket | null {
    if (this.backlog.length > 0) return this.backlog.shift()!;
    let found: LivePacket | null = null;
    this.runUntil(() => {
      while (this.nic.sent.length > 0) {
        const s = this.nic.sent.shift()!;
        if (s.etherType !== 0x0800) continue;
        const p = parseLive(s.at, s.ip);
        if (typeof p === 'string') {
          if (p.startsWith('IPv4 protocol')) continue; // ICMP and others are not the script's business
          this.fail('packet', `the stack sent a malformed packet: ${p}`, false);
        }
        found = p as LivePacket;
        return true;
      }
      return false;
    }, limit);
    return found;
  }

  private expectPacket(p: Packet, at: number, lo: number, hi: number, any: boolean): number {
    const flags = flagBits(p.flags);
    const isSyn = (flags & TcpFlag.SYN) !== 0;
    let options: readonly WireOption[] | 'any';
    if (p.options === 'any') options = 'any';
    else if (p.options === null) options = [];
    else {
      const o = scriptOptions(p.options);
      if (typeof o === 'string') this.unsupported(o);
      options = o;
    }
    const shown = this.describeExpected(p, at, any, lo, hi);
    const live = this.nextSent(any ? hi : hi + LATE_GRACE_NS);
    if (live === null) {
      this.fail('missing', `expected packet not sent (waited until ${sec(this.clock.now())} s)`, false, shown);
      return this.clock.now();
    }
    // The stack's ISN: learned from the SYN it sends (packetdrill find_connect_for_live_packet).
    if (isSyn && p.seq.start !== null) this.localOffset = (live.seq - p.seq.start) | 0;
    if (live.srcPort !== this.tuple.localPort || live.dstPort !== this.tuple.remotePort) {
      // The stack chose its port on connect: learn it from the first packet of the connection.
      if (this.syscalls.connecting && live.dstPort === SCRIPT_PORT) this.tuple.localPort = live.srcPort;
    }
    let exp: ExpectedSegment = {
      flags,
      seq: p.seq.start === null ? null : (p.seq.start + this.localOffset) >>> 0,
      len: p.seq.len,
      ...(p.ack !== undefined && (flags & TcpFlag.ACK) !== 0 ? { ack: p.ack } : {}),
      ...(p.win !== undefined ? { win: p.win } : {}),
      ...(p.urg !== undefined ? { urg: p.urg } : {}),
      options,
      ...(p.ipInfo !== undefined ? { ipInfo: p.ipInfo } : {}),
    };
    if (this.tsTickUsecs > 0) {
      const check = this.tsValCheck(p);
      if (check !== undefined) exp = { ...exp, tsValCheck: check };
    }
    let actual = live;
    let diffs = compareSegment(exp, live, (x) => (x - this.localOffset) >>> 0);
    let tso: Difference | null = null;
    if (diffs.length > 0 && live.payloadLen < exp.len && onlyLenOrPush(diffs)) {
      // TSO-style aggregation: consecutive segments summed to the expected one (not strict).
      const agg = this.aggregate(live, exp.len, hi + LATE_GRACE_NS);
      if (agg !== null) {
        const d2 = compareSegment(exp, agg, (x) => (x - this.localOffset) >>> 0);
        if (d2.length === 0) {
          actual = agg;
          diffs = [];
          tso = { field: 'len', expected: `one ${exp.len}-byte segment`, actual: `${agg.count} segments summed`, portable: true, note: 'TSO-style aggregation' };
        }
      }
    }
    const liveText = this.describeLive(actual);
    if (this.verbose) this.trace(`outbound ${liveText}`);
    // Remember the live TS val for this script val (inbound ecr mapping).
    if (options !== 'any') {
      const sts = options.find((o) => o.kind === 'timestamp');
      const lts = live.options.find((o) => o.kind === 'timestamp');
      if (sts?.kind === 'timestamp' && lts?.kind === 'timestamp') this.tsMap.set(sts.val, lts.val);
    }
    if (diffs.length > 0) {
      const early = live.at < lo;
      const hard = diffs.filter((d) => !d.portable);
      const list = (ds: Difference[]): string => ds.map((d) => `${d.field}: expected ${d.expected}, actual ${d.actual}`).join('; ');
      if (hard.length > 0) {
        this.fail(early ? 'unexpected' : 'packet', early ? `unexpected packet at ${sec(live.at)} s before the expected one (${list(hard)})` : `packet differs: ${list(hard)}`, false, shown, liveText);
      } else {
        this.fail('packet', `packet differs: ${list(diffs)}`, true, shown, liveText, [...new Set(diffs.map((d) => d.note))].join(', '));
      }
    }
    if (tso !== null) this.fail('packet', `${tso.actual} matched one expected segment`, true, shown, liveText, tso.note);
    if (!any && (actual.at < lo || live.at > hi)) {
      const when = actual.at < lo ? 'early' : 'late';
      this.fail('timing', `packet ${when}: sent at ${sec(live.at)} s, expected at ${sec(at)} s (window ${sec(lo)}..${sec(hi)} s)`, false, shown, liveText);
    }
    return actual.at;
  }

  /**
   * --tcp_ts_tick_usecs: the live TS val, moved into script units by the first
   * mapping learned, must be within tolerance of the script's (packetdrill).
   */
  private tsValCheck(p: Packet): ExpectedSegment['tsValCheck'] {
    const ts = Array.isArray(p.options) ? (p.options as readonly TcpOption[]).find((o) => o.kind === 'timestamp') : undefined;
    if (ts === undefined || ts.kind !== 'timestamp' || this.tsMap.size === 0) return undefined;
    const [sv, lv] = [...this.tsMap][0]!;
    const tolUs = this.toleranceNs / NS_PER_US;
    return { script: ts.val, live: (v) => Math.abs((((v - lv) | 0) + sv - ts.val) | 0) * this.tsTickUsecs <= tolUs };
  }

  private aggregate(first: LivePacket, want: number, limit: number): (LivePacket & { count: number }) | null {
    let len = first.payloadLen;
    let flags = first.flags;
    let count = 1;
    let last = first;
    const taken: LivePacket[] = [];
    while (len < want) {
      const n = this.nextSent(limit);
      if (n === null) break;
      taken.push(n);
      if (n.seq !== ((first.seq + len) >>> 0)) break;
      len += n.payloadLen;
      flags |= n.flags;
      count++;
      last = n;
    }
    if (len !== want) {
      this.backlog.unshift(...taken);
      return null;
    }
    return { ...first, payloadLen: len, flags, at: last.at, count };
  }

  describeExpected(p: Packet, at: number, any: boolean, lo: number, hi: number): string {
    const flags = flagBits(p.flags);
    const opts = p.options === 'any' ? 'any' : p.options === null ? null : (() => {
      const o = scriptOptions(p.options);
      return typeof o === 'string' ? null : o;
    })();
    const when = any ? '*' : lo === hi ? sec(at) : `${sec(at)} (±${((hi - lo) / 2e9).toFixed(3)})`;
    return `${when} > ${formatSegment(flags, p.seq.start ?? 0, p.seq.len, p.ack ?? null, p.win ?? null, p.urg ?? 0, opts)}`;
  }

  describeLive(l: LivePacket): string {
    const ack = (l.flags & TcpFlag.ACK) !== 0 ? l.ack : null;
    return `${sec(l.at)} > ${formatSegment(l.flags, (l.seq - this.localOffset) >>> 0, l.payloadLen, ack, l.win, l.urg, l.options)}`;
  }

  // ------------------------------------------------------------------ teardown

  /** packetdrill closes every socket the script left open; nothing is checked after that. */
  private teardown(): void {
    this.current = null;
    this.syscalls.closeAll();
    this.advanceTo(this.clock.now());
  }

  // ------------------------------------------------------------------ failures

  where(): { line: number; column: number; time: number } {
    return { line: this.current?.line ?? 0, column: this.current?.column ?? 0, time: this.clock.now() / NS_PER_S };
  }

  /**
   * Record a failure. `portable` true: only strict fails on it and the run goes on;
   * otherwise the run stops here.
   */
  fail(kind: string, message: string, portable: boolean, expected?: string, actual?: string, forgiven?: string): void {
    this.failures.push({
      ...this.where(),
      kind,
      message,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
      portable,
      ...(forgiven !== undefined && forgiven !== '' ? { forgiven } : {}),
    });
    if (this.verbose) this.trace(`FAIL ${kind}: ${message}`);
    if (!portable) throw new Stop('fail', message);
  }

  unsupported(what: string): never {
    if (this.verbose) this.trace(`UNSUPPORTED ${what}`);
    throw new Stop('unsupported', what);
  }

  trace(line: string): void {
    this.log.push(`${sec(this.clock.now())} ${line}`);
  }
}

function onlyLenOrPush(diffs: readonly Difference[]): boolean {
  return diffs.every((d) => d.field === 'len' || (d.field === 'flags' && d.expected.replace('P', '') === d.actual.replace('P', '')));
}

function num(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : dflt;
}

export function sec(ns: number): string {
  return (ns / NS_PER_S).toFixed(6);
}
