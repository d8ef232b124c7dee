/**
 * A TCP echo server on zerostack with `stack.net` — node:net's API on a
 * TypeScript TCP/IP stack.
 *
 *   npx tsx examples/echo-server.ts
 *
 * The server stack (10.0.0.2) runs `net.createServer((s) => s.pipe(s))` on port 7;
 * a client on another stack (10.0.0.1) in the same process sends a few lines,
 * then 4 MiB, and checks that every byte comes back (stream backpressure does
 * the flow control: pipe() pauses when the TCP send buffer is full).
 */
import { createHash } from 'node:crypto';
import { isMain, twoStacks } from './lib/two-stacks.js';

export interface EchoResult {
  lines: string[];
  bulkBytes: number;
  bulkIntact: boolean;
}

export async function main(log: (line: string) => void = console.log): Promise<EchoResult> {
  const { client, server, close } = twoStacks();

  // --- server: node:net code with `server.net` for `net` ---
  const srv = server.net.createServer((socket) => {
    log(`server: connection from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.pipe(socket); // echo everything, with backpressure
  });
  await new Promise<void>((resolve) => srv.listen(7, '10.0.0.2', resolve));
  log(`server: listening on 10.0.0.2:7 (zerostack TCP)`);

  // --- client: lines first ---
  const sock = client.net.connect(7, '10.0.0.2');
  await new Promise<void>((resolve) => sock.once('connect', resolve));
  log(`client: connected from ${sock.localAddress}:${sock.localPort}`);
  const lines: string[] = [];
  let pending = '';
  const lineWaiters: (() => void)[] = [];
  const onLines = (c: Buffer): void => {
    pending += c.toString();
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      lines.push(pending.slice(0, i));
      pending = pending.slice(i + 1);
      lineWaiters.shift()?.();
    }
  };
  sock.on('data', onLines);
  for (const text of ['hello, zerostack', 'a second line', 'bye']) {
    const echoed = new Promise<void>((resolve) => lineWaiters.push(resolve));
    sock.write(`${text}\n`);
    await echoed;
    log(`client: echoed "${lines[lines.length - 1]}"`);
  }
  sock.removeListener('data', onLines);

  // --- then bulk: 4 MiB out, 4 MiB back, compared by SHA-256 ---
  const BULK = 4 * 1024 * 1024;
  const data = Buffer.alloc(BULK);
  for (let i = 0; i < BULK; i++) data[i] = (i * 31 + (i >>> 11)) & 0xff;
  const back = createHash('sha256');
  let got = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (c: Buffer) => {
      back.update(c);
      got += c.length;
      if (got >= BULK) resolve();
    });
  });
  sock.write(data);
  await done;
  const intact = back.digest('hex') === createHash('sha256').update(data).digest('hex');
  log(`client: ${got} bytes echoed back, sha256 ${intact ? 'matches' : 'DIFFERS'}`);

  sock.end();
  await new Promise<void>((resolve) => sock.once('close', () => resolve()));
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  log(`done: server stack TCP segments in=${server.tcp.mib.InSegs} out=${server.tcp.mib.OutSegs}`);
  close();
  return { lines, bulkBytes: got, bulkIntact: intact };
}

if (isMain(import.meta.url)) await main();
