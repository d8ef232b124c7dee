/**
 * The project's one errno table: names, negative Linux numbers (as Node reports
 * them in `err.errno` on Linux) and libuv's messages, plus `toNodeError`, which
 * turns a negative errno result into a Node-shaped `SocketError`.
 *
 * Owns: the merge of the IP layer's `Errno` (src/ip/errors.ts) and TCP's
 * `TcpErrno` (src/tcp/tcb.ts) with the codes the socket core adds (EBADF,
 * ENOTSOCK, EDESTADDRREQ, ...). Numbers are never forked: the module checks at
 * load time that every name the two tables share has the same value.
 * Must not: be used on a per-packet path (building an Error allocates).
 */
import { Errno as IpErrno, SocketError as IpSocketError } from '../ip/errors.js';
import { TcpErrno } from '../tcp/tcb.js';
import { formatIpv4 } from '../wire/address.js';

/** Every errno the project reports: name → negative Linux value (include/uapi/asm-generic/errno*.h). */
export const Errno = {
  ...IpErrno,
  ...TcpErrno,
  EPERM: -1,
  ENOENT: -2,
  EINTR: -4,
  EBADF: -9,
  EFAULT: -14,
  EMFILE: -24,
  ENOTSOCK: -88,
  EDESTADDRREQ: -89,
  EPROTOTYPE: -91,
  EPROTONOSUPPORT: -93,
  ESHUTDOWN: -108,
  ECANCELED: -125,
} as const;
export type ErrnoName = keyof typeof Errno;

// The merged tables must agree: a name with two numbers would be a fork.
for (const [name, value] of Object.entries(TcpErrno)) {
  const ip = (IpErrno as Record<string, number>)[name];
  if (ip !== undefined && ip !== value) throw new Error(`errno table fork: ${name} is ${ip} in src/ip and ${value} in src/tcp`);
}

/** libuv's uv_strerror() messages (what Node prints for system errors). */
const MESSAGES: Readonly<Record<ErrnoName, string>> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EINTR: 'interrupted system call',
  EBADF: 'bad file descriptor',
  EFAULT: 'bad address in system call argument',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'not enough memory',
  EACCES: 'permission denied',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  EPIPE: 'broken pipe',
  ENONET: 'machine is not on the network',
  EPROTO: 'protocol error',
  ENOTSOCK: 'socket operation on non-socket',
  EDESTADDRREQ: 'destination address required',
  EMSGSIZE: 'message too long',
  EPROTOTYPE: 'protocol wrong type for socket',
  ENOPROTOOPT: 'protocol not available',
  EPROTONOSUPPORT: 'protocol not supported',
  EOPNOTSUPP: 'operation not supported on socket',
  EAFNOSUPPORT: 'address family not supported',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ENETUNREACH: 'network is unreachable',
  ECONNABORTED: 'software caused connection abort',
  ECONNRESET: 'connection reset by peer',
  ENOBUFS: 'no buffer space available',
  EISCONN: 'socket is already connected',
  ENOTCONN: 'socket is not connected',
  ESHUTDOWN: 'cannot send after transport endpoint shutdown',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EHOSTDOWN: 'host is down',
  EHOSTUNREACH: 'host is unreachable',
  EALREADY: 'connection already in progress',
  EINPROGRESS: 'operation in progress',
  ECANCELED: 'operation canceled',
};

const NAMES = new Map<number, ErrnoName>();
for (const [name, value] of Object.entries(Errno)) NAMES.set(value, name as ErrnoName);

/** -111 → 'ECONNREFUSED'; unknown values → 'E<n>'. Accepts the positive number too (SO_ERROR). */
export function errnoName(errno: number): string {
  const n = errno > 0 ? -errno : errno;
  return NAMES.get(n) ?? `E${-n}`;
}

/** -111 → 'connection refused' (libuv's text); unknown values → 'unknown error'. */
export function errnoMessage(errno: number): string {
  const name = NAMES.get(errno > 0 ? -errno : errno);
  return name === undefined ? 'unknown error' : MESSAGES[name];
}

/**
 * A socket call failed, in Node's shape (lib/internal/errors.js
 * ExceptionWithHostPort): `code`, `errno` (negative), `syscall`, `address`,
 * `port` and the message `connect ECONNREFUSED 10.0.0.2:80`. A subclass of the IP
 * layer's SocketError (so one `instanceof` covers both) whose code comes from the
 * project-wide table (the IP table alone lacks the TCP codes).
 */
export class SocketError extends IpSocketError {
  /** libuv's description of the code ('connection refused'). */
  readonly description: string;

  constructor(errno: number, syscall: string, address?: string, port?: number) {
    super(errno, syscall, address, port);
    const code = errnoName(errno);
    Object.defineProperty(this, 'code', { value: code, writable: true, enumerable: true, configurable: true });
    let where = '';
    if (address !== undefined) where = port !== undefined && port > 0 ? ` ${address}:${port}` : ` ${address}`;
    this.message = `${syscall} ${code}${where}`;
    this.description = errnoMessage(errno);
  }
}

/**
 * Build the Node-style error for a negative errno result of `syscall`:
 * `toNodeError(-111, 'connect', '10.0.0.2', 80).message === 'connect ECONNREFUSED 10.0.0.2:80'`.
 * The address may be a dotted quad or an IPv4 number.
 */
export function toNodeError(errno: number, syscall: string, address?: string | number, port?: number): SocketError {
  if (typeof errno !== 'number' || !Number.isInteger(errno) || errno === 0) throw new TypeError(`toNodeError: errno must be a non-zero integer, got ${String(errno)}`);
  const a = typeof address === 'number' ? formatIpv4(address) : address;
  return new SocketError(errno > 0 ? -errno : errno, syscall, a, port);
}
