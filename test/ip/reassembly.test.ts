import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../../src/ip/udp-socket.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { Network } from '../../src/sim/network.js';
import { Stack, type StackConfigInput } from '../../src/stack.js';
import { frameBuffer, ipv4Frame, MS, pattern, S, udpDatagram } from './harness.js';

const MF = 1;

/** h1 — h2; fragments are injected straight into h2's stack as if they came from h1. */
function setup(config: StackConfigInput = {}) {
  const net = new Network({ seed: 7, pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms' });
  const acct = new CountingAccounting();
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
  const b = new Stack({ clock: net.clock, pool: h2.pool, acct, name: 'h2', nics: h2.ports, config: { ...config, interfaces: [{ address: '10.0.0.2/24' }] } });
  const sock = b.createUdpSocket();
  sock.bind(7);
  const got: Buffer[] = [];
  sock.on('message', (m: Buffer, _r: RemoteInfo) => got.push(m));
  const data = pattern(3000, 11);
  const dgram = udpDatagram('10.0.0.1', '10.0.0.2', 1234, 7, data);
  /** Fragment [off, off+len) of the UDP datagram, as a frame into h2. */
  const frag = (off: number, len: number, mf: boolean, id = 77): void => {
    const f = ipv4Frame({
      dstMac: h2.ports[0]!.mac,
      srcMac: h1.ports[0]!.mac,
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 17,
      id,
      flags: mf ? MF : 0,
      fragmentOffset: off,
      payload: dgram.subarray(off, off + len),
    });
    b.input([frameBuffer(h2.pool, f)], 1, b.interfaces[0]!);
  };
  return { net, a, b, acct, got, data, dgram, frag, h2 };
}

describe('IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 5722)', () => {
  it('fragments_arriving_out_of_order_are_reassembled_byte_exact_with_one_fused_copy', () => {
    const { net, b, acct, got, data, frag } = setup();
    frag(2000, 1008, false);
    frag(0, 1000, true);
    frag(1000, 1000, true);
    net.runFor(1 * MS);
    expect(got).toHaveLength(1);
    expect(Buffer.compare(got[0]!, Buffer.from(data))).toBe(0);
    expect(b.counters.ip.ReasmReqds).toBe(3);
    expect(b.counters.ip.ReasmOKs).toBe(1);
    // The reassembled datagram is CSUM_COMPLETE: UDP needs no software pass over the data.
    expect(acct.bytesCopyChecksummed).toBe(3008);
    expect(acct.bytesChecksummed).toBeLessThan(200);
    expect(b.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
  });

  it('exact_duplicate_fragments_are_dropped_without_discarding_the_datagram_rfc5722_s4', () => {
    const { net, b, got, frag } = setup();
    frag(0, 1000, true);
    frag(0, 1000, true);
    frag(1000, 1000, true);
    frag(2000, 1008, false);
    net.runFor(1 * MS);
    expect(got).toHaveLength(1);
    expect(b.counters.drops.fragDuplicate).toBe(1);
    expect(b.counters.ip.ReasmFails).toBe(0);
  });

  it('overlapping_fragments_discard_the_whole_datagram_including_later_fragments_rfc5722', () => {
    const { net, b, got, frag } = setup();
    frag(0, 1000, true);
    frag(992, 1008, true); // overlaps the first by 8 bytes
    frag(2000, 1008, false); // arrives after the discard: also dropped
    frag(1000, 1000, true);
    net.runFor(1 * MS);
    expect(got).toEqual([]);
    expect(b.counters.drops.fragOverlap).toBe(1);
    expect(b.counters.drops.reasmDiscarded).toBe(2);
    expect(b.counters.ip.ReasmFails).toBe(1);
    expect(b.ip.reassembly.memory).toBe(0);
    // The tombstone times out silently: no ICMP time exceeded for a discarded datagram.
    net.runFor(31 * S);
    expect(b.counters.icmp.OutTimeExcds).toBe(0);
    expect(b.counters.ip.ReasmTimeout).toBe(0);
    expect(b.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
    // A new datagram with the same key is reassembled normally afterwards.
    frag(0, 1000, true);
    frag(1000, 1000, true);
    frag(2000, 1008, false);
    net.runFor(1 * MS);
    expect(got).toHaveLength(1);
  });

  it('reassembly_timeout_sends_time_exceeded_code_1_only_when_fragment_zero_arrived', () => {
    const { net, a, b, frag } = setup({ reassembly: { timeout: '2s' } });
    frag(0, 1000, true, 1); // datagram 1: fragment zero only
    frag(1000, 1000, true, 2); // datagram 2: no fragment zero
    net.runFor(1999 * MS);
    expect(b.counters.ip.ReasmTimeout).toBe(0);
    expect(b.ip.reassembly.datagrams).toBe(2);
    net.runFor(2 * MS);
    expect(b.counters.ip.ReasmTimeout).toBe(2);
    expect(b.counters.ip.ReasmFails).toBe(2);
    expect(b.counters.drops.reasmTimeout).toBe(2);
    // RFC 1122 §3.3.2: time exceeded (code 1) for datagram 1 only.
    expect(b.counters.icmp.OutTimeExcds).toBe(1);
    net.runFor(10 * MS);
    expect(a.counters.icmp.InTimeExcds).toBe(1);
    expect(b.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
  });

  it('reassembly_memory_limit_drops_fragments_beyond_it', () => {
    const { net, b, got, frag } = setup({ reassembly: { memoryLimit: 2500, timeout: '1s' } });
    frag(0, 1000, true, 1); // 1020 bytes held
    frag(0, 1000, true, 2); // 2040
    frag(1000, 1000, true, 1); // would be 3060 > 2500: dropped
    expect(b.counters.drops.reasmMemory).toBe(1);
    expect(b.ip.reassembly.memory).toBe(2040);
    net.runFor(2 * S);
    expect(got).toEqual([]);
    expect(b.ip.reassembly).toEqual({ datagrams: 0, memory: 0 });
    // With memory freed by the timeout, a complete datagram fits again.
    frag(0, 1000, true, 3);
    frag(1000, 1000, true, 3);
    expect(b.counters.drops.reasmMemory).toBe(1);
  });

  it('fragments_that_are_not_multiples_of_8_or_end_beyond_65515_are_dropped_alone', () => {
    const { b, frag } = setup();
    frag(0, 1001, true); // MF set, 1001 bytes: RFC 791 needs 8-octet blocks
    expect(b.counters.drops.badFragment).toBe(1);
    // "Ping of death": offset 65528 + 8 bytes ends beyond the largest datagram.
    const { b: b2, h2 } = setup();
    const f = ipv4Frame({
      dstMac: h2.ports[0]!.mac,
      srcMac: new Uint8Array([2, 0, 0, 0, 1, 0]),
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 17,
      flags: 0,
      fragmentOffset: 65528,
      payload: new Uint8Array(8),
    });
    b2.input([frameBuffer(h2.pool, f)], 1, b2.interfaces[0]!);
    expect(b2.counters.drops.badFragment).toBe(1);
    expect(b2.ip.reassembly.datagrams).toBe(0);
  });

  it('a_last_fragment_contradicting_the_known_length_discards_the_datagram', () => {
    const { b, got, frag } = setup();
    frag(0, 1000, true);
    frag(2000, 1008, false); // length 3008
    frag(1000, 1000, false); // claims length 2000
    expect(b.counters.drops.badFragment).toBe(1);
    expect(b.counters.ip.ReasmFails).toBe(1);
    expect(got).toEqual([]);
    expect(b.ip.reassembly.memory).toBe(0);
  });
});
