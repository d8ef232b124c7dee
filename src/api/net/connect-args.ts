/**
 * Argument normalisation and validation for `stack.net`, with node:net's rules
 * and error codes (lib/net.js normalizeArgs, lookupAndConnect, Server.listen;
 * lib/internal/validators.js validatePort, validateNumber, validateFunction).
 *
 * Owns: turning every accepted argument form — `connect(port[, host][, cb])`,
 * `connect(options[, cb])`, `listen(port[, host][, backlog][, cb])`,
 * `listen(options[, cb])` — into one options object, and the checks that throw
 * synchronously in Node (ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_TYPE, ...).
 * Must not: touch sockets.
 */
import { isIP } from 'node:net';
import {
  errInvalidArgType,
  errInvalidArgValue,
  errInvalidIpAddress,
  errMissingArgs,
  errOutOfRange,
} from './errors.js';
import { validatePort } from '../node-errors.js';

export { validatePort };

/** Resolves a hostname like dns.lookup: `cb(err, address, family)`. */
export type LookupFunction = (
  hostname: string,
  options: { family?: number; hints?: number; all?: boolean },
  callback: (err: Error | null, address: string, family: number) => void,
) => void;

/** connect()/createConnection() options (node:net's TcpSocketConnectOpts plus Socket constructor options). */
export interface NetConnectOpts {
  port?: number | string;
  host?: string;
  localAddress?: string;
  localPort?: number;
  family?: number | string;
  hints?: number;
  lookup?: LookupFunction;
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  path?: string;
  [key: string]: unknown;
}

/** listen() options. */
export interface NetListenOpts {
  port?: number | string;
  host?: string;
  backlog?: number;
  path?: string;
  exclusive?: boolean;
  ipv6Only?: boolean;
  signal?: unknown;
  [key: string]: unknown;
}

/** Node's validateNumber(value, name[, min, max]). */
export function validateNumber(value: unknown, name: string, min?: number, max?: number): number {
  if (typeof value !== 'number') throw errInvalidArgType(name, 'number', value);
  if ((min !== undefined && value < min) || (max !== undefined && value > max) || ((min !== undefined || max !== undefined) && Number.isNaN(value))) {
    const range = `${min !== undefined ? `>= ${min}` : ''}${min !== undefined && max !== undefined ? ' && ' : ''}${max !== undefined ? `<= ${max}` : ''}`;
    throw errOutOfRange(name, range, value);
  }
  return value;
}

export function validateFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw errInvalidArgType(name, 'Function', value);
}

export function validateBoolean(value: unknown, name: string): void {
  if (typeof value !== 'boolean') throw errInvalidArgType(name, 'boolean', value);
}

/** Node's getTimerDuration for socket.setTimeout: a finite number ≥ 0 (ms). */
export function validateTimeout(msecs: unknown, name = 'msecs'): number {
  if (typeof msecs !== 'number') throw errInvalidArgType(name, 'number', msecs);
  if (!(msecs >= 0) || !Number.isFinite(msecs)) throw errOutOfRange(name, 'a non-negative finite number', msecs);
  return msecs;
}

/** Node's isPipeName: a string that is not a non-negative number. */
function isPipeName(s: unknown): boolean {
  return typeof s === 'string' && toNumber(s) === false;
}

/**
 * Node's normalizeArgs: connect(options[, cb]) / connect(port[, host][, cb]) /
 * connect(path[, cb]) → [options, cb | null].
 */
export function normalizeConnectArgs(args: readonly unknown[]): [NetConnectOpts, ((...a: unknown[]) => void) | null] {
  if (args.length === 0) return [{}, null];
  const a0 = args[0];
  let options: NetConnectOpts = {};
  if (a0 !== null && typeof a0 === 'object') {
    options = a0 as NetConnectOpts;
  } else if (isPipeName(a0)) {
    options.path = a0 as string;
  } else {
    options.port = a0 as number;
    if (args.length > 1 && typeof args[1] === 'string') options.host = args[1];
  }
  const cb = args[args.length - 1];
  return [options, typeof cb === 'function' ? (cb as (...a: unknown[]) => void) : null];
}

/** The validated destination of a connect: what lookupAndConnect checks before any I/O. */
export interface ConnectTarget {
  host: string;
  port: number;
  localAddress: string | undefined;
  localPort: number | undefined;
  lookup: LookupFunction | undefined;
  family: number;
}

/** lookupAndConnect's synchronous checks (same order, same errors as Node 20). */
export function validateConnectOptions(options: NetConnectOpts): ConnectTarget {
  if (options.path !== undefined && options.port === undefined) {
    throw errInvalidArgValue('options.path', options.path, 'is not supported: zerostack has no local (IPC) sockets');
  }
  if (options.port === undefined && options.path === undefined) throw errMissingArgs('options', 'port', 'path');
  const host = options.host === undefined || options.host === null || options.host === '' ? 'localhost' : options.host;
  // Node 20 passes a non-string host on to dns.lookup, whose check names it "hostname".
  if (typeof host !== 'string') throw errInvalidArgType('hostname', 'string', host);
  const { localAddress, localPort } = options;
  if (localAddress && !isIP(localAddress)) throw errInvalidIpAddress(localAddress);
  if (localPort) validateNumber(localPort, 'options.localPort');
  const port = options.port;
  if (typeof port !== 'number' && typeof port !== 'string') throw errInvalidArgType('options.port', ['number', 'string'], port);
  validatePort(port);
  if (options.lookup !== undefined && options.lookup !== null) validateFunction(options.lookup, 'options.lookup');
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : typeof options.family === 'number' ? options.family : 0;
  return {
    host,
    port: +port | 0,
    localAddress: localAddress || undefined,
    localPort: localPort || undefined,
    lookup: (options.lookup ?? undefined) as LookupFunction | undefined,
    family,
  };
}

/** What listen() resolved to. */
export interface ListenTarget {
  port: number;
  host: string | undefined;
  backlog: number;
  cb: ((...a: unknown[]) => void) | null;
}

function toNumber(x: unknown): number | false {
  const n = Number(x);
  return n >= 0 ? n : false;
}

/**
 * Server.listen's argument forms: listen([port][, host][, backlog][, cb]),
 * listen(options[, cb]), listen(cb). Pipes and handles are not supported
 * (thrown as ERR_INVALID_ARG_VALUE naming the option).
 */
export function normalizeListenArgs(args: readonly unknown[]): ListenTarget {
  let cb: ((...a: unknown[]) => void) | null = null;
  let list = args;
  if (list.length > 0 && typeof list[list.length - 1] === 'function') {
    cb = list[list.length - 1] as (...a: unknown[]) => void;
    list = list.slice(0, -1);
  }
  const a0 = list[0];
  if (list.length === 0 || a0 === undefined || a0 === null) {
    // listen() / listen(cb) / listen(null, ...): a random port on every address.
    const backlog = toNumber(list[1]) || toNumber(list[2]) || 0;
    const host = typeof list[1] === 'string' ? list[1] : undefined;
    return { port: 0, host, backlog, cb };
  }
  if (typeof a0 === 'object') {
    const o = a0 as NetListenOpts;
    if (o.port === undefined && o.path === undefined) {
      if ('handle' in o || '_handle' in o || 'fd' in o) throw errInvalidArgValue('options', o, 'is not supported: zerostack cannot listen on handles or fds');
      throw errInvalidArgValue('options', o, 'must have the property "port" or "path"');
    }
    if (o.path !== undefined && o.port === undefined) throw errInvalidArgValue('options.path', o.path, 'is not supported: zerostack has no local (IPC) sockets');
    if (typeof o.port !== 'number' && typeof o.port !== 'string') throw errInvalidArgValue('options', o);
    const port = validatePort(o.port, 'options.port');
    const backlog = (typeof o.backlog === 'number' ? o.backlog : 0) || toNumber(list[1]) || 0;
    const host = o.host === undefined || o.host === null || o.host === '' ? undefined : o.host;
    if (host !== undefined && typeof host !== 'string') throw errInvalidArgType('options.host', 'string', host);
    return { port, host, backlog, cb };
  }
  if (typeof a0 === 'string' && toNumber(a0) === false) {
    throw errInvalidArgValue('path', a0, 'is not supported: zerostack has no local (IPC) sockets');
  }
  const port = validatePort(a0, 'options.port');
  let host: string | undefined;
  let backlog = 0;
  if (typeof list[1] === 'string') {
    host = list[1];
    backlog = toNumber(list[2]) || 0;
  } else {
    backlog = toNumber(list[1]) || 0;
  }
  return { port, host: host === '' ? undefined : host, backlog, cb };
}
