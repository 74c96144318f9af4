// Sessions, turns, distillation and citations end to end through the HTTP API, on SQLite and
// PostgreSQL, with the real runtime (and its real local embedder) and tenant isolation by API key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import { postgresAvailable } from '../support/backends.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`memory over HTTP on ${backend}`, () => {
    let test: TestApp | undefined;
    let app: EngramApp;

    beforeAll(async () => {
      if (backend === 'postgres' && !(await postgresAvailable())) return;
      test = await createTestApp({
        backend,
        env: {
          ENGRAM_API_KEYS: TWO_TENANT_API_KEYS,
          // With API keys set, /metrics opens only with the metrics token.
          ENGRAM_METRICS_TOKEN: 'metrics-token-0123456789',
          ENGRAM_WM_MAX_TURNS: '3',
          ENGRAM_EM_DISTILL_EVERY_N_TURNS: '2',
          ENGRAM_PROMOTION_SALIENCE_THRESHOLD: '0.5',
        },
      });
      app = test.app;
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
    });

    it('runs a session: turns, working memory, distillation, citations, promotion, delete', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const created = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: ACME,
        payload: { userId: 'caroline', agentId: 'helper' },
      });
      expect(created.statusCode).toBe(201);
      const session = created.json<{ id: string; userId: string; turnCount: number }>();
      expect(session).toMatchObject({ userId: 'caroline', turnCount: 0 });

      const single = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: {
          speaker: 'Caroline',
          content: 'I went to a support group yesterday.',
          at: '2023-05-08T13:56:00Z',
        },
      });
      expect(single.statusCode).toBe(201);
      const batch = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: {
          turns: [
            {
              speaker: 'Melanie',
              content: 'How was it? Did you meet anyone new?',
              at: Date.UTC(2023, 4, 8, 14),
            },
            { speaker: 'Caroline', content: 'Yes, I met Jolene, a counselor from Boston.' },
            { speaker: 'Melanie', content: 'I painted a lake sunrise last week.' },
            { speaker: 'Caroline', content: 'Lovely! Send me a photo.' },
          ],
        },
      });
      expect(batch.statusCode).toBe(201);
      expect(batch.json<{ turns: Array<{ seq: number }> }>().turns.map((turn) => turn.seq)).toEqual(
        [2, 3, 4, 5],
      );

      const wm = await app.inject({
        method: 'GET',
        url: `/v1/sessions/${session.id}`,
        headers: ACME,
      });
      expect(wm.statusCode).toBe(200);
      const body = wm.json<{
        session: { turnCount: number };
        workingMemory: Array<{ text: string; tier: string; occurredAt: string }>;
      }>();
      expect(body.session.turnCount).toBe(5);
      expect(body.workingMemory.map((turn) => turn.text)).toEqual([
        'Yes, I met Jolene, a counselor from Boston.',
        'I painted a lake sunrise last week.',
        'Lovely! Send me a photo.',
      ]);

      // A retried turn with the caller's id is stored once.
      const retried = { speaker: 'Melanie', content: 'Will do, tomorrow.', id: 'msg-6' };
      const url = `/v1/sessions/${session.id}/turns`;
      const firstTry = await app.inject({ method: 'POST', url, headers: ACME, payload: retried });
      const secondTry = await app.inject({ method: 'POST', url, headers: ACME, payload: retried });
      expect(secondTry.statusCode).toBe(201);
      expect(secondTry.json<{ turns: unknown[] }>().turns).toEqual(
        firstTry.json<{ turns: unknown[] }>().turns,
      );
      expect(secondTry.json<{ session: { turnCount: number } }>().session.turnCount).toBe(6);

      // Turns 1–2 left working memory: a full window, distilled in the background.
      await test.runtime.memory.settle();
      const distilled = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/distill`,
        headers: ACME,
        payload: { includeWorking: true },
      });
      expect(distilled.statusCode).toBe(200);
      const episodes = distilled.json<{
        episodes: Array<{ id: string; kind: string; source: { turnIds: string[] } }>;
      }>().episodes;
      expect(episodes.length).toBeGreaterThan(0);
      expect(
        episodes.every(
          (episode) => episode.kind === 'episode' && episode.source.turnIds.length > 0,
        ),
      ).toBe(true);
      const episodeId = episodes[0]!.id;

      const cited = await app.inject({
        method: 'POST',
        url: '/v1/memories/cited',
        headers: ACME,
        payload: { ids: [episodeId, 'mem_nope'] },
      });
      expect(cited.statusCode).toBe(200);
      expect(cited.json()).toEqual({
        updated: [{ id: episodeId, salience: expect.closeTo(0.3, 6) }],
        unknownIds: ['mem_nope'],
      });
      await app.inject({
        method: 'POST',
        url: '/v1/memories/cited',
        headers: ACME,
        payload: { ids: [episodeId] },
      });
      expect(await test.runtime.memory.promoteDue()).toBe(1);
      const original = await app.inject({
        method: 'GET',
        url: `/v1/memories/${episodeId}`,
        headers: ACME,
      });
      const promotedId = original.json<{ promotedId: string }>().promotedId;
      const promoted = await app.inject({
        method: 'GET',
        url: `/v1/memories/${promotedId}`,
        headers: ACME,
      });
      expect(promoted.json()).toMatchObject({
        tier: 'semantic',
        kind: 'promoted',
        source: { memoryId: episodeId },
      });

      // Another tenant sees none of it.
      expect(
        (await app.inject({ method: 'GET', url: `/v1/sessions/${session.id}`, headers: UMBRELLA }))
          .statusCode,
      ).toBe(404);
      expect(
        (await app.inject({ method: 'GET', url: `/v1/memories/${episodeId}`, headers: UMBRELLA }))
          .statusCode,
      ).toBe(404);
      const foreign = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: UMBRELLA,
        payload: { speaker: 'x', content: 'y' },
      });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toMatchObject({ error: { code: 'SESSION_NOT_FOUND' } });
      const foreignCite = await app.inject({
        method: 'POST',
        url: '/v1/memories/cited',
        headers: UMBRELLA,
        payload: { ids: [episodeId] },
      });
      expect(foreignCite.json()).toEqual({ updated: [], unknownIds: [episodeId] });
      const listed = await app.inject({
        method: 'GET',
        url: '/v1/sessions?userId=caroline',
        headers: UMBRELLA,
      });
      expect(listed.json()).toEqual({ sessions: [], nextCursor: null });

      expect(
        (
          await app.inject({
            method: 'DELETE',
            url: `/v1/sessions/${session.id}`,
            headers: UMBRELLA,
          })
        ).statusCode,
      ).toBe(404);
      expect(
        (await app.inject({ method: 'DELETE', url: `/v1/sessions/${session.id}`, headers: ACME }))
          .statusCode,
      ).toBe(204);
      expect(
        (await app.inject({ method: 'GET', url: `/v1/sessions/${session.id}`, headers: ACME }))
          .statusCode,
      ).toBe(404);
      const metrics = (
        await app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: 'Bearer metrics-token-0123456789' },
        })
      ).body;
      expect(metrics).toContain('engram_memory_turns_added_total 6');
      expect(metrics).toContain('engram_memory_promotions_total 1');
      expect(metrics).toMatch(
        /engram_memory_episodes_created_total\{distiller="extractive-v1"\} [1-9]/,
      );
      // What was distilled stays.
      expect(
        (await app.inject({ method: 'GET', url: `/v1/memories/${episodeId}`, headers: ACME }))
          .statusCode,
      ).toBe(200);
      // ... and is listed as the session's episodes after it ended: walked one page at a time,
      // every episode once, oldest first, the cited one with its salience and its promotion.
      type Episode = {
        id: string;
        kind: string;
        occurredAt: string;
        salience: number;
        promotedId: string | null;
      };
      const walked: Episode[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages += 1) {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const page = await app.inject({
          url: `/v1/sessions/${session.id}/episodes?limit=1${query}`,
          headers: ACME,
        });
        expect(page.statusCode).toBe(200);
        const body = page.json<{ episodes: Episode[]; nextCursor: string | null }>();
        walked.push(...body.episodes);
        cursor = body.nextCursor;
        if (cursor === null) break;
      }
      expect(cursor).toBeNull();
      const whole = (
        await app.inject({ url: `/v1/sessions/${session.id}/episodes?limit=200`, headers: ACME })
      ).json<{ episodes: Episode[]; nextCursor: string | null }>();
      expect(whole.nextCursor).toBeNull();
      // (Compared by id: salience decays between the calls.)
      expect(walked.map((e) => e.id)).toEqual(whole.episodes.map((e) => e.id));
      expect(new Set(walked.map((e) => e.id)).size).toBe(walked.length);
      expect(walked.every((e) => e.kind === 'episode')).toBe(true);
      const times = walked.map((e) => Date.parse(e.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(walked.map((e) => e.id)).toEqual(expect.arrayContaining(episodes.map((e) => e.id)));
      const citedEpisode = walked.find((e) => e.id === episodeId)!;
      expect(citedEpisode.salience).toBeGreaterThan(0);
      expect(citedEpisode.promotedId).not.toBeNull();
      // Another tenant has no such session; a cursor this server did not issue is a 400.
      expect(
        (await app.inject({ url: `/v1/sessions/${session.id}/episodes`, headers: UMBRELLA }))
          .statusCode,
      ).toBe(404);
      expect(
        (
          await app.inject({
            url: `/v1/sessions/${session.id}/episodes?cursor=WyJ4Il0`,
            headers: ACME,
          })
        ).statusCode,
      ).toBe(400);
      await test.runtime.memory.settle();
    }, 60_000);

    it('counts the tenant’s memories per tier, and no other tenant’s', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const full = async (headers: Record<string, string>) =>
        (await app.inject({ url: '/v1/memories/stats', headers })).json<{
          tiers: { working: number; episodic: number; semantic: number };
          sessions: { active: number };
        }>();
      const stats = async (headers: Record<string, string>) => (await full(headers)).tiers;
      const activeBefore = (await full(ACME)).sessions.active;
      const umbrellaActive = (await full(UMBRELLA)).sessions.active;
      const before = await stats(ACME);
      const umbrellaBefore = await stats(UMBRELLA);
      const created = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: ACME,
        payload: { userId: 'counted' },
      });
      const id = created.json<{ id: string }>().id;
      const added = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${id}/turns`,
        headers: ACME,
        payload: {
          turns: ['one', 'two', 'three', 'four', 'five'].map((word) => ({
            speaker: 'user',
            content: `Turn ${word} of the counted session.`,
          })),
        },
      });
      expect(added.statusCode).toBe(201);
      const after = await stats(ACME);
      // Five turns with ENGRAM_WM_MAX_TURNS=3: three stay working, two move to episodic (plus
      // whatever distillation wrote there, which is episodic too).
      expect(after.working - before.working).toBe(3);
      expect(after.episodic - before.episodic).toBeGreaterThanOrEqual(2);
      expect(after.semantic).toBeGreaterThanOrEqual(before.semantic);
      expect(await stats(UMBRELLA)).toEqual(umbrellaBefore);
      // One more live session for this tenant, none for the other; none once all have expired.
      expect((await full(ACME)).sessions.active).toBe(activeBefore + 1);
      expect((await full(UMBRELLA)).sessions.active).toBe(umbrellaActive);
      const store = test.runtime.memory.store;
      expect(await store.countActiveSessions('acme', Date.now())).toBe(activeBefore + 1);
      expect(await store.countActiveSessions('acme', Date.now() + 10 * 365 * 86_400_000)).toBe(0);
    });

    it('documents the memory endpoints in the OpenAPI document', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const docs = await app.inject({ method: 'GET', url: '/docs/json' });
      expect(docs.statusCode).toBe(200);
      const paths = Object.keys(docs.json<{ paths: Record<string, unknown> }>().paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/v1/sessions',
          '/v1/sessions/{id}',
          '/v1/sessions/{id}/turns',
          '/v1/sessions/{id}/distill',
          '/v1/sessions/{id}/episodes',
          '/v1/memories/{id}',
          '/v1/memories/cited',
        ]),
      );
    });

    it('validates input and bounds batch size', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const session = (
        await app.inject({ method: 'POST', url: '/v1/sessions', headers: ACME, payload: {} })
      ).json<{ id: string }>();
      const empty = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: { speaker: 'a', content: '' },
      });
      expect(empty.statusCode).toBe(400);
      const tooMany = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: { turns: Array.from({ length: 501 }, () => ({ speaker: 'a', content: 'b' })) },
      });
      expect(tooMany.statusCode).toBe(400);
      const badTime = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: { speaker: 'a', content: 'b', at: 'last tuesday' },
      });
      expect(badTime.statusCode).toBe(400);
      const noIds = await app.inject({
        method: 'POST',
        url: '/v1/memories/cited',
        headers: ACME,
        payload: { ids: [] },
      });
      expect(noIds.statusCode).toBe(400);
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/v1/sessions/ses_missing/distill',
            headers: ACME,
            payload: {},
          })
        ).statusCode,
      ).toBe(404);
      expect(
        (await app.inject({ method: 'POST', url: '/v1/sessions', payload: {} })).statusCode,
      ).toBe(401);
    });
  });
}
