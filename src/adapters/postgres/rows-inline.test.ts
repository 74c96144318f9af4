// Vectors and chunks' tsvectors stay in their rows (pgvector.ts, ROWS_INLINE): a 512-dimension
// vector is 2 kB, past PostgreSQL's default TOAST target, and read out of line each search scored
// it at several times the cost. Checked where it matters: the TOAST tables of memories, chunks and
// chunk_vectors hold nothing after such values are written, and they read back whole; a vector
// too long for a page still goes out of line and still reads back; a store made before the
// option gets it from its migration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
import { ingestMigrations } from './migrations/ingest.js';
import { ROWS_INLINE, vectorLiteral } from './pgvector.js';
import { userTurn } from '../../../test/support/memories.js';

const available = await postgresAvailable();

function unitVector(dimension: number, seed: number): Float32Array {
  const vector = Float32Array.from({ length: dimension }, (_, i) => Math.sin(seed * 7.3 + i));
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

describe.runIf(available)('PostgreSQL keeps vectors and tsvectors in their rows', () => {
  const schema = uniqueName('inline');
  let database: PostgresDatabase;

  beforeAll(async () => {
    database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 2 });
  });
  afterAll(async () => {
    await database.close();
    await dropSchema(schema);
  });

  /** Rows in the TOAST table of `table` (values moved out of its rows). */
  async function toastRows(table: string): Promise<number> {
    const { rows } = await database.pool.query<{ toast: string }>(
      `SELECT reltoastrelid::regclass::text AS toast FROM pg_class WHERE oid = $1::regclass`,
      [table],
    );
    const counted = await database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${rows[0]!.toast}`,
    );
    return counted.rows[0]!.n;
  }

  it('memories: a 512-dimension vector stays in the row; a 3,000-dimension one goes to TOAST', async () => {
    const store = new PostgresMemoryStore(database.pool);
    const memory = (id: string) => userTurn(id, { text: `a memory called ${id}` });
    await store.insertMemories('t1', [memory('m1'), memory('m2')], 1);
    const wide = unitVector(512, 1);
    await store.putVectors('t1', 'test:wide', [{ memoryId: 'm1', vector: wide }]);
    expect(await toastRows('memories')).toBe(0);
    const [hit] = await store.searchVector({
      tenantId: 't1',
      vector: wide,
      embedderId: 'test:wide',
      k: 1,
    });
    expect(hit?.memory.id).toBe('m1');
    expect(hit?.score).toBeCloseTo(1, 5);

    // 12 kB: past a page, so out of line after all, and whole when read.
    const huge = unitVector(3000, 2);
    await database.pool.query(
      `UPDATE memories SET embedding = $1::vector, embedding_dim = 3000, embedder_id = 'test:huge'
       WHERE tenant_id = 't1' AND id = 'm2'`,
      [vectorLiteral(huge)],
    );
    expect(await toastRows('memories')).toBeGreaterThan(0);
    const { rows } = await database.pool.query<{ v: string }>(
      `SELECT embedding::text AS v FROM memories WHERE tenant_id = 't1' AND id = 'm2'`,
    );
    expect(Float32Array.from(JSON.parse(rows[0]!.v) as number[])).toEqual(huge);
  });

  it('chunks and chunk_vectors: a 2 kB tsvector and a 512-dimension vector stay in their rows', async () => {
    const store = createPostgresDocumentStore({ pool: database.pool });
    await store.bindVectorSpace({ embedderId: 'test:wide', dimension: 512 });
    const { document } = await store.createDocument(newDocument('t1', 'one chunk'));
    // 300 distinct words: a tsvector past 2 kB.
    const text = Array.from({ length: 300 }, (_, i) => `word${i.toString(36)}x${i * 7}`).join(' ');
    await store.replaceChunks('t1', document.id, chunkInputs([text]));
    await store.indexDocument('t1', document.id);
    const [chunk] = await store.listChunks('t1', document.id);
    const sizes = await database.pool.query<{ tsv: number }>(
      `SELECT pg_column_size(tsv) AS tsv FROM chunks WHERE id = $1`,
      [chunk!.id],
    );
    expect(sizes.rows[0]!.tsv).toBeGreaterThan(2048);
    expect(await toastRows('chunks')).toBe(0);
    const vector = unitVector(512, 3);
    await store.upsertVectors('t1', [{ chunkId: chunk!.id, vector }]);
    expect(await toastRows('chunk_vectors')).toBe(0);
    const { rows } = await database.pool.query<{ score: number }>(
      `SELECT 1 - (embedding <=> $1::vector) AS score FROM chunk_vectors WHERE chunk_id = $2`,
      [vectorLiteral(vector), chunk!.id],
    );
    expect(rows[0]!.score).toBeCloseTo(1, 5);
  });

  it('a store whose vector table came before the option gets it from migration 106', async () => {
    await database.pool.query('ALTER TABLE chunk_vectors RESET (toast_tuple_target)');
    await database.pool.query('ALTER TABLE chunks RESET (toast_tuple_target)');
    const options = async (table: string) =>
      (
        await database.pool.query<{ options: string[] | null }>(
          `SELECT reloptions AS options FROM pg_class WHERE oid = $1::regclass`,
          [table],
        )
      ).rows[0]!.options;
    expect(await options('chunk_vectors')).toBeNull();
    await database.pool.query(ingestMigrations.find((m) => m.version === 106)!.sql);
    expect(await options('chunk_vectors')).toEqual([ROWS_INLINE]);
    expect(await options('chunks')).toEqual([ROWS_INLINE]);
  });
});
