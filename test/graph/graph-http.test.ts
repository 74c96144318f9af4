// The graph endpoints end to end through the real runtime and HTTP app, on SQLite and
// PostgreSQL, with tenant isolation by API key.
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

const TEXT = [
  'Neo4j Inc. hired Alice Smith in 2019. Emil Eifrem founded Neo4j in Sweden.',
  'In 2022, Alice Smith joined Globex Corporation. Globex Corporation is headquartered in Berlin.',
  'Many teams run neo4j in production.',
];

interface EntityBody {
  id: string;
  name: string;
  type: string;
  mentionCount: number;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`graph over HTTP on ${backend}`, () => {
    let test: TestApp | undefined;
    let app: EngramApp;

    beforeAll(async () => {
      if (backend === 'postgres' && !(await postgresAvailable())) return;
      test = await createTestApp({ backend, env: { ENGRAM_API_KEYS: TWO_TENANT_API_KEYS } });
      app = test.app;
      await test.runtime.graph.extract({
        tenantId: 'acme',
        documentId: 'doc-1',
        chunks: TEXT.map((text, ordinal) => ({ id: `chunk-${ordinal}`, ordinal, text })),
      });
    }, 60_000);
    afterAll(async () => {
      await test?.dispose();
    });

    it('searches entities, shows one with aliases, facts and mentions, and walks its neighbourhood', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const search = await app.inject({
        method: 'GET',
        url: '/v1/entities?query=NEO4J',
        headers: ACME,
      });
      expect(search.statusCode).toBe(200);
      const entities = search.json<{ entities: EntityBody[] }>().entities;
      expect(entities).toHaveLength(1);
      expect(entities[0]).toMatchObject({
        name: 'Neo4j Inc.',
        type: 'organization',
        mentionCount: 3,
      });

      const detail = await app.inject({
        method: 'GET',
        url: `/v1/entities/${entities[0]!.id}`,
        headers: ACME,
      });
      expect(detail.statusCode).toBe(200);
      const body = detail.json<{
        aliases: { alias: string; method: string }[];
        facts: {
          text: string;
          invalidAt: string | null;
          sources: { documentId: string; chunkId: string; sentence: string }[];
        }[];
        mentions: { chunkId: string; surface: string }[];
      }>();
      expect(body.aliases.map((a) => a.alias).sort()).toEqual(['Neo4j', 'Neo4j Inc.', 'neo4j']);
      expect(body.facts.map((f) => f.text).sort()).toEqual([
        'Alice Smith works at Neo4j Inc. (from 2019-01-01 until 2022-01-01)',
        expect.stringMatching(/^Emil Eifrem founded Neo4j Inc\. \(since \d{4}-\d{2}-\d{2}\)$/),
      ]);
      expect(body.facts.find((f) => f.text.startsWith('Alice'))!.sources).toEqual([
        {
          documentId: 'doc-1',
          chunkId: 'chunk-0',
          sentence: 'Neo4j Inc. hired Alice Smith in 2019.',
        },
      ]);
      expect(body.mentions.map((m) => `${m.chunkId}:${m.surface}`).sort()).toEqual([
        'chunk-0:Neo4j',
        'chunk-0:Neo4j Inc.',
        'chunk-2:neo4j',
      ]);

      const near = await app.inject({
        method: 'GET',
        url: '/v1/graph/neighborhood?entity=Alice%20Smith&depth=2',
        headers: ACME,
      });
      expect(near.statusCode).toBe(200);
      const hood = near.json<{
        center: EntityBody;
        entities: (EntityBody & { depth: number })[];
        relations: { text: string }[];
        truncated: boolean;
      }>();
      expect(hood.center.name).toBe('Alice Smith');
      expect(hood.entities.map((e) => `${e.name}@${e.depth}`).sort()).toEqual([
        'Alice Smith@0',
        'Berlin@2',
        'Globex Corporation@1',
      ]);
      expect(hood.truncated).toBe(false);
      const withHistory = await app.inject({
        method: 'GET',
        url: '/v1/graph/neighborhood?entity=Alice%20Smith&depth=2&includeInvalid=true',
        headers: ACME,
      });
      expect(withHistory.json<{ entities: EntityBody[] }>().entities.map((e) => e.name)).toEqual(
        expect.arrayContaining(['Neo4j Inc.', 'Emil Eifrem']),
      );
    });

    it('documents the graph endpoints in the OpenAPI description', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const spec = await app.inject({ method: 'GET', url: '/docs/json' });
      expect(spec.statusCode).toBe(200);
      const paths = Object.keys(spec.json<{ paths: Record<string, unknown> }>().paths);
      expect(paths).toEqual(
        expect.arrayContaining(['/v1/entities', '/v1/entities/{id}', '/v1/graph/neighborhood']),
      );
    });

    it('rejects a depth over 3, reports unknown entities as 404, and keeps tenants apart', async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const deep = await app.inject({
        method: 'GET',
        url: '/v1/graph/neighborhood?entity=Alice%20Smith&depth=4',
        headers: ACME,
      });
      expect(deep.statusCode).toBe(400);
      const missing = await app.inject({
        method: 'GET',
        url: '/v1/entities/ent_nope',
        headers: ACME,
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.json<{ error: { code: string } }>().error.code).toBe('ENTITY_NOT_FOUND');
      const id = (
        await app.inject({ method: 'GET', url: '/v1/entities?query=Alice', headers: ACME })
      ).json<{ entities: EntityBody[] }>().entities[0]!.id;
      expect(
        (await app.inject({ method: 'GET', url: `/v1/entities/${id}`, headers: UMBRELLA }))
          .statusCode,
      ).toBe(404);
      expect(
        (
          await app.inject({ method: 'GET', url: '/v1/entities?query=Alice', headers: UMBRELLA })
        ).json(),
      ).toEqual({ entities: [] });
      const tooLong = await app.inject({
        method: 'GET',
        url: `/v1/entities?query=${'x'.repeat(501)}`,
        headers: ACME,
      });
      expect(tooLong.statusCode).toBe(400);
    });

    it("pages through an entity's mentions, each once and in the detail's order", async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const id = (
        await app.inject({ method: 'GET', url: '/v1/entities?query=NEO4J', headers: ACME })
      ).json<{ entities: EntityBody[] }>().entities[0]!.id;
      const detail = (
        await app.inject({ method: 'GET', url: `/v1/entities/${id}`, headers: ACME })
      ).json<{ mentions: object[] }>();
      expect(detail.mentions).toHaveLength(3);
      const paged: object[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const page = await app.inject({
          method: 'GET',
          url: `/v1/entities/${id}/mentions?limit=1${query}`,
          headers: ACME,
        });
        expect(page.statusCode).toBe(200);
        const body = page.json<{ mentions: object[]; nextCursor: string | null }>();
        expect(body.mentions).toHaveLength(1);
        paged.push(...body.mentions);
        cursor = body.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(3);
      expect(paged).toEqual(detail.mentions);
      const whole = await app.inject({
        method: 'GET',
        url: `/v1/entities/${id}/mentions`,
        headers: ACME,
      });
      expect(whole.json()).toEqual({ mentions: detail.mentions, nextCursor: null });
      // Nothing was cut from the detail, so it offers no cursor.
      expect(detail).toMatchObject({ mentionsTruncated: false, mentionsNextCursor: null });

      // Another tenant's entity is unknown; a forged cursor or a page size out of range is a 400.
      const theirs = await app.inject({
        method: 'GET',
        url: `/v1/entities/${id}/mentions`,
        headers: UMBRELLA,
      });
      expect(theirs.statusCode).toBe(404);
      for (const query of [
        'cursor=bm90LWEtY3Vyc29y',
        'cursor=WzEsMiwzXQ',
        'limit=0',
        'limit=201',
      ]) {
        const bad = await app.inject({
          method: 'GET',
          url: `/v1/entities/${id}/mentions?${query}`,
          headers: ACME,
        });
        expect(bad.statusCode, query).toBe(400);
      }
    });

    it("lists a document's entities, most mentioned first, for its own tenant only", async (ctx) => {
      if (test === undefined) return ctx.skip('PostgreSQL is not reachable');
      const listed = await app.inject({ url: '/v1/entities?documentId=doc-1', headers: ACME });
      expect(listed.statusCode).toBe(200);
      const names = listed.json<{ entities: EntityBody[] }>().entities.map((e) => e.name);
      expect(names).toEqual(
        expect.arrayContaining(['Alice Smith', 'Globex Corporation', 'Berlin']),
      );
      // Neo4j is mentioned three times in the document: it comes first.
      expect(names[0]).toMatch(/^Neo4j/);
      const limited = await app.inject({
        url: '/v1/entities?documentId=doc-1&limit=2',
        headers: ACME,
      });
      expect(limited.json<{ entities: EntityBody[] }>().entities).toHaveLength(2);
      for (const [headers, url] of [
        [UMBRELLA, '/v1/entities?documentId=doc-1'],
        [ACME, '/v1/entities?documentId=doc-nope'],
      ] as const) {
        expect((await app.inject({ url, headers })).json()).toEqual({ entities: [] });
      }
      for (const url of ['/v1/entities', '/v1/entities?query=Alice&documentId=doc-1']) {
        const refused = await app.inject({ url, headers: ACME });
        expect(refused.statusCode).toBe(400);
        expect(refused.json<{ error: { message: string } }>().error.message).toContain(
          'exactly one of query and documentId',
        );
      }
    });
  });
}
