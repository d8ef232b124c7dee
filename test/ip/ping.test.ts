import { describe, expect, it } from 'vitest';
import { frameBuffer, icmpMessage, ipv4Frame, MS, routed, runUntilSettled, S, twoHosts } from './harness.js';

describe('ICMP echo (RFC 792) and ping', () => {
  it('ping_between_two_hosts_resolves_with_the_round_trip_time', async () => {
    const { net, a, b } = twoHosts();
    const r = await runUntilSettled(net, a.ping('10.0.0.2'));
    expect(r.error).toBeUndefined();
    // The request waits for ARP: h2's gratuitous ARP (sent when its address was set)
    // reaches h1 after 1 ms and completes the pending entry (RFC 826 merge), then
    // echo request + reply take 2 ms, plus serialization at 1 Gbit/s.
    expect(r.value!.rttNs).toBeGreaterThanOrEqual(3 * MS);
    expect(r.value!.rttNs).toBeLessThan(3.1 * MS);
    expect(r.value!.from).toBe('10.0.0.2');
    expect(r.value!.ttl).toBe(64);
    expect(r.value!.bytes).toBe(56);
    expect(b.counters.icmp.InEchos).toBe(1);
    expect(b.counters.icmp.OutEchoReps).toBe(1);
    expect(a.counters.icmp.InEchoReps).toBe(1);

    // Second ping: ARP is cached, so the RTT is two propagation delays.
    const r2 = await runUntilSettled(net, a.ping('10.0.0.2', { size: 1000 }));
    expect(r2.value!.rttNs).toBeGreaterThanOrEqual(2 * MS);
    expect(r2.value!.rttNs).toBeLessThan(2.1 * MS);
    expect(r2.value!.bytes).toBe(1000);
    expect(a.counters.arp.requestsSent).toBe(1);
  });

  it('ping_to_own_address_is_delivered_over_loopback_without_a_nic', async () => {
    const { net, a, h1 } = twoHosts();
    net.runFor(10 * MS); // the gratuitous ARP leaves
    const tx = h1.ports[0]!.stats.txFrames;
    const r = await runUntilSettled(net, a.ping('10.0.0.1'));
    expect(r.value!.rttNs).toBe(0);
    const r2 = await runUntilSettled(net, a.ping('127.0.0.1'));
    expect(r2.value!.from).toBe('127.0.0.1');
    expect(h1.ports[0]!.stats.txFrames).toBe(tx);
  });

  it('ping_larger_than_the_mtu_is_fragmented_and_reassembled_both_ways', async () => {
    const { net, a, b } = twoHosts();
    const r = await runUntilSettled(net, a.ping('10.0.0.2', { size: 5000 }));
    expect(r.value!.bytes).toBe(5000);
    expect(a.counters.ip.FragCreates).toBe(4); // 5028 bytes of ICMP in 1480-byte pieces
    expect(b.counters.ip.ReasmOKs).toBe(1);
    expect(b.counters.ip.FragCreates).toBe(4);
    expect(a.counters.ip.ReasmOKs).toBe(1);
  });

  it('ping_times_out_with_ETIMEDOUT_when_no_reply_comes', async () => {
    const { net, a } = twoHosts({ link: { loss: 1 } });
    a.addStaticNeighbour('10.0.0.2', '02:00:00:00:02:00');
    const r = await runUntilSettled(net, a.ping('10.0.0.2', { timeout: '300ms' }));
    expect(r.error).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'ping', address: '10.0.0.2' });
    expect(net.now()).toBeGreaterThanOrEqual(300 * MS);
    expect(net.now()).toBeLessThan(302 * MS);
  });

  it('ping_without_a_route_rejects_with_ENETUNREACH', async () => {
    const { net, a } = twoHosts();
    const r = await runUntilSettled(net, a.ping('192.168.7.7'));
    expect(r.error).toMatchObject({ code: 'ENETUNREACH' });
    expect(a.counters.ip.OutNoRoutes).toBe(1);
  });

  it('ping_options_are_validated_and_unknown_keys_named', () => {
    const { a } = twoHosts();
    expect(() => a.ping('10.0.0.2', { tiemout: 5 } as never)).toThrow(/tiemout/);
    expect(() => a.ping('10.0.0.2', { size: 70000 })).toThrow(RangeError);
    expect(() => a.ping('10.0.0.2', { ttl: 0 })).toThrow(/ttl/);
    expect(() => a.ping('10.0.0.300')).toThrow(TypeError);
  });
});

describe('forwarding between interfaces (RFC 1812)', () => {
  it('ping_across_a_router_host_decrements_the_ttl_once', async () => {
    const { net, a, router } = routed();
    const r = await runUntilSettled(net, a.ping('10.0.2.2'));
    expect(r.error).toBeUndefined();
    expect(r.value!.ttl).toBe(63);
    expect(r.value!.from).toBe('10.0.2.2');
    expect(router.counters.ip.ForwDatagrams).toBe(2);
    // The router answers pings to either of its addresses itself.
    const r2 = await runUntilSettled(net, a.ping('10.0.2.1'));
    expect(r2.value!.ttl).toBe(64);
  });

  it('ttl_expiry_at_the_router_returns_icmp_time_exceeded_and_rejects_the_ping_with_EHOSTUNREACH', async () => {
    const { net, a, router, b } = routed();
    const r = await runUntilSettled(net, a.ping('10.0.2.2', { ttl: 1 }));
    expect(r.error).toMatchObject({ code: 'EHOSTUNREACH', icmpType: 11, icmpCode: 0, from: '10.0.1.1' });
    expect(router.counters.icmp.OutTimeExcds).toBe(1);
    expect(router.counters.drops.ttlExceeded).toBe(1);
    expect(router.counters.ip.InHdrErrors).toBe(1);
    expect(a.counters.icmp.InTimeExcds).toBe(1);
    expect(b.counters.icmp.InEchos).toBe(0);
    // TTL 2 is enough to cross one router.
    const ok = await runUntilSettled(net, a.ping('10.0.2.2', { ttl: 2 }));
    expect(ok.value!.ttl).toBe(63);
  });

  it('no_time_exceeded_is_sent_about_an_icmp_error_or_a_non_initial_fragment_rfc1122_3_2_2', () => {
    const { net, r, router } = routed();
    net.runFor(20 * MS);
    const inject = (payload: Uint8Array, over: { flags?: number; fragmentOffset?: number } = {}): void => {
      const f = ipv4Frame({
        dstMac: r.ports[0]!.mac,
        srcMac: Uint8Array.of(2, 0, 0, 0, 1, 0),
        src: '10.0.1.2',
        dst: '10.0.2.2',
        protocol: 1,
        ttl: 1,
        payload,
        ...over,
      });
      router.input([frameBuffer(r.pool, f)], 1, router.interfaces[0]!);
    };
    const quoted = ipv4Frame({ dstMac: r.ports[0]!.mac, srcMac: r.ports[0]!.mac, src: '10.0.2.2', dst: '10.0.1.2', protocol: 17, payload: new Uint8Array(8) }).subarray(14);
    inject(icmpMessage(3, 3, 0, quoted)); // an ICMP error
    inject(icmpMessage(8, 0, 1, new Uint8Array(16)), { fragmentOffset: 1480 }); // a non-initial fragment
    expect(router.counters.drops.ttlExceeded).toBe(2);
    expect(router.counters.icmp.OutTimeExcds).toBe(0);
    expect(router.counters.icmp.OutSuppressed).toBe(2);
    inject(icmpMessage(8, 0, 1, new Uint8Array(16))); // an echo request: answered with time exceeded
    expect(router.counters.icmp.OutTimeExcds).toBe(1);
  });

  it('icmp_errors_are_rate_limited_by_a_token_bucket_rfc1812_4_3_2_8', async () => {
    const { net, a, router } = routed({ router: { icmp: { errorRate: 10, errorBurst: 3 } } });
    const pings = Array.from({ length: 8 }, () => a.ping('10.0.2.2', { ttl: 1, timeout: '200ms' }));
    const results = await Promise.all(pings.map((p) => runUntilSettled(net, p, 1 * S)));
    expect(router.counters.icmp.OutTimeExcds).toBe(3);
    expect(router.counters.icmp.OutRateLimitGlobal).toBe(5);
    expect(results.filter((x) => (x.error as { code?: string } | undefined)?.code === 'EHOSTUNREACH')).toHaveLength(3);
    expect(results.filter((x) => (x.error as { code?: string } | undefined)?.code === 'ETIMEDOUT')).toHaveLength(5);
    // 100 ms later one token is back.
    net.runFor(100 * MS);
    const again = await runUntilSettled(net, a.ping('10.0.2.2', { ttl: 1, timeout: '200ms' }));
    expect(again.error).toMatchObject({ code: 'EHOSTUNREACH' });
  });

  it('arp_failure_at_the_router_returns_host_unreachable_to_the_source', async () => {
    const { net, a, router } = routed();
    const r = await runUntilSettled(net, a.ping('10.0.2.99', { timeout: '10s' }));
    expect(r.error).toMatchObject({ code: 'EHOSTUNREACH', icmpType: 3, icmpCode: 1, from: '10.0.1.1' });
    expect(router.counters.drops.arpFailed).toBe(1);
    expect(router.counters.icmp.OutDestUnreachs).toBe(1);
    expect(a.counters.icmp.InDestUnreachs).toBe(1);
  });

  it('no_route_at_the_router_returns_net_unreachable', async () => {
    const { net, a, router } = routed();
    const r = await runUntilSettled(net, a.ping('172.16.0.1', { timeout: '1s' }));
    expect(r.error).toMatchObject({ code: 'ENETUNREACH', icmpType: 3, icmpCode: 0, from: '10.0.1.1' });
    expect(router.counters.drops.noRoute).toBe(1);
  });

  it('forwarding_is_off_by_default_and_counts_InAddrErrors', async () => {
    const { net, a, router } = routed({ router: { ipForwarding: false } });
    const r = await runUntilSettled(net, a.ping('10.0.2.2', { timeout: '200ms' }));
    expect(r.error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(router.counters.ip.InAddrErrors).toBe(1);
    expect(router.counters.drops.notForUs).toBe(1);
  });

  it('router_fragments_a_forwarded_datagram_for_a_smaller_next_hop_mtu', async () => {
    const { net, a, router, b } = routed({ link2: { mtu: 576 } });
    const r = await runUntilSettled(net, a.ping('10.0.2.2', { size: 1400 }));
    expect(r.error).toBeUndefined();
    expect(router.counters.ip.FragOKs).toBe(1);
    expect(router.counters.ip.FragCreates).toBe(3); // 1408 bytes in 552-byte pieces
    expect(b.counters.ip.ReasmOKs).toBe(1);
  });

  it('df_datagram_too_big_for_the_next_hop_gets_fragmentation_needed_with_the_mtu_rfc1191', async () => {
    const { net, a, router } = routed({ link2: { mtu: 576 } });
    // An ICMP echo with DF, built through the Ipv4Output contract.
    const pool = a.pool;
    const buf = pool.alloc(1000)!;
    const h = buf.append(1000);
    buf.bytes.fill(0, h, h + 1000);
    buf.bytes[h] = 8; // echo request
    const cs = (~(0x0800 + 0) & 0xffff) >>> 0; // checksum of an all-zero echo with type 8
    buf.bytes[h + 2] = cs >>> 8;
    buf.bytes[h + 3] = cs & 0xff;
    expect(a.ip.output(buf, 0, 0x0a000202, 1, { df: true })).toBe(0);
    net.runFor(50 * MS);
    expect(router.counters.drops.fragNeeded).toBe(1);
    expect(router.counters.icmp.OutDestUnreachs).toBe(1);
    expect(a.counters.icmp.InDestUnreachs).toBe(1);
    // RFC 1191: the sender lowers its path MTU estimate to the reported next-hop MTU.
    expect(a.ip.mtuFor(0x0a000202)).toBe(576);
    expect(a.ip.mtuFor(0x0a000101)).toBe(1500);
    // And DF output larger than the estimate now fails locally with EMSGSIZE.
    const big = pool.alloc(1000)!;
    big.append(1000);
    expect(a.ip.output(big, 0, 0x0a000202, 1, { df: true })).toBe(-90);
    expect(a.counters.ip.FragFails).toBe(1);
    // The estimate expires (RFC 1191 §6.3).
    net.runFor(11 * 60 * S);
    expect(a.ip.mtuFor(0x0a000202)).toBe(1500);
  });
});
