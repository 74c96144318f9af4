// A DDSketch-style quantile sketch (Masson, Rim & Lee, VLDB 2019), written here because
// @datadog/sketches-js drops min/max when deserialised and ignores negatives when merging.
//
// Guarantee: for relative accuracy α (default 1 %), quantile(q) returns a value v with
// |v − x| ≤ α·|x|, where x is the exact lower quantile sorted[floor(q·(n−1))] of every value
// added (and of every sketch merged in). Values fall in logarithmic buckets of ratio
// γ = (1+α)/(1−α): bucket k holds (γ^(k−1), γ^k] and is read back as 2γ^k/(γ+1), which is within
// α of anything in it. Zero is counted exactly; negatives use a mirrored set of buckets. Min and
// max are kept exactly and clamp the estimate. Merging adds bucket counts, so merge(a, b) equals
// the sketch of a's and b's values together — this is what lets many workers share one state.
// Buckets are never collapsed (collapsing would void the bound): 1 ms…1000 s at 1 % is ≤ 700
// buckets, a few kB.

export const DEFAULT_RELATIVE_ACCURACY = 0.01;

export interface SketchState {
  /** Relative accuracy α. */
  alpha: number;
  count: number;
  sum: number;
  /** Null when empty (JSON has no infinities). */
  min: number | null;
  max: number | null;
  zeros: number;
  /** Bucket key → count, for positive values. */
  positive: Record<string, number>;
  /** Bucket key (of |value|) → count, for negative values. */
  negative: Record<string, number>;
}

export class QuantileSketch {
  readonly alpha: number;
  private readonly logGamma: number;
  private readonly gamma: number;
  private positiveBuckets = new Map<number, number>();
  private negativeBuckets = new Map<number, number>();
  private zeroCount = 0;
  private total = 0;
  private sumValue = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  constructor(alpha: number = DEFAULT_RELATIVE_ACCURACY) {
    if (!(alpha > 0 && alpha < 1))
      throw new RangeError(`relative accuracy must be in (0, 1), got ${alpha}`);
    this.alpha = alpha;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** The bucket of |value| (value ≠ 0). */
  keyOf(value: number): number {
    return Math.ceil(Math.log(Math.abs(value)) / this.logGamma);
  }

  /** The value a bucket reads back as (its magnitude). */
  valueOf(key: number): number {
    return (2 * Math.pow(this.gamma, key)) / (this.gamma + 1);
  }

  get count(): number {
    return this.total;
  }
  get sum(): number {
    return this.sumValue;
  }
  get min(): number {
    return this.total === 0 ? Number.NaN : this.minValue;
  }
  get max(): number {
    return this.total === 0 ? Number.NaN : this.maxValue;
  }

  add(value: number, times = 1): this {
    if (!Number.isFinite(value)) throw new RangeError(`cannot add ${value} to a sketch`);
    if (times <= 0) return this;
    if (value === 0) this.zeroCount += times;
    else {
      const buckets = value > 0 ? this.positiveBuckets : this.negativeBuckets;
      const key = this.keyOf(value);
      buckets.set(key, (buckets.get(key) ?? 0) + times);
    }
    this.total += times;
    this.sumValue += value * times;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    return this;
  }

  /** Adds bucket counts directly (used when a store hands back folded buckets). */
  addBucket(sign: 1 | -1, key: number, times: number): void {
    if (times <= 0) return;
    const buckets = sign > 0 ? this.positiveBuckets : this.negativeBuckets;
    buckets.set(key, (buckets.get(key) ?? 0) + times);
    this.total += times;
  }

  addZeros(times: number): void {
    if (times <= 0) return;
    this.zeroCount += times;
    this.total += times;
  }

  /** Sets the exact aggregates that bucket counts alone cannot give back. */
  setAggregates(sum: number, min: number, max: number): void {
    this.sumValue = sum;
    this.minValue = min;
    this.maxValue = max;
  }

  merge(other: QuantileSketch): this {
    if (other.alpha !== this.alpha)
      throw new RangeError('cannot merge sketches of different accuracy');
    if (other.total === 0) return this;
    for (const [key, n] of other.positiveBuckets)
      this.positiveBuckets.set(key, (this.positiveBuckets.get(key) ?? 0) + n);
    for (const [key, n] of other.negativeBuckets)
      this.negativeBuckets.set(key, (this.negativeBuckets.get(key) ?? 0) + n);
    this.zeroCount += other.zeroCount;
    this.total += other.total;
    this.sumValue += other.sumValue;
    this.minValue = Math.min(this.minValue, other.minValue);
    this.maxValue = Math.max(this.maxValue, other.maxValue);
    return this;
  }

  /** The estimate of sorted[floor(q·(n−1))], within α relative; NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
    if (q === 0) return this.minValue;
    if (q === 1) return this.maxValue;
    const rank = Math.floor(q * (this.total - 1));
    let seen = 0;
    let estimate: number | undefined;
    const negativeKeys = [...this.negativeBuckets.keys()].sort((a, b) => b - a);
    for (const key of negativeKeys) {
      seen += this.negativeBuckets.get(key)!;
      if (seen > rank) {
        estimate = -this.valueOf(key);
        break;
      }
    }
    if (estimate === undefined) {
      seen += this.zeroCount;
      if (seen > rank) estimate = 0;
    }
    if (estimate === undefined) {
      const positiveKeys = [...this.positiveBuckets.keys()].sort((a, b) => a - b);
      for (const key of positiveKeys) {
        seen += this.positiveBuckets.get(key)!;
        if (seen > rank) {
          estimate = this.valueOf(key);
          break;
        }
      }
    }
    // Unreachable when counts are consistent; the max is the safe answer if they are not.
    estimate ??= this.maxValue;
    return Math.min(this.maxValue, Math.max(this.minValue, estimate));
  }

  toState(): SketchState {
    return {
      alpha: this.alpha,
      count: this.total,
      sum: this.sumValue,
      min: this.total === 0 ? null : this.minValue,
      max: this.total === 0 ? null : this.maxValue,
      zeros: this.zeroCount,
      positive: Object.fromEntries([...this.positiveBuckets].map(([k, n]) => [String(k), n])),
      negative: Object.fromEntries([...this.negativeBuckets].map(([k, n]) => [String(k), n])),
    };
  }

  static fromState(state: SketchState): QuantileSketch {
    const sketch = new QuantileSketch(state.alpha);
    for (const [key, n] of Object.entries(state.positive)) sketch.addBucket(1, Number(key), n);
    for (const [key, n] of Object.entries(state.negative)) sketch.addBucket(-1, Number(key), n);
    sketch.addZeros(state.zeros);
    if (sketch.total > 0) {
      sketch.setAggregates(
        state.sum,
        state.min ?? Number.POSITIVE_INFINITY,
        state.max ?? Number.NEGATIVE_INFINITY,
      );
    }
    return sketch;
  }
}
