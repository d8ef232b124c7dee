import { describe, expect, it } from 'vitest';
import { CSUM_PARTIAL, type PacketBuffer } from '../../src/buf/packet-buffer.js';
import { DEFAULT_STACK_CONFIG, resolveStackConfig } from '../../src/ip/config.js';
import type { TransportProtocol } from '../../src/ip/types.js';
import type { RemoteInfo } from '../../src/ip/udp-socket.js';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { parseIpv4, readU16, writeU16 } from '../../src/wire/address.js';
import { onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import type { Ipv4Repr } from '../../src/wire/ipv4.js';
import { MS, pattern, S, testPool, twoHosts } from './harness.js';

describe('Stack configuration is validated and names the bad key', () => {
  it('unknown_keys_are_type_errors_naming_the_key_path', () => {
    const clock = new VirtualClock();
    expect(() => new Stack({ clock, config: { ipForwrding: true } as never })).toThrow(/unknown stack config key "ipForwrding"/);
    expect(() => new Stack({ clock, config: { arp: { retires: 3 } } as never })).toThrow(/unknown stack config key "arp.retires"/);
    expect(() => new Stack({ clock, config: { reassembly: { timout: 1 } } as never })).toThrow(/"reassembly.timout"/);
    expect(() => new Stack({ clock, colck: clock } as never)).toThrow(/unknown Stack option key "colck"/);
    expect(() => new Stack({ clock, config: { interfaces: [{ adress: '1.2.3.4/8' }] } as never })).toThrow(/"interfaces\[0\].adress"/);
  });

  it('bad_values_are_errors_naming_the_option_and_value', () => {
    const clock = new VirtualClock();
    expect(() => new Stack({ clock, config: { defaultTtl: 0 } })).toThrow(RangeError);
    expect(() => new Stack({ clock, config: { defaultTtl: 0 } })).toThrow(/"defaultTtl" must be an integer in 1..255; got 0/);
    expect(() => new Stack({ clock, config: { ipForwarding: 'yes' as never } })).toThrow(/"ipForwarding" must be a boolean; got "yes"/);
    expect(() => new Stack({ clock, config: { arp: { retryInterval: 'soon' } } })).toThrow(/arp.retryInterval/);
    expect(() => new Stack({ clock, config: { udp: { ephemeralLow: 50000, ephemeralHigh: 40000 } } })).toThrow(/udp.ephemeralLow/);
    expect(() => new Stack({ clock, config: { staticNeighbours: { '10.0.0.2': 'zz:zz' } } })).toThrow(/staticNeighbours\["10.0.0.2"\]/);
    expect(() => new Stack({ clock, config: { defaultGateway: '10.0.0' } })).toThrow(/"defaultGateway"/);
    expect(() => new Stack({ clock, config: { interfaces: [{ address: '10.0.0.1' }] } })).toThrow(/interfaces\[0\].address.*CIDR/);
    expect(() => new Stack({ clock, config: { interfaces: [{ address: '10.0.0.1/24' }] } })).toThrow(/only 0 NICs/);
  });

  it('units_and_defaults_resolve', () => {
    const c = resolveStackConfig({ arp: { retryInterval: '250ms' }, reassembly: { timeout: '1min', memoryLimit: '1MiB' } });
    expect(c.arp.retryInterval).toBe(250 * MS);
    expect(c.arp.retries).toBe(3);
    expect(c.reassembly).toEqual({ timeout: 60 * S, memoryLimit: 1 << 20 });
    expect(DEFAULT_STACK_CONFIG.reassembly.timeout).toBe(30 * S);
    expect(DEFAULT_STACK_CONFIG.udp).toEqual({ rcvbuf: 212992, ephemeralLow: 32768, ephemeralHigh: 60999, checksums: true });
    expect(DEFAULT_STACK_CONFIG.defaultTtl).toBe(64);
  });

  it('interfaces_are_validated_when_added', () => {
    const net = new Network({ seed: 1 });
    const h = net.addHost('h', { mtu: 1500 });
    const p = net.addHost('p');
    net.link(h, p);
    net.link(h, p);
    const s = new Stack({ clock: net.clock, pool: h.pool });
    expect(() => s.addInterface(h.ports[0]!, { address: '10.0.0.1/24', mtu: 9000 })).toThrow(/mtu 9000 exceeds/);
    expect(() => s.addInterface(h.ports[0]!, { adress: 'x' } as never)).toThrow(/unknown interface option key "addInterface.adress"/);
    const e0 = s.addInterface(h.ports[0]!, { address: '10.0.0.1/24', mtu: 1400 });
    expect(e0.name).toBe('h-eth0');
    expect(e0.mtu).toBe(1400);
    expect(s.ip.mtuFor(parseIpv4('10.0.0.2'))).toBe(1400);
    expect(() => s.addInterface(h.ports[0]!)).toThrow(/already attached/);
    expect(() => s.addInterface(h.ports[1]!, { name: 'h-eth0' })).toThrow(/exists already/);
    expect(() => s.addInterface(h.ports[1]!, { address: '10.0.0.1/16' })).toThrow(/already assigned/);
  });
});

describe('the transport hook (Ipv4Output / TransportProtocol, as TCP uses it)', () => {
  class Recorder implements TransportProtocol {
    inputs: { src: number; dst: number; data: Uint8Array; ttl: number; csumOk: boolean }[] = [];
    errors: { type: number; code: number; quotedProto: number; quotedDst: number }[] = [];
    input(pkt: PacketBuffer, src: number, dst: number, ip: Ipv4Repr): void {
      const data = pkt.bytes.slice(pkt.head, pkt.tail);
      const csumOk = onesSum(data, 0, data.length, pseudoHeaderSum(src, dst, 6, data.length)) === 0xffff;
      this.inputs.push({ src, dst, data, ttl: ip.ttl, csumOk });
      pkt.release();
    }
    icmpError(type: number, code: number, _info: number, bytes: Uint8Array, off: number): void {
      this.errors.push({ type, code, quotedProto: bytes[off + 9]!, quotedDst: (bytes[off + 16]! << 24) | (bytes[off + 19]! & 0xff) });
    }
  }

  /** A 20-byte "TCP header" buffer with a payload clone chained behind it, CSUM_PARTIAL like TCP's offload path. */
  function segment(s: Stack, src: number, dst: number, payload: Uint8Array): PacketBuffer {
    const store = s.pool.allocCopy(payload, 0, payload.length)!;
    const body = s.pool.clone(store, 0, payload.length)!;
    store.release();
    const hdr = s.pool.alloc(20)!;
    const h = hdr.append(20);
    hdr.bytes.fill(0, h, h + 20);
    writeU16(hdr.bytes, h, 1234);
    writeU16(hdr.bytes, h + 2, 80);
    hdr.bytes[h + 12] = 0x50;
    writeU16(hdr.bytes, h + 16, pseudoHeaderSum(src, dst, 6, 20 + payload.length));
    hdr.next = body;
    hdr.csumState = CSUM_PARTIAL;
    hdr.csumStart = 0;
    hdr.csumOffset = 16;
    return hdr;
  }

  it('a_registered_protocol_sends_chained_partial_checksum_segments_and_receives_them_verified', () => {
    const { net, a, b } = twoHosts();
    const rec = new Recorder();
    b.ip.registerProtocol(6, null); // take protocol 6 over from the stack's own TCP
    b.ip.registerProtocol(6, rec);
    const A = parseIpv4('10.0.0.1');
    const B = parseIpv4('10.0.0.2');
    expect(a.ip.sourceFor(B)).toBe(A);
    expect(a.ip.mtuFor(B)).toBe(1500);
    expect(a.ip.isLocalAddress(A)).toBe(true);
    const small = pattern(1000, 1);
    const big = pattern(4000, 2); // DF clear: fragmented; PARTIAL completed in software first
    expect(a.ip.output(segment(a, A, B, small), A, B, 6, { df: true })).toBe(0);
    expect(a.ip.output(segment(a, A, B, big), 0, B, 6)).toBe(0);
    expect(a.ip.output(segment(a, A, B, big), A, B, 6, { df: true })).toBe(-90);
    net.runFor(20 * MS);
    expect(rec.inputs).toHaveLength(2);
    expect(rec.inputs.map((i) => i.csumOk)).toEqual([true, true]);
    expect(Buffer.from(rec.inputs[0]!.data.subarray(20)).equals(Buffer.from(small))).toBe(true);
    expect(Buffer.from(rec.inputs[1]!.data.subarray(20)).equals(Buffer.from(big))).toBe(true);
    expect(readU16(rec.inputs[0]!.data, 2)).toBe(80);
    expect(rec.inputs[0]).toMatchObject({ src: A, dst: B, ttl: 64 });
    expect(() => b.ip.registerProtocol(6, rec)).toThrow(/already has a handler/);
    expect(() => b.ip.registerProtocol(17, rec)).toThrow(/already has a handler/);
  });

  it('arp_failure_is_reported_to_the_sending_protocol_as_host_unreachable', () => {
    const { net, a } = twoHosts();
    const rec = new Recorder();
    a.ip.registerProtocol(6, null); // take protocol 6 over from the stack's own TCP
    a.ip.registerProtocol(6, rec);
    const A = parseIpv4('10.0.0.1');
    const X = parseIpv4('10.0.0.66');
    expect(a.ip.output(segment(a, A, X, pattern(100, 3)), A, X, 6, { df: true })).toBe(0);
    net.runFor(2 * S);
    expect(rec.errors).toEqual([]);
    net.runFor(2 * S);
    expect(rec.errors).toEqual([{ type: 3, code: 1, quotedProto: 6, quotedDst: (10 << 24) | 66 }]);
  });

  it('output_without_a_route_returns_ENETUNREACH_and_releases_the_packet', () => {
    const { a, h1 } = twoHosts();
    const inUse = h1.pool.stats.inUse;
    const pkt = a.pool.alloc(8)!;
    pkt.append(8);
    expect(a.ip.output(pkt, 0, parseIpv4('8.8.8.8'), 6)).toBe(-101);
    expect(a.ip.sourceFor(parseIpv4('8.8.8.8'))).toBe(-1);
    expect(a.ip.mtuFor(parseIpv4('8.8.8.8'))).toBe(0);
    expect(h1.pool.stats.inUse).toBe(inUse);
  });
});

describe('loopback delivery', () => {
  it('udp_to_own_and_loopback_addresses_is_delivered_without_a_nic_and_not_reentrantly', () => {
    const { net, a, h1 } = twoHosts();
    net.runFor(10 * MS);
    const tx = h1.ports[0]!.stats.txFrames;
    const lo = a.createUdpSocket();
    lo.bind(5353, '127.0.0.1');
    const any = a.createUdpSocket();
    any.bind(5354);
    const got: string[] = [];
    lo.on('message', (m: Buffer, r: RemoteInfo) => got.push(`lo ${m} from ${r.address}`));
    any.on('message', (m: Buffer, r: RemoteInfo) => got.push(`any ${m} from ${r.address}`));
    const c = a.createUdpSocket();
    c.send('one', 5353, '127.0.0.1');
    c.send('two', 5354, '10.0.0.1');
    c.send(Buffer.from(pattern(30000, 4)), 5354, '10.0.0.1');
    expect(got).toEqual([]); // nothing is delivered inside send()
    net.runFor(1 * MS);
    expect(got.slice(0, 2)).toEqual(['lo one from 127.0.0.1', 'any two from 10.0.0.1']);
    expect(got).toHaveLength(3);
    expect(h1.ports[0]!.stats.txFrames).toBe(tx);
    expect(a.counters.ip.FragCreates).toBe(0); // loopback MTU is 65535
  });

  it('closed_loopback_port_refuses_a_connected_socket', () => {
    const { net, a } = twoHosts();
    const c = a.createUdpSocket();
    const errs: Error[] = [];
    c.on('error', (e: Error) => errs.push(e));
    c.connect(1, '127.0.0.1');
    net.runFor(1 * MS);
    c.send('x');
    net.runFor(1 * MS);
    expect(errs[0]).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 });
  });
});

describe('stack lifecycle', () => {
  it('close_releases_everything_and_rejects_pending_pings', async () => {
    const { net, a, b, h1 } = twoHosts({ a: { arp: { gratuitous: false } } });
    net.runFor(10 * MS);
    const inUse = h1.pool.stats.inUse;
    const s = a.createUdpSocket();
    s.send('x', 9, '10.0.0.77'); // waits in the ARP queue
    const p = a.ping('10.0.0.2', { timeout: '5s' });
    let err: Error | null = null;
    p.catch((e: Error) => (err = e));
    a.close();
    await Promise.resolve();
    await Promise.resolve();
    expect(err).toMatchObject({ code: 'ENETUNREACH' });
    net.runFor(1 * S);
    expect(h1.pool.stats.inUse).toBe(inUse);
    expect(() => s.send('y', 9, '10.0.0.2')).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' }));
    void b;
  });

  it('a_stack_can_be_built_without_a_network_on_its_own_pool', () => {
    const clock = new VirtualClock();
    const s = new Stack({ clock, pool: testPool(), name: 'solo' });
    expect(s.interfaces).toEqual([]);
    expect(s.ip.sourceFor(parseIpv4('127.0.0.1'))).toBe(parseIpv4('127.0.0.1'));
  });
});
