/**
 * The networking subcommands' link options: every bad value is refused before a
 * device is opened, with a message naming the option and the value; open
 * failures become messages that say what is missing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explainTapError, LinkOpenError } from '../../src/cli/net/host.js';
import { hostPort, hostSpecFrom, UsageError } from '../../src/cli/net/link-args.js';
import { parseHttpUrl } from '../../src/cli/commands/get.js';
import { NativeAddonError } from '../../src/link/native-loader.js';

describe('hostSpecFrom: link option validation', () => {
  it('accepts a TAP link with address, gateway, MTU and capture', () => {
    expect(hostSpecFrom({ tap: 'zs0', addr: '10.7.0.2/24', gw: '10.7.0.1', mtu: '9000', pcap: '/tmp/x.pcap' })).toEqual({
      link: { kind: 'tap', name: 'zs0', offload: true },
      addr: '10.7.0.2/24',
      gateway: '10.7.0.1',
      mtu: 9000,
      pcap: '/tmp/x.pcap',
    });
  });

  it('--no-offload turns the TAP offloads off (commander passes offload: false)', () => {
    expect(hostSpecFrom({ tap: 'zs0', addr: '10.7.0.2/24', offload: false }).link).toEqual({ kind: 'tap', name: 'zs0', offload: false });
  });

  it('parses --udp, --qemu-dgram and --qemu-stream endpoints', () => {
    expect(hostSpecFrom({ udp: '127.0.0.1:4000,127.0.0.1:4001', addr: '10.9.0.2/24' }).link).toEqual({
      kind: 'udp',
      udp: { local: { address: '127.0.0.1', port: 4000 }, remote: { address: '127.0.0.1', port: 4001 } },
    });
    expect(hostSpecFrom({ qemuDgram: '127.0.0.1:5000,127.0.0.1:5001', addr: '10.9.0.2/24' }).link.kind).toBe('qemu-dgram');
    expect(hostSpecFrom({ qemuStream: 'listen:127.0.0.1:5555', addr: '10.9.0.2/24' }).link).toEqual({
      kind: 'qemu-stream',
      mode: 'listen',
      address: { host: '127.0.0.1', port: 5555 },
    });
    expect(hostSpecFrom({ qemuStream: 'connect:unix:/tmp/q.sock', addr: '10.9.0.2/24' }).link).toEqual({
      kind: 'qemu-stream',
      mode: 'connect',
      address: { path: '/tmp/q.sock' },
    });
  });

  const bad: [string, Parameters<typeof hostSpecFrom>[0], RegExp][] = [
    ['no link', { addr: '10.0.0.2/24' }, /name a link: --tap NAME/],
    ['two links', { tap: 'a', udp: '1.2.3.4:1,1.2.3.4:2', addr: '10.0.0.2/24' }, /give one link, not --tap and --udp/],
    ['a TAP name of 16 characters', { tap: 'abcdefghijklmnop', addr: '10.0.0.2/24' }, /--tap: a device name has 1\.\.15 characters.*"abcdefghijklmnop"/],
    ['no --addr', { tap: 'zs0' }, /--addr is required/],
    ['a prefix of 33', { tap: 'zs0', addr: '10.0.0.2/33' }, /--addr: expected an IPv4 address with a prefix length 1\.\.32.*"10\.0\.0\.2\/33"/],
    ['no prefix', { tap: 'zs0', addr: '10.0.0.2' }, /--addr: .*"10\.0\.0\.2"/],
    ['a bad octet', { tap: 'zs0', addr: '10.0.0.256/24' }, /--addr: .*"10\.0\.0\.256\/24"/],
    ['prefix 0', { tap: 'zs0', addr: '10.0.0.2/0' }, /--addr: a prefix length of 0/],
    ['an MTU of 67', { tap: 'zs0', addr: '10.0.0.2/24', mtu: '67' }, /--mtu: expected an integer in 68\.\.65521, got "67"/],
    ['a gateway off the network', { tap: 'zs0', addr: '10.0.0.2/24', gw: '10.0.1.1' }, /--gw: 10\.0\.1\.1 is not on the link's network 10\.0\.0\.2\/24/],
    ['a gateway that is no address', { tap: 'zs0', addr: '10.0.0.2/24', gw: 'router' }, /--gw: expected an IPv4 address, got "router"/],
    ['a UDP port of 0', { udp: '127.0.0.1:0,127.0.0.1:1', addr: '10.0.0.2/24' }, /--udp: expected IPv4:PORT.*"127\.0\.0\.1:0"/],
    ['one UDP endpoint', { udp: '127.0.0.1:5', addr: '10.0.0.2/24' }, /--udp: expected LOCALIP:PORT,REMOTEIP:PORT/],
    ['a stream mode typo', { qemuStream: 'dial:127.0.0.1:5', addr: '10.0.0.2/24' }, /--qemu-stream: expected connect:HOST:PORT/],
  ];
  for (const [what, opts, msg] of bad) {
    it(`rejects ${what} with a UsageError naming the option`, () => {
      expect(() => hostSpecFrom(opts)).toThrow(UsageError);
      expect(() => hostSpecFrom(opts)).toThrow(msg);
    });
  }

  it('HOST:PORT and URLs need IPv4 literals (no DNS on zerostack)', () => {
    expect(hostPort('send', '10.1.2.3:80')).toEqual({ host: '10.1.2.3', port: 80 });
    expect(() => hostPort('send', 'example.com:80')).toThrow(/send: expected IPv4:PORT/);
    expect(parseHttpUrl('http://10.1.2.3:8080/a?b=1')).toEqual({ host: '10.1.2.3', port: 8080, path: '/a?b=1' });
    expect(parseHttpUrl('http://10.1.2.3/')).toEqual({ host: '10.1.2.3', port: 80, path: '/' });
    expect(() => parseHttpUrl('https://10.1.2.3/')).toThrow(/only http:\/\/ URLs/);
    expect(() => parseHttpUrl('http://example.com/')).toThrow(/must be an IPv4 address \(zerostack has no DNS resolver\)/);
    expect(() => parseHttpUrl('not a url')).toThrow(/not a URL/);
  });
});

describe('explainTapError: open failures say what to do', () => {
  const sys = (code: string): Error => Object.assign(new Error(`ioctl(TUNSETIFF) /dev/net/tun: ${code}`), { code });

  it('no permission names root/CAP_NET_ADMIN and the ip tuntap alternative', () => {
    const e = explainTapError('zs0', sys('EPERM'));
    expect(e).toBeInstanceOf(LinkOpenError);
    expect((e as LinkOpenError).code).toBe('EPERM');
    expect(e.message).toMatch(/no permission to open TAP device "zs0".*CAP_NET_ADMIN.*ip tuntap add dev zs0 mode tap user/);
  });

  it('a device held by another process is "busy"', () => {
    expect(explainTapError('zs0', sys('EBUSY')).message).toMatch(/^TAP device "zs0" is busy: another process has it open/);
  });

  it('a missing /dev/net/tun says to load the tun module', () => {
    expect(explainTapError('zs0', sys('ENOENT')).message).toMatch(/\/dev\/net\/tun is unavailable.*modprobe tun/);
  });

  it('an addon that is not built keeps the build instructions', () => {
    const e = explainTapError('zs0', new NativeAddonError('TAP support needs the native addon: run `npm run build:native`'));
    expect((e as LinkOpenError).code).toBe('ERR_ZEROSTACK_NATIVE_ADDON');
    expect(e.message).toMatch(/npm run build:native/);
  });

  it('other errors pass through unchanged', () => {
    const other = new RangeError('x');
    expect(explainTapError('zs0', other)).toBe(other);
  });
});

describe('zerostack up with a bad option', () => {
  it('prints one line naming the option and exits 2, opening nothing', () => {
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'up', '--tap', 'zsnever0', '--addr', '10.0.0.2/33'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('zerostack up: --addr: expected an IPv4 address with a prefix length 1..32 (a.b.c.d/n), got "10.0.0.2/33"');
    expect(r.stdout).toBe('');
  });

  it('--http-root must name a directory (exit 2, before any device is opened)', () => {
    const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'up', '--tap', 'zsnever0', '--addr', '10.0.0.2/24', '--http', '80', '--http-root', '/nonexistent-zs'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('zerostack up: --http-root: not a directory: "/nonexistent-zs"');
  });
});
