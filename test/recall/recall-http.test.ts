// POST /v1/recall end to end on SQLite and PostgreSQL with the real runtime and local embedder:
// turns in through the sessions API, recall with ids and score breakdowns, tenant isolation by API
// key, and input limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import { postgresAvailable } from '../support/backends.js';
import { MAX_QUERY_CHARS } from '../../src/memory/recall/recall-service.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';

interface RecallBody {
  items: Array<{
    id: string;
    kind: string;
    tier: string;
    text: string;
    occurredAt: string | null;
    score: Record<string, number | null>;
  }>;
  intent: string;
  time?: { text: string; from?: string };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`recall over HTTP on ${backend}`, () => {
    let test: TestApp | undefined;
    let app: EngramApp;

    beforeAll(async () => {
      if (backend === 'postgres' && !(await postgresAvailable())) return;
      test = await createTestApp({ backend, env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS } });
      app = test.app;
      const created = await app.inject({
        method: 'POST',
        url: '/v1/sessions',
        headers: ACME,
        payload: { userId: 'caroline' },
      });
      const session = created.json<{ id: string }>();
      const added = await app.inject({
        method: 'POST',
        url: `/v1/sessions/${session.id}/turns`,
        headers: ACME,
        payload: {
          turns: [
            {
              speaker: 'Caroline',
              content: 'I went to a LGBTQ support group yesterday.',
              at: '2023-05-08T13:56:00Z',
            },
            {
              speaker: 'Melanie',
              content: 'We went camping in the mountains last weekend.',
              at: '2023-06-27T10:00:00Z',
            },
            {
              speaker: 'Caroline',
              content: 'I am researching adoption agencies.',
              at: '2023-06-27T10:01:00Z',
            },
          ],
        },
      });
      expect(added.statusCode).toBe(201);
      await test.runtime.memory.settle();
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
    });

    it('recalls with citation ids and score breakdowns, per tenant', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const response = await app.inject({
        method: 'POST',
        url: '/v1/recall',
        headers: ACME,
        payload: { query: 'When did Melanie go camping in June 2023?', userId: 'caroline', k: 2 },
      });
      expect(response.statusCode).toBe(200);
      const body = response.json<RecallBody>();
      expect(body.items).toHaveLength(2);
      expect(body.items[0]!.text).toContain('camping');
      expect(body.items[0]!.id).toMatch(/^mem/);
      expect(body.items[0]!.occurredAt).toBe('2023-06-27T10:00:00.000Z');
      expect(body.items[0]!.score).toMatchObject({ textRank: 1 });
      expect(body.items[0]!.score.fused).toBeGreaterThan(0);
      expect(body.intent).toBe('temporal');
      expect(body.time).toMatchObject({ from: '2023-06-01T00:00:00.000Z' });

      const other = await app.inject({
        method: 'POST',
        url: '/v1/recall',
        headers: UMBRELLA,
        payload: { query: 'camping' },
      });
      expect(other.statusCode).toBe(200);
      expect(other.json<RecallBody>().items).toEqual([]);
    });

    it('rejects bad input with 400', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      for (const payload of [
        { query: '' },
        { query: 'x', k: 0 },
        { query: 'x', k: 101 },
        { query: 'x'.repeat(MAX_QUERY_CHARS + 1) },
        { query: 'x', tiers: ['nope'] },
      ]) {
        const response = await app.inject({
          method: 'POST',
          url: '/v1/recall',
          headers: ACME,
          payload,
        });
        expect(response.statusCode).toBe(400);
      }
      const reversed = await app.inject({
        method: 'POST',
        url: '/v1/recall',
        headers: ACME,
        payload: {
          query: 'x',
          timeRange: { from: '2023-07-01T00:00:00Z', to: '2023-06-01T00:00:00Z' },
        },
      });
      expect(reversed.statusCode).toBe(400);
    });
  });
}
