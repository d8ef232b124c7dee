// The TCP hook end to end: src/tcp's TcpLayer registered on two Stacks with
// registerProtocol(6, …), talking across a router host — the Ipv4Output /
// TransportProtocol contract exercised by its real user.
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../src/tcp/endpoint.js';
import { TcpLayer } from '../../src/tcp/tcp-layer.js';
import type { Stack } from '../../src/stack.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { MS, pattern, routed, S } from './harness.js';

function tcpOn(s: Stack): TcpLayer {
  // Every Stack registers its own TcpLayer as protocol 6; replace it with a
  // fresh one to exercise registerProtocol with the real TCP as its user.
  s.ip.registerProtocol(6, null);
  const t = new TcpLayer({ clock: s.clock, ip: s.ip, pool: s.pool, acct: s.acct });
  s.ip.registerProtocol(6, t);
  return t;
}

describe('TCP over the IPv4 stack', () => {
  it('a_bulk_transfer_across_a_router_with_loss_and_offload_arrives_byte_exact', () => {
    const { net, a, b, h1, h2 } = routed({ seed: 3, link2: { loss: '2%', txChecksumOffload: true, rxChecksum: 'complete' } });
    const ta = tcpOn(a);
    const tb = tcpOn(b);
    const listener = tb.createEndpoint();
    expect(listener.bind(0, 80)).toBe(0);
    expect(listener.listen(8)).toBe(0);
    const client = ta.createEndpoint();
    client.connect(parseIpv4('10.0.2.2'), 80);
    net.runFor(100 * MS);
    expect(client.state).toBe('ESTABLISHED');
    const server = listener.accept() as Endpoint;
    expect(typeof server).toBe('object');

    const data = pattern(300_000, 1);
    const got = new Uint8Array(data.length);
    let sent = 0;
    let received = 0;
    const buf = new Uint8Array(65536);
    for (let i = 0; i < 4000 && received < data.length; i++) {
      if (sent < data.length) {
        const n = client.send(data, sent, data.length - sent);
        if (n > 0) sent += n;
      }
      net.runFor(5 * MS);
      for (;;) {
        const n = server.recv(buf, 0, buf.length);
        if (n <= 0) break;
        got.set(buf.subarray(0, n), received);
        received += n;
      }
    }
    expect(received).toBe(data.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
    expect(ta.mib.RetransSegs).toBeGreaterThan(0); // the loss was real
    expect(tb.mib.InCsumErrors).toBe(0);
    expect(a.counters.ip.FragCreates).toBe(0); // DF segments sized to the MTU
    client.close();
    server.close();
    listener.close();
    net.runFor(200 * S);
    expect([h1.pool.stats.inUse, h2.pool.stats.inUse]).toEqual([0, 0]);
  });
});
