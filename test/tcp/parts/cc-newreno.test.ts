// NewReno window arithmetic: exact cwnd/ssthresh evolution for scripted ACK
// sequences, named after the RFC rule each step checks. SMSS 1460 unless stated.
import { describe, expect, it } from 'vitest';
import {
  CONGESTION_CONTROLLERS,
  createCongestionController,
  INFINITE_SSTHRESH,
  initialWindow,
  NewReno,
  rfc5681InitialWindow,
  type CongestionController,
} from '../../../src/tcp/cc/index.js';

const SMSS = 1460;

function reno(iw = 10, smss = SMSS): NewReno {
  const cc = new NewReno({ initialWindowSegments: iw });
  cc.init(smss, 0);
  return cc;
}

/** Feed ACKs of `bytes` each (cwnd-limited sender), returning cwnd after each. */
function acks(cc: CongestionController, n: number, bytes = SMSS): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    cc.onAck(bytes, cc.cwnd, -1, i);
    out.push(cc.cwnd);
  }
  return out;
}

describe('newreno: initial window', () => {
  it('newreno: IW = min(10·MSS, max(2·MSS, 14600)) with initialWindowSegments = 10 (RFC 6928 §2)', () => {
    expect(initialWindow(1460, 10)).toBe(14600);
    expect(initialWindow(1448, 10)).toBe(14480);
    expect(initialWindow(536, 10)).toBe(5360);
    expect(initialWindow(4000, 10)).toBe(14600);
    expect(initialWindow(9000, 10)).toBe(18000);
    expect(reno().cwnd).toBe(14600);
  });

  it('newreno: IW per RFC 5681 §3.1 eq. 1 with initialWindowSegments = 4 (2, 3 or 4 segments by SMSS)', () => {
    expect(rfc5681InitialWindow(3000)).toBe(6000);
    expect(rfc5681InitialWindow(2190)).toBe(3 * 2190);
    expect(rfc5681InitialWindow(1460)).toBe(4380);
    expect(rfc5681InitialWindow(1095)).toBe(4 * 1095);
    expect(rfc5681InitialWindow(536)).toBe(2144);
    expect(initialWindow(1460, 4)).toBe(4380);
    expect(initialWindow(536, 4)).toBe(2144);
  });

  it('newreno: a configured IW below 4 segments caps RFC 5681 §3.1 eq. 1 at that many segments', () => {
    expect(initialWindow(1460, 1)).toBe(1460);
    expect(initialWindow(536, 2)).toBe(1072);
    expect(initialWindow(3000, 3)).toBe(6000);
    expect(reno(1).cwnd).toBe(1460);
  });

  it('newreno: initial ssthresh is arbitrarily high (RFC 5681 §3.1)', () => {
    expect(reno().ssthresh).toBe(INFINITE_SSTHRESH);
  });
});

describe('newreno: slow start and congestion avoidance (RFC 5681 §3.1)', () => {
  it('newreno: slow start: cwnd += min(N, SMSS) per ACK (RFC 5681 §3.1 eq. 2, ABC with L = 1 SMSS)', () => {
    const cc = reno();
    cc.onAck(1460, cc.cwnd, -1, 0);
    expect(cc.cwnd).toBe(14600 + 1460);
    cc.onAck(2920, cc.cwnd, -1, 1); // a delayed ACK for two segments still adds one SMSS
    expect(cc.cwnd).toBe(14600 + 2 * 1460);
    cc.onAck(500, cc.cwnd, -1, 2); // a small segment adds what it acked
    expect(cc.cwnd).toBe(14600 + 2 * 1460 + 500);
    cc.onAck(0, cc.cwnd, -1, 3); // nothing newly acked: no change
    expect(cc.cwnd).toBe(14600 + 2 * 1460 + 500);
  });

  it('newreno: congestion avoidance: +1 SMSS once cwnd bytes have been acked (RFC 5681 §3.1 byte counting, RFC 3465 §2.1)', () => {
    const cc = reno();
    cc.onRto(40 * SMSS, 0); // ssthresh = 20 SMSS, cwnd = 1 SMSS
    expect(cc.ssthresh).toBe(20 * SMSS);
    // Slow start from 1 to 20 segments: 19 ACKs.
    const ss = acks(cc, 19);
    expect(ss[18]).toBe(20 * SMSS);
    // cwnd == ssthresh is congestion avoidance: the next 19 ACKs add nothing, the 20th adds one SMSS.
    const ca = acks(cc, 20);
    expect(ca.slice(0, 19).every((c) => c === 20 * SMSS)).toBe(true);
    expect(ca[19]).toBe(21 * SMSS);
    // Now 21 segments' worth of bytes are needed; with delayed ACKs (2 SMSS each) that is 11 ACKs (22 SMSS, 1 carried over).
    const dack = acks(cc, 11, 2 * SMSS);
    expect(dack.slice(0, 10).every((c) => c === 21 * SMSS)).toBe(true);
    expect(dack[10]).toBe(22 * SMSS);
  });

  it('newreno: congestion avoidance grows at most one SMSS per ACK however much it acks (RFC 5681 §3.1 "MUST NOT … more than SMSS")', () => {
    const cc = reno();
    cc.onRto(20 * SMSS, 0); // ssthresh 10 SMSS
    cc.setCwnd(10 * SMSS);
    cc.onAck(100 * SMSS, 10 * SMSS, -1, 1);
    expect(cc.cwnd).toBe(11 * SMSS);
  });
});

describe('newreno: loss events', () => {
  it('newreno: fast retransmit: ssthresh = max(FlightSize/2, 2·SMSS) (RFC 5681 §3.2 step 2, eq. 4)', () => {
    const cc = reno();
    cc.onEnterRecovery(30_000, 0);
    expect(cc.ssthresh).toBe(15_000);
    expect(cc.cwnd).toBe(15_000);
    cc.onEnterRecovery(2_000, 0);
    expect(cc.ssthresh).toBe(2 * SMSS);
    cc.onEnterRecovery(30_001, 0);
    expect(cc.ssthresh).toBe(15_000);
  });

  it('newreno: full ACK: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) (RFC 6582 §3.2 step 3, option 1)', () => {
    const cc = reno();
    cc.onEnterRecovery(30_000, 0);
    cc.setCwnd(cc.ssthresh + 3 * SMSS); // recovery.ts: RFC 5681 §3.2 step 3 inflation
    cc.onExitRecovery(20_000, 1);
    expect(cc.cwnd).toBe(15_000);
    cc.onEnterRecovery(30_000, 2);
    cc.onExitRecovery(5_000, 3);
    expect(cc.cwnd).toBe(5_000 + SMSS);
    cc.onEnterRecovery(30_000, 4);
    cc.onExitRecovery(0, 5);
    expect(cc.cwnd).toBe(2 * SMSS);
  });

  it('newreno: RTO: ssthresh per eq. 4 and cwnd = loss window = 1 SMSS (RFC 5681 §3.1)', () => {
    const cc = reno();
    acks(cc, 10);
    cc.onRto(40_000, 0);
    expect(cc.ssthresh).toBe(20_000);
    expect(cc.cwnd).toBe(SMSS);
  });

  it('newreno: RTO again before any new ACK keeps ssthresh: the same segment is resent (RFC 5681 §3.1)', () => {
    const cc = reno();
    cc.onRto(40_000, 0);
    cc.onRto(10_000, 1);
    expect(cc.ssthresh).toBe(20_000);
    expect(cc.cwnd).toBe(SMSS);
    cc.onAck(SMSS, SMSS, -1, 2);
    cc.onRto(10_000, 3);
    expect(cc.ssthresh).toBe(5_000);
  });

  it('newreno: after an RTO slow start runs up to ssthresh, then congestion avoidance (RFC 5681 §3.1)', () => {
    const cc = reno();
    cc.onRto(8 * SMSS, 0); // ssthresh 4 SMSS
    expect(acks(cc, 4)).toEqual([2, 3, 4, 4].map((s) => s * SMSS));
  });
});

describe('newreno: restart after idle (RFC 5681 §4.1)', () => {
  it('newreno: after idle longer than the RTO cwnd = RW = min(IW, cwnd) (RFC 5681 §4.1)', () => {
    const cc = reno();
    acks(cc, 20);
    expect(cc.cwnd).toBe(30 * SMSS);
    cc.onIdle(900_000_000, 1_000_000_000, 1);
    expect(cc.cwnd).toBe(30 * SMSS);
    cc.onIdle(1_000_000_001, 1_000_000_000, 2);
    expect(cc.cwnd).toBe(14_600);
    cc.onRto(4 * SMSS, 3); // cwnd 1 SMSS < IW
    cc.onIdle(5e9, 1e9, 4);
    expect(cc.cwnd).toBe(SMSS);
  });
});

describe('cc factory', () => {
  it('cc: createCongestionController builds each accepted name, starting at the RFC 6928 IW', () => {
    expect(CONGESTION_CONTROLLERS).toEqual(['newreno', 'cubic']);
    for (const name of CONGESTION_CONTROLLERS) {
      const cc = createCongestionController(name, { initialWindowSegments: 10 });
      expect(cc.name).toBe(name);
      cc.init(SMSS, 0);
      expect(cc.cwnd).toBe(14_600);
    }
  });

  it('cc: an unknown name is a RangeError naming it and listing the accepted names (CONVENTIONS: errors name the value)', () => {
    expect(() => createCongestionController('bbr', { initialWindowSegments: 10 })).toThrow(RangeError);
    expect(() => createCongestionController('bbr', { initialWindowSegments: 10 })).toThrow(/"bbr".*newreno, cubic/);
  });

  it('cc: bad options are TypeError/RangeError naming the option', () => {
    expect(() => createCongestionController('newreno', { initialWindowSegments: 0 })).toThrow(/initialWindowSegments/);
    expect(() => createCongestionController('cubic', { initialWindowSegments: 1.5 })).toThrow(TypeError);
    expect(() => createCongestionController('cubic', { initialWindowSegments: 10, fastConvergence: 'yes' as unknown as boolean })).toThrow(
      /fastConvergence/,
    );
  });

  it('cc: setCwnd (RFC 6582 §3.2 inflation/deflation hook) and setSmss (loss window follows the new SMSS, RFC 5681 §3.1)', () => {
    const cc = reno();
    cc.setCwnd(12_345.9);
    expect(cc.cwnd).toBe(12_345);
    cc.setSmss(1000);
    cc.onRto(10_000, 0);
    expect(cc.cwnd).toBe(1000);
    expect(cc.ssthresh).toBe(5000);
    expect(() => cc.setCwnd(-1)).toThrow(RangeError);
    expect(() => cc.setSmss(0)).toThrow(RangeError);
  });
});
