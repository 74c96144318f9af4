// Embedders past pgvector's HNSW limits (pgvector.ts, hnswForm): 2,000 dimensions as vectors,
// 4,000 as half precision. A 3,072-dimension embedder (OpenAI's text-embedding-3-large) once
// failed on PostgreSQL when its first vector was stored, because the index could not be made.
// Now vectors are indexed in half precision (to 4,000), longer ones not at all, and search finds
// the nearest with full-precision scores either way, for chunks and for memories, in scope.
import { afterEach, describe, expect, it, test } from 'vitest';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { chunkInputs, newDocument } from '../../../test/ingest/document-store-contract.js';
import { openPostgres, type PostgresDatabase } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { PostgresMemoryStore } from './memory-store.js';
import { hnswForm, hnswIndexSql, indexedDistance } from './pgvector.js';
import { userTurn } from '../../../test/support/memories.js';

const available = await postgresAvailable();

/** A unit vector of `dimension` near axis `axis` (a little of every other axis). */
function nearAxis(dimension: number, axis: number): Float32Array {
  const vector = Float32Array.from({ length: dimension }, (_, i) => Math.sin(i * 0.37) * 0.01);
  vector[axis] = 1;
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

describe.runIf(available)('PostgreSQL vectors past pgvector’s index limits', () => {
  const opened: Array<{ database: PostgresDatabase; schema: string }> = [];
  afterEach(async () => {
    for (const { database, schema } of opened.splice(0)) {
      await database.close();
      await dropSchema(schema);
    }
  });
  async function open(): Promise<PostgresDatabase> {
    const schema = uniqueName('wide');
    const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
    opened.push({ database, schema });
    return database;
  }
  async function indexDefinitions(database: PostgresDatabase, table: string): Promise<string[]> {
    const { rows } = await database.pool.query<{ def: string }>(
      `SELECT indexdef AS def FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
         AND indexdef LIKE '%hnsw%'`,
      [table],
    );
    return rows.map((row) => row.def);
  }

  for (const [dimension, index] of [
    [3072, 'halfvec_cosine_ops'],
    [5000, undefined],
  ] as const) {
    it(`memories of ${dimension} dimensions: ${index ?? 'no'} index, the nearest found in scope`, async () => {
      const database = await open();
      const store = new PostgresMemoryStore(database.pool);
      const memory = (id: string, userId: string) => userTurn(id, { userId });
      const ids = ['m0', 'm1', 'm2', 'm3'];
      await store.insertMemories(
        't1',
        ids.map((id, i) => memory(id, i % 2 === 0 ? 'u-even' : 'u-odd')),
        1,
      );
      await store.insertMemories('t2', [memory('other', 'u-even')], 1);
      await store.putVectors(
        't1',
        'test:wide',
        ids.map((memoryId, i) => ({ memoryId, vector: nearAxis(dimension, i) })),
      );
      await store.putVectors('t2', 'test:wide', [
        { memoryId: 'other', vector: nearAxis(dimension, 2) },
      ]);
      const defs = await indexDefinitions(database, 'memories');
      if (index === undefined) expect(defs).toEqual([]);
      else expect(defs.join()).toContain(index);

      const hits = await store.searchVector({
        tenantId: 't1',
        vector: nearAxis(dimension, 2),
        embedderId: 'test:wide',
        k: 4,
      });
      expect(hits.map((hit) => hit.memory.id)[0]).toBe('m2');
      expect(hits).toHaveLength(4);
      expect(hits[0]!.score).toBeCloseTo(1, 6);
      const odd = await store.searchVector({
        tenantId: 't1',
        userId: 'u-odd',
        vector: nearAxis(dimension, 3),
        embedderId: 'test:wide',
        k: 4,
      });
      expect(odd.map((hit) => hit.memory.id)).toEqual(['m3', 'm1']);
    });

    it(`chunks of ${dimension} dimensions: ${index ?? 'no'} index, the nearest found in the tenant`, async () => {
      const database = await open();
      const store = createPostgresDocumentStore({ pool: database.pool });
      await store.bindVectorSpace({ embedderId: 'test:wide', dimension });
      const defs = await indexDefinitions(database, 'chunk_vectors');
      if (index === undefined) expect(defs).toEqual([]);
      else expect(defs.join()).toContain(index);
      for (const tenant of ['t1', 't2']) {
        const { document } = await store.createDocument(newDocument(tenant, 'three chunks'));
        await store.replaceChunks(tenant, document.id, chunkInputs(['zero', 'one', 'two']));
        const chunks = await store.listChunks(tenant, document.id);
        await store.upsertVectors(
          tenant,
          chunks.map((chunk) => ({
            chunkId: chunk.id,
            vector: nearAxis(dimension, chunk.ordinal),
          })),
        );
        await store.indexDocument(tenant, document.id);
        await store.updateDocument(tenant, document.id, {
          status: 'completed',
          stage: null,
          now: 2,
        });
      }
      const hits = await store.searchVector({
        tenantId: 't1',
        vector: nearAxis(dimension, 1),
        limit: 3,
      });
      expect(hits.map((hit) => hit.chunk.text)[0]).toBe('one');
      expect(hits).toHaveLength(3);
      expect(hits.every((hit) => hit.chunk.tenantId === 't1')).toBe(true);
      expect(hits[0]!.score).toBeCloseTo(1, 6);
    });
  }

  it('the ORDER BY the searches use is the one their index serves, in either form, at each limit', async () => {
    const database = await open();
    const built = [
      // As this version builds them, and as an earlier one did (full precision to 2,000).
      ...[8, 2000, 2001, 4000].map((dimension) => ({ dimension, type: 'halfvec' as const })),
      ...[8, 2000].map((dimension) => ({ dimension, type: 'vector' as const })),
    ];
    for (const { dimension, type } of built) {
      const table = `${type}${dimension}`;
      await database.pool.query(`CREATE TABLE ${table} (id int, embedding vector)`);
      await database.pool.query(
        type === 'halfvec'
          ? hnswIndexSql(`${table}_hnsw`, table, 'embedding', dimension)!
          : `CREATE INDEX ${table}_hnsw ON ${table}
               USING hnsw ((embedding::vector(${dimension})) vector_cosine_ops)`,
      );
      const client = await database.pool.connect();
      try {
        await client.query('BEGIN; SET LOCAL enable_seqscan = off');
        const literal = `'[${Array.from({ length: dimension }, () => '0.5').join(',')}]'`;
        const plan = async (form: 'vector' | 'halfvec') => {
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN SELECT id FROM ${table}
             ORDER BY ${indexedDistance('embedding', literal, dimension, form)} LIMIT 5`,
          );
          return rows.map((row) => row['QUERY PLAN']).join('\n');
        };
        expect(await plan(type)).toContain(`Index Scan using ${table}_hnsw`);
        // The other form's expression is not served by it: the reason searches ask the catalog.
        expect(await plan(type === 'vector' ? 'halfvec' : 'vector')).not.toContain('Index Scan');
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }
  });
});

test('hnswForm: half precision to 4,000 dimensions, no index beyond', () => {
  expect(hnswForm(8)?.type).toBe('halfvec');
  expect(hnswForm(2000)?.type).toBe('halfvec');
  expect(hnswForm(4000)).toEqual({ type: 'halfvec', opclass: 'halfvec_cosine_ops' });
  expect(hnswForm(4001)).toBeUndefined();
});
