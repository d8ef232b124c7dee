import { describe, expect, it } from 'vitest';
import { Network } from '../../src/sim/network.js';
import { Stack } from '../../src/stack.js';
import { parseIpv4 } from '../../src/wire/address.js';

/** A host with eth0 10.0.0.1/24 and eth1 192.168.1.1/24 (NICs linked to a peer that has no stack). */
function host(config = {}) {
  const net = new Network({ seed: 1 });
  const h = net.addHost('h');
  const p = net.addHost('p');
  net.link(h, p);
  net.link(h, p);
  return new Stack({
    clock: net.clock,
    pool: h.pool,
    name: 'h',
    nics: h.ports,
    config: { interfaces: [{ address: '10.0.0.1/24', name: 'eth0' }, { address: '192.168.1.1/24', name: 'eth1' }], ...config },
  });
}

const via = (s: Stack, dst: string) => {
  const r = s.routes.lookup(dst);
  return r === null ? null : { gw: r.gateway, iface: r.iface.name, prefix: r.prefixLength };
};

describe('routing table (RFC 1812 §5.2.4.3)', () => {
  it('connected_routes_exist_for_each_addressed_interface', () => {
    const s = host();
    expect(s.routes.list()).toEqual([
      { destination: '10.0.0.0/24', gateway: null, interface: 'eth0', metric: 0, kind: 'connected' },
      { destination: '192.168.1.0/24', gateway: null, interface: 'eth1', metric: 0, kind: 'connected' },
    ]);
    expect(via(s, '10.0.0.77')).toEqual({ gw: 0, iface: 'eth0', prefix: 24 });
    expect(via(s, '8.8.8.8')).toBeNull();
    expect(s.ip.sourceFor(parseIpv4('192.168.1.9'))).toBe(parseIpv4('192.168.1.1'));
    expect(s.ip.sourceFor(parseIpv4('8.8.8.8'))).toBe(-1);
  });

  it('longest_prefix_match_wins', () => {
    const s = host();
    s.routes.add({ destination: '172.16.0.0/12', gateway: '10.0.0.254' });
    s.routes.add({ destination: '172.16.5.0/24', gateway: '192.168.1.254' });
    s.setDefaultGateway('10.0.0.1');
    expect(via(s, '172.16.5.9')).toEqual({ gw: parseIpv4('192.168.1.254'), iface: 'eth1', prefix: 24 });
    expect(via(s, '172.17.0.1')).toEqual({ gw: parseIpv4('10.0.0.254'), iface: 'eth0', prefix: 12 });
    expect(via(s, '8.8.8.8')).toEqual({ gw: parseIpv4('10.0.0.1'), iface: 'eth0', prefix: 0 });
    expect(s.ip.sourceFor(parseIpv4('172.16.5.9'))).toBe(parseIpv4('192.168.1.1'));
  });

  it('equal_prefixes_are_broken_by_lower_metric_then_by_insertion_order', () => {
    const s = host();
    s.routes.add({ destination: '172.16.0.0/16', gateway: '10.0.0.2', metric: 10 });
    s.routes.add({ destination: '172.16.0.0/16', gateway: '10.0.0.3', metric: 5 });
    expect(via(s, '172.16.1.1')!.gw).toBe(parseIpv4('10.0.0.3'));
    s.routes.add({ destination: '172.16.0.0/16', gateway: '10.0.0.4', metric: 5 });
    expect(via(s, '172.16.1.1')!.gw).toBe(parseIpv4('10.0.0.3')); // added first
    expect(s.routes.remove('172.16.0.0/16', '10.0.0.3')).toBe(1);
    expect(via(s, '172.16.1.1')!.gw).toBe(parseIpv4('10.0.0.4'));
    expect(s.routes.remove('172.16.0.0/16')).toBe(2);
    expect(via(s, '172.16.1.1')).toBeNull();
  });

  it('a_gateway_must_be_on_a_connected_network', () => {
    const s = host();
    expect(() => s.routes.add({ destination: '172.16.0.0/16', gateway: '10.9.9.9' })).toThrow(/not on any connected network/);
    expect(() => s.routes.add({ destination: '172.16.0.0/16', gateway: '10.0.0.9', interface: 'eth1' })).toThrow(/not on the network of eth1/);
    expect(() => s.routes.add({ destination: '172.16.0.0/16', interface: 'eth9' })).toThrow(/no interface named "eth9"/);
    expect(() => s.routes.add({ destination: '172.16.0.0/16' })).toThrow(/needs a gateway or an interface/);
    expect(() => s.routes.add({ destination: '172.16.0.0/33', gateway: '10.0.0.9' })).toThrow(TypeError);
    expect(() => s.routes.add({ destination: '172.16.0.0/16', gateway: '10.0.0.9', via: 1 } as never)).toThrow(/unknown route option key "routes.add.via"/);
    expect(() => s.setDefaultGateway('172.16.0.1')).toThrow(/not on any connected network/);
  });

  it('an_on_link_route_needs_no_gateway', () => {
    const s = host();
    s.routes.add({ destination: '100.64.0.0/10', interface: 'eth1' });
    expect(via(s, '100.64.3.3')).toEqual({ gw: 0, iface: 'eth1', prefix: 10 });
  });

  it('set_default_gateway_replaces_and_removes_the_default_route', () => {
    const s = host({ defaultGateway: '10.0.0.254' });
    expect(via(s, '1.1.1.1')!.gw).toBe(parseIpv4('10.0.0.254'));
    s.setDefaultGateway('192.168.1.254');
    expect(via(s, '1.1.1.1')).toEqual({ gw: parseIpv4('192.168.1.254'), iface: 'eth1', prefix: 0 });
    expect(s.routes.list().filter((r) => r.destination === '0.0.0.0/0')).toHaveLength(1);
    s.setDefaultGateway(null);
    expect(via(s, '1.1.1.1')).toBeNull();
  });

  it('routes_from_config_are_added_after_the_interfaces', () => {
    const s = host({ routes: [{ destination: '172.20.0.0/16', gateway: '192.168.1.7', metric: 3 }] });
    expect(s.routes.list()).toContainEqual({ destination: '172.20.0.0/16', gateway: '192.168.1.7', interface: 'eth1', metric: 3, kind: 'static' });
    expect(() => host({ routes: [{ destination: '172.20.0.0/16', gateway: '1.2.3.4' }] })).toThrow(/routes\[0\].*not on any connected network/);
  });

  it('removing_an_address_removes_its_connected_route', () => {
    const s = host();
    s.setAddress('eth1', null);
    expect(via(s, '192.168.1.9')).toBeNull();
    s.setAddress('eth1', '192.168.2.1/23');
    expect(via(s, '192.168.3.9')).toEqual({ gw: 0, iface: 'eth1', prefix: 23 });
    expect(() => s.setAddress('eth1', '10.0.0.1/24')).toThrow(/already assigned to eth0/);
  });
});
