// Int8 copies of vectors: the bound on their approximate cosine holds for vectors of any length
// and spread, and a vector without a direction is never left out.
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

  it('moves a row with its step and error when compacted', () => {
    const held = new Int8Rows(2, 2);
    held.set(1, quantise(new Float32Array([0, 1])));
    held.move(0, 1);
    const { scores } = held.approximate(new Float32Array([0, 1]), [0]);
    expect(scores[0]).toBeCloseTo(1, 2);
  });
});
