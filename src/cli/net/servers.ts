/**
 * The services `zerostack up` can run on its stack: echo (RFC 862), discard
 * (RFC 863) and a small HTTP/1.1 server (node:http on `stack.net` sockets,
 * handed over with `server.emit('connection', socket)`).
 *
 * HTTP routes:
 *   GET  /               a one-line text page naming the host
 *   GET  /bytes/N        N bytes (0..2^40) of a fixed pattern (patternByte), streamed
 *   POST|PUT  any path   the request body echoed back (Content-Type kept)
 *   GET  /PATH           with a root directory: the file root/PATH (never outside root)
 *   anything else        404 / 405
 *
 * Owns: listening on the stack's node:net module, handing each connection to
 * its service, and tracking live connections so shutdown can end them.
 * Must not: open links (host.ts) or know about the command line.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import type { NetModule, NetServer, NetSocket } from '../../api/net/index.js';

/** Byte i of the /bytes/N body: a 64 KiB period the tests regenerate. */
export function patternByte(i: number): number {
  const k = i & 0xffff;
  return (k * 131 + (k >>> 8) * 7 + 13) & 0xff;
}

/** One 64 KiB period of the pattern (the body is this block repeated, cut at N). */
export function patternBlock(): Buffer {
  const b = Buffer.allocUnsafe(65536);
  for (let i = 0; i < b.length; i++) b[i] = patternByte(i);
  return b;
}

/** A listening TCP service on the stack's node:net module. */
export class TcpService {
  readonly connections = new Set<NetSocket>();
  accepted = 0;
  readonly server: NetServer;

  constructor(
    net: NetModule,
    readonly name: string,
    readonly port: number,
    onConnection: (s: NetSocket) => void,
  ) {
    this.server = net.createServer({ allowHalfOpen: true }, (s) => {
      this.accepted++;
      this.connections.add(s);
      s.once('close', () => this.connections.delete(s));
      s.on('error', () => undefined); // a reset peer is the peer's business; the socket is destroyed
      onConnection(s);
    });
  }

  /** Listen on 0.0.0.0:port; rejects with Node's error (`listen EADDRINUSE: address already in use 0.0.0.0:7`). */
  listen(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '0.0.0.0', () => {
        this.server.off('error', reject);
        resolve(this);
      });
    });
  }

  /** Stop listening; with `connections`, also end (FIN) every live connection. */
  close(connections = true): void {
    if (this.server.listening) this.server.close();
    if (connections) for (const s of this.connections) s.end();
  }
}

/** RFC 862: everything received is sent back; the peer's FIN is answered with ours. */
export function echoService(net: NetModule, port: number): TcpService {
  return new TcpService(net, 'echo', port, (s) => s.pipe(s));
}

/** RFC 863: everything received is thrown away; the peer's FIN is answered with ours. Counts bytes. */
export function discardService(net: NetModule, port: number, counter: { bytes: number }): TcpService {
  return new TcpService(net, 'discard', port, (s) => {
    s.on('data', (b: Buffer) => (counter.bytes += b.length));
    s.on('end', () => s.end());
  });
}

const MAX_BYTES = 2 ** 40;

function sendPattern(res: ServerResponse, n: number): void {
  const block = patternBlock();
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(n) });
  let sent = 0;
  const more = (): void => {
    while (sent < n) {
      const len = Math.min(block.length, n - sent);
      sent += len;
      if (!res.write(len === block.length ? block : block.subarray(0, len))) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
}

/** Serve root/PATH if it is a regular file inside root; false when there is none. */
function sendFile(res: ServerResponse, root: string, url: string, head: boolean): boolean {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return false;
  }
  const file = resolve(root, `.${path}`);
  if (file !== root && !file.startsWith(root + sep)) return false; // ../ escapes are not files of root
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return false;
    size = st.size;
  } catch {
    return false;
  }
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) });
  if (head) res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}

function handle(req: IncomingMessage, res: ServerResponse, hostLine: string, root: string | undefined): void {
  res.setHeader('Server', 'zerostack');
  const url = req.url ?? '/';
  if (req.method === 'POST' || req.method === 'PUT') {
    res.writeHead(200, {
      'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
      ...(req.headers['content-length'] !== undefined ? { 'Content-Length': req.headers['content-length'] } : {}),
    });
    req.pipe(res);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD, POST, PUT', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  req.resume();
  const m = /^\/bytes\/(\d+)$/.exec(url);
  if (m !== null) {
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n) || n > MAX_BYTES) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`/bytes/N: N must be at most ${MAX_BYTES}\n`);
      return;
    }
    sendPattern(res, n);
    return;
  }
  if (url === '/') {
    const body = `${hostLine}\n`;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
    return;
  }
  if (root !== undefined && sendFile(res, root, url, req.method === 'HEAD')) return;
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
}

/** HTTP/1.1 on `port`: node:http's parser and keep-alive over zerostack connections; files from `root` if given. */
export function httpService(net: NetModule, port: number, hostLine: string, root?: string): { service: TcpService; server: Server } {
  const dir = root === undefined ? undefined : resolve(root);
  const server = createServer((req, res) => handle(req, res, hostLine, dir));
  server.on('clientError', (_err, socket) => socket.destroy());
  const service = new TcpService(net, 'http', port, (s) => server.emit('connection', s));
  return { service, server };
}
