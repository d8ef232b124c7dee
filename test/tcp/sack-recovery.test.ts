/**
 * RFC 6675 conservative SACK-based loss recovery on the sender, against a
 * scripted peer (harness.ts) that SACKs what it "received": DupAck by SACK
 * information (§2), entry at DupThresh or IsLost(HighACK+1) (§5 steps 1-2),
 * limited transmit by pipe (§5 step 3), ssthresh/cwnd (§5 step 4.2), NextSeg
 * rules 1-4, exit at RecoveryPoint (§5 A), RTO interaction and reneging
 * (§5.1, RFC 2018 §8), and the config switch back to NewReno.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Harness, ms, pattern, type Captured } from './harness.js';
import { seqAdd, seqGt, seqLe, seqLt } from '../../src/tcp/seq.js';
import type { TcpConfig } from '../../src/tcp/config.js';

const MSS = 1460;
const sackOpts = { mss: MSS, sackPermitted: true };

/** An established connection with `segments` full segments queued (nodelay); IW10 already sent. */
function setup(segments = 40, config: Partial<TcpConfig> = {}) {
  const h = new Harness({ config });
  const c = h.passiveEstablished({ options: sackOpts });
  expect(c.ep.tcb.sackEnabled).toBe(true);
  c.ep.setOption('nodelay', true);
  c.ep.send(pattern(segments * MSS), 0, segments * MSS);
  const first = h.drain();
  expect(first.length).toBe(Math.min(10, segments));
  /** Sequence number of segment k. */
  const at = (k: number): number => seqAdd(c.sndNxt, k * MSS);
  /** ACK up to segment `k` with SACK blocks given as [from, to) segment ranges. */
  const ack = (k: number, sacks: [number, number][] = [], window = 65535): void =>
    h.inject({ flags: '.', seq: c.rcvNxt, ack: at(k), window, options: { sack: sacks.map(([a, b]) => [at(a), at(b)]) } });
  const segOf = (s: Captured): number => ((s.seq - c.sndNxt) >>> 0) / MSS;
  return { h, c, at, ack, segOf, tcb: c.ep.tcb };
}

describe('RFC 6675 §2 DupAck and §5 entry', () => {
  it('dupack_is_an_ack_with_new_sack_info_even_when_the_window_changes (RFC 6675 §2)', () => {
    const { h, ack, segOf } = setup();
    // Segment 0 lost; Linux-like duplicate ACKs whose window changes every time.
    ack(0, [[1, 2]], 60000);
    ack(0, [[1, 3]], 60001);
    expect(h.mib.TCPSackRecovery).toBe(0);
    h.drain(); // limited transmit
    ack(0, [[1, 4]], 60002);
    const rtx = h.drain().filter((s) => segOf(s) === 0);
    expect(rtx.length).toBe(1);
    expect(h.mib.TCPSackRecovery).toBe(1);
    expect(h.mib.TCPTimeouts).toBe(0);
  });

  it('an_ack_repeating_known_sack_info_is_not_a_dupack (RFC 6675 §2)', () => {
    const { h, ack, tcb } = setup();
    ack(0, [[1, 2]]);
    ack(0, [[1, 2]]);
    ack(0, [[1, 2]]);
    ack(0, [[1, 2]]);
    expect(tcb.dupAcks).toBe(1);
    expect(h.mib.TCPSackRecovery).toBe(0);
    expect(h.mib.RetransSegs).toBe(0);
  });

  it('limited_transmit_by_pipe_sends_one_new_segment_per_sacked_segment (RFC 6675 §5 step 3, RFC 3042)', () => {
    const { h, ack, segOf } = setup();
    ack(0, [[1, 2]]);
    expect(h.drain().map(segOf)).toEqual([10]);
    ack(0, [[1, 3]]);
    expect(h.drain().map(segOf)).toEqual([11]);
    expect(h.mib.RetransSegs).toBe(0);
  });

  it('islost_of_highack_enters_recovery_before_three_dupacks (RFC 6675 §5 step 2)', () => {
    const { h, ack, segOf, tcb } = setup();
    // One ACK SACKing three segments: IsLost(HighACK + 1) holds with DupAcks = 1.
    ack(0, [[1, 4]]);
    expect(tcb.dupAcks).toBe(1);
    expect(h.mib.TCPSackRecovery).toBe(1);
    expect(h.drain().map(segOf)[0]).toBe(0);
  });

  it('entering_recovery_sets_ssthresh_and_cwnd_to_half_the_flight (RFC 6675 §5 step 4.2)', () => {
    const { h, ack, tcb } = setup();
    const flight = (tcb.sndMax - tcb.sndUna) >>> 0;
    ack(0, [[1, 4]]);
    expect(tcb.inRecovery).toBe(true);
    expect(tcb.cc.ssthresh).toBe(Math.floor(flight / 2));
    expect(tcb.cc.cwnd).toBe(tcb.cc.ssthresh); // no RFC 5681 inflation: pipe does that job
    expect(h.mib.TCPRenoRecovery).toBe(0);
  });

  it('limited_transmit_data_is_left_out_of_flightsize_for_ssthresh (RFC 5681 §3.2 step 2, RFC 6675 step 4.2)', () => {
    const { h, ack, tcb } = setup();
    const flight = (tcb.sndMax - tcb.sndUna) >>> 0; // 10 segments
    ack(0, [[1, 2]]);
    ack(0, [[1, 3]]);
    expect(h.drain().length).toBe(2); // limited transmit
    ack(0, [[1, 4]]);
    expect(tcb.inRecovery).toBe(true);
    expect(tcb.cc.ssthresh).toBe(Math.floor(flight / 2));
  });

  it('cubic_enters_sack_recovery_with_beta_times_flight', () => {
    const { ack, tcb } = setup(40, { congestionControl: 'cubic' });
    const flight = (tcb.sndMax - tcb.sndUna) >>> 0;
    ack(0, [[1, 4]]);
    expect(tcb.cc.ssthresh).toBe(Math.floor(flight * 0.7));
    expect(tcb.cc.cwnd).toBe(tcb.cc.ssthresh);
  });

  it('invalid_sack_blocks_are_discarded_and_counted (RFC 2018 §4)', () => {
    const { h, c, at, tcb } = setup();
    // Beyond SND.MAX, and inverted: dropped; nothing enters the scoreboard.
    h.inject({ flags: '.', seq: c.rcvNxt, ack: at(0), options: { sack: [[at(1), at(30)], [at(5), at(4)]] } });
    expect(h.mib.TCPSACKDiscard).toBe(2);
    expect(tcb.scoreboard.isEmpty()).toBe(true);
    expect(h.mib.RetransSegs).toBe(0);
  });
});

describe('RFC 6675 §5 recovery: NextSeg, pipe, exit', () => {
  it('single_loss_is_repaired_by_one_fast_retransmit_without_rto', () => {
    const { h, ack, segOf, tcb } = setup(12);
    ack(0, [[1, 2]]);
    ack(0, [[1, 3]]);
    ack(0, [[1, 4]]);
    const sent = h.drain().map(segOf);
    expect(sent.filter((k) => k === 0).length).toBe(1);
    // The retransmission and everything after it arrive.
    ack(12);
    h.drain();
    expect(tcb.inRecovery).toBe(false);
    expect(tcb.sndUna).toBe(tcb.sndMax);
    expect(h.mib.RetransSegs).toBe(1);
    expect(h.mib.TCPTimeouts).toBe(0);
    expect(h.mib.TCPSackRecovery).toBe(1);
  });

  it('multiple_losses_in_one_window_are_retransmitted_before_any_partial_ack (NextSeg rule 1)', () => {
    const { h, at, ack, segOf, tcb } = setup();
    // Segments 0, 3 and 6 lost; the peer SACKs what arrives.
    ack(0, [[1, 3]]);
    ack(0, [[4, 6], [1, 3]]);
    ack(0, [[7, 10], [4, 6], [1, 3]]);
    const rtx = h
      .drain()
      .filter((s) => s.seq !== undefined && ((s.seq - at(0)) >>> 0) < 10 * MSS)
      .map(segOf);
    expect(rtx).toEqual([0, 3, 6]);
    expect(tcb.inRecovery).toBe(true);
    // The three retransmissions arrive: one cumulative ACK covers everything sent so far.
    h.inject({ flags: '.', seq: 1001, ack: tcb.sndMax });
    expect(tcb.inRecovery).toBe(false);
    expect(h.mib.TCPTimeouts).toBe(0);
    expect(h.mib.TCPSackRecovery).toBe(1);
  });

  it('recovery_exits_only_when_the_cumulative_ack_covers_recovery_point (RFC 6675 §5 A)', () => {
    const { h, ack, tcb } = setup();
    ack(0, [[1, 4]]);
    h.drain();
    const recoveryPoint = tcb.recover;
    ack(4, [[5, 8]]); // partial: below RecoveryPoint
    expect(tcb.inRecovery).toBe(true);
    h.drain();
    h.inject({ flags: '.', seq: 1001, ack: recoveryPoint });
    expect(tcb.inRecovery).toBe(false);
    expect(tcb.cc.cwnd).toBeLessThanOrEqual(tcb.cc.ssthresh);
  });

  it('pipe_limits_transmission_during_recovery (RFC 6675 §5 step C)', () => {
    const { h, ack, tcb } = setup();
    ack(0, [[1, 4]]);
    h.drain();
    expect(h.mib.TCPSackRecovery).toBe(1);
    // After every ACK in recovery the output leaves cwnd − pipe < 1 SMSS (or nothing left to send).
    for (let k = 4; k < 9; k++) {
      ack(0, [[1, k + 1]]);
      h.drain();
      const pipe = tcb.scoreboard.pipe(tcb.sndUna, tcb.sndMax, tcb.highRxt, 3, MSS);
      expect(pipe).toBeGreaterThanOrEqual(0);
      expect(tcb.cc.cwnd - pipe).toBeLessThan(MSS);
    }
  });

  it('reordering_below_dupthresh_causes_no_retransmission', () => {
    const { h, ack } = setup();
    // Segment 1 is late: two SACKs, then it arrives and the cumulative ACK jumps.
    ack(1, [[2, 3]]);
    ack(1, [[2, 4]]);
    ack(4);
    h.drain();
    expect(h.mib.RetransSegs).toBe(0);
    expect(h.mib.TCPSackRecovery).toBe(0);
  });

  it('partial_ack_marks_the_segment_at_snd_una_lost (RFC 6582 §3.2 step 3 inference in RFC 6675 recovery)', () => {
    const { h, ack, segOf, tcb } = setup(10);
    // Segments 0 and 9 lost, nothing new to send; only 1..3 get SACKed before the partial ACK.
    ack(0, [[1, 4]]);
    expect(h.drain().map(segOf)).toEqual([0]);
    ack(9); // 0 arrived; 9 is missing but nothing is SACKed above it: IsLost(9) cannot hold
    expect(h.drain().map(segOf)).toEqual([9]);
    ack(10);
    expect(tcb.inRecovery).toBe(false);
    expect(h.mib.TCPTimeouts).toBe(0);
  });

  it('rescue_retransmission_repairs_a_lost_tail_without_rto (NextSeg rule 4)', () => {
    const { h, ack, segOf, tcb } = setup(10);
    // Segments 0, 8 and 9 lost, nothing new to send.
    ack(0, [[1, 4]]);
    expect(h.drain().map(segOf)).toEqual([0]);
    ack(8); // partial ACK: 8 (at SND.UNA) goes again, and the rescue takes the highest unSACKed segment
    expect(h.drain().map(segOf)).toEqual([8, 9]);
    expect(h.mib.TCPSackRescue).toBe(1);
    ack(10);
    expect(tcb.inRecovery).toBe(false);
    expect(h.mib.TCPTimeouts).toBe(0);
  });
});

describe('RFC 6675 §5.1 and RFC 2018 §8: timeouts', () => {
  it('lost_retransmission_falls_back_to_the_rto_which_clears_the_scoreboard', () => {
    const { h, at, ack, segOf, tcb } = setup(10);
    ack(0, [[1, 4]]);
    expect(h.drain().map(segOf)).toEqual([0]);
    // The retransmission is lost: more SACKs, but HighRxt keeps NextSeg from sending 0 again.
    ack(0, [[1, 7]]);
    ack(0, [[1, 10]]);
    expect(h.drain().filter((s) => segOf(s) === 0).length).toBe(0);
    const rto = h.expectSegment({ seq: at(0), len: MSS });
    expect(rto.at).toBeGreaterThanOrEqual(ms(200));
    expect(h.mib.TCPTimeouts).toBe(1);
    expect(h.mib.TCPSackScoreboardResets).toBe(1);
    expect(tcb.inRecovery).toBe(false);
    ack(10);
    expect(tcb.sndUna).toBe(tcb.sndMax);
  });

  it('go_back_n_after_an_rto_skips_data_sacked_since (RFC 6675 §5.1)', () => {
    const { h, at, ack, segOf } = setup(10);
    // Every ACK of the initial window is lost: RTO, cwnd = 1 SMSS, segment 0 again.
    h.expectSegment({ seq: at(0), len: MSS, at: ms(200) });
    // The peer had 2..5 already (SACKed now), lost 0 and 1.
    ack(1, [[2, 6]]);
    const next = h.drain().map(segOf);
    expect(next).toEqual([1, 6]); // cwnd 2 SMSS: 1, then straight past the SACKed 2..5
  });

  it('sack_reneging_is_tolerated: the rto forgets sacked data and sends it again (RFC 2018 §8)', () => {
    const { h, ack, segOf, tcb } = setup(10);
    ack(0, [[1, 10]]);
    expect(h.drain().map(segOf)).toContain(0);
    // The receiver reneges: it acknowledges only segment 0 and no longer SACKs 1..9.
    ack(1);
    expect(tcb.inRecovery).toBe(true);
    h.drain();
    // Nothing makes progress until the RTO, which clears the scoreboard and resends 1.
    const rtx = h.expectSegment({ seq: tcb.sndUna, len: MSS });
    expect(segOf(rtx)).toBe(1);
    expect(h.mib.TCPTimeouts).toBe(1);
    expect(h.mib.TCPSackScoreboardResets).toBe(1);
    // Slow start resends the rest: the transfer completes.
    for (let k = 2; k <= 10; k++) {
      ack(k);
      h.drain();
    }
    expect(tcb.sndUna).toBe(tcb.sndMax);
  });
});

describe('config.sackRecovery', () => {
  it('sack_recovery_off_keeps_newreno_even_with_sack_negotiated (RFC 6582)', () => {
    const { h, ack, segOf, tcb } = setup(40, { sackRecovery: false });
    // Window-changing ACKs with new SACK blocks are not RFC 5681 duplicates…
    ack(0, [[1, 2]], 60000);
    ack(0, [[1, 3]], 60001);
    ack(0, [[1, 4]], 60002);
    expect(h.mib.RetransSegs).toBe(0);
    // …plain duplicates are: NewReno fast retransmit with an inflated window.
    ack(0, [[1, 4]], 60002);
    ack(0, [[1, 4]], 60002);
    ack(0, [[1, 4]], 60002);
    expect(h.drain().map(segOf)).toContain(0);
    expect(h.mib.TCPRenoRecovery).toBe(1);
    expect(h.mib.TCPSackRecovery).toBe(0);
    expect(tcb.cc.cwnd).toBe(tcb.cc.ssthresh + 3 * MSS);
    expect(tcb.scoreboard.isEmpty()).toBe(true);
  });
});

describe('bad input: arbitrary SACK blocks', () => {
  it('random_sack_blocks_never_throw_keep_the_scoreboard_inside_the_flight_and_pipe_non_negative (RFC 2018 §4)', () => {
    const blockArb = fc.tuple(fc.integer({ min: -20, max: 60 }), fc.integer({ min: -5, max: 30 }), fc.integer({ min: 0, max: 1459 }));
    const stepArb = fc.record({ ackAdv: fc.integer({ min: 0, max: 3 }), blocks: fc.array(blockArb, { maxLength: 4 }), wild: fc.boolean() });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 25 }), (steps) => {
        const { h, c, tcb } = setup(40);
        let acked = 0;
        for (const st of steps) {
          acked = Math.min(acked + st.ackAdv, ((tcb.sndMax - c.sndNxt) >>> 0) / MSS);
          const base = seqAdd(c.sndNxt, Math.floor(acked) * MSS);
          const sack: [number, number][] = st.blocks.map(([a, n, jitter]) =>
            st.wild ? [seqAdd(base, a * 100003 + jitter), seqAdd(base, (a + n) * 7919)] : [seqAdd(base, a * MSS + jitter), seqAdd(base, (a + n) * MSS)],
          );
          h.inject({ flags: '.', seq: c.rcvNxt, ack: base, options: { sack } });
          h.drain();
          const sb = tcb.scoreboard;
          for (let i = 0; i < sb.count; i++) {
            expect(seqLt(sb.left(i), sb.right(i))).toBe(true);
            expect(seqGt(sb.left(i), tcb.sndUna) || sb.left(i) === tcb.sndUna).toBe(true);
            expect(seqLe(sb.right(i), tcb.sndMax)).toBe(true);
            if (i > 0) expect(seqLt(sb.right(i - 1), sb.left(i))).toBe(true);
          }
          expect(sb.pipe(tcb.sndUna, tcb.sndMax, tcb.highRxt, 3, MSS)).toBeGreaterThanOrEqual(0);
        }
        // Whatever happened, a full ACK ends it cleanly.
        h.inject({ flags: '.', seq: c.rcvNxt, ack: tcb.sndMax });
        h.drain();
        expect(tcb.inRecovery).toBe(false);
      }),
      { numRuns: 60, seed: 2018 },
    );
  }, 60_000);
});
