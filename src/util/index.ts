/**
 * Small shared utilities with no dependencies on any layer: seeded randomness
 * and configuration units. Anything may import these; they import nothing.
 */
export { Prng, createPrng } from './prng.js';
export {
  parseRate,
  parseDuration,
  parseSize,
  parseProbability,
  formatRate,
  formatDuration,
  formatSize,
} from './units.js';
export type { UnitValue } from './units.js';
export * from './describe.js';
