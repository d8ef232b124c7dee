/**
 * "No parser can be made to throw by any byte string, nor read outside its range."
 *
 * For each format: parse a byte string copied into an exact-size array, and the
 * same bytes placed at a random offset inside a larger array full of garbage. A
 * parser that reads outside [offset, offset+length) sees undefined in the first
 * case and garbage in the second, so the results differ. Both must be a repr or a
 * WireError, and equal once absolute offsets are made relative. A third parse
 * into a reused, dirty repr must agree too (the `out` contract).
 *
 * Random strings rarely get past the first checks of the stricter formats, so
 * each format also runs mutated and truncated copies of valid packets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsChecksum } from '../../src/wire/checksum.js';
import { isWireError, WireErrors, type WireError } from '../../src/wire/error.js';
import { ArpRepr, parseArp } from '../../src/wire/arp.js';
import { EthernetRepr, parseEthernet } from '../../src/wire/ethernet.js';
import { emitIcmp, IcmpRepr, parseIcmp } from '../../src/wire/icmp.js';
import { emitIpv4Header, Ipv4Repr, parseIpv4Header } from '../../src/wire/ipv4.js';
import { emitTcp, parseTcp, TcpRepr } from '../../src/wire/tcp.js';
import { emitUdp, parseUdp, UdpRepr } from '../../src/wire/udp.js';

const RANDOM_RUNS = 100_000;
const MUTATED_RUNS = 30_000;

type Parse = (bytes: Uint8Array, off: number, len: number, out?: never) => object | WireError;

interface Format {
  name: string;
  parse: Parse;
  fresh: () => object;
  /** Valid packets to mutate. */
  seeds: Uint8Array[];
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** Repr fields that hold positions in the parsed array (fragmentOffset is not one). */
const ABSOLUTE_OFFSETS = new Set(['payloadOffset', 'optionsOffset', 'originalDataOffset']);

/** A repr as plain data with offsets relative to `base`; a WireError as its code. */
function normalize(r: object | WireError, base: number): unknown {
  if (isWireError(r)) return r.code;
  const o = r as Record<string, unknown>;
  const unknowns = Math.min(Number(o.unknownCount ?? 0), 4);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'sackBlocks') out[k] = Array.from((v as Uint32Array).subarray(0, 2 * Number(o.sackCount)));
    else if (k === 'unknownOffset') out[k] = Array.from((v as Uint32Array).subarray(0, unknowns), (x) => x - base);
    else if (k === 'unknownKind' || k === 'unknownLength') out[k] = Array.from((v as Uint8Array).subarray(0, unknowns));
    else if (v instanceof Uint8Array) out[k] = Array.from(v);
    else if (k === 'originalDataOffset' && o.originalHeaderLength === 0) out[k] = v; // 0: not an ICMP error
    else if (ABSOLUTE_OFFSETS.has(k)) out[k] = Number(v) - base;
    else out[k] = v;
  }
  return out;
}

/**
 * Parse `data` exactly, in place inside garbage, and into a reused repr; demand equal
 * results, and a range past the array's end must be truncated. `seen` tallies outcomes so a run can show it got past the first checks.
 */
function checkOne(f: Format, reused: object, data: Uint8Array, pre: number, post: number, seed: number, seen: Map<string, number>): void {
  const exact = Uint8Array.from(data);
  const big = new Uint8Array(pre + data.length + post);
  let x = seed | 1;
  for (let i = 0; i < big.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    big[i] = x;
  }
  big.set(data, pre);
  const a = f.parse(exact, 0, exact.length);
  const b = f.parse(big, pre, data.length);
  const c = f.parse(big, pre, data.length, reused as never);
  const na = JSON.stringify(normalize(a, 0));
  const nb = JSON.stringify(normalize(b, pre));
  const nc = JSON.stringify(normalize(c, pre));
  // Compare as strings (fast); on a mismatch let expect print the diff.
  if (nb !== na || nc !== na) {
    expect(normalize(b, pre)).toEqual(normalize(a, 0));
    expect(normalize(c, pre)).toEqual(normalize(a, 0));
  }
  // A range reaching past the end of the array is truncated, whatever the bytes.
  const past = f.parse(big, pre, big.length - pre + 1);
  if (past !== WireErrors.truncated) expect(past).toBe(WireErrors.truncated);
  const key = isWireError(a) ? a.code : 'ok';
  seen.set(key, (seen.get(key) ?? 0) + 1);
}

function emitted(build: (buf: Uint8Array) => number, size = 200): Uint8Array {
  const buf = new Uint8Array(size);
  return buf.slice(0, build(buf));
}

const tcpSeed = (fields: Partial<TcpRepr>, sacks: number[] = []): Uint8Array =>
  emitted((buf) => {
    const r = Object.assign(new TcpRepr(), fields, { sackCount: sacks.length / 2, payloadLength: 6 });
    r.sackBlocks.set(sacks);
    return emitTcp(r, buf, 0, 1, 2, jsChecksum) + 6;
  });

const FORMATS: Format[] = [
  {
    name: 'ethernet',
    parse: parseEthernet as Parse,
    fresh: () => new EthernetRepr(),
    seeds: [hex('ffffffffffff a6e06a916734 0806 0001 0800 0604 0001')],
  },
  {
    name: 'arp',
    parse: parseArp as Parse,
    fresh: () => new ArpRepr(),
    seeds: [hex('0001 0800 0604 0001 a6e0 6a91 6734 0a4d 0001 0000 0000 0000 0a4d 0002')],
  },
  {
    name: 'ipv4',
    parse: parseIpv4Header as Parse,
    fresh: () => new Ipv4Repr(),
    seeds: [
      emitted((buf) => emitIpv4Header(Object.assign(new Ipv4Repr(), { payloadLength: 12, protocol: 6 }), buf, 0) + 12),
      hex('4600 001c 0000 0000 4011 0000 0a00 0001 0a00 0002 0101 0100 aabb ccdd'),
    ],
  },
  {
    name: 'icmp',
    parse: parseIcmp as Parse,
    fresh: () => new IcmpRepr(),
    seeds: [
      hex('0800 b8fe 1234 0001 7a65726f737461636b2d70696e672121'),
      hex('0304 0000 0000 05dc 4500 05dc 0001 4000 4006 0000 0a00 0001 0a00 0002 c000 0050 0000 0001'),
      emitted((buf) => emitIcmp(Object.assign(new IcmpRepr(), { type: 11 }), buf, 0, jsChecksum, false) + 28),
    ],
  },
  {
    name: 'udp',
    parse: parseUdp as Parse,
    fresh: () => new UdpRepr(),
    seeds: [
      hex('b097 14e9 0011 fe24 7a65726f737461636b'),
      emitted((buf) => emitUdp(Object.assign(new UdpRepr(), { payloadLength: 3 }), buf, 0, 1, 2, jsChecksum) + 3),
    ],
  },
  {
    name: 'tcp',
    parse: parseTcp as Parse,
    fresh: () => new TcpRepr(),
    seeds: [
      tcpSeed({ mss: 1460, wscale: 6, sackPermitted: true, tsPresent: true, tsVal: 100 }),
      tcpSeed({ tsPresent: true }, [1, 2, 3, 4, 5, 6]),
      tcpSeed({}, [1, 2, 3, 4, 5, 6, 7, 8]),
      hex('adca 15b3 0e60 07ab 0000 0000 a002 ffd7 fe30 0000 0204 ffd7 0402 080a 2071 3d05 0000 0000 0103 030a'),
    ],
  },
];

const placement = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }), fc.integer());

/** A valid packet with up to 6 random byte changes, then cut or extended at a random length. */
function mutatedArb(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.integer({ min: -64, max: 70 }),
      fc.uint8Array({ maxLength: 24 }),
    )
    .map(([seed, edits, cut, tail]) => {
      const b = new Uint8Array(Math.max(0, seed.length + Math.min(cut, 0)) + (cut > 0 ? tail.length : 0));
      b.set(seed.subarray(0, Math.min(seed.length, b.length)));
      if (cut > 0) b.set(tail, Math.min(seed.length, b.length - tail.length));
      for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
      return b;
    });
}

describe('parsers never throw and never read outside [offset, offset+length)', () => {
  for (const f of FORMATS) {
    it(`${f.name}: ${RANDOM_RUNS} random byte strings parse to a repr or a WireError, identically in place`, () => {
      const reused = f.fresh();
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), placement, (data, [pre, post, seed]) => {
          checkOne(f, reused, data, pre, post, seed, seen);
        }),
        { numRuns: RANDOM_RUNS },
      );
      expect(seen.get('truncated')).toBeGreaterThan(0);
    });

    it(`${f.name}: ${MUTATED_RUNS} mutated valid packets parse to a repr or a WireError, identically in place`, () => {
      const reused = f.fresh();
      const seen = new Map<string, number>();
      fc.assert(
        fc.property(mutatedArb(f.seeds), placement, (data, [pre, post, seed]) => {
          checkOne(f, reused, data, pre, post, seed, seen);
        }),
        { numRuns: MUTATED_RUNS },
      );
      // The mutations reach both outcomes, so the check above was not vacuous.
      expect(seen.get('ok')).toBeGreaterThan(MUTATED_RUNS / 20);
      expect(seen.size).toBeGreaterThan(1);
    });
  }
});
