/**
 * Retransmission and congestion control: RFC 6298 RTO with exponential backoff
 * and Karn's rule, max retransmissions → ETIMEDOUT, RFC 5681 fast retransmit,
 * RFC 3042 limited transmit, RFC 6582 NewReno partial/full ACKs, RTO go-back-N.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, sec } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpErrno } from '../../src/tcp/tcb.js';

const noTs = { mss: 1460 };

describe('retransmission timeout (RFC 6298)', () => {
  it('rto_retransmits_with_exponential_backoff', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ len: 100, at: 0 });
    // After a ~0 ms handshake sample the RTO is clamped to minRto (200 ms).
    h.expectSegment({ len: 100, seq: c.sndNxt, at: ms(200) });
    h.expectSegment({ len: 100, seq: c.sndNxt, at: ms(600) });
    h.expectSegment({ len: 100, seq: c.sndNxt, at: ms(1400) });
    expect(h.mib.TCPTimeouts).toBe(3);
    expect(h.mib.RetransSegs).toBe(3);
    expect(c.ep.info().backoff).toBe(3);
  });

  it('min_rto_of_one_second_is_available', () => {
    const h = new Harness({ config: { minRto: sec(1) } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ len: 100, at: 0 });
    h.expectSegment({ len: 100, at: sec(1) });
  });

  it('max_retransmissions_give_etimedout', () => {
    const h = new Harness({ config: { retries2: 3 } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ at: 0 });
    h.expectSegment({ at: ms(200) });
    h.expectSegment({ at: ms(600) });
    h.expectSegment({ at: ms(1400) });
    h.expectNothing(ms(3000));
    expect(c.ep.state).toBe('CLOSED');
    expect(c.ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
    h.at(h.now());
    expect(c.obs.take()).toEqual([`error:${TcpErrno.ETIMEDOUT}`, 'hup']);
    expect(h.mib.TCPAbortOnTimeout).toBe(1);
  });

  it('user_timeout_bounds_the_retransmission_time', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('userTimeout', ms(500));
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ at: 0 });
    h.expectSegment({ at: ms(200) });
    h.expectSegment({ at: ms(600) });
    // The next expiry (1.4 s) is ≥ 500 ms after the first retransmission: give up.
    h.expectNothing(sec(2));
    expect(c.ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
  });

  it('karn_no_rtt_sample_from_a_retransmitted_segment', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    const before = c.ep.info();
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ at: 0 });
    h.expectSegment({ at: ms(200) });
    h.advance(ms(50));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 100) });
    const after = c.ep.info();
    expect(after.rtt).toBe(before.rtt); // ambiguous ACK: no sample
    expect(after.backoff).toBe(1); // and the backed-off RTO is kept
    // New data is timed again and gives a sample.
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ seq: seqAdd(c.sndNxt, 100) });
    h.advance(ms(50));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 200) });
    const fresh = c.ep.info();
    expect(fresh.rtt).toBeGreaterThan(before.rtt);
    expect(fresh.backoff).toBe(0);
  });

  it('rto_recovery_goes_back_to_snd_una_with_a_one_segment_window', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(5 * 1460), 0, 5 * 1460);
    expect(h.drain().length).toBe(5);
    h.expectSegment({ seq: c.sndNxt, len: 1460, at: ms(200) });
    h.expectNothing(ms(250)); // cwnd = 1 SMSS (RFC 5681 §3.1 loss window)
    expect(c.ep.info().cwnd).toBe(1460);
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1460) });
    // Slow start: two more retransmissions.
    h.expectSegment({ seq: seqAdd(c.sndNxt, 1460), len: 1460 });
    h.expectSegment({ seq: seqAdd(c.sndNxt, 2920), len: 1460 });
    h.expectNothing(ms(260));
  });
});

describe('fast retransmit and NewReno (RFC 5681 §3.2, RFC 3042, RFC 6582)', () => {
  function setup() {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(40 * 1460), 0, 40 * 1460);
    const first = h.drain();
    expect(first.length).toBe(10); // IW10
    const at = (k: number) => seqAdd(c.sndNxt, k * 1460);
    const ack = (k: number) => h.inject({ flags: '.', seq: c.rcvNxt, ack: at(k), window: 65535 });
    return { h, c, at, ack };
  }

  it('limited_transmit_sends_new_data_on_the_first_two_duplicate_acks', () => {
    const { h, at, ack } = setup();
    ack(1); // segment 0 arrived, segment 1 lost
    expect(h.drain().length).toBe(2); // slow start: cwnd 11 segments, 9 in flight
    ack(1);
    h.expectSegment({ seq: at(12), len: 1460, at: 0 });
    h.expectNothing(0);
    ack(1);
    h.expectSegment({ seq: at(13), len: 1460 });
    h.expectNothing(0);
  });

  it('fast_retransmit_after_three_duplicate_acks', () => {
    const { h, c, at, ack } = setup();
    ack(1);
    h.drain();
    ack(1);
    ack(1);
    h.drain();
    ack(1);
    h.expectSegment({ seq: at(1), len: 1460, at: 0 });
    expect(h.mib.TCPFastRetrans).toBe(1);
    expect(h.mib.TCPRenoRecovery).toBe(1);
    const info = c.ep.info();
    expect(info.inRecovery).toBe(true);
    // ssthresh = FlightSize/2, FlightSize without the two limited-transmit segments (RFC 5681 §3.2
    // step 2): 11 segments / 2; cwnd = ssthresh + 3 SMSS.
    expect(info.ssthresh).toBe(Math.floor((11 * 1460) / 2));
    expect(info.cwnd).toBe(info.ssthresh + 3 * 1460);
  });

  it('newreno_partial_ack_retransmits_the_next_hole_and_full_ack_ends_recovery', () => {
    const { h, c, at, ack } = setup();
    ack(1);
    h.drain();
    ack(1);
    ack(1);
    h.drain();
    ack(1);
    h.expectSegment({ seq: at(1) });
    // The retransmission fills hole 1; segment 5 was lost too: partial ACK up to 5.
    ack(5);
    h.expectSegment({ seq: at(5), len: 1460 });
    expect(h.mib.TCPFastRetrans).toBe(2);
    expect(c.ep.info().inRecovery).toBe(true);
    h.drain();
    // Everything sent so far acknowledged: full ACK, recovery ends.
    const sndMax = c.ep.tcb.sndMax;
    h.inject({ flags: '.', seq: c.rcvNxt, ack: sndMax, window: 65535 });
    expect(c.ep.info().inRecovery).toBe(false);
    expect(c.ep.info().cwnd).toBeLessThanOrEqual(c.ep.info().ssthresh);
  });

  it('duplicate_acks_that_change_the_window_are_not_duplicates', () => {
    const { h, ack, at } = setup();
    ack(1);
    h.drain();
    for (let i = 0; i < 3; i++) h.inject({ flags: '.', seq: 1001, ack: at(1), window: 60000 + i });
    expect(h.mib.TCPFastRetrans).toBe(0);
  });
});
