import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/address.js';
import { jsChecksum, onesSum } from '../../src/wire/checksum.js';
import { isWireError } from '../../src/wire/error.js';
import { ChecksumMode } from '../../src/wire/ipv4.js';
import {
  emitTcp,
  parseTcp,
  setTcpChecksumField,
  tcpAck,
  tcpChecksum,
  tcpChecksumField,
  tcpChecksumValid,
  tcpDstPort,
  TcpFlag,
  tcpFlags,
  tcpHeaderLen,
  tcpHeaderLength,
  TcpRepr,
  tcpSeq,
  tcpSrcPort,
  tcpUrgentPointer,
  tcpWindow,
} from '../../src/wire/tcp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

const LO = parseIpv4('127.0.0.1');
// TCP parts of segments captured with tcpdump on Linux lo. Linux offloads the checksum on lo
// (CHECKSUM_PARTIAL), so the field holds the pseudo-header sum; tcpdump's computed checksum is noted.
// SYN 44490 → 5555, seq 241174443, win 65495, <mss 65495,sackOK,TS val 544292101 ecr 0,nop,wscale 10>.
const SYN = hex(`
  adca 15b3 0e60 07ab 0000 0000 a002 ffd7 fe30 0000
  0204 ffd7 0402 080a 2071 3d05 0000 0000 0103 030a`);
const SYN_FULL_CHECKSUM = 0x1900;
// [P.] seq 1:6 ack 3 win 64 <nop,nop,TS val 544292104 ecr 28383686> "hello".
const HELLO = hex(`
  adca 15b3 0e60 07ac a3e5 07be 8018 0040 fe2d 0000
  0101 080a 2071 3d08 01b1 19c6 6865 6c6c 6f`);
const HELLO_FULL_CHECKSUM = 0x367e;

function parsed(bytes: Uint8Array, off = 0, len = bytes.length): TcpRepr {
  const r = parseTcp(bytes, off, len);
  if (isWireError(r)) throw new Error(r.message);
  return r;
}

function withChecksum(bytes: Uint8Array, value: number): Uint8Array {
  const b = bytes.slice();
  setTcpChecksumField(b, 0, value);
  return b;
}

function helloRepr(): TcpRepr {
  return Object.assign(new TcpRepr(), {
    srcPort: 44490,
    dstPort: 5555,
    seq: 0x0e6007ac,
    ack: 0xa3e507be,
    flags: TcpFlag.PSH | TcpFlag.ACK,
    window: 64,
    tsPresent: true,
    tsVal: 544292104,
    tsEcr: 28383686,
    payloadLength: 5,
  });
}

describe('tcp parse', () => {
  it('tcp: parses a captured Linux SYN with options (RFC 9293 §3.1)', () => {
    const r = parsed(SYN);
    expect(r).toMatchObject({
      srcPort: 44490,
      dstPort: 5555,
      seq: 241174443,
      ack: 0,
      headerLength: 40,
      flags: TcpFlag.SYN,
      window: 65495,
      checksum: 0xfe30,
      urgentPointer: 0,
      optionsOffset: 20,
      optionsLength: 20,
      mss: 65495,
      wscale: 10,
      sackPermitted: true,
      tsPresent: true,
      tsVal: 544292101,
      tsEcr: 0,
      sackCount: 0,
      unknownCount: 0,
      payloadOffset: 40,
      payloadLength: 0,
    });
  });

  it('tcp: view accessors read the same fields in place', () => {
    expect(tcpSrcPort(HELLO, 0)).toBe(44490);
    expect(tcpDstPort(HELLO, 0)).toBe(5555);
    expect(tcpSeq(HELLO, 0)).toBe(0x0e6007ac);
    expect(tcpAck(HELLO, 0)).toBe(0xa3e507be);
    expect(tcpHeaderLength(HELLO, 0)).toBe(32);
    expect(tcpFlags(HELLO, 0)).toBe(TcpFlag.PSH | TcpFlag.ACK);
    expect(tcpWindow(HELLO, 0)).toBe(64);
    expect(tcpChecksumField(HELLO, 0)).toBe(0xfe2d);
    expect(tcpUrgentPointer(HELLO, 0)).toBe(0);
  });

  it('tcp: sequence and acknowledgment numbers are unsigned 32-bit', () => {
    const p = SYN.slice();
    p.fill(0xff, 4, 12);
    const r = parsed(p);
    expect(r.seq).toBe(0xffffffff);
    expect(r.ack).toBe(0xffffffff);
  });

  it('tcp: all eight flag bits are reported (RFC 9293 §3.1, RFC 3168 §6.1 ECE/CWR)', () => {
    const p = SYN.slice();
    p[13] = 0xff;
    expect(parsed(p).flags).toBe(
      TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG | TcpFlag.ECE | TcpFlag.CWR,
    );
  });

  it('tcp: reserved bits are ignored on receipt (RFC 9293 §3.1)', () => {
    const p = SYN.slice();
    p[12] = 0xaf;
    expect(parsed(p).headerLength).toBe(40);
  });

  it.each([0, 1, 4])('tcp: rejects data offset %i < 5 (RFC 9293 §3.1)', (doff) => {
    const p = SYN.slice();
    p[12] = doff << 4;
    expect(parseTcp(p, 0, p.length)).toMatchObject({ code: 'badDataOffset' });
  });

  it('tcp: a data offset beyond the segment is truncated', () => {
    const p = SYN.slice();
    p[12] = 0xb0; // 44 bytes > 40 given
    expect(parseTcp(p, 0, p.length)).toMatchObject({ code: 'truncated' });
  });

  it('tcp: every prefix shorter than the header is truncated; longer prefixes shorten the payload', () => {
    for (let n = 0; n < 32; n++) expect(parseTcp(HELLO, 0, n)).toMatchObject({ code: 'truncated' });
    for (let n = 32; n <= HELLO.length; n++) expect(parsed(HELLO, 0, n).payloadLength).toBe(n - 32);
  });

  it('tcp: a malformed option list is rejected as badOptionLength (RFC 9293 §3.1 MUST-7)', () => {
    const p = SYN.slice();
    p[21] = 0; // MSS length 0
    expect(parseTcp(p, 0, p.length)).toMatchObject({ code: 'badOptionLength' });
  });

  it('tcp: parsing into a reused repr overwrites every option field', () => {
    const r = parsed(SYN);
    const again = parseTcp(HELLO, 0, HELLO.length, r);
    expect(again).toBe(r);
    expect(r).toMatchObject({ mss: -1, wscale: -1, sackPermitted: false, tsPresent: true, tsVal: 544292104, payloadLength: 5 });
  });
});

describe('tcp checksum', () => {
  it('tcp: checksums tcpdump computed for captured segments verify (RFC 9293 §3.1 pseudo-header)', () => {
    const syn = withChecksum(SYN, SYN_FULL_CHECKSUM);
    expect(tcpChecksumValid(syn, 0, syn.length, LO, LO, jsChecksum)).toBe(true);
    const hello = withChecksum(HELLO, HELLO_FULL_CHECKSUM);
    expect(tcpChecksumValid(hello, 0, hello.length, LO, LO, jsChecksum)).toBe(true);
    expect(tcpChecksumValid(SYN, 0, SYN.length, LO, LO, jsChecksum)).toBe(false);
    expect(tcpChecksumValid(hello, 0, hello.length, LO, parseIpv4('10.0.0.1'), jsChecksum)).toBe(false);
  });

  it('tcp: emit FULL reproduces a captured data segment byte for byte', () => {
    const out = new Uint8Array(HELLO.length);
    out.set(Buffer.from('hello'), 32);
    const repr = helloRepr();
    expect(emitTcp(repr, out, 0, LO, LO, jsChecksum)).toBe(32);
    expect(tcpHeaderLen(repr)).toBe(32);
    expect([...out]).toEqual([...withChecksum(HELLO, HELLO_FULL_CHECKSUM)]);
  });

  it('tcp: emit PSEUDO_HEADER writes the folded pseudo-header sum, as Linux CHECKSUM_PARTIAL does', () => {
    const out = new Uint8Array(HELLO.length);
    out.set(Buffer.from('hello'), 32);
    emitTcp(helloRepr(), out, 0, LO, LO, jsChecksum, ChecksumMode.PSEUDO_HEADER);
    expect([...out]).toEqual([...HELLO]);
    // The "device" completes it: the complement of the sum from the TCP header to the end.
    setTcpChecksumField(out, 0, ~onesSum(out, 0, out.length) & 0xffff);
    expect(tcpChecksumField(out, 0)).toBe(HELLO_FULL_CHECKSUM);
  });

  it('tcp: emit NONE writes 0', () => {
    const out = new Uint8Array(HELLO.length);
    emitTcp(helloRepr(), out, 0, LO, LO, jsChecksum, ChecksumMode.NONE);
    expect(tcpChecksumField(out, 0)).toBe(0);
  });

  it('tcp: tcpChecksum with a payload summed elsewhere (odd length) matches the captured checksum', () => {
    const header = HELLO.slice(0, 32); // checksum field holds 0xfe2d: it is skipped
    const payload = Buffer.from('hello');
    expect(tcpChecksum(header, 0, 32, onesSum(payload, 0, 5), 5, LO, LO, jsChecksum)).toBe(HELLO_FULL_CHECKSUM);
  });

  it('tcp: header + separate payload checksum equals the contiguous checksum for any segment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.boolean(),
        (payload, src, dst, ts) => {
          const repr = Object.assign(new TcpRepr(), { srcPort: 1, dstPort: 2, seq: src, tsPresent: ts, payloadLength: payload.length });
          const hl = tcpHeaderLen(repr);
          const contiguous = new Uint8Array(hl + payload.length);
          contiguous.set(payload, hl);
          emitTcp(repr, contiguous, 0, src, dst, jsChecksum);
          expect(tcpChecksumValid(contiguous, 0, contiguous.length, src, dst, jsChecksum)).toBe(true);
          const header = new Uint8Array(hl);
          emitTcp(repr, header, 0, src, dst, jsChecksum, ChecksumMode.NONE);
          const c = tcpChecksum(header, 0, hl, onesSum(payload, 0, payload.length), payload.length, src, dst, jsChecksum);
          expect(c).toBe(tcpChecksumField(contiguous, 0));
        },
      ),
    );
  });
});

describe('tcp round trip', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const reprFields = fc.record({
    srcPort: u16,
    dstPort: u16,
    seq: u32,
    ack: u32,
    flags: fc.integer({ min: 0, max: 255 }),
    window: u16,
    urgentPointer: u16,
    mss: fc.oneof(fc.constant(-1), u16),
    wscale: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 255 })),
    sackPermitted: fc.boolean(),
    tsPresent: fc.boolean(),
    tsVal: u32,
    tsEcr: u32,
    sackBlocks: fc.array(fc.tuple(u32, u32), { maxLength: 4 }),
    payloadLength: fc.integer({ min: 0, max: 100 }),
  });

  it('tcp: emit → parse round-trips every field, options included', () => {
    fc.assert(
      fc.property(reprFields, fc.integer({ min: 0, max: 7 }), ({ sackBlocks, ...fields }, at) => {
        const repr = Object.assign(new TcpRepr(), fields, { sackCount: sackBlocks.length });
        sackBlocks.forEach(([l, r], i) => repr.sackBlocks.set([l, r], 2 * i));
        const hl = tcpHeaderLen(repr);
        const buf = new Uint8Array(at + hl + fields.payloadLength);
        expect(emitTcp(repr, buf, at, 1, 2, jsChecksum)).toBe(hl);
        const back = parseTcp(buf, at, buf.length - at, new TcpRepr());
        if (isWireError(back)) throw new Error(back.message);
        const { tsVal, tsEcr, ...rest } = fields;
        expect(back).toMatchObject({ ...rest, headerLength: hl, payloadOffset: at + hl });
        if (fields.tsPresent) expect([back.tsVal, back.tsEcr]).toEqual([tsVal, tsEcr]);
        // SACK blocks are cut to what fits (FreeBSD tcp_addoptions), the first ones kept.
        expect(back.sackCount).toBeLessThanOrEqual(sackBlocks.length);
        if (sackBlocks.length > 0) expect(back.sackCount).toBeGreaterThanOrEqual(Math.min(2, sackBlocks.length));
        expect([...back.sackBlocks.subarray(0, 2 * back.sackCount)]).toEqual(sackBlocks.slice(0, back.sackCount).flat());
        expect(tcpChecksumValid(buf, at, buf.length - at, 1, 2, jsChecksum)).toBe(true);
      }),
    );
  });
});
