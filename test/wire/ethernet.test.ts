import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMac, parseMac } from '../../src/wire/address.js';
import { isWireError } from '../../src/wire/error.js';
import {
  emitEthernet,
  ETHERNET_HEADER_LEN,
  ethernetEtherType,
  ethernetHeaderLen,
  EthernetRepr,
  EtherType,
  parseEthernet,
} from '../../src/wire/ethernet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// An ARP request from Linux, captured with tcpdump on a veth pair (who-has 10.77.0.2 tell 10.77.0.1).
const ARP_FRAME = hex(`
  ffff ffff ffff a6e0 6a91 6734 0806 0001
  0800 0604 0001 a6e0 6a91 6734 0a4d 0001
  0000 0000 0000 0a4d 0002`);

describe('ethernet', () => {
  it('ethernet: parses a captured frame (RFC 894 layout: dst, src, EtherType)', () => {
    const r = parseEthernet(ARP_FRAME, 0, ARP_FRAME.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(formatMac(r.dst)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(r.src)).toBe('a6:e0:6a:91:67:34');
    expect(r.ethertype).toBe(EtherType.ARP);
    expect(ethernetEtherType(ARP_FRAME, 0)).toBe(EtherType.ARP);
    expect(r.payloadOffset).toBe(14);
    expect(r.payloadLength).toBe(28);
  });

  it('ethernet: emit reproduces the captured header bytes', () => {
    const repr = new EthernetRepr();
    repr.dst.set(parseMac('ff:ff:ff:ff:ff:ff'));
    repr.src.set(parseMac('a6:e0:6a:91:67:34'));
    repr.ethertype = EtherType.ARP;
    const out = new Uint8Array(ETHERNET_HEADER_LEN);
    expect(emitEthernet(repr, out, 0)).toBe(ethernetHeaderLen(repr));
    expect([...out]).toEqual([...ARP_FRAME.subarray(0, 14)]);
  });

  it('ethernet: an 802.1Q tag is reported as EtherType 0x8100, not skipped', () => {
    const frame = hex('0200000000010200000000028100 0064 0800 4500');
    const r = parseEthernet(frame, 0, frame.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(r.ethertype).toBe(EtherType.VLAN);
    expect(r.payloadOffset).toBe(14);
  });

  it('ethernet: parses at an offset and records absolute payload offsets', () => {
    const buf = new Uint8Array(100);
    buf.set(ARP_FRAME, 7);
    const r = parseEthernet(buf, 7, ARP_FRAME.length);
    if (isWireError(r)) throw new Error(r.message);
    expect(r.payloadOffset).toBe(21);
    expect(r.payloadLength).toBe(28);
  });

  it('ethernet: every prefix shorter than 14 bytes is truncated', () => {
    for (let n = 0; n < ETHERNET_HEADER_LEN; n++) {
      expect(parseEthernet(ARP_FRAME, 0, n)).toMatchObject({ code: 'truncated' });
    }
    expect(isWireError(parseEthernet(ARP_FRAME, 0, 14))).toBe(false);
  });

  it('ethernet: a range past the end of the array is truncated, not a throw', () => {
    expect(parseEthernet(ARP_FRAME, 30, 14)).toMatchObject({ code: 'truncated' });
    expect(parseEthernet(ARP_FRAME, -1, 14)).toMatchObject({ code: 'truncated' });
  });

  it('ethernet: emit → parse round-trips', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.uint8Array({ minLength: 6, maxLength: 6 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 1500 }),
        (dst, src, ethertype, payloadLength) => {
          const repr = new EthernetRepr();
          repr.dst.set(dst);
          repr.src.set(src);
          repr.ethertype = ethertype;
          const buf = new Uint8Array(ETHERNET_HEADER_LEN + payloadLength);
          emitEthernet(repr, buf, 0);
          const back = parseEthernet(buf, 0, buf.length, new EthernetRepr());
          if (isWireError(back)) throw new Error(back.message);
          expect([...back.dst]).toEqual([...dst]);
          expect([...back.src]).toEqual([...src]);
          expect(back.ethertype).toBe(ethertype);
          expect(back.payloadLength).toBe(payloadLength);
        },
      ),
    );
  });

  it('ethernet: emitting into a too-small buffer throws RangeError (programming error)', () => {
    expect(() => emitEthernet(new EthernetRepr(), new Uint8Array(13), 0)).toThrow(RangeError);
  });
});
