/**
 * The errors `stack.dgram` throws or emits, in the exact shape of Node's
 * (lib/internal/errors.js, Node 20): internal `ERR_*` errors with their
 * messages and the SystemError of the buffer-size calls (validatePort,
 * determineSpecificType and dnsException are shared with net: src/api/node-errors.ts).
 * System errors (`bind EADDRINUSE 0.0.0.0:5000`) come from the project's
 * errno table (src/socket/errno.ts toNodeError) — never a second table here.
 *
 * Owns: message texts and argument validators that must match Node's word for
 * word, so code that matches on `err.code`/`err.message` behaves the same.
 * Must not: be used on a per-packet path (building an Error allocates).
 */
import { errnoMessage, errnoName } from '../../socket/errno.js';
import { coded, describeReceived } from '../node-errors.js';

/** An Error (or TypeError/RangeError) with Node's internal-error `code`. */
export function codedError(ctor: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string, message: string): Error & { code: string } {
  return coded(new ctor(message), code);
}

/** ERR_INVALID_ARG_TYPE with Node's wording ("The "ttl" argument must be of type number. Received …"). */
export function invalidArgType(name: string, expected: string, value: unknown): Error {
  return codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. Received ${describeReceived(value)}`);
}

export const BUFFER_TYPES = 'of type string or an instance of Buffer, TypedArray, or DataView';

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
