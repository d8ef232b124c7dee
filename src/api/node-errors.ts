/**
 * The pieces of Node's lib/internal/errors.js (and lib/internal/validators.js)
 * that both `stack.net` and `stack.dgram` need, built exactly as Node builds
 * them so that code matching on `err.code` / `err.message` behaves the same on
 * zerostack: the coded-error constructor, determineSpecificType ("Received
 * ..."), validatePort / ERR_SOCKET_BAD_PORT, ERR_INVALID_IP_ADDRESS and
 * dnsException. Module-specific errors stay in src/api/net/errors.ts and
 * src/api/dgram/errors.ts; errno names and messages come from
 * src/socket/errno.ts.
 *
 * Must not: be used on a per-packet path (building an Error allocates).
 */
import { inspect } from 'node:util';

/** An Error carrying Node's system-error fields (all optional: each builder sets its own subset, in Node's order). */
export interface NodeSystemError extends Error {
  errno?: number;
  code?: string;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** A Node coded error: message as given, one own enumerable key `code`. */
export function coded<E extends Error>(e: E, code: string): E & { code: string } {
  (e as E & { code: string }).code = code;
  return e as E & { code: string };
}

/** Node's determineSpecificType(): how a rejected value is shown after "Received ". */
export function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${(value as { name?: string }).name ?? ''}`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) return `an instance of ${ctor.name}`;
    return inspect(value, { depth: -1 });
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** ERR_SOCKET_BAD_PORT (RangeError): `Port should be >= 0 and < 65536. Received type number (70000).` */
export function errSocketBadPort(name: string, port: unknown, allowZero: boolean): RangeError & { code: string } {
  const op = allowZero ? '>=' : '>';
  return coded(new RangeError(`${name} should be ${op} 0 and < 65536. Received ${describeReceived(port)}.`), 'ERR_SOCKET_BAD_PORT');
}

/** Node's validatePort: a number or numeric string in [0, 65535] (0 only when allowed); else ERR_SOCKET_BAD_PORT. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw errSocketBadPort(name, port, allowZero);
  }
  return +port | 0;
}

/** ERR_INVALID_IP_ADDRESS (TypeError). */
export function errInvalidIpAddress(ip: unknown): TypeError & { code: string } {
  return coded(new TypeError(`Invalid IP address: ${String(ip)}`), 'ERR_INVALID_IP_ADDRESS');
}

/** c-ares/getaddrinfo codes Node reports (negative UV_EAI_* values). */
const DNS_ERRNO: Readonly<Record<string, number>> = { ENOTFOUND: -3008, EAI_AGAIN: -3001 };

/** Node's dnsException: `getaddrinfo ENOTFOUND example.invalid` (keys errno, code, syscall, hostname). */
export function dnsException(code: string, syscall: string, hostname: string): NodeSystemError {
  const ex = new Error(`${syscall} ${code} ${hostname}`) as NodeSystemError;
  ex.errno = DNS_ERRNO[code] ?? -3008;
  ex.code = code;
  ex.syscall = syscall;
  ex.hostname = hostname;
  return ex;
}
