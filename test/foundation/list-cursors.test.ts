// Cursor pagination of GET /v1/documents/{id}/chunks and GET /v1/sessions on SQLite and
// PostgreSQL: pages in a stable order that, walked with nextCursor, give every item exactly once
// (ties in session activity included); a cursor the server did not issue is a 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/domain/clock.js';
import { postgresAvailable } from '../support/backends.js';
import {
  ACME,
  createTestApp,
  TWO_TENANT_API_KEYS,
  UMBRELLA,
  type TestApp,
} from '../support/runtime.js';

const pgUp = await postgresAvailable();

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`list cursors on ${backend}`, () => {
    let test: TestApp | undefined;
    const clock = createManualClock(Date.UTC(2026, 5, 1));

    beforeAll(async () => {
      if (backend === 'postgres' && !pgUp) return;
      test = await createTestApp({ backend, clock, env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS } });
    });
    afterAll(async () => {
      await test?.dispose();
    });

    async function get(url: string, headers = ACME) {
      return test!.app.inject({ method: 'GET', url, headers });
    }

    /** Follows nextCursor from the first page; returns each page's ids. */
    async function walk(base: string, key: 'chunks' | 'sessions', pick: (item: never) => string) {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const separator = base.includes('?') ? '&' : '?';
        const url: string =
          cursor === null ? base : `${base}${separator}cursor=${encodeURIComponent(cursor)}`;
        const response = await get(url);
        expect(response.statusCode, response.body).toBe(200);
        const body = response.json<Record<string, unknown> & { nextCursor: string | null }>();
        pages.push((body[key] as never[]).map(pick));
        cursor = body.nextCursor;
      } while (cursor !== null && pages.length < 20);
      return pages;
    }

    it('pages a document’s chunks by ordinal', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { runtime } = test;
      const { document } = await runtime.ingest.submit('acme', {
        content: 'seven chunks follow',
        mimeType: 'text/plain',
      });
      await runtime.stores.documentStore.replaceChunks(
        'acme',
        document.id,
        Array.from({ length: 7 }, (_, ordinal) => ({
          ordinal,
          text: `chunk ${ordinal}`,
          headingPath: [],
          tokenCount: 2,
          startOffset: ordinal * 10,
          endOffset: ordinal * 10 + 7,
          page: null,
          contentHash: `hash-${ordinal}`,
        })),
      );
      const base = `/v1/documents/${document.id}/chunks?limit=3`;
      const pages = await walk(base, 'chunks', (chunk: { ordinal: number }) =>
        String(chunk.ordinal),
      );
      expect(pages).toEqual([['0', '1', '2'], ['3', '4', '5'], ['6']]);
      const all = (await get(`/v1/documents/${document.id}/chunks`)).json<{
        chunks: unknown[];
        nextCursor: string | null;
      }>();
      expect(all.chunks).toHaveLength(7);
      expect(all.nextCursor).toBeNull();
      expect((await get(`${base}&cursor=bm9wZQ`)).statusCode).toBe(400);
      expect((await get(base, UMBRELLA)).statusCode).toBe(404);
    });

    it('pages a user’s sessions by activity, ties included, each once', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const { memory } = test.runtime;
      const created: string[] = [];
      for (let i = 0; i < 8; i += 1) {
        if (i % 3 !== 2) clock.advance(1_000); // every third session shares its time with the last
        created.push((await memory.createSession('acme', { userId: 'pager' })).id);
      }
      await memory.createSession('umbrella', { userId: 'pager' });
      const expected = (await memory.listSessions('acme', 'pager', 100)).map((s) => s.id);
      expect(new Set(expected)).toEqual(new Set(created));

      const pages = await walk(
        '/v1/sessions?userId=pager&limit=3',
        'sessions',
        (s: { id: string }) => s.id,
      );
      expect(pages.map((page) => page.length)).toEqual([3, 3, 2]);
      expect(pages.flat()).toEqual(expected);
      expect((await get('/v1/sessions?userId=pager&cursor=WzEsMl0')).statusCode).toBe(400);
      expect((await get('/v1/sessions?userId=pager&cursor=%%%')).statusCode).toBe(400);
    });
  });
}
