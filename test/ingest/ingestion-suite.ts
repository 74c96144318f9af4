// End-to-end ingestion through the HTTP routes, run on SQLite and on PostgreSQL: ingest →
// completed with chunks, entities and relations; same content → one document; a SIGKILLed worker
// process → another finishes with no duplicates; a stage that keeps failing → failed, then retry
// completes; delete leaves no orphans; limits answer 4xx naming the limit.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { normalizeName } from '../../src/graph/names.js';
import type { DocumentRecord, PipelineStage } from '../../src/ports/document-store.js';
import { createLocalEmbedder, type LocalEmbedder } from '../../src/providers/local-embedder.js';
import {
  buildStack,
  freshLocation,
  openBackend,
  sampleMarkdown,
  waitForStatus,
  type Backend,
  type BackendLocation,
  type IngestStack,
} from './harness.js';

const TENANT = 'default';
const CHILD = fileURLToPath(new URL('./fixtures/ingest-child.ts', import.meta.url));

export function describeIngestion(kind: BackendLocation['kind']): void {
  describe(`ingestion end to end: ${kind}`, () => {
    let place: Awaited<ReturnType<typeof freshLocation>>;
    let backend: Backend;
    let stack: IngestStack;
    let embedder: LocalEmbedder;
    /** Stage → how many more times it throws, and whether as a permanent error. */
    const failures = new Map<PipelineStage, { times: number; permanent: boolean }>();
    /** Stage → a gate the stage waits on before it starts. */
    const gates = new Map<PipelineStage, Promise<void>>();

    beforeAll(async () => {
      place = await freshLocation(kind);
      if (place === undefined) return;
      backend = await openBackend(place.location);
      embedder = createLocalEmbedder({ logger: createSilentLogger(), threads: 1, batchSize: 8 });
      stack = await buildStack(backend, embedder, {
        beforeStage: async (stage) => {
          await gates.get(stage);
          const failure = failures.get(stage);
          if (failure === undefined || failure.times <= 0) return;
          failure.times -= 1;
          throw failure.permanent
            ? new AppError('VALIDATION_FAILED', `injected permanent failure in ${stage}`)
            : new Error(`injected transient failure in ${stage}`);
        },
      });
      stack.startWorker();
    });

    afterAll(async () => {
      await stack?.close();
      await embedder?.close();
      await backend?.close();
      await place?.destroy();
    });

    const test = (title: string, body: () => Promise<void>, timeoutMs = 120_000) =>
      it(
        title,
        async (context) => {
          if (place === undefined) {
            context.skip('PostgreSQL is not available');
            return;
          }
          await body();
        },
        timeoutMs,
      );

    /** Polls the document until `done` says its versions reached the state wanted. */
    async function waitForNext(
      id: string,
      done: (next: DocumentRecord['nextVersion'], live: DocumentRecord) => boolean,
    ): Promise<DocumentRecord> {
      for (;;) {
        const document = await stack.service.get(TENANT, id);
        if (done(document.nextVersion, document)) return document;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

    async function submit(content: string, extra: Record<string, unknown> = {}) {
      const response = await stack.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content, mimeType: 'text/markdown', title: 'Handbook', ...extra },
      });
      expect(response.statusCode).toBe(202);
      return response.json<{
        id: string;
        status: string;
        version: number;
        created: boolean;
        changed: boolean;
      }>();
    }

    test('ingests a document to completed with chunks, vectors, entities and relations, and finds it', async () => {
      const submitted = await submit(sampleMarkdown('ingestion'));
      expect(submitted).toMatchObject({ status: 'pending', created: true });
      await waitForStatus(stack.service, TENANT, submitted.id, ['completed', 'failed']);
      const response = await stack.app.inject({
        method: 'GET',
        url: `/v1/documents/${submitted.id}`,
      });
      const document = response.json();
      expect(document).toMatchObject({
        status: 'completed',
        stage: null,
        error: null,
        attempts: 1,
      });
      expect(document.counts.chunks).toBeGreaterThan(2);
      expect(document.counts.entities).toBeGreaterThan(0);
      expect(document.counts.relations).toBeGreaterThan(0);
      expect(Object.keys(document.timings).sort()).toEqual([
        'chunk',
        'embed',
        'extract',
        'index',
        'total',
      ]);

      const chunks = (
        await stack.app.inject({ method: 'GET', url: `/v1/documents/${submitted.id}/chunks` })
      ).json().chunks;
      expect(chunks).toHaveLength(document.counts.chunks);
      expect(chunks.every((chunk: { embedded: boolean }) => chunk.embedded)).toBe(true);
      expect(chunks[1].headingPath[0]).toBe('ingestion handbook');

      const search = await stack.app.inject({
        method: 'POST',
        url: '/v1/search',
        payload: { query: 'Which graph database does the team use?', k: 3 },
      });
      expect(search.statusCode).toBe(200);
      const hits = search.json().hits;
      expect(hits.length).toBeGreaterThan(0);
      expect(hits[0].documentId).toBe(submitted.id);
      expect(hits[0].text).toContain('Neo4j');
      expect(hits[0].scores.text).not.toBeNull();
      expect(hits[0].scores.vector).not.toBeNull();
      expect(hits[0].score).toBeCloseTo(hits[0].scores.rrf, 10);
    });

    test('the same content twice is one document', async () => {
      const content = sampleMarkdown('dedup', 1);
      const first = await submit(content);
      const second = await submit(content, { title: 'Another title' });
      expect(second).toMatchObject({ id: first.id, created: false });
      const batch = await stack.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { documents: [{ content }, { content, namespace: 'elsewhere' }] },
      });
      expect(batch.statusCode).toBe(202);
      const [again, elsewhere] = batch.json().documents;
      expect(again).toMatchObject({ id: first.id, created: false });
      expect(elsewhere.created).toBe(true);
      const listed = (
        await stack.app.inject({ method: 'GET', url: '/v1/documents?namespace=default&limit=500' })
      ).json();
      expect(listed.documents.filter((d: { id: string }) => d.id === first.id)).toHaveLength(1);
      await waitForStatus(stack.service, TENANT, first.id, ['completed']);
      await waitForStatus(stack.service, TENANT, elsewhere.id, ['completed']);
    });

    test('a stage that keeps failing ends failed with its stage and error; retry completes it', async () => {
      failures.set('embed', { times: 3, permanent: false });
      const { id } = await submit(sampleMarkdown('flaky', 1));
      const failed = await waitForStatus(stack.service, TENANT, id, ['failed', 'completed']);
      expect(failed).toMatchObject({
        status: 'failed',
        stage: 'embed',
        error: 'injected transient failure in embed',
        attempts: 3,
      });
      const retry = await stack.app.inject({ method: 'POST', url: `/v1/documents/${id}/retry` });
      expect(retry.statusCode).toBe(202);
      expect(retry.json()).toMatchObject({ status: 'pending', attempts: 0 });
      const done = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
      expect(done).toMatchObject({ status: 'completed', stage: null, error: null, attempts: 1 });
      const again = await stack.app.inject({ method: 'POST', url: `/v1/documents/${id}/retry` });
      expect(again.statusCode).toBe(409);
    });

    test('a permanent error fails at once', async () => {
      failures.set('extract', { times: 1, permanent: true });
      const { id } = await submit(sampleMarkdown('permanent', 1));
      const failed = await waitForStatus(stack.service, TENANT, id, ['failed', 'completed']);
      expect(failed).toMatchObject({ status: 'failed', stage: 'extract', attempts: 1 });
      expect(failed.error).toContain('injected permanent failure');
    });

    test('delete removes chunks, vectors, index rows and the graph it alone supported', async () => {
      const { id } = await submit(sampleMarkdown('deletion', 2));
      const document = await waitForStatus(stack.service, TENANT, id, ['completed']);
      const before = await backend.store.countChunks(TENANT);
      const removed = await stack.app.inject({ method: 'DELETE', url: `/v1/documents/${id}` });
      expect(removed.statusCode).toBe(200);
      expect(removed.json()).toEqual({
        id,
        deleted: true,
        chunks: document.chunkCount,
        vectors: document.chunkCount,
      });
      const after = await backend.store.countChunks(TENANT);
      expect(after).toEqual({
        chunks: before.chunks - document.chunkCount,
        vectors: before.vectors - document.chunkCount,
        indexed: before.indexed - document.chunkCount,
      });
      expect(
        (await stack.app.inject({ method: 'GET', url: `/v1/documents/${id}` })).statusCode,
      ).toBe(404);
      expect(
        (await stack.app.inject({ method: 'DELETE', url: `/v1/documents/${id}` })).statusCode,
      ).toBe(404);
      const hits = (
        await stack.app.inject({
          method: 'POST',
          url: '/v1/search',
          payload: { query: 'deletion queue', k: 50 },
        })
      ).json().hits;
      expect(hits.filter((hit: { documentId: string }) => hit.documentId === id)).toEqual([]);
      const mentions = await backend.graphStore.removeDocument(TENANT, id);
      expect(mentions).toMatchObject({ mentions: 0 });
    });

    test('a new version replaces the old chunks and graph facts when it completes; a failed version leaves the live one answering', async () => {
      const entity = async (name: string) =>
        (await backend.graphStore.searchEntities(TENANT, normalizeName(name), 5)).map(
          (e) => e.name,
        );
      const hitsFor = async (query: string, id: string) =>
        (await stack.app.inject({ method: 'POST', url: '/v1/search', payload: { query, k: 50 } }))
          .json<{ hits: { documentId: string; text: string }[] }>()
          .hits.filter((hit) => hit.documentId === id)
          .map((hit) => hit.text);
      const first = await submit('Zelda Quimby joined Vortex Dynamics in Lisbon in 2020.', {
        key: 'people/zelda.md',
      });
      expect(first).toMatchObject({ version: 1, created: true, changed: true });
      await waitForStatus(stack.service, TENANT, first.id, ['completed']);
      expect(await entity('Zelda Quimby')).toEqual(['Zelda Quimby']);

      // Version 2 fails for good at its index stage: version 1 keeps answering, and the failed
      // version's facts are taken back.
      failures.set('index', { times: 1, permanent: true });
      const put = await stack.app.inject({
        method: 'PUT',
        url: `/v1/documents/${first.id}`,
        payload: { content: 'Marek Olsen joined Helio Systems in Oslo in 2019.' },
      });
      expect(put.statusCode, put.body).toBe(202);
      expect(put.json()).toMatchObject({
        id: first.id,
        version: 2,
        status: 'pending',
        created: false,
        changed: true,
      });
      let document = await waitForNext(first.id, (next) => next?.status === 'failed');
      expect(document).toMatchObject({
        version: 1,
        status: 'completed',
        key: 'people/zelda.md',
        nextVersion: { version: 2, status: 'failed', stage: 'index' },
      });
      expect(await hitsFor('Lisbon Oslo', first.id)).toEqual([
        'Zelda Quimby joined Vortex Dynamics in Lisbon in 2020.',
      ]);
      expect(await entity('Marek Olsen')).toEqual([]);
      expect(await entity('Zelda Quimby')).toEqual(['Zelda Quimby']);

      // Retried, it completes and replaces version 1: chunks, vectors, index rows and facts. Held
      // at its index stage (extraction done), it has not touched the graph yet.
      const before = await backend.store.countChunks(TENANT);
      const liveGraph = async () =>
        (await backend.graphStore.documentEntities(TENANT, first.id, 50)).map((e) => e.name).sort();
      const oldGraph = await liveGraph();
      expect(oldGraph).toContain('Zelda Quimby');
      let open = () => {};
      gates.set('index', new Promise<void>((resolve) => (open = resolve)));
      const retried = await stack.app.inject({
        method: 'POST',
        url: `/v1/documents/${first.id}/retry`,
      });
      expect(retried.statusCode, retried.body).toBe(202);
      await waitForNext(
        first.id,
        (next) => next?.status === 'processing' && next.stage === 'index',
      );
      expect(await entity('Marek Olsen')).toEqual([]);
      expect(await liveGraph()).toEqual(oldGraph);
      // While it completes, every read of the document's graph (one statement) sees one version
      // whole: never both versions' facts, never a part of either.
      const seen: string[][] = [];
      let reading = true;
      const reader = (async () => {
        while (reading) {
          seen.push(await liveGraph());
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      gates.delete('index');
      open();
      document = await waitForNext(first.id, (next, live) => next === null && live.version === 2);
      reading = false;
      await reader;
      const newGraph = await liveGraph();
      expect(newGraph).toContain('Marek Olsen');
      expect(newGraph).not.toContain('Zelda Quimby');
      const torn = seen.filter(
        (names) => names.join('|') !== oldGraph.join('|') && names.join('|') !== newGraph.join('|'),
      );
      expect(torn).toEqual([]);
      expect(document).toMatchObject({ version: 2, status: 'completed', nextVersion: null });
      expect(await hitsFor('Lisbon Oslo', first.id)).toEqual([
        'Marek Olsen joined Helio Systems in Oslo in 2019.',
      ]);
      // Before: version 1's chunk, and version 2's embedded but not indexed. After: one of each.
      expect(await backend.store.countChunks(TENANT)).toEqual({
        chunks: before.chunks - 1,
        vectors: before.vectors - 1,
        indexed: before.indexed,
      });
      expect(await entity('Marek Olsen')).toEqual(['Marek Olsen']);
      expect(await entity('Zelda Quimby')).toEqual([]);
      const same = await submit('Marek Olsen joined Helio Systems in Oslo in 2019.', {
        key: 'people/zelda.md',
      });
      expect(same).toMatchObject({ id: first.id, version: 2, changed: false });
    });

    test('a worker process killed in the middle of a document: another finishes it without duplicates', async () => {
      // Stop our own worker first so the child is the one that claims the job.
      await stack.close();
      stack = await buildStack(backend, embedder);
      const { id } = await submit(sampleMarkdown('crash', 6));
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: { ...process.env, ENGRAM_TEST_LOCATION: JSON.stringify(backend.location) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      try {
        await new Promise<void>((resolve, reject) => {
          let output = '';
          child.stdout.on('data', (data: Buffer) => {
            output += data.toString();
            if (output.includes('MID-EMBED')) resolve();
          });
          child.once('exit', () =>
            reject(new Error(`child exited before the middle of the document: ${output}`)),
          );
        });
        const middle = await stack.service.get(TENANT, id);
        expect(middle).toMatchObject({ status: 'processing', stage: 'embed' });
        const partial = (await backend.store.listChunks(TENANT, id)).filter(
          (chunk) => chunk.hasVector,
        ).length;
        expect(partial).toBeGreaterThan(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(await exited).toBe('SIGKILL');

      stack.startWorker(); // claims the job once the dead child's lease (1.5 s) expires
      const done = await waitForStatus(stack.service, TENANT, id, ['completed', 'failed']);
      expect(done).toMatchObject({ status: 'completed', attempts: 2 });
      const chunks = await backend.store.listChunks(TENANT, id);
      expect(chunks.map((chunk) => chunk.ordinal)).toEqual(chunks.map((_, i) => i));
      expect(chunks).toHaveLength(done.chunkCount);
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(chunks.length);
      expect(chunks.every((chunk) => chunk.hasVector)).toBe(true);
      const hits = await stack.service.searchChunks({
        tenantId: TENANT,
        query: 'crash queue ordinals',
        k: 50,
      });
      const ordinals = hits.hits.filter((hit) => hit.documentId === id).map((hit) => hit.ordinal);
      expect(new Set(ordinals).size).toBe(ordinals.length);
    });

    test('limits answer 4xx with the limit named', async () => {
      const big = await stack.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content: 'x'.repeat(64 * 1024 + 1) },
      });
      expect(big.statusCode).toBe(413);
      expect(big.json().error.message).toContain('65536 bytes');
      const batch = await stack.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { documents: Array.from({ length: 6 }, (_, i) => ({ content: `doc ${i}` })) },
      });
      expect(batch.statusCode).toBe(413);
      expect(batch.json().error.message).toContain('limit is 5');
      const query = await stack.app.inject({
        method: 'POST',
        url: '/v1/search',
        payload: { query: 'q'.repeat(201) },
      });
      expect(query.statusCode).toBe(413);
      expect(query.json().error.message).toContain('limit is 200');
      const k = await stack.app.inject({
        method: 'POST',
        url: '/v1/search',
        payload: { query: 'q', k: 51 },
      });
      expect(k.statusCode).toBe(400);
      expect(k.json().error.message).toContain('50');
      const empty = await stack.app.inject({
        method: 'POST',
        url: '/v1/documents',
        payload: { content: '   ' },
      });
      expect(empty.statusCode).toBe(400);
    });
  });
}
