import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../../src/ip/udp-socket.js';
import { writeU16 } from '../../src/wire/address.js';
import { finishChecksum, onesSum } from '../../src/wire/checksum.js';
import { frameBuffer, icmpMessage, ipv4Frame, MS, twoHosts, udpDatagram } from './harness.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const MAC_B = Uint8Array.of(2, 0, 0, 0, 2, 0);
const MAC_A = Uint8Array.of(2, 0, 0, 0, 1, 0);

/** Recompute the IPv4 header checksum after a mutation. */
function fixIpChecksum(f: Uint8Array, ip: number): void {
  writeU16(f, ip + 10, 0);
  writeU16(f, ip + 10, finishChecksum(onesSum(f, ip, (f[ip]! & 15) * 4)));
}

const ip = (payload: Uint8Array, over: Partial<Parameters<typeof ipv4Frame>[0]> = {}): Uint8Array =>
  ipv4Frame({ dstMac: MAC_B, srcMac: MAC_A, src: A, dst: B, protocol: 17, payload, ...over });

const udp = (data = new Uint8Array(16), checksum?: number): Uint8Array => udpDatagram(A, B, 1000, 7, data, checksum);

interface Case {
  rule: string;
  frame: () => Uint8Array;
  /** Counters that must have increased by exactly these amounts (paths like 'drops.badChecksum'). */
  expect: Record<string, number>;
  /** Datagrams the socket on port 7 must receive. */
  delivered?: number;
}

const CASES: Case[] = [
  { rule: 'runt_ethernet_frame_is_dropped', frame: () => new Uint8Array(10), expect: { 'drops.runtFrame': 1 } },
  {
    rule: 'frame_for_another_mac_is_dropped',
    frame: () => ip(udp(), { dstMac: Uint8Array.of(2, 9, 9, 9, 9, 9) }),
    expect: { 'drops.otherHost': 1 },
  },
  {
    rule: 'unknown_ethertype_is_dropped',
    frame: () => {
      const f = ip(udp());
      writeU16(f, 12, 0x86dd);
      return f;
    },
    expect: { 'drops.unknownEtherType': 1 },
  },
  {
    rule: 'ipv4_version_other_than_4_is_discarded_rfc1122_3_2_1_1',
    frame: () => ip(udp(), { mutate: (f, o) => ((f[o] = 0x65), fixIpChecksum(f, o)) }),
    expect: { 'drops.badVersion': 1, 'ip.InHdrErrors': 1 },
  },
  {
    rule: 'ipv4_ihl_below_5_is_a_header_error',
    frame: () => ip(udp(), { mutate: (f, o) => (f[o] = 0x44) }),
    expect: { 'drops.badHeaderLength': 1, 'ip.InHdrErrors': 1 },
  },
  {
    rule: 'ipv4_total_length_below_the_header_length_is_a_header_error',
    frame: () => ip(udp(), { mutate: (f, o) => (writeU16(f, o + 2, 12), fixIpChecksum(f, o)) }),
    expect: { 'drops.badTotalLength': 1, 'ip.InHdrErrors': 1 },
  },
  {
    rule: 'ipv4_total_length_beyond_the_frame_is_truncated',
    frame: () => ip(udp(), { mutate: (f, o) => (writeU16(f, o + 2, 500), fixIpChecksum(f, o)) }),
    expect: { 'drops.truncated': 1, 'ip.InHdrErrors': 1, 'ip.InTruncatedPkts': 1 },
  },
  {
    rule: 'ipv4_frame_shorter_than_a_header_is_truncated',
    frame: () => ip(udp()).subarray(0, 14 + 12),
    expect: { 'drops.truncated': 1, 'ip.InTruncatedPkts': 1 },
  },
  {
    rule: 'ipv4_header_checksum_is_verified_rfc1122_3_2_1_2',
    frame: () => ip(udp(), { mutate: (f, o) => (f[o + 10]! ^= 0x40) }),
    expect: { 'drops.badChecksum': 1, 'ip.InCsumErrors': 1, 'ip.InHdrErrors': 1 },
  },
  {
    rule: 'multicast_source_is_a_martian_rfc1812_5_3_7',
    frame: () => ip(udp(), { src: '224.0.0.9' }),
    expect: { 'drops.martianSource': 1, 'ip.InAddrErrors': 1 },
  },
  {
    rule: 'loopback_source_from_the_wire_is_a_martian',
    frame: () => ip(udp(), { src: '127.0.0.1' }),
    expect: { 'drops.martianSource': 1 },
  },
  {
    rule: 'datagram_for_another_host_is_dropped_when_not_forwarding',
    frame: () => ip(udp(), { dst: '10.0.0.9' }),
    expect: { 'drops.notForUs': 1, 'ip.InAddrErrors': 1 },
  },
  {
    rule: 'unknown_protocol_is_counted_and_answered_with_protocol_unreachable_rfc1122_3_2_2_1',
    frame: () => ip(new Uint8Array(8), { protocol: 99 }),
    expect: { 'drops.unknownProtocol': 1, 'ip.InUnknownProtos': 1, 'icmp.OutDestUnreachs': 1 },
  },
  {
    rule: 'icmp_checksum_error_is_counted',
    frame: () => {
      const m = icmpMessage(8, 0, 0x00010001, new Uint8Array(8));
      m[2]! ^= 1;
      return ip(m, { protocol: 1 });
    },
    expect: { 'drops.badChecksum': 1, 'icmp.InCsumErrors': 1, 'icmp.InErrors': 1 },
  },
  {
    rule: 'icmp_shorter_than_its_header_is_malformed',
    frame: () => {
      const m = new Uint8Array(4);
      m[0] = 8;
      writeU16(m, 2, finishChecksum(onesSum(m, 0, 4)));
      return ip(m, { protocol: 1 });
    },
    expect: { 'drops.icmpMalformed': 1, 'icmp.InErrors': 1 },
  },
  {
    rule: 'icmp_error_quoting_a_non_ipv4_header_is_malformed',
    frame: () => ip(icmpMessage(3, 3, 0, new Uint8Array(28).fill(0x60)), { protocol: 1 }),
    expect: { 'drops.icmpMalformed': 1, 'icmp.InErrors': 1 },
  },
  {
    rule: 'icmp_error_about_a_datagram_we_did_not_send_is_unclaimed',
    frame: () => {
      const quoted = ip(udp(), { src: '10.0.0.5', dst: '10.0.0.6' }).subarray(14, 14 + 28);
      return ip(icmpMessage(3, 3, 0, quoted), { protocol: 1 });
    },
    expect: { 'icmp.InErrorsUnclaimed': 1, 'icmp.InDestUnreachs': 1 },
  },
  {
    rule: 'echo_request_to_a_broadcast_address_is_ignored_rfc1122_3_2_2_6',
    frame: () => ip(icmpMessage(8, 0, 0x00010001, new Uint8Array(8)), { protocol: 1, dst: '10.0.0.255' }),
    expect: { 'drops.icmpEchoBroadcast': 1, 'icmp.OutEchoReps': 0 },
  },
  {
    rule: 'icmp_error_about_our_datagram_from_a_port_without_socket_is_unclaimed_and_not_answered',
    frame: () => {
      const quoted = ip(udp(), { src: B, dst: A }).subarray(14, 14 + 28);
      return ip(icmpMessage(3, 1, 0, quoted), { protocol: 1 });
    },
    expect: { 'icmp.InDestUnreachs': 1, 'icmp.OutMsgs': 0, 'icmp.InErrorsUnclaimed': 1 },
  },
  {
    rule: 'udp_checksum_error_is_counted_InCsumErrors',
    frame: () => ip(udp(new Uint8Array(16), 0x1234)),
    expect: { 'drops.badChecksum': 1, 'udp.InCsumErrors': 1, 'udp.InErrors': 1 },
    delivered: 0,
  },
  {
    rule: 'udp_length_below_8_is_malformed',
    frame: () => {
      const u = udp();
      writeU16(u, 4, 6);
      return ip(u);
    },
    expect: { 'drops.udpMalformed': 1, 'udp.InErrors': 1 },
  },
  {
    rule: 'udp_length_beyond_the_ip_payload_is_malformed',
    frame: () => {
      const u = udp();
      writeU16(u, 4, 100);
      return ip(u);
    },
    expect: { 'drops.udpMalformed': 1, 'udp.InErrors': 1 },
  },
  {
    rule: 'udp_zero_checksum_means_none_and_is_accepted_rfc768',
    frame: () => ip(udp(new Uint8Array(16), 0)),
    expect: { 'udp.InDatagrams': 1 },
    delivered: 1,
  },
  {
    rule: 'udp_to_a_closed_port_counts_NoPorts_and_sends_port_unreachable',
    frame: () => ip(udpDatagram(A, B, 1000, 8, new Uint8Array(4))),
    expect: { 'udp.NoPorts': 1, 'drops.noPort': 1, 'icmp.OutDestUnreachs': 1 },
  },
  {
    rule: 'ethernet_padding_after_a_short_datagram_is_ignored',
    frame: () => ip(udp(new Uint8Array(2)), { trailer: 16 }),
    expect: { 'udp.InDatagrams': 1 },
    delivered: 1,
  },
];

function get(o: object, path: string): number {
  return path.split('.').reduce((x: unknown, k) => (x as Record<string, unknown>)[k], o) as number;
}

describe('malformed IPv4/ICMP/UDP frames are counted and dropped', () => {
  it.each(CASES)('$rule', (c) => {
    const { net, b, h2 } = twoHosts();
    net.runFor(20 * MS); // gratuitous ARP exchanged
    const sock = b.createUdpSocket();
    sock.bind(7);
    let delivered = 0;
    sock.on('message', (_m: Buffer, _r: RemoteInfo) => delivered++);
    net.runFor(1 * MS);
    const before = b.counters.snapshot();
    const inUse = h2.pool.stats.inUse;
    expect(() => b.input([frameBuffer(h2.pool, c.frame())], 1, b.interfaces[0]!)).not.toThrow();
    net.runFor(10 * MS);
    const after = b.counters.snapshot();
    for (const [path, n] of Object.entries(c.expect)) expect({ [path]: get(after, path) - get(before, path) }).toEqual({ [path]: n });
    expect(delivered).toBe(c.delivered ?? 0);
    expect(h2.pool.stats.inUse).toBe(inUse);
  });
});
