// A document's content lives apart from its row (migration 109): a status update writes a few
// pages, not the content again, and a store made before the migration keeps every content.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newDocument } from '../../../test/ingest/document-store-contract.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { migrateSqlite, openSqlite, type SqliteDatabase } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';
import { sqliteMigrations } from './migrations/index.js';

/** Runs `body` on a store file migrated by `migrations`, then closes and removes it. */
async function onFile(
  body: (database: SqliteDatabase) => Promise<void>,
  migrations = sqliteMigrations,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-contents-'));
  const database = openSqlite({ path: join(dir, 'engram.db'), migrations });
  try {
    await body(database);
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `body` on a document store of a new, fully migrated file. */
function withStore(
  body: (store: DocumentStore, database: SqliteDatabase) => Promise<void>,
): Promise<void> {
  return onFile(async (database) => {
    const store = createSqliteDocumentStore({ db: database.db });
    try {
      await body(store, database);
    } finally {
      await store.close();
    }
  });
}

/** Frames in the write-ahead log (checkpointed or not) since it was last truncated. */
function walFrames(database: SqliteDatabase): number {
  const [result] = database.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
  return result!.log;
}

describe('SQLite document contents', () => {
  it('a status update of a 1 MB document writes a few pages, not its content', () =>
    withStore(async (store, database) => {
      const content = 'The handbook says the same thing again. '.repeat(26_000);
      const { document } = await store.createDocument(newDocument('t', content));
      database.db.pragma('wal_checkpoint(TRUNCATE)');
      for (const stage of ['chunk', 'embed', 'extract', 'index'] as const)
        await store.updateDocument('t', document.id, { status: 'processing', stage, now: 2 });
      // Four updates of the row alone: a page or two each. The content is 256 pages of 4 KB.
      expect(walFrames(database)).toBeLessThan(20);
      expect(await store.getDocumentContent('t', document.id)).toBe(content);
      expect(await store.getDocumentContent('other', document.id)).toBeUndefined();
    }));

  it('a replaced, a versioned and a deleted document keep or drop their content with their row', () =>
    withStore(async (store, database) => {
      const first = await store.createDocument(newDocument('t', 'first', { key: 'k' }));
      // Not completed yet: the first version is replaced in place.
      await store.createDocument(newDocument('t', 'second', { key: 'k' }));
      expect(await store.getDocumentContent('t', first.document.id)).toBe('second');
      await store.updateDocument('t', first.document.id, { status: 'completed', now: 2 });
      const staged = newDocument('t', 'third', { key: 'k' });
      await store.createDocument(staged);
      expect(await store.getDocumentContent('t', first.document.id)).toBe('second');
      await store.completeVersion('t', staged.id, { now: 3 });
      expect(await store.getDocumentContent('t', first.document.id)).toBe('third');
      const count = () =>
        (database.db.prepare('SELECT count(*) AS n FROM document_contents').get() as { n: number })
          .n;
      expect(count()).toBe(1);
      await store.deleteDocument('t', first.document.id);
      expect(count()).toBe(0);
    }));

  it('a version completes onto a target whose content row went missing; one without content fails whole', () =>
    withStore(async (store, database) => {
      const { document } = await store.createDocument(newDocument('t', 'first', { key: 'k' }));
      await store.updateDocument('t', document.id, { status: 'completed', now: 2 });
      const drop = database.db.prepare('DELETE FROM document_contents WHERE document_id = ?');
      const second = newDocument('t', 'second', { key: 'k' });
      await store.createDocument(second);
      drop.run(document.id);
      await store.completeVersion('t', second.id, { now: 3 });
      expect(await store.getDocumentContent('t', document.id)).toBe('second');
      const third = newDocument('t', 'third', { key: 'k' });
      await store.createDocument(third);
      drop.run(third.id);
      await expect(store.completeVersion('t', third.id, { now: 4 })).rejects.toThrow(
        `Document version ${third.id} has no content.`,
      );
      // Rolled back: the document and its staged version are as they were.
      expect(await store.getDocumentContent('t', document.id)).toBe('second');
      expect((await store.getDocument('t', third.id))?.replaces).toBe(document.id);
    }));

  it('a store made before migration 109 keeps each document content', () =>
    onFile(
      async (database) => {
        // Rows as the store wrote them before: the content in the document's row.
        const contents = ['alpha', 'beta '.repeat(5_000), ''];
        const ids: string[] = [];
        for (const [i, content] of contents.entries()) {
          const input = newDocument('t', `${i}`);
          ids.push(input.id);
          database.db
            .prepare(
              `INSERT INTO documents (id, tenant_id, namespace, content_hash, mime_type, content, size_bytes,
                 status, created_at, updated_at) VALUES (?, 't', 'default', ?, 'text/plain', ?, ?, 'completed', 1, 1)`,
            )
            .run(input.id, input.contentHash, content, content.length);
        }
        migrateSqlite(database.db, sqliteMigrations);
        const columns = database.db.pragma('table_info(documents)') as Array<{ name: string }>;
        expect(columns.map((c) => c.name)).not.toContain('content');
        const migrated = createSqliteDocumentStore({ db: database.db });
        for (const [i, id] of ids.entries())
          expect(await migrated.getDocumentContent('t', id)).toBe(contents[i]);
        await migrated.close();
      },
      sqliteMigrations.filter((m) => m.version !== 109),
    ));
});
