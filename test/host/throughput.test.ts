/**
 * CPU model sanity with the full stack (issue F "Done when"; background/receive-path.md
 * §5, Johnson's claim): a bulk TCP transfer is link-bound when the receiver's
 * cost per byte is below the link's time per byte, CPU-bound otherwise; the
 * measured goodput matches min(link goodput, 1 / receiver cost per byte) within 5%.
 *
 * Closed form. The receiver (1 CPU, direct path, NIC checksum offload, costs with
 * no per-syscall / wake-up / context-switch terms) spends per full data segment
 * of MSS = 1448 bytes: perPacketNs to receive it (one all-in charge per frame
 * and direction, docs/host-model.md), MSS·perByteCopyNs for the reader's copy,
 * and half an ACK (RFC 5681 §4.2: one ACK per two full-sized segments) of
 * perPacketNs. The link carries 1514-byte frames per 1448 payload bytes. The
 * receive buffer (1 MiB ≈ 720 segments) stays below the NIC backlog (1000
 * frames), so a CPU-bound receiver's standing queue never overflows it.
 */
import { describe, expect, it } from 'vitest';
import { simNetwork, type SimMachine } from '../../src/host/index.js';
import type { CostModel } from '../../src/host/index.js';
import { compute } from '../../src/host/process.js';

const MS = 1_000_000;
const MSS = 1448;
const FRAME = 1514;

const LEAN: Partial<CostModel> = {
  perPacketNs: 200,
  perByteCopyNs: 10,
  perByteCsumNs: 0,
  perByteCopyCsumNs: 10,
  perSyscallNs: 0,
  contextSwitchNs: 0,
  perWakeupNs: 0,
  wakeupLatency: { kind: 'fixed', ns: 0 },
};

/** Goodput (bytes/ns) of a bulk transfer a → b between the 1st and the 6th MB received. */
function bulkGoodput(rate: string, receiverCost: Partial<CostModel>): { goodput: number; busy: number; b: SimMachine } {
  const { net, machines } = simNetwork({
    seed: 2,
    link: { rate, delay: '50us', queue: 'unlimited' },
    machines: [
      { name: 'a', era: '2025', csum: 'unnecessary', tcp: { sndbuf: 4 << 20 } },
      { name: 'b', era: '2025', csum: 'unnecessary', cost: receiverCost, tcp: { rcvbuf: 1 << 20 } },
    ],
  });
  const [a, b] = machines as [SimMachine, SimMachine];
  const total = 7 << 20;
  let got = 0;
  let t1 = -1;
  let t2 = -1;
  let busy = -1;
  let snap: ReturnType<SimMachine['host']['cpuTimes']> | null = null;
  const l = b.sockets.socket();
  b.core.bind(l, 0, 9);
  b.core.listen(l, 1);
  b.spawn('sink', function* () {
    const c = yield* b.sockets.accept(l);
    for (;;) {
      // One read per process step (a 1 ns compute ends the step): the time read below is then
      // the end of the step that copied those bytes, not the start of a step making several reads.
      const n = yield* b.sockets.consume(c, 65536);
      if (n <= 0) return;
      yield compute(1);
      got += n;
      if (t1 < 0 && got >= 1 << 20) {
        t1 = net.now();
        snap = b.host.cpuTimes();
      }
      if (t2 < 0 && got >= 6 << 20) {
        t2 = net.now();
        busy = 1 - b.host.utilisation(snap!).idle;
      }
    }
  });
  const data = new Uint8Array(total);
  a.spawn('source', function* () {
    const fd = a.sockets.socket();
    yield* a.sockets.connect(fd, b.addr, 9);
    yield* a.sockets.send(fd, data);
    a.sockets.close(fd);
  });
  net.runFor(5_000 * MS);
  expect(got).toBe(total);
  return { goodput: (got >= 6 << 20 ? 5 << 20 : 0) / (t2 - t1), busy, b };
}

describe('bulk TCP with the host CPU model: throughput = min(link, 1 / cost per byte)', () => {
  const cpuPerByte = (c: Partial<CostModel>) => (c.perPacketNs! + MSS * c.perByteCopyNs! + c.perPacketNs! / 2) / MSS;

  it('CPU-bound: a 10 Gbit/s link, a receiver at 10 ns per byte copied → goodput ≈ 1 / cost per byte (within 5%)', () => {
    const expected = 1 / cpuPerByte(LEAN); // ≈ 0.096 B/ns = 96 MB/s, far below the link's 1.2 GB/s
    const linkGoodput = ((10e9 / 8) * MSS) / FRAME / 1e9;
    expect(expected).toBeLessThan(linkGoodput / 5);
    const { goodput, busy } = bulkGoodput('10Gbit', LEAN);
    expect(Math.abs(goodput - expected) / expected).toBeLessThan(0.05);
    // The receiver's CPU is the bottleneck: (nearly) never idle during the measurement.
    expect(busy).toBeGreaterThan(0.97);
  });

  it('link-bound: a 100 Mbit/s link, the same receiver made 100× cheaper → goodput ≈ link rate × 1448/1514 (within 5%)', () => {
    const cheap: Partial<CostModel> = { ...LEAN, perPacketNs: 2, perByteCopyNs: 0.1, perByteCopyCsumNs: 0.1 };
    const expected = ((100e6 / 8) * MSS) / FRAME / 1e9; // ≈ 0.01196 B/ns
    expect(1 / cpuPerByte(cheap)).toBeGreaterThan(expected * 50);
    const { goodput, busy } = bulkGoodput('100Mbit', cheap);
    expect(Math.abs(goodput - expected) / expected).toBeLessThan(0.05);
    expect(busy).toBeLessThan(0.2); // the CPU mostly waits for the link
  });

  it('perPacketNs is the all-in cost of a frame: charged exactly once per frame and direction (docs/host-model.md)', () => {
    const { b } = bulkGoodput('10Gbit', LEAN);
    const port = b.simHost.ports[0]!.stats;
    expect(port.rxFrames).toBeGreaterThan(5000);
    // Every frame the port delivered was charged once on receive, every frame sent once on transmit (ARP included).
    expect(b.host.acct.packets).toBe(port.rxFrames + port.txFrames);
  });

  it('Johnson (2001): a 10× faster copy changes nothing while the link is the bottleneck', () => {
    const slowCopy: Partial<CostModel> = { ...LEAN, perPacketNs: 20, perByteCopyNs: 1, perByteCopyCsumNs: 1 };
    const fastCopy: Partial<CostModel> = { ...slowCopy, perByteCopyNs: 0.1, perByteCopyCsumNs: 0.1 };
    const slow = bulkGoodput('100Mbit', slowCopy).goodput;
    const fast = bulkGoodput('100Mbit', fastCopy).goodput;
    expect(Math.abs(fast - slow) / slow).toBeLessThan(0.01);
  });
});
