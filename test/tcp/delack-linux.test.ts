/**
 * The `linux` delayed-ACK policy (issue F item 2; background/receive-path.md §3):
 * quickack budget, ato estimation, pingpong mode, timer caps, TCP_QUICKACK.
 * Times are exact virtual times; rule names follow the Linux functions.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, type Established } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { LinuxDelayedAckPolicy, LINUX_DELACK_DEFAULTS, linuxDelackStats } from '../../src/tcp/delack-linux.js';
import { delayedAckPolicyNames, registerDelayedAckPolicy } from '../../src/tcp/delack.js';
import { resolveTcpConfig } from '../../src/tcp/config.js';

const noTs = { mss: 1460 };
const MSS = 1460;

/**
 * Passive open where the handshake ACK arrives `rtt` after our SYN-ACK, so the
 * connection starts with srtt = rtt and rto = max(200 ms, 3·rtt) (RFC 6298 §2.2).
 */
function establishWithRtt(h: Harness, rtt: number): Established {
  const irs = 1000;
  const listener = h.listen();
  h.inject({ flags: 'S', seq: irs, window: 65535, options: noTs });
  const synAck = h.expectSegment({ flags: 'S.', ack: irs + 1 });
  h.advance(rtt);
  h.inject({ flags: '.', seq: irs + 1, ack: seqAdd(synAck.seq, 1), window: 65535 });
  const ep = listener.accept();
  if (typeof ep === 'number') throw new Error(`accept failed: ${ep}`);
  return { ep, listener, iss: synAck.seq, irs, obs: null as never, synAck, sndNxt: seqAdd(synAck.seq, 1), rcvNxt: irs + 1 };
}

/** A peer sending data: tracks its own sequence number. */
class Peer {
  seq: number;
  constructor(
    private readonly h: Harness,
    readonly c: Established,
  ) {
    this.seq = c.rcvNxt;
  }
  send(len: number, flags = 'P.'): number {
    this.h.inject({ flags, seq: this.seq, ack: this.c.sndNxt, payload: len });
    this.seq += len;
    return this.seq;
  }
}

/** Sends `n` small segments at the current time and expects each ACKed at once (quickack mode). */
function spendQuickacks(h: Harness, p: Peer, n: number): void {
  for (let i = 0; i < n; i++) {
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: h.now() });
  }
}

describe('delayed ACK policy linux', () => {
  it('is_registered_and_accepted_by_the_config', () => {
    expect(delayedAckPolicyNames()).toContain('linux');
    expect(() => resolveTcpConfig({ delackPolicy: 'linux' })).not.toThrow();
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('delack', 'linux');
    expect(c.ep.info().delackPolicy).toBe('linux');
    expect(LINUX_DELACK_DEFAULTS).toMatchObject({ delackMax: ms(200), delackMin: ms(40), atoMin: ms(40), rtoMin: ms(200), maxQuickacks: 16 });
    expect(() => new LinuxDelayedAckPolicy({ atoMin: 0 }, 'bad')).toThrow(/atoMin/);
  });

  it('tcp_incr_quickack_at_start_acks_the_first_16_segments_at_once_with_a_64k_window', () => {
    // quick = clamp(rcv_wnd / (2·rcv_mss), 2, 16) = clamp(65535 / 2920 = 22, 2, 16) = 16.
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    const end = p.send(100);
    h.expectNothing(ms(39));
    h.expectSegment({ flags: '.', ack: end, at: ms(40) });
    const s = linuxDelackStats(h.mib);
    expect(s.ImmediateAckQuickackMode).toBe(16);
    expect(h.mib.DelayedACKs).toBe(1);
    expect(h.mib.AckDelayed).toBe(1);
  });

  it('tcp_incr_quickack_budget_follows_rcv_wnd_over_two_rcv_mss', () => {
    // rcvbuf 8760 → SYN-ACK window 8760 → quick = 8760 / 2920 = 3.
    const h = new Harness({ config: { delackPolicy: 'linux', rcvbuf: 8760 } });
    const c = h.passiveEstablished({ options: noTs });
    expect(c.synAck.window).toBe(8760);
    const p = new Peer(h, c);
    spendQuickacks(h, p, 3);
    h.advance(ms(1));
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: ms(41) });
    expect(linuxDelackStats(h.mib).ImmediateAckQuickackMode).toBe(3);
  });

  it('tcp_incr_quickack_budget_is_at_least_two', () => {
    // rcvbuf 2048 → window 2048 < 2·rcv_mss → 0 → clamped up to 2.
    const h = new Harness({ config: { delackPolicy: 'linux', rcvbuf: 2048 } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 2);
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: ms(40) });
  });

  it('after_the_quickacks_a_single_small_segment_is_acked_by_the_timer_at_ato', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    // tcp_dec_quickack_mode: leaving quickack mode deflates ato to TCP_ATO_MIN.
    expect(c.ep.tcb.ackQuick).toBe(0);
    expect(c.ep.tcb.ackAto).toBe(ms(40));
    h.at(ms(100));
    const end = p.send(10);
    h.expectSegment({ flags: '.', ack: end, at: ms(140) });
  });

  it('more_than_one_full_segment_unacked_is_acked_at_once', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    h.at(ms(10));
    p.send(MSS, '.');
    h.expectNothing(ms(15)); // exactly one rcv_mss unacked: not "more than one"
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: ms(15) });
    expect(linuxDelackStats(h.mib).ImmediateAck1Mss).toBe(1);
    expect(h.mib.ImmediateAck2Mss).toBe(0);
  });

  it('more_than_one_full_segment_waits_when_unread_data_would_shrink_the_window', () => {
    // __tcp_ack_snd_check: "... and right edge of window advances far enough" (tcp_recvmsg ACKs otherwise).
    // rcvbuf 8760: quick = 3; after 300 unread bytes the peer knows a window of 8460 from rcv_wup.
    const h = new Harness({ config: { delackPolicy: 'linux', rcvbuf: 8760 } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 3);
    h.at(ms(10));
    p.send(MSS, '.');
    const end = p.send(100); // 1560 > rcv_mss unacked, but free space 6900 < 8460: no ACK now
    h.expectNothing(ms(49));
    h.expectSegment({ flags: '.', ack: end, at: ms(50) });
    expect(linuxDelackStats(h.mib).ImmediateAck1Mss).toBe(0);
  });

  it('rfc_and_linux_differ_on_the_same_input', () => {
    // Script: one small segment at t=0, one full segment at 100 ms, 100 bytes at 110 ms.
    // rfc: delays the first (40 ms); ACKs only at ≥ 2·RMSS (1560 < 2920: waits the timer).
    // linux: quickack at start ACKs the first at once; > 1·rcv_mss (1560 > 1460) ACKs at once.
    const run = (policy: string): number[] => {
      const h = new Harness({ config: { delackPolicy: policy } });
      const c = h.passiveEstablished({ options: noTs });
      const p = new Peer(h, c);
      p.send(100);
      h.at(ms(100));
      p.send(MSS, '.');
      h.at(ms(110));
      p.send(100);
      h.at(ms(400));
      return h.drain().map((s) => s.at);
    };
    expect(run('rfc')).toEqual([ms(40), ms(140)]);
    // linux: t=0 quickack; t=100 full segment still quickack (budget 16); t=110 quickack.
    expect(run('linux')).toEqual([0, ms(100), ms(110)]);
  });

  it('rfc_and_linux_differ_after_the_quickacks_on_one_mss_plus_a_bit', () => {
    const run = (policy: string): number[] => {
      const h = new Harness({ config: { delackPolicy: policy } });
      const c = h.passiveEstablished({ options: noTs });
      const p = new Peer(h, c);
      for (let i = 0; i < 16; i++) p.send(100);
      h.at(ms(50));
      h.drain();
      h.at(ms(100));
      p.send(MSS, '.');
      h.at(ms(110));
      p.send(100);
      h.at(ms(400));
      return h.drain().map((s) => s.at);
    };
    expect(run('rfc')).toEqual([ms(140)]);
    expect(run('linux')).toEqual([ms(110)]);
  });

  it('tcp_event_data_sent_enters_pingpong_on_a_quick_reply_and_the_ack_piggybacks', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(100)); // srtt 100 ms, rto 300 ms
    const t0 = h.now();
    const p = new Peer(h, c);
    let end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: t0 }); // quickack (16 → 15)
    h.at(t0 + ms(5));
    c.ep.send(pattern(20), 0, 20); // reply 5 ms < ato 40 ms after the receive
    h.expectSegment({ flags: 'P.', len: 20, at: t0 + ms(5) });
    expect(c.ep.tcb.ackPingpong).toBe(true);
    expect(linuxDelackStats(h.mib).PingpongEntered).toBe(1);
    // Pingpong: the quickack budget remains (14) but tcp_in_quickack_mode is false: the ACK waits.
    h.at(t0 + ms(50));
    h.inject({ flags: 'P.', seq: p.seq, ack: seqAdd(c.sndNxt, 20), payload: 100 });
    p.seq += 100;
    end = p.seq;
    h.expectNothing(t0 + ms(60));
    c.ep.send(pattern(20), 0, 20);
    h.expectSegment({ flags: 'P.', ack: end, len: 20, at: t0 + ms(60) });
    h.expectNothing(t0 + ms(300));
    expect(h.mib.PiggybackedAcks).toBe(1);
    expect(h.mib.DelayedACKs).toBe(0);
    expect(linuxDelackStats(h.mib).AckDelayedPingpong).toBe(1);
    expect(c.ep.tcb.ackQuick).toBe(13);
  });

  it('tcp_delack_timer_exits_pingpong_and_deflates_ato', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(100));
    const t0 = h.now();
    const p = new Peer(h, c);
    p.send(100);
    h.expectSegment({ at: t0 });
    h.at(t0 + ms(5));
    c.ep.send(pattern(20), 0, 20);
    h.expectSegment({ flags: 'P.', len: 20 });
    expect(c.ep.tcb.ackPingpong).toBe(true);
    h.at(t0 + ms(200));
    h.inject({ flags: 'P.', seq: p.seq, ack: seqAdd(c.sndNxt, 20), payload: 100 });
    p.seq += 100;
    // No reply: the timer fires at ato (40 ms) and leaves pingpong.
    h.expectSegment({ flags: '.', ack: p.seq, at: t0 + ms(240) });
    expect(c.ep.tcb.ackPingpong).toBe(false);
    expect(c.ep.tcb.ackAto).toBe(ms(40));
    expect(linuxDelackStats(h.mib).DelayedAckPingpongTimer).toBe(1);
    // Out of pingpong, the remaining quickack budget applies again: ACK at once.
    h.at(t0 + ms(300));
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: t0 + ms(300) });
  });

  it('tcp_delack_timer_inflates_ato_up_to_rto_and_tcp_send_delayed_ack_caps_it', () => {
    // srtt 600 ms (no srtt cap below 500 ms), rto 1800 ms.
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(600));
    const t0 = h.now();
    expect(c.ep.tcb.rtt.rto()).toBe(ms(1800));
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    // Full-sized segments (not "pushed"): m ≥ ato and ≤ rto leaves ato alone; each timer doubles it.
    const steps: [number, number, number][] = [
      // [arrival, expected ACK time, ato after the timer]
      [100, 140, 80],
      [300, 380, 160],
      [600, 760, 320],
      [1000, 1320, 640],
      [1700, 2200, 1280], // ato 640 capped by HZ/2 = 500 ms
    ];
    for (const [at, ackAt, atoAfter] of steps) {
      h.at(t0 + ms(at));
      const end = p.send(MSS, '.');
      h.expectSegment({ flags: '.', ack: end, at: t0 + ms(ackAt) });
      expect(c.ep.tcb.ackAto).toBe(ms(atoAfter));
    }
    // A pushed (sub-rcv_mss) segment: capped by TCP_DELACK_MAX = 200 ms; ato then min(2560, rto).
    h.at(t0 + ms(3000));
    const end = p.send(100);
    h.expectSegment({ flags: '.', ack: end, at: t0 + ms(3200) });
    expect(c.ep.tcb.ackAto).toBe(ms(1800));
    expect(linuxDelackStats(h.mib).DelayedAckAtoInflated).toBe(6);
  });

  it('tcp_send_delayed_ack_caps_ato_by_max_srtt_delack_min', () => {
    // srtt 60 ms, rto 200 ms (TCP_RTO_MIN via config.minRto).
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(60));
    const t0 = h.now();
    expect(c.ep.tcb.rtt.rto()).toBe(ms(200));
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    h.at(t0 + ms(100));
    let end = p.send(MSS, '.');
    h.expectSegment({ ack: end, at: t0 + ms(140) });
    expect(c.ep.tcb.ackAto).toBe(ms(80));
    h.at(t0 + ms(250));
    end = p.send(MSS, '.');
    h.expectSegment({ ack: end, at: t0 + ms(310) }); // min(ato 80, max(srtt 60, 40)) = 60
  });

  it('ato_estimation_shrinks_for_frequent_segments_and_tracks_m', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(600)); // rto 1800 ms
    const t0 = h.now();
    const tcb = c.ep.tcb;
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    tcb.ackAto = ms(400);
    // m ≤ ATO_MIN/2 (10 ms): ato = ato/2 + ATO_MIN/2.
    h.at(t0 + ms(10));
    p.send(10);
    expect(tcb.ackAto).toBe(ms(220));
    h.at(t0 + ms(20));
    p.send(10);
    expect(tcb.ackAto).toBe(ms(130));
    h.at(t0 + ms(30));
    p.send(10);
    expect(tcb.ackAto).toBe(ms(85));
    // ATO_MIN/2 < m < ato (60 ms): ato = ato/2 + m.
    h.at(t0 + ms(90));
    p.send(10);
    expect(tcb.ackAto).toBe(ms(42.5) + ms(60));
    // tcp_send_delayed_ack: the first armed the timer at t0+10+min(220, DELACK_MAX) = t0+210; the shrinking
    // ato pulled it in (t0+20+130 = t0+150, then t0+30+85 = t0+115); at t0+90 it is due within ato/4 → ACK now.
    h.expectSegment({ flags: '.', ack: p.seq, at: t0 + ms(90) });
    expect(linuxDelackStats(h.mib).ImmediateAckTimerDue).toBe(1);
    // m ≥ ato and ≤ rto: unchanged.
    h.at(t0 + ms(500));
    p.send(10);
    expect(tcb.ackAto).toBe(ms(102.5));
    // m < ato but ato/2 + m > rto: clamped to rto.
    tcb.ackAto = ms(1790);
    tcb.ackLastRcv = h.now() - ms(1500);
    p.send(10);
    expect(tcb.ackAto).toBe(ms(1800));
  });

  it('tcp_send_delayed_ack_pulls_an_armed_timer_in_when_ato_shrinks_and_never_pushes_it_out', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(600)); // rto 1800 ms, srtt 600 ms: the srtt cap does not bite
    const t0 = h.now();
    const tcb = c.ep.tcb;
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    tcb.ackAto = ms(400);
    h.at(t0 + ms(10));
    p.send(10); // ato 220 → timer at t0 + 10 + min(220, DELACK_MAX 200) = t0 + 210
    expect(tcb.delackTimer.deadline).toBe(t0 + ms(210));
    h.at(t0 + ms(20));
    p.send(10); // ato 130 → t0 + 150: earlier, so the timer moves
    expect(tcb.delackTimer.deadline).toBe(t0 + ms(150));
    h.expectSegment({ flags: '.', ack: p.seq, at: t0 + ms(150) });
    expect(linuxDelackStats(h.mib).ImmediateAckTimerDue).toBe(0);
    // A later deadline never replaces an earlier one: the timer fired (ato inflated to 260); a segment at
    // t0+400 arms t0+600 (DELACK_MAX, pushed); one at t0+500 would end at t0+700: the timer stays.
    h.at(t0 + ms(400));
    p.send(10);
    const first = tcb.delackTimer.deadline;
    h.at(t0 + ms(500));
    p.send(10); // m = 100 < ato 260: ato = 130 + 100 = 230 → t0 + 500 + 200 > first: kept
    expect(tcb.delackTimer.deadline).toBe(first);
  });

  it('a segment that fills a hole updates ato and ends pingpong (tcp_event_data_recv, tcp_data_queue)', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs });
    const tcb = c.ep.tcb;
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    tcb.ackPingpong = true;
    const last = tcb.ackLastRcv;
    h.at(h.now() + ms(5));
    const base = p.seq;
    h.inject({ flags: 'P.', seq: base + 100, ack: c.sndNxt, payload: 100 }); // out of order
    h.expectSegment({ flags: '.', ack: base });
    h.at(h.now() + ms(5));
    h.inject({ flags: 'P.', seq: base, ack: c.sndNxt, payload: 100 }); // fills the hole
    h.expectSegment({ flags: '.', ack: base + 200, at: h.now() });
    expect(tcb.ackLastRcv).toBeGreaterThan(last);
    expect(tcb.ackPingpong).toBe(false);
  });

  it('info().ato reports the adaptive timeout', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs });
    expect(c.ep.info().ato).toBe(c.ep.layer.config.delackTimeout); // no data yet
    const p = new Peer(h, c);
    spendQuickacks(h, p, 1);
    c.ep.tcb.ackAto = ms(123);
    expect(c.ep.info().ato).toBe(ms(123));
  });

  it('idle_longer_than_rto_re_enters_quickack', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: noTs }); // srtt 0 → rto = TCP_RTO_MIN 200 ms
    expect(c.ep.tcb.rtt.rto()).toBe(ms(200));
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    h.at(ms(100));
    let end = p.send(100);
    h.expectSegment({ ack: end, at: ms(140) }); // m = 100 ≤ rto: delayed
    h.at(ms(341));
    end = p.send(100); // m = 241 > rto 200 → tcp_incr_quickack (16 again)
    h.expectSegment({ ack: end, at: ms(341) });
    expect(c.ep.tcb.ackQuick).toBe(15);
    expect(c.ep.tcb.ackAto).toBe(ms(80)); // tcp_incr_quickack leaves ato (inflated by the timer at 140 ms)
    expect(linuxDelackStats(h.mib).QuickackIncreased).toBe(2);
    // Spend the rest 30 ms apart (ato → ato/2 + 30 ms); tcp_dec_quickack_mode deflates ato on leaving.
    for (let i = 1; i <= 15; i++) {
      h.at(ms(341 + 30 * i));
      end = p.send(100);
      h.expectSegment({ ack: end, at: ms(341 + 30 * i) });
      if (i === 14) expect(c.ep.tcb.ackAto).toBeGreaterThan(ms(55));
    }
    expect(c.ep.tcb.ackQuick).toBe(0);
    expect(c.ep.tcb.ackAto).toBe(ms(40));
  });

  it('tcp_quickack_option_exits_pingpong_and_acks_at_once', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = establishWithRtt(h, ms(100));
    const t0 = h.now();
    const p = new Peer(h, c);
    p.send(100);
    h.expectSegment({ at: t0 });
    h.at(t0 + ms(5));
    c.ep.send(pattern(20), 0, 20);
    h.expectSegment({ flags: 'P.', len: 20 });
    expect(c.ep.tcb.ackPingpong).toBe(true);
    c.ep.setOption('quickack', true);
    h.at(t0 + ms(50));
    h.inject({ flags: 'P.', seq: p.seq, ack: seqAdd(c.sndNxt, 20), payload: 100 });
    p.seq += 100;
    h.expectSegment({ flags: '.', ack: p.seq, at: t0 + ms(50) });
    expect(c.ep.tcb.ackPingpong).toBe(false);
    expect(c.ep.tcb.ackAto).toBe(ms(40));
    expect(h.mib.ImmediateAckQuickack).toBe(1);
    // While set, a quick reply does not re-enter pingpong.
    h.at(t0 + ms(55));
    c.ep.send(pattern(20), 0, 20);
    h.expectSegment({ flags: 'P.', len: 20 });
    expect(c.ep.tcb.ackPingpong).toBe(false);
  });

  it('out_of_order_data_is_acked_at_once', () => {
    const h = new Harness({ config: { delackPolicy: 'linux' } });
    const c = h.passiveEstablished({ options: { mss: 1460, sackPermitted: true } });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 16);
    h.at(ms(10));
    h.inject({ flags: '.', seq: p.seq + 500, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ flags: '.', ack: p.seq, at: ms(10), sack: [[p.seq + 500, p.seq + 600]] });
    expect(h.mib.ImmediateAckOoo).toBe(1);
  });

  it('constants_are_configurable_per_policy_instance', () => {
    registerDelayedAckPolicy(new LinuxDelayedAckPolicy({ atoMin: ms(10), delackMin: ms(10), maxQuickacks: 2 }, 'linux-test'));
    const h = new Harness({ config: { delackPolicy: 'linux-test' } });
    const c = h.passiveEstablished({ options: noTs });
    const p = new Peer(h, c);
    spendQuickacks(h, p, 2);
    h.at(ms(50));
    const end = p.send(100);
    h.expectSegment({ ack: end, at: ms(60) });
  });
});
