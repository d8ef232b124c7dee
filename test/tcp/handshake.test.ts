/**
 * Connection establishment (RFC 9293 §3.5, §3.10.1, §3.10.7.2-3) and option
 * negotiation (RFC 9293 §3.7.1 MSS, RFC 7323, RFC 2018).
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL_PORT, REMOTE, REMOTE_PORT, ms, sec } from './harness.js';
import { TcpErrno } from '../../src/tcp/tcb.js';
import { seqAdd } from '../../src/tcp/seq.js';

describe('passive open (RFC 9293 §3.10.7.2)', () => {
  it('syn_to_listener_gets_syn_ack_with_mss_from_mtu_and_negotiated_options', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'S', seq: 1000, window: 65535, options: { mss: 1460, wscale: 7, sackPermitted: true, ts: [100, 0] } });
    const sa = h.expectSegment({ flags: 'S.', ack: 1001, at: 0, mss: 1460, sackPermitted: true, window: 65535 });
    expect(sa.wscale).toBeGreaterThanOrEqual(0);
    expect(sa.ts?.[1]).toBe(100); // TSecr echoes the SYN's TSval
    // FreeBSD option layout: mss, nop, wscale, sackOK, TS.
    expect(sa.optionBytes.slice(0, 5)).toEqual([2, 4, 0x05, 0xb4, 1]);
    expect(h.mib.PassiveOpens).toBe(1);
  });

  it('syn_ack_omits_options_the_syn_did_not_offer', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1000 } });
    const sa = h.expectSegment({ flags: 'S.', ack: 1001, mss: 1460, sackPermitted: false, ts: false, wscale: -1 });
    expect(sa.len).toBe(0);
  });

  it('mss_advertised_is_route_mtu_minus_40', () => {
    const h = new Harness({ mtu: 9000 });
    h.listen();
    h.inject({ flags: 'S', seq: 1, options: { mss: 1460 } });
    h.expectSegment({ flags: 'S.', mss: 8960 });
  });

  it('third_ack_establishes_and_child_is_acceptable', () => {
    const h = new Harness();
    const listener = h.listen();
    expect(listener.accept()).toBe(TcpErrno.EAGAIN);
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    const sa = h.expectSegment({ flags: 'S.' });
    expect(listener.accept()).toBe(TcpErrno.EAGAIN);
    h.inject({ flags: '.', seq: 1001, ack: seqAdd(sa.seq, 1) });
    const ep = listener.accept();
    expect(typeof ep).toBe('object');
    if (typeof ep === 'number') return;
    expect(ep.state).toBe('ESTABLISHED');
    expect(ep.remoteAddress).toBe(REMOTE);
    expect(ep.remotePort).toBe(REMOTE_PORT);
    expect(ep.localPort).toBe(LOCAL_PORT);
    expect(h.mib.CurrEstab).toBe(1);
    h.expectNothing(ms(100));
  });

  it('retransmitted_syn_in_syn_received_repeats_the_syn_ack', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    const sa = h.expectSegment({ flags: 'S.' });
    h.advance(ms(300));
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    h.expectSegment({ flags: 'S.', seq: sa.seq, ack: 1001, at: ms(300) });
  });

  it('syn_ack_is_retransmitted_with_backoff_then_child_dropped', () => {
    const h = new Harness({ config: { synAckRetries: 2 } });
    const l = h.listen();
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    h.expectSegment({ flags: 'S.', at: 0 });
    h.expectSegment({ flags: 'S.', at: sec(1) });
    h.expectSegment({ flags: 'S.', at: sec(3) });
    h.expectNothing(sec(20));
    expect(h.tcp.connections().length).toBe(0);
    expect(h.mib.AttemptFails).toBe(1);
    expect(h.mib.TCPSynRetrans).toBe(2);
    expect(l.accept()).toBe(TcpErrno.EAGAIN);
  });

  it('ack_to_listener_gets_rst_with_seq_of_seg_ack', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: '.', seq: 1000, ack: 777 });
    h.expectSegment({ flags: 'R', seq: 777 });
  });

  it('rst_to_listener_is_ignored', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'R', seq: 1000 });
    h.expectNothing(ms(10));
  });

  it('bad_ack_in_syn_received_gets_rst', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    const sa = h.expectSegment({ flags: 'S.' });
    h.inject({ flags: '.', seq: 1001, ack: seqAdd(sa.seq, 100) });
    h.expectSegment({ flags: 'R', seq: seqAdd(sa.seq, 100) });
  });

  it('rst_in_syn_received_drops_the_half_open_connection', () => {
    const h = new Harness();
    h.listen();
    h.inject({ flags: 'S', seq: 1000, options: { mss: 1460 } });
    h.expectSegment({ flags: 'S.' });
    h.inject({ flags: 'R', seq: 1001 });
    expect(h.tcp.connections().length).toBe(0);
    expect(h.mib.AttemptFails).toBe(1);
  });
});

describe('active open (RFC 9293 §3.10.1, §3.10.7.3)', () => {
  it('connect_sends_syn_with_default_options_in_freebsd_order', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    expect(ep.connect(REMOTE, 80)).toBe(TcpErrno.EINPROGRESS);
    expect(ep.state).toBe('SYN-SENT');
    const syn = h.expectSegment({ flags: 'S', ack: 0, at: 0, mss: 1460, sackPermitted: true, window: 65535 });
    expect(syn.ts).not.toBeNull();
    expect(syn.ts![1]).toBe(0);
    expect(syn.wscale).toBeGreaterThan(0);
    // <mss 1460, nop, wscale, sackOK, TS val … ecr 0>
    expect(syn.optionBytes.slice(0, 8)).toEqual([2, 4, 0x05, 0xb4, 1, 3, 3, syn.wscale]);
    expect(syn.optionBytes.slice(8, 10)).toEqual([4, 2]);
    expect(syn.optionBytes[10]).toBe(8);
    expect(ep.localPort).toBeGreaterThanOrEqual(32768);
    expect(ep.localPort).toBeLessThanOrEqual(60999);
    expect(h.mib.ActiveOpens).toBe(1);
  });

  it('syn_ack_establishes_and_ack_is_sent_at_once', () => {
    const h = new Harness();
    const c = h.activeEstablished({ options: { mss: 1000, wscale: 2, sackPermitted: true, ts: [7777, 0] } });
    expect(c.ep.state).toBe('ESTABLISHED');
    expect(c.obs.take()).toEqual(['connect', 'writable']);
    const info = c.ep.info();
    expect(info.options).toBe(1 | 2 | 4);
    expect(info.sndWscale).toBe(2);
    expect(info.sndMss).toBe(1000 - 12); // peer MSS minus the timestamp option
  });

  it('syn_ack_without_options_turns_them_off', () => {
    const h = new Harness();
    const c = h.activeEstablished({ options: {} });
    const info = c.ep.info();
    expect(info.options).toBe(0);
    expect(info.sndMss).toBe(536); // RFC 9293 §3.7.1 default MSS
  });

  it('syn_is_retransmitted_with_exponential_backoff_and_connect_times_out', () => {
    const h = new Harness({ config: { synRetries: 3 } });
    const ep = h.tcp.createEndpoint();
    const obs = { errs: [] as number[] };
    ep.observer = { onReadable() {}, onWritable() {}, onError: (_e, n) => obs.errs.push(n), onHup() {}, onConnect() {}, onAcceptable() {} };
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S', at: 0 });
    h.expectSegment({ flags: 'S', at: sec(1) });
    h.expectSegment({ flags: 'S', at: sec(3) });
    h.expectSegment({ flags: 'S', at: sec(7) });
    h.expectNothing(sec(15) - 1);
    expect(ep.state).toBe('SYN-SENT');
    h.expectNothing(sec(15)); // the last RTO (8 s) expires: Linux gives up at 15 s for 3 retries
    expect(ep.state).toBe('CLOSED');
    expect(ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
    expect(obs.errs).toEqual([TcpErrno.ETIMEDOUT]);
    expect(h.mib.TCPSynRetrans).toBe(3);
    expect(h.mib.AttemptFails).toBe(1);
    expect(h.mib.TCPAbortOnTimeout).toBe(1);
  });

  it('rst_ack_to_syn_is_connection_refused', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    const events: string[] = [];
    ep.observer = { onReadable() {}, onWritable() {}, onError: (_e, n) => events.push(`error:${n}`), onHup: () => events.push('hup'), onConnect() {}, onAcceptable() {} };
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.inject({ flags: 'R.', seq: 0, ack: seqAdd(syn.seq, 1), srcPort: 80, dstPort: ep.localPort });
    expect(ep.state).toBe('CLOSED');
    expect(ep.errorCode).toBe(TcpErrno.ECONNREFUSED);
    expect(events).toEqual([`error:${TcpErrno.ECONNREFUSED}`, 'hup']);
    h.expectNothing(sec(5));
  });

  it('rst_without_ack_in_syn_sent_is_ignored', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S' });
    h.inject({ flags: 'R', seq: 0, srcPort: 80, dstPort: ep.localPort });
    expect(ep.state).toBe('SYN-SENT');
  });

  it('unacceptable_ack_in_syn_sent_gets_rst', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.inject({ flags: 'S.', seq: 9, ack: seqAdd(syn.seq, 5), srcPort: 80, dstPort: ep.localPort });
    h.expectSegment({ flags: 'R', seq: seqAdd(syn.seq, 5) });
    expect(ep.state).toBe('SYN-SENT');
  });

  it('simultaneous_open_goes_through_syn_received', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    expect(ep.bind(0, 5555)).toBe(0);
    ep.connect(REMOTE, 6666);
    const syn = h.expectSegment({ flags: 'S' });
    // The peer's own SYN crosses ours.
    h.inject({ flags: 'S', seq: 3000, options: { mss: 1460 }, srcPort: 6666, dstPort: 5555 });
    expect(ep.state).toBe('SYN-RECEIVED');
    const sa = h.expectSegment({ flags: 'S.', seq: syn.seq, ack: 3001 });
    expect(sa.mss).toBe(1460);
    expect(sa.ts).toBeNull(); // the peer's SYN had no timestamps
    // The peer's SYN-ACK completes the handshake (its SYN duplicates the one we have).
    h.inject({ flags: 'S.', seq: 3000, ack: seqAdd(syn.seq, 1), options: { mss: 1460 }, srcPort: 6666, dstPort: 5555 });
    expect(ep.state).toBe('ESTABLISHED');
    h.expectNothing(ms(100));
  });

  it('connect_errors: EALREADY, EISCONN, ENETUNREACH, EADDRINUSE', () => {
    const h = new Harness();
    const a = h.tcp.createEndpoint();
    a.connect(REMOTE, 80);
    expect(a.connect(REMOTE, 80)).toBe(TcpErrno.EALREADY);
    const l = h.listen();
    expect(l.connect(REMOTE, 80)).toBe(TcpErrno.EISCONN);
    const b = h.tcp.createEndpoint();
    h.ip.routable = false;
    expect(b.connect(REMOTE, 80)).toBe(TcpErrno.ENETUNREACH);
    h.ip.routable = true;
    const c = h.tcp.createEndpoint();
    expect(c.bind(0, LOCAL_PORT)).toBe(TcpErrno.EADDRINUSE);
  });

  it('connect_timeout_option_gives_etimedout', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.setOption('connectTimeout', sec(2));
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S', at: 0 });
    h.expectSegment({ flags: 'S', at: sec(1) });
    h.expectNothing(sec(2));
    expect(ep.state).toBe('CLOSED');
    expect(ep.errorCode).toBe(TcpErrno.ETIMEDOUT);
  });
});
