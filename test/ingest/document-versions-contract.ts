// The DocumentStore contract for versions, run on every adapter: a key names a document across
// contents, the same content is a no-op, new content is staged beside the live version and swapped
// in by completeVersion in one step (search sees the old version or the new, never a mix), a
// newer submission replaces a staged one, and delete takes the staged version along.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStore } from '../../src/ports/document-store.js';
import {
  axisVector,
  chunkInputs,
  newDocument,
  type StoreFixture,
} from './document-store-contract.js';

const NOW = Date.UTC(2026, 0, 2);

/** What the pipeline does to a row before it completes: chunks, vectors, index rows. */
async function process(
  store: DocumentStore,
  tenantId: string,
  rowId: string,
  texts: string[],
  axis: number,
): Promise<void> {
  await store.replaceChunks(tenantId, rowId, chunkInputs(texts));
  const chunks = await store.listChunks(tenantId, rowId);
  await store.upsertVectors(
    tenantId,
    chunks.map((chunk, i) => ({ chunkId: chunk.id, vector: axisVector(8, axis + i) })),
  );
  await store.indexDocument(tenantId, rowId);
}

export function describeDocumentVersions(
  name: string,
  open: () => Promise<StoreFixture | undefined>,
): void {
  describe(`DocumentStore versions contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    let store: DocumentStore;
    const run = Math.random().toString(36).slice(2, 8);
    let n = 0;
    const freshTenant = () => `tv_${run}_${(n += 1)}`;

    beforeAll(async () => {
      fixture = await open();
      if (fixture === undefined) return;
      store = fixture.store;
      await store.bindVectorSpace({ embedderId: 'test:axis-8', dimension: 8 });
    });
    afterAll(async () => {
      await fixture?.close();
    });

    const test = (title: string, body: (tenant: string) => Promise<void>) =>
      it(title, async (context) => {
        if (fixture === undefined) {
          context.skip(`${name} is not available`);
          return;
        }
        await body(freshTenant());
      });

    /** A keyed document, completed with one chunk holding `text`. */
    async function completedDocument(tenant: string, key: string, text: string) {
      const { document } = await store.createDocument(newDocument(tenant, text, { key }));
      await process(store, tenant, document.id, [text], 0);
      return store.updateDocument(tenant, document.id, {
        status: 'completed',
        stage: null,
        chunkCount: 1,
        now: NOW,
      });
    }

    const textHits = async (tenant: string, query: string) =>
      (await store.searchText({ tenantId: tenant, query, limit: 10 })).map((hit) => hit.chunk.text);

    test('a key names one document: the same content again is a no-op, another key is another document', async (tenant) => {
      const first = await store.createDocument(newDocument(tenant, 'shared text', { key: 'a.md' }));
      const again = await store.createDocument(newDocument(tenant, 'shared text', { key: 'a.md' }));
      const other = await store.createDocument(newDocument(tenant, 'shared text', { key: 'b.md' }));
      const keyless = await store.createDocument(newDocument(tenant, 'shared text'));
      expect(first).toMatchObject({ created: true, changed: true });
      expect(first.document).toMatchObject({ key: 'a.md', version: 1, nextVersion: null });
      expect(again).toMatchObject({
        created: false,
        changed: false,
        document: { id: first.document.id },
      });
      expect(other.created).toBe(true);
      expect(keyless.created).toBe(true);
      expect(new Set([first.document.id, other.document.id, keyless.document.id]).size).toBe(3);
      const elsewhere = await store.createDocument(
        newDocument(tenant, 'shared text', { key: 'a.md', namespace: 'other' }),
      );
      expect(elsewhere.created).toBe(true);
    });

    test('new content is staged beside the live version; search keeps answering from the old one until completeVersion swaps in the new one', async (tenant) => {
      const live = await completedDocument(tenant, 'guide.md', 'walrus habitat arctic');
      const submitted = await store.createDocument(
        newDocument(tenant, 'penguin habitat antarctic', {
          key: 'guide.md',
          title: 'Guide v2',
          metadata: { rev: 2 },
          mimeType: 'text/plain',
        }),
      );
      expect(submitted).toMatchObject({ created: false, changed: true });
      const staged = submitted.document.nextVersion!;
      expect(submitted.document).toMatchObject({ id: live.id, version: 1, status: 'completed' });
      expect(staged).toMatchObject({ version: 2, status: 'pending', stage: null });
      expect(await store.getDocument(tenant, staged.id)).toMatchObject({ replaces: live.id });
      expect(
        (await store.listDocuments({ tenantId: tenant, limit: 10 })).items.map((d) => d.id),
      ).toEqual([live.id]);
      // A staged version is no document of its own in the counts either.
      expect(await store.countDocumentsByStatus(tenant)).toMatchObject({
        completed: 1,
        pending: 0,
      });

      // The version is fully processed, yet only the live version is found.
      await process(
        store,
        tenant,
        staged.id,
        ['penguin habitat antarctic', 'penguin diet krill'],
        4,
      );
      expect(await textHits(tenant, 'habitat penguin walrus')).toEqual(['walrus habitat arctic']);
      const beforeSwap = await store.searchVector({
        tenantId: tenant,
        vector: axisVector(8, 4),
        limit: 10,
      });
      expect(beforeSwap.map((hit) => hit.chunk.documentId)).toEqual([live.id]);
      const versionChunks = await store.listChunks(tenant, staged.id);

      const done = await store.completeVersion(tenant, staged.id, {
        status: 'completed',
        chunkCount: 2,
        extractedChunks: 2,
        failedChunks: 1,
        extractionFailure: 'invalid_output',
        timings: { total: 7 },
        completedAt: NOW + 5,
        now: NOW + 5,
      });
      expect(done).toMatchObject({
        extractedChunks: 2,
        failedChunks: 1,
        extractionFailure: 'invalid_output',
        id: live.id,
        key: 'guide.md',
        version: 2,
        status: 'completed',
        nextVersion: null,
        title: 'Guide v2',
        mimeType: 'text/plain',
        metadata: { rev: 2 },
        chunkCount: 2,
        timings: { total: 7 },
        completedAt: NOW + 5,
      });
      expect(await store.getDocumentContent(tenant, live.id)).toBe('penguin habitat antarctic');
      expect(await store.getDocument(tenant, staged.id)).toBeUndefined();
      const chunks = await store.listChunks(tenant, live.id);
      expect(chunks.map((c) => [c.id, c.documentId, c.hasVector])).toEqual(
        versionChunks.map((c) => [c.id, live.id, true]),
      );
      expect(await textHits(tenant, 'habitat penguin walrus')).toEqual([
        'penguin habitat antarctic',
        'penguin diet krill',
      ]);
      const afterSwap = await store.searchVector({
        tenantId: tenant,
        vector: axisVector(8, 0),
        limit: 10,
      });
      expect(afterSwap.map((hit) => hit.chunk.id).sort()).toEqual(
        versionChunks.map((c) => c.id).sort(),
      );
      expect(await store.countChunks(tenant)).toEqual({ chunks: 2, vectors: 2, indexed: 2 });
      // The same content again is now a no-op at version 2.
      const again = await store.createDocument(
        newDocument(tenant, 'penguin habitat antarctic', { key: 'guide.md' }),
      );
      expect(again).toMatchObject({ changed: false, document: { version: 2, nextVersion: null } });
    });

    test('a newer submission replaces a staged version; sending the live content again drops it', async (tenant) => {
      const live = await completedDocument(tenant, 'faq', 'first answer');
      const v2 = await store.createDocument(newDocument(tenant, 'second answer', { key: 'faq' }));
      const v2Row = v2.document.nextVersion!;
      await process(store, tenant, v2Row.id, ['second answer'], 2);
      const sameAsStaged = await store.createDocument(
        newDocument(tenant, 'second answer', { key: 'faq' }),
      );
      expect(sameAsStaged).toMatchObject({
        changed: false,
        document: { nextVersion: { id: v2Row.id } },
      });

      const v3 = await store.createDocument(newDocument(tenant, 'third answer', { key: 'faq' }));
      expect(v3.document.nextVersion).toMatchObject({ version: 3, status: 'pending' });
      expect(await store.getDocument(tenant, v2Row.id)).toBeUndefined();
      expect(await store.listChunks(tenant, v2Row.id)).toEqual([]);
      await expect(
        store.completeVersion(tenant, v2Row.id, { status: 'completed', now: NOW }),
      ).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
      expect(await store.countChunks(tenant)).toMatchObject({ chunks: 1, vectors: 1 });

      const back = await store.createDocument(newDocument(tenant, 'first answer', { key: 'faq' }));
      expect(back).toMatchObject({
        changed: false,
        document: { id: live.id, version: 1, nextVersion: null },
      });
      expect(await store.getDocument(tenant, v3.document.nextVersion!.id)).toBeUndefined();
    });

    test('new content before the first version completes replaces it in place, unless it is processing', async (tenant) => {
      const first = await store.createDocument(newDocument(tenant, 'draft one', { key: 'draft' }));
      const replaced = await store.createDocument(
        newDocument(tenant, 'draft two', { key: 'draft' }),
      );
      expect(replaced).toMatchObject({
        changed: true,
        document: { id: first.document.id, version: 2, status: 'pending', nextVersion: null },
      });
      expect(await store.getDocumentContent(tenant, first.document.id)).toBe('draft two');
      await store.updateDocument(tenant, first.document.id, {
        status: 'processing',
        stage: 'embed',
        now: NOW,
      });
      await expect(
        store.createDocument(newDocument(tenant, 'draft three', { key: 'draft' })),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      await store.updateDocument(tenant, first.document.id, { status: 'failed', now: NOW });
      const afterFailure = await store.createDocument(
        newDocument(tenant, 'draft three', { key: 'draft' }),
      );
      expect(afterFailure.document).toMatchObject({
        version: 3,
        status: 'pending',
        attempts: 0,
        error: null,
      });
    });

    test('by id: a keyless document takes a new version, and leaves content dedup behind; an unknown id is refused', async (tenant) => {
      const { document } = await store.createDocument(newDocument(tenant, 'keyless v1'));
      await process(store, tenant, document.id, ['keyless v1'], 0);
      await store.updateDocument(tenant, document.id, { status: 'completed', now: NOW });
      const version = await store.createDocument(
        newDocument(tenant, 'keyless v2', { documentId: document.id }),
      );
      expect(version.document.nextVersion).toMatchObject({ version: 2 });
      await store.completeVersion(tenant, version.document.nextVersion!.id, {
        status: 'completed',
        now: NOW,
      });
      // The old content, sent without a key, is a new document now; the new content finds none.
      const oldContent = await store.createDocument(newDocument(tenant, 'keyless v1'));
      expect(oldContent.created).toBe(true);
      const newContent = await store.createDocument(newDocument(tenant, 'keyless v2'));
      expect(newContent.created).toBe(true);
      await expect(
        store.createDocument(newDocument(tenant, 'x', { documentId: 'doc_missing' })),
      ).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    });

    test('delete takes a staged version along, and its completion then finds nothing', async (tenant) => {
      const live = await completedDocument(tenant, 'gone', 'old words');
      const { document } = await store.createDocument(
        newDocument(tenant, 'new words', { key: 'gone' }),
      );
      const staged = document.nextVersion!;
      await process(store, tenant, staged.id, ['new words'], 3);
      expect(await store.deleteDocument(tenant, live.id)).toEqual({ chunks: 1, vectors: 1 });
      expect(await store.getDocument(tenant, staged.id)).toBeUndefined();
      expect(await store.countChunks(tenant)).toEqual({ chunks: 0, vectors: 0, indexed: 0 });
      await expect(
        store.completeVersion(tenant, staged.id, { status: 'completed', now: NOW }),
      ).rejects.toMatchObject({ code: 'DOCUMENT_NOT_FOUND' });
    });
  });
}
