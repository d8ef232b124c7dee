/**
 * The byte pattern of bulk transfers: byte `pos` of a flow is patternByte(pos).
 * Period 256, so a sender can send from one pre-filled buffer at offset
 * (pos & 255) and a receiver can check any byte from its stream position.
 */
export function patternByte(pos: number): number {
  return (pos * 7 + 3) & 0xff;
}

/** A buffer of chunk + 256 pattern bytes: bytes for stream position p start at offset (p & 255). */
export function patternBuffer(chunk: number): Uint8Array {
  const b = new Uint8Array(chunk + 256);
  for (let i = 0; i < b.length; i++) b[i] = patternByte(i);
  return b;
}

/** Count bytes of b[off, off+len) that do not match the pattern from stream position `pos`. */
export function patternMismatches(b: Uint8Array, off: number, len: number, pos: number): number {
  let bad = 0;
  for (let k = 0; k < len; k++) if (b[off + k] !== patternByte(pos + k)) bad++;
  return bad;
}
