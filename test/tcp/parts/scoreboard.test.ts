/**
 * The sender's SACK scoreboard (src/tcp/scoreboard.ts): RFC 6675 §4 Update(),
 * IsLost(), SetPipe() and the hole searches behind NextSeg(), checked on named
 * cases and, by property, against a per-octet model of the RFC's definitions
 * (across the 2^32 wrap).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BLOCKS, SackScoreboard } from '../../../src/tcp/scoreboard.js';

const SMSS = 100;
const THRESH = 3;

function blocksOf(sb: SackScoreboard): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < sb.count; i++) out.push([sb.left(i), sb.right(i)]);
  return out;
}

describe('scoreboard Update() (RFC 6675 §4, RFC 2018 §4)', () => {
  it('update_returns_only_newly_sacked_octets', () => {
    const sb = new SackScoreboard();
    expect(sb.add(1000, 1100)).toBe(100);
    expect(sb.add(1000, 1100)).toBe(0); // already known: not a DupAck (RFC 6675 §2)
    expect(sb.add(1050, 1200)).toBe(100);
    expect(blocksOf(sb)).toEqual([[1000, 1200]]);
    expect(sb.sackedBytes).toBe(200);
  });

  it('update_merges_overlapping_and_touching_blocks_into_disjoint_intervals', () => {
    const sb = new SackScoreboard();
    sb.add(300, 400);
    sb.add(100, 200);
    sb.add(500, 600);
    expect(blocksOf(sb)).toEqual([
      [100, 200],
      [300, 400],
      [500, 600],
    ]);
    expect(sb.add(200, 300)).toBe(100); // touches both neighbours
    expect(blocksOf(sb)).toEqual([
      [100, 400],
      [500, 600],
    ]);
    expect(sb.add(50, 700)).toBe(650 - 400);
    expect(blocksOf(sb)).toEqual([[50, 700]]);
    expect(sb.sackedBytes).toBe(650);
  });

  it('advance_drops_everything_below_the_cumulative_ack', () => {
    const sb = new SackScoreboard();
    sb.add(100, 200);
    sb.add(300, 400);
    sb.advance(350);
    expect(blocksOf(sb)).toEqual([[350, 400]]);
    expect(sb.sackedBytes).toBe(50);
    sb.advance(400);
    expect(sb.isEmpty()).toBe(true);
    expect(sb.sackedBytes).toBe(0);
  });

  it('intervals_work_across_the_sequence_wrap', () => {
    const sb = new SackScoreboard();
    const base = 0xffffff00;
    sb.add(base + 0x80, (base + 0x180) >>> 0);
    expect(blocksOf(sb)).toEqual([[base + 0x80, 0x80]]);
    expect(sb.isSacked(0)).toBe(true);
    expect(sb.isSacked(base + 0x7f)).toBe(false);
    sb.advance(0x10);
    expect(blocksOf(sb)).toEqual([[0x10, 0x80]]);
  });

  it('grows_up_to_max_blocks_and_then_ignores_new_disjoint_blocks_without_error', () => {
    const sb = new SackScoreboard();
    for (let i = 0; i < MAX_BLOCKS + 5; i++) sb.add(i * 10, i * 10 + 5);
    expect(sb.count).toBe(MAX_BLOCKS);
    expect(sb.overflows).toBe(5);
    // Merging into existing intervals still works when full.
    expect(sb.add(5, 10)).toBe(5);
    expect(sb.count).toBe(MAX_BLOCKS - 1);
  });
});

describe('scoreboard IsLost() and SetPipe() (RFC 6675 §4)', () => {
  it('islost_needs_dupthresh_discontiguous_blocks_above', () => {
    const sb = new SackScoreboard();
    sb.add(100, 110);
    sb.add(120, 130);
    expect(sb.isLost(0, THRESH, SMSS)).toBe(false);
    sb.add(140, 150);
    expect(sb.isLost(0, THRESH, SMSS)).toBe(true);
    expect(sb.isLost(115, THRESH, SMSS)).toBe(false); // only two blocks above 115
  });

  it('islost_needs_more_than_dupthresh_minus_one_smss_sacked_above', () => {
    const sb = new SackScoreboard();
    sb.add(100, 100 + 2 * SMSS);
    expect(sb.isLost(0, THRESH, SMSS)).toBe(false); // exactly (DupThresh − 1)·SMSS: not more
    sb.add(100 + 2 * SMSS, 101 + 2 * SMSS);
    expect(sb.isLost(0, THRESH, SMSS)).toBe(true);
  });

  it('pipe_counts_unsacked_octets_not_lost_plus_retransmitted_ones', () => {
    const sb = new SackScoreboard();
    // una 0, sndMax 1000; SACKed [400,500), [600,700), [800,900): holes 0-400 (lost: 3 blocks above),
    // 500-600, 700-800, 900-1000 (not lost).
    sb.add(400, 500);
    sb.add(600, 700);
    sb.add(800, 900);
    expect(sb.pipe(0, 1000, 0, THRESH, SMSS)).toBe(300);
    // Retransmitted [0, 100): counted once more.
    expect(sb.pipe(0, 1000, 100, THRESH, SMSS)).toBe(400);
    // HighRxt beyond a SACKed interval counts only the unSACKed octets below it.
    expect(sb.pipe(0, 1000, 650, THRESH, SMSS)).toBe(300 + 400 + 100);
  });

  it('pipe_is_never_negative_and_matches_the_per_octet_definition (property)', () => {
    const arb = fc.record({
      base: fc.integer({ min: 0, max: 0xffffffff }),
      len: fc.integer({ min: 0, max: 600 }),
      blocks: fc.array(fc.tuple(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 1, max: 80 })), { maxLength: 12 }),
      rxt: fc.integer({ min: 0, max: 600 }),
      smss: fc.integer({ min: 1, max: 60 }),
      ack: fc.integer({ min: 0, max: 600 }),
    });
    fc.assert(
      fc.property(arb, ({ base, len, blocks, rxt, smss, ack }) => {
        const sb = new SackScoreboard();
        const model = new Uint8Array(len);
        for (const [off, n] of blocks) {
          const l = Math.min(off, len);
          const r = Math.min(off + n, len);
          if (l >= r) continue;
          let fresh = 0;
          for (let k = l; k < r; k++) {
            if (model[k] === 0) {
              fresh++;
              model[k] = 1;
            }
          }
          expect(sb.add((base + l) >>> 0, (base + r) >>> 0)).toBe(fresh);
        }
        const una = Math.min(ack, len);
        sb.advance((base + una) >>> 0);
        for (let k = 0; k < una; k++) model[k] = 0;
        // Per-octet RFC 6675 definitions over [una, len).
        const lostModel = (s: number): boolean => {
          let bytes = 0;
          let runs = 0;
          for (let k = s + 1; k < len; k++) {
            if (model[k] === 1) {
              bytes++;
              if (model[k - 1] !== 1 || k - 1 === s) runs++;
            }
          }
          return runs >= THRESH || bytes > (THRESH - 1) * smss;
        };
        const highRxt = Math.max(una, Math.min(rxt, len));
        let pipe = 0;
        for (let s = una; s < len; s++) {
          if (model[s] === 1) continue;
          if (!lostModel(s)) pipe++;
          if (s < highRxt) pipe++;
        }
        const got = sb.pipe((base + una) >>> 0, (base + len) >>> 0, (base + highRxt) >>> 0, THRESH, smss);
        expect(got).toBe(pipe);
        expect(got).toBeGreaterThanOrEqual(0);
        for (let s = una; s < len; s++) if (model[s] === 0) expect(sb.isLost((base + s) >>> 0, THRESH, smss)).toBe(lostModel(s));
      }),
      { numRuns: 400, seed: 6675 },
    );
  });
});

describe('scoreboard hole search (NextSeg rules 1 and 3, RFC 6675 §4)', () => {
  it('find_hole_returns_the_lowest_lost_hole_above_highrxt', () => {
    const sb = new SackScoreboard();
    sb.add(100, 200);
    sb.add(300, 400);
    sb.add(500, 600);
    const out = new Uint32Array(2);
    expect(sb.findHole(0, 0, true, THRESH, SMSS, out)).toBe(true);
    expect([...out]).toEqual([0, 100]);
    // HighRxt inside the first hole: the rest of it.
    expect(sb.findHole(0, 50, true, THRESH, SMSS, out)).toBe(true);
    expect([...out]).toEqual([50, 100]);
    // Above the first hole: hole [200, 300) has 2 blocks (200 octets) above — not lost (rule 1 fails)…
    expect(sb.findHole(0, 100, true, THRESH, SMSS, out)).toBe(false);
    // …but rule 3 takes it.
    expect(sb.findHole(0, 100, false, THRESH, SMSS, out)).toBe(true);
    expect([...out]).toEqual([200, 300]);
    // Nothing above the highest SACKed octet is a hole (rule 1.b).
    expect(sb.findHole(0, 600, false, THRESH, SMSS, out)).toBe(false);
  });
});
