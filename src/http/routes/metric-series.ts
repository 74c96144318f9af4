// GET /v1/metrics/otlp: the OTLP metric series a tenant's exporters sent (POST /otlp/v1/metrics),
// per step of a window: what each sum and histogram added, each gauge's last / min / max / mean.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MetricSeriesService } from '../../telemetry/otlp/metric-series.js';
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

const seriesSchema = z.object({
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
            'increments (restarts detected from the start time or a falling value). See docs/telemetry.md.',
          querystring: z.object({
            window: z
              .enum(Object.keys(WINDOWS) as [WindowName, ...WindowName[]])
              .default('1h')
              .describe('How far back from now'),
            step: z.enum(Object.keys(STEPS) as [StepName, ...StepName[]]).default('5m'),
            name: z.string().min(1).max(200).optional().describe('Only series of this metric'),
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
            }),
          },
        },
      },
      async (request) => {
        const { window, step, name } = request.query;
        return series.read(request.tenantId, {
          window,
          step,
          ...(name === undefined ? {} : { name }),
        });
      },
    );
  };
}
