// stack.net behaviour beyond what node:net can show on loopback: real TCP
// backpressure (a paused reader closes the advertised window), the zero-copy
// receive and send APIs and their ownership rules, clock-driven timeouts,
// hostnames/IPv6, binding, server limits. Virtual time (simulated Network):
// `advance` steps the clock and lets Node's stream machinery (nextTick) run.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import type { CountingAccounting } from '../../src/acct/accounting.js';
import type { NetSocket, ZeroCopyLease } from '../../src/api/net/index.js';
import { TcpState } from '../../src/tcp/tcb.js';

function world(opts: { tcp?: Record<string, unknown>; link?: Record<string, unknown> } = {}) {
  const net = new Network({ seed: 7, pool: { memoryBytes: 16 * 1024 * 1024 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms', ...(opts.link ?? {}) });
  const mk = (h: typeof h1, address: string) =>
    new Stack({ clock: net.clock, pool: h.pool, name: h.name, nics: h.ports, secret: h.secret, config: { interfaces: [{ address }], tcp: opts.tcp ?? {} } });
  const a = mk(h1, '10.0.0.1/24');
  const b = mk(h2, '10.0.0.2/24');
  /** Run `ms` of virtual time in 1 ms steps, letting nextTick/microtask work run between steps. */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t++) {
      net.runFor('1ms');
      await new Promise((r) => setImmediate(r));
    }
  }
  /** Step until `cond()` holds (at most `ms` virtual ms). */
  async function until(cond: () => boolean, ms = 5000): Promise<void> {
    for (let t = 0; t < ms && !cond(); t++) {
      net.runFor('1ms');
      await new Promise((r) => setImmediate(r));
    }
    if (!cond()) throw new Error(`condition not met within ${ms} virtual ms`);
  }
  return { net, h1, h2, a, b, advance, until };
}

/** A server on b:80 and a connected client on a; resolves with both sockets. */
async function connected(w: ReturnType<typeof world>, serverOpts: Record<string, unknown> = {}, clientOpts: Record<string, unknown> = {}) {
  let server!: NetSocket;
  const srv = w.b.net.createServer(serverOpts, (s) => (server = s)).listen(80, '10.0.0.2');
  const client = w.a.net.connect({ port: 80, host: '10.0.0.2', ...clientOpts });
  let up = false;
  client.on('connect', () => (up = true));
  await w.until(() => up && server !== undefined);
  return { srv, client, server };
}

function tcbOf(stack: Stack, localPort: number) {
  const t = stack.tcp.connections().find((c) => c.localPort === localPort);
  if (t === undefined) throw new Error(`no connection on local port ${localPort}`);
  return t;
}

describe('stack.net backpressure is TCP backpressure', () => {
  it('paused_reader_closes_the_advertised_window_and_write_returns_false_until_drain', async () => {
    const w = world({ tcp: { rcvbuf: 64 * 1024, sndbuf: 64 * 1024 } });
    const { client, server } = await connected(w, { pauseOnConnect: true });
    const chunk = Buffer.alloc(8 * 1024, 1);
    let written = 0;
    // Write until the writer stalls: write() false and no 'drain' within 50 virtual ms.
    for (let round = 0; round < 100; round++) {
      while (client.write(chunk)) written += chunk.length;
      written += chunk.length;
      await w.advance(50);
      if (client.writableNeedDrain) break;
    }
    // The receiver stopped reading: its receive buffer is full (no free space) and the window it
    // offers is below one segment (our TCP never shrinks an offered window, RFC 9293 §3.8.6, so a
    // sub-MSS remainder of the last advertisement may stay), so the sender stops sending.
    const rx = tcbOf(w.b, 80);
    const tx = tcbOf(w.a, client.localPort!);
    expect(rx.recvBuf.length).toBeGreaterThanOrEqual(rx.opts.rcvbuf);
    expect(tx.sndWnd).toBeLessThan(tx.sndMss);
    const sentBefore = tx.sndNxt;
    await w.advance(100);
    expect(tx.sndNxt).toBe(sentBefore);
    // The sender's buffer is full too, so write() keeps returning false and no 'drain' comes.
    expect(tx.sendBuf.length).toBeGreaterThan(0);
    expect(client.writableNeedDrain).toBe(true);
    let drained = false;
    client.on('drain', () => (drained = true));
    await w.advance(100);
    expect(drained).toBe(false);
    // Reading reopens the window; everything arrives and 'drain' fires.
    let got = 0;
    server.on('data', (d: Buffer) => (got += d.length));
    server.resume();
    await w.until(() => drained && got === written);
    expect(tx.sndWnd).toBeGreaterThan(0);
  });

  it('a_pushed_but_unconsumed_readable_buffer_stops_reading_at_highWaterMark', async () => {
    const w = world({ tcp: { rcvbuf: 64 * 1024 } });
    const { client, server } = await connected(w);
    // No 'data' listener: the stream buffers up to its highWaterMark, then stops pulling from TCP.
    client.write(Buffer.alloc(200 * 1024, 2));
    await w.advance(300);
    expect(server.readableLength).toBeGreaterThanOrEqual(server.readableHighWaterMark);
    expect(server.readableLength).toBeLessThan(200 * 1024);
    expect(tcbOf(w.a, client.localPort!).sndWnd).toBe(0);
  });
});

describe('stack.net zero-copy receive (onread: { zeroCopy: true })', () => {
  it('views_are_packet_buffer_memory_and_no_payload_byte_is_copied', async () => {
    const w = world();
    const views: Uint8Array[] = [];
    const leases: ZeroCopyLease[] = [];
    let total = 0;
    const srv = w.b.net.createServer({ pauseOnConnect: false }, () => {}).listen(80, '10.0.0.2');
    void srv;
    const client = w.a.net.connect({
      port: 80,
      host: '10.0.0.2',
      onread: {
        zeroCopy: true,
        callback(view: Uint8Array, lease: ZeroCopyLease) {
          views.push(view);
          leases.push(lease);
          total += view.length;
        },
      },
    });
    let server!: NetSocket;
    srv.on('connection', (s) => (server = s));
    await w.until(() => server !== undefined);
    const payload = Buffer.alloc(100 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const copiedBefore = (w.a.acct as CountingAccounting).bytesCopied;
    server.write(payload);
    await w.until(() => total === payload.length);
    // Every view lies in the receiving host's pool memory (the same ArrayBuffer), at the packet's offset.
    for (const v of views) expect(v.buffer).toBe(w.h1.pool.memory.buffer);
    expect(new Set(views.map((v) => v.byteOffset)).size).toBe(views.length);
    // The bytes are right, and the receiver copied none of them.
    expect(Buffer.concat(views)).toEqual(payload);
    expect((w.a.acct as CountingAccounting).bytesCopied - copiedBefore).toBe(0);
    expect(client.bytesRead).toBe(payload.length);
    expect(client.zeroCopyHeldBytes).toBe(payload.length);
    for (const l of leases) l.release();
    expect(client.zeroCopyHeldBytes).toBe(0);
    expect(() => leases[0]!.release()).toThrow(expect.objectContaining({ code: 'ERR_ZEROCOPY_DOUBLE_RELEASE' }));
  });

  it('held_views_count_against_the_receive_budget_and_release_resumes_reading', async () => {
    const w = world();
    const leases: ZeroCopyLease[] = [];
    let total = 0;
    let server!: NetSocket;
    w.b.net.createServer((s) => (server = s)).listen(80, '10.0.0.2');
    const client = w.a.net.connect({
      port: 80,
      host: '10.0.0.2',
      onread: { zeroCopy: true, maxHeldBytes: 16 * 1024, callback: (v: Uint8Array, l: ZeroCopyLease) => void (leases.push(l), (total += v.length)) },
    });
    await w.until(() => server !== undefined);
    server.write(Buffer.alloc(64 * 1024, 3));
    await w.advance(200);
    // At the budget the socket stops taking views (a little over: whole packets).
    expect(total).toBeGreaterThanOrEqual(16 * 1024);
    expect(total).toBeLessThan(16 * 1024 + 2 * 1500);
    const stuck = total;
    await w.advance(50);
    expect(total).toBe(stuck);
    // Releasing gives budget back: reading resumes until everything arrived.
    while (total < 64 * 1024) {
      for (const l of leases.splice(0)) l.release();
      await w.advance(5);
    }
    expect(total).toBe(64 * 1024);
    for (const l of leases.splice(0)) l.release();
    expect(client.zeroCopyHeldBytes).toBe(0);
  });

  it('onread_zeroCopy_requires_a_callback', () => {
    const w = world();
    expect(() => new w.a.net.Socket({ onread: { zeroCopy: true } as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('stack.net Node onread: { buffer, callback }', () => {
  it('copies_into_the_callers_buffer_and_false_pauses_until_resume', async () => {
    const w = world();
    const buf = new Uint8Array(4096);
    const seen: number[] = [];
    let server!: NetSocket;
    w.b.net.createServer((s) => (server = s)).listen(80, '10.0.0.2');
    const client = w.a.net.connect({
      port: 80,
      host: '10.0.0.2',
      onread: {
        buffer: buf,
        callback(n: number, b: Uint8Array) {
          expect(b).toBe(buf);
          seen.push(n);
          return seen.length !== 2; // pause after the second read
        },
      },
    });
    await w.until(() => server !== undefined);
    server.write(Buffer.alloc(40 * 1024, 9));
    await w.advance(100);
    expect(seen.length).toBe(2);
    client.resume();
    await w.until(() => seen.reduce((x, y) => x + y, 0) === 40 * 1024);
    expect(Math.max(...seen)).toBeLessThanOrEqual(4096);
  });
});

describe('stack.net zero-copy send (writeZeroCopy, MSG_ZEROCOPY-like)', () => {
  it('completes_in_id_order_only_after_the_peer_acknowledged_and_copies_nothing', async () => {
    const w = world({ link: { rate: '100Mbit' } });
    const { client, server } = await connected(w);
    let received = 0;
    server.on('data', (d: Buffer) => (received += d.length));
    const bufs = [0, 1, 2, 3].map((i) => Buffer.alloc(64 * 1024, i + 1));
    const done: [number, Error | null, number][] = [];
    const ranges: [number, number][] = [];
    client.on('zerocopy', (lo: number, hi: number) => ranges.push([lo, hi]));
    const copied0 = (w.a.acct as CountingAccounting).bytesCopied;
    const wraps0 = w.h1.pool.stats.wraps;
    const ids = bufs.map((b) => client.writeZeroCopy(b, (err) => done.push([ids.indexOf(ids[done.length]!), err, received])));
    expect(ids).toEqual([0, 1, 2, 3]);
    // TCP's send queue holds the caller's memory itself: same ArrayBuffer, same offset.
    const queued = (tcbOf(w.a, client.localPort!).sendBuf as unknown as { bufs: ({ bytes: Uint8Array; head: number } | null)[] }).bufs.filter((b) => b !== null);
    expect(queued.some((b) => b!.bytes.buffer === bufs[0]!.buffer && b!.head === 0 && b!.bytes.byteOffset === bufs[0]!.byteOffset)).toBe(true);
    await w.advance(2);
    expect(done.length).toBe(0); // nothing is acknowledged yet
    await w.until(() => done.length === 4);
    expect(done.map((d) => d[0])).toEqual([0, 1, 2, 3]);
    expect(done.every((d) => d[1] === null)).toBe(true);
    // Completion means acknowledged: the receiver had every byte of that send by then.
    done.forEach((d, i) => expect(d[2]).toBeGreaterThanOrEqual((i + 1) * 64 * 1024));
    // Ranges cover 0..3 in order, without gaps or repeats.
    const covered = ranges.flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k));
    expect(covered).toEqual([0, 1, 2, 3]);
    // The caller's arrays were wrapped, never copied.
    expect((w.a.acct as CountingAccounting).bytesCopied - copied0).toBe(0);
    expect(w.h1.pool.stats.wraps - wraps0).toBeGreaterThanOrEqual(4);
  });

  it('interleaves_with_write_in_order', async () => {
    const w = world();
    const { client, server } = await connected(w);
    const parts: string[] = [];
    server.on('data', (d: Buffer) => parts.push(d.toString()));
    client.write('a');
    client.writeZeroCopy(Buffer.from('b'));
    client.write('c');
    client.writeZeroCopy(Buffer.from('d'));
    client.end('e');
    await w.until(() => parts.join('') === 'abcde');
  });

  it('destroy_keeps_completions_coming_and_each_callback_runs_once', async () => {
    const w = world({ link: { rate: '10Mbit' } });
    const { client, server } = await connected(w);
    server.resume();
    const results: (Error | null)[] = [];
    // 64 KiB fits the send buffer: every byte is inside TCP when destroy() comes.
    client.writeZeroCopy(Buffer.alloc(64 * 1024, 5), (e) => results.push(e));
    await w.advance(5);
    client.destroy();
    await w.advance(1);
    expect(results).toEqual([]); // still in flight: the stack references the bytes
    await w.until(() => results.length === 1, 10_000);
    expect(results).toEqual([null]);
    await w.advance(100);
    expect(results.length).toBe(1);
    // The lingering descriptor was closed once the completion came.
    expect(w.a.net.core.openCount).toBe(0);
  });

  it('destroy_before_every_byte_reached_tcp_fails_that_send_once_the_stack_let_go', async () => {
    const w = world({ link: { rate: '10Mbit' } });
    const { client, server } = await connected(w);
    server.resume();
    const results: (Error | null)[] = [];
    const first = Buffer.alloc(32 * 1024, 1);
    client.writeZeroCopy(first, (e) => results.push(e));
    // 1 MiB cannot fit the 128 KiB send buffer: part of it never reaches TCP.
    client.writeZeroCopy(Buffer.alloc(1024 * 1024, 5), (e) => results.push(e));
    await w.advance(5);
    client.destroy();
    await w.until(() => results.length === 2, 10_000);
    expect(results[0]).toBeNull();
    expect((results[1] as Error & { code: string }).code).toBe('ERR_ZEROCOPY_ABORTED');
  });

  it('resetAndDestroy_aborts_pending_sends_with_ERR_ZEROCOPY_ABORTED', async () => {
    const w = world({ link: { rate: '10Mbit' } });
    const { client } = await connected(w);
    const results: (Error | null)[] = [];
    client.writeZeroCopy(Buffer.alloc(256 * 1024, 5), (e) => results.push(e));
    await w.advance(5);
    client.resetAndDestroy();
    await w.until(() => results.length === 1);
    expect((results[0] as Error & { code: string }).code).toBe('ERR_ZEROCOPY_ABORTED');
  });

  it('writeZeroCopy_rejects_non_bytes', () => {
    const w = world();
    const s = new w.a.net.Socket();
    expect(() => s.writeZeroCopy('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('stack.net clock, names and options', () => {
  it('setTimeout_runs_on_the_stack_clock (virtual seconds, no real waiting)', async () => {
    const w = world();
    const { client } = await connected(w);
    let at = -1;
    const t0 = w.net.clock.now();
    client.setTimeout(2000, () => (at = w.net.clock.now() - t0));
    await w.until(() => at >= 0, 3000);
    expect(at).toBeGreaterThanOrEqual(2000e6);
    expect(at).toBeLessThan(2010e6);
    expect(client.timeout).toBe(2000);
  });

  it('connect_timeout_option_emits_timeout_while_connecting_to_a_dead_host', async () => {
    const w = world();
    const c = w.a.net.connect({ port: 80, host: '10.0.0.99', timeout: 500 });
    const ev: string[] = [];
    c.on('timeout', () => {
      ev.push(`timeout connecting=${c.connecting}`);
      c.destroy();
    });
    c.on('close', (e) => ev.push(`close(${e})`));
    c.on('error', (e) => ev.push(`error ${(e as Error & { code: string }).code}`));
    await w.until(() => ev.length >= 2, 2000);
    expect(ev).toEqual(['timeout connecting=true', 'close(false)']);
  });

  it('localhost_resolves_to_loopback_unknown_names_fail_like_getaddrinfo_and_ipv6_is_refused', async () => {
    const w = world();
    let up = false;
    w.a.net.createServer().listen(9, 'localhost');
    const c = w.a.net.connect(9, 'localhost', () => (up = true));
    const lookups: unknown[] = [];
    c.on('lookup', (...a: unknown[]) => lookups.push(a));
    await w.until(() => up);
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(lookups).toEqual([[null, '127.0.0.1', 4, 'localhost']]);
    const errs: Record<string, unknown>[] = [];
    w.a.net.connect(80, 'example.invalid').on('error', (e) => errs.push({ ...e, message: e.message }));
    w.a.net.connect(80, '::1').on('error', (e) => errs.push({ ...e, message: e.message }));
    await w.advance(5);
    errs.sort((x, y) => String(x.code).localeCompare(String(y.code)));
    expect(errs[1]).toEqual({ errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'example.invalid', message: 'getaddrinfo ENOTFOUND example.invalid' });
    expect(errs[0]).toMatchObject({ code: 'EAFNOSUPPORT', syscall: 'connect', address: '::1' });
  });

  it('a_lookup_option_resolves_names (as node:net)', async () => {
    const w = world();
    let server!: NetSocket;
    w.b.net.createServer((s) => (server = s)).listen(80);
    const asked: string[] = [];
    const c = w.a.net.connect({ port: 80, host: 'b.test', lookup: (h, _o, cb) => (asked.push(h), cb(null, '10.0.0.2', 4)) });
    await w.until(() => server !== undefined);
    expect(asked).toEqual(['b.test']);
    expect(c.remoteAddress).toBe('10.0.0.2');
    w.a.net.setDefaultLookup((h, _o, cb) => cb(null, h === 'peer' ? '10.0.0.2' : '0.0.0.0', 4));
    let up2 = false;
    w.a.net.connect(80, 'peer', () => (up2 = true));
    await w.until(() => up2);
  });

  it('localAddress_and_localPort_bind_the_client; a taken port fails with bind EADDRINUSE', async () => {
    const w = world();
    w.b.net.createServer((s) => s.resume()).listen(80);
    let up = false;
    const c = w.a.net.connect({ port: 80, host: '10.0.0.2', localAddress: '10.0.0.1', localPort: 4000 }, () => (up = true));
    await w.until(() => up);
    expect(c.address()).toEqual({ address: '10.0.0.1', family: 'IPv4', port: 4000 });
    let err: Record<string, unknown> | null = null;
    w.a.net.connect({ port: 80, host: '10.0.0.2', localAddress: '10.0.0.1', localPort: 4000 }).on('error', (e) => (err = { ...e, message: e.message }));
    await w.advance(5);
    expect(err).toEqual({ errno: -98, code: 'EADDRINUSE', syscall: 'bind', address: '10.0.0.1', port: 4000, message: 'bind EADDRINUSE 10.0.0.1:4000' });
  });

  it('noDelay_and_keepAlive_reach_the_tcp_endpoint', async () => {
    const w = world();
    const { client, server } = await connected(w, { noDelay: true }, { noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 });
    const core = w.a.net.core;
    const fdOf = (s: NetSocket) => (s as unknown as { h: { fd: number } }).h.fd;
    expect(core.getsockopt(fdOf(client), 'IPPROTO_TCP', 'TCP_NODELAY')).toBe(1);
    expect(core.getsockopt(fdOf(client), 'SOL_SOCKET', 'SO_KEEPALIVE')).toBe(1);
    expect(core.getsockopt(fdOf(client), 'IPPROTO_TCP', 'TCP_KEEPIDLE')).toBe(30);
    expect(w.b.net.core.getsockopt(fdOf(server), 'IPPROTO_TCP', 'TCP_NODELAY')).toBe(1);
    client.setNoDelay(false);
    expect(core.getsockopt(fdOf(client), 'IPPROTO_TCP', 'TCP_NODELAY')).toBe(0);
    expect(client.setKeepAlive(false)).toBe(client);
    expect(core.getsockopt(fdOf(client), 'SOL_SOCKET', 'SO_KEEPALIVE')).toBe(0);
  });

  it('resetAndDestroy_sends_a_RST_and_frees_the_connection_at_once', async () => {
    const w = world();
    const { client, server } = await connected(w);
    const errs: string[] = [];
    server.on('error', (e) => errs.push((e as Error & { code: string }).code));
    const port = client.localPort!;
    client.resetAndDestroy();
    await w.advance(10);
    expect(errs).toEqual(['ECONNRESET']);
    expect(w.a.tcp.connections().some((t) => t.localPort === port && t.state !== TcpState.CLOSED)).toBe(false);
  });

  it('maxConnections_drops_extra_connections_with_a_drop_event', async () => {
    const w = world();
    const srv = w.b.net.createServer((s) => s.resume()).listen(80);
    srv.maxConnections = 1;
    const drops: Record<string, unknown>[] = [];
    srv.on('drop', (d) => drops.push(d));
    w.a.net.connect(80, '10.0.0.2').on('error', () => {});
    await w.advance(10);
    const second = w.a.net.connect(80, '10.0.0.2');
    const errs: string[] = [];
    second.on('error', (e) => errs.push((e as Error & { code: string }).code));
    second.resume();
    await w.advance(20);
    expect(drops.length).toBe(1);
    expect(drops[0]).toMatchObject({ localAddress: '10.0.0.2', localPort: 80, remoteAddress: '10.0.0.1', remoteFamily: 'IPv4' });
    await w.until(() => second.destroyed);
  });

  it('listen_without_arguments_picks_a_port_on_every_address; ref_unref_chain', async () => {
    const w = world();
    const srv = w.b.net.createServer();
    let listening = false;
    srv.listen(() => (listening = true));
    await w.advance(1);
    expect(listening).toBe(true);
    const addr = srv.address()!;
    expect(addr.address).toBe('0.0.0.0');
    expect(addr.family).toBe('IPv4');
    expect(addr.port).toBeGreaterThan(1023);
    expect(srv.unref()).toBe(srv);
    expect(srv.isRefed).toBe(false);
    expect(srv.ref().isRefed).toBe(true);
    const s = new w.a.net.Socket();
    expect(s.unref()).toBe(s);
    expect(w.a.net.isIP('10.0.0.1')).toBe(4);
    expect(w.a.net.isIPv6('::1')).toBe(true);
    expect(w.a.net.isIPv4('::1')).toBe(false);
  });

  it('stack_net_is_one_module_per_stack_and_sockets_are_duplex_streams', async () => {
    const w = world();
    expect(w.a.net).toBe(w.a.net);
    expect(w.a.net).not.toBe(w.b.net);
    const { Duplex } = await import('node:stream');
    expect(new w.a.net.Socket()).toBeInstanceOf(Duplex);
    expect(new w.a.net.Socket()).toBeInstanceOf(w.a.net.Socket);
  });
});

describe('stack.net in virtual time', () => {
  it('same_seed_same_event_times: an echo exchange replays identically', async () => {
    const once = async (): Promise<string[]> => {
      const w = world({ link: { rate: '10Mbit', loss: '2%' } });
      const log: string[] = [];
      const at = (what: string) => log.push(`${w.net.clock.now()} ${what}`);
      w.b.net.createServer((s) => s.pipe(s)).listen(7);
      const c = w.a.net.connect(7, '10.0.0.2', () => at('connect'));
      let got = 0;
      c.on('data', (d: Buffer) => {
        got += d.length;
        at(`data ${got}`);
      });
      c.on('end', () => at('end'));
      c.on('close', (e) => at(`close ${e}`));
      c.end(Buffer.alloc(200 * 1024, 1));
      await w.until(() => c.destroyed, 20_000);
      await w.advance(2);
      return log;
    };
    const first = await once();
    expect(first.at(-1)).toMatch(/close false$/);
    expect(first.some((l) => l.endsWith(`data ${200 * 1024}`))).toBe(true);
    expect(await once()).toEqual(first);
  });
});

describe('stack.net writes', () => {
  it('string_chunks_are_encoded_with_their_encoding (hex, latin1, utf8) and arrive in order', async () => {
    const w = world();
    const { client, server } = await connected(w);
    const got: Buffer[] = [];
    server.on('data', (d: Buffer) => got.push(d));
    client.write('ff00', 'hex');
    client.write('\u00e9', 'latin1');
    client.write('\u00e9');
    client.end(Buffer.from([7]));
    await w.until(() => Buffer.concat(got).length === 6);
    expect([...Buffer.concat(got)]).toEqual([0xff, 0x00, 0xe9, 0xc3, 0xa9, 7]);
    expect(client.bytesWritten).toBe(6);
  });
});
