/**
 * TCP counters (MIB) of one stack, with Linux names where Linux has the counter
 * (RFC 4022 TCP-MIB names as in /proc/net/snmp "Tcp:", and Linux "TcpExt:"
 * names from include/uapi/linux/snmp.h as `nstat` prints them without the prefix).
 *
 * Owns: the counter fields. Code increments them directly (`mib.InSegs++`):
 * plain numeric fields, no lookup by string on the hot path.
 * Must not: decide anything. Counters that Linux lacks are marked "(zerostack)".
 */
export class TcpMib {
  // --- RFC 4022 / Linux "Tcp:" ---
  /** Connections that went CLOSED → SYN-SENT (connect). */
  ActiveOpens = 0;
  /** Connections that went LISTEN → SYN-RECEIVED. */
  PassiveOpens = 0;
  /** SYN-SENT/SYN-RECEIVED → CLOSED, plus SYN-RECEIVED → LISTEN. */
  AttemptFails = 0;
  /** ESTABLISHED/CLOSE-WAIT → CLOSED by a reset (received or sent). */
  EstabResets = 0;
  /** Gauge: connections in ESTABLISHED or CLOSE-WAIT now. */
  CurrEstab = 0;
  /** Segments received (with a parseable header), including errors. */
  InSegs = 0;
  /** Segments sent, including retransmissions and RSTs (as Linux counts them; RFC 4022 excludes retransmissions). */
  OutSegs = 0;
  /** Segments retransmitted. */
  RetransSegs = 0;
  /** Segments received in error (bad checksum, malformed header). */
  InErrs = 0;
  /** Segments sent with RST. */
  OutRsts = 0;
  /** Segments with a bad checksum. */
  InCsumErrors = 0;

  // --- Linux "TcpExt:" ---
  /** Delayed ACKs sent by the delayed-ACK timer. */
  DelayedACKs = 0;
  /** Duplicate data received while an ACK was (apparently) lost: we re-ACK at once. */
  DelayedACKLost = 0;
  /** The delayed-ACK timer found the socket owned by a process (a simulated process inside a socket call, src/tcp/rx-path). */
  DelayedACKLocked = 0;
  /** Receive paths (src/tcp/rx-path, background/receive-path.md §2): segments the reader processed from the prequeue. */
  TCPPrequeued = 0;
  /** Bytes copied straight into the reader's buffer while it processed the prequeue. */
  TCPDirectCopyFromPrequeue = 0;
  /** Bytes copied straight to the reader from the backlog (always 0 here: the backlog is processed when the call returns). */
  TCPDirectCopyFromBacklog = 0;
  /** Segments queued to the backlog because a process owned the socket (zerostack; Linux BACKLOGGED). */
  TCPBacklogQueued = 0;
  /** Segments flushed from the prequeue through softirq processing because it outgrew the receive buffer. */
  TCPPrequeueDropped = 0;
  /** Segments the delayed-ACK timer had to process because the reader did not run in time. */
  TCPSchedulerFailed = 0;
  /** Accept queue full when a handshake completed. */
  ListenOverflows = 0;
  /** SYNs (or completing ACKs) dropped at a listener for any reason (includes overflows). */
  ListenDrops = 0;
  /** Fast retransmissions (RFC 5681 §3.2 step 2 / RFC 6582 partial ACK). */
  TCPFastRetrans = 0;
  /** Retransmission timeouts (any state, SYN/SYN-ACK included). */
  TCPTimeouts = 0;
  /** SYN and SYN-ACK retransmissions. */
  TCPSynRetrans = 0;
  /** Times NewReno fast recovery was entered. */
  TCPRenoRecovery = 0;
  /** Times RFC 6675 SACK-based loss recovery was entered. */
  TCPSackRecovery = 0;
  /** SACK blocks ignored as invalid (outside SND.UNA..SND.MAX, empty, or D-SACK below SND.UNA). */
  TCPSACKDiscard = 0;
  /** RFC 6675 NextSeg rule (4) rescue retransmissions. */
  TCPSackRescue = 0; // (zerostack)
  /** RTOs that cleared a non-empty SACK scoreboard (RFC 2018 §8: the receiver may have reneged). */
  TCPSackScoreboardResets = 0; // (zerostack)
  /** ACK TSecr samples refused because they predate the first retransmission after an RTO. */
  TCPRttStaleTsecr = 0; // (zerostack)
  /** Challenge ACKs sent (RFC 5961). */
  TCPChallengeACK = 0;
  /** SYNs in a synchronized state answered with a challenge ACK (RFC 5961 §4). */
  TCPSYNChallenge = 0;
  /** Challenge ACKs suppressed by the rate limit (RFC 5961 §7). */
  TCPACKSkippedChallenge = 0;
  /** Segments dropped by PAWS (RFC 7323 §5) in synchronized states. */
  PAWSEstab = 0;
  /** Segments dropped by PAWS in TIME-WAIT (Linux PAWSActive/PAWSTimewait family). */
  PAWSTimewait = 0;
  /** TIME-WAIT connections recycled by a new SYN (RFC 6191). */
  TWRecycled = 0;
  /** Connections that entered TIME-WAIT and ended there normally. */
  TW = 0;
  /** Data received after the user closed: connection reset. */
  TCPAbortOnData = 0;
  /** close() with unread data: RST sent (RFC 1122 §4.2.2.13). */
  TCPAbortOnClose = 0;
  /** Linger-0 abortive close. */
  TCPAbortOnLinger = 0;
  /** Connection dropped after retransmission/keepalive/SYN timeouts. */
  TCPAbortOnTimeout = 0;
  /** Segments queued out of order. */
  TCPOFOQueue = 0;
  /** Out-of-order segments dropped (queue bound). */
  TCPOFODrop = 0;
  /** Segments received with data beyond a zero window (dropped). */
  TCPZeroWindowDrop = 0;
  /** Zero-window probes sent (persist timer). */
  TCPWinProbe = 0;
  /** Keepalive probes sent. */
  TCPKeepAlive = 0;
  /** We advertised a zero window. */
  TCPToZeroWindowAdv = 0;
  /** We re-opened the window after advertising zero. */
  TCPFromZeroWindowAdv = 0;
  /** Pure ACKs received. */
  TCPPureAcks = 0;
  /** D-SACK blocks sent for old duplicates / out-of-order duplicates. */
  TCPDSACKOldSent = 0;
  TCPDSACKOfoSent = 0;
  /** Data segments sent that were not retransmissions. */
  TCPOrigDataSent = 0;
  /** Out-of-window segments answered with a duplicate ACK (RFC 9293 §3.10.7.4). */
  TCPOutOfWindowAcks = 0; // (zerostack) Linux only counts the rate-limited ones (TCPACKSkippedSeq)
  /** Segments dropped because the sequence number was unacceptable. */
  TCPSeqDrops = 0; // (zerostack)

  // --- zerostack: ACK decisions (issue D item 6) ---
  /** Data segments whose ACK was deferred (delayed-ACK timer armed or kept). */
  AckDelayed = 0;
  /** Immediate ACKs by reason. */
  ImmediateAckQuickack = 0; // TCP_QUICKACK
  ImmediateAckPolicy = 0; // policy 'off': every segment
  ImmediateAck2Mss = 0; // ≥ 2·RMSS unacknowledged (RFC 5681 §4.2)
  ImmediateAckOoo = 0; // out-of-order segment (RFC 5681 §4.2)
  ImmediateAckHoleFill = 0; // segment filled (part of) a hole (RFC 5681 §4.2)
  ImmediateAckWindowUpdate = 0; // window opened significantly (RFC 9293 §3.8.6.2.2)
  ImmediateAckPushSmall = 0; // a pushed short segment was read and the buffer drained (cleanup_rbuf, read-ack.ts)
  ImmediateAckOnRead = 0; // more than one rcv_mss unacknowledged when the reader finished (cleanup_rbuf, read-ack.ts)
  ImmediateAckFin = 0; // a FIN arrived (ACKed at once, RFC 9293 §3.10.7.4 eighth)
  ImmediateAckOutOfWindow = 0; // unacceptable segment (RFC 9293 §3.10.7.4 first)
  /** Our ACK rode on a data/FIN segment, cancelling a pending delayed ACK. */
  PiggybackedAcks = 0;

  // --- zerostack: robustness ---
  /** Headers that failed to parse (WireError). */
  InMalformed = 0;
  /** Segments with no connection or listener (answered with RST unless RST). */
  InNoSocket = 0;
  /** Segment or ACK not sent because the packet pool was empty (retried later). */
  OutNoBuffers = 0;
  /** Ipv4Output.output returned an error. */
  OutIpErrors = 0;
  /** Non-RST segments without TSopt on a timestamps connection, dropped (RFC 7323 §3.2). */
  TCPTSMissingDrops = 0;
  /** SYN+FIN segments dropped (config.dropSynFin). */
  InSynFinDrops = 0;

  // --- ECN (RFC 3168, src/tcp/ecn.ts); Linux TcpExt names where they exist ---
  /** Connections that negotiated ECN (RFC 3168 §6.1.1). */
  TCPECNEstab = 0; // (zerostack) FreeBSD ecn.handshake
  /** Segments that arrived CE-marked on an ECN connection. */
  TCPECNCe = 0; // (zerostack) FreeBSD ecn.ce
  /** ACKs with ECE that reduced cwnd (once per window, §6.1.2). */
  TCPECNReductions = 0; // (zerostack) FreeBSD ecn.ecn_cwr-ish: one per reaction
  /** ECE ACKs that caused no reduction (already reduced in this window). */
  TCPECNEceIgnored = 0; // (zerostack)

  /** A plain copy of every counter (for reports and tests). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of Object.keys(this)) out[k] = (this as unknown as Record<string, number>)[k]!;
    return out;
  }

  /** Zero every counter except the CurrEstab gauge. */
  reset(): void {
    const self = this as unknown as Record<string, number>;
    for (const k of Object.keys(this)) if (k !== 'CurrEstab') self[k] = 0;
  }
}
