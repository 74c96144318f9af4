// The one contract every DocumentStore adapter passes: dedup by content, truthful state, chunk
// upserts by (document, ordinal), vector-space binding, search and delete without orphans.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/domain/errors.js';
import { sha256Hex } from '../../src/domain/hashing.js';
import { newId } from '../../src/domain/ids.js';
import type {
  ChunkSearchInput,
  ChunkInput,
  DocumentStore,
  NewDocument,
} from '../../src/ports/document-store.js';

export interface StoreFixture {
  store: DocumentStore;
  /** Refreshes the engine's term statistics (PostgreSQL's ANALYZE; autovacuum would, later). */
  analyze?(): Promise<void>;
  close(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 1);

export function newDocument(
  tenantId: string,
  content: string,
  extra: Partial<NewDocument> = {},
): NewDocument {
  return {
    id: newId('doc'),
    tenantId,
    namespace: 'default',
    contentHash: sha256Hex(content),
    content,
    title: null,
    mimeType: 'text/markdown',
    metadata: {},
    now: NOW,
    ...extra,
  };
}

export function chunkInputs(
  texts: string[],
  headingPath: string[] = [],
  page: number | null = null,
): ChunkInput[] {
  let offset = 0;
  return texts.map((text, ordinal) => {
    const chunk = {
      ordinal,
      text,
      headingPath,
      tokenCount: text.split(/\s+/).length,
      startOffset: offset,
      endOffset: offset + text.length,
      page,
      contentHash: sha256Hex(`${headingPath.join('/')}\n${page ?? ''}\n${text}`),
    };
    offset += text.length + 1;
    return chunk;
  });
}

/** A unit vector of dimension `dimension` pointing mostly along axis `axis`. */
export function axisVector(dimension: number, axis: number, tilt = 0): Float32Array {
  const vector = new Float32Array(dimension);
  vector[axis % dimension] = 1;
  vector[(axis + 1) % dimension] = tilt;
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

async function complete(store: DocumentStore, tenantId: string, documentId: string): Promise<void> {
  await store.indexDocument(tenantId, documentId);
  await store.updateDocument(tenantId, documentId, {
    status: 'completed',
    stage: null,
    now: NOW + 1,
  });
}

export function describeDocumentStore(
  name: string,
  open: () => Promise<StoreFixture | undefined>,
): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    let store: DocumentStore;
    const tenant = `t_${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      fixture = await open();
      if (fixture !== undefined) store = fixture.store;
    });
    afterAll(async () => {
      await fixture?.close();
    });

    const test = (title: string, body: () => Promise<void>) =>
      it(title, async (context) => {
        if (fixture === undefined) {
          context.skip(`${name} is not available`);
          return;
        }
        await body();
      });

    test('stores a document once per content hash and namespace', async () => {
      const first = await store.createDocument(newDocument(tenant, 'same content'));
      const again = await store.createDocument(newDocument(tenant, 'same content'));
      const elsewhere = await store.createDocument(
        newDocument(tenant, 'same content', { namespace: 'other' }),
      );
      const otherTenant = await store.createDocument(newDocument(`${tenant}x`, 'same content'));
      expect(first.created).toBe(true);
      expect(again).toMatchObject({ created: false, document: { id: first.document.id } });
      expect(elsewhere.created).toBe(true);
      expect(otherTenant.created).toBe(true);
      expect(first.document).toMatchObject({
        status: 'pending',
        stage: null,
        attempts: 0,
        sizeBytes: 12,
      });
      expect(await store.getDocumentContent(tenant, first.document.id)).toBe('same content');
      expect(await store.getDocument(`${tenant}x`, first.document.id)).toBeUndefined();
    });

    test('records state changes and reports a missing document', async () => {
      const { document } = await store.createDocument(
        newDocument(tenant, 'state', { metadata: { team: 'a' } }),
      );
      const updated = await store.updateDocument(tenant, document.id, {
        status: 'failed',
        stage: 'embed',
        attempts: 3,
        error: 'boom',
        timings: { chunk: 5 },
        now: NOW + 10,
      });
      expect(updated).toMatchObject({
        status: 'failed',
        stage: 'embed',
        attempts: 3,
        error: 'boom',
        timings: { chunk: 5 },
        metadata: { team: 'a' },
        updatedAt: NOW + 10,
      });
      await expect(
        store.updateDocument(tenant, 'doc_missing', { status: 'completed', now: NOW }),
      ).rejects.toMatchObject({
        code: 'DOCUMENT_NOT_FOUND',
      });
    });

    test('pages through documents newest first with a cursor and filters', async () => {
      const pageTenant = `${tenant}_pages`;
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const { document } = await store.createDocument(
          newDocument(pageTenant, `doc ${i}`, {
            id: newId('doc', NOW + i),
            namespace: i % 2 === 0 ? 'even' : 'odd',
          }),
        );
        ids.push(document.id);
      }
      const first = await store.listDocuments({ tenantId: pageTenant, limit: 2 });
      expect(first.items.map((d) => d.id)).toEqual([ids[4], ids[3]]);
      const second = await store.listDocuments({
        tenantId: pageTenant,
        limit: 2,
        cursor: first.nextCursor!,
      });
      expect(second.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
      const third = await store.listDocuments({
        tenantId: pageTenant,
        limit: 2,
        cursor: second.nextCursor!,
      });
      expect(third).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
      const even = await store.listDocuments({
        tenantId: pageTenant,
        namespace: 'even',
        limit: 10,
      });
      expect(even.items).toHaveLength(3);
      await store.updateDocument(pageTenant, ids[1]!, { status: 'failed', now: NOW });
      const failed = await store.listDocuments({
        tenantId: pageTenant,
        status: 'failed',
        limit: 10,
      });
      expect(failed.items.map((d) => d.id)).toEqual([ids[1]]);
      // Counts per status cover every page, and only this tenant's documents.
      expect(await store.countDocumentsByStatus(pageTenant)).toEqual({
        pending: 4,
        processing: 0,
        completed: 0,
        failed: 1,
      });
      expect(await store.countDocumentsByStatus(`${pageTenant}_none`)).toEqual({
        pending: 0,
        processing: 0,
        completed: 0,
        failed: 0,
      });
      await expect(
        store.listDocuments({ tenantId: pageTenant, limit: 2, cursor: 'not-a-cursor!' }),
      ).rejects.toBeInstanceOf(AppError);
    });

    test('upserts chunks by (document, ordinal): a replay never duplicates, a change drops only what changed', async () => {
      const { document } = await store.createDocument(newDocument(tenant, 'chunked'));
      await store.bindVectorSpace({ embedderId: 'test:axis-8', dimension: 8 });
      const chunks = chunkInputs(['alpha one', 'beta two', 'gamma three']);
      await store.replaceChunks(tenant, document.id, chunks);
      await store.replaceChunks(tenant, document.id, chunks);
      const stored = await store.listChunks(tenant, document.id);
      expect(stored.map((c) => [c.ordinal, c.text])).toEqual([
        [0, 'alpha one'],
        [1, 'beta two'],
        [2, 'gamma three'],
      ]);
      await store.upsertVectors(
        tenant,
        stored.map((chunk, i) => ({ chunkId: chunk.id, vector: axisVector(8, i) })),
      );
      await store.upsertVectors(tenant, [{ chunkId: stored[0]!.id, vector: axisVector(8, 0) }]);
      expect(await store.countChunks(tenant)).toMatchObject({ vectors: 3 });

      await store.replaceChunks(tenant, document.id, chunkInputs(['alpha one', 'beta CHANGED']));
      const after = await store.listChunks(tenant, document.id);
      expect(after.map((c) => [c.ordinal, c.text, c.hasVector])).toEqual([
        [0, 'alpha one', true],
        [1, 'beta CHANGED', false],
      ]);
      expect(after[0]!.id).toBe(stored[0]!.id);
      expect(await store.countChunks(tenant)).toMatchObject({ vectors: 1 });
    });

    test('sets the title the document names, and leaves every other field as it was', async () => {
      const { document } = await store.createDocument(newDocument(tenant, 'titled'));
      const updated = await store.updateDocument(tenant, document.id, {
        title: 'Pricing page',
        now: NOW + 1,
      });
      expect(updated).toMatchObject({
        title: 'Pricing page',
        status: document.status,
        chunkCount: document.chunkCount,
      });
      expect((await store.getDocument(tenant, document.id))?.title).toBe('Pricing page');
    });

    test('keeps the page a chunk starts on, and null for unpaged chunks', async () => {
      const { document } = await store.createDocument(newDocument(tenant, 'paged'));
      await store.replaceChunks(tenant, document.id, chunkInputs(['page seven text'], [], 7));
      expect((await store.listChunks(tenant, document.id)).map((c) => c.page)).toEqual([7]);
      await store.replaceChunks(tenant, document.id, chunkInputs(['unpaged text']));
      expect((await store.listChunks(tenant, document.id)).map((c) => c.page)).toEqual([null]);
    });

    test('refuses vectors of another embedder while vectors exist (EMBEDDER_MISMATCH names both)', async () => {
      await store.bindVectorSpace({ embedderId: 'test:axis-8', dimension: 8 });
      expect(await store.getVectorSpace()).toEqual({ embedderId: 'test:axis-8', dimension: 8 });
      const refused = await store
        .bindVectorSpace({ embedderId: 'other:model-16', dimension: 16 })
        .catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'EMBEDDER_MISMATCH' });
      expect((refused as Error).message).toContain('test:axis-8');
      expect((refused as Error).message).toContain('other:model-16');
      await expect(
        store.searchVector({ tenantId: tenant, vector: axisVector(16, 0), limit: 3 }),
      ).rejects.toMatchObject({ code: 'EMBEDDER_MISMATCH' });
    });

    test('finds chunks of completed documents only, by text and by vector, within the tenant', async () => {
      const searchTenant = `${tenant}_search`;
      await store.bindVectorSpace({ embedderId: 'test:axis-8', dimension: 8 });
      const done = await store.createDocument(
        newDocument(searchTenant, 'searchable', {
          title: 'Databases',
          metadata: { lang: 'en', public: true },
        }),
      );
      const pending = await store.createDocument(newDocument(searchTenant, 'not yet'));
      const foreign = await store.createDocument(
        newDocument(`${searchTenant}_other`, 'searchable'),
      );
      for (const { document } of [done, pending, foreign]) {
        await store.replaceChunks(
          document.tenantId,
          document.id,
          chunkInputs(
            ['Neo4j is a graph database running queries', 'PostgreSQL stores relational tables'],
            ['Databases'],
          ),
        );
        const chunks = await store.listChunks(document.tenantId, document.id);
        await store.upsertVectors(
          document.tenantId,
          chunks.map((chunk, i) => ({ chunkId: chunk.id, vector: axisVector(8, i + 2) })),
        );
      }
      await complete(store, searchTenant, done.document.id);
      await complete(store, `${searchTenant}_other`, foreign.document.id);

      const text = await store.searchText({
        tenantId: searchTenant,
        query: 'graph running',
        limit: 5,
      });
      expect(text.map((hit) => [hit.chunk.documentId, hit.chunk.ordinal, hit.rank])).toEqual([
        [done.document.id, 0, 1],
      ]);
      expect(text[0]!.score).toBeGreaterThan(0);
      expect(text[0]!.documentTitle).toBe('Databases');
      expect(
        await store.searchText({ tenantId: searchTenant, query: '"); DROP xyzzy -- *:', limit: 5 }),
      ).toEqual([]);
      expect(
        await store.searchText({
          tenantId: searchTenant,
          query: 'tables',
          limit: 5,
          namespace: 'nope',
        }),
      ).toEqual([]);
      const filtered = await store.searchText({
        tenantId: searchTenant,
        query: 'tables',
        limit: 5,
        metadata: { lang: 'en', public: true },
      });
      expect(filtered).toHaveLength(1);
      expect(
        await store.searchText({
          tenantId: searchTenant,
          query: 'tables',
          limit: 5,
          metadata: { lang: 'de' },
        }),
      ).toEqual([]);

      const vector = await store.searchVector({
        tenantId: searchTenant,
        vector: axisVector(8, 3, 0.1),
        limit: 5,
      });
      expect(vector.map((hit) => [hit.chunk.documentId, hit.chunk.ordinal])).toEqual([
        [done.document.id, 1],
        [done.document.id, 0],
      ]);
      expect(vector[0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.1), 3);
      const byDocument = await store.searchVector({
        tenantId: searchTenant,
        vector: axisVector(8, 3),
        limit: 5,
        documentIds: [pending.document.id],
      });
      expect(byDocument).toEqual([]);
    });

    test('lists pending and processing documents not touched since a time, across tenants', async () => {
      const stalledTenant = `${tenant}_stalled`;
      const old = await store.createDocument(
        newDocument(stalledTenant, 'old pending', { now: 1_000 }),
      );
      const busy = await store.createDocument(
        newDocument(`${stalledTenant}2`, 'old processing', { now: 1_000 }),
      );
      await store.updateDocument(`${stalledTenant}2`, busy.document.id, {
        status: 'processing',
        stage: 'embed',
        now: 2_000,
      });
      const done = await store.createDocument(
        newDocument(stalledTenant, 'old completed', { now: 1_000 }),
      );
      await store.updateDocument(stalledTenant, done.document.id, {
        status: 'completed',
        now: 2_000,
      });
      await store.createDocument(
        newDocument(stalledTenant, 'fresh pending', { now: NOW + 100_000 }),
      );
      const stalled = await store.listStalled({ updatedBefore: 5_000, limit: 10 });
      expect(stalled.map((d) => d.id)).toEqual([old.document.id, busy.document.id]);
    });

    test('delete removes the document, its chunks, vectors and index rows', async () => {
      const deleteTenant = `${tenant}_delete`;
      await store.bindVectorSpace({ embedderId: 'test:axis-8', dimension: 8 });
      const { document } = await store.createDocument(newDocument(deleteTenant, 'to delete'));
      await store.replaceChunks(
        deleteTenant,
        document.id,
        chunkInputs(['kept nowhere', 'gone soon']),
      );
      const chunks = await store.listChunks(deleteTenant, document.id);
      await store.upsertVectors(
        deleteTenant,
        chunks.map((chunk, i) => ({ chunkId: chunk.id, vector: axisVector(8, i) })),
      );
      await complete(store, deleteTenant, document.id);
      expect(
        await store.searchText({ tenantId: deleteTenant, query: 'soon', limit: 5 }),
      ).toHaveLength(1);

      expect(await store.deleteDocument(deleteTenant, document.id)).toEqual({
        chunks: 2,
        vectors: 2,
      });
      expect(await store.deleteDocument(deleteTenant, document.id)).toBe(false);
      expect(await store.getDocument(deleteTenant, document.id)).toBeUndefined();
      expect(await store.listChunks(deleteTenant, document.id)).toEqual([]);
      expect(await store.countChunks(deleteTenant)).toEqual({ chunks: 0, vectors: 0, indexed: 0 });
      expect(await store.searchText({ tenantId: deleteTenant, query: 'soon', limit: 5 })).toEqual(
        [],
      );
      expect(
        await store.searchVector({ tenantId: deleteTenant, vector: axisVector(8, 0), limit: 5 }),
      ).toEqual([]);
    });

    test('an empty store switches to a new embedder; its vectors then use the new dimension', async () => {
      const switchTenant = `${tenant}_switch`;
      // Remove every vector, so nothing would be mixed.
      for (const t of [tenant, `${tenant}_search`, `${tenant}_search_other`]) {
        let page = await store.listDocuments({ tenantId: t, limit: 100 });
        for (const d of page.items) await store.deleteDocument(t, d.id);
        page = await store.listDocuments({ tenantId: t, limit: 100 });
        expect(page.items).toEqual([]);
      }
      await store.bindVectorSpace({ embedderId: 'other:model-16', dimension: 16 });
      expect(await store.getVectorSpace()).toEqual({ embedderId: 'other:model-16', dimension: 16 });
      const { document } = await store.createDocument(newDocument(switchTenant, 'switched'));
      await store.replaceChunks(switchTenant, document.id, chunkInputs(['sixteen dims']));
      const [chunk] = await store.listChunks(switchTenant, document.id);
      await store.upsertVectors(switchTenant, [{ chunkId: chunk!.id, vector: axisVector(16, 5) }]);
      await complete(store, switchTenant, document.id);
      const hits = await store.searchVector({
        tenantId: switchTenant,
        vector: axisVector(16, 5),
        limit: 3,
      });
      expect(hits.map((hit) => hit.chunk.id)).toEqual([chunk!.id]);
      await expect(
        store.upsertVectors(switchTenant, [{ chunkId: chunk!.id, vector: axisVector(8, 1) }]),
      ).rejects.toMatchObject({
        code: 'EMBEDDER_MISMATCH',
      });
    });

    test('a term most chunks hold ranks after the rarer terms of a query, in bounded time', async () => {
      // A store of its own: the term statistics are the whole store's.
      const own = (await open())!;
      try {
        const common = Array.from({ length: 6_000 }, (_, i) => `alpha filler${i} notes`);
        const texts = [
          ...common,
          'alpha alpha alpha alpha alpha alpha',
          'a zebra crossing',
          'zebra stripes',
        ];
        const { document } = await own.store.createDocument(newDocument(tenant, texts.join(' ')));
        await own.store.replaceChunks(tenant, document.id, chunkInputs(texts));
        await complete(own.store, tenant, document.id);
        await own.analyze?.();
        const hits = await own.store.searchText({
          tenantId: tenant,
          query: 'alpha zebra',
          limit: 10,
        });
        // The rows holding the rare term first; the rest hold only the common one (which rows of
        // the 6,001 is the backend's bounded choice).
        expect(hits).toHaveLength(10);
        expect(
          hits
            .slice(0, 2)
            .map((hit) => hit.chunk.text)
            .sort(),
        ).toEqual(['a zebra crossing', 'zebra stripes']);
        for (const hit of hits.slice(2)) expect(hit.chunk.text).toMatch(/^alpha/);
        // Only common terms: they are all the query has, so they are kept; they rank a window of
        // the rows holding them (SQLite's newest, PostgreSQL's first in table order).
        const alone = await own.store.searchText({ tenantId: tenant, query: 'alpha', limit: 3 });
        expect(alone).toHaveLength(3);
        for (const hit of alone) expect(hit.chunk.text).toMatch(/^alpha/);
      } finally {
        await own.close();
      }
    });

    test('a small namespace in a big tenant gets its best matches in score order when every term is common', async () => {
      // A store of its own: the term statistics are the whole store's.
      const own = (await open())!;
      try {
        const add = async (namespace: string, texts: string[]) => {
          const content = texts.join(' ');
          const { document } = await own.store.createDocument(
            newDocument(tenant, content, {
              namespace,
              contentHash: sha256Hex(namespace + content),
            }),
          );
          await own.store.replaceChunks(tenant, document.id, chunkInputs(texts));
          await complete(own.store, tenant, document.id);
        };
        // Weak matches of the small namespace first, then 5,000 of another, then its strong ones:
        // "alpha" is beyond the budget, so the plan ranks a window, and the namespace filter comes
        // after it (PostgreSQL's window is the oldest rows, SQLite's the newest).
        await add(
          'small',
          Array.from({ length: 3 }, (_, i) => `alpha weak${i} filler words here and there more`),
        );
        await add(
          'big',
          Array.from({ length: 5_000 }, (_, i) => `alpha x${i} notes`),
        );
        await add(
          'small',
          Array.from({ length: 27 }, (_, i) => `alpha alpha alpha strong${i}`),
        );
        await own.analyze?.();
        const hits = await own.store.searchText({
          tenantId: tenant,
          query: 'alpha',
          limit: 10,
          namespace: 'small',
        });
        expect(hits).toHaveLength(10);
        for (const hit of hits) expect(hit.chunk.text).toMatch(/^alpha alpha alpha strong/);
        const scores = hits.map((hit) => hit.score);
        expect(scores).toEqual(scores.toSorted((a, b) => b - a));
      } finally {
        await own.close();
      }
    });

    test('full-text filters the plan cannot see (tenant, document) still find every match', async () => {
      // A store of its own: the term statistics are the whole store's.
      const own = (await open())!;
      try {
        const small = await own.store.createDocument(newDocument('t-small', 'small'));
        const smallTexts = ['gamma only here', 'another gamma note', 'gamma gamma'];
        await own.store.replaceChunks('t-small', small.document.id, chunkInputs(smallTexts));
        await complete(own.store, 't-small', small.document.id);
        const bigTexts = [
          // 2,603 postings of the two terms among 3,203 chunks: beyond the budget of 2,000, so
          // "beta" selects alone and "gamma" only scores.
          ...Array.from({ length: 1_200 }, (_, i) => `beta x${i}`),
          ...Array.from({ length: 1_400 }, (_, i) => `gamma y${i}`),
          ...Array.from({ length: 600 }, (_, i) => `other z${i}`),
        ];
        const big = await own.store.createDocument(newDocument('t-big', bigTexts.join(' ')));
        await own.store.replaceChunks('t-big', big.document.id, chunkInputs(bigTexts));
        await complete(own.store, 't-big', big.document.id);
        await own.analyze?.();
        const hits = await own.store.searchText({
          tenantId: 't-small',
          query: 'beta gamma',
          limit: 10,
        });
        expect(hits.map((hit) => hit.chunk.text).sort()).toEqual([...smallTexts].sort());
      } finally {
        await own.close();
      }
    });

    test('vector search beyond any candidate window agrees with exact search; filtered searches still fill k', async () => {
      // A store of its own: its vector space is 32-dimensional.
      const own = (await open())!;
      try {
        await own.store.bindVectorSpace({ embedderId: 'test:random-32', dimension: 32 });
        let state = 7;
        const unit = () => {
          const v = Float32Array.from(
            { length: 32 },
            () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5,
          );
          const norm = Math.hypot(...v);
          return v.map((x) => x / norm);
        };
        // 12 documents of 100 chunks: more than the 800 candidates SQLite scores exactly.
        const held: Array<{ chunkId: string; documentId: string; vector: Float32Array }> = [];
        const documents: Array<{ id: string; namespace: string; group: string }> = [];
        for (let d = 0; d < 12; d += 1) {
          const namespace = d % 3 === 0 ? 'rare' : 'default';
          const group = d % 4 === 1 ? 'b' : 'a';
          const texts = Array.from({ length: 100 }, (_, i) => `document ${d} part ${i}`);
          const { document } = await own.store.createDocument(
            newDocument(tenant, texts.join(' '), { namespace, metadata: { group } }),
          );
          await own.store.replaceChunks(tenant, document.id, chunkInputs(texts));
          const chunks = await own.store.listChunks(tenant, document.id);
          const vectors = chunks.map((chunk) => ({ chunkId: chunk.id, vector: unit() }));
          await own.store.upsertVectors(tenant, vectors);
          for (const v of vectors) held.push({ ...v, documentId: document.id });
          await complete(own.store, tenant, document.id);
          documents.push({ id: document.id, namespace, group });
        }
        const exact = (query: Float32Array, keep: (documentId: string) => boolean, k = 10) =>
          held
            .filter((item) => keep(item.documentId))
            .map((item) => ({
              id: item.chunkId,
              score: item.vector.reduce((sum, x, i) => sum + x * query[i]!, 0),
            }))
            .sort((a, b) => b.score - a.score)
            .slice(0, k)
            .map((item) => item.id);
        const documentOf = new Map(documents.map((d) => [d.id, d]));
        const agree = async (
          query: Float32Array,
          filter: Partial<ChunkSearchInput>,
          keep: (documentId: string) => boolean,
        ) => {
          const hits = await own.store.searchVector({
            tenantId: tenant,
            vector: query,
            limit: 10,
            ...filter,
          });
          expect(hits).toHaveLength(10);
          for (const hit of hits) expect(keep(hit.chunk.documentId)).toBe(true);
          const truth = exact(query, keep);
          const found = hits.filter((hit) => truth.includes(hit.chunk.id)).length;
          expect(found).toBeGreaterThanOrEqual(9);
          return hits;
        };
        for (let q = 0; q < 5; q += 1) {
          const query = unit();
          await agree(query, {}, () => true);
          await agree(
            query,
            { namespace: 'rare' },
            (id) => documentOf.get(id)!.namespace === 'rare',
          );
          await agree(query, { documentIds: [documents[5]!.id] }, (id) => id === documents[5]!.id);
          await agree(
            query,
            { metadata: { group: 'b' } },
            (id) => documentOf.get(id)!.group === 'b',
          );
        }
        // A stored vector finds its own chunk first, at cosine 1.
        const target = held[777]!;
        const own777 = await own.store.searchVector({
          tenantId: tenant,
          vector: target.vector,
          limit: 3,
        });
        expect(own777[0]!.chunk.id).toBe(target.chunkId);
        expect(own777[0]!.score).toBeCloseTo(1, 4);
        // A chunk embedded again is found by its new vector, not its old one.
        const moved = held[10]!;
        const fresh = unit();
        await own.store.upsertVectors(tenant, [{ chunkId: moved.chunkId, vector: fresh }]);
        const byNew = await own.store.searchVector({ tenantId: tenant, vector: fresh, limit: 1 });
        expect(byNew[0]!.chunk.id).toBe(moved.chunkId);
        const byOld = await own.store.searchVector({
          tenantId: tenant,
          vector: moved.vector,
          limit: 1,
        });
        expect(byOld[0]!.chunk.id).not.toBe(moved.chunkId);
        // A deleted document's chunks never come back, even for their own vectors.
        const gone = documents[4]!.id;
        await own.store.deleteDocument(tenant, gone);
        for (const item of held.filter((h) => h.documentId === gone).slice(0, 5)) {
          const hits = await own.store.searchVector({
            tenantId: tenant,
            vector: item.vector,
            limit: 10,
          });
          expect(hits).toHaveLength(10);
          expect(hits.some((hit) => hit.chunk.documentId === gone)).toBe(false);
        }
      } finally {
        await own.close();
      }
    });
  });
}
