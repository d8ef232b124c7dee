/**
 * Stack profiles for packetdrill runs: the TcpConfig a script's stack starts
 * from, before the script's own `sysctl -w` lines are applied.
 *
 *  - 'rfc': zerostack's defaults (the RFC behaviour, docs/tcp.md).
 *  - 'freebsd': the FreeBSD corpus (../shared/packetdrill) was recorded on
 *    FreeBSD; this profile turns on the FreeBSD local choices zerostack can
 *    reproduce as TcpConfig options (each legitimate under the RFCs; see the
 *    table in docs/packetdrill.md) and FreeBSD's default sysctl values.
 *
 * Owns: the profile names and their config. Must not: know the scripts.
 */
import { NS_PER_MS } from '../../time/clock.js';
import type { TcpConfig } from '../../tcp/config.js';

export const PROFILES = ['freebsd', 'rfc'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** FreeBSD 13/14 defaults and local choices, as TcpConfig keys. */
const FREEBSD: Partial<TcpConfig> = Object.freeze({
  // net.inet.tcp.recvspace / sendspace and kern.ipc.maxsockbuf defaults.
  rcvbuf: 65536,
  sndbuf: 32768,
  rcvbufMax: 2097152,
  sndbufMax: 2097152,
  // tcp_mss(): sb_hiwat rounded up to a multiple of the MSS after the handshake.
  roundBuffersToMss: true,
  // tcp_input(): rcv_wnd = imax(sbspace(&so->so_rcv), rcv_adv - rcv_nxt).
  acceptUpToBuffer: true,
  // net.inet.tcp.rexmit_slop (200 ms) added by TCPT_RANGESET; rexmit_min (TCPTV_MIN, 30 ms) as the floor.
  rtoSlop: 200 * NS_PER_MS,
  minRto: 30 * NS_PER_MS,
  // tcp_output(): TH_FIN resent with every segment while the FIN is unacknowledged.
  finWithEveryAck: true,
  // tcp_twcheck(): drop segments without ACK, ACK everything but a duplicate ACK.
  bsdTimeWait: true,
  // tcp_input(): an old duplicate is ACKed, then "keep on processing for RST or ACK".
  ackFromOldSegments: true,
  // tcp_input() on a listen socket: a SYN-ACK is dropped, not answered with a RST.
  listenDropSynAck: true,
  // tcp_drop(): ECONNRESET for a RST in CLOSE-WAIT too (zerostack's default is Linux's EPIPE).
  closeWaitRstEconnreset: true,
  // tcp_output(): recwin = free space unless < min(sb_hiwat/4, maxseg) (receiver SWS avoidance).
  bsdRcvWindow: true,
});

/** The starting TcpConfig (partial, merged over the defaults) of a profile. */
export function profileConfig(name: ProfileName): Partial<Record<keyof TcpConfig, unknown>> {
  switch (name) {
    case 'freebsd':
      return { ...FREEBSD };
    case 'rfc':
      return {};
    default:
      throw new RangeError(`packetdrill profile must be one of ${PROFILES.join(', ')}, got ${String(name)}`);
  }
}
