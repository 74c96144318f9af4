// Stored OTLP points → what happened per step of a window. Pure functions.
// Delta points are increments as they are. A cumulative point's increment is its value minus
// the previous point of its series (in time order, the one before the window included) when
// both share a start time and the value did not fall; otherwise the series restarted (new
// startTimeUnixNano, or a monotonic value that went down) and the whole value counts, since it
// accrued from the new start. Gauges are summarised (last, min, max, mean). Histograms add up
// bucket by bucket; exponential histograms are brought to the coarser scale first.
import type {
  Buckets,
  ExponentialHistogramValue,
  HistogramValue,
  PointValue,
  SeriesDescriptor,
  SeriesPoint,
  StoredSeries,
} from '../../ports/metric-series-store.js';

export interface SumStep {
  /** What the series added in the step (a net change for a non-monotonic sum). */
  value: number;
  /** The latest value reported in the step: the running total of a cumulative sum. */
  last: number | null;
}

export interface GaugeStep {
  last: number;
  min: number;
  max: number;
  mean: number;
  samples: number;
}

/** A histogram step; counts is null when the bucket bounds changed inside the step. */
export type HistogramStep = Omit<HistogramValue, 'counts'> & { counts: number[] | null };

export type StepValue = SumStep | GaugeStep | HistogramStep | ExponentialHistogramValue;

export interface SeriesSteps {
  total: StepValue | null;
  points: Array<{ start: string; value: StepValue }>;
}

const NS_PER_MS = 1_000_000n;

export function msOfNs(timeNs: string): number {
  return Number(BigInt(timeNs) / NS_PER_MS);
}

function isHistogram(value: PointValue): value is HistogramValue {
  return typeof value === 'object' && 'bounds' in value;
}

function isExponential(value: PointValue): value is ExponentialHistogramValue {
  return typeof value === 'object' && 'scale' in value;
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

/** index → count of a bucket list brought down to `scale` (each step down halves the index). */
function downscaled(buckets: Buckets, shift: number, into = new Map<number, number>()) {
  buckets.counts.forEach((count, i) => {
    if (count === 0) return;
    const index = (buckets.offset + i) >> shift;
    into.set(index, (into.get(index) ?? 0) + count);
  });
  return into;
}

function bucketsOf(counts: Map<number, number>): Buckets {
  if (counts.size === 0) return { offset: 0, counts: [] };
  const indexes = [...counts.keys()];
  const offset = Math.min(...indexes);
  const out = new Array<number>(Math.max(...indexes) - offset + 1).fill(0);
  for (const [index, count] of counts) out[index - offset] = count;
  return { offset, counts: out };
}

/** a + sign·b at the coarser of the two scales; undefined when a bucket would go negative. */
function combineBuckets(
  a: Buckets,
  aShift: number,
  b: Buckets,
  bShift: number,
  sign: 1 | -1,
): Buckets | undefined {
  const counts = downscaled(a, aShift);
  for (const [index, count] of downscaled(b, bShift)) {
    const next = (counts.get(index) ?? 0) + sign * count;
    if (next < 0) return undefined;
    counts.set(index, next);
  }
  for (const [index, count] of counts) if (count === 0) counts.delete(index);
  return bucketsOf(counts);
}

function combineExponential(
  a: ExponentialHistogramValue,
  b: ExponentialHistogramValue,
  sign: 1 | -1,
): ExponentialHistogramValue | undefined {
  const scale = Math.min(a.scale, b.scale);
  const positive = combineBuckets(a.positive, a.scale - scale, b.positive, b.scale - scale, sign);
  const negative = combineBuckets(a.negative, a.scale - scale, b.negative, b.scale - scale, sign);
  const count = a.count + sign * b.count;
  const zeroCount = a.zeroCount + sign * b.zeroCount;
  if (positive === undefined || negative === undefined || count < 0 || zeroCount < 0)
    return undefined;
  return {
    count,
    sum: a.sum === null || b.sum === null ? null : a.sum + sign * b.sum,
    ...extremes(a, b, sign),
    scale,
    zeroCount,
    positive,
    negative,
  };
}

/** min / max of a merge; a difference of cumulative points has none. */
function extremes(
  a: { min: number | null; max: number | null },
  b: { min: number | null; max: number | null },
  sign: 1 | -1,
) {
  if (sign === -1 || a.min === null || b.min === null || a.max === null || b.max === null)
    return { min: null, max: null };
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** What a point adds over `previous` (the series' point before it), per the header. */
export function incrementOf(
  series: Pick<SeriesDescriptor, 'kind' | 'temporality' | 'monotonic'>,
  previous: SeriesPoint | undefined,
  point: SeriesPoint,
): PointValue {
  const value = point.value;
  if (series.temporality !== 'cumulative' || previous === undefined) return value;
  if (previous.startNs !== point.startNs || BigInt(previous.timeNs) >= BigInt(point.timeNs))
    return value;
  const before = previous.value;
  if (typeof value === 'number' && typeof before === 'number') {
    if (series.monotonic && value < before) return value;
    return value - before;
  }
  if (isHistogram(value) && isHistogram(before)) {
    if (!sameBounds(value.bounds, before.bounds) || value.count < before.count) return value;
    const counts = value.counts.map((count, i) => count - (before.counts[i] ?? 0));
    if (counts.some((count) => count < 0)) return value;
    return {
      count: value.count - before.count,
      sum: value.sum === null || before.sum === null ? null : value.sum - before.sum,
      min: null,
      max: null,
      bounds: value.bounds,
      counts,
    };
  }
  if (isExponential(value) && isExponential(before))
    return combineExponential(value, before, -1) ?? value;
  return value;
}

type Accumulator = { add(increment: PointValue, raw: PointValue): void; value(): StepValue };

function accumulatorOf(series: Pick<SeriesDescriptor, 'kind' | 'temporality'>): Accumulator {
  if (series.kind === 'sum') {
    let value = 0;
    let last: number | null = null;
    return {
      add(increment, raw) {
        value += increment as number;
        if (series.temporality === 'cumulative') last = raw as number;
      },
      value: () => ({ value, last }),
    };
  }
  if (series.kind === 'gauge') {
    const g = { last: 0, min: Infinity, max: -Infinity, total: 0, samples: 0 };
    return {
      add(_increment, raw) {
        const v = raw as number;
        g.last = v;
        g.min = Math.min(g.min, v);
        g.max = Math.max(g.max, v);
        g.total += v;
        g.samples += 1;
      },
      value: () => ({
        last: g.last,
        min: g.min,
        max: g.max,
        mean: g.total / g.samples,
        samples: g.samples,
      }),
    };
  }
  if (series.kind === 'histogram') {
    let h: HistogramStep | undefined;
    return {
      add(increment) {
        const v = increment as HistogramValue;
        if (h === undefined) {
          h = { ...v, counts: [...v.counts] };
          return;
        }
        const counts: number[] | null =
          h.counts !== null && sameBounds(h.bounds, v.bounds)
            ? h.counts.map((count, i) => count + (v.counts[i] ?? 0))
            : null;
        h = {
          count: h.count + v.count,
          sum: h.sum === null || v.sum === null ? null : h.sum + v.sum,
          ...extremes(h, v, 1),
          bounds: h.bounds,
          counts,
        };
      },
      value: () => h!,
    };
  }
  let e: ExponentialHistogramValue | undefined;
  return {
    add(increment) {
      const v = increment as ExponentialHistogramValue;
      e = e === undefined ? v : (combineExponential(e, v, 1) ?? e);
    },
    value: () => e!,
  };
}

/**
 * The series' steps of `stepMinutes` from fromMinute to toMinute (only steps with points), and
 * the window's total.
 */
export function seriesSteps(
  series: StoredSeries,
  fromMinute: number,
  toMinute: number,
  stepMinutes: number,
): SeriesSteps {
  const total = accumulatorOf(series);
  const steps = new Map<number, Accumulator>();
  let previous = series.before;
  let seen = 0;
  for (const point of series.points) {
    const minute = Math.floor(msOfNs(point.timeNs) / 60_000);
    if (minute < fromMinute || minute > toMinute) continue;
    const increment = incrementOf(series, previous, point);
    previous = point;
    seen += 1;
    const step = Math.floor(minute / stepMinutes);
    let acc = steps.get(step);
    if (acc === undefined) {
      acc = accumulatorOf(series);
      steps.set(step, acc);
    }
    acc.add(increment, point.value);
    total.add(increment, point.value);
  }
  return {
    total: seen === 0 ? null : total.value(),
    points: [...steps]
      .sort(([a], [b]) => a - b)
      .map(([step, acc]) => ({
        start: new Date(step * stepMinutes * 60_000).toISOString(),
        value: acc.value(),
      })),
  };
}
