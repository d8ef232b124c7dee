/**
 * The IPv4 routing table of one host: connected routes (one per addressed
 * interface), static routes and the default route, looked up by longest prefix
 * match (RFC 1812 §5.2.4.3).
 *
 * Owns: the route list, its order, validation of new routes, and lookup.
 * Must not: resolve link-layer addresses or send anything.
 *
 * Order and tie-breaks (what lookup returns):
 *  1. longest prefix (RFC 1812 §5.2.4.3 "Longest Match");
 *  2. then the lowest metric (RFC 1812 §5.2.4.3 "Best Metric"; Linux: priority);
 *  3. then the route added first (its insertion sequence) — deterministic,
 *     like Linux's first match in the FIB for equal routes. No ECMP.
 * Connected routes have metric 0 and are added when the address is set, so a
 * static route to exactly the same prefix loses to them unless it has metric 0
 * and was added earlier; a longer static prefix always wins.
 *
 * Lookup is a linear scan of the sorted list (a host has few routes) behind a
 * one-entry cache (last destination → route), invalidated by every change.
 */
import { formatIpv4, parseCidr, parseIpv4 } from '../wire/address.js';
import { resolveRouteOptions, type RouteOptions } from './config.js';
import type { Interface } from './interface.js';

export type RouteKind = 'connected' | 'static';

export interface Route {
  /** Network address (host bits cleared). */
  readonly destination: number;
  readonly prefixLength: number;
  readonly mask: number;
  /** Next hop; 0 for on-link routes (the destination itself is the next hop). */
  readonly gateway: number;
  readonly iface: Interface;
  readonly metric: number;
  readonly kind: RouteKind;
  /** Insertion sequence (tie-break 3). */
  readonly seq: number;
}

/** A route as plain strings, for printing and assertions. */
export interface RouteInfo {
  destination: string;
  gateway: string | null;
  interface: string;
  metric: number;
  kind: RouteKind;
}

function compareRoutes(a: Route, b: Route): number {
  return b.prefixLength - a.prefixLength || a.metric - b.metric || a.seq - b.seq;
}

export class RoutingTable {
  private routes: Route[] = [];
  private seq = 0;
  private cacheDst = -1;
  private cacheRoute: Route | null = null;

  /** @param interfaces the stack's interface list (read at add time to resolve names and gateways). */
  constructor(private readonly interfaces: readonly Interface[]) {}

  /** Number of routes. */
  get size(): number {
    return this.routes.length;
  }

  /**
   * Add a static route: `{ destination: '10.2.0.0/16', gateway: '10.0.0.2' }`,
   * `{ destination: '0.0.0.0/0', gateway, metric }` or an on-link route
   * `{ destination, interface: 'eth1' }`. The gateway must lie on a connected
   * network (of `interface` when given). Throws TypeError naming the problem.
   */
  add(options: RouteOptions): Route {
    const r = resolveRouteOptions(options, 'routes.add');
    let iface: Interface | undefined;
    if (r.interface !== undefined) {
      iface = this.interfaces.find((i) => i.name === r.interface);
      if (iface === undefined) throw new TypeError(`route to ${options.destination}: no interface named "${r.interface}"`);
      if (r.gateway !== 0 && !iface.onLink(r.gateway)) {
        throw new TypeError(
          `route to ${options.destination}: gateway ${formatIpv4(r.gateway)} is not on the network of ${iface.name} (${iface.cidr || 'no address'})`,
        );
      }
    } else {
      iface = this.interfaces.find((i) => i.onLink(r.gateway));
      if (iface === undefined) {
        throw new TypeError(`route to ${options.destination}: gateway ${formatIpv4(r.gateway)} is not on any connected network`);
      }
    }
    const network = (r.destination.address & r.destination.mask) >>> 0;
    return this.insert(network, r.destination.prefixLength, r.destination.mask, r.gateway, iface, r.metric, 'static');
  }

  /**
   * Remove the static routes to `destination` ('10.2.0.0/16'), optionally only
   * those via `gateway`. Returns how many were removed. Connected routes go
   * away with their interface's address, not here.
   */
  remove(destination: string, gateway?: string): number {
    const d = parseCidr(destination);
    const network = (d.address & d.mask) >>> 0;
    const gw = gateway === undefined ? -1 : parseIpv4(gateway);
    const before = this.routes.length;
    this.routes = this.routes.filter(
      (x) => !(x.kind === 'static' && x.destination === network && x.prefixLength === d.prefixLength && (gw < 0 || x.gateway === gw)),
    );
    this.invalidate();
    return before - this.routes.length;
  }

  /** The route for `dst` (a number or a dotted quad), or null. */
  lookup(dst: number | string): Route | null {
    const d = typeof dst === 'string' ? parseIpv4(dst) : dst >>> 0;
    if (d === this.cacheDst) return this.cacheRoute;
    const routes = this.routes;
    let found: Route | null = null;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      if (((d & r.mask) >>> 0) === r.destination) {
        found = r;
        break;
      }
    }
    this.cacheDst = d;
    this.cacheRoute = found;
    return found;
  }

  /** Every route, in lookup order, as strings. */
  list(): RouteInfo[] {
    return this.routes.map((r) => ({
      destination: `${formatIpv4(r.destination)}/${r.prefixLength}`,
      gateway: r.gateway === 0 ? null : formatIpv4(r.gateway),
      interface: r.iface.name,
      metric: r.metric,
      kind: r.kind,
    }));
  }

  /** @internal The connected route of an interface whose address was set. */
  addConnected(iface: Interface): Route {
    return this.insert(iface.network, iface.prefixLength, iface.mask, 0, iface, 0, 'connected');
  }

  /** @internal Drop every route through `iface` (address removed or changed). */
  removeInterfaceRoutes(iface: Interface, connectedOnly: boolean): void {
    this.routes = this.routes.filter((r) => !(r.iface === iface && (!connectedOnly || r.kind === 'connected')));
    this.invalidate();
  }

  /** @internal Replace the default route (0.0.0.0/0, static, metric 0) by one via `gateway`, or remove it (0). */
  setDefault(gateway: number): void {
    this.routes = this.routes.filter((r) => !(r.kind === 'static' && r.prefixLength === 0 && r.metric === 0));
    this.invalidate();
    if (gateway !== 0) this.add({ destination: '0.0.0.0/0', gateway: formatIpv4(gateway) });
  }

  private insert(destination: number, prefixLength: number, mask: number, gateway: number, iface: Interface, metric: number, kind: RouteKind): Route {
    const route: Route = Object.freeze({ destination, prefixLength, mask, gateway, iface, metric, kind, seq: this.seq++ });
    this.routes.push(route);
    this.routes.sort(compareRoutes);
    this.invalidate();
    return route;
  }

  private invalidate(): void {
    this.cacheDst = -1;
    this.cacheRoute = null;
  }
}
