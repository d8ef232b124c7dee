/**
 * packetdrill script support: the .pkt syntax tree and its parser.
 *
 * Owns: the public surface of src/packetdrill. Must not: run scripts (the
 * interpreter builds on this).
 */
export * from './ast.js';
export { parseScript, type ParseOptions } from './parser.js';
export { lex, describeToken, type Token, type TokenKind, type LexResult } from './lexer.js';
