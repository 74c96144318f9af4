// Telemetry endpoints: event batches in (POST /v1/events), metric summary and series out, and
// the dead-letter list (cursor-paged) with replay. A stream whose backlog is at its bound
// refuses a batch whole: 503, with Retry-After from the shared error handler.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  STEPS,
  WINDOWS,
  type StepName,
  type TelemetryService,
  type WindowName,
} from '../../telemetry/service.js';

export interface TelemetryRouteOptions {
  /** Largest POST /v1/events body, bytes. */
  batchMaxBytes: number;
}

const windowSchema = z
  .enum(Object.keys(WINDOWS) as [WindowName, ...WindowName[]])
  .default('1h')
  .describe('How far back from now');
const stepSchema = z.enum(Object.keys(STEPS) as [StepName, ...StepName[]]).default('1m');
const filterSchema = {
  window: windowSchema,
  agentId: z.string().min(1).max(200).optional(),
  tool: z.string().min(1).max(200).optional().describe('Narrows the tool figures to one tool'),
};

const latencySchema = z.object({
  count: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
});

const callFields = {
  count: z.number(),
  errors: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number().describe('Input tokens read from the prompt cache'),
  cacheWriteTokens: z.number().describe('Input tokens written to the prompt cache'),
  cost: z.number().describe('USD: as reported, else priced from the model price table'),
};

const summarySchema = z.object({
  window: z.string(),
  from: z.string(),
  to: z.string(),
  relativeError: z
    .number()
    .describe('Every quantile is within this relative error of the exact value'),
  events: z.number(),
  modelCalls: z.object({
    ...callFields,
    latencyMs: latencySchema,
    byModel: z
      .array(z.object({ model: z.string(), ...callFields }))
      .describe('Per model, most cost first'),
  }),
  byAgent: z
    .array(
      z.object({
        agentId: z.string(),
        events: z.number(),
        toolCalls: z.number(),
        ...callFields,
      }),
    )
    .describe('Per agent (agentId; service.name or gen_ai.agent.name for OTLP), most cost first'),
  suggestions: z.object({
    shown: z.number(),
    accepted: z.number(),
    rejected: z.number(),
    acceptanceRate: z.number().nullable().describe('accepted / (accepted + rejected)'),
    latencyMs: latencySchema,
  }),
  tools: z.object({
    calls: z.number(),
    successes: z.number(),
    successRate: z.number().nullable(),
    durationMs: latencySchema,
    byTool: z.array(
      z.object({
        tool: z.string(),
        calls: z.number(),
        successes: z.number(),
        successRate: z.number().nullable(),
        durationMs: latencySchema,
      }),
    ),
  }),
  sessions: z.object({
    started: z.number(),
    ended: z.number(),
    meanDurationMs: z.number().nullable(),
    toolsPerMinute: z.number().nullable(),
  }),
  productivityScore: z.number().nullable().describe('0–100; formula in docs/telemetry.md'),
});

const pointSchema = z.object({
  start: z.string(),
  events: z.number(),
  modelCalls: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  cost: z.number(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  latencyP99Ms: z.number().nullable(),
  suggestionsAccepted: z.number(),
  suggestionsRejected: z.number(),
  acceptanceRate: z.number().nullable(),
  toolCalls: z.number(),
  toolSuccessRate: z.number().nullable(),
});

// A dead-letter id as the stores make them: a row number (SQLite, PostgreSQL) or a Redis stream
// id ("ms-seq"); each part fits a signed 64-bit integer, so no store is asked about anything else.
const INT64_MAX = 9_223_372_036_854_775_807n;
const DEAD_LETTER_ID = /^\d{1,19}(?:-\d{1,19})?$/;
export const deadLetterIdSchema = z
  .string()
  .refine(
    (id) => DEAD_LETTER_ID.test(id) && id.split('-').every((part) => BigInt(part) <= INT64_MAX),
    { message: 'must be a dead-letter id from GET /v1/telemetry/dlq' },
  );

const deadLetterSchema = z.object({
  id: z.string(),
  originalId: z.string(),
  event: z.string().describe('The entry as it was in the stream (JSON text)'),
  error: z.string(),
  deliveries: z.number(),
  failedAt: z.string(),
});

export function telemetryRoutes(
  service: TelemetryService,
  options: TelemetryRouteOptions,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/events',
      {
        bodyLimit: options.batchMaxBytes,
        schema: {
          tags: ['telemetry'],
          summary: 'Append a batch of agent events to the telemetry stream.',
          description:
            'Each event is validated on its own: a bad one is rejected with its index and reason, the good ones are ' +
            'durably appended before the answer. Event types: model_call, suggestion, tool_call, session_start, ' +
            'session_end; each with eventId (idempotency key), ts, sessionId, agentId.',
          body: z.object({ events: z.array(z.unknown()).min(1) }),
          response: {
            202: z.object({
              accepted: z.number(),
              rejected: z.array(
                z.object({ index: z.number(), code: z.string(), message: z.string() }),
              ),
            }),
          },
        },
      },
      async (request, reply) => {
        const result = await service.ingest(request.tenantId, request.body.events);
        return reply.status(202).send(result);
      },
    );

    app.get(
      '/v1/metrics/summary',
      {
        schema: {
          tags: ['telemetry'],
          summary:
            'Latency quantiles, acceptance, tool usage, sessions and productivity over a window.',
          querystring: z.object(filterSchema),
          response: { 200: summarySchema },
        },
      },
      async (request) => {
        const { window, agentId, tool } = request.query;
        return service.summary(request.tenantId, {
          window,
          ...(agentId === undefined ? {} : { agentId }),
          ...(tool === undefined ? {} : { tool }),
        });
      },
    );

    app.get(
      '/v1/metrics/series',
      {
        schema: {
          tags: ['telemetry'],
          summary: 'The main figures per step over a window, oldest first.',
          querystring: z.object({ ...filterSchema, step: stepSchema }),
          response: { 200: z.object({ step: z.string(), points: z.array(pointSchema) }) },
        },
      },
      async (request) => {
        const { window, agentId, tool, step } = request.query;
        return service.series(request.tenantId, {
          window,
          step,
          ...(agentId === undefined ? {} : { agentId }),
          ...(tool === undefined ? {} : { tool }),
        });
      },
    );

    app.get(
      '/v1/telemetry/dlq',
      {
        schema: {
          tags: ['telemetry'],
          summary: 'Events that failed maxDeliveries times, with their last error, oldest first.',
          description:
            'Paged: pass the nextCursor of a page as cursor for the next one; nextCursor is null on the last page.',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            cursor: z.string().min(1).max(100).optional(),
          }),
          response: {
            200: z.object({
              deadLetters: z.array(deadLetterSchema),
              nextCursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const page = await service.deadLetters(request.tenantId, {
          limit,
          ...(cursor === undefined ? {} : { after: cursor }),
        });
        return {
          nextCursor: page.next ?? null,
          deadLetters: page.deadLetters.map((d) => ({
            id: d.id,
            originalId: d.originalId,
            event: d.payload,
            error: d.error,
            deliveries: d.deliveries,
            failedAt: new Date(d.failedAt).toISOString(),
          })),
        };
      },
    );

    app.post(
      '/v1/telemetry/dlq/replay',
      {
        schema: {
          tags: ['telemetry'],
          summary: "Put dead letters back on the stream (all of the tenant's, or the ids given).",
          body: z.object({ ids: z.array(deadLetterIdSchema).max(10_000).optional() }).default({}),
          response: { 200: z.object({ replayed: z.number() }) },
        },
      },
      async (request) => ({
        replayed: await service.replayDeadLetters(request.tenantId, request.body.ids),
      }),
    );
  };
}
