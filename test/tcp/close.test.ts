/**
 * Connection termination (RFC 9293 §3.6, §3.10.4-5): active and passive close,
 * half-close, simultaneous close (CLOSING), TIME-WAIT (2·MSL, reuse by a new
 * SYN per RFC 6191, RFC 1337), abortive close (linger 0, unread data), FIN-WAIT-2
 * timeout, RST processing in each state.
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL_PORT, ms, pattern, sec } from './harness.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpErrno } from '../../src/tcp/tcb.js';
import { SHUT_WR } from '../../src/tcp/endpoint.js';

const noTs = { mss: 1460 };

describe('active close (RFC 9293 §3.6 case 1)', () => {
  it('close_sends_fin_then_fin_wait_2_then_time_wait_for_2msl', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    expect(c.ep.close()).toBe(0);
    h.expectSegment({ flags: 'F.', seq: c.sndNxt, ack: c.rcvNxt, at: 0 });
    expect(c.ep.state).toBe('FIN-WAIT-1');
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    expect(c.ep.state).toBe('FIN-WAIT-2');
    h.advance(ms(100));
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.', seq: seqAdd(c.sndNxt, 1), ack: c.rcvNxt + 1, at: ms(100) });
    expect(c.ep.state).toBe('TIME-WAIT');
    // TIME-WAIT lasts 2·MSL = 60 s (config.msl 30 s).
    h.expectNothing(ms(100) + sec(60) - 1);
    expect(c.ep.state).toBe('TIME-WAIT');
    h.advance(1);
    expect(c.ep.state).toBe('CLOSED');
    expect(h.tcp.connections().length).toBe(0);
    expect(h.mib.TW).toBe(1);
  });

  it('time_wait_duration_follows_config_msl', () => {
    const h = new Harness({ config: { msl: sec(1) } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.' });
    expect(c.ep.state).toBe('TIME-WAIT');
    h.advance(sec(2));
    expect(c.ep.state).toBe('CLOSED');
  });

  it('retransmitted_fin_in_time_wait_is_acked_and_restarts_2msl', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 1 });
    h.advance(sec(30));
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 1, at: sec(30) });
    h.advance(sec(59));
    expect(c.ep.state).toBe('TIME-WAIT');
    h.advance(sec(1));
    expect(c.ep.state).toBe('CLOSED');
  });

  it('orphaned_fin_wait_2_times_out_after_fin_timeout', () => {
    const h = new Harness({ config: { finTimeout: sec(5) } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    expect(c.ep.state).toBe('FIN-WAIT-2');
    h.expectNothing(sec(5));
    expect(c.ep.state).toBe('CLOSED');
  });

  it('fin_is_retransmitted_on_timeout', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.', at: 0 });
    const r = h.expectSegment({ flags: 'F.', seq: c.sndNxt });
    expect(r.at).toBe(ms(200)); // RTO = minRto after a tiny handshake RTT
    expect(h.mib.RetransSegs).toBe(1);
  });
});

describe('passive close and half-close (RFC 9293 §3.6, §3.10.4)', () => {
  it('close_wait_can_still_send_data_then_last_ack', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: c.sndNxt });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 1 });
    expect(c.ep.state).toBe('CLOSE-WAIT');
    expect(c.ep.send(pattern(100), 0, 100)).toBe(100);
    h.expectSegment({ flags: 'P.', len: 100, ack: c.rcvNxt + 1 });
    c.ep.close();
    expect(c.ep.state).toBe('LAST-ACK');
    // All data already left: the FIN goes at once (it is not held by Nagle or the window).
    h.expectSegment({ flags: 'F.', seq: seqAdd(c.sndNxt, 100), at: 0 });
  });

  it('last_ack_closes_when_our_fin_is_acked', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: c.sndNxt });
    h.expectSegment({ flags: '.' });
    c.ep.close();
    h.expectSegment({ flags: 'F.', seq: c.sndNxt, ack: c.rcvNxt + 1 });
    h.inject({ flags: '.', seq: c.rcvNxt + 1, ack: seqAdd(c.sndNxt, 1) });
    expect(c.ep.state).toBe('CLOSED');
    expect(h.tcp.connections().length).toBe(0);
  });

  it('fin_wait_2_keeps_receiving_data_after_shutdown_wr', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    expect(c.ep.shutdown(SHUT_WR)).toBe(0);
    h.expectSegment({ flags: 'F.', seq: c.sndNxt });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    expect(c.ep.state).toBe('FIN-WAIT-2');
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1), payload: pattern(500) });
    const dst = new Uint8Array(1000);
    expect(c.ep.recv(dst, 0, 1000)).toBe(500);
    h.drain(); // window update
    expect(c.ep.send(pattern(1), 0, 1)).toBe(TcpErrno.EPIPE);
    h.inject({ flags: 'F.', seq: c.rcvNxt + 500, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 501 });
    expect(c.ep.recv(dst, 0, 1000)).toBe(0);
    expect(c.ep.state).toBe('TIME-WAIT');
  });

  it('simultaneous_close_goes_through_closing', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.', seq: c.sndNxt, ack: c.rcvNxt });
    // The peer's FIN crosses ours: it does not acknowledge our FIN.
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: c.sndNxt });
    expect(c.ep.state).toBe('CLOSING');
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 1 });
    h.inject({ flags: '.', seq: c.rcvNxt + 1, ack: seqAdd(c.sndNxt, 1) });
    expect(c.ep.state).toBe('TIME-WAIT');
  });
});

describe('abortive close (RFC 9293 §3.10.5, RFC 1122 §4.2.2.13)', () => {
  it('linger_zero_close_sends_rst', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('linger', { onoff: true, linger: 0 });
    c.ep.close();
    h.expectSegment({ flags: 'R.', seq: c.sndNxt, ack: c.rcvNxt });
    expect(c.ep.state).toBe('CLOSED');
    expect(h.mib.TCPAbortOnLinger).toBe(1);
    expect(h.mib.OutRsts).toBe(1);
    expect(h.mib.EstabResets).toBe(1);
  });

  it('close_with_unread_data_sends_rst', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(10) });
    c.ep.close();
    h.expectSegment({ flags: 'R.', seq: c.sndNxt, ack: c.rcvNxt + 10 });
    expect(h.mib.TCPAbortOnClose).toBe(1);
    expect(h.tcp.connections().length).toBe(0);
  });

  it('data_after_close_resets_the_connection', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1), payload: pattern(10) });
    h.expectSegment({ flags: 'R.' });
    expect(h.mib.TCPAbortOnData).toBe(1);
    expect(h.tcp.connections().length).toBe(0);
  });

  it('abort_sends_rst_and_closes', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.abort();
    h.expectSegment({ flags: 'R.', seq: c.sndNxt });
    expect(c.ep.state).toBe('CLOSED');
  });

  it('close_in_syn_sent_sends_nothing', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(0xc0000201, 80);
    h.expectSegment({ flags: 'S' });
    ep.close();
    expect(ep.state).toBe('CLOSED');
    h.expectNothing(sec(10));
  });

  it('closing_a_listener_resets_unaccepted_children', () => {
    const h = new Harness();
    const l = h.listen();
    h.inject({ flags: 'S', seq: 1000, options: noTs });
    const sa = h.expectSegment({ flags: 'S.' });
    h.inject({ flags: '.', seq: 1001, ack: seqAdd(sa.seq, 1) });
    l.close();
    h.expectSegment({ flags: 'R.', seq: seqAdd(sa.seq, 1) });
    expect(h.tcp.connections().length).toBe(0);
    expect(h.tcp.demux.portOwners(LOCAL_PORT).length).toBe(0);
  });
});

describe('RST processing (RFC 9293 §3.10.7.4 second, RFC 5961 §3)', () => {
  it('exact_sequence_rst_in_established_resets_with_econnreset', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'R', seq: c.rcvNxt });
    expect(c.ep.state).toBe('CLOSED');
    expect(c.ep.errorCode).toBe(TcpErrno.ECONNRESET);
    h.at(h.now());
    expect(c.obs.take()).toEqual([`error:${TcpErrno.ECONNRESET}`, 'hup']);
    const dst = new Uint8Array(10);
    expect(c.ep.recv(dst, 0, 10)).toBe(TcpErrno.ECONNRESET);
    expect(c.ep.send(dst, 0, 10)).toBe(TcpErrno.ECONNRESET);
    expect(h.mib.EstabResets).toBe(1);
    expect(h.mib.CurrEstab).toBe(0);
  });

  it('rst_in_time_wait_is_ignored_rfc1337', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.' });
    h.inject({ flags: 'R', seq: c.rcvNxt + 1 });
    expect(c.ep.state).toBe('TIME-WAIT');
  });

  it('rst_in_time_wait_closes_it_when_rfc1337_is_off', () => {
    const h = new Harness({ config: { rfc1337: false } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.' });
    h.inject({ flags: 'R', seq: c.rcvNxt + 1 });
    expect(c.ep.state).toBe('CLOSED');
  });

  it('rst_on_closed_port: ack_off → <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>', () => {
    const h = new Harness();
    h.inject({ flags: 'S', seq: 500, payload: 10 });
    h.expectSegment({ flags: 'R.', seq: 0, ack: 511, window: 0, noOptions: true });
    expect(h.mib.OutRsts).toBe(1);
    expect(h.mib.InNoSocket).toBe(1);
  });

  it('rst_on_closed_port: ack_on → <SEQ=SEG.ACK><RST>', () => {
    const h = new Harness();
    h.inject({ flags: 'P.', seq: 500, ack: 12345, payload: 10 });
    h.expectSegment({ flags: 'R', seq: 12345, ack: 0 });
  });

  it('rst_on_closed_port_is_never_answered', () => {
    const h = new Harness();
    h.inject({ flags: 'R.', seq: 500, ack: 1 });
    h.expectNothing(sec(1));
  });
});

describe('TIME-WAIT reuse (RFC 6191, RFC 1122 §4.2.2.13)', () => {
  it('new_syn_with_higher_sequence_reopens_a_time_wait_connection', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.' });
    expect(c.ep.state).toBe('TIME-WAIT');
    h.advance(sec(1));
    h.inject({ flags: 'S', seq: c.rcvNxt + 100000, options: noTs });
    const sa = h.expectSegment({ flags: 'S.', ack: c.rcvNxt + 100001 });
    // The new ISS lies beyond the old connection's sequence space.
    expect(seqAdd(sa.seq, 0) - c.sndNxt).toBeGreaterThan(0);
    expect(h.mib.TWRecycled).toBe(1);
    expect(c.ep.state).toBe('CLOSED');
  });

  it('new_syn_with_old_sequence_gets_a_challenge_ack_in_time_wait', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.expectSegment({ flags: '.' });
    h.inject({ flags: 'S', seq: c.rcvNxt - 5000, options: noTs });
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 1 });
    expect(c.ep.state).toBe('TIME-WAIT');
  });

  it('bind_to_a_port_held_by_time_wait_needs_reuseaddr', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.bind(0, 7000);
    ep.connect(0xc0000201, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.inject({ flags: 'S.', seq: 100, ack: seqAdd(syn.seq, 1), srcPort: 80, dstPort: 7000, options: noTs });
    h.expectSegment({ flags: '.' });
    ep.close();
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: 101, ack: seqAdd(syn.seq, 2), srcPort: 80, dstPort: 7000 });
    h.expectSegment({ flags: '.' });
    expect(ep.state).toBe('TIME-WAIT');
    const a = h.tcp.createEndpoint();
    expect(a.bind(0, 7000)).toBe(TcpErrno.EADDRINUSE);
    const b = h.tcp.createEndpoint();
    b.setOption('reuseAddr', true);
    expect(b.bind(0, 7000)).toBe(0);
    // Same 4-tuple still in TIME-WAIT: connect refuses it.
    expect(b.connect(0xc0000201, 80)).toBe(TcpErrno.EADDRNOTAVAIL);
  });
});
