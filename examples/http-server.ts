/**
 * Node's own HTTP server running on zerostack: `http.createServer` unchanged,
 * its connections coming from `stack.net` (serveHttp), fetched by undici and
 * by Node's http.get from another zerostack stack in the same process.
 *
 *   npx tsx examples/http-server.ts          # in-process: serve, fetch twice, exit
 *   sudo npx tsx examples/http-server.ts --tap
 *       # also on a TAP device: zerostack at 10.99.0.2, the kernel at 10.99.0.1;
 *       # try `curl http://10.99.0.2:8080/` from the host; Ctrl-C stops it.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { Agent, fetch } from 'undici';
import { StackHttpAgent, serveHttp, undiciConnector } from '../src/index.js';
import { isMain, twoStacks } from './lib/two-stacks.js';

export interface HttpExampleResult {
  undici: { status: number; body: string };
  httpGet: { status: number; body: string };
  requestsServed: number;
}

const PORT = 8080;

export async function main(log: (line: string) => void = console.log, opts: { tap?: boolean } = {}): Promise<HttpExampleResult> {
  const { client, server, clock, close } = twoStacks();

  // --- server: plain node:http ---
  let served = 0;
  const app = http.createServer((req, res) => {
    served++;
    res.setHeader('content-type', 'text/plain');
    res.end(`Hello from Node's http.Server on zerostack! You are ${req.socket.remoteAddress}, asking for ${req.url}\n`);
  });
  const listener = serveHttp(server.net, app); // instead of app.listen(...)
  await new Promise<void>((resolve) => listener.listen(PORT, '0.0.0.0', resolve));
  log(`server: Node http.Server listening on zerostack port ${PORT} (10.0.0.2)`);

  // --- client 1: undici fetch over the client stack ---
  const dispatcher = new Agent({ connect: undiciConnector(client.net) });
  const r1 = await fetch(`http://10.0.0.2:${PORT}/from-undici`, { dispatcher });
  const undici = { status: r1.status, body: await r1.text() };
  log(`undici fetch: ${undici.status} ${undici.body.trim()}`);

  // --- client 2: Node's http.get with an Agent that dials through zerostack ---
  const agent = new StackHttpAgent(client.net);
  const httpGet = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ host: '10.0.0.2', port: PORT, path: '/from-http.get', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
      .on('error', reject);
  });
  log(`http.get:     ${httpGet.status} ${httpGet.body.trim()}`);
  await dispatcher.close();
  agent.destroy();

  if (opts.tap) await serveOnTap(server, clock, log);

  await new Promise<void>((resolve) => app.close(() => resolve()));
  close();
  log(`done: ${served} requests served`);
  return { undici, httpGet, requestsServed: served };
}

/** Attach a TAP device to the server stack and serve until SIGINT (needs root and the native addon: npm run build:native). */
async function serveOnTap(server: ReturnType<typeof twoStacks>['server'], clock: ReturnType<typeof twoStacks>['clock'], log: (line: string) => void): Promise<void> {
  const { TapNic } = await import('../src/link/tap.js');
  const name = 'zs-http0';
  const tap = new TapNic({ name, pool: server.pool, clock });
  server.addInterface(tap, { address: '10.99.0.2/24' });
  execFileSync('ip', ['addr', 'replace', '10.99.0.1/24', 'dev', name]);
  log(`tap: ${name} up — kernel 10.99.0.1, zerostack 10.99.0.2. Try: curl http://10.99.0.2:${PORT}/   (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  tap.close();
}

if (isMain(import.meta.url)) await main(console.log, { tap: process.argv.includes('--tap') });
