// undici (request and fetch) as the HTTP client over zerostack: an Agent whose
// connector opens stack.net connections (undiciConnector), talking to Node's
// http.Server on another stack. In real time over the in-process pair, and once
// in virtual time on the simulated network (the test drives the clock).
import http from 'node:http';
import { Readable } from 'node:stream';
import { Agent, fetch, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { serveHttp, undiciConnector } from '../../src/api/http.js';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { chunkOf, chunksDigest, collectBody, hashBody, httpPairPerTest, leftovers, serve, SERVER, waitFor } from './http-harness.js';

const env = httpPairPerTest();

describe('undici over zerostack (Agent({ connect: undiciConnector(stack.net) }))', { timeout: 20_000 }, () => {
  it('request_keep_alive_sends_every_request_over_one_connection', async () => {
    const e = env();
    const sockets = new Set<unknown>();
    const s = await serve(e, (req, res) => {
      sockets.add(req.socket);
      res.setHeader('content-type', 'text/plain');
      res.end(`n=${sockets.size} ${req.url}`);
    });
    const agent = new Agent({ connect: undiciConnector(e.client.net), connections: 1 });
    const bodies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await request(`http://${SERVER}:${s.port}/k${i}`, { dispatcher: agent });
      expect(r.statusCode).toBe(200);
      bodies.push(await r.body.text());
    }
    expect(bodies).toEqual(['n=1 /k0', 'n=1 /k1', 'n=1 /k2', 'n=1 /k3', 'n=1 /k4']);
    expect(s.accepted).toHaveLength(1); // one TCP connection for all five
    await agent.close();
    await s.close();
  });

  it('fetch_with_dispatcher_posts_json_and_reads_the_echo', async () => {
    const e = env();
    const s = await serve(e, (req, res) => {
      collectBody(req, (whole) => {
        const body = JSON.parse(whole.toString()) as { x: number };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ doubled: body.x * 2, method: req.method, ct: req.headers['content-type'] }));
      });
    });
    const agent = new Agent({ connect: undiciConnector(e.client.net) });
    const res = await fetch(`http://${SERVER}:${s.port}/json`, { method: 'POST', body: JSON.stringify({ x: 21 }), headers: { 'content-type': 'application/json' }, dispatcher: agent });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ doubled: 42, method: 'POST', ct: 'application/json' });
    await agent.close();
    await s.close();
  });

  it('fifty_mib_streamed_upload_goes_chunked_and_arrives_sha256_exact', { timeout: 60_000 }, async () => {
    const e = env({ mtu: 9000 });
    const CHUNK = 1 << 20;
    const N = 50;
    const expected = chunksDigest(N, CHUNK);
    const s = await serve(e, (req, res) => {
      hashBody(req, ({ n, digest }) => res.end(JSON.stringify({ n, digest, te: req.headers['transfer-encoding'] })));
    });
    const agent = new Agent({ connect: undiciConnector(e.client.net) });
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < N; i++) yield chunkOf(i, CHUNK);
    }
    // A stream of unknown length: undici sends it with chunked transfer encoding.
    const r = await request(`http://${SERVER}:${s.port}/upload`, { method: 'PUT', body: Readable.from(body()), dispatcher: agent });
    expect(await r.body.json()).toEqual({ n: N * CHUNK, digest: expected, te: 'chunked' });
    await agent.close();
    await s.close();
  });

  it('abort_mid_response_body_ends_both_sides_and_leaks_nothing', async () => {
    const e = env();
    const serverSide: string[] = [];
    const s = await serve(e, (_req, res) => {
      let i = 0;
      const pump = (): void => {
        while (!res.destroyed) {
          if (!res.write(chunkOf(i++, 64 * 1024))) {
            res.once('drain', pump);
            return;
          }
        }
      };
      res.on('close', () => serverSide.push(`res close finished=${res.writableFinished}`));
      pump();
    });
    const agent = new Agent({ connect: undiciConnector(e.client.net) });
    const ac = new AbortController();
    const r = await request(`http://${SERVER}:${s.port}/endless`, { dispatcher: agent, signal: ac.signal });
    let got = 0;
    let error: (Error & { name: string }) | null = null;
    try {
      for await (const c of r.body) {
        got += (c as Buffer).length;
        if (got > 256 * 1024) ac.abort();
      }
    } catch (err) {
      error = err as Error & { name: string };
    }
    expect(error?.name).toBe('AbortError');
    await waitFor(() => serverSide.length > 0, "the server response's close");
    expect(serverSide).toEqual(['res close finished=false']);
    await agent.close();
    await s.close();
    await waitFor(() => leftovers(e.client).length === 0 && leftovers(e.server).length === 0, 'both stacks to release every socket');
  });

  it('connection_refused_reaches_undici_as_the_stack_net_error', async () => {
    const e = env();
    const agent = new Agent({ connect: undiciConnector(e.client.net) });
    const err = await request(`http://${SERVER}:81/`, { dispatcher: agent }).then(
      () => null,
      (x: Error & { code?: string }) => x,
    );
    expect(err?.code).toBe('ECONNREFUSED');
    expect(err?.message).toBe(`connect ECONNREFUSED ${SERVER}:81`);
    const https = await request(`https://${SERVER}/`, { dispatcher: agent }).then(
      () => null,
      (x: Error) => x,
    );
    expect(https?.message).toMatch(/no TLS/);
    await agent.close();
  });

  it('virtual_time_fetch_over_a_simulated_10ms_link_takes_one_handshake_plus_one_exchange', async () => {
    // Both stacks on a simulated network (VirtualClock): the test drives virtual time while awaiting.
    const net = new Network({ seed: 7, pool: { memoryBytes: 16 * 1024 * 1024 } });
    const h1 = net.addHost('client');
    const h2 = net.addHost('server');
    net.link(h1, h2, { rate: '100Mbit', delay: '10ms' });
    const client = new Stack({ clock: net.clock, pool: h1.pool, nics: h1.ports, secret: h1.secret, config: { interfaces: [{ address: '10.0.0.1/24' }] } });
    const server = new Stack({ clock: net.clock, pool: h2.pool, nics: h2.ports, secret: h2.secret, config: { interfaces: [{ address: `${SERVER}/24` }] } });
    const hs = http.createServer((_req, res) => res.end('virtual'));
    serveHttp(server.net, hs).listen(80, SERVER);
    const agent = new Agent({ connect: undiciConnector(client.net) });
    // Advance virtual time in 1 ms steps until `p` settles, letting Node's I/O callbacks (undici, http) run between steps.
    const drive = async <T>(p: Promise<T>): Promise<T> => {
      let settled = false;
      const q = p.finally(() => (settled = true));
      for (let i = 0; i < 5000 && !settled; i++) {
        net.runFor('1ms');
        await new Promise((r) => setImmediate(r));
      }
      return q;
    };
    const start = net.clock.now();
    const text = await drive(fetch(`http://${SERVER}/`, { dispatcher: agent }).then((r) => r.text()));
    const ms = (net.clock.now() - start) / 1e6;
    expect(text).toBe('virtual');
    // Handshake (1 RTT) + request/response (1 RTT) at 20 ms RTT, plus ARP: at least 40 ms, well under 100 ms.
    expect(ms).toBeGreaterThanOrEqual(40);
    expect(ms).toBeLessThan(100);
    // Closing exchanges FINs: that needs virtual time too.
    await drive(agent.close());
    await drive(new Promise<void>((resolve) => hs.close(() => resolve())));
    net.runFor('1s');
    expect(leftovers(client)).toEqual([]);
    expect(leftovers(server)).toEqual([]);
    client.close();
    server.close();
  });
});
