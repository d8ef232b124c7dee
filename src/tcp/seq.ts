/**
 * Sequence-number arithmetic (RFC 9293 §3.4): the ONLY module that compares
 * sequence numbers (STYLE lesson 3, gVisor `seqnum`).
 *
 * Owns: modular (mod 2^32) comparison, addition, distance and range tests.
 * Must not: know about connections. Everywhere else, sequence numbers are
 * compared through these functions, never with raw `<`/`>`.
 *
 * Values are unsigned 32-bit integers held in JS numbers (`x >>> 0`). Comparison
 * uses the signed distance `(a - b) | 0`: a is "before" b when the distance is
 * negative, i.e. when b lies less than 2^31 ahead of a. Two numbers exactly 2^31
 * apart compare as "less than" each other both ways (the distance is -2^31 in
 * both directions); RFC 9293 §3.4 windows are far below 2^31, so this never
 * matters in practice.
 */

/** a < b (mod 2^32). */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** a <= b (mod 2^32). */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

/** a > b (mod 2^32). */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** a >= b (mod 2^32). */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** a + n (mod 2^32); n may be negative. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance a - b in [-2^31, 2^31). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** The later of a and b (b when they are equal). */
export function seqMax(a: number, b: number): number {
  return ((a - b) | 0) > 0 ? a : b;
}

/** The earlier of a and b (b when they are equal). */
export function seqMin(a: number, b: number): number {
  return ((a - b) | 0) < 0 ? a : b;
}

/**
 * lo <= x <= hi (mod 2^32): x lies on the arc that starts at lo and runs
 * forward to hi, both ends included. An arc of length 0 (lo === hi) holds only lo.
 */
export function seqBetween(lo: number, x: number, hi: number): boolean {
  return ((x - lo) >>> 0) <= ((hi - lo) >>> 0);
}

/**
 * start <= x < start + len (mod 2^32), for 0 <= len <= 2^32. The RFC 9293
 * §3.10.7.4 acceptability test of one sequence number against a window.
 */
export function seqInRange(x: number, start: number, len: number): boolean {
  return ((x - start) >>> 0) < len;
}
