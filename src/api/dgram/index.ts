/**
 * `stack.dgram`: the `node:dgram` module over one zerostack Stack (UDP/IPv4).
 * Code written for Node runs by swapping `import dgram from 'node:dgram'` for
 * `const dgram = stack.dgram`.
 *
 * Owns: creating sockets bound to this stack. The Socket class (socket.ts) has
 * the behaviour; errors.ts has Node's error texts.
 */
import type { RemoteInfo } from '../../ip/udp-socket.js';
import { Socket, type DgramStack, type SocketOptions } from './socket.js';

export { Socket } from './socket.js';
export type { AddressInfo, DgramStack, LookupFunction, Message, SendCallback, SocketOptions } from './socket.js';
export type { RemoteInfo } from '../../ip/udp-socket.js';

export class Dgram {
  /** The Socket class, for `instanceof` checks (create sockets with createSocket). */
  readonly Socket = Socket;

  constructor(private readonly stack: DgramStack) {}

  /** createSocket('udp4' | options[, onMessage]): 'udp6' throws ERR_SOCKET_BAD_TYPE (IPv4 only). */
  createSocket(type: 'udp4' | SocketOptions, listener?: (msg: Buffer, rinfo: RemoteInfo) => void): Socket {
    return new Socket(this.stack, type, listener);
  }
}
