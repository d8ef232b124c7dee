/**
 * UdpLinkNic over real loopback UDP sockets: one Ethernet frame per datagram,
 * both directions, peer learning, drops, software completion of PARTIAL
 * checksums; and (when socat is installed) a kernel TAP bridged by socat.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSUM_PARTIAL } from '../../src/buf/packet-buffer.js';
import { openQemuDgram } from '../../src/link/qemu.js';
import { UdpLinkNic } from '../../src/link/udp-link.js';
import { RealClock } from '../../src/time/real-clock.js';
import { arpFrame, chainOf, eq, FrameCollector, frameOf, inetChecksum, ip4, isArp, realPool } from './real-helpers.js';

function frameBytes(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len).map((_, i) => (i * 31 + seed) & 0xff);
  f[12] = 0x88; // an experimental EtherType (IEEE 802 local experimental 0x88B5)
  f[13] = 0xb5;
  return f;
}

describe('UdpLinkNic on loopback', () => {
  const pool = realPool();
  const clock = new RealClock();
  let a: UdpLinkNic;
  let b: UdpLinkNic;
  let rxA: FrameCollector;
  let rxB: FrameCollector;

  beforeAll(async () => {
    b = await UdpLinkNic.open({ pool, clock, name: 'b' });
    a = await UdpLinkNic.open({ pool, clock, name: 'a', remote: b.local, acceptOnlyRemote: true });
    rxA = new FrameCollector(a);
    rxB = new FrameCollector(b);
  });

  afterAll(() => {
    a?.close();
    b?.close();
    clock.close();
  });

  it('carries frames one per datagram, both ways; the unconfigured side learns its peer', async () => {
    expect(b.peer).toBeNull();
    const f1 = frameBytes(60, 1);
    const f2 = frameBytes(1514, 2);
    expect(a.transmit(frameOf(pool, f1))).toBe(true);
    expect(a.transmit(chainOf(pool, f2.subarray(0, 54), f2.subarray(54)))).toBe(true);
    await rxB.count(2);
    expect(rxB.frames.map((f) => f.length)).toEqual([60, 1514]);
    expect(eq(rxB.frames[0]!, f1)).toBe(true);
    expect(eq(rxB.frames[1]!, f2)).toBe(true);
    expect(b.peer).toEqual(a.local);

    const f3 = frameBytes(100, 3);
    expect(b.transmit(frameOf(pool, f3))).toBe(true);
    await rxA.count(1);
    expect(eq(rxA.frames[0]!, f3)).toBe(true);
    expect(a.stats.txFrames).toBe(2);
    expect(a.stats.txBytes).toBe(60 + 1514);
    expect(b.stats.rxFrames).toBe(2);
    expect(b.stats.rxBytes).toBe(60 + 1514);
    expect(a.stats.rxFrames).toBe(1);
  });

  it('delivers a burst in order, batched per event-loop turn', async () => {
    const n = 64; // well inside the default socket receive buffer: loopback then loses nothing
    const start = rxB.frames.length;
    for (let i = 0; i < n; i++) a.transmit(frameOf(pool, frameBytes(64 + i, i)));
    await rxB.count(start + n);
    const got = rxB.frames.slice(start);
    // Loopback UDP does not reorder; it may drop under pressure, which would fail this count.
    expect(got.map((f) => f.length)).toEqual(Array.from({ length: n }, (_, i) => 64 + i));
  });

  it('drops oversize, runt and PARTIAL-without-offload frames, counted', async () => {
    expect(a.transmit(frameOf(pool, new Uint8Array(1515)))).toBe(false);
    expect(a.transmit(frameOf(pool, new Uint8Array(13)))).toBe(false);
    const p = frameOf(pool, frameBytes(80, 0));
    p.csumState = CSUM_PARTIAL;
    p.csumStart = 34;
    p.csumOffset = 6;
    expect(a.transmit(p)).toBe(false);
    expect(a.stats.drops.tooBig).toBe(1);
    expect(a.stats.drops.malformed).toBe(2);
  });

  it('stranger datagrams are rejected when acceptOnlyRemote is set', async () => {
    const c = await UdpLinkNic.open({ pool, clock, remote: a.local });
    try {
      const before = rxA.frames.length;
      c.transmit(frameOf(pool, frameBytes(60, 9)));
      // Then wait for a frame sent afterwards by b (loopback keeps the order), so the stranger's had its chance.
      b.transmit(frameOf(pool, frameBytes(61, 9)));
      await rxA.count(before + 1);
      expect(rxA.frames.slice(before).map((f) => f.length)).toEqual([61]);
      expect(a.stats.drops.malformed).toBe(3);
    } finally {
      c.close();
    }
  });

  it('with txChecksumOffload, the driver completes a CSUM_PARTIAL UDP checksum before sending', async () => {
    const x = await UdpLinkNic.open({ pool, clock, txChecksumOffload: true, remote: b.local });
    try {
      expect(x.capabilities.txChecksumOffload).toBe(true);
      // Ethernet + IPv4 + UDP, checksum field preloaded with the pseudo-header sum (Linux CHECKSUM_PARTIAL).
      const f = new Uint8Array(14 + 20 + 8 + 10);
      f[12] = 0x08;
      f.set([0x45, 0, 0, 38, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
      f.set([0x30, 0x39, 0x00, 0x35, 0, 18, 0, 0], 34);
      f.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 42);
      const pseudo = (0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 18) & 0xffff;
      f[40] = pseudo >> 8;
      f[41] = pseudo & 0xff;
      const frame = frameOf(pool, f);
      frame.csumState = CSUM_PARTIAL;
      frame.csumStart = 34;
      frame.csumOffset = 6;
      const before = rxB.frames.length;
      expect(x.transmit(frame)).toBe(true);
      await rxB.count(before + 1);
      const got = rxB.frames[before]!;
      // RFC 768: the checksum covers the pseudo header and the UDP datagram; a correct one sums to 0.
      const pseudoHdr = Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 18);
      const all = new Uint8Array(12 + 18);
      all.set(pseudoHdr, 0);
      all.set(got.subarray(34, 52), 12);
      expect(inetChecksum(all, 0, all.length)).toBe(0);
    } finally {
      x.close();
    }
  });

  it('openQemuDgram gives the same link (QEMU -netdev dgram)', async () => {
    const q = await openQemuDgram({ pool, clock, remote: b.local });
    try {
      const before = rxB.frames.length;
      q.transmit(frameOf(pool, frameBytes(70, 4)));
      await rxB.count(before + 1);
      expect(rxB.frames[before]!.length).toBe(70);
    } finally {
      q.close();
    }
  });

  it('close is idempotent, later transmits drop as down, and every pool buffer is returned', () => {
    a.close();
    a.close();
    expect(a.transmit(frameOf(pool, frameBytes(60, 0)))).toBe(false);
    expect(a.stats.drops.down).toBe(1);
    b.close();
    expect(pool.stats.handlesInUse).toBe(0);
  });

  it('rejects bad options naming the option', async () => {
    await expect(UdpLinkNic.open({ pool, clock, mtu: 10 })).rejects.toThrow(/"mtu".*10/);
  });
});

const haveSocat = spawnSync('socat', ['-V']).status === 0;
const canTap = process.platform === 'linux' && spawnSync('ip', ['-V']).status === 0;
const socatSkip = !haveSocat ? 'socat is not installed' : !canTap ? 'needs Linux with iproute2' : null;
if (socatSkip !== null) console.warn(`real-udp socat test skipped: ${socatSkip}`);

describe.skipIf(socatSkip !== null)('UdpLinkNic bridged to a kernel TAP by socat', () => {
  const dev = `zs-s${process.pid}`.slice(0, 15);
  const pool = realPool();
  const clock = new RealClock();
  let nic: UdpLinkNic;
  let socat: ChildProcess | undefined;

  afterAll(() => {
    nic?.close();
    clock.close();
    socat?.kill('SIGTERM');
    spawnSync('ip', ['link', 'del', dev]);
  });

  it('a frame crosses in both directions: our ARP request gets the kernel ARP reply', async () => {
    // A free port for socat: bind port 0, note it, release it (socat binds it next).
    const probe = createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const socatPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(resolve));
    nic = await UdpLinkNic.open({ pool, clock, remote: { address: '127.0.0.1', port: socatPort } });
    const rx = new FrameCollector(nic);
    socat = spawn(
      'socat',
      [
        '-d',
        '-d',
        `TUN:10.214.${process.pid % 250}.1/24,tun-type=tap,iff-no-pi,iff-up,tun-name=${dev}`,
        `UDP-DATAGRAM:127.0.0.1:${nic.local.port},bind=127.0.0.1:${socatPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // socat -d -d logs "starting data transfer loop" once both ends are open: wait for that event.
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`socat did not start: ${log}`)), 5000);
      socat!.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('starting data transfer loop')) {
          clearTimeout(timer);
          resolve();
        }
      });
      socat!.once('exit', (code) => reject(new Error(`socat exited with ${code}: ${log}`)));
    });
    const ours = ip4(`10.214.${process.pid % 250}.2`);
    const kernel = ip4(`10.214.${process.pid % 250}.1`);
    const want = rx.next((f) => isArp(f, 2, ours) && eq(f.subarray(28, 32), kernel), 'the kernel ARP reply via socat');
    expect(nic.transmit(frameOf(pool, arpFrame(1, nic.mac, ours, new Uint8Array(6), kernel)))).toBe(true);
    const reply = await want;
    expect(eq(reply.subarray(0, 6), nic.mac)).toBe(true);
  });
});
