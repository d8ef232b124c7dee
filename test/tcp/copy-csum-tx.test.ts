/**
 * copy+csum transmit (issue #8 bug 2; DESIGN principle 5): with transmit checksum
 * offload off, a payload the send buffer copied with the checksum fused
 * (SendBuffer.appendCopySum, per-chunk sums) is not summed again — output
 * combines the stored sums (RFC 1071 §2(B), RFC 1624 §3) with the header and
 * pseudo-header and reports only the header bytes as acct.csum. Parts a stored
 * sum does not cover (partially ACKed chunks, retransmissions cut differently)
 * are summed in software and reported exactly. Every emitted segment's checksum
 * is verified by the harness with the independent JS routine (jsChecksum).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simNetwork, type SimMachine } from '../../src/host/index.js';
import { spawnDiscardSink } from '../host/sim-sink.js';
import { seqAdd, seqDiff } from '../../src/tcp/seq.js';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';
import { CountingAccounting } from '../../src/acct/accounting.js';
import { onesSum } from '../../src/wire/checksum.js';
import { Harness, LOCAL_PORT, sec, type Captured } from './harness.js';

interface Plan {
  mtu: number;
  mode: 'copy' | 'copyCsum';
  writes: number[];
  /** Per write: how the peer answers afterwards. */
  acks: ('all' | 'partial' | 'none' | 'rto')[];
  /** Fractions for partial ACKs. */
  cuts: number[];
  /** SO_SNDBUF (default 1 MiB): a small one makes writes partly accepted, leaving short tail chunks. */
  sndbuf?: number;
}

/** Run the plan; returns bytes emitted, payload bytes checksummed in software, and whether the stream arrived intact. */
function run(p: Plan): { payload: number; softwarePayload: number; intact: boolean; segments: number } {
  const h = new Harness({ mtu: p.mtu, offload: false, config: { sndbuf: p.sndbuf ?? 1 << 20 } });
  const e = h.activeEstablished({ window: 65535, options: { mss: p.mtu - 40 } });
  e.ep.sendCopyMode = p.mode;
  const total = p.writes.reduce((a, b) => a + b, 0);
  const data = new Uint8Array(total);
  for (let i = 0; i < total; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  const c0 = h.acct.bytesChecksummed;
  const first = h.sent.length;
  let injected = 0;
  let acked = e.sndNxt;
  let off = 0;
  const sndMax = (): number => {
    let m = acked;
    for (let i = first; i < h.sent.length; i++) {
      const s = h.sent[i]!;
      const end = seqAdd(s.seq, s.len);
      if (seqDiff(end, m) > 0) m = end;
    }
    return m;
  };
  /** The end of an emitted segment halfway through the unACKed flight (a segment boundary, so no chunk is ACKed in part). */
  const midSegmentEnd = (): number => {
    const ends: number[] = [];
    for (let i = first; i < h.sent.length; i++) {
      const s = h.sent[i]!;
      const end = seqAdd(s.seq, s.len);
      if (s.len > 0 && seqDiff(end, acked) > 0) ends.push(end);
    }
    return ends.length > 1 ? ends[Math.floor(ends.length / 2) - 1]! : sndMax();
  };
  const ackTo = (seq: number): void => {
    if (seqDiff(seq, acked) <= 0) return;
    acked = seq;
    injected++;
    h.inject({ flags: '.', seq: e.rcvNxt, ack: seq, window: 65535, srcPort: LOCAL_PORT, dstPort: e.ep.localPort });
    h.at(h.now());
  };
  for (let w = 0; w < p.writes.length; w++) {
    let left = p.writes[w]!;
    while (left > 0) {
      const n = e.ep.send(data, off, left);
      if (n > 0) {
        off += n;
        left -= n;
      } else ackTo(midSegmentEnd()); // send buffer full: the peer ACKs half the flight (Nagle holds a short tail meanwhile)
      h.at(h.now());
    }
    const kind = p.acks[w % p.acks.length]!;
    const top = sndMax();
    if (kind === 'all') ackTo(top);
    else if (kind === 'partial') ackTo(seqAdd(acked, Math.floor(seqDiff(top, acked) * p.cuts[w % p.cuts.length]!)));
    else if (kind === 'rto') h.advance(sec(3)); // retransmission timeout: go-back-N from SND.UNA
  }
  // Drain: ACK everything until nothing is outstanding (retransmissions included).
  for (let i = 0; i < 10_000 && seqDiff(seqAdd(e.sndNxt, total), acked) > 0; i++) {
    ackTo(sndMax());
    h.advance(1_000_000);
  }
  // The stream, rebuilt from the emitted segments by sequence number.
  const got = new Uint8Array(total);
  let payload = 0;
  let headers = 0;
  const emitted: Captured[] = h.sent.slice(first) as Captured[];
  for (const s of emitted) {
    headers += 20 + s.optionBytes.length;
    payload += s.len;
    if (s.len > 0) got.set(s.payload, seqDiff(s.seq, e.sndNxt));
  }
  let intact = true;
  for (let i = 0; i < total; i++) if (got[i] !== data[i]) intact = false;
  // Injected ACKs (20 bytes, no options) are verified in software on input.
  const softwarePayload = h.acct.bytesChecksummed - c0 - headers - 20 * injected;
  return { payload, softwarePayload, intact, segments: emitted.length };
}

describe('copy+csum transmit: stored chunk sums replace the software payload checksum (offload off)', () => {
  it('bulk copy+csum, every segment ACKed: payload bytes checksummed in software = 0 and every wire checksum is right', () => {
    // A send buffer of 100000 bytes takes each 64 KiB write in parts, so appends end mid-segment.
    const r = run({ mtu: 1500, mode: 'copyCsum', writes: Array.from({ length: 40 }, () => 65536), acks: ['all'], cuts: [1], sndbuf: 100_000 });
    expect(r.intact).toBe(true);
    expect(r.payload).toBeGreaterThanOrEqual(40 * 65536);
    expect(r.softwarePayload).toBe(0);
  });

  it('bulk copy+csum between simulated one-CPU 2002 hosts (jumbo frames, no offload): the sender checksums headers only', () => {
    const host = { era: '2002', cpus: 1, csum: 'none', mtu: 9000, tcp: { sndbuf: 256 << 10, rcvbuf: 256 << 10 } } as const;
    const { net, machines } = simNetwork({ seed: 5, link: { rate: '10Gbit', delay: '20us', queue: 'unlimited' }, machines: [{ name: 'a', ...host, copy: 'copy+csum' }, { name: 'b', ...host }] });
    const [a, b] = machines as [SimMachine, SimMachine];
    const total = 4 << 20;
    const sink = spawnDiscardSink(b, 9);
    a.spawn('source', function* () {
      const fd = a.sockets.socket();
      yield* a.sockets.connect(fd, b.addr, 9);
      for (let off = 0; off < total; off += 65536) yield* a.sockets.send(fd, new Uint8Array(65536));
      a.sockets.close(fd);
    });
    net.runFor(1e9);
    expect(sink.got).toBe(total);
    const w = a.host.acct;
    expect(w.bytesCopyChecksummed).toBe(total);
    // Every frame in or out: an IPv4 header (20) and a TCP header (≤ 60) — no payload byte summed again.
    expect(w.bytesChecksummed).toBeLessThanOrEqual(80 * w.packets);
  });

  it('bulk copy+csum with odd write sizes and odd MSS (odd chunk boundaries): still nothing summed in software', () => {
    const r = run({ mtu: 1001, mode: 'copyCsum', writes: [12345, 777, 1, 3, 65535, 4097, 9999], acks: ['all', 'none'], cuts: [1] });
    expect(r.intact).toBe(true);
    expect(r.softwarePayload).toBe(0);
  });

  it('plain copy (no stored sums): every payload byte emitted is summed in software exactly once', () => {
    const r = run({ mtu: 1500, mode: 'copy', writes: [70000, 333, 5000], acks: ['all', 'partial', 'rto'], cuts: [0.37] });
    expect(r.intact).toBe(true);
    expect(r.softwarePayload).toBe(r.payload);
  });

  it('property: random writes, partial ACKs and retransmission timeouts — checksums valid, stream intact, software sums never exceed the payload sent', () => {
    fc.assert(
      fc.property(
        fc.record({
          mtu: fc.integer({ min: 300, max: 9000 }),
          writes: fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 12 }),
          acks: fc.array(fc.constantFrom('all' as const, 'partial' as const, 'none' as const, 'rto' as const), { minLength: 1, maxLength: 6 }),
          cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
          sndbuf: fc.integer({ min: 20_000, max: 200_000 }),
        }),
        (q) => {
          const r = run({ ...q, mode: 'copyCsum' });
          expect(r.intact).toBe(true); // the harness already verified every segment's checksum (jsChecksum)
          expect(r.softwarePayload).toBeGreaterThanOrEqual(0);
          expect(r.softwarePayload).toBeLessThanOrEqual(r.payload);
          // Without partial ACKs or timeouts every segment is covered by whole stored sums.
          if (q.acks.every((k) => k === 'all' || k === 'none')) expect(r.softwarePayload).toBe(0);
        },
      ),
      { numRuns: 40, seed: 8 },
    );
  });

  it('SendBuffer.sumRange: any range, any chunk layout (odd sizes, partial ACKs, mixed copy modes) equals the independent ones-complement sum', () => {
    const pool = new PacketPool({ memoryBytes: 8 << 20 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.array(fc.record({ len: fc.integer({ min: 1, max: 5000 }), fused: fc.boolean() }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 8 }),
        (seg, appends, ackBytes, ranges) => {
          const sb = new SendBuffer(pool, 1 << 20, new CountingAccounting());
          sb.segmentSize = seg;
          const all: number[] = [];
          for (const a of appends) {
            const src = Uint8Array.from({ length: a.len }, (_, i) => (all.length + i * 31 + 7) & 0xff);
            if (a.fused) sb.appendCopySum(src, 0, a.len);
            else sb.appendCopy(src, 0, a.len);
            all.push(...src);
          }
          const acked = Math.min(ackBytes, all.length - 1);
          sb.ack(acked);
          const bytes = Uint8Array.from(all.slice(acked));
          for (const [x, y] of ranges) {
            const off = Math.floor(x * (bytes.length - 1));
            const len = 1 + Math.floor(y * (bytes.length - off - 1));
            const got = sb.sumRange(off, len);
            const want = onesSum(bytes, off, len);
            // ±0: 0x0000 and 0xffff are the same ones'-complement value.
            expect(got % 0xffff).toBe(want % 0xffff);
            expect(sb.lastSoftwareBytes).toBeGreaterThanOrEqual(0);
            expect(sb.lastSoftwareBytes).toBeLessThanOrEqual(len);
          }
          sb.clear();
        },
      ),
      { numRuns: 200, seed: 8 },
    );
  });
});
