import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { PacketPool } from '../../src/buf/pool.js';
import {
  isPcapError,
  LINKTYPE_ETHERNET,
  PCAP_MAGIC_MICROS,
  PCAP_MAGIC_NANOS,
  PcapError,
  PcapWriter,
  readPcap,
  type PcapFile,
  type PcapSink,
} from '../../src/link/pcap-file.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';

const tmp = mkdtempSync(join(tmpdir(), 'zerostack-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function mustFile(r: PcapFile | PcapError): PcapFile {
  if (isPcapError(r)) throw new Error(r.toString());
  return r;
}

function mustError(r: PcapFile | PcapError): PcapError {
  if (!isPcapError(r)) throw new Error('expected a PcapError');
  return r;
}

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/**
 * A hand-built Ethernet II / IPv4 / UDP frame with correct checksums
 * (RFC 894, RFC 791 §3.1, RFC 768), independent of src/wire's emitters.
 */
function udpFrame(src: number, dst: number, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload.length);
  const dv = new DataView(f.buffer);
  f.set([0x02, 0, 0, 0, 0, 0x02], 0); // dst MAC
  f.set([0x02, 0, 0, 0, 0, 0x01], 6); // src MAC
  dv.setUint16(12, 0x0800); // EtherType IPv4
  const iph = 14;
  f[iph] = 0x45; // version 4, IHL 5
  dv.setUint16(iph + 2, 20 + 8 + payload.length); // total length
  dv.setUint16(iph + 4, 0x1234); // identification
  dv.setUint16(iph + 6, 0x4000); // DF
  f[iph + 8] = 64; // TTL
  f[iph + 9] = 17; // UDP
  dv.setUint32(iph + 12, src);
  dv.setUint32(iph + 16, dst);
  dv.setUint16(iph + 10, finishChecksum(onesSum(f, iph, 20)));
  const u = iph + 20;
  dv.setUint16(u, sport);
  dv.setUint16(u + 2, dport);
  dv.setUint16(u + 4, 8 + payload.length);
  f.set(payload, u + 8);
  const sum = onesSum(f, u, 8 + payload.length, pseudoHeaderSum(src, dst, 17, 8 + payload.length));
  dv.setUint16(u + 6, finishChecksum(sum) || 0xffff);
  return f;
}

const PAYLOAD = new TextEncoder().encode('hello, zerostack!!'); // 18 bytes
const FRAME = udpFrame(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 1234, 5678, PAYLOAD);

/** The same frame as a chain: headers in one pool buffer, payload in a clone of another. */
function chainFrame(pool: PacketPool): { frame: PacketBuffer; data: PacketBuffer } {
  const data = pool.allocCopy(FRAME, 42, FRAME.length - 42, 0)!;
  const hdr = pool.alloc(0)!;
  const h = hdr.prepend(42);
  hdr.bytes.set(FRAME.subarray(0, 42), h);
  hdr.next = pool.clone(data, 0, data.length);
  return { frame: hdr, data };
}

describe('pcap writer and reader', () => {
  it('writes the classic file header (magic a1b23c4d for ns, version 2.4, snaplen, LINKTYPE_ETHERNET)', () => {
    const w = PcapWriter.toMemory();
    const b = w.bytes();
    expect(b.length).toBe(24);
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint32(0, true)).toBe(PCAP_MAGIC_NANOS);
    expect(dv.getUint16(4, true)).toBe(2);
    expect(dv.getUint16(6, true)).toBe(4);
    expect(dv.getUint32(8, true)).toBe(0);
    expect(dv.getUint32(12, true)).toBe(0);
    expect(dv.getUint32(16, true)).toBe(262144);
    expect(dv.getUint32(20, true)).toBe(LINKTYPE_ETHERNET);
    const us = PcapWriter.toMemory({ nanosecond: false, snaplen: 1500, linkType: 101 }).bytes();
    const dv2 = new DataView(us.buffer, us.byteOffset);
    expect(dv2.getUint32(0, true)).toBe(PCAP_MAGIC_MICROS);
    expect(dv2.getUint32(16, true)).toBe(1500);
    expect(dv2.getUint32(20, true)).toBe(101);
  });

  it('round trip (ns): records at known ns times, including a chain frame, read back equal', () => {
    const pool = new PacketPool({ memoryBytes: 1 << 20 });
    const w = PcapWriter.toMemory();
    const times = [0, 1, 999_999_999, 1_000_000_000, 1_500_000_123, 86_400_000_000_007];
    for (const t of times) w.writePacket(t, FRAME, 0, FRAME.length);
    const { frame, data } = chainFrame(pool);
    w.writeChain(2_000_000_001, frame);
    frame.release();
    data.release();
    w.writePacket(3_000_000_000, FRAME, 14, 20); // a sub-range: just the IPv4 header
    w.writePacket(3_000_000_001, FRAME, 0, 0); // an empty record
    const f = mustFile(readPcap(w.bytes()));
    expect(f.linkType).toBe(LINKTYPE_ETHERNET);
    expect(f.nanosecond).toBe(true);
    expect(f.bigEndian).toBe(false);
    expect([f.versionMajor, f.versionMinor]).toEqual([2, 4]);
    expect(f.snaplen).toBe(262144);
    expect(f.records.length).toBe(times.length + 3);
    times.forEach((t, i) => {
      expect(f.records[i]!.timeNs).toBe(t);
      expect(f.records[i]!.originalLength).toBe(FRAME.length);
      expect([...f.records[i]!.data]).toEqual([...FRAME]);
    });
    const chain = f.records[times.length]!;
    expect(chain.timeNs).toBe(2_000_000_001);
    expect([...chain.data]).toEqual([...FRAME]);
    expect([...f.records[times.length + 1]!.data]).toEqual([...FRAME.subarray(14, 34)]);
    expect(f.records[times.length + 2]!.data.length).toBe(0);
    expect(w.packets).toBe(times.length + 3);
    expect(pool.stats.inUse).toBe(0); // writeChain did not keep or release anything
  });

  it('µs files: magic a1b2c3d4 and timestamps truncated to µs (integer division)', () => {
    const w = PcapWriter.toMemory({ nanosecond: false });
    w.writePacket(1_234_567_891, FRAME, 0, FRAME.length);
    w.writePacket(999, FRAME, 0, FRAME.length);
    w.writePacket(5_000_000_000, FRAME, 0, FRAME.length);
    const f = mustFile(readPcap(w.bytes()));
    expect(f.nanosecond).toBe(false);
    expect(f.records.map((r) => r.timeNs)).toEqual([1_234_567_000, 0, 5_000_000_000]);
  });

  it('timeOffsetSeconds is added to every timestamp (e.g. a wall-clock epoch for real captures)', () => {
    const w = PcapWriter.toMemory({ timeOffsetSeconds: 1_700_000_000 });
    w.writePacket(2_000_000_005, FRAME, 0, 10);
    const b = w.bytes();
    const dv = new DataView(b.buffer, b.byteOffset);
    expect([dv.getUint32(24, true), dv.getUint32(28, true)]).toEqual([1_700_000_002, 5]);
    expect(() => w.writePacket(2 ** 32 * 1e9 - 1_700_000_000 * 1e9, FRAME, 0, 1)).toThrow(RangeError);
  });

  it('snaplen truncates captured bytes; originalLength keeps the wire length (also across a chain)', () => {
    const pool = new PacketPool({ memoryBytes: 1 << 20 });
    const w = PcapWriter.toMemory({ snaplen: 50 });
    w.writePacket(1, FRAME, 0, FRAME.length);
    const { frame, data } = chainFrame(pool); // 42-byte header buffer + 18-byte payload: the cut is in the second element
    w.writeChain(2, frame);
    frame.release();
    data.release();
    w.writePacket(3, FRAME, 0, 50);
    const f = mustFile(readPcap(w.bytes()));
    expect(f.snaplen).toBe(50);
    expect(f.records.map((r) => [r.data.length, r.originalLength])).toEqual([
      [50, FRAME.length],
      [50, FRAME.length],
      [50, 50],
    ]);
    expect([...f.records[1]!.data]).toEqual([...FRAME.subarray(0, 50)]);
  });

  it('a tiny staging buffer still produces a correct file (records larger than the buffer go straight to the sink)', () => {
    const chunks: Uint8Array[] = [];
    const sink: PcapSink = { write: (c) => void chunks.push(c.slice()) };
    const w = new PcapWriter(sink, { bufferBytes: 64 });
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    for (let i = 0; i < 5; i++) w.writePacket(i, big, i, 1000 - i * 10);
    w.close();
    const all = Buffer.concat(chunks);
    const f = mustFile(readPcap(all));
    expect(f.records.length).toBe(5);
    f.records.forEach((r, i) => expect([...r.data]).toEqual([...big.subarray(i, 1000 - i * 9)]));
    expect(w.bytesWritten).toBe(all.length);
  });

  it('toFile buffers and writes a readable file on close(); close is idempotent; writing after close throws', () => {
    const path = join(tmp, 'tofile.pcap');
    const w = PcapWriter.toFile(path, { bufferBytes: 256 });
    for (let i = 0; i < 20; i++) w.writePacket(i * 1000, FRAME, 0, FRAME.length);
    w.close();
    w.close();
    expect(() => w.writePacket(1, FRAME, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_PCAP_CLOSED' }));
    const f = mustFile(readPcap(readFileSync(path)));
    expect(f.records.length).toBe(20);
    expect(f.records[19]!.timeNs).toBe(19_000);
  });

  it('bad arguments and options throw, naming the option and value', () => {
    expect(() => PcapWriter.toMemory({ snaplen: 0 })).toThrow(/snaplen.*0/);
    expect(() => PcapWriter.toMemory({ snaplen: 1.5 })).toThrow(RangeError);
    expect(() => PcapWriter.toMemory({ linkType: 70000 })).toThrow(/linkType.*70000/);
    expect(() => PcapWriter.toMemory({ nanosecond: 'yes' as unknown as boolean })).toThrow(TypeError);
    expect(() => PcapWriter.toMemory({ timeOffsetSeconds: -1 })).toThrow(/timeOffsetSeconds.*-1/);
    expect(() => new PcapWriter({} as PcapSink)).toThrow(TypeError);
    const w = PcapWriter.toMemory();
    expect(() => w.writePacket(0, FRAME, 10, FRAME.length)).toThrow(RangeError);
    expect(() => w.writePacket(-1, FRAME, 0, 1)).toThrow(RangeError);
    expect(() => w.writePacket(NaN, FRAME, 0, 1)).toThrow(RangeError);
    expect(() => w.writePacket(2 ** 32 * 1e9, FRAME, 0, 1)).toThrow(RangeError);
    expect(() => readPcap('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

/** A big-endian file built by hand. */
function bigEndianFile(magic: number): Uint8Array {
  const b = new Uint8Array(24 + 16 + 4);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, magic, false);
  dv.setUint16(4, 2, false);
  dv.setUint16(6, 4, false);
  dv.setUint32(16, 65535, false);
  dv.setUint32(20, 1, false);
  dv.setUint32(24, 7, false); // seconds
  dv.setUint32(28, 250, false); // fraction
  dv.setUint32(32, 4, false);
  dv.setUint32(36, 60, false);
  b.set([0xde, 0xad, 0xbe, 0xef], 40);
  return b;
}

describe('pcap reader: byte orders and bad input', () => {
  it('reads big-endian files with either magic', () => {
    const ns = mustFile(readPcap(bigEndianFile(PCAP_MAGIC_NANOS)));
    expect(ns.bigEndian).toBe(true);
    expect(ns.nanosecond).toBe(true);
    expect(ns.snaplen).toBe(65535);
    expect(ns.records).toEqual([{ timeNs: 7_000_000_250, originalLength: 60, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) }]);
    const us = mustFile(readPcap(bigEndianFile(PCAP_MAGIC_MICROS)));
    expect(us.nanosecond).toBe(false);
    expect(us.records[0]!.timeNs).toBe(7_000_250_000);
  });

  it('truncated file header → truncatedHeader; unknown magic (e.g. pcapng) → badMagic', () => {
    const good = PcapWriter.toMemory().bytes();
    for (let n = 0; n < 24; n++) {
      const e = mustError(readPcap(good.subarray(0, n)));
      expect(e.code).toBe('truncatedHeader');
      expect(e.partial).toBeNull();
    }
    const pcapng = Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(24).fill(0)]);
    expect(mustError(readPcap(pcapng)).code).toBe('badMagic');
    expect(mustError(readPcap(new Uint8Array(3).fill(0xa1))).code).toBe('truncatedHeader');
  });

  it('major version other than 2 → badVersion', () => {
    const b = PcapWriter.toMemory().bytes();
    b[4] = 3;
    expect(mustError(readPcap(b)).code).toBe('badVersion');
  });

  it('truncated record header or data → truncatedRecord, with the records before it', () => {
    const w = PcapWriter.toMemory();
    w.writePacket(1, FRAME, 0, FRAME.length);
    w.writePacket(2, FRAME, 0, FRAME.length);
    const full = w.bytes();
    const oneRecord = 24 + 16 + FRAME.length;
    for (const cut of [oneRecord + 1, oneRecord + 15, oneRecord + 16, full.length - 1]) {
      const e = mustError(readPcap(full.subarray(0, cut)));
      expect(e.code).toBe('truncatedRecord');
      expect(e.offset).toBe(oneRecord);
      expect(e.partial!.records.length).toBe(1);
      expect(e.partial!.records[0]!.timeNs).toBe(1);
    }
    expect(mustFile(readPcap(full.subarray(0, oneRecord))).records.length).toBe(1);
  });

  it('captured length above the original length → badRecordLength', () => {
    const w = PcapWriter.toMemory();
    w.writePacket(1, FRAME, 0, FRAME.length);
    const b = w.bytes();
    new DataView(b.buffer, b.byteOffset).setUint32(24 + 12, FRAME.length - 1, true);
    const e = mustError(readPcap(b));
    expect(e.code).toBe('badRecordLength');
    expect(e.offset).toBe(24 + 8);
  });

  it('random bytes never throw: a PcapFile or a typed PcapError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (raw, withHeader) => {
        const bytes = withHeader ? Uint8Array.from([...PcapWriter.toMemory().bytes(), ...raw]) : raw;
        const r = readPcap(bytes);
        if (isPcapError(r)) {
          expect(['truncatedHeader', 'badMagic', 'badVersion', 'truncatedRecord', 'badRecordLength']).toContain(r.code);
        } else {
          for (const rec of r.records) expect(rec.data.length).toBeLessThanOrEqual(rec.originalLength);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('corrupting or cutting a valid capture never throws', () => {
    const w = PcapWriter.toMemory();
    for (let i = 0; i < 4; i++) w.writePacket(i * 7, FRAME, 0, FRAME.length - i * 5);
    const good = w.bytes();
    fc.assert(
      fc.property(
        fc.nat(good.length),
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { maxLength: 6 }),
        fc.boolean(),
        (cut, flips, bigEndian) => {
          const b = good.slice(0, cut);
          for (const [at, v] of flips) if (at < b.length) b[at] = v;
          if (bigEndian && b.length >= 4) b.subarray(0, 4).reverse();
          const r = readPcap(b);
          expect(isPcapError(r) || Array.isArray(r.records)).toBe(true);
        },
      ),
      { numRuns: 20_000 },
    );
  });
});

// --- tcpdump as an independent decoder ---

function findTcpdump(): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/bin', '/sbin'];
  for (const d of dirs) {
    if (d && existsSync(join(d, 'tcpdump'))) return join(d, 'tcpdump');
  }
  return null;
}

const tcpdump = findTcpdump();
const hasTcpdump = tcpdump !== null;
if (!hasTcpdump) {
  console.warn('pcap-file.test: tcpdump not found on PATH or in /usr/sbin; skipping the tcpdump decoding tests (.ci/run installs it)');
}

/** Run tcpdump; both streams (stderr has the "reading from file" banner). Throws on a non-zero exit. */
function runTcpdump(args: string[]): { out: string; err: string } {
  const r = spawnSync(tcpdump!, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tcpdump ${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
  return { out: r.stdout, err: r.stderr };
}

describe('pcap files decode in tcpdump', () => {
  it.skipIf(!hasTcpdump)('tcpdump decodes a hand-built Ethernet/IPv4/UDP frame and a chain frame (ns file), checksums ok', () => {
    const pool = new PacketPool({ memoryBytes: 1 << 20 });
    const path = join(tmp, 'udp-ns.pcap');
    const w = PcapWriter.toFile(path);
    w.writePacket(12_345_678_901, FRAME, 0, FRAME.length);
    const { frame, data } = chainFrame(pool);
    w.writeChain(12_345_678_902, frame);
    frame.release();
    data.release();
    w.close();
    const { out, err } = runTcpdump(['-nn', '-vv', '-tt', '--time-stamp-precision=nano', '-r', path]);
    expect(err).toMatch(/reading from file .*udp-ns\.pcap, link-type EN10MB \(Ethernet\)/);
    expect(err).toMatch(/snapshot length 262144/);
    const lines = out.trim().split('\n');
    // -vv prints the IP header on one line and the UDP line below it.
    expect(out).toContain('12.345678901 IP (tos 0x0, ttl 64, id 4660, offset 0, flags [DF], proto UDP (17), length 46)');
    expect(out).toContain('12.345678902 IP (tos 0x0');
    expect(out.match(/10\.0\.0\.1\.1234 > 10\.0\.0\.2\.5678: \[udp sum ok\] UDP, length 18/g)?.length).toBe(2);
    expect(lines.length).toBe(4);
    expect(`${out}\n${err}`).not.toMatch(/truncated|bad|warning|invalid|\|\[/i);
  });

  it.skipIf(!hasTcpdump)('tcpdump reads µs files and snaplen-truncated records as such', () => {
    const path = join(tmp, 'udp-us.pcap');
    const w = PcapWriter.toFile(path, { nanosecond: false });
    w.writePacket(3_000_001_999, FRAME, 0, FRAME.length);
    w.close();
    const { out, err } = runTcpdump(['-nn', '-tt', '-r', path]);
    expect(err).toMatch(/link-type EN10MB/);
    expect(out.trim()).toBe('3.000001 IP 10.0.0.1.1234 > 10.0.0.2.5678: UDP, length 18');

    const cut = join(tmp, 'udp-snap.pcap');
    const w2 = PcapWriter.toFile(cut, { snaplen: 38 });
    w2.writePacket(0, FRAME, 0, FRAME.length);
    w2.close();
    const r2 = runTcpdump(['-nn', '-r', cut]);
    expect(r2.err).toMatch(/snapshot length 38/);
    // The IP header is complete, the UDP header is cut: tcpdump says so (proof the lengths are recorded).
    expect(r2.out).toMatch(/10\.0\.0\.1.*10\.0\.0\.2/);
    expect(r2.out).toMatch(/\|udp\]|truncated/);
  });
});
