import { describe, expect, it } from 'vitest';
import { PacketPool } from '../../src/buf/pool.js';
import { formatMac } from '../../src/wire/address.js';
import { Network } from '../../src/sim/network.js';
import { RealClock } from '../../src/time/real-clock.js';
import { rawFrame, record } from '../link/sim-helpers.js';

describe('Network builder', () => {
  it('names ports and assigns deterministic MAC addresses', () => {
    const net = new Network({ seed: 1 });
    const h1 = net.addHost('h1');
    const h2 = net.addHost('h2');
    const sw = net.addSwitch('sw');
    const l1 = net.link(h1, h2);
    const l2 = net.connect(h1, sw);
    expect(l1.ports.map((p) => p.name)).toEqual(['h1-eth0', 'h2-eth0']);
    expect(l2.ports.map((p) => p.name)).toEqual(['h1-eth1', 'sw-p0']);
    expect(h1.ports.map((p) => formatMac(p.mac))).toEqual(['02:00:00:00:01:00', '02:00:00:00:01:01']);
    expect(formatMac(h2.ports[0]!.mac)).toBe('02:00:00:00:02:00');
    expect(formatMac(sw.ports[0]!.mac)).toBe('02:00:01:00:01:00');
    expect(net.node('h2')).toBe(h2);
    expect(net.links).toHaveLength(2);
  });

  it('gives each host its own pool unless one is passed', () => {
    const net = new Network({ seed: 1 });
    const shared = new PacketPool({ memoryBytes: 1 << 20 });
    const a = net.addHost('a');
    const b = net.addHost('b', { pool: shared });
    const c = net.addHost('c', { pool: shared });
    expect(a.pool).not.toBe(b.pool);
    expect(b.pool).toBe(c.pool);
  });

  it('accepts units: rate, delay, queue, probabilities', () => {
    const net = new Network({ seed: 1 });
    const link = net.link(net.addHost('a'), net.addHost('b'), {
      rate: '10Gbit',
      delay: '1.5ms',
      queue: '64KiB',
      loss: '1%',
      duplicate: 0.001,
      corrupt: '0.5%',
      reorder: { p: '2%', delay: '100us' },
      burstLoss: { p: '1%', r: '30%' },
      jitter: { amount: '20us', distribution: 'normal' },
      overheadBytes: 24,
    });
    const c = link.wire.ab.config;
    expect(c.rate).toBe(10e9);
    expect(c.delay).toBe(1_500_000);
    expect(c.queueBytes).toBe(65536);
    expect(c.overheadBytes).toBe(24);
    expect(c.impairments).toEqual({
      loss: 0.01,
      duplicate: 0.001,
      corrupt: 0.005,
      reorder: { p: 0.02, delay: 100_000 },
      burstLoss: { p: 0.01, r: 0.3, h: 0, k: 1 },
      jitter: { amount: 20_000, distribution: 'normal' },
    });
    expect(link.wire.ba.config).toEqual(c);
  });

  it('defaults: 1 Gbit/s, no delay, a queue of 1000 full-size frames, no impairments, no offloads', () => {
    const net = new Network({ seed: 1 });
    const link = net.link(net.addHost('a'), net.addHost('b'), { mtu: 9000 });
    const c = link.wire.ab.config;
    expect(c.rate).toBe(1e9);
    expect(c.delay).toBe(0);
    expect(c.queueBytes).toBe(1000 * 9014);
    expect(link.a.capabilities).toEqual({ rxChecksum: 'none', txChecksumOffload: false, maxFrameSize: 9014 });
    const u = net.link('a', 'b', { rate: 'unlimited', queue: 'unlimited' }).wire.ab.config;
    expect(u.rate).toBe(Infinity);
    expect(u.queueBytes).toBe(Infinity);
  });

  it('per-direction and per-end overrides; port settings: end > link > host > defaults', () => {
    const net = new Network({ seed: 1, linkDefaults: { delay: '5us' } });
    const a = net.addHost('a', { rxChecksum: 'complete', txChecksumOffload: true });
    const b = net.addHost('b', { rxChecksum: 'unnecessary' });
    const link = net.link(a, b, { rate: '100Mbit', ba: { rate: '10Mbit', loss: '5%' }, b: { txChecksumOffload: true } });
    expect(link.wire.ab.config.rate).toBe(100e6);
    expect(link.wire.ba.config.rate).toBe(10e6);
    expect(link.wire.ab.config.delay).toBe(5_000);
    expect(link.wire.ab.config.impairments.loss).toBe(0);
    expect(link.wire.ba.config.impairments.loss).toBe(0.05);
    expect(link.a.capabilities.rxChecksum).toBe('complete');
    expect(link.a.capabilities.txChecksumOffload).toBe(true);
    expect(link.b.capabilities.rxChecksum).toBe('unnecessary');
    expect(link.b.capabilities.txChecksumOffload).toBe(true);
    const l2 = net.link(a, b, { rxChecksum: 'none' });
    expect(l2.a.capabilities.rxChecksum).toBe('none');
  });

  it('rejects nonsense values with an error naming the option and the value', () => {
    const net = new Network({ seed: 1 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    const bad: [object, RegExp][] = [
      [{ rate: 'fast' }, /link a-b option "rate".*"fast"/],
      [{ delay: '1 parsec' }, /"delay".*"1 parsec"/],
      [{ queue: '10 bits' }, /"queue".*"10 bits"/],
      [{ loss: '120%' }, /"loss".*"120%"/],
      [{ loss: -0.1 }, /"loss".*-0\.1/],
      [{ burstLoss: { p: 0.1 } }, /"burstLoss" needs p .* and r/],
      [{ burstLoss: { p: 0.1, r: 0.2, q: 1 } }, /unknown option "q"/],
      [{ reorder: { p: 0.1 } }, /"reorder" needs p and delay/],
      [{ jitter: { amount: '1ms', distribution: 'pareto' } }, /"jitter.distribution".*"pareto"/],
      [{ overheadBytes: 2.5 }, /"overheadBytes".*2\.5/],
      [{ mtu: 20 }, /"mtu".*20/],
      [{ rxChecksum: 'yes' }, /"rxChecksum".*"yes"/],
      [{ txChecksumOffload: 'on' }, /"txChecksumOffload".*"on"/],
      [{ speed: '1Gbit' }, /unknown option "speed"/],
      [{ ab: { mtu: 1500 } }, /"ab": unknown option "mtu"/],
    ];
    for (const [opts, re] of bad) {
      expect(() => net.link(a, b, opts), JSON.stringify(opts)).toThrow(re);
    }
    expect(a.ports).toHaveLength(0); // nothing half-built
    expect(() => net.addHost('a')).toThrow(/already exists/);
    expect(() => net.addHost('c', { colour: 'red' } as never)).toThrow(/unknown option "colour"/);
    expect(() => net.link(a, 'nope')).toThrow(/no host or switch named "nope"/);
    expect(() => net.link(a, a)).toThrow(/itself/);
    expect(() => net.connect(a, b as never)).toThrow(/not a switch/);
    expect(() => new Network({} as never)).toThrow(/seed/);
  });

  it('run helpers accept units and drive the virtual clock', () => {
    const net = new Network({ seed: 1 });
    const link = net.link(net.addHost('a'), net.addHost('b'), { delay: '2ms' });
    const rx = record(link.b, net.clock);
    link.a.transmit(rawFrame(net.hosts.get('a')!.pool, 100));
    net.runFor('1ms');
    expect(rx.frames).toHaveLength(0);
    net.runUntil('3ms');
    expect(rx.frames).toHaveLength(1);
    expect(net.now()).toBe(3_000_000);
  });

  it('runs on a RealClock too (run helpers then refuse)', async () => {
    const clock = new RealClock();
    const net = new Network({ seed: 1, clock });
    const link = net.link(net.addHost('a'), net.addHost('b'), { rate: 'unlimited' });
    expect(() => net.runUntilIdle()).toThrow(/VirtualClock/);
    const got = new Promise<number>((resolve) => link.b.setReceiveHandler((fs) => resolve(fs[0]!.length)));
    link.a.transmit(rawFrame(net.hosts.get('a')!.pool, 123));
    expect(await got).toBe(123);
    clock.close();
  });

  it('adding a link does not change the random draws of other links', () => {
    const n1 = new Network({ seed: 9 });
    const n2 = new Network({ seed: 9 });
    for (const n of [n1, n2]) ['a', 'b', 'c', 'd'].forEach((h) => n.addHost(h));
    n2.link('c', 'd', { loss: 0.5 }); // an extra, unrelated link created first
    const l1 = n1.link('a', 'b', { loss: 0.5 });
    const l2 = n2.link('a', 'b', { loss: 0.5 });
    const r1 = record(l1.b, n1.clock);
    const r2 = record(l2.b, n2.clock);
    for (let i = 0; i < 200; i++) {
      l1.a.transmit(rawFrame(n1.hosts.get('a')!.pool, 64, l1.b.mac, l1.a.mac, () => i));
      l2.a.transmit(rawFrame(n2.hosts.get('a')!.pool, 64, l2.b.mac, l2.a.mac, () => i));
    }
    n1.runUntilIdle();
    n2.runUntilIdle();
    expect(r1.frames.map((f) => f.bytes[20])).toEqual(r2.frames.map((f) => f.bytes[20]));
    expect(r1.frames.length).toBeLessThan(150);
  });
});
