/**
 * Integration smoke test of the contract in docs/host-model.md: a Stack given a
 * HostClock, the host's Accounting and HostNic-wrapped ports answers a ping, and
 * its CPU time shows up in the round-trip time.
 */
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { Prng } from '../../src/util/prng.js';
import { Host, HostClock, HostNic } from '../../src/host/index.js';
import { MS, runUntilSettled } from '../ip/harness.js';

function build(simulateCpu: boolean) {
  const net = new Network({ seed: 1, pool: { memoryBytes: 8 * 1024 * 1024 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms' });
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
  const host = new Host({ clock: net.clock, prng: new Prng(1), era: '2002', name: 'h2' });
  const b = simulateCpu
    ? new Stack({
        clock: new HostClock(host),
        acct: host.acct,
        pool: h2.pool,
        name: 'h2',
        nics: h2.ports.map((p) => new HostNic(p, host)),
        config: { interfaces: [{ address: '10.0.0.2/24' }] },
      })
    : new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, config: { interfaces: [{ address: '10.0.0.2/24' }] } });
  return { net, a, b, host };
}

async function secondPingRtt(simulateCpu: boolean): Promise<{ rtt: number; host: Host }> {
  const { net, a, host } = build(simulateCpu);
  await runUntilSettled(net, a.ping('10.0.0.2'));
  const t0 = host.cpuTimes();
  const r = await runUntilSettled(net, a.ping('10.0.0.2', { size: 1000 }));
  expect(r.error).toBeUndefined();
  const u = host.utilisation(t0);
  return { rtt: r.value!.rttNs, host: Object.assign(host, { lastSoftirqNs: u.softirqNs }) };
}

describe('Stack on a simulated host (integration contract)', () => {
  it("the responder's softirq CPU time is added to the ping round-trip time", async () => {
    const plain = await secondPingRtt(false);
    const sim = await secondPingRtt(true);
    const busy = (sim.host as Host & { lastSoftirqNs: number }).lastSoftirqNs;
    expect(busy).toBeGreaterThanOrEqual(2 * 5_000); // at least per-packet cost for request in and reply out (2002)
    expect(sim.rtt - plain.rtt).toBe(busy);
    expect(sim.rtt).toBeLessThan(plain.rtt + 1 * MS);
    expect(sim.host.acct.packets).toBeGreaterThan(0);
  });
});
