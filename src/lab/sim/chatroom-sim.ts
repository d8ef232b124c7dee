/**
 * The chat benchmark in the simulator, structured like the original
 * (background/receive-path.md §4): on each side of every connection a reader
 * process and a writer process, so with R rooms there are 4·20·R processes
 * competing for the hosts' CPUs, and a reader's scheduling delay is part of the
 * workload — the condition under which the prequeue hurts.
 *
 *  - client host: per user, a writer (connect, join, then `msgs` messages, one
 *    write each) and a reader (one read per message, checks every message);
 *  - server host: an acceptor; per connection a reader (one read per message,
 *    hands each message to the other 19 connections' writers) and a writer (one
 *    write per forwarded message, from its queue).
 *
 * Owns: the simulated driving of the chatroom. Workload rules: chat-protocol.ts.
 */
import { block, compute, Waitable } from '../../host/index.js';
import { Distribution } from '../../host/stats.js';
import { CHAT_MAGIC, ChatFramer, ChatServerLogic, ChatVerifier, encodeMessage, JOIN_MAGIC, type ChatOutcome, type ChatShape } from '../workloads/chat-protocol.js';
import type { CommonParams } from '../types.js';
import { buildPair, cpuSplit, runUntilDone, spawnHogs, tcpCounters, type CpuSplit, type LabMachine, openSocket } from './machine.js';

export interface ChatSimSpec extends ChatShape {
  /** CPU-bound processes competing on the server host. */
  load: number;
  /** Application work per message handled (ns of compute), on both sides. */
  appNsPerMsg: number;
}

export interface ChatSimOutcome extends ChatOutcome {
  simEvents: number;
  virtualNs: number;
  counters: { client: Record<string, number>; server: Record<string, number> };
  ackDelayNs: Distribution | null;
  runQueueDelayNs: Distribution;
  cpu: { client: CpuSplit; server: CpuSplit };
}

const PORT = 9999;
interface ServerConn {
  fd: number;
  queue: Uint8Array[];
  ready: Waitable;
  /** Messages this connection's writer must send before it may stop. */
  remaining: number;
}

export function runChatroomSim(p: CommonParams, spec: ChatSimSpec): ChatSimOutcome {
  const pair = buildPair(p);
  const { client, server } = pair;
  const shape: ChatShape = spec;
  const users = spec.rooms * spec.usersPerRoom;
  const verifier = new ChatVerifier(shape);
  const latency = new Distribution('messageLatency');
  const clock = pair.net.clock;
  let t0 = -1;
  let tLast = 0;
  let sent = 0;
  let readersDone = 0;

  // --- server ---
  const logic = new ChatServerLogic<ServerConn>(shape, (to, b, off) => {
    to.queue.push(b.slice(off, off + spec.msgBytes));
    to.ready.signal();
  });
  const perConnForwards = (spec.usersPerRoom - 1) * spec.msgsPerUser;
  server.spawn('acceptor', function* () {
    const s = server.sockets;
    const lfd = openSocket(server);
    server.core.setsockopt(lfd, 'SOL_SOCKET', 'SO_REUSEADDR', 1);
    if (server.core.bind(lfd, 0, PORT) !== 0 || server.core.listen(lfd, 4096) !== 0) throw new Error('chat server: listen failed');
    for (let i = 0; i < users; i++) {
      const fd = yield* s.accept(lfd);
      if (fd < 0) throw new Error(`chat server: accept failed (${fd})`);
      const conn: ServerConn = { fd, queue: [], ready: new Waitable(`conn${fd}:q`), remaining: perConnForwards };
      server.spawn(`s-reader${fd}`, serverReader(server, conn, logic, spec));
      server.spawn(`s-writer${fd}`, serverWriter(server, conn));
    }
  });

  // --- clients ---
  for (let u = 0; u < users; u++) {
    const room = Math.floor(u / spec.usersPerRoom);
    const connected = new Waitable(`user${u}:connected`);
    let fd = -1;
    client.spawn(`c-writer${u}`, function* () {
      const s = client.sockets;
      fd = openSocket(client);
      const r = yield* s.connect(fd, server.addr, PORT);
      if (r !== 0) throw new Error(`chat client ${u}: connect failed (${r})`);
      connected.set();
      const join = new Uint8Array(spec.msgBytes);
      encodeMessage(join, 0, spec.msgBytes, JOIN_MAGIC, room, u, 0, 0);
      yield* s.send(fd, join, 0, spec.msgBytes);
      for (let k = 0; k < spec.msgsPerUser; k++) {
        if (spec.appNsPerMsg > 0) yield compute(spec.appNsPerMsg);
        const now = clock.now();
        if (t0 < 0) t0 = now;
        // A fresh buffer per message: with copy = zerocopy the stack references it until ACKed.
        const m = new Uint8Array(spec.msgBytes);
        encodeMessage(m, 0, spec.msgBytes, CHAT_MAGIC, room, u, k, now);
        const n = yield* s.send(fd, m, 0, spec.msgBytes);
        if (n !== spec.msgBytes) throw new Error(`chat client ${u}: send failed (${n})`);
        sent++;
      }
    });
    client.spawn(`c-reader${u}`, function* () {
      yield block(connected);
      const s = client.sockets;
      const want = (spec.usersPerRoom - 1) * spec.msgsPerUser;
      const buf = new Uint8Array(spec.msgBytes);
      const framer = new ChatFramer(spec.msgBytes);
      let got = 0;
      const onMessage = (b: Uint8Array, off: number): void => {
        got++;
        const t = verifier.onMessage(u, b, off);
        const now = clock.now();
        if (t >= 0) latency.add(now - t);
        tLast = now;
      };
      while (got < want) {
        const n = yield* s.recv(fd, buf, 0, buf.length);
        if (n <= 0) break;
        framer.push(buf, 0, n, onMessage);
        if (spec.appNsPerMsg > 0) yield compute(spec.appNsPerMsg);
      }
      readersDone++;
    });
  }
  spawnHogs(server, spec.load);

  const ev0 = pair.events();
  const cpu0 = { client: client.host.cpuTimes(), server: server.host.cpuTimes() };
  runUntilDone(pair, () => readersDone === users);
  const violations = verifier.finish();
  return {
    messagesSent: sent,
    messagesReceived: verifier.received,
    expected: verifier.expected,
    elapsedNs: Math.max(1, tLast - Math.max(0, t0)),
    latencyNs: latency,
    violations,
    serverRejected: logic.rejected,
    simEvents: pair.events() - ev0,
    virtualNs: clock.now(),
    counters: { client: tcpCounters(client), server: tcpCounters(server) },
    ackDelayNs: server.ackDelay,
    runQueueDelayNs: server.host.runQueueDelay,
    cpu: { client: cpuSplit(client, cpu0.client), server: cpuSplit(server, cpu0.server) },
  };
}

function serverReader(m: LabMachine, conn: ServerConn, logic: ChatServerLogic<ServerConn>, spec: ChatSimSpec) {
  return function* () {
    const buf = new Uint8Array(spec.msgBytes);
    const framer = new ChatFramer(spec.msgBytes);
    const onMessage = (b: Uint8Array, off: number): void => logic.onMessage(conn, b, off);
    for (;;) {
      const n = yield* m.sockets.recv(conn.fd, buf, 0, buf.length);
      if (n <= 0) return;
      framer.push(buf, 0, n, onMessage);
      if (spec.appNsPerMsg > 0) yield compute(spec.appNsPerMsg);
    }
  };
}

function serverWriter(m: LabMachine, conn: ServerConn) {
  return function* () {
    while (conn.remaining > 0) {
      if (conn.queue.length === 0) {
        yield block(conn.ready);
        continue;
      }
      const msg = conn.queue.shift()!;
      const n = yield* m.sockets.send(conn.fd, msg, 0, msg.length);
      if (n !== msg.length) return;
      conn.remaining--;
    }
  };
}

