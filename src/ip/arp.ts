/**
 * ARP (RFC 826) for IPv4 over Ethernet: the neighbour cache of every interface,
 * resolution with retries, the bounded queue of packets waiting for it, replies
 * to requests for our addresses, gratuitous announcements, static neighbours.
 *
 * Owns: the cache state machine and the packets queued in it.
 * Must not: route (the caller passes the next hop) or build IP headers.
 *
 * Entry states:
 *  - INCOMPLETE: a request was broadcast; packets wait in a FIFO queue of at
 *    most arp.queueLimit (beyond it the OLDEST is dropped, as Linux's
 *    __neigh_event_send does; counted 'arpQueueFull'). Up to arp.retries
 *    requests go out arp.retryInterval apart; when the interval after the last
 *    one passes without an answer, resolution fails: the entry is removed, every
 *    queued packet is dropped ('arpFailed') and reported as ICMP host
 *    unreachable (RFC 1122 §3.2.2.1; Linux arp_error_report → icmp_send): to the
 *    local transport when we sent it, to the source when we were forwarding.
 *  - REACHABLE: the MAC is known until expiresAt = last confirmation +
 *    arp.cacheTimeout. RFC 1122 §2.3.2.1 allows a plain timeout "even if in use":
 *    an expired entry is resolved again on its next use (the packet waits in the
 *    queue meanwhile). Linux's STALE/DELAY/PROBE refinement is not modelled.
 *  - Static neighbours (config.staticNeighbours, addStatic) live in a separate
 *    map that wins over the dynamic cache, never expire, and are never
 *    overwritten by received ARP.
 *
 * Input follows RFC 826 "Packet Reception": if the sender is already in the
 * cache, its MAC is updated ("merge"); if we are the target, the sender is added
 * (when not merged) and a request is answered. Gratuitous ARP (sender = target
 * address) therefore only refreshes existing entries. RFC 1812 §3.3.2: a claimed
 * broadcast or multicast sender MAC is ignored.
 */
import type { PacketBuffer } from '../buf/packet-buffer.js';
import type { Timer } from '../time/clock.js';
import { broadcastMac, copyMac, formatIpv4, formatMac, IPV4_BROADCAST, isMulticastMac, macEquals } from '../wire/address.js';
import { ARP_LEN, ArpOp, ArpRepr, emitArp, parseArp } from '../wire/arp.js';
import { isWireError } from '../wire/error.js';
import { EtherType } from '../wire/ethernet.js';
import type { IpContext } from './context.js';
import type { Interface } from './interface.js';
import { sendFrame } from './link-output.js';

const INCOMPLETE = 1;
const REACHABLE = 2;

/**
 * Dynamic entries per interface before expired ones are purged (Linux gc_thresh3
 * = 1024). Beyond it, received ARP no longer creates entries (RFC 826 lets a
 * host not cache); our own traffic still does, so the table stays bounded by
 * what we talk to.
 */
export const ARP_TABLE_LIMIT = 1024;

class ArpEntry {
  state = INCOMPLETE;
  readonly mac = new Uint8Array(6);
  /** REACHABLE: when the entry must be resolved again. */
  expiresAt = 0;
  /** INCOMPLETE: requests sent in the current resolution. */
  requestsSent = 0;
  /** INCOMPLETE: packets (head at the IPv4 header) waiting, oldest first. */
  readonly queue: PacketBuffer[] = [];
  readonly timer: Timer;

  constructor(
    readonly layer: ArpLayer,
    readonly iface: Interface,
    readonly ip: number,
  ) {
    this.timer = layer.ctx.clock.createTimer(onRetryTimer, this);
  }
}

function onRetryTimer(e: ArpEntry): void {
  e.layer.onRetry(e);
}

function drainFailures(layer: ArpLayer): void {
  layer.drainFailures();
}

export type NeighbourState = 'incomplete' | 'reachable' | 'static';

export interface NeighbourInfo {
  address: string;
  /** null while incomplete. */
  mac: string | null;
  /** Interface name; '' for static neighbours (they apply to every interface). */
  interface: string;
  state: NeighbourState;
  /** reachable: ns until the entry expires (negative: expired, resolved again on next use). */
  expiresIn: number;
  /** incomplete: packets waiting. */
  queued: number;
}

export class ArpLayer {
  /** Dynamic caches by interface index, keyed by IPv4 address (insertion-ordered: deterministic listing). */
  private readonly tables: Map<number, ArpEntry>[] = [];
  private readonly statics = new Map<number, Uint8Array>();
  private readonly rxRepr = new ArpRepr();
  private readonly txRepr = new ArpRepr();
  private readonly broadcast = broadcastMac();

  constructor(readonly ctx: IpContext) {}

  /** @internal A new interface (index = its position). */
  attach(iface: Interface): void {
    this.tables[iface.index] = new Map();
  }

  /** A permanent neighbour (Linux `ip neigh add … nud permanent`). */
  addStatic(address: number, mac: Uint8Array): void {
    if (!(mac instanceof Uint8Array) || mac.length !== 6) throw new TypeError(`addStatic: mac must be 6 bytes; got ${String(mac)}`);
    this.statics.set(address >>> 0, Uint8Array.from(mac));
    // A packet may be waiting for this neighbour right now.
    for (const t of this.tables) {
      const e = t?.get(address >>> 0);
      if (e !== undefined) this.confirm(e, mac, 0);
    }
  }

  removeStatic(address: number): boolean {
    return this.statics.delete(address >>> 0);
  }

  /**
   * Send `pkt` (head at the IPv4 header; takes ownership) to `nextHop` on
   * `iface`: at once when the MAC is known, else queued while ARP resolves it.
   */
  output(pkt: PacketBuffer, iface: Interface, nextHop: number): void {
    const ctx = this.ctx;
    if (nextHop === IPV4_BROADCAST || iface.isBroadcast(nextHop)) {
      sendFrame(ctx, pkt, iface, this.broadcast, 0, EtherType.IPV4);
      return;
    }
    if (this.statics.size > 0) {
      const mac = this.statics.get(nextHop);
      if (mac !== undefined) {
        sendFrame(ctx, pkt, iface, mac, 0, EtherType.IPV4);
        return;
      }
    }
    const table = this.tables[iface.index]!;
    let e = table.get(nextHop);
    if (e !== undefined && e.state === REACHABLE) {
      if (ctx.clock.now() < e.expiresAt) {
        sendFrame(ctx, pkt, iface, e.mac, 0, EtherType.IPV4);
        return;
      }
      // RFC 1122 §2.3.2.1: the entry timed out; resolve it again before use.
      ctx.counters.arp.expirations++;
      e.state = INCOMPLETE;
      e.requestsSent = 0;
    }
    if (!iface.arpEnabled) {
      // A link without ARP: only static neighbours are reachable.
      if (e !== undefined) table.delete(nextHop);
      ctx.counters.arp.resolutionFailures++;
      this.failPacket(pkt);
      return;
    }
    if (e === undefined) {
      if (table.size >= ARP_TABLE_LIMIT) this.purge(table);
      e = new ArpEntry(this, iface, nextHop);
      table.set(nextHop, e);
    }
    const q = e.queue;
    if (q.length >= ctx.config.arp.queueLimit) {
      // Linux __neigh_event_send: drop the oldest queued packet to make room.
      const old = q.shift()!;
      ctx.counters.drops.arpQueueFull++;
      ctx.counters.arp.queueDrops++;
      ctx.counters.ip.OutDiscards++;
      old.release();
    }
    q.push(pkt);
    if (e.requestsSent === 0) {
      e.requestsSent = 1;
      this.sendRequest(iface, nextHop);
      e.timer.armAfter(ctx.config.arp.retryInterval);
    }
  }

  /** @internal Retry timer of an INCOMPLETE entry. */
  onRetry(e: ArpEntry): void {
    if (e.state !== INCOMPLETE) return;
    const ctx = this.ctx;
    if (e.requestsSent < ctx.config.arp.retries) {
      e.requestsSent++;
      this.sendRequest(e.iface, e.ip);
      e.timer.armAfter(ctx.config.arp.retryInterval);
      return;
    }
    // RFC 1122 §2.3.2.2 / §3.2.2.1: give up; queued packets are reported unreachable.
    ctx.counters.arp.resolutionFailures++;
    const table = this.tables[e.iface.index]!;
    if (table.get(e.ip) === e) table.delete(e.ip);
    const q = e.queue;
    const n = q.length;
    for (let i = 0; i < n; i++) {
      const p = q[i]!;
      this.failPacket(p);
    }
    q.length = 0;
  }

  /**
   * Drop a packet whose next hop cannot be resolved, reporting host unreachable.
   * The report is deferred (clock.defer) so that a transport never sees
   * icmpError re-entrantly from inside its own output() call.
   */
  private failPacket(pkt: PacketBuffer): void {
    this.ctx.counters.drops.arpFailed++;
    this.ctx.counters.ip.OutDiscards++;
    this.failed.push(pkt);
    if (!this.failScheduled) {
      this.failScheduled = true;
      this.ctx.clock.defer(drainFailures, this);
    }
  }

  private readonly failed: PacketBuffer[] = [];
  private failScheduled = false;

  /** @internal Deferred: report and release the packets that failed resolution. */
  drainFailures(): void {
    this.failScheduled = false;
    const q = this.failed;
    // Reports may fail more packets (a transport retransmitting at once): they queue behind.
    for (let i = 0; i < q.length; i++) {
      const p = q[i]!;
      this.ctx.icmp.linkFailure(p);
      p.release();
    }
    q.length = 0;
  }

  /** Handle a received ARP packet (head at the ARP header; takes ownership). */
  input(buf: PacketBuffer, iface: Interface): void {
    const ctx = this.ctx;
    const c = ctx.counters;
    const r = parseArp(buf.bytes, buf.head, buf.length, this.rxRepr);
    if (isWireError(r) || (r.op !== ArpOp.REQUEST && r.op !== ArpOp.REPLY) || isMulticastMac(r.sha, 0)) {
      // Malformed, not Ethernet/IPv4, unknown op, or a group sender MAC (RFC 1812 §3.3.2).
      c.arp.invalid++;
      c.drops.arpInvalid++;
      buf.release();
      return;
    }
    buf.release(); // everything needed is in the repr now
    if (r.op === ArpOp.REQUEST) c.arp.requestsReceived++;
    else c.arp.repliesReceived++;
    if (!iface.arpEnabled || macEquals(r.sha, 0, iface.mac, 0)) {
      c.drops.arpNotForUs++;
      return;
    }
    // RFC 826: "If the pair <protocol type, sender protocol address> is already in
    // my translation table, update the sender hardware address field" (merge).
    let merged = false;
    const table = this.tables[iface.index]!;
    if (r.spa !== 0 && !this.statics.has(r.spa)) {
      const e = table.get(r.spa);
      if (e !== undefined) {
        this.confirm(e, r.sha, 0);
        merged = true;
      }
    }
    // RFC 826: "Am I the target protocol address?"
    if (iface.hasAddress && r.tpa === iface.address) {
      if (table.size >= ARP_TABLE_LIMIT) this.purge(table);
      if (!merged && r.spa !== 0 && !this.statics.has(r.spa) && !ctx.isLocalAddress(r.spa) && table.size < ARP_TABLE_LIMIT) {
        const e = new ArpEntry(this, iface, r.spa);
        table.set(r.spa, e);
        this.confirm(e, r.sha, 0);
      }
      if (r.op === ArpOp.REQUEST) this.sendReply(iface, r.sha, r.spa);
    } else if (!merged) {
      c.drops.arpNotForUs++;
    }
  }

  /** Drop expired REACHABLE entries (they hold nothing but memory). */
  private purge(table: Map<number, ArpEntry>): void {
    const now = this.ctx.clock.now();
    for (const [ip, e] of table) if (e.state === REACHABLE && e.expiresAt <= now) table.delete(ip);
  }

  /** Record a confirmed MAC for `e` and release any packets waiting for it. */
  private confirm(e: ArpEntry, mac: Uint8Array, macOff: number): void {
    copyMac(mac, macOff, e.mac, 0);
    const wasIncomplete = e.state === INCOMPLETE;
    e.state = REACHABLE;
    e.expiresAt = this.ctx.clock.now() + this.ctx.config.arp.cacheTimeout;
    e.requestsSent = 0;
    if (!wasIncomplete) return;
    e.timer.cancel();
    const q = e.queue;
    const n = q.length;
    for (let i = 0; i < n; i++) {
      const p = q[i]!;
      sendFrame(this.ctx, p, e.iface, e.mac, 0, EtherType.IPV4);
    }
    q.length = 0;
  }

  /**
   * Gratuitous ARP (RFC 5227 §3 "ARP Announcement"): a broadcast request with
   * sender and target protocol address both ours, so neighbours holding an
   * entry for the address update it. Sent once (Linux sends one; RFC 5227 two).
   */
  announce(iface: Interface): void {
    if (!iface.arpEnabled || !iface.hasAddress || !this.ctx.config.arp.gratuitous) return;
    if (this.send(iface, ArpOp.REQUEST, this.zeroMac, iface.address, this.broadcast)) this.ctx.counters.arp.gratuitousSent++;
  }

  private readonly zeroMac = new Uint8Array(6);

  private sendRequest(iface: Interface, target: number): void {
    // RFC 826: ar$tha is "not known" in a request (zeros); broadcast it.
    if (this.send(iface, ArpOp.REQUEST, this.zeroMac, target, this.broadcast)) this.ctx.counters.arp.requestsSent++;
  }

  private sendReply(iface: Interface, targetMac: Uint8Array, target: number): void {
    // RFC 826: swap sender and target, put our address in the sender fields, unicast back.
    if (this.send(iface, ArpOp.REPLY, targetMac, target, targetMac)) this.ctx.counters.arp.repliesSent++;
  }

  private send(iface: Interface, op: number, tha: Uint8Array, tpa: number, dstMac: Uint8Array): boolean {
    const ctx = this.ctx;
    const buf = ctx.pool.alloc(ARP_LEN);
    if (buf === null) {
      ctx.counters.drops.noBuffer++;
      return false;
    }
    const t = this.txRepr;
    t.op = op;
    copyMac(iface.mac, 0, t.sha, 0);
    t.spa = iface.address;
    copyMac(tha, 0, t.tha, 0);
    t.tpa = tpa;
    emitArp(t, buf.bytes, buf.append(ARP_LEN));
    return sendFrame(ctx, buf, iface, dstMac, 0, EtherType.ARP);
  }

  /** The cache as plain data (static neighbours first), for tests and reports. */
  neighbours(): NeighbourInfo[] {
    const now = this.ctx.clock.now();
    const out: NeighbourInfo[] = [];
    for (const [ip, mac] of this.statics) {
      out.push({ address: formatIpv4(ip), mac: formatMac(mac), interface: '', state: 'static', expiresIn: Infinity, queued: 0 });
    }
    for (const t of this.tables) {
      if (t === undefined) continue;
      for (const e of t.values()) {
        const reachable = e.state === REACHABLE;
        out.push({
          address: formatIpv4(e.ip),
          mac: reachable ? formatMac(e.mac) : null,
          interface: e.iface.name,
          state: reachable ? 'reachable' : 'incomplete',
          expiresIn: reachable ? e.expiresAt - now : 0,
          queued: e.queue.length,
        });
      }
    }
    return out;
  }

  /** The MAC for `address` if known and not expired ('aa:bb:…'), else null. */
  lookup(address: number): string | null {
    const s = this.statics.get(address >>> 0);
    if (s !== undefined) return formatMac(s);
    const now = this.ctx.clock.now();
    for (const t of this.tables) {
      const e = t?.get(address >>> 0);
      if (e !== undefined && e.state === REACHABLE && now < e.expiresAt) return formatMac(e.mac);
    }
    return null;
  }

  /** Forget dynamic entries of `iface` (or all): queued packets are dropped (counted arpFailed, no ICMP). */
  flush(iface?: Interface): void {
    for (const t of this.tables) {
      if (t === undefined) continue;
      for (const [ip, e] of t) {
        if (iface !== undefined && e.iface !== iface) continue;
        e.timer.cancel();
        for (const p of e.queue) {
          this.ctx.counters.drops.arpFailed++;
          p.release();
        }
        e.queue.length = 0;
        t.delete(ip);
      }
    }
  }
}
