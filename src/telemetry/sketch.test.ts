import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuantileSketch } from './sketch.js';

const ALPHA = 0.01;
const QS = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function withinBound(estimate: number, exact: number, alpha: number): boolean {
  return Math.abs(estimate - exact) <= alpha * Math.abs(exact) * (1 + 1e-9) + 1e-12;
}

const value = fc.oneof(
  fc.constant(0),
  fc.double({ min: 1e-3, max: 1e7, noNaN: true }),
  fc.double({ min: -1e4, max: -1e-3, noNaN: true }),
  fc.integer({ min: 0, max: 5000 }),
);

describe('QuantileSketch', () => {
  it('keeps every quantile within the relative error bound', () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
        const sketch = new QuantileSketch(ALPHA);
        for (const v of values) sketch.add(v);
        for (const q of QS) {
          expect(withinBound(sketch.quantile(q), exactQuantile(values, q), ALPHA)).toBe(true);
        }
        expect(sketch.min).toBe(Math.min(...values));
        expect(sketch.max).toBe(Math.max(...values));
        expect(sketch.count).toBe(values.length);
      }),
    );
  });

  it('merging sketches equals one sketch of all values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 100 }), { minLength: 1, maxLength: 6 }),
        (parts) => {
          const merged = new QuantileSketch(ALPHA);
          const whole = new QuantileSketch(ALPHA);
          for (const part of parts) {
            const sketch = new QuantileSketch(ALPHA);
            for (const v of part) {
              sketch.add(v);
              whole.add(v);
            }
            merged.merge(
              QuantileSketch.fromState(JSON.parse(JSON.stringify(sketch.toState())) as never),
            );
          }
          expect(merged.count).toBe(whole.count);
          for (const q of QS) expect(merged.quantile(q)).toBe(whole.quantile(q));
          if (whole.count > 0) {
            expect(merged.min).toBe(whole.min);
            expect(merged.max).toBe(whole.max);
          }
        },
      ),
    );
  });

  it('answers NaN when empty and rejects non-finite values', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBeNaN();
    expect(() => sketch.add(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it('reads 5 accepts of latency 100 and 1 of 900 apart (values are never collapsed)', () => {
    const sketch = new QuantileSketch();
    for (let i = 0; i < 5; i += 1) sketch.add(100);
    sketch.add(900);
    expect(sketch.count).toBe(6);
    expect(withinBound(sketch.quantile(0.5), 100, ALPHA)).toBe(true);
    expect(sketch.quantile(1)).toBe(900);
  });
});
