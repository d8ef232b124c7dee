/**
 * Data transfer (RFC 9293 §3.8, §3.9): segmentation to the MSS, PSH, Nagle
 * (§3.7.4), sender and receiver SWS avoidance (§3.8.6.2), window updates,
 * zero-window probing (§3.8.6.1), receive buffer limits, urgent data.
 */
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, sec } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpErrno } from '../../src/tcp/tcb.js';

const noTs = { mss: 1460 };

describe('sending (RFC 9293 §3.7, §3.8.6.2.1)', () => {
  it('segmentation_to_mss_with_psh_on_the_last_segment', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    expect(c.ep.send(pattern(5000), 0, 5000)).toBe(5000);
    const s1 = h.expectSegment({ flags: '.', seq: c.sndNxt, ack: c.rcvNxt, len: 1460, at: 0 });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, 1460), len: 1460 });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, 2920), len: 1460 });
    // RFC 9293 §3.7.4 Nagle: the 620-byte tail waits for an ACK of the outstanding data.
    h.expectNothing(ms(10));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 4380) });
    h.expectSegment({ flags: 'P.', seq: seqAdd(c.sndNxt, 4380), len: 620, at: ms(10) });
    expect([...s1.payload.subarray(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(h.mib.TCPOrigDataSent).toBe(4);
  });

  it('initial_window_limits_the_first_flight_to_10_segments', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(20000), 0, 20000);
    const segs = h.drain();
    expect(segs.length).toBe(10);
    expect(segs.every((s) => s.len === 1460)).toBe(true);
    // An ACK for two segments lets slow start send more (cwnd += min(N, SMSS)).
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 2920) });
    expect(h.drain().length).toBe(3);
  });

  it('nagle_holds_a_small_segment_while_data_is_unacknowledged', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ flags: 'P.', len: 100, at: 0 });
    c.ep.send(pattern(100), 0, 100);
    h.expectNothing(ms(50));
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 100) });
    h.expectSegment({ flags: 'P.', seq: seqAdd(c.sndNxt, 100), len: 100, at: ms(50) });
  });

  it('nodelay_sends_small_segments_at_once', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(100), 0, 100);
    c.ep.send(pattern(100), 0, 100);
    h.expectSegment({ flags: 'P.', len: 100, at: 0 });
    h.expectSegment({ flags: 'P.', seq: seqAdd(c.sndNxt, 100), len: 100, at: 0 });
  });

  it('nagle_releases_a_full_segment_even_with_data_in_flight', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(10), 0, 10);
    h.expectSegment({ len: 10 });
    c.ep.send(pattern(2000), 0, 2000);
    h.expectSegment({ flags: '.', len: 1460, seq: seqAdd(c.sndNxt, 10) });
    h.expectNothing(ms(10)); // the 540-byte tail waits for the ACK (Nagle)
  });

  it('sender_sws_avoidance_holds_a_small_window_limited_segment_and_the_persist_timer_forces_it', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs, window: 4000 });
    c.ep.send(pattern(10000), 0, 10000);
    h.expectSegment({ len: 1460 });
    h.expectSegment({ len: 1460 });
    h.expectNothing(ms(10)); // 1080 bytes of window left < Max(SND.WND)/2 = 2000
    // The peer ACKs everything but shrinks the offered window to 500 bytes.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 2920), window: 500 });
    h.expectNothing(ms(20)); // 500 < 2000: hold, nothing in flight → persist timer
    // RFC 9293 §3.8.6.2.1: when the override (persist) timer fires, send what fits.
    const s = h.expectSegment({ len: 500, seq: seqAdd(c.sndNxt, 2920) });
    expect(s.at).toBeGreaterThan(ms(20));
  });

  it('send_on_a_closed_or_unconnected_endpoint_fails', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    const b = pattern(10);
    expect(ep.send(b, 0, 10)).toBe(TcpErrno.ENOTCONN);
    ep.connect(0xc0000201, 80);
    expect(ep.send(b, 0, 10)).toBe(TcpErrno.EAGAIN);
  });

  it('send_buffer_limit_gives_partial_writes_then_eagain_and_writable_later', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs, window: 1000 });
    c.ep.setOption('sndbuf', 4096);
    c.ep.setOption('nodelay', true);
    expect(c.ep.send(pattern(10000), 0, 10000)).toBe(4096);
    expect(c.ep.send(pattern(10), 0, 10)).toBe(TcpErrno.EAGAIN);
    h.drain();
    c.obs.take();
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1000), window: 65535 });
    h.at(h.now());
    expect(c.obs.take()).toEqual([]); // 1000 bytes free is not enough to wake the writer
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 4096), window: 65535 });
    h.at(h.now());
    expect(c.obs.take()).toContain('writable');
    expect(c.ep.send(pattern(10), 0, 10)).toBe(10);
  });
});

describe('receiving (RFC 9293 §3.10.7.4 seventh, §3.8.6.2.2)', () => {
  it('in_order_data_is_readable_and_eof_after_fin', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(300, 7) });
    expect(c.obs.take()).toEqual(['readable']);
    const dst = new Uint8Array(1000);
    h.inject({ flags: 'F.', seq: c.rcvNxt + 300, ack: c.sndNxt });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 301, at: 0 });
    expect(c.ep.recv(dst, 0, 1000)).toBe(300);
    expect(dst[0]).toBe(7);
    expect(c.ep.recv(dst, 0, 1000)).toBe(0);
    expect(c.ep.state).toBe('CLOSE-WAIT');
  });

  it('receive_window_shrinks_when_the_reader_does_not_read_and_reopens_when_it_reads', () => {
    const h = new Harness({ config: { delackPolicy: 'off' } });
    const c = h.passiveEstablished({ options: noTs, listenerSetup: (l) => l.setOption('rcvbuf', 8192) });
    const syn = c.synAck;
    expect(syn.window).toBe(8192);
    let seq = c.rcvNxt;
    for (let i = 0; i < 5; i++) {
      h.inject({ flags: '.', seq, ack: c.sndNxt, payload: 1460 });
      seq += 1460;
    }
    // 7300 bytes buffered: 892 free < min(rcvbuf/2, MSS) → receiver SWS keeps the right edge.
    const acks = h.drain();
    expect(acks.length).toBe(5);
    expect(acks.map((a) => a.window)).toEqual([8192 - 1460, 8192 - 2920, 8192 - 4380, 8192 - 5840, 8192 - 7300]);
    h.inject({ flags: '.', seq, ack: c.sndNxt, payload: 892 });
    const zero = h.expectSegment({ flags: '.', ack: seq + 892, window: 0 });
    expect(zero.window).toBe(0);
    expect(h.mib.TCPToZeroWindowAdv).toBe(1);
    // Reading a little does not reopen (SWS); reading enough sends a window update at once.
    const dst = new Uint8Array(8192);
    c.ep.recv(dst, 0, 100);
    h.expectNothing(h.now());
    c.ep.recv(dst, 0, 4000);
    h.expectSegment({ flags: '.', ack: seq + 892, window: 4100 });
    expect(h.mib.ImmediateAckWindowUpdate).toBe(1);
    expect(h.mib.TCPFromZeroWindowAdv).toBe(1);
  });

  it('data_beyond_a_zero_window_is_dropped_and_acked', () => {
    const h = new Harness({ config: { delackPolicy: 'off' } });
    const c = h.passiveEstablished({ options: noTs, listenerSetup: (l) => l.setOption('rcvbuf', 4096) });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: c.sndNxt, payload: 4096 });
    h.expectSegment({ ack: c.rcvNxt + 4096, window: 0 });
    h.inject({ flags: '.', seq: c.rcvNxt + 4096, ack: c.sndNxt, payload: 1 });
    h.expectSegment({ ack: c.rcvNxt + 4096, window: 0 });
    expect(h.mib.TCPZeroWindowDrop).toBe(1);
    expect(c.ep.readableLength).toBe(4096);
  });

  it('urgent_data_is_delivered_inline', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'PU.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(10), urg: 5 });
    const dst = new Uint8Array(10);
    expect(c.ep.recv(dst, 0, 10)).toBe(10);
    expect([...dst]).toEqual([...pattern(10)]);
    expect(c.ep.info().rcvUp).toBe(c.rcvNxt + 5);
  });
});

describe('zero-window probing (RFC 9293 §3.8.6.1)', () => {
  it('zero_window_gets_persist_probes_with_backoff_and_resumes_on_window_update', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(3000), 0, 3000);
    h.expectSegment({ len: 1460 });
    h.expectSegment({ len: 1460 });
    h.expectSegment({ len: 80 });
    // The peer takes everything but closes its window.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 3000), window: 0 });
    c.ep.send(pattern(500), 0, 500);
    h.expectNothing(ms(10));
    const t0 = h.now();
    // Probes: one octet of new data, at RTO, then backed off ×2 each time.
    const p1 = h.expectSegment({ len: 1, seq: seqAdd(c.sndNxt, 3000) });
    const p2 = h.expectSegment({ len: 1, seq: seqAdd(c.sndNxt, 3000) });
    const p3 = h.expectSegment({ len: 1, seq: seqAdd(c.sndNxt, 3000) });
    expect(p1.at).toBeGreaterThan(t0);
    expect(p3.at - p2.at).toBe(2 * (p2.at - p1.at));
    expect(h.mib.TCPWinProbe).toBe(3);
    // The peer still refuses (ACKs the old edge, window 0): probing continues. Then it opens.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 3000), window: 0 });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 3000), window: 10000 });
    h.expectSegment({ flags: 'P.', seq: seqAdd(c.sndNxt, 3000), len: 500 });
    expect(c.ep.state).toBe('ESTABLISHED');
  });

  it('unanswered_persist_probes_time_out_with_etimedout', () => {
    const h = new Harness({ config: { retries2: 3 } });
    const c = h.passiveEstablished({ options: noTs, window: 0 });
    c.ep.send(pattern(10), 0, 10);
    h.expectSegment({ len: 1 });
    h.expectSegment({ len: 1 });
    h.expectSegment({ len: 1 });
    h.expectNothing(sec(120));
    expect(c.ep.state).toBe('CLOSED');
    expect(c.ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
  });
});
