/**
 * Test harness for the TCP engine (STYLE lesson 10): one TcpLayer on a
 * VirtualClock and a debug PacketPool, with a fake IPv4 layer that captures
 * every segment the stack emits (parsed back with parseTcp, checksum verified).
 * Tests play the remote peer: inject() segments built from a template plus
 * overrides, then expectSegment()/expectNothing() — packetdrill in TypeScript.
 *
 * Addresses follow packetdrill: local 192.168.0.1, remote 192.0.2.1, port 8080.
 * Times are ns; use ms()/sec() for readability.
 */
import { expect } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { PacketPool } from '../../src/buf/pool.js';
import { CSUM_NONE, CSUM_PARTIAL, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { ChecksumMode, Ipv4Repr, IpProtocol } from '../../src/wire/ipv4.js';
import { emitTcp, parseTcp, tcpChecksumValid, tcpHeaderLen, TcpRepr } from '../../src/wire/tcp.js';
import { isWireError } from '../../src/wire/error.js';
import { jsChecksum, onesSum, finishChecksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { flagBits, flagLetters } from '../../src/packetdrill/runner/packets.js';
import { TcpLayer, type TcpIpOutput } from '../../src/tcp/tcp-layer.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import { Endpoint, type EndpointObserver } from '../../src/tcp/endpoint.js';
import { seqAdd } from '../../src/tcp/seq.js';

export const LOCAL = parseIpv4('192.168.0.1');
export const REMOTE = parseIpv4('192.0.2.1');
export const LOCAL_PORT = 8080;
export const REMOTE_PORT = 40000;

export const ms = (n: number): number => Math.round(n * 1_000_000);
export const sec = (n: number): number => Math.round(n * 1_000_000_000);
export const us = (n: number): number => Math.round(n * 1_000);

/** packetdrill flag letters: F S R P . (ACK) U E W; unknown letters are a test-writing error. */
export function parseFlags(s: string): number {
  for (const c of s) if (!'FSRP.UEW-'.includes(c)) throw new Error(`bad flag letter ${c} in ${s}`);
  return flagBits(s);
}

/** TcpFlag bits → packetdrill letters (the runner's own formatter). */
export const flagsToString = flagLetters;

export interface SegOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr] */
  ts?: [number, number];
  /** SACK blocks [[left, right], …] */
  sack?: [number, number][];
}

export interface InjectSpec {
  flags: string;
  seq: number;
  ack?: number;
  window?: number;
  urg?: number;
  options?: SegOptions;
  /** Payload bytes, or a length (filled with a counter pattern starting at `fill`). */
  payload?: Uint8Array | number;
  srcPort?: number;
  dstPort?: number;
  src?: number;
  dst?: number;
  /** Corrupt the checksum. */
  badChecksum?: boolean;
  /** IP ECN codepoint of the carrying datagram (RFC 3168 §5; default 0, Not-ECT). */
  ecn?: number;
}

/** A segment the stack sent, as captured by the fake IP layer. */
export interface Captured {
  at: number;
  src: number;
  dst: number;
  flags: number;
  flagStr: string;
  seq: number;
  ack: number;
  window: number;
  urg: number;
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  ts: [number, number] | null;
  sack: [number, number][];
  /** Option bytes as sent (for exact-layout checks). */
  optionBytes: number[];
  payload: Uint8Array;
  len: number;
  srcPort: number;
  dstPort: number;
  /** IP ECN codepoint the stack asked IP for (the low 2 bits of opts.tos). */
  ecn: number;
}

export interface ExpectSpec {
  flags?: string;
  seq?: number;
  ack?: number;
  window?: number;
  len?: number;
  at?: number;
  /** Allowed |actual − at| (default 0: exact virtual time). */
  tolerance?: number;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** true: any timestamps present; [val, ecr] exact; 'ecr' number: only check TSecr. */
  ts?: boolean | [number, number];
  tsEcr?: number;
  sack?: [number, number][];
  /** Exact option layout, e.g. 'mss,nop,wscale,sackOK,TS' (checked loosely by kinds in order). */
  noOptions?: boolean;
}

export interface HarnessOptions {
  config?: Partial<TcpConfig>;
  mtu?: number;
  offload?: boolean;
  /** Start time (default 0). */
  start?: number;
  /** Packet pool size (default 32 MiB; fuzz runs use less: debug pools poison all of it). */
  poolBytes?: number;
}

class FakeIp implements TcpIpOutput {
  captured: Captured[] = [];
  mtu: number;
  offload: boolean;
  routable = true;
  constructor(
    private readonly h: Harness,
    mtu: number,
    offload: boolean,
  ) {
    this.mtu = mtu;
    this.offload = offload;
  }
  /** When set: the path MTU; larger DF segments are refused with -EMSGSIZE like src/ip does. */
  pathMtu = 0;
  refused = 0;
  output(pkt: PacketBuffer, src: number, dst: number, protocol: number, opts?: { df?: boolean; tos?: number }): number {
    expect(protocol).toBe(IpProtocol.TCP);
    const total = pkt.chainLength();
    if (this.pathMtu > 0 && opts?.df === true && total + 20 > this.pathMtu) {
      pkt.release();
      this.refused++;
      return -90;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
      bytes.set(b.bytes.subarray(b.head, b.tail), at);
      at += b.tail - b.head;
    }
    // The first buffer must have IPv4 + Ethernet headroom.
    expect(pkt.headroom()).toBeGreaterThanOrEqual(34);
    if (pkt.csumState === CSUM_PARTIAL) {
      expect(this.offload).toBe(true);
      // Complete it like a NIC would: sum from csumStart to the end (field holds the pseudo-header sum).
      const start = pkt.csumStart;
      const sum = onesSum(bytes, start, total - start);
      const v = finishChecksum(sum);
      bytes[start + pkt.csumOffset] = v >>> 8;
      bytes[start + pkt.csumOffset + 1] = v & 0xff;
    } else {
      expect(pkt.csumState).toBe(CSUM_NONE);
    }
    pkt.release();
    expect(tcpChecksumValid(bytes, 0, total, src, dst, jsChecksum)).toBe(true);
    const r = parseTcp(bytes, 0, total);
    if (isWireError(r)) throw new Error(`stack emitted a malformed segment: ${r.code}`);
    const sack: [number, number][] = [];
    for (let i = 0; i < r.sackCount; i++) sack.push([r.sackBlocks[2 * i]!, r.sackBlocks[2 * i + 1]!]);
    this.captured.push({
      at: this.h.clock.now(),
      src,
      dst,
      flags: r.flags,
      flagStr: flagsToString(r.flags),
      seq: r.seq,
      ack: r.ack,
      window: r.window,
      urg: r.urgentPointer,
      mss: r.mss,
      wscale: r.wscale,
      sackPermitted: r.sackPermitted,
      ts: r.tsPresent ? [r.tsVal, r.tsEcr] : null,
      sack,
      optionBytes: [...bytes.subarray(r.optionsOffset, r.optionsOffset + r.optionsLength)],
      payload: bytes.slice(r.payloadOffset, r.payloadOffset + r.payloadLength),
      len: r.payloadLength,
      srcPort: r.srcPort,
      dstPort: r.dstPort,
      ecn: (opts?.tos ?? 0) & 3,
    });
    return 0;
  }
  sourceFor(_dst: number): number {
    return this.routable ? LOCAL : -1;
  }
  mtuFor(_dst: number): number {
    return this.pathMtu > 0 ? this.pathMtu : this.mtu;
  }
  isLocalAddress(addr: number): boolean {
    return addr === LOCAL;
  }
  txChecksumOffload(_dst: number): boolean {
    return this.offload;
  }
}

/** Records observer calls as strings ('readable', 'error:-104', …). */
export class RecordingObserver implements EndpointObserver {
  events: string[] = [];
  completes: number[] = [];
  onReadable(): void {
    this.events.push('readable');
  }
  onWritable(): void {
    this.events.push('writable');
  }
  onError(_ep: Endpoint, errno: number): void {
    this.events.push(`error:${errno}`);
  }
  onHup(): void {
    this.events.push('hup');
  }
  onConnect(): void {
    this.events.push('connect');
  }
  onAcceptable(): void {
    this.events.push('acceptable');
  }
  onSendComplete(_ep: Endpoint, id: number): void {
    this.completes.push(id);
  }
  take(): string[] {
    const e = this.events;
    this.events = [];
    return e;
  }
}

export function pattern(len: number, start = 0): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (start + i) & 0xff;
  return b;
}

export class Harness {
  readonly clock: VirtualClock;
  readonly pool: PacketPool;
  readonly acct = new CountingAccounting();
  readonly ip: FakeIp;
  readonly tcp: TcpLayer;
  private readonly ipRepr = new Ipv4Repr();
  /** Index of the next captured segment expectSegment() looks at. */
  private cursor = 0;

  constructor(opts: HarnessOptions = {}) {
    this.clock = new VirtualClock({ start: opts.start ?? 0 });
    this.pool = new PacketPool({ memoryBytes: opts.poolBytes ?? 32 * 1024 * 1024, debug: true });
    this.ip = new FakeIp(this, opts.mtu ?? 1500, opts.offload ?? false);
    this.tcp = new TcpLayer({ clock: this.clock, ip: this.ip, pool: this.pool, acct: this.acct, config: opts.config ?? {} });
  }

  get mib() {
    return this.tcp.mib;
  }

  now(): number {
    return this.clock.now();
  }

  /** Advance virtual time to `t` (absolute ns), running timers on the way. */
  at(t: number): void {
    if (t > this.clock.now()) this.clock.runUntil(t);
    else this.clock.runUntil(this.clock.now()); // run deferred work at the current time
  }

  /** Advance by dt ns. */
  advance(dt: number): void {
    this.clock.runUntil(this.clock.now() + dt);
  }

  /** Build a segment from `spec` into a pool buffer (as a NIC would deliver it). */
  build(spec: InjectSpec): PacketBuffer {
    const r = new TcpRepr();
    r.srcPort = spec.srcPort ?? REMOTE_PORT;
    r.dstPort = spec.dstPort ?? LOCAL_PORT;
    r.seq = spec.seq >>> 0;
    r.ack = (spec.ack ?? 0) >>> 0;
    r.flags = parseFlags(spec.flags);
    r.window = spec.window ?? 65535;
    r.urgentPointer = spec.urg ?? 0;
    const o = spec.options ?? {};
    r.mss = o.mss ?? -1;
    r.wscale = o.wscale ?? -1;
    r.sackPermitted = o.sackPermitted ?? false;
    if (o.ts) {
      r.tsPresent = true;
      r.tsVal = o.ts[0] >>> 0;
      r.tsEcr = o.ts[1] >>> 0;
    }
    const sack = o.sack ?? [];
    r.sackCount = sack.length;
    sack.forEach(([a, b], i) => {
      r.sackBlocks[2 * i] = a >>> 0;
      r.sackBlocks[2 * i + 1] = b >>> 0;
    });
    const payload = typeof spec.payload === 'number' ? pattern(spec.payload) : (spec.payload ?? new Uint8Array(0));
    r.payloadLength = payload.length;
    const hl = tcpHeaderLen(r);
    const buf = this.pool.alloc(hl + payload.length, 0)!;
    const off = buf.append(hl + payload.length);
    buf.bytes.set(payload, off + hl);
    const src = spec.src ?? REMOTE;
    const dst = spec.dst ?? LOCAL;
    emitTcp(r, buf.bytes, off, src, dst, jsChecksum, ChecksumMode.FULL);
    if (spec.badChecksum) buf.bytes[off + 16]! ^= 0x55;
    return buf;
  }

  /** Deliver a segment to the stack now (as IP would). */
  inject(spec: InjectSpec): void {
    const buf = this.build(spec);
    this.ipRepr.src = spec.src ?? REMOTE;
    this.ipRepr.dst = spec.dst ?? LOCAL;
    this.ipRepr.ecn = spec.ecn ?? 0;
    this.tcp.input(buf, spec.src ?? REMOTE, spec.dst ?? LOCAL, this.ipRepr);
  }

  /** Deliver raw bytes as a TCP segment. */
  injectRaw(bytes: Uint8Array, src = REMOTE, dst = LOCAL): void {
    const buf = this.pool.allocCopy(bytes, 0, bytes.length, 0)!;
    this.tcp.input(buf, src, dst, this.ipRepr);
  }

  /** Every captured segment (including ones already checked). */
  get sent(): readonly Captured[] {
    return this.ip.captured;
  }

  /** Segments not yet consumed by expectSegment/next. */
  pending(): Captured[] {
    return this.ip.captured.slice(this.cursor);
  }

  /** The next captured segment (runs deferred work at the current time first); undefined if none. */
  next(): Captured | undefined {
    this.at(this.clock.now());
    const s = this.ip.captured[this.cursor];
    if (s !== undefined) this.cursor++;
    return s;
  }

  /**
   * Expect the next segment the stack sends. If none is pending, runs the clock
   * to the next event(s) until one appears (at most until `at` + tolerance, or
   * 10 virtual minutes) — like packetdrill's outbound wait.
   */
  expectSegment(spec: ExpectSpec): Captured {
    const limit = spec.at !== undefined ? spec.at + (spec.tolerance ?? 0) : this.clock.now() + sec(600);
    this.at(this.clock.now());
    while (this.cursor >= this.ip.captured.length) {
      const nextT = this.clock.nextEventTime();
      if (!(nextT <= limit)) break;
      this.clock.step();
    }
    const s = this.ip.captured[this.cursor];
    if (s === undefined) {
      throw new Error(`expected a segment ${JSON.stringify(spec)} by ${limit} ns, got nothing (now ${this.clock.now()})`);
    }
    this.cursor++;
    checkSegment(s, spec);
    return s;
  }

  /** Expect no segment until `until` (absolute ns; default: now). Runs the clock to `until`. */
  expectNothing(until?: number): void {
    const t = until ?? this.clock.now();
    while (this.cursor >= this.ip.captured.length) {
      const nextT = this.clock.nextEventTime();
      if (!(nextT <= t)) break;
      this.clock.step();
    }
    const s = this.ip.captured[this.cursor];
    if (s !== undefined) {
      throw new Error(`expected no segment until ${t}, got ${describe(s)}`);
    }
    if (t > this.clock.now()) this.clock.runUntil(t);
  }

  /** Skip all pending segments. */
  drain(): Captured[] {
    this.at(this.clock.now());
    const out = this.ip.captured.slice(this.cursor);
    this.cursor = this.ip.captured.length;
    return out;
  }

  // ---------------------------------------------------------------------------
  // Builders

  /** A listening endpoint on LOCAL_PORT (or `port`). */
  listen(port = LOCAL_PORT, backlog = 16, setup?: (ep: Endpoint) => void): Endpoint {
    const ep = this.tcp.createEndpoint();
    setup?.(ep);
    expect(ep.bind(0, port)).toBe(0);
    expect(ep.listen(backlog)).toBe(0);
    return ep;
  }

  /**
   * Passive open to an ESTABLISHED accepted endpoint. The peer's ISN is `irs`;
   * returns our ISS. Peer options default to MSS 1460, no other options
   * (override with `options`).
   */
  passiveEstablished(opts: { irs?: number; options?: SegOptions; window?: number; listenerSetup?: (ep: Endpoint) => void } = {}): Established {
    const irs = opts.irs ?? 1000;
    const listener = this.listen(LOCAL_PORT, 16, opts.listenerSetup);
    const options = opts.options ?? { mss: 1460 };
    this.inject({ flags: 'S', seq: irs, window: opts.window ?? 65535, options });
    const synAck = this.expectSegment({ flags: 'S.', ack: irs + 1 });
    const iss = synAck.seq;
    const peerTs = options.ts;
    this.inject({
      flags: '.',
      seq: irs + 1,
      ack: seqAdd(iss, 1),
      window: opts.window ?? 65535,
      options: peerTs ? { ts: [peerTs[0] + 1, synAck.ts ? synAck.ts[0] : 0] } : {},
    });
    const ep = listener.accept();
    if (typeof ep === 'number') throw new Error(`accept failed: ${ep}`);
    const obs = new RecordingObserver();
    ep.observer = obs;
    return { ep, listener, iss, irs, obs, synAck, sndNxt: seqAdd(iss, 1), rcvNxt: irs + 1 };
  }

  /** Active open to ESTABLISHED. */
  activeEstablished(opts: { irs?: number; options?: SegOptions; window?: number; setup?: (ep: Endpoint) => void } = {}): Established {
    const irs = opts.irs ?? 5000;
    const ep = this.tcp.createEndpoint();
    const obs = new RecordingObserver();
    ep.observer = obs;
    opts.setup?.(ep);
    expect(ep.connect(REMOTE, LOCAL_PORT)).toBe(-115);
    const syn = this.expectSegment({ flags: 'S' });
    const options = opts.options ?? { mss: 1460 };
    this.inject({
      flags: 'S.',
      seq: irs,
      ack: seqAdd(syn.seq, 1),
      window: opts.window ?? 65535,
      options: options.ts && syn.ts ? { ...options, ts: [options.ts[0], syn.ts[0]] } : options,
      srcPort: LOCAL_PORT,
      dstPort: ep.localPort,
    });
    this.expectSegment({ flags: '.', ack: irs + 1 });
    return { ep, listener: null, iss: syn.seq, irs, obs, synAck: syn, sndNxt: seqAdd(syn.seq, 1), rcvNxt: irs + 1 };
  }

  /** Pool buffers still in use (leak check). */
  poolInUse(): { slots: number; handles: number; external: number } {
    return { slots: this.pool.stats.inUse, handles: this.pool.stats.handlesInUse, external: this.pool.stats.externalInUse };
  }
}

export interface Established {
  ep: Endpoint;
  listener: Endpoint | null;
  /** Our initial sequence number. */
  iss: number;
  /** The peer's initial sequence number. */
  irs: number;
  obs: RecordingObserver;
  synAck: Captured;
  /** Our SND.NXT and RCV.NXT right after the handshake. */
  sndNxt: number;
  rcvNxt: number;
}

export function describe(s: Captured): string {
  const opts: string[] = [];
  if (s.mss >= 0) opts.push(`mss ${s.mss}`);
  if (s.wscale >= 0) opts.push(`wscale ${s.wscale}`);
  if (s.sackPermitted) opts.push('sackOK');
  if (s.ts) opts.push(`TS val ${s.ts[0]} ecr ${s.ts[1]}`);
  for (const [l, r] of s.sack) opts.push(`sack ${l}:${r}`);
  return `${s.flagStr} ${s.seq}:${(s.seq + s.len) >>> 0}(${s.len}) ack ${s.ack} win ${s.window}${opts.length ? ` <${opts.join(',')}>` : ''} @${s.at}`;
}

function checkSegment(s: Captured, spec: ExpectSpec): void {
  const d = describe(s);
  if (spec.flags !== undefined) expect(s.flagStr, d).toBe(flagsToString(parseFlags(spec.flags)));
  if (spec.seq !== undefined) expect(s.seq, `seq of ${d}`).toBe(spec.seq >>> 0);
  if (spec.ack !== undefined) expect(s.ack, `ack of ${d}`).toBe(spec.ack >>> 0);
  if (spec.window !== undefined) expect(s.window, `window of ${d}`).toBe(spec.window);
  if (spec.len !== undefined) expect(s.len, `len of ${d}`).toBe(spec.len);
  if (spec.at !== undefined) {
    const tol = spec.tolerance ?? 0;
    expect(Math.abs(s.at - spec.at), `time of ${d}: expected ${spec.at}`).toBeLessThanOrEqual(tol);
  }
  if (spec.mss !== undefined) expect(s.mss, `mss of ${d}`).toBe(spec.mss);
  if (spec.wscale !== undefined) expect(s.wscale, `wscale of ${d}`).toBe(spec.wscale);
  if (spec.sackPermitted !== undefined) expect(s.sackPermitted, `sackOK of ${d}`).toBe(spec.sackPermitted);
  if (spec.ts === true) expect(s.ts, `ts of ${d}`).not.toBeNull();
  else if (spec.ts === false) expect(s.ts, `ts of ${d}`).toBeNull();
  else if (Array.isArray(spec.ts)) expect(s.ts, `ts of ${d}`).toEqual([spec.ts[0] >>> 0, spec.ts[1] >>> 0]);
  if (spec.tsEcr !== undefined) expect(s.ts?.[1], `TSecr of ${d}`).toBe(spec.tsEcr >>> 0);
  if (spec.sack !== undefined) expect(s.sack, `sack of ${d}`).toEqual(spec.sack.map(([a, b]) => [a >>> 0, b >>> 0]));
  if (spec.noOptions) expect(s.optionBytes.length, `options of ${d}`).toBe(0);
}

export { pseudoHeaderSum };
