// POST /v1/context and GET /v1/context/stats through Fastify inject(), on a bare app with the
// project's validator, auth and error handler (buildApp wires the same plugin).
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryTokenCache } from '../../adapters/memory/token-cache.js';
import { createContextService } from '../../context/context-service.js';
import { createTestTokenizerRegistry } from '../../../test/support/test-tokenizers.js';
import { createTokenIdSource } from '../../context/token-id-source.js';
import { systemClock } from '../../domain/clock.js';
import { createSilentLogger } from '../../domain/logger.js';
import { installAuth } from '../auth.js';
import { installErrorHandler } from '../error-handler.js';
import { contextRoutes } from './context.js';

const logger = createSilentLogger();
const tokenizers = createTestTokenizerRegistry();
const memories = [
  { id: 'mem_1', text: 'The deploy script lives in scripts/deploy.sh and needs AWS_PROFILE set.' },
  { id: 'mem_2', text: 'Staging deploys run every night at 02:00 UTC' },
  { id: 'mem_3', text: 'Production deploys need two approvals 👍' },
];

async function makeApp() {
  const tokenIds = createTokenIdSource({
    cache: createMemoryTokenCache({
      maxBytes: 1 << 20,
      defaultTtlSeconds: 60,
      namespaceTtlSeconds: new Map(),
    }),
    clock: systemClock,
    logger,
  });
  const context = createContextService({
    recall: async ({ query, k }) =>
      memories
        .filter((memory) =>
          query.split(' ').some((word) => memory.text.toLowerCase().includes(word.toLowerCase())),
        )
        .slice(0, k)
        .map((memory, index) => ({ ...memory, score: 1 / (index + 1) })),
    tokenizers,
    tokenIds,
    clock: systemClock,
    logger,
  });
  const app = Fastify({
    // Widened to Fastify's logger type, as in buildApp, so the instance is an EngramApp.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuth(app, new Map());
  await app.register(contextRoutes(context, tokenIds));
  await app.ready();
  return app;
}

const app = await makeApp();
afterAll(async () => {
  await app.close();
});

describe('POST /v1/context', () => {
  it('returns text, exact token IDs, item spans and cache counts', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/context',
      payload: { query: 'deploy', tokenizer: 'cl100k_base', maxTokens: 200 },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      text: string;
      tokenIds: number[];
      tokenCount: number;
      items: Array<{ id: string; tokenStart: number; tokenEnd: number }>;
      cache: { hits: number; misses: number };
      timings: { recallMs: number; packMs: number };
    }>();
    const tokenizer = tokenizers.get('cl100k_base');
    expect(body.text).toBe(memories.map((memory) => memory.text).join('\n\n'));
    expect(body.tokenIds).toEqual(tokenizer.encode(body.text));
    expect(body.tokenCount).toBe(body.tokenIds.length);
    expect(body.items.map((item) => item.id)).toEqual(['mem_1', 'mem_2', 'mem_3']);
    expect(
      tokenizer.decode(body.tokenIds.slice(body.items[1]!.tokenStart, body.items[1]!.tokenEnd)),
    ).toBe(memories[1]!.text);
    expect(body.cache.misses).toBeGreaterThan(0);
    expect(body.timings.recallMs).toBeGreaterThanOrEqual(0);
    // Without asking, the answer is as it always was: no tokenOffsets.
    expect(body).not.toHaveProperty('tokenOffsets');
  });

  it('returns where each token starts in the text when asked (tokenOffsets: true)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/context',
      payload: { query: 'deploy', tokenizer: 'o200k_base', maxTokens: 200, tokenOffsets: true },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      text: string;
      tokenIds: number[];
      tokenOffsets: number[];
      items: Array<{ id: string; tokenStart: number; tokenEnd: number }>;
    }>();
    const tokenizer = tokenizers.get('o200k_base');
    expect(body.tokenOffsets).toHaveLength(body.tokenIds.length);
    // Every item's token span, sliced by the offsets, starts with the item's text.
    const memoryText = new Map(memories.map((memory) => [memory.id, memory.text]));
    for (const item of body.items) {
      const start = body.tokenOffsets[item.tokenStart]!;
      const end = body.tokenOffsets[item.tokenEnd] ?? body.text.length;
      expect(body.text.slice(start, end).startsWith(memoryText.get(item.id)!)).toBe(true);
    }
    // The emoji of the last memory: slicing at the offsets puts it back together.
    const pieces = body.tokenOffsets.map((start, i) =>
      body.text.slice(start, body.tokenOffsets[i + 1] ?? body.text.length),
    );
    expect(pieces.join('')).toBe(body.text);
    expect(pieces.some((piece) => piece.includes('👍'))).toBe(true);
    expect(body.tokenIds).toEqual(tokenizer.encode(body.text));
  });

  it('rejects a tokenOffsets that is not a boolean', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/context',
      payload: { query: 'deploy', tokenizer: 'o200k_base', maxTokens: 20, tokenOffsets: 'yes' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('answers an unknown tokenizer with 400 UNKNOWN_TOKENIZER naming the known ones', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/context',
      payload: { query: 'deploy', tokenizer: 'gpt2', maxTokens: 10 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'UNKNOWN_TOKENIZER', message: expect.stringContaining('o200k_base') },
    });
  });

  it.each([
    ['maxTokens 0', { query: 'q', tokenizer: 'o200k_base', maxTokens: 0 }],
    ['maxTokens too large', { query: 'q', tokenizer: 'o200k_base', maxTokens: 10_000_000 }],
    ['an empty query', { query: '', tokenizer: 'o200k_base', maxTokens: 10 }],
    ['a query too long', { query: 'q'.repeat(8_001), tokenizer: 'o200k_base', maxTokens: 10 }],
    [
      'a separator too long',
      { query: 'q', tokenizer: 'o200k_base', maxTokens: 10, separator: '-'.repeat(65) },
    ],
  ])('rejects %s with 400 VALIDATION_FAILED', async (_name, payload) => {
    const response = await app.inject({ method: 'POST', url: '/v1/context', payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });
});

describe('GET /v1/context/stats', () => {
  it('reports the token cache', async () => {
    await app.inject({
      method: 'POST',
      url: '/v1/context',
      payload: { query: 'deploy', tokenizer: 'o200k_base', maxTokens: 50 },
    });
    const response = await app.inject({ method: 'GET', url: '/v1/context/stats' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      backend: 'memory',
      breaker: 'none',
      tokenizers: ['o200k_base', 'cl100k_base', 'llama3', 'qwen3'],
      misses: expect.any(Number),
      bytes: expect.any(Number),
    });
  });
});
