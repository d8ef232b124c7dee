/**
 * Receive-path strategies (issue F; background/receive-path.md §2) on two
 * simulated machines in virtual time: the Kleen pathology, the missing 2·MSS
 * rule for prequeue-consumed segments, prequeue overflow, arrival verification of
 * short segments, and zero-copy receive.
 */
import { describe, expect, it } from 'vitest';
import { simNetwork, type SimMachine, type SimMachineOptions } from '../../src/host/index.js';
import { spawnDiscardSink } from '../host/sim-sink.js';
import type { MachineCounters } from '../../src/host/sim-machine.js';
import { TcpSocket } from '../../src/socket/tcp-socket.js';
import { PREQUEUE_ACK_TIMEOUT } from '../../src/tcp/rx-path/index.js';
import type { Tcb } from '../../src/tcp/tcb.js';

const MS = 1_000_000;

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 0xff;
  return b;
}

interface Scenario {
  a: SimMachine;
  b: SimMachine;
  /** Server-side connection descriptor on b (after accept). */
  conn: () => number;
  /** Bytes b's reader received, in order. */
  received: number[];
  run(ns: number): void;
  now(): number;
  /** Send from a at a given virtual time (absolute ns). */
  sendAt(at: number, bytes: Uint8Array): void;
}

/**
 * a connects to b at t≈0; b accepts and reads in a loop (blocking recv of
 * `readSize`); a's sends are scheduled by sendAt. Default: 2002-era hosts, one
 * CPU, 100 Mbit/s, 1 ms each way.
 */
function scenario(bOpts: Partial<SimMachineOptions>, aOpts: Partial<SimMachineOptions> = {}, readSize = 65536): Scenario {
  const { net, machines } = simNetwork({
    seed: 11,
    link: { rate: '100Mbit', delay: '1ms' },
    machines: [
      { name: 'a', era: '2002', ...aOpts },
      { name: 'b', era: '2002', ...bOpts },
    ],
  });
  const [a, b] = machines as [SimMachine, SimMachine];
  const received: number[] = [];
  let conn = -1;
  const l = b.sockets.socket();
  b.core.bind(l, 0, 5000);
  b.core.listen(l, 4);
  b.spawn('reader', function* () {
    conn = yield* b.sockets.accept(l);
    const buf = new Uint8Array(readSize);
    for (;;) {
      const n = yield* b.sockets.recv(conn, buf, 0, buf.length);
      if (n <= 0) return;
      for (let i = 0; i < n; i++) received.push(buf[i]!);
    }
  });
  const queue: { at: number; bytes: Uint8Array }[] = [];
  let cfd = -1;
  a.spawn('writer', function* () {
    cfd = a.sockets.socket();
    expect(yield* a.sockets.connect(cfd, b.addr, 5000)).toBe(0);
    while (queue.length > 0) {
      const m = queue.shift()!;
      const wait = m.at - net.now();
      if (wait > 0) yield { kind: 'sleep', ns: wait };
      yield* a.sockets.send(cfd, m.bytes);
    }
  });
  return {
    a,
    b,
    conn: () => conn,
    received,
    run: (ns) => void net.runFor(ns),
    now: () => net.now(),
    sendAt: (at, bytes) => void queue.push({ at, bytes }),
  };
}

function tcbOf(m: SimMachine, fd: number): Tcb {
  return (m.core.get(fd) as TcpSocket).ep.tcb;
}

function delta(after: MachineCounters, before: MachineCounters): MachineCounters {
  const out = {} as Record<string, number>;
  for (const k of Object.keys(after)) out[k] = (after as unknown as Record<string, number>)[k]! - (before as unknown as Record<string, number>)[k]!;
  return out as unknown as MachineCounters;
}

describe('the Kleen pathology (background/receive-path.md §1, §2 (c))', () => {
  const SEND_AT = 500 * MS;
  const msg = pattern(100);

  /** One 100-byte message to a blocked reader whose wake-up takes `wakeNs`; returns b's view. */
  function oneMessage(bOpts: Partial<SimMachineOptions>, aOpts: Partial<SimMachineOptions> = {}) {
    const s = scenario({ delack: 'linux', ...bOpts }, aOpts);
    s.sendAt(SEND_AT, msg);
    s.run(SEND_AT);
    const before = s.b.counters();
    const t0 = s.b.host.cpuTimes();
    s.run(10 * MS); // the message arrives ~1 ms later; nothing else runs on b in this window
    const mid = s.b.counters();
    const u = s.b.host.utilisation(t0);
    s.run(500 * MS);
    expect(s.received).toEqual([...msg]);
    const d = s.b.ackDelayOf(s.conn())!;
    expect(d.count).toBe(1);
    return { s, ackDelay: d.max(), early: delta(mid, before), all: delta(s.b.counters(), before), softirqNs: u.softirqNs };
  }

  it('prequeue, no checksum offload, reader not scheduled in time: the delayed-ACK timer (150 ms) processes the segment and ACKs (TCPSchedulerFailed)', () => {
    const r = oneMessage({ rxPath: 'prequeue', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } });
    expect(r.all.TCPSchedulerFailed).toBe(1);
    expect(r.all.TCPPrequeued).toBe(0);
    // Nothing was ACKed at arrival: only the IPv4 header was checksummed (the 132-byte TCP segment's check is deferred).
    expect(r.early.bytesChecksummed).toBe(20);
    expect(r.ackDelay).toBeGreaterThanOrEqual(PREQUEUE_ACK_TIMEOUT);
    expect(r.ackDelay).toBeLessThan(PREQUEUE_ACK_TIMEOUT + 1 * MS);
  });

  it('the same with a competing CPU-bound process on a 1-CPU 2002 host (run-queue delay instead of wake-up latency)', () => {
    const s = scenario({ rxPath: 'prequeue', csum: 'none', delack: 'linux', cost: { wakeupLatency: { kind: 'fixed', ns: 0 } } });
    // Three hogs: the woken reader waits behind up to three 60 ms timeslices.
    for (let i = 0; i < 3; i++) {
      s.b.spawn(`hog${i}`, function* () {
        for (;;) yield { kind: 'compute', ns: 1_000 * MS };
      });
    }
    s.sendAt(SEND_AT, msg);
    s.run(SEND_AT + 400 * MS);
    expect(s.received).toEqual([...msg]);
    expect(s.b.counters().TCPSchedulerFailed).toBe(1);
    const d = s.b.ackDelayOf(s.conn())!;
    expect(d.max()).toBeGreaterThanOrEqual(PREQUEUE_ACK_TIMEOUT);
    expect(d.max()).toBeLessThan(PREQUEUE_ACK_TIMEOUT + 1 * MS);
  });

  it('direct, no offload: the ACK leaves at arrival plus the softirq processing cost (quickack), exactly as the cost model prices the work', () => {
    const r = oneMessage({ rxPath: 'direct', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } });
    expect(r.all.TCPSchedulerFailed).toBe(0);
    const cost = r.s.b.host.cost;
    // Work of the one softirq item: packets in and out, software checksums (no offload either way).
    const expected = r.early.packets * cost.perPacketNs + r.early.bytesChecksummed * cost.perByteCsumNs + r.early.bytesCopied * cost.perByteCopyNs;
    expect(r.early.packets).toBe(2); // one all-in charge per frame: the segment in (IPv4 receive), the ACK out (link transmit)
    expect(r.early.bytesChecksummed).toBe(132 + 20 + (32 + 20)); // segment + IPv4 header in; the ACK's TCP and IPv4 headers out
    expect(r.ackDelay).toBe(expected);
    expect(r.softirqNs).toBe(expected);
  });

  it("prequeue-hwcsum (Kleen's patch) with NIC checksum offload: the segment bypasses the prequeue and is ACKed at arrival plus processing cost", () => {
    const r = oneMessage({ rxPath: 'prequeue-hwcsum', csum: 'unnecessary', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } }, { csum: 'unnecessary' });
    expect(r.all.TCPSchedulerFailed).toBe(0);
    expect(r.all.TCPPrequeued).toBe(0);
    const cost = r.s.b.host.cost;
    expect(r.early.bytesChecksummed).toBe(40); // IPv4 headers only
    expect(r.ackDelay).toBe(r.early.packets * cost.perPacketNs + r.early.bytesChecksummed * cost.perByteCsumNs);
    expect(r.ackDelay).toBeLessThan(100_000);
  });

  it('prequeue-hwcsum with CHECKSUM_COMPLETE: verified at arrival by folding the NIC sum (no software checksum), so it bypasses', () => {
    const r = oneMessage({ rxPath: 'prequeue-hwcsum', csum: 'complete', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } }, { csum: 'complete' });
    expect(r.all.TCPPrequeued + r.all.TCPSchedulerFailed).toBe(0);
    expect(r.early.bytesChecksummed).toBe(40); // IPv4 headers only
    expect(r.ackDelay).toBeLessThan(100_000);
  });

  it('plain prequeue with offload still queues (2.4 did): only the patch removes the delay', () => {
    const r = oneMessage({ rxPath: 'prequeue', csum: 'unnecessary', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } }, { csum: 'unnecessary' });
    expect(r.all.TCPSchedulerFailed).toBe(1);
    expect(r.ackDelay).toBeGreaterThanOrEqual(PREQUEUE_ACK_TIMEOUT);
  });

  it('prequeue with a reader scheduled in time: the reader processes the segment with the fused checksum+copy and ACKs (quickack)', () => {
    const r = oneMessage({ rxPath: 'prequeue', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 20_000 } } });
    expect(r.all.TCPSchedulerFailed).toBe(0);
    expect(r.all.TCPPrequeued).toBe(1);
    expect(r.all.TCPDirectCopyFromPrequeue).toBe(100);
    expect(r.all.bytesCopyChecksummed).toBe(100); // the payload: one fused pass
    expect(r.all.bytesCopied).toBe(0); // no separate copy
    expect(r.ackDelay).toBeLessThan(1 * MS);
    expect(r.ackDelay).toBeGreaterThan(20_000); // it waited for the reader
  });
});

describe('the 2·MSS rule (RFC 5681 §4.2) and prequeue-consumed segments', () => {
  /** An initial window of 10 full segments reaches a reader blocked in recv (wake-up 3 ms, after the whole burst). */
  function burst(rxPath: 'direct' | 'prequeue') {
    const s = scenario({ rxPath, csum: 'none', delack: 'rfc', cost: { wakeupLatency: { kind: 'fixed', ns: 3 * MS } } });
    const data = pattern(10 * 1448, 3);
    s.sendAt(300 * MS, data);
    s.run(300 * MS);
    const before = s.b.counters();
    const mib0 = { ...s.b.stack.tcp.mib };
    s.run(30 * MS);
    expect(s.received.length).toBe(data.length);
    const mib = s.b.stack.tcp.mib;
    return { d: delta(s.b.counters(), before), ack2mss: mib.ImmediateAck2Mss - mib0.ImmediateAck2Mss, acks: mib.OutSegs - mib0.OutSegs, s };
  }

  it('direct applies it: an ACK for every second full-sized segment', () => {
    const r = burst('direct');
    expect(r.d.InSegs).toBe(10);
    expect(r.ack2mss).toBe(5);
    expect(r.acks).toBeGreaterThanOrEqual(5);
  });

  it('prequeue does not: ten segments eaten by the reader get one ACK, from cleanup_rbuf at the end of the read', () => {
    const r = burst('prequeue');
    expect(r.d.TCPPrequeued).toBe(10);
    expect(r.d.TCPDirectCopyFromPrequeue).toBe(10 * 1448);
    expect(r.ack2mss).toBe(0);
    expect(r.acks).toBe(1);
    expect(r.s.b.stack.tcp.mib.ImmediateAckOnRead).toBe(1);
  });
});

describe('prequeue limits and checksum timing', () => {
  it('prequeue memory above the receive buffer flushes the whole queue through softirq processing (TCPPrequeueDropped); no data is lost', () => {
    // rcvbuf 2900: the window admits two full segments (2 × 1480 bytes of TCP segment > 2900).
    const s = scenario({ rxPath: 'prequeue', csum: 'none', tcp: { rcvbuf: 2900 }, cost: { wakeupLatency: { kind: 'fixed', ns: 50 * MS } } });
    const data = pattern(20_000, 9);
    s.sendAt(300 * MS, data);
    s.run(2_000 * MS);
    expect(s.b.counters().TCPPrequeueDropped).toBeGreaterThanOrEqual(2);
    expect(s.received).toEqual([...data]);
  });

  it('segments of at most 76 bytes are verified at arrival (tcp_v4_checksum_init); the reader then copies without a checksum', () => {
    const s = scenario({ rxPath: 'prequeue', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 5 * MS } } });
    s.sendAt(300 * MS, pattern(40)); // 40 + 32 header bytes = 72
    s.run(300 * MS);
    const c0 = s.b.counters();
    s.run(2 * MS); // arrived, reader not yet running
    const c1 = s.b.counters();
    expect(c1.bytesChecksummed - c0.bytesChecksummed).toBe(72 + 20);
    expect(c1.TCPPrequeued).toBe(0);
    s.run(20 * MS);
    const c2 = s.b.counters();
    expect(c2.TCPPrequeued).toBe(1);
    expect(c2.bytesCopied - c1.bytesCopied).toBe(40); // plain copy: already verified
    expect(c2.bytesCopyChecksummed - c1.bytesCopyChecksummed).toBe(0);
    expect(s.received.length).toBe(40);
  });

  it('a longer segment is verified in the reader, fused with the copy (header summed, payload copy+sum)', () => {
    const s = scenario({ rxPath: 'prequeue', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 5 * MS } } });
    s.sendAt(300 * MS, pattern(200));
    s.run(300 * MS);
    const c0 = s.b.counters();
    s.run(30 * MS);
    const c = delta(s.b.counters(), c0);
    expect(c.TCPPrequeued).toBe(1);
    expect(c.bytesCopyChecksummed).toBe(200);
    expect(c.bytesChecksummed).toBe(32 + 20 + (32 + 20)); // TCP header in the reader, IPv4 header in; the ACK's headers out
    expect(c.bytesCopied).toBe(0);
  });

  it('prequeue-hwcsum: without offload, short segments bypass (verified at arrival) and longer ones are still queued', () => {
    const s = scenario({ rxPath: 'prequeue-hwcsum', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 5 * MS } } });
    s.sendAt(300 * MS, pattern(40));
    s.sendAt(400 * MS, pattern(200));
    s.run(350 * MS);
    expect(s.b.counters().TCPPrequeued).toBe(0);
    s.run(100 * MS);
    expect(s.b.counters().TCPPrequeued).toBe(1);
    expect(s.received.length).toBe(240);
  });

  it('a per-socket choice overrides the stack default and is inherited by accepted connections', () => {
    const s = scenario({ rxPath: 'direct', csum: 'none', cost: { wakeupLatency: { kind: 'fixed', ns: 200 * MS } } });
    // The listener is fd 3 on b.
    expect(s.b.sockets.setReceivePath(3, 'prequeue')).toBe(0);
    s.sendAt(300 * MS, pattern(100));
    s.run(800 * MS);
    expect(tcbOf(s.b, s.conn()).rx?.path?.name).toBe('prequeue');
    expect(s.b.counters().TCPSchedulerFailed).toBe(1);
    expect(() => s.b.sockets.setReceivePath(3, 'fastest')).toThrow(/receive path: unknown name "fastest"/);
  });
});

describe('zero-copy modes avoid the copy', () => {
  it('zerocopy receive + zerocopy send: the accounting shows 0 bytes copied on either host, and every byte arrives', () => {
    const { net, machines } = simNetwork({
      seed: 4,
      link: { rate: '1Gbit', delay: '100us' },
      machines: [
        { name: 'a', csum: 'unnecessary', copy: 'zerocopy' },
        { name: 'b', csum: 'unnecessary', rxPath: 'zerocopy' },
      ],
    });
    const [a, b] = machines as [SimMachine, SimMachine];
    const total = 2_000_000;
    const data = pattern(total, 5);
    const sink = spawnDiscardSink(b, 9);
    a.spawn('source', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, b.addr, 9);
      yield* a.sockets.send(fd, data);
      a.sockets.close(fd);
    });
    net.runFor(1_000 * MS);
    expect(sink.got).toBe(total);
    expect(b.counters().bytesCopied).toBe(0);
    expect(b.counters().bytesCopyChecksummed).toBe(0);
    expect(a.counters().bytesCopied).toBe(0);
  });

  it('the same transfer with direct receive and copy send copies every byte once on each side', () => {
    const { net, machines } = simNetwork({
      seed: 4,
      link: { rate: '1Gbit', delay: '100us' },
      machines: [
        { name: 'a', csum: 'unnecessary' },
        { name: 'b', csum: 'unnecessary', rxPath: 'direct' },
      ],
    });
    const [a, b] = machines as [SimMachine, SimMachine];
    const total = 500_000;
    const sink = spawnDiscardSink(b, 9);
    a.spawn('source', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, b.addr, 9);
      yield* a.sockets.send(fd, pattern(total));
      a.sockets.close(fd);
    });
    net.runFor(1_000 * MS);
    expect(sink.got).toBe(total);
    expect(b.counters().bytesCopied).toBe(total);
    expect(a.counters().bytesCopied).toBe(total);
  });
});
