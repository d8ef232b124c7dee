// setsockopt/getsockopt over the socket core: names, Linux units, round trips, effects.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/socket/errno.js';
import {
  IPPROTO_TCP,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_INFO,
  TCP_NODELAY,
} from '../../src/socket/options.js';
import { NS_PER_MS, NS_PER_S } from '../../src/time/clock.js';
import { B, connectedPair, twoHosts } from './harness.js';

describe('setsockopt/getsockopt round trips (TCP)', () => {
  const cases: [string, string, number, number][] = [
    // level, name, value set, value read back
    ['SOL_SOCKET', 'SO_REUSEADDR', 1, 1],
    ['SOL_SOCKET', 'SO_KEEPALIVE', 1, 1],
    ['SOL_SOCKET', 'SO_RCVBUF', 65536, 65536],
    ['SOL_SOCKET', 'SO_SNDBUF', 32768, 32768],
    ['SOL_SOCKET', 'SO_BROADCAST', 1, 1],
    ['IPPROTO_TCP', 'TCP_NODELAY', 1, 1],
    ['IPPROTO_TCP', 'TCP_MAXSEG', 1000, 1000],
    ['IPPROTO_TCP', 'TCP_KEEPIDLE', 30, 30],
    ['IPPROTO_TCP', 'TCP_KEEPINTVL', 7, 7],
    ['IPPROTO_TCP', 'TCP_KEEPCNT', 4, 4],
    ['IPPROTO_TCP', 'TCP_USER_TIMEOUT', 1500, 1500],
    ['IPPROTO_TCP', 'TCP_QUICKACK', 1, 1],
  ];
  for (const [level, name, set, got] of cases) {
    it(`sockopt_round_trip_${name}`, () => {
      const { ca } = twoHosts();
      const fd = ca.socket('tcp');
      expect(ca.setsockopt(fd, level, name, set)).toBe(0);
      expect(ca.getsockopt(fd, level, name)).toBe(got);
      // Turning flags back off reads back 0.
      if (got === 1) {
        expect(ca.setsockopt(fd, level, name, false)).toBe(0);
        expect(ca.getsockopt(fd, level, name)).toBe(0);
      }
    });
  }

  it('sockopt_linux_units_map_onto_endpoint_options', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_KEEPIDLE', 30);
    ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_USER_TIMEOUT', 1500);
    const ep = (ca.get(fd) as import('../../src/socket/tcp-socket.js').TcpSocket).ep;
    expect(ep.getOption('keepIdle')).toBe(30 * NS_PER_S);
    expect(ep.getOption('userTimeout')).toBe(1500 * NS_PER_MS);
  });

  it('sockopt_linger_round_trip', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.getsockopt(fd, SOL_SOCKET, SO_LINGER)).toEqual({ onoff: 0, linger: 0 });
    expect(ca.setsockopt(fd, SOL_SOCKET, SO_LINGER, { onoff: 1, linger: 5 })).toBe(0);
    expect(ca.getsockopt(fd, SOL_SOCKET, SO_LINGER)).toEqual({ onoff: 1, linger: 5 });
    expect(ca.setsockopt(fd, SOL_SOCKET, SO_LINGER, { onoff: true, linger: -1 })).toBe(Errno.EINVAL);
    expect(() => ca.setsockopt(fd, SOL_SOCKET, SO_LINGER, 1)).toThrow(TypeError);
  });

  it('sockopt_numeric_names_equal_symbolic_names', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, true)).toBe(0);
    expect(ca.getsockopt(fd, 'SOL_TCP', 'TCP_NODELAY')).toBe(1);
    expect(ca.setsockopt(fd, 1, 9, 1)).toBe(0); // SOL_SOCKET, SO_KEEPALIVE
    expect(ca.getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
  });

  it('sockopt_so_type_is_stream_or_dgram_and_read_only', () => {
    const { ca } = twoHosts();
    const t = ca.socket('tcp');
    const u = ca.socket('udp');
    expect(ca.getsockopt(t, SOL_SOCKET, SO_TYPE)).toBe(SOCK_STREAM);
    expect(ca.getsockopt(u, SOL_SOCKET, SO_TYPE)).toBe(SOCK_DGRAM);
    expect(ca.setsockopt(t, SOL_SOCKET, SO_TYPE, 1)).toBe(Errno.ENOPROTOOPT);
    expect(ca.setsockopt(t, 'SOL_SOCKET', 'SO_ERROR', 1)).toBe(Errno.ENOPROTOOPT);
    expect(ca.setsockopt(t, IPPROTO_TCP, TCP_INFO, 1)).toBe(Errno.ENOPROTOOPT);
  });

  it('sockopt_unknown_level_or_name_is_ENOPROTOOPT', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.setsockopt(fd, 'SOL_SOCKET', 'SO_BOGUS', 1)).toBe(Errno.ENOPROTOOPT);
    expect(ca.getsockopt(fd, 'SOL_BOGUS', 'TCP_NODELAY')).toBe(Errno.ENOPROTOOPT);
    expect(ca.setsockopt(fd, 99, 1, 1)).toBe(Errno.ENOPROTOOPT);
    expect(ca.getsockopt(fd, IPPROTO_TCP, 999)).toBe(Errno.ENOPROTOOPT);
    // TCP options on a UDP socket.
    expect(ca.setsockopt(ca.socket('udp'), 'IPPROTO_TCP', 'TCP_NODELAY', 1)).toBe(Errno.ENOPROTOOPT);
  });

  it('sockopt_out_of_range_values_are_EINVAL', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_KEEPIDLE', 0)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_KEEPIDLE', 32768)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_KEEPINTVL', 0)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_KEEPCNT', 128)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_USER_TIMEOUT', -1)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_MAXSEG', 50)).toBe(Errno.EINVAL);
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_MAXSEG', 1.5)).toBe(Errno.EINVAL);
  });

  it('sockopt_buffer_sizes_are_clamped_like_linux', () => {
    const { a, ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 1)).toBe(0);
    expect(ca.getsockopt(fd, SOL_SOCKET, SO_RCVBUF)).toBe(2048);
    expect(ca.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, 1 << 30)).toBe(0);
    expect(ca.getsockopt(fd, SOL_SOCKET, SO_SNDBUF)).toBe(a.tcp.config.sndbufMax);
  });

  it('sockopt_maxseg_after_connect_is_EISCONN_and_reads_the_mss_in_use', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.setsockopt(cfd, 'IPPROTO_TCP', 'TCP_MAXSEG', 1000)).toBe(Errno.EISCONN);
    expect(ca.getsockopt(cfd, 'IPPROTO_TCP', 'TCP_MAXSEG')).toBeGreaterThan(1000);
  });

  it('sockopt_maxseg_clamps_the_negotiated_mss', () => {
    const { net, ca, cb } = twoHosts();
    const l = cb.socket('tcp');
    cb.bind(l, 0, 80);
    cb.listen(l, 1);
    const c = ca.socket('tcp');
    expect(ca.setsockopt(c, 'IPPROTO_TCP', 'TCP_MAXSEG', 600)).toBe(0);
    ca.connect(c, B, 80);
    net.runFor('20ms');
    // Linux reports mss_cache: the clamp less the 12 bytes of the timestamps option.
    expect(ca.getsockopt(c, 'IPPROTO_TCP', 'TCP_MAXSEG')).toBe(600 - 12);
  });

  it('sockopt_tcp_info_via_getsockopt', () => {
    const { ca, cfd } = connectedPair();
    const i = ca.getsockopt(cfd, 'IPPROTO_TCP', 'TCP_INFO');
    expect(typeof i).toBe('object');
    expect((i as { state: string }).state).toBe('ESTABLISHED');
  });
});

describe('option effects', () => {
  it('linger_zero_close_sends_rst_and_peer_sees_ECONNRESET', () => {
    const { net, a, ca, cb, cfd, sfd } = connectedPair();
    expect(ca.setsockopt(cfd, 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 0 })).toBe(0);
    const rsts = a.tcp.mib.OutRsts;
    expect(ca.close(cfd)).toBe(0);
    expect(a.tcp.mib.TCPAbortOnLinger).toBe(1);
    expect(a.tcp.mib.OutRsts).toBe(rsts + 1);
    net.runFor('10ms');
    expect(cb.recv(sfd, new Uint8Array(4))).toBe(Errno.ECONNRESET);
  });

  it('linger_nonzero_close_stays_graceful', () => {
    const { net, a, ca, cb, cfd, sfd } = connectedPair();
    ca.setsockopt(cfd, 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 5 });
    const rsts = a.tcp.mib.OutRsts;
    ca.close(cfd);
    net.runFor('10ms');
    expect(a.tcp.mib.OutRsts).toBe(rsts);
    expect(cb.recv(sfd, new Uint8Array(4))).toBe(0);
  });

  it('keepalive_with_idle_interval_count_sends_probes_on_an_idle_connection', () => {
    const { net, a, ca, cfd } = connectedPair();
    expect(ca.setsockopt(cfd, 'SOL_SOCKET', 'SO_KEEPALIVE', 1)).toBe(0);
    expect(ca.setsockopt(cfd, 'IPPROTO_TCP', 'TCP_KEEPIDLE', 2)).toBe(0);
    expect(ca.setsockopt(cfd, 'IPPROTO_TCP', 'TCP_KEEPINTVL', 1)).toBe(0);
    expect(ca.setsockopt(cfd, 'IPPROTO_TCP', 'TCP_KEEPCNT', 3)).toBe(0);
    net.runFor('1s');
    expect(a.tcp.mib.TCPKeepAlive).toBe(0);
    net.runFor('5s');
    expect(a.tcp.mib.TCPKeepAlive).toBeGreaterThan(0);
    // The peer answers: the connection lives on.
    expect((ca.info(cfd) as { state: string }).state).toBe('ESTABLISHED');
  });

  it('quickack_acks_data_at_once', () => {
    const { net, b, ca, cb, cfd, sfd } = connectedPair({ tcp: { delackPolicy: 'rfc' } });
    expect(cb.setsockopt(sfd, 'IPPROTO_TCP', 'TCP_QUICKACK', 1)).toBe(0);
    const before = b.tcp.mib.DelayedACKs;
    ca.send(cfd, new Uint8Array(100));
    net.runFor('1ms');
    ca.send(cfd, new Uint8Array(100));
    net.runFor('100ms');
    expect(b.tcp.mib.DelayedACKs).toBe(before);
  });

  it('nodelay_sends_small_segments_without_waiting_for_acks', () => {
    const run = (nodelay: boolean): number => {
      const { net, ca, cb, cfd, sfd } = connectedPair();
      ca.setsockopt(cfd, 'IPPROTO_TCP', 'TCP_NODELAY', nodelay);
      ca.send(cfd, new Uint8Array(10));
      ca.send(cfd, new Uint8Array(10));
      ca.send(cfd, new Uint8Array(10));
      net.runFor('1500us');
      return cb.recv(sfd, new Uint8Array(100));
    };
    expect(run(true)).toBe(30);
    expect(run(false)).toBe(10); // Nagle (RFC 9293 §3.7.4) holds the rest until the ACK
  });
});
