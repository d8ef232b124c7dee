/**
 * RFC 3168 ECN for TCP (src/tcp/ecn.ts): negotiation on SYN / SYN-ACK (§6.1.1),
 * ECT(0) on new data only (§6.1.1, §6.1.5), the receiver's CE → ECE echo until
 * CWR (§6.1.3), the sender's once-per-window cwnd reduction and CWR (§6.1.2),
 * and nothing of it with TcpConfig.ecn and ecnAccept off (the default).
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL_PORT, ms, pattern, REMOTE, sec, type Established } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TCPI_OPT_ECN } from '../../src/tcp/endpoint.js';
import { resolveTcpConfig, type TcpConfig } from '../../src/tcp/config.js';
import { Ecn, Ipv4Repr } from '../../src/wire/ipv4.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { PacketPool } from '../../src/buf/pool.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { TcpLayer, type TcpIpOutput } from '../../src/tcp/tcp-layer.js';
import type { Endpoint } from '../../src/tcp/endpoint.js';

const IRS = 1000;
const MSS = 1460;

/** Passive open where the peer's SYN asks for ECN (ECE|CWR); returns the connection and our SYN-ACK's flags. */
function passiveEcn(h: Harness, synFlags = 'SEW'): Established & { synAckFlags: string } {
  const listener = h.listen();
  h.inject({ flags: synFlags, seq: IRS, options: { mss: MSS } });
  const synAck = h.next()!;
  expect(synAck).toBeDefined();
  h.inject({ flags: '.', seq: IRS + 1, ack: seqAdd(synAck.seq, 1) });
  const ep = listener.accept();
  if (typeof ep === 'number') throw new Error(`accept failed: ${ep}`);
  return { ep, listener, iss: synAck.seq, irs: IRS, obs: null as never, synAck, sndNxt: seqAdd(synAck.seq, 1), rcvNxt: IRS + 1, synAckFlags: synAck.flagStr };
}

/** Active open; the peer answers with `synAckFlags`. Returns the connection and our SYN. */
function activeEcn(h: Harness, synAckFlags: string): Established {
  const ep = h.tcp.createEndpoint();
  expect(ep.connect(REMOTE, LOCAL_PORT)).toBe(-115);
  const syn = h.next()!;
  h.inject({ flags: synAckFlags, seq: 5000, ack: seqAdd(syn.seq, 1), options: { mss: MSS }, srcPort: LOCAL_PORT, dstPort: ep.localPort });
  h.expectSegment({ flags: '.', ack: 5001 });
  return { ep, listener: null, iss: syn.seq, irs: 5000, obs: null as never, synAck: syn, sndNxt: seqAdd(syn.seq, 1), rcvNxt: 5001 };
}

describe('ECN negotiation (RFC 3168 §6.1.1)', () => {
  it('ecn_is_off_by_default_and_both_switches_validate', () => {
    const c = resolveTcpConfig();
    expect(c.ecn).toBe(false);
    expect(c.ecnAccept).toBe(false);
    expect(c.ecnSynRetries).toBe(1);
    expect(() => resolveTcpConfig({ ecn: 1 as never })).toThrow(/ecn must be a boolean/);
    expect(() => resolveTcpConfig({ ecnSynRetries: -1 })).toThrow(/ecnSynRetries must be in \[0, 127\]/);
  });

  it('active_open_sends_an_ecn_setup_syn_and_an_ecn_setup_syn_ack_enables_ecn', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = activeEcn(h, 'S.E');
    expect(c.synAck.flagStr).toBe('SEW'); // our SYN: ECE and CWR
    expect(c.synAck.ecn).toBe(Ecn.NOT_ECT); // §6.1.1: SYNs are not ECN-capable
    expect(c.ep.info().options & TCPI_OPT_ECN).toBe(TCPI_OPT_ECN);
    expect(h.mib.TCPECNEstab).toBe(1);
  });

  it('syn_ack_without_ece_leaves_ecn_off', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = activeEcn(h, 'S.');
    expect(c.ep.info().options & TCPI_OPT_ECN).toBe(0);
    c.ep.send(pattern(100), 0, 100);
    expect(h.expectSegment({ len: 100 }).ecn).toBe(Ecn.NOT_ECT);
  });

  it('syn_ack_with_ece_and_cwr_is_not_an_ecn_setup_syn_ack', () => {
    // §6.1.1: an ECN-setup SYN-ACK has ECE set and CWR clear; with both set it is not one.
    const h = new Harness({ config: { ecn: true } });
    const c = activeEcn(h, 'S.EW');
    expect(c.ep.info().options & TCPI_OPT_ECN).toBe(0);
  });

  it('passive_open_answers_an_ecn_setup_syn_with_ece_only', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h);
    expect(c.synAckFlags).toBe('S.E');
    expect(c.synAck.ecn).toBe(Ecn.NOT_ECT);
    expect(c.ep.info().options & TCPI_OPT_ECN).toBe(TCPI_OPT_ECN);
  });

  it('accept_only_answers_an_ecn_setup_syn_but_does_not_request_ecn', () => {
    const h = new Harness({ config: { ecnAccept: true } });
    expect(passiveEcn(h).synAckFlags).toBe('S.E');
    const h2 = new Harness({ config: { ecnAccept: true } });
    const c2 = activeEcn(h2, 'S.E');
    expect(c2.synAck.flagStr).toBe('S'); // never an ECN-setup SYN
    expect(c2.ep.info().options & TCPI_OPT_ECN).toBe(0); // and an unsolicited ECE SYN-ACK does not enable it
  });

  it('ecn_off_answers_an_ecn_setup_syn_without_ece_and_marks_nothing', () => {
    const h = new Harness();
    const c = passiveEcn(h);
    expect(c.synAckFlags).toBe('S.');
    c.ep.send(pattern(100), 0, 100);
    const d = h.expectSegment({ flags: 'P.', len: 100 });
    expect(d.ecn).toBe(Ecn.NOT_ECT);
    const h2 = new Harness();
    expect(activeEcn(h2, 'S.').synAck.flagStr).toBe('S');
  });

  it('a_syn_without_cwr_does_not_ask_for_ecn', () => {
    const h = new Harness({ config: { ecn: true } });
    expect(passiveEcn(h, 'SE').synAckFlags).toBe('S.');
  });

  it('syn_retransmissions_keep_ece_cwr_only_for_ecn_syn_retries', () => {
    // §6.1.1.1 / FreeBSD ecn.maxretries: later SYNs go without ECN in case it is what gets dropped.
    const h = new Harness({ config: { ecn: true, ecnSynRetries: 1 } });
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, LOCAL_PORT);
    expect(h.expectSegment({}).flagStr).toBe('SEW');
    expect(h.expectSegment({}).flagStr).toBe('SEW');
    expect(h.expectSegment({}).flagStr).toBe('S');
  });
});

describe('ECT marking (RFC 3168 §6.1.5)', () => {
  it('new_data_carries_ect0_pure_acks_and_retransmissions_do_not', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h);
    c.ep.send(pattern(100), 0, 100);
    const d = h.expectSegment({ flags: 'P.', len: 100 });
    expect(d.ecn).toBe(Ecn.ECT0);
    // The RTO retransmission: "MUST NOT set either ECT codepoint … on retransmitted data packets".
    const r = h.expectSegment({ len: 100, seq: c.sndNxt });
    expect(h.mib.RetransSegs).toBe(1);
    expect(r.ecn).toBe(Ecn.NOT_ECT);
    // A pure ACK of peer data is not ECN-capable.
    h.inject({ flags: 'P.', seq: IRS + 1, ack: seqAdd(c.sndNxt, 100), payload: 10 });
    const a = h.expectSegment({ flags: '.', len: 0 });
    expect(a.ecn).toBe(Ecn.NOT_ECT);
  });
});

describe('receiver: CE → ECE until CWR (RFC 3168 §6.1.3)', () => {
  it('ce_on_data_sets_ece_on_every_ack_until_a_cwr_segment_arrives', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h);
    const ack = c.sndNxt;
    h.inject({ flags: 'P.', seq: IRS + 1, ack, payload: 100, ecn: Ecn.CE });
    expect(h.mib.TCPECNCe).toBe(1);
    expect(h.expectSegment({ ack: IRS + 101 }).flagStr).toBe('.E');
    // Not CE-marked, but no CWR yet: ECE continues.
    h.inject({ flags: 'P.', seq: IRS + 101, ack, payload: 100, ecn: Ecn.ECT0 });
    expect(h.expectSegment({ ack: IRS + 201 }).flagStr).toBe('.E');
    // Our data rides with the ECE too (every ACK-bearing segment).
    c.ep.send(pattern(10), 0, 10);
    expect(h.expectSegment({ len: 10 }).flagStr).toBe('P.E');
    // CWR: the sender has reacted; ECE stops.
    h.inject({ flags: 'P.W', seq: IRS + 201, ack: seqAdd(ack, 10), payload: 100, ecn: Ecn.ECT0 });
    expect(h.expectSegment({ ack: IRS + 301 }).flagStr).toBe('.');
  });

  it('cwr_and_ce_on_the_same_segment_keep_ece', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h);
    h.inject({ flags: 'P.', seq: IRS + 1, ack: c.sndNxt, payload: 100, ecn: Ecn.CE });
    expect(h.expectSegment({ ack: IRS + 101 }).flagStr).toBe('.E');
    h.inject({ flags: 'P.W', seq: IRS + 101, ack: c.sndNxt, payload: 100, ecn: Ecn.CE });
    expect(h.expectSegment({ ack: IRS + 201 }).flagStr).toBe('.E');
  });

  it('ce_is_ignored_without_negotiated_ecn', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h, 'S'); // the peer did not ask
    h.inject({ flags: 'P.', seq: IRS + 1, ack: c.sndNxt, payload: 100, ecn: Ecn.CE });
    expect(h.expectSegment({ ack: IRS + 101 }).flagStr).toBe('.');
    expect(h.mib.TCPECNCe).toBe(0);
  });
});

describe('sender: ECE → cwnd reduction once per window, then CWR (RFC 3168 §6.1.2)', () => {
  it('ece_reduces_cwnd_once_per_window_and_the_next_new_data_carries_cwr', () => {
    const h = new Harness({ config: { ecn: true } });
    const c = passiveEcn(h);
    const una = c.sndNxt;
    // 12 segments queued; the initial window (10 segments) leaves.
    c.ep.send(pattern(12 * MSS), 0, 12 * MSS);
    for (let i = 0; i < 10; i++) expect(h.expectSegment({ len: MSS }).ecn).toBe(Ecn.ECT0);
    h.expectNothing(h.now());
    // ECE on the ACK of segment 1: ssthresh = cwnd = max(FlightSize/2, 2·SMSS) = 9·MSS/2.
    h.inject({ flags: '.E', seq: IRS + 1, ack: seqAdd(una, MSS) });
    const half = Math.floor((9 * MSS) / 2);
    expect(c.ep.info().ssthresh).toBe(half);
    expect(c.ep.info().cwnd).toBe(half);
    expect(h.mib.TCPECNReductions).toBe(1);
    // A second ECE in the same window changes nothing.
    h.inject({ flags: '.E', seq: IRS + 1, ack: seqAdd(una, 2 * MSS) });
    expect(c.ep.info().ssthresh).toBe(half);
    expect(h.mib.TCPECNReductions).toBe(1);
    expect(h.mib.TCPECNEceIgnored).toBe(1);
    // All 10 acknowledged: the two queued segments leave; only the first carries CWR.
    h.inject({ flags: '.', seq: IRS + 1, ack: seqAdd(una, 10 * MSS) });
    const s11 = h.expectSegment({ len: MSS, seq: seqAdd(una, 10 * MSS) });
    const s12 = h.expectSegment({ len: MSS, seq: seqAdd(una, 11 * MSS) });
    expect(s11.flagStr).toBe('.W');
    expect(s12.flagStr).toBe('P.');
    expect(s11.ecn).toBe(Ecn.ECT0);
    // ECE for data sent after the reduction: a new window, a new reduction.
    h.inject({ flags: '.E', seq: IRS + 1, ack: seqAdd(una, 11 * MSS) });
    expect(h.mib.TCPECNReductions).toBe(2);
    expect(c.ep.info().ssthresh).toBe(2 * MSS); // max(1 segment in flight / 2, 2·SMSS)
  });

  it('ece_without_negotiated_ecn_does_not_reduce_cwnd', () => {
    const h = new Harness();
    const c = passiveEcn(h);
    c.ep.send(pattern(4 * MSS), 0, 4 * MSS);
    h.drain();
    const before = c.ep.info().cwnd;
    h.inject({ flags: '.E', seq: IRS + 1, ack: seqAdd(c.sndNxt, MSS) });
    expect(c.ep.info().cwnd).toBeGreaterThanOrEqual(before);
    expect(h.mib.TCPECNReductions).toBe(0);
    h.advance(ms(1));
  });
});

/**
 * Two zerostack TcpLayers over an in-memory path whose "router" CE-marks every
 * 20th ECT(0) datagram from A to B (an AQM that marks instead of dropping).
 */
describe('end to end: an ECN transfer through a CE-marking path (RFC 3168 §6.1)', () => {
  const A = parseIpv4('10.0.0.1');
  const B = parseIpv4('10.0.0.2');

  function transfer(config: Partial<TcpConfig>, size: number) {
    const clock = new VirtualClock();
    const pools = [new PacketPool({ memoryBytes: 16 * 1024 * 1024, debug: true }), new PacketPool({ memoryBytes: 16 * 1024 * 1024, debug: true })];
    const layers: TcpLayer[] = [];
    const repr = new Ipv4Repr();
    const seen = { ect0: 0, notEct: 0, ce: 0 };
    const queue: { at: number; to: number; buf: PacketBuffer; src: number; dst: number; ecn: number }[] = [];
    const timer = clock.createTimer(() => {
      while (queue.length > 0 && queue[0]!.at <= clock.now()) {
        const e = queue.shift()!;
        repr.src = e.src;
        repr.dst = e.dst;
        repr.ecn = e.ecn;
        layers[e.to]!.input(e.buf, e.src, e.dst, repr);
      }
      if (queue.length > 0) timer.arm(queue[0]!.at);
    }, null);
    const ipFor = (self: number, to: number): TcpIpOutput => ({
      output(pkt: PacketBuffer, src: number, dst: number, _p: number, opts?: { tos?: number }): number {
        const copy = pools[to]!.alloc(pkt.chainLength(), 0)!;
        let at = copy.append(pkt.chainLength());
        for (let b: PacketBuffer | null = pkt; b !== null; b = b.next) {
          copy.bytes.set(b.bytes.subarray(b.head, b.tail), at);
          at += b.tail - b.head;
        }
        pkt.release();
        let ecn = (opts?.tos ?? 0) & 3;
        if (ecn === Ecn.ECT0) seen.ect0++;
        else seen.notEct++;
        if (to === 1 && ecn === Ecn.ECT0 && seen.ect0 % 20 === 0) {
          ecn = Ecn.CE;
          seen.ce++;
        }
        queue.push({ at: clock.now() + ms(5), to, buf: copy, src, dst, ecn });
        if (queue.length === 1) timer.arm(queue[0]!.at);
        return 0;
      },
      sourceFor: () => self,
      mtuFor: () => 1500,
      isLocalAddress: (addr: number) => addr === self,
    });
    layers.push(new TcpLayer({ clock, ip: ipFor(A, 1), pool: pools[0]!, acct: new CountingAccounting(), config }));
    layers.push(new TcpLayer({ clock, ip: ipFor(B, 0), pool: pools[1]!, acct: new CountingAccounting(), config }));
    const data = pattern(size, 7);
    const got = new Uint8Array(size);
    let received = 0;
    const listener = layers[1]!.createEndpoint();
    listener.bind(0, 80);
    listener.listen(4);
    const quiet = { onReadable() {}, onWritable() {}, onError() {}, onHup() {}, onConnect() {}, onAcceptable() {} };
    listener.observer = {
      ...quiet,
      onAcceptable(l: Endpoint) {
        const ep = l.accept();
        if (typeof ep === 'number') return;
        ep.observer = {
          ...quiet,
          onReadable(e: Endpoint) {
            for (let n = e.recv(got, received, size - received); n > 0; n = e.recv(got, received, size - received)) received += n;
          },
        };
      },
    };
    const client = layers[0]!.createEndpoint();
    let sent = 0;
    const pump = (ep: Endpoint) => {
      while (sent < size) {
        const n = ep.send(data, sent, Math.min(20000, size - sent));
        if (n <= 0) return;
        sent += n;
      }
    };
    client.observer = { ...quiet, onConnect: pump, onWritable: pump };
    client.connect(B, 80);
    clock.runUntil(sec(60));
    return { received, same: received === size && got.every((v, i) => v === data[i]), a: layers[0]!.mib, b: layers[1]!.mib, seen, info: client.info() };
  }

  it('ce_marks_slow_the_sender_without_loss_and_every_byte_arrives', () => {
    const r = transfer({ ecn: true }, 300_000);
    expect(r.same).toBe(true);
    expect(r.seen.ce).toBeGreaterThan(0);
    expect(r.b.TCPECNCe).toBe(r.seen.ce); // every mark reached the receiver's TCP
    expect(r.a.TCPECNReductions).toBeGreaterThan(0); // … came back as ECE and cut cwnd
    expect(r.a.TCPECNReductions).toBeLessThanOrEqual(r.seen.ce); // at most once per mark (once per window)
    expect(r.a.RetransSegs).toBe(0); // congestion signalled without a single loss
    expect(r.info.options & TCPI_OPT_ECN).toBe(TCPI_OPT_ECN);
  });

  it('without_ecn_nothing_is_ect_and_no_ce_is_possible', () => {
    const r = transfer({}, 100_000);
    expect(r.same).toBe(true);
    expect(r.seen.ect0).toBe(0);
    expect(r.seen.ce).toBe(0);
    expect(r.a.TCPECNReductions).toBe(0);
  });
});
