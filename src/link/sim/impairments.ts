/**
 * Link impairments (DESIGN "Simulation model"): random (Bernoulli) loss,
 * Gilbert-Elliott burst loss, duplication, reordering, bit corruption and jitter.
 *
 * Owns: the per-frame random decisions of one link direction, drawn from that
 * direction's seeded stream. Each impairment draws from its own sub-stream
 * (`fork('loss')`, `fork('dup')`, ...) and only when it is enabled, so turning one
 * impairment on or off never changes the draws of another, and a given seed
 * always impairs the same frames.
 * Must not: touch frames, clocks or statistics; the wire (wire.ts) applies the
 * decisions and counts them.
 *
 * Per frame the wire asks, in this order: lost()? (a lost frame gets no further
 * draws) → duplicate()? → for each copy: extraDelay() and corruptBit(length).
 */
import type { Nanos } from '../../time/clock.js';

/** The part of the seeded PRNG (src/util/prng.ts) the impairments use. */
export interface RandomStream {
  /** Uniform in [0, 1). */
  next(): number;
  bernoulli(p: number): boolean;
  normal(mean: number, sd: number): number;
  /** An independent deterministic stream derived from this one and `label`. */
  fork(label: string): RandomStream;
}

/**
 * Gilbert-Elliott two-state loss model (as in Linux netem `loss gemodel p r 1-h 1-k`).
 * Per frame: lost with probability 1-k in the good state or 1-h in the bad state
 * (decided in the state the frame finds the channel in), then the state moves
 * good→bad with probability p or bad→good with probability r. Starts good.
 * Stationary loss rate: p/(p+r)·(1-h) + r/(p+r)·(1-k). With h=0, k=1 ("simple
 * Gilbert") bursts have geometric length with mean 1/r.
 */
export interface GilbertElliott {
  p: number;
  r: number;
  /** Probability a frame survives in the bad state (default 0). */
  h: number;
  /** Probability a frame survives in the good state (default 1). */
  k: number;
}

export type JitterDistribution = 'uniform' | 'normal';

/**
 * Normalized impairment settings of one link direction (probabilities in [0,1],
 * times in integer ns). `src/sim/network.ts` builds these from user options.
 */
export interface ImpairmentConfig {
  /** Bernoulli loss probability per frame. */
  loss: number;
  burstLoss: GilbertElliott | null;
  /** Probability a frame is delivered twice (both copies get their own delay and corruption draws). */
  duplicate: number;
  /**
   * With probability p a frame copy is held back `delay` extra ns, so frames sent
   * after it may overtake it. Counted as "reordered" when drawn, whether or not
   * another frame actually overtakes it.
   */
  reorder: { p: number; delay: Nanos } | null;
  /** Probability a delivered copy has exactly one bit flipped (outside the Ethernet header). */
  corrupt: number;
  /**
   * Extra delay per frame copy: 'uniform' draws an integer in [0, amount] ns;
   * 'normal' draws |N(0, amount)| (half-normal: amount is the standard deviation
   * of the underlying normal; mean amount·√(2/π)). Jitter only ever adds delay,
   * so the propagation delay stays the minimum latency. Jitter may reorder frames
   * (a later frame can draw less extra delay than an earlier one), as netem does.
   */
  jitter: { amount: Nanos; distribution: JitterDistribution } | null;
}

export function noImpairments(): ImpairmentConfig {
  return { loss: 0, burstLoss: null, duplicate: 0, reorder: null, corrupt: 0, jitter: null };
}

export function hasImpairments(c: ImpairmentConfig): boolean {
  return c.loss > 0 || c.burstLoss !== null || c.duplicate > 0 || c.reorder !== null || c.corrupt > 0 || c.jitter !== null;
}

/** Loss outcome codes (numeric, for monomorphic hot paths). */
export const LossOutcome = {
  KEPT: 0,
  RANDOM: 1,
  BURST: 2,
} as const;

/**
 * Bytes a corruption never touches: the 14-byte Ethernet header, so the corrupted
 * frame still reaches its destination host (a flipped destination MAC would turn
 * corruption into loss at a switch or host filter).
 */
export const CORRUPT_SKIP_BYTES = 14;

export class Impairments {
  readonly config: ImpairmentConfig;
  private readonly lossRng: RandomStream;
  private readonly burstRng: RandomStream;
  private readonly dupRng: RandomStream;
  private readonly reorderRng: RandomStream;
  private readonly corruptRng: RandomStream;
  private readonly jitterRng: RandomStream;
  /** Gilbert-Elliott channel state. */
  private bad = false;
  /** Set by extraDelay(): whether that copy drew the reorder delay. */
  lastReordered = false;

  constructor(config: ImpairmentConfig, rng: RandomStream) {
    this.config = config;
    this.lossRng = rng.fork('loss');
    this.burstRng = rng.fork('burst-loss');
    this.dupRng = rng.fork('duplicate');
    this.reorderRng = rng.fork('reorder');
    this.corruptRng = rng.fork('corrupt');
    this.jitterRng = rng.fork('jitter');
  }

  /** True while the Gilbert-Elliott channel is in its bad state. */
  get inBadState(): boolean {
    return this.bad;
  }

  /** Decide whether the next frame is lost: a LossOutcome code. Both models run on every frame. */
  lost(): number {
    const c = this.config;
    let outcome: number = LossOutcome.KEPT;
    const ge = c.burstLoss;
    if (ge !== null) {
      const rng = this.burstRng;
      if (this.bad) {
        if (ge.h < 1 && !rng.bernoulli(ge.h)) outcome = LossOutcome.BURST;
        if (rng.bernoulli(ge.r)) this.bad = false;
      } else {
        if (ge.k < 1 && !rng.bernoulli(ge.k)) outcome = LossOutcome.BURST;
        if (rng.bernoulli(ge.p)) this.bad = true;
      }
    }
    if (c.loss > 0 && this.lossRng.bernoulli(c.loss) && outcome === LossOutcome.KEPT) outcome = LossOutcome.RANDOM;
    return outcome;
  }

  duplicate(): boolean {
    const p = this.config.duplicate;
    return p > 0 && this.dupRng.bernoulli(p);
  }

  /** Extra delay (ns, integer ≥ 0) for one frame copy: reorder hold-back plus jitter. */
  extraDelay(): Nanos {
    const c = this.config;
    let extra = 0;
    this.lastReordered = false;
    const ro = c.reorder;
    if (ro !== null && this.reorderRng.bernoulli(ro.p)) {
      extra += ro.delay;
      this.lastReordered = true;
    }
    const j = c.jitter;
    if (j !== null && j.amount > 0) {
      if (j.distribution === 'uniform') {
        extra += Math.min(j.amount, Math.floor(this.jitterRng.next() * (j.amount + 1)));
      } else {
        extra += Math.round(Math.abs(this.jitterRng.normal(0, j.amount)));
      }
    }
    return extra;
  }

  /**
   * The bit to flip in a delivered copy of `length` bytes, or -1 for none. Bits are
   * numbered from the first byte's most significant bit; never inside the first
   * CORRUPT_SKIP_BYTES bytes.
   */
  corruptBit(length: number): number {
    const p = this.config.corrupt;
    if (p <= 0 || length <= CORRUPT_SKIP_BYTES || !this.corruptRng.bernoulli(p)) return -1;
    const bits = (length - CORRUPT_SKIP_BYTES) * 8;
    return CORRUPT_SKIP_BYTES * 8 + Math.min(bits - 1, Math.floor(this.corruptRng.next() * bits));
  }
}

/** Flip bit `bit` (MSB-first numbering) of bytes[off ...]. */
export function flipBit(bytes: Uint8Array, off: number, bit: number): void {
  bytes[off + (bit >>> 3)]! ^= 0x80 >>> (bit & 7);
}
