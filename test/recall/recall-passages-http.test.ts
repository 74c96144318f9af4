// POST /v1/recall and POST /v1/context over long assistant replies through the real HTTP app
// (SQLite, local embedder): a long reply answers with its best passage, whose offsets point into
// the stored message, and every new field (source.passage, score.similarity and coverage,
// confidence) passes the response schema; paging through context never packs a memory twice and
// its token IDs equal a fresh encoding of its text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import { ACME, createTestApp, TWO_TENANT_API_KEYS, type TestApp } from '../support/runtime.js';
import { createTestTokenizerRegistry } from '../support/test-tokenizers.js';

const filler = (i: number) =>
  `Step ${i}: review the rollout notes 😀 with the team,\r\nthen\tcheck the dashboards before lunch.`;
const longReply = (topic: string) =>
  [
    'Here is a plan.',
    Array.from({ length: 30 }, (_, i) => filler(i)).join(' '),
    `\`\`\`sh\n./deploy.sh --${topic}\n\n\n# retries 3\n\`\`\``,
    `The ${topic} migration window is Saturday 02:00 UTC, and the rollback takes 𝔣𝔦𝔳𝔢 minutes.`,
    Array.from({ length: 30 }, (_, i) => filler(i + 30)).join('\n\n'),
    '```\nunclosed fence at the end',
  ].join('\n\n');

interface RecallBody {
  items: Array<{
    id: string;
    text: string;
    source: { passage?: { start: number; end: number } };
    score: { similarity: number | null; coverage: number };
    confidence: number;
  }>;
}

describe('recall over long replies through HTTP', () => {
  let test: TestApp;
  let app: EngramApp;

  beforeAll(async () => {
    test = await createTestApp({ env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS } });
    app = test.app;
    const session = (
      await app.inject({ method: 'POST', url: '/v1/sessions', headers: ACME, payload: {} })
    ).json<{ id: string }>();
    const topics = ['billing', 'search', 'payments', 'login', 'reports', 'exports'];
    const turns = topics.flatMap((topic) => [
      { speaker: 'user', content: `When is the ${topic} migration window?` },
      { speaker: 'assistant', content: longReply(topic) },
    ]);
    const added = await app.inject({
      method: 'POST',
      url: `/v1/sessions/${session.id}/turns`,
      headers: ACME,
      payload: { turns },
    });
    expect(added.statusCode).toBe(201);
    await test.runtime.memory.settle();
  }, 120_000);
  afterAll(async () => {
    await test?.dispose();
  });

  it('answers a long reply with its best passage, offsets into the message, schema-valid', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/recall',
      headers: ACME,
      payload: { query: 'When is the payments migration window?', k: 20 },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<RecallBody>();
    const withPassage = body.items.filter((i) => i.source.passage !== undefined);
    expect(withPassage.length).toBeGreaterThan(0);
    for (const item of body.items) {
      expect(item.confidence).toBeGreaterThanOrEqual(0);
      expect(item.confidence).toBeLessThanOrEqual(1);
      expect(Number.isFinite(item.score.coverage)).toBe(true);
    }
    const best = withPassage.find((i) => i.text.includes('payments migration window'));
    expect(best).toBeDefined();
    const [stored] = await test.runtime.memory.store.getByIds('acme', [best!.id]);
    const { start, end } = best!.source.passage!;
    expect(stored!.text.slice(start, end)).toBe(best!.text);
  });

  it('pages of the same ranking never repeat a memory', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 30; offset += 5) {
      const page = await test.runtime.recall.recall({
        tenantId: 'acme',
        query: 'migration window rollback',
        k: 5,
        offset,
      });
      seen.push(...page.items.map((i) => i.id));
    }
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('context spends its budget on passages, with exact token IDs', async () => {
    const tokenizer = createTestTokenizerRegistry().get('o200k_base');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/context',
      headers: ACME,
      payload: {
        query: 'When is the login migration window?',
        tokenizer: 'o200k_base',
        maxTokens: 4000,
      },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      text: string;
      tokenIds: number[];
      items: Array<{ id: string }>;
    }>();
    expect(body.tokenIds).toEqual(tokenizer.encode(body.text));
    expect(new Set(body.items.map((i) => i.id)).size).toBe(body.items.length);
    expect(body.text).toContain('login migration window');
  });
});
