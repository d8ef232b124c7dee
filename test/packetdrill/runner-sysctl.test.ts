// The sysctl table: every command the corpus runs maps to a stack option, a
// documented no-op, or "unsupported"; docs/packetdrill.md lists the same names.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSysctl, sysctlEffect, SYSCTL_TABLE } from '../../src/packetdrill/runner/sysctl.js';
import { runScriptText } from '../../src/packetdrill/runner/runner.js';
import { NS_PER_MS } from '../../src/time/clock.js';

describe('packetdrill sysctl table', () => {
  it('parses_sysctl_w_lines_with_one_or_more_assignments', () => {
    expect(parseSysctl('sysctl -w net.inet.tcp.rfc1323=1')).toEqual([{ name: 'net.inet.tcp.rfc1323', value: '1' }]);
    expect(parseSysctl('sysctl -w a=1 b=2')).toEqual([{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
    expect(parseSysctl('sysctl -d net.inet.tcp.rexmit_drop_options')).toBeNull();
    expect(parseSysctl('sockstat -4')).toBeNull();
  });

  it('maps_the_corpus_settings_onto_tcp_config', () => {
    expect(sysctlEffect('net.inet.tcp.rfc1323', '0')).toEqual({ kind: 'config', config: { timestamps: false, windowScaling: false } });
    expect(sysctlEffect('net.inet.tcp.sack.enable', '0')).toEqual({ kind: 'config', config: { sack: false } });
    expect(sysctlEffect('net.inet.tcp.recvspace', '65536')).toEqual({ kind: 'config', config: { rcvbuf: 65536 } });
    expect(sysctlEffect('net.inet.tcp.sendspace', '32768')).toEqual({ kind: 'config', config: { sndbuf: 32768 } });
    expect(sysctlEffect('kern.ipc.maxsockbuf', '4294967295')).toEqual({ kind: 'config', config: { rcvbufMax: 1 << 30, sndbufMax: 1 << 30 } });
    expect(sysctlEffect('net.inet.tcp.rexmit_initial', '1000')).toEqual({ kind: 'config', config: { initialRto: 1000 * NS_PER_MS } });
    expect(sysctlEffect('net.inet.tcp.rexmit_slop', '200')).toEqual({ kind: 'config', config: { rtoSlop: 200 * NS_PER_MS } });
    expect(sysctlEffect('net.inet.tcp.keepinit', '75000')).toEqual({ kind: 'config', config: { connectTimeout: 75000 * NS_PER_MS } });
    expect(sysctlEffect('net.inet.tcp.insecure_rst', '1')).toEqual({ kind: 'config', config: { rfc5961Rst: false } });
    expect(sysctlEffect('net.inet.tcp.insecure_syn', '0')).toEqual({ kind: 'config', config: { rfc5961Syn: true } });
    expect(sysctlEffect('net.inet.tcp.drop_synfin', '1')).toEqual({ kind: 'config', config: { dropSynFin: true } });
    // FreeBSD tcp_ecn.c: 0 off, 1 request and accept, 2 accept only.
    expect(sysctlEffect('net.inet.tcp.ecn.enable', '0')).toEqual({ kind: 'config', config: { ecn: false, ecnAccept: false } });
    expect(sysctlEffect('net.inet.tcp.ecn.enable', '1')).toEqual({ kind: 'config', config: { ecn: true, ecnAccept: false } });
    expect(sysctlEffect('net.inet.tcp.ecn.enable', '2')).toEqual({ kind: 'config', config: { ecn: false, ecnAccept: true } });
    expect(sysctlEffect('net.inet.tcp.ecn.maxretries', '0')).toEqual({ kind: 'config', config: { ecnSynRetries: 0 } });
    expect(sysctlEffect('net.inet.tcp.hostcache.purgenow', '1').kind).toBe('noop');
  });

  it('settings_the_stack_cannot_honour_are_unsupported_and_named', () => {
    expect(sysctlEffect('net.inet.tcp.ecn.enable', '3')).toEqual({ kind: 'unsupported', what: 'sysctl net.inet.tcp.ecn.enable=3' });
    expect(sysctlEffect('net.inet.tcp.ecn.maxretries', '-1').kind).toBe('unsupported');
    expect(sysctlEffect('net.inet.tcp.rexmit_drop_options', '1')).toEqual({ kind: 'config', config: { synRetransmitDropOptions: true } });
    expect(sysctlEffect('net.inet.tcp.rexmit_drop_options', '2').kind).toBe('unsupported');
    expect(sysctlEffect('net.inet.tcp.blackhole', '2').kind).toBe('unsupported');
    expect(sysctlEffect('net.inet.tcp.rfc1323', 'yes')).toEqual({ kind: 'unsupported', what: 'sysctl net.inet.tcp.rfc1323=yes' });
    expect(sysctlEffect('net.inet.tcp.nosuch', '1')).toEqual({ kind: 'unsupported', what: 'sysctl net.inet.tcp.nosuch=1' });
  });

  it('every_sysctl_the_corpus_uses_is_in_the_table', () => {
    const names = ['net.inet.tcp.rfc1323', 'net.inet.tcp.sack.enable', 'net.inet.tcp.ecn.enable', 'net.inet.tcp.ecn.maxretries', 'net.inet.tcp.blackhole',
      'net.inet.tcp.hostcache.purgenow', 'kern.ipc.maxsockbuf', 'net.inet.tcp.recvspace', 'net.inet.tcp.sendspace', 'net.inet.tcp.insecure_rst',
      'net.inet.tcp.insecure_syn', 'net.inet.tcp.rexmit_initial', 'net.inet.tcp.rexmit_slop', 'net.inet.tcp.rexmit_drop_options', 'net.inet.tcp.drop_synfin',
      'net.inet.tcp.keepinit', 'net.inet.tcp.syncookies', 'net.inet.tcp.syncookies_only', 'net.inet.tcp.tolerate_missing_ts'];
    for (const n of names) expect(SYSCTL_TABLE[n], n).toBeDefined();
  });

  it('docs_list_every_sysctl_of_the_table', () => {
    const doc = readFileSync(new URL('../../docs/packetdrill.md', import.meta.url), 'utf8');
    for (const n of Object.keys(SYSCTL_TABLE)) expect(doc, n).toContain(`\`${n}\``);
  });

  it('leading_sysctls_configure_the_stack_the_script_runs_on', () => {
    // rfc1323=0 and sack.enable=0: the SYN carries only the MSS option.
    const r = runScriptText(`--tolerance_usecs=10000
 0 \`sysctl -w net.inet.tcp.rfc1323=0\`
+0 \`sysctl -w net.inet.tcp.sack.enable=0\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS
+0 > S 0:0(0) win 65535 <mss 1460>
`);
    expect(r.failures).toEqual([]);
  });

  it('a_later_sysctl_reconfigures_new_endpoints', () => {
    const r = runScriptText(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 \`sysctl -w net.inet.tcp.rfc1323=0 net.inet.tcp.sack.enable=0\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(4, ..., ...) = -1 EINPROGRESS
+0 > S 0:0(0) win 65535 <mss 1460>
`);
    expect(r.failures).toEqual([]);
  });
});
