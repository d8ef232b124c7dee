// Node's own HTTP software over zerostack: http.createServer on one stack,
// http.request (through StackHttpAgent) on another, over the in-process pair in
// real time. Keep-alive reuse, chunked encoding both ways, a 50 MiB body with a
// sha256 check, and client aborts that must end cleanly on both sides.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { StackHttpAgent, serveHttp } from '../../src/api/http.js';
import type { NetSocket } from '../../src/api/net/index.js';
import { chunkOf, chunksDigest, collectBody, hashBody, httpPairPerTest, httpSim, leftovers, serve, SERVER, waitFor } from './http-harness.js';

const env = httpPairPerTest();

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  reused: boolean;
  localPort: number;
}

function get(agent: http.Agent, port: number, path: string, init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: (req: http.ClientRequest) => void } = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: SERVER, port, path, agent, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      // With keep-alive the socket goes back to the agent at 'end': note its port now.
      const localPort = (res.socket as unknown as NetSocket).localPort!;
      collectBody(res, (body) => resolve({ status: res.statusCode!, headers: res.headers, body, reused: req.reusedSocket, localPort }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body) init.body(req);
    else req.end();
  });
}

describe('Node http over zerostack (http.createServer + http.request, in-process pair, real time)', { timeout: 20_000 }, () => {
  it('http_request_reaches_node_http_server_and_gets_status_headers_and_body', async () => {
    const e = env();
    const s = await serve(e, (req, res) => {
      res.setHeader('x-peer', `${req.socket.remoteAddress}`);
      res.end(`hello ${req.method} ${req.url}`);
    });
    const agent = new StackHttpAgent(e.client.net);
    const r = await get(agent, s.port, '/path?q=1');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('hello GET /path?q=1');
    expect(r.headers['x-peer']).toBe('10.0.0.1'); // the server saw the client stack's address
    expect(r.headers['content-length']).toBe('19');
    agent.destroy();
    await s.close();
  });

  it('http_request_createConnection_option_and_plain_emit_connection_work_without_the_helpers', async () => {
    const e = env();
    // Server: Node's documented way to feed an http.Server sockets from elsewhere.
    const app = http.createServer((req, res) => res.end(`plain ${req.method} ${req.url}`));
    const listener = e.server.net.createServer((socket) => app.emit('connection', socket));
    await new Promise<void>((resolve) => listener.listen(8081, SERVER, resolve));
    // Client: http.request's createConnection option (no Agent).
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: SERVER, port: 8081, path: '/cc', method: 'PUT', createConnection: () => e.client.net.connect(8081, SERVER) as never }, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (b += c));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end('x');
    });
    expect(body).toBe('plain PUT /cc');
    app.closeAllConnections();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  it('keep_alive_agent_reuses_one_tcp_connection_for_sequential_requests', async () => {
    const e = env();
    const serverSockets: unknown[] = [];
    const s = await serve(e, (req, res) => {
      serverSockets.push(req.socket);
      res.end(String(serverSockets.length));
    });
    const agent = new StackHttpAgent(e.client.net, { keepAlive: true, maxSockets: 1 });
    const results: Got[] = [];
    for (let i = 0; i < 4; i++) results.push(await get(agent, s.port, `/r${i}`));
    expect(results.map((r) => r.body.toString())).toEqual(['1', '2', '3', '4']);
    expect(results.map((r) => r.reused)).toEqual([false, true, true, true]);
    expect(new Set(results.map((r) => r.localPort)).size).toBe(1);
    expect(new Set(serverSockets).size).toBe(1); // the same server-side socket served all four
    expect(s.accepted).toHaveLength(1); // and the listener accepted one connection
    agent.destroy();
    await s.close();
  });

  it('chunked_transfer_encoding_request_and_response_bodies_arrive_whole', async () => {
    const e = env();
    const s = await serve(e, (req, res) => {
      collectBody(req, (body) => {
        res.setHeader('x-request-te', String(req.headers['transfer-encoding']));
        // No content-length: Node frames the response with chunked encoding.
        res.write('echo:');
        setImmediate(() => {
          res.write(body);
          setImmediate(() => res.end(':done'));
        });
      });
    });
    const agent = new StackHttpAgent(e.client.net);
    const r = await get(agent, s.port, '/chunked', {
      method: 'POST',
      body: (req) => {
        req.write('one,');
        setImmediate(() => {
          req.write('two,');
          setImmediate(() => req.end('three'));
        });
      },
    });
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.headers['x-request-te']).toBe('chunked');
    expect(r.body.toString()).toBe('echo:one,two,three:done');
    agent.destroy();
    await s.close();
  });

  it('fifty_mib_response_body_arrives_sha256_exact', { timeout: 60_000 }, async () => {
    const e = env({ mtu: 9000 });
    const CHUNK = 1 << 20;
    const N = 50;
    const expected = chunksDigest(N, CHUNK);
    const s = await serve(e, (_req, res) => {
      res.setHeader('content-length', N * CHUNK);
      let i = 0;
      const pump = (): void => {
        while (i < N) {
          if (!res.write(chunkOf(i++, CHUNK))) {
            res.once('drain', pump); // backpressure from the zerostack socket
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const agent = new StackHttpAgent(e.client.net);
    const got = await new Promise<{ n: number; digest: string }>((resolve, reject) => {
      http
        .get({ host: SERVER, port: s.port, path: '/big', agent }, (res) => {
          hashBody(res, resolve);
        })
        .on('error', reject);
    });
    expect(got.n).toBe(N * CHUNK);
    expect(got.digest).toBe(expected);
    agent.destroy();
    await s.close();
  });

  it('client_abort_mid_response_body_closes_the_server_response_and_leaks_nothing', async () => {
    const e = env();
    const serverSide: string[] = [];
    let written = 0;
    const s = await serve(e, (_req, res) => {
      // An endless body: written while the socket takes it, resumed on 'drain'.
      const pump = (): void => {
        while (!res.destroyed) {
          written++;
          if (!res.write(chunkOf(written, 64 * 1024))) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => serverSide.push(`res close finished=${res.writableFinished}`));
      pump();
    });
    const agent = new StackHttpAgent(e.client.net);
    const clientSide: string[] = [];
    await new Promise<void>((resolve) => {
      const req = http.get({ host: SERVER, port: s.port, path: '/endless', agent }, (res) => {
        res.once('data', () => {
          clientSide.push('first data');
          req.destroy();
        });
        res.on('error', (err: Error & { code?: string }) => clientSide.push(`res error ${err.code}`));
      });
      req.on('error', (err: Error & { code?: string }) => clientSide.push(`req error ${err.code}`));
      req.on('close', () => {
        clientSide.push('req close');
        resolve();
      });
    });
    await waitFor(() => serverSide.length > 0, "the server response's close");
    expect(clientSide[0]).toBe('first data');
    expect(clientSide).toContain('req close');
    expect(serverSide).toEqual(['res close finished=false']);
    expect(written).toBeGreaterThan(1);
    agent.destroy();
    await s.close();
    await waitFor(() => leftovers(e.client).length === 0 && leftovers(e.server).length === 0, 'both stacks to release every socket');
    expect([...leftovers(e.client), ...leftovers(e.server)]).toEqual([]);
  });

  it('client_abort_mid_request_body_is_aborted_on_the_server_and_leaks_nothing', async () => {
    const e = env();
    const serverSide: string[] = [];
    let received = 0;
    const s = await serve(e, (req) => {
      req.on('data', (c: Buffer) => {
        if (received === 0) serverSide.push('data');
        received += c.length;
      });
      req.on('aborted', () => serverSide.push('aborted'));
      req.on('error', (err: Error & { code?: string }) => serverSide.push(`error ${err.code} ${err.message}`));
      req.on('close', () => serverSide.push('close'));
    });
    const agent = new StackHttpAgent(e.client.net);
    const req = http.request({ host: SERVER, port: s.port, path: '/upload', method: 'POST', agent, headers: { 'content-length': 10 << 20 } });
    req.on('error', () => {});
    req.write(chunkOf(1, 64 * 1024));
    await waitFor(() => received > 0, 'the first body bytes at the server');
    req.destroy();
    await waitFor(() => serverSide.includes('close'), "the server request's close");
    expect(serverSide).toEqual(['data', 'aborted', 'error ECONNRESET aborted', 'close']);
    expect(received).toBeLessThan(10 << 20);
    agent.destroy();
    await s.close();
    await waitFor(() => leftovers(e.client).length === 0 && leftovers(e.server).length === 0, 'both stacks to release every socket');
  });

  it('serveHttp_reports_listen_errors_on_the_http_server_and_closes_with_it', async () => {
    const e = env();
    const s = await serve(e, (_req, res) => res.end());
    const second = http.createServer();
    const errors: string[] = [];
    second.on('error', (err: Error & { code?: string }) => errors.push(`${err.code}`));
    serveHttp(e.server.net, second).listen(s.port, SERVER);
    await waitFor(() => errors.length > 0, 'the EADDRINUSE error');
    expect(errors).toEqual(['EADDRINUSE']);
    expect(s.listener.listening).toBe(true);
    // close() on the http.Server closes the zerostack listener, and its callback sees no error.
    const closeErr = await new Promise<unknown>((resolve) => s.http.close((err) => resolve(err)));
    expect(closeErr).toBeUndefined();
    expect(s.listener.listening).toBe(false);
    // A second close() is Node's ERR_SERVER_NOT_RUNNING again.
    const again = await new Promise<unknown>((resolve) => s.http.close((err) => resolve(err)));
    expect((again as { code?: string }).code).toBe('ERR_SERVER_NOT_RUNNING');
    expect(() => serveHttp(e.server.net, null as never)).toThrow(/serveHttp: server must be an http.Server/);
  });
});

describe('Node http over zerostack in virtual time (simulated network, the test drives the clock)', { timeout: 30_000 }, () => {
  it('keep_alive_gets_over_a_lossy_link_arrive_sha256_exact_and_reproducibly_arrive_sha256_exact_and_reproducibly', async () => {
    // 10 ms one way, 2% loss each way: TCP retransmits; two runs with one seed take the same virtual time.
    const run = async (): Promise<{ digests: string[]; ms: number; reused: boolean[]; retrans: number }> => {
      const e = httpSim({ rate: '50Mbit', delay: '10ms', loss: '2%' }, 42);
      const app = http.createServer((req, res) => res.end(chunkOf(Number(req.url!.slice(1)), 256 * 1024)));
      serveHttp(e.server.net, app).listen(80, SERVER);
      const agent = new StackHttpAgent(e.client.net, { keepAlive: true, maxSockets: 1 });
      const start = e.net.clock.now();
      const digests: string[] = [];
      const reused: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const body = await e.drive(
          new Promise<Buffer>((resolve, reject) => {
            const req = http.get({ host: SERVER, port: 80, path: `/${i}`, agent }, (res) => {
              collectBody(res, resolve);
            });
            req.on('error', reject);
            req.on('socket', () => reused.push(req.reusedSocket));
          }),
        );
        expect(body.equals(chunkOf(i, 256 * 1024))).toBe(true);
        digests.push(createHash('sha256').update(body).digest('hex').slice(0, 16));
      }
      const ms = Math.round((e.net.clock.now() - start) / 1e6);
      agent.destroy();
      await e.drive(new Promise<void>((resolve) => app.close(() => resolve())));
      const retrans = e.server.tcp.mib.RetransSegs;
      e.close();
      return { digests, ms, reused, retrans };
    };
    const first = await run();
    expect(first.reused).toEqual([false, true, true]);
    expect(first.retrans).toBeGreaterThan(0); // the loss really hit the transfer
    // The virtual time is a property of the seed, not of the machine: a second run is identical.
    expect(await run()).toEqual(first);
  });
});
