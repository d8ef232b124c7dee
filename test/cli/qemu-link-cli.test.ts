/**
 * `zerostack up --qemu-stream listen:…` and `--qemu-dgram` end to end without
 * root or a compiler: the test plays QEMU's side with a second zerostack Stack
 * on a QemuStreamNic (connecting to the CLI's listening socket) or a UdpLinkNic,
 * pings the CLI's host and fetches a page from its HTTP server through
 * node:http on `stack.net`; then SIGINT ends the CLI with status 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PacketPool } from '../../src/buf/pool.js';
import type { Nic } from '../../src/link/nic.js';
import { QemuStreamNic, openQemuDgram } from '../../src/link/qemu.js';
import { Stack } from '../../src/stack.js';
import { RealClock } from '../../src/time/real-clock.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

function startCli(args: string[]): { lines: string[]; ready: Promise<void>; exit: Promise<number>; kill: (sig: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let buf = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      const parts = (buf + s).split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
      if (parts.includes('ready')) resolve();
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('close', (code) => reject(new Error(`zerostack up exited (${code}) before ready: ${err}`)));
  });
  const exit = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  return { lines, ready, exit, kill: (sig) => child.kill(sig) };
}

/** GET http://ip:port/path through `stack.net`; the body. */
function get(stack: Stack, ip: string, port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path, createConnection: () => stack.net.connect(port, ip) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function peerStack(nic: Nic, clock: RealClock, pool: PacketPool): Promise<Stack> {
  return new Stack({ clock, pool, nics: [nic], config: { interfaces: [{ address: '10.66.0.1/24' }] } });
}

describe('zerostack up on QEMU links (the test plays QEMU with a second zerostack)', () => {
  const port = 20000 + (process.pid % 20000);

  it('--qemu-stream listen: the peer connects, pings and GETs /, SIGINT exits 0', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zs-root-'));
    writeFileSync(join(root, 'hello.txt'), 'hello from a file\n');
    const cli = startCli(['--qemu-stream', `listen:127.0.0.1:${port}`, '--addr', '10.66.0.2/24', '--gw', '10.66.0.1', '--http', '80', '--http-root', root]);
    await cli.ready;
    expect(cli.lines[0]).toMatch(new RegExp(`^zerostack up: qemu-stream listen 127\\.0\\.0\\.1:${port}, address 10\\.66\\.0\\.2/24, .*, gateway 10\\.66\\.0\\.1$`));
    const clock = new RealClock();
    const pool = new PacketPool({ memoryBytes: 8 << 20 });
    const nic = await QemuStreamNic.connect({ host: '127.0.0.1', port }, { pool, clock });
    const stack = await peerStack(nic, clock, pool);
    try {
      const r = await stack.ping('10.66.0.2', { timeout: '3s' });
      expect(r.from).toBe('10.66.0.2');
      expect(await get(stack, '10.66.0.2', 80)).toEqual({ status: 200, body: 'zerostack at 10.66.0.2\n' });
      expect(await get(stack, '10.66.0.2', 80, '/hello.txt')).toEqual({ status: 200, body: 'hello from a file\n' });
      expect((await get(stack, '10.66.0.2', 80, '/../../etc/passwd')).status).toBe(404); // never outside the root
      expect((await get(stack, '10.66.0.2', 80, '/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
    } finally {
      rmSync(root, { recursive: true, force: true });
      stack.close();
      nic.close();
      clock.close();
    }
    cli.kill('SIGINT');
    expect(await cli.exit).toBe(0);
    expect(cli.lines.at(-1)).toMatch(/^stopped: rx \d+ frames, tx \d+ frames$/);
  }, 30_000);

  it('--qemu-dgram: frames as UDP datagrams both ways; ping and GET /', async () => {
    const cli = startCli(['--qemu-dgram', `127.0.0.1:${port + 1},127.0.0.1:${port + 2}`, '--addr', '10.66.0.2/24', '--http', '80']);
    await cli.ready;
    const clock = new RealClock();
    const pool = new PacketPool({ memoryBytes: 8 << 20 });
    const nic = await openQemuDgram({ pool, clock, local: { address: '127.0.0.1', port: port + 2 }, remote: { address: '127.0.0.1', port: port + 1 } });
    const stack = await peerStack(nic, clock, pool);
    try {
      expect((await stack.ping('10.66.0.2', { timeout: '3s' })).from).toBe('10.66.0.2');
      expect((await get(stack, '10.66.0.2', 80)).body).toBe('zerostack at 10.66.0.2\n');
    } finally {
      stack.close();
      nic.close();
      clock.close();
    }
    cli.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
  }, 30_000);

  it('a port already in use is a one-line error with exit status 1', async () => {
    const first = startCli(['--qemu-stream', `listen:127.0.0.1:${port + 3}`, '--addr', '10.66.0.2/24']);
    await first.ready;
    const second = startCli(['--qemu-stream', `listen:127.0.0.1:${port + 3}`, '--addr', '10.66.0.2/24']);
    await expect(second.ready).rejects.toThrow(/zerostack up: --qemu-stream: cannot listen 127\.0\.0\.1:\d+: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+/);
    expect(await second.exit).toBe(1);
    first.kill('SIGINT');
    expect(await first.exit).toBe(0);
  }, 30_000);
});
