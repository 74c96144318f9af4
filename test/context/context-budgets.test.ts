// Context at every budget on the real runtime: embedded SQLite, the local embedder, real recall
// over a few hundred stored turns and their episodes. Budgets past what one recall page holds
// (100 items) used to answer 400, and queries past 2,000 characters 413; now every budget from 1
// to MAX_TOKENS_LIMIT takes the same paging path, and the property holds: tokenIds equals a fresh
// encode(text) and never exceeds maxTokens.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOKENS_LIMIT } from '../../src/context/context-limits.js';
import type { EngramApp } from '../../src/http/engram-app.js';
import { contextRequestSchema } from '../../src/http/routes/context.js';
import { MAX_K } from '../../src/memory/recall/recall-service.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { createTestTokenizerRegistry } from '../support/test-tokenizers.js';

const tokenizers = createTestTokenizerRegistry();
const TENANT = 'default';
const USER = 'ada';

const SUBJECTS = [
  'The deploy',
  'Grace',
  'Our Berlin office',
  'The cache',
  'Ada',
  'The nightly job',
];
const VERBS = ['needs', 'moved to', 'broke after', 'depends on', 'was fixed by', 'talks about'];
const OBJECTS = [
  'AWS_PROFILE=prod',
  'Lisbon last spring',
  'the Friday release 🚀',
  'scripts/deploy.sh --force',
  'a 3 GB index',
  'the team in 東京',
  'version 2.4.1',
  '<|endoftext|> in a log line',
];
const WORDS = [...SUBJECTS, ...VERBS, ...OBJECTS].join(' ').split(/\s+/);

/** A deterministic turn of 1–4 sentences, so the corpus is the same on every run. */
function turnText(index: number): string {
  const pick = <T>(list: readonly T[], salt: number) =>
    list[(index * 7 + salt * 13) % list.length]!;
  const sentences = 1 + (index % 4);
  const parts: string[] = [];
  for (let s = 0; s < sentences; s += 1)
    parts.push(
      `${pick(SUBJECTS, s)} ${pick(VERBS, s + 1)} ${pick(OBJECTS, s + 2)} (note ${index}).`,
    );
  return parts.join(' ');
}

describe('POST /v1/context over real recall, at any budget', () => {
  let test: TestApp;
  let app: EngramApp;

  beforeAll(async () => {
    test = await createTestApp();
    app = test.app;
    const memory = test.runtime.memory;
    for (let s = 0; s < 24; s += 1) {
      const session = await memory.createSession(TENANT, { userId: USER });
      const turns = Array.from({ length: 12 }, (_, t) => ({
        speaker: t % 2 === 0 ? 'Ada' : 'Bot',
        content: turnText(s * 12 + t),
      }));
      await memory.addTurns(TENANT, session.id, turns);
    }
    await memory.settle();
  });

  afterAll(async () => {
    await test?.dispose();
  });

  async function context(payload: Record<string, unknown>) {
    return app.inject({ method: 'POST', url: '/v1/context', payload });
  }

  function expectExact(body: { text: string; tokenIds: number[] }, name: string, max: number) {
    expect(body.tokenIds).toEqual(tokenizers.get(name).encode(body.text));
    expect(body.tokenIds.length).toBeLessThanOrEqual(max);
  }

  it('answers maxTokens 8000 (past one recall page) with exact token IDs', async () => {
    const response = await context({
      query: 'deploy Lisbon',
      userId: USER,
      tokenizer: 'o200k_base',
      maxTokens: 8000,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ text: string; tokenIds: number[]; items: unknown[] }>();
    expectExact(body, 'o200k_base', 8000);
    expect(body.items.length).toBeGreaterThan(0);
  });

  it('gathers more than one recall page of items for a large budget', async () => {
    const response = await context({
      query: 'deploy Grace cache',
      userId: USER,
      tokenizer: 'cl100k_base',
      maxTokens: MAX_TOKENS_LIMIT,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ text: string; tokenIds: number[]; items: unknown[] }>();
    expectExact(body, 'cl100k_base', MAX_TOKENS_LIMIT);
    expect(body.items.length).toBeGreaterThan(MAX_K);
  });

  it('accepts a query as long as the schema allows, and refuses a longer one', async () => {
    const maxChars = contextRequestSchema.shape.query.maxLength!;
    expect(maxChars).toBe(8_000);
    const words = WORDS.join(' ');
    const long = words.repeat(Math.ceil(maxChars / words.length)).slice(0, maxChars);
    const ok = await context({ query: long, tokenizer: 'o200k_base', maxTokens: 500 });
    expect(ok.statusCode, ok.body).toBe(200);
    expectExact(ok.json(), 'o200k_base', 500);
    const tooLong = await context({
      query: `${long}x`,
      tokenizer: 'o200k_base',
      maxTokens: 500,
    });
    expect([400, 413]).toContain(tooLong.statusCode);
    const tooMany = await context({
      query: 'deploy',
      tokenizer: 'o200k_base',
      maxTokens: MAX_TOKENS_LIMIT + 1,
    });
    expect([400, 413]).toContain(tooMany.statusCode);
  });

  it('property: tokenIds == encode(text) and ≤ maxTokens for budgets from 1 to 128k', async () => {
    const budget = fc.oneof(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 65, max: 4_000 }),
      fc.integer({ min: 4_001, max: MAX_TOKENS_LIMIT }),
      fc.constantFrom(1, 4_000, 4_001, 8_000, MAX_TOKENS_LIMIT),
    );
    const query = fc
      .array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(' '));
    await fc.assert(
      fc.asyncProperty(
        budget,
        query,
        fc.constantFrom('o200k_base', 'cl100k_base'),
        fc.constantFrom<string | undefined>(undefined, USER),
        async (maxTokens, text, tokenizer, userId) => {
          const built = await test.runtime.context.build({
            tenantId: TENANT,
            query: text,
            tokenizer,
            maxTokens,
            ...(userId === undefined ? {} : { userId }),
          });
          expect(built.tokenIds).toEqual(tokenizers.get(tokenizer).encode(built.text));
          expect(built.tokenIds.length).toBeLessThanOrEqual(maxTokens);
          expect(built.tokenCount).toBe(built.tokenIds.length);
        },
      ),
      { numRuns: 30, seed: 17 },
    );
  });
});
