// DESIGN "Simulation model": a simulated run is a function of its seed. Four
// hosts on a learning switch, every link impaired, PRNG-driven raw Ethernet
// traffic (no IP stack yet); the memory pcaps of every host port must be
// byte-identical across runs with the same seed and differ with another seed.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PcapWriter, readPcap, isPcapError } from '../../src/link/pcap-file.js';
import { Network, type SimHost } from '../../src/sim/network.js';
import type { Timer } from '../../src/time/clock.js';
import { Prng } from '../../src/util/prng.js';

const FRAMES_PER_HOST = 1500;
const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255);

interface Sender {
  host: SimHost;
  peers: SimHost[];
  rng: Prng;
  timer: Timer | null;
  sent: number;
}

function sendOne(s: Sender): void {
  const port = s.host.ports[0]!;
  const rng = s.rng;
  const len = rng.int(14, 1514);
  const buf: PacketBuffer | null = s.host.pool.alloc(len);
  if (buf !== null) {
    const at = buf.append(len);
    const b = buf.bytes;
    const dst = rng.bernoulli(0.05) ? BROADCAST : s.peers[rng.int(0, s.peers.length - 1)]!.ports[0]!.mac;
    b.set(dst, at);
    b.set(port.mac, at + 6);
    b[at + 12] = 0x88;
    b[at + 13] = 0xb5;
    for (let i = 14; i < len; i++) b[at + i] = rng.nextU32() & 0xff;
    port.transmit(buf);
  }
  if (++s.sent < FRAMES_PER_HOST) s.timer!.armAfter(Math.round(rng.exponential(5_000)));
}

/** Run the scenario; returns the sha256 of every port capture, the receive log, and the stats. */
function scenario(seed: number | string): { digest: string; frames: number; stats: string } {
  const net = new Network({ seed, pool: { memoryBytes: 8 * 1024 * 1024 } });
  const sw = net.addSwitch('sw');
  const hosts: SimHost[] = [];
  for (let i = 1; i <= 4; i++) hosts.push(net.addHost(`h${i}`));
  const impaired = {
    rate: '1Gbit',
    delay: '20us',
    queue: '16KiB',
    loss: '1%',
    burstLoss: { p: '0.5%', r: '30%' },
    duplicate: '1%',
    reorder: { p: '2%', delay: '50us' },
    corrupt: '1%',
    jitter: '5us',
  };
  for (const h of hosts) net.connect(h, sw, impaired);
  const captures = hosts.map((h) => {
    const w = PcapWriter.toMemory();
    net.capture(h.ports[0]!, w);
    return w;
  });
  const rxLog = createHash('sha256');
  let received = 0;
  for (const h of hosts) {
    h.ports[0]!.setReceiveHandler((frames, count) => {
      for (let i = 0; i < count; i++) {
        const f = frames[i]!;
        rxLog.update(`${h.name}@${f.timestamp}:`).update(f.bytes.subarray(f.head, f.tail));
        received++;
        f.release();
      }
    });
  }
  const root = new Prng(seed);
  for (const h of hosts) {
    const s: Sender = { host: h, peers: hosts.filter((x) => x !== h), rng: root.fork(`traffic:${h.name}`), timer: null, sent: 0 };
    s.timer = net.clock.createTimer(sendOne, s);
    s.timer.arm(s.rng.int(0, 10_000));
  }
  net.runUntilIdle();
  const h = createHash('sha256');
  for (const w of captures) {
    const bytes = w.bytes();
    const parsed = readPcap(bytes);
    if (isPcapError(parsed)) throw new Error(parsed.toString());
    h.update(bytes);
  }
  h.update(rxLog.digest());
  const stats = JSON.stringify({
    links: net.links.map((l) => l.stats),
    ports: [...hosts.flatMap((x) => x.ports), ...sw.ports].map((p) => p.stats),
    sw: sw.bridge.stats,
  });
  for (const x of hosts) expect(x.pool.stats.inUse).toBe(0);
  expect(sw.bridge.pool.stats.inUse).toBe(0);
  return { digest: h.digest('hex'), frames: received, stats };
}

describe('determinism', () => {
  it('the same seed gives byte-identical pcaps; another seed gives different ones', () => {
    const a = scenario(42);
    const b = scenario(42);
    const c = scenario(43);
    expect(a.frames).toBeGreaterThan(3000);
    expect(b.digest).toBe(a.digest);
    expect(b.stats).toBe(a.stats);
    expect(c.digest).not.toBe(a.digest);
    // Every impairment actually fired in this run.
    const links = JSON.parse(a.stats).links as { ab: Record<string, unknown>; ba: Record<string, unknown> }[];
    const sum = (k: string): number => links.reduce((s, l) => s + (l.ab[k] as number) + (l.ba[k] as number), 0);
    const drop = (k: string): number =>
      links.reduce((s, l) => s + (l.ab.drops as Record<string, number>)[k]! + (l.ba.drops as Record<string, number>)[k]!, 0);
    expect(sum('duplicated')).toBeGreaterThan(0);
    expect(sum('reordered')).toBeGreaterThan(0);
    expect(sum('corrupted')).toBeGreaterThan(0);
    expect(drop('loss')).toBeGreaterThan(0);
    expect(drop('burstLoss')).toBeGreaterThan(0);
    expect(drop('queueFull')).toBeGreaterThan(0);
  });
});
