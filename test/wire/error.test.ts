import { describe, expect, it } from 'vitest';
import { assertRoom, hasBytes, isWireError, WIRE_ERROR_CODES, WireError, WireErrors } from '../../src/wire/error.js';

describe('WireError', () => {
  it.each(WIRE_ERROR_CODES)('error %s: one frozen singleton whose code is its key', (code) => {
    const e = WireErrors[code];
    expect(e).toBeInstanceOf(WireError);
    expect(e.code).toBe(code);
    expect(e.message.length).toBeGreaterThan(10);
    expect(Object.isFrozen(e)).toBe(true);
    expect(WireErrors[code]).toBe(e);
    expect(String(e)).toContain(code);
  });

  it('the table lists the codes the parsers use', () => {
    expect([...WIRE_ERROR_CODES].sort()).toEqual(
      [
        'badChecksum',
        'badDataOffset',
        'badHeaderLength',
        'badLength',
        'badOptionLength',
        'badTotalLength',
        'badVersion',
        'truncated',
        'unsupported',
      ].sort(),
    );
    expect(Object.isFrozen(WireErrors)).toBe(true);
  });

  it('isWireError tells errors from reprs and other values', () => {
    expect(isWireError(WireErrors.truncated)).toBe(true);
    expect(isWireError({ code: 'truncated', message: 'x' })).toBe(false);
    expect(isWireError(new Error('truncated'))).toBe(false);
    expect(isWireError(null)).toBe(false);
    expect(isWireError(undefined)).toBe(false);
  });
});

describe('range guards', () => {
  it('hasBytes: a range outside the array is not enough bytes (parse returns truncated, never throws)', () => {
    const b = new Uint8Array(10);
    expect(hasBytes(b, 0, 10, 10)).toBe(true);
    expect(hasBytes(b, 0, 9, 10)).toBe(false);
    expect(hasBytes(b, 1, 10, 1)).toBe(false);
    expect(hasBytes(b, -1, 5, 1)).toBe(false);
    expect(hasBytes(b, 10, 0, 0)).toBe(true);
  });

  it('assertRoom: emitting past the end of the buffer is a programming error (RangeError naming the emitter)', () => {
    const b = new Uint8Array(10);
    expect(() => assertRoom(b, 0, 10, 'emitX')).not.toThrow();
    expect(() => assertRoom(b, 1, 10, 'emitX')).toThrow(/emitX: needs 10 bytes at offset 1, buffer has 10/);
    expect(() => assertRoom(b, -1, 2, 'emitX')).toThrow(RangeError);
  });
});
