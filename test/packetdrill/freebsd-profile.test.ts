// The FreeBSD local choices zerostack can reproduce (TcpConfig options, default
// off) and the runner's 'freebsd' profile that turns them on for the corpus.
// Each rule is run twice as a packetdrill script: what FreeBSD does under the
// 'freebsd' profile, what zerostack's RFC default does under 'rfc'.
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/packetdrill/runner/runner.js';
import { profileConfig, type ProfileName } from '../../src/packetdrill/runner/profile.js';
import { resolveTcpConfig, DEFAULT_TCP_CONFIG } from '../../src/tcp/config.js';
import { NS_PER_MS } from '../../src/time/clock.js';

/** Active open to a peer without window scaling or timestamps (MSS 1460): the corpus's usual start. */
const connected = (sysctls = ''): string => `--tolerance_usecs=10000
 0 \`sysctl -w kern.ipc.maxsockbuf=2097152 net.inet.tcp.recvspace=65536 net.inet.tcp.sendspace=32768 ${sysctls}\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 1:1(0) ack 1 win 65535
`;

/** `connected()` then both sides close: TIME-WAIT at 0.3 s. */
const timeWait = (): string => `${connected()}+0.1 shutdown(3, SHUT_WR) = 0
+0 > F. 1:1(0) ack 1 win 65535
+0.1 < F. 1:1(0) ack 2 win 32767
+0 > . 2:2(0) ack 2 win 65535
`;

/**
 * Runs `text` under `profile` and expects a strict pass. The runner notices an
 * extra packet only when a later `>` line meets it ("packet early"), so a script
 * checking that nothing is sent ends with an event that makes the stack send.
 */
const passes = (text: string, profile: ProfileName): void => {
  const r = runScriptText(text, { file: `${profile}.pkt`, profile });
  expect(r.failures).toEqual([]);
  expect(r.strict).toBe('pass');
};

describe('freebsd profile: FreeBSD local choices as TcpConfig options', () => {
  it('tcp_mss_rounds_the_socket_buffers_up_to_a_multiple_of_the_mss_after_the_handshake (roundBuffersToMss)', () => {
    // FreeBSD tcp_mss(): roundup(65536, 1460) = 45 × 1460 = 65700; roundup(32768, 1460) = 23 × 1460.
    passes(`${connected()}+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [33580], [4]) = 0
`, 'freebsd');
    passes(`${connected()}+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_SNDBUF, [32768], [4]) = 0
`, 'rfc');
  });

  it('the_syn_reaching_syn_sent_rounds_the_buffers_too_and_the_active_syn_received_accepts_up_to_the_buffer', () => {
    // Simultaneous open: FreeBSD's SYN-RECEIVED reached from SYN-SENT is a full TCB (not the syncache).
    const simOpen = (tail: string): string => `--tolerance_usecs=10000
 0 \`sysctl -w kern.ipc.maxsockbuf=2097152 net.inet.tcp.recvspace=65536 net.inet.tcp.insecure_rst=1\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+0.1 < S 0:0(0) win 32767 <mss 1460,sackOK,eol,eol>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>
${tail}`;
    passes(simOpen(`+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0
+0.1 < R 65700:65700(0) win 32767
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
`), 'freebsd');
    passes(simOpen(`+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0
+0.1 < R 65700:65700(0) win 32767
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 close(3) = 0
`), 'rfc');
  });

  it('tcp_input_accepts_segments_up_to_the_free_buffer_beyond_the_advertised_edge (acceptUpToBuffer)', () => {
    // Advertised 65535 (no scaling) but the buffer is 65700: a RST at RCV.NXT + 65699 is in
    // FreeBSD's window (insecure_rst=1: any in-window RST resets); outside ours, so it is
    // dropped without reply (RFC 9293 §3.10.7.4: no ACK for an unacceptable RST).
    passes(`${connected('net.inet.tcp.insecure_rst=1')}+0.1 < R 65700:65700(0) win 32767
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
`, 'freebsd');
    passes(`${connected('net.inet.tcp.insecure_rst=1')}+0.1 < R 65700:65700(0) win 32767
+0.1 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
`, 'rfc');
  });

  it('tcpt_rangeset_adds_rexmit_slop_to_every_computed_rto_but_the_initial_one (rtoSlop)', () => {
    const syns = (second: string): string => `--tolerance_usecs=10000
 0 \`sysctl -w kern.ipc.maxsockbuf=2097152 net.inet.tcp.rexmit_slop=200\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+1 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 1100 ecr 0>
+${second} > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 3300 ecr 0>
+0 close(3) = 0
`;
    // The sysctl sets rtoSlop under either profile: the 2nd retransmission comes after 2·1 s + 200 ms.
    passes(syns('2.2'), 'freebsd');
    passes(syns('2.2'), 'rfc');
    // Without the sysctl, the rfc profile has no slop (RFC 6298 §5.5: plain doubling).
    passes(syns('2').replace(' net.inet.tcp.rexmit_slop=200', ''), 'rfc');
  });

  it('tcp_output_resends_the_unacknowledged_fin_with_the_ack_when_entering_closing (finWithEveryAck)', () => {
    const closing = (reply: string): string => `${connected()}+0.1 shutdown(3, SHUT_WR) = 0
+0 > F. 1:1(0) ack 1 win 65535
+0.1 < F. 1:1(0) ack 1 win 32767
+0 ${reply}
+0.1 < . 2:2(0) ack 2 win 32767
+0 close(3) = 0
`;
    passes(closing('> F. 1:1(0) ack 2 win 65535'), 'freebsd');
    passes(closing('> . 2:2(0) ack 2 win 65535'), 'rfc');
  });

  it('a_syn_on_a_synchronized_connection_gets_a_pure_ack_even_while_the_fin_is_outstanding (tcp_send_challenge_ack)', () => {
    // LAST-ACK; a SYN left of the window: FreeBSD answers with tcp_respond, never the FIN.
    const lastAck = `${connected()}+0.1 < F. 1:1(0) ack 1 win 32767
+0 > . 1:1(0) ack 2 win 65535
+0 shutdown(3, SHUT_WR) = 0
+0 > F. 1:1(0) ack 2 win 65535
+0.1 < S 1:1(0) win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 2:2(0) ack 2 win 65535
+0 < . 2:2(0) ack 2 win 32767
+0 close(3) = 0
`;
    passes(lastAck, 'freebsd');
    passes(lastAck, 'rfc');
  });

  it('tcp_twcheck_drops_a_segment_without_ack_in_time_wait_silently (bsdTimeWait)', () => {
    // A FIN without ACK, left of the window: FreeBSD drops it; RFC 9293 §3.10.7.4 ACKs an unacceptable segment.
    passes(`${timeWait()}+0.1 < F 1:1(0) ack 2 win 32767
+0.1 < . 1:1(0) ack 2 win 65535
+0 > . 2:2(0) ack 2 win 65535
+0 close(3) = 0
`, 'freebsd');
    passes(`${timeWait()}+0.1 < F 1:1(0) ack 2 win 32767
+0 > . 2:2(0) ack 2 win 65535
+0 close(3) = 0
`, 'rfc');
  });

  it('tcp_twcheck_acks_every_time_wait_segment_but_an_exact_duplicate_ack (bsdTimeWait)', () => {
    // An in-window pure ACK above RCV.NXT: FreeBSD answers it; RFC 9293 (acceptable, no text) does not.
    passes(`${timeWait()}+0.1 < . 3:3(0) ack 2 win 32767
+0 > . 2:2(0) ack 2 win 65535
+0.1 < . 2:2(0) ack 2 win 32767
+0 close(3) = 0
`, 'freebsd');
    // Nothing answers the ACK: the next packet out is the ACK of the retransmitted FIN, on time.
    const quiet = `${timeWait()}+0.1 < . 3:3(0) ack 2 win 32767
+0.1 < F. 1:1(0) ack 2 win 32767
+0 > . 2:2(0) ack 2 win 65535
+0 close(3) = 0
`;
    passes(quiet, 'rfc');
    expect(runScriptText(quiet, { file: 'freebsd.pkt', profile: 'freebsd' }).failures[0]?.message).toMatch(/packet early/);
  });

  it('tcp_twcheck_drops_an_old_syn_in_time_wait_instead_of_a_challenge_ack (bsdTimeWait, RFC 5961 §4 SHOULD)', () => {
    // A SYN at RCV.NXT (not above it, so it cannot reopen the connection).
    passes(`${timeWait()}+0.1 < S 2:2(0) win 32767 <mss 1460,sackOK,eol,eol>
+0.1 < . 1:1(0) ack 2 win 65535
+0 > . 2:2(0) ack 2 win 65535
+0 close(3) = 0
`, 'freebsd');
    passes(`${timeWait()}+0.1 < S 2:2(0) win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 2:2(0) ack 2 win 65535
+0 close(3) = 0
`, 'rfc');
  });

  it('tcp_input_processes_the_ack_of_an_entirely_old_segment (ackFromOldSegments)', () => {
    // Simultaneous close: in CLOSING the peer retransmits its FIN (left of RCV.NXT), now ACKing ours.
    // FreeBSD ACKs the duplicate and still takes the ACK: TIME-WAIT. RFC 9293 drops it whole: still CLOSING.
    const closing = (state: string, reply: string): string => `${connected()}+0.1 shutdown(3, SHUT_WR) = 0
+0 > F. 1:1(0) ack 1 win 65535
+0.1 < F. 1:1(0) ack 1 win 32767
+0 ${reply}
+0.1 < F. 1:1(0) ack 2 win 32767
+0 > . 2:2(0) ack 2 win 65535
+0.1 %{ assert tcpi_state == ${state} }%
`;
    passes(closing('TCPI_TIME_WAIT', '> F. 1:1(0) ack 2 win 65535'), 'freebsd');
    passes(closing('TCPI_CLOSING', '> . 2:2(0) ack 2 win 65535'), 'rfc');
  });

  it('tcp_noopt_sends_a_syn_without_any_option_not_even_mss (mssOption false)', () => {
    // FreeBSD TF_NOOPT; RFC 9293 §3.7.1 only SHOULD-sends the MSS option. Independent of the profile.
    const noopt = `--tolerance_usecs=10000
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_NOOPT, [1], 4) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535
+0.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 1:1(0) ack 1 win 65535
+0 close(3) = 0
+0 > F. 1:1(0) ack 1 win 65535
`;
    passes(noopt, 'freebsd');
    passes(noopt, 'rfc');
  });

  it('a_syn_ack_to_a_listener_is_dropped_without_a_reset (listenDropSynAck, RFC 9293 §3.10.7.2 should)', () => {
    const listener = (reply: string): string => `--tolerance_usecs=10000
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0.1 < S. 17:17(0) ack 34 win 32767
${reply}+1 < S 0:0(0) win 32767 <mss 1460>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>
+0 close(3) = 0
`;
    // FreeBSD: nothing until the SYN-ACK answering the real SYN (an early RST would be "unexpected").
    passes(listener(''), 'freebsd');
    passes(listener('+0 > R 34:34(0) win 0\n'), 'rfc');
  });

  it('rfc9293_3_10_7_4_rst_in_close_wait_reports_econnreset_under_closeWaitRstEconnreset_else_epipe', () => {
    const closeWait = (errno: string): string => `${connected()}+0.1 < F. 1:1(0) ack 1 win 32767
+0 > . 1:1(0) ack 2 win 65535
+0.1 < R 2:2(0) win 32767
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [${errno}], [4]) = 0
+0 close(3) = 0
`;
    passes(closeWait('ECONNRESET'), 'freebsd');
    passes(closeWait('EPIPE'), 'rfc');
  });

  it('tcp_output_offers_the_free_space_unless_below_a_quarter_buffer_and_mss (bsdRcvWindow)', () => {
    // 3 bytes arrive: FreeBSD offers min(free, 65535) = 65535 (the edge moves by 3); the RFC 9293
    // §3.8.6.2.2 receiver keeps the right edge (65532) until it can move by min(RCV.BUFF/2, MSS).
    const data = (win: number): string => `${connected()}+0.1 < P. 1:4(3) ack 1 win 32767
* > . 1:1(0) ack 4 win ${win}
+0 close(3) = 0
`;
    passes(data(65535), 'freebsd');
    passes(data(65532), 'rfc');
  });

  it('rexmit_drop_options_sends_the_syn_without_wscale_ts_sack_from_the_3rd_retransmission (synRetransmitDropOptions)', () => {
    const syns = (drop: string, fourth: string): string => `--tolerance_usecs=10000
 0 \`sysctl -w kern.ipc.maxsockbuf=2097152 net.inet.tcp.rexmit_slop=200 net.inet.tcp.rexmit_drop_options=${drop}\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+1 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 1100 ecr 0>
+2.2 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 3300 ecr 0>
+4.2 > S 0:0(0) win 65535 ${fourth}
+0 close(3) = 0
`;
    passes(syns('1', '<mss 1460>'), 'rfc');
    passes(syns('0', '<mss 1460,nop,wscale 6,sackOK,TS val 7500 ecr 0>'), 'rfc');
  });

  it('options_default_off_and_are_validated_by_name', () => {
    expect(DEFAULT_TCP_CONFIG.roundBuffersToMss).toBe(false);
    expect(DEFAULT_TCP_CONFIG.acceptUpToBuffer).toBe(false);
    expect(DEFAULT_TCP_CONFIG.rtoSlop).toBe(0);
    expect(DEFAULT_TCP_CONFIG.finWithEveryAck).toBe(false);
    expect(DEFAULT_TCP_CONFIG.bsdTimeWait).toBe(false);
    expect(DEFAULT_TCP_CONFIG.ackFromOldSegments).toBe(false);
    expect(DEFAULT_TCP_CONFIG.listenDropSynAck).toBe(false);
    expect(DEFAULT_TCP_CONFIG.closeWaitRstEconnreset).toBe(false);
    expect(DEFAULT_TCP_CONFIG.bsdRcvWindow).toBe(false);
    expect(DEFAULT_TCP_CONFIG.synRetransmitDropOptions).toBe(false);
    expect(() => resolveTcpConfig({ rtoSlop: -1 })).toThrow(/rtoSlop/);
    expect(() => resolveTcpConfig({ finWithEveryAck: 1 as unknown as boolean })).toThrow(/finWithEveryAck must be a boolean/);
    // The freebsd profile is a valid config; 'rfc' is the defaults.
    const bsd = resolveTcpConfig(profileConfig('freebsd') as never);
    expect(bsd.rtoSlop).toBe(200 * NS_PER_MS);
    expect(bsd.roundBuffersToMss && bsd.acceptUpToBuffer && bsd.finWithEveryAck && bsd.bsdTimeWait && bsd.ackFromOldSegments).toBe(true);
    expect(profileConfig('rfc')).toEqual({});
    expect(() => profileConfig('linux' as ProfileName)).toThrow(/profile must be one of freebsd, rfc, got linux/);
  });
});
