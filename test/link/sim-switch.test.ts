import { describe, expect, it } from 'vitest';
import { LearningSwitch } from '../../src/link/sim/switch.js';
import { Network, type SimHost } from '../../src/sim/network.js';
import { BROADCAST, rawFrame, record, type Arrival } from './sim-helpers.js';

/** A switch with n hosts, each on its own port; returns per-host receive logs. */
function star(n: number, agingTime?: string) {
  const net = new Network({ seed: 1 });
  const sw = net.addSwitch('sw', agingTime === undefined ? {} : { agingTime });
  const hosts: SimHost[] = [];
  const rx: Arrival[][] = [];
  for (let i = 1; i <= n; i++) {
    const h = net.addHost(`h${i}`);
    net.connect(h, sw, { rate: '1Gbit', delay: '10us' });
    hosts.push(h);
    rx.push(record(h.ports[0]!, net.clock).frames);
  }
  const send = (from: number, to: Uint8Array, tag = 0): void => {
    const h = hosts[from]!;
    h.ports[0]!.transmit(rawFrame(h.pool, 100, to, h.ports[0]!.mac, () => tag));
  };
  return { net, sw, hosts, rx, send, mac: (i: number) => hosts[i]!.ports[0]!.mac };
}

const counts = (rx: Arrival[][]): number[] => rx.map((r) => r.length);

describe('learning switch', () => {
  it('floods a frame to an unknown destination to every port but the ingress one', () => {
    const s = star(4);
    s.send(0, s.mac(2));
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([0, 1, 1, 1]);
    expect(s.sw.bridge.stats.flooded).toBe(1);
  });

  it('forwards unicast only to the learned port once the destination has sent a frame', () => {
    const s = star(4);
    s.send(2, s.mac(0)); // h3 → h1 floods; the switch learns h3
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([1, 1, 0, 1]);
    s.send(0, s.mac(2)); // h1 → h3: learned, so only h3 gets it
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([1, 1, 1, 1]);
    expect(s.sw.bridge.stats.forwarded).toBe(1);
    expect(s.sw.bridge.lookup(s.mac(2))).toBe(2);
    expect(s.sw.bridge.lookup(s.mac(0))).toBe(0);
  });

  it('floods broadcast to all other ports, never back to the sender', () => {
    const s = star(3);
    s.send(1, BROADCAST);
    s.send(1, BROADCAST);
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([2, 0, 2]);
    expect(s.sw.bridge.stats.flooded).toBe(2);
  });

  it('filters a frame whose destination is learned on its ingress port', () => {
    const s = star(3);
    s.send(0, s.mac(0)); // learned on port 0 by this very frame, destined to port 0
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([0, 0, 0]);
    expect(s.sw.bridge.stats.filtered).toBe(1);
    expect(s.sw.bridge.pool.stats.inUse).toBe(0);
  });

  it('forwards between switches connected in a tree', () => {
    const net = new Network({ seed: 1 });
    const core = net.addSwitch('core');
    const edge = net.addSwitch('edge');
    net.link(core, edge);
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    const h3 = net.addHost('h3');
    net.connect(h1, edge);
    net.connect(h2, edge);
    net.connect(h3, core);
    const rx = [h1, h2, h3].map((h) => record(h.ports[0]!, net.clock).frames);
    h3.ports[0]!.transmit(rawFrame(h3.pool, 100, BROADCAST, h3.ports[0]!.mac));
    net.runUntilIdle();
    expect(counts(rx)).toEqual([1, 1, 0]);
    h1.ports[0]!.transmit(rawFrame(h1.pool, 100, h3.ports[0]!.mac, h1.ports[0]!.mac));
    net.runUntilIdle();
    expect(counts(rx)).toEqual([1, 1, 1]);
    expect(edge.bridge.stats.forwarded).toBe(1);
    expect(core.bridge.stats.forwarded).toBe(1);
  });

  it('ages out entries: after agingTime without frames from a station, its frames flood again', () => {
    const s = star(3, '1ms');
    s.send(2, s.mac(0));
    s.net.runUntilIdle();
    s.send(0, s.mac(2));
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([1, 1, 1]); // forwarded
    s.net.runFor('2ms');
    s.send(0, s.mac(2));
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([1, 2, 2]); // flooded: h3's entry aged
    expect(s.sw.bridge.lookup(s.mac(2))).toBe(-1);
  });

  it('follows a station that moves to another port', () => {
    const s = star(3);
    const moved = s.mac(0);
    s.send(0, BROADCAST);
    s.net.runUntilIdle();
    expect(s.sw.bridge.lookup(moved)).toBe(0);
    const h = s.hosts[1]!;
    h.ports[0]!.transmit(rawFrame(h.pool, 100, BROADCAST, moved)); // h1's MAC now seen on port 1
    s.net.runUntilIdle();
    expect(s.sw.bridge.lookup(moved)).toBe(1);
    expect(s.sw.bridge.stats.learned).toBe(2);
  });

  it('shares flooded frames by reference and releases all switch memory afterwards', () => {
    const s = star(5);
    for (let i = 0; i < 20; i++) s.send(i % 5, BROADCAST, i);
    s.net.runUntilIdle();
    expect(counts(s.rx)).toEqual([16, 16, 16, 16, 16]);
    expect(s.sw.bridge.pool.stats.inUse).toBe(0);
    for (const h of s.hosts) expect(h.pool.stats.inUse).toBe(0);
    // Per-port stats: each switch port received 4 frames from its host and sent 16 to it.
    for (const p of s.sw.ports) {
      expect(p.stats.rxFrames).toBe(4);
      expect(p.stats.txFrames).toBe(16);
    }
  });

  it('rejects a negative aging time', () => {
    const net = new Network({ seed: 1 });
    expect(() => new LearningSwitch({ name: 'x', clock: net.clock, pool: net.addHost('h').pool, agingTime: -1 })).toThrow(
      /agingTime/,
    );
  });
});
