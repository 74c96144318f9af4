// The ingestion capability as `engram serve` runs it: the real runtime (config → stores →
// services → ingest worker) and buildApp, through HTTP. Guards the wiring in runtime.ts and app.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngramApp } from '../../src/http/engram-app.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { sampleMarkdown } from './harness.js';

describe('ingestion through the runtime and buildApp (SQLite)', () => {
  let test: TestApp;
  let app: EngramApp;

  beforeAll(async () => {
    test = await createTestApp({
      env: { ENGRAM_WORKER_POLL_MS: '20', ENGRAM_CHUNK_TOKENS: '128' },
    });
    app = test.app;
    test.runtime.startBackground();
  });
  afterAll(async () => {
    await test?.dispose();
  });

  it('stores, processes and finds a document; the OpenAPI document lists the routes', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/documents',
      payload: {
        content: sampleMarkdown('wiring', 2),
        mimeType: 'text/markdown',
        namespace: 'docs',
      },
    });
    expect(created.statusCode).toBe(202);
    const { id } = created.json<{ id: string }>();
    let document: { status: string; counts: { chunks: number; entities: number } };
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      document = (await app.inject({ method: 'GET', url: `/v1/documents/${id}` })).json();
    } while (document.status === 'pending' || document.status === 'processing');
    expect(document.status).toBe('completed');
    expect(document.counts.chunks).toBeGreaterThan(1);
    expect(document.counts.entities).toBeGreaterThan(0);

    const search = await app.inject({
      method: 'POST',
      url: '/v1/search',
      payload: { query: 'Where did Alice Johnson join Acme?', k: 5, namespace: 'docs' },
    });
    expect(search.statusCode).toBe(200);
    expect(search.json().hits[0].documentId).toBe(id);
    const semantic = await test.runtime.documentSearch.searchChunks({
      tenantId: 'default',
      query: 'Neo4j',
      k: 2,
    });
    expect(semantic.hits.length).toBeGreaterThan(0);

    const openapi = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/documents',
        '/v1/documents/{id}',
        '/v1/documents/{id}/retry',
        '/v1/search',
      ]),
    );
  });
});
