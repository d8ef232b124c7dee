/**
 * The errors `stack.net` raises, built exactly as Node's lib/internal/errors.js
 * builds them, so that code testing `err.code`, `err.errno`, `err.syscall`,
 * `err.address`, `err.port` or matching `err.message` behaves the same on
 * zerostack as on node:net.
 *
 * Two families:
 *  - system errors from a failed socket call: `exceptionWithHostPort`
 *    (`connect ECONNREFUSED 10.0.0.2:80`, keys errno, code, syscall, address,
 *    port), `uvExceptionWithHostPort` (listen: `listen EADDRINUSE: address
 *    already in use 10.0.0.1:80`, keys code, errno, syscall, address, port),
 *    `errnoException` (`read ECONNRESET`, `write EPIPE`) and `dnsException`
 *    (`getaddrinfo ENOTFOUND host`). errno values are Linux's negative numbers
 *    (Node reports libuv's, which equal -errno on Linux); names and libuv's
 *    messages come from the project's one table (src/socket/errno.ts).
 *  - Node's coded argument/state errors (`ERR_SOCKET_BAD_PORT` RangeError,
 *    `ERR_INVALID_ARG_TYPE` TypeError, ...), with Node's message text and one
 *    own enumerable key, `code`.
 *
 * Owns: message shapes and property order. Must not: be used per packet.
 */
import { inspect } from 'node:util';
import { errnoMessage, errnoName } from '../../socket/errno.js';
import { coded, describeReceived, type NodeSystemError } from '../node-errors.js';

// Shared with stack.dgram; re-exported so net's modules keep one import place.
export { coded, describeReceived, dnsException, errInvalidIpAddress, errSocketBadPort, type NodeSystemError } from '../node-errors.js';

/** Node's exceptionWithHostPort: `connect ECONNREFUSED 10.0.0.2:80` (+ ` - Local (addr:port)` when `additional`). */
export function exceptionWithHostPort(errno: number, syscall: string, address: string, port: number, additional?: string): NodeSystemError {
  const code = errnoName(errno);
  let details = '';
  if (port && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  if (additional) details += ` - Local (${additional})`;
  const ex = new Error(`${syscall} ${code}${details}`) as NodeSystemError;
  ex.errno = errno;
  ex.code = code;
  ex.syscall = syscall;
  ex.address = address;
  if (port) ex.port = port;
  return ex;
}

/** Node's uvExceptionWithHostPort (server listen): `listen EADDRINUSE: address already in use 10.0.0.1:80`. */
export function uvExceptionWithHostPort(errno: number, syscall: string, address: string | null, port: number): NodeSystemError {
  const code = errnoName(errno);
  let details = '';
  if (port && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  const ex = new Error(`${syscall} ${code}: ${errnoMessage(errno)}${details}`) as NodeSystemError;
  ex.code = code;
  ex.errno = errno;
  ex.syscall = syscall;
  if (address) ex.address = address;
  if (port) ex.port = port;
  return ex;
}

/** Node's errnoException: `read ECONNRESET`, `write EPIPE` (keys errno, code, syscall). */
export function errnoException(errno: number, syscall: string): NodeSystemError {
  const code = errnoName(errno);
  const ex = new Error(`${syscall} ${code}`) as NodeSystemError;
  ex.errno = errno;
  ex.code = code;
  ex.syscall = syscall;
  return ex;
}

/** Node's list formatting for expected types: "X", "X or Y", "one of X, Y, or Z". */
function typeList(types: readonly string[]): string {
  const classes = types.filter((t) => /^[A-Z]/.test(t));
  const prims = types.filter((t) => !/^[A-Z]/.test(t));
  const parts: string[] = [];
  if (prims.length > 0) parts.push(prims.length === 1 ? `of type ${prims[0]}` : prims.length === 2 ? `one of type ${prims[0]} or ${prims[1]}` : `one of type ${prims.slice(0, -1).join(', ')}, or ${prims[prims.length - 1]}`);
  if (classes.length > 0) parts.push(classes.length === 1 ? `an instance of ${classes[0]}` : `an instance of ${classes.slice(0, -1).join(', ')}, or ${classes[classes.length - 1]}`);
  return parts.join(' or ');
}

/** ERR_INVALID_ARG_TYPE (TypeError): `The "options.port" property must be of type number. Received ...`. */
export function errInvalidArgType(name: string, expected: string | readonly string[], actual: unknown): TypeError & { code: string } {
  const list = typeof expected === 'string' ? [expected] : expected;
  const kind = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The "${name}" ${kind} must be ${typeList(list)}. Received ${describeReceived(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** ERR_INVALID_ARG_VALUE (TypeError): `The argument 'x' is invalid. Received 5`. */
export function errInvalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  const kind = name.includes('.') ? 'property' : 'argument';
  return coded(new TypeError(`The ${kind} '${name}' ${reason}. Received ${inspect(value)}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_MISSING_ARGS (TypeError): `The "options" or "port" or "path" argument must be specified`. */
export function errMissingArgs(...names: string[]): TypeError & { code: string } {
  return coded(new TypeError(`The ${names.map((n) => `"${n}"`).join(' or ')} argument must be specified`), 'ERR_MISSING_ARGS');
}

/** ERR_OUT_OF_RANGE (RangeError): `The value of "msecs" is out of range. It must be ... Received ...`. */
export function errOutOfRange(name: string, range: string, value: unknown): RangeError & { code: string } {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`), 'ERR_OUT_OF_RANGE');
}

export function errServerAlreadyListen(): Error & { code: string } {
  return coded(new Error('Listen method has been called more than once without closing.'), 'ERR_SERVER_ALREADY_LISTEN');
}

export function errServerNotRunning(): Error & { code: string } {
  return coded(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING');
}

export function errSocketClosed(): Error & { code: string } {
  return coded(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

/** What writeAfterFIN raises (Node: a write on a non-half-open socket after the peer's FIN). */
export function errEndedByOtherParty(): Error & { code: string } {
  return coded(new Error('This socket has been ended by the other party'), 'EPIPE');
}

/** zerostack: IPv6 is not implemented by the stack (the code is libuv's for an unsupported family). */
export function errIpv6Unsupported(address: string, syscall: string): NodeSystemError {
  const ex = errnoException(-97, syscall) as NodeSystemError;
  ex.message = `${syscall} EAFNOSUPPORT ${address} (zerostack speaks IPv4 only)`;
  ex.address = address;
  return ex;
}

/** zerostack: a zero-copy send whose bytes were never acknowledged (the connection ended first). */
export function errZeroCopyAborted(cause: Error | null): Error & { code: string } {
  const e = coded(new Error('zero-copy send was not acknowledged: the connection ended first'), 'ERR_ZEROCOPY_ABORTED');
  if (cause !== null) (e as Error & { cause?: unknown }).cause = cause;
  return e;
}
