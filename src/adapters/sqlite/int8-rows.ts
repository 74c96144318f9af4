// Int8 copies of the SQLite store's vectors, held by the sign-bit index so that its candidates
// are ranked in memory and only the few that can reach the top k are scored exactly in SQL
// (a candidate scored there costs ~8 µs of page reads at 1M rows; here ~0.2 µs, in the
// WebAssembly kernel of int8-kernel.ts).
//
// Each vector is stored as its direction v̂ = v / ‖v‖ in steps of s = max|v̂ᵢ| / 127, with the
// norm of its rounding error e = v̂ − s·c. For a unit query q̂ the cosine q̂·v̂ lies within
// s·(q̂·c) ± min(s/2 · ‖q̂‖₁, ‖e‖₂) (Hölder and Cauchy–Schwarz): a hard bound, so a candidate
// whose best case is below the k-th best worst case is never among the top k, and dropping it
// changes no result.
//
// The candidates that can still reach the top k are then narrowed by residual codes: each
// dimension's rounding error eᵢ again in steps of t = s/14 (rᵢ in −7…7, four bits), with the norm
// E′ of what is left, e′ = e − t·r. Their cosine lies within s·(q̂·c) + t·(q̂·r) ± E′, computed in
// doubles from the query itself; E′ is about a fourteenth of ‖e‖, so few more than k rows are left
// to score exactly in SQL (533 → 213 of 3,334 candidates for k = 200 at 1M memories).
//
// Stored form (the `quantised` column): f32 step, f32 error norm, one int8 per dimension, then
// f32 residual norm and the residual codes, two a byte (rᵢ + 8, the even dimension in the low
// four bits). Rows stored before the residual codes end after the int8 codes: they are read as
// they are and never narrowed (quantising them again would read every vector of a large store
// on its first search: 98 s at 1M memories).

import { Int8Kernel } from './int8-kernel.js';
import type { KernelMemory } from './kernel-memory.js';

const HEADER_BYTES = 8;
/** Residual codes are in steps of a row's step / RESIDUAL_STEPS, within ±RESIDUAL_LIMIT. */
const RESIDUAL_STEPS = 14;
const RESIDUAL_LIMIT = 7;

/** Bytes of the int8 copy of a vector of `dimension` values (the current form). */
export function quantisedBytes(dimension: number): number {
  return HEADER_BYTES + dimension + 4 + Math.ceil(dimension / 2);
}

/** Bytes of the form written before the residual codes. */
const withoutResidualBytes = (dimension: number) => HEADER_BYTES + dimension;

/** An f32 at least `value` (a bound must never round down). */
function f32Above(value: number): number {
  const stored = Math.fround(value);
  return stored < value ? stored * (1 + 2 ** -23) : stored;
}
/**
 * Slack over the bound for float rounding here and in sqlite-vec's cosine, which sums in f32
 * one term after another (error up to about d · 2⁻²⁴ per sum, three sums).
 */
const roundingSlack = (dimension: number) => 1e-4 + 3 * dimension * 2 ** -24;

/** The stored bytes of `vector`'s int8 copy (with its residual codes). */
export function quantise(vector: Float32Array): Buffer {
  const dimension = vector.length;
  const out = Buffer.alloc(quantisedBytes(dimension));
  const residualAt = HEADER_BYTES + dimension;
  let norm = 0;
  let largest = 0;
  for (let d = 0; d < dimension; d += 1) {
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
    out.writeFloatLE(Infinity, residualAt);
    return out;
  }
  const codes = new Int8Array(out.buffer, out.byteOffset + HEADER_BYTES, dimension);
  const residualStep = step / RESIDUAL_STEPS;
  let error = 0;
  let residualError = 0;
  for (let d = 0; d < dimension; d += 1) {
    const unit = vector[d]! / norm;
    const code = Math.max(-127, Math.min(127, Math.floor(unit / step + 0.5)));
    codes[d] = code;
    const off = unit - step * code;
    error += off * off;
    const residual = Math.max(
      -RESIDUAL_LIMIT,
      Math.min(RESIDUAL_LIMIT, Math.round(off / residualStep)),
    );
    const left = off - residualStep * residual;
    residualError += left * left;
    const byte = residualAt + 4 + (d >> 1);
    out[byte] = out[byte]! | ((residual + 8) << ((d & 1) * 4));
  }
  out.writeFloatLE(step, 0);
  // Rounded up to the next f32, so the stored bounds are never below the true ones.
  out.writeFloatLE(f32Above(Math.sqrt(error)), 4);
  out.writeFloatLE(f32Above(Math.sqrt(residualError)), residualAt);
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
  /** Each row's residual norm E′ (NaN: a row stored without residual codes). */
  private residualErrors: Float32Array;
  /** Each row's residual codes as stored, `residualStride` bytes a row. */
  private residuals: Uint8Array;
  private readonly residualStride: number;
  /** Rows in the kernel's memory, each padded with zeros to a multiple of 16 bytes. */
  private readonly kernel: Int8Kernel;
  private readonly stride: number;

  /** `space`: the memory of the index's kernels (kernel-memory.ts). */
  constructor(
    readonly dimension: number,
    capacity: number,
    space?: KernelMemory,
  ) {
    this.steps = new Float32Array(capacity);
    this.errors = new Float32Array(capacity);
    this.residualErrors = new Float32Array(capacity);
    this.residualStride = Math.ceil(dimension / 2);
    this.residuals = new Uint8Array(capacity * this.residualStride);
    this.stride = Math.ceil(dimension / 16) * 16;
    this.kernel = new Int8Kernel(this.stride, space);
    this.kernel.grow(capacity);
  }

  /** True when `bytes` is a stored int8 row of this dimension (with residual codes or not). */
  fits(bytes: Uint8Array | null): bytes is Uint8Array {
    return (
      bytes !== null &&
      (bytes.length === quantisedBytes(this.dimension) ||
        bytes.length === withoutResidualBytes(this.dimension))
    );
  }

  grow(capacity: number): void {
    // The arrays first: when one cannot be had, the kernel's memory (shared with the sign bits)
    // has not moved yet, and the index stays as it was.
    const steps = new Float32Array(capacity);
    steps.set(this.steps);
    const errors = new Float32Array(capacity);
    errors.set(this.errors);
    const residualErrors = new Float32Array(capacity);
    residualErrors.set(this.residualErrors);
    const residuals = new Uint8Array(capacity * this.residualStride);
    residuals.set(this.residuals);
    this.kernel.grow(capacity);
    [this.steps, this.errors, this.residualErrors, this.residuals] = [
      steps,
      errors,
      residualErrors,
      residuals,
    ];
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
    this.kernel.rows.set(
      new Int8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, this.dimension),
      at * this.stride,
    );
    const residualAt = HEADER_BYTES + this.dimension;
    if (bytes.length === withoutResidualBytes(this.dimension)) {
      this.residualErrors[at] = NaN;
      return;
    }
    this.residualErrors[at] = view.getFloat32(residualAt, true);
    this.residuals.set(
      bytes.subarray(residualAt + 4, residualAt + 4 + this.residualStride),
      at * this.residualStride,
    );
  }

  move(to: number, from: number): void {
    this.steps[to] = this.steps[from]!;
    this.errors[to] = this.errors[from]!;
    this.residualErrors[to] = this.residualErrors[from]!;
    const { stride, residualStride } = this;
    this.kernel.rows.copyWithin(to * stride, from * stride, (from + 1) * stride);
    this.residuals.copyWithin(
      to * residualStride,
      from * residualStride,
      (from + 1) * residualStride,
    );
  }

  /**
   * The approximate cosine of `query` to the rows at `positions`, each with its bound. The
   * query's direction is rounded to 16-bit codes in steps of r (the kernel's sums are exact),
   * which moves a row's dot product by at most r/2 · Σ|cᵢ| ≤ r/2 · 128 · d steps of the row
   * (codes are at most 128 in size): added to its bound.
   */
  approximate(query: Float32Array, positions: ArrayLike<number>): Approximations {
    const { dimension, steps, errors } = this;
    const scores = new Float64Array(positions.length);
    const bounds = new Float64Array(positions.length).fill(Infinity);
    let norm = 0;
    let largest = 0;
    for (const value of query) {
      norm += value * value;
      largest = Math.max(largest, Math.abs(value));
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm) || positions.length === 0) return { scores, bounds };
    const queryStep = largest / norm / this.kernel.largestCode;
    const codes = new Int16Array(this.stride);
    let l1 = 0;
    for (let d = 0; d < dimension; d += 1) {
      const unit = query[d]! / norm;
      l1 += Math.abs(unit);
      codes[d] = Math.round(unit / queryStep);
    }
    const slack = roundingSlack(dimension);
    const dots = this.kernel.dots(codes, positions);
    for (let j = 0; j < positions.length; j += 1) {
      const at = positions[j]!;
      const step = steps[at]!;
      if (step === 0) continue;
      scores[j] = step * queryStep * dots[j]!;
      bounds[j] =
        Math.min((step / 2) * l1, errors[at]!) + step * (queryStep / 2) * 128 * dimension + slack;
    }
    return { scores, bounds };
  }

  /**
   * Narrows the approximations of the candidates `keep` marks by their residual codes (rows
   * stored without them stay as they are): s·(q̂·c) + t·(q̂·r) ± (E′ + slack), in doubles from the
   * query's own direction, intersected with the int8 interval, which is as sound.
   */
  refine(
    query: Float32Array,
    positions: ArrayLike<number>,
    { scores, bounds }: Approximations,
    keep: Uint8Array,
  ): void {
    const { dimension, steps, residualErrors, residuals, residualStride, stride } = this;
    let norm = 0;
    for (const value of query) norm += value * value;
    norm = Math.sqrt(norm);
    if (!(norm > 0) || !Number.isFinite(norm)) return;
    const unit = Float64Array.from(query, (value) => value / norm);
    const codes = this.kernel.rows;
    const slack = roundingSlack(dimension);
    for (let j = 0; j < positions.length; j += 1) {
      if (keep[j] !== 1) continue;
      const at = positions[j]!;
      const step = steps[at]!;
      const residualError = residualErrors[at]!;
      // NaN: stored without residual codes; a negative norm is no bound at all.
      if (step === 0 || !(residualError >= 0)) continue;
      let dot = 0;
      let residualDot = 0;
      const row = at * stride;
      const residualRow = at * residualStride;
      for (let d = 0; d < dimension; d += 1) {
        const q = unit[d]!;
        dot += q * codes[row + d]!;
        const byte = residuals[residualRow + (d >> 1)]!;
        residualDot += q * (((d & 1) === 0 ? byte & 15 : byte >> 4) - 8);
      }
      const score = step * dot + (step / RESIDUAL_STEPS) * residualDot;
      const bound = residualError + slack;
      const low = Math.max(scores[j]! - bounds[j]!, score - bound);
      const high = Math.min(scores[j]! + bounds[j]!, score + bound);
      if (!(low <= high)) continue; // disjoint: one of them is wrong; the int8 interval stands
      scores[j] = (low + high) / 2;
      bounds[j] = (high - low) / 2;
    }
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
