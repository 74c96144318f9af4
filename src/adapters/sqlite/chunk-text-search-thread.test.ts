// Chunk full-text search in a thread of its own: the same answers as on the calling thread, what
// was committed just before, input refused as before, and an answer even when the thread fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import { createSilentLogger } from '../../domain/logger.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { createChunkTextSearch, type ChunkTextQuery } from './chunk-text-search.js';
import { createChunkTextSearchThreads } from './chunk-text-search-thread.js';
import { openSqlite, type SqliteDatabase } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';

const WORDS =
  'river stone kettle lantern meadow copper harbor violet signal thunder orchard ember'.split(' ');

/** A deterministic generator of [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

async function addDocument(store: DocumentStore, name: string, texts: string[], metadata = {}) {
  const { document } = await store.createDocument(newDocument('t', name, { metadata }));
  await store.replaceChunks('t', document.id, chunkInputs(texts));
  await store.indexDocument('t', document.id);
  await store.updateDocument('t', document.id, { status: 'completed', now: 1 });
  return document.id;
}

describe('chunk full-text search in a thread of its own', () => {
  let dir: string;
  let database: SqliteDatabase;
  let store: DocumentStore;
  const next = random(7);
  const phrase = (length: number) =>
    Array.from({ length }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'engram-text-thread-'));
    database = openSqlite({ path: join(dir, 'engram.db') });
    store = createSqliteDocumentStore({ db: database.db });
    for (let d = 0; d < 12; d++) {
      const texts = Array.from({ length: 200 }, (_, i) => `${phrase(1 + (i % 9))} item${i}`);
      await addDocument(store, `doc${d}`, texts, { shelf: d % 3 });
    }
  });

  afterAll(async () => {
    await store.close();
    database.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Threads over the test's file that must answer every query themselves. */
  function threadsOnly(path = join(dir, 'engram.db'), logger = createSilentLogger()) {
    let local = 0;
    const threads = createChunkTextSearchThreads({
      path,
      threads: 2,
      logger,
      local: (query) => {
        local += 1;
        return createChunkTextSearch(database.db)(query);
      },
    });
    return { threads, localCalls: () => local };
  }

  it('answers every query exactly as the calling thread does, filters and all', async () => {
    const { threads, localCalls } = threadsOnly();
    const here = createChunkTextSearch(database.db);
    try {
      for (let q = 0; q < 60; q++) {
        const query: ChunkTextQuery = {
          tenantId: 't',
          query: phrase(1 + (q % 5)),
          limit: 1 + Math.floor(next() * 40),
          ...(q % 4 === 1 ? { metadata: { shelf: q % 3 } } : {}),
          ...(q % 7 === 2 ? { documentIds: ['no-such-document'] } : {}),
        };
        // Several at once: the two threads answer in any order.
        const [a, b] = await Promise.all([threads.search(query), threads.search(query)]);
        expect(a).toEqual(here(query));
        expect(b).toEqual(a);
      }
      expect(localCalls()).toBe(0);
    } finally {
      await threads.close();
    }
  });

  it('sees what was committed just before each search', async () => {
    const { threads, localCalls } = threadsOnly();
    try {
      for (let round = 0; round < 8; round++) {
        const word = `fresh${round}word`;
        expect(await threads.search({ tenantId: 't', query: word, limit: 5 })).toEqual([]);
        const id = await addDocument(store, `fresh${round}`, [`${phrase(3)} ${word}`]);
        const hits = await threads.search({ tenantId: 't', query: word, limit: 5 });
        expect(hits.map((hit) => hit.chunk.documentId)).toEqual([id]);
        await store.deleteDocument('t', id);
        expect(await threads.search({ tenantId: 't', query: word, limit: 5 })).toEqual([]);
      }
      expect(localCalls()).toBe(0);
    } finally {
      await threads.close();
    }
  });

  it('refuses a metadata key it would refuse on the calling thread, with the same error', async () => {
    const { threads, localCalls } = threadsOnly();
    try {
      await expect(
        threads.search({ tenantId: 't', query: 'river', limit: 5, metadata: { 'a.b': 1 } }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(localCalls()).toBe(0);
    } finally {
      await threads.close();
    }
  });

  it('answers on the calling thread, and says so, when the thread cannot open the store', async () => {
    const broken = join(dir, 'not-a-database.db');
    writeFileSync(broken, 'this file is not a SQLite database, and it is long enough to show it');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const { threads, localCalls } = threadsOnly(broken, logger);
    try {
      const query = { tenantId: 't', query: 'kettle lantern', limit: 10 };
      expect(await threads.search(query)).toEqual(createChunkTextSearch(database.db)(query));
      expect(localCalls()).toBe(1);
      expect(lines.join('')).toContain('a text search thread did not answer');
    } finally {
      await threads.close();
    }
  });

  it('is what a file store searches with; a store in memory searches on its own thread', async () => {
    const threaded = createSqliteDocumentStore({
      db: database.db,
      searchThreads: { threads: 1, logger: createSilentLogger() },
    });
    const memory = openSqlite({ path: ':memory:' });
    const inMemory = createSqliteDocumentStore({
      db: memory.db,
      searchThreads: { threads: 1, logger: createSilentLogger() },
    });
    try {
      const query = { tenantId: 't', query: 'copper harbor', limit: 20 };
      expect(await threaded.searchText(query)).toEqual(await store.searchText(query));
      await addDocument(inMemory, 'only-here', ['copper harbor at dusk']);
      expect((await inMemory.searchText(query)).map((hit) => hit.chunk.text)).toEqual([
        'copper harbor at dusk',
      ]);
    } finally {
      await threaded.close();
      await inMemory.close();
      memory.close();
    }
  });
});
