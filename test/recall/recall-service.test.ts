// RecallService on SQLite and PostgreSQL, through MemoryService as an agent would use it: ids and
// score breakdowns, strict scoping (tenant, user, session), time-aware recall (a hard timeRange and
// a time named in the query), speaker-aware ranking, replies credited from the questions they
// answer, episodes covering their turns, and k.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createMemoryService, type MemoryService } from '../../src/memory/memory-service.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import {
  createRecallService,
  MAX_QUERY_CHARS,
  type RecallService,
} from '../../src/memory/recall/recall-service.js';
import { MEMORY_BACKENDS, type MemoryBackend } from '../memory/backends.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';

const MAY_8 = Date.UTC(2023, 4, 8, 13, 56);
const JUNE_27 = Date.UTC(2023, 5, 27, 10, 0);

const mayTurns = [
  ['Caroline', 'I went to a LGBTQ support group yesterday and it was so powerful.'],
  ['Melanie', 'Wow, that sounds inspiring! What happened there?'],
  ['Caroline', 'People shared their transgender stories; I want to study counseling now.'],
  ['Melanie', 'I painted a sunrise over the lake last week.'],
] as const;
const juneTurns = [
  ['Melanie', 'We went camping in the mountains with the kids last weekend.'],
  ['Caroline', 'Camping sounds lovely! Did the kids enjoy the hike?'],
  ['Melanie', 'They loved it, we roasted marshmallows by the fire.'],
  ['Caroline', 'I started researching adoption agencies this week.'],
] as const;

for (const backend of MEMORY_BACKENDS) {
  describe(`RecallService on ${backend.name}`, () => {
    let opened: MemoryBackend | undefined;
    let memory: MemoryService;
    let recall: RecallService;
    const ids = new Map<string, string>();
    const clock = createManualClock(Date.UTC(2023, 6, 1));

    beforeAll(async () => {
      opened = await backend.open();
      if (opened === undefined) return;
      const embedder = createHashingEmbedder();
      const logger = createSilentLogger();
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
      recall = createRecallService({
        store: opened.store,
        embedder,
        classifier: createIntentClassifier({ mode: 'rules', cacheSize: 100 }),
        clock,
        logger,
        salienceHalfLifeHours: 24,
      });
      for (const [tenant, user, list, at] of [
        ['t1', 'u1', mayTurns, MAY_8],
        ['t1', 'u1', juneTurns, JUNE_27],
        ['t1', 'u2', juneTurns, JUNE_27],
        ['t2', 'u1', mayTurns, MAY_8],
      ] as const) {
        const session = await memory.createSession(tenant, { userId: user });
        const added = await memory.addTurns(
          tenant,
          session.id,
          list.map(([speaker, content], i) => ({ speaker, content, at: at + i * 1000 })),
        );
        added.turns.forEach((t) => ids.set(`${tenant}/${user}/${t.text}`, t.id));
        ids.set(`${tenant}/${user}/session/${at}`, session.id);
        await memory.distillSession(tenant, session.id, { includeWorking: true });
      }
      await memory.settle();
    });
    afterAll(async () => {
      await memory?.close();
      await opened?.close();
    });

    it('returns citation ids, tiers, sources and a score breakdown', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const result = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'LGBTQ support group',
        k: 5,
      });
      const top = result.items[0]!;
      expect(top.text).toContain('support group');
      expect(top.id).toBe(ids.get(`t1/u1/${mayTurns[0][1]}`));
      expect(top.kind).toBe('turn');
      expect(top.tier).toBe('working');
      expect(top.speaker).toBe('Caroline');
      expect(top.occurredAt).toBe(MAY_8);
      expect(top.source.sessionId).toBe(ids.get(`t1/u1/session/${MAY_8}`));
      expect(top.score.textRank).toBe(1);
      expect(top.score.text).toBe(1);
      expect(top.score.vector).toBeGreaterThan(0);
      expect(top.score.fused).toBeGreaterThan(0);
      for (let i = 1; i < result.items.length; i++) {
        expect(result.items[i]!.score.fused).toBeLessThanOrEqual(result.items[i - 1]!.score.fused);
      }
      expect(result.items.length).toBeLessThanOrEqual(5);
      expect(result.timingsMs.total).toBeGreaterThanOrEqual(0);
      // Episodes carry the turns they came from.
      const all = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'support group counseling',
        k: 50,
      });
      const episode = all.items.find((item) => item.kind === 'episode');
      expect(episode?.source.turnIds?.length).toBeGreaterThan(0);
    });

    it('never returns another tenant’s, user’s or session’s memories', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const query = 'camping mountains kids support group';
      const t1u1 = await recall.recall({ tenantId: 't1', userId: 'u1', query, k: 50 });
      const mine = new Set(
        [...ids].filter(([key]) => key.startsWith('t1/u1/')).map(([, id]) => id),
      );
      for (const item of t1u1.items) {
        for (const turnId of item.kind === 'turn' ? [item.id] : (item.source.turnIds ?? []))
          expect(mine.has(turnId)).toBe(true);
      }
      const u2 = await recall.recall({ tenantId: 't1', userId: 'u2', query, k: 50 });
      expect(u2.items.length).toBeGreaterThan(0);
      expect(u2.items.every((item) => !item.text.includes('support group'))).toBe(true);
      const t2 = await recall.recall({ tenantId: 't2', query, k: 50 });
      expect(t2.items.every((item) => !item.text.includes('camping'))).toBe(true);
      const nobody = await recall.recall({ tenantId: 't3', query, k: 50 });
      expect(nobody.items).toEqual([]);
      const juneSession = ids.get(`t1/u1/session/${JUNE_27}`)!;
      const session = await recall.recall({ tenantId: 't1', sessionId: juneSession, query, k: 50 });
      expect(session.items.length).toBeGreaterThan(0);
      expect(session.items.every((item) => item.source.sessionId === juneSession)).toBe(true);
    });

    it('filters by an explicit time range and favours a time the query names', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const inJune = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'kids',
        k: 20,
        timeRange: { from: Date.UTC(2023, 5, 1), to: Date.UTC(2023, 6, 1) },
      });
      expect(inJune.items.length).toBeGreaterThan(0);
      expect(inJune.items.every((item) => item.occurredAt! >= Date.UTC(2023, 5, 1))).toBe(true);
      // "kids" appears in May (a sunrise… no) and June; naming May favours May's memories.
      const named = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'What did Melanie do in May 2023?',
        k: 3,
      });
      expect(named.time?.from).toBe(Date.UTC(2023, 4, 1));
      expect(named.items[0]!.occurredAt! < Date.UTC(2023, 5, 1)).toBe(true);
      expect(named.items[0]!.score.time).toBeGreaterThan(0);
      const relative = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'what happened last month',
        k: 3,
      });
      expect(relative.time?.from).toBe(Date.UTC(2023, 5, 1));
    });

    it('favours what the named participant said, and keeps k', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const result = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'What did Caroline research?',
        k: 2,
      });
      expect(result.items).toHaveLength(2);
      expect(result.items[0]!.text).toContain('adoption agencies');
      expect(result.items[0]!.score.speaker).toBeGreaterThan(0);
      expect(result.intent).toBe('general');
    });

    it('starts the full text beside the vector search, and searches text without the names the vector hits give', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const store = opened.store;
      const events: string[] = [];
      const textQueries: string[] = [];
      const watched = new Proxy(store, {
        get(target, key, receiver) {
          if (key === 'searchText')
            return (input: Parameters<typeof store.searchText>[0]) => {
              events.push('text called');
              textQueries.push(input.query);
              return target.searchText(input);
            };
          if (key === 'searchVector')
            return async (input: Parameters<typeof store.searchVector>[0]) => {
              events.push('vector called');
              const hits = await target.searchVector(input);
              events.push('vector answered');
              return hits;
            };
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
      const watching = createRecallService({
        store: watched,
        embedder: createHashingEmbedder(),
        classifier: createIntentClassifier({ mode: 'rules', cacheSize: 100 }),
        clock,
        logger: createSilentLogger(),
        salienceHalfLifeHours: 24,
      });
      const request = { tenantId: 't1', userId: 'u1', k: 4 };
      // No participant named: one full-text search, started before the vector search answers.
      const plain = await watching.recall({ ...request, query: 'camping with the kids' });
      expect(events.indexOf('text called')).toBeLessThan(events.indexOf('vector answered'));
      expect(textQueries).toEqual(['camping kids']);
      expect(plain.items.length).toBeGreaterThan(0);
      // A participant named: the text list is searched again without the name.
      textQueries.length = 0;
      const named = await watching.recall({ ...request, query: 'What did Caroline research?' });
      expect(textQueries).toHaveLength(2);
      expect(textQueries[1]!.toLowerCase()).not.toContain('caroline');
      expect(named.items[0]!.text).toContain('adoption agencies');
    });
    it('ranks the reply to a matching question above the question itself', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      // Only Caroline's question shares words with the query; Melanie's reply holds the answer.
      const result = await recall.recall({
        tenantId: 't1',
        userId: 'u1',
        query: 'Did Melanie’s kids enjoy the hike?',
        k: 10,
        tiers: ['working'],
      });
      const texts = result.items.map((item) => item.text);
      const reply = texts.indexOf(juneTurns[2][1]);
      const question = texts.indexOf(juneTurns[1][1]);
      expect(reply).toBeGreaterThanOrEqual(0);
      expect(question).toBeGreaterThanOrEqual(0);
      expect(reply).toBeLessThan(question);
      const replyScore = result.items[reply]!.score;
      expect(replyScore.neighbour).toBeGreaterThan(0);
      expect(replyScore.speaker).toBeGreaterThan(0);
      expect(result.items[question]!.score.question).toBeGreaterThan(0);
    });

    it('rejects empty and oversized queries and a bad k', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      await expect(recall.recall({ tenantId: 't1', query: '  ', k: 3 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(
        recall.recall({ tenantId: 't1', query: 'x'.repeat(MAX_QUERY_CHARS + 1), k: 3 }),
      ).rejects.toMatchObject({ code: 'INPUT_TOO_LARGE' });
      await expect(recall.recall({ tenantId: 't1', query: 'kids', k: 0 })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });
}
