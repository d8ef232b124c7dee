/**
 * `zerostack ping ADDR --tap NAME --addr CIDR [-c N] [-s SIZE]`: ICMP echo
 * (RFC 792) from a zerostack host on a real link, printed like ping(8). Exit
 * status as ping(8): 0 when a reply came, 1 when none did.
 */
import type { Command } from 'commander';
import { isValidIpv4 } from '../../wire/address.js';
import { openHost } from '../net/host.js';
import { addLinkOptions, hostSpecFrom, UsageError, type LinkOptionValues } from '../net/link-args.js';
import { runReporting } from '../net/run.js';
import { intOption } from '../options.js';

interface PingCliOptions extends LinkOptionValues {
  count: number;
  size: number;
  interval: number;
  timeout: number;
}

export function register(program: Command): void {
  addLinkOptions(program.command('ping').description('send ICMP echo requests from zerostack over a real link').argument('<address>', 'IPv4 address to ping'))
    .option('-c, --count <n>', 'requests to send', intOption('--count'), 3)
    .option('-s, --size <bytes>', 'data bytes per request', intOption('--size'), 56)
    .option('-i, --interval <ms>', 'milliseconds between requests', intOption('--interval'), 1000)
    .option('-W, --timeout <ms>', 'milliseconds to wait for each reply', intOption('--timeout'), 2000)
    .action((address: string, o: PingCliOptions) => runReporting('ping', () => ping(address, o)));
}

async function ping(address: string, o: PingCliOptions): Promise<void> {
  if (!isValidIpv4(address)) throw new UsageError(`ping: expected an IPv4 address, got "${address}" (zerostack has no DNS resolver)`);
  if (o.count < 1) throw new UsageError('--count must be at least 1');
  const host = await openHost(hostSpecFrom(o));
  let received = 0;
  const rtts: number[] = [];
  try {
    console.log(`PING ${address} ${o.size} data bytes via ${host.describe()}`);
    for (let seq = 1; seq <= o.count; seq++) {
      try {
        const r = await host.stack.ping(address, { timeout: o.timeout * 1e6, size: o.size });
        received++;
        rtts.push(r.rttNs / 1e6);
        console.log(`${r.bytes + 8} bytes from ${r.from}: icmp_seq=${seq} ttl=${r.ttl} time=${(r.rttNs / 1e6).toFixed(3)} ms`);
      } catch (err) {
        const e = err as { code?: string; message?: string; from?: string };
        console.log(`from ${e.from || address}: icmp_seq=${seq} ${e.code ?? 'error'}: ${e.message ?? String(err)}`);
      }
      if (seq < o.count) await new Promise((r) => setTimeout(r, o.interval));
    }
  } finally {
    host.close();
  }
  const loss = (((o.count - received) / o.count) * 100).toFixed(0);
  console.log(`--- ${address} ping statistics ---`);
  console.log(`${o.count} packets transmitted, ${received} received, ${loss}% packet loss`);
  if (rtts.length > 0) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
    console.log(`rtt min/avg/max = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)} ms`);
  }
  process.exitCode = received > 0 ? 0 : 1;
}
