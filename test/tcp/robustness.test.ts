/**
 * Robustness: bad checksums and malformed headers are counted and dropped;
 * random segments into established, listening and closed endpoints never
 * throw and never leak packet buffers (the debug pool also catches double
 * releases and use after release). Checksum states on receive and transmit.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Harness, LOCAL, REMOTE, ms, pattern, sec, type InjectSpec } from './harness.js';
import { CSUM_COMPLETE, CSUM_UNNECESSARY } from '../../src/buf/packet-buffer.js';
import { Ipv4Repr } from '../../src/wire/ipv4.js';
import { onesSum } from '../../src/wire/checksum.js';
import { seqAdd } from '../../src/tcp/seq.js';

const noTs = { mss: 1460 };

describe('bad input is counted and dropped', () => {
  it('bad_checksum_is_counted_in_InCsumErrors_and_InErrs', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10, badChecksum: true });
    expect(h.mib.InCsumErrors).toBe(1);
    expect(h.mib.InErrs).toBe(1);
    expect(c.ep.readableLength).toBe(0);
    h.expectNothing(ms(100));
  });

  it('bad_checksum_to_a_closed_port_gets_no_rst', () => {
    const h = new Harness();
    h.inject({ flags: 'S', seq: 1, badChecksum: true });
    h.expectNothing(ms(10));
    expect(h.mib.OutRsts).toBe(0);
  });

  it('malformed_headers_are_counted', () => {
    const h = new Harness();
    h.injectRaw(new Uint8Array(10));
    const b = new Uint8Array(20);
    b[12] = 0x30; // data offset 3 words
    h.injectRaw(b);
    expect(h.mib.InMalformed).toBe(2);
    expect(h.mib.InErrs).toBe(2);
    expect(h.poolInUse().slots).toBe(0);
  });

  it('csum_unnecessary_skips_verification_and_csum_complete_is_folded', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: noTs });
    const before = h.acct.bytesChecksummed;
    const a = h.build({ flags: 'P.', seq: c.rcvNxt, ack: c.sndNxt, payload: 10 });
    a.csumState = CSUM_UNNECESSARY;
    h.tcp.input(a, REMOTE, LOCAL, new Ipv4Repr());
    expect(c.ep.readableLength).toBe(10);
    const b = h.build({ flags: 'P.', seq: c.rcvNxt + 10, ack: c.sndNxt, payload: 10 });
    b.csumState = CSUM_COMPLETE;
    b.csumValue = onesSum(b.bytes, b.head, b.length);
    h.tcp.input(b, REMOTE, LOCAL, new Ipv4Repr());
    expect(c.ep.readableLength).toBe(20);
    expect(h.acct.bytesChecksummed).toBe(before); // neither was summed in software
    const bad = h.build({ flags: 'P.', seq: c.rcvNxt + 20, ack: c.sndNxt, payload: 10 });
    bad.csumState = CSUM_COMPLETE;
    bad.csumValue = (onesSum(bad.bytes, bad.head, bad.length) + 1) & 0xffff;
    h.tcp.input(bad, REMOTE, LOCAL, new Ipv4Repr());
    expect(h.mib.InCsumErrors).toBe(1);
  });

  it('transmit_uses_csum_partial_when_the_route_offloads', () => {
    const h = new Harness({ offload: true });
    const c = h.passiveEstablished({ options: noTs });
    c.ep.send(pattern(1000), 0, 1000);
    // The fake IP completes and verifies it; no software checksum of the payload by TCP.
    const s = h.expectSegment({ len: 1000 });
    expect(s.payload[999]).toBe(999 & 0xff);
  });
});

/** One step of a fuzz run: a segment relative to the connection's live sequence numbers, or a user call. */
const stepArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('seg' as const),
      flags: fc.constantFrom('S', 'S.', '.', '.', 'P.', 'P.', 'F.', 'FP.', 'R', 'R.', 'FS', 'U.', '', 'SR', 'FSRP.U'),
      // seq relative to RCV.NXT (mostly close, sometimes anywhere), ack relative to SND.UNA.
      dseq: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3000, max: 70000 }), fc.integer({ min: 0, max: 0xffffffff })),
      dack: fc.oneof(fc.integer({ min: -2, max: 3000 }), fc.integer({ min: -70000, max: 70000 }), fc.integer({ min: 0, max: 0xffffffff })),
      window: fc.oneof(fc.constant(65535), fc.integer({ min: 0, max: 65535 })),
      payload: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1460 }), fc.integer({ min: 1461, max: 3000 })),
      urg: fc.integer({ min: 0, max: 65535 }),
      ts: fc.option(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })), { nil: undefined }),
      mss: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      wscale: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
      sack: fc.option(fc.array(fc.tuple(fc.integer({ min: -5000, max: 70000 }), fc.integer({ min: -5000, max: 70000 })), { maxLength: 2 }), { nil: undefined }),
      sackPermitted: fc.boolean(),
      badChecksum: fc.integer({ min: 0, max: 20 }).map((x) => x === 0),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), dt: fc.integer({ min: 0, max: 2_000_000_000 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('user' as const),
      op: fc.constantFrom('recv', 'recv', 'send', 'send', 'shutdown', 'close', 'abort', 'views', 'keepalive'),
      n: fc.integer({ min: 1, max: 30000 }),
    }),
  },
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function runSteps(h: Harness, steps: Step[], ep: import('../../src/tcp/endpoint.js').Endpoint | null): void {
  const dst = new Uint8Array(30000);
  const views: import('../../src/buf/packet-buffer.js').PacketBuffer[] = [];
  for (const s of steps) {
    if (s.kind === 'time') {
      h.advance(s.dt);
    } else if (s.kind === 'user') {
      if (ep === null) continue;
      switch (s.op) {
        case 'recv':
          ep.recv(dst, 0, Math.min(s.n, dst.length));
          break;
        case 'send':
          ep.send(pattern(s.n), 0, s.n);
          break;
        case 'shutdown':
          ep.shutdown(s.n % 3);
          break;
        case 'close':
          ep.close();
          break;
        case 'abort':
          ep.abort();
          break;
        case 'views': {
          const k = ep.recvViews(1 + (s.n % 4), views);
          for (let i = 0; i < k; i++) views[i]!.release();
          break;
        }
        case 'keepalive':
          ep.setOption('keepalive', true);
          ep.setOption('keepIdle', sec(1));
          break;
      }
    } else {
      const t = ep?.tcb;
      const rcv = t ? t.rcvNxt : 1001;
      const una = t ? t.sndUna : 0;
      const spec: InjectSpec = {
        flags: s.flags,
        seq: seqAdd(rcv, s.dseq),
        ack: seqAdd(una, s.dack),
        window: s.window,
        payload: s.payload,
        urg: s.urg,
        badChecksum: s.badChecksum,
        options: {
          ts: s.ts,
          mss: s.mss,
          wscale: s.wscale,
          sackPermitted: s.sackPermitted,
          sack: s.sack?.map(([a, b]) => [seqAdd(una, a), seqAdd(una, b)] as [number, number]),
        },
      };
      // Options must fit in 40 bytes.
      if ((spec.options!.sack?.length ?? 0) > 0 && spec.options!.mss !== undefined) spec.options!.mss = undefined;
      h.inject(spec);
    }
    h.drain();
  }
}

function drainAll(h: Harness): void {
  for (const t of h.tcp.connections()) t.ep?.abort();
  h.clock.runUntilIdle({ maxEvents: 1_000_000, maxTime: h.now() + sec(100_000) });
}

describe('fuzz: random segments never throw and never leak buffers', () => {
  it('random_bytes_as_segments', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 120 }), { maxLength: 30 }), (segs) => {
        const h = new Harness({ poolBytes: 2 * 1024 * 1024 });
        const l = h.listen();
        for (const s of segs) h.injectRaw(s);
        l.close();
        drainAll(h);
        expect(h.poolInUse()).toEqual({ slots: 0, handles: 0, external: 0 });
      }),
      { numRuns: 200 },
    );
  });

  for (const mode of ['established', 'established+send', 'listen', 'closed', 'timestamps+sack+wscale', 'active'] as const) {
    it(`random_segments_and_calls_into_${mode}`, () => {
      fc.assert(
        fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), (steps) => {
          const h = new Harness({ config: { dsack: true }, poolBytes: 4 * 1024 * 1024 });
          let ep: import('../../src/tcp/endpoint.js').Endpoint | null = null;
          const others: { close(): number }[] = [];
          if (mode === 'established' || mode === 'established+send' || mode === 'timestamps+sack+wscale') {
            const options = mode === 'timestamps+sack+wscale' ? { mss: 1460, sackPermitted: true, wscale: 3, ts: [5, 0] as [number, number] } : { mss: 1460, sackPermitted: true };
            const c = h.passiveEstablished({ options });
            ep = c.ep;
            others.push(c.listener!);
            if (mode === 'established+send') c.ep.send(pattern(30000), 0, 30000);
          } else if (mode === 'active') {
            ep = h.tcp.createEndpoint();
            ep.bind(0, 8080);
            ep.connect(REMOTE, 40000);
          } else if (mode === 'listen') {
            others.push(h.listen());
          }
          runSteps(h, steps, ep);
          ep?.close();
          for (const e of others) e.close();
          drainAll(h);
          expect(h.poolInUse()).toEqual({ slots: 0, handles: 0, external: 0 });
        }),
        { numRuns: 400 },
      );
    });
  }
});

describe('leak checks on normal paths', () => {
  it('a_full_transfer_and_close_leaves_no_buffers', () => {
    const h = new Harness();
    const c = h.passiveEstablished({ options: { mss: 1460, sackPermitted: true } });
    c.ep.send(pattern(50000), 0, 50000);
    // Peer receives in order, out of order, and ACKs.
    let una = c.sndNxt;
    for (let i = 0; i < 200 && una !== c.ep.tcb.sndMax; i++) {
      const segs = h.drain();
      if (segs.length === 0) h.advance(ms(200));
      for (const s of segs) una = seqAdd(s.seq, s.len) > una ? seqAdd(s.seq, s.len) : una;
      h.inject({ flags: '.', seq: c.rcvNxt, ack: una });
    }
    h.inject({ flags: 'P.', seq: c.rcvNxt + 1000, ack: una, payload: 500 });
    h.inject({ flags: 'P.', seq: c.rcvNxt, ack: una, payload: 1000 });
    const views: import('../../src/buf/packet-buffer.js').PacketBuffer[] = [];
    const n = c.ep.recvViews(10, views);
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) views[i]!.release();
    c.ep.close();
    c.listener!.close();
    drainAll(h);
    expect(h.poolInUse()).toEqual({ slots: 0, handles: 0, external: 0 });
  });
});
