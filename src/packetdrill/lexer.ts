/**
 * Tokenizer for packetdrill scripts, following packetdrill's lexer.l: free-form
 * (newlines are whitespace), `//` and `/* *\/` comments, `--option[=value]`,
 * integers / hex / floats, words, "strings", `backquoted commands`,
 * `%{ code }%`, `...`, IPv4 addresses and single-character punctuation.
 *
 * Beyond lexer.l it reads the header defines `-D NAME=val` / `-DNAME=val` and
 * the cpp-style `#ifdef NAME` / `#ifndef` / `#else` / `#endif` lines found in
 * the FreeBSD suite, evaluated against the defines known at that point.
 *
 * Owns: turning text into tokens with positions. Must not: know the grammar.
 * Throws only ParseError (the parser catches it and returns it).
 */
import { ParseError, type Conditional } from './ast.js';

export type TokenKind =
  | 'int' | 'hex' | 'float' | 'word' | 'string' | 'backquote' | 'code'
  | 'option' | 'define' | 'ellipsis' | 'address' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Payload: the literal, the word, the string/command/code contents, the option name, the punct char. */
  readonly text: string;
  /** `--name=value` value, `-D NAME=value` value (undefined when absent). */
  readonly value?: string;
  readonly line: number;
  readonly column: number;
  /** Offsets into the source: [start, end). */
  readonly start: number;
  readonly end: number;
}

export interface LexResult {
  readonly tokens: Token[];
  readonly conditionals: Conditional[];
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isWordChar = (c: string): boolean =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c === '_';
const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v';

/** Describe a token for "but found ..." messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of input';
    case 'punct': return `'${t.text}'`;
    case 'int': case 'hex': case 'float': return `number ${t.text}`;
    case 'word': return `'${t.text}'`;
    case 'string': return 'a string';
    case 'backquote': return 'a backquoted command';
    case 'code': return 'a %{ code }% block';
    case 'option': return `option --${t.text}`;
    case 'define': return `define -D ${t.text}`;
    case 'ellipsis': return "'...'";
    case 'address': return `address ${t.text}`;
  }
}

interface CondFrame { active: boolean; parentActive: boolean; sawElse: boolean; line: number; column: number }

/**
 * Tokenize `src`. `defines` is read for `#ifdef` and extended by `-D` / `--define`.
 */
export function lex(src: string, file: string, defines: Map<string, string>): LexResult {
  const tokens: Token[] = [];
  const conditionals: Conditional[] = [];
  const conds: CondFrame[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  let atLineStart = true; // only blanks since the last newline

  const fail = (l: number, c: number, expected: string, found: string): never => {
    throw new ParseError(file, l, c, expected, found);
  };
  const advance = (to: number): void => {
    for (let i = pos; i < to; i++) {
      if (src.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
    }
    pos = to;
  };
  const col = (at: number): number => at - lineStart + 1;
  const active = (): boolean => conds.length === 0 || conds[conds.length - 1]!.active;
  const push = (kind: TokenKind, text: string, start: number, end: number, value?: string): void => {
    const l = line;
    const c = col(start);
    advance(end);
    if (!active()) return;
    tokens.push(value === undefined
      ? { kind, text, line: l, column: c, start, end }
      : { kind, text, value, line: l, column: c, start, end });
    atLineStart = false;
  };
  const endOfLine = (from: number): number => {
    const nl = src.indexOf('\n', from);
    return nl < 0 ? src.length : nl;
  };

  const directive = (): void => {
    const start = pos;
    const l = line;
    const c = col(start);
    const end = endOfLine(pos);
    const text = src.slice(start + 1, end).replace(/\/\/.*$/, '').trim();
    const m = /^(ifdef|ifndef|else|endif)\b\s*([A-Za-z_][A-Za-z0-9_]*)?\s*$/.exec(text);
    if (m === null) fail(l, c, "'#ifdef NAME', '#ifndef NAME', '#else' or '#endif'", `'#${text}'`);
    const [, dir, name] = m!;
    if (dir === 'ifdef' || dir === 'ifndef') {
      if (name === undefined) fail(l, c, `a name after '#${dir}'`, 'end of line');
      const parentActive = active();
      const taken = defines.has(name!) === (dir === 'ifdef');
      if (parentActive) conditionals.push({ directive: dir, name: name!, taken, line: l, column: c });
      conds.push({ active: parentActive && taken, parentActive, sawElse: false, line: l, column: c });
    } else {
      if (name !== undefined) fail(l, c, 'end of line', `'${name}'`);
      const top = conds[conds.length - 1];
      if (top === undefined) fail(l, c, "'#ifdef' before this line", `'#${dir}'`);
      if (dir === 'else') {
        if (top!.sawElse) fail(l, c, "'#endif'", "a second '#else'");
        top!.sawElse = true;
        top!.active = top!.parentActive && !top!.active;
      } else {
        conds.pop();
      }
    }
    advance(end);
  };

  while (pos < src.length) {
    const ch = src[pos]!;
    if (ch === '\n') { advance(pos + 1); atLineStart = true; continue; }
    if (isBlank(ch)) { advance(pos + 1); continue; }
    const next = src[pos + 1] ?? '';
    if (ch === '#' && atLineStart) { directive(); continue; }
    if (!active()) {
      // Inside a skipped #ifdef branch: only directives matter.
      advance(endOfLine(pos));
      continue;
    }
    const start = pos;
    const l = line;
    const c = col(start);
    // Comments.
    if (ch === '/' && next === '/') { advance(endOfLine(pos)); continue; }
    if (ch === '/' && next === '*') {
      const close = src.indexOf('*/', pos + 2);
      if (close < 0) fail(l, c, "'*/' closing this comment", 'end of input');
      advance(close + 2);
      continue;
    }
    // %{ code }%
    if (ch === '%' && next === '{') {
      const close = src.indexOf('}%', pos + 2);
      if (close < 0) fail(l, c, "'}%' closing this code block", 'end of input');
      push('code', src.slice(pos + 2, close).replace(/^[ \t]+|[ \t]+$/g, ''), start, close + 2);
      continue;
    }
    // "string" and `command` (backslash escapes a character).
    if (ch === '"' || ch === '`') {
      let i = pos + 1;
      while (i < src.length && src[i] !== ch) i += src[i] === '\\' ? 2 : 1;
      if (i >= src.length) fail(l, c, `${ch} closing this ${ch === '"' ? 'string' : 'command'}`, 'end of input');
      push(ch === '"' ? 'string' : 'backquote', src.slice(pos + 1, i), start, i + 1);
      continue;
    }
    // --option[=value]
    if (ch === '-' && next === '-' && isWordChar(src[pos + 2] ?? '')) {
      let i = pos + 2;
      while (i < src.length && isWordChar(src[i]!)) i++;
      const name = src.slice(pos + 2, i);
      if (src[i] === '=') {
        const vStart = i + 1;
        const j = valueEnd(vStart);
        const value = src.slice(vStart, j);
        if (name === 'define') addDefine(value, l, c);
        push('option', name, start, j, value);
      } else {
        push('option', name, start, i);
      }
      continue;
    }
    // -D NAME=value / -DNAME=value (header defines, as on packetdrill's command line).
    if (ch === '-' && next === 'D' && atLineStart) {
      let i = pos + 2;
      while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
      const j = valueEnd(i);
      const spec = src.slice(i, j);
      if (spec === '') fail(l, col(i), 'NAME=value after -D', 'end of line');
      addDefine(spec, l, col(i));
      const eq = spec.indexOf('=');
      push('define', eq < 0 ? spec : spec.slice(0, eq), start, j, eq < 0 ? '1' : spec.slice(eq + 1));
      continue;
    }
    if (ch === '.' && next === '.' && src[pos + 2] === '.') { push('ellipsis', '...', start, pos + 3); continue; }
    // Numbers, addresses, words: [-]?[0-9]*[.][0-9]+ | [-]?[0-9]+ | 0x... | [a-zA-Z0-9_]+ | a.b.c.d
    const numStart = ch === '-' ? pos + 1 : pos;
    const n0 = src[numStart] ?? '';
    if (isDigit(n0) || (n0 === '.' && isDigit(src[numStart + 1] ?? '')) || (ch !== '-' && isWordChar(ch))) {
      let i = numStart;
      while (i < src.length && isWordChar(src[i]!)) i++;
      const run = src.slice(numStart, i);
      const allDigits = /^[0-9]*$/.test(run);
      if (allDigits && ch !== '-') {
        const addr = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(src.slice(pos, pos + 64));
        if (addr !== null && !isWordChar(src[pos + addr[0].length] ?? '')) {
          push('address', addr[0], start, pos + addr[0].length);
          continue;
        }
      }
      if (allDigits && src[i] === '.' && isDigit(src[i + 1] ?? '')) {
        let j = i + 1;
        while (j < src.length && isDigit(src[j]!)) j++;
        push('float', src.slice(start, j), start, j);
        continue;
      }
      if (allDigits && run !== '') { push('int', src.slice(start, i), start, i); continue; }
      if (ch !== '-' && /^0x[0-9a-fA-F]+$/.test(run)) { push('hex', run, start, i); continue; }
      if (ch !== '-') { push('word', run, start, i); continue; }
      // '-' followed by a word that is not a number: the '-' is punctuation.
    }
    push('punct', ch, start, pos + 1);
  }
  if (conds.length > 0) {
    const top = conds[conds.length - 1]!;
    fail(top.line, top.column, "'#endif' closing this '#ifdef'", 'end of input');
  }
  tokens.push({ kind: 'eof', text: '', line, column: col(pos), start: pos, end: pos });
  return { tokens, conditionals };

  /** End of an option value: up to whitespace, "quoted" or `quoted` parts kept whole. */
  function valueEnd(from: number): number {
    let j = from;
    while (j < src.length && !isBlank(src[j]!)) {
      const q = src[j]!;
      if (q === '"' || q === '`') {
        const close = src.indexOf(q, j + 1);
        if (close < 0) fail(line, col(j), `${q} closing this value`, 'end of input');
        j = close + 1;
      } else {
        j++;
      }
    }
    return j;
  }

  function addDefine(spec: string, l: number, c: number): void {
    const eq = spec.indexOf('=');
    const name = eq < 0 ? spec : spec.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(l, c, 'a define name', `'${name}'`);
    defines.set(name, eq < 0 ? '1' : spec.slice(eq + 1));
  }
}
