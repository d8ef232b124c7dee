// `zerostack packetdrill`: per-script lines, the summary, --json, --pcap, and the exit status.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { register } from '../../src/cli/commands/packetdrill.js';
import { isPcapError, readPcap } from '../../src/link/pcap-file.js';

// The fixture expects zerostack's RFC receive window (65435 after 100 bytes read): run with --profile rfc.
const fixture = new URL('./fixtures/passive-open-close.pkt', import.meta.url).pathname;

async function cli(...args: string[]): Promise<{ out: string; code: number | undefined }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const program = new Command();
  program.exitOverride();
  register(program);
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'zerostack', 'packetdrill', ...args]);
  } finally {
    log.mockRestore();
  }
  const code = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out: lines.join('\n'), code };
}

function brokenCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
  const p = join(dir, 'broken.pkt');
  writeFileSync(p, readFileSync(fixture, 'utf8').replace('> F. 11:11(0) ack 101 win 65435', '> R. 11:11(0) ack 101 win 0'));
  return p;
}

describe('zerostack packetdrill', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('passing_script_prints_pass_and_a_summary_with_exit_0', async () => {
    const { out, code } = await cli('--profile', 'rfc', fixture);
    expect(out).toMatch(/^pass {8}.*passive-open-close\.pkt$/m);
    expect(out).toContain('strict: 1 passed, 0 failed, 0 unsupported of 1');
    expect(code).toBe(0);
  });

  it('failing_script_prints_the_first_mismatch_and_exits_1', async () => {
    const { out, code } = await cli('--profile', 'rfc', brokenCopy());
    expect(out).toMatch(/^fail {8}.*broken\.pkt$/m);
    expect(out).toContain('packet differs: flags: expected R., actual F.');
    expect(out).toContain('expected: 0.200000 (±0.010) > R. 11:11(0) ack 101 win 0');
    expect(out).toContain('actual:   0.200000 > F. 11:11(0) ack 101 win 65435');
    expect(code).toBe(1);
  });

  it('json_prints_one_object_with_summary_and_scripts', async () => {
    const { out, code } = await cli('--profile', 'rfc', '--json', '--portable', fixture, brokenCopy());
    const j = JSON.parse(out) as { summary: Record<string, unknown>; scripts: { path: string; verdict: string; firstMismatch: { message: string } | null }[] };
    expect(j.summary).toEqual({ total: 2, passed: 1, failed: 1, unsupported: 0, verdict: 'portable' });
    expect(j.scripts.map((s) => s.verdict)).toEqual(['pass', 'fail']);
    expect(j.scripts[0]!.firstMismatch).toBeNull();
    expect(j.scripts[1]!.firstMismatch!.message).toContain('flags: expected R., actual F.');
    expect(code).toBe(1);
  });

  it('pcap_writes_one_capture_per_script', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-pcap-'));
    await cli('--profile', 'rfc', '--pcap', dir, fixture);
    expect(readdirSync(dir)).toEqual(['passive-open-close.pcap']);
    const p = readPcap(new Uint8Array(readFileSync(join(dir, 'passive-open-close.pcap'))));
    expect(isPcapError(p)).toBe(false);
    // The 9 packets of the script, both directions (teardown closes only the listener: nothing sent).
    if (!isPcapError(p)) expect(p.records.length).toBe(9);
  });

  it('unsupported_script_is_reported_with_what', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-uns-'));
    const p = join(dir, 'ecn.pkt');
    writeFileSync(p, '0 `sysctl -w net.inet.tcp.ecn.enable=3`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    const { out, code } = await cli(p);
    expect(out).toMatch(/^unsupported .*ecn\.pkt: sysctl net\.inet\.tcp\.ecn\.enable=3/m);
    expect(code).toBe(0);
  });
});

describe('zerostack packetdrill --stats', () => {
  it('prints_per_directory_counts_and_grouped_causes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pd-stats-'));
    writeFileSync(join(dir, 'good.pkt'), readFileSync(fixture, 'utf8'));
    writeFileSync(join(dir, 'bad.pkt'), readFileSync(brokenCopy(), 'utf8'));
    const { out } = await cli('--profile', 'rfc', '--stats', dir);
    expect(out).toContain('strict: 1 passed, 1 failed, 0 unsupported of 2');
    expect(out).toMatch(/strict failures by cause:\n {5}1 × packet: packet differs: flags: expected R\., actual F\./);
  });
  it('profile_defaults_to_freebsd_and_rfc_selects_zerostacks_defaults', async () => {
    // After the handshake FreeBSD's buffer is rounded to 45 × 1460 (roundBuffersToMss): only the freebsd profile gives 65700.
    const dir = mkdtempSync(join(tmpdir(), 'pd-cli-'));
    const p = join(dir, 'rcvbuf.pkt');
    writeFileSync(
      p,
      `--tolerance_usecs=10000
 0 \`sysctl -w kern.ipc.maxsockbuf=2097152 net.inet.tcp.recvspace=65536\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 1:1(0) ack 1 win 65535
+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0
`,
    );
    const dflt = await cli(p);
    expect(dflt.out).toMatch(/^pass {8}/);
    expect(dflt.code).toBe(0);
    expect((await cli('--profile', 'freebsd', p)).code).toBe(0);
    const rfc = await cli('--profile', 'rfc', p);
    expect(rfc.code).toBe(1);
    expect(rfc.out).toContain('getsockopt(SO_RCVBUF) gave 65536, expected 65700');
    await expect(cli('--profile', 'linux', p)).rejects.toThrow(/--profile must be one of freebsd, rfc; got "linux"/);
  });
});
