/**
 * Receive livelock and ksoftirqd with the full stack (docs/host-model.md "Softirq
 * budget and ksoftirqd"): a bulk TCP transfer into one 2002-era CPU over a link far
 * faster than that CPU can receive. Softirq work alone (perPacketNs per frame)
 * could keep the CPU busy; the budget hands it to ksoftirqd so the reader still
 * runs, and goodput approaches the CPU bound
 *   1 / ((perPacketNs + perPacketNs/2 + MSS·perByteCopyNs) / MSS)  bytes/ns
 * (a data frame, half an ACK frame — RFC 5681 §4.2 — and the reader's copy).
 */
import { describe, expect, it } from 'vitest';
import { simNetwork, type SimMachine } from '../../src/host/index.js';
import { ERA_2002 } from '../../src/host/presets.js';
import { compute } from '../../src/host/process.js';

const MS = 1_000_000;
const MSS = 1448;

function bulk(softirqBudgetNs: number): { goodput: number; b: SimMachine; got: number } {
  // Receiver: 2002 costs, one CPU, NIC checksum offload; sender: a fast 2025 host.
  const { net, machines } = simNetwork({
    seed: 3,
    link: { rate: '10Gbit', delay: '20us', queue: 'unlimited' },
    machines: [
      { name: 'a', era: '2025', cpus: 1, csum: 'unnecessary', tcp: { sndbuf: 4 << 20 } },
      { name: 'b', era: '2002', cpus: 1, csum: 'unnecessary', cost: { softirqBudgetNs }, tcp: { rcvbuf: 1 << 20 } },
    ],
  });
  const [a, b] = machines as [SimMachine, SimMachine];
  let got = 0;
  let t1 = -1;
  let t2 = -1;
  const l = b.sockets.socket();
  b.core.bind(l, 0, 9);
  b.core.listen(l, 1);
  b.spawn('sink', function* () {
    const c = yield* b.sockets.accept(l);
    for (;;) {
      const n = yield* b.sockets.consume(c, 65536);
      if (n <= 0) return;
      yield compute(1);
      got += n;
      if (t1 < 0 && got >= 1 << 20) t1 = net.now();
      if (t2 < 0 && got >= 6 << 20) t2 = net.now();
    }
  });
  const data = new Uint8Array(8 << 20);
  a.spawn('source', function* () {
    const fd = a.sockets.socket();
    yield* a.sockets.connect(fd, b.addr, 9);
    yield* a.sockets.send(fd, data);
    a.sockets.close(fd);
  });
  net.runFor(400 * MS);
  return { goodput: t2 > 0 ? (5 << 20) / (t2 - t1) : 0, b, got };
}

describe('ksoftirqd with bulk TCP: a receiver CPU slower than the link still delivers data', () => {
  it('one 2002 CPU behind a 10 Gbit/s link: ksoftirqd engages, every byte arrives, goodput within 5% of the CPU bound', () => {
    const c = ERA_2002;
    const bound = MSS / (c.perPacketNs * 1.5 + MSS * c.perByteCopyNs); // ≈ 0.162 B/ns ≈ 1.29 Gbit/s
    const linkGoodput = ((10e9 / 8) * MSS) / 1514 / 1e9;
    expect(bound).toBeLessThan(linkGoodput / 5); // the link is far above the CPU limit
    const { goodput, b, got } = bulk(c.softirqBudgetNs);
    const cpu = b.host.cpus[0]!;
    // The receive backlog outlasted the 2 ms budget while the reader waited: ksoftirqd took over.
    expect(cpu.ksoftirqdWakeups).toBeGreaterThan(0);
    expect(cpu.ksoftirqdNs).toBeGreaterThan(c.softirqBudgetNs);
    expect(got).toBe(8 << 20);
    expect(goodput).toBeGreaterThan(0);
    expect(Math.abs(goodput - bound) / bound).toBeLessThan(0.05);
  });
});
