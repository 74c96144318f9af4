// Runs the DocumentStore contracts (documents, versions) on a fresh SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chunkInputs,
  describeDocumentStore,
  newDocument,
} from '../../../test/ingest/document-store-contract.js';
import { describeDocumentVersions } from '../../../test/ingest/document-versions-contract.js';
import { openSqlite } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';

async function openStore() {
  const dir = mkdtempSync(join(tmpdir(), 'engram-docs-'));
  const database = openSqlite({ path: join(dir, 'engram.db') });
  const store = createSqliteDocumentStore({ db: database.db });
  return {
    store,
    close: async () => {
      await store.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeDocumentStore('sqlite', openStore);
describeDocumentVersions('sqlite', openStore);

describe('SQLite full-text search in a large store', () => {
  it('drops a term found in most chunks when rarer terms are left, so the query stays cheap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-docs-'));
    const database = openSqlite({ path: join(dir, 'engram.db') });
    const store = createSqliteDocumentStore({ db: database.db });
    try {
      const { document } = await store.createDocument(newDocument('t', 'large'));
      const texts = Array.from(
        { length: 5_200 },
        (_, i) => `everywhere filler ${i} ${i % 1000 === 7 ? 'rareword' : ''}`,
      );
      await store.replaceChunks('t', document.id, chunkInputs(texts));
      await store.indexDocument('t', document.id);
      await store.updateDocument('t', document.id, { status: 'completed', now: 1 });
      const hits = await store.searchText({
        tenantId: 't',
        query: 'everywhere rareword',
        limit: 30,
      });
      expect(hits.map((hit) => hit.chunk.ordinal)).toEqual([7, 1007, 2007, 3007, 4007, 5007]);
      const common = await store.searchText({ tenantId: 't', query: 'everywhere', limit: 30 });
      expect(common).toHaveLength(30);
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
