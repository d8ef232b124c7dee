import { describe, expect, it } from 'vitest';
import {
  emitTcpOptions,
  parseTcpOptions,
  TCP_MAX_OPTIONS_LEN,
  tcpOptionsLen,
  tcpSackBlocksEmitted,
} from '../../src/wire/tcp-options.js';
import { TcpRepr } from '../../src/wire/tcp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const bytesOf = (o: TcpRepr): string => {
  const out = new Uint8Array(TCP_MAX_OPTIONS_LEN).fill(0xee);
  const n = emitTcpOptions(o, out, 0);
  expect(tcpOptionsLen(o)).toBe(n);
  expect(out[n] ?? 0xee).toBe(0xee); // nothing written past the reported length
  return Buffer.from(out.subarray(0, n)).toString('hex');
};
const opts = (fields: Partial<TcpRepr>, sacks: number[] = []): TcpRepr => {
  const r = Object.assign(new TcpRepr(), fields, { sackCount: sacks.length / 2 });
  r.sackBlocks.set(sacks);
  return r;
};
const parse = (s: string): TcpRepr | string => {
  const b = hex(s);
  const r = new TcpRepr();
  const err = parseTcpOptions(b, 0, b.length, r);
  return err === null ? r : err.code;
};

describe('tcp options emit: FreeBSD tcp_addoptions() layout (packetdrill corpus)', () => {
  it('SYN: <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0> (20 bytes)', () => {
    const o = opts({ mss: 1460, wscale: 6, sackPermitted: true, tsPresent: true, tsVal: 100, tsEcr: 0 });
    expect(bytesOf(o)).toBe('020405b4' + '01' + '030306' + '0402' + '080a0000006400000000');
  });

  it('SYN without SACK: <mss 1460,nop,wscale 6,nop,nop,TS val 100 ecr 0>', () => {
    const o = opts({ mss: 1460, wscale: 6, tsPresent: true, tsVal: 100 });
    expect(bytesOf(o)).toBe('020405b4' + '01' + '030306' + '0101' + '080a0000006400000000');
  });

  it('SYN without window scale and timestamps: <mss 1460,sackOK,eol,eol> (8 bytes)', () => {
    expect(bytesOf(opts({ mss: 1460, sackPermitted: true }))).toBe('020405b4' + '0402' + '0000');
  });

  it('SYN with MSS only: <mss 1460> (no padding needed)', () => {
    expect(bytesOf(opts({ mss: 1460 }))).toBe('020405b4');
  });

  it('data segment with timestamps: <nop,nop,TS> (12 bytes)', () => {
    const o = opts({ tsPresent: true, tsVal: 0x01020304, tsEcr: 0xa0b0c0d0 });
    expect(bytesOf(o)).toBe('0101' + '080a01020304a0b0c0d0');
  });

  it('window scale alone starts at an odd offset: <nop,wscale 14>', () => {
    expect(bytesOf(opts({ wscale: 14 }))).toBe('0103030e');
  });

  it('SACK-permitted alone is padded with EOL then zeros: <sackOK,eol,eol>', () => {
    expect(bytesOf(opts({ sackPermitted: true }))).toBe('04020000');
  });

  it('SACK-permitted and timestamps (no NOPs needed): <sackOK,TS>', () => {
    expect(bytesOf(opts({ sackPermitted: true, tsPresent: true, tsVal: 1, tsEcr: 2 }))).toBe('0402' + '080a0000000100000002');
  });

  it('SACK blocks alone: <nop,nop,sack 4 blocks> (36 bytes)', () => {
    const o = opts({}, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tcpSackBlocksEmitted(o)).toBe(4);
    expect(bytesOf(o)).toBe(
      '0101' + '0522' + '0000000100000002' + '0000000300000004' + '0000000500000006' + '0000000700000008',
    );
  });

  it('SACK with timestamps keeps the first 3 of 4 blocks: <nop,nop,TS,nop,nop,sack 3 blocks> (40 bytes)', () => {
    const o = opts({ tsPresent: true, tsVal: 9, tsEcr: 10 }, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(tcpSackBlocksEmitted(o)).toBe(3);
    expect(bytesOf(o)).toBe(
      '0101' + '080a000000090000000a' + '0101' + '051a' + '0000000100000002' + '0000000300000004' + '0000000500000006',
    );
  });

  it('no options: nothing written', () => {
    expect(bytesOf(opts({}))).toBe('');
    expect(tcpSackBlocksEmitted(opts({}))).toBe(0);
  });

  it('everything at once fits 40 bytes with 2 SACK blocks', () => {
    const o = opts({ mss: 536, wscale: 0, sackPermitted: true, tsPresent: true }, [1, 2, 3, 4, 5, 6]);
    expect(tcpSackBlocksEmitted(o)).toBe(2);
    expect(tcpOptionsLen(o)).toBe(40);
  });
});

describe('tcp options parse (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018)', () => {
  it('tcp options: parses MSS, window scale, SACK-permitted, timestamps', () => {
    expect(parse('020405b4 01 030306 0402 080a0000006400000000')).toMatchObject({
      mss: 1460,
      wscale: 6,
      sackPermitted: true,
      tsPresent: true,
      tsVal: 100,
      tsEcr: 0,
      sackCount: 0,
    });
  });

  it('tcp options: absent options read as mss -1, wscale -1, false', () => {
    expect(parse('')).toMatchObject({ mss: -1, wscale: -1, sackPermitted: false, tsPresent: false, sackCount: 0, unknownCount: 0 });
  });

  it('tcp options: window scale is reported as sent, even above 14 (RFC 7323 §2.3 clamping is the TCP layer\'s)', () => {
    expect(parse('01030320')).toMatchObject({ wscale: 32 });
  });

  it('tcp options: SACK blocks are read as unsigned (left, right) pairs (RFC 2018 §3)', () => {
    const r = parse('0101 0512 ffffffff 00000010 80000000 80000100');
    if (typeof r === 'string') throw new Error(r);
    expect(r.sackCount).toBe(2);
    expect([...r.sackBlocks.subarray(0, 4)]).toEqual([0xffffffff, 0x10, 0x80000000, 0x80000100]);
  });

  it('tcp options: EOL ends the list; the padding after it is not parsed (RFC 9293 §3.2)', () => {
    expect(parse('020405b4 00 ff0000')).toMatchObject({ mss: 1460 });
  });

  it('tcp options: unknown kinds are skipped by length, counted, and the first 4 recorded', () => {
    // kind 30 (MPTCP) len 4, kind 34 (TFO) len 2, kind 99 len 3, kind 254 len 2, kind 253 len 2, then MSS.
    const r = parse('1e04aabb 2202 6303cc fe02 fd02 020405b4 00');
    if (typeof r === 'string') throw new Error(r);
    expect(r.mss).toBe(1460);
    expect(r.unknownCount).toBe(5);
    expect([...r.unknownKind]).toEqual([30, 34, 99, 254]);
    expect([...r.unknownOffset]).toEqual([0, 4, 6, 9]);
    expect([...r.unknownLength]).toEqual([4, 2, 3, 2]);
  });

  it.each([
    ['length byte 0', '0200'],
    ['length byte 1', '020105b4'],
    ['unknown kind with length 1', '2201'],
    ['no room for the length byte', '010102'],
    ['option running past the header', '020405'],
    ['unknown option running past the header', '1e08aabbccdd'],
    ['MSS with length 3', '02030501'],
    ['MSS with length 5', '0205000000000000'],
    ['window scale with length 4', '03040600'],
    ['SACK-permitted with length 3', '040300'],
    ['SACK with no blocks (length 2)', '0502'],
    ['SACK with a partial block (length 11)', '050b' + '00'.repeat(9)],
    ['timestamps with length 8', '0808' + '00'.repeat(6)],
  ])('tcp options: rejects %s as badOptionLength (RFC 9293 §3.1 MUST-7)', (_what, s) => {
    expect(parse(s)).toBe('badOptionLength');
  });
});
