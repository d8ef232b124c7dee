// The packetdrill runner's own tests: every grammar feature it executes works
// end to end, and every kind of mismatch fails with a precise message (and is
// forgiven by the portable verdict only where that is a stack's local choice).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/packetdrill/runner/runner.js';
import { firstMismatch, type ScriptResult } from '../../src/packetdrill/runner/result.js';
import { readPcap, isPcapError } from '../../src/link/pcap-file.js';

const run = (text: string, opts: Parameters<typeof runScriptText>[1] = {}): ScriptResult => runScriptText(text, { file: 't.pkt', ...opts });

/** A listener at 8080 that completed a handshake; fd 4 is the accepted socket. */
const PASSIVE = `--tolerance_usecs=10000
 0 \`sysctl -w net.inet.tcp.recvspace=65536\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32767 <mss 1460,sackOK,eol,eol>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>
+0.1 < . 1:1(0) ack 1 win 32767
+0 accept(3, ..., ...) = 4
`;

/** An active open from fd 3 (non-blocking), established at 0.1 s. */
const ACTIVE = `--tolerance_usecs=10000
 0 \`sysctl -w net.inet.tcp.recvspace=65536 kern.ipc.maxsockbuf=2097152\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 1:1(0) ack 1 win 65535
`;

function only(r: ScriptResult) {
  const f = r.failures[0];
  expect(f, 'a failure was expected').toBeDefined();
  return f!;
}

describe('packetdrill runner: scripts that must pass', () => {
  it('passive_open_data_and_close_fixture_passes_both_verdicts', () => {
    const r = run(readFileSync(new URL('./fixtures/passive-open-close.pkt', import.meta.url), 'utf8'));
    expect(r.failures).toEqual([]);
    expect([r.strict, r.portable]).toEqual(['pass', 'pass']);
  });

  it('active_open_learns_the_stack_isn_and_maps_ack_fields (packetdrill run_packet.c)', () => {
    const r = run(`${ACTIVE}+0 write(3, ..., 100) = 100
+0 > P. 1:101(100) ack 1 win 65535
+0.1 < . 1:1(0) ack 101 win 32767
+0 %{ assert tcpi_state == TCPI_ESTABLISHED }%
+0 close(3) = 0
+0 > F. 101:101(0) ack 1 win 65535
`);
    expect(r.failures).toEqual([]);
    expect(r.strict).toBe('pass');
  });

  it('blocking_accept_with_t1_dots_t2_returns_when_the_handshake_completes', () => {
    const r = run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.2 accept(3, ..., ...) = 4
+0.1 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
+0.1 < . 1:1(0) ack 1 win 32767
`);
    expect(r.failures).toEqual([]);
  });

  it('blocking_accept_that_returns_at_the_wrong_time_fails_with_both_times', () => {
    const r = run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0...0.5 accept(3, ..., ...) = 4
+0.1 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
+0.1 < . 1:1(0) ack 1 win 32767
`);
    expect(only(r).message).toMatch(/blocking accept\(\) returned at 0\.200000 s, expected at 0\.500000 s/);
  });

  it('outbound_any_time_star_and_range_times_are_accepted', () => {
    const r = run(`${ACTIVE}+0 write(3, ..., 10) = 10
* > P. 1:11(10) ack 1 win 65535
+0 < . 1:1(0) ack 11 win 32767
+0 write(3, ..., 10) = 10
+0~+0.005 > P. 11:21(10) ack 1 win 65535
`);
    expect(r.failures).toEqual([]);
  });

  it('sockstat_and_tcpdrop_built_ins_count_and_drop_connections', () => {
    const r = run(`${PASSIVE}+0 \`sockstat -4 -P tcp -s -p 8080 | grep -c ESTABLISHED | grep 1\`
+0 \`sockstat -4 -P tcp -s | grep packetdril | grep -c LISTEN | grep 1\`
+0 \`sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1\`
`);
    expect(r.portable).toBe('fail');
    expect(only(r).message).toMatch(/0 socket\(s\) in TIME_WAIT, the script wants "1"/);
  });

  it('readv_and_writev_sum_their_iovecs', () => {
    const r = run(`${PASSIVE}+0 writev(4, [{iov_base=..., iov_len=5}, {iov_base=..., iov_len=7}], 2) = 12
+0 > P. 1:13(12) ack 1 win 65535
+0 < P. 1:21(20) ack 13 win 32767
+0 > . 13:13(0) ack 21 win 65535
+0 readv(4, [{iov_base=..., iov_len=15}, {iov_base=..., iov_len=15}], 2) = 20
`);
    // The stack's delayed-ACK policy may hold the ACK: only the writev/readv results matter here.
    const f = r.failures.find((x) => x.kind === 'syscall');
    expect(f).toBeUndefined();
  });
});

describe('packetdrill runner: each kind of mismatch fails precisely', () => {
  const close = (line: string): ScriptResult => run(`${PASSIVE}+0 close(4) = 0\n${line}\n`);

  it('wrong_flags', () => {
    const f = only(close('+0 > R. 1:1(0) ack 1 win 65535'));
    expect(f.kind).toBe('packet');
    expect(f.message).toContain('flags: expected R., actual F.');
    expect(f.expected).toContain('> R. 1:1(0) ack 1');
    expect(f.actual).toContain('> F. 1:1(0) ack 1');
    expect(f.portable).toBe(false);
  });

  it('wrong_seq', () => {
    expect(only(close('+0 > F. 5:5(0) ack 1 win 65535')).message).toContain('seq: expected 5, actual 1');
  });

  it('wrong_ack', () => {
    expect(only(close('+0 > F. 1:1(0) ack 9 win 65535')).message).toContain('ack: expected 9, actual 1');
  });

  it('wrong_win', () => {
    expect(only(close('+0 > F. 1:1(0) ack 1 win 1000')).message).toContain('win: expected 1000, actual 65535');
  });

  it('wrong_length', () => {
    expect(only(close('+0 > F. 1:11(10) ack 1 win 65535')).message).toContain('len: expected 10, actual 0');
  });

  it('wrong_option_value_fails_both_verdicts', () => {
    const r = run(`${PASSIVE}`.replace('> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>', '> S. 0:0(0) ack 1 win 65535 <mss 1400,sackOK,eol,eol>'));
    const f = only(r);
    expect(f.message).toContain('options: expected <mss 1400,sackOK,eol,eol>, actual <mss 1460,sackOK,eol,eol>');
    expect([r.strict, r.portable]).toEqual(['fail', 'fail']);
  });

  it('option_order_and_padding_only_fail_strict (portable: same kinds and values)', () => {
    const r = run(`${PASSIVE}`.replace('> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>', '> S. 0:0(0) ack 1 win 65535 <sackOK,nop,nop,mss 1460>'));
    expect(r.strict).toBe('fail');
    expect(r.portable).toBe('pass');
    expect(only(r).forgiven).toBe('option order/padding');
  });

  it('missing_option_kind_fails_portable_too', () => {
    const r = run(`${PASSIVE}`.replace('> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>', '> S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,nop,nop>'));
    expect(r.portable).toBe('fail');
  });

  it('timestamp_ecr_difference_is_a_timestamp_value (strict fails, portable forgives)', () => {
    const r = run(ACTIVE.replace('<mss 1460,sackOK,eol,eol>', '<mss 1460,nop,nop,sackOK,nop,nop,TS val 700 ecr 100>').replace('+0 > . 1:1(0) ack 1 win 65535', '+0 > . 1:1(0) ack 1 win 65535 <nop,nop,TS val 200 ecr 701>'));
    expect(r.strict).toBe('fail');
    expect(r.portable).toBe('pass');
    expect(only(r).message).toContain('ts: expected TS ecr 701, actual TS ecr 700');
  });

  it('inbound_ecr_without_an_outbound_mapping_fails (packetdrill: unable to find mapping)', () => {
    const r = run(ACTIVE.replace('<mss 1460,sackOK,eol,eol>', '<mss 1460,nop,nop,sackOK,nop,nop,TS val 700 ecr 12345>'));
    expect(only(r).message).toBe('unable to find mapping for timestamp ecr 12345');
  });

  it('packet_sent_before_its_window_is_early', () => {
    const f = only(close('+0.5 > F. 1:1(0) ack 1 win 65535'));
    expect(f.kind).toBe('timing');
    expect(f.message).toMatch(/packet early: sent at 0\.100000 s, expected at 0\.600000 s/);
  });

  it('packet_too_early_and_too_late_name_the_window', () => {
    // The FIN is retransmitted one RTO (300 ms after a 100 ms RTT sample) after it was sent at 0.1 s.
    const fin = (gap: string): ScriptResult => run(`${ACTIVE}+0 close(3) = 0
+0 > F. 1:1(0) ack 1 win 65535
${gap} > F. 1:1(0) ack 1 win 65535
`);
    const early = only(fin('+0.5'));
    expect(early.kind).toBe('timing');
    expect(early.message).toBe('packet early: sent at 0.400000 s, expected at 0.600000 s (window 0.590000..0.610000 s)');
    const late = only(fin('+0.2'));
    expect(late.message).toBe('packet late: sent at 0.400000 s, expected at 0.300000 s (window 0.290000..0.310000 s)');
  });

  it('missing_packet', () => {
    const f = only(run(`${PASSIVE}+0 > . 1:1(0) ack 1 win 65535\n`));
    expect(f.kind).toBe('missing');
    expect(f.message).toMatch(/expected packet not sent/);
    expect(f.expected).toContain('> . 1:1(0) ack 1 win 65535');
  });

  it('unexpected_packet_before_the_expected_one', () => {
    const f = only(close('+0.3 > R. 1:1(0) ack 1 win 0'));
    expect(f.kind).toBe('unexpected');
    expect(f.message).toMatch(/unexpected packet at 0\.100000 s before the expected one \(flags: expected R\., actual F\./);
  });

  it('syscall_return_value_mismatch', () => {
    const f = only(run(`${PASSIVE}+0 write(4, ..., 10) = 11\n`));
    expect(f.kind).toBe('syscall');
    expect(f.message).toBe('write() returned 10, expected 11');
  });

  it('syscall_errno_mismatch', () => {
    const f = only(run(`${PASSIVE}+0 read(4, ..., 10) = -1 ENOTCONN\n`.replace('accept(3, ..., ...) = 4', 'accept(3, ..., ...) = 4\n+0 fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0')));
    expect(f.message).toBe('read() failed with errno EAGAIN, expected ENOTCONN');
  });

  it('ewouldblock_is_eagain', () => {
    const r = run(`${PASSIVE}+0 fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n+0 read(4, ..., 10) = -1 EWOULDBLOCK (Resource temporarily unavailable)\n`);
    expect(r.failures).toEqual([]);
  });

  it('getsockopt_value_mismatch_and_so_rcvbuf_rounding', () => {
    const r1 = run(`${PASSIVE}+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n`);
    expect(only(r1).message).toBe('getsockopt(SO_ERROR) gave 0, expected ECONNRESET');
    const r2 = run(`${PASSIVE}+0 getsockopt(4, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0\n`);
    expect([r2.strict, r2.portable]).toEqual(['fail', 'pass']);
    expect(only(r2).forgiven).toBe('SO_RCVBUF rounding');
    const r3 = run(`${PASSIVE}+0 getsockopt(4, SOL_SOCKET, SO_RCVBUF, [1000000], [4]) = 0\n`);
    expect(r3.portable).toBe('fail');
  });

  it('tcp_info_assert_failure_names_the_value', () => {
    const f = only(run(`${PASSIVE}+0 %{ assert tcpi_state == TCPI_CLOSE_WAIT }%\n`));
    expect(f.kind).toBe('assert');
    expect(f.actual).toBe('tcpi_state = TCPI_ESTABLISHED');
  });

  it('tso_style_aggregation_matches_only_in_portable', () => {
    const r = run(`${PASSIVE}+0 write(4, ..., 2920) = 2920
+0 > P. 1:2921(2920) ack 1 win 65535
`);
    expect(r.strict).toBe('fail');
    expect(r.portable).toBe('pass');
    expect(only(r).forgiven).toBe('TSO-style aggregation');
  });
});

describe('packetdrill runner: unsupported is never a silent pass', () => {
  it('unknown_sysctl_is_unsupported', () => {
    const r = run(`${PASSIVE}+0 \`sysctl -w net.inet.tcp.nolocaltimewait=1\`\n`);
    expect([r.strict, r.portable]).toEqual(['unsupported', 'unsupported']);
    expect(r.unsupported).toBe('sysctl net.inet.tcp.nolocaltimewait=1');
  });

  it('unknown_shell_command_is_unsupported', () => {
    expect(run(`${PASSIVE}+0 \`ls /\`\n`).unsupported).toBe('command `ls /`');
  });

  it('python_beyond_simple_asserts_is_unsupported', () => {
    expect(run(`${PASSIVE}+0 %{ print(tcpi_rtt) }%\n`).unsupported).toMatch(/^Python in %\{ \}%/);
  });

  it('ipv6_scripts_are_unsupported', () => {
    expect(run(`--ip_version=ipv6\n${PASSIVE}`).unsupported).toMatch(/ip_version=ipv6/);
  });

  it('parse_errors_fail_with_file_line_column', () => {
    const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP = 3\n');
    expect(r.strict).toBe('fail');
    expect(only(r).message).toMatch(/^t\.pkt:1:\d+: expected/);
  });
});

describe('packetdrill runner: outputs', () => {
  it('pcap_capture_holds_every_packet_both_ways', () => {
    const r = run(PASSIVE, { pcap: true });
    const p = readPcap(r.pcap!);
    expect(isPcapError(p)).toBe(false);
    // SYN in, SYN-ACK out, ACK in, and the FIN of packetdrill's teardown close.
    if (!isPcapError(p)) expect(p.records.length).toBe(4);
  });

  it('verbose_trace_lists_events_and_packets', () => {
    const r = run(PASSIVE, { verbose: true });
    expect(r.log.some((l) => l.includes('outbound 0.000000 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>'))).toBe(true);
    expect(firstMismatch(r, 'strict')).toBeUndefined();
  });
});

describe('packetdrill runner: poll', () => {
  it('poll_reports_readable_when_data_arrives_and_times_out_otherwise', () => {
    const r = run(`${PASSIVE}+0 poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
+0...0.1 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+0.1 < P. 1:11(10) ack 1 win 32767
+0 read(4, ..., 100) = 10
+0...0.05 poll([{fd=4, events=POLLIN, revents=0}], 1, 50) = 0
`);
    expect(r.failures).toEqual([]);
  });

  it('poll_revents_mismatch_is_named', () => {
    const f = run(`${PASSIVE}+0 poll([{fd=4, events=POLLOUT, revents=POLLIN}], 1, 0) = 1\n`).failures[0];
    expect(f?.message).toBe('poll() revents of fd 4 is 0x4, expected 0x1');
  });
});

describe('packetdrill runner: more grammar the runner executes', () => {
  it('sockaddr_literals_choose_the_bound_port_and_inbound_packets_follow_it', () => {
    const r = run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, {sa_family=AF_INET, sin_port=htons(9090), sin_addr=inet_addr("192.168.0.1")}, 16) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
`);
    expect(r.failures).toEqual([]);
  });

  it('so_linger_struct_zero_makes_close_abortive', () => {
    const r = run(`${PASSIVE}+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 getsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, [8]) = 0
+0 close(4) = 0
+0 > R. 1:1(0) ack 1 win 0
`);
    expect(r.failures).toEqual([]);
  });

  it('outbound_sack_blocks_are_compared_in_the_peer_sequence_space', () => {
    const r = run(`${PASSIVE}+0 < . 1001:2001(1000) ack 1 win 32767
+0 > . 1:1(0) ack 1 win 65535 <nop,nop,sack 1001:2001>
`);
    expect(r.failures).toEqual([]);
    const wrong = run(`${PASSIVE}+0 < . 1001:2001(1000) ack 1 win 32767
+0 > . 1:1(0) ack 1 win 65535 <nop,nop,sack 1001:1501>
`);
    expect(only(wrong).message).toContain('options: expected <nop,nop,sack 1001:1501>, actual <nop,nop,sack 1001:2001>');
  });

  it('ecn_codepoint_is_checked_only_when_written', () => {
    const ok = run(`${PASSIVE}+0 close(4) = 0\n+0 > [noecn] F. 1:1(0) ack 1 win 65535\n`);
    expect(ok.failures).toEqual([]);
    const bad = run(`${PASSIVE}+0 close(4) = 0\n+0 > [ect0] F. 1:1(0) ack 1 win 65535\n`);
    expect(only(bad).message).toContain('ecn: expected ect0, actual noecn');
  });

  it('urgent_pointer_is_checked_when_written', () => {
    expect(only(run(`${PASSIVE}+0 close(4) = 0\n+0 > F. 1:1(0) ack 1 win 65535 urg 7\n`)).message).toContain('urg: expected 7, actual 0');
  });

  it('options_any_skips_the_option_check', () => {
    expect(run(PASSIVE.replace('> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>', '> S. 0:0(0) ack 1 win 65535 <...>')).failures).toEqual([]);
  });

  it('a_packet_written_without_options_must_carry_none', () => {
    const f = only(run(PASSIVE.replace('> S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>', '> S. 0:0(0) ack 1 win 65535')));
    expect(f.message).toContain('options: expected (none), actual <mss 1460,sackOK,eol,eol>');
    expect(f.portable).toBe(false);
  });

  it('absolute_times_and_spaced_relative_times', () => {
    const r = run(`${PASSIVE}0.5 close(4) = 0\n+ 0.00 > F. 1:1(0) ack 1 win 65535\n`);
    expect(r.failures).toEqual([]);
    expect(r.duration).toBeGreaterThanOrEqual(0.5);
  });
});

describe('packetdrill runner: commands before the first event', () => {
  it('a_leading_sockstat_assertion_runs_and_can_fail', () => {
    const r = run('0 `sysctl -w net.inet.tcp.recvspace=65536`\n+0 `sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1`\n+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n');
    expect(only(r).message).toMatch(/0 socket\(s\) in TIME_WAIT/);
  });
});

describe('packetdrill runner: timing options', () => {
  const tsScript = (ackVal: number): string => `--tolerance_usecs=10000
--tcp_ts_tick_usecs=1000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 9,sackOK,TS val 100 ecr 0>
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,nop,nop,sackOK,nop,nop,TS val 700 ecr 100>
+0 > . 1:1(0) ack 1 win 65535 <nop,nop,TS val ${ackVal} ecr 700>
`;

  it('tcp_ts_tick_usecs_checks_ts_val_against_elapsed_ticks', () => {
    expect(run(tsScript(200)).failures).toEqual([]); // 100 ms later at a 1 ms tick
    const r = run(tsScript(300));
    expect([r.strict, r.portable]).toEqual(['fail', 'pass']);
    expect(only(r).message).toMatch(/ts: expected TS val 300 \(±tolerance\), actual TS val \d+/);
    expect(only(r).forgiven).toBe('timestamp value');
  });

  it('tolerance_percent_widens_the_window_by_a_share_of_the_scripted_gap', () => {
    // The FIN is retransmitted at 0.4 s; the script says 0.35 s (gap 0.25 s).
    const script = (pct: string): string => `${ACTIVE.replace('--tolerance_usecs=10000', `--tolerance_usecs=10000\n${pct}`)}+0 close(3) = 0
+0 > F. 1:1(0) ack 1 win 65535
+0.25 > F. 1:1(0) ack 1 win 65535
`;
    expect(only(run(script(''))).kind).toBe('timing');
    expect(run(script('--tolerance_percent=25')).failures).toEqual([]);
  });

  it('the_tolerance_option_of_the_runner_overrides_the_script', () => {
    const text = `${ACTIVE}+0 close(3) = 0\n+0 > F. 1:1(0) ack 1 win 65535\n+0.25 > F. 1:1(0) ack 1 win 65535\n`;
    expect(run(text).strict).toBe('fail');
    expect(run(text, { toleranceUsecs: 60000 }).failures).toEqual([]);
  });
});

describe('packetdrill runner: blocking connect', () => {
  it('blocking_connect_returns_0_when_the_handshake_completes_at_t2', () => {
    const r = run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.1 connect(3, ..., ...) = 0
+0 > S 0:0(0) <...>
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460>
+0 > . 1:1(0) ack 1
`);
    expect(r.failures).toEqual([]);
  });

  it('blocking_connect_refused_returns_econnrefused', () => {
    const r = run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
+0 > S 0:0(0) <...>
+0.1 < R. 0:0(0) ack 1 win 0
`);
    expect(r.failures).toEqual([]);
  });

  it('a_blocking_call_without_t2_that_blocks_fails_naming_its_return_time', () => {
    const f = only(run(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = 0
`));
    expect(f.kind).toBe('timing');
    expect(f.message).toMatch(/^connect\(\) blocked until \d+\.\d+ s; without "\.\.\.t2" it must return by 0\.010000 s$/);
  });
});
