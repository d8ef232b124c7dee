// SocketCore over UDP between two simulated hosts, in virtual time.
import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/socket/errno.js';
import { MSG_PEEK, MSG_TRUNC, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, SHUT_RDWR, SHUT_WR, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET } from '../../src/socket/options.js';
import type { SockAddr } from '../../src/socket/socket-table.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { A, B, Recorder, twoHosts } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array, n: number): string => new TextDecoder().decode(b.subarray(0, n));

describe('UDP', () => {
  it('udp_sendto_recvfrom_delivers_datagram_with_sender_address', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    expect(cb.bind(r, 0, 5000)).toBe(0);
    const s = ca.socket('udp');
    expect(ca.bind(s, A, 6000)).toBe(0);
    expect(ca.sendto(s, bytes('hello'), 0, 5, 0, B, 5000)).toBe(5);
    const buf = new Uint8Array(64);
    expect(cb.recvfrom(r, buf)).toBe(Errno.EAGAIN);
    net.runFor('10ms');
    const from: SockAddr = { addr: 0, port: 0 };
    const n = cb.recvfrom(r, buf, 0, 64, 0, from);
    expect(text(buf, n)).toBe('hello');
    expect(from).toEqual({ addr: parseIpv4(A), port: 6000 });
    expect(cb.recvfrom(r, buf)).toBe(Errno.EAGAIN);
  });

  it('udp_sendto_binds_an_ephemeral_port_implicitly', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, B, 5000);
    const s = ca.socket('udp');
    expect(ca.sendto(s, bytes('x'), 0, 1, 0, B, 5000)).toBe(1);
    const me: SockAddr = { addr: 0, port: 0 };
    ca.getsockname(s, me);
    expect(me.port).toBeGreaterThan(0);
    net.runFor('10ms');
    const from: SockAddr = { addr: 0, port: 0 };
    expect(cb.recvfrom(r, new Uint8Array(4), 0, 4, 0, from)).toBe(1);
    expect(from.port).toBe(me.port);
  });

  it('udp_datagram_boundaries_are_kept_and_short_buffers_truncate', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, 0, 5000);
    const s = ca.socket('udp');
    ca.sendto(s, bytes('first-datagram'), 0, 14, 0, B, 5000);
    ca.sendto(s, bytes('second'), 0, 6, 0, B, 5000);
    ca.sendto(s, bytes('third'), 0, 5, 0, B, 5000);
    net.runFor('10ms');
    const buf = new Uint8Array(5);
    // MSG_PEEK leaves it queued; a short read truncates and discards the rest (Linux udp_recvmsg).
    expect(cb.recv(r, buf, 0, 5, MSG_PEEK)).toBe(5);
    expect(cb.recv(r, buf)).toBe(5);
    expect(text(buf, 5)).toBe('first');
    expect(cb.recv(r, buf, 0, 3, MSG_TRUNC)).toBe(6);
    expect(text(buf, 3)).toBe('sec');
    expect(cb.recv(r, buf)).toBe(5);
    expect(text(buf, 5)).toBe('third');
  });

  it('udp_connect_fixes_the_peer_for_send_and_recv', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, 0, 5000);
    const s = ca.socket('udp');
    expect(ca.send(s, bytes('x'))).toBe(Errno.EDESTADDRREQ);
    expect(ca.getpeername(s, { addr: 0, port: 0 })).toBe(Errno.ENOTCONN);
    expect(ca.connect(s, B, 5000)).toBe(0);
    const peer: SockAddr = { addr: 0, port: 0 };
    expect(ca.getpeername(s, peer)).toBe(0);
    expect(peer).toEqual({ addr: parseIpv4(B), port: 5000 });
    expect(ca.send(s, bytes('via-connect'))).toBe(11);
    net.runFor('10ms');
    const buf = new Uint8Array(32);
    expect(text(buf, cb.recv(r, buf))).toBe('via-connect');
    // connect(0.0.0.0:0) dissolves the association (AF_UNSPEC).
    expect(ca.connect(s, 0, 0)).toBe(0);
    expect(ca.send(s, bytes('x'))).toBe(Errno.EDESTADDRREQ);
  });

  it('udp_bind_errors_EADDRINUSE_EADDRNOTAVAIL_EINVAL', () => {
    const { ca } = twoHosts();
    const s1 = ca.socket('udp');
    expect(ca.bind(s1, 0, 5000)).toBe(0);
    const s2 = ca.socket('udp');
    expect(ca.bind(s2, 0, 5000)).toBe(Errno.EADDRINUSE);
    expect(ca.bind(s2, B, 5001)).toBe(Errno.EADDRNOTAVAIL);
    expect(ca.bind(s2, A, 5001)).toBe(0);
    expect(ca.bind(s2, A, 5002)).toBe(Errno.EINVAL);
    // The port is released by close.
    expect(ca.close(s1)).toBe(0);
    expect(ca.bind(ca.socket('udp'), 0, 5000)).toBe(0);
  });

  it('udp_send_errors_EMSGSIZE_EINVAL_and_EPIPE_after_shutdown', () => {
    const { ca } = twoHosts();
    const s = ca.socket('udp');
    expect(ca.sendto(s, new Uint8Array(70000), 0, 70000, 0, B, 5000)).toBe(Errno.EMSGSIZE);
    expect(ca.sendto(s, bytes('x'), 0, 1, 0, B, 0)).toBe(Errno.EINVAL);
    ca.connect(s, B, 5000);
    expect(ca.shutdown(s, SHUT_WR)).toBe(0);
    expect(ca.send(s, bytes('x'))).toBe(Errno.EPIPE);
  });

  it('udp_readiness_readable_on_datagram_and_error_on_icmp_port_unreachable', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, 0, 5000);
    const rec = new Recorder();
    cb.setReadyListener(r, rec);
    const s = ca.socket('udp');
    const srec = new Recorder();
    ca.setReadyListener(s, srec);
    ca.connect(s, B, 5000);
    ca.send(s, bytes('x'));
    net.runFor('10ms');
    expect(rec.of(r)).toEqual([POLLIN]);
    expect(cb.poll(r)).toBe(POLLIN | POLLOUT);
    // A connected socket learns of ICMP port unreachable (RFC 1122 §4.1.3.3).
    ca.connect(s, B, 5999);
    ca.send(s, bytes('y'));
    net.runFor('10ms');
    expect(srec.of(s)).toEqual([POLLERR]);
    expect(ca.poll(s)).toBe(POLLOUT | POLLERR);
    expect(ca.recv(s, new Uint8Array(4))).toBe(Errno.ECONNREFUSED);
    expect(ca.poll(s)).toBe(POLLOUT);
    ca.send(s, bytes('z'));
    net.runFor('10ms');
    expect(ca.getsockopt(s, 'SOL_SOCKET', 'SO_ERROR')).toBe(111);
    expect(ca.getsockopt(s, 'SOL_SOCKET', 'SO_ERROR')).toBe(0);
  });

  it('udp_shutdown_rdwr_polls_hup_and_recv_eof', () => {
    const { net, ca } = twoHosts();
    const s = ca.socket('udp');
    const rec = new Recorder();
    ca.setReadyListener(s, rec);
    expect(ca.shutdown(s, SHUT_RDWR)).toBe(Errno.ENOTCONN); // unconnected, as Linux
    ca.connect(s, B, 5000);
    expect(ca.shutdown(s, SHUT_RDWR)).toBe(0);
    expect(rec.events).toEqual([]);
    net.runFor('1ms');
    expect(rec.of(s)[0]! & POLLIN).toBe(POLLIN);
    expect(ca.poll(s)).toBe(POLLIN | POLLRDHUP | POLLHUP);
    expect(ca.recv(s, new Uint8Array(4))).toBe(0);
  });

  it('udp_receive_queue_is_bounded_by_so_rcvbuf', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, 0, 5000);
    // 3 datagrams of 1000 bytes + 256 overhead fit in 4096; the 4th does not.
    expect(cb.setsockopt(r, 'SOL_SOCKET', 'SO_RCVBUF', 4096)).toBe(0);
    const s = ca.socket('udp');
    for (let i = 0; i < 5; i++) ca.sendto(s, new Uint8Array(1000), 0, 1000, 0, B, 5000);
    net.runFor('10ms');
    let n = 0;
    while (cb.recv(r, new Uint8Array(2000)) === 1000) n++;
    expect(n).toBe(3);
    expect((cb.get(r) as import('../../src/socket/udp-socket.js').UdpCoreSocket).rcvbufDrops).toBe(2);
  });

  it('udp_sockopt_round_trips', () => {
    const { ca } = twoHosts();
    const s = ca.socket('udp');
    for (const [name, v] of [
      ['SO_REUSEADDR', 1],
      ['SO_KEEPALIVE', 1],
      ['SO_BROADCAST', 1],
    ] as const) {
      expect(ca.setsockopt(s, 'SOL_SOCKET', name, v)).toBe(0);
      expect(ca.getsockopt(s, 'SOL_SOCKET', name)).toBe(v);
    }
    expect(ca.setsockopt(s, SOL_SOCKET, SO_RCVBUF, 9000)).toBe(0);
    expect(ca.getsockopt(s, SOL_SOCKET, SO_RCVBUF)).toBe(9000);
    expect(ca.setsockopt(s, SOL_SOCKET, SO_SNDBUF, 10000)).toBe(0);
    expect(ca.getsockopt(s, SOL_SOCKET, SO_SNDBUF)).toBe(10000);
    expect(ca.setsockopt(s, 'SOL_SOCKET', 'SO_LINGER', { onoff: 1, linger: 3 })).toBe(0);
    expect(ca.getsockopt(s, 'SOL_SOCKET', 'SO_LINGER')).toEqual({ onoff: 1, linger: 3 });
  });

  it('udp_closed_descriptor_is_EBADF_and_stops_delivery', () => {
    const { net, ca, cb } = twoHosts();
    const r = cb.socket('udp');
    cb.bind(r, 0, 5000);
    const rec = new Recorder();
    cb.setReadyListener(r, rec);
    expect(cb.close(r)).toBe(0);
    const s = ca.socket('udp');
    ca.sendto(s, bytes('x'), 0, 1, 0, B, 5000);
    net.runFor('10ms');
    expect(rec.events).toEqual([]);
    expect(cb.recv(r, new Uint8Array(4))).toBe(Errno.EBADF);
    expect(cb.sendto(r, bytes('x'), 0, 1, 0, A, 1)).toBe(Errno.EBADF);
  });
});
