/**
 * Recursive-descent parser for packetdrill scripts, after packetdrill's parser.y:
 *
 *   script   := option* [untimed_command] event* [untimed_command]
 *   event    := time [ '...' time ] body
 *   time     := ['+'] num | num '~' num | '+' num '~' '+' num | '*'
 *   body     := packet | syscall | `command` | %{ code }%
 *   packet   := ('<'|'>') [ip_info] flags (seq ':' end '(' len ')' | '...' '(' len ')')
 *               ['ack' N] ['win' N] ['urg' N] ['<' (options | '...') '>']
 *   syscall  := word '(' [expr {',' expr}] ')' '=' expr [ERRNO] ['(' note ')']
 *   expr     := term {'|' term}
 *   term     := '...' | int | hex | "str" | word | word '(' args ')' | '[' exprs ']'
 *             | '{' name ['(' expr ')'] '=' expr {',' ...} '}' | a.b.c.d
 *
 * Owns: syntax and the checks parser.y makes while building its tree (number
 * ranges, seq:end(len) consistency, ranges and `*` only on outbound packets).
 * Must not: resolve symbols, relative times or sequence spaces.
 * Never throws: returns a Script or a ParseError.
 */
import {
  ParseError,
  type CodeAssert, type CodeBlock, type EndTime, type Event, type EventBody, type EventTime,
  type Expr, type IpInfo, type Packet, type Script, type SeqSpec, type StructField,
  type Syscall, type TcpOption, type UntimedCommand,
} from './ast.js';
import { describeToken, lex, type Token } from './lexer.js';

export interface ParseOptions {
  /** Name used in error messages (default `script.pkt`). */
  readonly file?: string;
  /** Names defined before the script is read (for `#ifdef`), as `-D` would. */
  readonly defines?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

const U32_MAX = 0xffff_ffff;
const MAX_DEPTH = 32;

/** Parse a whole script. Returns the Script, or a ParseError for the first problem. */
export function parseScript(text: string, opts: ParseOptions = {}): Script | ParseError {
  const file = opts.file ?? 'script.pkt';
  const defines = new Map<string, string>();
  if (opts.defines !== undefined) {
    const entries = opts.defines instanceof Map ? [...opts.defines] : Object.entries(opts.defines);
    for (const [k, v] of entries) defines.set(k, v);
  }
  try {
    const { tokens, conditionals } = lex(text, file, defines);
    return new Parser(tokens, file, text, defines).script(conditionals);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
}

const ECN_NAMES = new Set(['noecn', 'ect0', 'ect1', 'ect01', 'ce']);
const FLAG_CHARS = /^[FSRPEWAU]+$/;
/** `assert lhs OP rhs[, message]` with an optional `# comment`. */
const ASSERT_RE = /^assert\s+([A-Za-z_][\w.]*)\s*(==|!=|<=|>=|<|>)\s*([\w.+-]+)\s*(?:,[^#]*)?(?:#.*)?$/;

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
    private readonly src: string,
    private readonly defines: Map<string, string>,
  ) {}

  // ------------------------------------------------------------ helpers

  private get tok(): Token { return this.tokens[this.i]!; }
  private atEof(): boolean { return this.tok.kind === 'eof'; }
  private next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private fail(expected: string, at: Token = this.tok, found: string = describeToken(at)): never {
    throw new ParseError(this.file, at.line, at.column, expected, found);
  }
  private isPunct(c: string, t: Token = this.tok): boolean { return t.kind === 'punct' && t.text === c; }
  private isWord(w: string, t: Token = this.tok): boolean { return t.kind === 'word' && t.text === w; }
  private expectPunct(c: string): Token {
    if (!this.isPunct(c)) this.fail(`'${c}'`);
    return this.next();
  }
  private expectWord(w: string): Token {
    if (!this.isWord(w)) this.fail(`'${w}'`);
    return this.next();
  }
  /** An unsigned integer (decimal or 0x hex) in [min, max]. */
  private uint(what: string, max: number, min = 0): number {
    const t = this.tok;
    if (t.kind !== 'int' && t.kind !== 'hex') this.fail(what);
    const v = t.kind === 'hex' ? parseInt(t.text.slice(2), 16) : Number(t.text);
    if (!Number.isSafeInteger(v) || v < min || v > max) this.fail(`${what} in ${min}..${max}`, t, t.text);
    this.next();
    return v;
  }

  // ------------------------------------------------------------ script

  script(conditionals: Script['conditionals']): Script {
    const options = new Map<string, string>();
    while (this.tok.kind === 'option' || this.tok.kind === 'define') {
      const t = this.next();
      if (t.kind === 'option') options.set(t.text, t.value ?? '');
    }
    let initCommand: UntimedCommand | undefined;
    let cleanupCommand: UntimedCommand | undefined;
    const events: Event[] = [];
    if (this.tok.kind === 'backquote') {
      const t = this.next();
      initCommand = { command: t.text, line: t.line, column: t.column };
    }
    while (this.tok.kind !== 'eof') {
      const t = this.tok;
      if (t.kind === 'backquote') {
        this.next();
        cleanupCommand = { command: t.text, line: t.line, column: t.column };
        if (!this.atEof()) this.fail('end of script after the untimed cleanup command');
        break;
      }
      if (t.kind === 'option' || t.kind === 'define') this.fail('an event time (options go before the first event)');
      events.push(this.event());
    }
    const script: Script = {
      file: this.file, options, defines: this.defines, events, conditionals,
      ...(initCommand !== undefined ? { initCommand } : {}),
      ...(cleanupCommand !== undefined ? { cleanupCommand } : {}),
    };
    return script;
  }

  // ------------------------------------------------------------ events and times

  private timeValue(what: string): number {
    const t = this.tok;
    if (t.kind !== 'int' && t.kind !== 'float') this.fail(what);
    const secs = Number(t.text);
    if (!Number.isFinite(secs) || secs < 0 || secs > 1e9) this.fail(`${what} (non-negative seconds)`, t, t.text);
    this.next();
    return Math.round(secs * 1e6);
  }

  private eventTime(): EventTime {
    if (this.isPunct('*')) { this.next(); return { kind: 'any' }; }
    if (this.isPunct('+')) {
      this.next();
      const a = this.timeValue('a time after \'+\'');
      if (this.isPunct('~')) {
        this.next();
        if (!this.isPunct('+')) this.fail("'+' (a relative range is written +a~+b)");
        this.next();
        const b = this.timeValue("a time after '~+'");
        return this.range(true, a, b);
      }
      return { kind: 'relative', usecs: a };
    }
    if (this.tok.kind !== 'int' && this.tok.kind !== 'float') {
      this.fail("an event time ('0.1', '+0.1', 'a~b' or '*')");
    }
    const a = this.timeValue('an event time');
    if (this.isPunct('~')) {
      this.next();
      if (this.isPunct('+')) this.fail('an absolute time (a range is a~b or +a~+b)');
      const b = this.timeValue("a time after '~'");
      return this.range(false, a, b);
    }
    return { kind: 'absolute', usecs: a };
  }

  private range(relative: boolean, startUsecs: number, endUsecs: number): EventTime {
    const prev = this.tokens[this.i - 1]!;
    // parser.y: "time range is backwards".
    if (endUsecs < startUsecs) this.fail('a range end at or after its start', prev, prev.text);
    return { kind: 'range', relative, startUsecs, endUsecs };
  }

  private event(): Event {
    const first = this.tok;
    const time = this.eventTime();
    let endTime: EndTime | undefined;
    if (this.tok.kind === 'ellipsis') {
      this.next();
      const endTok = this.tok;
      endTime = { usecs: this.timeValue("the end time of a blocking call after '...'") };
      if (time.kind !== 'absolute' && time.kind !== 'relative') {
        this.fail("a plain start time before '...' (a blocking call cannot have a range or '*')", first, describeToken(first));
      }
      if (time.kind === 'absolute' && endTime.usecs < time.usecs) {
        this.fail('a blocking end time not before the start time', endTok, endTok.text);
      }
    }
    const bodyTok = this.tok;
    const body = this.body();
    if ((time.kind === 'range' || time.kind === 'any') && !(body.kind === 'packet' && body.direction === '>')) {
      this.fail(`an outbound packet ('>') after a ${time.kind === 'any' ? "'*'" : 'range'} time`, bodyTok,
        body.kind === 'packet' ? "'<'" : describeToken(bodyTok));
    }
    if (endTime !== undefined && body.kind !== 'syscall') {
      this.fail("a system call after a blocking time 't1...t2'", bodyTok);
    }
    return {
      line: first.line, column: first.column, time,
      ...(endTime !== undefined ? { endTime } : {}),
      body,
    };
  }

  private body(): EventBody {
    const t = this.tok;
    if (t.kind === 'backquote') { this.next(); return { kind: 'command', command: t.text }; }
    if (t.kind === 'code') { this.next(); return codeBlock(t.text); }
    if (this.isPunct('<') || this.isPunct('>')) return this.packet();
    if (t.kind === 'word') return this.syscall();
    return this.fail("a packet ('<' or '>'), a system call, a `command` or a %{ code }% block");
  }

  // ------------------------------------------------------------ packets

  private packet(): Packet {
    const direction = this.next().text as '<' | '>';
    let ipInfo: IpInfo | undefined;
    if (this.isPunct('[')) ipInfo = this.ipInfo();
    const flags = this.flags();
    const seq = this.seq();
    let ack: number | undefined;
    let win: number | undefined;
    let urg: number | undefined;
    if (this.isWord('ack')) { this.next(); ack = this.uint("an ack number after 'ack'", U32_MAX); }
    if (this.isWord('win')) { this.next(); win = this.uint("a window after 'win'", 0xffff); }
    if (this.isWord('urg')) { this.next(); urg = this.uint("an urgent pointer after 'urg'", 0xffff); }
    // tcp_packet.c: "window must be specified for inbound packets".
    if (direction === '<' && win === undefined) this.fail("'win N' (inbound packets must give a window)");
    let options: TcpOption[] | 'any' | null = null;
    if (this.isPunct('<')) options = this.tcpOptions();
    return {
      kind: 'packet', direction,
      ...(ipInfo !== undefined ? { ipInfo } : {}),
      flags, seq,
      ...(ack !== undefined ? { ack } : {}),
      ...(win !== undefined ? { win } : {}),
      ...(urg !== undefined ? { urg } : {}),
      options,
    };
  }

  /** `[ect0]`, `[noecn]`, `[tos 0x2]`, `[ect0, ttl 64]`, `[tos 0x1, flowlabel 7]`. */
  private ipInfo(): IpInfo {
    this.next();
    const info: { ecn?: IpInfo['ecn']; tos?: number; ttl?: number; flowlabel?: number } = {};
    for (;;) {
      const t = this.tok;
      if (t.kind === 'word' && ECN_NAMES.has(t.text)) { this.next(); info.ecn = t.text as IpInfo['ecn']; }
      else if (this.isWord('tos')) { this.next(); info.tos = this.uint("a TOS value after 'tos'", 0xff); }
      else if (this.isWord('ttl')) { this.next(); info.ttl = this.uint("a TTL after 'ttl'", 0xff); }
      else if (this.isWord('flowlabel')) { this.next(); info.flowlabel = this.uint("a flow label after 'flowlabel'", 0xfffff); }
      else this.fail("an IP field ('noecn', 'ect0', 'ect1', 'ect01', 'ce', 'tos N', 'ttl N' or 'flowlabel N')");
      if (this.isPunct(',')) { this.next(); continue; }
      this.expectPunct(']');
      return info;
    }
  }

  /** `S.`, `.`, `SEW`, `F.`, `-`: letters from FSRPEWAU plus '.' (ACK). */
  private flags(): string {
    if (this.isPunct('-')) { this.next(); return ''; }
    let flags = '';
    let dot = false;
    if (this.tok.kind === 'word' && FLAG_CHARS.test(this.tok.text)) flags = this.next().text;
    if (this.isPunct('.')) { this.next(); dot = true; }
    if (flags === '' && !dot) this.fail("TCP flags (letters from 'FSRPEWAU', '.' or '-')");
    return dot ? flags + '.' : flags;
  }

  private seq(): SeqSpec {
    if (this.tok.kind === 'ellipsis') {
      this.next();
      this.expectPunct('(');
      const len = this.uint('a payload length', 0xffff);
      this.expectPunct(')');
      return { start: null, end: null, len };
    }
    const start = this.uint("a sequence range 'start:end(len)'", U32_MAX);
    this.expectPunct(':');
    const end = this.uint("the end of the sequence range after ':'", U32_MAX);
    this.expectPunct('(');
    const lenTok = this.tok;
    const len = this.uint('a payload length in parentheses', 0xffff);
    this.expectPunct(')');
    // parser.y: "inconsistent TCP sequence numbers and payload size" (end == start + len, no wrap).
    if (end !== start + len) {
      this.fail(`payload length (${end - start}) matching ${start}:${end}`, lenTok, `(${len})`);
    }
    return { start, end, len };
  }

  private tcpOptions(): TcpOption[] | 'any' {
    const open = this.tok;
    const opts = this.tcpOptionList();
    if (opts === 'any') return opts;
    // tcp_packet.c: options must pad the header to 4 bytes and fit in 40.
    const bytes = opts.reduce((n, o) => n + optionBytes(o), 0);
    if (bytes % 4 !== 0 || bytes > 40) {
      this.fail('TCP options padded to a multiple of 4 bytes and at most 40 bytes', open, `${bytes} bytes`);
    }
    return opts;
  }

  private tcpOptionList(): TcpOption[] | 'any' {
    this.expectPunct('<');
    if (this.tok.kind === 'ellipsis') {
      this.next();
      this.expectPunct('>');
      return 'any';
    }
    const opts: TcpOption[] = [];
    if (this.isPunct('>')) { this.next(); return opts; }
    for (;;) {
      opts.push(this.tcpOption());
      if (this.isPunct(',')) { this.next(); continue; }
      this.expectPunct('>');
      return opts;
    }
  }

  private tcpOption(): TcpOption {
    const t = this.tok;
    if (t.kind !== 'word') this.fail("a TCP option ('mss', 'nop', 'eol', 'wscale', 'sackOK', 'sack', 'TS', 'FO', 'md5')");
    this.next();
    switch (t.text) {
      case 'nop': return { kind: 'nop' };
      case 'eol': return { kind: 'eol' };
      case 'sackOK': return { kind: 'sackOK' };
      case 'md5': return { kind: 'md5' };
      case 'mss': return { kind: 'mss', value: this.uint("an MSS value after 'mss'", 0xffff) };
      case 'wscale': return { kind: 'wscale', value: this.uint("a shift count after 'wscale'", 0xff) };
      case 'sack': {
        const blocks: { left: number; right: number }[] = [];
        while (this.tok.kind === 'int') {
          const left = this.uint('a SACK block left edge', U32_MAX);
          this.expectPunct(':');
          const right = this.uint("a SACK block right edge after ':'", U32_MAX);
          blocks.push({ left, right });
        }
        if (blocks.length === 0) this.fail("a SACK block 'left:right' after 'sack'");
        return { kind: 'sack', blocks };
      }
      case 'TS': {
        this.expectWord('val');
        const val = this.uint("a timestamp value after 'val'", U32_MAX);
        this.expectWord('ecr');
        const ecr = this.uint("a timestamp echo reply after 'ecr'", U32_MAX);
        return { kind: 'timestamp', val, ecr };
      }
      case 'FO': case 'FOEXP': {
        const experimental = t.text === 'FOEXP';
        const c = this.tok;
        if (c.kind === 'word' || c.kind === 'int' || c.kind === 'hex') {
          this.next();
          return { kind: 'fastopen', experimental, cookie: c.text };
        }
        return { kind: 'fastopen', experimental };
      }
      default:
        return this.fail("a TCP option ('mss', 'nop', 'eol', 'wscale', 'sackOK', 'sack', 'TS', 'FO', 'md5')", t);
    }
  }

  // ------------------------------------------------------------ syscalls and expressions

  private syscall(): Syscall {
    const name = this.next().text;
    this.expectPunct('(');
    const args = this.exprList(')');
    this.expectPunct('=');
    const result = this.expr();
    let errno: string | undefined;
    let note: string | undefined;
    if (this.tok.kind === 'word') errno = this.next().text;
    if (this.isPunct('(')) note = this.note();
    return {
      kind: 'syscall', name, args, result,
      ...(errno !== undefined ? { errno } : {}),
      ...(note !== undefined ? { note } : {}),
    };
  }

  /** `(free text)` after a result: the raw text between the parentheses. */
  private note(): string {
    const open = this.next();
    let depth = 1;
    for (;;) {
      const t = this.tok;
      if (t.kind === 'eof') this.fail("')' closing the note opened at " + `${open.line}:${open.column}`);
      if (this.isPunct('(')) depth++;
      if (this.isPunct(')') && --depth === 0) {
        this.next();
        return this.src.slice(open.end, t.start).trim().replace(/\s+/g, ' ');
      }
      this.next();
    }
  }

  /** Expressions separated by ',' up to `close` (consumed). */
  private exprList(close: string): Expr[] {
    const items: Expr[] = [];
    if (this.isPunct(close)) { this.next(); return items; }
    for (;;) {
      items.push(this.expr());
      if (this.isPunct(',')) { this.next(); continue; }
      if (this.isPunct(close)) { this.next(); return items; }
      this.fail(`',' or '${close}'`);
    }
  }

  private expr(): Expr {
    const first = this.tok;
    const term = this.term();
    if (!this.isPunct('|')) return term;
    const terms: Expr[] = [term];
    while (this.isPunct('|')) {
      this.next();
      terms.push(this.term());
    }
    return { kind: 'or', terms, line: first.line, column: first.column };
  }

  private term(): Expr {
    if (++this.depth > MAX_DEPTH) this.fail(`at most ${MAX_DEPTH} nested expressions`);
    try {
      return this.termInner();
    } finally {
      this.depth--;
    }
  }

  private termInner(): Expr {
    const t = this.tok;
    const at = { line: t.line, column: t.column };
    switch (t.kind) {
      case 'ellipsis': this.next(); return { kind: 'ellipsis', ...at };
      case 'int': case 'hex': {
        this.next();
        const value = t.kind === 'hex' ? parseInt(t.text.slice(2), 16) : Number(t.text);
        if (!Number.isSafeInteger(value)) this.fail('an integer that fits in 53 bits', t, t.text);
        return { kind: 'int', value, hex: t.kind === 'hex', text: t.text, ...at };
      }
      case 'string': this.next(); return { kind: 'string', value: t.text, ...at };
      case 'address': this.next(); return { kind: 'address', value: t.text, ...at };
      case 'word': {
        this.next();
        if (this.isPunct('(')) {
          this.next();
          return { kind: 'call', name: t.text, args: this.exprList(')'), ...at };
        }
        return this.defined(t.text, at);
      }
      case 'punct':
        if (t.text === '[') {
          this.next();
          return { kind: 'array', items: this.exprList(']'), ...at };
        }
        if (t.text === '{') return this.struct();
        break;
      default:
        break;
    }
    return this.fail("an expression ('...', a number, a \"string\", a SYMBOL, '[...]' or '{...}')");
  }

  /** A word, replaced by its `-D` / `--define` value as packetdrill's lexer does. */
  private defined(name: string, at: { line: number; column: number }): Expr {
    const v = this.defines.get(name);
    if (v === undefined) return { kind: 'symbol', name, ...at };
    if (/^-?[0-9]+$/.test(v)) return { kind: 'int', value: Number(v), hex: false, text: v, ...at };
    if (/^0x[0-9a-fA-F]+$/.test(v)) return { kind: 'int', value: parseInt(v.slice(2), 16), hex: true, text: v, ...at };
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return { kind: 'string', value: v.slice(1, -1), ...at };
    return { kind: 'symbol', name: v, ...at };
  }

  private struct(): Expr {
    const open = this.next();
    const fields: StructField[] = [];
    if (this.isPunct('}')) { this.next(); return { kind: 'struct', fields, line: open.line, column: open.column }; }
    for (;;) {
      const nameTok = this.tok;
      if (nameTok.kind !== 'word') this.fail("a field name ('name=value')");
      this.next();
      let count: Expr | undefined;
      if (this.isPunct('(')) {
        this.next();
        count = this.expr();
        this.expectPunct(')');
      }
      this.expectPunct('=');
      const value = this.expr();
      fields.push({
        name: nameTok.text, value, line: nameTok.line, column: nameTok.column,
        ...(count !== undefined ? { count } : {}),
      });
      if (this.isPunct(',')) { this.next(); continue; }
      if (this.isPunct('}')) { this.next(); return { kind: 'struct', fields, line: open.line, column: open.column }; }
      this.fail("',' or '}'");
    }
  }
}

/** Encoded size of an option (RFC 9293 §3.2, RFC 7323, RFC 2018, RFC 7413, RFC 2385). */
function optionBytes(o: TcpOption): number {
  switch (o.kind) {
    case 'nop': case 'eol': return 1;
    case 'mss': return 4;
    case 'wscale': return 3;
    case 'sackOK': return 2;
    case 'sack': return 2 + 8 * o.blocks.length;
    case 'timestamp': return 10;
    case 'md5': return 18;
    case 'fastopen': {
      const hex = o.cookie === undefined ? '' : o.cookie.replace(/^0x/, '');
      return (o.experimental ? 4 : 2) + Math.ceil(hex.length / 2);
    }
  }
}

/** Keep the raw code and pick out the `assert a OP b` lines. */
function codeBlock(code: string): CodeBlock {
  const asserts: CodeAssert[] = [];
  const other: string[] = [];
  for (const raw of code.split('\n')) {
    const lineText = raw.trim();
    if (lineText === '' || lineText.startsWith('#')) continue;
    const m = ASSERT_RE.exec(lineText);
    if (m !== null) asserts.push({ lhs: m[1]!, op: m[2] as CodeAssert['op'], rhs: m[3]! });
    else other.push(lineText);
  }
  return { kind: 'code', code, asserts, other };
}
