/**
 * `zerostack get URL --tap NAME --addr CIDR [-o FILE]`: an HTTP GET over
 * zerostack (node:http's client on a `stack.net` socket). The body goes to stdout or
 * FILE; the status line and a transfer summary go to stderr. Exit status 0 for
 * a 2xx answer, 1 otherwise (with the Node-style error, e.g. `connect
 * ECONNREFUSED 10.7.0.1:80`).
 */
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isValidIpv4 } from '../../wire/address.js';
import type { NetSocket } from '../../api/net/index.js';
import { openHost } from '../net/host.js';
import { addLinkOptions, hostSpecFrom, UsageError, type LinkOptionValues } from '../net/link-args.js';
import { runReporting } from '../net/run.js';

interface GetOptions extends LinkOptionValues {
  output?: string;
}

export function register(program: Command): void {
  addLinkOptions(program.command('get').description('HTTP GET a URL over zerostack on a real link').argument('<url>', 'http://IPv4[:port]/path'))
    .option('-o, --output <file>', 'write the body to <file> instead of stdout')
    .action((url: string, o: GetOptions) => runReporting('get', () => get(url, o)));
}

export function parseHttpUrl(text: string): { host: string; port: number; path: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`get: not a URL: "${text}"`);
  }
  if (u.protocol !== 'http:') throw new UsageError(`get: only http:// URLs are supported, got "${u.protocol}"`);
  if (!isValidIpv4(u.hostname)) throw new UsageError(`get: the host must be an IPv4 address (zerostack has no DNS resolver), got "${u.hostname}"`);
  return { host: u.hostname, port: u.port === '' ? 80 : Number(u.port), path: `${u.pathname}${u.search}` };
}

async function get(url: string, o: GetOptions): Promise<void> {
  const target = parseHttpUrl(url);
  const host = await openHost(hostSpecFrom(o), { tcp: { rcvbuf: 4 * 1024 * 1024 } });
  let stream: NetSocket | null = null;
  const t0 = performance.now();
  try {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request({
        host: target.host,
        port: target.port,
        path: target.path,
        method: 'GET',
        headers: { 'User-Agent': 'zerostack', Connection: 'close' },
        createConnection: () => (stream = host.stack.net.connect(target.port, target.host)),
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
    console.error(`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
    const out = o.output !== undefined ? createWriteStream(o.output) : process.stdout;
    let bytes = 0;
    res.on('data', (b: Buffer) => (bytes += b.length));
    if (o.output !== undefined) await pipeline(res, out);
    else {
      res.pipe(out, { end: false });
      await new Promise<void>((resolve, reject) => {
        res.once('end', resolve);
        res.once('error', reject);
      });
    }
    const s = (performance.now() - t0) / 1000;
    console.error(`${bytes} bytes in ${s.toFixed(3)} s (${((bytes * 8) / s / 1e6).toFixed(1)} Mbit/s)`);
    process.exitCode = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300 ? 0 : 1;
  } finally {
    (stream as NetSocket | null)?.destroy();
    host.close();
  }
}
