// MemoryService behaviour on SQLite and PostgreSQL: working memory, distillation, async
// embedding, salience with decay, promotion, expiry and isolation between tenants and users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createHeartbeats } from '../../src/jobs/heartbeats.js';
import type { Distiller } from '../../src/memory/distill/distiller.js';
import { createMemoryJobs } from '../../src/memory/memory-jobs.js';
import {
  createMemoryService,
  type MemoryService,
  type MemorySettings,
} from '../../src/memory/memory-service.js';
import { MEMORY_BACKENDS, type MemoryBackend } from './backends.js';
import { createHashingEmbedder } from './hashing-embedder.js';

const HOUR = 3_600_000;
const SETTINGS: MemorySettings = {
  wmMaxTurns: 4,
  emDistillEveryNTurns: 2,
  promotionSalienceThreshold: 0.8,
  salienceHalfLifeHours: 24,
  sessionTtlSeconds: 3600,
};

const lines = [
  'Caroline: I went to the LGBTQ support group yesterday and it was powerful.',
  'Melanie: That sounds amazing! What did you learn there?',
  'Caroline: The stories of transgender people inspired me to study counseling.',
  'Melanie: I painted a sunrise over the lake last week, my kids loved it.',
  'Caroline: I am saving up to adopt a child next year.',
  'Melanie: We are going camping in the mountains in June.',
  'Caroline: My grandmother gave me a necklace from Sweden.',
  'Melanie: Pottery class is my favourite way to relax.',
];

function turns(from: number, to: number, at: number) {
  return lines.slice(from, to).map((line) => {
    const [speaker, content] = line.split(': ') as [string, string];
    return { speaker, content, at };
  });
}

for (const backend of MEMORY_BACKENDS) {
  describe(`MemoryService on ${backend.name}`, () => {
    let opened: MemoryBackend | undefined;
    const services: MemoryService[] = [];

    beforeAll(async () => {
      opened = await backend.open();
    });
    afterAll(async () => {
      for (const service of services) await service.close();
      await opened?.close();
    });

    function make(overrides: { distiller?: Distiller; settings?: Partial<MemorySettings> } = {}) {
      const clock = createManualClock(Date.UTC(2023, 4, 8, 13, 56));
      const embedder = createHashingEmbedder();
      const service = createMemoryService({
        store: opened!.store,
        embedder,
        distiller: overrides.distiller,
        settings: { ...SETTINGS, ...overrides.settings },
        clock,
        logger: createSilentLogger(),
      });
      services.push(service);
      return { service, clock, embedder };
    }

    it('keeps the last wmMaxTurns turns as working memory and every turn as its own memory', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock } = make();
      const session = await service.createSession('t1', {
        userId: 'caroline',
        agentId: 'bot',
        metadata: { app: 'x' },
      });
      const added = await service.addTurns('t1', session.id, turns(0, 6, clock.now() - 1000));
      expect(added.turns.map((turn) => turn.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      // Searchable by text as soon as addTurns returns, before any vector exists.
      const hits = await service.store.searchText({
        tenantId: 't1',
        userId: 'caroline',
        query: 'support group',
        k: 3,
      });
      expect(hits[0]?.memory.text).toContain('support group');
      const wm = await service.workingMemory('t1', session.id);
      expect(wm.turns.map((turn) => turn.seq)).toEqual([3, 4, 5, 6]);
      expect(wm.session).toMatchObject({
        turnCount: 6,
        userId: 'caroline',
        agentId: 'bot',
        metadata: { app: 'x' },
      });
      expect(wm.turns.every((turn) => turn.tier === 'working')).toBe(true);
      const older = await service.store.getByIds(
        't1',
        added.turns.slice(0, 2).map((turn) => turn.id),
      );
      expect(older.map((turn) => turn.tier)).toEqual(['episodic', 'episodic']);
      await service.settle();
    });

    it('distils every emDistillEveryNTurns turns that leave working memory, with time, links and vectors', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock, embedder } = make();
      const at = clock.now();
      const session = await service.createSession('t1', { userId: 'melanie' });
      await service.addTurns('t1', session.id, turns(0, 5, at)); // turn 1 left WM: not a full window yet
      await service.settle();
      expect((await service.getSession('t1', session.id)).distilledThrough).toBe(0);
      const added = await service.addTurns('t1', session.id, turns(5, 6, at + 60_000)); // turns 1–2 left WM
      await service.settle();
      expect((await service.getSession('t1', session.id)).distilledThrough).toBe(2);
      const episodes = await service.store.searchText({
        tenantId: 't1',
        sessionId: session.id,
        kinds: ['episode'],
        query: 'support group',
        k: 5,
      });
      expect(episodes).toHaveLength(1);
      const episode = episodes[0]!.memory;
      const firstTwo = await service.store.turnsInRange('t1', session.id, 0, 2);
      expect(episode).toMatchObject({
        tier: 'episodic',
        userId: 'melanie',
        occurredAt: at,
        seq: 2,
        source: { turnIds: firstTwo.map((turn) => turn.id) },
        metadata: { distiller: 'extractive-v1', firstSeq: 1, lastSeq: 2 },
      });
      // Relative dates are anchored to the turn's date (8 May 2023).
      expect(episode.text).toContain('yesterday (7 May 2023)');
      expect(episode.embedderId).toBe(embedder.id);
      // Every turn and episode got a vector in the background, in batches.
      const [vector] = await embedder.embed(['support group yesterday']);
      const byVector = await service.store.searchVector({
        tenantId: 't1',
        sessionId: session.id,
        vector: vector!,
        embedderId: embedder.id,
        k: 10,
      });
      expect(byVector.map((hit) => hit.memory.id)).toEqual(
        expect.arrayContaining([episode.id, firstTwo[0]!.id, added.turns[0]!.id]),
      );
      expect(embedder.calls).toBeLessThan(embedder.texts);

      // The distill endpoint's call: turns outside WM now, then everything with includeWorking.
      await service.addTurns('t1', session.id, turns(6, 7, at));
      expect(await service.distillSession('t1', session.id)).toHaveLength(1);
      const all = await service.distillSession('t1', session.id, { includeWorking: true });
      expect(all.map((item) => item.source.turnIds?.length)).toEqual([2, 2]);
      expect((await service.getSession('t1', session.id)).distilledThrough).toBe(7);
      await service.settle();
    });

    it('distils every turn exactly once when the distill call races the background pass', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock } = make();
      const session = await service.createSession('t1', { userId: 'race' });
      const { turns: added } = await service.addTurns('t1', session.id, turns(0, 8, clock.now()));
      // The background pass (turns 1–4 are due) and this call run at the same time.
      await service.distillSession('t1', session.id, { includeWorking: true });
      await service.settle();
      const hits = await service.store.searchText({
        tenantId: 't1',
        sessionId: session.id,
        kinds: ['episode'],
        query: lines.join(' '),
        k: 100,
      });
      const covered = hits.flatMap((hit) => hit.memory.source.turnIds ?? []);
      expect(covered.sort()).toEqual(added.map((turn) => turn.id).sort());
      expect((await service.getSession('t1', session.id)).distilledThrough).toBe(8);
    });

    it('falls back to the extractive distiller when the configured one fails, and uses it when it works', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      let fail = true;
      const chat: Distiller = {
        id: 'openai:test',
        async distill(input) {
          if (fail) throw new Error('model down');
          return [
            `Summary of ${input.length} turns`,
            'Caroline went to a support group on 7 May 2023.',
          ];
        },
      };
      const { service, clock } = make({ distiller: chat });
      const session = await service.createSession('t1', { userId: 'fallback' });
      await service.addTurns('t1', session.id, turns(0, 2, clock.now()));
      const [first] = await service.distillSession('t1', session.id, { includeWorking: true });
      expect(first?.metadata.distiller).toBe('extractive-v1');
      fail = false;
      await service.addTurns('t1', session.id, turns(2, 4, clock.now()));
      const episodes = await service.distillSession('t1', session.id, { includeWorking: true });
      expect(episodes.map((episode) => episode.text)).toEqual([
        'Summary of 2 turns',
        'Caroline went to a support group on 7 May 2023.',
      ]);
      expect(episodes.every((episode) => episode.metadata.distiller === 'openai:test')).toBe(true);
      await service.settle();
    });

    it('raises salience on citation, decays it with the half-life, and promotes salient EM items once', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock } = make({ settings: { sessionTtlSeconds: 30 * 24 * 3600 } });
      const session = await service.createSession('t2', { userId: 'u' });
      const { turns: stored } = await service.addTurns('t2', session.id, turns(0, 6, clock.now()));
      await service.settle();
      const [oldTurn, , , , , newest] = stored as [(typeof stored)[0], ...typeof stored];
      const first = await service.cite('t2', [oldTurn.id, oldTurn.id, 'mem_unknown']);
      expect(first.updated).toEqual([{ id: oldTurn.id, salience: expect.closeTo(0.3, 6) }]);
      expect(first.unknownIds).toEqual(['mem_unknown']);
      clock.advance(24 * HOUR); // one half-life: 0.3 → 0.15
      const [decayed] = await service.store.getByIds('t2', [oldTurn.id]);
      expect(service.salienceOf(decayed!)).toBeCloseTo(0.15, 6);
      for (let i = 0; i < 6; i += 1) await service.cite('t2', [oldTurn.id, newest!.id]);
      expect(
        service.salienceOf((await service.store.getByIds('t2', [oldTurn.id]))[0]!),
      ).toBeGreaterThan(0.8);

      expect(await service.promoteDue()).toBe(1); // the working-memory turn is not EM: not promoted
      expect(await service.promoteDue()).toBe(0);
      const semantic = await service.store.searchText({
        tenantId: 't2',
        tiers: ['semantic'],
        query: 'support group',
        k: 5,
      });
      expect(semantic).toHaveLength(1);
      expect(semantic[0]!.memory).toMatchObject({
        kind: 'promoted',
        text: oldTurn.text,
        source: { memoryId: oldTurn.id, turnIds: [oldTurn.id] },
      });
      expect(semantic[0]!.memory.embedderId).not.toBeNull();

      // A salient item that decays below the threshold before the job runs is not promoted.
      const { turns: more } = await service.addTurns('t2', session.id, turns(6, 8, clock.now()));
      await service.settle();
      const target = stored[1]!;
      for (let i = 0; i < 6; i += 1) await service.cite('t2', [target.id]);
      clock.advance(48 * HOUR);
      expect(await service.promoteDue()).toBe(0);
      // …and its decayed value is stored, so it no longer comes up as a candidate.
      expect((await service.store.promotionCandidates(0.8, 1000)).map((m) => m.id)).not.toContain(
        target.id,
      );
      expect(more).toHaveLength(2);
    });

    it('expires idle sessions in the background: working memory goes, distilled memory stays', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock } = make();
      const heartbeats = createHeartbeats(clock);
      const jobs = createMemoryJobs({
        service,
        heartbeats,
        logger: createSilentLogger(),
        intervals: { maintenanceMs: 10, promotionMs: 10, expiryMs: 10 },
      });
      const session = await service.createSession('t3', { userId: 'u' });
      const live = await service.createSession('t3', { userId: 'u' });
      await service.addTurns('t3', session.id, turns(0, 3, clock.now()));
      clock.advance(SETTINGS.sessionTtlSeconds * 1000 - 1);
      await service.addTurns('t3', live.id, turns(3, 4, clock.now()));
      clock.advance(2);
      await expect(
        service.addTurns('t3', session.id, turns(3, 4, clock.now())),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      jobs.start();
      try {
        await expect
          .poll(async () => (await service.store.getSession('t3', session.id)) === undefined, {
            timeout: 5000,
          })
          .toBe(true);
        await expect
          .poll(
            () => heartbeats.snapshot().filter((beat) => beat.name.startsWith('memory-')).length,
          )
          .toBe(3);
      } finally {
        await jobs.stop();
      }
      await expect(service.workingMemory('t3', session.id)).rejects.toMatchObject({
        code: 'SESSION_NOT_FOUND',
      });
      expect((await service.workingMemory('t3', live.id)).turns).toHaveLength(1);
      const left = await service.store.searchText({
        tenantId: 't3',
        sessionId: session.id,
        query: 'support group counseling',
        k: 10,
      });
      expect(left.length).toBeGreaterThan(0);
      expect(left.every((hit) => hit.memory.tier === 'episodic')).toBe(true);
      expect(left.some((hit) => hit.memory.kind === 'episode')).toBe(true);
    });

    it('isolates tenants, users and sessions', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock } = make();
      const alice = await service.createSession('tenant-a', { userId: 'alice' });
      const bob = await service.createSession('tenant-a', { userId: 'bob' });
      const { turns: aliceTurns } = await service.addTurns(
        'tenant-a',
        alice.id,
        turns(0, 2, clock.now()),
      );
      await service.addTurns('tenant-a', bob.id, turns(2, 4, clock.now()));
      await service.settle();
      await expect(service.workingMemory('tenant-b', alice.id)).rejects.toMatchObject({
        code: 'SESSION_NOT_FOUND',
      });
      await expect(
        service.addTurns('tenant-b', alice.id, turns(0, 1, clock.now())),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      await expect(service.deleteSession('tenant-b', alice.id)).rejects.toMatchObject({
        code: 'SESSION_NOT_FOUND',
      });
      await expect(service.distillSession('tenant-b', alice.id)).rejects.toMatchObject({
        code: 'SESSION_NOT_FOUND',
      });
      expect((await service.cite('tenant-b', [aliceTurns[0]!.id])).unknownIds).toEqual([
        aliceTurns[0]!.id,
      ]);
      expect(
        await service.store.searchText({ tenantId: 'tenant-b', query: 'support group', k: 10 }),
      ).toEqual([]);
      const bobs = await service.store.searchText({
        tenantId: 'tenant-a',
        userId: 'bob',
        query: 'support group counseling painted sunrise',
        k: 10,
      });
      expect(bobs.length).toBeGreaterThan(0);
      expect(bobs.every((hit) => hit.memory.userId === 'bob')).toBe(true);
      const [vector] = await service.embedder!.embed(['support group']);
      const vectorHits = await service.store.searchVector({
        tenantId: 'tenant-a',
        sessionId: bob.id,
        vector: vector!,
        embedderId: service.embedder!.id,
        k: 10,
      });
      expect(vectorHits.every((hit) => hit.memory.sessionId === bob.id)).toBe(true);
      expect((await service.listSessions('tenant-a', 'alice')).map((s) => s.id)).toEqual([
        alice.id,
      ]);
      expect(await service.listSessions('tenant-b', 'alice')).toEqual([]);
    });

    it('adds thousands of turns in one call and embeds them in batches', async (ctx) => {
      if (opened === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { service, clock, embedder } = make({
        settings: { wmMaxTurns: 10, emDistillEveryNTurns: 5 },
      });
      const session = await service.createSession('t4', { userId: 'bulk' });
      const many = Array.from({ length: 1000 }, (_, i) => ({
        speaker: i % 2 === 0 ? 'a' : 'b',
        content: `message number ${i} about topic ${i % 37}`,
        at: clock.now() + i,
      }));
      const result = await service.addTurns('t4', session.id, many);
      expect(result.session.turnCount).toBe(1000);
      await service.settle();
      expect((await service.getSession('t4', session.id)).distilledThrough).toBe(990);
      expect(await service.store.countMemories({ tenantId: 't4', kinds: ['episode'] })).toBe(198);
      expect(await service.store.listUnembedded(10)).toEqual([]);
      expect(embedder.calls).toBeLessThanOrEqual(Math.ceil((1000 + 198) / 64) + 2);
    });
  });
}
