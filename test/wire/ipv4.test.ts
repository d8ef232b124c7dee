import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/address.js';
import { isWireError } from '../../src/wire/error.js';
import {
  emitIpv4Header,
  IpProtocol,
  Ipv4Flag,
  ipv4Checksum,
  ipv4Dst,
  ipv4Flags,
  ipv4FragmentOffset,
  ipv4HeaderChecksumValid,
  ipv4HeaderLen,
  ipv4HeaderLength,
  ipv4Identification,
  ipv4Protocol,
  Ipv4Repr,
  ipv4Src,
  ipv4TotalLength,
  ipv4Ttl,
  ipv4Version,
  parseIpv4Header,
  writeIpv4HeaderChecksum,
} from '../../src/wire/ipv4.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// Linux, captured with tcpdump on lo: 127.0.0.1 > 127.0.0.1 TCP [P.] length 5 ("hello"), id 0x2e34, DF.
const TCP_HELLO = hex(`
  4500 0039 2e34 4000 4006 0e89 7f00 0001 7f00 0001
  adca 15b3 0e60 07ac a3e5 07be 8018 0040 fe2d 0000
  0101 080a 2071 3d08 01b1 19c6 6865 6c6c 6f`);
// The textbook header (Wikipedia "IPv4 header checksum"): 192.168.0.1 > 192.168.0.199 UDP, checksum 0xb861.
const TEXTBOOK = hex('4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7');

function parsed(bytes: Uint8Array, off = 0, len = bytes.length): Ipv4Repr {
  const r = parseIpv4Header(bytes, off, len);
  if (isWireError(r)) throw new Error(r.message);
  return r;
}

describe('ipv4 parse', () => {
  it('ipv4: parses a captured header (RFC 791 §3.1 fields)', () => {
    const r = parsed(TCP_HELLO);
    expect(r).toMatchObject({
      headerLength: 20,
      dscp: 0,
      ecn: 0,
      identification: 0x2e34,
      flags: Ipv4Flag.DF,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.TCP,
      checksum: 0x0e89,
      src: parseIpv4('127.0.0.1'),
      dst: parseIpv4('127.0.0.1'),
      optionsLength: 0,
      payloadOffset: 20,
      payloadLength: 37,
      paddingLength: 0,
    });
  });

  it('ipv4: view accessors read the same fields in place', () => {
    const b = TCP_HELLO;
    expect(ipv4Version(b, 0)).toBe(4);
    expect(ipv4HeaderLength(b, 0)).toBe(20);
    expect(ipv4TotalLength(b, 0)).toBe(57);
    expect(ipv4Identification(b, 0)).toBe(0x2e34);
    expect(ipv4Flags(b, 0)).toBe(Ipv4Flag.DF);
    expect(ipv4FragmentOffset(b, 0)).toBe(0);
    expect(ipv4Ttl(b, 0)).toBe(64);
    expect(ipv4Protocol(b, 0)).toBe(6);
    expect(ipv4Checksum(b, 0)).toBe(0x0e89);
    expect(ipv4Src(b, 0)).toBe(0x7f000001);
    expect(ipv4Dst(b, 0)).toBe(0x7f000001);
  });

  it('ipv4: header checksums of captured and textbook headers verify (RFC 791 §3.1, RFC 1071)', () => {
    expect(ipv4HeaderChecksumValid(TCP_HELLO, 0)).toBe(true);
    expect(ipv4HeaderChecksumValid(TEXTBOOK, 0)).toBe(true);
    const bad = TEXTBOOK.slice();
    bad[8] = 63; // TTL changed, checksum not updated
    expect(ipv4HeaderChecksumValid(bad, 0)).toBe(false);
    writeIpv4HeaderChecksum(bad, 0);
    expect(ipv4HeaderChecksumValid(bad, 0)).toBe(true);
  });

  it('ipv4: rejects version ≠ 4 (RFC 791 §3.1, RFC 1122 §3.2.1.1)', () => {
    const p = TCP_HELLO.slice();
    p[0] = 0x65;
    expect(parseIpv4Header(p, 0, p.length)).toMatchObject({ code: 'badVersion' });
  });

  it.each([0, 1, 4])('ipv4: rejects IHL %i < 5 (RFC 791 §3.1)', (ihl) => {
    const p = TCP_HELLO.slice();
    p[0] = 0x40 | ihl;
    expect(parseIpv4Header(p, 0, p.length)).toMatchObject({ code: 'badHeaderLength' });
  });

  it('ipv4: an IHL beyond the bytes given is truncated', () => {
    const p = TEXTBOOK.slice();
    p[0] = 0x46;
    expect(parseIpv4Header(p, 0, p.length)).toMatchObject({ code: 'truncated' });
  });

  it('ipv4: rejects total length < header length (RFC 791 §3.1)', () => {
    const p = TCP_HELLO.slice();
    p[2] = 0;
    p[3] = 19;
    expect(parseIpv4Header(p, 0, p.length)).toMatchObject({ code: 'badTotalLength' });
  });

  it('ipv4: a total length beyond the bytes given is truncated', () => {
    expect(parseIpv4Header(TEXTBOOK, 0, TEXTBOOK.length)).toMatchObject({ code: 'truncated' });
  });

  it('ipv4: every prefix of a packet is truncated', () => {
    for (let n = 0; n < TCP_HELLO.length; n++) {
      expect(parseIpv4Header(TCP_HELLO, 0, n)).toMatchObject({ code: 'truncated' });
    }
  });

  it('ipv4: bytes beyond total length (Ethernet padding) are reported and ignored', () => {
    const frame = new Uint8Array(46);
    const small = hex('4500 001c 0001 0000 4001 0000 0a00 0001 0a00 0002 0800 f7fe 0000 0001');
    frame.set(small);
    frame.fill(0xaa, small.length);
    const r = parsed(frame);
    expect(r.payloadLength).toBe(8);
    expect(r.paddingLength).toBe(46 - 28);
  });

  it('ipv4: options are skipped by IHL and exposed as a range', () => {
    // IHL 6: one 4-byte option (NOP NOP NOP EOL), total 28.
    const p = hex('4600 001c 0000 0000 4011 0000 0a00 0001 0a00 0002 0101 0100 aabb ccdd 0000 0000');
    const r = parsed(p, 0, 28);
    expect(r.headerLength).toBe(24);
    expect(r.optionsOffset).toBe(20);
    expect(r.optionsLength).toBe(4);
    expect(r.payloadOffset).toBe(24);
    expect(r.payloadLength).toBe(4);
  });

  it('ipv4: fragment offset is reported in bytes and MF/DF/reserved as flag bits (RFC 791 §3.1)', () => {
    const p = TEXTBOOK.slice(0, 20);
    p[2] = 0;
    p[3] = 20;
    p[6] = 0xa0 | 0x01; // reserved + MF, offset high bits 1
    p[7] = 0x02; // offset = 0x102 units
    const r = parsed(p);
    expect(r.flags).toBe(Ipv4Flag.RESERVED | Ipv4Flag.MF);
    expect(r.fragmentOffset).toBe(0x102 * 8);
  });
});

describe('ipv4 emit', () => {
  it('ipv4: emit reproduces the captured header, checksum included', () => {
    const repr = new Ipv4Repr();
    Object.assign(repr, {
      identification: 0x2e34,
      flags: Ipv4Flag.DF,
      ttl: 64,
      protocol: IpProtocol.TCP,
      src: 0x7f000001,
      dst: 0x7f000001,
      payloadLength: 37,
    });
    const out = new Uint8Array(20);
    expect(emitIpv4Header(repr, out, 0)).toBe(ipv4HeaderLen(repr));
    expect([...out]).toEqual([...TCP_HELLO.subarray(0, 20)]);
  });

  it('ipv4: emit reproduces the textbook header checksum 0xb861', () => {
    const repr = Object.assign(new Ipv4Repr(), {
      flags: Ipv4Flag.DF,
      ttl: 64,
      protocol: IpProtocol.UDP,
      src: parseIpv4('192.168.0.1'),
      dst: parseIpv4('192.168.0.199'),
      payloadLength: 0x73 - 20,
    });
    const out = new Uint8Array(20);
    emitIpv4Header(repr, out, 0);
    expect([...out]).toEqual([...TEXTBOOK]);
  });

  it('ipv4: emit with computeChecksum=false writes 0 in the checksum field', () => {
    const repr = new Ipv4Repr();
    const out = new Uint8Array(20).fill(0xff);
    emitIpv4Header(repr, out, 0, false);
    expect(ipv4Checksum(out, 0)).toBe(0);
  });

  it('ipv4: emit rejects a fragment offset that is not a multiple of 8 (RangeError)', () => {
    const repr = new Ipv4Repr();
    repr.fragmentOffset = 12;
    expect(() => emitIpv4Header(repr, new Uint8Array(20), 0)).toThrow(/fragmentOffset 12/);
    repr.fragmentOffset = 0;
    repr.payloadLength = 65516;
    expect(() => emitIpv4Header(repr, new Uint8Array(20), 0)).toThrow(/payloadLength 65516/);
  });

  it('ipv4: emit → parse round-trips and the checksum verifies', () => {
    fc.assert(
      fc.property(
        fc.record({
          dscp: fc.integer({ min: 0, max: 63 }),
          ecn: fc.integer({ min: 0, max: 3 }),
          identification: fc.integer({ min: 0, max: 0xffff }),
          flags: fc.integer({ min: 0, max: 7 }),
          fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((u) => u * 8),
          ttl: fc.integer({ min: 0, max: 255 }),
          protocol: fc.integer({ min: 0, max: 255 }),
          src: fc.integer({ min: 0, max: 0xffffffff }),
          dst: fc.integer({ min: 0, max: 0xffffffff }),
          payloadLength: fc.integer({ min: 0, max: 200 }),
        }),
        fc.integer({ min: 0, max: 9 }),
        (fields, at) => {
          const repr = Object.assign(new Ipv4Repr(), fields);
          const buf = new Uint8Array(at + 20 + fields.payloadLength);
          emitIpv4Header(repr, buf, at);
          expect(ipv4HeaderChecksumValid(buf, at)).toBe(true);
          const back = parseIpv4Header(buf, at, buf.length - at, new Ipv4Repr());
          if (isWireError(back)) throw new Error(back.message);
          expect(back).toMatchObject({ ...fields, headerLength: 20, payloadOffset: at + 20, paddingLength: 0 });
        },
      ),
    );
  });
});
