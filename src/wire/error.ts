/**
 * Why a packet failed to parse: the typed error every `parseX` in src/wire returns
 * (never throws) when bytes do not form a valid header.
 *
 * Owns: the closed set of error codes and one frozen instance per code, so that
 * rejecting a packet allocates nothing (DESIGN principle 4).
 * Must not: carry per-packet data (the instances are shared), or be thrown. The
 * caller knows which layer it asked, counts the error and drops the packet
 * (STYLE lesson 12).
 *
 * How the codes split: `truncated` means the bytes end before the structure does
 * (too short for a fixed header, or a length field claims more bytes than were
 * given); the `bad…` codes mean a field's value is impossible on its own or
 * inconsistent with the header it sits in.
 */

export type WireErrorCode =
  | 'truncated' // fewer bytes than the header (or a length field) requires
  | 'badVersion' // IPv4 version field is not 4
  | 'badHeaderLength' // IPv4 IHL < 5
  | 'badTotalLength' // IPv4 total length < header length
  | 'badLength' // UDP length < 8
  | 'badDataOffset' // TCP data offset < 5
  | 'badOptionLength' // TCP option list malformed (length < 2, runs past header, wrong fixed length)
  | 'badChecksum' // checksum did not verify (for callers that report verification as an error)
  | 'unsupported'; // well-formed, but a variant we do not handle (e.g. ARP for non-Ethernet/IPv4)

const MESSAGES: { readonly [C in WireErrorCode]: string } = {
  truncated: 'packet is shorter than its header or length field requires',
  badVersion: 'IP version is not 4',
  badHeaderLength: 'IPv4 header length (IHL) is less than 5 words',
  badTotalLength: 'IPv4 total length is less than the header length',
  badLength: 'UDP length is less than the 8-byte header',
  badDataOffset: 'TCP data offset is less than 5 words',
  badOptionLength: 'TCP option list is malformed (illegal option length)',
  badChecksum: 'checksum does not verify',
  unsupported: 'packet variant is not supported',
};

/** A parse failure. Compare `code`s (stable strings); the instances are shared singletons. */
export class WireError {
  constructor(
    readonly code: WireErrorCode,
    readonly message: string,
  ) {}

  toString(): string {
    return `WireError(${this.code}): ${this.message}`;
  }
}

function makeErrors(): { readonly [C in WireErrorCode]: WireError } {
  const out = {} as { [C in WireErrorCode]: WireError };
  for (const code of Object.keys(MESSAGES) as WireErrorCode[]) {
    out[code] = Object.freeze(new WireError(code, MESSAGES[code]));
  }
  return Object.freeze(out);
}

/** One frozen WireError per code: `return WireErrors.truncated`. */
export const WireErrors = makeErrors();

/** Every code, for table-driven tests and counters. */
export const WIRE_ERROR_CODES = Object.freeze(Object.keys(MESSAGES) as WireErrorCode[]);

/** Narrow a `parseX` result: `if (isWireError(r)) { count(r.code); return; }`. */
export function isWireError(x: unknown): x is WireError {
  return x instanceof WireError;
}

/**
 * Emit-side guard: writing a header past the end of `bytes` is a programming error
 * (the caller sized the buffer with `xHeaderLen` first), so it throws RangeError.
 */
export function assertRoom(bytes: Uint8Array, offset: number, needed: number, what: string): void {
  if (!(offset >= 0 && offset + needed <= bytes.length)) {
    throw new RangeError(`${what}: needs ${needed} bytes at offset ${offset}, buffer has ${bytes.length}`);
  }
}

/**
 * Parse-side guard: whether [offset, offset+length) lies inside `bytes` and holds at
 * least `min` bytes. A range outside the array counts as truncated, never as a throw.
 */
export function hasBytes(bytes: Uint8Array, offset: number, length: number, min: number): boolean {
  return length >= min && offset >= 0 && offset + length <= bytes.length;
}
