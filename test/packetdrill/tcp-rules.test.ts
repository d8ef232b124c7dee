// TCP behaviours fixed or made switchable while running the FreeBSD corpus,
// each checked as a packetdrill script (the runner plays the peer).
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/packetdrill/runner/runner.js';

const established = (sysctls: string): string => `--tolerance_usecs=10000
 0 \`sysctl -w net.inet.tcp.recvspace=65536 ${sysctls}\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32767 <mss 1460,sackOK,eol,eol>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>
+0.1 < . 1:1(0) ack 1 win 32767
+0 accept(3, ..., ...) = 4
+0 fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK) = 0
`;

const ok = (text: string): void => {
  const r = runScriptText(text, { file: 'rule.pkt' });
  expect(r.failures).toEqual([]);
};

describe('TCP rules checked with the packetdrill runner', () => {
  it('rfc9293_3_8_6_2_2_a_received_fin_does_not_shrink_the_offered_window', () => {
    // The FIN takes a sequence number but no buffer: the ACK of it still offers 65535.
    ok(`${established('')}+0.1 < F. 1:1(0) ack 1 win 32767
+0 > . 1:1(0) ack 2 win 65535
`);
  });

  it('rfc5961_3_2_in_window_rst_that_is_not_exact_gets_a_challenge_ack (insecure_rst=0)', () => {
    ok(`${established('net.inet.tcp.insecure_rst=0')}+0.1 < R 100:100(0) win 32767
+0 > . 1:1(0) ack 1 win 65535
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
`);
  });

  it('rfc793_in_window_rst_resets_when_rfc5961_rst_is_off (insecure_rst=1)', () => {
    ok(`${established('net.inet.tcp.insecure_rst=1')}+0.1 < R 100:100(0) win 32767
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
`);
  });

  it('rfc5961_4_2_syn_in_established_gets_a_challenge_ack (insecure_syn=0)', () => {
    ok(`${established('net.inet.tcp.insecure_syn=0')}+0.1 < S 100:100(0) win 32767 <mss 1460>
+0 > . 1:1(0) ack 1 win 65535
`);
  });

  it('rfc793_in_window_syn_resets_when_rfc5961_syn_is_off (insecure_syn=1)', () => {
    ok(`${established('net.inet.tcp.insecure_syn=1')}+0.1 < S 100:100(0) win 32767 <mss 1460>
+0 > R. 1:1(0) ack 1 win 0
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
`);
  });

  it('rfc9293_3_10_7_4_rst_in_last_ack_closes_and_reports_econnreset_to_the_open_socket', () => {
    ok(`${established('')}+0.1 < F. 1:1(0) ack 1 win 32767
+0 > . 1:1(0) ack 2 win 65535
+0 shutdown(4, SHUT_WR) = 0
+0 > F. 1:1(0) ack 2 win 65535
+0.1 < R 2:2(0) win 32767
+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
+0 %{ assert tcpi_state == TCPI_CLOSED }%
`);
  });

  it('rfc9293_3_10_7_3_text_of_a_syn_received_in_syn_sent_is_queued_until_established', () => {
    ok(`--tolerance_usecs=10000
 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS
+0 > S 0:0(0) win 65535 <...>
+0.1 < S 0:3(3) win 32767 <mss 1460,sackOK,eol,eol>
+0 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,eol,eol>
+0 read(3, ..., 100) = -1 EAGAIN
+0.1 < . 4:4(0) ack 1 win 32767
+0 read(3, ..., 100) = 3
+0 close(3) = 0
+0 > F. 1:1(0) ack 4 win 65535
`);
  });
});

