/**
 * The congestion-control strategy interface (STYLE lesson 6) and the factory
 * that builds a controller by name.
 *
 * Owns: the CongestionController contract between loss recovery (recovery.ts,
 * which decides *when* a loss event happens) and the window arithmetic of each
 * algorithm (newreno.ts, cubic.ts, which decide *by how much* cwnd and ssthresh
 * move), and the list of algorithm names.
 * Must not: count duplicate ACKs, retransmit, or read the clock — every call
 * gets `now` from its caller.
 *
 * Units: cwnd, ssthresh, SMSS, FlightSize and acked amounts are bytes; times
 * are integer ns. cwnd and ssthresh are always integers.
 */
import type { Nanos } from '../../time/clock.js';
import { Cubic, type CubicOptions } from './cubic.js';
import { NewReno, type NewRenoOptions } from './newreno.js';

export interface CongestionController {
  /** 'newreno' | 'cubic'. */
  readonly name: string;
  /** Congestion window, bytes. */
  readonly cwnd: number;
  /** Slow-start threshold, bytes (INFINITE_SSTHRESH until the first loss). */
  readonly ssthresh: number;
  /** RFC 5681 §3.1 / RFC 6928 initial window for this SMSS; ssthresh "arbitrarily high". */
  init(smss: number, now: Nanos): void;
  /**
   * New data acknowledged outside fast recovery: `acked` bytes newly acked,
   * `flightBefore` = FlightSize before this ACK, `rtt` the sample this ACK gave
   * (ns) or -1. RFC 5681 §3.1 slow start / congestion avoidance.
   */
  onAck(acked: number, flightBefore: number, rtt: Nanos, now: Nanos): void;
  /** Fast retransmit: ssthresh = max(FlightSize/2, 2*SMSS) (RFC 5681 eq. 4; CUBIC: β·FlightSize). */
  onEnterRecovery(flight: number, now: Nanos): void;
  /** RFC 6582 §3.2 step 3 full acknowledgment: deflate the window. `flight` = FlightSize after the ACK. */
  onExitRecovery(flight: number, now: Nanos): void;
  /** Retransmission timeout: ssthresh per eq. 4 (once per lost segment), cwnd = loss window = 1 SMSS (RFC 5681 §3.1). */
  onRto(flight: number, now: Nanos): void;
  /** About to send after `idleFor` ns without sending: RFC 5681 §4.1 restart window when idleFor > rto. */
  onIdle(idleFor: Nanos, rto: Nanos, now: Nanos): void;
  /** Set cwnd directly (RFC 6582 inflation/deflation by recovery.ts; RFC 5681 §3.1 one-segment IW after a lost SYN). */
  setCwnd(bytes: number): void;
  /** The sender's MSS changed (PMTU, options). cwnd is kept in bytes. */
  setSmss(smss: number): void;
}

/** Options of createCongestionController. Only initialWindowSegments is required. */
export interface CongestionControllerOptions extends NewRenoOptions, CubicOptions {
  /** Initial window in segments (TcpConfig.initialWindowSegments; 10 = RFC 6928). */
  initialWindowSegments: number;
}

/** The names createCongestionController accepts. */
export const CONGESTION_CONTROLLERS: readonly string[] = Object.freeze(['newreno', 'cubic']);

/**
 * A fresh controller for one connection. Unknown names are a RangeError naming
 * the value and the accepted names; bad options a TypeError/RangeError naming
 * the option.
 */
export function createCongestionController(name: string, opts: CongestionControllerOptions): CongestionController {
  switch (name) {
    case 'newreno':
      return new NewReno(opts);
    case 'cubic':
      return new Cubic(opts);
    default:
      throw new RangeError(
        `congestion control: unknown algorithm ${JSON.stringify(name)} (accepted: ${CONGESTION_CONTROLLERS.join(', ')})`,
      );
  }
}
