// Conformance of stack.net with node:net: every scenario runs against Node's
// kernel sockets on 127.0.0.1 and against zerostack (two stacks over the
// in-process pair in real time, and one stack over its own loopback), and the
// recorded per-socket event logs — event order, data, half-open handling,
// error fields, backpressure, destroy semantics, pause/resume — must be equal.
// Logs are per socket: the interleaving of two sockets' events is scheduling,
// not behaviour.
import { afterAll, describe, expect, it } from 'vitest';
import type { Server, Socket } from 'node:net';
import { loopbackEnv, nodeEnv, once, pairEnv, Recorder, sleep, thrown, type Env } from './net-harness.js';

type Scenario = (env: Env, rec: Recorder) => Promise<void>;

const envs: Env[] = [];
function run(make: () => Env, scenario: Scenario): Promise<Record<string, string[]>> {
  const env = make();
  envs.push(env);
  const rec = new Recorder(env.host);
  return scenario(env, rec).then(() => rec.logs);
}
afterAll(() => {
  for (const e of envs) e.close();
});

/** Run on node:net and both zerostack set-ups; the logs must equal Node's. */
async function conform(scenario: Scenario): Promise<Record<string, string[]>> {
  const expected = await run(nodeEnv, scenario);
  const pair = await run(pairEnv, scenario);
  expect(pair).toEqual(expected);
  const loop = await run(loopbackEnv, scenario);
  expect(loop).toEqual(expected);
  return expected;
}

/** A listening server on env.host (its port recorded as a placeholder). */
async function listen(env: Env, rec: Recorder, opts: Record<string, unknown>, onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = env.serverNet.createServer(opts, onConn) as Server;
  server.listen(0, env.host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  rec.port(port);
  return { server, port };
}

function closed(s: { once(ev: string, f: () => void): unknown }): Promise<void> {
  return new Promise((r) => s.once('close', () => r()));
}

async function stop(server: Server): Promise<void> {
  server.close();
  await once(server, 'close');
}

describe('stack.net conforms to node:net (event order and data)', () => {
  it('client_write_end_echo: connect, ready, finish, data, end, close(false) on the client; data, end, finish, close on the server', async () => {
    const logs = await conform(async (env, rec) => {
      let serverClosed!: Promise<void>;
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.watch('server', s);
        serverClosed = closed(s);
        s.on('end', () => s.end('bye'));
      });
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.write('hello ');
      c.end('world');
      await closed(c);
      await serverClosed;
      await stop(server);
    });
    expect(logs.client).toEqual(['connect', 'ready', 'finish', 'data(bye)', 'end', 'close(false)']);
    expect(logs.server).toEqual(['data(hello world)', 'end', 'finish', 'close(false)']);
  });

  it('server_ends_first: the client ends its side after end (allowHalfOpen false)', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.watch('server', s);
        s.end('greeting');
      });
      const c = env.clientNet.connect({ port, host: env.host }) as Socket;
      rec.watch('client', c);
      await closed(c);
      await stop(server);
    });
    expect(logs.client).toEqual(['connect', 'ready', 'data(greeting)', 'end', 'finish', 'close(false)']);
  });

  it('half_open_true: the server keeps writing after the client ended (allowHalfOpen true)', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, { allowHalfOpen: true }, (s) => {
        rec.watch('server', s);
        s.on('end', () => {
          rec.note('server', `writable=${s.writable} readyState=${s.readyState}`);
          s.write('late ');
          setTimeout(() => s.end('reply'), 10);
        });
      });
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.end('question');
      c.on('finish', () => rec.note('client', `readyState=${c.readyState}`));
      await closed(c);
      await stop(server);
    });
    expect(logs.server).toContain('writable=true readyState=writeOnly');
    expect(logs.client).toContain('data(late reply)');
  });

  it('half_open_false: a write after the peer FIN fails with EPIPE "ended by the other party"', async () => {
    const logs = await conform(async (env, rec) => {
      let done!: Promise<void>;
      const { server, port } = await listen(env, rec, { allowHalfOpen: false }, (s) => {
        rec.watch('server', s);
        done = closed(s);
        s.on('end', () => {
          setImmediate(() => {
            const ok = s.write('too late', (err) => rec.note('server', `write cb ${err ? (err as NodeJS.ErrnoException).code : 'ok'}`));
            rec.note('server', `write returned ${ok}`);
          });
        });
      });
      const c = env.clientNet.connect({ port, host: env.host, allowHalfOpen: true }) as Socket;
      rec.watch('client', c);
      c.end('x');
      await done;
      await closed(c);
      await stop(server);
    });
    // Node 20: writeAfterFIN hands EPIPE to the callback and destroys the socket.
    expect(logs.server).toContain('write cb EPIPE');
    expect(logs.server).toContain('write returned false');
  });

  it('pause_resume: no data while paused, buffered data after resume', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.watch('server', s);
        s.write('one');
        s.once('data', () => s.end('two'));
      });
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.once('data', () => {
        c.pause();
        rec.note('client', `paused=${c.isPaused()}`);
        c.write('ack');
        setTimeout(() => {
          rec.note('client', 'resume');
          c.resume();
        }, 60);
      });
      await closed(c);
      await stop(server);
    });
    expect(logs.client!.slice(2, 6)).toEqual(['data(one)', 'paused=true', 'resume', 'data(two)']);
  });

  it('destroy_after_connect: client close(false); a later write gets ERR_STREAM_DESTROYED; the server sees end and closes', async () => {
    await conform(async (env, rec) => {
      let sc!: Promise<void>;
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.watch('server', s);
        sc = closed(s);
      });
      const c = env.clientNet.connect(port, env.host, () => {
        c.destroy();
        rec.note('client', `destroyed=${c.destroyed} readyState=${c.readyState}`);
        c.write('x', (err) => rec.note('client', `write cb ${(err as NodeJS.ErrnoException | null)?.code}`));
      }) as Socket;
      rec.watch('client', c);
      await closed(c);
      await sc;
      await stop(server);
    });
  });

  it('unconnected_socket: write fails with ERR_SOCKET_CLOSED and destroys; end() waits for a connect that never comes', async () => {
    await conform(async (env, rec) => {
      const s = new env.clientNet.Socket() as Socket;
      rec.watch('writer', s);
      s.write('x', (err) => rec.note('writer', `cb ${rec.describeError(err)}`));
      await closed(s);
      const e = new env.clientNet.Socket() as Socket;
      rec.watch('ender', e);
      e.end();
      await sleep(30);
      rec.note('ender', `writableEnded=${e.writableEnded} writableFinished=${e.writableFinished} destroyed=${e.destroyed}`);
      e.destroy();
      await closed(e);
    });
  });

  it('destroySoon_and_resetAndDestroy_variants: destroySoon ends then destroys; reset while connecting waits for connect; reset without a handle fails', async () => {
    await conform(async (env, rec) => {
      const serverLogs: Promise<void>[] = [];
      let n = 0;
      const { server, port } = await listen(env, rec, {}, (s) => {
        const name = `server${n++}`;
        rec.watch(name, s, ['data', 'end', 'error']);
        serverLogs.push(closed(s));
      });
      const a = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('soon', a);
      a.write('payload');
      a.destroySoon();
      await closed(a);
      await sleep(20);
      const b = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('reset', b);
      b.resetAndDestroy();
      rec.note('reset', `connecting=${b.connecting}`);
      await closed(b);
      const u = new env.clientNet.Socket() as Socket;
      rec.watch('nohandle', u);
      u.resetAndDestroy();
      await closed(u);
      await Promise.all(serverLogs);
      await stop(server);
    });
  });

  it('destroy_with_error: error then close(true)', async () => {
    await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, () => {});
      const c = env.clientNet.connect(port, env.host, () => c.destroy(new Error('boom'))) as Socket;
      rec.watch('client', c);
      await closed(c);
      await stop(server);
    });
  });

  it('connect_again_after_destroy: a destroyed socket connects again (Node re-initialises it)', async () => {
    await conform(async (env, rec) => {
      // The first connection is destroyed with 'hi' unread (RST): the server socket may see ECONNRESET.
      const { server, port } = await listen(env, rec, {}, (s) => s.on('error', () => {}).end('hi'));
      const c = new env.clientNet.Socket() as Socket;
      rec.watch('client', c);
      c.connect(port, env.host);
      await once(c, 'connect');
      c.destroy();
      await closed(c);
      rec.note('client', `destroyed=${c.destroyed}`);
      c.connect(port, env.host);
      rec.note('client', `reconnecting destroyed=${c.destroyed} connecting=${c.connecting}`);
      await closed(c);
      await stop(server);
    });
  });

  it('idle_timeout: setTimeout emits timeout on an idle socket and keeps it open', async () => {
    await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => {
        s.resume();
        s.on('end', () => s.end());
      });
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.resume();
      c.setTimeout(40, () => {
        rec.note('client', `timeout readyState=${c.readyState}`);
        c.end();
      });
      await closed(c);
      await stop(server);
    });
  });

  it('readystate_and_addresses: readyState, pending, connecting and address fields over a connection', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.note('server', `remoteFamily=${s.remoteFamily} localPort=${s.localPort === port} remote=${rec.scrub(String(s.remoteAddress)) === 'HOST' || s.remoteAddress === '10.0.0.1'}`);
        s.resume();
        s.on('end', () => s.end());
      });
      const c = new env.clientNet.Socket() as Socket;
      rec.note('client', `new: readyState=${c.readyState} pending=${c.pending} connecting=${c.connecting} address=${JSON.stringify(c.address())}`);
      c.connect(port, env.host);
      rec.note('client', `connect(): readyState=${c.readyState} pending=${c.pending} connecting=${c.connecting}`);
      await once(c, 'connect');
      rec.note('client', `connected: readyState=${c.readyState} pending=${c.pending} remote=${rec.scrub(`${c.remoteAddress}:${c.remotePort}`)} family=${c.remoteFamily} localFamily=${c.localFamily}`);
      c.end('abc');
      c.resume();
      rec.note('client', `end(): readyState=${c.readyState}`);
      await closed(c);
      rec.note('client', `closed: readyState=${c.readyState} bytesRead=${c.bytesRead} bytesWritten=${c.bytesWritten} destroyed=${c.destroyed}`);
      await stop(server);
    });
    expect(logs.client![0]).toBe('new: readyState=open pending=true connecting=false address={}');
  });

  it('server_close_waits_for_connections: close emits after the last connection ends; getConnections counts', async () => {
    await conform(async (env, rec) => {
      let conn!: Socket;
      const { server, port } = await listen(env, rec, {}, (s) => {
        conn = s;
        s.resume();
      });
      server.on('close', () => rec.note('server', 'close'));
      const c = env.clientNet.connect(port, env.host) as Socket;
      await once(server, 'connection');
      const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
      rec.note('server', `connections=${count} listening=${server.listening}`);
      server.close(() => rec.note('server', 'close cb'));
      rec.note('server', `after close(): listening=${server.listening} address=${server.address()}`);
      await sleep(30);
      rec.note('server', 'still open');
      c.resume();
      c.on('end', () => c.end());
      conn.end();
      await once(server, 'close');
      server.close((err) => rec.note('server', `second close cb ${(err as NodeJS.ErrnoException).code}`));
      await sleep(10);
    });
  });
});

describe('stack.net conforms to node:net (error fields)', () => {
  it('econnrefused: connect error fields, then close(true)', async () => {
    const logs = await conform(async (env, rec) => {
      rec.port(1);
      const c = env.clientNet.connect(1, env.host) as Socket;
      rec.watch('client', c);
      await closed(c);
    });
    expect(logs.client![0]).toContain('"message":"connect ECONNREFUSED HOST:PORT"');
    expect(logs.client![0]).toContain('"errno":-111');
  });

  it('eaddrinuse: listen error fields (uv message shape)', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, () => {});
      const s2 = env.serverNet.createServer() as Server;
      s2.on('error', (e) => rec.note('s2', `error${rec.describeError(e)} listening=${s2.listening}`));
      s2.listen(port, env.host);
      await once(s2, 'error');
      await stop(server);
    });
    expect(logs.s2![0]).toContain('listen EADDRINUSE: address already in use HOST:PORT');
  });

  it('econnreset_on_read: resetAndDestroy by the peer gives read ECONNRESET, close(true)', async () => {
    const logs = await conform(async (env, rec) => {
      let sc!: Promise<void>;
      const { server, port } = await listen(env, rec, {}, (s) => {
        rec.watch('server', s);
        sc = closed(s);
        s.once('data', () => s.resetAndDestroy());
      });
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.write('hi');
      await closed(c);
      await sc;
      await stop(server);
    });
    expect(logs.client).toContain('error{"name":"Error","code":"ECONNRESET","message":"read ECONNRESET","errno":-104,"syscall":"read","keys":"errno,code,syscall"}');
  });

  it('write_after_end: ERR_STREAM_WRITE_AFTER_END to the callback and as error', async () => {
    await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => s.resume());
      const c = env.clientNet.connect(port, env.host) as Socket;
      rec.watch('client', c);
      c.end();
      c.write('x', (err) => rec.note('client', `cb ${rec.describeError(err)}`));
      await closed(c);
      await stop(server);
    });
  });

  it('epipe: writing after the peer closed and reset gives write EPIPE (Linux tcp_reset in CLOSE-WAIT)', async () => {
    const logs = await conform(async (env, rec) => {
      const { server, port } = await listen(env, rec, {}, (s) => s.destroy());
      const c = env.clientNet.connect({ port, host: env.host, allowHalfOpen: true }) as Socket;
      rec.watch('client', c);
      c.resume();
      await once(c, 'end');
      const done = closed(c);
      // The peer's stack answers the first write with a RST; a later write then fails (EPIPE).
      for (let i = 0; i < 100 && !c.destroyed; i++) {
        c.write(`w${i}`);
        await sleep(20);
      }
      if (!c.destroyed) throw new Error('no write failed');
      await done;
      await stop(server);
    });
    expect(logs.client!.join()).toContain('"message":"write EPIPE"');
  });

  it('connect_timeout_via_setTimeout: timeout while connecting, destroy, close(false)', async () => {
    const logs = await conform(async (env, rec) => {
      const bh = await env.blackhole();
      rec.port(bh.port);
      const c = env.clientNet.connect({ port: bh.port, host: env.host, timeout: 80 }) as Socket;
      rec.watch('client', c);
      c.on('timeout', () => {
        rec.note('client', `connecting=${c.connecting} readyState=${c.readyState}`);
        c.destroy();
      });
      await closed(c);
      bh.close();
    });
    expect(logs.client).toEqual(['timeout', 'connecting=true readyState=opening', 'close(false)']);
  });

  it('argument_errors: bad ports, bad types, listen twice throw synchronously with Node codes and messages', async () => {
    const logs = await conform(async (env, rec) => {
      const n = env.clientNet;
      rec.note('sync', thrown(rec, () => n.connect(70000)));
      rec.note('sync', thrown(rec, () => n.connect({ port: -1 })));
      rec.note('sync', thrown(rec, () => n.connect({ port: true as unknown as number })));
      rec.note('sync', thrown(rec, () => n.connect({ port: 'abc' as unknown as number, host: env.host })));
      rec.note('sync', thrown(rec, () => n.connect({} as { port: number })));
      rec.note('sync', thrown(rec, () => n.connect({ port: 80, host: 5 as unknown as string })));
      rec.note('sync', thrown(rec, () => n.connect({ port: 80, localAddress: 'nope' })));
      rec.note('sync', thrown(rec, () => n.connect({ port: 80, localPort: 'x' as unknown as number })));
      rec.note('sync', thrown(rec, () => new n.Socket().write(5 as unknown as string)));
      rec.note('sync', thrown(rec, () => new n.Socket().setTimeout(-1)));
      rec.note('sync', thrown(rec, () => new n.Socket().setTimeout('a' as unknown as number)));
      rec.note('sync', thrown(rec, () => env.serverNet.createServer().listen({ port: 70000 })));
      rec.note('sync', thrown(rec, () => env.serverNet.createServer().listen({})));
      rec.note('sync', thrown(rec, () => env.serverNet.createServer(5 as unknown as () => void)));
      const { server } = await listen(env, rec, {}, () => {});
      rec.note('sync', thrown(rec, () => server.listen(0)));
      await stop(server);
    });
    expect(logs.sync![0]).toBe('{"name":"RangeError","code":"ERR_SOCKET_BAD_PORT","message":"Port should be >= 0 and < 65536. Received type number (70000).","keys":"code"}');
  });
});

describe('stack.net conforms to node:net (backpressure)', () => {
  it('write_returns_false_until_drain: a paused reader stalls the writer; drain fires once it reads', async () => {
    await conform(async (env, rec) => {
      let accepted!: (s: Socket) => void;
      const conn = new Promise<Socket>((r) => (accepted = r));
      const { server, port } = await listen(env, rec, { pauseOnConnect: true }, (s) => accepted(s));
      const c = env.clientNet.connect(port, env.host) as Socket;
      await once(c, 'connect');
      const reader = await conn;
      const chunk = Buffer.alloc(16 * 1024, 7);
      let written = 0;
      let falses = 0;
      // Keep writing while the path takes the bytes (write() true, or 'drain' within 100 ms);
      // with the reader paused, every buffer on the way fills and the writer stalls.
      for (;;) {
        const ok = c.write(chunk);
        written += chunk.length;
        if (ok) continue;
        falses++;
        const drained = await Promise.race([once(c, 'drain').then(() => true), sleep(100).then(() => false)]);
        if (!drained || written > 256 * 1024 * 1024) break;
      }
      rec.note('client', `stalled: needDrain=${c.writableNeedDrain} falses>0=${falses > 0} wrote>64KiB=${written > 64 * 1024}`);
      let total = 0;
      const ended = once(reader, 'end');
      reader.on('data', (d: Buffer) => (total += d.length));
      reader.resume();
      await once(c, 'drain');
      rec.note('client', 'drain');
      c.end();
      await ended;
      rec.note('server', `received everything: ${total === written}`);
      reader.end();
      await closed(c);
      await stop(server);
    });
  });
});
