/**
 * `zerostack up --tap NAME --addr 10.7.0.2/24 [--echo P] [--discard P] [--http P]`:
 * bring a stack up on a real link and serve until SIGINT/SIGTERM, then shut
 * down gracefully (listeners closed, connections ended with FIN and given a
 * moment to finish, capture flushed, device closed) and exit 0.
 *
 * Prints one banner line, one `<service> listening on ADDR:PORT` line per
 * service and `ready`; on shutdown `shutting down (SIGINT)…` and a summary.
 */
import type { Command } from 'commander';
import type { Server } from 'node:http';
import { openHost } from '../net/host.js';
import { statSync } from 'node:fs';
import { addLinkOptions, hostSpecFrom, portOption, UsageError, type LinkOptionValues } from '../net/link-args.js';
import { onShutdownSignal, runReporting } from '../net/run.js';
import { intOption } from '../options.js';
import { discardService, echoService, httpService, type TcpService } from '../net/servers.js';

interface UpOptions extends LinkOptionValues {
  echo?: number;
  discard?: number;
  http?: number;
  httpRoot?: string;
  lingerMs: number;
}

/** How long shutdown waits for connections to finish their FIN exchange. */
const DEFAULT_LINGER_MS = 2000;

export function register(program: Command): void {
  addLinkOptions(program.command('up').description('bring a zerostack host up on a real link (TAP, UDP, QEMU) and serve'))
    .option('--echo <port>', 'serve TCP echo (RFC 862) on <port>', portOption('--echo'))
    .option('--discard <port>', 'serve TCP discard (RFC 863) on <port>', portOption('--discard'))
    .option('--http <port>', 'serve HTTP on <port>: GET /, GET /bytes/N, POST/PUT echo', portOption('--http'))
    .option('--http-root <dir>', 'also serve the files under <dir> (GET /PATH)')
    .option('--linger-ms <ms>', 'on shutdown, wait up to <ms> for connections to close', intOption('--linger-ms'), DEFAULT_LINGER_MS)
    .action((o: UpOptions) => runReporting('up', () => up(o)));
}

async function up(o: UpOptions): Promise<void> {
  const spec = hostSpecFrom(o);
  if (o.httpRoot !== undefined) {
    if (o.http === undefined) throw new UsageError('--http-root needs --http PORT');
    let dir = false;
    try {
      dir = statSync(o.httpRoot).isDirectory();
    } catch {
      dir = false;
    }
    if (!dir) throw new UsageError(`--http-root: not a directory: "${o.httpRoot}"`);
  }
  const host = await openHost(spec, { tcp: { rcvbuf: 4 * 1024 * 1024, sndbuf: 4 * 1024 * 1024 } });
  const services: TcpService[] = [];
  let http: Server | null = null;
  const ip = spec.addr.slice(0, spec.addr.indexOf('/'));
  const discarded = { bytes: 0 };
  try {
    const net = host.stack.net;
    if (o.echo !== undefined) services.push(echoService(net, o.echo));
    if (o.discard !== undefined) services.push(discardService(net, o.discard, discarded));
    if (o.http !== undefined) {
      const h = httpService(net, o.http, `zerostack at ${ip}`, o.httpRoot);
      services.push(h.service);
      http = h.server;
    }
    for (const s of services) await s.listen();
  } catch (err) {
    for (const s of services) s.close();
    host.close();
    throw err;
  }
  console.log(`zerostack up: ${host.describe()}`);
  for (const s of services) console.log(`${s.name} listening on ${ip}:${s.port}`);
  console.log('ready');

  await new Promise<void>((resolve) => {
    const off = onShutdownSignal((sig) => {
      off();
      const open = services.reduce((n, s) => n + s.connections.size, 0);
      console.log(`shutting down (${sig}): ${open} open connection${open === 1 ? '' : 's'}`);
      http?.closeIdleConnections();
      for (const s of services) s.close(true);
      const deadline = setTimeout(finish, Math.max(0, o.lingerMs));
      const check = (): void => {
        if (services.every((s) => s.connections.size === 0)) finish();
      };
      let done = false;
      function finish(): void {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        for (const s of services) for (const c of s.connections) c.destroy();
        const st = host.link.stats;
        const frames = host.pcap?.packets;
        host.close();
        console.log(
          `stopped: rx ${st.rxFrames} frames, tx ${st.txFrames} frames` +
            `${frames !== undefined ? `, ${frames} frames captured to ${spec.pcap}` : ''}` +
            `${o.discard !== undefined ? `, ${discarded.bytes} bytes discarded` : ''}`,
        );
        resolve();
      }
      for (const s of services) for (const c of s.connections) c.once('close', check);
      check();
    });
  });
}
