// Int8 copies of the SQLite store's vectors, held by the sign-bit index so that its candidates
// are ranked in memory and only the few that can reach the top k are scored exactly in SQL
// (a candidate scored there costs ~8 µs of page reads at 1M rows; here ~1 µs).
//
// Each vector is stored as its direction v̂ = v / ‖v‖ in steps of s = max|v̂ᵢ| / 127, with the
// norm of its rounding error e = v̂ − s·c. For a unit query q̂ the cosine q̂·v̂ lies within
// s·(q̂·c) ± min(s/2 · ‖q̂‖₁, ‖e‖₂) (Hölder and Cauchy–Schwarz): a hard bound, so a candidate
// whose best case is below the k-th best worst case is never among the top k, and dropping it
// changes no result.
//
// Stored form (the `quantised` column): f32 step, f32 error norm, then one int8 per dimension.

const HEADER_BYTES = 8;
/**
 * Slack over the bound for float rounding here and in sqlite-vec's cosine, which sums in f32
 * one term after another (error up to about d · 2⁻²⁴ per sum, three sums).
 */
const roundingSlack = (dimension: number) => 1e-4 + 3 * dimension * 2 ** -24;

/** The stored bytes of `vector`'s int8 copy. */
export function quantise(vector: Float32Array): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + vector.length);
  let norm = 0;
  let largest = 0;
  for (let d = 0; d < vector.length; d += 1) {
    const value = vector[d]!;
    norm += value * value;
    if (Math.abs(value) > largest) largest = Math.abs(value);
  }
  norm = Math.sqrt(norm);
  const step = Math.fround(largest / norm / 127);
  if (!(step > 0) || !Number.isFinite(step)) {
    // A zero or non-finite vector has no direction: a step of 0 marks it unbounded.
    out.writeFloatLE(0, 0);
    out.writeFloatLE(Infinity, 4);
    return out;
  }
  const codes = new Int8Array(out.buffer, out.byteOffset + HEADER_BYTES, vector.length);
  let error = 0;
  for (let d = 0; d < vector.length; d += 1) {
    const unit = vector[d]! / norm;
    const code = Math.max(-127, Math.min(127, Math.floor(unit / step + 0.5)));
    codes[d] = code;
    const off = unit - step * code;
    error += off * off;
  }
  out.writeFloatLE(step, 0);
  // Rounded up to the next f32, so the stored bound is never below the true one.
  const errorNorm = Math.sqrt(error);
  const stored = Math.fround(errorNorm);
  out.writeFloatLE(stored < errorNorm ? stored * (1 + 2 ** -23) : stored, 4);
  return out;
}

/** Candidates' approximate cosines to a query, and how far each may be off. */
export interface Approximations {
  scores: Float64Array;
  bounds: Float64Array;
}

/** Int8 rows by position, grown and compacted with the index that holds them. */
export class Int8Rows {
  private steps: Float32Array;
  private errors: Float32Array;
  private values: Int8Array;

  constructor(
    readonly dimension: number,
    capacity: number,
  ) {
    this.steps = new Float32Array(capacity);
    this.errors = new Float32Array(capacity);
    this.values = new Int8Array(capacity * dimension);
  }

  /** True when `bytes` is a stored int8 row of this dimension. */
  fits(bytes: Uint8Array | null): bytes is Uint8Array {
    return bytes !== null && bytes.length === HEADER_BYTES + this.dimension;
  }

  grow(capacity: number): void {
    const steps = new Float32Array(capacity);
    steps.set(this.steps);
    const errors = new Float32Array(capacity);
    errors.set(this.errors);
    const values = new Int8Array(capacity * this.dimension);
    values.set(this.values);
    [this.steps, this.errors, this.values] = [steps, errors, values];
  }

  /** Stores a row's int8 copy; one that does not fit is held as unbounded (always kept). */
  set(at: number, bytes: Uint8Array | null): void {
    if (!this.fits(bytes)) {
      this.steps[at] = 0;
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.steps[at] = view.getFloat32(0, true);
    this.errors[at] = view.getFloat32(4, true);
    this.values.set(
      new Int8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, this.dimension),
      at * this.dimension,
    );
  }

  move(to: number, from: number): void {
    this.steps[to] = this.steps[from]!;
    this.errors[to] = this.errors[from]!;
    const { dimension } = this;
    this.values.copyWithin(to * dimension, from * dimension, (from + 1) * dimension);
  }

  /** The approximate cosine of `query` to the rows at `positions`, each with its bound. */
  approximate(query: Float32Array, positions: ArrayLike<number>): Approximations {
    const { dimension, values, steps, errors } = this;
    let norm = 0;
    for (const value of query) norm += value * value;
    norm = Math.sqrt(norm);
    const unit = new Float64Array(dimension);
    let l1 = 0;
    for (let d = 0; d < dimension; d += 1) {
      unit[d] = norm > 0 ? query[d]! / norm : 0;
      l1 += Math.abs(unit[d]!);
    }
    const slack = roundingSlack(dimension);
    const scores = new Float64Array(positions.length);
    const bounds = new Float64Array(positions.length);
    for (let j = 0; j < positions.length; j += 1) {
      const at = positions[j]!;
      const step = steps[at]!;
      if (step === 0 || norm === 0) {
        bounds[j] = Infinity;
        continue;
      }
      let dot = 0;
      const row = at * dimension;
      for (let d = 0; d < dimension; d += 1) dot += unit[d]! * values[row + d]!;
      scores[j] = step * dot;
      bounds[j] = Math.min((step / 2) * l1, errors[at]!) + slack;
    }
    return { scores, bounds };
  }
}

/**
 * Which of the candidates can be among the top k: those whose best case (score + bound) reaches
 * the k-th best worst case (the floor). Any candidate left out scores exactly below the floor,
 * so once k exact results reach the floor, the top k of the kept ones is the top k of all.
 */
export function reachable(
  { scores, bounds }: Approximations,
  k: number,
): { keep: Uint8Array; floor: number } {
  const keep = new Uint8Array(scores.length);
  if (scores.length <= k) return { keep: keep.fill(1), floor: -Infinity };
  const worst = Float64Array.from(scores, (score, j) => score - bounds[j]!).sort();
  const floor = worst[worst.length - k]!;
  for (let j = 0; j < scores.length; j += 1) keep[j] = scores[j]! + bounds[j]! >= floor ? 1 : 0;
  return { keep, floor };
}
