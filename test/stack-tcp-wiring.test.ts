// Every Stack carries a TcpLayer (stack.tcp) configured through config.tcp and
// keyed by a secret; simulated hosts supply a seed-derived secret.
import { describe, expect, it } from 'vitest';
import { Network } from '../src/sim/network.js';
import { Stack } from '../src/stack.js';
import { parseIpv4 } from '../src/wire/address.js';

function stackPair(seed: number, tcp: Record<string, unknown> = {}) {
  const net = new Network({ seed, pool: { memoryBytes: 8 * 1024 * 1024 } });
  const h1 = net.addHost('h1');
  const h2 = net.addHost('h2');
  net.link(h1, h2, { delay: '1ms' });
  const mk = (h: typeof h1, address: string) =>
    new Stack({ clock: net.clock, pool: h.pool, nics: h.ports, secret: h.secret, config: { interfaces: [{ address }], tcp } });
  return { net, h1, a: mk(h1, '10.0.0.1/24'), b: mk(h2, '10.0.0.2/24') };
}

describe('Stack ↔ TCP wiring', () => {
  it('stack_tcp_config_is_validated_and_names_the_key', () => {
    expect(() => stackPair(1, { bogus: 1 })).toThrow(/stack config "tcp".*bogus/);
    expect(() => stackPair(1, { delackTimeout: 600_000_000 })).toThrow(RangeError);
  });

  it('stack_secret_must_be_16_bytes', () => {
    const net = new Network({ seed: 1 });
    expect(() => new Stack({ clock: net.clock, secret: new Uint8Array(3) })).toThrow(/secret/);
  });

  it('sim_host_secret_makes_isns_reproducible_per_seed (RFC 6528 key from the seed)', () => {
    const isnOf = (seed: number): number => {
      const { net, a, b } = stackPair(seed);
      const l = b.tcp.createEndpoint();
      l.bind(0, 80);
      l.listen(1);
      const c = a.tcp.createEndpoint();
      c.connect(parseIpv4('10.0.0.2'), 80);
      net.runFor('50ms');
      expect(c.state).toBe('ESTABLISHED');
      return c.tcb.iss;
    };
    expect(isnOf(5)).toBe(isnOf(5));
    expect(isnOf(5)).not.toBe(isnOf(6));
  });
});
