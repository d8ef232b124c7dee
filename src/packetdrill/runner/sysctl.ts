/**
 * The corpus's FreeBSD `sysctl -w name=value` commands mapped onto zerostack's
 * TcpConfig (src/tcp/config.ts). Each entry says what a value becomes; a name
 * or value we cannot honour is `unsupported`, which makes the script report
 * "unsupported: <what>" rather than run with a setting it did not ask for.
 * docs/packetdrill.md carries the same table for readers.
 *
 * Owns: the table and the parse of one sysctl command line. Must not: touch a
 * stack (the runner applies the result).
 */
import type { TcpConfig } from '../../tcp/config.js';
import { NS_PER_MS } from '../../time/clock.js';

/** What one sysctl assignment does to the stack. */
export type SysctlEffect =
  /** Set these TcpConfig keys. */
  | { readonly kind: 'config'; readonly config: Partial<Record<keyof TcpConfig, unknown>> }
  /** Nothing to do here; `why` says why that is equivalent. */
  | { readonly kind: 'noop'; readonly why: string }
  | { readonly kind: 'unsupported'; readonly what: string };

export interface SysctlRule {
  /** FreeBSD's meaning, for the documentation table. */
  readonly meaning: string;
  /** What zerostack does with it, for the documentation table. */
  readonly maps: string;
  readonly apply: (value: string) => SysctlEffect;
}

const unsupported = (what: string): SysctlEffect => ({ kind: 'unsupported', what });
const config = (c: Partial<Record<keyof TcpConfig, unknown>>): SysctlEffect => ({ kind: 'config', config: c });

function int(v: string): number {
  return /^-?\d+$/.test(v) ? Number(v) : NaN;
}

/** A 0/1 switch: `on`/`off` give the effect of each value; anything else is unsupported. */
function flag(name: string, on: SysctlEffect, off: SysctlEffect): (v: string) => SysctlEffect {
  return (v) => (v === '1' ? on : v === '0' ? off : unsupported(`sysctl ${name}=${v}`));
}

/** Bytes for a socket buffer: FreeBSD accepts any size; our TcpConfig needs ≥ 2048. */
function bytes(name: string, key: keyof TcpConfig, min = 2048): (v: string) => SysctlEffect {
  return (v) => {
    const n = int(v);
    return Number.isSafeInteger(n) && n >= min && n <= 1 << 30 ? config({ [key]: n }) : unsupported(`sysctl ${name}=${v}`);
  };
}

export const SYSCTL_TABLE: Readonly<Record<string, SysctlRule>> = {
  'net.inet.tcp.rfc1323': {
    meaning: 'RFC 1323/7323 window scaling and timestamps',
    maps: 'timestamps, windowScaling (both on or both off)',
    apply: flag('net.inet.tcp.rfc1323', config({ timestamps: true, windowScaling: true }), config({ timestamps: false, windowScaling: false })),
  },
  'net.inet.tcp.sack.enable': {
    meaning: 'RFC 2018 SACK',
    maps: 'sack',
    apply: flag('net.inet.tcp.sack.enable', config({ sack: true }), config({ sack: false })),
  },
  'net.inet.tcp.ecn.enable': {
    meaning: 'ECN: 0 off, 1 request and accept, 2 accept only when the peer requests',
    maps: '0 → ecn false, ecnAccept false; 1 → ecn true (request and accept); 2 → ecn false, ecnAccept true (accept only); others unsupported',
    apply: (v) =>
      v === '0'
        ? config({ ecn: false, ecnAccept: false })
        : v === '1'
          ? config({ ecn: true, ecnAccept: false })
          : v === '2'
            ? config({ ecn: false, ecnAccept: true })
            : unsupported(`sysctl net.inet.tcp.ecn.enable=${v}`),
  },
  'net.inet.tcp.ecn.maxretries': {
    meaning: 'SYN retransmissions that keep ECE/CWR',
    maps: 'ecnSynRetries (0–127)',
    apply: (v) => {
      const n = int(v);
      return Number.isSafeInteger(n) && n >= 0 && n <= 127 ? config({ ecnSynRetries: n }) : unsupported(`sysctl net.inet.tcp.ecn.maxretries=${v}`);
    },
  },
  'net.inet.tcp.blackhole': {
    meaning: 'do not answer segments to closed ports with RST',
    maps: '0 → nothing to do (we always answer with RST); other values unsupported',
    apply: (v) => (v === '0' ? { kind: 'noop', why: 'RST for closed ports is the only behaviour' } : unsupported(`sysctl net.inet.tcp.blackhole=${v}`)),
  },
  'net.inet.tcp.hostcache.purgenow': {
    meaning: 'flush the TCP host cache (cached RTT, MSS, ssthresh per peer)',
    maps: 'nothing to do: zerostack has no host cache, and every script runs on a fresh stack',
    apply: () => ({ kind: 'noop', why: 'no host cache; each script gets a fresh stack' }),
  },
  'kern.ipc.maxsockbuf': {
    meaning: 'largest socket buffer; FreeBSD also derives the SYN window-scale shift from it',
    maps: 'rcvbufMax, sndbufMax (values above 1 GiB are clamped to 1 GiB, the largest TcpConfig accepts)',
    apply: (v) => {
      const n = int(v);
      if (!Number.isSafeInteger(n) || n < 2048) return unsupported(`sysctl kern.ipc.maxsockbuf=${v}`);
      const m = Math.min(n, 1 << 30);
      return config({ rcvbufMax: m, sndbufMax: m });
    },
  },
  'net.inet.tcp.recvspace': { meaning: 'default receive buffer', maps: 'rcvbuf', apply: bytes('net.inet.tcp.recvspace', 'rcvbuf') },
  'net.inet.tcp.sendspace': { meaning: 'default send buffer', maps: 'sndbuf', apply: bytes('net.inet.tcp.sendspace', 'sndbuf') },
  'net.inet.tcp.insecure_rst': {
    meaning: '1: RFC 793 RST processing; 0: RFC 5961 §3 (exact-match RST, challenge ACK)',
    maps: 'rfc5961 (see the note on insecure_syn)',
    apply: flag('net.inet.tcp.insecure_rst', config({ rfc5961Rst: false }), config({ rfc5961Rst: true })),
  },
  'net.inet.tcp.insecure_syn': {
    meaning: '1: RFC 793 SYN processing in synchronized states; 0: RFC 5961 §4 (challenge ACK)',
    maps: 'rfc5961 (see the note on insecure_rst)',
    apply: flag('net.inet.tcp.insecure_syn', config({ rfc5961Syn: false }), config({ rfc5961Syn: true })),
  },
  'net.inet.tcp.rexmit_initial': {
    meaning: 'initial retransmission timeout (ms)',
    maps: 'initialRto',
    apply: (v) => {
      const n = int(v);
      return Number.isSafeInteger(n) && n > 0 ? config({ initialRto: n * NS_PER_MS }) : unsupported(`sysctl net.inet.tcp.rexmit_initial=${v}`);
    },
  },
  'net.inet.tcp.rexmit_slop': {
    meaning: 'slop added to every computed RTO (ms; FreeBSD default 200; TCPT_RANGESET)',
    maps: 'rtoSlop',
    apply: (v) => {
      const n = int(v);
      return Number.isSafeInteger(n) && n >= 0 && n <= 60_000 ? config({ rtoSlop: n * NS_PER_MS }) : unsupported(`sysctl net.inet.tcp.rexmit_slop=${v}`);
    },
  },
  'net.inet.tcp.rexmit_drop_options': {
    meaning: 'send SYN retransmissions after the 2nd without options',
    maps: 'synRetransmitDropOptions',
    apply: flag('net.inet.tcp.rexmit_drop_options', config({ synRetransmitDropOptions: true }), config({ synRetransmitDropOptions: false })),
  },
  'net.inet.tcp.drop_synfin': {
    meaning: 'drop segments with SYN and FIN both set',
    maps: 'dropSynFin',
    apply: flag('net.inet.tcp.drop_synfin', config({ dropSynFin: true }), config({ dropSynFin: false })),
  },
  'net.inet.tcp.keepinit': {
    meaning: 'connection-establishment time limit (ms)',
    maps: 'connectTimeout',
    apply: (v) => {
      const n = int(v);
      return Number.isSafeInteger(n) && n >= 0 ? config({ connectTimeout: n * NS_PER_MS }) : unsupported(`sysctl net.inet.tcp.keepinit=${v}`);
    },
  },
  'net.inet.tcp.syncookies': {
    meaning: 'send SYN cookies when the SYN cache overflows (FreeBSD default 1)',
    maps: 'nothing to do for 0 or 1: cookies only act when the SYN queue overflows, where zerostack drops the SYN instead (no cookies); a script that overflows the queue fails on the SYN-ACK it expects',
    apply: (v) => (v === '0' || v === '1' ? { kind: 'noop', why: 'cookies only act on SYN-queue overflow' } : unsupported(`sysctl net.inet.tcp.syncookies=${v}`)),
  },
  'net.inet.tcp.syncookies_only': {
    meaning: 'use SYN cookies instead of the SYN cache',
    maps: '0 → nothing to do; 1 unsupported',
    apply: (v) => (v === '0' ? { kind: 'noop', why: 'the SYN queue is always used' } : unsupported(`sysctl net.inet.tcp.syncookies_only=${v}`)),
  },
  'net.inet.tcp.tolerate_missing_ts': {
    meaning: '0: drop segments without timestamps on a connection that negotiated them',
    maps: '0 → nothing to do (input.ts drops them: RFC 7323 §3.2 SHOULD); 1 unsupported',
    apply: (v) =>
      v === '0'
        ? { kind: 'noop', why: 'segments without timestamps are dropped on a connection that negotiated them (RFC 7323 §3.2)' }
        : unsupported(`sysctl net.inet.tcp.tolerate_missing_ts=${v} (missing timestamps are never tolerated)`),
  },
};

/** `sysctl -w a.b.c=v [d.e=w …]` → the assignments, or null if the line is not a sysctl write. */
export function parseSysctl(command: string): { name: string; value: string }[] | null {
  const words = command.trim().split(/\s+/);
  if (words[0] !== 'sysctl') return null;
  let i = 1;
  while (i < words.length && words[i]!.startsWith('-')) {
    if (words[i] !== '-w') return null; // -d (describe) and others only read
    i++;
  }
  const out: { name: string; value: string }[] = [];
  for (; i < words.length; i++) {
    const eq = words[i]!.indexOf('=');
    if (eq <= 0) return null;
    out.push({ name: words[i]!.slice(0, eq), value: words[i]!.slice(eq + 1) });
  }
  return out.length > 0 ? out : null;
}

/** The effect of one assignment (an unknown name is unsupported). */
export function sysctlEffect(name: string, value: string): SysctlEffect {
  const rule = SYSCTL_TABLE[name];
  if (rule === undefined) return unsupported(`sysctl ${name}=${value}`);
  return rule.apply(value);
}
