import { describe, expect, it } from 'vitest';
import { PcapWriter, readPcap, isPcapError, type PcapFile } from '../../src/link/pcap-file.js';
import { PcapNic } from '../../src/link/pcap-nic.js';
import { createPair } from '../../src/link/sim/pair.js';
import { Network } from '../../src/sim/network.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { l4Frame, MAC_A, MAC_B, rawFrame, record, smallPool } from './sim-helpers.js';

function parse(bytes: Uint8Array): PcapFile {
  const f = readPcap(bytes);
  if (isPcapError(f)) throw new Error(f.toString());
  return f;
}

describe('PcapNic decorator', () => {
  it('records transmitted and received frames with clock time, and passes everything through', () => {
    const clock = new VirtualClock({ start: 5_000 });
    const pool = smallPool();
    const { a, b } = createPair({
      clock,
      a: { name: 'a', mac: MAC_A, pool },
      b: { name: 'b', mac: MAC_B, pool },
    });
    const writer = PcapWriter.toMemory();
    const nic = new PcapNic(a, writer, clock);
    expect(nic.name).toBe('a');
    expect(nic.mac).toEqual(MAC_A);
    expect(nic.mtu).toBe(1500);
    expect(nic.capabilities).toBe(a.capabilities);
    const rxA = record(nic, clock);
    b.setReceiveHandler((fs, n) => {
      for (let i = 0; i < n; i++) {
        fs[i]!.release();
        b.transmit(rawFrame(pool, 70, MAC_A, MAC_B, () => 0xbb)); // echo something back
      }
    });
    nic.transmit(rawFrame(pool, 64, MAC_B, MAC_A, () => 0xaa));
    clock.runUntilIdle();
    expect(rxA.frames).toHaveLength(1);
    expect(nic.stats).toBe(a.stats);
    expect(nic.stats.txFrames).toBe(1);
    const file = parse(writer.bytes());
    expect(file.nanosecond).toBe(true);
    expect(file.records.map((r) => [r.timeNs, r.data.length, r.data[20]])).toEqual([
      [5_000, 64, 0xaa],
      [5_000, 70, 0xbb],
    ]);
    nic.close();
    expect(a.closed).toBe(true);
  });

  it('records frames the device drops on transmit, and a PARTIAL frame as handed over', () => {
    const clock = new VirtualClock();
    const pool = smallPool();
    const { a } = createPair({
      clock,
      a: { name: 'a', mac: MAC_A, pool, mtu: 100 },
      b: { name: 'b', mac: MAC_B, pool },
    });
    const writer = PcapWriter.toMemory();
    const nic = new PcapNic(a, writer, clock, { direction: 'tx' });
    expect(nic.transmit(rawFrame(pool, 200))).toBe(false); // tooBig
    const { buf, l4 } = l4Frame(pool, { protocol: 17, payloadLength: 10, checksum: 'partial' });
    const field = (buf.bytes[l4 + 6]! << 8) | buf.bytes[l4 + 7]!;
    nic.transmit(buf); // dropped malformed: this port has no tx offload
    const recs = parse(writer.bytes()).records;
    expect(recs.map((r) => r.data.length)).toEqual([200, 14 + 20 + 18]);
    expect((recs[1]!.data[14 + 20 + 6]! << 8) | recs[1]!.data[14 + 20 + 7]!).toBe(field);
    expect(a.stats.drops.tooBig).toBe(1);
    expect(a.stats.drops.malformed).toBe(1);
    expect(() => new PcapNic(a, writer, clock, { direction: 'up' as never })).toThrow(/direction/);
  });
});

describe('wire captures (Network.capture)', () => {
  it('a port capture shows departures (padded, checksum filled in) and arrivals at their times', () => {
    const net = new Network({ seed: 1 });
    const h1 = net.addHost('h1', { txChecksumOffload: true });
    const h2 = net.addHost('h2');
    const link = net.link(h1, h2, { rate: '1Gbit', delay: '1ms' });
    const writer = PcapWriter.toMemory();
    net.capture(link.a, writer);
    record(link.b, net.clock);
    record(link.a, net.clock);
    link.a.transmit(l4Frame(h1.pool, { protocol: 17, payloadLength: 1, checksum: 'partial' }).buf);
    link.b.transmit(rawFrame(h2.pool, 1500, link.a.mac, link.b.mac));
    net.runUntilIdle();
    const recs = parse(writer.bytes()).records;
    expect(recs.map((r) => [r.timeNs, r.data.length])).toEqual([
      [0, 60],
      [1_012_000, 1500],
    ]);
    const d = recs[0]!.data;
    expect((d[14 + 20 + 6]! << 8) | d[14 + 20 + 7]!).not.toBe(0);
  });

  it('a link capture at arrival shows what each end receives, after impairments', () => {
    const net = new Network({ seed: 1 });
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    const link = net.link(h1, h2, { loss: 0.5, delay: '10us' });
    const arrivals = PcapWriter.toMemory();
    const departures = PcapWriter.toMemory();
    net.capture(link, arrivals);
    net.capture(link, departures, 'departure');
    const rx = record(link.b, net.clock);
    for (let i = 0; i < 100; i++) link.a.transmit(rawFrame(h1.pool, 64));
    net.runUntilIdle();
    expect(parse(departures.bytes()).records).toHaveLength(100);
    expect(parse(arrivals.bytes()).records).toHaveLength(rx.frames.length);
    expect(rx.frames.length).toBeLessThan(80);
    expect(rx.frames.length).toBe(link.stats.ab.framesDelivered);
    expect(() => net.capture(link, arrivals, 'middle' as never)).toThrow(/"middle"/);
  });
});
