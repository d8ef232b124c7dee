/**
 * SimMachine / simNetwork and ProcessSockets: simulated applications on two
 * machines (Host + Stack + SocketCore) joined by a link, in virtual time.
 */
import { describe, expect, it } from 'vitest';
import { block, simNetwork, type SimMachine, type SimMachineOptions } from '../../src/host/index.js';
import { Errno } from '../../src/socket/errno.js';
import { TcpSocket } from '../../src/socket/tcp-socket.js';

const MS = 1_000_000;

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

interface EchoResult {
  echoed: Uint8Array;
  rtts: number[];
  clientDone: boolean;
  serverDone: boolean;
  a: SimMachine;
  b: SimMachine;
}

/** Client on a sends `count` messages of `size` bytes one at a time; server on b echoes each. */
function runEcho(count: number, size: number, extra: Partial<SimMachineOptions> = {}, seed = 7): EchoResult {
  const { net, machines } = simNetwork({
    seed,
    link: { rate: '100Mbit', delay: '1ms' },
    machines: [
      { name: 'a', era: '2002', ...extra },
      { name: 'b', era: '2002', ...extra },
    ],
  });
  const [a, b] = machines as [SimMachine, SimMachine];
  const sent = pattern(count * size, seed);
  const echoed = new Uint8Array(count * size);
  const rtts: number[] = [];
  let clientDone = false;
  let serverDone = false;
  const lfd = b.sockets.socket();
  expect(b.core.bind(lfd, 0, 7000)).toBe(0);
  expect(b.core.listen(lfd, 8)).toBe(0);
  b.spawn('echo-server', function* () {
    const c = yield* b.sockets.accept(lfd);
    expect(c).toBeGreaterThanOrEqual(3);
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = yield* b.sockets.recv(c, buf, 0, buf.length);
      if (n <= 0) break;
      expect(yield* b.sockets.send(c, buf, 0, n)).toBe(n);
    }
    b.sockets.close(c);
    serverDone = true;
  });
  a.spawn('echo-client', function* () {
    const fd = a.sockets.socket();
    expect(yield* a.sockets.connect(fd, b.addr, 7000)).toBe(0);
    for (let i = 0; i < count; i++) {
      const t0 = net.now();
      expect(yield* a.sockets.send(fd, sent, i * size, size)).toBe(size);
      let got = 0;
      while (got < size) {
        const n = yield* a.sockets.recv(fd, echoed, i * size + got, size - got);
        expect(n).toBeGreaterThan(0);
        got += n;
      }
      rtts.push(net.now() - t0);
    }
    a.sockets.close(fd);
    clientDone = true;
  });
  net.runFor(2_000 * MS);
  expect(echoed).toEqual(sent);
  return { echoed, rtts, clientDone, serverDone, a, b };
}

describe('simNetwork: two machines run a simulated echo', () => {
  it('echoes every byte in order and both applications finish (blocking accept/connect/recv/send)', () => {
    const r = runEcho(20, 100);
    expect(r.clientDone).toBe(true);
    expect(r.serverDone).toBe(true);
    expect(r.rtts).toHaveLength(20);
    // One round trip is at least twice the 1 ms propagation delay plus CPU time on both hosts.
    for (const rtt of r.rtts) expect(rtt).toBeGreaterThan(2 * MS);
  });

  it('the CPU time of both hosts is real work: process and softirq time, syscalls and copies counted', () => {
    const r = runEcho(10, 1000);
    for (const m of [r.a, r.b]) {
      const u = m.host.utilisation({ at: 0, softirqNs: [0], processNs: [0] });
      expect(u.softirqNs).toBeGreaterThan(0);
      expect(u.processNs).toBeGreaterThan(0);
      const c = m.counters();
      expect(c.syscalls).toBeGreaterThanOrEqual(20);
      // 10 messages of 1000 B copied in by send and out by recv on each side.
      expect(c.bytesCopied).toBeGreaterThanOrEqual(2 * 10 * 1000);
      // csum 'none': every segment checksummed in software on receive and send.
      expect(c.bytesChecksummed).toBeGreaterThan(2 * 10 * 1000);
    }
  });

  it('stats() gathers the CPU split, the counters and the ACK-delay summary', () => {
    const r = runEcho(5, 100);
    const s = r.b.stats();
    expect(s.cpu.softirq + s.cpu.process + s.cpu.idle).toBeCloseTo(1, 12);
    expect(s.cpu.softirqNs).toBeGreaterThan(0);
    expect(s.counters.InSegs).toBeGreaterThan(5);
    expect(s.ackDelay?.count).toBe(r.b.ackDelay.count);
    expect(JSON.parse(JSON.stringify(s)).counters.InSegs).toBe(s.counters.InSegs);
  });

  it('measures ACK delays per socket and per host', () => {
    const r = runEcho(10, 100);
    expect(r.b.ackDelay.count).toBeGreaterThan(0);
    expect(r.a.ackDelay.count).toBeGreaterThan(0);
    expect(r.b.ackDelay.min()).toBeGreaterThanOrEqual(0);
    expect(r.b.ackDelay.max()).toBeLessThan(200 * MS);
  });

  it('the same seed gives the same round-trip times; checksum offload makes them shorter', () => {
    const one = runEcho(8, 1000);
    const two = runEcho(8, 1000);
    expect(two.rtts).toEqual(one.rtts);
    const off = runEcho(8, 1000, { csum: 'unnecessary' });
    const sum = (x: number[]) => x.reduce((s, v) => s + v, 0);
    expect(sum(off.rtts)).toBeLessThan(sum(one.rtts));
    // Only IPv4 headers (20 B in and out, always software, as Linux) are left to checksum.
    const c = off.b.counters();
    expect(c.bytesChecksummed).toBe(20 * (c.InSegs + c.OutSegs));
  });

  it('builds N > 2 machines on a switch', () => {
    const { net, machines } = simNetwork({ seed: 3, machines: [{ name: 'x' }, { name: 'y' }, { name: 'z' }] });
    expect(machines.map((m) => m.addr)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    let ok = 0;
    const [x, , z] = machines as [SimMachine, SimMachine, SimMachine];
    const l = z.sockets.socket();
    z.core.bind(l, 0, 9);
    z.core.listen(l, 4);
    z.spawn('srv', function* () {
      const c = yield* z.sockets.accept(l);
      const buf = new Uint8Array(10);
      ok = yield* z.sockets.recv(c, buf);
    });
    x.spawn('cli', function* () {
      const fd = x.sockets.socket();
      expect(yield* x.sockets.connect(fd, '10.0.0.3', 9)).toBe(0);
      yield* x.sockets.send(fd, new Uint8Array([1, 2, 3]));
    });
    net.runFor(100 * MS);
    expect(ok).toBe(3);
  });

  it('bad options are errors naming the option', () => {
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a' }] })).toThrow(/machines/);
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a', rxPath: 'fast' as never }, { name: 'b' }] })).toThrow(/rxPath.*fast/);
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a', csum: 'hw' as never }, { name: 'b' }] })).toThrow(/csum/);
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a', era: '1999' as never }, { name: 'b' }] })).toThrow(/era/);
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a', cost: { perPacketNs: -1 } }, { name: 'b' }] })).toThrow(/perPacketNs/);
    expect(() => simNetwork({ seed: 1, machines: [{ name: 'a', colour: 'red' } as never, { name: 'b' }] })).toThrow(/colour/);
  });
});

describe('ProcessSockets', () => {
  function pair(extra: Partial<SimMachineOptions> = {}) {
    const { net, machines } = simNetwork({
      seed: 5,
      link: { rate: '1Gbit', delay: '100us' },
      machines: [
        { name: 'a', ...extra },
        { name: 'b', ...extra },
      ],
    });
    return { net, a: machines[0]!, b: machines[1]! };
  }

  it('connect to a port nobody listens on returns ECONNREFUSED', () => {
    const { net, a } = pair();
    let r = 1;
    a.spawn('c', function* () {
      const fd = a.sockets.socket();
      r = yield* a.sockets.connect(fd, '10.0.0.2', 1234);
    });
    net.runFor(50 * MS);
    expect(r).toBe(Errno.ECONNREFUSED);
  });

  it('a blocked recv marks the connection as having a waiting reader of its buffer size (Linux ucopy.len), cleared by the read', () => {
    const { net, a, b } = pair();
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 4);
    let conn = -1;
    let got = 0;
    b.spawn('reader', function* () {
      conn = yield* b.sockets.accept(l);
      got = yield* b.sockets.recv(conn, new Uint8Array(5000), 0, 3000);
    });
    let cfd = -1;
    a.spawn('writer', function* () {
      cfd = a.sockets.socket();
      yield* a.sockets.connect(cfd, '10.0.0.2', 80);
      yield { kind: 'sleep', ns: 20 * MS };
      yield* a.sockets.send(cfd, new Uint8Array(100));
    });
    net.runFor(10 * MS);
    const ep = (b.core.get(conn) as TcpSocket).ep;
    expect(ep.tcb.rx?.readerWaiting).toBe(true);
    expect(ep.tcb.rx?.readerLen).toBe(3000);
    net.runFor(40 * MS);
    expect(got).toBe(100);
    expect(ep.tcb.rx?.readerWaiting).toBe(false);
  });

  it('the reader wakes when the softirq item that made the socket readable ends (plus the wake-up latency)', () => {
    const latency = 50_000;
    const { net, a, b } = pair({ era: '2002', cost: { wakeupLatency: { kind: 'fixed', ns: latency }, contextSwitchNs: 0 } });
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 4);
    let woke = -1;
    let conn = -1;
    b.spawn('reader', function* () {
      conn = yield* b.sockets.accept(l);
      yield* b.sockets.recv(conn, new Uint8Array(100));
      woke = net.now();
    });
    a.spawn('writer', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, '10.0.0.2', 80);
      yield { kind: 'sleep', ns: 5 * MS };
      yield* a.sockets.send(fd, new Uint8Array(10));
    });
    net.runFor(30 * MS);
    expect(woke).toBeGreaterThan(0);
    // The wake-up was issued at the end of a softirq item and took exactly the fixed latency to reach the run queue.
    const d = b.host.wakeupDelay;
    expect(d.min()).toBeGreaterThanOrEqual(latency);
  });

  it('send blocks until every byte is queued when the send buffer is small', () => {
    const { net, a, b } = pair({ tcp: { sndbuf: 4096, rcvbuf: 8192 } });
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 4);
    const total = 200_000;
    let received = 0;
    b.spawn('sink', function* () {
      const c = yield* b.sockets.accept(l);
      const buf = new Uint8Array(8192);
      for (;;) {
        const n = yield* b.sockets.recv(c, buf);
        if (n <= 0) break;
        received += n;
      }
    });
    let sent = -1;
    a.spawn('source', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, '10.0.0.2', 80);
      sent = yield* a.sockets.send(fd, pattern(total, 1));
      a.sockets.close(fd);
    });
    net.runFor(2_000 * MS);
    expect(sent).toBe(total);
    expect(received).toBe(total);
  });

  it('readable(fd) serves poll-style applications', () => {
    const { net, a, b } = pair();
    const l = b.sockets.socket();
    b.core.bind(l, 0, 80);
    b.core.listen(l, 4);
    let sawData = false;
    b.spawn('poller', function* () {
      const c = yield* b.sockets.accept(l);
      while (b.core.poll(c) === 0 || (b.core.poll(c) & 1) === 0) yield block(b.sockets.readable(c));
      sawData = b.core.recv(c, new Uint8Array(10)) === 4;
    });
    a.spawn('c', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, '10.0.0.2', 80);
      yield* a.sockets.send(fd, new Uint8Array(4));
    });
    net.runFor(50 * MS);
    expect(sawData).toBe(true);
  });

  it('recv on a closed descriptor is EBADF; setReceivePath on one too', () => {
    const { net, a } = pair();
    let r = 0;
    a.spawn('x', function* () {
      r = yield* a.sockets.recv(42, new Uint8Array(4));
    });
    net.runFor(MS);
    expect(r).toBe(Errno.EBADF);
    expect(a.sockets.setReceivePath(42, 'prequeue')).toBe(Errno.EBADF);
  });
});
