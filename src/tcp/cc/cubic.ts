/**
 * CUBIC (RFC 9438) behind the same CongestionController interface as NewReno:
 * only the congestion-avoidance increase and the reaction to congestion events
 * differ. Slow start, the initial window, RFC 5681 §4.1 restart and the RFC
 * 6582 recovery deflation are inherited from NewReno (RFC 9438 §4.10 allows
 * Reno slow start; §4.2: CUBIC "does not make any changes to the TCP Fast
 * Recovery and Fast Retransmit algorithms").
 *
 * Owns: W_max, K, t_epoch, cwnd_epoch, cwnd_prior, W_est, α_cubic and a
 * smoothed RTT for the target W_cubic(t + RTT).
 * Must not: read the clock (every call gets `now`).
 *
 * The RFC works in segments and seconds; this module keeps cwnd in bytes (an
 * integer, with the fractional growth carried in `cwndFrac`) and converts:
 * segments = bytes / SMSS, t = ns / 1e9.
 *
 * Choices, with the rule each follows:
 *  - Concave/convex growth (§4.4, §4.5): per new ACK, cwnd += (target − cwnd)/cwnd
 *    segments × segments_acked. The RFC says "for each received new ACK"; scaling
 *    by the segments that ACK covered (as Linux's tcp_cong_avoid_ai(cnt, acked)
 *    does, and as §4.3 asks for W_est with byte counting) keeps the per-RTT
 *    growth independent of delayed ACKs, matching NewReno's byte counting.
 *  - Reno-friendly region (§4.3): cwnd = W_est when W_cubic(t) < W_est, never
 *    lowering cwnd (RFC: "SHOULD be set to W_est"; it is only a floor in Linux too).
 *  - Application-limited (§5.8, §4.2): no growth while the flow did not use its
 *    window — in congestion avoidance when FlightSize before the ACK left room
 *    for a full segment (flightBefore + SMSS ≤ cwnd), in slow start when it was at
 *    most half of cwnd (Linux tcp_is_cwnd_limited) — and t excludes such periods:
 *    t_epoch moves forward by the time since the previous ACK, and by the idle
 *    time reported through onIdle (Linux bictcp_cwnd_event, TX_START).
 *  - RTT for the target: RFC 6298-style SRTT (α = 1/8) of the samples passed to
 *    onAck; 0 until the first sample.
 *  - Congestion event: ssthresh = β·FlightSize (§4.6 eq. uses flight_size), at
 *    least 2 SMSS; W_max with fast convergence (§4.7, on by default, option
 *    `fastConvergence`).
 *  - Negative K (W_max < cwnd_epoch, e.g. FlightSize far below cwnd at the loss):
 *    eq. 2 is applied as written (cube root of a negative number).
 */
import type { Nanos } from '../../time/clock.js';
import { NewReno, type NewRenoOptions } from './newreno.js';

/** RFC 9438 §4.1.1 / §5.1: C = 0.4 (segments / second^3). */
export const CUBIC_C = 0.4;
/** RFC 9438 §4.1.1 / §4.6: β_cubic = 0.7. */
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: α_cubic = 3 (1 − β) / (1 + β). */
const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

const NS_PER_S = 1e9;

export interface CubicOptions {
  /** RFC 9438 §4.7 fast convergence (SHOULD be implemented; SHOULD be disabled for a single flow alone on a path). Default true. */
  fastConvergence?: boolean;
}

export class Cubic extends NewReno {
  override get name(): string {
    return 'cubic';
  }
  readonly fastConvergence: boolean;

  /** W_max in segments (0 = no congestion event yet). */
  private wMax = 0;
  /** K in seconds. */
  private k = 0;
  /** t_epoch in ns; -1 when no congestion-avoidance stage is running. */
  private epochStart = -1;
  /** cwnd_epoch in segments. */
  private cwndEpoch = 0;
  /** cwnd_prior in segments (0 = none yet). */
  private cwndPrior = 0;
  /** W_est in segments. */
  private wEst = 0;
  /** α_cubic, or 1 once W_est reached cwnd_prior (§4.3). */
  private alpha = ALPHA_CUBIC;
  /** The current stage follows an RTO: K = 0 and W_max = cwnd_epoch (§4.8). */
  private afterTimeout = false;
  /** Fractional bytes of cwnd growth not yet applied to the integer cwnd. */
  private cwndFrac = 0;
  /** Smoothed RTT (ns) of the samples seen; -1 before the first. */
  private srtt = -1;
  /** Time of the previous onAck (for excluding application-limited periods from t). */
  private lastAck = -1;

  constructor(opts: NewRenoOptions & CubicOptions) {
    super(opts);
    if (opts.fastConvergence !== undefined && typeof opts.fastConvergence !== 'boolean') {
      throw new TypeError(`congestion control option fastConvergence must be a boolean, got ${String(opts.fastConvergence)}`);
    }
    this.fastConvergence = opts.fastConvergence ?? true;
  }

  /** Snapshot of the CUBIC state (tests, TCP_INFO-style reporting). */
  get state(): { wMax: number; k: number; epochStart: Nanos; cwndEpoch: number; cwndPrior: number; wEst: number; alpha: number } {
    return {
      wMax: this.wMax,
      k: this.k,
      epochStart: this.epochStart,
      cwndEpoch: this.cwndEpoch,
      cwndPrior: this.cwndPrior,
      wEst: this.wEst,
      alpha: this.alpha,
    };
  }

  override init(smss: number, now: Nanos): void {
    super.init(smss, now);
    this.wMax = 0;
    this.k = 0;
    this.epochStart = -1;
    this.cwndEpoch = 0;
    this.cwndPrior = 0;
    this.wEst = 0;
    this.alpha = ALPHA_CUBIC;
    this.afterTimeout = false;
    this.cwndFrac = 0;
    this.srtt = -1;
    this.lastAck = -1;
  }

  /** RFC 9438 §4.2 eq. 1: W_cubic(t) = C (t − K)^3 + W_max, in segments, t in seconds. */
  private wCubic(t: number): number {
    const d = t - this.k;
    return CUBIC_C * d * d * d + this.wMax;
  }

  override onAck(acked: number, flightBefore: number, rtt: Nanos, now: Nanos): void {
    if (!(acked > 0)) return;
    if (rtt >= 0) this.srtt = this.srtt < 0 ? rtt : (7 * this.srtt + rtt) / 8;
    const prevAck = this.lastAck;
    this.lastAck = now;
    const slowStart = this._cwnd < this._ssthresh;
    // RFC 9438 §5.8: "CUBIC does not increase its congestion window if a flow is application-limited."
    const cwndLimited = slowStart ? 2 * flightBefore > this._cwnd : flightBefore + this.smss > this._cwnd;
    if (!cwndLimited) {
      this.inLoss = false;
      // RFC 9438 §4.2: t "MUST NOT include periods during which cwnd has not been updated
      // due to application-limited behavior".
      if (this.epochStart >= 0 && prevAck >= 0) this.epochStart += now - prevAck;
      return;
    }
    super.onAck(acked, flightBefore, rtt, now);
  }

  protected override congestionAvoidance(acked: number, _flightBefore: number, _rtt: Nanos, now: Nanos): void {
    const smss = this.smss;
    const cwndSeg = (this._cwnd + this.cwndFrac) / smss;
    if (this.epochStart < 0) {
      // A congestion-avoidance stage begins (§4.2): t_epoch, cwnd_epoch, W_est = cwnd_epoch (§4.3).
      this.epochStart = now;
      this.cwndEpoch = cwndSeg;
      this.wEst = cwndSeg;
      if (this.afterTimeout || this.wMax <= 0) {
        // §4.8 (first stage after a timeout) and §4.10 (no W_max yet): K = 0, W_max = cwnd_epoch.
        this.k = 0;
        this.wMax = cwndSeg;
        if (this.cwndPrior <= 0) this.cwndPrior = cwndSeg;
      } else {
        // §4.2 eq. 2: K = cbrt((W_max − cwnd_epoch) / C).
        this.k = Math.cbrt((this.wMax - cwndSeg) / CUBIC_C);
      }
      this.afterTimeout = false;
    }
    const t = (now - this.epochStart) / NS_PER_S;
    const rttS = this.srtt > 0 ? this.srtt / NS_PER_S : 0;
    const segmentsAcked = acked / smss;
    // §4.3 eq. 4: W_est += α_cubic · segments_acked / cwnd; α → 1 once W_est ≥ cwnd_prior.
    this.wEst += (this.alpha * segmentsAcked) / cwndSeg;
    if (this.alpha !== 1 && this.wEst >= this.cwndPrior) this.alpha = 1;
    let next: number;
    if (this.wCubic(t) < this.wEst) {
      // §4.3 Reno-friendly region: cwnd = W_est.
      next = this.wEst > cwndSeg ? this.wEst : cwndSeg;
    } else {
      // §4.2 target = W_cubic(t + RTT), bounded to [cwnd, 1.5 cwnd].
      let target = this.wCubic(t + rttS);
      if (target < cwndSeg) target = cwndSeg;
      else if (target > 1.5 * cwndSeg) target = 1.5 * cwndSeg;
      // §4.4 concave / §4.5 convex: cwnd += (target − cwnd) / cwnd per ACK (× segments acked, see module comment).
      next = cwndSeg + ((target - cwndSeg) / cwndSeg) * segmentsAcked;
    }
    const bytes = next * smss;
    const whole = Math.floor(bytes);
    this._cwnd = whole;
    this.cwndFrac = bytes - whole;
  }

  /** A congestion event (§4.6, §4.7): W_max, cwnd_prior, ssthresh; returns the new ssthresh. */
  private congestionEvent(flight: number): number {
    const cwndSeg = (this._cwnd + this.cwndFrac) / this.smss;
    // §4.7 fast convergence: W_max = cwnd (1 + β) / 2 if cwnd < W_max, else W_max = cwnd.
    this.wMax = this.fastConvergence && cwndSeg < this.wMax ? (cwndSeg * (1 + CUBIC_BETA)) / 2 : cwndSeg;
    // §4.6: cwnd_prior = cwnd; ssthresh = flight_size · β_cubic, at least 2 SMSS.
    this.cwndPrior = cwndSeg;
    this.epochStart = -1;
    this.cwndFrac = 0;
    this.bytesAcked = 0;
    return Math.max(Math.floor(flight * CUBIC_BETA), 2 * this.smss);
  }

  override onEnterRecovery(flight: number, _now: Nanos): void {
    this._ssthresh = this.congestionEvent(flight);
    // §4.6: cwnd = max(ssthresh, 2) on loss (recovery.ts then inflates it, RFC 6582).
    this._cwnd = this._ssthresh;
    this.afterTimeout = false;
  }

  override onExitRecovery(flight: number, now: Nanos): void {
    super.onExitRecovery(flight, now);
    this.cwndFrac = 0;
    this.epochStart = -1;
  }

  override onRto(flight: number, _now: Nanos): void {
    // §4.8: "CUBIC follows Reno to reduce cwnd [loss window], but sets ssthresh using β_cubic";
    // repeated timeouts of the same segment are one congestion event (RFC 5681 §3.1, see NewReno.inLoss).
    if (!this.inLoss) {
      this._ssthresh = this.congestionEvent(flight);
      this.inLoss = true;
    }
    this._cwnd = this.smss;
    this.cwndFrac = 0;
    this.bytesAcked = 0;
    this.epochStart = -1;
    this.afterTimeout = true;
  }

  override onIdle(idleFor: Nanos, rto: Nanos, now: Nanos): void {
    // RFC 9438 §5.8 / §4.2: the idle period is not part of t (shift t_epoch, Linux bictcp_cwnd_event).
    if (this.epochStart >= 0 && idleFor > 0) this.epochStart += idleFor;
    if (this.lastAck >= 0 && now > this.lastAck) this.lastAck = now;
    super.onIdle(idleFor, rto, now);
  }

  protected override restart(): void {
    super.restart();
    // RFC 5681 §4.1 restart window: the next congestion-avoidance stage starts afresh.
    this.cwndFrac = 0;
    this.epochStart = -1;
  }

  override setCwnd(bytes: number): void {
    super.setCwnd(bytes);
    this.cwndFrac = 0;
  }
}
