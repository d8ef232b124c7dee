/**
 * End-to-end scenarios over simulated Network links (issue D): two Stacks, real
 * IPv4 + ARP, a wire with delay; each test drives one connection-lifecycle
 * scenario in virtual time and checks states, errors, MIB counters and bytes.
 *
 * Not repeated here (already in test/tcp/stack.test.ts over Network links):
 * RST on a closed port (ECONNREFUSED), bulk transfer over lossy/corrupting links,
 * MSS from the interface MTU. The per-rule versions of these scenarios (a scripted
 * peer) live in close.test.ts, timers.test.ts and handshake.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Network, type LinkOptions, type SimLink } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { parseIpv4 } from '../../src/wire/address.js';
import { NULL_OBSERVER, TCPI_OPT_SACK, TCPI_OPT_TIMESTAMPS, TCPI_OPT_WSCALE, TcpErrno, type Endpoint } from '../../src/tcp/endpoint.js';
import { pattern, sec } from './harness.js';

const SERVER = parseIpv4('10.0.0.2');
const PORT = 5001;
const MSL = sec(5);

interface Env {
  net: Network;
  link: SimLink;
  a: Stack;
  b: Stack;
}

function twoHosts(link: LinkOptions = { delay: '5ms' }, tcp: Record<string, unknown> = {}): Env {
  const net = new Network({ seed: 'e2e-scenarios', pool: { memoryBytes: 8 * 1024 * 1024, debug: true } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  const l = net.link(h1, h2, link);
  const config = (address: string) => ({ interfaces: [{ address }], tcp: { msl: MSL, ...tcp } });
  const a = new Stack({ clock: net.clock, pool: h1.pool, name: 'h1', nics: h1.ports, secret: h1.secret, config: config('10.0.0.1/24') });
  const b = new Stack({ clock: net.clock, pool: h2.pool, name: 'h2', nics: h2.ports, secret: h2.secret, config: config('10.0.0.2/24') });
  return { net, link: l, a, b };
}

/** A listener on b:PORT whose accepted children are collected in `accepted`. */
function listen(env: Env, setup?: (l: Endpoint) => void): { l: Endpoint; accepted: Endpoint[] } {
  const l = env.b.tcp.createEndpoint();
  setup?.(l);
  expect(l.bind(0, PORT)).toBe(0);
  expect(l.listen(8)).toBe(0);
  const accepted: Endpoint[] = [];
  l.observer = {
    ...NULL_OBSERVER,
    onAcceptable(le) {
      for (;;) {
        const r = le.accept();
        if (typeof r === 'number') break;
        accepted.push(r);
      }
    },
  };
  return { l, accepted };
}

/** Connect a→b and run until both ends are ESTABLISHED. */
function connected(env: Env, setupClient?: (c: Endpoint) => void, setupListener?: (l: Endpoint) => void) {
  const { l, accepted } = listen(env, setupListener);
  const c = env.a.tcp.createEndpoint();
  setupClient?.(c);
  expect(c.connect(SERVER, PORT)).toBe(TcpErrno.EINPROGRESS);
  env.net.runFor('100ms');
  expect(c.state).toBe('ESTABLISHED');
  expect(accepted.length).toBe(1);
  const s = accepted[0]!;
  expect(s.state).toBe('ESTABLISHED');
  return { l, c, s };
}

/** Read everything readable into `sink`; returns 0 at EOF, the errno, or EAGAIN. */
function drain(ep: Endpoint, sink: number[] | { n: number; h: ReturnType<typeof createHash> }): number {
  const buf = new Uint8Array(65536);
  for (;;) {
    const k = ep.recv(buf, 0, buf.length);
    if (k <= 0) return k;
    if (Array.isArray(sink)) for (let i = 0; i < k; i++) sink.push(buf[i]!);
    else {
      sink.n += k;
      sink.h.update(buf.subarray(0, k));
    }
  }
}

/** Send as much of data[off..] as fits; returns the new offset. */
function pump(ep: Endpoint, data: Uint8Array, off: number): number {
  while (off < data.length) {
    const k = ep.send(data, off, Math.min(65536, data.length - off));
    if (k <= 0) break;
    off += k;
  }
  return off;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function expectNoLeaks(env: Env): void {
  for (const s of [env.a, env.b]) {
    expect({ slots: s.pool.stats.inUse, handles: s.pool.stats.handlesInUse }, `${s.name} pool`).toEqual({ slots: 0, handles: 0 });
  }
}

describe('e2e scenarios over simulated links (issue D)', () => {
  it('handshake_negotiates_sack_timestamps_and_window_scaling (RFC 9293 §3.5, RFC 7323, RFC 2018)', () => {
    const env = twoHosts();
    const { c, s } = connected(env);
    for (const ep of [c, s]) {
      const i = ep.info();
      expect(i.options & (TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE)).toBe(TCPI_OPT_SACK | TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE);
      expect(i.sndMss).toBe(1460 - 12);
    }
    expect(c.remotePort).toBe(PORT);
    expect(s.remotePort).toBe(c.localPort);
    expect(s.remoteAddress).toBe(parseIpv4('10.0.0.1'));
    // One RTT (2 × 5 ms) gives the RTT estimator its first sample.
    expect(c.info().rtt).toBeGreaterThanOrEqual(sec(0.01));
    expect(env.a.tcp.mib.ActiveOpens).toBe(1);
    expect(env.b.tcp.mib.PassiveOpens).toBe(1);
    expect(env.a.tcp.mib.CurrEstab).toBe(1);
    expect(env.b.tcp.mib.CurrEstab).toBe(1);
  });

  it('data_flows_both_ways_at_once_byte_exact', () => {
    const env = twoHosts({ delay: '2ms', rate: '100Mbit' });
    const { c, s } = connected(env);
    const up = pattern(300_000, 1);
    const down = pattern(200_000, 77);
    const gotUp = { n: 0, h: createHash('sha256') };
    const gotDown = { n: 0, h: createHash('sha256') };
    let upOff = 0;
    let downOff = 0;
    for (let i = 0; i < 2000 && (gotUp.n < up.length || gotDown.n < down.length); i++) {
      upOff = pump(c, up, upOff);
      downOff = pump(s, down, downOff);
      env.net.runFor('5ms');
      expect(drain(s, gotUp)).toBe(TcpErrno.EAGAIN);
      expect(drain(c, gotDown)).toBe(TcpErrno.EAGAIN);
    }
    expect(gotUp.n).toBe(up.length);
    expect(gotDown.n).toBe(down.length);
    expect(gotUp.h.digest('hex')).toBe(sha(up));
    expect(gotDown.h.digest('hex')).toBe(sha(down));
    // Data in both directions: ACKs ride on data segments (piggybacking).
    expect(c.info().bytesReceived).toBe(down.length);
    expect(s.info().bytesReceived).toBe(up.length);
  });

  it('half_close: after shutdown(SHUT_WR) the peer reads EOF and can still send (RFC 9293 §3.6, §3.10.4)', () => {
    const env = twoHosts();
    const { c, s } = connected(env);
    expect(c.send(pattern(1000, 3), 0, 1000)).toBe(1000);
    expect(c.shutdown(1)).toBe(0);
    env.net.runFor('100ms');
    const got: number[] = [];
    expect(drain(s, got)).toBe(0); // data, then EOF
    expect(got.length).toBe(1000);
    expect(s.eofReceived).toBe(true);
    expect(s.state).toBe('CLOSE-WAIT');
    expect(c.state).toBe('FIN-WAIT-2');
    // The half-closed client still receives.
    const back = pattern(50_000, 9);
    let off = 0;
    const gotBack: number[] = [];
    for (let i = 0; i < 100 && gotBack.length < back.length; i++) {
      off = pump(s, back, off);
      env.net.runFor('20ms');
      expect(drain(c, gotBack)).toBe(TcpErrno.EAGAIN);
    }
    expect(Buffer.from(gotBack).equals(Buffer.from(back))).toBe(true);
    // The client cannot send any more.
    expect(c.send(pattern(10), 0, 10)).toBe(TcpErrno.EPIPE);
    expect(s.close()).toBe(0);
    env.net.runFor('100ms');
    expect(drain(c, gotBack)).toBe(0);
    expect(s.state).toBe('CLOSED');
    expect(c.state).toBe('TIME-WAIT');
    expect(c.close()).toBe(0);
    env.net.runFor(2 * MSL + sec(1));
    expect(c.state).toBe('CLOSED');
    expectNoLeaks(env);
  });

  it('simultaneous_close: both FINs cross, both ends go through CLOSING to TIME-WAIT (RFC 9293 §3.6 case 2)', () => {
    const env = twoHosts({ delay: '10ms' });
    const { c, s } = connected(env);
    const seen = { c: new Set<string>(), s: new Set<string>() };
    expect(c.close()).toBe(0);
    expect(s.close()).toBe(0);
    expect(c.state).toBe('FIN-WAIT-1');
    expect(s.state).toBe('FIN-WAIT-1');
    for (let t = 0; t < 100; t++) {
      env.net.runFor('1ms');
      seen.c.add(c.state);
      seen.s.add(s.state);
    }
    expect(seen.c.has('CLOSING')).toBe(true);
    expect(seen.s.has('CLOSING')).toBe(true);
    expect(c.state).toBe('TIME-WAIT');
    expect(s.state).toBe('TIME-WAIT');
    env.net.runFor(2 * MSL - sec(0.5));
    expect(c.state).toBe('TIME-WAIT');
    env.net.runFor(sec(1));
    expect(c.state).toBe('CLOSED');
    expect(s.state).toBe('CLOSED');
    expect(env.a.tcp.mib.EstabResets + env.b.tcp.mib.EstabResets).toBe(0);
    expectNoLeaks(env);
  });

  it('abort_resets_the_peer_with_econnreset (RFC 9293 §3.10.5, §3.10.7.4)', () => {
    const env = twoHosts();
    const { c, s } = connected(env);
    let err = 0;
    s.observer = { ...NULL_OBSERVER, onError: (_e, e) => (err = e) };
    expect(c.abort()).toBe(0);
    env.net.runFor('50ms');
    expect(err).toBe(TcpErrno.ECONNRESET);
    expect(s.state).toBe('CLOSED');
    expect(s.recv(new Uint8Array(4), 0, 4)).toBe(TcpErrno.ECONNRESET);
    expect(env.a.tcp.mib.OutRsts).toBe(1);
    expect(env.b.tcp.mib.EstabResets).toBe(1);
  });

  describe('keepalive (RFC 1122 §4.2.3.6)', () => {
    const keepalive = (ep: Endpoint): void => {
      ep.setOption('keepalive', true);
      ep.setOption('keepIdle', sec(20));
      ep.setOption('keepIntvl', sec(2));
      ep.setOption('keepCnt', 3);
    };

    it('keepalive_detects_a_dead_peer_with_etimedout', () => {
      const env = twoHosts();
      const { c } = connected(env, keepalive);
      let err = 0;
      let at = -1;
      c.observer = {
        ...NULL_OBSERVER,
        onError: (_e, e) => {
          err = e;
          at = env.net.now();
        },
      };
      const t0 = env.net.now();
      // The peer host dies: nothing gets through either way.
      env.link.wire.ab.impairments.config.loss = 1;
      env.link.wire.ba.impairments.config.loss = 1;
      env.net.runFor(sec(19));
      expect(env.a.tcp.mib.TCPKeepAlive).toBe(0);
      env.net.runFor(sec(30));
      expect(err).toBe(TcpErrno.ETIMEDOUT);
      expect(c.state).toBe('CLOSED');
      expect(env.a.tcp.mib.TCPKeepAlive).toBe(3);
      // idle 20 s after the last segment, then 3 probes 2 s apart, then give up.
      expect(at - t0).toBeGreaterThanOrEqual(sec(20 + 3 * 2) - sec(0.2));
      expect(at - t0).toBeLessThanOrEqual(sec(20 + 3 * 2) + sec(0.2));
    });

    it('keepalive_probe_to_a_peer_that_lost_the_connection_gets_rst_and_econnreset', () => {
      const env = twoHosts();
      const { c, s } = connected(env, keepalive);
      let err = 0;
      c.observer = { ...NULL_OBSERVER, onError: (_e, e) => (err = e) };
      // The peer forgets the connection while the link is down (its RST is lost), as after a reboot.
      env.link.wire.ba.impairments.config.loss = 1;
      s.abort();
      env.net.runFor('1s');
      env.link.wire.ba.impairments.config.loss = 0;
      expect(c.state).toBe('ESTABLISHED');
      env.net.runFor(sec(21));
      expect(env.a.tcp.mib.TCPKeepAlive).toBe(1);
      expect(err).toBe(TcpErrno.ECONNRESET);
      expect(c.state).toBe('CLOSED');
    });

    it('answered_keepalives_keep_an_idle_connection_open', () => {
      const env = twoHosts();
      const { c, s } = connected(env, keepalive);
      env.net.runFor(sec(300));
      expect(c.state).toBe('ESTABLISHED');
      expect(s.state).toBe('ESTABLISHED');
      expect(env.a.tcp.mib.TCPKeepAlive).toBeGreaterThanOrEqual(10);
      expect(c.errorCode).toBe(0);
    });
  });

  it('zero_window_with_a_slow_reader: window closes, persist probes, transfer resumes byte-exact (RFC 9293 §3.8.6.1)', () => {
    const env = twoHosts({ delay: '5ms', rate: '100Mbit' });
    const rcvbuf = 16 * 1024;
    const { c, s } = connected(env, undefined, (l) => l.setOption('rcvbuf', rcvbuf));
    const data = pattern(400_000, 5);
    let off = pump(c, data, 0);
    // The reader pauses: the sender fills the receive buffer and the window closes.
    env.net.runFor(sec(1));
    expect(s.readableLength).toBe(rcvbuf);
    expect(c.info().sndWnd).toBe(0);
    expect(env.b.tcp.mib.TCPToZeroWindowAdv).toBeGreaterThanOrEqual(1);
    // Persist probes go out with backoff while the window stays shut, and the connection lives on.
    const probes0 = env.a.tcp.mib.TCPWinProbe;
    env.net.runFor(sec(30));
    const probes = env.a.tcp.mib.TCPWinProbe - probes0;
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(probes).toBeLessThanOrEqual(12); // backed off, not one per RTT
    expect(c.state).toBe('ESTABLISHED');
    expect(c.errorCode).toBe(0);
    // The reader resumes: the window reopens and the rest arrives.
    const got = { n: 0, h: createHash('sha256') };
    let closed = false;
    for (let i = 0; i < 20_000 && got.n < data.length; i++) {
      off = pump(c, data, off);
      if (off === data.length && !closed) closed = c.shutdown(1) === 0;
      drain(s, got);
      env.net.runFor('2ms');
    }
    expect(drain(s, got)).toBe(0);
    expect(got.n).toBe(data.length);
    expect(got.h.digest('hex')).toBe(sha(data));
    expect(env.b.tcp.mib.TCPFromZeroWindowAdv).toBeGreaterThanOrEqual(1);
    // The small window forced many zero-window episodes, never a reset.
    expect(env.a.tcp.mib.EstabResets + env.b.tcp.mib.EstabResets).toBe(0);
  });

  describe('TIME-WAIT reuse (RFC 6191, RFC 1122 §4.2.2.13)', () => {
    it('a_new_syn_on_the_same_four_tuple_reopens_the_servers_time_wait_connection', () => {
      const env = twoHosts();
      const { accepted } = listen(env);
      const c1 = env.a.tcp.createEndpoint();
      c1.setOption('reuseAddr', true);
      expect(c1.bind(0, 40000)).toBe(0);
      expect(c1.connect(SERVER, PORT)).toBe(TcpErrno.EINPROGRESS);
      env.net.runFor('100ms');
      const s1 = accepted[0]!;
      expect(c1.send(pattern(100), 0, 100)).toBe(100);
      env.net.runFor('100ms');
      drain(s1, []);
      // The server closes first and holds TIME-WAIT; the client ends in CLOSED.
      expect(s1.close()).toBe(0);
      env.net.runFor('100ms');
      expect(drain(c1, [])).toBe(0);
      expect(c1.close()).toBe(0);
      env.net.runFor('100ms');
      expect(s1.state).toBe('TIME-WAIT');
      expect(c1.state).toBe('CLOSED');
      // Same 4-tuple again, well within 2·MSL.
      const c2 = env.a.tcp.createEndpoint();
      c2.setOption('reuseAddr', true);
      expect(c2.bind(0, 40000)).toBe(0);
      expect(c2.connect(SERVER, PORT)).toBe(TcpErrno.EINPROGRESS);
      env.net.runFor('100ms');
      expect(c2.state).toBe('ESTABLISHED');
      expect(env.b.tcp.mib.TWRecycled).toBe(1);
      expect(accepted.length).toBe(2);
      const s2 = accepted[1]!;
      expect(s2.remotePort).toBe(40000);
      expect(c2.send(pattern(500, 4), 0, 500)).toBe(500);
      env.net.runFor('100ms');
      const got: number[] = [];
      drain(s2, got);
      expect(Buffer.from(got).equals(Buffer.from(pattern(500, 4)))).toBe(true);
    });

    it('the_client_port_held_by_time_wait_needs_reuseaddr_to_bind', () => {
      const env = twoHosts();
      const { accepted } = listen(env);
      const c1 = env.a.tcp.createEndpoint();
      expect(c1.bind(0, 40001)).toBe(0);
      c1.connect(SERVER, PORT);
      env.net.runFor('100ms');
      expect(c1.close()).toBe(0); // active close: the client holds TIME-WAIT
      env.net.runFor('100ms');
      expect(c1.state).toBe('FIN-WAIT-2');
      expect(accepted[0]!.close()).toBe(0);
      env.net.runFor('100ms');
      expect(c1.state).toBe('TIME-WAIT');
      const c2 = env.a.tcp.createEndpoint();
      expect(c2.bind(0, 40001)).toBe(TcpErrno.EADDRINUSE);
      const c3 = env.a.tcp.createEndpoint();
      c3.setOption('reuseAddr', true);
      expect(c3.bind(0, 40001)).toBe(0);
      c2.close();
      c3.close();
      env.net.runFor(2 * MSL + sec(1));
      expect(c1.state).toBe('CLOSED');
      const c4 = env.a.tcp.createEndpoint();
      expect(c4.bind(0, 40001)).toBe(0);
      c4.close();
    });
  });
});
