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

type MessageListener = (msg: Buffer, rinfo: RemoteInfo) => void;

export class Dgram {
  /** `new dgram.Socket(type[, onMessage])` as in Node: a Socket class bound to this stack (a subclass of the exported Socket). */
  readonly Socket: new (type: 'udp4' | SocketOptions, listener?: MessageListener) => Socket;

  constructor(stack: DgramStack) {
    this.Socket = class extends Socket {
      constructor(type: 'udp4' | SocketOptions, listener?: MessageListener) {
        super(stack, type, listener);
      }
    };
  }

  /** createSocket('udp4' | options[, onMessage]): 'udp6' throws ERR_SOCKET_BAD_TYPE (IPv4 only). */
  createSocket(type: 'udp4' | SocketOptions, listener?: MessageListener): Socket {
    return new this.Socket(type, listener);
  }
}
