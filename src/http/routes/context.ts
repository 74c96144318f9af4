// Context endpoints: POST /v1/context (recall packed into a token budget, as text and exact token
// IDs for a named tokenizer) and GET /v1/context/stats (the token cache).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_TOKENS_LIMIT } from '../../context/context-limits.js';
import type { ContextService } from '../../context/context-service.js';
import type { TokenIdSource } from '../../context/token-id-source.js';
import { MAX_QUERY_CHARS } from '../../memory/recall/recall-service.js';
export const MAX_SEPARATOR_CHARS = 64;

const idSchema = z.string().min(1).max(200);

export const contextRequestSchema = z.object({
  query: z.string().min(1).max(MAX_QUERY_CHARS),
  sessionId: idSchema.optional(),
  userId: idSchema.optional(),
  namespace: z
    .string()
    .regex(/^[\w.:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . : -')
    .optional()
    .describe(
      'Picks the token-cache TTL (ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS). It does not scope recall: memories have no namespace (sessionId and userId scope recall).',
    ),
  tokenizer: z
    .string()
    .min(1)
    .max(64)
    .describe('o200k_base, cl100k_base, or a name from ENGRAM_TOKENIZERS.'),
  maxTokens: z.number().int().min(1).max(MAX_TOKENS_LIMIT),
  separator: z
    .string()
    .max(MAX_SEPARATOR_CHARS)
    .optional()
    .describe('Placed between items; default "\\n\\n".'),
  tokenOffsets: z
    .boolean()
    .optional()
    .describe('Also return tokenOffsets: where each token starts in text. Default false.'),
});

const latencySchema = z.object({ count: z.number(), p50: z.number(), p95: z.number() });

export const contextResponseSchema = z.object({
  text: z.string(),
  tokenIds: z.array(z.number().int()).describe('Exactly tokenizer.encode(text).'),
  tokenCount: z.number().int(),
  items: z
    .array(
      z.object({
        id: z.string().describe('Citation id of the recalled item.'),
        tokenStart: z.number().int(),
        tokenEnd: z
          .number()
          .int()
          .describe(
            'Exclusive. tokenIds[tokenStart:tokenEnd] decodes to the item, plus the separator where one token holds both.',
          ),
      }),
    )
    .describe('Items in order; spans never overlap.'),
  tokenOffsets: z
    .array(z.number().int())
    .optional()
    .describe(
      "Only when the request sets tokenOffsets: the UTF-16 index in text where each token starts (text.slice(tokenOffsets[i], tokenOffsets[i + 1]) is token i). A token that starts inside a character (byte-level BPE) gets that character's start, so the slice of the token before it holds the whole character.",
    ),
  truncated: z.boolean().describe('True when recalled items were left out to fit maxTokens.'),
  tokenizer: z.object({ id: z.string(), version: z.string() }),
  cache: z.object({ hits: z.number().int(), misses: z.number().int() }),
  timings: z.object({ recallMs: z.number(), packMs: z.number() }),
});

export const contextStatsSchema = z.object({
  backend: z.enum(['memory', 'redis']),
  hits: z.number(),
  misses: z.number(),
  hitRate: z.number(),
  tokenizations: z.number(),
  inFlight: z.number(),
  entries: z.number(),
  bytes: z.number(),
  maxBytes: z.number(),
  evictions: z.number(),
  errors: z.number(),
  breaker: z.enum(['closed', 'open', 'half-open', 'none']),
  tiers: z
    .object({
      localHits: z.number().describe('Keys answered from process memory, without a Redis call.'),
      redisHits: z.number().describe('Keys the in-process tier missed and Redis answered.'),
      local: z.object({
        entries: z.number(),
        bytes: z.number(),
        maxBytes: z.number(),
        evictions: z.number(),
      }),
    })
    .optional()
    .describe(
      'With Redis and an in-process tier in front of it; the other fields are Redis figures.',
    ),
  hitLatencyMs: latencySchema,
  missLatencyMs: latencySchema,
  tokenizers: z.array(z.string()),
});

export function contextRoutes(
  context: ContextService,
  tokenIds: TokenIdSource,
): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/context',
      {
        schema: {
          tags: ['context'],
          summary:
            'Recall for a query and pack it into maxTokens: the text and its exact token IDs.',
          body: contextRequestSchema,
          response: { 200: contextResponseSchema },
        },
        // The schema documents the response (OpenAPI); validating 8k token IDs on every response
        // would cost more CPU than packing them (~0.5 ms), and BuiltContext is typed, so plain
        // JSON.stringify serialises it. Error responses go through the error handler as usual.
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request) =>
        context.build({ tenantId: request.tenantId, ...request.body, signal: request.workSignal }),
    );

    app.get(
      '/v1/context/stats',
      {
        schema: {
          tags: ['context'],
          summary: 'Token cache: hits, misses, latencies, bytes, evictions, breaker state.',
          response: { 200: contextStatsSchema },
        },
      },
      async () => ({ ...(await tokenIds.stats()), tokenizers: context.tokenizerNames() }),
    );
  };
}
