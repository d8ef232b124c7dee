/**
 * The syntax tree of a packetdrill (.pkt) script, as packetdrill's own grammar
 * (lexer.l / parser.y) defines it, restricted to TCP over IPv4/IPv6 scripts.
 *
 * Owns: plain typed data objects and the ParseError class. Must not: give the
 * nodes behaviour or meaning (the interpreter decides what a syscall or a packet
 * does; relative times are not resolved here). Times are kept in whole
 * microseconds, as packetdrill converts them (`usecs`).
 */

/** Where a node starts in the script: 1-based line and column (characters). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A parse failure: `file:line:column: expected X but found Y`. */
export class ParseError extends Error {
  readonly code = 'EPKTPARSE';
  override readonly name = 'ParseError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** What the grammar wanted at this point, e.g. `')'`. */
    readonly expected: string,
    /** What the script had instead, e.g. `','` or `end of input`. */
    readonly found: string,
  ) {
    super(`${file}:${line}:${column}: expected ${expected} but found ${found}`);
  }
}

// ---------------------------------------------------------------- times

/** `1.5` (seconds since the script started). */
export interface AbsoluteTime { readonly kind: 'absolute'; readonly usecs: number }
/** `+0.1` / `+ 0.1` (seconds after the previous event). */
export interface RelativeTime { readonly kind: 'relative'; readonly usecs: number }
/** `a~b` (absolute) or `+a~+b` (relative): outbound packets only. */
export interface RangeTime {
  readonly kind: 'range';
  readonly relative: boolean;
  readonly startUsecs: number;
  readonly endUsecs: number;
}
/** `*`: any time (outbound packets only). */
export interface AnyTime { readonly kind: 'any' }
export type EventTime = AbsoluteTime | RelativeTime | RangeTime | AnyTime;

/**
 * The `...t2` of a blocking syscall `t1...t2 call()`: when the call must return.
 * It is in the same frame as the start time (packetdrill's
 * adjust_relative_event_times): absolute after an absolute start, measured from
 * the previous event after a relative one (`+.1...0.2` returns 0.2 s after it).
 */
export interface EndTime { readonly usecs: number }

// ---------------------------------------------------------------- expressions

/** `...`: let the runner fill the argument in. */
export interface EllipsisExpr extends Position { readonly kind: 'ellipsis' }
/** `42`, `-1`, `0x02`. `text` is the literal as written. */
export interface IntExpr extends Position {
  readonly kind: 'int';
  readonly value: number;
  readonly hex: boolean;
  readonly text: string;
}
/** `"abc"` (escapes kept as written, quotes removed). */
export interface StringExpr extends Position { readonly kind: 'string'; readonly value: string }
/** `SOL_SOCKET`, `O_NONBLOCK`, `ECONNRESET`: resolved by the runner. */
export interface SymbolExpr extends Position { readonly kind: 'symbol'; readonly name: string }
/** `A | B | C`: a flag set (terms in order). */
export interface OrExpr extends Position { readonly kind: 'or'; readonly terms: readonly Expr[] }
/** `[v]` (an int by pointer when it has one element), `[{fd=3, ...}]`, `[]`. */
export interface ArrayExpr extends Position { readonly kind: 'array'; readonly items: readonly Expr[] }
/** One `name=value` (or `name(count)=value`, as in `msg_iov(1)=[...]`). */
export interface StructField extends Position {
  readonly name: string;
  readonly count?: Expr;
  readonly value: Expr;
}
/** `{sa_family=AF_INET, ...}`, `{onoff=1, linger=0}`, `{iov_base=..., iov_len=10}`. */
export interface StructExpr extends Position { readonly kind: 'struct'; readonly fields: readonly StructField[] }
/** `htons(8080)`, `inet_addr("192.0.2.1")`. */
export interface CallExpr extends Position { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
/** `192.0.2.1` written bare. */
export interface AddressExpr extends Position { readonly kind: 'address'; readonly value: string }
export type Expr =
  | EllipsisExpr | IntExpr | StringExpr | SymbolExpr | OrExpr | ArrayExpr | StructExpr | CallExpr | AddressExpr;

// ---------------------------------------------------------------- event bodies

/** `name(args) = result [ERRNO] [(note)]`. */
export interface Syscall {
  readonly kind: 'syscall';
  readonly name: string;
  readonly args: readonly Expr[];
  readonly result: Expr;
  /** `ECONNREFUSED` in `= -1 ECONNREFUSED (Connection refused)`. */
  readonly errno?: string;
  /** Text inside the trailing parentheses, e.g. `Connection refused` or `flags O_RDWR`. */
  readonly note?: string;
}

/** ECN codepoint / TOS / TTL / flow label written in `[...]` after the direction. */
export interface IpInfo {
  readonly ecn?: 'noecn' | 'ect0' | 'ect1' | 'ect01' | 'ce';
  readonly tos?: number;
  readonly ttl?: number;
  readonly flowlabel?: number;
}

export type TcpOption =
  | { readonly kind: 'nop' }
  | { readonly kind: 'eol' }
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'wscale'; readonly value: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'sack'; readonly blocks: readonly { readonly left: number; readonly right: number }[] }
  | { readonly kind: 'timestamp'; readonly val: number; readonly ecr: number }
  | { readonly kind: 'fastopen'; readonly experimental: boolean; readonly cookie?: string }
  | { readonly kind: 'md5' };

/** `seq:end(len)`; `...(len)` leaves start and end unchecked (null). */
export interface SeqSpec {
  readonly start: number | null;
  readonly end: number | null;
  readonly len: number;
}

/** `DIR [ip_info] FLAGS seq:end(len) [ack N] [win N] [urg N] [<options>]`. */
export interface Packet {
  readonly kind: 'packet';
  /** `<` inbound (injected into the stack), `>` outbound (expected from it). */
  readonly direction: '<' | '>';
  readonly ipInfo?: IpInfo;
  /** Flag letters from `FSRPEWAU` in the order written, `.` for ACK; `''` for `-`. */
  readonly flags: string;
  readonly seq: SeqSpec;
  readonly ack?: number;
  readonly win?: number;
  readonly urg?: number;
  /** Options in order; `'any'` for `<...>`; `null` when none were written. */
  readonly options: readonly TcpOption[] | 'any' | null;
}

/** `` `sysctl -w ...` ``: a shell command (text between the backquotes). */
export interface Command { readonly kind: 'command'; readonly command: string }

/** `assert tcpi_state == TCPI_ESTABLISHED`. */
export interface CodeAssert {
  readonly lhs: string;
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  readonly rhs: string;
}
/** `%{ ... }%`: Python in packetdrill. `code` is the trimmed text. */
export interface CodeBlock {
  readonly kind: 'code';
  readonly code: string;
  /** The lines that are simple `assert a OP b` checks. */
  readonly asserts: readonly CodeAssert[];
  /** Non-empty lines that are not simple asserts (left to the runner). */
  readonly other: readonly string[];
}

export type EventBody = Syscall | Packet | Command | CodeBlock;

export interface Event extends Position {
  readonly time: EventTime;
  /** Set for blocking syscalls `t1...t2 call()`. */
  readonly endTime?: EndTime;
  readonly body: EventBody;
}

/** An untimed command before the first or after the last event. */
export interface UntimedCommand extends Position { readonly command: string }

/** One `#ifdef NAME` / `#ifndef NAME` line and whether its first branch was kept. */
export interface Conditional extends Position {
  readonly directive: 'ifdef' | 'ifndef';
  readonly name: string;
  readonly taken: boolean;
}

export interface Script {
  readonly file: string;
  /** `--name=value` header options (`--flag` alone maps to `''`), last one wins. */
  readonly options: Map<string, string>;
  /** `--define=NAME=val` / `-D NAME=val` plus those the caller passed. */
  readonly defines: Map<string, string>;
  readonly events: readonly Event[];
  readonly initCommand?: UntimedCommand;
  readonly cleanupCommand?: UntimedCommand;
  /** `#ifdef` / `#ifndef` sections met while reading (the corpus uses STANDARD / FreeBSD). */
  readonly conditionals: readonly Conditional[];
}
