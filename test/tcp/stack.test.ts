/**
 * TCP over the real IPv4 layer (src/stack.ts) on simulated links (src/sim):
 * the TransportProtocol / Ipv4Output contract end to end — handshake through
 * ARP, bulk data through a rate-limited lossy, corrupting link, checksum
 * offload on and off, MSS from the interface MTU, and RST for a closed port.
 */
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { parseIpv4 } from '../../src/wire/address.js';
import type { Endpoint, EndpointObserver } from '../../src/tcp/endpoint.js';
import type { LinkOptions } from '../../src/sim/network.js';
import { TcpErrno } from '../../src/tcp/tcb.js';
import { pattern, sec } from './harness.js';

const noop: EndpointObserver = { onReadable() {}, onWritable() {}, onError() {}, onHup() {}, onConnect() {}, onAcceptable() {} };

function twoHosts(link: LinkOptions, mtuB?: number) {
  const net = new Network({ seed: 'tcp-stack', pool: { memoryBytes: 16 * 1024 * 1024, debug: true } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2', mtuB !== undefined ? { mtu: mtuB } : {});
  net.link(h1, h2, link);
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
  const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
  const ta = a.tcp;
  const tb = b.tcp;
  return { net, a, b, ta, tb, h1, h2 };
}

function transfer(link: LinkOptions, size: number) {
  const env = twoHosts(link);
  const data = pattern(size, 9);
  const got = new Uint8Array(size);
  let n = 0;
  let eof = false;
  const l = env.tb.createEndpoint();
  expect(l.bind(0, 5001)).toBe(0);
  expect(l.listen(4)).toBe(0);
  let server: Endpoint | null = null;
  l.observer = {
    ...noop,
    onAcceptable(le) {
      const ep = le.accept() as Endpoint;
      server = ep;
      const rd = (e: Endpoint) => {
        for (;;) {
          const k = e.recv(got, n, Math.min(65536, size - n));
          if (k > 0) n += k;
          else {
            if (k === 0) eof = true;
            break;
          }
          if (n === size) {
            if (e.recv(got, 0, 0) === 0 && e.eofReceived) eof = true;
            break;
          }
        }
      };
      ep.observer = { ...noop, onReadable: rd };
      rd(ep);
    },
  };
  const c = env.ta.createEndpoint();
  let off = 0;
  const pump = (e: Endpoint) => {
    while (off < size) {
      const k = e.send(data, off, Math.min(65536, size - off));
      if (k <= 0) return;
      off += k;
    }
    e.shutdown(1);
  };
  c.observer = { ...noop, onConnect: pump, onWritable: pump };
  expect(c.connect(parseIpv4('10.0.0.2'), 5001)).toBe(TcpErrno.EINPROGRESS);
  env.net.runUntil(sec(300));
  expect(server).not.toBeNull();
  expect(n).toBe(size);
  expect(eof || server!.eofReceived).toBe(true);
  expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
  return env;
}

describe('TCP over the IPv4 stack and simulated links', () => {
  it('bulk_transfer_over_a_clean_100mbit_link', () => {
    const env = transfer({ rate: '100Mbit', delay: '1ms' }, 2_000_000);
    expect(env.ta.mib.RetransSegs).toBe(0);
  });

  it('bulk_transfer_over_a_lossy_corrupting_reordering_link', () => {
    const env = transfer({ rate: '100Mbit', delay: '2ms', loss: '2%', corrupt: 0.005, reorder: { p: 0.02, delay: '1ms' } }, 500_000);
    expect(env.ta.mib.RetransSegs).toBeGreaterThan(0);
  });

  it('bulk_transfer_with_checksum_offload_and_a_small_queue', () => {
    transfer({ rate: '10Mbit', delay: '5ms', queue: '16KiB', txChecksumOffload: true, rxChecksum: 'unnecessary' }, 300_000);
  });

  it('connect_to_a_closed_port_is_refused', () => {
    const env = twoHosts({ delay: '1ms' });
    const c = env.ta.createEndpoint();
    let err = 0;
    c.observer = { ...noop, onError: (_e, e) => (err = e) };
    c.connect(parseIpv4('10.0.0.2'), 9);
    env.net.runUntil(sec(5));
    expect(err).toBe(TcpErrno.ECONNREFUSED);
    expect(env.tb.mib.OutRsts).toBe(1);
  });

  it('mss_follows_the_interface_mtu_end_to_end', () => {
    const net = new Network({ seed: 'pmtu', pool: { memoryBytes: 16 * 1024 * 1024, debug: true } });
    const h1 = net.addHost('h1', { mtu: 1000 });
    const h2 = net.addHost('h2', { mtu: 1000 });
    net.link(h1, h2, { delay: '1ms' });
    const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
    const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
    const ta = a.tcp;
    const tb = b.tcp;
    const l = tb.createEndpoint();
    l.bind(0, 80);
    l.listen(1);
    const c = ta.createEndpoint();
    c.connect(parseIpv4('10.0.0.2'), 80);
    net.runUntil(sec(1));
    expect(c.state).toBe('ESTABLISHED');
    expect(c.info().advMss).toBe(960);
    expect(c.info().sndMss).toBe(960 - 12);
  });
});
