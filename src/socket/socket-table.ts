/**
 * The descriptor table of one SocketCore and the base class of its sockets.
 *
 * Owns: fd allocation (lowest free number ≥ 3, as POSIX and packetdrill expect:
 * 0-2 are stdin/stdout/stderr), the per-socket fields every protocol shares
 * (flags, readiness listener, generic SOL_SOCKET values) and readiness delivery.
 * Must not: know protocol rules (tcp-socket.ts / udp-socket.ts do).
 */
import type { Stack } from '../stack.js';
import type { TcpInfo } from '../tcp/endpoint.js';
import type { LingerValue } from './options.js';

/** What the socket core needs from a Stack. */
export type SocketStack = Pick<Stack, 'tcp' | 'udp' | 'acct' | 'clock' | 'createUdpSocket'>;

/** An IPv4 socket address (address as a 32-bit number), filled by recvfrom/getsockname/getpeername. */
export interface SockAddr {
  addr: number;
  port: number;
}

/** Readiness observer: `events` is the POLL* bits that just became true (edge). */
export interface ReadyListener {
  onReady(fd: number, events: number): void;
  /** Optional: every byte of the sendZeroCopy buffer `id` was acknowledged (its memory may be reused). */
  onSendComplete?(fd: number, id: number): void;
}
export type ReadyCallback = ReadyListener | ((fd: number, events: number) => void);

/** Values getsockopt returns: a number (ints and flags as 0/1), SO_LINGER, or TCP_INFO. */
export type SockOptValue = number | { onoff: number; linger: number } | TcpInfo;
/** Values setsockopt takes: numbers, booleans for flags, SO_LINGER. */
export type SockOptInput = number | boolean | LingerValue;

export type SocketKind = 'tcp' | 'udp';

/** Fields and behaviour common to TCP and UDP sockets of the core. */
export abstract class Socket {
  /** The descriptor, or -1 once closed. */
  fd = -1;
  /** fcntl F_GETFL/F_SETFL flags (O_NONBLOCK). The core never blocks either way. */
  flags = 0;
  /** SO_BROADCAST as stored for protocols that ignore it. */
  broadcastFlag = false;
  private listener: ReadyCallback | null = null;

  abstract readonly kind: SocketKind;

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  setListener(l: ReadyCallback | null): void {
    if (l !== null && typeof l !== 'function' && (typeof l !== 'object' || typeof l.onReady !== 'function')) {
      throw new TypeError('readiness listener must be a function or an object with onReady(fd, events)');
    }
    this.listener = l;
  }

  /** Report a zero-copy send completion to an object listener that wants it. */
  notifyComplete(id: number): void {
    const l = this.listener;
    if (l === null || typeof l === 'function' || this.fd < 0 || l.onSendComplete === undefined) return;
    l.onSendComplete(this.fd, id);
  }

  /** Report readiness edges to the listener (from softirq or deferred context, never inside a call). */
  notify(events: number): void {
    const l = this.listener;
    if (l === null || this.fd < 0 || events === 0) return;
    if (typeof l === 'function') l(this.fd, events);
    else l.onReady(this.fd, events);
  }
}

/** Descriptor → socket, lowest free descriptor ≥ 3 first. */
export class FdTable {
  static readonly FIRST_FD = 3;
  private readonly slots: (Socket | undefined)[] = [];
  private count = 0;

  constructor(readonly maxFds = 65536) {}

  get size(): number {
    return this.count;
  }

  /** Install `s` at the lowest free descriptor; -1 when the table is full. */
  add(s: Socket): number {
    let i = 0;
    while (i < this.slots.length && this.slots[i] !== undefined) i++;
    if (i + FdTable.FIRST_FD >= this.maxFds + FdTable.FIRST_FD) return -1;
    this.slots[i] = s;
    this.count++;
    s.fd = i + FdTable.FIRST_FD;
    return s.fd;
  }

  get(fd: number): Socket | undefined {
    return this.slots[fd - FdTable.FIRST_FD];
  }

  remove(s: Socket): void {
    const i = s.fd - FdTable.FIRST_FD;
    if (i >= 0 && this.slots[i] === s) {
      this.slots[i] = undefined;
      this.count--;
      while (this.slots.length > 0 && this.slots[this.slots.length - 1] === undefined) this.slots.length--;
    }
    s.fd = -1;
  }

  *[Symbol.iterator](): IterableIterator<Socket> {
    for (const s of this.slots) if (s !== undefined) yield s;
  }
}
