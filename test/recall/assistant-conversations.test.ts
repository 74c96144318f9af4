// Recall over a user↔assistant conversation on SQLite and PostgreSQL, through MemoryService as an
// agent stores it (roles as speakers): the user's own request that states a fact ranks above the
// assistant's long reply, a long reply answers with its best passage and offsets into the message,
// a newer restatement ranks above the older one for a question about the present, and confidence
// is higher for a question the conversation answers than for one it does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createMemoryService, type MemoryService } from '../../src/memory/memory-service.js';
import { DEFAULT_WEIGHTS } from '../../src/memory/recall/fusion.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import {
  createRecallService,
  type RecallService,
  type RecallTuning,
} from '../../src/memory/recall/recall-service.js';
import { MEMORY_BACKENDS, type MemoryBackend } from '../memory/backends.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';

const MARCH_15 = Date.UTC(2024, 2, 15);
const APRIL_2 = Date.UTC(2024, 3, 2);
const filler = (topic: string) =>
  `Think about the ${topic} in small steps, review it with the team, and keep notes so the next sprint planning session goes smoothly and nobody is surprised by the sprint scope.`;
const longReply = [
  'Happy to help you plan the sprint backlog. Here is how I would approach the sprint.',
  Array.from({ length: 6 }, () => filler('sprint backlog')).join(' '),
  'Keep the login API response time under 300 ms as a goal for the sprint.',
  Array.from({ length: 6 }, () => filler('sprint review')).join(' '),
].join('\n\n');

const march = [
  ['user', 'My first sprint ends on March 29, can you help me plan the backlog?'],
  ['assistant', longReply],
  ['user', 'The login API response time is 800 ms under 20 concurrent requests, what should I do?'],
  ['assistant', 'Add an index on the users table and cache the session lookups.'],
] as const;
const april = [
  ['user', 'Good news: the login API response time is now 250 ms under 20 concurrent requests.'],
  ['assistant', 'That is a great improvement.'],
] as const;

for (const backend of MEMORY_BACKENDS) {
  describe(`recall over a user↔assistant conversation on ${backend.name}`, () => {
    let opened: MemoryBackend | undefined;
    let memory: MemoryService;
    const clock = createManualClock(Date.UTC(2024, 3, 10));
    const logger = createSilentLogger();
    const embedder = createHashingEmbedder();
    const recallWith = (tuning?: Partial<RecallTuning>): RecallService =>
      createRecallService({
        store: opened!.store,
        embedder,
        classifier: createIntentClassifier({ mode: 'rules', cacheSize: 100 }),
        clock,
        logger,
        salienceHalfLifeHours: 24,
        tuning,
      });

    beforeAll(async () => {
      opened = await backend.open();
      if (opened === undefined) return;
      memory = createMemoryService({
        store: opened.store,
        embedder,
        settings: {
          wmMaxTurns: 4,
          emDistillEveryNTurns: 2,
          promotionSalienceThreshold: 0.8,
          salienceHalfLifeHours: 24,
          sessionTtlSeconds: 365 * 24 * 3600,
        },
        clock,
        logger,
      });
      for (const [turns, at] of [
        [march, MARCH_15],
        [april, APRIL_2],
      ] as const) {
        const session = await memory.createSession('t-chat', { userId: 'dev' });
        await memory.addTurns(
          't-chat',
          session.id,
          turns.map(([speaker, content], i) => ({ speaker, content, at: at + i * 60_000 })),
        );
      }
      await memory.settle();
    });
    afterAll(async () => {
      await memory?.close();
      await opened?.close();
    });

    const ask = (recall: RecallService, query: string) =>
      recall.recall({ tenantId: 't-chat', userId: 'dev', query, k: 5 });

    it('ranks the user’s request that states the fact above the assistant’s reply', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const query = 'When does my first sprint end?';
      const result = await ask(recallWith(), query);
      expect(result.items[0]!.text).toBe(march[0][1]);
      expect(result.items[0]!.score.question).toBe(0);
      // With the signals that hold for a dialogue between people (a question holds few facts,
      // a reply takes credit from its neighbour), the assistant's wall of text wins instead.
      const peers = await ask(
        recallWith({ weights: { ...DEFAULT_WEIGHTS, userQuestion: 1, assistantNeighbour: 1 } }),
        query,
      );
      expect(peers.items[0]!.text).not.toBe(march[0][1]);
    });

    it('answers from a long message with its best passage and offsets into the message', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const result = await ask(recallWith(), 'What login API response time goal did you suggest?');
      const reply = result.items.find((item) => item.source.passage !== undefined);
      expect(reply).toBeDefined();
      expect(reply!.text).toContain('under 300 ms');
      const { start, end } = reply!.source.passage!;
      expect(longReply.slice(start, end)).toBe(reply!.text);
      expect(reply!.text.length).toBeLessThan(longReply.length / 2);
    });

    it('ranks a newer restatement above the older one for a question about the present', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const result = await ask(
        recallWith(),
        'What is the login API response time under 20 concurrent requests?',
      );
      const texts = result.items.map((item) => item.text);
      const newer = texts.indexOf(april[0][1]);
      const older = texts.indexOf(march[2][1]);
      expect(newer).toBeGreaterThanOrEqual(0);
      expect(older).toBeGreaterThan(newer);
      const withoutUpdates = await ask(
        recallWith({ update: 0 }),
        'What is the login API response time under 20 concurrent requests?',
      );
      const plain = withoutUpdates.items.map((item) => item.text);
      expect(plain.indexOf(april[0][1])).toBeGreaterThan(plain.indexOf(march[2][1]));
    });

    it('is more confident when the conversation holds the answer', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const recall = recallWith();
      const answered = await ask(recall, 'When does my first sprint end?');
      const unanswered = await ask(recall, 'What did my manager say about the budget?');
      expect(answered.items[0]!.confidence).toBeGreaterThan(unanswered.items[0]?.confidence ?? 0);
      for (const item of [...answered.items, ...unanswered.items]) {
        expect(item.confidence).toBeGreaterThanOrEqual(0);
        expect(item.confidence).toBeLessThanOrEqual(1);
      }
    });

    it('keeps confidence and similarity finite when a vector is all zeros', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      // The hashing embedder maps text without ASCII words to the zero vector; PostgreSQL's
      // cosine distance of a zero vector is NaN, which JSON sends as null.
      const session = await memory.createSession('t-zero', { userId: 'dev' });
      await memory.addTurns('t-zero', session.id, [
        { speaker: 'user', content: '日本語のメモ: デプロイは月曜日に。', at: MARCH_15 },
        { speaker: 'assistant', content: 'The deploy is on Monday.', at: MARCH_15 + 60_000 },
      ]);
      await memory.settle();
      for (const query of ['デプロイ', 'When is the deploy?']) {
        const result = await recallWith().recall({ tenantId: 't-zero', query, k: 5 });
        expect(result.items.length).toBeGreaterThan(0);
        for (const item of result.items) {
          expect(Number.isFinite(item.confidence)).toBe(true);
          expect(item.score.similarity === null || Number.isFinite(item.score.similarity)).toBe(
            true,
          );
        }
      }
    });
  });
}
