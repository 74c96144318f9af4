// Int8 copies of vectors: the bound on their approximate cosine holds for vectors of any length
// and spread, before and after their residual codes narrow it, and a vector without a direction
// is never left out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Int8Rows, quantise, reachable } from './int8-rows.js';
import { cosine } from '../../../test/support/cosine.js';

const DIMENSION = 24;

const vectorArb = fc
  .tuple(
    fc.array(fc.float({ min: -1, max: 1, noNaN: true }), {
      minLength: DIMENSION,
      maxLength: DIMENSION,
    }),
    // Lengths far from 1 (the store does not require unit vectors), and one large component.
    fc.constantFrom(1e-20, 1e-3, 1, 1e3, 1e20),
    fc.option(fc.integer({ min: 0, max: DIMENSION - 1 }), { nil: undefined }),
  )
  .map(([xs, scale, spike]) => {
    const v = Float32Array.from(xs, (x) => x * scale);
    if (spike !== undefined) v[spike] = 50 * scale;
    return v;
  });

describe('Int8Rows', () => {
  it('puts every exact cosine within its bound of the approximation', () => {
    fc.assert(
      fc.property(
        fc.array(vectorArb, { minLength: 1, maxLength: 20 }),
        vectorArb,
        (rows, query) => {
          const held = new Int8Rows(DIMENSION, 1);
          held.grow(rows.length);
          rows.forEach((row, at) => held.set(at, quantise(row)));
          const { scores, bounds } = held.approximate(
            query,
            rows.map((_, at) => at),
          );
          rows.forEach((row, at) => {
            const exact = cosine(query, row);
            if (Number.isNaN(exact)) expect(bounds[at]).toBe(Infinity);
            else expect(Math.abs(exact - scores[at]!)).toBeLessThanOrEqual(bounds[at]!);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every exact cosine within the interval its residual codes narrow it to', () => {
    fc.assert(
      fc.property(
        fc.array(vectorArb, { minLength: 1, maxLength: 20 }),
        vectorArb,
        fc.boolean(),
        (rows, query, odd) => {
          // An odd length too: its last residual code has a byte to itself.
          const dimension = odd ? DIMENSION - 1 : DIMENSION;
          const cut = rows.map((row) => row.subarray(0, dimension));
          const q = query.subarray(0, dimension);
          const held = new Int8Rows(dimension, cut.length);
          cut.forEach((row, at) => held.set(at, quantise(row)));
          const positions = cut.map((_, at) => at);
          const approximations = held.approximate(q, positions);
          const before = Float64Array.from(approximations.bounds);
          held.refine(q, positions, approximations, new Uint8Array(cut.length).fill(1));
          cut.forEach((row, at) => {
            const exact = cosine(q, row);
            const { scores, bounds } = approximations;
            if (Number.isNaN(exact)) expect(bounds[at]).toBe(Infinity);
            else expect(Math.abs(exact - scores[at]!)).toBeLessThanOrEqual(bounds[at]!);
            expect(bounds[at]).toBeLessThanOrEqual(before[at]!);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('narrows the interval of an embedding-like vector about tenfold, and only the rows kept', () => {
    const dimension = 512;
    let state = 7;
    const gaussian = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const u = (state + 1) / 2 ** 32;
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const w = state / 2 ** 32;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
    };
    const rows = Array.from({ length: 4 }, () =>
      Float32Array.from({ length: dimension }, gaussian),
    );
    const query = Float32Array.from({ length: dimension }, gaussian);
    const held = new Int8Rows(dimension, rows.length);
    rows.forEach((row, at) => held.set(at, quantise(row)));
    const approximations = held.approximate(query, [0, 1, 2, 3]);
    const before = Float64Array.from(approximations.bounds);
    held.refine(query, [0, 1, 2, 3], approximations, Uint8Array.from([1, 1, 1, 0]));
    for (const at of [0, 1, 2]) {
      expect(approximations.bounds[at]).toBeLessThan(before[at]! / 8);
      expect(Math.abs(cosine(query, rows[at]!) - approximations.scores[at]!)).toBeLessThanOrEqual(
        approximations.bounds[at]!,
      );
    }
    expect(approximations.bounds[3]).toBe(before[3]);
  });

  it('holds a query along the residual error itself, where the error is its largest', () => {
    // The query points along e′ = v̂ − s·c − t·r, decoded from the stored copy: the refined score
    // then misses the cosine by all of ‖e′‖, so a bound much below E′ fails here.
    const dimension = 512;
    const row = Float32Array.from({ length: dimension }, (_, d) => Math.sin(d * 1.7) + 0.3);
    const bytes = quantise(row);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const step = view.getFloat32(0, true);
    const norm = Math.hypot(...row);
    const left = Float64Array.from(row, (value, d) => {
      const code = view.getInt8(8 + d);
      const byte = bytes[8 + dimension + 4 + (d >> 1)]!;
      const residual = ((d & 1) === 0 ? byte & 15 : byte >> 4) - 8;
      return value / norm - step * code - (step / 14) * residual;
    });
    const query = Float32Array.from(left);
    const held = new Int8Rows(dimension, 2);
    held.set(0, bytes);
    held.set(1, quantise(query)); // a second row, so that one is narrowed among two
    const approximations = held.approximate(query, [0, 1]);
    held.refine(query, [0, 1], approximations, Uint8Array.from([1, 1]));
    const off = Math.abs(cosine(query, row) - approximations.scores[0]!);
    expect(off).toBeLessThanOrEqual(approximations.bounds[0]!);
    expect(off).toBeGreaterThan(approximations.bounds[0]! / 2);
  });

  it('reads a copy stored before residual codes, and leaves its interval as the int8 copy gives it', () => {
    const row = Float32Array.from({ length: 16 }, (_, d) => Math.sin(d + 1));
    const query = Float32Array.from({ length: 16 }, (_, d) => Math.cos(d));
    const held = new Int8Rows(16, 1);
    held.set(0, quantise(row).subarray(0, 8 + 16));
    const approximations = held.approximate(query, [0]);
    const before = approximations.bounds[0]!;
    expect(before).toBeLessThan(Infinity);
    held.refine(query, [0], approximations, Uint8Array.from([1]));
    expect(approximations.bounds[0]).toBe(before);
  });

  it('never leaves out a zero vector, a row without a copy, or one against a zero query', () => {
    const held = new Int8Rows(3, 4);
    held.set(0, quantise(new Float32Array([1, 0, 0])));
    held.set(1, quantise(new Float32Array([0, 0, 0])));
    held.set(2, null);
    held.set(3, new Uint8Array(5)); // the wrong length
    const split = reachable(held.approximate(new Float32Array([1, 0, 0]), [0, 1, 2, 3]), 1);
    expect([...split.keep]).toEqual([1, 1, 1, 1]);
    const blind = reachable(held.approximate(new Float32Array(3), [0, 1, 2, 3]), 1);
    expect([...blind.keep]).toEqual([1, 1, 1, 1]);
    const endless = held.approximate(new Float32Array([Infinity, 0, 0]), [0, 1, 2, 3]);
    expect([...endless.bounds]).toEqual([Infinity, Infinity, Infinity, Infinity]);
  });

  it('bounds the rounding of the query to 16-bit codes at its worst, every error one way', () => {
    // A row of ±1 (its int8 copy is exact) and a query of one spike and components just under
    // half a query step with the row's signs: each rounds to 0, all the errors add up.
    for (const dimension of [384, 1536, 8192]) {
      let state = dimension;
      const sign = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) & 1 ? 1 : -1);
      const row = Float32Array.from({ length: dimension }, sign);
      const largestCode = Math.min(32_767, Math.floor((2 ** 31 - 1) / (128 * dimension)));
      const query = Float32Array.from(row, (s, d) => (d === 0 ? 1 : (0.4999 / largestCode) * s));
      const held = new Int8Rows(dimension, 1);
      held.set(0, quantise(row));
      const { scores, bounds } = held.approximate(query, [0]);
      const off = Math.abs(cosine(query, row) - scores[0]!);
      expect(off).toBeLessThanOrEqual(bounds[0]!);
      // Far past the float slack alone (1e-4 + 3·d·2⁻²⁴): the query's rounding is in the bound.
      expect(off).toBeGreaterThan(1.5 * (1e-4 + 3 * dimension * 2 ** -24));
    }
  });

  it('moves a row with its step, error and residual codes when compacted', () => {
    const held = new Int8Rows(3, 2);
    const row = new Float32Array([0.3, 1, -0.2]);
    held.set(1, quantise(row));
    held.set(0, quantise(new Float32Array([-1, 0.5, 0.1])));
    held.move(0, 1);
    const query = new Float32Array([0.1, 1, 0.4]);
    const approximations = held.approximate(query, [0]);
    held.refine(query, [0], approximations, Uint8Array.from([1]));
    expect(approximations.scores[0]).toBeCloseTo(cosine(query, row), 3);
  });
});
