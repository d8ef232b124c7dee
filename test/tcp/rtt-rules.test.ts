/**
 * Which segments give RTT samples and which timestamps are echoed: RFC 7323
 * §4.1 (RTTM rule), §4.2 (which timestamp to echo), §4.3 (TS.Recent update), and
 * RFC 6298 §3 (Karn's algorithm) — including the stale-TSecr case after an RTO,
 * where the echoed timestamp belongs to an earlier segment than the one the ACK
 * acknowledges and "now − TSecr" would measure the RTO wait instead of the path.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';

const tsOpts = { mss: 1460, ts: [1000, 0] as [number, number] };

/** An established connection with timestamps; returns helpers to read our TSval. */
function withTimestamps() {
  const h = new Harness();
  const c = h.passiveEstablished({ options: tsOpts });
  expect(c.ep.tcb.tsEnabled).toBe(true);
  c.ep.setOption('nodelay', true);
  return { h, c, tcb: c.ep.tcb };
}

describe('RFC 7323 §4.1 RTTM and RFC 6298 §3 Karn on the sender', () => {
  it('rttm_rule_tsecr_gives_a_sample_only_from_an_ack_that_advances_snd_una (RFC 7323 §4.1)', () => {
    const { h, c, tcb } = withTimestamps();
    c.ep.send(pattern(2000), 0, 2000);
    const s0 = h.expectSegment({ len: 1448 });
    h.expectSegment({ len: 552 });
    const srtt0 = tcb.rtt.srtt;
    h.advance(ms(30));
    // A duplicate ACK (SND.UNA unchanged) echoing our TSval: no sample.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: c.sndNxt, options: { ts: [1001, s0.ts![0]] } });
    expect(tcb.rtt.srtt).toBe(srtt0);
    // The ACK that advances SND.UNA: sample = now − TSecr = 30 ms.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1448), options: { ts: [1002, s0.ts![0]] } });
    expect(tcb.rtt.srtt).not.toBe(srtt0);
    expect(tcb.rtt.hasSample).toBe(true);
  });

  it('stale_tsecr_older_than_the_rto_retransmission_gives_no_sample (RFC 6298 §3 with RFC 7323 §4.1)', () => {
    const { h, c, tcb } = withTimestamps();
    c.ep.send(pattern(100), 0, 100);
    const orig = h.expectSegment({ len: 100 });
    const rtx = h.expectSegment({ len: 100, at: ms(200) });
    expect(rtx.ts![0]).toBeGreaterThan(orig.ts![0]);
    const srtt0 = tcb.rtt.srtt;
    h.advance(ms(5));
    // The peer got the retransmission as an old duplicate and echoes its older TS.Recent
    // (RFC 7323 §4.3: unacceptable segments do not update it): the ACK advances SND.UNA,
    // but now − TSecr would be 205 ms of RTO wait, not a round trip.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 100), options: { ts: [1001, orig.ts![0] - 1] } });
    expect(tcb.sndUna).toBe(seqAdd(c.sndNxt, 100));
    expect(tcb.rtt.srtt).toBe(srtt0);
    expect(h.mib.TCPRttStaleTsecr).toBe(1);
    expect(tcb.rtt.backoffCount).toBe(1); // no sample: the backed-off RTO stays (Karn)
    // Everything sent before the RTO is acknowledged: new data is timed again.
    c.ep.send(pattern(100), 0, 100);
    const next = h.expectSegment({ len: 100 });
    h.advance(ms(10));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 200), options: { ts: [1002, next.ts![0]] } });
    expect(tcb.rtt.srtt).not.toBe(srtt0);
    expect(tcb.rtt.backoffCount).toBe(0);
    expect(h.mib.TCPRttStaleTsecr).toBe(1);
  });

  it('tsecr_echoing_the_rto_retransmission_gives_a_sample (RFC 7323 §4.1: timestamps resolve Karn ambiguity)', () => {
    const { h, c, tcb } = withTimestamps();
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ len: 100 });
    const rtx = h.expectSegment({ len: 100, at: ms(200) });
    h.advance(ms(7));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 100), options: { ts: [1001, rtx.ts![0]] } });
    expect(h.mib.TCPRttStaleTsecr).toBe(0);
    expect(tcb.rtt.backoffCount).toBe(0);
    // The handshake sample was ~0 ms; a 7 ms sample moves SRTT by 1/8 of the difference (RFC 6298 §2.3).
    expect(tcb.rtt.srtt).toBeGreaterThan(0);
  });

  it('karn_a_sack_recovery_retransmission_cancels_the_running_timing (RFC 6298 §3)', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { mss: 1460, sackPermitted: true } });
    const tcb = c.ep.tcb;
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(20 * 1460), 0, 20 * 1460);
    h.drain();
    expect(tcb.rttTiming).toBe(true);
    const srtt0 = tcb.rtt.srtt;
    const at = (k: number): number => seqAdd(c.sndNxt, k * 1460);
    h.advance(ms(20));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: at(0), options: { sack: [[at(1), at(4)]] } });
    expect(h.mib.TCPSackRecovery).toBe(1);
    expect(tcb.rttTiming).toBe(false);
    h.advance(ms(20));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: at(10) });
    expect(tcb.rtt.srtt).toBe(srtt0); // the ACK covers a retransmitted segment: no sample
  });
});

describe('RFC 7323 §4.2-4.3: the timestamp a receiver echoes', () => {
  it('out_of_order_segment_does_not_update_ts_recent_and_a_hole_fill_does (RFC 7323 §4.2 cases 2 and 3, §4.3)', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    const ours = c.synAck.ts![0];
    let r = c.rcvNxt;
    h.inject({ flags: 'P.', seq: r, ack: c.sndNxt, payload: 100, options: { ts: [2000, ours] } });
    r += 100;
    h.expectSegment({ flags: '.', ack: r, tsEcr: 2000, tolerance: ms(500), at: h.now() });
    // Out of order (a hole of 100 bytes): TS.Recent stays 2000 (SEG.SEQ > Last.ACK.sent).
    h.inject({ flags: 'P.', seq: r + 100, ack: c.sndNxt, payload: 100, options: { ts: [2100, ours] } });
    h.expectSegment({ flags: '.', ack: r, tsEcr: 2000 });
    // The hole fill: its timestamp is echoed (case 3: "the timestamp from the latest segment (which filled the hole) MUST be echoed").
    h.inject({ flags: 'P.', seq: r, ack: c.sndNxt, payload: 100, options: { ts: [2200, ours] } });
    h.expectSegment({ flags: '.', ack: r + 200, tsEcr: 2200 });
  });

  it('an_old_duplicate_is_answered_with_the_current_ts_recent_not_its_own_tsval (RFC 7323 §4.3)', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    const ours = c.synAck.ts![0];
    const r = c.rcvNxt;
    h.inject({ flags: 'P.', seq: r, ack: c.sndNxt, payload: 100, options: { ts: [2000, ours] } });
    h.expectSegment({ flags: '.', ack: r + 100, tsEcr: 2000, tolerance: ms(500), at: h.now() });
    // The same bytes again, newer TSval (a spurious retransmission): unacceptable, TS.Recent kept.
    h.inject({ flags: 'P.', seq: r, ack: c.sndNxt, payload: 100, options: { ts: [2500, ours] } });
    h.expectSegment({ flags: '.', ack: r + 100, tsEcr: 2000 });
  });
});
