/**
 * `zerostack send HOST:PORT --tap NAME --addr CIDR < file`: stream stdin to a
 * TCP server over zerostack, half-close (FIN) at the end of input, copy what
 * the server sends back to stdout until it closes (like `nc -N`). A summary
 * goes to stderr; errors are Node-style (`connect ECONNREFUSED a.b.c.d:p`).
 */
import type { Command } from 'commander';
import { openHost } from '../net/host.js';
import { addLinkOptions, hostPort, hostSpecFrom, type LinkOptionValues } from '../net/link-args.js';
import { runReporting } from '../net/run.js';

export function register(program: Command): void {
  addLinkOptions(
    program.command('send').description('send stdin to HOST:PORT over zerostack; print the reply').argument('<host:port>', 'IPv4 address and port'),
  ).action((target: string, o: LinkOptionValues) => runReporting('send', () => send(target, o)));
}

async function send(target: string, o: LinkOptionValues): Promise<void> {
  const { host: ip, port } = hostPort('send', target);
  const host = await openHost(hostSpecFrom(o), { tcp: { rcvbuf: 4 * 1024 * 1024, sndbuf: 4 * 1024 * 1024 } });
  const t0 = performance.now();
  const s = host.stack.net.connect({ port, host: ip, allowHalfOpen: true });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.once('connect', () => {
        process.stdin.pipe(s);
        s.pipe(process.stdout, { end: false });
      });
      s.once('end', () => {
        // The server closed: our side is done once our own FIN went out too.
        if (s.writableFinished) resolve();
        else s.once('finish', resolve);
      });
    });
    const secs = (performance.now() - t0) / 1000;
    console.error(`sent ${s.bytesWritten} bytes, received ${s.bytesRead} bytes in ${secs.toFixed(3)} s`);
  } finally {
    process.stdin.unpipe(s);
    process.stdin.destroy();
    s.destroy();
    host.close();
  }
}
