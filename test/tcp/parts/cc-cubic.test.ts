// CUBIC (RFC 9438): the congestion event, K, the cubic window function, the
// Reno-friendly region, timeouts and application-limited periods. SMSS 1000 so
// that segments and bytes read easily; times in ns.
import { describe, expect, it } from 'vitest';
import { Cubic, CUBIC_BETA, CUBIC_C } from '../../../src/tcp/cc/index.js';

const SMSS = 1000;
const MS = 1_000_000;
const S = 1_000_000_000;

function cubic(fastConvergence = true): Cubic {
  const cc = new Cubic({ initialWindowSegments: 10, fastConvergence });
  cc.init(SMSS, 0);
  return cc;
}

/** Slow start (cwnd-limited) up to `segs` segments. */
function growTo(cc: Cubic, segs: number): void {
  while (cc.cwnd < segs * SMSS) cc.onAck(SMSS, cc.cwnd, -1, 0);
  expect(cc.cwnd).toBe(segs * SMSS);
}

/** A loss at `now` with FlightSize = cwnd, then NewReno recovery (inflate, full ACK). */
function lossAndRecover(cc: Cubic, now: number): void {
  cc.onEnterRecovery(cc.cwnd, now);
  const ss = cc.ssthresh;
  cc.setCwnd(ss + 3 * SMSS);
  cc.onExitRecovery(ss, now);
  expect(cc.cwnd).toBe(ss);
}

/**
 * The RFC 9438 §4 congestion-avoidance rules transcribed independently, in
 * segments and seconds: one "new ACK" of `segs` segments at time t.
 */
class Reference {
  wMax: number;
  k = 0;
  tEpoch = -1;
  cwnd: number;
  wEst = 0;
  alpha = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
  constructor(
    cwnd: number,
    wMax: number,
    readonly cwndPrior: number,
  ) {
    this.cwnd = cwnd;
    this.wMax = wMax;
  }
  w(t: number): number {
    return CUBIC_C * (t - this.k) ** 3 + this.wMax;
  }
  ack(t: number, segs: number, rtt: number): void {
    if (this.tEpoch < 0) {
      this.tEpoch = t;
      this.wEst = this.cwnd;
      this.k = Math.cbrt((this.wMax - this.cwnd) / CUBIC_C);
    }
    const te = t - this.tEpoch;
    this.wEst += (this.alpha * segs) / this.cwnd;
    if (this.wEst >= this.cwndPrior) this.alpha = 1;
    if (this.w(te) < this.wEst) {
      this.cwnd = Math.max(this.cwnd, this.wEst);
      return;
    }
    const target = Math.min(Math.max(this.w(te + rtt), this.cwnd), 1.5 * this.cwnd);
    this.cwnd += ((target - this.cwnd) / this.cwnd) * segs;
  }
}

describe('cubic: congestion event', () => {
  it('cubic: multiplicative decrease: ssthresh = β·FlightSize, cwnd = ssthresh, W_max = cwnd_prior = cwnd (RFC 9438 §4.6)', () => {
    const cc = cubic();
    growTo(cc, 100);
    cc.onEnterRecovery(100 * SMSS, 1 * S);
    expect(cc.ssthresh).toBe(70 * SMSS);
    expect(cc.cwnd).toBe(70 * SMSS);
    expect(cc.state.wMax).toBe(100);
    expect(cc.state.cwndPrior).toBe(100);
  });

  it('cubic: ssthresh uses FlightSize, not cwnd, and is at least 2 SMSS (RFC 9438 §4.6)', () => {
    const cc = cubic();
    growTo(cc, 100);
    cc.onEnterRecovery(40 * SMSS, 0);
    expect(cc.ssthresh).toBe(28 * SMSS);
    cc.onEnterRecovery(1 * SMSS, 0);
    expect(cc.ssthresh).toBe(2 * SMSS);
  });

  it('cubic: fast convergence lowers W_max to cwnd·(1+β)/2 when cwnd < W_max (RFC 9438 §4.7)', () => {
    for (const fc of [true, false]) {
      const cc = cubic(fc);
      growTo(cc, 100);
      lossAndRecover(cc, 0); // W_max = 100, cwnd 70
      growToCa(cc, 80);
      cc.onEnterRecovery(80 * SMSS, 1 * S);
      expect(cc.state.wMax).toBeCloseTo(fc ? (80 * (1 + CUBIC_BETA)) / 2 : 80, 9);
      expect(cc.ssthresh).toBe(56 * SMSS);
    }
  });
});

/** In congestion avoidance, force cwnd up with setCwnd (a shortcut for tests of the next event). */
function growToCa(cc: Cubic, segs: number): void {
  cc.setCwnd(segs * SMSS);
}

describe('cubic: window increase (RFC 9438 §4.2-§4.5)', () => {
  it('cubic: K = cbrt((W_max − cwnd_epoch)/C) at the start of congestion avoidance (RFC 9438 §4.2 eq. 2)', () => {
    const cc = cubic();
    growTo(cc, 100);
    lossAndRecover(cc, 0);
    cc.onAck(SMSS, cc.cwnd, 100 * MS, 10 * MS);
    expect(cc.state.epochStart).toBe(10 * MS);
    expect(cc.state.cwndEpoch).toBe(70);
    expect(cc.state.k).toBeCloseTo(Math.cbrt(30 / 0.4), 12);
  });

  it('cubic: cwnd follows the RFC 9438 §4 rules ACK by ACK: concave up to W_max at t = K, convex beyond', () => {
    // W_max = 1000 segments, RTT 100 ms, ACK-clocked (one ACK per segment, cwnd ACKs per RTT):
    // K ≈ 9.09 s, and W_est (≈ +0.53 segment per RTT) stays below W_cubic: the cubic regions.
    const cc = cubic();
    growTo(cc, 1000);
    lossAndRecover(cc, 0);
    const ref = new Reference(700, 1000, 1000);
    const k = Math.cbrt(300 / 0.4);
    let maxDiff = 0;
    let t = 0;
    let atK = -1;
    while (t < 12 * S) {
      cc.onAck(SMSS, cc.cwnd, 100 * MS, t);
      ref.ack(t / S, 1, 0.1);
      maxDiff = Math.max(maxDiff, Math.abs(cc.cwnd - Math.floor(ref.cwnd * SMSS)));
      if (atK < 0 && t >= k * S) atK = cc.cwnd / SMSS;
      t += Math.round((100 * MS * SMSS) / cc.cwnd);
    }
    // Same evolution as the independent transcription, to the byte (float rounding aside).
    expect(maxDiff).toBeLessThanOrEqual(2);
    // §4.4 concave: cwnd reaches W_max at t ≈ K (it chases W_cubic(t + RTT) with one RTT of lag) ...
    expect(atK).toBeGreaterThan(995);
    expect(atK).toBeLessThan(1005);
    // ... §4.5 convex beyond: at t = 12 s cwnd is between W_cubic(t) − 1% and W_cubic(t + RTT).
    const w = (x: number): number => 0.4 * (x - k) ** 3 + 1000;
    expect(cc.cwnd / SMSS).toBeGreaterThan(w(12) * 0.99);
    expect(cc.cwnd / SMSS).toBeLessThanOrEqual(w(12.1));
    expect(cc.state.wEst).toBeLessThan(800);
  });

  it('cubic: the target is clamped to 1.5·cwnd per RTT (RFC 9438 §4.2)', () => {
    const cc = cubic();
    growTo(cc, 100);
    lossAndRecover(cc, 0);
    cc.onAck(SMSS, cc.cwnd, 100 * MS, 0); // epoch starts at 0
    // 30 s later W_cubic is enormous; one ACK of a full window may add at most 0.5·cwnd.
    const before = cc.cwnd;
    cc.onAck(before, before, 100 * MS, 30 * S);
    // (cwnd carries a fraction of a byte from the first ACK, hence the +1.)
    expect(cc.cwnd - Math.floor(before * 1.5)).toBeGreaterThanOrEqual(0);
    expect(cc.cwnd - Math.floor(before * 1.5)).toBeLessThanOrEqual(1);
  });

  it('cubic: Reno-friendly region sets cwnd = W_est while W_cubic(t) < W_est; α becomes 1 at cwnd_prior (RFC 9438 §4.3)', () => {
    const cc = cubic();
    growTo(cc, 10);
    lossAndRecover(cc, 0); // W_max 10, cwnd 7: K ≈ 1.96 s, W_cubic rises only 3 segments in that time
    const ref = new Reference(7, 10, 10);
    let reno = 0;
    for (let i = 1; i <= 400; i++) {
      const t = i * MS;
      cc.onAck(SMSS, cc.cwnd, 1 * MS, t);
      ref.ack(t / S, 1, 0.001);
      if (ref.w(t / S - ref.tEpoch) < ref.wEst) reno++;
      expect(Math.abs(cc.cwnd - Math.floor(ref.cwnd * SMSS))).toBeLessThanOrEqual(1);
    }
    expect(reno).toBeGreaterThan(300);
    expect(cc.state.wEst).toBeCloseTo(ref.wEst, 9);
    expect(cc.cwnd).toBe(Math.floor(cc.state.wEst * SMSS));
    expect(cc.state.alpha).toBe(1);
    expect(cc.cwnd).toBeGreaterThan(10 * SMSS);
  });
});

describe('cubic: timeout and application-limited periods', () => {
  it('cubic: RTO sets ssthresh = β·FlightSize and cwnd = 1 SMSS; the next stage has K = 0, W_max = cwnd_epoch (RFC 9438 §4.8)', () => {
    const cc = cubic();
    growTo(cc, 100);
    cc.onRto(100 * SMSS, 1 * S);
    expect(cc.ssthresh).toBe(70 * SMSS);
    expect(cc.cwnd).toBe(SMSS);
    // Slow start back to ssthresh (§4.10: Reno slow start), then the first CA ACK starts the epoch.
    while (cc.cwnd < cc.ssthresh) cc.onAck(SMSS, cc.cwnd, 100 * MS, 2 * S);
    expect(cc.cwnd).toBe(70 * SMSS);
    cc.onAck(SMSS, cc.cwnd, 100 * MS, 3 * S);
    expect(cc.state.k).toBe(0);
    expect(cc.state.cwndEpoch).toBe(70);
    expect(cc.state.wMax).toBe(70);
  });

  it('cubic: a second RTO for the same segment is not a new congestion event (RFC 5681 §3.1)', () => {
    const cc = cubic();
    growTo(cc, 100);
    cc.onRto(100 * SMSS, 1 * S);
    cc.onRto(100 * SMSS, 2 * S);
    expect(cc.ssthresh).toBe(70 * SMSS);
    expect(cc.state.wMax).toBe(100);
  });

  it('cubic: no growth while application-limited, and that time is not part of t (RFC 9438 §5.8, §4.2)', () => {
    const cc = cubic();
    growTo(cc, 100);
    lossAndRecover(cc, 0);
    cc.onAck(SMSS, cc.cwnd, 100 * MS, 1 * S); // epoch starts at 1 s
    const cwnd = cc.cwnd;
    // FlightSize well below cwnd for 5 s of ACKs: cwnd frozen, t_epoch moves along.
    for (let i = 1; i <= 50; i++) cc.onAck(SMSS, 10 * SMSS, 100 * MS, 1 * S + i * 100 * MS);
    expect(cc.cwnd).toBe(cwnd);
    expect(cc.state.epochStart).toBe(6 * S);
  });

  it('cubic: application-limited in slow start (FlightSize ≤ cwnd/2) does not grow cwnd (RFC 9438 §5.8)', () => {
    const cc = cubic();
    cc.onAck(SMSS, 5 * SMSS, -1, 0);
    expect(cc.cwnd).toBe(10 * SMSS);
    cc.onAck(SMSS, 6 * SMSS, -1, 0);
    expect(cc.cwnd).toBe(11 * SMSS);
  });

  it('cubic: idle time reported by onIdle is excluded from t; idle > RTO restarts at min(IW, cwnd) (RFC 9438 §5.8, RFC 5681 §4.1)', () => {
    const cc = cubic();
    growTo(cc, 100);
    lossAndRecover(cc, 0);
    cc.onAck(SMSS, cc.cwnd, 100 * MS, 1 * S);
    cc.onIdle(500 * MS, 1 * S, 2 * S);
    expect(cc.state.epochStart).toBe(1 * S + 500 * MS);
    expect(cc.cwnd).toBeGreaterThan(70 * SMSS);
    cc.onIdle(2 * S, 1 * S, 5 * S);
    expect(cc.cwnd).toBe(10 * SMSS);
    expect(cc.state.epochStart).toBe(-1);
  });
});
