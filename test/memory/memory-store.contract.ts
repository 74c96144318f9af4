// The one contract every MemoryStore adapter must pass (run by each adapter's test file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import type {
  MemoryHit,
  MemoryScope,
  MemoryStore,
  NewMemory,
  NewTurn,
} from '../../src/ports/memory-store.js';
import type { MemoryBackend } from './backends.js';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values.map((value) => value / norm));
}

function turn(text: string, speaker = 'ann', at = T0): NewTurn {
  return { id: newId('mem'), speaker, text, occurredAt: at };
}

export function describeMemoryStore(
  name: string,
  makeStore: () => Promise<MemoryBackend | undefined>,
): void {
  describe(`MemoryStore contract: ${name}`, () => {
    let fixture: MemoryBackend | undefined;
    let store: MemoryStore;

    beforeAll(async () => {
      fixture = await makeStore();
      if (fixture !== undefined) store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.close();
    });

    async function session(tenantId: string, userId: string | null, id = newId('ses')) {
      return store.createSession({
        id,
        tenantId,
        userId,
        agentId: 'bot',
        metadata: { a: 1 },
        createdAt: T0,
        expiresAt: T0 + DAY,
      });
    }

    it('creates, reads and lists sessions per tenant and user', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const a = await session('t-sessions', 'u1');
      await session('t-sessions', 'u2');
      await session('t-other', 'u1');
      expect(await store.getSession('t-sessions', a.id)).toMatchObject({
        id: a.id,
        userId: 'u1',
        agentId: 'bot',
        metadata: { a: 1 },
        turnCount: 0,
        distilledThrough: 0,
        expiresAt: T0 + DAY,
      });
      expect(await store.getSession('t-other', a.id)).toBeUndefined();
      expect((await store.listSessions('t-sessions', 'u1')).map((s) => s.id)).toEqual([a.id]);
    });

    it('appends turns in order, keeps the last N working and refuses expired sessions', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const s = await session('t-turns', 'u1');
      const texts = Array.from({ length: 7 }, (_, i) => `turn number ${i + 1}`);
      const first = await store.appendTurns({
        tenantId: 't-turns',
        sessionId: s.id,
        turns: texts.slice(0, 4).map((text) => turn(text)),
        now: T0 + 1000,
        ttlMs: DAY,
        wmMaxTurns: 3,
      });
      expect(first.turns.map((t) => [t.seq, t.tier])).toEqual([
        [1, 'episodic'],
        [2, 'working'],
        [3, 'working'],
        [4, 'working'],
      ]);
      const second = await store.appendTurns({
        tenantId: 't-turns',
        sessionId: s.id,
        turns: texts.slice(4).map((text) => turn(text)),
        now: T0 + 2000,
        ttlMs: DAY,
        wmMaxTurns: 3,
      });
      expect(second.session).toMatchObject({
        turnCount: 7,
        lastActiveAt: T0 + 2000,
        expiresAt: T0 + 2000 + DAY,
      });
      const last = await store.lastTurns('t-turns', s.id, 3);
      expect(last.map((t) => t.text)).toEqual(['turn number 5', 'turn number 6', 'turn number 7']);
      expect(
        last.every((t) => t.tier === 'working' && t.userId === 'u1' && t.agentId === 'bot'),
      ).toBe(true);
      const older = await store.turnsInRange('t-turns', s.id, 0, 4);
      expect(older.map((t) => t.tier)).toEqual(['episodic', 'episodic', 'episodic', 'episodic']);
      await expect(
        store.appendTurns({
          tenantId: 't-other',
          sessionId: s.id,
          turns: [turn('x')],
          now: T0,
          ttlMs: DAY,
          wmMaxTurns: 3,
        }),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      await expect(
        store.appendTurns({
          tenantId: 't-turns',
          sessionId: s.id,
          turns: [turn('x')],
          now: T0 + 3 * DAY,
          ttlMs: DAY,
          wmMaxTurns: 3,
        }),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      expect((await store.expiredSessions(T0 + 3 * DAY, 100)).some((x) => x.id === s.id)).toBe(
        true,
      );
      expect((await store.expiredSessions(T0 + 3000, 100)).some((x) => x.id === s.id)).toBe(false);
    });

    it('does not add a turn twice when a batch is retried', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const s = await session('t-retry', 'u1');
      const a = { id: newId('mem'), speaker: 'x', text: 'first', occurredAt: T0 };
      const b = { id: newId('mem'), speaker: 'x', text: 'second', occurredAt: T0 };
      const c = { id: newId('mem'), speaker: 'x', text: 'third', occurredAt: T0 };
      const input = { tenantId: 't-retry', sessionId: s.id, now: T0, ttlMs: DAY, wmMaxTurns: 10 };
      await store.appendTurns({ ...input, turns: [a, b] });
      const again = await store.appendTurns({ ...input, turns: [b, c, c] });
      expect(again.turns.map((t) => [t.id, t.seq])).toEqual([
        [b.id, 2],
        [c.id, 3],
        [c.id, 3],
      ]);
      expect(again.session.turnCount).toBe(3);
      expect(again.added).toBe(1);
      expect((await store.lastTurns('t-retry', s.id, 10)).map((t) => t.text)).toEqual([
        'first',
        'second',
        'third',
      ]);
    });

    it('reads turns by place: each once, in session and position order, only turns, only the tenant', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const s = await session('t-nb', 'u1', 'ses-b');
      const other = await session('t-nb', 'u1', 'ses-a');
      const { turns } = await store.appendTurns({
        tenantId: 't-nb',
        sessionId: s.id,
        turns: ['one', 'two', 'three', 'four', 'five'].map((text) => turn(text)),
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 10,
      });
      await store.appendTurns({
        tenantId: 't-nb',
        sessionId: other.id,
        turns: [turn('elsewhere')],
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 10,
      });
      // An episode sharing a turn's place is not a turn.
      await store.insertMemories(
        't-nb',
        [
          {
            id: 'ep-at-three',
            kind: 'episode',
            tier: 'episodic',
            userId: 'u1',
            sessionId: s.id,
            agentId: null,
            speaker: null,
            text: 'an episode',
            seq: turns[2]!.seq,
            occurredAt: T0,
          },
        ],
        T0,
      );
      const seqOf = (i: number) => turns[i]!.seq!;
      const read = await store.getTurnsAt('t-nb', [
        { sessionId: s.id, seq: seqOf(3) },
        { sessionId: s.id, seq: seqOf(2) },
        { sessionId: s.id, seq: seqOf(4) + 1 },
        { sessionId: other.id, seq: 0 },
        { sessionId: other.id, seq: 1 },
        { sessionId: s.id, seq: seqOf(2) },
        { sessionId: 'no-such-session', seq: seqOf(2) },
      ]);
      expect(read.map((t) => t.text)).toEqual(['elsewhere', 'three', 'four']);
      expect(await store.getTurnsAt('t-other', [{ sessionId: s.id, seq: seqOf(2) }])).toEqual([]);
      expect(await store.getTurnsAt('t-nb', [])).toEqual([]);
      expect(
        (await store.getByIds('t-nb', [turns[4]!.id, 'nope', turns[0]!.id])).map((t) => t.text),
      ).toEqual(['five', 'one']);
      expect(await store.getByIds('t-other', [turns[0]!.id])).toEqual([]);
    });

    it('searches text by relevance, strictly within tenant, user, session, tier and time', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const a = await session('t-fts', 'alice');
      const b = await session('t-fts', 'bob');
      const c = await session('t-fts-2', 'alice');
      const add = (tenantId: string, sessionId: string, texts: string[], at = T0) =>
        store.appendTurns({
          tenantId,
          sessionId,
          turns: texts.map((text) => turn(text, 'x', at)),
          now: T0,
          ttlMs: DAY,
          wmMaxTurns: 10,
        });
      await add(
        't-fts',
        a.id,
        ['I adopted a puppy named Rex last week', 'The weather was nice'],
        T0,
      );
      await add('t-fts', a.id, ['Rex the puppy loves running on the beach'], T0 + 10 * DAY);
      await add('t-fts', b.id, ['Bob has a puppy too'], T0);
      await add('t-fts-2', c.id, ['A puppy in another tenant'], T0);

      const hits = await store.searchText({
        tenantId: 't-fts',
        userId: 'alice',
        query: 'What is the name of the puppy?',
        k: 10,
      });
      expect(hits.map((h) => h.memory.text).sort()).toEqual([
        'I adopted a puppy named Rex last week',
        'Rex the puppy loves running on the beach',
      ]);
      expect(hits.map((h) => h.rank)).toEqual([1, 2]);
      expect(hits[0]!.score).toBeGreaterThanOrEqual(hits[1]!.score);
      // "adopted" matches "adopt" through the stemmer.
      expect(
        (await store.searchText({ tenantId: 't-fts', query: 'adopting', k: 5 })).map(
          (h) => h.memory.text,
        ),
      ).toEqual(['I adopted a puppy named Rex last week']);
      const tenantWide = await store.searchText({ tenantId: 't-fts', query: 'puppy', k: 10 });
      expect(tenantWide).toHaveLength(3);
      expect(tenantWide.every((h) => h.memory.tenantId === 't-fts')).toBe(true);
      expect(
        await store.searchText({ tenantId: 't-fts', sessionId: b.id, query: 'puppy', k: 10 }),
      ).toHaveLength(1);
      expect(
        await store.searchText({ tenantId: 't-fts', userId: null, query: 'puppy', k: 10 }),
      ).toHaveLength(0);
      expect(
        await store.searchText({ tenantId: 't-fts', tiers: ['semantic'], query: 'puppy', k: 10 }),
      ).toHaveLength(0);
      const late = await store.searchText({
        tenantId: 't-fts',
        userId: 'alice',
        query: 'puppy',
        k: 10,
        timeRange: { from: T0 + DAY },
      });
      expect(late.map((h) => h.memory.text)).toEqual(['Rex the puppy loves running on the beach']);
      expect(await store.searchText({ tenantId: 't-fts', query: 'the of ?!', k: 10 })).toEqual([]);
      expect(await store.countMemories({ tenantId: 't-fts', userId: 'alice' })).toBe(3);
    });

    it("finds a user's memories as tenant-wide search does, whatever their words and the user's name", async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      // One user's search takes its own way to the rows (PostgreSQL: postings kept per user,
      // migration 205; SQLite: the user's rowid range); it must find what tenant-wide search
      // finds for that user, for words the parsers treat unevenly.
      const users = ['alice', "o'brien", 'u/n', 'Ünï 東京', null];
      const texts = [
        'naïve café au lait',
        "don't e-mail the C++ ab12cd 3d snake_case notes",
        'Москва и 東京タワー 🎉 2024 1.5 https://example.com/a?b=c a@b.co',
        `${'x'.repeat(300)} long words and ${'y'.repeat(40)}`,
        'The the THE of and plain words',
        'Caffè latte naive resume résumé',
      ];
      for (const [u, userId] of users.entries()) {
        const s = await session('t-any', userId);
        await store.appendTurns({
          tenantId: 't-any',
          sessionId: s.id,
          turns: texts.slice(u % 2).map((text) => turn(`${text} u${u}`, 'x', T0)),
          now: T0,
          ttlMs: DAY,
          wmMaxTurns: 10,
        });
      }
      const questions = [
        'naïve café',
        'naive cafe',
        "don't e-mail",
        'C++ ab12cd 3d',
        'snake_case',
        'Москва',
        '東京タワー',
        '🎉 2024 1.5',
        'example.com a@b.co',
        'x'.repeat(300),
        'y'.repeat(40),
        'the of and',
        'résumé latte',
        'u0 u1 u2 u3 u4',
      ];
      for (const query of questions) {
        const all = await store.searchText({ tenantId: 't-any', query, k: 100 });
        for (const userId of users) {
          const mine = await store.searchText({ tenantId: 't-any', userId, query, k: 100 });
          expect(
            mine.map((h) => h.memory.id),
            `${query} for ${userId}`,
          ).toEqual(all.filter((h) => h.memory.userId === userId).map((h) => h.memory.id));
        }
      }
    });

    it('searches vectors by cosine within scope and embedder, and lists what still needs a vector', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const a = await session('t-vec', 'alice');
      const b = await session('t-vec', 'bob');
      const { turns } = await store.appendTurns({
        tenantId: 't-vec',
        sessionId: a.id,
        turns: [turn('north'), turn('east'), turn('north-east')],
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 10,
      });
      const bob = await store.appendTurns({
        tenantId: 't-vec',
        sessionId: b.id,
        turns: [turn('bob north')],
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 10,
      });
      const pending = await store.listUnembedded(10_000);
      expect(pending.filter((p) => p.tenantId === 't-vec').map((p) => p.text)).toEqual([
        'north',
        'east',
        'north-east',
        'bob north',
      ]);
      await store.putVectors('t-vec', 'emb-a', [
        { memoryId: turns[0]!.id, vector: unit([1, 0, 0]) },
        { memoryId: turns[1]!.id, vector: unit([0, 1, 0]) },
        { memoryId: turns[2]!.id, vector: unit([1, 1, 0]) },
        { memoryId: bob.turns[0]!.id, vector: unit([1, 0, 0]) },
      ]);
      expect((await store.listUnembedded(10_000)).filter((p) => p.tenantId === 't-vec')).toEqual(
        [],
      );
      const hits = await store.searchVector({
        tenantId: 't-vec',
        userId: 'alice',
        vector: unit([1, 0.1, 0]),
        embedderId: 'emb-a',
        k: 2,
      });
      expect(hits.map((h) => h.memory.text)).toEqual(['north', 'north-east']);
      expect(hits[0]!.score).toBeGreaterThan(0.99);
      expect(hits[0]!.memory.embedderId).toBe('emb-a');
      expect(
        await store.searchVector({
          tenantId: 't-vec',
          vector: unit([1, 0, 0]),
          embedderId: 'emb-b',
          k: 5,
        }),
      ).toEqual([]);
      expect(
        await store.searchVector({
          tenantId: 't-vec-other',
          vector: unit([1, 0, 0]),
          embedderId: 'emb-a',
          k: 5,
        }),
      ).toEqual([]);
      const bobs = await store.searchVector({
        tenantId: 't-vec',
        sessionId: b.id,
        vector: unit([0, 1, 0]),
        embedderId: 'emb-a',
        k: 5,
      });
      expect(bobs.map((h) => h.memory.text)).toEqual(['bob north']);
    });

    it('records distillation once, and deleting a session keeps what was distilled', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const s = await session('t-dist', 'u1');
      const { turns } = await store.appendTurns({
        tenantId: 't-dist',
        sessionId: s.id,
        turns: ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((text) => turn(text)),
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 3,
      });
      const due = await store.sessionsDueForDistillation({
        wmMaxTurns: 3,
        minTurns: 3,
        limit: 100,
      });
      expect(due.map((x) => x.id)).toContain(s.id);
      const episode: NewMemory = {
        id: newId('mem'),
        kind: 'episode',
        tier: 'episodic',
        userId: 'u1',
        sessionId: s.id,
        agentId: 'bot',
        speaker: null,
        text: 'a1 a2 a3',
        seq: 3,
        occurredAt: T0,
        source: { turnIds: turns.slice(0, 3).map((t) => t.id) },
      };
      expect(
        await store.recordDistillation({
          tenantId: 't-dist',
          sessionId: s.id,
          expectedThrough: 0,
          through: 3,
          episodes: [episode],
          now: T0,
        }),
      ).toBe(true);
      expect(
        await store.recordDistillation({
          tenantId: 't-dist',
          sessionId: s.id,
          expectedThrough: 0,
          through: 3,
          episodes: [episode],
          now: T0,
        }),
      ).toBe(false);
      expect((await store.getSession('t-dist', s.id))?.distilledThrough).toBe(3);
      expect(
        (await store.sessionsDueForDistillation({ wmMaxTurns: 3, minTurns: 3, limit: 100 })).map(
          (x) => x.id,
        ),
      ).not.toContain(s.id);
      const [stored] = await store.getByIds('t-dist', [episode.id]);
      expect(stored).toMatchObject({
        kind: 'episode',
        tier: 'episodic',
        source: { turnIds: turns.slice(0, 3).map((t) => t.id) },
      });

      expect(await store.deleteSession('t-other', s.id)).toBe(false);
      expect(await store.deleteSession('t-dist', s.id)).toBe(true);
      expect(await store.getSession('t-dist', s.id)).toBeUndefined();
      const left = await store.getByIds('t-dist', [episode.id, ...turns.map((t) => t.id)]);
      expect(left.map((m) => m.text)).toEqual(['a1 a2 a3', 'a1', 'a2', 'a3']);

      const p = await session('t-dist', 'u1');
      await store.appendTurns({
        tenantId: 't-dist',
        sessionId: p.id,
        turns: [turn('gone')],
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 0,
      });
      expect(await store.deleteSession('t-dist', p.id, { purge: true })).toBe(true);
      expect(await store.countMemories({ tenantId: 't-dist', sessionId: p.id })).toBe(0);
    });

    it('stores salience and promotes an EM item exactly once, with its vector', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const s = await session('t-sal', 'u1');
      const { turns } = await store.appendTurns({
        tenantId: 't-sal',
        sessionId: s.id,
        turns: [turn('remember the blue door'), turn('fine')],
        now: T0,
        ttlMs: DAY,
        wmMaxTurns: 0,
      });
      const [blue, fine] = turns as [(typeof turns)[0], (typeof turns)[0]];
      await store.putVectors('t-sal', 'emb-a', [{ memoryId: blue.id, vector: unit([0, 0, 1]) }]);
      expect(
        await store.setSalience(
          't-sal',
          [
            { id: blue.id, salience: 0.9 },
            { id: 'missing', salience: 1 },
          ],
          T0 + 5,
        ),
      ).toEqual([blue.id]);
      expect(await store.setSalience('t-other', [{ id: fine.id, salience: 1 }], T0)).toEqual([]);
      const [updated] = await store.getByIds('t-sal', [blue.id]);
      expect(updated).toMatchObject({ salience: 0.9, salienceUpdatedAt: T0 + 5 });
      const candidates = await store.promotionCandidates(0.8, 1000);
      expect(candidates.map((c) => c.id)).toContain(blue.id);
      expect(candidates.map((c) => c.id)).not.toContain(fine.id);
      const copy: NewMemory = {
        id: newId('mem'),
        kind: 'promoted',
        tier: 'semantic',
        userId: 'u1',
        sessionId: s.id,
        agentId: 'bot',
        speaker: 'ann',
        text: blue.text,
        seq: blue.seq,
        occurredAt: blue.occurredAt,
        salience: 0.9,
        source: { memoryId: blue.id, turnIds: [blue.id] },
      };
      expect(await store.recordPromotion('t-sal', blue.id, copy, T0 + 10)).toBe(true);
      expect(
        await store.recordPromotion('t-sal', blue.id, { ...copy, id: newId('mem') }, T0 + 10),
      ).toBe(false);
      expect((await store.promotionCandidates(0.8, 1000)).map((c) => c.id)).not.toContain(blue.id);
      const [original, promoted] = await store.getByIds('t-sal', [blue.id, copy.id]);
      expect(original?.promotedId).toBe(copy.id);
      expect(promoted).toMatchObject({
        kind: 'promoted',
        tier: 'semantic',
        source: { memoryId: blue.id },
        embedderId: 'emb-a',
      });
      const semantic = await store.searchVector({
        tenantId: 't-sal',
        tiers: ['semantic'],
        vector: unit([0, 0, 1]),
        embedderId: 'emb-a',
        k: 5,
      });
      expect(semantic.map((h) => h.memory.id)).toEqual([copy.id]);
    });

    it('ranks what a rare term selects first once common terms hold more postings than a query may rank, then fills k from the plain query', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      // A store of its own: term statistics are the whole store's, and kept for a minute.
      const own = (await makeStore())!;
      try {
        const tenant = 't-rare-first';
        const item = (i: number, text: string): NewMemory => ({
          id: `rf${i}`,
          kind: 'turn',
          tier: 'episodic',
          userId: 'u',
          sessionId: 's',
          agentId: null,
          speaker: 'ann',
          text,
          seq: i + 1,
          occurredAt: T0 + i * 1000,
        });
        const hiking = Array.from({ length: 2_600 }, (_, i) =>
          item(i, `went hiking with friends, day ${i}`),
        );
        await own.store.insertMemories(
          tenant,
          [...hiking, item(2_600, 'went to the pottery class'), item(2_601, 'pottery')],
          T0,
        );
        await own.analyze?.();
        const hits = await own.store.searchText({
          tenantId: tenant,
          userId: 'u',
          query: 'pottery hiking went',
          k: 10,
        });
        // A session, a tier or a time range the plan cannot see still finds its matches.
        const early = await own.store.searchText({
          tenantId: tenant,
          userId: 'u',
          query: 'hiking went',
          k: 10,
          timeRange: { from: T0, to: T0 + 3_000 },
        });
        expect(early.map((hit) => hit.memory.id).sort()).toEqual(['rf0', 'rf1', 'rf2']);
        // 5,202 postings, beyond the budget (2,000 for k = 10): "pottery" selects, "hiking" and
        // "went" only score; the two rows holding "pottery" come first, whatever the engine's
        // ranking says of the others, and the plain OR query's rows follow up to k.
        expect(hits).toHaveLength(10);
        expect(
          hits
            .slice(0, 2)
            .map((hit) => hit.memory.id)
            .sort(),
        ).toEqual(['rf2600', 'rf2601']);
      } finally {
        await own.close();
      }
    });

    it('ranks the newest matches when every term of a query is common, and every match when a scope holds few', async (ctx) => {
      if (fixture === undefined) return ctx.skip();
      const own = (await makeStore())!;
      try {
        const item = (i: number, fields: Partial<NewMemory>): NewMemory => ({
          id: `nw${i}`,
          kind: 'turn',
          tier: 'episodic',
          userId: 'u',
          sessionId: 'new',
          agentId: null,
          speaker: 'ann',
          text: `deploy the billing service to the cluster, step ${i}`,
          seq: i + 1,
          occurredAt: T0 + i * 1000,
          ...fields,
        });
        const number = (hit: MemoryHit) => Number(hit.memory.id.replace(/^\D+/, ''));
        // 5,000 memories hold "deploy", past the budget (2,000 for k = 10) and past twice it.
        // The oldest thousand say only that and outrank the rest in a full ranking (a shorter
        // text scores higher); they and the ten newest are session "old".
        await own.store.insertMemories(
          't-newest',
          Array.from({ length: 5_000 }, (_, i) =>
            item(
              i,
              i < 1_000
                ? { text: 'deploy', sessionId: 'old' }
                : i >= 4_990
                  ? { sessionId: 'old' }
                  : {},
            ),
          ),
          T0,
        );
        // Another tenant where "deploy" is rare (60 of 4,000), its best matches the oldest.
        await own.store.insertMemories(
          't-rare',
          Array.from({ length: 4_000 }, (_, i) =>
            item(
              i,
              i % 66 !== 0 || i / 66 >= 60
                ? { id: `rare${i}`, text: `status report number ${i}` }
                : { id: `rare${i}`, ...(i < 12 * 66 ? { text: 'deploy' } : {}) },
            ),
          ),
          T0,
        );
        await own.analyze?.();
        const search = (scope: Partial<MemoryScope>) =>
          own.store.searchText({ tenantId: 't-newest', query: 'deploy', k: 10, ...scope });
        // The window: the newest 2,000 matches, so none of the best thousand is found.
        // SQLite's window is one user's newest rows; tenant-wide it ranks every match.
        for (const scope of name === 'postgres' ? [{ userId: 'u' }, {}] : [{ userId: 'u' }]) {
          const hits = await search(scope);
          expect(hits).toHaveLength(10);
          for (const hit of hits) expect(number(hit)).toBeGreaterThanOrEqual(3_000);
        }
        // A session whose matches are mostly old: its best, not its newest.
        const session = await search({ userId: 'u', sessionId: 'old' });
        for (const hit of session) expect(number(hit)).toBeLessThan(1_000);
        // A tenant where the term is rare ranks all its matches: the best are the oldest.
        const rare = await own.store.searchText({ tenantId: 't-rare', query: 'deploy', k: 10 });
        expect(rare).toHaveLength(10);
        for (const hit of rare) expect(hit.memory.text).toBe('deploy');
        if (name === 'postgres') {
          // Before a time: the newest matches before it (PostgreSQL's window counts its end).
          const before = await search({ userId: 'u', timeRange: { to: T0 + 2_500 * 1000 } });
          expect(before).toHaveLength(10);
          for (const hit of before) {
            expect(number(hit)).toBeGreaterThanOrEqual(500);
            expect(hit.memory.text).toBe('deploy');
          }
        }
      } finally {
        await own.close();
      }
    });
  });
}
