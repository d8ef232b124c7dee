import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CSUM_COMPLETE, CSUM_NONE, CSUM_UNNECESSARY } from '../../src/buf/packet-buffer.js';
import { noImpairments } from '../../src/link/sim/impairments.js';
import { completePartialChecksum, ipv4PayloadSum, l4ChecksumVerifies } from '../../src/link/sim/offload.js';
import { SimPort, type SimPortOptions } from '../../src/link/sim/port.js';
import { Wire, type WireDirectionConfig } from '../../src/link/sim/wire.js';
import { jsChecksum, onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { VirtualClock } from '../../src/time/virtual-clock.js';
import { Prng } from '../../src/util/prng.js';
import { IP_A, IP_B, l4Frame, l4Verifies, MAC_A, MAC_B, rawFrame, record, smallPool } from './sim-helpers.js';

const DIR: WireDirectionConfig = { rate: Infinity, delay: 0, queueBytes: Infinity, overheadBytes: 0, impairments: noImpairments() };

function setup(a: Partial<SimPortOptions>, b: Partial<SimPortOptions>) {
  const clock = new VirtualClock();
  const poolA = smallPool();
  const poolB = smallPool();
  const pa = new SimPort({ name: 'a', mac: MAC_A, pool: poolA, clock, ...a });
  const pb = new SimPort({ name: 'b', mac: MAC_B, pool: poolB, clock, ...b });
  const prng = new Prng(1);
  new Wire(clock, pa, pb, DIR, DIR, prng.fork('ab'), prng.fork('ba'));
  return { clock, poolA, poolB, a: pa, b: pb, rx: record(pb, clock) };
}

describe("rxChecksum 'unnecessary' (CHECKSUM_UNNECESSARY)", () => {
  it('vouches for IPv4 TCP and UDP frames whose checksum verifies', () => {
    const s = setup({}, { rxChecksum: 'unnecessary' });
    s.a.transmit(l4Frame(s.poolA, { protocol: 6, payloadLength: 333, checksum: 'full' }).buf);
    s.a.transmit(l4Frame(s.poolA, { protocol: 17, payloadLength: 12, checksum: 'full' }).buf);
    s.clock.runUntilIdle();
    expect(s.rx.frames.map((f) => f.csumState)).toEqual([CSUM_UNNECESSARY, CSUM_UNNECESSARY]);
  });

  it('leaves frames with a bad checksum CSUM_NONE (delivered, for software to count)', () => {
    const s = setup({}, { rxChecksum: 'unnecessary' });
    s.a.transmit(l4Frame(s.poolA, { protocol: 6, payloadLength: 100, checksum: 'bad' }).buf);
    s.a.transmit(l4Frame(s.poolA, { protocol: 17, payloadLength: 100, checksum: 'bad' }).buf);
    s.clock.runUntilIdle();
    expect(s.rx.frames.map((f) => f.csumState)).toEqual([CSUM_NONE, CSUM_NONE]);
  });

  it('does not vouch for UDP without a checksum, non-IPv4 frames, or fragments', () => {
    const s = setup({}, { rxChecksum: 'unnecessary' });
    s.a.transmit(l4Frame(s.poolA, { protocol: 17, payloadLength: 100, checksum: 'zero' }).buf);
    s.a.transmit(rawFrame(s.poolA, 100));
    const frag = l4Frame(s.poolA, { protocol: 17, payloadLength: 100, checksum: 'full' }).buf;
    frag.bytes[frag.head + 14 + 6] = 0x20; // MF
    s.a.transmit(frag);
    s.clock.runUntilIdle();
    expect(s.rx.frames.map((f) => f.csumState)).toEqual([CSUM_NONE, CSUM_NONE, CSUM_NONE]);
  });

  it('ignores Ethernet padding after the IPv4 Total Length', () => {
    const s = setup({}, { rxChecksum: 'unnecessary' });
    s.a.transmit(l4Frame(s.poolA, { protocol: 17, payloadLength: 2, checksum: 'full' }).buf); // 44 bytes → padded to 60
    s.a.transmit(l4Frame(s.poolA, { protocol: 6, payloadLength: 2, checksum: 'full', trailer: 5 }).buf);
    s.clock.runUntilIdle();
    expect(s.rx.frames[0]!.bytes.length).toBe(60);
    expect(s.rx.frames.map((f) => f.csumState)).toEqual([CSUM_UNNECESSARY, CSUM_UNNECESSARY]);
  });
});

describe("rxChecksum 'complete' (CHECKSUM_COMPLETE)", () => {
  it('supplies the ones-complement sum of the IPv4 payload; with the pseudo-header it verifies', () => {
    const s = setup({}, { rxChecksum: 'complete' });
    s.a.transmit(l4Frame(s.poolA, { protocol: 6, payloadLength: 777, checksum: 'full', trailer: 3 }).buf);
    s.a.transmit(l4Frame(s.poolA, { protocol: 17, payloadLength: 50, checksum: 'bad' }).buf);
    s.a.transmit(rawFrame(s.poolA, 100));
    s.clock.runUntilIdle();
    const [good, bad, raw] = s.rx.frames;
    expect(good!.csumState).toBe(CSUM_COMPLETE);
    const l4len = 20 + 777;
    expect(good!.csumValue).toBe(onesSum(good!.bytes, 34, l4len));
    expect(jsChecksum.sum(new Uint8Array(0), 0, 0, pseudoHeaderSum(IP_A, IP_B, 6, l4len) + good!.csumValue)).toBe(0xffff);
    expect(bad!.csumState).toBe(CSUM_COMPLETE);
    expect(pseudoHeaderSum(IP_A, IP_B, 17, 58, bad!.csumValue)).not.toBe(0xffff);
    expect(raw!.csumState).toBe(CSUM_NONE);
  });
});

describe('tx checksum offload (CHECKSUM_PARTIAL)', () => {
  it('the device completes the checksum; the sender bytes are not written', () => {
    const s = setup({ txChecksumOffload: true }, { rxChecksum: 'unnecessary' });
    const { buf, l4 } = l4Frame(s.poolA, { protocol: 6, payloadLength: 1000, checksum: 'partial' });
    const field = l4 + 16;
    const pseudo = (buf.bytes[field]! << 8) | buf.bytes[field + 1]!;
    buf.retain(); // keep a reference (as TCP keeps data for retransmission)
    expect(s.a.transmit(buf)).toBe(true);
    s.clock.runUntilIdle();
    expect(l4Verifies(s.rx.frames[0]!.bytes)).toBe(true);
    expect(s.rx.frames[0]!.csumState).toBe(CSUM_UNNECESSARY);
    expect((buf.bytes[field]! << 8) | buf.bytes[field + 1]!).toBe(pseudo);
    buf.release();
  });

  it('drops a PARTIAL request whose checksum field lies outside the frame (malformed)', () => {
    const s = setup({ txChecksumOffload: true }, {});
    const { buf } = l4Frame(s.poolA, { protocol: 17, payloadLength: 10, checksum: 'partial' });
    buf.csumOffset = 100;
    expect(s.a.transmit(buf)).toBe(false);
    expect(s.a.stats.drops.malformed).toBe(1);
    expect(s.poolA.stats.inUse).toBe(0);
  });

  it('property: the completed checksum equals a full software checksum (TCP and UDP, any length)', () => {
    const pool = smallPool();
    fc.assert(
      fc.property(fc.constantFrom<6 | 17>(6, 17), fc.integer({ min: 0, max: 1400 }), fc.integer(), (protocol, len, seed) => {
        const full = l4Frame(pool, { protocol, payloadLength: len, checksum: 'full', seed });
        const part = l4Frame(pool, { protocol, payloadLength: len, checksum: 'partial', seed });
        const n = full.buf.length;
        completePartialChecksum(pool.checksum, part.buf.bytes, part.buf.head, n, part.buf.csumStart, part.buf.csumOffset);
        const a = full.buf.view().slice();
        const b = part.buf.view().slice();
        full.buf.release();
        part.buf.release();
        expect(l4Verifies(b)).toBe(true);
        expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
        expect(l4ChecksumVerifies(jsChecksum, b, 0, b.length)).toBe(true);
        expect(ipv4PayloadSum(jsChecksum, b, 0, b.length)).toBe(onesSum(b, 34, b.length - 34));
      }),
      { numRuns: 300, seed: 42 },
    );
  });
});
