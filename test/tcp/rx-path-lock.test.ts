/**
 * The socket lock and backlog (background/receive-path.md §2 BACKLOGGED; Linux
 * lock_sock / release_sock / tcp_delack_timer's DelayedACKLocked) on a 2-CPU
 * simulated host: the NIC interrupt and timers on CPU 1, the reader on CPU 0,
 * and a copy so slow that one recv step lasts 2 ms.
 */
import { describe, expect, it } from 'vitest';
import { block, simNetwork, sleep, type SimMachine } from '../../src/host/index.js';

const MS = 1_000_000;

function setup(delack: 'rfc' | 'linux') {
  const { net, machines } = simNetwork({
    seed: 21,
    link: { rate: '100Mbit', delay: '1ms' },
    machines: [
      { name: 'a', era: '2002', cost: { wakeupLatency: { kind: 'fixed', ns: 0 } } },
      // 20 µs per byte copied: a 100-byte recv keeps the socket owned for 2 ms.
      // rcvbuf 64 KiB: the first read does not double the window (no window-update ACK from recv).
      { name: 'b', era: '2002', cpus: 2, irqCpu: 1, delack, tcp: { rcvbuf: 65536 }, cost: { perByteCopyNs: 20_000, wakeupLatency: { kind: 'fixed', ns: 0 } } },
    ],
  });
  return { net, a: machines[0]!, b: machines[1]! };
}

function sender(net: ReturnType<typeof setup>['net'], a: SimMachine, b: SimMachine, at: number[]): void {
  a.spawn('sender', function* () {
    const fd = a.sockets.socket();
    expect(yield* a.sockets.connect(fd, b.addr, 80)).toBe(0);
    expect(a.core.setsockopt(fd, 'IPPROTO_TCP', 'TCP_NODELAY', 1)).toBe(0); // no Nagle: each message leaves at once
    for (const t of at) {
      const wait = t - net.now();
      if (wait > 0) yield sleep(wait);
      yield* a.sockets.send(fd, new Uint8Array(100).fill(at.indexOf(t) + 1));
    }
  });
}

describe('socket lock and backlog', () => {
  it('a segment arriving while the reader is inside recv (another CPU) waits on the backlog and is processed at release', () => {
    const { net, a, b } = setup('rfc');
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 1);
    const got: number[] = [];
    b.spawn('reader', function* () {
      const c = yield* b.sockets.accept(l);
      const buf = new Uint8Array(4096);
      while (got.length < 200) {
        const n = yield* b.sockets.recv(c, buf);
        if (n <= 0) return;
        for (let i = 0; i < n; i++) got.push(buf[i]!);
      }
    });
    // The second message arrives 0.5 ms after the first, while the reader copies the first (2 ms).
    sender(net, a, b, [100 * MS, 100.5 * MS]);
    net.runFor(300 * MS);
    expect(got).toEqual([...new Array(100).fill(1), ...new Array(100).fill(2)]);
    expect(b.stack.tcp.mib.TCPBacklogQueued).toBe(1);
  });

  it('on one CPU nothing is ever backlogged (softirq does not run inside a kernel step)', () => {
    const { net, machines } = simNetwork({
      seed: 21,
      link: { rate: '100Mbit', delay: '1ms' },
      machines: [{ name: 'a', era: '2002' }, { name: 'b', era: '2002', cpus: 1, cost: { perByteCopyNs: 20_000, wakeupLatency: { kind: 'fixed', ns: 0 } } }],
    });
    const [a, b] = machines as [SimMachine, SimMachine];
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 1);
    let total = 0;
    b.spawn('reader', function* () {
      const c = yield* b.sockets.accept(l);
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = yield* b.sockets.recv(c, buf);
        if (n <= 0) return;
        total += n;
      }
    });
    sender(net, a, b, [100 * MS, 100.5 * MS]);
    net.runFor(300 * MS);
    expect(total).toBe(200);
    expect(b.stack.tcp.mib.TCPBacklogQueued).toBe(0);
  });

  it('the delayed-ACK timer firing while the socket is owned counts DelayedACKLocked; the ACK leaves at release', () => {
    const { net, a, b } = setup('rfc');
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 1);
    let conn = -1;
    let n = 0;
    b.spawn('reader', function* () {
      conn = yield* b.sockets.accept(l);
      // Poll-style wait (no call, no lock), then read 39.5 ms later: the 40 ms delayed-ACK timer fires mid-copy.
      // A partial read: draining the pushed 100-byte segment would make the read itself ACK (read-ack.ts).
      while ((b.core.poll(conn) & 1) === 0) yield block(b.sockets.readable(conn));
      yield sleep(39.5 * MS);
      n = yield* b.sockets.recv(conn, new Uint8Array(60));
    });
    sender(net, a, b, [100 * MS]);
    net.runFor(300 * MS);
    expect(n).toBe(60);
    const mib = b.stack.tcp.mib;
    expect(mib.DelayedACKLocked).toBe(1);
    expect(mib.DelayedACKs).toBe(0); // the timer did not send it; the release did
    const d = b.ackDelayOf(conn)!;
    expect(d.count).toBe(1);
    // Arrival → (softirq) → +39.5 ms sleep → 1.2 ms copy (60 bytes) → release → ACK.
    expect(d.max()).toBeGreaterThan(40.6 * MS);
    expect(d.max()).toBeLessThan(41.2 * MS);
  });
});
