import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatMac, parseIpv4, parseMac } from '../../src/wire/address.js';
import {
  ARP_LEN,
  arpHeaderLen,
  arpOperation,
  ArpOp,
  ArpRepr,
  arpSpa,
  arpTpa,
  emitArp,
  parseArp,
} from '../../src/wire/arp.js';
import { isWireError } from '../../src/wire/error.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// The ARP part of a Linux request captured with tcpdump: who-has 10.77.0.2 tell 10.77.0.1.
const REQUEST = hex('0001 0800 0604 0001 a6e0 6a91 6734 0a4d 0001 0000 0000 0000 0a4d 0002');

describe('arp', () => {
  it('arp: parses a captured request (RFC 826 packet format)', () => {
    const r = parseArp(REQUEST, 0, REQUEST.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(r.op).toBe(ArpOp.REQUEST);
    expect(formatMac(r.sha)).toBe('a6:e0:6a:91:67:34');
    expect(formatIpv4(r.spa)).toBe('10.77.0.1');
    expect(formatMac(r.tha)).toBe('00:00:00:00:00:00');
    expect(formatIpv4(r.tpa)).toBe('10.77.0.2');
    expect(arpOperation(REQUEST, 0)).toBe(1);
    expect(arpSpa(REQUEST, 0)).toBe(parseIpv4('10.77.0.1'));
    expect(arpTpa(REQUEST, 0)).toBe(parseIpv4('10.77.0.2'));
  });

  it('arp: emit reproduces the captured request', () => {
    const repr = new ArpRepr();
    repr.op = ArpOp.REQUEST;
    repr.sha.set(parseMac('a6:e0:6a:91:67:34'));
    repr.spa = parseIpv4('10.77.0.1');
    repr.tpa = parseIpv4('10.77.0.2');
    const out = new Uint8Array(arpHeaderLen(repr));
    expect(emitArp(repr, out, 0)).toBe(ARP_LEN);
    expect([...out]).toEqual([...REQUEST]);
  });

  it('arp: Ethernet padding after the 28 bytes is ignored', () => {
    const padded = new Uint8Array(46);
    padded.set(REQUEST);
    padded.fill(0xee, 28);
    const r = parseArp(padded, 0, padded.length);
    expect(isWireError(r)).toBe(false);
  });

  it.each([
    ['hardware type is not Ethernet (1)', 0, 0x00, 0x06],
    ['protocol type is not IPv4 (0x0800)', 2, 0x86, 0xdd],
  ])('arp: rejects a packet whose %s as unsupported (RFC 826 reception)', (_what, at, b0, b1) => {
    const p = REQUEST.slice();
    p[at] = b0;
    p[at + 1] = b1;
    expect(parseArp(p, 0, p.length)).toMatchObject({ code: 'unsupported' });
  });

  it('arp: rejects hardware/protocol address lengths other than 6/4 as unsupported', () => {
    const a = REQUEST.slice();
    a[4] = 8;
    expect(parseArp(a, 0, a.length)).toMatchObject({ code: 'unsupported' });
    const b = REQUEST.slice();
    b[5] = 16;
    expect(parseArp(b, 0, b.length)).toMatchObject({ code: 'unsupported' });
  });

  it('arp: every prefix of a request is truncated', () => {
    for (let n = 0; n < ARP_LEN; n++) expect(parseArp(REQUEST, 0, n)).toMatchObject({ code: 'truncated' });
  });

  it('arp: emit → parse round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (op, sha, spa, tha, tpa) => {
          const repr = new ArpRepr();
          repr.op = op;
          repr.sha.set(sha);
          repr.spa = spa;
          repr.tha.set(tha);
          repr.tpa = tpa;
          const buf = new Uint8Array(ARP_LEN);
          emitArp(repr, buf, 0);
          const back = parseArp(buf, 0, buf.length);
          expect(back).toEqual(repr);
        },
      ),
    );
  });
});
