// POST /v1/context end to end: the real runtime (embedded SQLite, local embedder, real recall),
// turns in through the sessions API, context out for every tokenizer, per tenant; the token cache
// in process and, when the local server runs, in Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropRedisPrefix,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../../test/support/backends.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { buildApp } from '../http/app.js';
import type { EngramApp } from '../http/engram-app.js';
import {
  ALL_TEST_TOKENIZERS,
  createTestTokenizerRegistry,
  TEST_TOKENIZER_PATHS,
} from '../../test/support/test-tokenizers.js';

const ACME = { authorization: 'Bearer key-for-acme-0123456789' };
const UMBRELLA = { authorization: 'Bearer key-for-umbrella-012345' };
const tokenizers = createTestTokenizerRegistry();
const redisUp = await redisAvailable();

interface ContextBody {
  text: string;
  tokenIds: number[];
  tokenCount: number;
  items: Array<{ id: string; tokenStart: number; tokenEnd: number }>;
  truncated: boolean;
  cache: { hits: number; misses: number };
}

for (const backend of ['memory', 'redis'] as const) {
  describe(`POST /v1/context with the ${backend} token cache`, () => {
    let test: TestRuntime | undefined;
    let app: EngramApp;
    const prefix = `${uniqueName('engram_test_ctx')}:`;

    beforeAll(async () => {
      if (backend === 'redis' && !redisUp) return;
      test = await createTestRuntime({
        env: {
          ENGRAM_API_KEYS: 'key-for-acme-0123456789:acme,key-for-umbrella-012345:umbrella',
          // With API keys set, /metrics opens only with the metrics token.
          ENGRAM_METRICS_TOKEN: 'metrics-token-0123456789',
          ENGRAM_TOKENIZERS: [...TEST_TOKENIZER_PATHS]
            .map(([name, path]) => `${name}=${path}`)
            .join(','),
          ENGRAM_TOKEN_CACHE_NAMESPACE_TTLS: '{"chat":600}',
          ...(backend === 'redis'
            ? { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix }
            : {}),
        },
      });
      app = await buildApp(test.runtime);
      const session = (
        await app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: ACME,
          payload: { userId: 'ada' },
        })
      ).json<{ id: string }>();
      const added = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: {
          turns: [
            {
              speaker: 'Ada',
              content: 'My deploy script lives in scripts/deploy.sh and needs AWS_PROFILE=prod.',
            },
            { speaker: 'Bot', content: 'Noted: deploys need AWS_PROFILE set to prod 🚀' },
            {
              speaker: 'Ada',
              content: 'Also, never deploy on Fridays. <|endoftext|> is not a token here.',
            },
            { speaker: 'Ada', content: '日本語のメモ: デプロイは月曜日に。' },
          ],
        },
      });
      expect(added.statusCode).toBe(201);
      await test.runtime.memory.settle();
    }, 120_000);

    afterAll(async () => {
      if (test === undefined) return;
      await app.close();
      await test.dispose();
      if (backend === 'redis') await dropRedisPrefix(prefix);
    });

    it.for(ALL_TEST_TOKENIZERS)(
      'packs recalled memories into exact %s token IDs',
      async (name, ctx) => {
        if (test === undefined) return ctx.skip('Redis is not reachable');
        const tokenizer = tokenizers.get(name);
        const request = {
          query: 'how do I deploy?',
          tokenizer: name,
          maxTokens: 200,
          namespace: 'chat',
        };
        const response = await app.inject({
          method: 'POST',
          url: '/v1/context',
          headers: ACME,
          payload: request,
        });
        expect(response.statusCode).toBe(200);
        const body = response.json<ContextBody>();
        expect(body.items.length).toBeGreaterThan(0);
        expect(body.tokenIds).toEqual(tokenizer.encode(body.text));
        expect(body.tokenCount).toBeLessThanOrEqual(200);
        expect(body.text).toContain('scripts/deploy.sh');
        for (const item of body.items) {
          const decoded = tokenizer.decode(body.tokenIds.slice(item.tokenStart, item.tokenEnd));
          expect(body.text).toContain(decoded);
          expect(decoded.trim().length).toBeGreaterThan(0);
        }
        await test.runtime.tokenIds.flush();
        const again = (
          await app.inject({ method: 'POST', url: '/v1/context', headers: ACME, payload: request })
        ).json<ContextBody>();
        expect(again.tokenIds).toEqual(body.tokenIds);
        expect(again.cache.misses).toBe(0);
      },
    );

    it('keeps tenants apart and reports the cache', async (ctx) => {
      if (test === undefined) return ctx.skip('Redis is not reachable');
      const other = await app.inject({
        method: 'POST',
        url: '/v1/context',
        headers: UMBRELLA,
        payload: { query: 'how do I deploy?', tokenizer: 'o200k_base', maxTokens: 200 },
      });
      expect(other.statusCode).toBe(200);
      expect(other.json<ContextBody>().items).toEqual([]);

      const stats = await app.inject({ method: 'GET', url: '/v1/context/stats', headers: ACME });
      expect(stats.json()).toMatchObject({
        backend,
        breaker: backend === 'redis' ? 'closed' : 'none',
      });
      // With Redis, an in-process tier sits in front: the repeated request was answered there.
      const tiers = stats.json<{ tiers?: { localHits: number } }>().tiers;
      if (backend === 'redis') expect(tiers?.localHits).toBeGreaterThan(0);
      else expect(tiers).toBeUndefined();
      const metrics = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      });
      expect(metrics.body).toContain('engram_context_token_cache_hits_total');
      expect(metrics.body).toContain('engram_context_token_cache_lookup_seconds_bucket');
      if (backend === 'redis')
        expect(metrics.body).toMatch(/engram_context_token_cache_tier_hits\{tier="local"\} [1-9]/);
    });
  });
}
