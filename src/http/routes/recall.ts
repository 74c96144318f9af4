// POST /v1/recall: intent-aware hybrid recall over every memory tier, with each item's score
// breakdown, source and citation id (send used ids to POST /v1/memories/cited).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../domain/errors.js';
import { MAX_K, MAX_QUERY_CHARS, type RecallService } from '../../memory/recall/recall-service.js';
import { MEMORY_KINDS, MEMORY_TIERS } from '../../ports/memory-store.js';

const tierSchema = z.enum(MEMORY_TIERS);
const instant = z
  .union([z.iso.datetime({ offset: true }), z.number().int().nonnegative()])
  .describe('ISO 8601 time or ms since the epoch.');

const recallInput = z.object({
  query: z.string().min(1).max(MAX_QUERY_CHARS),
  sessionId: z.string().min(1).max(200).optional().describe('Only this session’s memories.'),
  userId: z
    .string()
    .min(1)
    .max(200)
    .nullable()
    .optional()
    .describe(
      'Only this user’s memories (null: only memories without a user). Omitted: the whole tenant.',
    ),
  k: z.number().int().min(1).max(MAX_K).default(10),
  tiers: z.array(tierSchema).min(1).max(3).optional(),
  timeRange: z
    .object({ from: instant.optional(), to: instant.optional() })
    .optional()
    .describe('A hard filter on when memories happened: from inclusive, to exclusive.'),
});

const scoreSchema = z.object({
  text: z
    .number()
    .describe('Full-text relevance, scaled to the best text hit (0 when not a text hit).'),
  textRank: z.number().nullable(),
  vector: z.number().describe('Vector similarity, scaled to the best vector hit.'),
  vectorRank: z.number().nullable(),
  base: z.number().describe('Text and vector combined, before context signals.'),
  question: z.number().describe('Share of the base lost because the text asks rather than tells.'),
  neighbour: z.number().describe('Credit from the best adjacent turn (a reply from its question).'),
  speaker: z.number().describe('Boost when the query names who said it.'),
  salience: z.number(),
  recency: z.number(),
  time: z.number(),
  fused: z.number(),
  similarity: z
    .number()
    .nullable()
    .describe('Cosine similarity of query and item vectors, unscaled (null: not a vector hit).'),
  coverage: z.number().describe('Share of the query’s content terms the returned text holds.'),
});

const itemSchema = z.object({
  id: z.string().describe('Citation id.'),
  tier: tierSchema,
  kind: z.enum([...MEMORY_KINDS, 'chunk', 'fact']),
  text: z.string(),
  occurredAt: z.string().nullable(),
  speaker: z.string().nullable(),
  source: z.object({
    turnIds: z.array(z.string()).optional(),
    memoryId: z.string().optional(),
    sessionId: z.string().nullable().optional(),
    documentId: z.string().optional(),
    chunkId: z.string().optional(),
    entityIds: z.array(z.string()).optional(),
    passage: z
      .object({ start: z.number().int(), end: z.number().int() })
      .optional()
      .describe(
        'Set when `text` is the passage of a long memory that best matches the query: offsets [start, end) into the full text in UTF-16 code units (an emoji counts two).',
      ),
  }),
  score: scoreSchema,
  confidence: z
    .number()
    .describe(
      'How likely this item holds what the query asks for (0–1), from absolute evidence (query–item vector similarity and the share of query terms it holds), calibrated on the development conversations. When even the best item is below ~0.3 there is probably nothing to find.',
    ),
});

const recallOutput = z.object({
  items: z.array(itemSchema),
  intent: z.string(),
  time: z
    .object({
      text: z.string(),
      from: z.string().optional(),
      to: z.string().optional(),
      monthOfYear: z.number().optional(),
    })
    .optional()
    .describe('The time the query named, used to favour memories from then.'),
  degraded: z.array(z.string()).optional(),
  timingsMs: z.record(z.string(), z.number()),
});

function toMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' ? value : Date.parse(value);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function recallRoutes(recall: RecallService): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/recall',
      {
        schema: {
          tags: ['memory'],
          summary:
            'Recall memories for a query: full-text and vector search per tier, fused with salience, recency and any time the query names.',
          body: recallInput,
          response: { 200: recallOutput },
        },
      },
      async (request) => {
        const body = request.body;
        const from = toMs(body.timeRange?.from);
        const to = toMs(body.timeRange?.to);
        if (from !== undefined && to !== undefined && from >= to) {
          throw new AppError('VALIDATION_FAILED', 'timeRange.from must be before timeRange.to.');
        }
        const result = await recall.recall({
          tenantId: request.tenantId,
          query: body.query,
          k: body.k,
          signal: request.workSignal,
          ...(body.sessionId === undefined ? {} : { sessionId: body.sessionId }),
          ...(body.userId === undefined ? {} : { userId: body.userId }),
          ...(body.tiers === undefined ? {} : { tiers: body.tiers }),
          ...(body.timeRange === undefined
            ? {}
            : {
                timeRange: {
                  ...(from === undefined ? {} : { from }),
                  ...(to === undefined ? {} : { to }),
                },
              }),
        });
        return {
          items: result.items.map((item) => ({
            ...item,
            occurredAt: item.occurredAt === null ? null : iso(item.occurredAt),
          })),
          intent: result.intent,
          ...(result.time === undefined
            ? {}
            : {
                time: {
                  text: result.time.text,
                  ...(result.time.from === undefined ? {} : { from: iso(result.time.from) }),
                  ...(result.time.to === undefined ? {} : { to: iso(result.time.to) }),
                  ...(result.time.monthOfYear === undefined
                    ? {}
                    : { monthOfYear: result.time.monthOfYear }),
                },
              }),
          ...(result.degraded === undefined ? {} : { degraded: result.degraded }),
          timingsMs: result.timingsMs,
        };
      },
    );
  };
}
