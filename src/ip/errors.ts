/**
 * Error codes of the IP layer and the Node-shaped errors its APIs raise.
 *
 * Owns: the errno table (negative Linux values, as Node reports them on Linux),
 * the mapping of received ICMP errors to errno (Linux icmp_err_convert), and the
 * error classes: SocketError (Node's `code`/`errno`/`syscall`/`address`/`port`
 * shape, message `bind EADDRINUSE 0.0.0.0:5000`) and PingError.
 * Must not: be thrown for anything a peer can cause inside the packet path;
 * Ipv4Output.output returns these codes as negative numbers instead.
 */
import { IcmpType, IcmpUnreachableCode } from '../wire/icmp.js';

/** Linux errno values (include/uapi/asm-generic/errno*.h), negated like Node's `err.errno`. */
export const Errno = {
  EBADF: -9,
  EACCES: -13,
  EAGAIN: -11,
  ENOMEM: -12,
  EINVAL: -22,
  ENONET: -64,
  EPROTO: -71,
  EMSGSIZE: -90,
  ENOPROTOOPT: -92,
  EOPNOTSUPP: -95,
  EAFNOSUPPORT: -97,
  EADDRINUSE: -98,
  EADDRNOTAVAIL: -99,
  ENETUNREACH: -101,
  ENOBUFS: -105,
  EISCONN: -106,
  ENOTCONN: -107,
  ETIMEDOUT: -110,
  ECONNREFUSED: -111,
  EHOSTDOWN: -112,
  EHOSTUNREACH: -113,
} as const;
export type ErrnoName = keyof typeof Errno;

const NAMES = new Map<number, ErrnoName>();
for (const [name, value] of Object.entries(Errno)) NAMES.set(value, name as ErrnoName);

/** -113 → 'EHOSTUNREACH'; unknown values → 'E<n>'. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${-errno}`;
}

/**
 * The errno a received ICMP error means for the socket that sent the quoted
 * datagram (Linux net/ipv4/icmp.c icmp_err_convert[] and udp/tcp err handlers),
 * or 0 when it is not reported (source quench, redirect: RFC 6633 / RFC 1122
 * §3.2.2.2 — they are not errors for the sender).
 */
export function icmpErrno(type: number, code: number): number {
  if (type === IcmpType.DEST_UNREACHABLE) {
    switch (code) {
      case IcmpUnreachableCode.NET:
      case IcmpUnreachableCode.NET_UNKNOWN:
      case IcmpUnreachableCode.NET_PROHIBITED:
      case IcmpUnreachableCode.NET_UNREACHABLE_FOR_TOS:
        return Errno.ENETUNREACH;
      case IcmpUnreachableCode.PROTOCOL:
        return Errno.ENOPROTOOPT;
      case IcmpUnreachableCode.PORT:
        return Errno.ECONNREFUSED;
      case IcmpUnreachableCode.FRAGMENTATION_NEEDED:
        return Errno.EMSGSIZE;
      case IcmpUnreachableCode.SOURCE_ROUTE_FAILED:
        return Errno.EOPNOTSUPP;
      case IcmpUnreachableCode.HOST_UNKNOWN:
        return Errno.EHOSTDOWN;
      case IcmpUnreachableCode.SOURCE_HOST_ISOLATED:
        return Errno.ENONET;
      default:
        return Errno.EHOSTUNREACH; // HOST, HOST_PROHIBITED, HOST_UNREACHABLE_FOR_TOS, 13-15
    }
  }
  if (type === IcmpType.TIME_EXCEEDED) return Errno.EHOSTUNREACH;
  if (type === IcmpType.PARAMETER_PROBLEM) return Errno.EPROTO;
  return 0;
}

/**
 * A socket call failed: Node's shape (lib/internal/errors.js ExceptionWithHostPort):
 * `code` 'EADDRINUSE', `errno` -98, `syscall` 'bind', `address`, `port`, and the
 * message `bind EADDRINUSE 0.0.0.0:5000`.
 */
export class SocketError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(errno: number, syscall: string, address?: string, port?: number, detail?: string) {
    const code = errnoName(errno);
    let where = '';
    if (address !== undefined) where = port !== undefined && port > 0 ? ` ${address}:${port}` : ` ${address}`;
    super(`${syscall} ${code}${where}${detail !== undefined ? ` (${detail})` : ''}`);
    this.name = 'Error';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.address = address;
    this.port = port;
  }
}

/**
 * Why a ping failed: `code` 'ETIMEDOUT' (no reply in time), 'EHOSTUNREACH' (an
 * ICMP error came back, or ARP failed; `icmpType`/`icmpCode`/`from` say which),
 * 'ENETUNREACH' (no route) or 'ENOBUFS' (pool exhausted).
 */
export class PingError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall = 'ping';
  readonly address: string;
  /** ICMP type and code of the error that ended the ping, or -1. */
  readonly icmpType: number;
  readonly icmpCode: number;
  /** Who sent the ICMP error (dotted quad), or '' when none did (timeout, local failure). */
  readonly from: string;

  constructor(errno: number, address: string, detail: string, icmpType = -1, icmpCode = -1, from = '') {
    const code = errnoName(errno);
    super(`ping ${code} ${address}: ${detail}`);
    this.name = 'Error';
    this.code = code;
    this.errno = errno;
    this.address = address;
    this.icmpType = icmpType;
    this.icmpCode = icmpCode;
    this.from = from;
  }
}

/** Node's ERR_SOCKET_DGRAM_NOT_RUNNING (thrown synchronously, like dgram, for calls on a closed socket). */
export class SocketNotRunningError extends Error {
  readonly code = 'ERR_SOCKET_DGRAM_NOT_RUNNING';
  constructor() {
    super('Not running');
    this.name = 'Error';
  }
}
