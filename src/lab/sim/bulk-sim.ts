/**
 * Bulk transfer in the simulator: `flows` sender processes on the client host,
 * one receiver process per flow on the server host. The send path follows
 * CommonParams.copy: `copy` (send() copies into the send buffer), `copy+csum`
 * (the copy computes the checksum in the same pass), `zerocopy` (MSG_ZEROCOPY-
 * like sendZeroCopy of a buffer that is never modified, and the receiver takes
 * buffer views instead of copying).
 *
 * Time-bound runs (bytes = 0) measure goodput and CPU over the window
 * [warm-up, warm-up + durationNs]; byte-bound runs send exactly `bytes` per
 * flow and measure from the first byte to the last one received.
 *
 * Owns: the simulated driving of bulk.
 */
import type { PacketBuffer } from '../../buf/packet-buffer.js';
import type { CommonParams } from '../types.js';
import { patternBuffer, patternMismatches } from '../workloads/bulk-pattern.js';
import { buildPair, cpuSplit, runUntilDone, tcpCounters, type CpuSplit, openSocket } from './machine.js';

export interface BulkSimSpec {
  flows: number;
  /** Bytes per flow; 0 = time-bound. */
  bytes: number;
  chunkBytes: number;
  mtu: number;
  /** Time before the measurement window of a time-bound run. */
  warmupNs: number;
  /** Socket buffers (0 = automatic). */
  bufBytes: number;
  /** Check every received byte against the pattern. */
  verify: boolean;
}

export interface BulkSimOutcome {
  perFlow: { sent: number; received: number; corrupt: number }[];
  /** Bytes received in the measurement window (all flows). */
  windowBytes: number;
  windowNs: number;
  retransmits: number;
  cpu: { sender: CpuSplit; receiver: CpuSplit };
  work: { sender: WorkTotals; receiver: WorkTotals };
  simEvents: number;
  virtualNs: number;
  counters: { sender: Record<string, number>; receiver: Record<string, number> };
}

export interface WorkTotals {
  packets: number;
  bytesCopied: number;
  bytesChecksummed: number;
  bytesCopyChecksummed: number;
  syscalls: number;
}

const PORT = 5001;

export function runBulkSim(p: CommonParams, spec: BulkSimSpec): BulkSimOutcome {
  // Buffers: a bandwidth-delay product at the link rate plus slack, within the TCP limits.
  const bdp = Math.ceil((p.linkRateBps / 8) * ((2 * p.delayNs) / 1e9));
  const bufBytes = spec.bufBytes > 0 ? Math.max(4096, spec.bufBytes) : Math.min(16 * 1024 * 1024, Math.max(256 * 1024, 4 * bdp));
  const pair = buildPair(p, { mtu: spec.mtu, bufBytes, poolBytes: Math.max(16 * 1024 * 1024, 4 * bufBytes + 8 * 1024 * 1024) });
  const { client, server } = pair;
  const perFlow = Array.from({ length: spec.flows }, () => ({ sent: 0, received: 0, corrupt: 0 }));
  const zeroCopy = p.copy === 'zerocopy';
  const pattern = patternBuffer(spec.chunkBytes);
  let total = 0;
  let tFirst = -1;
  let tLast = 0;
  let finished = 0;

  server.spawn('acceptor', function* () {
    const s = server.sockets;
    const lfd = openSocket(server);
    if (server.core.bind(lfd, 0, PORT) !== 0 || server.core.listen(lfd, 64) !== 0) throw new Error('bulk: listen failed');
    for (let i = 0; i < spec.flows; i++) {
      const fd = yield* s.accept(lfd);
      if (fd < 0) throw new Error(`bulk: accept failed (${fd})`);
      const f = perFlow[i]!;
      server.spawn(`receiver${i}`, function* () {
        const buf = new Uint8Array(Math.max(spec.chunkBytes, 64 * 1024));
        const views: PacketBuffer[] = [];
        // As many segments per zero-copy read as a copying read takes (64 KiB), so both read alike.
        const viewsPerRead = Math.max(1, Math.floor(buf.length / Math.max(1, spec.mtu - 52)));
        for (;;) {
          let n: number;
          if (zeroCopy) {
            const k = yield* s.recvViews(fd, viewsPerRead, views);
            n = 0;
            for (let j = 0; j < Math.max(0, k); j++) {
              const v = views[j]!;
              for (let b: PacketBuffer | null = v; b !== null; b = b.next) {
                if (spec.verify) f.corrupt += patternMismatches(b.bytes, b.head, b.length, f.received + n);
                n += b.length;
              }
              v.release();
            }
            if (k <= 0) n = k;
          } else {
            n = yield* s.recv(fd, buf, 0, buf.length);
            if (n > 0 && spec.verify) f.corrupt += patternMismatches(buf, 0, n, f.received);
          }
          if (n <= 0) break;
          f.received += n;
          total += n;
          tLast = pair.net.now();
        }
        finished++;
      });
    }
  });

  for (let i = 0; i < spec.flows; i++) {
    const f = perFlow[i]!;
    client.spawn(`sender${i}`, function* () {
      const s = client.sockets;
      const fd = openSocket(client);
      const r = yield* s.connect(fd, server.addr, PORT);
      if (r !== 0) throw new Error(`bulk: connect failed (${r})`);
      if (tFirst < 0) tFirst = pair.net.now();
      while (spec.bytes === 0 || f.sent < spec.bytes) {
        const len = spec.bytes === 0 ? spec.chunkBytes : Math.min(spec.chunkBytes, spec.bytes - f.sent);
        // The pattern buffer is never modified, so a zerocopy send may reference it.
        const n = yield* s.send(fd, pattern, f.sent & 255, len);
        if (n <= 0) return;
        f.sent += n;
      }
      client.core.shutdown(fd, 1);
    });
  }

  const ev0 = pair.events();
  let windowBytes: number;
  let windowNs: number;
  let cpu: BulkSimOutcome['cpu'];
  const work0 = { sender: workOf(client), receiver: workOf(server) };
  if (spec.bytes === 0) {
    pair.net.runUntil(spec.warmupNs);
    const b0 = total;
    const c0 = { s: client.host.cpuTimes(), r: server.host.cpuTimes() };
    const w0 = { sender: workOf(client), receiver: workOf(server) };
    pair.net.runUntil(spec.warmupNs + p.durationNs);
    windowBytes = total - b0;
    windowNs = p.durationNs;
    cpu = { sender: cpuSplit(client, c0.s), receiver: cpuSplit(server, c0.r) };
    work0.sender = w0.sender;
    work0.receiver = w0.receiver;
  } else {
    const c0 = { s: client.host.cpuTimes(), r: server.host.cpuTimes() };
    runUntilDone(pair, () => finished === spec.flows);
    windowBytes = total;
    windowNs = Math.max(1, tLast - Math.max(0, tFirst));
    cpu = { sender: cpuSplit(client, c0.s), receiver: cpuSplit(server, c0.r) };
  }
  const work = { sender: diffWork(workOf(client), work0.sender), receiver: diffWork(workOf(server), work0.receiver) };
  return {
    perFlow,
    windowBytes,
    windowNs,
    retransmits: client.stack.tcp.mib.RetransSegs,
    cpu,
    work,
    simEvents: pair.events() - ev0,
    virtualNs: pair.net.now(),
    counters: { sender: tcpCounters(client), receiver: tcpCounters(server) },
  };
}

function workOf(m: { host: { acct: WorkTotals } }): WorkTotals {
  const a = m.host.acct;
  return { packets: a.packets, bytesCopied: a.bytesCopied, bytesChecksummed: a.bytesChecksummed, bytesCopyChecksummed: a.bytesCopyChecksummed, syscalls: a.syscalls };
}

function diffWork(a: WorkTotals, b: WorkTotals): WorkTotals {
  return {
    packets: a.packets - b.packets,
    bytesCopied: a.bytesCopied - b.bytesCopied,
    bytesChecksummed: a.bytesChecksummed - b.bytesChecksummed,
    bytesCopyChecksummed: a.bytesCopyChecksummed - b.bytesCopyChecksummed,
    syscalls: a.syscalls - b.syscalls,
  };
}
