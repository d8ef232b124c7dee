/**
 * Request/response (netperf TCP_RR-like) in the simulator: per connection a
 * client process (write the request, read the whole response, repeat) and a
 * server process (read a whole request, write the response). Competing load:
 * CPU-bound processes on the server host.
 *
 * Time-bound runs count the transactions completed in [warm-up, warm-up +
 * durationNs]; count-bound runs do exactly `transactions` per connection.
 *
 * Owns: the simulated driving of rr.
 */
import { compute } from '../../host/index.js';
import { Distribution } from '../../host/stats.js';
import type { CommonParams } from '../types.js';
import { buildPair, cpuSplit, runUntilDone, spawnHogs, tcpCounters, type CpuSplit, openSocket } from './machine.js';

export interface RrSimSpec {
  conns: number;
  requestBytes: number;
  responseBytes: number;
  /** Per connection; 0 = time-bound. */
  transactions: number;
  warmupNs: number;
  /** CPU-bound processes on the server host. */
  load: number;
  /** Server CPU time per request (application work), ns. */
  serviceNs: number;
}

export interface RrSimOutcome {
  transactions: number;
  errors: number;
  windowNs: number;
  latencyNs: Distribution;
  ackDelayNs: Distribution | null;
  runQueueDelayNs: Distribution;
  cpu: { client: CpuSplit; server: CpuSplit };
  simEvents: number;
  virtualNs: number;
  counters: { client: Record<string, number>; server: Record<string, number> };
}

const PORT = 7001;

export function runRrSim(p: CommonParams, spec: RrSimSpec): RrSimOutcome {
  const pair = buildPair(p);
  const { client, server } = pair;
  const clock = pair.net.clock;
  const latency = new Distribution('transactionLatency');
  const timeBound = spec.transactions === 0;
  // With copy = zerocopy the stack references sent buffers until ACKed: send a fresh copy each time.
  const zeroCopy = p.copy === 'zerocopy';
  const windowStart = timeBound ? spec.warmupNs : 0;
  const windowEnd = timeBound ? spec.warmupNs + p.durationNs : Infinity;
  let transactions = 0;
  let errors = 0;
  let done = 0;
  let tFirst = -1;
  let tLast = 0;

  server.spawn('acceptor', function* () {
    const s = server.sockets;
    const lfd = openSocket(server);
    if (server.core.bind(lfd, 0, PORT) !== 0 || server.core.listen(lfd, 64) !== 0) throw new Error('rr: listen failed');
    for (let i = 0; i < spec.conns; i++) {
      const fd = yield* s.accept(lfd);
      if (fd < 0) throw new Error(`rr: accept failed (${fd})`);
      server.spawn(`rr-server${i}`, function* () {
        const req = new Uint8Array(spec.requestBytes);
        const resp = new Uint8Array(spec.responseBytes).fill(0x52);
        for (;;) {
          let got = 0;
          while (got < spec.requestBytes) {
            const n = yield* s.recv(fd, req, got, spec.requestBytes - got);
            if (n <= 0) return;
            got += n;
          }
          if (spec.serviceNs > 0) yield compute(spec.serviceNs);
          const n = yield* s.send(fd, zeroCopy ? resp.slice() : resp, 0, resp.length);
          if (n !== resp.length) return;
        }
      });
    }
  });

  for (let i = 0; i < spec.conns; i++) {
    client.spawn(`rr-client${i}`, function* () {
      const s = client.sockets;
      const fd = openSocket(client);
      const r = yield* s.connect(fd, server.addr, PORT);
      if (r !== 0) throw new Error(`rr: connect failed (${r})`);
      const req = new Uint8Array(spec.requestBytes).fill(0x51);
      const resp = new Uint8Array(spec.responseBytes);
      for (let k = 0; timeBound || k < spec.transactions; k++) {
        const t = clock.now();
        if (tFirst < 0) tFirst = t;
        const n = yield* s.send(fd, zeroCopy ? req.slice() : req, 0, req.length);
        if (n !== req.length) break;
        let got = 0;
        while (got < spec.responseBytes) {
          const m = yield* s.recv(fd, resp, got, spec.responseBytes - got);
          if (m <= 0) break;
          got += m;
        }
        if (got !== spec.responseBytes || resp[0] !== 0x52) errors++;
        const now = clock.now();
        if (t >= windowStart && now <= windowEnd) {
          latency.add(now - t);
          transactions++;
          tLast = now;
        }
      }
      client.core.close(fd);
      done++;
    });
  }
  spawnHogs(server, spec.load);

  const ev0 = pair.events();
  let cpu: RrSimOutcome['cpu'];
  let windowNs: number;
  if (timeBound) {
    pair.net.runUntil(windowStart);
    const c0 = { c: client.host.cpuTimes(), s: server.host.cpuTimes() };
    pair.net.runUntil(windowEnd);
    cpu = { client: cpuSplit(client, c0.c), server: cpuSplit(server, c0.s) };
    windowNs = p.durationNs;
  } else {
    const c0 = { c: client.host.cpuTimes(), s: server.host.cpuTimes() };
    runUntilDone(pair, () => done === spec.conns);
    cpu = { client: cpuSplit(client, c0.c), server: cpuSplit(server, c0.s) };
    windowNs = Math.max(1, tLast - Math.max(0, tFirst));
  }
  return {
    transactions,
    errors,
    windowNs,
    latencyNs: latency,
    ackDelayNs: server.ackDelay,
    runQueueDelayNs: server.host.runQueueDelay,
    cpu,
    simEvents: pair.events() - ev0,
    virtualNs: pair.net.now(),
    counters: { client: tcpCounters(client), server: tcpCounters(server) },
  };
}
