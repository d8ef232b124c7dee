/**
 * End-to-end property (issue D): two Stacks on a simulated Network link with
 * random impairments (Bernoulli and Gilbert-Elliott burst loss up to 30%,
 * duplication, reordering, corruption, jitter). For every case the transfer in
 * each direction completes byte-exact (sha256 of what was sent equals sha256 of
 * what was read) and both ends close cleanly, leaving the packet pools at their
 * baseline after TIME-WAIT — or, when the link is made impossible after the
 * handshake (100% loss in one or both directions), both ends fail with
 * ETIMEDOUT/ECONNRESET (TCP_USER_TIMEOUT, keepalive) and close. No case hangs:
 * every case is bounded by virtual time and by an event budget.
 *
 * Driven purely by virtual time: the clock is run in steps; the endpoints are
 * serviced from their observers and, as a belt and braces, after every step.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network, type LinkOptions } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { NULL_OBSERVER, TcpErrno, tcpErrnoName, type Endpoint, type EndpointObserver } from '../../src/tcp/endpoint.js';
import { sec } from './harness.js';

const KiB = 1024;
const MiB = 1024 * 1024;
/** Virtual-time bound of the transfer phase of one case. */
const CASE_BOUND = sec(600);
/** TIME-WAIT (2·MSL) plus slack, run after both ends closed. */
const MSL = sec(5);
/** After both ends closed: bound on the orphans' FIN retransmissions. */
const CLOSE_BOUND = sec(300);
const EVENT_BUDGET = 20_000_000;
const STEP = '50ms';

/** Deterministic payload: xorshift32 bytes from a seed. */
function payload(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, size >>> 2);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** One side of a connection: sends `data` then SHUT_WR, reads to EOF, then closes. */
class Peer {
  ep: Endpoint | null = null;
  sent = 0;
  shut = false;
  received = 0;
  eof = false;
  error = 0;
  closed = false;
  private readonly hash = createHash('sha256');
  private readonly scratch = new Uint8Array(64 * KiB);
  /**
   * @param closeOnEof close once both directions are done (normal runs); when false
   *   the peer keeps the connection until it fails (impossible links: an application
   *   that waits for its data to be acknowledged must be told, not left hanging).
   */
  constructor(
    readonly name: string,
    readonly data: Uint8Array,
    readonly closeOnEof = true,
    readonly sendAfterEof = false,
  ) {}

  get receivedHash(): string {
    return this.hash.copy().digest('hex');
  }

  service(): void {
    const ep = this.ep;
    if (ep === null || this.closed) return;
    if (ep.errorCode !== 0 && this.error === 0) this.error = ep.errorCode;
    while (!this.eof && this.error === 0) {
      const k = ep.recv(this.scratch, 0, this.scratch.length);
      if (k > 0) {
        this.hash.update(this.scratch.subarray(0, k));
        this.received += k;
      } else if (k === 0) this.eof = true;
      else {
        if (k !== TcpErrno.EAGAIN) this.error = k;
        break;
      }
    }
    while (this.sent < this.data.length && this.error === 0 && (this.eof || !this.sendAfterEof)) {
      const k = ep.send(this.data, this.sent, Math.min(this.data.length - this.sent, 256 * KiB));
      if (k > 0) this.sent += k;
      else {
        if (k !== TcpErrno.EAGAIN) this.error = k;
        break;
      }
    }
    if (this.sent === this.data.length && (this.eof || !this.sendAfterEof) && !this.shut && this.error === 0 && (ep.state === 'ESTABLISHED' || ep.state === 'CLOSE-WAIT')) {
      // (Only once connected: shutdown(SHUT_WR) in SYN-SENT closes the attempt, as in Linux.)
      const r = ep.shutdown(1);
      if (r === 0) this.shut = true;
      else this.error = r;
    }
    if ((this.eof && this.shut && (this.closeOnEof || ep.state === 'TIME-WAIT' || ep.state === 'CLOSED')) || this.error !== 0) {
      this.closed = true;
      ep.close();
    }
  }

  observer(): EndpointObserver {
    const s = (): void => this.service();
    return { ...NULL_OBSERVER, onReadable: s, onWritable: s, onConnect: s, onError: s, onHup: s };
  }
}

type Impossible = 'none' | 'both' | 'ab' | 'ba';

interface Case {
  seed: number;
  up: number;
  down: number;
  link: LinkOptions;
  impossible: Impossible;
  /**
   * Data both ways at once (true) or request/response (false: the server sends after
   * reading EOF). Concurrent two-way data with loss hits the bug in the repro below.
   */
  concurrent?: boolean;
}

interface Outcome {
  client: Peer;
  server: Peer;
  clientEp: Endpoint;
  serverEp: Endpoint | null;
  doneAt: number;
  events: number;
  leaks: { a: number[]; b: number[] };
  /** Retransmitted segments (both ends) and impairment events drawn on the link (both directions). */
  retrans: number;
  impaired: { duplicated: number; reordered: number; corrupted: number; lost: number };
  baseline: { a: number[]; b: number[] };
}

function runCase(c: Case): Outcome {
  const net = new Network({ seed: c.seed, pool: { memoryBytes: 8 * MiB } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  const link = net.link(h1, h2, c.link);
  const tcp = { msl: MSL };
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, secret: h1.secret, config: { interfaces: [{ address: '10.0.0.1/24' }], tcp } });
  const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, secret: h2.secret, config: { interfaces: [{ address: '10.0.0.2/24' }], tcp } });
  const vc = net.virtualClock;
  const usage = (s: Stack): number[] => [s.pool.stats.inUse, s.pool.stats.handlesInUse, s.pool.stats.externalInUse];
  net.runFor('1ms'); // let the gratuitous ARPs leave
  const baseline = { a: usage(a), b: usage(b) };
  const events0 = vc.eventsRun;

  const impossible = c.impossible !== 'none';
  const client = new Peer('client', payload(c.up, c.seed), !impossible);
  const server = new Peer('server', payload(c.down, c.seed ^ 0x5a5a5a5a), !impossible, c.concurrent !== true);
  const cut = (): void => {
    if (c.impossible === 'both' || c.impossible === 'ab') link.wire.ab.impairments.config.loss = 1;
    if (c.impossible === 'both' || c.impossible === 'ba') link.wire.ba.impairments.config.loss = 1;
  };

  const l = b.tcp.createEndpoint();
  expect(l.bind(0, 5001)).toBe(0);
  expect(l.listen(8)).toBe(0);
  let serverEp: Endpoint | null = null;
  l.observer = {
    ...NULL_OBSERVER,
    onAcceptable(le) {
      const r = le.accept();
      if (typeof r === 'number') return;
      serverEp = r;
      if (impossible) {
        r.setOption('userTimeout', sec(30));
        r.setOption('keepalive', true);
        r.setOption('keepIdle', sec(10));
        r.setOption('keepIntvl', sec(5));
        r.setOption('keepCnt', 3);
        cut();
      }
      server.ep = r;
      r.observer = server.observer();
      server.service();
      le.close();
    },
  };
  const ce = a.tcp.createEndpoint();
  if (impossible) ce.setOption('userTimeout', sec(30));
  client.ep = ce;
  ce.observer = client.observer();
  expect(ce.connect(parseIpv4('10.0.0.2'), 5001)).toBe(TcpErrno.EINPROGRESS);

  // (A connect may also fail before any child is accepted: ARP or SYN retries exhausted.)
  const finished = (): boolean => client.closed && (server.closed || (serverEp === null && ce.state === 'CLOSED'));
  let doneAt = -1;
  while (net.now() < CASE_BOUND && vc.eventsRun - events0 < EVENT_BUDGET) {
    net.runFor(STEP);
    client.service();
    server.service();
    if (finished()) {
      doneAt = net.now();
      break;
    }
  }
  // Both ends closed: run out TIME-WAIT (2·MSL) and orphaned FIN retransmissions (which
  // back off exponentially on a lossy link; an orphan in CLOSING/LAST-ACK may need minutes).
  if (doneAt >= 0) {
    const until = net.now() + 2 * MSL + CLOSE_BOUND;
    while (net.now() < until && !(ce.state === 'CLOSED' && (serverEp === null || (serverEp as Endpoint).state === 'CLOSED'))) net.runFor('1s');
    net.runFor('1s');
  }
  if (serverEp === null) l.close();
  return {
    client,
    server,
    clientEp: ce,
    serverEp,
    doneAt,
    events: vc.eventsRun - events0,
    leaks: { a: usage(a), b: usage(b) },
    retrans: a.tcp.mib.RetransSegs + b.tcp.mib.RetransSegs,
    impaired: {
      duplicated: link.stats.ab.duplicated + link.stats.ba.duplicated,
      reordered: link.stats.ab.reordered + link.stats.ba.reordered,
      corrupted: link.stats.ab.corrupted + link.stats.ba.corrupted,
      lost: link.stats.ab.drops.loss + link.stats.ab.drops.burstLoss + link.stats.ba.drops.loss + link.stats.ba.drops.burstLoss,
    },
    baseline,
  };
}

function describeCase(c: Case, o: Outcome): string {
  return JSON.stringify({
    ...c,
    doneAt: o.doneAt,
    events: o.events,
    client: { sent: o.client.sent, received: o.client.received, eof: o.client.eof, error: o.client.error && tcpErrnoName(o.client.error), state: o.clientEp.state },
    server: { sent: o.server.sent, received: o.server.received, eof: o.server.eof, error: o.server.error && tcpErrnoName(o.server.error), state: o.serverEp?.state ?? null },
  });
}

/** Checks one case; returns false (with the reason thrown by expect) on violation. */
const stats = { cases: 0, bytes: 0, large: 0, lossy: 0, retrans: 0, maxDoneAt: 0, duplicated: 0, reordered: 0, corrupted: 0, lost: 0, burst: 0, handshakeFailed: 0 };

function checkCase(c: Case): void {
  const o = runCase(c);
  stats.cases++;
  stats.bytes += c.up + c.down;
  if (c.up + c.down > MiB) stats.large++;
  if (Number(c.link.loss ?? 0) > 0.1 || c.link.burstLoss) stats.lossy++;
  if (o.doneAt > stats.maxDoneAt) stats.maxDoneAt = o.doneAt;
  stats.retrans += o.retrans;
  stats.duplicated += o.impaired.duplicated;
  stats.reordered += o.impaired.reordered;
  stats.corrupted += o.impaired.corrupted;
  stats.lost += o.impaired.lost;
  if (c.link.burstLoss) stats.burst++;
  const info = describeCase(c, o);
  expect(o.doneAt, `case did not finish within ${CASE_BOUND / 1e9} s / ${EVENT_BUDGET} events: ${info}`).toBeGreaterThanOrEqual(0);
  if (c.impossible === 'none' && o.serverEp === null && o.client.error !== 0) {
    // Up to 30% loss may defeat the handshake itself: three lost ARP exchanges fail the
    // connect with EHOSTUNREACH (as Linux: the neighbour goes FAILED), seven lost SYN
    // exchanges with ETIMEDOUT. A clear error, not a hang; counted and bounded below.
    expect([TcpErrno.EHOSTUNREACH, TcpErrno.ETIMEDOUT] as number[], info).toContain(o.client.error);
    expect(o.client.sent, info).toBe(0);
    stats.handshakeFailed++;
  } else if (c.impossible === 'none') {
    expect(o.client.error, info).toBe(0);
    expect(o.server.error, info).toBe(0);
    expect(o.server.received, info).toBe(c.up);
    expect(o.client.received, info).toBe(c.down);
    expect(o.server.receivedHash, info).toBe(sha(o.client.data));
    expect(o.client.receivedHash, info).toBe(sha(o.server.data));
  } else {
    // Each side has unacknowledged data or an unacknowledged FIN after the cut (or, for
    // the server, keepalive probes): it must fail with a timeout or a reset, not hang.
    // A side may also have finished cleanly if its data and FIN were acknowledged
    // before the cut — then the peer got all of it; but the last ACK is always lost,
    // so at least one side fails.
    const failed: number[] = [TcpErrno.ETIMEDOUT, TcpErrno.ECONNRESET];
    const ok = (p: Peer, other: Peer): boolean =>
      p.error === 0 ? p.eof && p.shut && other.received === p.data.length : failed.includes(p.error);
    expect(ok(o.client, o.server), info).toBe(true);
    if (o.serverEp !== null) expect(ok(o.server, o.client), info).toBe(true);
    expect(o.client.error !== 0 || o.server.error !== 0, info).toBe(true);
    // Whatever was read before the cut is a prefix of what was sent.
    expect(o.server.received, info).toBeLessThanOrEqual(c.up);
  }
  expect(o.clientEp.state, info).toBe('CLOSED');
  if (o.serverEp !== null) expect(o.serverEp.state, info).toBe('CLOSED');
  expect({ a: o.leaks.a, b: o.leaks.b }, `pool buffers leaked: ${info}`).toEqual(o.baseline);
}

// ---------------------------------------------------------------------------
// Generators

/** Transfer sizes 0 B – 4 MiB, biased toward small and medium. */
const sizeArb = fc.oneof(
  { arbitrary: fc.constant(0), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 2 * KiB }), weight: 4 },
  { arbitrary: fc.integer({ min: 2 * KiB, max: 64 * KiB }), weight: 6 },
  { arbitrary: fc.integer({ min: 64 * KiB, max: 512 * KiB }), weight: 2 },
  { arbitrary: fc.integer({ min: 512 * KiB, max: 4 * MiB }), weight: 2 },
);

/** Loss rate scaled to the transfer size so that a case stays within the time bound (RTO backoff at 30% loss is slow). */
function maxLossFor(bytes: number): number {
  if (bytes <= 16 * KiB) return 0.3;
  if (bytes <= 128 * KiB) return 0.15;
  if (bytes <= 1 * MiB) return 0.05;
  return 0.02;
}

const impairArb = fc.record({
  rateMbit: fc.constantFrom(10, 100, 1000),
  delayUs: fc.integer({ min: 50, max: 20_000 }),
  lossFrac: fc.double({ min: 0, max: 1, noNaN: true }),
  burst: fc.option(fc.record({ p: fc.double({ min: 0, max: 0.05, noNaN: true }), r: fc.double({ min: 0.3, max: 1, noNaN: true }) }), { freq: 3 }),
  duplicate: fc.double({ min: 0, max: 0.05, noNaN: true }),
  reorder: fc.option(fc.record({ p: fc.double({ min: 0, max: 0.1, noNaN: true }), delayUs: fc.integer({ min: 10, max: 5000 }) }), { freq: 2 }),
  corrupt: fc.double({ min: 0, max: 0.02, noNaN: true }),
  jitterUs: fc.option(fc.integer({ min: 1, max: 2000 }), { freq: 3 }),
});

type Impair = typeof impairArb extends fc.Arbitrary<infer T> ? T : never;

function linkFor(bytes: number, i: Impair): LinkOptions {
  const maxLoss = maxLossFor(bytes);
  const burst = i.burst;
  // Average Gilbert-Elliott loss is p/(p+r); keep the total within maxLoss.
  const burstLoss = burst !== null ? Math.min(burst.p / (burst.p + burst.r), maxLoss / 2) : 0;
  const loss = i.lossFrac * (maxLoss - burstLoss);
  const opts: LinkOptions = {
    rate: `${i.rateMbit}Mbit`,
    delay: i.delayUs * 1000,
    loss,
    duplicate: i.duplicate,
    corrupt: i.corrupt,
  };
  if (burst !== null && burstLoss > 0) {
    const p = (burstLoss * burst.r) / (1 - burstLoss);
    opts.burstLoss = { p, r: burst.r };
  }
  if (i.reorder !== null) opts.reorder = { p: i.reorder.p, delay: i.reorder.delayUs * 1000 };
  if (i.jitterUs !== null) opts.jitter = i.jitterUs * 1000;
  return opts;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    up: sizeArb,
    down: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: sizeArb, weight: 1 }),
    imp: impairArb,
  })
  .map(({ seed, up, down, imp }) => ({ seed, up, down, link: linkFor(up + down, imp), impossible: 'none' as Impossible }));

const impossibleArb: fc.Arbitrary<Case> = fc
  .record({
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
    up: fc.integer({ min: 1, max: 256 * KiB }),
    mode: fc.constantFrom<Impossible>('both', 'ab', 'ba'),
    imp: impairArb,
  })
  .map(({ seed, up, mode, imp }) => ({ seed, up, down: 0, link: linkFor(16 * KiB, imp), impossible: mode }));

describe('e2e property: transfers over impaired simulated links (issue D)', () => {
  it('every_transfer_completes_byte_exact_and_closes_without_leaks (300 cases)', () => {
    fc.assert(fc.property(caseArb, (c) => checkCase(c)), { numRuns: 300, seed: 42, endOnFailure: true });
    // The generator must reach the interesting corners, or the property proves little.
    expect(stats.large).toBeGreaterThanOrEqual(5);
    expect(stats.lossy).toBeGreaterThanOrEqual(50);
    expect(stats.burst).toBeGreaterThanOrEqual(50);
    expect(stats.handshakeFailed).toBeLessThanOrEqual(stats.cases * 0.03);
    for (const k of ['retrans', 'duplicated', 'reordered', 'corrupted', 'lost'] as const) expect(stats[k], k).toBeGreaterThanOrEqual(100);
    if (process.env.E2E_STATS) console.log(stats);
  }, 240_000);

  it('impossible_link_after_handshake_fails_with_etimedout_or_econnreset_within_the_bound', () => {
    fc.assert(fc.property(impossibleArb, (c) => checkCase(c)), { numRuns: 40, seed: 42, endOnFailure: true });
  }, 120_000);

  // BUG (src/tcp/output.ts sendAck/sendControl + src/tcp/recovery.ts onRetransmitTimeout):
  // after an RTO, SND.NXT is rewound to SND.UNA and pure ACKs are sent with
  // <SEQ=SND.NXT>. When both ends have data in flight and both take an RTO, each
  // end's ACKs carry a sequence number below the peer's RCV.NXT, so the peer finds
  // them unacceptable (RFC 9293 §3.10.7.4 first check) and drops them without
  // looking at SEG.ACK; each end's retransmissions are old duplicates for the other,
  // answered by more unacceptable ACKs. Neither SND.UNA ever advances: the transfer
  // stalls for good (RTO backoff to maxRto; only retries2/userTimeout end it).
  // Linux sends ACKs at SND.MAX (tcp_acceptable_seq) and never rewinds snd_nxt; BSD
  // processes SEG.ACK of a wholly duplicate segment. Network seed 29 (found by the
  // property with concurrent two-way data, fast-check seed 42): from t≈103 s h1 sends
  // ACKs with seq ≡ 734839 (mod 10^6) while h2's RCV.NXT ≡ 739095, and h2 sends ACKs
  // with seq ≡ 140745 while h1's RCV.NXT ≡ 142213; both stay in FIN-WAIT-1 and
  // nothing is acknowledged again (RTOs at 204, 324, 444, 564 s, each answered by
  // a ping-pong of dropped ACKs).
  it('pure_acks_carry_snd_max_so_concurrent_two_way_data_with_rto_on_both_ends_completes (RFC 9293 §3.10.7.4; seed 29 stalled when ACKs carried a rewound SND.NXT)', () => {
    checkCase({
      seed: 29,
      up: 51164,
      down: 65534,
      link: { rate: '1000Mbit', delay: 18875000, loss: 0.15, jitter: 245000 },
      impossible: 'none',
      concurrent: true,
    });
  }, 60_000);

  it('large_transfer_4mib_over_a_lossy_reordering_link_is_byte_exact', () => {
    checkCase({
      seed: 4242,
      up: 4 * MiB,
      down: 256 * KiB,
      link: { rate: '1Gbit', delay: '2ms', loss: 0.01, duplicate: 0.01, reorder: { p: 0.02, delay: '1ms' }, corrupt: 0.002 },
      impossible: 'none',
    });
  }, 60_000);
});
