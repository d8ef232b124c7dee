// Captures of the ping and UDP scenarios: deterministic per seed, and decoded by
// tcpdump without complaints (no "truncated", "bad" checksums or "[|" markers).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RemoteInfo } from '../../src/ip/udp-socket.js';
import { PcapWriter, readPcap, isPcapError } from '../../src/link/pcap-file.js';
import { pattern, routed, runUntilSettled, S } from './harness.js';

const TCPDUMP = ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'].find((p) => existsSync(p));
if (TCPDUMP === undefined) {
  console.warn('test/ip/pcap.test.ts: tcpdump not found at /usr/bin/tcpdump or /usr/sbin/tcpdump; skipping the tcpdump decode check');
}

/** h1 — router — h2 with loss and reordering on the second hop; pings and a fragmented UDP echo. Returns the pcap bytes of both links. */
async function scenario(seed: number): Promise<{ link1: Uint8Array; link2: Uint8Array; echoed: number }> {
  const { net, a, b } = routed({ seed, link2: { loss: '5%', reorder: { p: '5%', delay: '500us' } } });
  const w1 = PcapWriter.toMemory();
  const w2 = PcapWriter.toMemory();
  net.capture(net.links[0]!, w1);
  net.capture(net.links[1]!, w2);

  await runUntilSettled(net, a.ping('10.0.2.2', { timeout: '200ms' }));
  await runUntilSettled(net, a.ping('10.0.2.2', { size: 3000, timeout: '200ms' }));
  await runUntilSettled(net, a.ping('10.0.2.2', { ttl: 1, timeout: '200ms' })); // time exceeded from the router

  const server = b.createUdpSocket();
  server.bind(7);
  server.on('message', (m: Buffer, r: RemoteInfo) => server.send(m, r.port, r.address));
  const client = a.createUdpSocket();
  let echoed = 0;
  client.on('message', () => echoed++);
  for (let i = 0; i < 10; i++) client.send(pattern(8000, i + 1), 7, '10.0.2.2');
  client.send('to a closed port', 9999, '10.0.2.2'); // port unreachable
  net.runFor(2 * S);
  return { link1: w1.bytes(), link2: w2.bytes(), echoed };
}

describe('pcap of the ping and UDP scenarios', () => {
  it('same_seed_gives_an_identical_capture_and_a_different_seed_does_not', async () => {
    const x = await scenario(11);
    const y = await scenario(11);
    const z = await scenario(12);
    expect(Buffer.compare(Buffer.from(x.link1), Buffer.from(y.link1))).toBe(0);
    expect(Buffer.compare(Buffer.from(x.link2), Buffer.from(y.link2))).toBe(0);
    expect(x.echoed).toBe(y.echoed);
    expect(Buffer.compare(Buffer.from(x.link2), Buffer.from(z.link2))).not.toBe(0);
    const f = readPcap(x.link2);
    if (isPcapError(f)) throw new Error(f.toString());
    expect(f.records.length).toBeGreaterThan(60);
    expect(x.echoed).toBeGreaterThan(0);
  });

  it.skipIf(TCPDUMP === undefined)('tcpdump_decodes_the_capture_without_warnings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zerostack-ip-'));
    try {
      const { link1, link2 } = await scenario(11);
      for (const [name, bytes] of [
        ['link1.pcap', link1],
        ['link2.pcap', link2],
      ] as const) {
        const file = join(dir, name);
        writeFileSync(file, bytes);
        // -vv makes tcpdump verify the IPv4, ICMP and UDP checksums it can.
        const res = spawnSync(TCPDUMP!, ['-nn', '-vv', '-r', file], { encoding: 'utf8' });
        expect(res.status).toBe(0);
        const out = res.stdout;
        expect(res.stderr).toMatch(/reading from file/);
        expect(res.stderr + out).not.toMatch(/truncated|bad|\[\|/i);
        expect(out).toMatch(/ICMP echo request/);
        expect(out).toMatch(/ICMP echo reply/);
        expect(out).toMatch(/UDP, length 8000/);
        expect(out).toMatch(/Request who-has/);
        if (name === 'link1.pcap') {
          expect(out).toMatch(/time exceeded in-transit/);
          expect(out).toMatch(/udp port 9999 unreachable/);
        }
        expect(out.split('\n').length).toBeGreaterThan(50);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

