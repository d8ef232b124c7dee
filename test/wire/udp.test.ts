import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/address.js';
import { jsChecksum, onesSum } from '../../src/wire/checksum.js';
import { isWireError } from '../../src/wire/error.js';
import { ChecksumMode } from '../../src/wire/ipv4.js';
import {
  emitUdp,
  parseUdp,
  setUdpChecksumField,
  UDP_HEADER_LEN,
  udpChecksum,
  udpChecksumField,
  udpChecksumValid,
  udpDstPort,
  udpHeaderLen,
  udpLength,
  UdpRepr,
  udpSrcPort,
} from '../../src/wire/udp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const LO = parseIpv4('127.0.0.1');
const PAYLOAD = Buffer.from('zerostack');
// Captured with tcpdump on Linux lo: 127.0.0.1:45207 → 127.0.0.1:5353, "zerostack". Linux offloads
// the checksum on lo, so the field holds the pseudo-header sum 0xfe24; tcpdump computes the full
// checksum as 0x0f9c.
const CAPTURED = hex(`b097 14e9 0011 fe24 ${PAYLOAD.toString('hex')}`);
const FULL_CHECKSUM = 0x0f9c;

function withChecksum(bytes: Uint8Array, value: number): Uint8Array {
  const b = bytes.slice();
  setUdpChecksumField(b, 0, value);
  return b;
}

describe('udp parse', () => {
  it('udp: parses a captured datagram (RFC 768 format)', () => {
    const r = parseUdp(CAPTURED, 0, CAPTURED.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(r).toMatchObject({ srcPort: 45207, dstPort: 5353, checksum: 0xfe24, payloadOffset: 8, payloadLength: 9 });
    expect(udpSrcPort(CAPTURED, 0)).toBe(45207);
    expect(udpDstPort(CAPTURED, 0)).toBe(5353);
    expect(udpLength(CAPTURED, 0)).toBe(17);
    expect(udpChecksumField(CAPTURED, 0)).toBe(0xfe24);
  });

  it('udp: rejects Length < 8 (RFC 768: "the minimum value of the length is eight")', () => {
    const p = CAPTURED.slice();
    p[4] = 0;
    p[5] = 7;
    expect(parseUdp(p, 0, p.length)).toMatchObject({ code: 'badLength' });
  });

  it('udp: every prefix shorter than Length is truncated', () => {
    for (let n = 0; n < CAPTURED.length; n++) expect(parseUdp(CAPTURED, 0, n)).toMatchObject({ code: 'truncated' });
  });

  it('udp: bytes after Length are not part of the datagram', () => {
    const p = new Uint8Array(40);
    p.set(CAPTURED);
    const r = parseUdp(p, 0, p.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(r.payloadLength).toBe(9);
  });
});

describe('udp checksum', () => {
  it('udp: the checksum tcpdump computed for the captured datagram verifies (RFC 768 pseudo-header)', () => {
    const good = withChecksum(CAPTURED, FULL_CHECKSUM);
    expect(udpChecksumValid(good, 0, good.length, LO, LO, jsChecksum)).toBe(true);
    expect(udpChecksumValid(CAPTURED, 0, CAPTURED.length, LO, LO, jsChecksum)).toBe(false);
    expect(udpChecksumValid(good, 0, good.length, LO, parseIpv4('127.0.0.2'), jsChecksum)).toBe(false);
  });

  it('udp: checksum 0 means "none computed" and is accepted on receive (RFC 768, RFC 1122 §4.1.3.4)', () => {
    const none = withChecksum(CAPTURED, 0);
    expect(udpChecksumValid(none, 0, none.length, LO, LO, jsChecksum)).toBe(true);
  });

  it('udp: emit FULL reproduces the tcpdump-computed checksum', () => {
    const out = new Uint8Array(17);
    out.set(PAYLOAD, 8);
    const repr = Object.assign(new UdpRepr(), { srcPort: 45207, dstPort: 5353, payloadLength: 9 });
    expect(emitUdp(repr, out, 0, LO, LO, jsChecksum)).toBe(udpHeaderLen(repr));
    expect([...out]).toEqual([...withChecksum(CAPTURED, FULL_CHECKSUM)]);
  });

  it('udp: emit PSEUDO_HEADER reproduces Linux CHECKSUM_PARTIAL bytes exactly', () => {
    const out = new Uint8Array(17);
    out.set(PAYLOAD, 8);
    const repr = Object.assign(new UdpRepr(), { srcPort: 45207, dstPort: 5353, payloadLength: 9 });
    emitUdp(repr, out, 0, LO, LO, jsChecksum, ChecksumMode.PSEUDO_HEADER);
    expect([...out]).toEqual([...CAPTURED]);
  });

  it('udp: emit NONE writes 0 ("no checksum")', () => {
    const out = new Uint8Array(8);
    emitUdp(new UdpRepr(), out, 0, LO, LO, jsChecksum, ChecksumMode.NONE);
    expect(udpChecksumField(out, 0)).toBe(0);
  });

  it('udp: a computed checksum of 0 is transmitted as 0xffff (RFC 768)', () => {
    // Choose the last payload word so the ones'-complement sum is 0xffff, i.e. the checksum is 0.
    const buf = new Uint8Array(10);
    const repr = Object.assign(new UdpRepr(), { srcPort: 1, dstPort: 2, payloadLength: 2 });
    emitUdp(repr, buf, 0, LO, LO, jsChecksum, ChecksumMode.NONE);
    const partial = udpChecksum(buf, 0, 0, 2, LO, LO, jsChecksum); // = ~sum of everything but the word
    buf[8] = partial >>> 8;
    buf[9] = partial & 0xff;
    emitUdp(repr, buf, 0, LO, LO, jsChecksum);
    expect(udpChecksumField(buf, 0)).toBe(0xffff);
    expect(udpChecksumValid(buf, 0, 10, LO, LO, jsChecksum)).toBe(true);
  });

  it('udp: udpChecksum with a separately summed payload equals the contiguous checksum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (payload, src, dst) => {
          const repr = Object.assign(new UdpRepr(), { srcPort: 7, dstPort: 9, payloadLength: payload.length });
          const contiguous = new Uint8Array(8 + payload.length);
          contiguous.set(payload, 8);
          emitUdp(repr, contiguous, 0, src, dst, jsChecksum);
          expect(udpChecksumValid(contiguous, 0, contiguous.length, src, dst, jsChecksum)).toBe(true);
          const header = new Uint8Array(8);
          emitUdp(repr, header, 0, src, dst, jsChecksum, ChecksumMode.NONE);
          const sum = udpChecksum(header, 0, onesSum(payload, 0, payload.length), payload.length, src, dst, jsChecksum);
          expect(sum).toBe(udpChecksumField(contiguous, 0));
        },
      ),
    );
  });
});

describe('udp round trip', () => {
  it('udp: emit → parse round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 7 }),
        (srcPort, dstPort, payloadLength, at) => {
          const repr = Object.assign(new UdpRepr(), { srcPort, dstPort, payloadLength });
          const buf = new Uint8Array(at + UDP_HEADER_LEN + payloadLength);
          emitUdp(repr, buf, at, 1, 2, jsChecksum);
          const back = parseUdp(buf, at, buf.length - at, new UdpRepr());
          if (isWireError(back)) throw new Error(back.message);
          expect(back).toMatchObject({ srcPort, dstPort, payloadOffset: at + 8, payloadLength });
          expect(back.checksum).not.toBe(0);
        },
      ),
    );
  });

  it('udp: emit rejects a payload too large for the Length field (RangeError)', () => {
    const repr = Object.assign(new UdpRepr(), { payloadLength: 65528 });
    expect(() => emitUdp(repr, new Uint8Array(8), 0, 1, 2, jsChecksum, ChecksumMode.NONE)).toThrow(/payloadLength 65528/);
  });
});
