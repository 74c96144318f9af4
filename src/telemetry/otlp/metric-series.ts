// OTLP metric series of a tenant: stores mapped data points (bounded number of series per
// tenant, a re-sent point stored once) and reads them back per step of a window for
// GET /v1/metrics/otlp. The point store is written directly, not through the event stream: a
// point is keyed by series and timestamp, so the write itself is idempotent and needs no fold.
import type { Clock } from '../../domain/clock.js';
import type { MetricSeriesStore, SeriesDescriptor } from '../../ports/metric-series-store.js';
import { minuteOf } from '../fold-ops.js';
import { STEPS, WINDOWS, type StepName, type WindowName } from '../service.js';
import type { MappedMetrics } from './map-metrics.js';
import { seriesSteps, type StepValue } from './series-steps.js';

export interface MetricSeriesView extends SeriesDescriptor {
  /** The whole window (increments of sums and histograms; a gauge's summary). */
  total: StepValue | null;
  /** Steps with points, oldest first. */
  points: Array<{ start: string; value: StepValue }>;
}

export interface MetricSeriesPage {
  window: WindowName;
  step: StepName;
  from: string;
  to: string;
  /** Series the tenant holds now, and the bound (ENGRAM_OTLP_MAX_SERIES_PER_TENANT). */
  seriesHeld: number;
  maxSeries: number;
  /** Ordered by metric name, then series id. */
  series: MetricSeriesView[];
  /** Where the next page starts (the last series of this one); null on the last page. */
  next: SeriesPosition | null;
}

/** A series' place in the name, series id order pages follow. */
export interface SeriesPosition {
  name: string;
  seriesId: string;
}

export interface MetricSeriesService {
  /** Stores the points; returns the rejected items (malformed points, refused series) with why. */
  write(tenantId: string, mapped: MappedMetrics): Promise<Map<number, string>>;
  read(
    tenantId: string,
    query: {
      window: WindowName;
      step: StepName;
      name?: string;
      limit: number;
      after?: SeriesPosition;
    },
  ): Promise<MetricSeriesPage>;
}

export function createMetricSeriesService(options: {
  store: MetricSeriesStore;
  clock: Clock;
  maxSeriesPerTenant: number;
}): MetricSeriesService {
  const { store, clock, maxSeriesPerTenant } = options;
  return {
    async write(tenantId, mapped) {
      const rejected = new Map<number, string>();
      for (const { item, reason } of mapped.rejected) rejected.set(item, reason);
      if (mapped.points.length === 0) return rejected;
      const result = await store.write(
        tenantId,
        mapped.series,
        mapped.points.map((p) => p.point),
        { maxSeries: maxSeriesPerTenant, nowMs: clock.now() },
      );
      for (const { item, point } of mapped.points) {
        if (result.refused.has(point.seriesId))
          rejected.set(
            item,
            `the tenant holds its limit of ${maxSeriesPerTenant} metric series (ENGRAM_OTLP_MAX_SERIES_PER_TENANT); new series are refused until old ones age out`,
          );
      }
      return rejected;
    },

    async read(tenantId, query) {
      const toMinute = minuteOf(clock.now());
      const fromMinute = toMinute - WINDOWS[query.window] + 1;
      const fromMs = fromMinute * 60_000;
      const toMs = (toMinute + 1) * 60_000 - 1;
      const [stored, seriesHeld] = await Promise.all([
        // One more than asked says whether a next page exists.
        store.read(tenantId, {
          fromNs: (BigInt(fromMs) * 1_000_000n).toString(),
          toNs: (BigInt(toMs) * 1_000_000n + 999_999n).toString(),
          limit: query.limit + 1,
          ...(query.name === undefined ? {} : { name: query.name }),
          ...(query.after === undefined ? {} : { after: query.after }),
        }),
        store.countSeries(tenantId),
      ]);
      const series = stored.slice(0, query.limit).map((s) => {
        const { points: _points, before: _before, ...descriptor } = s;
        return { ...descriptor, ...seriesSteps(s, fromMinute, toMinute, STEPS[query.step]) };
      });
      const last = series.at(-1);
      return {
        window: query.window,
        step: query.step,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs + 1).toISOString(),
        seriesHeld,
        maxSeries: maxSeriesPerTenant,
        series,
        next:
          stored.length > query.limit && last !== undefined
            ? { name: last.name, seriesId: last.seriesId }
            : null,
      };
    },
  };
}
