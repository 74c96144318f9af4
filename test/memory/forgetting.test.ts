// Forgetting through the real HTTP app on SQLite and PostgreSQL: after DELETE /v1/memories/{id}
// no read path (the item by id, recall, context, working memory, session turns, citations)
// returns any part of the memory or of the episodes and promoted copies derived from it; after
// DELETE /v1/users/{userId}/memories none returns anything of that user, while another user's
// and another tenant's memories stay whole. A distillation that races a forget never brings a
// forgotten turn back as an episode.
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
import { MEMORY_BACKENDS } from './backends.js';

const SECRET = 'zebra-quartz-1789';
const secretPattern = /zebra|quartz|1789/i;

interface Item {
  id: string;
  kind: string;
  text: string;
  source: { turnIds?: string[]; memoryId?: string };
}

async function turnsOf(app: EngramApp, userId: string, texts: string[]): Promise<Item[]> {
  const session = (
    await app.inject({ method: 'POST', url: '/v1/sessions', headers: ACME, payload: { userId } })
  ).json<{ id: string }>();
  const added = await app.inject({
    method: 'POST',
    url: `/v1/sessions/${session.id}/turns`,
    headers: ACME,
    payload: {
      turns: texts.map((content, i) => ({ speaker: i % 2 === 0 ? 'user' : 'assistant', content })),
    },
  });
  expect(added.statusCode).toBe(201);
  const distilled = await app.inject({
    method: 'POST',
    url: `/v1/sessions/${session.id}/distill`,
    headers: ACME,
    payload: { includeWorking: true },
  });
  expect(distilled.statusCode).toBe(200);
  return [
    ...added
      .json<{ turns: Array<{ id: string }> }>()
      .turns.map((t, i) => ({ id: t.id, kind: 'turn', text: texts[i]!, source: {} })),
    ...distilled.json<{ episodes: Item[] }>().episodes,
  ];
}

/** Every text a read path returns for the user, joined (recall, context, working memory). */
async function everythingReadable(app: EngramApp, userId: string, query: string): Promise<string> {
  const recall = await app.inject({
    method: 'POST',
    url: '/v1/recall',
    headers: ACME,
    payload: { query, userId, k: 100 },
  });
  expect(recall.statusCode).toBe(200);
  const context = await app.inject({
    method: 'POST',
    url: '/v1/context',
    headers: ACME,
    payload: { query, userId, tokenizer: 'o200k_base', maxTokens: 4000 },
  });
  expect(context.statusCode).toBe(200);
  const sessions = await app.inject({
    method: 'GET',
    url: `/v1/sessions?userId=${userId}`,
    headers: ACME,
  });
  const working = await Promise.all(
    sessions
      .json<{ sessions: Array<{ id: string }> }>()
      .sessions.map((s) =>
        app.inject({ method: 'GET', url: `/v1/sessions/${s.id}`, headers: ACME }),
      ),
  );
  return [
    ...recall.json<{ items: Item[] }>().items.map((i) => i.text),
    context.json<{ text: string }>().text,
    ...working.map((w) => w.body),
  ].join('\n');
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`forgetting (${backend})`, () => {
    let test: TestApp | undefined;
    let app: EngramApp;
    let ann: Item[] = [];
    let bob: Item[] = [];

    beforeAll(async () => {
      if (backend === 'postgres' && !(await postgresAvailable())) return;
      test = await createTestApp({ backend, env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS } });
      app = test.app;
      ann = await turnsOf(app, 'ann', [
        `The vault code is ${SECRET}, keep it safe.`,
        'Noted, I will not repeat the vault code.',
        'My favourite editor is Helix.',
        'Helix is a modal editor written in Rust.',
        'The release train leaves on Fridays.',
        'Understood: releases go out on Fridays.',
      ]);
      bob = await turnsOf(app, 'bob', [
        'My vault code is walrus-amber-2040.',
        'Stored; I will keep the vault code private.',
      ]);
      await test.runtime.memory.settle();
    }, 120_000);
    afterAll(async () => {
      await test?.dispose();
    });

    it('forgets a turn with the episode and the promoted copy derived from it, on every read path', async (ctx) => {
      if (test === undefined) return ctx.skip();
      const secretTurn = ann.find((i) => i.kind === 'turn' && i.text.includes(SECRET))!;
      const episode = ann.find(
        (i) => i.kind === 'episode' && i.source.turnIds?.includes(secretTurn.id),
      );
      expect(episode, 'distillation made an episode of the secret turn').toBeDefined();
      // Cite the episode until it is promoted to semantic memory: a copy derived from a copy.
      for (let i = 0; i < 8; i += 1)
        await app.inject({
          method: 'POST',
          url: '/v1/memories/cited',
          headers: ACME,
          payload: { ids: [episode!.id] },
        });
      expect(await test.runtime.memory.promoteDue()).toBeGreaterThan(0);
      expect(await everythingReadable(app, 'ann', 'vault code')).toMatch(secretPattern);

      // Another tenant cannot forget it, nor learn that it exists.
      const foreign = await app.inject({
        method: 'DELETE',
        url: `/v1/memories/${secretTurn.id}`,
        headers: UMBRELLA,
      });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().error.code).toBe('MEMORY_NOT_FOUND');

      const forgotten = await app.inject({
        method: 'DELETE',
        url: `/v1/memories/${secretTurn.id}`,
        headers: ACME,
      });
      expect(forgotten.statusCode).toBe(200);
      const ids = forgotten.json<{ forgotten: string[] }>().forgotten;
      expect(ids[0]).toBe(secretTurn.id);
      expect(ids).toContain(episode!.id);
      expect(ids.length).toBeGreaterThanOrEqual(3); // turn, episode, promoted copy

      for (const id of ids) {
        const byId = await app.inject({ method: 'GET', url: `/v1/memories/${id}`, headers: ACME });
        expect(byId.statusCode).toBe(404);
      }
      const cited = await app.inject({
        method: 'POST',
        url: '/v1/memories/cited',
        headers: ACME,
        payload: { ids },
      });
      expect(cited.json<{ unknownIds: string[] }>().unknownIds.sort()).toEqual([...ids].sort());
      for (const query of ['vault code', SECRET, 'zebra quartz', 'what is the code to the vault'])
        expect(await everythingReadable(app, 'ann', query)).not.toMatch(secretPattern);
      // The rest of Ann's memory and Bob's are untouched.
      expect(await everythingReadable(app, 'ann', 'favourite editor')).toContain('Helix');
      expect(await everythingReadable(app, 'bob', 'vault code')).toContain('walrus-amber-2040');

      const again = await app.inject({
        method: 'DELETE',
        url: `/v1/memories/${secretTurn.id}`,
        headers: ACME,
      });
      expect(again.statusCode).toBe(404);
    });

    it('forgets everything a user has, and nothing of anyone else', async (ctx) => {
      if (test === undefined) return ctx.skip();
      const result = await app.inject({
        method: 'DELETE',
        url: '/v1/users/ann/memories',
        headers: ACME,
      });
      expect(result.statusCode).toBe(200);
      const { deleted, sessions } = result.json<{ deleted: number; sessions: number }>();
      expect(sessions).toBe(1);
      expect(deleted).toBeGreaterThanOrEqual(ann.length - 3); // minus what the first test forgot
      for (const item of ann) {
        const byId = await app.inject({
          method: 'GET',
          url: `/v1/memories/${item.id}`,
          headers: ACME,
        });
        expect(byId.statusCode).toBe(404);
      }
      const readable = await everythingReadable(app, 'ann', 'Helix editor releases Fridays vault');
      expect(readable).not.toMatch(/Helix|Fridays|vault/);
      expect(
        (await app.inject({ method: 'GET', url: '/v1/sessions?userId=ann', headers: ACME })).json<{
          sessions: unknown[];
        }>().sessions,
      ).toEqual([]);
      for (const item of bob) {
        const byId = await app.inject({
          method: 'GET',
          url: `/v1/memories/${item.id}`,
          headers: ACME,
        });
        expect(byId.statusCode).toBe(200);
      }
      // Forgetting a user of another tenant, or twice, deletes nothing.
      for (const [url, headers] of [
        ['/v1/users/bob/memories', UMBRELLA],
        ['/v1/users/ann/memories', ACME],
      ] as const) {
        const nothing = await app.inject({ method: 'DELETE', url, headers });
        expect(nothing.statusCode).toBe(404);
        expect(nothing.json().error.code).toBe('USER_NOT_FOUND');
      }
      expect(await everythingReadable(app, 'bob', 'vault code')).toContain('walrus-amber-2040');
    });
  });
}

describe('a distillation racing a forget', () => {
  for (const backendKind of MEMORY_BACKENDS) {
    const { name } = backendKind;
    it(`never stores an episode of a forgotten turn (${name})`, async (ctx) => {
      const backend = await backendKind.open();
      if (backend === undefined) return ctx.skip();
      try {
        const { store } = backend;
        const now = Date.now();
        await store.createSession({
          id: 'sess-1',
          tenantId: 't',
          userId: 'u',
          agentId: null,
          metadata: {},
          createdAt: now,
          expiresAt: now + 3_600_000,
        });
        const appended = await store.appendTurns({
          tenantId: 't',
          sessionId: 'sess-1',
          turns: [
            { id: 'turn-1', speaker: 'user', text: 'kept', occurredAt: now },
            { id: 'turn-2', speaker: 'user', text: 'forgotten', occurredAt: now + 1 },
          ],
          wmMaxTurns: 10,
          ttlMs: 3_600_000,
          now,
        });
        expect(appended.turns).toHaveLength(2);
        // The distiller read both turns; the user forgets one before the episode is stored.
        expect(await store.forgetMemory('t', 'turn-2')).toEqual(['turn-2']);
        const episode = (id: string, turnIds: string[]) => ({
          id,
          kind: 'episode' as const,
          tier: 'episodic' as const,
          userId: 'u',
          sessionId: 'sess-1',
          agentId: null,
          speaker: null,
          text: `episode of ${turnIds.join(', ')}`,
          seq: 2,
          occurredAt: now + 1,
          source: { turnIds },
        });
        expect(
          await store.recordDistillation({
            tenantId: 't',
            sessionId: 'sess-1',
            expectedThrough: 0,
            through: 2,
            episodes: [episode('ep-both', ['turn-1', 'turn-2']), episode('ep-kept', ['turn-1'])],
            now,
          }),
        ).toBe(true);
        const stored = await store.getByIds('t', ['ep-both', 'ep-kept', 'turn-1']);
        expect(stored.map((m) => m.id)).toEqual(['ep-kept', 'turn-1']);
      } finally {
        await backend.close();
      }
    });
  }
});
