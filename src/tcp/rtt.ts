/**
 * RFC 6298 round-trip time estimator and retransmission timeout (RTO).
 *
 * Owns: SRTT, RTTVAR, the base RTO computed from them (§2), its clamping
 * (§2.4 lower bound, §2.5 upper bound) and the exponential backoff (§5.5).
 * Must not: decide which samples are valid (Karn's algorithm, RFC 6298 §3, and
 * timestamp sampling, RFC 7323 §4, belong to the caller: recovery.ts), when to
 * collapse the backoff beyond "a new sample resets it", or arm timers.
 *
 * Arithmetic is on integer nanoseconds: every update rounds to the nearest ns
 * (Math.round, halves up), so runs are exact and reproducible. Linux keeps
 * srtt scaled by 8 in µs instead; at ns resolution the rounding error of this
 * form (≤ 0.5 ns per update) is far below any clock granularity.
 */
import type { Nanos } from '../time/clock.js';

/** RFC 6298 §2.3: alpha = 1/8, beta = 1/4 (as the divisors below), K = 4. */
const K = 4;

export interface RttEstimatorOptions {
  /** §2.1 RTO before the first sample (RFC: 1 s). */
  initialRto: Nanos;
  /** §2.4 lower bound (RFC: 1 s; Linux TCP_RTO_MIN 200 ms). */
  minRto: Nanos;
  /** §2.5 upper bound, applied after backoff (RFC: "at least 60 seconds"; Linux 120 s). */
  maxRto: Nanos;
  /** §2 G, the clock granularity. */
  granularity: Nanos;
}

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`RttEstimator option ${name} must be an integer (ns), got ${String(v)}`);
  }
  if (v < min) throw new RangeError(`RttEstimator option ${name} must be >= ${min} ns, got ${v}`);
  return v;
}

export class RttEstimator {
  readonly initialRto: Nanos;
  readonly minRto: Nanos;
  readonly maxRto: Nanos;
  readonly granularity: Nanos;

  private _srtt: Nanos = 0;
  private _rttvar: Nanos = 0;
  private _hasSample = false;
  private _backoff = 0;

  constructor(opts: RttEstimatorOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`RttEstimator options must be an object, got ${String(opts)}`);
    this.initialRto = checkInt('initialRto', opts.initialRto, 1);
    this.minRto = checkInt('minRto', opts.minRto, 0);
    this.maxRto = checkInt('maxRto', opts.maxRto, 1);
    this.granularity = checkInt('granularity', opts.granularity, 0);
    if (this.minRto > this.maxRto) {
      throw new RangeError(`RttEstimator option minRto (${this.minRto}) must not exceed maxRto (${this.maxRto})`);
    }
  }

  /** SRTT in ns (0 before the first sample). */
  get srtt(): Nanos {
    return this._srtt;
  }

  /** RTTVAR in ns (0 before the first sample). */
  get rttvar(): Nanos {
    return this._rttvar;
  }

  get hasSample(): boolean {
    return this._hasSample;
  }

  /** Number of backoff() calls since the last sample() or resetBackoff(). */
  get backoffCount(): number {
    return this._backoff;
  }

  /** The RTO without backoff: §2.1 before any sample, else §2.2/§2.3's SRTT + max(G, K*RTTVAR); clamped (§2.4, §2.5). */
  baseRto(): Nanos {
    // RFC 6298 §2.1: until a measurement is made, RTO = the initial value.
    let rto = this._hasSample ? this._srtt + Math.max(this.granularity, K * this._rttvar) : this.initialRto;
    // RFC 6298 §2.4: "if it is less than 1 second, then the RTO SHOULD be rounded up to 1 second" — minRto.
    if (rto < this.minRto) rto = this.minRto;
    // RFC 6298 §2.5: "A maximum value MAY be placed on RTO provided it is at least 60 seconds" — maxRto.
    if (rto > this.maxRto) rto = this.maxRto;
    return rto;
  }

  /** The current RTO: the base RTO doubled per backoff (§5.5), clamped to maxRto (§2.5). */
  rto(): Nanos {
    const base = this.baseRto();
    if (this._backoff === 0) return base;
    // 2 ** n overflows to Infinity for huge n; min() still yields maxRto.
    const backed = base * 2 ** this._backoff;
    return backed > this.maxRto ? this.maxRto : backed;
  }

  /**
   * A valid RTT measurement R (ns, ≥ 0) — the caller applies Karn's algorithm
   * (§3). Updates SRTT/RTTVAR (§2.2 first sample, §2.3 later ones) and resets
   * the backoff: "collapsing RTO back down" after a new measurement (§5, note
   * after rule 5.7).
   */
  sample(rtt: Nanos): void {
    if (typeof rtt !== 'number' || !(rtt >= 0) || !Number.isFinite(rtt)) {
      throw new RangeError(`RttEstimator.sample: rtt must be a finite number >= 0 (ns), got ${String(rtt)}`);
    }
    const r = Math.round(rtt);
    if (!this._hasSample) {
      // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
      this._srtt = r;
      this._rttvar = Math.round(r / 2);
      this._hasSample = true;
    } else {
      // RFC 6298 §2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'| (with the old SRTT), then
      //                SRTT <- (1 - alpha) * SRTT + alpha * R', alpha = 1/8, beta = 1/4.
      const err = Math.abs(this._srtt - r);
      this._rttvar = Math.round((3 * this._rttvar + err) / 4);
      this._srtt = Math.round((7 * this._srtt + r) / 8);
    }
    this._backoff = 0;
  }

  /** RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")", clamped by maxRto (§2.5). */
  backoff(): void {
    this._backoff++;
  }

  resetBackoff(): void {
    this._backoff = 0;
  }
}
