import { describe, expect, it } from 'vitest';
import type { PacketRecorder } from '../../src/link/sim/wire.js';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { readU16, readU32, parseIpv4, formatMac } from '../../src/wire/address.js';
import { MS, runUntilSettled, S, twoHosts } from './harness.js';

interface Frame {
  t: number;
  bytes: Uint8Array;
}

function recorder(): PacketRecorder & { frames: Frame[] } {
  const frames: Frame[] = [];
  return {
    frames,
    writePacket(t, bytes, off, len) {
      frames.push({ t, bytes: bytes.slice(off, off + len) });
    },
  };
}

const isArp = (f: Frame): boolean => readU16(f.bytes, 12) === 0x0806;
const arpOp = (f: Frame): number => readU16(f.bytes, 14 + 6);
const arpSpa = (f: Frame): number => readU32(f.bytes, 14 + 14);
const arpTpa = (f: Frame): number => readU32(f.bytes, 14 + 24);

describe('ARP (RFC 826)', () => {
  it('arp_resolution_failure_after_retries_rejects_ping_with_EHOSTUNREACH', async () => {
    const { net, a } = twoHosts();
    const t0 = net.now();
    const r = await runUntilSettled(net, a.ping('10.0.0.99', { timeout: '10s' }));
    expect(r.error).toMatchObject({ code: 'EHOSTUNREACH', errno: -113, icmpType: 3, icmpCode: 1, address: '10.0.0.99' });
    expect(r.error!.message).toMatch(/ping EHOSTUNREACH 10\.0\.0\.99: destination unreachable/);
    // Three requests one second apart, failure one interval after the last (Linux mcast_solicit 3, retrans_time 1 s).
    expect(net.now() - t0).toBeGreaterThanOrEqual(3 * S);
    expect(net.now() - t0).toBeLessThan(3 * S + 2 * MS);
    expect(a.counters.arp.requestsSent).toBe(3);
    expect(a.counters.arp.resolutionFailures).toBe(1);
    expect(a.counters.drops.arpFailed).toBe(1);
    expect(a.arp.neighbours().filter((n) => n.address === '10.0.0.99')).toEqual([]);
  });

  it('arp_resolution_failure_surfaces_as_EHOSTUNREACH_on_a_connected_udp_socket', () => {
    const { net, a } = twoHosts();
    const s = a.createUdpSocket();
    const errs: Error[] = [];
    s.on('error', (e: Error) => errs.push(e));
    s.connect(53, '10.0.0.77');
    net.runFor(1 * MS);
    s.send('query 1');
    s.send('query 2');
    net.runFor(4 * S);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatchObject({ code: 'EHOSTUNREACH', errno: -113, syscall: 'recvmsg', address: '10.0.0.77', port: 53 });
    expect(errs[0]!.message).toBe('recvmsg EHOSTUNREACH 10.0.0.77:53');
    expect(a.counters.drops.arpFailed).toBe(2);
  });

  it('arp_queue_is_bounded_and_drops_the_oldest_packet', () => {
    const { net, a } = twoHosts({ a: { arp: { queueLimit: 2 } } });
    const s = a.createUdpSocket({ recvErrors: true });
    const errs: Error[] = [];
    s.on('error', (e: Error) => errs.push(e));
    for (let i = 0; i < 5; i++) s.send(`m${i}`, 9, '10.0.0.50');
    net.runFor(4 * S);
    expect(a.counters.drops.arpQueueFull).toBe(3);
    expect(a.counters.arp.queueDrops).toBe(3);
    expect(a.counters.drops.arpFailed).toBe(2);
    expect(errs).toHaveLength(2);
  });

  it('answers_requests_for_its_own_address_and_learns_the_requester', async () => {
    const { net, a, b } = twoHosts({ a: { arp: { gratuitous: false } }, b: { arp: { gratuitous: false } } });
    const r = await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(r.error).toBeUndefined();
    expect(a.counters.arp.requestsSent).toBe(1);
    expect(b.counters.arp.requestsReceived).toBe(1);
    expect(b.counters.arp.repliesSent).toBe(1);
    expect(a.counters.arp.repliesReceived).toBe(1);
    // RFC 826: the target adds the sender, so b needs no request of its own to answer.
    expect(b.counters.arp.requestsSent).toBe(0);
    expect(b.arp.lookup(parseIpv4('10.0.0.1'))).toBe('02:00:00:00:01:00');
    expect(a.arp.lookup(parseIpv4('10.0.0.2'))).toBe('02:00:00:00:02:00');
    // Without the gratuitous shortcut the first ping takes ARP (2 ms) + echo (2 ms).
    expect(r.value!.rttNs).toBeGreaterThanOrEqual(4 * MS);
  });

  it('arp_cache_entries_expire_and_are_resolved_again', async () => {
    const { net, a } = twoHosts({ a: { arp: { cacheTimeout: '5s', gratuitous: false } }, b: { arp: { gratuitous: false } } });
    await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(a.counters.arp.requestsSent).toBe(1);
    const n = a.arp.neighbours().find((x) => x.address === '10.0.0.2')!;
    expect(n.state).toBe('reachable');
    expect(n.expiresIn).toBeGreaterThan(4 * S);
    net.runFor(2 * S);
    await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(a.counters.arp.requestsSent).toBe(1); // still fresh
    net.runFor(5 * S);
    expect(a.arp.lookup(parseIpv4('10.0.0.2'))).toBeNull();
    const r = await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(r.error).toBeUndefined();
    expect(a.counters.arp.expirations).toBe(1);
    expect(a.counters.arp.requestsSent).toBe(2);
  });

  it('gratuitous_arp_is_sent_when_an_interface_gets_its_address_rfc5227', () => {
    const net = new Network({ seed: 1 });
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    const link = net.link(h1, h2);
    const rec = recorder();
    net.capture(link, rec, 'departure');
    const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1' });
    a.addInterface(h1.ports[0]!, { address: '10.0.0.1/24' });
    net.runFor(1 * MS);
    const arps = rec.frames.filter(isArp);
    expect(arps).toHaveLength(1);
    const f = arps[0]!;
    expect(formatMac(f.bytes, 0)).toBe('ff:ff:ff:ff:ff:ff');
    expect(arpOp(f)).toBe(1);
    expect(arpSpa(f)).toBe(parseIpv4('10.0.0.1'));
    expect(arpTpa(f)).toBe(parseIpv4('10.0.0.1'));
    expect(a.counters.arp.gratuitousSent).toBe(1);
  });

  it('gratuitous_arp_updates_an_existing_entry_with_a_new_mac', async () => {
    // h2 and h3 share a switch; h3 takes over 10.0.0.2 after h2 gives it up.
    const net = new Network({ seed: 5 });
    const [h1, h2, h3] = ['h1', 'h2', 'h3'].map((n) => net.addHost(n));
    const sw = net.addSwitch('sw');
    for (const h of [h1!, h2!, h3!]) net.connect(h, sw);
    const a = new Stack({ clock: net.clock, pool: h1!.pool, name: 'h1', nics: h1!.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
    const b = new Stack({ clock: net.clock, pool: h2!.pool, name: 'h2', nics: h2!.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
    const c = new Stack({ clock: net.clock, pool: h3!.pool, name: 'h3', nics: h3!.ports });
    await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(a.arp.lookup(parseIpv4('10.0.0.2'))).toBe(formatMac(h2!.ports[0]!.mac));
    b.setAddress(b.interfaces[0]!, null);
    c.setAddress(c.interfaces[0]!, '10.0.0.2/24');
    net.runFor(10 * MS);
    expect(a.arp.lookup(parseIpv4('10.0.0.2'))).toBe(formatMac(h3!.ports[0]!.mac));
    const r = await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(r.error).toBeUndefined();
    expect(c.counters.icmp.InEchos).toBe(1);
  });

  it('static_neighbours_need_no_arp_traffic', async () => {
    const net = new Network({ seed: 1 });
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    const link = net.link(h1, h2, { delay: '1ms' });
    const rec = recorder();
    net.capture(link, rec);
    const a = new Stack({
      clock: net.clock,
      pool: h1.pool,
      name: 'h1',
      nics: h1.ports,
      config: { interfaces: [{ address: '10.0.0.1/24', arp: false }], staticNeighbours: { '10.0.0.2': '02:00:00:00:02:00' } },
    });
    const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24', arp: false }] } });
    b.addStaticNeighbour('10.0.0.1', '02:00:00:00:01:00');
    const r = await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(r.error).toBeUndefined();
    expect(r.value!.rttNs).toBeLessThan(2.1 * MS);
    expect(rec.frames.filter(isArp)).toEqual([]);
    expect(rec.frames).toHaveLength(2);
    expect(a.arp.neighbours()).toEqual([
      { address: '10.0.0.2', mac: '02:00:00:00:02:00', interface: '', state: 'static', expiresIn: Infinity, queued: 0 },
    ]);
    // On a link without ARP an unknown neighbour fails at once.
    const r2 = await runUntilSettled(net, a.ping('10.0.0.3'));
    expect(r2.error).toMatchObject({ code: 'EHOSTUNREACH' });
    expect(net.now()).toBeLessThan(1 * S);
    expect(rec.frames.filter(isArp)).toEqual([]);
  });

  it('malformed_and_foreign_arp_packets_are_counted_and_dropped', () => {
    const { net, a, h2 } = twoHosts();
    net.runFor(10 * MS);
    const pool = h2.pool;
    const port = h2.ports[0]!;
    const mk = (len: number, fill: (b: Uint8Array) => void): void => {
      const f = new Uint8Array(len);
      f.fill(0xff, 0, 6);
      f.set(port.mac, 6);
      f[12] = 0x08;
      f[13] = 0x06;
      fill(f);
      const buf = pool.allocCopy(f, 0, len, 0)!;
      port.transmit(buf);
    };
    const before = a.counters.arp.invalid;
    mk(20, () => {}); // truncated
    mk(42, (f) => {
      f[14] = 0;
      f[15] = 6; // hardware type 6 (IEEE 802): unsupported
    });
    mk(42, (f) => {
      f.set([0, 1, 8, 0, 6, 4, 0, 9], 14); // op 9
    });
    net.runFor(10 * MS);
    expect(a.counters.arp.invalid - before).toBe(3);
    expect(a.counters.drops.arpInvalid).toBe(3);
  });
});
