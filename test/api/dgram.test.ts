// stack.dgram on simulated hosts in virtual time: Node's dgram API shapes
// (argument forms, events, options) over UDP between two zerostack stacks.
import { describe, expect, it } from 'vitest';
import { Socket as SocketBase, type Socket } from '../../src/api/dgram/index.js';
import { MS, routed, twoHosts } from '../ip/harness.js';

type Rinfo = { address: string; family: string; port: number; size: number };

function messages(s: Socket): { text: string; rinfo: Rinfo }[] {
  const out: { text: string; rinfo: Rinfo }[] = [];
  s.on('message', (m: Buffer, rinfo: Rinfo) => out.push({ text: m.toString(), rinfo }));
  return out;
}

function events(s: Socket, log: string[], tag: string): void {
  for (const ev of ['listening', 'connect', 'close']) s.on(ev, () => log.push(`${tag}:${ev}`));
  s.on('error', (e: Error & { code: string }) => log.push(`${tag}:error:${e.code}`));
}

describe('stack.dgram (node:dgram over zerostack UDP, virtual time)', () => {
  it('createSocket_rejects_udp6_and_unknown_options_naming_them', () => {
    const { a } = twoHosts();
    expect(() => a.dgram.createSocket('udp6' as 'udp4')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_TYPE', message: expect.stringMatching(/only udp4.*udp6 is not available/) }));
    expect(() => a.dgram.createSocket({ type: 'udp4', bogus: 1 } as never)).toThrow(/unknown option "bogus"/);
    expect(() => a.dgram.createSocket({ type: 'udp4', recvBufferSize: -5 })).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_BUFFER_SIZE' }));
    expect(() => a.dgram.createSocket({ type: 'udp4', lookup: 'x' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(a.dgram.createSocket('udp4')).toBeInstanceOf(a.dgram.Socket);
    // `new dgram.Socket(type)` works as in Node, and such a socket belongs to this stack.
    const direct = new a.dgram.Socket('udp4');
    direct.bind(0);
    expect(direct.address().address).toBe('0.0.0.0');
    expect(a.udp.boundSockets).toBe(1);
    expect(direct).toBeInstanceOf(SocketBase);
  });

  it('echo_between_two_hosts_delivers_rinfo_and_implicit_bind_precedes_send_callback', () => {
    const { net, a, b } = twoHosts();
    const log: string[] = [];
    const server = b.dgram.createSocket('udp4');
    events(server, log, 'server');
    server.on('message', (m: Buffer, r: Rinfo) => server.send(m, r.port, r.address));
    server.bind({ port: 7, address: '10.0.0.2' });
    const client = a.dgram.createSocket('udp4');
    events(client, log, 'client');
    const got = messages(client);
    client.send('hello', 7, '10.0.0.2', (err, n) => log.push(`client:sent:${String(err)}:${n}`));
    net.runFor(20 * MS);
    expect(log).toEqual(['server:listening', 'client:listening', 'client:sent:null:5']);
    expect(got).toEqual([{ text: 'hello', rinfo: { address: '10.0.0.2', family: 'IPv4', port: 7, size: 5 } }]);
    expect(server.address()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 7 });
    const cport = client.address().port;
    expect(cport).toBeGreaterThanOrEqual(32768);
  });

  it('send_argument_forms_offset_length_arrays_typed_arrays_and_connected', () => {
    const { net, a, b } = twoHosts();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(9000);
    net.runFor(1 * MS);
    const c = a.dgram.createSocket('udp4');
    c.send(Buffer.from('xxabcxx'), 2, 3, 9000, '10.0.0.2');
    c.send(['ar', Buffer.from('ray'), new Uint8Array([33])], 9000, '10.0.0.2');
    c.send(new DataView(new Uint8Array([104, 105]).buffer), 9000, '10.0.0.2');
    c.send('string-offset', 0, 6, 9000, '10.0.0.2');
    net.runFor(5 * MS);
    const conn = a.dgram.createSocket('udp4');
    const connected: string[] = [];
    conn.connect(9000, '10.0.0.2', () => connected.push('connect'));
    net.runFor(1 * MS);
    expect(connected).toEqual(['connect']);
    expect(conn.remoteAddress()).toEqual({ address: '10.0.0.2', family: 'IPv4', port: 9000 });
    // Linux fixes the source address of a wildcard socket at connect().
    expect(conn.address().address).toBe('10.0.0.1');
    const sent: unknown[] = [];
    conn.send('whole', (e, n) => sent.push([e, n]));
    conn.send(Buffer.from('..sub..'), 2, 3, (e: Error | null, n?: number) => sent.push([e, n]));
    conn.send([]); // an empty list is an empty datagram
    net.runFor(5 * MS);
    expect(sent).toEqual([
      [null, 5],
      [null, 3],
    ]);
    conn.disconnect();
    expect(() => conn.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    conn.send('after', 9000, '10.0.0.2');
    net.runFor(5 * MS);
    expect(got.map((g) => g.text)).toEqual(['abc', 'array!', 'hi', 'string', 'whole', 'sub', '', 'after']);
  });

  it('broadcast_needs_setBroadcast_else_send_fails_eacces', () => {
    const { net, a, b } = twoHosts();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(5353);
    const c = a.dgram.createSocket('udp4');
    const results: unknown[] = [];
    c.bind(0, () => {
      c.send('no', 5353, '10.0.0.255', (e) => results.push((e as { code?: string } | null)?.code ?? null));
      c.setBroadcast(true);
      c.send('yes', 5353, '10.0.0.255', (e) => results.push((e as { code?: string } | null)?.code ?? null));
    });
    net.runFor(5 * MS);
    expect(results).toEqual(['EACCES', null]);
    expect(got.map((g) => g.text)).toEqual(['yes']);
  });

  it('setTTL_limits_hops_a_ttl_1_datagram_dies_at_the_router_and_the_connected_sender_hears_ehostunreach', () => {
    const { net, a, b } = routed();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(4000);
    const c = a.dgram.createSocket('udp4');
    const errors: string[] = [];
    c.on('error', (e: Error & { code: string; syscall: string }) => errors.push(`${e.syscall} ${e.code}`));
    c.connect(4000, '10.0.2.2', () => {
      expect(c.setTTL(1)).toBe(1);
      c.send('dies');
    });
    net.runFor(10 * MS);
    expect(got).toEqual([]);
    expect(errors).toEqual(['recvmsg EHOSTUNREACH']);
    c.setTTL(64);
    c.send('lives');
    net.runFor(10 * MS);
    expect(got.map((g) => g.text)).toEqual(['lives']);
  });

  it('names_resolve_through_the_lookup_option_else_fail_getaddrinfo_enotfound', () => {
    const { net, a, b } = twoHosts();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(6000);
    const asked: string[] = [];
    const c = a.dgram.createSocket({
      type: 'udp4',
      lookup: (host, family, cb) => {
        asked.push(`${host}/${family}`);
        if (host === 'server.test') cb(null, '10.0.0.2', 4);
        else cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), '');
      },
    });
    const results: unknown[] = [];
    c.send('by-name', 6000, 'server.test', (e, n) => results.push([e, n]));
    c.send('nobody', 6000, 'nowhere.test', (e) => results.push((e as { code?: string }).code));
    const plain = a.dgram.createSocket('udp4');
    const errs: unknown[] = [];
    plain.on('error', (e: Error & { code: string; hostname: string; syscall: string }) => errs.push([e.code, e.syscall, e.hostname]));
    plain.bind(0, 'some.name');
    net.runFor(5 * MS);
    expect(asked).toEqual(['server.test/4', 'nowhere.test/4']);
    expect(results).toHaveLength(2);
    expect(results).toContainEqual([null, 7]);
    expect(results).toContainEqual('ENOTFOUND');
    expect(got.map((g) => g.text)).toEqual(['by-name']);
    expect(errs).toEqual([['ENOTFOUND', 'getaddrinfo', 'some.name']]);
  });

  it('connect_without_a_route_fails_enetunreach_through_the_callback_and_the_socket_stays_unconnected', () => {
    const { net, a } = twoHosts();
    const c = a.dgram.createSocket('udp4');
    const got: unknown[] = [];
    c.connect(53, '192.168.77.1', (err?: Error) => got.push(err && [(err as Error & { code: string }).code, err.message]));
    net.runFor(1 * MS);
    expect(got).toEqual([['ENETUNREACH', 'connect ENETUNREACH 192.168.77.1:53']]);
    expect(() => c.remoteAddress()).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' }));
    // Without a callback the failure is an 'error' event.
    const errs: string[] = [];
    c.on('error', (e: Error & { code: string }) => errs.push(e.code));
    c.connect(53, '192.168.77.1');
    net.runFor(1 * MS);
    expect(errs).toEqual(['ENETUNREACH']);
  });

  it('small_receive_buffer_drops_datagrams_and_counts_rcvbuf_errors', () => {
    const { net, b } = twoHosts();
    const server = b.dgram.createSocket('udp4');
    const got = messages(server);
    server.bind(7000, () => server.setRecvBufferSize(1)); // Linux floor: 2304 bytes
    net.runFor(1 * MS);
    expect(server.getRecvBufferSize()).toBe(2304);
    // Ten datagrams over the stack's loopback reach the queue before the application reads any.
    const c = b.dgram.createSocket('udp4');
    for (let i = 0; i < 10; i++) c.send(Buffer.alloc(1000, i), 7000, '127.0.0.1');
    net.runFor(5 * MS);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(10);
    expect(b.counters.udp.RcvbufErrors).toBe(10 - got.length);
  });

  it('close_callback_abort_signal_and_stack_close_each_end_in_one_close_event', () => {
    const { net, a } = twoHosts();
    const log: string[] = [];
    const s1 = a.dgram.createSocket('udp4');
    events(s1, log, 's1');
    s1.bind(0);
    s1.close(() => log.push('s1:cb'));
    const ac = new AbortController();
    const s2 = a.dgram.createSocket({ type: 'udp4', signal: ac.signal });
    events(s2, log, 's2');
    s2.bind(0);
    const s3 = a.dgram.createSocket('udp4');
    events(s3, log, 's3');
    s3.bind(0);
    net.runFor(1 * MS);
    ac.abort();
    net.runFor(1 * MS);
    a.close();
    net.runFor(1 * MS);
    expect(log).toEqual(['s1:close', 's1:cb', 's2:listening', 's3:listening', 's2:close', 's3:close']);
    expect(() => s3.send('x', 1, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    expect(a.udp.boundSockets).toBe(0);
  });

  it('async_dispose_closes_an_open_socket_once', async () => {
    const { net, a } = twoHosts();
    const s = a.dgram.createSocket('udp4');
    const closes: string[] = [];
    s.on('close', () => closes.push('close'));
    s.bind(0);
    net.runFor(1 * MS);
    const disposed = s[Symbol.asyncDispose]();
    net.runFor(1 * MS);
    await disposed;
    await s[Symbol.asyncDispose](); // already closed: nothing happens
    expect(closes).toEqual(['close']);
    expect(a.udp.boundSockets).toBe(0);
  });

  it('ref_unref_chain_and_multicast_is_reported_not_implemented', () => {
    const { a } = twoHosts();
    const s = a.dgram.createSocket('udp4');
    expect(s.unref()).toBe(s);
    expect(s.hasRef()).toBe(false);
    expect(s.ref().hasRef()).toBe(true);
    expect(() => s.addMembership()).toThrow(expect.objectContaining({ code: 'ERR_METHOD_NOT_IMPLEMENTED', message: expect.stringContaining('addMembership') }));
    expect(s.getSendQueueSize()).toBe(0);
    expect(s.getSendQueueCount()).toBe(0);
  });

  it('bind_validates_the_port_where_node_would_silently_truncate_it', () => {
    const { a } = twoHosts();
    const s = a.dgram.createSocket('udp4');
    expect(() => s.bind(70000)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT', message: 'Port should be >= 0 and < 65536. Received type number (70000).' }));
    expect(() => s.bind(-1)).toThrow(RangeError);
    // The failed call left the socket unbound.
    s.bind(0);
    expect(() => s.bind(0)).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_ALREADY_BOUND' }));
  });

  it('datagrams_larger_than_the_mtu_are_fragmented_by_ip_and_arrive_whole_up_to_65507_bytes', () => {
    const { net, a, b } = twoHosts();
    const server = b.dgram.createSocket('udp4');
    const got: Buffer[] = [];
    server.on('message', (m: Buffer) => got.push(m));
    server.bind(8000);
    const c = a.dgram.createSocket('udp4');
    // Resolve ARP first: 69 fragments sent at once would overflow the 64-packet queue of an unresolved neighbour.
    c.send('prime', 8000, '10.0.0.2');
    net.runFor(10 * MS);
    got.length = 0;
    const sizes = [1472, 1473, 30000, 65507];
    const bodies = sizes.map((n, k) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + k) & 0xff)));
    const results: unknown[] = [];
    for (const body of bodies) c.send(body, 8000, '10.0.0.2', (e, n) => results.push([e, n]));
    c.send(Buffer.alloc(65508), 8000, '10.0.0.2', (e) => results.push((e as Error & { code: string }).message));
    net.runFor(50 * MS);
    expect(results).toEqual([[null, 1472], [null, 1473], [null, 30000], [null, 65507], 'send EMSGSIZE 10.0.0.2:8000']);
    expect(got.map((m) => m.length)).toEqual(sizes);
    got.forEach((m, i) => expect(m.equals(bodies[i]!)).toBe(true));
    expect(b.counters.ip.ReasmOKs).toBe(3); // 1472 bytes fit one 1500-byte packet; the other three were reassembled
  });
});
