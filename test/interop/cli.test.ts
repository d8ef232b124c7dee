/**
 * The `zerostack` CLI end to end on a TAP device, with the Linux kernel as the
 * peer. The CLI runs as a child process inside a network namespace that holds
 * a persistent TAP device (kernel side 10.77.X.1/24); zerostack takes .2.
 *
 * Proves: `up` serves echo, discard and HTTP to kernel clients (nc, curl),
 * answers ping, shuts down cleanly on SIGINT (exit 0, summary printed) and
 * leaves a pcap that tcpdump reads; `ping`, `get` and `send` work against
 * kernel servers; a busy device and a connection refused are reported as clear
 * one-line errors with exit status 1; `up --udp` serves over socat's TAP↔UDP
 * bridge (the no-compiler link).
 *
 * Skipped with a printed reason without /dev/net/tun, netns, python3, curl, nc or the addon.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternBlock } from '../../src/cli/net/servers.js';
import { interopSkipReason, KernelPeer, type NsProcess } from './netns.js';

function why(): string | null {
  const r = interopSkipReason();
  if (r !== null) return r;
  for (const tool of ['curl', 'nc', 'tcpdump']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}
const reason = why();
if (reason !== null) console.warn(`interop (CLI) tests skipped: ${reason}`);

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const T = 20_000;

describe.skipIf(reason !== null)('the zerostack CLI on a TAP device in a namespace, the kernel as peer', () => {
  const peer = new KernelPeer({ index: 5 });
  const dir = reason === null ? mkdtempSync(join(tmpdir(), 'zs-cli-')) : '';

  /** `zerostack <args>` inside the namespace, attached to the test's TAP device. */
  function zerostack(...args: string[]): NsProcess {
    return peer.spawn([process.execPath, '--import', 'tsx', MAIN, ...args]);
  }
  const link = (): string[] => ['--tap', peer.dev, '--addr', `${peer.ourIp}/24`];

  beforeAll(() => peer.setupDevice());
  afterAll(() => {
    const problems = peer.cleanup();
    rmSync(dir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  });

  it('up serves echo, discard and HTTP to kernel clients, answers ping, exits 0 on SIGINT and leaves a pcap tcpdump reads', async () => {
    const pcap = join(dir, 'up.pcap');
    const up = zerostack('up', ...link(), '--echo', '7', '--discard', '9', '--http', '8080', '--pcap', pcap);
    try {
      await up.line(/^ready$/, T);
      expect(up.lines[0]).toMatch(new RegExp(`^zerostack up: tap ${peer.dev} .*address ${peer.ourIp}/24`));
      expect(up.lines).toContain(`http listening on ${peer.ourIp}:8080`);

      const ping = peer.spawn(['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', peer.ourIp]);
      expect(await ping.exit(T), ping.describe()).toBe(0);

      const echo = peer.spawn(['sh', '-c', `printf 'hello zerostack\\n' | nc -N -w 5 ${peer.ourIp} 7`]);
      expect(await echo.exit(T), echo.describe()).toBe(0);
      expect(echo.lines[0]).toBe('hello zerostack');

      const discard = peer.spawn(['sh', '-c', `head -c 1000000 /dev/zero | nc -N -w 5 ${peer.ourIp} 9 | wc -c`]);
      expect(await discard.exit(T), discard.describe()).toBe(0);
      expect(discard.lines[0]!.trim()).toBe('0'); // discard answers nothing, then closes

      const page = peer.spawn(['curl', '-sS', '--max-time', '5', '-i', `http://${peer.ourIp}:8080/`]);
      expect(await page.exit(T), page.describe()).toBe(0);
      expect(page.lines[0]).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(page.lines.at(-1)).toBe(`zerostack at ${peer.ourIp}`);

      // An idle keep-alive connection is open while we stop: shutdown must close it.
      const idle = peer.python(
        `import socket, sys
c = socket.create_connection((sys.argv[1], 7), timeout=15); print('connected')
while c.recv(4096): pass
print('eof')`,
        peer.ourIp,
      );
      await idle.line(/^connected$/, T);

      up.child.kill('SIGINT');
      expect(await up.exit(T), up.describe()).toBe(0);
      expect(up.lines.join('\n')).toMatch(/shutting down \(SIGINT\): 1 open connection/);
      expect(up.lines.at(-1)).toMatch(/^stopped: rx \d+ frames, tx \d+ frames, \d+ frames captured to .*, 1000000 bytes discarded$/);
      expect(up.stderr).toBe('');
      // The idle connection got our FIN: the kernel client read EOF.
      await idle.line(/^eof$/, T);
      expect(await idle.exit(T)).toBe(0);
    } finally {
      if (up.exitCode === null) up.child.kill('SIGKILL');
    }

    const r = spawnSync('tcpdump', ['-nn', '-r', pcap], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ICMP echo request/);
    expect(r.stdout).toMatch(new RegExp(`${peer.ourIp.replace(/\./g, '\\.')}\\.8080 > .*HTTP/1\\.1 200 OK`));
    expect(r.stdout).toMatch(new RegExp(`${peer.ourIp.replace(/\./g, '\\.')}\\.7 > .*Flags \\[F`)); // our FIN to the idle client
  }, 60_000);

  it('ping, get and send reach kernel servers (RFC 792 echo; HTTP GET; a TCP stream sha256-exact)', async () => {
    const ping = zerostack('ping', peer.kernelIp, ...link(), '-c', '2', '-i', '100');
    expect(await ping.exit(T), ping.describe()).toBe(0);
    expect(ping.lines.join('\n')).toMatch(/2 packets transmitted, 2 received, 0% packet loss/);

    // get: python's http.server in the namespace serves a 3 MiB file.
    const served = join(dir, 'www');
    spawnSync('mkdir', ['-p', served]);
    const block = patternBlock();
    const file = Buffer.concat([block, block, block].flatMap(() => Array(16).fill(block) as Buffer[]));
    writeFileSync(join(served, 'f.bin'), file);
    const web = peer.spawn(['python3', '-u', '-m', 'http.server', '--bind', peer.kernelIp, '--directory', served, '8000']);
    await web.line(/Serving HTTP/, T);
    const out = join(dir, 'got.bin');
    const get = zerostack('get', `http://${peer.kernelIp}:8000/f.bin`, ...link(), '-o', out);
    expect(await get.exit(T), get.describe()).toBe(0);
    expect(get.stderr).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(createHash('sha256').update(file).digest('hex'));
    web.child.kill('SIGTERM');

    // send: stdin to a kernel server that answers with the sha256 of what it read.
    const sink = peer.python(
      `import socket, sys, hashlib
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], 5300)); s.listen(1); print('ready')
c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b)
c.sendall(h.hexdigest().encode() + b'\\n'); c.close()`,
      peer.kernelIp,
    );
    await sink.line(/^ready$/, T);
    const send = zerostack('send', `${peer.kernelIp}:5300`, ...link());
    send.child.stdin!.end(file);
    expect(await send.exit(T), send.describe()).toBe(0);
    expect(send.lines[0]).toBe(createHash('sha256').update(file).digest('hex'));
    expect(send.stderr).toMatch(new RegExp(`sent ${file.length} bytes, received 65 bytes`));
  }, 60_000);

  it('a refused connection and a busy device are one-line errors with exit status 1', async () => {
    const refused = zerostack('send', `${peer.kernelIp}:9`, ...link());
    refused.child.stdin!.end('x');
    expect(await refused.exit(T)).toBe(1);
    expect(refused.stderr.trim()).toBe(`zerostack send: connect ECONNREFUSED ${peer.kernelIp}:9`);

    const holder = zerostack('up', ...link());
    try {
      await holder.line(/^ready$/, T);
      const busy = zerostack('ping', peer.kernelIp, ...link(), '-c', '1');
      expect(await busy.exit(T)).toBe(1);
      expect(busy.stderr.trim()).toMatch(new RegExp(`^zerostack ping: TAP device "${peer.dev}" is busy: another process has it open`));
    } finally {
      holder.child.kill('SIGTERM');
      expect(await holder.exit(T)).toBe(0);
    }
  }, 60_000);
});

const SOCAT = reason === null && spawnSync('socat', ['-V']).status === 0;
if (reason === null && !SOCAT) console.warn('interop (CLI over UDP) test skipped: socat is not installed');

describe.skipIf(reason !== null || !SOCAT)('the zerostack CLI on a UDP link bridged to a kernel TAP by socat', () => {
  const peer = new KernelPeer({ index: 6 });
  beforeAll(() => peer.setupNamespace());
  afterAll(() => expect(peer.cleanup()).toEqual([]));

  it('up --udp answers ping and serves 1 MiB over HTTP to curl, then exits 0 on SIGINT', async () => {
    const net = peer.net;
    // socat owns the kernel TAP (10.77.X.1) and forwards each frame as one datagram to zerostack's UDP port.
    const socat = peer.spawn(['socat', `TUN:${net}.1/24,tun-type=tap,iff-no-pi,iff-up`, 'UDP-DATAGRAM:127.0.0.1:4101,bind=127.0.0.1:4102']);
    const up = peer.spawn([process.execPath, '--import', 'tsx', MAIN, 'up', '--udp', '127.0.0.1:4101,127.0.0.1:4102', '--addr', `${net}.2/24`, '--http', '8080']);
    try {
      await up.line(/^ready$/, T);
      expect(up.lines[0]).toBe(`zerostack up: udp 127.0.0.1:4101 -> 127.0.0.1:4102, address ${net}.2/24, mac ${up.lines[0]!.match(/mac ([0-9a-f:]{17})/)![1]}, mtu 1500`);
      const ping = peer.spawn(['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', `${net}.2`]);
      expect(await ping.exit(T), ping.describe()).toBe(0);
      const get = peer.spawn(['sh', '-c', `curl -sS --max-time 15 http://${net}.2:8080/bytes/${1 << 20} | sha256sum`]);
      expect(await get.exit(T), get.describe()).toBe(0);
      const block = patternBlock();
      const want = createHash('sha256');
      for (let i = 0; i < 16; i++) want.update(block);
      expect(get.lines[0]!.split(/\s+/)[0]).toBe(want.digest('hex'));
      up.child.kill('SIGINT');
      expect(await up.exit(T), up.describe()).toBe(0);
    } finally {
      if (up.exitCode === null) up.child.kill('SIGKILL');
      socat.child.kill('SIGTERM');
    }
  }, 60_000);
});
