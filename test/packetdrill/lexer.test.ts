/**
 * The .pkt tokenizer against packetdrill's lexer.l: token kinds, longest
 * match between numbers / words / addresses, positions, comments, defines and
 * #ifdef sections.
 */
import { describe, expect, it } from 'vitest';
import { lex, ParseError, type Token } from '../../src/packetdrill/index.js';

const kinds = (tokens: Token[]): [string, string][] => tokens.map((t) => [t.kind, t.text]);

describe('lexer', () => {
  it('splits the token kinds packetdrill’s lexer.l has', () => {
    const { tokens } = lex('--mtu=72 +.1...0.2 0x1f -3 sackOK "s" `c` %{ x }% ... 10.0.0.1 -.5', 'l.pkt', new Map());
    expect(kinds(tokens)).toEqual([
      ['option', 'mtu'], ['punct', '+'], ['float', '.1'], ['ellipsis', '...'], ['float', '0.2'],
      ['hex', '0x1f'], ['int', '-3'], ['word', 'sackOK'], ['string', 's'], ['backquote', 'c'],
      ['code', 'x'], ['ellipsis', '...'], ['address', '10.0.0.1'], ['float', '-.5'], ['eof', ''],
    ]);
    expect(tokens[0]!.value).toBe('72');
  });

  it('a blocking time 1.00...6.00 is float, ellipsis, float (not an address)', () => {
    expect(kinds(lex('1.00...6.00', 'l.pkt', new Map()).tokens)).toEqual([
      ['float', '1.00'], ['ellipsis', '...'], ['float', '6.00'], ['eof', ''],
    ]);
  });

  it('seq:end(len) and flags split into numbers and punctuation', () => {
    expect(kinds(lex('S. 0:10(10)', 'l.pkt', new Map()).tokens)).toEqual([
      ['word', 'S'], ['punct', '.'], ['int', '0'], ['punct', ':'], ['int', '10'], ['punct', '('],
      ['int', '10'], ['punct', ')'], ['eof', ''],
    ]);
  });

  it('- before a non-number is punctuation (no flags), before a digit a negative int', () => {
    expect(kinds(lex('< - 1:1(0) = -1', 'l.pkt', new Map()).tokens).map(([k, t]) => `${k}:${t}`))
      .toEqual(['punct:<', 'punct:-', 'int:1', 'punct::', 'int:1', 'punct:(', 'int:0', 'punct:)', 'punct:=', 'int:-1', 'eof:']);
  });

  it('records 1-based lines and columns and source offsets', () => {
    const { tokens } = lex('// c\n  +0.1\tclose', 'l.pkt', new Map());
    expect(tokens.map((t) => [t.text, t.line, t.column, t.start, t.end])).toEqual([
      ['+', 2, 3, 7, 8], ['0.1', 2, 4, 8, 11], ['close', 2, 8, 12, 17], ['', 2, 13, 17, 17],
    ]);
  });

  it('skips // and /* */ comments, including multi-line ones', () => {
    expect(kinds(lex('a // b\n/* c\nd */ e', 'l.pkt', new Map()).tokens)).toEqual([['word', 'a'], ['word', 'e'], ['eof', '']]);
  });

  it('code blocks keep inner newlines and trim spaces and tabs at the ends', () => {
    expect(lex('%{ \tx = 1\ny = 2 }%', 'l.pkt', new Map()).tokens[0]!.text).toBe('x = 1\ny = 2');
  });

  it('-D and --define add to the defines map', () => {
    const defines = new Map<string, string>();
    const { tokens } = lex('-D A=1\n-DB\n--define=C="x y"', 'l.pkt', defines);
    expect([...defines]).toEqual([['A', '1'], ['B', '1'], ['C', '"x y"']]);
    expect(kinds(tokens).slice(0, 2)).toEqual([['define', 'A'], ['define', 'B']]);
  });

  it('#ifdef / #else / #endif drop the branch not taken and record the decision', () => {
    const src = 'a\n#ifdef X\nb\n#else\nc\n#endif\n#ifndef X\nd\n#endif\n';
    const off = lex(src, 'l.pkt', new Map());
    expect(kinds(off.tokens).map(([, t]) => t)).toEqual(['a', 'c', 'd', '']);
    const on = lex(src, 'l.pkt', new Map([['X', '1']]));
    expect(kinds(on.tokens).map(([, t]) => t)).toEqual(['a', 'b', '']);
    expect(on.conditionals.map((c) => [c.directive, c.name, c.taken, c.line])).toEqual([
      ['ifdef', 'X', true, 2], ['ifndef', 'X', false, 7],
    ]);
  });

  it('nested #ifdef inside a skipped branch stays skipped', () => {
    const src = '#ifdef X\n#ifdef Y\na\n#else\nb\n#endif\n#endif\nc';
    expect(kinds(lex(src, 'l.pkt', new Map([['Y', '1']])).tokens).map(([, t]) => t)).toEqual(['c', '']);
  });

  it('throws ParseError (only) for unterminated literals and bad directives', () => {
    for (const [src, line, column] of [['"abc', 1, 1], ['x\n  `ls', 2, 3], ['/* x', 1, 1], ['%{ y', 1, 1], ['#endif', 1, 1], ['#ifdef\n', 1, 1]] as const) {
      let err: unknown;
      try { lex(src, 'l.pkt', new Map()); } catch (e) { err = e; }
      expect(err, src).toBeInstanceOf(ParseError);
      expect([(err as ParseError).line, (err as ParseError).column], src).toEqual([line, column]);
    }
  });
});
