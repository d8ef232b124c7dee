/**
 * Socket-core constants with Linux's names and values: option levels and names
 * (setsockopt/getsockopt), poll bits, fcntl commands and flags, send/recv flags,
 * shutdown directions and socket types. Names may be given as numbers or as the
 * symbolic string ('SOL_SOCKET', 'TCP_NODELAY'); `optionLevel`/`optionName`
 * resolve them.
 *
 * Owns: the numbers and the name tables. Must not: hold socket state.
 */

/** Option levels (Linux). */
export const SOL_SOCKET = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** SOL_SOCKET options (asm-generic/socket.h). */
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_LINGER = 13;

/** IPPROTO_TCP options (uapi/linux/tcp.h). */
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_USER_TIMEOUT = 18;

/** Linux limits on the keepalive options (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT). */
export const MAX_TCP_KEEPIDLE = 32767;
export const MAX_TCP_KEEPINTVL = 32767;
export const MAX_TCP_KEEPCNT = 127;

/** poll(2) bits (asm-generic/poll.h). */
export const POLLIN = 0x001;
export const POLLPRI = 0x002;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const POLLRDHUP = 0x2000;

/** fcntl(2). */
export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;

/** send/recv flags. */
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_NOSIGNAL = 0x4000;

/** Socket types (SO_TYPE values). */
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;

export { SHUT_RD, SHUT_WR, SHUT_RDWR } from '../tcp/endpoint.js';

/** Symbolic names → numbers, for callers (packetdrill, lab scripts) that hold names. */
export const LEVEL_NAMES: Readonly<Record<string, number>> = Object.freeze({ SOL_SOCKET, IPPROTO_TCP, IPPROTO_UDP, SOL_TCP: IPPROTO_TCP, SOL_UDP: IPPROTO_UDP });
export const SOCKET_OPTION_NAMES: Readonly<Record<string, number>> = Object.freeze({
  SO_REUSEADDR,
  SO_TYPE,
  SO_ERROR,
  SO_BROADCAST,
  SO_SNDBUF,
  SO_RCVBUF,
  SO_KEEPALIVE,
  SO_LINGER,
});
export const TCP_OPTION_NAMES: Readonly<Record<string, number>> = Object.freeze({
  TCP_NODELAY,
  TCP_MAXSEG,
  TCP_KEEPIDLE,
  TCP_KEEPINTVL,
  TCP_KEEPCNT,
  TCP_INFO,
  TCP_QUICKACK,
  TCP_USER_TIMEOUT,
});

/** SO_LINGER value: `linger` in seconds; only 0 (abortive close) changes behaviour. */
export interface LingerValue {
  onoff: boolean | number;
  linger: number;
}

/** A level given as a number or a name; -1 when the name is unknown. TypeError for other JS types. */
export function optionLevel(level: number | string): number {
  if (typeof level === 'number') return Number.isInteger(level) ? level : -1;
  if (typeof level === 'string') return LEVEL_NAMES[level] ?? -1;
  throw new TypeError(`socket option level must be a number or a name, got ${typeof level}`);
}

/** An option name at `level` given as a number or a name; -1 when unknown. TypeError for other JS types. */
export function optionName(level: number, name: number | string): number {
  if (typeof name === 'number') return Number.isInteger(name) ? name : -1;
  if (typeof name !== 'string') throw new TypeError(`socket option name must be a number or a name, got ${typeof name}`);
  const table = level === SOL_SOCKET ? SOCKET_OPTION_NAMES : level === IPPROTO_TCP ? TCP_OPTION_NAMES : undefined;
  return table?.[name] ?? -1;
}

/** A flag option value: boolean or number (non-zero = on). TypeError for other JS types. */
export function flagValue(what: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new TypeError(`${what} must be a boolean or a number, got ${typeof v}`);
}

/** An integer option value; NaN for non-integers (the caller answers EINVAL). TypeError for non-numbers. */
export function intValue(what: string, v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number') throw new TypeError(`${what} must be a number, got ${typeof v}`);
  return Number.isInteger(v) ? v : NaN;
}

/** SO_LINGER value { onoff, linger }; null when linger is not a non-negative integer (EINVAL). TypeError for other shapes. */
export function lingerValue(v: unknown): { onoff: boolean; linger: number } | null {
  if (v === null || typeof v !== 'object') throw new TypeError(`SO_LINGER must be { onoff, linger }, got ${v === null ? 'null' : typeof v}`);
  const l = v as { onoff?: unknown; linger?: unknown };
  const onoff = flagValue('SO_LINGER.onoff', l.onoff);
  if (typeof l.linger !== 'number') throw new TypeError(`SO_LINGER.linger must be a number, got ${typeof l.linger}`);
  if (!Number.isInteger(l.linger) || l.linger < 0) return null;
  return { onoff, linger: l.linger };
}

/** SO_ERROR reports errno as a positive number (0 when none; never -0). */
export function positive(errno: number): number {
  return errno === 0 ? 0 : -errno;
}
