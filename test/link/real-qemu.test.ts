/**
 * QEMU links: the 4-byte big-endian length framing of `-netdev stream`
 * (property-tested on random chunkings: prefixes and frames split anywhere,
 * many frames per chunk, unacceptable lengths skipped in sync), and two
 * QemuStreamNic endpoints over a real unix socket and TCP loopback.
 */
import { createConnection } from 'node:net';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacketBuffer } from '../../src/buf/packet-buffer.js';
import { QemuStreamNic, StreamFrameParser, type StreamFrameSink } from '../../src/link/qemu.js';
import { RealClock } from '../../src/time/real-clock.js';
import { chainOf, eq, FrameCollector, frameOf, realPool } from './real-helpers.js';

function frameBytes(len: number, seed: number): Uint8Array {
  return new Uint8Array(len).map((_, i) => (i * 17 + seed * 5) & 0xff);
}

/** Encode frames with the stream framing: u32 BE length, then the bytes. */
function encode(frames: readonly Uint8Array[]): Uint8Array {
  const total = frames.reduce((s, f) => s + 4 + f.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of frames) {
    new DataView(out.buffer).setUint32(o, f.length);
    out.set(f, o + 4);
    o += 4 + f.length;
  }
  return out;
}

/** Split `bytes` at the given (sorted, deduplicated) cut points. */
function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, bytes.length]) {
    out.push(bytes.slice(prev, p)); // a copy: the parser must not rely on chunks staying valid
    prev = p;
  }
  return out;
}

describe('StreamFrameParser (QEMU -netdev stream framing: u32 big-endian length prefix)', () => {
  const MIN = 14;
  const MAX = 1514;

  it('yields exactly the acceptable frames, in order, for any chunking; skips the rest in sync', () => {
    const pool = realPool();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 14, max: 1600 })), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (lens, cuts, exhaust) => {
          const frames = lens.map((l, i) => frameBytes(l, i));
          const got: Uint8Array[] = [];
          let skipped = 0;
          let whole = 0;
          // With `exhaust`, every split frame's buffer allocation fails (a sink returning null): it must be skipped in sync.
          const sink: StreamFrameSink = {
            accept: (len) => {
              const ok = len >= MIN && len <= MAX;
              if (!ok) skipped++;
              return ok;
            },
            whole: (b, off, len) => {
              whole++;
              got.push(b.slice(off, off + len));
            },
            begin: (len) => {
              if (exhaust) {
                got.push(new Uint8Array(0)); // marker: dropped for lack of a buffer
                return null;
              }
              return pool.alloc(len);
            },
            done: (buf: PacketBuffer) => {
              got.push(buf.view().slice());
              buf.release();
            },
          };
          const parser = new StreamFrameParser(sink);
          for (const c of chunk(encode(frames), cuts)) parser.feed(c, 0, c.length);
          expect(parser.idle).toBe(true);
          const acceptable = frames.filter((f) => f.length >= MIN && f.length <= MAX);
          expect(skipped).toBe(frames.length - acceptable.length);
          expect(got).toHaveLength(acceptable.length);
          for (let i = 0; i < acceptable.length; i++) {
            if (got[i]!.length === 0 && exhaust) continue; // dropped: no buffer
            expect(eq(got[i]!, acceptable[i]!)).toBe(true);
          }
          if (cuts.length === 0) expect(whole).toBe(acceptable.length); // one chunk: no frame is split
          expect(pool.stats.handlesInUse).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('feeding one byte at a time assembles frames and reset() releases a partial one', () => {
    const pool = realPool();
    const got: Uint8Array[] = [];
    const parser = new StreamFrameParser({
      accept: (len) => len >= MIN && len <= MAX,
      whole: (b, off, len) => got.push(b.slice(off, off + len)),
      begin: (len) => pool.alloc(len),
      done: (buf) => {
        got.push(buf.view().slice());
        buf.release();
      },
    });
    const bytes = encode([frameBytes(60, 1), frameBytes(1514, 2)]);
    for (let i = 0; i < bytes.length; i++) parser.feed(bytes, i, 1);
    expect(got.map((f) => f.length)).toEqual([60, 1514]);
    expect(eq(got[1]!, frameBytes(1514, 2))).toBe(true);
    parser.feed(encode([frameBytes(100, 3)]), 0, 50); // a partial frame
    expect(parser.idle).toBe(false);
    expect(pool.stats.handlesInUse).toBe(1);
    parser.reset();
    expect(parser.idle).toBe(true);
    expect(pool.stats.handlesInUse).toBe(0);
  });
});

describe('QemuStreamNic over a unix socket', () => {
  const path = join(tmpdir(), `zs-qemu-${process.pid}.sock`);
  const pool = realPool();
  const clock = new RealClock();
  let server: QemuStreamNic;
  let client: QemuStreamNic;
  let rxS: FrameCollector;
  let rxC: FrameCollector;

  beforeAll(async () => {
    rmSync(path, { force: true });
    server = await QemuStreamNic.listen({ path }, { pool, clock, name: 'srv' });
    rxS = new FrameCollector(server);
    expect(server.connected).toBe(false);
    const connected = server.whenConnected();
    client = await QemuStreamNic.connect({ path }, { pool, clock, name: 'cli' });
    rxC = new FrameCollector(client);
    await connected;
  });

  afterAll(() => {
    client?.close();
    server?.close();
    clock.close();
    rmSync(path, { force: true });
  });

  it('exchanges frames both ways, including header+payload chains and max-size frames', async () => {
    const f1 = frameBytes(60, 1);
    const f2 = frameBytes(1514, 2);
    expect(client.transmit(frameOf(pool, f1))).toBe(true);
    expect(client.transmit(chainOf(pool, f2.subarray(0, 54), f2.subarray(54)))).toBe(true);
    await rxS.count(2);
    expect(eq(rxS.frames[0]!, f1)).toBe(true);
    expect(eq(rxS.frames[1]!, f2)).toBe(true);
    const f3 = frameBytes(300, 3);
    expect(server.transmit(frameOf(pool, f3))).toBe(true);
    await rxC.count(1);
    expect(eq(rxC.frames[0]!, f3)).toBe(true);
    expect(client.stats.txFrames).toBe(2);
    expect(server.stats.rxBytes).toBe(60 + 1514);
  });

  it('a burst of 500 frames arrives complete and in order (the stream coalesces and splits them)', async () => {
    const start = rxS.frames.length;
    for (let i = 0; i < 500; i++) client.transmit(frameOf(pool, frameBytes(14 + ((i * 97) % 1501), i)));
    await rxS.count(start + 500);
    const got = rxS.frames.slice(start);
    for (let i = 0; i < 500; i++) expect(eq(got[i]!, frameBytes(14 + ((i * 97) % 1501), i))).toBe(true);
  });

  it('a raw peer writing frames split across writes is parsed', async () => {
    const frames = [frameBytes(60, 7), frameBytes(1000, 8), frameBytes(14, 9)];
    const bytes = encode(frames);
    const raw = createConnection(path);
    await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
    try {
      const start = rxS.frames.length;
      // Cut inside the first prefix, inside the second frame's body, and inside the third prefix.
      const cuts = [2, 4 + 60 + 4 + 500, 4 + 60 + 4 + 1000 + 3];
      for (const c of chunk(bytes, cuts)) raw.write(c);
      await rxS.count(start + 3);
      const got = rxS.frames.slice(start);
      for (let i = 0; i < 3; i++) expect(eq(got[i]!, frames[i]!)).toBe(true);
    } finally {
      raw.destroy();
    }
  });

  it('close is idempotent, transmit after close drops as down, and every buffer is returned', () => {
    client.close();
    client.close();
    expect(client.transmit(frameOf(pool, frameBytes(60, 0)))).toBe(false);
    expect(client.stats.drops.down).toBe(1);
    server.close();
    expect(pool.stats.handlesInUse).toBe(0);
  });
});

describe('QemuStreamNic over TCP loopback', () => {
  it('client and server on port 0 exchange a frame each way', async () => {
    const pool = realPool();
    const clock = new RealClock();
    const server = await QemuStreamNic.listen({ port: 0 }, { pool, clock });
    const addr = server.address;
    if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
    const client = await QemuStreamNic.connect({ port: addr.port }, { pool, clock });
    try {
      await server.whenConnected();
      const rxS = new FrameCollector(server);
      const rxC = new FrameCollector(client);
      client.transmit(frameOf(pool, frameBytes(64, 1)));
      server.transmit(frameOf(pool, frameBytes(65, 2)));
      await Promise.all([rxS.count(1), rxC.count(1)]);
      expect(eq(rxS.frames[0]!, frameBytes(64, 1))).toBe(true);
      expect(eq(rxC.frames[0]!, frameBytes(65, 2))).toBe(true);
      expect(server.name).toMatch(/^qemu-stream:tcp:127\.0\.0\.1:0$/);
    } finally {
      client.close();
      server.close();
      clock.close();
    }
    expect(pool.stats.handlesInUse).toBe(0);
  });

  it('transmit with no peer connected drops as down', async () => {
    const pool = realPool();
    const clock = new RealClock();
    const server = await QemuStreamNic.listen({ port: 0 }, { pool, clock });
    try {
      expect(server.transmit(frameOf(pool, frameBytes(60, 0)))).toBe(false);
      expect(server.stats.drops.down).toBe(1);
    } finally {
      server.close();
      clock.close();
    }
  });
});
