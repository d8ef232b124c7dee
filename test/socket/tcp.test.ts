// SocketCore over TCP between two simulated hosts, in virtual time.
import { describe, expect, it } from 'vitest';
import { SocketCore } from '../../src/socket/core.js';
import { Errno } from '../../src/socket/errno.js';
import {
  F_GETFL,
  F_SETFL,
  MSG_OOB,
  MSG_PEEK,
  O_NONBLOCK,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
  POLLRDHUP,
  SHUT_RD,
  SHUT_WR,
} from '../../src/socket/options.js';
import type { SockAddr } from '../../src/socket/socket-table.js';
import { TcpSocket } from '../../src/socket/tcp-socket.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { A, B, connectedPair, Recorder, twoHosts } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

describe('descriptors', () => {
  it('socket_returns_lowest_free_descriptor_from_3', () => {
    const { ca } = twoHosts();
    expect(ca.socket('tcp')).toBe(3);
    expect(ca.socket('udp')).toBe(4);
    expect(ca.socket('tcp')).toBe(5);
    expect(ca.close(4)).toBe(0);
    expect(ca.socket('tcp')).toBe(4);
    expect(ca.socket('tcp')).toBe(6);
    expect(ca.openCount).toBe(4);
  });

  it('socket_of_unknown_kind_is_EPROTONOSUPPORT_and_full_table_EMFILE', () => {
    const { a } = twoHosts();
    const core = new SocketCore(a, { maxFds: 2 });
    expect(core.socket('sctp' as 'tcp')).toBe(Errno.EPROTONOSUPPORT);
    expect(core.socket('tcp')).toBe(3);
    expect(core.socket('tcp')).toBe(4);
    expect(core.socket('tcp')).toBe(Errno.EMFILE);
  });

  it('calls_on_a_closed_or_unknown_descriptor_are_EBADF', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.close(fd)).toBe(0);
    const buf = new Uint8Array(4);
    expect(ca.close(fd)).toBe(Errno.EBADF);
    expect(ca.bind(fd, 0, 1000)).toBe(Errno.EBADF);
    expect(ca.listen(fd, 1)).toBe(Errno.EBADF);
    expect(ca.accept(fd)).toBe(Errno.EBADF);
    expect(ca.connect(fd, B, 80)).toBe(Errno.EBADF);
    expect(ca.send(fd, buf)).toBe(Errno.EBADF);
    expect(ca.recv(fd, buf)).toBe(Errno.EBADF);
    expect(ca.shutdown(fd, SHUT_WR)).toBe(Errno.EBADF);
    expect(ca.abort(fd)).toBe(Errno.EBADF);
    expect(ca.setsockopt(fd, 'SOL_SOCKET', 'SO_KEEPALIVE', 1)).toBe(Errno.EBADF);
    expect(ca.getsockopt(fd, 'SOL_SOCKET', 'SO_KEEPALIVE')).toBe(Errno.EBADF);
    expect(ca.fcntl(fd, F_GETFL)).toBe(Errno.EBADF);
    expect(ca.info(fd)).toBe(Errno.EBADF);
    expect(ca.poll(fd)).toBe(POLLNVAL);
    expect(ca.poll(99)).toBe(POLLNVAL);
    expect(ca.setReadyListener(fd, null)).toBe(Errno.EBADF);
  });

  it('every_socket_call_counts_one_syscall', () => {
    const { a, ca, cb, net } = twoHosts();
    const acct = a.acct as unknown as { syscalls: number };
    const l = cb.socket('tcp');
    cb.bind(l, 0, 80);
    cb.listen(l, 1);
    const before = acct.syscalls;
    const fd = ca.socket('tcp');
    ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_NODELAY', 1);
    ca.connect(fd, B, 80);
    net.runFor('20ms');
    ca.poll(fd);
    ca.send(fd, new Uint8Array(4));
    ca.getsockopt(fd, 'IPPROTO_TCP', 'TCP_NODELAY');
    ca.close(fd);
    expect(acct.syscalls - before).toBe(7);
    const u = ca.socket('udp');
    const u0 = acct.syscalls;
    ca.bind(u, 0, 7000);
    ca.sendto(u, new Uint8Array(4), 0, 4, 0, B, 7001);
    ca.close(u);
    expect(acct.syscalls - u0).toBe(3);
  });

  it('socket_object_works_in_place_of_descriptor_until_closed', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    const s = ca.get(fd)!;
    expect(s).toBeInstanceOf(TcpSocket);
    expect(ca.bind(s, 0, 1234)).toBe(0);
    const out: SockAddr = { addr: -1, port: -1 };
    expect(ca.getsockname(fd, out)).toBe(0);
    expect(out).toEqual({ addr: 0, port: 1234 });
    expect(ca.close(s)).toBe(0);
    expect(ca.listen(s, 1)).toBe(Errno.EBADF);
  });

  it('wrong_js_types_throw_typeerror_bad_values_return_errno', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(() => ca.bind('3' as unknown as number, 0, 1)).toThrow(TypeError);
    expect(() => ca.bind(fd, {} as unknown as number, 1)).toThrow(TypeError);
    expect(() => ca.bind(fd, 0, '80' as unknown as number)).toThrow(TypeError);
    expect(() => ca.send(fd, [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => ca.setsockopt(fd, 'SOL_SOCKET', 'SO_KEEPALIVE', 'yes' as unknown as number)).toThrow(TypeError);
    expect(ca.bind(fd, 'not-an-ip', 1)).toBe(Errno.EINVAL);
    expect(ca.bind(fd, 0, 70000)).toBe(Errno.EINVAL);
    expect(ca.send(fd, new Uint8Array(4), 2, 8)).toBe(Errno.EFAULT);
    expect(ca.shutdown(fd, 7)).toBe(Errno.EINVAL);
  });
});

describe('happy paths', () => {
  it('bind_listen_connect_accept_establishes_and_reports_addresses', () => {
    const { ca, cb, cfd, sfd } = connectedPair();
    const peer: SockAddr = { addr: 0, port: 0 };
    expect(cb.getpeername(sfd, peer)).toBe(0);
    expect(peer.addr).toBe(parseIpv4(A));
    const local: SockAddr = { addr: 0, port: 0 };
    expect(ca.getsockname(cfd, local)).toBe(0);
    expect(local.addr).toBe(parseIpv4(A));
    expect(local.port).toBe(peer.port);
    expect(ca.getpeername(cfd, peer)).toBe(0);
    expect(peer).toEqual({ addr: parseIpv4(B), port: 80 });
    // Linux __inet_stream_connect: once the outcome was collected, connect again is EISCONN.
    expect(ca.connect(cfd, B, 80)).toBe(Errno.EISCONN);
  });

  it('accept_fills_the_peer_address_and_returns_EAGAIN_when_queue_empty', () => {
    const { net, ca, cb } = twoHosts();
    const lfd = cb.socket('tcp');
    cb.bind(lfd, B, 8080);
    cb.listen(lfd, 4);
    expect(cb.accept(lfd)).toBe(Errno.EAGAIN);
    const c = ca.socket('tcp');
    ca.connect(c, parseIpv4(B), 8080);
    net.runFor('20ms');
    const peer: SockAddr = { addr: 0, port: 0 };
    const s = cb.accept(lfd, peer);
    expect(s).toBe(4);
    expect(peer.addr).toBe(parseIpv4(A));
    expect(cb.accept(lfd)).toBe(Errno.EAGAIN);
  });

  it('send_and_recv_move_bytes_both_ways_recv_empty_is_EAGAIN', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const buf = new Uint8Array(64);
    expect(cb.recv(sfd, buf)).toBe(Errno.EAGAIN);
    expect(ca.send(cfd, bytes('hello world'), 6, 5)).toBe(5);
    net.runFor('10ms');
    const from: SockAddr = { addr: 0, port: 0 };
    const n = cb.recvfrom(sfd, buf, 0, 64, 0, from);
    expect(text(buf, n)).toBe('world');
    expect(from.addr).toBe(parseIpv4(A));
    expect(cb.send(sfd, bytes('back'))).toBe(4);
    net.runFor('10ms');
    expect(text(buf, ca.recv(cfd, buf))).toBe('back');
  });

  it('shutdown_wr_delivers_eof_to_peer_and_recv_returns_0', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    expect(ca.shutdown(cfd, SHUT_WR)).toBe(0);
    net.runFor('10ms');
    expect(cb.recv(sfd, new Uint8Array(8))).toBe(0);
    // The half-closed peer can still send.
    expect(cb.send(sfd, bytes('late'))).toBe(4);
    net.runFor('10ms');
    const buf = new Uint8Array(8);
    expect(text(buf, ca.recv(cfd, buf))).toBe('late');
  });

  it('shutdown_rd_makes_recv_return_0', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.shutdown(cfd, SHUT_RD)).toBe(0);
    expect(ca.recv(cfd, new Uint8Array(8))).toBe(0);
  });

  it('close_is_graceful_fin_and_frees_the_descriptor', () => {
    const { net, a, ca, cb, cfd, sfd } = connectedPair();
    const rsts = a.tcp.mib.OutRsts;
    expect(ca.close(cfd)).toBe(0);
    net.runFor('10ms');
    expect(cb.recv(sfd, new Uint8Array(8))).toBe(0);
    expect(a.tcp.mib.OutRsts).toBe(rsts);
    expect(ca.socket('tcp')).toBe(cfd);
  });

  it('abort_sends_rst_and_frees_the_descriptor', () => {
    const { net, a, ca, cb, cfd, sfd } = connectedPair();
    const rsts = a.tcp.mib.OutRsts;
    expect(ca.abort(cfd)).toBe(0);
    expect(a.tcp.mib.OutRsts).toBe(rsts + 1);
    net.runFor('10ms');
    expect(cb.recv(sfd, new Uint8Array(8))).toBe(Errno.ECONNRESET);
    expect(ca.poll(cfd)).toBe(POLLNVAL);
  });

  it('send_zero_copy_reports_completion_once_acknowledged', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const done: [number, number][] = [];
    ca.setReadyListener(cfd, { onReady() {}, onSendComplete: (fd, id) => done.push([fd, id]) });
    const data = bytes('zero-copy payload');
    expect(ca.sendZeroCopy(cfd, data, 0, data.length, 42)).toBe(data.length);
    expect(done).toEqual([]);
    net.runFor('200ms'); // past the peer's delayed ACK
    expect(done).toEqual([[cfd, 42]]);
    const buf = new Uint8Array(64);
    expect(text(buf, cb.recv(sfd, buf))).toBe('zero-copy payload');
    expect(ca.sendZeroCopy(ca.socket('udp'), data, 0, 1, 1)).toBe(Errno.EOPNOTSUPP);
  });

  it('fcntl_sets_and_gets_O_NONBLOCK_and_rejects_unknown_commands', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.fcntl(fd, F_GETFL)).toBe(0);
    expect(ca.fcntl(fd, F_SETFL, O_NONBLOCK)).toBe(0);
    expect(ca.fcntl(fd, F_GETFL)).toBe(O_NONBLOCK);
    expect(ca.fcntl(fd, 99)).toBe(Errno.EINVAL);
  });

  it('info_reports_tcp_info_of_a_connection', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    ca.send(cfd, new Uint8Array(1000));
    net.runFor('50ms');
    cb.recv(sfd, new Uint8Array(2000));
    const i = ca.info(cfd);
    if (typeof i === 'number') throw new Error('info failed');
    expect(i.state).toBe('ESTABLISHED');
    expect(i.bytesAcked).toBeGreaterThanOrEqual(1000);
    expect(i.rtt).toBeGreaterThan(0);
    expect(i.rto).toBeGreaterThan(0);
    expect(i.cwnd).toBeGreaterThan(0);
    expect(i.sndMss).toBeGreaterThan(0);
    expect(i.retransmits).toBe(0);
    const j = cb.info(sfd);
    if (typeof j === 'number') throw new Error('info failed');
    expect(j.bytesReceived).toBe(1000);
    expect(ca.info(ca.socket('udp'))).toBe(Errno.EOPNOTSUPP);
  });
});

describe('errors', () => {
  it('connect_to_a_closed_port_is_ECONNREFUSED', () => {
    const { net, ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.connect(fd, B, 81)).toBe(Errno.EINPROGRESS);
    expect(ca.connect(fd, B, 81)).toBe(Errno.EALREADY);
    net.runFor('20ms');
    expect(ca.poll(fd) & POLLERR).toBe(POLLERR);
    expect(ca.connect(fd, B, 81)).toBe(Errno.ECONNREFUSED);
  });

  it('so_error_reports_ECONNREFUSED_once_as_positive_errno', () => {
    const { net, ca } = twoHosts();
    const fd = ca.socket('tcp');
    ca.connect(fd, B, 81);
    net.runFor('20ms');
    expect(ca.getsockopt(fd, 'SOL_SOCKET', 'SO_ERROR')).toBe(111);
    expect(ca.getsockopt(fd, 'SOL_SOCKET', 'SO_ERROR')).toBe(0);
  });

  it('bind_to_a_port_in_use_is_EADDRINUSE', () => {
    const { cb } = twoHosts();
    const l = cb.socket('tcp');
    expect(cb.bind(l, 0, 80)).toBe(0);
    expect(cb.listen(l, 1)).toBe(0);
    const m = cb.socket('tcp');
    expect(cb.bind(m, 0, 80)).toBe(Errno.EADDRINUSE);
    expect(cb.bind(m, B, 80)).toBe(Errno.EADDRINUSE);
  });

  it('bind_to_a_foreign_address_is_EADDRNOTAVAIL', () => {
    const { ca } = twoHosts();
    expect(ca.bind(ca.socket('tcp'), B, 80)).toBe(Errno.EADDRNOTAVAIL);
  });

  it('bind_twice_is_EINVAL', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.bind(fd, 0, 1000)).toBe(0);
    expect(ca.bind(fd, 0, 1001)).toBe(Errno.EINVAL);
  });

  it('send_before_connect_is_ENOTCONN_recv_too', () => {
    const { ca } = twoHosts();
    const fd = ca.socket('tcp');
    expect(ca.send(fd, bytes('x'))).toBe(Errno.ENOTCONN);
    expect(ca.recv(fd, new Uint8Array(4))).toBe(Errno.ENOTCONN);
    expect(ca.getpeername(fd, { addr: 0, port: 0 })).toBe(Errno.ENOTCONN);
  });

  it('send_after_shutdown_wr_is_EPIPE', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.shutdown(cfd, SHUT_WR)).toBe(0);
    expect(ca.send(cfd, bytes('x'))).toBe(Errno.EPIPE);
  });

  it('peer_abort_gives_ECONNRESET_once_then_eof_and_EPIPE', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    cb.abort(sfd);
    net.runFor('10ms');
    expect(ca.poll(cfd) & POLLERR).toBe(POLLERR);
    expect(ca.recv(cfd, new Uint8Array(4))).toBe(Errno.ECONNRESET);
    // Linux sock_error(): the error is reported once; afterwards EOF and EPIPE.
    expect(ca.poll(cfd) & POLLERR).toBe(0);
    expect(ca.recv(cfd, new Uint8Array(4))).toBe(0);
    expect(ca.send(cfd, bytes('x'))).toBe(Errno.EPIPE);
  });

  it('connect_over_a_dead_link_is_ETIMEDOUT_after_syn_retries', () => {
    const { net, ca } = twoHosts({ link: { loss: '100%' }, tcp: { synRetries: 2 }, staticArp: true });
    const fd = ca.socket('tcp');
    expect(ca.connect(fd, B, 80)).toBe(Errno.EINPROGRESS);
    net.runFor('3s');
    expect(ca.connect(fd, B, 80)).toBe(Errno.EALREADY);
    net.runFor('20s');
    expect(ca.connect(fd, B, 80)).toBe(Errno.ETIMEDOUT);
  });

  it('user_timeout_ends_a_dead_connection_with_ETIMEDOUT', () => {
    const { net, ca } = twoHosts({ link: { loss: '100%' }, staticArp: true });
    const fd = ca.socket('tcp');
    expect(ca.setsockopt(fd, 'IPPROTO_TCP', 'TCP_USER_TIMEOUT', 2500)).toBe(0);
    ca.connect(fd, B, 80);
    net.runFor('2s');
    expect(ca.poll(fd) & POLLERR).toBe(0);
    net.runFor('10s');
    expect(ca.getsockopt(fd, 'SOL_SOCKET', 'SO_ERROR')).toBe(110);
  });

  it('listen_on_a_connected_socket_is_EINVAL', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.listen(cfd, 4)).toBe(Errno.EINVAL);
  });

  it('accept_on_a_socket_not_listening_is_EINVAL', () => {
    const { ca } = twoHosts();
    expect(ca.accept(ca.socket('tcp'))).toBe(Errno.EINVAL);
  });

  it('connect_on_a_listening_socket_is_EISCONN', () => {
    const { cb, lfd } = connectedPair();
    expect(cb.connect(lfd, A, 80)).toBe(Errno.EISCONN);
  });

  it('recv_flags_msg_oob_is_EINVAL_and_msg_peek_unsupported', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.recv(cfd, new Uint8Array(4), 0, 4, MSG_OOB)).toBe(Errno.EINVAL);
    expect(ca.recv(cfd, new Uint8Array(4), 0, 4, MSG_PEEK)).toBe(Errno.EOPNOTSUPP);
    expect(ca.send(cfd, new Uint8Array(4), 0, 4, MSG_OOB)).toBe(Errno.EOPNOTSUPP);
    expect(ca.send(cfd, new Uint8Array(4), 0, 4, 0x10000000)).toBe(Errno.EINVAL);
  });

  it('listen_and_accept_on_udp_are_EOPNOTSUPP', () => {
    const { ca } = twoHosts();
    const u = ca.socket('udp');
    expect(ca.listen(u, 1)).toBe(Errno.EOPNOTSUPP);
    expect(ca.accept(u)).toBe(Errno.EOPNOTSUPP);
  });
});

describe('readiness', () => {
  it('readiness_writable_after_connect_then_readable_on_data', () => {
    const { net, ca, cb } = twoHosts();
    const rec = new Recorder();
    const l = cb.socket('tcp');
    cb.bind(l, 0, 80);
    cb.listen(l, 4);
    cb.setReadyListener(l, rec);
    const c = ca.socket('tcp');
    const crec = new Recorder();
    ca.setReadyListener(c, crec);
    ca.connect(c, B, 80);
    expect(crec.events).toEqual([]); // never from inside the call
    net.runFor('20ms');
    expect(crec.of(c)[0]).toBe(POLLOUT);
    expect(rec.of(l)).toContain(POLLIN); // acceptable
    const s = cb.accept(l);
    ca.send(c, bytes('ping'));
    net.runFor('10ms');
    cb.setReadyListener(s, rec);
    cb.send(s, bytes('pong'));
    net.runFor('10ms');
    expect(crec.of(c)).toContain(POLLIN);
    expect(crec.of(c).indexOf(POLLOUT)).toBeLessThan(crec.of(c).indexOf(POLLIN));
  });

  it('readiness_function_listener_gets_fd_and_events', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const seen: [number, number][] = [];
    cb.setReadyListener(sfd, (fd, ev) => seen.push([fd, ev]));
    ca.send(cfd, bytes('x'));
    net.runFor('10ms');
    expect(seen).toContainEqual([sfd, POLLIN]);
    expect(() => cb.setReadyListener(sfd, 5 as unknown as null)).toThrow(TypeError);
  });

  it('readiness_rdhup_on_fin_then_hup_when_both_sides_closed', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const rec = new Recorder();
    cb.setReadyListener(sfd, rec);
    ca.shutdown(cfd, SHUT_WR);
    net.runFor('10ms');
    expect(rec.of(sfd)).toContain(POLLIN | POLLRDHUP);
    expect(rec.of(sfd).some((e) => (e & POLLHUP) !== 0)).toBe(false);
    cb.shutdown(sfd, SHUT_WR);
    net.runFor('10ms');
    expect(rec.of(sfd).some((e) => (e & POLLHUP) !== 0)).toBe(true);
    expect(cb.poll(sfd) & POLLHUP).toBe(POLLHUP);
  });

  it('readiness_error_on_rst', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const rec = new Recorder();
    ca.setReadyListener(cfd, rec);
    cb.abort(sfd);
    net.runFor('10ms');
    const evs = rec.of(cfd);
    const err = evs.findIndex((e) => (e & POLLERR) !== 0);
    expect(err).toBeGreaterThanOrEqual(0);
    // Error comes before the final hang-up.
    const hup = evs.findIndex((e) => (e & POLLHUP) !== 0);
    expect(hup === -1 || hup >= err).toBe(true);
  });

  it('readiness_stops_after_close', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    const rec = new Recorder();
    ca.setReadyListener(cfd, rec);
    ca.close(cfd);
    cb.send(sfd, bytes('x'));
    net.runFor('100ms');
    expect(rec.events).toEqual([]);
  });
});

describe('poll', () => {
  it('poll_bitmasks_follow_the_connection_lifecycle', () => {
    const { net, ca, cb } = twoHosts();
    const l = cb.socket('tcp');
    cb.bind(l, 0, 80);
    cb.listen(l, 4);
    expect(cb.poll(l)).toBe(0);
    const c = ca.socket('tcp');
    expect(ca.poll(c)).toBe(0);
    ca.connect(c, B, 80);
    expect(ca.poll(c)).toBe(0); // SYN-SENT: not writable yet
    net.runFor('20ms');
    expect(cb.poll(l)).toBe(POLLIN);
    expect(ca.poll(c)).toBe(POLLOUT);
    const s = cb.accept(l);
    expect(cb.poll(l)).toBe(0);
    cb.send(s, bytes('data'));
    net.runFor('10ms');
    expect(ca.poll(c)).toBe(POLLIN | POLLOUT);
    ca.recv(c, new Uint8Array(8));
    cb.shutdown(s, SHUT_WR);
    net.runFor('10ms');
    expect(ca.poll(c)).toBe(POLLIN | POLLOUT | POLLRDHUP);
    ca.shutdown(c, SHUT_WR);
    net.runFor('10ms');
    expect(ca.poll(c) & (POLLIN | POLLHUP | POLLRDHUP)).toBe(POLLIN | POLLHUP | POLLRDHUP);
  });

  it('poll_reports_POLLERR_and_POLLHUP_after_reset', () => {
    const { net, ca, cb, cfd, sfd } = connectedPair();
    cb.abort(sfd);
    net.runFor('10ms');
    expect(ca.poll(cfd)).toBe(POLLERR | POLLHUP | POLLIN | POLLOUT | POLLRDHUP);
  });

  it('poll_drops_POLLOUT_when_send_buffer_full', () => {
    const { ca, cfd } = connectedPair();
    expect(ca.setsockopt(cfd, 'SOL_SOCKET', 'SO_SNDBUF', 4096)).toBe(0);
    const big = new Uint8Array(64 * 1024);
    let total = 0;
    for (let i = 0; i < 100; i++) {
      const n = ca.send(cfd, big);
      if (n === Errno.EAGAIN) break;
      expect(n).toBeGreaterThan(0);
      total += n;
    }
    expect(total).toBeGreaterThan(0);
    expect(ca.send(cfd, big)).toBe(Errno.EAGAIN);
    expect(ca.poll(cfd) & POLLOUT).toBe(0);
  });
});
