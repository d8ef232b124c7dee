/**
 * UDP echo over zerostack with `stack.dgram` — the node:dgram API on a
 * TypeScript UDP/IP stack.
 *
 *   npx tsx examples/udp-echo.ts
 *
 * A server stack (10.0.0.2) runs an echo server on port 7; a client stack
 * (10.0.0.1) in the same process sends a few datagrams in Node's different
 * send() forms and prints what comes back, then the UDP counters of both stacks.
 * The code is the one you would write for node:dgram: only `dgram` differs.
 */
import { isMain, twoStacks } from './lib/two-stacks.js';

export interface UdpEchoResult {
  echoed: string[];
  serverCounters: { InDatagrams: number; OutDatagrams: number };
}

export async function main(log: (line: string) => void = console.log): Promise<UdpEchoResult> {
  const { client, server, close } = twoStacks();

  // --- server: exactly node:dgram code, with `server.dgram` for `dgram` ---
  const dgram = server.dgram;
  const echo = dgram.createSocket('udp4');
  echo.on('message', (msg, rinfo) => {
    log(`server: ${msg.length} bytes from ${rinfo.address}:${rinfo.port} → echo`);
    echo.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => echo.bind(7, '10.0.0.2', resolve));
  const a = echo.address();
  log(`server: listening on ${a.address}:${a.port} (zerostack UDP)`);

  // --- client: the other stack ---
  const sock = client.dgram.createSocket('udp4');
  const replies: string[] = [];
  const next = (): Promise<string> => new Promise((resolve) => sock.once('message', (m: Buffer) => resolve(m.toString())));

  sock.send('hello', 7, '10.0.0.2'); // (msg, port, address)
  replies.push(await next());
  sock.send(Buffer.from('[offset+length]'), 1, 13, 7, '10.0.0.2'); // (msg, offset, length, port, address)
  replies.push(await next());
  sock.send(['several ', Buffer.from('chunks, '), 'one datagram'], 7, '10.0.0.2'); // a list: one datagram
  replies.push(await next());
  await new Promise<void>((resolve) => sock.connect(7, '10.0.0.2', resolve)); // connected: no address needed
  sock.send('connected');
  replies.push(await next());
  for (const r of replies) log(`client: echoed "${r}"`);
  log(`client: bound to ${sock.address().address}:${sock.address().port}, peer ${sock.remoteAddress().address}:${sock.remoteAddress().port}`);

  const { InDatagrams, OutDatagrams } = server.counters.udp;
  log(`server stack: udp InDatagrams=${InDatagrams} OutDatagrams=${OutDatagrams}`);
  await new Promise<void>((resolve) => sock.close(resolve));
  await new Promise<void>((resolve) => echo.close(resolve));
  close();
  return { echoed: replies, serverCounters: { InDatagrams, OutDatagrams } };
}

if (isMain(import.meta.url)) await main();
