import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastMac,
  formatIpv4,
  formatMac,
  ipv4InSubnet,
  isBroadcastMac,
  isIpv4Loopback,
  isIpv4Multicast,
  isMulticastMac,
  isValidCidr,
  isValidIpv4,
  isValidMac,
  macEquals,
  parseCidr,
  parseIpv4,
  parseMac,
  prefixToMask,
  readU16,
  readU32,
  writeU16,
  writeU32,
} from '../../src/wire/address.js';

describe('network byte order', () => {
  it('readU16/readU32 are big-endian and unsigned (RFC 791 Appendix B)', () => {
    const b = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x80);
    expect(readU16(b, 0)).toBe(0xdead);
    expect(readU32(b, 0)).toBe(0xdeadbeef);
    expect(readU32(b, 1)).toBe(0xadbeef80);
  });

  it('write then read returns the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffff }), (u32, u16) => {
        const b = new Uint8Array(6);
        writeU32(b, 0, u32);
        writeU16(b, 4, u16);
        return readU32(b, 0) === u32 && readU16(b, 4) === u16;
      }),
    );
  });
});

describe('MAC addresses', () => {
  it('parseMac reads colon or dash separated hex; formatMac writes lower-case colons', () => {
    expect([...parseMac('AA:bb:0c:Dd:ee:FF')]).toEqual([0xaa, 0xbb, 0x0c, 0xdd, 0xee, 0xff]);
    expect([...parseMac('02-00-00-00-00-01')]).toEqual([2, 0, 0, 0, 0, 1]);
    expect(formatMac(Uint8Array.of(0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f), 1)).toBe('aa:bb:cc:dd:ee:0f');
  });

  it.each(['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'aa:bb-cc:dd:ee:ff', 'gg:bb:cc:dd:ee:ff', 'a:b:c:d:e:f', ' aa:bb:cc:dd:ee:ff'])(
    'parseMac rejects %j with a TypeError naming the value',
    (text) => {
      expect(isValidMac(text)).toBe(false);
      expect(() => parseMac(text)).toThrow(TypeError);
      expect(() => parseMac(text)).toThrow(JSON.stringify(text));
    },
  );

  it('format/parse round-trip for every 6-byte address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
        expect([...parseMac(formatMac(mac))]).toEqual([...mac]);
      }),
    );
  });

  it('broadcast and multicast (IEEE 802 I/G bit) predicates', () => {
    expect(isBroadcastMac(broadcastMac())).toBe(true);
    expect(isMulticastMac(broadcastMac())).toBe(true);
    expect(isMulticastMac(parseMac('01:00:5e:00:00:01'))).toBe(true);
    expect(isMulticastMac(parseMac('02:00:00:00:00:01'))).toBe(false);
    expect(isBroadcastMac(parseMac('ff:ff:ff:ff:ff:fe'))).toBe(false);
    expect(macEquals(parseMac('02:00:00:00:00:01'), 0, Uint8Array.of(9, 2, 0, 0, 0, 0, 1), 1)).toBe(true);
  });
});

describe('IPv4 addresses', () => {
  it('parseIpv4 gives an unsigned 32-bit number', () => {
    expect(parseIpv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('192.168.0.199')).toBe(0xc0a800c7);
    expect(parseIpv4('0.0.0.0')).toBe(0);
  });

  it.each(['', '10.0.0', '10.0.0.1.2', '256.0.0.1', '10.0.0.01', '10.0.0.-1', '1e1.0.0.1', 'a.b.c.d', '10.0.0.1 ', '10..0.1'])(
    'parseIpv4 rejects %j with a TypeError naming the value',
    (text) => {
      expect(isValidIpv4(text)).toBe(false);
      expect(() => parseIpv4(text)).toThrow(TypeError);
      expect(() => parseIpv4(text)).toThrow(JSON.stringify(text));
    },
  );

  it('format/parse round-trip for every address', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => parseIpv4(formatIpv4(a)) === a),
    );
  });

  it('formatIpv4 rejects numbers that are not 32-bit addresses', () => {
    expect(() => formatIpv4(-1)).toThrow(RangeError);
    expect(() => formatIpv4(2 ** 32)).toThrow(RangeError);
    expect(() => formatIpv4(1.5)).toThrow(/1\.5/);
  });

  it('parseCidr keeps the host bits and derives the mask (RFC 4632)', () => {
    expect(parseCidr('10.0.0.1/24')).toEqual({ address: 0x0a000001, prefixLength: 24, mask: 0xffffff00 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ address: 0, prefixLength: 0, mask: 0 });
    expect(parseCidr('1.2.3.4/32').mask).toBe(0xffffffff);
    expect(prefixToMask(1)).toBe(0x80000000);
  });

  it.each(['10.0.0.1', '10.0.0.1/33', '10.0.0.1/', '10.0.0.1/024', '10.0.0/8', '10.0.0.1/-1', '10.0.0.1/8/8'])(
    'parseCidr rejects %j with a TypeError naming the value',
    (text) => {
      expect(isValidCidr(text)).toBe(false);
      expect(() => parseCidr(text)).toThrow(TypeError);
      expect(() => parseCidr(text)).toThrow(JSON.stringify(text));
    },
  );

  it('subnet membership and special ranges (RFC 5771 multicast, RFC 1122 §3.2.1.3 loopback)', () => {
    const { address, mask } = parseCidr('10.0.0.1/24');
    expect(ipv4InSubnet(parseIpv4('10.0.0.200'), address, mask)).toBe(true);
    expect(ipv4InSubnet(parseIpv4('10.0.1.1'), address, mask)).toBe(false);
    expect(isIpv4Multicast(parseIpv4('224.0.0.1'))).toBe(true);
    expect(isIpv4Multicast(parseIpv4('239.255.255.255'))).toBe(true);
    expect(isIpv4Multicast(parseIpv4('240.0.0.1'))).toBe(false);
    expect(isIpv4Loopback(parseIpv4('127.1.2.3'))).toBe(true);
    expect(isIpv4Loopback(parseIpv4('128.0.0.1'))).toBe(false);
  });
});
