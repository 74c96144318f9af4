// ContextService end to end over real data: a keyword recall over memories created here, the
// in-process token cache, and every tokenizer.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMemoryTokenCache } from '../adapters/memory/token-cache.js';
import { systemClock } from '../domain/clock.js';
import { createSilentLogger } from '../domain/logger.js';
import { createContextService, type ContextRecall } from './context-service.js';
import {
  ALL_TEST_TOKENIZERS,
  createTestTokenizerRegistry,
} from '../../test/support/test-tokenizers.js';
import { createTokenIdSource } from './token-id-source.js';

const registry = createTestTokenizerRegistry();

const MEMORIES = [
  'Ada Lovelace wrote the first published algorithm for the Analytical Engine.',
  'The Analytical Engine was designed by Charles Babbage in 1837',
  'Grace Hopper built the first compiler, A-0, in 1952; she also popularised "debugging".',
  'Alan Turing described a universal machine in 1936 — the Turing machine 🤖',
  'ENIAC was completed in 1945 at the University of Pennsylvania',
  '日本の最初のコンピュータは FUJIC です。',
  'A user once typed <|endoftext|> into a memory; it must stay plain text.',
  '  Leading and trailing whitespace is trimmed from memories.  \n',
  'Linus Torvalds released Linux in 1991. /usr/bin is a directory.',
  '/etc/hosts maps host names to addresses',
];

/** Keyword recall over MEMORIES: items sharing a word with the query, best overlap first. */
export function keywordRecall(memories: readonly string[]): ContextRecall & { calls: number } {
  const recall = async (input: { query: string; offset: number; k: number }) => {
    recall.calls += 1;
    const words = new Set(
      input.query
        .toLowerCase()
        .split(/\W+/u)
        .filter((word) => word.length > 2),
    );
    return memories
      .map((text, index) => ({
        id: `mem_${index}`,
        text,
        score: text
          .toLowerCase()
          .split(/\W+/u)
          .filter((word) => words.has(word)).length,
      }))
      .filter((item) => item.score > 0)
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .slice(input.offset, input.offset + input.k);
  };
  recall.calls = 0;
  return recall;
}

function makeService(options: { maxBytes?: number; memories?: readonly string[] } = {}) {
  const cache = createMemoryTokenCache({
    maxBytes: options.maxBytes ?? 8 * 1024 * 1024,
    defaultTtlSeconds: 3600,
    namespaceTtlSeconds: new Map(),
  });
  const metrics = new Registry();
  const tokenIds = createTokenIdSource({
    cache,
    clock: systemClock,
    logger: createSilentLogger(),
    metrics,
  });
  const recall = keywordRecall(options.memories ?? MEMORIES);
  const service = createContextService({
    recall,
    tokenizers: registry,
    tokenIds,
    clock: systemClock,
    logger: createSilentLogger(),
  });
  return { service, tokenIds, metrics, recall, cache };
}

const QUERY = 'first machine engine compiler computer linux hosts whitespace memory published';

describe.each(ALL_TEST_TOKENIZERS)('ContextService with %s', (name) => {
  const tokenizer = registry.get(name);

  it('returns exact token IDs within budget, then serves them from the cache', async () => {
    const { service, tokenIds } = makeService();
    const cold = await service.build({
      tenantId: 't1',
      query: QUERY,
      tokenizer: name,
      maxTokens: 120,
    });
    expect(cold.tokenIds).toEqual(tokenizer.encode(cold.text));
    expect(cold.tokenCount).toBeLessThanOrEqual(120);
    expect(cold.items.length).toBeGreaterThan(1);
    expect(cold.cache.misses).toBeGreaterThan(0);
    await tokenIds.flush();
    const warm = await service.build({
      tenantId: 't1',
      query: QUERY,
      tokenizer: name,
      maxTokens: 120,
    });
    expect(warm.cache.misses).toBe(0);
    expect(warm.cache.hits).toBeGreaterThan(0);
    expect(warm.tokenIds).toEqual(cold.tokenIds);
    expect(warm.text).toBe(cold.text);
    for (const item of warm.items) {
      const decoded = tokenizer.decode(warm.tokenIds.slice(item.tokenStart, item.tokenEnd));
      const memory = MEMORIES[Number(item.id.slice(4))]!.trim();
      expect([memory, `${memory}\n\n`]).toContain(decoded);
    }
  });

  it.each([
    [
      'a memory ending in a letter: one text',
      'The only memory about the engine, repeated by nobody',
      1,
    ],
    // Ending in "." its IDs cannot be cut from "memory\n\n" (".\n\n" is one token): the unit
    // and the memory alone are two texts, each tokenized once.
    [
      'a memory ending in punctuation: two texts',
      'The only memory about the engine, repeated by nobody.',
      2,
    ],
  ])(
    'shares one tokenization per text among 100 concurrent identical requests (%s)',
    async (_case, text, texts) => {
      const { service, tokenIds } = makeService({ memories: [text] });
      const results = await Promise.all(
        Array.from({ length: 100 }, () =>
          service.build({ tenantId: 't1', query: 'engine', tokenizer: name, maxTokens: 500 }),
        ),
      );
      await tokenIds.flush();
      expect((await tokenIds.stats()).tokenizations).toBe(texts);
      expect(new Set(results.map((result) => result.tokenIds.join(','))).size).toBe(1);
      expect(results[0]!.tokenIds).toEqual(tokenizer.encode(text));
    },
  );
});

describe('ContextService', () => {
  it('rejects an unknown tokenizer before recalling, naming the known ones', async () => {
    const { service, recall } = makeService();
    await expect(
      service.build({ tenantId: 't1', query: 'x', tokenizer: 'gpt2', maxTokens: 10 }),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_TOKENIZER',
      message: expect.stringContaining('o200k_base, cl100k_base, llama3, qwen3'),
    });
    expect(recall.calls).toBe(0);
  });

  it('warms a namespace so the first build is all hits', async () => {
    const { service, tokenIds } = makeService();
    const result = await service.warm({
      tenantId: 't1',
      namespace: 'docs',
      tokenizers: ['o200k_base', 'qwen3'],
      texts: MEMORIES,
    });
    expect(result.tokenized).toBe(result.entries);
    const again = await service.warm({
      tenantId: 't1',
      namespace: 'docs',
      tokenizers: ['o200k_base'],
      texts: MEMORIES,
    });
    expect(again.alreadyCached).toBe(again.entries);
    const built = await service.build({
      tenantId: 't1',
      query: QUERY,
      tokenizer: 'qwen3',
      maxTokens: 300,
      namespace: 'docs',
    });
    expect(built.cache).toEqual({ hits: built.cache.hits, misses: 0 });
    expect(built.cache.hits).toBeGreaterThan(0);
    // Another tenant shares nothing.
    const other = await service.build({
      tenantId: 't2',
      query: QUERY,
      tokenizer: 'qwen3',
      maxTokens: 300,
      namespace: 'docs',
    });
    expect(other.cache.hits).toBe(0);
    await tokenIds.flush();
  });

  it('keeps the in-process cache within its byte budget, counting evictions', async () => {
    const memories = Array.from(
      { length: 60 },
      (_, index) => `Memory number ${index} about the engine ${'and more words '.repeat(20)}`,
    );
    const { service, tokenIds } = makeService({ maxBytes: 16 * 1024, memories });
    await service.build({
      tenantId: 't1',
      query: 'engine',
      tokenizer: 'o200k_base',
      maxTokens: 8000,
    });
    await tokenIds.flush();
    const stats = await tokenIds.stats();
    expect(stats.bytes).toBeLessThanOrEqual(16 * 1024);
    expect(stats.evictions).toBeGreaterThan(0);
  });

  it('exposes hits, misses, latencies, bytes and breaker state as Prometheus metrics', async () => {
    const { service, metrics, tokenIds } = makeService();
    await service.build({ tenantId: 't1', query: QUERY, tokenizer: 'o200k_base', maxTokens: 100 });
    await tokenIds.flush();
    await service.build({ tenantId: 't1', query: QUERY, tokenizer: 'o200k_base', maxTokens: 100 });
    const text = await metrics.metrics();
    expect(text).toMatch(/engram_context_token_cache_hits_total\{tokenizer="o200k_base"\} [1-9]/);
    expect(text).toMatch(/engram_context_token_cache_misses_total\{tokenizer="o200k_base"\} [1-9]/);
    expect(text).toContain(
      'engram_context_token_cache_lookup_seconds_bucket{le="0.001",result="hit"}',
    );
    expect(text).toMatch(/engram_context_token_cache_bytes [1-9]/);
    expect(text).toContain('engram_context_token_cache_breaker_state{state="none"} 1');
  });
});
