/**
 * TapNic against the real Linux kernel: a TAP device zs-t<pid> with the kernel
 * side at 10.213.N.1/24 and zerostack at 10.213.N.2 (N from the pid, so concurrent
 * runs on one machine do not share a subnet). Frames must flow both ways
 * (kernel ARP requests reach zerostack; zerostack's ARP and ICMP echo requests,
 * written as header+payload chains with writev, get the kernel's replies).
 * Skipped with a printed reason when /dev/net/tun, iproute2 or the addon
 * (built here if missing) is unavailable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSUM_PARTIAL } from '../../src/buf/packet-buffer.js';
import { addonPath, loadTapAddon, NATIVE_ADDON_MISSING, tapAddonAvailable } from '../../src/link/native-loader.js';
import { TapNic } from '../../src/link/tap.js';
import { RealClock } from '../../src/time/real-clock.js';
import {
  arpFrame,
  chainOf,
  eq,
  FrameCollector,
  frameOf,
  icmpEchoParts,
  inetChecksum,
  ip4,
  isArp,
  realPool,
} from './real-helpers.js';

const DEV = `zs-t${process.pid}`.slice(0, 15);
const NET = `10.213.${process.pid % 250}`;
const KERNEL_IP = ip4(`${NET}.1`);
const OUR_IP = ip4(`${NET}.2`);
const MTU = 1400;

function skipReason(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) is not installed';
  if (!tapAddonAvailable()) {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../native/build.js', import.meta.url)), '--quiet'], {
      encoding: 'utf8',
    });
    if (r.status !== 0 || !tapAddonAvailable()) return `the TAP addon could not be built: ${(r.stderr || r.stdout).trim()}`;
  }
  return null;
}

const reason = skipReason();
if (reason !== null) console.warn(`real-tap tests skipped: ${reason}`);

describe.skipIf(reason !== null)('TapNic on a kernel TAP device', () => {
  const pool = realPool();
  const clock = new RealClock();
  let nic: TapNic;
  let rx: FrameCollector;

  beforeAll(() => {
    nic = new TapNic({ name: DEV, pool, clock, mtu: MTU });
    execFileSync('ip', ['addr', 'add', `${NET}.1/24`, 'dev', DEV]);
    rx = new FrameCollector(nic);
    // Answer the kernel's ARP requests for our address, so it can send us IP.
    rx.onFrame = (f) => {
      if (isArp(f, 1, OUR_IP)) nic.transmit(frameOf(pool, arpFrame(2, nic.mac, OUR_IP, f.subarray(22, 28), f.subarray(28, 32))));
    };
  });

  afterAll(() => {
    nic?.close();
    clock.close();
    spawnSync('ip', ['link', 'del', DEV]); // normally gone already: a non-persistent TAP dies with its fd
  });

  it('opens the device up, with the configured MTU set on the kernel side', () => {
    expect(nic.name).toBe(DEV);
    expect(readFileSync(`/sys/class/net/${DEV}/mtu`, 'utf8').trim()).toBe(String(MTU));
    expect(Number.parseInt(readFileSync(`/sys/class/net/${DEV}/flags`, 'utf8'), 16) & 1).toBe(1); // IFF_UP
    expect(nic.deviceMac).toHaveLength(6);
    expect(eq(nic.deviceMac, nic.mac)).toBe(false);
    expect(nic.capabilities).toEqual({ rxChecksum: 'none', txChecksumOffload: false, maxFrameSize: MTU + 14 });
  });

  it('receives the ARP request the kernel sends (RFC 826) when it has IP to send to us', async () => {
    const s = createSocket('udp4');
    try {
      const want = rx.next((f) => isArp(f, 1, OUR_IP), `the kernel ARP request for ${NET}.2`);
      s.send(Uint8Array.of(1, 2, 3), 9, `${NET}.2`);
      const f = await want;
      expect(eq(f.subarray(22, 26 + 2), nic.deviceMac)).toBe(true); // sender hardware address
      expect(eq(f.subarray(28, 32), KERNEL_IP)).toBe(true);
      expect(nic.stats.rxFrames).toBeGreaterThan(0);
      expect(pool.stats.handlesInUse).toBeGreaterThan(0); // the ring is armed
    } finally {
      s.close();
    }
  });

  it('transmits an ARP request the kernel answers', async () => {
    const want = rx.next((f) => isArp(f, 2, OUR_IP) && eq(f.subarray(28, 32), KERNEL_IP), 'the kernel ARP reply');
    const tx0 = nic.stats.txFrames;
    expect(nic.transmit(frameOf(pool, arpFrame(1, nic.mac, OUR_IP, new Uint8Array(6), KERNEL_IP)))).toBe(true);
    const f = await want;
    expect(eq(f.subarray(0, 6), nic.mac)).toBe(true);
    expect(eq(f.subarray(22, 28), nic.deviceMac)).toBe(true);
    expect(nic.stats.txFrames).toBe(tx0 + 1);
  });

  it('writes a header+payload chain with writev; the kernel echoes the payload (RFC 792)', async () => {
    const payload = new Uint8Array(1000).map((_, i) => (i * 7) & 0xff);
    const [h, p] = icmpEchoParts(nic.mac, nic.deviceMac, OUR_IP, KERNEL_IP, 0x5a5a, payload);
    const want = rx.next(
      (f) => f.length >= 42 + 1000 && f[23] === 1 && f[34] === 0 && f[38] === 0x5a && f[39] === 0x5a,
      'the ICMP echo reply',
    );
    const frame = chainOf(pool, h, p);
    expect(frame.next).not.toBeNull();
    expect(nic.transmit(frame)).toBe(true);
    const f = await want;
    expect(eq(f.subarray(42, 1042), payload)).toBe(true);
    expect(inetChecksum(f, 34, 8 + 1000)).toBe(0);
  });

  it('writes chains longer than the iovec limit by linearizing them', async () => {
    const payload = new Uint8Array(600).map((_, i) => (i * 13) & 0xff);
    const [h, p] = icmpEchoParts(nic.mac, nic.deviceMac, OUR_IP, KERNEL_IP, 0x1234, payload);
    const frame = frameOf(pool, h);
    let last = frame;
    for (let k = 0; k < 6; k++) {
      const piece = frameOf(pool, p.subarray(k * 100, (k + 1) * 100));
      last.next = piece;
      last = piece;
    }
    const want = rx.next((f) => f[23] === 1 && f[34] === 0 && f[38] === 0x12 && f[39] === 0x34, 'the 7-piece echo reply');
    expect(nic.transmit(frame)).toBe(true);
    expect(eq((await want).subarray(42, 642), payload)).toBe(true);
  });

  it('counts and drops frames over the MTU, runts, and PARTIAL frames without offload', () => {
    const before = { ...nic.stats.drops };
    expect(nic.transmit(frameOf(pool, new Uint8Array(MTU + 15)))).toBe(false);
    expect(nic.transmit(frameOf(pool, new Uint8Array(10)))).toBe(false);
    const partial = frameOf(pool, new Uint8Array(60));
    partial.csumState = CSUM_PARTIAL;
    partial.csumStart = 34;
    partial.csumOffset = 6;
    expect(nic.transmit(partial)).toBe(false);
    expect(nic.stats.drops.tooBig).toBe(before.tooBig + 1);
    expect(nic.stats.drops.malformed).toBe(before.malformed + 2);
  });

  it('after close, transmit drops as down, the fd is closed and every pool buffer is returned', () => {
    const inUseBefore = pool.stats.handlesInUse;
    expect(inUseBefore).toBeGreaterThan(0);
    nic.close();
    nic.close(); // idempotent
    expect(nic.transmit(frameOf(pool, new Uint8Array(60)))).toBe(false);
    expect(nic.stats.drops.down).toBeGreaterThan(0);
    expect(pool.stats.handlesInUse).toBe(0);
    expect(existsSync(`/sys/class/net/${DEV}`)).toBe(false); // non-persistent TAP: gone with its fd
  });
});

describe.skipIf(reason !== null)('TAP addon errors', () => {
  it('opening without permission names /dev/net/tun and the errno', () => {
    // A child loads the addon, then drops to nobody before opening: /dev/net/tun is root-only (EACCES) or TUNSETIFF needs CAP_NET_ADMIN (EPERM).
    const script = `
      const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(addonPath())});
      process.setgid(65534); process.setuid(65534);
      try { m.exports.open('zs-perm-${process.pid}'.slice(0, 15)); console.log('{"opened":true}'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message })); }`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    const err = JSON.parse(out) as { code: string; errno: number; syscall: string; path: string; message: string };
    expect(['EACCES', 'EPERM']).toContain(err.code);
    expect(err.path).toBe('/dev/net/tun');
    expect(err.message).toContain('/dev/net/tun');
    expect(err.message).toContain(err.code);
    expect(err.errno).toBeLessThan(0);
  });

  it('rejects bad options with the option name and value', () => {
    const pool = realPool();
    const clock = new RealClock();
    expect(() => new TapNic({ name: 'x'.repeat(16), pool, clock })).toThrow(/"name"/);
    expect(() => new TapNic({ name: 'zs-x', pool, clock, mtu: 20 })).toThrow(/"mtu".*20/);
    expect(loadTapAddon()).toBe(loadTapAddon()); // loaded once
    expect(NATIVE_ADDON_MISSING).toContain('npm run build:native');
    clock.close();
  });
});
