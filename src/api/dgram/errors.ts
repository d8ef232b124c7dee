/**
 * The errors `stack.dgram` throws or emits, in the exact shape of Node's
 * (lib/internal/errors.js, Node 20): internal `ERR_*` errors with their
 * messages, `validatePort`, and the SystemError of the buffer-size calls.
 * System errors (`bind EADDRINUSE 0.0.0.0:5000`) come from the project's
 * errno table (src/socket/errno.ts toNodeError) — never a second table here.
 *
 * Owns: message texts and argument validators that must match Node's word for
 * word, so code that matches on `err.code`/`err.message` behaves the same.
 * Must not: be used on a per-packet path (building an Error allocates).
 */
import { inspect } from 'node:util';
import { errnoMessage, errnoName } from '../../socket/errno.js';

/** Node's determineSpecificType(): how a rejected value is shown after "Received ". */
export function received(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return value.name ? `function ${value.name}` : `type function`;
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) return `an instance of ${ctor.name}`;
    return inspect(value, { depth: -1 });
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof value} (${shown})`;
}

/** An Error (or TypeError/RangeError) with Node's internal-error `code`. */
export function codedError(ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string): Error & { code: string } {
  const e = new ctor(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** ERR_INVALID_ARG_TYPE with Node's wording ("The "ttl" argument must be of type number. Received …"). */
export function invalidArgType(name: string, expected: string, value: unknown): Error {
  return codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${received(value)}`);
}

export const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

/**
 * Node's validatePort(port, 'Port', allowZero): a number or numeric string in
 * 0..65535 (1..65535 without allowZero); otherwise ERR_SOCKET_BAD_PORT (RangeError).
 */
export function validatePort(port: unknown, allowZero: boolean): number {
  const bad =
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero);
  if (bad) {
    throw codedError(RangeError, 'ERR_SOCKET_BAD_PORT', `Port should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${received(port)}.`);
  }
  return +(port as number) | 0;
}

export const notRunning = (): Error => codedError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
export const alreadyBound = (): Error => codedError(Error, 'ERR_SOCKET_ALREADY_BOUND', 'Socket is already bound');
export const isConnected = (): Error => codedError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
export const notConnected = (): Error => codedError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
export const badBufferSize = (): Error => codedError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
export const outOfBounds = (name: string): Error => codedError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', `"${name}" is outside of buffer bounds`);

/**
 * Node's SystemError for ERR_SOCKET_BUFFER_SIZE ("Could not get or set buffer
 * size: uv_recv_buffer_size returned EBADF (bad file descriptor)"), with `info`,
 * `errno` and `syscall` like Node's.
 */
export class SystemError extends Error {
  readonly code: string;
  readonly info: { errno: number; code: string; message: string; syscall: string };
  readonly errno: number;
  readonly syscall: string;

  constructor(code: string, prefix: string, errno: number, syscall: string) {
    const name = errnoName(errno);
    const text = errnoMessage(errno);
    super(`${prefix}: ${syscall} returned ${name} (${text})`);
    this.name = 'SystemError';
    this.code = code;
    this.info = { errno, code: name, message: text, syscall };
    this.errno = errno;
    this.syscall = syscall;
  }
}

/** The EAI_NONAME result of a failed name lookup (libuv UV_EAI_NONAME = -3008), as Node's dns reports it. */
export function notFound(hostname: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { errno: -3008, code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname });
}
