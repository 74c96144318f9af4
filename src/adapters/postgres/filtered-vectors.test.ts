// Filtered vector search returns k when k rows pass the filters, however far from the query
// they lie. pgvector's iterative HNSW scan gives up after `hnsw.max_scan_tuples` index tuples
// (20,000 by default), so a scope whose rows are few and far (a tier, a user, a namespace among
// many near rows) once came back short, even empty. Here the limit is lowered to 50 on the
// store's own connections, so a few thousand rows stand in for the hundreds of thousands it
// takes at the default, and sorting is discouraged so the planner walks the index as it does
// on a big table instead of sorting this small one.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { PostgresMemoryStore } from './memory-store.js';
import { HNSW_VISIT_COST } from './pgvector.js';

const available = await postgresAvailable();
const DIMENSION = 16;
// More near rows than an exact search would score sooner (pgvector.ts, exactFirst): the tenant's
// scope walks the index, and one user's small scope is scored exactly at once.
const NEAR = HNSW_VISIT_COST * 200 + 1000;
const FAR = 600;

/** A unit vector pointing mostly along `direction` (+1 near the query, -1 away from it). */
function vectorFor(direction: 1 | -1, i: number): Float32Array {
  const vector = Float32Array.from({ length: DIMENSION }, (_, d) => Math.sin(i * 7.1 + d) * 0.3);
  vector[0] = direction;
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}
const QUERY = vectorFor(1, 0.5);

/** The exact order: the ids sorted by cosine distance to the query. */
function nearestFirst(rows: Array<{ id: string; vector: Float32Array }>): string[] {
  const cosine = (v: Float32Array) => v.reduce((sum, x, d) => sum + x * QUERY[d]!, 0);
  return [...rows].sort((a, b) => cosine(b.vector) - cosine(a.vector)).map((row) => row.id);
}

describe.runIf(available)('PostgreSQL filtered vector search past the HNSW scan limit', () => {
  const opened: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });

  /** A migrated schema, and a pool on it whose HNSW scans stop after 50 index tuples. */
  async function open(): Promise<pg.Pool> {
    const schema = uniqueName('filtered');
    const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
    const pool = new pg.Pool({
      connectionString: POSTGRES_URL,
      max: 2,
      options: `-c search_path=${schema},public -c hnsw.max_scan_tuples=50 -c enable_sort=off`,
    });
    opened.push(async () => {
      await pool.end();
      await database.close();
      await dropSchema(schema);
    });
    return pool;
  }

  it('memories: a far tier and a far user fill k, nearest first', async () => {
    const pool = await open();
    const store = new PostgresMemoryStore(pool);
    const rows = [
      ...Array.from({ length: NEAR }, (_, i) => ({
        id: `near${i}`,
        tier: 'episodic',
        user: 'u-near',
        direction: 1 as const,
        i,
      })),
      ...Array.from({ length: FAR }, (_, i) => ({
        id: `far${i}`,
        tier: 'semantic',
        user: 'u-far',
        direction: -1 as const,
        i,
      })),
    ].map((row) => ({ ...row, vector: vectorFor(row.direction, row.i) }));
    await store.insertMemories(
      't1',
      rows.map((row) => ({
        id: row.id,
        kind: row.tier === 'semantic' ? ('promoted' as const) : ('turn' as const),
        tier: row.tier as 'episodic' | 'semantic',
        userId: row.user,
        sessionId: row.user,
        agentId: null,
        speaker: 'user',
        text: `memory ${row.id}`,
        seq: row.i + 1,
        occurredAt: 1,
      })),
      1,
    );
    await store.putVectors(
      't1',
      'test:filtered',
      rows.map((row) => ({ memoryId: row.id, vector: row.vector })),
    );
    await pool.query('ANALYZE memories');
    const far = nearestFirst(rows.filter((row) => row.tier === 'semantic'));
    for (const scope of [{ tiers: ['semantic' as const] }, { userId: 'u-far' }]) {
      const hits = await store.searchVector({
        tenantId: 't1',
        ...scope,
        vector: QUERY,
        embedderId: 'test:filtered',
        k: 10,
      });
      expect(hits.map((hit) => hit.memory.id)).toEqual(far.slice(0, 10));
    }
    // More than the scope holds: all of it.
    const all = await store.searchVector({
      tenantId: 't1',
      userId: 'u-far',
      vector: QUERY,
      embedderId: 'test:filtered',
      k: FAR + 50,
    });
    expect(all.map((hit) => hit.memory.id)).toEqual(far);
  });

  it('chunks: a far namespace fills the limit, nearest first', async () => {
    const pool = await open();
    const store = createPostgresDocumentStore({ pool });
    await store.bindVectorSpace({ embedderId: 'test:filtered', dimension: DIMENSION });
    const ids: Array<{ id: string; vector: Float32Array }> = [];
    for (const [namespace, direction, count] of [
      ['near', 1, NEAR],
      ['far', -1, FAR],
    ] as const) {
      const { document } = await store.createDocument(newDocument('t1', namespace, { namespace }));
      const texts = Array.from({ length: count }, (_, i) => `${namespace} chunk ${i}`);
      await store.replaceChunks('t1', document.id, chunkInputs(texts));
      const chunks = await store.listChunks('t1', document.id);
      const vectors = chunks.map((chunk) => ({
        chunkId: chunk.id,
        vector: vectorFor(direction, chunk.ordinal),
      }));
      await store.upsertVectors('t1', vectors);
      await store.indexDocument('t1', document.id);
      await store.updateDocument('t1', document.id, { status: 'completed', stage: null, now: 2 });
      if (namespace === 'far')
        ids.push(...vectors.map((item) => ({ id: item.chunkId, vector: item.vector })));
    }
    await pool.query('ANALYZE chunks; ANALYZE chunk_vectors; ANALYZE documents');
    const hits = await store.searchVector({
      tenantId: 't1',
      namespace: 'far',
      vector: QUERY,
      limit: 10,
    });
    expect(hits.map((hit) => hit.chunk.id)).toEqual(nearestFirst(ids).slice(0, 10));
  });
});
