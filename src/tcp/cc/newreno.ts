/**
 * NewReno window arithmetic: RFC 5681 slow start and congestion avoidance, the
 * RFC 6928 initial window, RFC 5681 §4.1 restart after idle, the loss window on
 * RTO, and the RFC 6582 §3.2 deflation at the end of fast recovery.
 *
 * Owns: cwnd, ssthresh and the congestion-avoidance byte counter.
 * Must not: detect losses or count duplicate ACKs (recovery.ts), or inflate the
 * window during recovery (recovery.ts does that through setCwnd, RFC 6582 §3.2
 * step 4).
 *
 * Choices, with the rule each follows:
 *  - Slow start (cwnd < ssthresh): cwnd += min(N, SMSS) per ACK, N = bytes newly
 *    acknowledged (RFC 5681 §3.1 eq. 2). That is RFC 3465 appropriate byte
 *    counting with L = 1·SMSS; RFC 3465 §2.2's L = 2·SMSS is experimental and,
 *    per RFC 5681 §3.1, "not allowed as part of the standard".
 *  - cwnd == ssthresh counts as congestion avoidance (RFC 5681 §3.1 lets the
 *    sender choose; Linux tcp_in_slow_start() is cwnd < ssthresh as well).
 *  - Congestion avoidance: byte counting, "The RECOMMENDED way" of RFC 5681 §3.1:
 *    bytes_acked += N; when bytes_acked >= cwnd, bytes_acked -= cwnd and
 *    cwnd += SMSS (RFC 3465 §2.1) — at most one SMSS per ACK, so at most one per
 *    RTT. Not eq. 3 (SMSS*SMSS/cwnd per ACK), which under-grows with delayed ACKs.
 *  - No application-limited check: RFC 5681 has none (RFC 7661 is experimental),
 *    so `flightBefore` is unused here. (Linux Reno grows only when cwnd-limited.)
 *  - Initial ssthresh: "arbitrarily high" (RFC 5681 §3.1) = INFINITE_SSTHRESH.
 *  - Full ACK ending fast recovery: RFC 6582 §3.2 step 3 option (1),
 *    cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), which avoids a burst
 *    without further measures (option (2), cwnd = ssthresh, needs them).
 */
import type { Nanos } from '../../time/clock.js';
import type { CongestionController } from './controller.js';

/** "Arbitrarily high" initial ssthresh (RFC 5681 §3.1); Linux TCP_INFINITE_SSTHRESH. */
export const INFINITE_SSTHRESH = 0x7fffffff;

export interface NewRenoOptions {
  /** Initial window in segments: 10 = RFC 6928 IW10; ≤ 4 = RFC 5681 eq. 1 capped at that many segments. */
  initialWindowSegments: number;
}

/**
 * RFC 5681 §3.1 eq. 1: IW by SMSS (2, 3 or 4 segments): SMSS > 2190 → 2·SMSS;
 * 1095 < SMSS ≤ 2190 → 3·SMSS; SMSS ≤ 1095 → 4·SMSS.
 */
export function rfc5681InitialWindow(smss: number): number {
  if (smss > 2190) return 2 * smss;
  if (smss > 1095) return 3 * smss;
  return 4 * smss;
}

/**
 * Initial window in bytes for `segments` configured segments:
 *  - segments ≤ 4: RFC 5681 eq. 1, capped at `segments`·SMSS (4 gives RFC 5681 exactly);
 *  - segments ≥ 5: min(segments·SMSS, max(2·SMSS, segments·1460)) — for 10 this is
 *    RFC 6928 §2, IW = min(10·MSS, max(2·MSS, 14600)); other values scale it (not an RFC).
 */
export function initialWindow(smss: number, segments: number): number {
  if (segments <= 4) return Math.min(segments * smss, rfc5681InitialWindow(smss));
  return Math.min(segments * smss, Math.max(2 * smss, segments * 1460));
}

function checkSegments(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new TypeError(`congestion control option initialWindowSegments must be an integer, got ${String(v)}`);
  }
  if (v < 1) throw new RangeError(`congestion control option initialWindowSegments must be >= 1, got ${v}`);
  return v;
}

function checkSmss(where: string, smss: number): void {
  if (!Number.isInteger(smss) || smss < 1) throw new RangeError(`${where}: smss must be a positive integer, got ${String(smss)}`);
}

export class NewReno implements CongestionController {
  get name(): string {
    return 'newreno';
  }
  readonly initialWindowSegments: number;

  protected _cwnd = 0;
  protected _ssthresh = INFINITE_SSTHRESH;
  protected smss = 536;
  /** RFC 5681 §3.1 / RFC 3465 §2.1 bytes acknowledged in congestion avoidance since the last increase. */
  protected bytesAcked = 0;
  /**
   * An RTO happened and no new data has been acknowledged since: a further RTO
   * retransmits the same segment again, which RFC 5681 §3.1 does not count as a
   * new loss ("…and the given segment has not yet been resent by way of the
   * retransmission timer") — ssthresh is left alone.
   */
  protected inLoss = false;

  constructor(opts: NewRenoOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`congestion control options must be an object, got ${String(opts)}`);
    this.initialWindowSegments = checkSegments(opts.initialWindowSegments);
  }

  get cwnd(): number {
    return this._cwnd;
  }

  get ssthresh(): number {
    return this._ssthresh;
  }

  /** The initial window for the current SMSS. */
  initialWindow(): number {
    return initialWindow(this.smss, this.initialWindowSegments);
  }

  init(smss: number, _now: Nanos): void {
    checkSmss(`${this.name}.init`, smss);
    this.smss = smss;
    // RFC 5681 §3.1 eq. 1 / RFC 6928 §2: IW.
    this._cwnd = this.initialWindow();
    // RFC 5681 §3.1: "The initial value of ssthresh SHOULD be set arbitrarily high".
    this._ssthresh = INFINITE_SSTHRESH;
    this.bytesAcked = 0;
    this.inLoss = false;
  }

  onAck(acked: number, flightBefore: number, rtt: Nanos, now: Nanos): void {
    if (!(acked > 0)) return;
    this.inLoss = false;
    if (this._cwnd < this._ssthresh) {
      // RFC 5681 §3.1 eq. 2: during slow start, cwnd += min(N, SMSS).
      this._cwnd += acked < this.smss ? acked : this.smss;
      return;
    }
    this.congestionAvoidance(acked, flightBefore, rtt, now);
  }

  /** RFC 5681 §3.1 congestion avoidance by byte counting (RFC 3465 §2.1). */
  protected congestionAvoidance(acked: number, _flightBefore: number, _rtt: Nanos, _now: Nanos): void {
    this.bytesAcked += acked;
    if (this.bytesAcked >= this._cwnd) {
      // RFC 3465 §2.1: bytes_acked is reduced by cwnd, then cwnd grows by one SMSS.
      this.bytesAcked -= this._cwnd;
      this._cwnd += this.smss;
    }
  }

  /** The ssthresh after a loss with `flight` bytes outstanding: RFC 5681 eq. 4, max(FlightSize/2, 2*SMSS). */
  protected lossSsthresh(flight: number): number {
    return Math.max(Math.floor(flight / 2), 2 * this.smss);
  }

  onEnterRecovery(flight: number, _now: Nanos): void {
    // RFC 5681 §3.2 step 2: ssthresh = max(FlightSize / 2, 2*SMSS) (eq. 4).
    this._ssthresh = this.lossSsthresh(flight);
    // Step 3's cwnd = ssthresh + 3*SMSS is recovery.ts's (setCwnd); ssthresh here keeps cwnd meaningful meanwhile.
    this._cwnd = this._ssthresh;
    this.bytesAcked = 0;
  }

  onExitRecovery(flight: number, _now: Nanos): void {
    // RFC 6582 §3.2 step 3 (full acknowledgment), option (1):
    // cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS).
    this._cwnd = Math.min(this._ssthresh, Math.max(flight, this.smss) + this.smss);
    this.bytesAcked = 0;
  }

  onRto(flight: number, _now: Nanos): void {
    // RFC 5681 §3.1: on a timeout for a segment not yet resent by the timer, ssthresh ≤ eq. 4 ...
    if (!this.inLoss) this._ssthresh = this.lossSsthresh(flight);
    this.inLoss = true;
    // ... and "cwnd MUST be set to no more than the loss window, LW, which equals 1 full-sized segment".
    this._cwnd = this.smss;
    this.bytesAcked = 0;
  }

  onIdle(idleFor: Nanos, rto: Nanos, _now: Nanos): void {
    // RFC 5681 §4.1: after an idle period longer than the RTO, cwnd SHOULD be at most
    // RW = min(IW, cwnd) before sending. ssthresh is left alone (RFC 5681 says nothing of it).
    if (idleFor > rto) this.restart();
  }

  /** RFC 5681 §4.1 restart window. */
  protected restart(): void {
    const iw = this.initialWindow();
    if (this._cwnd > iw) this._cwnd = iw;
    this.bytesAcked = 0;
  }

  setCwnd(bytes: number): void {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new RangeError(`${this.name}.setCwnd: bytes must be a finite number >= 0, got ${String(bytes)}`);
    this._cwnd = Math.floor(bytes);
  }

  setSmss(smss: number): void {
    checkSmss(`${this.name}.setSmss`, smss);
    this.smss = smss;
  }
}
