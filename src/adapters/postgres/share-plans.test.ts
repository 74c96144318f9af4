// Searches planned by the scope's share of the table (the planner's statistics, value-shares.ts),
// seen in the SQL they send. Full text: a user with a small share reads their own postings
// (memory_user_terms); one holding most of the table the table's, as theirs would be nearly as
// many and a plan walking the user's newest rows would compute each row's keys. Vectors: a scope
// too small a part of the table for the HNSW scan to reach k of its rows sooner is scored
// exactly at once; a big one walks the index, as wide as the table is large; chunks alike, by
// their tenant's share. Either way the hits are the scope's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import type { DocumentStore } from '../../ports/document-store.js';
import type { NewMemory } from '../../ports/memory-store.js';
import { openPostgres, type PostgresDatabase } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { PostgresMemoryStore } from './memory-store.js';
import { HNSW_VISIT_COST, vectorIndexSql } from './pgvector.js';
import { userTurn } from '../../../test/support/memories.js';

const available = await postgresAvailable();
const TENANT = 't1';
const DIMENSION = 16;
const EMBEDDER = 'test-embedder';

/** More rows than an HNSW scan's least breadth (200) costs: the big scopes walk the index. */
const BIG = HNSW_VISIT_COST * 200 + 800;
/** BIG memories of "heavy" and two of each of 100 other users. */
const HEAVY = BIG;
const USERS = Array.from({ length: HEAVY + 200 }, (_, i) =>
  i < HEAVY ? 'heavy' : `light-${i % 100}`,
);

function vectorOf(i: number): Float32Array {
  const vector = Float32Array.from({ length: DIMENSION }, (_, d) => Math.sin(i * 1.7 + d * 0.9));
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

/**
 * `target`, recording the SQL of each query sent through it (and through clients it lends) in
 * `sql`, and its text and values in `sent` when given.
 */
function recording<T extends object>(
  target: T,
  sql: string[],
  sent?: Array<{ text: string; values: unknown }>,
): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver) as unknown;
      if (name === 'query')
        return (text: unknown, ...rest: unknown[]) => {
          if (typeof text === 'string') {
            sql.push(text);
            sent?.push({ text, values: rest[0] });
          }
          return (value as (...args: unknown[]) => unknown).call(object, text, ...rest);
        };
      if (name === 'connect')
        return async () =>
          recording(await (value as () => Promise<object>).call(object), sql, sent);
      return value;
    },
  });
}

describe.runIf(available)("PostgreSQL searches planned by the scope's share", () => {
  const schema = uniqueName('shareplans');
  let database: PostgresDatabase;
  const sql: string[] = [];
  let store: PostgresMemoryStore;
  let documents: DocumentStore;
  const smallChunks: Array<{ chunkId: string; vector: Float32Array; namespace: string }> = [];

  beforeAll(async () => {
    database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
    // The store's pool, recording the SQL of every query sent through it or its clients.
    const pool = recording(database.pool, sql);
    store = new PostgresMemoryStore(pool);
    const memories: NewMemory[] = USERS.map((userId, i) => ({
      id: `m${i}`,
      kind: 'turn',
      tier: 'episodic',
      userId,
      sessionId: `s-${userId}`,
      agentId: null,
      speaker: 'user',
      text: `quarterly invoice number ${i}`,
      seq: 1,
      occurredAt: i,
    }));
    for (let from = 0; from < memories.length; from += 500) {
      const batch = memories.slice(from, from + 500);
      await store.insertMemories(TENANT, batch, 1);
      await store.putVectors(
        TENANT,
        EMBEDDER,
        batch.map((memory) => ({
          memoryId: memory.id,
          vector: vectorOf(Number(memory.id.slice(1))),
        })),
      );
    }
    // Chunks: tenant "big" holds BIG of them; "small" 150, 50 of them in namespace "other".
    documents = createPostgresDocumentStore({ pool });
    await documents.bindVectorSpace({ embedderId: EMBEDDER, dimension: DIMENSION });
    let seen = 0;
    for (const [tenant, namespace, count] of [
      ['big', 'default', BIG],
      ['small', 'default', 100],
      ['small', 'other', 50],
    ] as const) {
      const { document } = await documents.createDocument(
        newDocument(tenant, `${tenant} ${namespace}`, { namespace }),
      );
      await documents.replaceChunks(
        tenant,
        document.id,
        chunkInputs(Array.from({ length: count }, (_, i) => `${tenant} chunk ${i}`)),
      );
      const vectors = (await documents.listChunks(tenant, document.id)).map((chunk) => ({
        chunkId: chunk.id,
        vector: vectorOf(seen + chunk.ordinal),
      }));
      seen += count;
      await documents.upsertVectors(tenant, vectors);
      if (tenant === 'small') smallChunks.push(...vectors.map((v) => ({ ...v, namespace })));
      await documents.updateDocument(tenant, document.id, {
        status: 'completed',
        stage: null,
        now: 2,
      });
    }
    await database.pool.query('ANALYZE memories; ANALYZE chunk_vectors');
  });
  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
  });

  /** What a search found (its hits' users or tenants), and which path its SQL took. */
  async function searched(search: () => Promise<Array<{ memory: { userId: string | null } }>>) {
    sql.length = 0;
    const hits = await search();
    return {
      users: [...new Set(hits.map((hit) => hit.memory.userId))].sort(),
      count: hits.length,
      userTerms: sql.some((text) => text.includes('memory_user_terms')),
      // The index's search was set up and sent (whether the planner then used the index is its
      // own choice).
      searchedIndex: sql.some((text) => text.includes('hnsw.ef_search')),
    };
  }
  const text = (userId: string) => () =>
    store.searchText({ tenantId: TENANT, userId, query: 'invoice', k: 5000 });
  const vector = (userId?: string) => () =>
    store.searchVector({
      tenantId: TENANT,
      ...(userId === undefined ? {} : { userId }),
      vector: vectorOf(0.5),
      embedderId: EMBEDDER,
      k: 10,
    });

  it("reads a user's own postings only when the user holds a small share", async () => {
    expect(await searched(text('heavy'))).toMatchObject({
      users: ['heavy'],
      count: HEAVY,
      userTerms: false,
    });
    expect(await searched(text('light-3'))).toMatchObject({
      users: ['light-3'],
      count: 2,
      userTerms: true,
    });
  });

  it('scores a small scope exactly at once and walks the index for a big one', async () => {
    expect(await searched(vector())).toMatchObject({ count: 10, searchedIndex: true });
    expect(await searched(vector('heavy'))).toMatchObject({
      users: ['heavy'],
      count: 10,
      searchedIndex: true,
    });
    expect(await searched(vector('light-3'))).toMatchObject({
      users: ['light-3'],
      count: 2,
      searchedIndex: false,
    });
  });

  it("scores a small tenant's chunks exactly at once, nearest first, and walks the index for a big one", async () => {
    const query = vectorOf(0.5);
    const chunks = async (tenantId: string, namespace?: string) => {
      sql.length = 0;
      const hits = await documents.searchVector({
        tenantId,
        ...(namespace === undefined ? {} : { namespace }),
        vector: query,
        limit: 10,
      });
      return {
        ids: hits.map((hit) => hit.chunk.id),
        tenants: [...new Set(hits.map((hit) => hit.chunk.tenantId))],
        searchedIndex: sql.some((text) => text.includes('hnsw.ef_search')),
      };
    };
    /** The exact order: nearest first by cosine (the vectors are unit length). */
    const nearest = (rows: typeof smallChunks) =>
      rows
        .map((row) => ({
          id: row.chunkId,
          score: row.vector.reduce((s, x, d) => s + x * query[d]!, 0),
        }))
        .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
        .slice(0, 10)
        .map((row) => row.id);
    expect(await chunks('big')).toMatchObject({ tenants: ['big'], searchedIndex: true });
    expect(await chunks('small')).toEqual({
      ids: nearest(smallChunks),
      tenants: ['small'],
      searchedIndex: false,
    });
    // A namespace holding a third of the tenant's chunks: the nearest candidates leave fewer than
    // asked, or not; either way the namespace's own nearest.
    expect(await chunks('small', 'other')).toEqual({
      ids: nearest(smallChunks.filter((chunk) => chunk.namespace === 'other')),
      tenants: ['small'],
      searchedIndex: false,
    });
  });

  /** The big scopes' vector searches: user "heavy"'s memories and tenant "big"'s chunks. */
  const searchBoth = (memories: PostgresMemoryStore, chunks: DocumentStore) => ({
    memories: () =>
      memories.searchVector({
        tenantId: TENANT,
        userId: 'heavy',
        vector: vectorOf(0.5),
        embedderId: EMBEDDER,
        k: 10,
      }),
    chunks: () => chunks.searchVector({ tenantId: 'big', vector: vectorOf(0.5), limit: 10 }),
  });

  it('orders the walk by the form its index holds its vectors in, as built now or before', async () => {
    const sent: Array<{ text: string; values: unknown }> = [];
    const pool = recording(database.pool, [], sent);
    const memories = new PostgresMemoryStore(pool);
    const chunks = createPostgresDocumentStore({ pool });
    /** The plan of the walk a search sent (its ORDER BY the index's), sequential scans off. */
    const walked = async (search: () => Promise<unknown>) => {
      sent.length = 0;
      await search();
      const walk = sent.find(({ text }) => /ORDER BY [^;]*::(?:half)?vec(?:tor)?\(/.test(text));
      if (walk === undefined) return 'no walk sent';
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN; SET LOCAL enable_seqscan = off');
        const plan = await client.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN ${walk.text}`,
          walk.values as unknown[],
        );
        await client.query('COMMIT');
        return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        client.release();
      }
    };
    const both = searchBoth(memories, chunks);
    const memoryWalk = () => walked(both.memories);
    const chunkWalk = () => walked(both.chunks);
    const memoryIndex = `memories_embedding_hnsw_${DIMENSION}`;
    expect(await memoryWalk()).toContain(`Index Scan using ${memoryIndex}`);
    expect(await chunkWalk()).toContain('Index Scan using chunk_vectors_hnsw');
    // As an earlier version built them, over full-precision vectors.
    const drop = `DROP INDEX chunk_vectors_hnsw; DROP INDEX ${memoryIndex};`;
    await database.pool.query(`${drop}
      CREATE INDEX chunk_vectors_hnsw ON chunk_vectors
        USING hnsw ((embedding::vector(${DIMENSION})) vector_cosine_ops);
      CREATE INDEX ${memoryIndex} ON memories
        USING hnsw ((embedding::vector(${DIMENSION})) vector_cosine_ops)
        WHERE embedding_dim = ${DIMENSION};`);
    try {
      expect(await memoryWalk()).toContain(`Index Scan using ${memoryIndex}`);
      expect(await chunkWalk()).toContain('Index Scan using chunk_vectors_hnsw');
    } finally {
      // As the stores build them.
      await database.pool.query(
        `${drop} ${vectorIndexSql('chunks', DIMENSION)!}; ${vectorIndexSql('memories', DIMENSION)!}`,
      );
    }
  });

  // Last: it leaves the statistics saying the tables hold 600,000 rows.
  it('walks the index as wide as the table is large', async () => {
    /** The breadth a search set (hnsw.ef_search), or undefined when it scored exactly. */
    const breadth = async (search: () => Promise<unknown>) => {
      sql.length = 0;
      await search();
      const set = sql.map((text) => /hnsw\.ef_search = (\d+)/.exec(text)).find(Boolean);
      return set === undefined || set === null ? undefined : Number(set[1]);
    };
    const pool = recording(database.pool, sql);
    // As the tables are: fewer than 200,000 rows, the least breadth.
    const now = searchBoth(store, documents);
    expect(await breadth(now.memories)).toBe(200);
    expect(await breadth(now.chunks)).toBe(200);
    // As if they held 600,000 rows each, the shares the same: one wider for each 1,000 rows. New
    // stores, as a store reads the statistics at most once a minute.
    await database.pool.query(
      `UPDATE pg_class SET reltuples = 600000 WHERE oid IN ('memories'::regclass, 'chunk_vectors'::regclass)`,
    );
    // The table's rows are the counted ones and those written since: writes of the set-up that
    // reach the statistics after its ANALYZE add a few.
    const grown = searchBoth(new PostgresMemoryStore(pool), createPostgresDocumentStore({ pool }));
    for (const search of [grown.memories, grown.chunks]) {
      const set = await breadth(search);
      expect(set).toBeGreaterThanOrEqual(600);
      expect(set).toBeLessThanOrEqual(610);
    }
  });
});

describe.runIf(available)(
  'PostgreSQL searches planned by the share of one user id many tenants use',
  () => {
    const schema = uniqueName('sharedids');
    let database: PostgresDatabase;
    afterAll(async () => {
      await database.close();
      await dropSchema(schema);
    });

    it("read the user's own postings: their rows in one tenant are a tenth of the table", async () => {
      database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
      const sql: string[] = [];
      const store = new PostgresMemoryStore(recording(database.pool, sql));
      // "default" in each of ten tenants: every row of the table is that user id's.
      for (let t = 0; t < 10; t++)
        await store.insertMemories(
          `t${t}`,
          Array.from({ length: 300 }, (_, i) =>
            userTurn(`t${t}m${i}`, {
              userId: 'default',
              sessionId: 's',
              text: `quarterly invoice ${i}`,
              seq: i + 1,
              occurredAt: i,
            }),
          ),
          1,
        );
      await database.pool.query('ANALYZE memories');
      const hits = await store.searchText({
        tenantId: 't3',
        userId: 'default',
        query: 'invoice',
        k: 500,
      });
      expect(new Set(hits.map((hit) => hit.memory.tenantId))).toEqual(new Set(['t3']));
      expect(hits.length).toBe(300);
      expect(sql.some((text) => text.includes('memory_user_terms'))).toBe(true);
    });
  },
);
