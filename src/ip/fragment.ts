/**
 * IPv4 fragmentation on output (RFC 791 §2.3 "Fragmentation", §3.2 "An Example
 * Fragmentation Procedure").
 *
 * Owns: splitting one datagram's data into fragments that fit an MTU.
 * Must not: decide whether fragmenting is allowed (DF: the callers check) or
 * resolve the next hop (fragments go to arp.output like any datagram).
 *
 * Each fragment is built in a new pool buffer: a 20-byte header and a copy of
 * its slice of the data (counted as acct.copy); the original chain is released.
 * Data per fragment is the largest multiple of 8 that fits (RFC 791: fragment
 * offsets count 8-octet units), so every fragment but the last carries the same
 * amount. Fragments keep the identification, TOS, TTL, protocol and addresses;
 * MF is set on all but the last, and the last keeps the original's MF (when a
 * router re-fragments a fragment, RFC 791 §3.2). Options are not copied (the
 * stack never sends options; forwarded datagrams with options lose them when
 * fragmented — a documented gap).
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import { emitIpv4Header, IPV4_MIN_HEADER_LEN, Ipv4Flag, type Ipv4Repr } from '../wire/ipv4.js';
import { copyFromChain } from './chain.js';
import type { IpContext } from './context.js';
import { Errno } from './errors.js';
import type { Interface } from './interface.js';

/**
 * Fragment the data at [dataOff, dataOff+dataLen) of chain `pkt` (takes
 * ownership) with the header fields of `hdr` (identification, dscp, ecn, ttl,
 * protocol, src, dst; `flags & MF` and `fragmentOffset` of the original — 0 for
 * a whole datagram) and send each fragment to `nextHop` via `iface`.
 * `scratch` is overwritten. Returns the number of fragments or -ENOBUFS.
 */
export function fragmentAndSend(
  ctx: IpContext,
  pkt: PacketBuffer,
  dataOff: number,
  dataLen: number,
  hdr: Ipv4Repr,
  mtu: number,
  iface: Interface,
  nextHop: number,
  scratch: Ipv4Repr,
): number {
  const c = ctx.counters.ip;
  // RFC 791 §3.2: "the number of 8-octet blocks that fit" after the header.
  const maxData = (mtu - IPV4_MIN_HEADER_LEN) & ~7;
  const origMf = hdr.flags & Ipv4Flag.MF;
  const base = hdr.fragmentOffset;
  const identification = hdr.identification;
  const dscp = hdr.dscp;
  const ecn = hdr.ecn;
  const ttl = hdr.ttl;
  const protocol = hdr.protocol;
  const src = hdr.src;
  const dst = hdr.dst;
  let count = 0;
  for (let off = 0; off < dataLen; off += maxData) {
    const n = Math.min(maxData, dataLen - off);
    const last = off + n >= dataLen;
    const f = ctx.pool.alloc(IPV4_MIN_HEADER_LEN + n);
    if (f === null) {
      ctx.counters.drops.noBuffer++;
      c.FragFails++;
      c.OutDiscards++;
      pkt.release();
      return Errno.ENOBUFS;
    }
    const h = f.append(IPV4_MIN_HEADER_LEN + n);
    copyFromChain(pkt, dataOff + off, f.bytes, h + IPV4_MIN_HEADER_LEN, n);
    ctx.acct.copy(n);
    scratch.identification = identification;
    scratch.dscp = dscp;
    scratch.ecn = ecn;
    scratch.ttl = ttl;
    scratch.protocol = protocol;
    scratch.src = src;
    scratch.dst = dst;
    // RFC 791: MF on every fragment but the last; the last inherits the original's MF.
    scratch.flags = last ? origMf : Ipv4Flag.MF;
    scratch.fragmentOffset = base + off;
    scratch.payloadLength = n;
    emitIpv4Header(scratch, f.bytes, h);
    ctx.acct.csum(IPV4_MIN_HEADER_LEN);
    c.FragCreates++;
    count++;
    ctx.arp.output(f, iface, nextHop);
  }
  c.FragOKs++;
  pkt.release();
  return count;
}
