// "No frame contents can make the stack throw or leak a buffer."
// Frames are random or mutated valid Ethernet/ARP/IPv4/ICMP/UDP (with the IPv4
// header checksum fixed up most of the time, so the upper layers get exercised),
// fed straight into Stack.input of a host and of a forwarding router. After
// virtual time has passed every timeout (reassembly, ARP), every pool is back to
// its baseline number of slots in use.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Stack } from '../../src/stack.js';
import type { SimHost } from '../../src/sim/network.js';
import { writeU16, writeU32 } from '../../src/wire/address.js';
import { finishChecksum, onesSum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { frameBuffer, routed, S } from './harness.js';

const ADDRS = [0x0a000102, 0x0a000101, 0x0a000202, 0x0a000201, 0x0a0001ff, 0xffffffff, 0x7f000001, 0xe0000001, 0, 0x0a000163];

interface FrameSpec {
  macKind: number;
  ethertype: number;
  kind: number;
  src: number;
  dst: number;
  protocol: number;
  flagsFrag: number;
  ttl: number;
  ihl: number;
  fixChecksum: boolean;
  fixL4Checksum: boolean;
  l4: Uint8Array;
  mutations: [number, number][];
  truncate: number;
}

const frameArb: fc.Arbitrary<FrameSpec> = fc.record({
  macKind: fc.constantFrom(0, 0, 0, 0, 1, 2),
  ethertype: fc.constantFrom(0x0800, 0x0800, 0x0800, 0x0800, 0x0800, 0x0806, 0x0806, 0x86dd),
  kind: fc.integer({ min: 0, max: 9 }),
  src: fc.oneof(fc.constantFrom(...ADDRS), fc.nat({ max: 0xffffffff })),
  dst: fc.oneof(fc.constantFrom(...ADDRS), fc.nat({ max: 0xffffffff })),
  protocol: fc.constantFrom(1, 1, 17, 17, 6, 99, 0),
  flagsFrag: fc.oneof(fc.constant(0), fc.constant(0x2000), fc.constant(0x4000), fc.integer({ min: 0, max: 0xffff })),
  ttl: fc.constantFrom(0, 1, 2, 64, 255),
  ihl: fc.constantFrom(5, 5, 5, 5, 5, 5, 6, 15, 4, 0),
  fixChecksum: fc.constantFrom(true, true, true, true, false),
  fixL4Checksum: fc.boolean(),
  l4: fc.uint8Array({ minLength: 0, maxLength: 1600 }),
  mutations: fc.array(fc.tuple(fc.nat({ max: 1700 }), fc.nat({ max: 255 })), { maxLength: 4 }),
  truncate: fc.nat({ max: 1700 }),
});

function build(spec: FrameSpec, ourMac: Uint8Array, ourIp: number): Uint8Array {
  const l4 = spec.l4.slice();
  // Most frames are addressed to the target from a plausible peer, so they get past the address checks.
  if (spec.kind < 6) {
    spec = { ...spec, dst: spec.kind === 5 ? 0x0a000263 : ourIp, src: spec.kind & 1 ? 0x0a000102 : 0x0a000263 };
  }
  // Kind 2 is a well-formed unfragmented datagram (valid checksums), so delivery paths run too.
  if (spec.kind === 2) spec = { ...spec, flagsFrag: 0, ihl: 5, fixChecksum: true, fixL4Checksum: true, ttl: 64 };
  // Shape the L4 bytes into something plausible half of the time.
  if (spec.kind < 5 && l4.length >= 8) {
    if (spec.protocol === 17) writeU16(l4, 4, spec.kind === 0 ? l4.length + 3 : l4.length);
    if (spec.protocol === 17 && spec.kind % 2 === 0) writeU16(l4, 2, 7);
    if (spec.protocol === 1) l4[0] = [0, 3, 8, 11, 12][spec.kind]!;
    if (spec.protocol === 1 && (l4[0] === 3 || l4[0] === 11) && l4.length >= 36) {
      l4[8] = 0x45; // a quoted IPv4 header
      l4[8 + 9] = spec.kind & 1 ? 17 : 1;
      writeU32(l4, 8 + 12, 0x0a000202);
    }
  }
  const hl = spec.ethertype === 0x0800 ? Math.max(20, spec.ihl * 4) : 0;
  const f = new Uint8Array(14 + (spec.ethertype === 0x0806 ? 28 : hl + l4.length));
  if (spec.macKind === 0) f.set(ourMac, 0);
  else if (spec.macKind === 1) f.fill(0xff, 0, 6);
  else f.set([2, 9, 9, 9, 9, spec.macKind], 0);
  f.set([2, 0, 0, 0, 1, 0], 6);
  writeU16(f, 12, spec.ethertype);
  if (spec.ethertype === 0x0806) {
    f.set([0, 1, 8, 0, 6, 4, 0, (spec.kind & 1) + 1], 14);
    f.set([2, 0, 0, 0, 1, spec.kind], 14 + 8);
    writeU32(f, 14 + 14, spec.src);
    writeU32(f, 14 + 24, spec.kind < 5 ? 0x0a000202 : spec.dst);
  } else if (spec.ethertype === 0x0800) {
    const o = 14;
    f[o] = 0x40 | (spec.ihl & 15);
    writeU16(f, o + 2, hl + l4.length);
    writeU16(f, o + 4, spec.kind);
    writeU16(f, o + 6, spec.flagsFrag);
    f[o + 8] = spec.ttl;
    f[o + 9] = spec.protocol;
    writeU32(f, o + 12, spec.src);
    writeU32(f, o + 16, spec.dst);
    f.set(l4, o + hl);
    if (spec.fixL4Checksum && spec.protocol === 17 && l4.length >= 8) {
      writeU16(f, o + hl + 6, 0);
      writeU16(f, o + hl + 6, finishChecksum(onesSum(f, o + hl, l4.length, pseudoHeaderSum(spec.src, spec.dst, 17, l4.length))));
    }
    if (spec.fixL4Checksum && spec.protocol === 1 && l4.length >= 4) {
      writeU16(f, o + hl + 2, 0);
      writeU16(f, o + hl + 2, finishChecksum(onesSum(f, o + hl, l4.length)));
    }
    if (spec.fixChecksum) writeU16(f, o + 10, finishChecksum(onesSum(f, o, hl)));
  }
  if (spec.kind >= 3) for (const [pos, v] of spec.mutations) if (pos < f.length && pos >= 14) f[pos] = v;
  return spec.truncate < f.length && spec.truncate % 3 === 0 ? f.subarray(0, spec.truncate) : f;
}

function inject(stack: Stack, host: SimHost, frames: Uint8Array[]): void {
  const bufs = frames.map((f) => frameBuffer(host.pool, f));
  stack.input(bufs, bufs.length, stack.interfaces[0]!);
}

describe('fuzz: random and mutated frames', () => {
  it('random_frames_never_throw_and_never_leak_buffers', () => {
    const { net, h1, r, h2, a, router, b } = routed({ seed: 9, router: { reassembly: { memoryLimit: 64 * 1024 } } });
    for (const s of [a, b, router]) {
      const u = s.createUdpSocket();
      u.bind(7);
      u.on('message', (m: Buffer, ri: { port: number; address: string }) => {
        if (m.length < 100) u.send(m, ri.port, ri.address);
      });
      u.on('error', () => {});
    }
    net.runFor(1 * S);
    const hosts = [h1, r, h2];
    const baseline = hosts.map((h) => h.pool.stats.inUse);

    let frames = 0;
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (specs, toRouter) => {
        const target = toRouter ? router : b;
        const host = toRouter ? r : h2;
        const bytes = specs.map((s) => build(s, host.ports[0]!.mac, toRouter ? 0x0a000101 : 0x0a000202));
        frames += bytes.length;
        expect(() => inject(target, host, bytes)).not.toThrow();
        expect(() => net.runFor(5_000_000)).not.toThrow();
      }),
      { seed: 20240601, numRuns: 1500 },
    );
    expect(frames).toBeGreaterThan(5000);
    // Everything the stacks hold expires: reassembly (30 s), ARP retries, socket queues.
    net.runFor(61 * S);
    expect(hosts.map((h) => h.pool.stats.inUse)).toEqual(baseline);
    expect(hosts.map((h) => h.pool.stats.doubleRelease)).toEqual([0, 0, 0]);
    // The fuzzing reached the deep layers, not just the header checks.
    const c = b.counters.snapshot();
    const rc = router.counters.snapshot();
    expect(c.ip.InDelivers + rc.ip.InDelivers).toBeGreaterThan(100);
    expect(c.ip.ReasmReqds + rc.ip.ReasmReqds).toBeGreaterThan(50);
    expect(c.udp.InDatagrams + rc.udp.InDatagrams).toBeGreaterThan(10);
    expect(c.udp.InErrors + rc.udp.InErrors).toBeGreaterThan(20);
    expect(c.icmp.InMsgs + rc.icmp.InMsgs).toBeGreaterThan(50);
    expect(rc.ip.ForwDatagrams + rc.drops.ttlExceeded).toBeGreaterThan(10);
    expect(c.arp.requestsReceived + c.arp.repliesReceived + c.arp.invalid).toBeGreaterThan(50);
    void a;
  });
});
