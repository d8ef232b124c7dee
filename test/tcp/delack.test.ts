/**
 * Delayed ACKs (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3, RFC 5681 §4.2) and
 * receiver-side SACK (RFC 2018 §4), with the ACK-decision counters.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern } from './harness.js';
import { resolveTcpConfig } from '../../src/tcp/config.js';

const noTs = { mss: 1460 };
const sackOk = { mss: 1460, sackPermitted: true };

describe('delayed ACK policy rfc', () => {
  it('a_single_segment_is_acked_after_the_40ms_delayed_ack_timer', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 100, at: ms(40) });
    expect(h.mib.DelayedACKs).toBe(1);
    expect(h.mib.AckDelayed).toBe(1);
  });

  it('the_delay_is_configurable', () => {
    const h = new Harness({ config: { delackTimeout: ms(100) } });
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 100, at: ms(100) });
  });

  it('the_delay_must_stay_below_500ms', () => {
    expect(() => resolveTcpConfig({ delackTimeout: ms(500) })).toThrow(/delackTimeout/);
    expect(() => resolveTcpConfig({ delackTimeout: ms(499) })).not.toThrow();
  });

  it('every_second_full_sized_segment_is_acked_at_once', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: c.sndNxt, payload: 1460 });
    h.expectNothing(ms(5));
    h.inject({ flags: '.', seq: c.rcvNxt + 1460, ack: c.sndNxt, payload: 1460 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 2920, at: ms(5) });
    h.inject({ flags: '.', seq: c.rcvNxt + 2920, ack: c.sndNxt, payload: 1460 });
    h.expectNothing(ms(10));
    h.inject({ flags: '.', seq: c.rcvNxt + 4380, ack: c.sndNxt, payload: 1460 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 5840, at: ms(10) });
    expect(h.mib.ImmediateAck2Mss).toBe(2);
    expect(h.mib.DelayedACKs).toBe(0);
  });

  it('the_timer_runs_from_the_first_unacknowledged_segment', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.advance(ms(30));
    h.inject({ flags: 'P.', seq: c.rcvNxt + 10, ack: c.sndNxt, payload: 10 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 20, at: ms(40) });
  });

  it('a_reply_piggybacks_the_pending_ack', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.advance(ms(5));
    c.ep.send(pattern(20), 0, 20);
    h.expectSegment({ flags: 'P.', ack: c.rcvNxt + 10, len: 20, at: ms(5) });
    h.expectNothing(ms(100));
    expect(h.mib.PiggybackedAcks).toBe(1);
    expect(h.mib.DelayedACKs).toBe(0);
  });

  it('quickack_acks_every_segment', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('quickack', true);
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 10, at: 0 });
    expect(h.mib.ImmediateAckQuickack).toBe(1);
  });

  it('policy_off_acks_every_segment', () => {
    const h = new Harness({ config: { delackPolicy: 'off' } });
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 10, at: 0 });
    expect(h.mib.ImmediateAckPolicy).toBe(1);
    expect(c.ep.info().delackPolicy).toBe('off');
  });

  it('per_socket_policy_switch', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('delack', 'off');
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 10, at: 0 });
    expect(() => c.ep.setOption('delack', 'nonsense')).toThrow(/delack/);
  });

  it('a_fin_is_acked_at_once', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'FP.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 11, at: 0 });
    expect(h.mib.ImmediateAckFin).toBe(1);
  });
});

describe('out-of-order data and SACK (RFC 5681 §4.2, RFC 2018 §4)', () => {
  it('out_of_order_segment_gets_an_immediate_duplicate_ack_with_a_sack_block', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: sackOk });
    const r = c.rcvNxt;
    h.inject({ flags: '.', seq: r + 1000, ack: c.sndNxt, payload: 500 });
    h.expectSegment({ flags: '.', ack: r, at: 0, sack: [[r + 1000, r + 1500]] });
    expect(h.mib.ImmediateAckOoo).toBe(1);
    expect(h.mib.TCPOFOQueue).toBe(1);
  });

  it('sack_blocks_are_most_recent_first', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: sackOk });
    const r = c.rcvNxt;
    h.inject({ flags: '.', seq: r + 1000, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ sack: [[r + 1000, r + 1100]] });
    h.inject({ flags: '.', seq: r + 3000, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ sack: [[r + 3000, r + 3100], [r + 1000, r + 1100]] });
    h.inject({ flags: '.', seq: r + 2000, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ sack: [[r + 2000, r + 2100], [r + 3000, r + 3100], [r + 1000, r + 1100]] });
    h.inject({ flags: '.', seq: r + 1100, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ sack: [[r + 1000, r + 1200], [r + 2000, r + 2100], [r + 3000, r + 3100]] });
  });

  it('no_sack_blocks_without_sack_permitted', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: '.', seq: c.rcvNxt + 1000, ack: c.sndNxt, payload: 500 });
    h.expectSegment({ flags: '.', ack: c.rcvNxt, sack: [] });
  });

  it('a_segment_filling_the_hole_is_acked_at_once_and_delivers_everything', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: sackOk });
    const r = c.rcvNxt;
    h.inject({ flags: '.', seq: r + 100, ack: c.sndNxt, payload: pattern(100, 100) });
    h.expectSegment({ ack: r });
    h.advance(ms(1));
    h.inject({ flags: '.', seq: r, ack: c.sndNxt, payload: pattern(100, 0) });
    h.expectSegment({ flags: '.', ack: r + 200, at: ms(1), sack: [] });
    expect(h.mib.ImmediateAckHoleFill).toBe(1);
    const dst = new Uint8Array(300);
    expect(c.ep.recv(dst, 0, 300)).toBe(200);
    expect([...dst.subarray(0, 200)]).toEqual([...pattern(200)]);
  });

  it('sack_blocks_sit_next_to_timestamps_at_most_three', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { ...sackOk, ts: [1, 0] } });
    const r = c.rcvNxt;
    const tsEcr = c.synAck.ts![0];
    for (let i = 1; i <= 4; i++) {
      h.inject({ flags: '.', seq: r + i * 1000, ack: c.sndNxt, payload: 10, options: { ts: [10 + i, tsEcr] } });
    }
    const segs = h.drain();
    expect(segs[3]!.sack.length).toBe(3);
    expect(segs[3]!.sack[0]).toEqual([r + 4000, r + 4010]);
  });

  it('the_out_of_order_queue_is_bounded', () => {
    const h = new Harness({ config: { oooLimit: 1000 } });
    const c = h.passiveEstablished({ options: sackOk });
    const r = c.rcvNxt;
    h.inject({ flags: '.', seq: r + 1000, ack: c.sndNxt, payload: 800 });
    h.inject({ flags: '.', seq: r + 3000, ack: c.sndNxt, payload: 800 });
    expect(h.mib.TCPOFODrop).toBe(1);
    expect(c.ep.info().reordBytes).toBe(800);
  });

  it('an_out_of_order_fin_is_kept_until_the_hole_fills', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: sackOk });
    const r = c.rcvNxt;
    h.inject({ flags: 'F.', seq: r + 100, ack: c.sndNxt, payload: 50 });
    h.expectSegment({ ack: r });
    expect(c.ep.state).toBe('ESTABLISHED');
    h.inject({ flags: '.', seq: r, ack: c.sndNxt, payload: 100 });
    h.expectSegment({ ack: r + 151 });
    expect(c.ep.state).toBe('CLOSE-WAIT');
    const dst = new Uint8Array(500);
    expect(c.ep.recv(dst, 0, 500)).toBe(150);
    expect(c.ep.recv(dst, 0, 500)).toBe(0);
  });
});
