/**
 * Symbols and expression values of syscall arguments: `SOL_SOCKET`,
 * `O_RDWR | O_NONBLOCK`, `[1]`, `{onoff=1, linger=0}`, errno names.
 *
 * The corpus is FreeBSD's, so the fcntl flag values are FreeBSD's (O_NONBLOCK
 * is 0x4: scripts compare F_GETFL results with `0x02 (flags O_RDWR)`); socket
 * option names go to the socket core by name, never by number, so Linux and
 * FreeBSD numbering cannot be mixed up.
 *
 * Owns: the symbol table and expression evaluation. Must not: call the stack.
 */
import type { Expr } from '../ast.js';

/** Script-visible flag values (FreeBSD <fcntl.h>, <sys/socket.h>). */
export const SCRIPT_O_RDONLY = 0;
export const SCRIPT_O_WRONLY = 1;
export const SCRIPT_O_RDWR = 2;
export const SCRIPT_O_NONBLOCK = 0x4;

const SYMBOLS: Readonly<Record<string, number>> = {
  AF_INET: 2,
  PF_INET: 2,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  IPPROTO_IP: 0,
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  O_RDONLY: SCRIPT_O_RDONLY,
  O_WRONLY: SCRIPT_O_WRONLY,
  O_RDWR: SCRIPT_O_RDWR,
  O_NONBLOCK: SCRIPT_O_NONBLOCK,
  F_GETFL: 3,
  F_SETFL: 4,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  POLLIN: 0x1,
  POLLPRI: 0x2,
  POLLOUT: 0x4,
  POLLERR: 0x8,
  POLLHUP: 0x10,
  POLLNVAL: 0x20,
  MSG_OOB: 0x1,
  MSG_PEEK: 0x2,
  MSG_DONTWAIT: 0x80,
  MSG_WAITALL: 0x40,
  MSG_NOSIGNAL: 0x20000,
};

/** Names the socket core knows as option levels / names (passed through by name). */
export const SOCKOPT_LEVELS = new Set(['SOL_SOCKET', 'IPPROTO_TCP', 'SOL_TCP']);

export class EvalError extends Error {}

/** An integer value: ints, symbols, `A|B`, `[v]` (one element), `htons(n)`. */
export function evalInt(e: Expr): number {
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'symbol': {
      const v = SYMBOLS[e.name];
      if (v === undefined) throw new EvalError(`symbol ${e.name}`);
      return v;
    }
    case 'or':
      return e.terms.reduce((acc, t) => acc | evalInt(t), 0);
    case 'array':
      if (e.items.length === 1) return evalInt(e.items[0]!);
      throw new EvalError(`an array of ${e.items.length} elements as an integer`);
    case 'call':
      if ((e.name === 'htons' || e.name === 'ntohs' || e.name === 'htonl' || e.name === 'ntohl') && e.args.length === 1) return evalInt(e.args[0]!);
      throw new EvalError(`function ${e.name}()`);
    default:
      throw new EvalError(`a ${e.kind} expression as an integer`);
  }
}

/** The element of `[v]`, or the expression itself. */
export function unwrap(e: Expr): Expr {
  return e.kind === 'array' && e.items.length === 1 ? e.items[0]! : e;
}

export function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis': return '...';
    case 'int': return e.text;
    case 'string': return JSON.stringify(e.value);
    case 'symbol': return e.name;
    case 'or': return e.terms.map(describeExpr).join('|');
    case 'array': return `[${e.items.map(describeExpr).join(', ')}]`;
    case 'struct': return `{${e.fields.map((f) => `${f.name}=${describeExpr(f.value)}`).join(', ')}}`;
    case 'call': return `${e.name}(${e.args.map(describeExpr).join(', ')})`;
    case 'address': return e.value;
  }
}

/** A struct field by name, or undefined. */
export function field(e: Expr, name: string): Expr | undefined {
  const s = unwrap(e);
  return s.kind === 'struct' ? s.fields.find((f) => f.name === name)?.value : undefined;
}
