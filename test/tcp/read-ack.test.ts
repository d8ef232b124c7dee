/**
 * Linux tcp_cleanup_rbuf (src/tcp/read-ack.ts): the ACK a read makes due, on
 * every receive path. A CPU-bound one-CPU receiver whose window shrinks must be
 * ACKed by its reads, not by the delayed-ACK timer: a bulk transfer into it
 * never stalls (no RTO, no window probe) and runs at the CPU bound,
 * whatever the delayed-ACK policy.
 */
import { describe, expect, it } from 'vitest';
import { simNetwork, type SimMachine } from '../../src/host/index.js';
import { compute } from '../../src/host/process.js';
import type { DelackName } from '../../src/lab/types.js';

const MS = 1_000_000;
const MTU = 9000;

/**
 * Johnson's setting (docs/lab.md): two one-CPU 2002 hosts, jumbo frames, no
 * checksum offload, a copy+csum sender — the receiver's softirq (checksum) and
 * the sender's copy cost about the same, so the reader drains the queue between
 * bursts, the offered window never halves, and only cleanup_rbuf's "more than
 * one rcv_mss unACKed" rule can send the ACK the `linux` arrival rule withheld
 * (it ACKs a second full segment only if the window does not shrink).
 * Each socket call is its own process step (`compute(1)` after it), so a
 * step's frames leave when that call ends.
 */
function bulkOneCpuHosts(delack: DelackName, rxPath: 'direct' | 'prequeue' | 'zerocopy' = 'direct') {
  const host = { era: '2002', cpus: 1, csum: 'none', mtu: MTU, delack, tcp: { sndbuf: 256 << 10, rcvbuf: 256 << 10 } } as const;
  const { net, machines } = simNetwork({
    seed: 3,
    link: { rate: '10Gbit', delay: '20us', queue: 'unlimited' },
    machines: [
      { name: 'a', ...host, copy: 'copy+csum' },
      { name: 'b', ...host, rxPath },
    ],
  });
  const [a, b] = machines as [SimMachine, SimMachine];
  const total = 12 << 20;
  let got = 0;
  let tEnd = -1;
  let t1 = -1;
  let t2 = -1;
  let busy = { a: 0, b: 0 };
  let snap: { a: ReturnType<SimMachine['host']['cpuTimes']>; b: ReturnType<SimMachine['host']['cpuTimes']> } | null = null;
  const l = b.sockets.socket();
  b.core.bind(l, 0, 9);
  b.core.listen(l, 1);
  b.spawn('reader', function* () {
    const c = yield* b.sockets.accept(l);
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = yield* b.sockets.recv(c, buf, 0, buf.length);
      if (n <= 0) return;
      got += n;
      if (got === total) tEnd = net.now();
      if (t1 < 0 && got >= 2 << 20) {
        t1 = net.now();
        snap = { a: a.host.cpuTimes(), b: b.host.cpuTimes() };
      }
      if (t2 < 0 && got >= 10 << 20) {
        t2 = net.now();
        busy = { a: 1 - a.host.utilisation(snap!.a).idle, b: 1 - b.host.utilisation(snap!.b).idle };
      }
      yield compute(1);
    }
  });
  const data = new Uint8Array(total);
  a.spawn('writer', function* () {
    const fd = a.sockets.socket();
    yield* a.sockets.connect(fd, b.addr, 9);
    for (let off = 0; off < total; off += 65536) {
      yield* a.sockets.send(fd, data, off, 65536);
      yield compute(1);
    }
    a.sockets.close(fd);
  });
  net.runFor(2_000 * MS);
  const goodput = t2 > t1 && t1 >= 0 ? (8 << 20) / (t2 - t1) : 0;
  return { got, total, goodput, busy, elapsed: tEnd, sender: a.stack.tcp.mib, receiver: b.stack.tcp.mib };
}

describe('tcp_cleanup_rbuf: a read ACKs what the arrival rules left unACKed (read-ack.ts)', () => {
  for (const delack of ['linux', 'rfc', 'off'] as const) {
    it(`delack ${delack}: bulk between one-CPU hosts never stalls and runs at the CPU bound (the bottleneck CPU ≥ 95% busy)`, () => {
      const r = bulkOneCpuHosts(delack);
      expect(r.got).toBe(r.total);
      expect(r.sender.TCPTimeouts).toBe(0); // no RTO needed to recover
      expect(r.sender.TCPWinProbe).toBe(0); // nor a persist probe
      expect(r.receiver.DelayedACKs).toBe(0); // nor the delayed-ACK timer
      // No stall anywhere: the whole transfer (slow start included) takes at most 10% longer than at the steady rate.
      expect(r.elapsed).toBeLessThan((1.1 * r.total) / r.goodput);
      // At the CPU bound the slower host never idles (goodput = 1 / its cost per byte).
      expect(Math.max(r.busy.a, r.busy.b)).toBeGreaterThan(0.95);
    });
  }

  it('linux delack, direct path: the reads send the ACKs (ImmediateAckOnRead), the delayed-ACK timer never', () => {
    const r = bulkOneCpuHosts('linux');
    expect(r.receiver.ImmediateAckOnRead).toBeGreaterThan(50);
    expect(r.receiver.DelayedACKs).toBe(0);
  });

  it('the rule is shared: linux delack on the prequeue and zerocopy paths does not stall either', () => {
    for (const path of ['prequeue', 'zerocopy'] as const) {
      const r = bulkOneCpuHosts('linux', path);
      expect(r.got).toBe(r.total);
      expect(r.sender.TCPTimeouts).toBe(0);
      expect(Math.max(r.busy.a, r.busy.b)).toBeGreaterThan(0.95);
    }
  });
});
