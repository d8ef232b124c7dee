// Two simulated hosts (10.0.0.1 and 10.0.0.2) on one link, each with a SocketCore.
import { Network, type LinkOptions } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { SocketCore } from '../../src/socket/core.js';
import type { ReadyListener } from '../../src/socket/socket-table.js';
import { Errno } from '../../src/socket/errno.js';
import { expect } from 'vitest';
import { formatMac } from '../../src/wire/address.js';

export const A = '10.0.0.1';
export const B = '10.0.0.2';

export function twoHosts(opts: { seed?: number; tcp?: Record<string, unknown>; link?: LinkOptions; staticArp?: boolean } = {}) {
  const net = new Network({ seed: opts.seed ?? 1, pool: { memoryBytes: 8 * 1024 * 1024 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms', ...(opts.link ?? {}) });
  // With staticArp the hosts know each other's MAC: a dead link then fails at TCP (ETIMEDOUT), not ARP.
  const mk = (h: typeof h1, address: string, peer: typeof h1, peerAddress: string) =>
    new Stack({
      clock: net.clock,
      pool: h.pool,
      nics: h.ports,
      secret: h.secret,
      config: {
        interfaces: [{ address }],
        tcp: opts.tcp ?? {},
        ...(opts.staticArp === true ? { staticNeighbours: { [peerAddress]: formatMac(peer.ports[0]!.mac) } } : {}),
      },
    });
  const a = mk(h1, `${A}/24`, h2, B);
  const b = mk(h2, `${B}/24`, h1, A);
  return { net, a, b, ca: new SocketCore(a), cb: new SocketCore(b) };
}

/** Records readiness edges in order. */
export class Recorder implements ReadyListener {
  readonly events: [number, number][] = [];
  onReady(fd: number, events: number): void {
    this.events.push([fd, events]);
  }
  /** The event bits seen for fd, in order. */
  of(fd: number): number[] {
    return this.events.filter((e) => e[0] === fd).map((e) => e[1]);
  }
}

/** A listener on B:port, a connected client on A and the accepted server socket. */
export function connectedPair(opts: Parameters<typeof twoHosts>[0] = {}, port = 80) {
  const env = twoHosts(opts);
  const { net, ca, cb } = env;
  const lfd = cb.socket('tcp');
  expect(cb.bind(lfd, 0, port)).toBe(0);
  expect(cb.listen(lfd, 8)).toBe(0);
  const cfd = ca.socket('tcp');
  expect(ca.connect(cfd, B, port)).toBe(Errno.EINPROGRESS);
  net.runFor('20ms');
  expect(ca.connect(cfd, B, port)).toBe(0);
  const sfd = cb.accept(lfd);
  expect(sfd).toBeGreaterThanOrEqual(3);
  return { ...env, lfd, cfd, sfd };
}
