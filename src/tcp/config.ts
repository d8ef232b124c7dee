/**
 * TCP configuration: the stack-wide defaults (TcpConfig, validated once when a
 * TcpLayer is built) and the per-endpoint options (EndpointOptions, validated on
 * every setOption).
 *
 * Owns: every tunable of the TCP engine, its default, its unit and its valid
 * range. Durations are integer nanoseconds (the Clock's unit), sizes are bytes.
 * Must not: hold per-connection state or read the clock.
 *
 * Validation (CONVENTIONS "Errors", STYLE lesson 14): an unknown key is a
 * TypeError naming the key; a value of the wrong type or out of range is a
 * TypeError/RangeError naming the option and the value. Nothing is silently
 * clamped.
 *
 * Linux equivalents are named next to each option where one exists, so that
 * packetdrill `sysctl` lines can be mapped onto these keys.
 */
import { NS_PER_MS, NS_PER_S, type Nanos } from '../time/clock.js';

/** Names of the delayed-ACK policies delack.ts knows (issue F adds 'linux'). */
export type DelackPolicyName = string;

export interface TcpConfig {
  /** Maximum segment lifetime; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2). Default 30 s, so 2·MSL = 60 s = Linux TCP_TIMEWAIT_LEN. */
  readonly msl: Nanos;
  /** RFC 6298 §2.1 initial RTO (1 s; Linux TCP_TIMEOUT_INIT). Also the SYN/SYN-ACK base timeout. */
  readonly initialRto: Nanos;
  /** Lower bound of the RTO. Default 200 ms like Linux TCP_RTO_MIN; RFC 6298 §2.4's 1 s is available. */
  readonly minRto: Nanos;
  /** Upper bound of the RTO after backoff (RFC 6298 §2.5 allows ≥ 60 s; Linux TCP_RTO_MAX 120 s). */
  readonly maxRto: Nanos;
  /** RFC 6298 clock granularity G. */
  readonly rttGranularity: Nanos;
  /** Delayed-ACK timer (RFC 1122 §4.2.3.2: MUST be < 500 ms). Default 40 ms (Linux TCP_DELACK_MIN). */
  readonly delackTimeout: Nanos;
  /** Delayed-ACK policy: 'rfc' (default) or 'off' (every data segment ACKed at once). */
  readonly delackPolicy: DelackPolicyName;
  /** Offer/accept SACK-permitted (RFC 2018). Linux tcp_sack. Receiver SACK blocks; sender recovery per sackRecovery. */
  readonly sack: boolean;
  /** Send D-SACK blocks for duplicate segments (RFC 2883). Linux tcp_dsack (we default off). */
  readonly dsack: boolean;
  /**
   * Sender-side SACK loss recovery (RFC 6675) on connections that negotiated SACK:
   * SACK-based DupAcks, scoreboard, pipe, NextSeg. false = NewReno (RFC 6582) for
   * every connection (connections without SACK always use NewReno).
   */
  readonly sackRecovery: boolean;
  /** RFC 7323 timestamps (and PAWS). Linux tcp_timestamps. */
  readonly timestamps: boolean;
  /** RFC 7323 window scaling. Linux tcp_window_scaling. */
  readonly windowScaling: boolean;
  /**
   * ECN (RFC 3168): request it on active opens (SYN with ECE|CWR) and accept it
   * from a peer that asks. FreeBSD net.inet.tcp.ecn.enable=1, Linux tcp_ecn=1.
   */
  readonly ecn: boolean;
  /**
   * Accept ECN when a peer's SYN asks for it, without requesting it ourselves
   * (FreeBSD net.inet.tcp.ecn.enable=2, Linux tcp_ecn=2). Implied by `ecn`.
   */
  readonly ecnAccept: boolean;
  /**
   * SYN retransmissions that still carry ECE|CWR; later ones go without, in case
   * a middlebox drops ECN-setup SYNs (RFC 3168 §6.1.1.1; FreeBSD ecn.maxretries, default 1).
   */
  readonly ecnSynRetries: number;
  /** Initial congestion window in segments (RFC 6928 IW10). */
  readonly initialWindowSegments: number;
  /** Congestion controller name for cc/controller.ts ('newreno', 'cubic'). */
  readonly congestionControl: string;
  /** Default receive buffer (bytes): bounds in-order unread data and so the advertised window. */
  readonly rcvbuf: number;
  /** Default send buffer (bytes). */
  readonly sndbuf: number;
  /** Largest rcvbuf an endpoint may set (Linux rmem_max). */
  readonly rcvbufMax: number;
  /** Largest sndbuf an endpoint may set (Linux wmem_max). */
  readonly sndbufMax: number;
  /** Out-of-order queue bound in bytes (beyond it segments are dropped, TCPOFODrop). */
  readonly oooLimit: number;
  /** SYN retransmissions before connect fails with ETIMEDOUT (Linux tcp_syn_retries 6). */
  readonly synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries 5). */
  readonly synAckRetries: number;
  /** Data retransmissions (RTO expiries in a row) before the connection fails with ETIMEDOUT (Linux tcp_retries2 15). */
  readonly retries2: number;
  /** Default user timeout (RFC 5482 / Linux TCP_USER_TIMEOUT); 0 = none. */
  readonly userTimeout: Nanos;
  /** Connection-establishment limit for connect (FreeBSD keepinit); 0 = only synRetries applies. */
  readonly connectTimeout: Nanos;
  /** Upper bound of listen(backlog) (Linux somaxconn). */
  readonly backlogLimit: number;
  /** Half-open (SYN-RECEIVED) connections per listener (Linux tcp_max_syn_backlog). */
  readonly synQueueLimit: number;
  /** Ephemeral port range, inclusive (Linux ip_local_port_range 32768 60999). */
  readonly ephemeralLow: number;
  readonly ephemeralHigh: number;
  /**
   * RFC 5961 §7 challenge ACKs per second for the whole stack (Linux
   * tcp_challenge_ack_limit = 1000 before 6.0). We apply it as a fixed
   * one-second window without Linux's randomisation (that was added against a
   * side channel, CVE-2016-5696; determinism matters more here).
   */
  readonly challengeAckLimit: number;
  /** RFC 5961 mitigations (§3 RST, §4 SYN, §5 ACK validation) on/off. */
  readonly rfc5961: boolean;
  /**
   * Per-mitigation switches under `rfc5961` (all three must be on for a rule to
   * apply): §3 RST (exact-match RST, challenge ACK; FreeBSD insecure_rst=0) and
   * §4 SYN (challenge ACK; FreeBSD insecure_syn=0). Default on.
   */
  readonly rfc5961Rst: boolean;
  readonly rfc5961Syn: boolean;
  /** RFC 1337: ignore RST in TIME-WAIT (Linux tcp_rfc1337; we default on). */
  readonly rfc1337: boolean;
  /** Keepalive idle time, probe interval and probe count (RFC 1122 §4.2.3.6; Linux 7200 s / 75 s / 9). */
  readonly keepaliveIdle: Nanos;
  readonly keepaliveInterval: Nanos;
  readonly keepaliveCount: number;
  /** FIN-WAIT-2 timeout for orphaned connections (Linux tcp_fin_timeout 60 s). */
  readonly finTimeout: Nanos;
  /** When the accept queue is full at handshake completion: RST (true) or drop the ACK (false; Linux tcp_abort_on_overflow). */
  readonly abortOnOverflow: boolean;
  /** Drop segments with both SYN and FIN (FreeBSD net.inet.tcp.drop_synfin). */
  readonly dropSynFin: boolean;
  /** MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1: 536). */
  readonly defaultMss: number;
  /** Delay before retrying output after the packet pool ran dry. */
  readonly noBufferRetry: Nanos;
  // --- FreeBSD-compatible local choices (docs/tcp.md "FreeBSD profile"; all off/0 by default) ---
  /**
   * When the handshake completes, round the receive (and send) buffer up to a
   * multiple of the connection's MSS, capped by rcvbufMax/sndbufMax (FreeBSD
   * tcp_mss(): `roundup(sb_hiwat, mss)`); SO_RCVBUF/SO_SNDBUF then report the
   * rounded size. A buffer not larger than the MSS is left alone.
   */
  readonly roundBuffersToMss: boolean;
  /**
   * RCV.WND for the acceptability test and trimming is max(free receive buffer,
   * RCV.ADV − RCV.NXT) rather than RCV.ADV − RCV.NXT (FreeBSD tcp_input:
   * `rcv_wnd = imax(sbspace, rcv_adv − rcv_nxt)`): data that fits the buffer is
   * kept even beyond the advertised edge (RFC 9293 §3.8.6 lets a receiver accept
   * more than it offered; it never shrinks the window).
   */
  readonly acceptUpToBuffer: boolean;
  /** Added to every computed retransmission timeout (FreeBSD net.inet.tcp.rexmit_slop, 200 ms there). Default 0. */
  readonly rtoSlop: Nanos;
  /**
   * Every segment sent while our FIN is outstanding and no data is left to
   * send carries the FIN again (FreeBSD tcp_output: TH_FIN with TF_SENTFIN and
   * snd_nxt == snd_max → snd_nxt−−), e.g. the ACK of the peer's FIN in
   * simultaneous close is `F.`. A retransmission of sequence space already sent.
   */
  readonly finWithEveryAck: boolean;
  /**
   * TIME-WAIT as FreeBSD tcp_twcheck() (input.ts bsdTimeWait): a segment without
   * ACK is dropped silently, every other non-RST segment but an exact duplicate
   * ACK is answered with an ACK, in the window or not. Default: RFC 9293
   * §3.10.7.4 (ACK only unacceptable segments; RFC 5961 §4 challenge ACK for a SYN).
   */
  readonly bsdTimeWait: boolean;
  /**
   * An entirely old segment (SEG.SEQ+SEG.LEN ≤ RCV.NXT; not SYN, not RST) is
   * ACKed as RFC 9293 §3.10.7.4 says, and then its ACK field is still processed
   * (its text and FIN are dropped) instead of the whole segment: 4.4BSD/FreeBSD
   * tcp_input "keep on processing for RST or ACK". E.g. a retransmitted FIN that
   * acknowledges our FIN takes a CLOSING connection to TIME-WAIT.
   */
  readonly ackFromOldSegments: boolean;
  /**
   * A SYN-ACK arriving at a listener is dropped silently instead of answered
   * with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 §3.10.7.2 "should"; FreeBSD drops it).
   * Other ACK-bearing segments still get the RST.
   */
  readonly listenDropSynAck: boolean;
  /**
   * The error a RST in CLOSE-WAIT reports: false = EPIPE (Linux tcp_reset, the
   * default), true = ECONNRESET (FreeBSD tcp_drop; RFC 9293 §3.10.7.4: "Users
   * should also receive an unsolicited general 'connection reset' signal").
   */
  readonly closeWaitRstEconnreset: boolean;
  /**
   * Receiver SWS avoidance as FreeBSD tcp_output: every segment offers the free
   * receive space (never shrinking the window), except that a free space below
   * both RCV.BUFF/4 and the MSS keeps the old right edge. Default: RFC 9293
   * §3.8.6.2.2 (move the edge only by ≥ min(RCV.BUFF/2, MSS)). RFC 1122 §4.2.3.3
   * requires a receiver SWS algorithm (MUST-39) and suggests the RFC one.
   */
  readonly bsdRcvWindow: boolean;
  /** From the 3rd SYN retransmission on, offer no window scale, timestamps or SACK (FreeBSD net.inet.tcp.rexmit_drop_options=1). */
  readonly synRetransmitDropOptions: boolean;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = Object.freeze({
  msl: 30 * NS_PER_S,
  initialRto: 1 * NS_PER_S,
  minRto: 200 * NS_PER_MS,
  maxRto: 120 * NS_PER_S,
  rttGranularity: 1 * NS_PER_MS,
  delackTimeout: 40 * NS_PER_MS,
  delackPolicy: 'rfc',
  sack: true,
  dsack: false,
  sackRecovery: true,
  timestamps: true,
  windowScaling: true,
  ecn: false,
  ecnAccept: false,
  ecnSynRetries: 1,
  initialWindowSegments: 10,
  congestionControl: 'newreno',
  rcvbuf: 128 * 1024,
  sndbuf: 128 * 1024,
  rcvbufMax: 16 * 1024 * 1024,
  sndbufMax: 16 * 1024 * 1024,
  oooLimit: 256 * 1024,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  userTimeout: 0,
  connectTimeout: 0,
  backlogLimit: 4096,
  synQueueLimit: 1024,
  ephemeralLow: 32768,
  ephemeralHigh: 60999,
  challengeAckLimit: 1000,
  rfc5961: true,
  rfc5961Rst: true,
  rfc5961Syn: true,
  rfc1337: true,
  keepaliveIdle: 7200 * NS_PER_S,
  keepaliveInterval: 75 * NS_PER_S,
  keepaliveCount: 9,
  finTimeout: 60 * NS_PER_S,
  abortOnOverflow: false,
  dropSynFin: false,
  defaultMss: 536,
  noBufferRetry: 1 * NS_PER_MS,
  roundBuffersToMss: false,
  acceptUpToBuffer: false,
  rtoSlop: 0,
  finWithEveryAck: false,
  bsdTimeWait: false,
  ackFromOldSegments: false,
  listenDropSynAck: false,
  closeWaitRstEconnreset: false,
  bsdRcvWindow: false,
  synRetransmitDropOptions: false,
});

/** RFC 1122 §4.2.3.2: an ACK MUST NOT be delayed by 500 ms or more. */
export const DELACK_HARD_CAP: Nanos = 500 * NS_PER_MS;

/** Largest window shift (RFC 7323 §2.3). */
export const MAX_WSCALE = 14;

type Kind = 'bool' | 'int' | 'duration' | 'string';

/** What each key must hold: kind plus an inclusive range for numbers. */
const SCHEMA: { readonly [K in keyof TcpConfig]: readonly [Kind, number?, number?] } = {
  msl: ['duration', 1],
  initialRto: ['duration', 1],
  minRto: ['duration', 1],
  maxRto: ['duration', 1],
  rttGranularity: ['duration', 1],
  delackTimeout: ['duration', 1, DELACK_HARD_CAP - 1],
  delackPolicy: ['string'],
  sack: ['bool'],
  dsack: ['bool'],
  sackRecovery: ['bool'],
  timestamps: ['bool'],
  windowScaling: ['bool'],
  ecn: ['bool'],
  ecnAccept: ['bool'],
  ecnSynRetries: ['int', 0, 127],
  initialWindowSegments: ['int', 1, 1000],
  congestionControl: ['string'],
  rcvbuf: ['int', 2048, 1 << 30],
  sndbuf: ['int', 2048, 1 << 30],
  rcvbufMax: ['int', 2048, 1 << 30],
  sndbufMax: ['int', 2048, 1 << 30],
  oooLimit: ['int', 0, 1 << 30],
  synRetries: ['int', 0, 127],
  synAckRetries: ['int', 0, 127],
  retries2: ['int', 0, 255],
  userTimeout: ['duration', 0],
  connectTimeout: ['duration', 0],
  backlogLimit: ['int', 1, 1 << 20],
  synQueueLimit: ['int', 1, 1 << 20],
  ephemeralLow: ['int', 1, 65535],
  ephemeralHigh: ['int', 1, 65535],
  challengeAckLimit: ['int', 0, 1 << 30],
  rfc5961: ['bool'],
  rfc5961Rst: ['bool'],
  rfc5961Syn: ['bool'],
  rfc1337: ['bool'],
  keepaliveIdle: ['duration', 1],
  keepaliveInterval: ['duration', 1],
  keepaliveCount: ['int', 1, 127],
  finTimeout: ['duration', 1],
  abortOnOverflow: ['bool'],
  dropSynFin: ['bool'],
  defaultMss: ['int', 88, 65535],
  noBufferRetry: ['duration', 1],
  roundBuffersToMss: ['bool'],
  acceptUpToBuffer: ['bool'],
  rtoSlop: ['duration', 0, 60 * NS_PER_S],
  finWithEveryAck: ['bool'],
  bsdTimeWait: ['bool'],
  ackFromOldSegments: ['bool'],
  listenDropSynAck: ['bool'],
  closeWaitRstEconnreset: ['bool'],
  bsdRcvWindow: ['bool'],
  synRetransmitDropOptions: ['bool'],
};

const DELACK_POLICIES = new Set(['rfc', 'off']);
/** delack.ts registers further policy names here (issue F: 'linux'). */
export function registerDelackPolicyName(name: string): void {
  DELACK_POLICIES.add(name);
}

function checkValue(where: string, key: string, kind: Kind, min: number | undefined, max: number | undefined, v: unknown): void {
  switch (kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw new TypeError(`${where}.${key} must be a boolean, got ${String(v)}`);
      return;
    case 'string':
      if (typeof v !== 'string') throw new TypeError(`${where}.${key} must be a string, got ${String(v)}`);
      return;
    case 'int':
    case 'duration': {
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new TypeError(`${where}.${key} must be an integer${kind === 'duration' ? ' (ns)' : ''}, got ${String(v)}`);
      }
      if ((min !== undefined && v < min) || (max !== undefined && v > max)) {
        throw new RangeError(`${where}.${key} must be in [${min ?? '-∞'}, ${max ?? '∞'}], got ${v}`);
      }
    }
  }
}

/**
 * Merge `partial` over the defaults and validate. Throws TypeError for unknown
 * keys or wrong types, RangeError for values out of range or inconsistent.
 */
export function resolveTcpConfig(partial: Partial<TcpConfig> = {}): TcpConfig {
  if (partial === null || typeof partial !== 'object') throw new TypeError(`tcp config must be an object, got ${String(partial)}`);
  for (const key of Object.keys(partial)) {
    if (!(key in SCHEMA)) throw new TypeError(`tcp config: unknown option ${JSON.stringify(key)}`);
  }
  const merged = { ...DEFAULT_TCP_CONFIG, ...partial } as TcpConfig;
  for (const key of Object.keys(SCHEMA) as (keyof TcpConfig)[]) {
    const [kind, min, max] = SCHEMA[key];
    checkValue('tcp config', key, kind, min, max, merged[key]);
  }
  if (merged.minRto > merged.maxRto) throw new RangeError(`tcp config.minRto (${merged.minRto}) must not exceed maxRto (${merged.maxRto})`);
  if (merged.initialRto > merged.maxRto) throw new RangeError(`tcp config.initialRto (${merged.initialRto}) must not exceed maxRto (${merged.maxRto})`);
  if (merged.ephemeralLow > merged.ephemeralHigh) {
    throw new RangeError(`tcp config.ephemeralLow (${merged.ephemeralLow}) must not exceed ephemeralHigh (${merged.ephemeralHigh})`);
  }
  if (merged.rcvbuf > merged.rcvbufMax) throw new RangeError(`tcp config.rcvbuf (${merged.rcvbuf}) exceeds rcvbufMax (${merged.rcvbufMax})`);
  if (merged.sndbuf > merged.sndbufMax) throw new RangeError(`tcp config.sndbuf (${merged.sndbuf}) exceeds sndbufMax (${merged.sndbufMax})`);
  if (!DELACK_POLICIES.has(merged.delackPolicy)) {
    throw new RangeError(`tcp config.delackPolicy: unknown policy ${JSON.stringify(merged.delackPolicy)} (known: ${[...DELACK_POLICIES].join(', ')})`);
  }
  return Object.freeze(merged);
}

// ---------------------------------------------------------------------------
// Per-endpoint options (setOption/getOption)

export interface Linger {
  onoff: boolean;
  /** Seconds (as SO_LINGER). Only 0 changes behaviour here: abortive close (RST). */
  linger: number;
}

/**
 * The options one endpoint carries. Initialised from TcpConfig; changed through
 * Endpoint.setOption. Options marked "before connect" are ignored (EISCONN) once
 * the handshake started, as in Linux for the ones that affect the SYN.
 */
export interface EndpointOptions {
  /** TCP_NODELAY: disable Nagle (RFC 9293 §3.7.4). */
  nodelay: boolean;
  /** SO_KEEPALIVE and TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT. */
  keepalive: boolean;
  keepIdle: Nanos;
  keepIntvl: Nanos;
  keepCnt: number;
  /** SO_RCVBUF / SO_SNDBUF in bytes (no Linux doubling). rcvbuf bounds the window scale: set before connect/listen. */
  rcvbuf: number;
  sndbuf: number;
  /** SO_LINGER. */
  linger: Linger;
  /** TCP_MAXSEG: clamp on the MSS (advertised and used); 0 = from the route. Before connect. */
  maxseg: number;
  /** TCP_USER_TIMEOUT (ns); 0 = none. */
  userTimeout: Nanos;
  /** TCP_QUICKACK: while true, every data segment is ACKed at once. */
  quickack: boolean;
  /** Per-socket switches for the SYN options (before connect/listen). */
  sack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  /**
   * Send the MSS option on our SYN / SYN-ACK (default true). false is FreeBSD's
   * TCP_NOOPT (no options at all, with sack/timestamps/windowScaling off): the
   * peer then assumes 536 (RFC 9293 §3.7.1 only SHOULD-sends the option). Before connect/listen.
   */
  mssOption: boolean;
  /** Delayed-ACK policy name. */
  delack: DelackPolicyName;
  /** SO_REUSEADDR (bind rules in demux.ts). */
  reuseAddr: boolean;
  /** Connection-establishment time limit (FreeBSD TCP_KEEPINIT); 0 = none. */
  connectTimeout: Nanos;
}

export type EndpointOptionName = keyof EndpointOptions;

export function defaultEndpointOptions(c: TcpConfig): EndpointOptions {
  return {
    nodelay: false,
    keepalive: false,
    keepIdle: c.keepaliveIdle,
    keepIntvl: c.keepaliveInterval,
    keepCnt: c.keepaliveCount,
    rcvbuf: c.rcvbuf,
    sndbuf: c.sndbuf,
    linger: { onoff: false, linger: 0 },
    maxseg: 0,
    userTimeout: c.userTimeout,
    quickack: false,
    sack: c.sack,
    timestamps: c.timestamps,
    windowScaling: c.windowScaling,
    mssOption: true,
    delack: c.delackPolicy,
    reuseAddr: false,
    connectTimeout: c.connectTimeout,
  };
}

/**
 * Validate one option value against `c`. Throws TypeError/RangeError naming the
 * option and value. Returns the value to store (a copy for objects).
 */
export function validateEndpointOption<K extends EndpointOptionName>(c: TcpConfig, name: K, value: EndpointOptions[K]): EndpointOptions[K] {
  const where = 'tcp option';
  switch (name) {
    case 'nodelay':
    case 'keepalive':
    case 'quickack':
    case 'sack':
    case 'timestamps':
    case 'windowScaling':
    case 'mssOption':
    case 'reuseAddr':
      checkValue(where, name, 'bool', undefined, undefined, value);
      return value;
    case 'keepIdle':
    case 'keepIntvl':
      checkValue(where, name, 'duration', 1, undefined, value);
      return value;
    case 'userTimeout':
    case 'connectTimeout':
      checkValue(where, name, 'duration', 0, undefined, value);
      return value;
    case 'keepCnt':
      checkValue(where, name, 'int', 1, 127, value);
      return value;
    case 'rcvbuf':
      checkValue(where, name, 'int', 2048, c.rcvbufMax, value);
      return value;
    case 'sndbuf':
      checkValue(where, name, 'int', 2048, c.sndbufMax, value);
      return value;
    case 'maxseg':
      // Linux TCP_MAXSEG: 0 (route default) or 88..65535 (TCP_MIN_MSS).
      checkValue(where, name, 'int', 0, 65535, value);
      if ((value as number) !== 0 && (value as number) < 88) throw new RangeError(`${where}.maxseg must be 0 or in [88, 65535], got ${String(value)}`);
      return value;
    case 'delack':
      checkValue(where, name, 'string', undefined, undefined, value);
      if (!DELACK_POLICIES.has(value as string)) throw new RangeError(`${where}.delack: unknown policy ${JSON.stringify(value)}`);
      return value;
    case 'linger': {
      const l = value as Linger;
      if (l === null || typeof l !== 'object' || typeof l.onoff !== 'boolean' || !Number.isInteger(l.linger) || l.linger < 0) {
        throw new TypeError(`${where}.linger must be { onoff: boolean, linger: integer ≥ 0 }, got ${JSON.stringify(value)}`);
      }
      return { onoff: l.onoff, linger: l.linger } as EndpointOptions[K];
    }
    default:
      throw new TypeError(`${where}: unknown option ${JSON.stringify(name)}`);
  }
}
