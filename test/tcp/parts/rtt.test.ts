// RFC 6298 estimator: each test names the section it checks. Values in ns.
import { describe, expect, it } from 'vitest';
import { RttEstimator } from '../../../src/tcp/rtt.js';

const MS = 1_000_000;
const S = 1_000_000_000;

function est(over: Partial<{ initialRto: number; minRto: number; maxRto: number; granularity: number }> = {}): RttEstimator {
  return new RttEstimator({ initialRto: 1 * S, minRto: 200 * MS, maxRto: 120 * S, granularity: 1 * MS, ...over });
}

describe('rtt: RFC 6298', () => {
  it('rtt: RTO is the initial value before any measurement (RFC 6298 §2.1)', () => {
    const r = est();
    expect(r.hasSample).toBe(false);
    expect(r.rto()).toBe(1 * S);
    expect(est({ initialRto: 3 * S }).rto()).toBe(3 * S);
  });

  it('rtt: first measurement sets SRTT=R, RTTVAR=R/2, RTO=SRTT+max(G, 4*RTTVAR) (RFC 6298 §2.2)', () => {
    const r = est({ minRto: 1 });
    r.sample(100 * MS);
    expect(r.hasSample).toBe(true);
    expect(r.srtt).toBe(100 * MS);
    expect(r.rttvar).toBe(50 * MS);
    expect(r.rto()).toBe(100 * MS + 4 * 50 * MS);
  });

  it('rtt: later measurements use alpha=1/8, beta=1/4, RTTVAR updated with the old SRTT (RFC 6298 §2.3)', () => {
    const r = est({ minRto: 1 });
    r.sample(100 * MS);
    r.sample(200 * MS);
    // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5 ms; SRTT = 7/8·100 + 1/8·200 = 112.5 ms.
    expect(r.rttvar).toBe(62_500_000);
    expect(r.srtt).toBe(112_500_000);
    expect(r.rto()).toBe(112_500_000 + 4 * 62_500_000);
    r.sample(112_500_000);
    expect(r.rttvar).toBe(Math.round((3 * 62_500_000) / 4));
    expect(r.srtt).toBe(112_500_000);
  });

  it('rtt: integer ns arithmetic rounds to the nearest ns (R = 3 ns → RTTVAR 2 ns)', () => {
    const r = est({ minRto: 0, granularity: 0 });
    r.sample(3);
    expect(r.srtt).toBe(3);
    expect(r.rttvar).toBe(2);
    r.sample(4);
    expect(Number.isInteger(r.srtt) && Number.isInteger(r.rttvar)).toBe(true);
    expect(r.rttvar).toBe(Math.round((3 * 2 + 1) / 4));
    expect(r.srtt).toBe(Math.round((7 * 3 + 4) / 8));
  });

  it('rtt: the variance term is at least the clock granularity G (RFC 6298 §2.2, §2.3)', () => {
    const r = est({ minRto: 0, granularity: 10 * MS });
    for (let i = 0; i < 50; i++) r.sample(5 * MS);
    // RTTVAR decays towards 0; K*RTTVAR < G so RTO = SRTT + G.
    expect(4 * r.rttvar).toBeLessThan(10 * MS);
    expect(r.rto()).toBe(r.srtt + 10 * MS);
  });

  it('rtt: RTO below the minimum is rounded up to minRto (RFC 6298 §2.4; 200 ms like Linux, 1 s per the RFC)', () => {
    const linux = est();
    linux.sample(1 * MS);
    expect(linux.rto()).toBe(200 * MS);
    const rfc = est({ minRto: 1 * S });
    rfc.sample(10 * MS);
    expect(rfc.rto()).toBe(1 * S);
  });

  it('rtt: RTO is capped at maxRto (RFC 6298 §2.5, at least 60 s)', () => {
    const r = est({ maxRto: 60 * S });
    r.sample(50 * S);
    expect(r.rto()).toBe(60 * S);
  });

  it('rtt: each backoff doubles the RTO, clamped to maxRto (RFC 6298 §5.5)', () => {
    const r = est({ maxRto: 60 * S });
    const seen: number[] = [];
    for (let i = 0; i < 9; i++) {
      seen.push(r.rto());
      r.backoff();
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60].map((x) => x * S));
    expect(r.backoffCount).toBe(9);
    for (let i = 0; i < 2000; i++) r.backoff();
    expect(r.rto()).toBe(60 * S);
  });

  it('rtt: a new measurement collapses the backed-off RTO (RFC 6298 §5, note after rule 5.7)', () => {
    const r = est();
    r.backoff();
    r.backoff();
    expect(r.rto()).toBe(4 * S);
    r.sample(100 * MS);
    expect(r.backoffCount).toBe(0);
    expect(r.rto()).toBe(300 * MS);
  });

  it('rtt: resetBackoff restores the base RTO without touching SRTT', () => {
    const r = est();
    r.sample(100 * MS);
    r.backoff();
    expect(r.rto()).toBe(600 * MS);
    r.resetBackoff();
    expect(r.rto()).toBe(300 * MS);
    expect(r.srtt).toBe(100 * MS);
  });

  it('rtt: backoff applies to the clamped base (200 ms min → 400 ms)', () => {
    const r = est();
    r.sample(1 * MS);
    r.backoff();
    expect(r.rto()).toBe(400 * MS);
  });

  it('rtt: bad options and samples are rejected naming the option', () => {
    expect(() => est({ minRto: 2 * S, maxRto: 1 * S })).toThrow(/minRto/);
    expect(() => est({ initialRto: 0 })).toThrow(RangeError);
    expect(() => est({ granularity: 1.5 })).toThrow(/granularity/);
    expect(() => est().sample(-1)).toThrow(RangeError);
    expect(() => est().sample(Number.NaN)).toThrow(RangeError);
  });
});
