/**
 * ping: ICMP echo (RFC 792) as a Promise API — `stack.ping(dst, { timeout,
 * size, ttl })` resolves with the round-trip time, or rejects with a PingError
 * ('ETIMEDOUT', 'EHOSTUNREACH' when an ICMP error or ARP failure came back,
 * 'ENETUNREACH' without a route, 'EMSGSIZE', 'ENOBUFS').
 *
 * Owns: the outstanding echo requests (by sequence number), their timeout
 * timers, and the identifier of this stack's pings.
 * Must not: parse ICMP (icmp.ts hands replies and quoted requests in).
 *
 * API layer: one Promise and one Timer per ping call (not per packet of the
 * stack). Requests carry `size` data bytes of a fixed pattern (byte i = i & 0xff,
 * deterministic); like Linux ping, a reply is matched by identifier and
 * sequence number, and replies whose data differ are counted, not accepted.
 */
import type { Nanos, Timer } from '../time/clock.js';
import { NS_PER_S } from '../time/clock.js';
import { parseDuration, type UnitValue } from '../util/units.js';
import { formatIpv4, parseIpv4, readU16 } from '../wire/address.js';
import { emitIcmp, ICMP_HEADER_LEN, IcmpField, IcmpRepr, IcmpType } from '../wire/icmp.js';
import { IpProtocol, IPV4_MAX_TOTAL_LEN, IPV4_MIN_HEADER_LEN } from '../wire/ipv4.js';
import { checkKeys } from './config.js';
import type { IpContext } from './context.js';
import { Errno, icmpErrno, PingError } from './errors.js';

export interface PingOptions {
  /** How long to wait for the reply (default 1 s): ns or a duration string ('500ms'). */
  timeout?: UnitValue;
  /** Data bytes after the 8-byte ICMP header (default 56, like ping(8)); at most 65507. */
  size?: number;
  /** TTL of the request (default: the stack's defaultTtl). */
  ttl?: number;
}

export interface PingResult {
  /** Round-trip time in ns (virtual time in simulations). */
  rttNs: Nanos;
  /** Who answered (dotted quad). */
  from: string;
  /** TTL of the reply as received. */
  ttl: number;
  /** Data bytes in the reply. */
  bytes: number;
  seq: number;
}

const DEFAULT_TIMEOUT = 1 * NS_PER_S;
const DEFAULT_SIZE = 56;
const MAX_SIZE = IPV4_MAX_TOTAL_LEN - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN;

class PendingPing {
  readonly timer: Timer;
  sentAt = 0;
  resolve!: (r: PingResult) => void;
  reject!: (e: Error) => void;

  constructor(
    readonly mgr: PingManager,
    readonly seq: number,
    readonly dst: number,
    readonly size: number,
  ) {
    this.timer = mgr.ctx.clock.createTimer(onTimeout, this);
  }
}

function onTimeout(p: PendingPing): void {
  p.mgr.finish(p, null, new PingError(Errno.ETIMEDOUT, formatIpv4(p.dst), 'no echo reply before the timeout'));
}

export class PingManager {
  /** Echo identifier of this stack's pings (RFC 792: "to aid in matching echos and replies"). */
  readonly identifier: number;
  private seq = 0;
  private readonly pending = new Map<number, PendingPing>();
  private readonly repr = new IcmpRepr();
  /** Replies that matched a request but carried different data (zerostack). */
  badReplies = 0;

  constructor(readonly ctx: IpContext) {
    let h = 0x2f1d;
    for (let i = 0; i < ctx.name.length; i++) h = (Math.imul(h, 31) + ctx.name.charCodeAt(i)) & 0xffff;
    this.identifier = h;
  }

  /** Number of pings awaiting a reply. */
  get outstanding(): number {
    return this.pending.size;
  }

  ping(dst: string | number, options: PingOptions = {}): Promise<PingResult> {
    if (typeof options !== 'object' || options === null) throw new TypeError(`ping options must be an object; got ${String(options)}`);
    checkKeys(options as Record<string, unknown>, ['timeout', 'size', 'ttl'], '', 'ping option');
    const d = typeof dst === 'string' ? parseIpv4(dst) : dst;
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new TypeError(`ping: invalid destination ${String(dst)}`);
    const timeout = options.timeout === undefined ? DEFAULT_TIMEOUT : parseDuration('ping option "timeout"', options.timeout);
    const size = options.size ?? DEFAULT_SIZE;
    if (!Number.isInteger(size) || size < 0 || size > MAX_SIZE) {
      throw new RangeError(`ping option "size" must be an integer in 0..${MAX_SIZE}; got ${String(options.size)}`);
    }
    const ttl = options.ttl ?? this.ctx.config.defaultTtl;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) {
      throw new RangeError(`ping option "ttl" must be an integer in 1..255; got ${String(options.ttl)}`);
    }

    const ctx = this.ctx;
    ctx.acct.syscall();
    const address = formatIpv4(d);
    const src = ctx.tx.sourceFor(d);
    if (src < 0) {
      ctx.counters.ip.OutNoRoutes++;
      return Promise.reject(new PingError(Errno.ENETUNREACH, address, 'no route to the destination'));
    }
    const buf = ctx.pool.alloc(ICMP_HEADER_LEN + size);
    if (buf === null) {
      ctx.counters.drops.noBuffer++;
      return Promise.reject(new PingError(Errno.ENOBUFS, address, 'packet pool exhausted'));
    }
    let seq = this.seq;
    // Skip sequence numbers still in flight (65536 outstanding pings would be needed to wrap onto one).
    while (this.pending.has(seq)) seq = (seq + 1) & 0xffff;
    this.seq = (seq + 1) & 0xffff;
    const h = buf.append(ICMP_HEADER_LEN + size);
    const b = buf.bytes;
    for (let i = 0; i < size; i++) b[h + ICMP_HEADER_LEN + i] = i & 0xff;
    const r = this.repr;
    r.type = IcmpType.ECHO_REQUEST;
    r.code = 0;
    r.identifier = this.identifier;
    r.sequence = seq;
    r.payloadLength = size;
    emitIcmp(r, b, h, ctx.pool.checksum);
    ctx.acct.csum(ICMP_HEADER_LEN + size);

    const p = new PendingPing(this, seq, d, size);
    const promise = new Promise<PingResult>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    this.pending.set(seq, p);
    p.sentAt = ctx.clock.now();
    p.timer.armAfter(timeout);
    ctx.counters.icmp.OutMsgs++;
    ctx.counters.icmp.OutEchos++;
    const rc = ctx.tx.output(buf, src, d, IpProtocol.ICMP, { ttl });
    if (rc < 0) {
      ctx.counters.icmp.OutErrors++;
      this.finish(p, null, new PingError(rc, address, rc === Errno.EMSGSIZE ? 'request larger than the path MTU' : 'could not send the request'));
    }
    return promise;
  }

  /** @internal An echo reply arrived (data at bytes[dataOff, +dataLen)). */
  onReply(id: number, seq: number, from: number, ttl: number, dataLen: number, bytes: Uint8Array, dataOff: number): void {
    if (id !== this.identifier) return;
    const p = this.pending.get(seq);
    if (p === undefined) return;
    // RFC 1122 §3.2.2.6: the reply returns the request's data.
    let same = dataLen === p.size;
    for (let i = 0; same && i < dataLen; i++) same = bytes[dataOff + i] === (i & 0xff);
    if (!same) {
      this.badReplies++;
      return;
    }
    this.finish(p, { rttNs: this.ctx.clock.now() - p.sentAt, from: formatIpv4(from), ttl, bytes: dataLen, seq }, null);
  }

  /** @internal An ICMP error (or a local ARP failure, from = 0 or our address) quoting one of our echo requests. */
  onError(type: number, code: number, bytes: Uint8Array, off: number, len: number, from: number): void {
    const ihl = (bytes[off]! & 0x0f) * 4;
    if (len < ihl + ICMP_HEADER_LEN) return;
    const icmp = off + ihl;
    if (bytes[icmp + IcmpField.TYPE] !== IcmpType.ECHO_REQUEST) return;
    if (readU16(bytes, icmp + IcmpField.IDENTIFIER) !== this.identifier) return;
    const p = this.pending.get(readU16(bytes, icmp + IcmpField.SEQUENCE));
    if (p === undefined) return;
    const errno = icmpErrno(type, code) || Errno.EHOSTUNREACH;
    const what =
      type === IcmpType.TIME_EXCEEDED
        ? 'time to live exceeded'
        : type === IcmpType.DEST_UNREACHABLE
          ? `destination unreachable (code ${code})`
          : `ICMP type ${type} code ${code}`;
    const fromText = from === 0 ? '' : formatIpv4(from);
    this.finish(p, null, new PingError(errno, formatIpv4(p.dst), fromText === '' ? what : `${what} from ${fromText}`, type, code, fromText));
  }

  /** @internal Settle a ping exactly once. */
  finish(p: PendingPing, result: PingResult | null, error: Error | null): void {
    if (this.pending.get(p.seq) !== p) return;
    this.pending.delete(p.seq);
    p.timer.cancel();
    if (result !== null) p.resolve(result);
    else p.reject(error!);
  }

  /** Reject every outstanding ping (Stack.close). */
  cancelAll(reason: Error): void {
    for (const p of [...this.pending.values()]) this.finish(p, null, reason);
  }
}
