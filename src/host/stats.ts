/**
 * Small distribution utility for measured values (run-queue delay, ACK delay,
 * message latency): count, mean, min/max and exact quantiles.
 *
 * Owns: sample storage and the quantile definition.
 * Must not: read clocks or allocate per sample in steady state (samples live in a
 * Float64Array that grows by doubling).
 *
 * Quantiles use the nearest-rank definition: quantile(q) is the smallest sample x
 * such that at least q·n samples are <= x (q = 0 gives the minimum). Exact, not
 * approximated; sorting happens lazily on the first query after new samples.
 */

export interface DistributionSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

export class Distribution {
  private values = new Float64Array(64);
  private n = 0;
  private sum = 0;
  private sorted = true;

  constructor(readonly name = '') {}

  get count(): number {
    return this.n;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`Distribution${this.name ? ` ${this.name}` : ''}: sample must be finite; got ${x}`);
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    if (this.n > 0 && x < this.values[this.n - 1]!) this.sorted = false;
    this.values[this.n++] = x;
    this.sum += x;
  }

  clear(): void {
    this.n = 0;
    this.sum = 0;
    this.sorted = true;
  }

  mean(): number {
    return this.n === 0 ? NaN : this.sum / this.n;
  }

  min(): number {
    return this.quantile(0);
  }

  max(): number {
    return this.quantile(1);
  }

  /** Nearest-rank quantile, q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1]; got ${q}`);
    if (this.n === 0) return NaN;
    this.sort();
    const rank = Math.max(1, Math.ceil(q * this.n));
    return this.values[rank - 1]!;
  }

  p50(): number {
    return this.quantile(0.5);
  }
  p90(): number {
    return this.quantile(0.9);
  }
  p99(): number {
    return this.quantile(0.99);
  }
  p999(): number {
    return this.quantile(0.999);
  }

  /** Fraction of samples <= x. */
  cdf(x: number): number {
    if (this.n === 0) return NaN;
    this.sort();
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo / this.n;
  }

  summary(): DistributionSummary {
    return {
      count: this.n,
      mean: this.mean(),
      min: this.min(),
      max: this.max(),
      p50: this.p50(),
      p90: this.p90(),
      p99: this.p99(),
      p999: this.p999(),
    };
  }

  /** A copy of the samples in sorted order. */
  toSortedArray(): Float64Array {
    this.sort();
    return this.values.slice(0, this.n);
  }

  private sort(): void {
    if (this.sorted) return;
    this.values.subarray(0, this.n).sort();
    this.sorted = true;
  }
}
