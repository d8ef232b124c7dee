/**
 * Packets between a script and the stack: building the IPv4/TCP bytes of an
 * inbound (`<`) event, parsing what the stack sent into a LivePacket, and
 * printing either in packetdrill's own notation for failure messages.
 *
 * Owns: byte layout of injected packets (IPv4 header, TCP header, options in
 * script order, zero payload, both checksums) and the option list as it is on
 * the wire (NOP and EOL included, so order and padding can be compared).
 * Must not: map sequence spaces or decide what matches (the runner and
 * expect.ts do).
 */
import type { IpInfo, TcpOption } from '../ast.js';
import { jsChecksum } from '../../wire/checksum.js';
import { readU16, readU32, writeU16, writeU32 } from '../../wire/address.js';
import { emitIpv4Header, Ecn, ipv4HeaderChecksumValid, IpProtocol, Ipv4Repr, parseIpv4Header } from '../../wire/ipv4.js';
import { isWireError } from '../../wire/error.js';
import { tcpChecksum, tcpChecksumValid, TcpFlag } from '../../wire/tcp.js';

/** One TCP option as found on the wire, in order. `sack` blocks as [left, right] pairs. */
export type WireOption =
  | { readonly kind: 'nop' }
  | { readonly kind: 'eol' }
  | { readonly kind: 'mss'; readonly value: number }
  | { readonly kind: 'wscale'; readonly value: number }
  | { readonly kind: 'sackOK' }
  | { readonly kind: 'sack'; readonly blocks: readonly (readonly [number, number])[] }
  | { readonly kind: 'timestamp'; readonly val: number; readonly ecr: number }
  | { readonly kind: 'other'; readonly code: number; readonly data: readonly number[] };

/** What the stack sent, decoded. */
export interface LivePacket {
  /** ns */
  readonly at: number;
  readonly src: number;
  readonly dst: number;
  readonly ecn: number;
  readonly ipChecksumOk: boolean;
  readonly tcpChecksumOk: boolean;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly win: number;
  readonly urg: number;
  readonly options: readonly WireOption[];
  readonly payloadLen: number;
}

/** packetdrill flag letters → TcpFlag bits (`.` is ACK; `-` none). Order as in FINS-style strings. */
export function flagBits(letters: string): number {
  let f = 0;
  for (const c of letters) {
    if (c === 'F') f |= TcpFlag.FIN;
    else if (c === 'S') f |= TcpFlag.SYN;
    else if (c === 'R') f |= TcpFlag.RST;
    else if (c === 'P') f |= TcpFlag.PSH;
    else if (c === '.' || c === 'A') f |= TcpFlag.ACK;
    else if (c === 'U') f |= TcpFlag.URG;
    else if (c === 'E') f |= TcpFlag.ECE;
    else if (c === 'W') f |= TcpFlag.CWR;
  }
  return f;
}

/** TcpFlag bits → packetdrill letters, in packetdrill's print order (FSRP.UEW). */
export function flagLetters(f: number): string {
  let s = '';
  if (f & TcpFlag.FIN) s += 'F';
  if (f & TcpFlag.SYN) s += 'S';
  if (f & TcpFlag.RST) s += 'R';
  if (f & TcpFlag.PSH) s += 'P';
  if (f & TcpFlag.ACK) s += '.';
  if (f & TcpFlag.URG) s += 'U';
  if (f & TcpFlag.ECE) s += 'E';
  if (f & TcpFlag.CWR) s += 'W';
  return s === '' ? '-' : s;
}

/** Option bytes in script order; the list is padded with EOL to a multiple of 4 as packetdrill does. */
export function encodeOptions(opts: readonly WireOption[]): Uint8Array | string {
  const out: number[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': out.push(1); break;
      case 'eol': out.push(0); break;
      case 'mss': out.push(2, 4, o.value >>> 8, o.value & 0xff); break;
      case 'wscale': out.push(3, 3, o.value & 0xff); break;
      case 'sackOK': out.push(4, 2); break;
      case 'sack':
        out.push(5, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) out.push(l >>> 24, (l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff, r >>> 24, (r >>> 16) & 0xff, (r >>> 8) & 0xff, r & 0xff);
        break;
      case 'timestamp': {
        const { val: v, ecr: e } = o;
        out.push(8, 10, v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff, e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff);
        break;
      }
      case 'other': out.push(o.code, 2 + o.data.length, ...o.data); break;
    }
  }
  while (out.length % 4 !== 0) out.push(0);
  if (out.length > 40) return `TCP options take ${out.length} bytes; at most 40 fit`;
  return Uint8Array.from(out);
}

/** Script options → wire options (fastopen and md5 are not supported by the runner). */
export function scriptOptions(opts: readonly TcpOption[]): WireOption[] | string {
  const out: WireOption[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'nop': case 'eol': case 'sackOK': out.push({ kind: o.kind }); break;
      case 'mss': case 'wscale': out.push({ kind: o.kind, value: o.value }); break;
      case 'sack': out.push({ kind: 'sack', blocks: o.blocks.map((b) => [b.left >>> 0, b.right >>> 0] as const) }); break;
      case 'timestamp': out.push({ kind: 'timestamp', val: o.val >>> 0, ecr: o.ecr >>> 0 }); break;
      default: return `TCP option ${o.kind}`;
    }
  }
  return out;
}

export interface InboundSpec {
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  win: number;
  urg: number;
  options: Uint8Array;
  payloadLen: number;
  ipInfo?: IpInfo;
  ipId: number;
}

const ECN_CODE: Record<string, number> = { noecn: Ecn.NOT_ECT, ect0: Ecn.ECT0, ect1: Ecn.ECT1, ect01: Ecn.ECT0, ce: Ecn.CE };

/** The IPv4 packet of an inbound event: headers, zero payload, valid checksums. */
export function buildInbound(s: InboundSpec): Uint8Array {
  const tcpLen = 20 + s.options.length + s.payloadLen;
  const bytes = new Uint8Array(20 + tcpLen);
  const ip = new Ipv4Repr();
  ip.protocol = IpProtocol.TCP;
  ip.src = s.src;
  ip.dst = s.dst;
  ip.ttl = s.ipInfo?.ttl ?? 64;
  ip.identification = s.ipId & 0xffff;
  ip.ecn = s.ipInfo?.ecn !== undefined ? ECN_CODE[s.ipInfo.ecn]! : (s.ipInfo?.tos ?? 0) & 3;
  ip.dscp = (s.ipInfo?.tos ?? 0) >>> 2;
  ip.payloadLength = tcpLen;
  emitIpv4Header(ip, bytes, 0);
  const t = 20;
  writeU16(bytes, t, s.srcPort);
  writeU16(bytes, t + 2, s.dstPort);
  writeU32(bytes, t + 4, s.seq >>> 0);
  writeU32(bytes, t + 8, s.ack >>> 0);
  bytes[t + 12] = ((20 + s.options.length) / 4) << 4;
  bytes[t + 13] = s.flags & 0xff;
  writeU16(bytes, t + 14, s.win & 0xffff);
  writeU16(bytes, t + 18, s.urg & 0xffff);
  bytes.set(s.options, t + 20);
  const hdrLen = 20 + s.options.length;
  writeU16(bytes, t + 16, tcpChecksum(bytes, t, hdrLen, 0, s.payloadLen, s.src, s.dst, jsChecksum));
  return bytes;
}

/** Decode the option list bytes[off, off+len) in order. Returns a message for a malformed list. */
export function decodeOptions(b: Uint8Array, off: number, len: number): WireOption[] | string {
  const out: WireOption[] = [];
  const end = off + len;
  let i = off;
  while (i < end) {
    const kind = b[i]!;
    if (kind === 0) { out.push({ kind: 'eol' }); i++; continue; }
    if (kind === 1) { out.push({ kind: 'nop' }); i++; continue; }
    if (i + 1 >= end) return `option ${kind} at offset ${i - off} has no length byte`;
    const olen = b[i + 1]!;
    if (olen < 2 || i + olen > end) return `option ${kind} at offset ${i - off} has bad length ${olen}`;
    if (kind === 2 && olen === 4) out.push({ kind: 'mss', value: readU16(b, i + 2) });
    else if (kind === 3 && olen === 3) out.push({ kind: 'wscale', value: b[i + 2]! });
    else if (kind === 4 && olen === 2) out.push({ kind: 'sackOK' });
    else if (kind === 5 && (olen - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let j = i + 2; j < i + olen; j += 8) blocks.push([readU32(b, j), readU32(b, j + 4)]);
      out.push({ kind: 'sack', blocks });
    } else if (kind === 8 && olen === 10) out.push({ kind: 'timestamp', val: readU32(b, i + 2), ecr: readU32(b, i + 6) });
    else out.push({ kind: 'other', code: kind, data: [...b.subarray(i + 2, i + olen)] });
    i += olen;
  }
  return out;
}

/** Decode an IPv4/TCP packet the stack sent; a string says why it is not one. */
export function parseLive(at: number, ip: Uint8Array): LivePacket | string {
  const repr = new Ipv4Repr();
  const r = parseIpv4Header(ip, 0, ip.length, repr);
  if (isWireError(r)) return `not an IPv4 packet (${r.code})`;
  if (repr.protocol !== IpProtocol.TCP) return `IPv4 protocol ${repr.protocol}, not TCP`;
  const t = repr.payloadOffset;
  const tcpLen = repr.payloadLength;
  if (tcpLen < 20) return `TCP segment of ${tcpLen} bytes`;
  const hl = (ip[t + 12]! >>> 4) * 4;
  if (hl < 20 || hl > tcpLen) return `TCP data offset ${hl}`;
  const options = decodeOptions(ip, t + 20, hl - 20);
  if (typeof options === 'string') return `malformed TCP options: ${options}`;
  return {
    at,
    src: repr.src,
    dst: repr.dst,
    ecn: repr.ecn,
    ipChecksumOk: ipv4HeaderChecksumValid(ip, 0),
    tcpChecksumOk: tcpChecksumValid(ip, t, tcpLen, repr.src, repr.dst, jsChecksum),
    srcPort: readU16(ip, t),
    dstPort: readU16(ip, t + 2),
    seq: readU32(ip, t + 4),
    ack: readU32(ip, t + 8),
    flags: ip[t + 13]!,
    win: readU16(ip, t + 14),
    urg: readU16(ip, t + 18),
    options,
    payloadLen: tcpLen - hl,
  };
}

export function formatOption(o: WireOption): string {
  switch (o.kind) {
    case 'nop': case 'eol': case 'sackOK': return o.kind;
    case 'mss': case 'wscale': return `${o.kind} ${o.value}`;
    case 'sack': return `sack ${o.blocks.map(([l, r]) => `${l}:${r}`).join(' ')}`;
    case 'timestamp': return `TS val ${o.val} ecr ${o.ecr}`;
    case 'other': return `opt${o.code}`;
  }
}

export function formatOptions(opts: readonly WireOption[]): string {
  return opts.length === 0 ? '' : ` <${opts.map(formatOption).join(',')}>`;
}

/** `S. 0:0(0) ack 1 win 65535 <mss 1460>` with seq and ack as given (already in script space). */
export function formatSegment(flags: number, seq: number, len: number, ack: number | null, win: number | null, urg: number, options: readonly WireOption[] | 'any' | null): string {
  let s = `${flagLetters(flags)} ${seq >>> 0}:${(seq + len) >>> 0}(${len})`;
  if (ack !== null) s += ` ack ${ack >>> 0}`;
  if (win !== null) s += ` win ${win}`;
  if (urg !== 0) s += ` urg ${urg}`;
  if (options === 'any') s += ' <...>';
  else if (options !== null) s += formatOptions(options);
  return s;
}
