// GET /v1/metrics/otlp: the OTLP metric series a tenant's exporters sent (POST /otlp/v1/metrics),
// per step of a window: what each sum and histogram added, each gauge's last / min / max / mean.
// Paged like the other lists: limit, and the nextCursor of a page passed back as cursor.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MetricSeriesService, SeriesPosition } from '../../telemetry/otlp/metric-series.js';
import { decodeCursor, encodeCursor } from '../json-cursor.js';
import { STEPS, WINDOWS, type StepName, type WindowName } from '../../telemetry/service.js';

const attributes = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const buckets = z.object({ offset: z.number(), counts: z.array(z.number()) });
const histogramCommon = {
  count: z.number(),
  sum: z.number().nullable(),
  min: z.number().nullable().describe('Known for delta points only'),
  max: z.number().nullable(),
};
const stepValue = z.union([
  z
    .object({
      value: z.number().describe('What the sum added in the step (net change if not monotonic)'),
      last: z.number().nullable().describe('Latest running total (cumulative sums)'),
    })
    .describe('sum'),
  z
    .object({
      last: z.number(),
      min: z.number(),
      max: z.number(),
      mean: z.number(),
      samples: z.number(),
    })
    .describe('gauge'),
  z
    .object({
      ...histogramCommon,
      bounds: z.array(z.number()),
      counts: z.array(z.number()).nullable().describe('null when the bounds changed in the step'),
    })
    .describe('histogram'),
  z
    .object({
      ...histogramCommon,
      scale: z.number(),
      zeroCount: z.number(),
      positive: buckets,
      negative: buckets,
    })
    .describe('exponential_histogram'),
]);

/** Where a page of series ended: the metric name and series id of its last series. */
const seriesCursor = z
  .tuple([z.string().max(200), z.string().regex(/^[0-9a-f]{1,64}$/)])
  .transform(([name, seriesId]): SeriesPosition => ({ name, seriesId }));

const seriesSchema = z.object({
  seriesId: z.string().describe('Hash of the series identity (the fields below)'),
  name: z.string(),
  kind: z.enum(['sum', 'gauge', 'histogram', 'exponential_histogram']),
  unit: z.string(),
  temporality: z.enum(['delta', 'cumulative', 'unspecified']),
  monotonic: z.boolean(),
  resource: attributes,
  attributes,
  total: stepValue.nullable(),
  points: z.array(z.object({ start: z.string(), value: stepValue })),
});

export function metricSeriesRoutes(series: MetricSeriesService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/v1/metrics/otlp',
      {
        schema: {
          tags: ['telemetry'],
          summary: 'OTLP metric series (sums, gauges, histograms) per step over a window.',
          description:
            'One entry per series (metric name, kind, unit, temporality, resource and point attributes) with data ' +
            'in the window; points only for steps with data, oldest first. Cumulative values become per-step ' +
            'increments (restarts detected from the start time or a falling value). Ordered by metric name, then ' +
            'series id; paged: pass the nextCursor of a page as cursor for the next one (null on the last page). ' +
            'See docs/telemetry.md.',
          querystring: z.object({
            window: z
              .enum(Object.keys(WINDOWS) as [WindowName, ...WindowName[]])
              .default('1h')
              .describe('How far back from now'),
            step: z.enum(Object.keys(STEPS) as [StepName, ...StepName[]]).default('5m'),
            name: z.string().min(1).max(200).optional().describe('Only series of this metric'),
            limit: z.coerce
              .number()
              .int()
              .min(1)
              .max(1000)
              .default(100)
              .describe('Series per page'),
            cursor: z.string().min(1).max(500).optional(),
          }),
          response: {
            200: z.object({
              window: z.string(),
              step: z.string(),
              from: z.string(),
              to: z.string(),
              seriesHeld: z.number().describe('Series the tenant holds (all metrics)'),
              maxSeries: z.number().describe('ENGRAM_OTLP_MAX_SERIES_PER_TENANT'),
              series: z.array(seriesSchema),
              nextCursor: z.string().nullable().describe('Null on the last page'),
            }),
          },
        },
      },
      async (request) => {
        const { window, step, name, limit, cursor } = request.query;
        const { next, ...page } = await series.read(request.tenantId, {
          window,
          step,
          limit,
          ...(name === undefined ? {} : { name }),
          ...(cursor === undefined ? {} : { after: decodeCursor(cursor, seriesCursor) }),
        });
        return {
          ...page,
          nextCursor: next === null ? null : encodeCursor([next.name, next.seriesId]),
        };
      },
    );
  };
}
