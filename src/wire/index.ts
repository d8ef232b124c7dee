/**
 * src/wire: packet formats only (STYLE lessons 1, 2). Per header: one const object
 * of field offsets, view accessors reading fields in place, a plain repr, and
 *  - parseX(bytes, off, len, out?) → repr | WireError: checks every length first,
 *    never throws, never reads outside [off, off+len); fills and returns `out` when
 *    given (on an error `out` may be partly overwritten); payloads are recorded as
 *    absolute (payloadOffset, payloadLength) in the same bytes, never copied;
 *  - xHeaderLen(repr) and emitX(repr, bytes, off, …) → bytes written.
 * Must not: hold protocol state, allocate per packet, or import other layers.
 */
export * from './error.js';
export * from './address.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './icmp.js';
export * from './udp.js';
export * from './tcp-options.js';
export * from './tcp.js';
export * from './checksum-wasm.js';
