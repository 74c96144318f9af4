// Full-text search in threads of their own: the same answers as on the calling thread, for chunks
// and memories, what was committed just before, input refused as before, and an answer even when
// the threads fail.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import { createSilentLogger } from '../../domain/logger.js';
import type { DocumentStore } from '../../ports/document-store.js';
import { createChunkTextSearch, type ChunkTextQuery } from './chunk-text-search.js';
import { openSqlite, type SqliteDatabase } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';
import { SqliteMemoryStore } from './memory-store.js';
import { SqliteMemoryTextSearch, type MemoryTextQuery } from './memory-text-search.js';
import { createSqliteSearchThreads } from './search-threads.js';

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

describe('full-text search in threads of their own', () => {
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

  /** Two threads over the test's file (or `db`'s), and the same searches on this thread, counted. */
  function threadsOnly(db = database.db, logger = createSilentLogger()) {
    let local = 0;
    const threads = createSqliteSearchThreads({ db, threads: 2, logger })!;
    const chunksHere = createChunkTextSearch(database.db);
    const memoriesHere = new SqliteMemoryTextSearch(database.db);
    return {
      threads: {
        search: (query: ChunkTextQuery) =>
          threads.chunks(query, (q) => {
            local += 1;
            return chunksHere(q);
          }),
        memories: (query: MemoryTextQuery) =>
          threads.memories(query, (q) => {
            local += 1;
            return memoriesHere.search(q);
          }),
        close: () => threads.close(),
      },
      localCalls: () => local,
    };
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

  it('answers on the calling thread, and says so, when the threads cannot open the store', async () => {
    const broken = join(dir, 'not-a-database.db');
    const other = openSqlite({ path: broken });
    other.close();
    writeFileSync(broken, 'this file is not a SQLite database, and it is long enough to show it');
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    // Threads over the broken file; the calling thread searches the test's store.
    const { threads, localCalls } = threadsOnly(other.db, logger);
    try {
      const query = { tenantId: 't', query: 'kettle lantern', limit: 10 };
      expect(await threads.search(query)).toEqual(createChunkTextSearch(database.db)(query));
      const memoryQuery = { tenantId: 't', query: 'kettle', k: 5 };
      expect(await threads.memories(memoryQuery)).toEqual(
        new SqliteMemoryTextSearch(database.db).search(memoryQuery),
      );
      expect(localCalls()).toBe(2);
      expect(lines.join('')).toContain('a text search thread did not answer');
    } finally {
      await threads.close();
    }
  });

  it('answers memory queries exactly as the calling thread does, in every scope, and sees new memories', async () => {
    const memories = new SqliteMemoryStore(database.db);
    const users = ['u0', 'u1', 'u2'];
    await memories.insertMemories(
      't',
      Array.from({ length: 900 }, (_, i) => ({
        id: `mem${i}`,
        kind: 'turn' as const,
        tier: i % 5 === 0 ? ('semantic' as const) : ('episodic' as const),
        userId: i % 7 === 0 ? null : users[i % 3]!,
        sessionId: `s${i % 11}`,
        agentId: null,
        speaker: null,
        text: phrase(2 + (i % 8)),
        seq: i,
        occurredAt: i * 1000,
      })),
      0,
    );
    const { threads, localCalls } = threadsOnly();
    const here = new SqliteMemoryTextSearch(database.db);
    try {
      for (let q = 0; q < 40; q++) {
        const query: MemoryTextQuery = {
          tenantId: 't',
          query: phrase(1 + (q % 4)),
          k: 1 + Math.floor(next() * 30),
          ...(q % 3 === 1 ? { userId: users[q % 3]! } : q % 3 === 2 ? { userId: null } : {}),
          ...(q % 5 === 3 ? { tiers: ['semantic' as const] } : {}),
          ...(q % 6 === 4 ? { sessionId: `s${q % 11}` } : {}),
          ...(q % 4 === 2 ? { timeRange: { from: 100_000, to: 500_000 } } : {}),
        };
        expect(await threads.memories(query)).toEqual(here.search(query));
      }
      await memories.insertMemories(
        't',
        [
          {
            id: 'mem-new',
            kind: 'turn',
            tier: 'episodic',
            userId: 'u0',
            sessionId: 's0',
            agentId: null,
            speaker: null,
            text: 'a brandnewword',
            seq: 1000,
            occurredAt: 1,
          },
        ],
        0,
      );
      const found = await threads.memories({ tenantId: 't', query: 'brandnewword', k: 3 });
      expect(found.map((hit) => hit.memory.id)).toEqual(['mem-new']);
      expect(localCalls()).toBe(0);
    } finally {
      await threads.close();
    }
  });

  it('a store in memory has no search threads (no other connection could open it)', () => {
    const memory = openSqlite({ path: ':memory:' });
    try {
      expect(
        createSqliteSearchThreads({ db: memory.db, threads: 2, logger: createSilentLogger() }),
      ).toBeUndefined();
      expect(
        createSqliteSearchThreads({ db: database.db, threads: 0, logger: createSilentLogger() }),
      ).toBeUndefined();
    } finally {
      memory.close();
    }
  });
});
