/**
 * Blind-attack mitigations (RFC 5961 §3 RST, §4 SYN, §5 ACK validation, §7
 * throttling), PAWS (RFC 7323 §5), and the sequence acceptability test
 * (RFC 9293 §3.10.7.4 first).
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, sec } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpErrno } from '../../src/tcp/tcb.js';

const noTs = { mss: 1460 };

describe('RFC 5961 §3: RST', () => {
  it('blind_in_window_rst_gets_a_challenge_ack_and_the_connection_survives', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'R', seq: c.rcvNxt + 1000 });
    h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt, at: 0 });
    expect(c.ep.state).toBe('ESTABLISHED');
    expect(h.mib.TCPChallengeACK).toBe(1);
    // Data still flows.
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(5) });
    expect(c.ep.readableLength).toBe(5);
  });

  it('exact_sequence_rst_kills_the_connection', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'R', seq: c.rcvNxt });
    expect(c.ep.state).toBe('CLOSED');
    expect(c.ep.errorCode).toBe(TcpErrno.ECONNRESET);
    h.expectNothing(ms(10));
  });

  it('out_of_window_rst_is_dropped_silently', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'R', seq: c.rcvNxt + 10_000_000 });
    h.inject({ flags: 'R', seq: c.rcvNxt - 1 });
    h.expectNothing(ms(10));
    expect(c.ep.state).toBe('ESTABLISHED');
  });

  it('in_window_rst_resets_when_rfc5961_is_off', () => {
    const h = new Harness({ config: { rfc5961: false } });
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'R', seq: c.rcvNxt + 1000 });
    expect(c.ep.state).toBe('CLOSED');
  });
});

describe('RFC 5961 §4: SYN in a synchronized state', () => {
  it('syn_in_established_gets_a_challenge_ack', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'S', seq: c.rcvNxt + 50, options: noTs });
    h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt });
    expect(c.ep.state).toBe('ESTABLISHED');
    expect(h.mib.TCPSYNChallenge).toBe(1);
    expect(h.mib.TCPChallengeACK).toBe(1);
  });

  it('out_of_window_syn_gets_a_plain_duplicate_ack', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'S', seq: c.rcvNxt - 100000, options: noTs });
    h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt });
    expect(c.ep.state).toBe('ESTABLISHED');
  });
});

describe('RFC 5961 §5: ACK validation', () => {
  it('ack_beyond_snd_nxt_is_answered_with_an_ack_and_dropped', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 5000), payload: pattern(10) });
    h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt });
    expect(c.ep.readableLength).toBe(0); // the data was dropped with the segment
  });

  it('ack_too_far_below_snd_una_is_answered_and_dropped', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs, window: 1000 });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, -5000), payload: pattern(10) });
    h.expectSegment({ flags: '.', ack: c.rcvNxt });
    expect(c.ep.readableLength).toBe(0);
  });

  it('old_ack_within_max_snd_wnd_is_accepted', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs, window: 65535 });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, -100), payload: pattern(10) });
    expect(c.ep.readableLength).toBe(10);
  });
});

describe('RFC 5961 §7: challenge ACK throttling', () => {
  it('challenge_acks_are_limited_per_second_stack_wide', () => {
    const h = new Harness({ config: { challengeAckLimit: 3 } });
    const c = h.passiveEstablished({ options: noTs });
    for (let i = 0; i < 10; i++) h.inject({ flags: 'R', seq: c.rcvNxt + 100 + i });
    expect(h.drain().length).toBe(3);
    expect(h.mib.TCPChallengeACK).toBe(3);
    expect(h.mib.TCPACKSkippedChallenge).toBe(7);
    h.advance(sec(1));
    h.inject({ flags: 'R', seq: c.rcvNxt + 100 });
    expect(h.drain().length).toBe(1);
    expect(c.ep.state).toBe('ESTABLISHED');
  });
});

describe('RFC 9293 §3.10.7.4 first: sequence acceptability', () => {
  it('out_of_window_segment_gets_an_ack_and_is_dropped', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt + 10_000_000, ack: c.sndNxt, payload: pattern(10) });
    h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt, at: 0 });
    expect(c.ep.readableLength).toBe(0);
    expect(h.mib.ImmediateAckOutOfWindow).toBe(1);
  });

  it('old_duplicate_data_is_acked_at_once', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(100) });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(100) });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 100, at: 0 });
    expect(h.mib.DelayedACKLost).toBe(1);
    expect(c.ep.readableLength).toBe(100);
  });

  it('partially_old_segment_is_trimmed_to_new_data', () => {
    const h = new Harness({ config: { delackPolicy: 'off' } });
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(100) });
    h.inject({ flags: 'P.', seq: c.rcvNxt + 50, ack: c.sndNxt, payload: pattern(100, 50) });
    const dst = new Uint8Array(200);
    expect(c.ep.recv(dst, 0, 200)).toBe(150);
    expect([...dst.subarray(0, 150)]).toEqual([...pattern(150)]);
  });
});

describe('RFC 7323: timestamps and PAWS', () => {
  const tsOpts = { mss: 1460, ts: [1000, 0] as [number, number] };

  it('every_segment_carries_timestamps_echoing_ts_recent', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    c.ep.send(pattern(10), 0, 10);
    const s = h.expectSegment({ flags: 'P.', len: 10 });
    expect(s.ts).not.toBeNull();
    expect(s.ts![1]).toBe(1001); // TS.Recent from the third ACK (TSval 1001)
    expect(c.ep.info().sndMss).toBe(1448);
  });

  it('paws_drops_a_segment_with_an_old_timestamp_and_acks', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    const ours = c.synAck.ts![0];
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(10), options: { ts: [2000, ours] } });
    expect(c.ep.readableLength).toBe(10);
    h.drain();
    // An old duplicate with an older TSval but an in-window sequence number.
    h.inject({ flags: 'P.', seq: c.rcvNxt + 10, ack: c.sndNxt, payload: pattern(10), options: { ts: [1500, ours] } });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 10 });
    expect(c.ep.readableLength).toBe(10);
    expect(h.mib.PAWSEstab).toBe(1);
  });

  it('segment_without_timestamps_is_dropped_once_negotiated', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(10) });
    expect(c.ep.readableLength).toBe(0);
    expect(h.mib.TCPTSMissingDrops).toBe(1);
    h.expectNothing(ms(100));
  });

  it('rtt_is_measured_from_tsecr', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: tsOpts });
    c.ep.send(pattern(10), 0, 10);
    const s = h.expectSegment({ len: 10 });
    h.advance(ms(30));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 10), options: { ts: [1500, s.ts![0]] } });
    expect(c.ep.info().rtt).toBeGreaterThanOrEqual(ms(1)); // smoothed towards 30 ms
    expect(h.mib.PAWSEstab).toBe(0);
  });
});
