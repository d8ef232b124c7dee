import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../../src/ip/udp-socket.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { MS, pattern, S, twoHosts } from './harness.js';

interface Received {
  msg: Buffer;
  rinfo: RemoteInfo;
}

function collect(sock: { on(ev: 'message', fn: (m: Buffer, r: RemoteInfo) => void): unknown }): Received[] {
  const out: Received[] = [];
  sock.on('message', (msg, rinfo) => out.push({ msg, rinfo }));
  return out;
}

function errors(sock: { on(ev: 'error', fn: (e: Error) => void): unknown }): Error[] {
  const out: Error[] = [];
  sock.on('error', (e) => out.push(e));
  return out;
}

describe('UDP sockets (RFC 768) with the dgram shape', () => {
  it('udp_datagram_is_delivered_with_rinfo_and_echoed_back', () => {
    const { net, a, b } = twoHosts();
    const server = b.createUdpSocket();
    server.bind(7);
    server.on('message', (msg: Buffer, rinfo: RemoteInfo) => server.send(msg, rinfo.port, rinfo.address));
    const client = a.createUdpSocket('udp4');
    const got = collect(client);
    const sent: Array<[Error | null, number]> = [];
    client.send('hello', 7, '10.0.0.2', (err, n) => sent.push([err, n]));
    net.runFor(20 * MS);
    expect(sent).toEqual([[null, 5]]);
    expect(got).toHaveLength(1);
    expect(got[0]!.msg.toString()).toBe('hello');
    expect(got[0]!.rinfo).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 7, size: 5 });
    // The client was bound implicitly to an ephemeral port (Linux ip_local_port_range).
    const port = client.address().port;
    expect(port).toBeGreaterThanOrEqual(32768);
    expect(port).toBeLessThanOrEqual(60999);
    expect(client.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port });
    expect(b.counters.udp.InDatagrams).toBe(1);
    expect(b.counters.udp.OutDatagrams).toBe(1);
  });

  it('send_accepts_node_argument_forms_offset_length_arrays_and_connected', () => {
    const { net, a, b } = twoHosts();
    const server = b.createUdpSocket();
    server.bind(9000, '10.0.0.2');
    const got = collect(server);
    const c = a.createUdpSocket();
    c.send(Buffer.from('xxabcxx'), 2, 3, 9000, '10.0.0.2');
    c.send([Buffer.from('ar'), 'ray', new Uint8Array([33])], 9000, '10.0.0.2');
    const c2 = a.createUdpSocket();
    let connected = false;
    c2.connect(9000, '10.0.0.2', () => (connected = true));
    net.runFor(5 * MS);
    expect(connected).toBe(true);
    expect(c2.remoteAddress()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 9000 });
    c2.send('conn');
    expect(() => c2.send('x', 0, 1, 9000, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_IS_CONNECTED' }));
    net.runFor(20 * MS);
    expect(got.map((g) => g.msg.toString())).toEqual(['abc', 'array!', 'conn']);
  });

  it('bind_to_a_port_in_use_emits_EADDRINUSE_shaped_like_node', () => {
    const { net, b } = twoHosts();
    const s1 = b.createUdpSocket();
    s1.bind(5000);
    const s2 = b.createUdpSocket();
    const errs = errors(s2);
    let listening = false;
    s2.on('listening', () => (listening = true));
    s2.bind(5000);
    net.runFor(1 * MS);
    expect(listening).toBe(false);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message).toBe('bind EADDRINUSE 0.0.0.0:5000');
    expect(errs[0]).toMatchObject({ code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: '0.0.0.0', port: 5000 });
    // A specific address and the wildcard conflict too; two different specific addresses would not.
    const s3 = b.createUdpSocket();
    const errs3 = errors(s3);
    s3.bind(5000, '10.0.0.2');
    const s4 = b.createUdpSocket();
    s4.bind(5001, '127.0.0.1');
    const s5 = b.createUdpSocket();
    const errs5 = errors(s5);
    s5.bind(5001, '10.0.0.2');
    net.runFor(1 * MS);
    expect(errs3[0]).toMatchObject({ code: 'EADDRINUSE' });
    expect(errs5).toEqual([]);
  });

  it('bind_to_an_address_not_ours_emits_EADDRNOTAVAIL', () => {
    const { net, b } = twoHosts();
    const s = b.createUdpSocket();
    const errs = errors(s);
    s.bind(6000, '10.9.9.9');
    net.runFor(1 * MS);
    expect(errs[0]!.message).toBe('bind EADDRNOTAVAIL 10.9.9.9:6000');
    expect(errs[0]).toMatchObject({ code: 'EADDRNOTAVAIL', errno: -99, syscall: 'bind' });
    expect(() => s.address()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'getsockname' }));
  });

  it('socket_calls_after_close_throw_ERR_SOCKET_DGRAM_NOT_RUNNING_and_close_is_emitted', () => {
    const { net, b } = twoHosts();
    const s = b.createUdpSocket();
    s.bind(7000);
    let closed = 0;
    s.on('close', () => closed++);
    s.close();
    net.runFor(1 * MS);
    expect(closed).toBe(1);
    expect(() => s.send('x', 7, '10.0.0.1')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    expect(() => s.close()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    // The port is free again.
    const s2 = b.createUdpSocket();
    const errs = errors(s2);
    s2.bind(7000);
    net.runFor(1 * MS);
    expect(errs).toEqual([]);
  });

  it('send_larger_than_65507_bytes_fails_with_EMSGSIZE', () => {
    const { net, a } = twoHosts();
    const s = a.createUdpSocket();
    const res: Array<Error | null> = [];
    s.send(new Uint8Array(65508), 9, '10.0.0.2', (e) => res.push(e));
    s.send(new Uint8Array(65507), 9, '10.0.0.2', (e) => res.push(e));
    net.runFor(1 * MS);
    expect(res[0]).toMatchObject({ code: 'EMSGSIZE', errno: -90, syscall: 'send', address: '10.0.0.2', port: 9 });
    expect(res[1]).toBeNull();
  });

  it('datagram_to_a_closed_port_gets_icmp_port_unreachable_and_a_connected_socket_sees_ECONNREFUSED', () => {
    const { net, a, b } = twoHosts();
    const conn = a.createUdpSocket();
    const errs = errors(conn);
    conn.connect(4444, '10.0.0.2');
    net.runFor(1 * MS);
    conn.send('anyone?');
    net.runFor(20 * MS);
    expect(b.counters.udp.NoPorts).toBe(1);
    expect(b.counters.icmp.OutDestUnreachs).toBe(1);
    expect(a.counters.icmp.InDestUnreachs).toBe(1);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'recvmsg', address: '10.0.0.2', port: 4444 });
    // RFC 1122 §4.1.3.3 vs Linux: an unconnected socket does not report it (counted instead).
    const unconn = a.createUdpSocket();
    const errs2 = errors(unconn);
    unconn.send('anyone?', 4444, '10.0.0.2');
    net.runFor(20 * MS);
    expect(errs2).toEqual([]);
    expect(a.counters.udp.IcmpErrorsIgnored).toBe(1);
    // ... unless it asked for errors (IP_RECVERR-like).
    const recverr = a.createUdpSocket({ recvErrors: true });
    const errs3 = errors(recverr);
    recverr.send('anyone?', 4444, '10.0.0.2');
    net.runFor(20 * MS);
    expect(errs3[0]).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('port_unreachable_is_not_sent_for_broadcast_datagrams_rfc1122', () => {
    const { net, a, b } = twoHosts();
    const s = a.createUdpSocket();
    const results: Array<Error | null> = [];
    s.send('no SO_BROADCAST', 4444, '255.255.255.255', (e) => results.push(e));
    net.runFor(1 * MS);
    expect(results[0]).toMatchObject({ code: 'EACCES', errno: -13, message: 'send EACCES 255.255.255.255:4444' });
    s.setBroadcast(true);
    s.send('hi all', 4444, '255.255.255.255');
    s.send('hi subnet', 4444, '10.0.0.255');
    net.runFor(20 * MS);
    expect(b.counters.udp.NoPorts).toBe(2);
    expect(b.counters.icmp.OutDestUnreachs).toBe(0);
    expect(b.counters.icmp.OutSuppressed).toBe(2);
  });

  it('udp_checksums_off_sends_zero_which_the_receiver_accepts_rfc768', () => {
    const { net, a, b } = twoHosts({ a: { udp: { checksums: false } } });
    const s = b.createUdpSocket();
    s.bind(7);
    const got = collect(s);
    const acct0 = (a.acct as CountingAccounting).bytesCopyChecksummed;
    a.createUdpSocket().send(Buffer.from(pattern(1200, 5)), 7, '10.0.0.2');
    net.runFor(10 * MS);
    expect(got).toHaveLength(1);
    expect(Buffer.compare(got[0]!.msg, Buffer.from(pattern(1200, 5)))).toBe(0);
    expect((a.acct as CountingAccounting).bytesCopyChecksummed).toBe(acct0);
    expect((a.acct as CountingAccounting).bytesCopied).toBeGreaterThanOrEqual(1200);
  });

  it('receive_buffer_limit_drops_datagrams_and_counts_RcvbufErrors', () => {
    // An unlimited-rate link delivers the four datagrams in one receive batch.
    const { net, a, b } = twoHosts({ link: { rate: 'unlimited' } });
    const server = b.createUdpSocket({ recvBufferSize: 4000 });
    server.bind(7);
    const got = collect(server);
    const c = a.createUdpSocket();
    // All four arrive within one event burst before the application drains the queue:
    // each charges 1000 + 256 bytes, so only three fit in 4000.
    for (let i = 0; i < 4; i++) c.send(new Uint8Array(1000).fill(i), 7, '10.0.0.2');
    net.runFor(20 * MS);
    expect(b.counters.udp.RcvbufErrors).toBe(1);
    expect(got.map((g) => g.msg[0])).toEqual([0, 1, 2]);
    expect(b.counters.udp.InErrors).toBe(b.counters.udp.RcvbufErrors);
  });

  it('udp_echo_of_8000_byte_datagrams_over_mtu_1500_with_5pct_loss_and_reordering_is_byte_exact', () => {
    const net = new Network({ seed: 42, pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    net.link(h1, h2, { delay: '2ms', rate: '100Mbit', loss: '5%', reorder: { p: '10%', delay: '1ms' }, mtu: 1500 });
    const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
    const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
    const server = b.createUdpSocket();
    server.bind(7);
    server.on('message', (msg: Buffer, rinfo: RemoteInfo) => server.send(msg, rinfo.port, rinfo.address));

    // Client: request i carries pattern(8000, i) with i in its first 4 bytes; retried every 100 ms, 10 tries.
    const N = 30;
    const SIZE = 8000;
    const expected = Array.from({ length: N }, (_, i) => {
      const p = pattern(SIZE, i + 1);
      new DataView(p.buffer).setUint32(0, i);
      return p;
    });
    const answered = new Map<number, Buffer>();
    const tries = new Array<number>(N).fill(0);
    let mismatches = 0;
    const client = a.createUdpSocket();
    client.on('message', (msg: Buffer) => {
      const i = msg.readUInt32BE(0);
      if (!Buffer.from(expected[i]!).equals(msg)) mismatches++;
      answered.set(i, msg);
    });
    const timer = net.clock.createTimer(() => {
      let pending = false;
      for (let i = 0; i < N; i++) {
        if (answered.has(i) || tries[i]! >= 10) continue;
        tries[i]!++;
        client.send(expected[i]!, 7, '10.0.0.2');
        pending = true;
      }
      if (pending) timer.armAfter(100 * MS);
    }, null);
    timer.arm(0);
    net.runFor(3 * S);

    expect(mismatches).toBe(0);
    expect(answered.size).toBeGreaterThan(N / 2);
    for (const [i, msg] of answered) expect(Buffer.compare(msg, Buffer.from(expected[i]!))).toBe(0);
    // Six fragments per datagram each way; losses made some reassemblies fail, which time out.
    expect(a.counters.ip.FragCreates % 6).toBe(0);
    expect(b.counters.ip.ReasmOKs).toBeGreaterThanOrEqual(answered.size);
    // Every reassembled datagram at the client is an echo reply (duplicates when a retry crossed a late reply).
    expect(a.counters.ip.ReasmOKs).toBe(a.counters.udp.InDatagrams);
    expect(a.counters.udp.InDatagrams).toBeGreaterThanOrEqual(answered.size);
    expect(b.counters.ip.ReasmReqds).toBeGreaterThan(b.counters.ip.ReasmOKs * 5);
    net.runFor(31 * S);
    expect(a.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
    expect(b.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
    expect(b.counters.ip.ReasmTimeout).toBeGreaterThan(0);
  });

  it('checksum_offload_modes_all_deliver_the_same_bytes_and_account_software_work_only', () => {
    const results: Record<string, { csum: number; copyCsum: number; got: string }> = {};
    for (const mode of ['none', 'unnecessary', 'complete'] as const) {
      const net = new Network({ seed: 3, pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
      const h1 = net.addHost('h1');
      const h2 = net.addHost('h2');
      net.link(h1, h2, { rxChecksum: mode, txChecksumOffload: mode !== 'none' });
      const acct = new CountingAccounting();
      const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
      const b = new Stack({ clock: net.clock, pool: h2.pool, acct, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
      const s = b.createUdpSocket();
      s.bind(7);
      const got = collect(s);
      const c = a.createUdpSocket();
      c.send(Buffer.from(pattern(1000, 9)), 7, '10.0.0.2');
      c.send(Buffer.from(pattern(3000, 10)), 7, '10.0.0.2'); // fragmented: reassembly supplies the sum
      net.runFor(20 * MS);
      expect(b.counters.udp.InCsumErrors).toBe(0);
      results[mode] = { csum: acct.bytesChecksummed, copyCsum: acct.bytesCopyChecksummed, got: got.map((g) => g.msg.toString('hex')).join() };
    }
    expect(results.none!.got).toBe(results.unnecessary!.got);
    expect(results.none!.got).toBe(results.complete!.got);
    expect(results.none!.got.length).toBe(8001); // 4000 bytes as hex, two messages
    // Without offload the 1000-byte datagram is verified in software; with it, only IPv4 headers are.
    expect(results.none!.csum).toBeGreaterThan(1000);
    expect(results.unnecessary!.csum).toBeLessThan(1000);
    expect(results.complete!.csum).toBeLessThan(1000);
  });
});
