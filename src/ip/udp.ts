/**
 * UDP (RFC 768, RFC 1122 §4.1): the port table, datagram input with checksum
 * verification and demultiplexing, port-unreachable generation, datagram
 * output with checksum generation, and delivery of ICMP errors to sockets.
 *
 * Owns: which socket holds which port, the ephemeral port cursor, the UDP MIB
 * updates. Sockets (udp-socket.ts) own their receive queues.
 * Must not: allocate closures or Promises per datagram, or throw on input.
 *
 * Binding (Linux without SO_REUSEADDR): a port is shared only by sockets bound
 * to different specific local addresses; a wildcard (0.0.0.0) binding conflicts
 * with every other binding of the port (EADDRINUSE). A specific address must be
 * one of ours (EADDRNOTAVAIL). Port 0 picks the next free ephemeral port in
 * udp.ephemeralLow..High (32768–60999 like Linux), sequentially from the low end
 * (deterministic, unlike Linux's randomised choice).
 *
 * Demultiplexing: among the sockets on the destination port, those bound to
 * another address, or connected to another remote, do not match; the best match
 * prefers a specific local address (+2), then a connected socket (+1), like
 * Linux's compute_score. Broadcasts go to that one best socket (Linux delivers a
 * copy to every matching socket — a documented simplification).
 *
 * Checksums on receive (RFC 768 / RFC 1122 §4.1.3.4): a zero field means "none"
 * and is accepted; otherwise csumState decides — UNNECESSARY: the NIC verified
 * it; COMPLETE: csumValue (the payload sum from the NIC or reassembly) plus the
 * pseudo-header must fold to 0xffff; NONE: verified in software (acct.csum).
 * On send: none if udp.checksums is off; CSUM_PARTIAL (pseudo-header sum in the
 * field) when the route's NIC offloads and no fragmentation is needed (and on
 * loopback, which never checks, like Linux lo); otherwise the payload is copied
 * and summed in one fused pass (acct.copyCsum) and the header checksum finished
 * in software. An all-zero result is sent as 0xffff (RFC 768).
 *
 * ICMP errors (RFC 1122 §4.1.3.3: UDP MUST pass them to the application) are
 * matched by the quoted ports and addresses. Like Linux without IP_RECVERR, only
 * connected sockets report them (as an 'error' event); an unconnected socket
 * reports them only if created with `recvErrors: true` (IP_RECVERR-like).
 * Unreported ones count udp.IcmpErrorsIgnored.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { CSUM_COMPLETE, CSUM_NONE, CSUM_PARTIAL, CSUM_UNNECESSARY } from '../buf/packet-buffer.js';
import { readU16, readU32 } from '../wire/address.js';
import { combineSums, foldSum, pseudoHeaderSum } from '../wire/checksum.js';
import { isWireError } from '../wire/error.js';
import { IcmpType, IcmpUnreachableCode } from '../wire/icmp.js';
import { ChecksumMode, Ipv4Field, IpProtocol, IPV4_MAX_TOTAL_LEN, IPV4_MIN_HEADER_LEN, type Ipv4Repr } from '../wire/ipv4.js';
import {
  emitUdp,
  parseUdp,
  setUdpChecksumField,
  udpChecksum,
  udpChecksumValid,
  UDP_HEADER_LEN,
  UdpField,
  UdpRepr,
} from '../wire/udp.js';
import type { IpContext } from './context.js';
import { Errno, icmpErrno } from './errors.js';
import type { TransportProtocol } from './types.js';
import type { UdpSocket } from './udp-socket.js';

/** RFC 768 over IPv4: 65535 − 20 (IPv4 header) − 8 (UDP header). */
export const UDP_MAX_PAYLOAD = IPV4_MAX_TOTAL_LEN - IPV4_MIN_HEADER_LEN - UDP_HEADER_LEN;

export class UdpLayer implements TransportProtocol {
  /** Sockets by local port. */
  private readonly ports = new Map<number, UdpSocket[]>();
  private nextEphemeral: number;
  private readonly repr = new UdpRepr();
  private readonly hdr = new UdpRepr();

  constructor(readonly ctx: IpContext) {
    this.nextEphemeral = ctx.config.udp.ephemeralLow;
  }

  /** Number of bound sockets. */
  get boundSockets(): number {
    let n = 0;
    for (const l of this.ports.values()) n += l.length;
    return n;
  }

  /** @internal Bind `sock` to (address, port); port 0 = ephemeral. Returns 0 or a negative errno. */
  bind(sock: UdpSocket, port: number, address: number): number {
    const ctx = this.ctx;
    if (address !== 0 && !ctx.isLocalAddress(address)) return Errno.EADDRNOTAVAIL;
    if (port === 0) {
      const { ephemeralLow: lo, ephemeralHigh: hi } = ctx.config.udp;
      const range = hi - lo + 1;
      let found = 0;
      for (let i = 0; i < range; i++) {
        const p = lo + ((this.nextEphemeral - lo + i) % range);
        if (this.available(p, address)) {
          found = p;
          break;
        }
      }
      if (found === 0) return Errno.EADDRINUSE;
      this.nextEphemeral = found === hi ? lo : found + 1;
      port = found;
    } else if (!this.available(port, address)) {
      return Errno.EADDRINUSE;
    }
    let list = this.ports.get(port);
    if (list === undefined) {
      list = [];
      this.ports.set(port, list);
    }
    list.push(sock);
    sock.localAddr = address;
    sock.localPort = port;
    return 0;
  }

  /** @internal */
  unbind(sock: UdpSocket): void {
    const list = this.ports.get(sock.localPort);
    if (list === undefined) return;
    const i = list.indexOf(sock);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.ports.delete(sock.localPort);
  }

  private available(port: number, address: number): boolean {
    const list = this.ports.get(port);
    if (list === undefined) return true;
    for (const s of list) if (address === 0 || s.localAddr === 0 || s.localAddr === address) return false;
    return true;
  }

  /**
   * @internal Send one datagram from `sock` (bound) to dst:dstPort whose payload
   * is the concatenation of `chunks` (`total` bytes). Returns 0 or a negative errno.
   */
  send(sock: UdpSocket, chunks: readonly Uint8Array[], total: number, dst: number, dstPort: number): number {
    const ctx = this.ctx;
    const c = ctx.counters;
    if (total > UDP_MAX_PAYLOAD) return Errno.EMSGSIZE;
    // Linux udp_sendmsg / ip_route_output: broadcasts need SO_BROADCAST (Node: setBroadcast(true)).
    if (!sock.broadcast && ctx.isBroadcastAddress(dst)) return Errno.EACCES;
    const src = sock.localAddr !== 0 ? sock.localAddr : ctx.tx.sourceFor(dst);
    if (src < 0) {
      c.ip.OutNoRoutes++;
      return Errno.ENETUNREACH;
    }
    const length = UDP_HEADER_LEN + total;
    const buf = ctx.pool.alloc(length);
    if (buf === null) {
      c.udp.SndbufErrors++;
      c.drops.noBuffer++;
      return Errno.ENOBUFS;
    }
    const h = buf.append(length);
    const b = buf.bytes;
    const engine = ctx.pool.checksum;
    const r = this.hdr;
    r.srcPort = sock.localPort;
    r.dstPort = dstPort;
    r.payloadLength = total;
    let mode: ChecksumMode = ChecksumMode.NONE;
    let sum = 0;
    if (!ctx.config.udp.checksums) {
      this.copyIn(chunks, b, h + UDP_HEADER_LEN);
      ctx.acct.copy(total);
    } else if (ctx.tx.checksumOffloadFor(dst, IPV4_MIN_HEADER_LEN + length)) {
      this.copyIn(chunks, b, h + UDP_HEADER_LEN);
      ctx.acct.copy(total);
      mode = ChecksumMode.PSEUDO_HEADER;
    } else {
      // Fused copy + checksum of the payload (csum_partial_copy_from_user).
      let pos = h + UDP_HEADER_LEN;
      let odd = false;
      for (let i = 0; i < chunks.length; i++) {
        const ch = chunks[i]!;
        const n = ch.length;
        if (n === 0) continue;
        if (!odd) sum = engine.copyAndSum(ch, 0, b, pos, n, sum);
        else sum = combineSums(sum, engine.copyAndSum(ch, 0, b, pos, n, 0), true);
        if ((n & 1) === 1) odd = !odd;
        pos += n;
      }
      ctx.acct.copyCsum(total);
    }
    emitUdp(r, b, h, src, dst, engine, mode);
    if (mode === ChecksumMode.PSEUDO_HEADER) {
      buf.csumState = CSUM_PARTIAL;
      buf.csumStart = 0;
      buf.csumOffset = UdpField.CHECKSUM;
    } else if (ctx.config.udp.checksums) {
      setUdpChecksumField(b, h, udpChecksum(b, h, sum, total, src, dst, engine));
      ctx.acct.csum(UDP_HEADER_LEN);
    }
    const rc = ctx.tx.output(buf, src, dst, IpProtocol.UDP, sock.outputOptions);
    if (rc < 0) return rc;
    c.udp.OutDatagrams++;
    return 0;
  }

  private copyIn(chunks: readonly Uint8Array[], b: Uint8Array, pos: number): void {
    for (let i = 0; i < chunks.length; i++) {
      const ch = chunks[i]!;
      b.set(ch, pos);
      pos += ch.length;
    }
  }

  /** TransportProtocol.input. */
  input(pkt: PacketBuffer, src: number, dst: number, ip: Ipv4Repr): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    const b = pkt.bytes;
    const head = pkt.head;
    const len = pkt.length;
    const r = parseUdp(b, head, len, this.repr);
    if (isWireError(r)) {
      c.udp.InErrors++;
      c.drops.udpMalformed++;
      pkt.release();
      return;
    }
    const udpLen = UDP_HEADER_LEN + r.payloadLength;
    if (udpLen < len) {
      // RFC 768: the Length field rules; bytes beyond it are not part of the datagram.
      pkt.trimBack(len - udpLen);
      if (pkt.csumState === CSUM_COMPLETE) pkt.csumState = CSUM_NONE;
    }
    if (r.checksum !== 0) {
      let ok: boolean;
      const state = pkt.csumState;
      if (state === CSUM_UNNECESSARY) ok = true;
      else if (state === CSUM_COMPLETE) ok = foldSum(pkt.csumValue + pseudoHeaderSum(src, dst, IpProtocol.UDP, udpLen)) === 0xffff;
      else {
        ctx.acct.csum(udpLen);
        ok = udpChecksumValid(b, head, udpLen, src, dst, ctx.pool.checksum);
      }
      if (!ok) {
        c.udp.InCsumErrors++;
        c.udp.InErrors++;
        c.drops.badChecksum++;
        pkt.release();
        return;
      }
    }
    const sock = this.lookup(dst, r.dstPort, src, r.srcPort);
    if (sock === null) {
      c.udp.NoPorts++;
      c.drops.noPort++;
      // RFC 1122 §4.1.3.1: port unreachable (suppressed for broadcasts etc. by sendError).
      const ipOff = ip.payloadOffset - ip.headerLength;
      ctx.icmp.sendError(IcmpType.DEST_UNREACHABLE, IcmpUnreachableCode.PORT, 0, b, ipOff, ip.headerLength + udpLen);
      pkt.release();
      return;
    }
    pkt.trimFront(UDP_HEADER_LEN);
    if (!sock.enqueue(pkt, src, r.srcPort)) {
      c.udp.RcvbufErrors++;
      c.udp.InErrors++;
      c.drops.rcvbufFull++;
      pkt.release();
      return;
    }
    c.udp.InDatagrams++;
  }

  private lookup(dst: number, dstPort: number, src: number, srcPort: number): UdpSocket | null {
    const list = this.ports.get(dstPort);
    if (list === undefined) return null;
    let best: UdpSocket | null = null;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      let score = 0;
      if (s.localAddr !== 0) {
        if (s.localAddr !== dst) continue;
        score += 2;
      }
      if (s.peerPort !== 0) {
        if (s.peerAddr !== src || s.peerPort !== srcPort) continue;
        score += 1;
      }
      if (score > bestScore) {
        best = s;
        bestScore = score;
      }
    }
    return best;
  }

  /** TransportProtocol.icmpError: find the socket that sent the quoted datagram. */
  icmpError(type: number, code: number, _info: number, bytes: Uint8Array, off: number, len: number): void {
    const ctx = this.ctx;
    const ihl = (bytes[off]! & 0x0f) * 4;
    if (len < ihl + UDP_HEADER_LEN) return;
    const errno = icmpErrno(type, code);
    if (errno === 0) return;
    const qsrc = readU32(bytes, off + Ipv4Field.SRC);
    const qdst = readU32(bytes, off + Ipv4Field.DST);
    const sport = readU16(bytes, off + ihl + UdpField.SRC_PORT);
    const dport = readU16(bytes, off + ihl + UdpField.DST_PORT);
    const list = this.ports.get(sport);
    let sock: UdpSocket | null = null;
    if (list !== undefined) {
      for (const s of list) {
        if (s.localAddr !== 0 && s.localAddr !== qsrc) continue;
        if (s.peerPort !== 0 && (s.peerAddr !== qdst || s.peerPort !== dport)) continue;
        sock = s;
        if (s.localAddr !== 0) break;
      }
    }
    if (sock === null) {
      ctx.counters.icmp.InErrorsUnclaimed++;
      return;
    }
    if (sock.peerPort === 0 && !sock.recvErrors) {
      ctx.counters.udp.IcmpErrorsIgnored++;
      return;
    }
    ctx.counters.udp.IcmpErrorsReported++;
    sock.reportError(errno, qdst, dport, type, code);
  }
}
