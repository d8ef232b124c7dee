/**
 * Node-compatible facades over a Stack: `stack.net` (node:net) and the
 * zero-copy API. Build one with `createNet(stack)` or use the Stack's lazy
 * `net` getter.
 */
export * from './net/index.js';
