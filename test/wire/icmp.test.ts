import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/address.js';
import { jsChecksum, onesSum } from '../../src/wire/checksum.js';
import { isWireError } from '../../src/wire/error.js';
import {
  emitIcmp,
  ICMP_HEADER_LEN,
  icmpChecksum,
  icmpChecksumField,
  icmpChecksumValid,
  icmpCode,
  icmpIdentifier,
  icmpIsError,
  icmpNextHopMtu,
  IcmpRepr,
  icmpSequence,
  IcmpType,
  icmpType,
  IcmpUnreachableCode,
  parseIcmp,
  setIcmpChecksumField,
} from '../../src/wire/icmp.js';
import { IpProtocol } from '../../src/wire/ipv4.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// ICMP parts of packets captured with tcpdump on Linux lo.
const DATA = Buffer.from('zerostack-ping!!');
// Echo request id 0x1234 seq 1 (checksum also accepted by tcpdump -vv).
const ECHO_REQUEST = hex(`0800 b8fe 1234 0001 ${DATA.toString('hex')}`);
// The kernel's echo reply to it: checksum 0xc0fe computed by Linux.
const ECHO_REPLY = hex(`0000 c0fe 1234 0001 ${DATA.toString('hex')}`);
// Linux's port unreachable for a UDP datagram 127.0.0.1:45207 → 127.0.0.1:5353 ("zerostack").
const PORT_UNREACHABLE = hex(`
  0303 0c99 0000 0000
  4500 0025 8cfb 4000 4011 afca 7f00 0001 7f00 0001
  b097 14e9 0011 fe24 7a65 726f 7374 6163 6b`);

function parsed(bytes: Uint8Array, off = 0, len = bytes.length): IcmpRepr {
  const r = parseIcmp(bytes, off, len);
  if (isWireError(r)) throw new Error(r.message);
  return r;
}

/** An RFC 1191 fragmentation-needed message quoting a 20-byte header + 8 bytes. */
function fragNeeded(mtu: number): Uint8Array {
  const m = new Uint8Array(8 + 28);
  m.set(hex('0304 0000 0000'), 0);
  m[6] = mtu >>> 8;
  m[7] = mtu & 0xff;
  m.set(hex('4500 05dc 0001 4000 4006 0000 0a00 0001 0a00 0002 c000 0050 0000 0001'), 8);
  setIcmpChecksumField(m, 0, icmpChecksum(m, 0, onesSum(m, 8, 28), jsChecksum));
  return m;
}

describe('icmp parse', () => {
  it('icmp: parses a captured echo request (RFC 792 Echo)', () => {
    const r = parsed(ECHO_REQUEST);
    expect(r).toMatchObject({
      type: IcmpType.ECHO_REQUEST,
      code: 0,
      checksum: 0xb8fe,
      identifier: 0x1234,
      sequence: 1,
      payloadOffset: 8,
      payloadLength: 16,
      originalHeaderLength: 0,
    });
    expect(icmpType(ECHO_REQUEST, 0)).toBe(8);
    expect(icmpCode(ECHO_REQUEST, 0)).toBe(0);
    expect(icmpIdentifier(ECHO_REQUEST, 0)).toBe(0x1234);
    expect(icmpSequence(ECHO_REQUEST, 0)).toBe(1);
    expect(icmpChecksumField(ECHO_REQUEST, 0)).toBe(0xb8fe);
  });

  it('icmp: captured echo request and Linux echo reply checksums verify (RFC 792)', () => {
    expect(icmpChecksumValid(ECHO_REQUEST, 0, ECHO_REQUEST.length, jsChecksum)).toBe(true);
    expect(icmpChecksumValid(ECHO_REPLY, 0, ECHO_REPLY.length, jsChecksum)).toBe(true);
    expect(icmpChecksumValid(PORT_UNREACHABLE, 0, PORT_UNREACHABLE.length, jsChecksum)).toBe(true);
    const bad = ECHO_REPLY.slice();
    bad[10] ^= 1;
    expect(icmpChecksumValid(bad, 0, bad.length, jsChecksum)).toBe(false);
  });

  it('icmp: an error message exposes the quoted IPv4 header and ≥ 8 data bytes (RFC 792)', () => {
    const r = parsed(PORT_UNREACHABLE);
    expect(icmpIsError(r.type)).toBe(true);
    expect(r).toMatchObject({
      type: IcmpType.DEST_UNREACHABLE,
      code: IcmpUnreachableCode.PORT,
      nextHopMtu: 0,
      payloadOffset: 8,
      payloadLength: 37,
      originalHeaderLength: 20,
      originalProtocol: IpProtocol.UDP,
      originalSrc: parseIpv4('127.0.0.1'),
      originalDst: parseIpv4('127.0.0.1'),
      originalDataOffset: 28,
      originalDataLength: 17,
    });
    // The quoted UDP ports let the IP layer find the socket.
    const d = r.originalDataOffset;
    expect((PORT_UNREACHABLE[d]! << 8) | PORT_UNREACHABLE[d + 1]!).toBe(45207);
    expect((PORT_UNREACHABLE[d + 2]! << 8) | PORT_UNREACHABLE[d + 3]!).toBe(5353);
  });

  it('icmp: fragmentation needed carries the next-hop MTU in bytes 6-7 (RFC 1191 §4)', () => {
    const m = fragNeeded(1400);
    const r = parsed(m);
    expect(r.code).toBe(IcmpUnreachableCode.FRAGMENTATION_NEEDED);
    expect(r.nextHopMtu).toBe(1400);
    expect(icmpNextHopMtu(m, 0)).toBe(1400);
    expect(r.originalProtocol).toBe(IpProtocol.TCP);
    expect(r.originalDataLength).toBe(8);
    expect(icmpChecksumValid(m, 0, m.length, jsChecksum)).toBe(true);
  });

  it('icmp: the next-hop MTU is only read for code 4', () => {
    const m = fragNeeded(1400);
    m[1] = IcmpUnreachableCode.HOST;
    expect(parsed(m).nextHopMtu).toBe(0);
  });

  it('icmp: time exceeded is an error message with a quoted datagram (RFC 792)', () => {
    const m = fragNeeded(0);
    m[0] = IcmpType.TIME_EXCEEDED;
    m[1] = 0;
    const r = parsed(m);
    expect(r.originalHeaderLength).toBe(20);
    expect(r.originalDst).toBe(parseIpv4('10.0.0.2'));
  });

  it('icmp: an error quoting fewer than header + 8 bytes is truncated (RFC 792: header + 64 bits)', () => {
    const m = fragNeeded(1400);
    for (let n = 8; n < m.length; n++) expect(parseIcmp(m, 0, n)).toMatchObject({ code: 'truncated' });
  });

  it('icmp: an error quoting a non-IPv4 header or IHL < 5 is rejected', () => {
    const m = fragNeeded(1400);
    m[8] = 0x65;
    expect(parseIcmp(m, 0, m.length)).toMatchObject({ code: 'badVersion' });
    m[8] = 0x44;
    expect(parseIcmp(m, 0, m.length)).toMatchObject({ code: 'badHeaderLength' });
    m[8] = 0x46; // IHL 6: 24 + 8 > 28 quoted bytes
    expect(parseIcmp(m, 0, m.length)).toMatchObject({ code: 'truncated' });
  });

  it('icmp: every prefix shorter than the 8-byte header is truncated', () => {
    for (let n = 0; n < ICMP_HEADER_LEN; n++) expect(parseIcmp(ECHO_REQUEST, 0, n)).toMatchObject({ code: 'truncated' });
    expect(parsed(ECHO_REQUEST, 0, 8).payloadLength).toBe(0);
  });

  it('icmp: unknown types parse generically with bytes 4-7 in `rest`', () => {
    const r = parsed(hex('2a07 0000 dead beef'));
    expect(r).toMatchObject({ type: 42, code: 7, rest: 0xdeadbeef, identifier: 0, originalHeaderLength: 0 });
  });
});

describe('icmp emit', () => {
  it('icmp: emit reproduces Linux\'s echo reply, checksum 0xc0fe', () => {
    const repr = Object.assign(new IcmpRepr(), { type: IcmpType.ECHO_REPLY, identifier: 0x1234, sequence: 1, payloadLength: 16 });
    const out = new Uint8Array(24);
    out.set(DATA, 8);
    expect(emitIcmp(repr, out, 0, jsChecksum)).toBe(8);
    expect([...out]).toEqual([...ECHO_REPLY]);
  });

  it('icmp: emit reproduces Linux\'s port unreachable (unused bytes zero, RFC 792)', () => {
    const repr = Object.assign(new IcmpRepr(), {
      type: IcmpType.DEST_UNREACHABLE,
      code: IcmpUnreachableCode.PORT,
      payloadLength: PORT_UNREACHABLE.length - 8,
    });
    const out = new Uint8Array(PORT_UNREACHABLE.length);
    out.set(PORT_UNREACHABLE.subarray(8), 8);
    emitIcmp(repr, out, 0, jsChecksum);
    expect([...out]).toEqual([...PORT_UNREACHABLE]);
  });

  it('icmp: icmpChecksum over a header and a separately summed body equals the in-place checksum', () => {
    const header = ECHO_REQUEST.slice(0, 8);
    header[2] = 0x55; // the field is skipped, whatever it holds
    expect(icmpChecksum(header, 0, onesSum(DATA, 0, DATA.length), jsChecksum)).toBe(0xb8fe);
  });

  it('icmp: emit → parse round-trips for echo, frag-needed and other messages', () => {
    const echo = fc.record({
      type: fc.constantFrom(IcmpType.ECHO_REQUEST, IcmpType.ECHO_REPLY),
      code: fc.constant(0),
      identifier: fc.integer({ min: 0, max: 0xffff }),
      sequence: fc.integer({ min: 0, max: 0xffff }),
      body: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(echo, fc.integer({ min: 0, max: 5 }), ({ body, ...fields }, at) => {
        const repr = Object.assign(new IcmpRepr(), fields, { payloadLength: body.length });
        const buf = new Uint8Array(at + 8 + body.length);
        buf.set(body, at + 8);
        emitIcmp(repr, buf, at, jsChecksum);
        expect(icmpChecksumValid(buf, at, buf.length - at, jsChecksum)).toBe(true);
        const back = parseIcmp(buf, at, buf.length - at);
        if (isWireError(back)) throw new Error(back.message);
        expect(back).toMatchObject({ ...fields, payloadOffset: at + 8, payloadLength: body.length });
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 68, max: 0xffff }), fc.integer({ min: 0, max: 0xffffffff }), (mtu, rest) => {
        const src = fragNeeded(mtu);
        const repr = parsed(src);
        const buf = src.slice();
        buf.fill(0, 0, 8);
        emitIcmp(repr, buf, 0, jsChecksum);
        expect([...buf]).toEqual([...src]);
        // Any other type writes `rest` verbatim.
        const other = Object.assign(new IcmpRepr(), { type: 42, code: 1, rest });
        const b2 = new Uint8Array(8);
        emitIcmp(other, b2, 0, jsChecksum);
        expect(parsed(b2).rest).toBe(rest);
      }),
    );
  });
});
