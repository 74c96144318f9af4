// Runs the DocumentStore contract on a fresh SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDocumentStore } from '../../../test/ingest/document-store-contract.js';
import { openSqlite } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';

describeDocumentStore('sqlite', async () => {
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
});
