/**
 * Edge cases: pool exhaustion on output (count, retry, never crash), option
 * corner cases (RFC 7323 §2.3 shift > 14, tiny MSS), SYN+FIN, chained input,
 * data on a SYN-ACK, RST guards (RFC 1122 §4.2.3.10).
 */
import { describe, expect, it } from 'vitest';
import { Harness, LOCAL, REMOTE, ms, pattern } from './harness.js';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { Ipv4Repr } from '../../src/wire/ipv4.js';
import { seqAdd } from '../../src/tcp/seq.js';

const noTs = { mss: 1460 };

function hoardSmallSlots(h: Harness): PacketBuffer[] {
  const hoard: PacketBuffer[] = [];
  for (;;) {
    const b = h.pool.alloc(64);
    if (b === null) break;
    hoard.push(b);
  }
  return hoard;
}

describe('pool exhaustion on output', () => {
  it('an_ack_that_cannot_get_a_buffer_is_counted_and_retried', () => {
    const h = new Harness({ config: { noBufferRetry: ms(2) } });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.setOption('quickack', true);
    const seg = h.build({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    const hoard = hoardSmallSlots(h);
    h.tcp.input(seg, REMOTE, LOCAL, new Ipv4Repr());
    expect(h.mib.OutNoBuffers).toBeGreaterThan(0);
    h.expectNothing(ms(1));
    for (const b of hoard) b.release();
    h.expectSegment({ flags: '.', ack: c.rcvNxt + 10, at: ms(2) });
  });

  it('data_that_cannot_get_a_buffer_is_sent_later', () => {
    const h = new Harness({ config: { noBufferRetry: ms(2) } });
    const c = h.passiveEstablished({ options: noTs });
    // Fill the send buffer first (16 KiB chunks come from another size class), then starve headers.
    expect(c.ep.send(pattern(3000), 0, 3000)).toBe(3000);
    h.drain();
    h.inject({ flags: '.', seq: c.rcvNxt, ack: seqAdd(c.sndNxt, 2920) });
    h.drain();
    const hoard = hoardSmallSlots(h);
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(100), 0, 100); // may or may not be accepted (chunk memory), nothing can leave
    h.expectNothing(ms(1));
    for (const b of hoard) b.release();
    const s = h.expectSegment({ seq: seqAdd(c.sndNxt, 2920) });
    expect(s.at).toBeLessThanOrEqual(ms(200));
    expect(h.mib.OutNoBuffers).toBeGreaterThan(0);
  });
});

describe('option corner cases', () => {
  it('a_window_scale_above_14_is_used_as_14', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { mss: 1460, wscale: 20 } });
    expect(c.ep.info().sndWscale).toBe(14);
  });

  it('a_tiny_peer_mss_is_raised_to_the_minimum', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { mss: 1 } });
    expect(c.ep.info().sndMss).toBe(48);
    c.ep.setOption('nodelay', true);
    c.ep.send(pattern(100), 0, 100);
    expect(h.drain().map((s) => s.len)).toEqual([48, 48, 4]);
  });

  it('syn_fin_is_dropped_when_configured', () => {
    const h = new Harness({ config: { dropSynFin: true } });
    h.listen();
    h.inject({ flags: 'FS', seq: 1, options: noTs });
    h.expectNothing(ms(10));
    expect(h.mib.InSynFinDrops).toBe(1);
  });

  it('data_on_a_syn_ack_is_accepted', () => {
    const h = new Harness();
    const ep = h.tcp.createEndpoint();
    ep.connect(REMOTE, 80);
    const syn = h.expectSegment({ flags: 'S' });
    h.inject({ flags: 'S.', seq: 700, ack: seqAdd(syn.seq, 1), srcPort: 80, dstPort: ep.localPort, options: noTs, payload: pattern(20) });
    h.expectSegment({ flags: '.', ack: 721 });
    expect(ep.readableLength).toBe(20);
  });

  it('a_chained_segment_is_linearized', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    const whole = h.build({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: pattern(100) });
    const tail = h.pool.clone(whole, 60, whole.length - 60)!;
    whole.trimBack(whole.length - 60);
    whole.next = tail;
    h.tcp.input(whole, REMOTE, LOCAL, new Ipv4Repr());
    const dst = new Uint8Array(200);
    expect(c.ep.recv(dst, 0, 200)).toBe(100);
    expect([...dst.subarray(0, 100)]).toEqual([...pattern(100)]);
  });

  it('emsgsize_from_ip_lowers_the_mss_and_the_segment_is_resent_smaller', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.ip.pathMtu = 1000;
    c.ep.send(pattern(1460), 0, 1460);
    expect(h.ip.refused).toBe(1);
    expect(c.ep.info().sndMss).toBe(960);
    h.expectSegment({ seq: c.sndNxt, len: 960, at: ms(200) });
  });

  it('no_rst_to_a_broadcast_or_multicast_source', () => {
    const h = new Harness();
    h.inject({ flags: 'S', seq: 1, src: 0xffffffff });
    h.inject({ flags: 'S', seq: 1, src: 0xe0000001 });
    h.expectNothing(ms(10));
  });
});
