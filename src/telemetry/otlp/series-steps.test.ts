// Per-step values of stored OTLP points: cumulative sums become increments (restarts found from
// the start time or a falling value, the point before the window as base), delta sums add up,
// gauges summarise, histograms subtract and add bucket by bucket, exponential histograms at the
// coarser scale. Property: however a monotonic counter restarts, the steps add up to what it
// counted in the window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  ExponentialHistogramValue,
  SeriesDescriptor,
  SeriesPoint,
  StoredSeries,
} from '../../ports/metric-series-store.js';
import { seriesSteps } from './series-steps.js';

const MINUTE_NS = 60_000_000_000n;
const FROM = 29_000_000; // a minute number: 2025-02-21
const ns = (minute: number, secondNs = 0n) => (BigInt(minute) * MINUTE_NS + secondNs).toString();

function stored(
  kind: SeriesDescriptor['kind'],
  temporality: SeriesDescriptor['temporality'],
  points: Array<Omit<SeriesPoint, 'seriesId'>>,
  before?: Omit<SeriesPoint, 'seriesId'>,
  monotonic = true,
): StoredSeries {
  const s: StoredSeries = {
    seriesId: 's',
    name: 'm',
    kind,
    unit: '',
    temporality,
    monotonic,
    resource: {},
    attributes: {},
    points: points.map((p) => ({ seriesId: 's', ...p })),
  };
  if (before !== undefined) s.before = { seriesId: 's', ...before };
  return s;
}

const START_A = ns(FROM - 100);
const START_B = ns(FROM + 3);

describe('seriesSteps', () => {
  it('turns a cumulative sum into increments, from the point before the window, across a restart', () => {
    const s = stored(
      'sum',
      'cumulative',
      [
        { timeNs: ns(FROM), startNs: START_A, value: 150 },
        { timeNs: ns(FROM + 1), startNs: START_A, value: 170 },
        // Restart: new start time; the 30 accrued since it counts whole.
        { timeNs: ns(FROM + 4), startNs: START_B, value: 30 },
        { timeNs: ns(FROM + 5), startNs: START_B, value: 45 },
      ],
      { timeNs: ns(FROM - 1), startNs: START_A, value: 100 },
    );
    const steps = seriesSteps(s, FROM, FROM + 9, 1);
    expect(steps.points.map((p) => p.value)).toEqual([
      { value: 50, last: 150 },
      { value: 20, last: 170 },
      { value: 30, last: 30 },
      { value: 15, last: 45 },
    ]);
    expect(steps.total).toEqual({ value: 115, last: 45 });
  });

  it('reads a monotonic value that falls under the same start time as a restart', () => {
    const s = stored('sum', 'cumulative', [
      { timeNs: ns(FROM), startNs: '0', value: 10 },
      { timeNs: ns(FROM + 1), startNs: '0', value: 4 },
    ]);
    expect(seriesSteps(s, FROM, FROM + 9, 5).total).toEqual({ value: 14, last: 4 });
  });

  it('gives a non-monotonic cumulative sum its net change', () => {
    const s = stored(
      'sum',
      'cumulative',
      [
        { timeNs: ns(FROM), startNs: START_A, value: 10 },
        { timeNs: ns(FROM + 1), startNs: START_A, value: 4 },
      ],
      undefined,
      false,
    );
    expect(seriesSteps(s, FROM, FROM + 9, 5).total).toEqual({ value: 4, last: 4 });
  });

  it('adds delta sums per step and leaves out points outside the window', () => {
    const s = stored('sum', 'delta', [
      { timeNs: ns(FROM - 1), startNs: '0', value: 1000 },
      { timeNs: ns(FROM), startNs: '0', value: 2 },
      { timeNs: ns(FROM + 4), startNs: '0', value: 3 },
      { timeNs: ns(FROM + 5), startNs: '0', value: 4 },
    ]);
    const steps = seriesSteps(s, FROM, FROM + 9, 5);
    expect(steps.points.map((p) => p.value)).toEqual([
      { value: 5, last: null },
      { value: 4, last: null },
    ]);
    expect(steps.total).toEqual({ value: 9, last: null });
  });

  it('summarises gauges', () => {
    const s = stored('gauge', 'unspecified', [
      { timeNs: ns(FROM), startNs: '0', value: 3 },
      { timeNs: ns(FROM + 1), startNs: '0', value: 9 },
      { timeNs: ns(FROM + 2), startNs: '0', value: 6 },
    ]);
    expect(seriesSteps(s, FROM, FROM + 9, 60).total).toEqual({
      last: 6,
      min: 3,
      max: 9,
      mean: 6,
      samples: 3,
    });
    expect(seriesSteps(stored('gauge', 'unspecified', []), FROM, FROM + 9, 1)).toEqual({
      total: null,
      points: [],
    });
  });

  it('subtracts cumulative histograms bucket by bucket', () => {
    const h = (count: number, sum: number, counts: number[]) => ({
      count,
      sum,
      min: 1,
      max: 99,
      bounds: [10, 100],
      counts,
    });
    const s = stored(
      'histogram',
      'cumulative',
      [
        { timeNs: ns(FROM), startNs: START_A, value: h(5, 100, [2, 3, 0]) },
        { timeNs: ns(FROM + 1), startNs: START_A, value: h(9, 250, [3, 5, 1]) },
      ],
      { timeNs: ns(FROM - 1), startNs: START_A, value: h(2, 30, [1, 1, 0]) },
    );
    expect(seriesSteps(s, FROM, FROM + 9, 60).total).toEqual({
      count: 7,
      sum: 220,
      min: null,
      max: null,
      bounds: [10, 100],
      counts: [2, 4, 1],
    });
  });

  it('merges exponential histograms at the coarser scale', () => {
    const e = (scale: number, offset: number, counts: number[]): ExponentialHistogramValue => ({
      count: counts.reduce((a, b) => a + b, 0) + 1,
      sum: 10,
      min: 0,
      max: 8,
      scale,
      zeroCount: 1,
      positive: { offset, counts },
      negative: { offset: 0, counts: [] },
    });
    const s = stored('exponential_histogram', 'delta', [
      // Scale 1: indexes 2, 3 → at scale 0: index 1 (×2 … 1+1).
      { timeNs: ns(FROM), startNs: '0', value: e(1, 2, [1, 1]) },
      { timeNs: ns(FROM + 1), startNs: '0', value: e(0, 1, [4]) },
    ]);
    expect(seriesSteps(s, FROM, FROM + 9, 60).total).toEqual({
      count: 8,
      sum: 20,
      min: 0,
      max: 8,
      scale: 0,
      zeroCount: 2,
      positive: { offset: 1, counts: [6] },
      negative: { offset: 0, counts: [] },
    });
  });

  it('adds up to what a restarting monotonic counter counted, whatever the restarts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ add: fc.nat(1000), restart: fc.boolean() }), { maxLength: 40 }),
        fc.nat(500),
        (steps, already) => {
          // A counter that already counted `already` before the window, then steps once a minute.
          let start = 1;
          let value = already;
          const points: Array<Omit<SeriesPoint, 'seriesId'>> = [];
          let counted = 0;
          steps.forEach((step, i) => {
            if (step.restart) {
              start += 1;
              value = 0;
            }
            value += step.add;
            counted += step.add;
            points.push({ timeNs: ns(FROM + i), startNs: String(start), value });
          });
          const s = stored('sum', 'cumulative', points, {
            timeNs: ns(FROM - 1),
            startNs: '1',
            value: already,
          });
          const result = seriesSteps(s, FROM, FROM + 60, 1);
          const summed = result.points.reduce(
            (acc, p) => acc + (p.value as { value: number }).value,
            0,
          );
          expect(summed).toBe(counted);
          if (steps.length > 0) expect(result.total).toEqual({ value: counted, last: value });
        },
      ),
    );
  });
});
