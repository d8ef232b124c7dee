/**
 * The connection table: which TCB a segment belongs to, which listener takes a
 * SYN, and which local ports are taken (bind rules, ephemeral allocation).
 *
 * Owns: three indexes over TCBs —
 *  - connections by 4-tuple (every state from SYN-SENT/SYN-RECEIVED to TIME-WAIT):
 *    an SMI hash (no allocation per lookup) into intrusive chains (tcb.hashNext);
 *  - listeners by local port (exact address preferred over the wildcard);
 *  - port owners (Linux bhash): every TCB holding a local port, for EADDRINUSE
 *    and ephemeral port choice.
 * Must not: change TCB state or send anything.
 *
 * Bind rules (Linux inet_csk_bind_conflict, simplified): two owners of one port
 * conflict when their local addresses overlap (equal, or either is the
 * wildcard 0) unless both set SO_REUSEADDR and the existing one is not
 * listening. A TIME-WAIT owner conflicts unless the new socket sets SO_REUSEADDR.
 * listen() additionally refuses a second listener on an overlapping address.
 *
 * Ephemeral ports (RFC 6056 §3.3.3, "Algorithm 3: Simple Hash-Based"): the search
 * starts at hash(local, remote, remote port, secret) + a counter and walks the
 * configured range; a port is taken if it has no owner. When every port has an
 * owner, connect() may share a port whose owners are all connections to other
 * 4-tuples (Linux __inet_hash_connect).
 */
import { TcpState, type Tcb } from './tcb.js';

/** 32-bit mix of a 4-tuple (murmur3 finalizer steps); result is a non-negative SMI. */
export function tupleHash(localAddr: number, localPort: number, remoteAddr: number, remotePort: number, seed: number): number {
  let h = seed ^ Math.imul(remoteAddr, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= localAddr;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= (localPort << 16) | remotePort;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0x3fffffff;
}

export class ConnectionTable {
  /** 4-tuple index: hash → first TCB of the chain. */
  private readonly conns = new Map<number, Tcb>();
  /** Listeners by local port. */
  private readonly listeners = new Map<number, Tcb[]>();
  /** Port owners by local port. */
  private readonly owners = new Map<number, Tcb[]>();
  private connCount = 0;
  private ephemeralCounter = 0;

  constructor(
    private readonly seed: number,
    private readonly ephemeralLow: number,
    private readonly ephemeralHigh: number,
  ) {}

  /** Connections in the 4-tuple index. */
  get size(): number {
    return this.connCount;
  }

  // ---- 4-tuple index ----

  lookup(localAddr: number, localPort: number, remoteAddr: number, remotePort: number): Tcb | null {
    let t: Tcb | null = this.conns.get(tupleHash(localAddr, localPort, remoteAddr, remotePort, this.seed)) ?? null;
    while (t !== null) {
      if (t.localPort === localPort && t.remotePort === remotePort && t.remoteAddr === remoteAddr && t.localAddr === localAddr) return t;
      t = t.hashNext;
    }
    return null;
  }

  /** Insert a TCB whose 4-tuple is set; returns false if the tuple is already present. */
  insert(tcb: Tcb): boolean {
    if (tcb.hashed) return true;
    if (this.lookup(tcb.localAddr, tcb.localPort, tcb.remoteAddr, tcb.remotePort) !== null) return false;
    const h = tupleHash(tcb.localAddr, tcb.localPort, tcb.remoteAddr, tcb.remotePort, this.seed);
    tcb.hashNext = this.conns.get(h) ?? null;
    this.conns.set(h, tcb);
    tcb.hashed = true;
    this.connCount++;
    return true;
  }

  remove(tcb: Tcb): void {
    if (!tcb.hashed) return;
    const h = tupleHash(tcb.localAddr, tcb.localPort, tcb.remoteAddr, tcb.remotePort, this.seed);
    let t = this.conns.get(h) ?? null;
    let prev: Tcb | null = null;
    while (t !== null && t !== tcb) {
      prev = t;
      t = t.hashNext;
    }
    if (t === tcb) {
      if (prev === null) {
        if (tcb.hashNext === null) this.conns.delete(h);
        else this.conns.set(h, tcb.hashNext);
      } else {
        prev.hashNext = tcb.hashNext;
      }
      this.connCount--;
    }
    tcb.hashNext = null;
    tcb.hashed = false;
  }

  /** Every connection (tests, diagnostics). */
  *connections(): IterableIterator<Tcb> {
    for (const head of this.conns.values()) {
      for (let t: Tcb | null = head; t !== null; t = t.hashNext) yield t;
    }
  }

  // ---- listeners ----

  /** The listener for a SYN to localAddr:localPort: exact address first, then the wildcard. */
  findListener(localAddr: number, localPort: number): Tcb | null {
    const list = this.listeners.get(localPort);
    if (list === undefined) return null;
    let wildcard: Tcb | null = null;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      if (l.localAddr === localAddr) return l;
      if (l.localAddr === 0) wildcard = l;
    }
    return wildcard;
  }

  /** Whether a listener on an address overlapping `localAddr` exists on the port. */
  hasOverlappingListener(localAddr: number, localPort: number, except: Tcb | null): boolean {
    const list = this.listeners.get(localPort);
    if (list === undefined) return false;
    for (const l of list) if (l !== except && overlaps(l.localAddr, localAddr)) return true;
    return false;
  }

  addListener(tcb: Tcb): void {
    let list = this.listeners.get(tcb.localPort);
    if (list === undefined) this.listeners.set(tcb.localPort, (list = []));
    if (!list.includes(tcb)) list.push(tcb);
  }

  removeListener(tcb: Tcb): void {
    const list = this.listeners.get(tcb.localPort);
    if (list === undefined) return;
    const i = list.indexOf(tcb);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(tcb.localPort);
  }

  // ---- port owners ----

  /** Whether `tcb` (with its reuseAddr option) may bind addr:port. */
  canBind(addr: number, port: number, reuseAddr: boolean, tcb: Tcb | null): boolean {
    const list = this.owners.get(port);
    if (list === undefined) return true;
    for (const o of list) {
      if (o === tcb || !overlaps(o.localAddr, addr)) continue;
      if (o.state === TcpState.TIME_WAIT) {
        if (reuseAddr) continue;
        return false;
      }
      if (reuseAddr && o.opts.reuseAddr && o.state !== TcpState.LISTEN) continue;
      return false;
    }
    return true;
  }

  /** Record `tcb` as an owner of its localPort. */
  claimPort(tcb: Tcb): void {
    if (tcb.portBound) return;
    let list = this.owners.get(tcb.localPort);
    if (list === undefined) this.owners.set(tcb.localPort, (list = []));
    list.push(tcb);
    tcb.portBound = true;
  }

  releasePort(tcb: Tcb): void {
    if (!tcb.portBound) return;
    const list = this.owners.get(tcb.localPort);
    tcb.portBound = false;
    if (list === undefined) return;
    const i = list.indexOf(tcb);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.owners.delete(tcb.localPort);
  }

  /** Owners of a port (diagnostics/tests). */
  portOwners(port: number): readonly Tcb[] {
    return this.owners.get(port) ?? [];
  }

  /**
   * Pick an ephemeral port. With `remoteAddr`/`remotePort` (connect), a port is
   * acceptable when it has no owner; failing that, one whose owners are all
   * connections with a different 4-tuple (and no listener/unconnected bind).
   * Without (bind to port 0), only ports with no owner. Returns 0 when none is free.
   */
  allocEphemeral(localAddr: number, remoteAddr: number, remotePort: number, forConnect: boolean): number {
    const low = this.ephemeralLow;
    const n = this.ephemeralHigh - low + 1;
    // RFC 6056 §3.3.3: offset = F(local, remote, remote port, secret); port = low + (offset + counter) mod n.
    const offset = tupleHash(localAddr, 0, remoteAddr, remotePort, this.seed ^ 0x5bd1e995);
    const start = this.ephemeralCounter++;
    for (let i = 0; i < n; i++) {
      const port = low + ((offset + start + i) % n);
      if (!this.owners.has(port)) return port;
    }
    if (!forConnect) return 0;
    for (let i = 0; i < n; i++) {
      const port = low + ((offset + start + i) % n);
      if (this.shareableForConnect(port, localAddr, remoteAddr, remotePort)) return port;
    }
    return 0;
  }

  private shareableForConnect(port: number, localAddr: number, remoteAddr: number, remotePort: number): boolean {
    const list = this.owners.get(port);
    if (list === undefined) return true;
    for (const o of list) {
      if (o.state === TcpState.LISTEN || o.state === TcpState.CLOSED) return false; // bound, not connected
      if (o.remoteAddr === remoteAddr && o.remotePort === remotePort && overlaps(o.localAddr, localAddr)) return false;
    }
    return true;
  }
}

function overlaps(a: number, b: number): boolean {
  return a === 0 || b === 0 || a === b;
}
