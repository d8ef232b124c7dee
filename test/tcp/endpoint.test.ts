/**
 * The endpoint API (RFC 9293 §3.10.1-6 in BSD-socket shape): binding rules,
 * listen queues, options (validation, per-socket switches), info(), readiness,
 * zero-copy send, config validation, MIB counters.
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL, LOCAL_PORT, REMOTE, RecordingObserver, ms, pattern, sec } from './harness.js';
import { resolveTcpConfig } from '../../src/tcp/config.js';
import { TcpErrno, tcpErrnoName } from '../../src/tcp/tcb.js';
import { TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE } from '../../src/tcp/endpoint.js';
import { seqAdd } from '../../src/tcp/seq.js';
import { TcpLayer } from '../../src/tcp/tcp-layer.js';

const noTs = { mss: 1460 };

describe('config validation', () => {
  it('unknown_keys_and_bad_values_throw_naming_them', () => {
    expect(() => resolveTcpConfig({ bogus: 1 } as never)).toThrow(TypeError);
    expect(() => resolveTcpConfig({ bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => resolveTcpConfig({ minRto: -1 })).toThrow(/minRto/);
    expect(() => resolveTcpConfig({ sack: 'yes' as never })).toThrow(/sack/);
    expect(() => resolveTcpConfig({ minRto: sec(5), maxRto: sec(1) })).toThrow(/minRto/);
    expect(() => resolveTcpConfig({ ephemeralLow: 60000, ephemeralHigh: 50000 })).toThrow(/ephemeralLow/);
    expect(() => resolveTcpConfig({ delackPolicy: 'linuxish' })).toThrow(/delackPolicy/);
    expect(() => resolveTcpConfig({ congestionControl: 'vegas' })).not.toThrow(); // checked by the layer
    const h = new Harness();
    expect(() => new TcpLayer({ clock: h.clock, ip: h.ip, pool: h.pool, acct: h.acct, config: { congestionControl: 'vegas' } })).toThrow(/vegas/);
  });

  it('defaults_are_the_documented_ones', () => {
    const c = resolveTcpConfig();
    expect(c.msl * 2).toBe(sec(60));
    expect(c.initialRto).toBe(sec(1));
    expect(c.minRto).toBe(ms(200));
    expect(c.delackTimeout).toBe(ms(40));
    expect(c.initialWindowSegments).toBe(10);
    expect(c.synRetries).toBe(6);
    expect(c.retries2).toBe(15);
    expect([c.ephemeralLow, c.ephemeralHigh]).toEqual([32768, 60999]);
  });

  it('setOption_validates_and_names_the_option', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    expect(() => ep.setOption('keepCnt', 0)).toThrow(/keepCnt/);
    expect(() => ep.setOption('nodelay', 1 as never)).toThrow(/nodelay/);
    expect(() => ep.setOption('nope' as never, 1 as never)).toThrow(/nope/);
    expect(() => ep.setOption('linger', { onoff: true } as never)).toThrow(/linger/);
    expect(ep.setOption('keepIdle', sec(5))).toBe(0);
    expect(ep.getOption('keepIdle')).toBe(sec(5));
  });

  it('errno_names', () => {
    expect(tcpErrnoName(TcpErrno.ECONNRESET)).toBe('ECONNRESET');
    expect(TcpErrno.EAGAIN).toBe(-11);
    expect(TcpErrno.EINPROGRESS).toBe(-115);
  });
});

describe('bind rules', () => {
  it('bind_conflicts_and_reuseaddr', () => {
    const h = new Harness();
    const a = h.tcp.createEndpoint();
    expect(a.bind(0, 5000)).toBe(0);
    expect(a.bind(0, 5001)).toBe(TcpErrno.EINVAL); // already bound
    const b = h.tcp.createEndpoint();
    expect(b.bind(LOCAL, 5000)).toBe(TcpErrno.EADDRINUSE); // overlaps the wildcard
    const c = h.tcp.createEndpoint();
    expect(c.bind(0x0a000001, 5002)).toBe(TcpErrno.EADDRNOTAVAIL); // not a local address
    // SO_REUSEADDR on both, neither listening: allowed.
    const d = h.tcp.createEndpoint();
    const e = h.tcp.createEndpoint();
    d.setOption('reuseAddr', true);
    e.setOption('reuseAddr', true);
    expect(d.bind(0, 6000)).toBe(0);
    expect(e.bind(0, 6000)).toBe(0);
    expect(d.listen(5)).toBe(0);
    expect(e.listen(5)).toBe(TcpErrno.EADDRINUSE);
    // Closing releases the port.
    a.close();
    expect(b.bind(LOCAL, 5000)).toBe(0);
  });

  it('port_zero_and_unbound_connect_use_distinct_ephemeral_ports', () => {
    const h = new Harness();
    const ports = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const ep = h.tcp.createEndpoint();
      ep.connect(REMOTE, 80);
      expect(ep.localPort).toBeGreaterThanOrEqual(32768);
      expect(ep.localPort).toBeLessThanOrEqual(60999);
      ports.add(ep.localPort);
    }
    expect(ports.size).toBe(50);
    const b = h.tcp.createEndpoint();
    expect(b.bind(0, 0)).toBe(0);
    expect(ports.has(b.localPort)).toBe(false);
  });

  it('listen_without_bind_picks_an_ephemeral_port', () => {
    const h = new Harness();
    const l = h.tcp.createEndpoint();
    expect(l.listen(5)).toBe(0);
    expect(l.localPort).toBeGreaterThanOrEqual(32768);
    expect(l.state).toBe('LISTEN');
  });

  it('ephemeral_range_exhaustion_gives_eaddrnotavail', () => {
    const h = new Harness({ config: { ephemeralLow: 40000, ephemeralHigh: 40001 } });
    const a = h.tcp.createEndpoint();
    const b = h.tcp.createEndpoint();
    const c = h.tcp.createEndpoint();
    expect(a.connect(REMOTE, 80)).toBe(TcpErrno.EINPROGRESS);
    expect(b.connect(REMOTE, 80)).toBe(TcpErrno.EINPROGRESS);
    // Both ports are taken by connections to REMOTE:80 — a third connection to the same
    // destination has no free 4-tuple; to another port it may share.
    expect(c.connect(REMOTE, 80)).toBe(TcpErrno.EADDRNOTAVAIL);
    expect(c.connect(REMOTE, 81)).toBe(TcpErrno.EINPROGRESS);
  });
});

describe('listen queues (Linux semantics)', () => {
  function handshake(h: Harness, port: number, irs: number) {
    h.inject({ flags: 'S', seq: irs, srcPort: port, options: noTs });
    const sa = h.expectSegment({ flags: 'S.' });
    h.inject({ flags: '.', seq: irs + 1, ack: seqAdd(sa.seq, 1), srcPort: port });
    return sa;
  }

  function twoSyns(h: Harness) {
    h.inject({ flags: 'S', seq: 100, srcPort: 41000, options: noTs });
    const sa1 = h.expectSegment({ flags: 'S.', ack: 101 });
    h.inject({ flags: 'S', seq: 200, srcPort: 41001, options: noTs });
    const sa2 = h.expectSegment({ flags: 'S.', ack: 201 });
    h.inject({ flags: '.', seq: 101, ack: seqAdd(sa1.seq, 1), srcPort: 41000 });
    h.inject({ flags: '.', seq: 201, ack: seqAdd(sa2.seq, 1), srcPort: 41001 });
    return sa2;
  }

  it('syn_is_dropped_while_the_accept_queue_is_full', () => {
    const h = new Harness();
    h.listen(LOCAL_PORT, 0); // backlog 0: one connection fits (full when more than backlog are queued)
    handshake(h, 41000, 100);
    h.inject({ flags: 'S', seq: 200, srcPort: 41001, options: noTs });
    h.expectNothing(ms(1));
    expect(h.mib.ListenOverflows).toBe(1);
    expect(h.mib.ListenDrops).toBe(1);
  });

  it('accept_queue_overflow_drops_the_ack_and_the_syn_ack_is_retransmitted', () => {
    const h = new Harness();
    const l = h.listen(LOCAL_PORT, 0);
    twoSyns(h);
    expect(h.mib.ListenOverflows).toBe(1);
    // The second child stays in SYN-RECEIVED and retransmits its SYN-ACK.
    h.expectSegment({ flags: 'S.', ack: 201, at: sec(1) });
    const first = l.accept();
    expect(typeof first).toBe('object');
    expect(l.accept()).toBe(TcpErrno.EAGAIN);
    // Room again: the peer's next ACK completes the second connection.
    const c2 = h.tcp.connections().find((t) => t.remotePort === 41001)!;
    h.inject({ flags: '.', seq: 201, ack: seqAdd(c2.iss, 1), srcPort: 41001 });
    expect(typeof l.accept()).toBe('object');
  });

  it('abort_on_overflow_resets_the_child', () => {
    const h = new Harness({ config: { abortOnOverflow: true } });
    h.listen(LOCAL_PORT, 0);
    const sa = twoSyns(h);
    h.expectSegment({ flags: 'R.', seq: seqAdd(sa.seq, 1) });
  });

  it('syn_queue_limit_drops_syns', () => {
    const h = new Harness({ config: { synQueueLimit: 2 } });
    h.listen();
    for (let i = 0; i < 3; i++) h.inject({ flags: 'S', seq: 100 * i, srcPort: 42000 + i, options: noTs });
    expect(h.drain().length).toBe(2);
    expect(h.mib.ListenDrops).toBe(1);
  });

  it('acceptable_event_fires_on_the_listener', () => {
    const h = new Harness();
    const l = h.listen();
    const obs = new RecordingObserver();
    l.observer = obs;
    handshake(h, 41000, 100);
    h.at(h.now());
    expect(obs.take()).toEqual(['acceptable']);
    expect(l.isReadable).toBe(true);
  });
});

describe('per-socket option switches (before connect)', () => {
  it('sack_timestamps_and_window_scaling_can_be_turned_off', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.setOption('sack', false);
    ep.setOption('timestamps', false);
    ep.setOption('windowScaling', false);
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S', sackPermitted: false, ts: false, wscale: -1, mss: 1460 });
    expect(ep.setOption('sack', true)).toBe(TcpErrno.EISCONN);
  });

  it('stack_wide_switches_turn_options_off', () => {
    const h = new Harness({ config: { sack: false, timestamps: false, windowScaling: false } });
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S', sackPermitted: false, ts: false, wscale: -1 });
    expect(syn.optionBytes).toEqual([2, 4, 0x05, 0xb4]);
  });

  it('maxseg_clamps_the_advertised_mss', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.setOption('maxseg', 1000);
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S', mss: 1000 });
  });

  it('window_scale_follows_rcvbuf_and_windows_are_scaled', () => {
    const h = new Harness({ config: { rcvbufMax: 2 * 1024 * 1024 } });
    const c = h.activeEstablished({ options: { mss: 1460, wscale: 2 } });
    expect(c.synAck.wscale).toBe(6); // 65535 << 5 < 2 MiB ≤ 65535 << 6 (FreeBSD's choice for sb_max = 2 MiB)
    // Our window field is scaled by 6: 128 KiB free → 2048.
    c.ep.send(pattern(10), 0, 10);
    const s = h.expectSegment({ len: 10 });
    expect(s.window).toBe((128 * 1024) >> 6);
    // The peer's window is scaled by 2.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 10), window: 1000, srcPort: LOCAL_PORT, dstPort: c.ep.localPort });
    expect(c.ep.info().sndWnd).toBe(4000);
  });

  it('rcvbuf_set_before_connect_sets_the_scale', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.setOption('rcvbuf', 65535);
    ep.connect(REMOTE, 80);
    h.expectSegment({ flags: 'S', wscale: 0 });
  });
});

describe('info() and readiness', () => {
  it('info_reports_tcp_info_fields', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { mss: 1460, sackPermitted: true, wscale: 7, ts: [1, 0] } });
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(3000), 0, 3000);
    h.drain();
    const i = c.ep.info();
    expect(i.state).toBe('ESTABLISHED');
    expect(i.options).toBe(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
    expect(i.sndWscale).toBe(7);
    expect(i.sndMss).toBe(1448);
    expect(i.advMss).toBe(1460);
    expect(i.unacked).toBe(3);
    expect(i.pmtu).toBe(1500);
    expect(i.rto).toBe(ms(200));
    expect(i.sndCwnd).toBe(10);
    expect(i.congestionControl).toBe('newreno');
    expect(i.bytesSent).toBe(3000);
  });

  it('readable_writable_hup_events_in_order', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 5 });
    expect(c.obs.take()).toEqual(['readable']);
    expect(c.ep.isReadable).toBe(true);
    c.ep.close(); // unread data → RST; the orphan reports nothing more
    h.at(h.now());
    expect(c.obs.take()).toEqual([]);
  });

  it('hup_when_time_wait_is_reached', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.shutdown(1);
    h.expectSegment({ flags: 'F.' });
    h.inject({ flags: 'F.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1) });
    h.at(h.now());
    expect(c.obs.take()).toEqual(['readable', 'hup']);
  });

  it('send_zero_copy_reports_completion_when_acked', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    const data = pattern(2000);
    expect(c.ep.sendZeroCopy(data, 0, 2000, 42)).toBe(2000);
    const segs = h.drain();
    expect(segs.map((s) => s.len)).toEqual([1460]);
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 1460) });
    h.expectSegment({ len: 540 });
    expect(c.obs.completes).toEqual([]);
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 2000) });
    expect(c.obs.completes).toEqual([42]);
  });

  it('copy_csum_mode_sends_correct_checksums', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.sendCopyMode = 'copyCsum';
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(5000), 0, 5000);
    const segs = h.drain(); // the fake IP verified every checksum
    expect(segs.reduce((n, s) => n + s.len, 0)).toBe(5000);
    expect(h.acct.bytesCopyChecksummed).toBe(5000);
  });
});

describe('MIB counters', () => {
  it('in_out_segments_and_opens_are_counted', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    expect(h.mib.InSegs).toBe(2);
    expect(h.mib.OutSegs).toBe(1);
    expect(h.mib.PassiveOpens).toBe(1);
    expect(h.mib.CurrEstab).toBe(1);
    c.ep.abort();
    expect(h.mib.CurrEstab).toBe(0);
    const snap = h.mib.snapshot();
    expect(snap.OutRsts).toBe(1);
    expect(Object.keys(snap)).toContain('DelayedACKs');
    expect(Object.keys(snap)).toContain('TCPFastRetrans');
    expect(Object.keys(snap)).toContain('ListenOverflows');
  });
});

describe('ICMP errors (RFC 1122 §4.2.3.9, RFC 5927)', () => {
  function quoted(local: number, lport: number, remote: number, rport: number, seq: number): Uint8Array {
    const b = new Uint8Array(28);
    b[0] = 0x45;
    b[9] = 6;
    new DataView(b.buffer).setUint32(12, local);
    new DataView(b.buffer).setUint32(16, remote);
    new DataView(b.buffer).setUint16(20, lport);
    new DataView(b.buffer).setUint16(22, rport);
    new DataView(b.buffer).setUint32(24, seq);
    return b;
  }

  it('port_unreachable_aborts_a_connect', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.tcp.icmpError(3, 3, 0, quoted(LOCAL, ep.localPort, REMOTE, 80, syn.seq), 0, 28);
    expect(ep.state).toBe('CLOSED');
    expect(ep.errorCode).toBe(TcpErrno.ECONNREFUSED);
  });

  it('an_icmp_error_quoting_a_sequence_number_not_in_flight_is_ignored', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.tcp.icmpError(3, 1, 0, quoted(LOCAL, ep.localPort, REMOTE, 80, seqAdd(syn.seq, 1000)), 0, 28);
    expect(ep.state).toBe('SYN-SENT');
  });

  it('host_unreachable_is_a_soft_error_when_established_and_reported_on_timeout', () => {
    const h = new Harness({ config: { retries2: 1 } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(10), 0, 10);
    h.expectSegment({ len: 10 });
    h.tcp.icmpError(3, 1, 0, quoted(LOCAL, LOCAL_PORT, REMOTE, 40000, c.sndNxt), 0, 28);
    expect(c.ep.state).toBe('ESTABLISHED');
    h.expectSegment({ len: 10 });
    h.advance(sec(5));
    expect(c.ep.errorCode).toBe(TcpErrno.EHOSTUNREACH);
  });

  it('fragmentation_needed_lowers_the_mss_and_resends', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(1460), 0, 1460);
    h.expectSegment({ len: 1460 });
    h.tcp.icmpError(3, 4, 1000, quoted(LOCAL, LOCAL_PORT, REMOTE, 40000, c.sndNxt), 0, 28);
    h.expectSegment({ len: 960, seq: c.sndNxt });
    h.expectSegment({ len: 500 });
    expect(c.ep.info().pmtu).toBe(1000);
  });
});
