/**
 * Path MTU cache (RFC 1191): per-destination MTUs learnt from ICMP
 * "fragmentation needed and DF set" messages.
 *
 * Owns: the estimates and their expiry.
 * Must not: send anything. Ipv4Output.mtuFor() combines an estimate with the
 * route's interface MTU.
 *
 * Rules: RFC 1191 §3: an estimate is only ever lowered by an ICMP message (a
 * report above the current estimate is ignored) and never below 68 (RFC 791
 * §3.2: every module can forward 68 octets). RFC 1191 §5: a report of 0 (a
 * router predating RFC 1191) is replaced by the next plateau below the quoted
 * datagram's Total Length. RFC 1191 §6.3: estimates expire after pmtuTimeout
 * (default 10 minutes), after which the interface MTU is used again.
 */
import type { Clock, Nanos } from '../time/clock.js';

/** RFC 1191 §7 table 7-1 plateaus. */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];

export const MIN_PMTU = 68;

/** RFC 1191 §5: the largest plateau below `totalLength`. */
export function plateauBelow(totalLength: number): number {
  for (const p of PLATEAUS) if (p < totalLength) return p;
  return MIN_PMTU;
}

export class PmtuCache {
  private readonly mtu = new Map<number, number>();
  private readonly expires = new Map<number, Nanos>();

  constructor(
    private readonly clock: Clock,
    private readonly timeout: Nanos,
  ) {}

  /** The learnt MTU towards dst, or 0 when none is known (or it expired). */
  get(dst: number): number {
    if (this.mtu.size === 0) return 0;
    const m = this.mtu.get(dst);
    if (m === undefined) return 0;
    if (this.clock.now() >= this.expires.get(dst)!) {
      this.mtu.delete(dst);
      this.expires.delete(dst);
      return 0;
    }
    return m;
  }

  /**
   * An ICMP fragmentation-needed about a datagram to `dst` of `quotedTotalLength`
   * bytes reported next-hop MTU `reported`; `current` is the MTU we used. Returns
   * the new estimate (or the old one if the report was ignored).
   */
  update(dst: number, reported: number, quotedTotalLength: number, current: number): number {
    let m = reported === 0 ? plateauBelow(quotedTotalLength) : reported;
    if (m < MIN_PMTU) m = MIN_PMTU;
    const known = this.get(dst);
    const now = known > 0 ? known : current;
    if (m >= now) return now; // RFC 1191 §3: never raise the estimate from an ICMP message
    this.mtu.set(dst, m);
    this.expires.set(dst, this.clock.now() + this.timeout);
    return m;
  }

  clear(): void {
    this.mtu.clear();
    this.expires.clear();
  }
}
