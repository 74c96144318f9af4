// HNSW indexes are built with this version's settings (pgvector.ts, HNSW_BUILD_OPTIONS), and
// `engram rebuild-vector-indexes` (hnsw-rebuild.ts) brings indexes an earlier version built with
// pgvector's defaults to them: rebuilt while the store answers, searches the same after, a
// second run rebuilding nothing, a dead rebuild's leftovers dropped, and a table held by a long
// transaction met with a clear error after a bounded wait, nothing changed.
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/support/cli.js';
import {
  dropSchema,
  POSTGRES_URL,
  postgresAvailable,
  uniqueName,
} from '../../../test/support/backends.js';
import { openPostgres, type PostgresDatabase } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { hasBuildOptions, rebuildHnswIndexes } from './hnsw-rebuild.js';
import { PostgresMemoryStore } from './memory-store.js';

const available = await postgresAvailable();
const THESE = 'm=32 ef_construction=128';
const DIM = 8;

/** A unit vector near axis `axis`. */
function nearAxis(axis: number): Float32Array {
  const vector = Float32Array.from({ length: DIM }, (_, i) => 0.05 + i * 0.01);
  vector[axis % DIM] = 1;
  const norm = Math.hypot(...vector);
  return vector.map((x) => x / norm);
}

/** This schema's HNSW indexes, valid or not, and their recorded settings. */
async function hnswSettings(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; settings: string }>(
    `SELECT c.relname AS name, coalesce(array_to_string(c.reloptions, ' '), '') AS settings
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
     WHERE n.nspname = current_schema() AND a.amname = 'hnsw' ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.settings]));
}

describe.runIf(available)('PostgreSQL HNSW indexes', () => {
  const opened: Array<{ database: PostgresDatabase; schema: string }> = [];
  afterEach(async () => {
    for (const { database, schema } of opened.splice(0)) {
      await database.close();
      await dropSchema(schema);
    }
  });

  /** A store holding 40 memories with vectors in tenant t1, and a bound chunk vector space. */
  async function store(): Promise<{ database: PostgresDatabase; memories: PostgresMemoryStore }> {
    const schema = uniqueName('hnsw');
    const database = await openPostgres({ url: POSTGRES_URL, schema, poolMax: 3 });
    opened.push({ database, schema });
    await createPostgresDocumentStore({ pool: database.pool }).bindVectorSpace({
      embedderId: 'test',
      dimension: DIM,
    });
    const memories = new PostgresMemoryStore(database.pool);
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await memories.insertMemories(
      't1',
      ids.map((id, seq) => ({
        id,
        kind: 'turn' as const,
        tier: 'episodic' as const,
        userId: 'u1',
        sessionId: 's1',
        agentId: null,
        speaker: 'user',
        text: `memory ${id}`,
        seq,
        occurredAt: seq,
      })),
      1,
    );
    await memories.putVectors(
      't1',
      'test',
      ids.map((memoryId, i) => ({ memoryId, vector: nearAxis(i) })),
    );
    return { database, memories };
  }

  /** The store's nearest memories to axis 3, as recall asks. */
  async function nearest(memories: PostgresMemoryStore): Promise<string[]> {
    const hits = await memories.searchVector({
      tenantId: 't1',
      vector: nearAxis(3),
      embedderId: 'test',
      k: 5,
    });
    return hits.map((hit) => hit.memory.id);
  }

  /** Replaces the store's indexes with ones as an earlier version built them: no settings. */
  async function asBuiltBefore(pool: pg.Pool): Promise<void> {
    await pool.query(`
      DROP INDEX chunk_vectors_hnsw;
      CREATE INDEX chunk_vectors_hnsw ON chunk_vectors
        USING hnsw ((embedding::vector(${DIM})) vector_cosine_ops);
      DROP INDEX memories_embedding_hnsw_${DIM};
      CREATE INDEX memories_embedding_hnsw_${DIM} ON memories
        USING hnsw ((embedding::vector(${DIM})) vector_cosine_ops) WHERE embedding_dim = ${DIM};`);
  }

  it('are built with 32 links a node, for chunks and for memories', async () => {
    const { database } = await store();
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
  });

  it('built by an earlier version are rebuilt with them, once, searching the same', async () => {
    const { database, memories } = await store();
    const expected = await nearest(memories);
    // The five memories on axis 3 (every eighth).
    expect([...expected].sort()).toEqual(['m11', 'm19', 'm27', 'm3', 'm35']);
    await asBuiltBefore(database.pool);
    expect(Object.values(await hnswSettings(database.pool))).toEqual(['', '']);

    const told: string[] = [];
    const report = await rebuildHnswIndexes(database.pool, {
      memory: '64MB',
      onRebuild: (index, settings) => told.push(`${index}: ${settings}`),
    });
    expect(report.rebuilt.map((rebuilt) => rebuilt.index).sort()).toEqual([
      'chunk_vectors_hnsw',
      `memories_embedding_hnsw_${DIM}`,
    ]);
    expect(told).toHaveLength(2);
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
    expect(await nearest(memories)).toEqual(expected);

    const again = await rebuildHnswIndexes(database.pool);
    expect(again.rebuilt).toEqual([]);
    expect(again.current).toHaveLength(2);
    const all = await rebuildHnswIndexes(database.pool, { all: true });
    expect(all.rebuilt).toHaveLength(2);
  });

  it("drops the invalid copies a rebuild that died left, and no one else's index", async () => {
    const { database } = await store();
    await database.pool.query(`
      CREATE INDEX chunk_vectors_hnsw_ccnew ON chunk_vectors
        USING hnsw ((embedding::vector(${DIM})) vector_cosine_ops);
      UPDATE pg_index SET indisvalid = false
        WHERE indexrelid = 'chunk_vectors_hnsw_ccnew'::regclass;
      CREATE INDEX memories_other ON memories (id);
      UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'memories_other'::regclass;`);
    const report = await rebuildHnswIndexes(database.pool);
    expect(report.dropped).toEqual(['chunk_vectors_hnsw_ccnew']);
    expect(report.rebuilt).toEqual([]);
    const { rows } = await database.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'memories_other'
         AND relnamespace = current_schema()::regnamespace`,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('waits a bounded time for a table a long transaction holds, then says so, changing nothing', async () => {
    const { database } = await store();
    await asBuiltBefore(database.pool);
    const reader = await database.pool.connect();
    try {
      // A transaction that has read the chunk vectors holds a lock on each of their indexes.
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM chunk_vectors');
      const started = Date.now();
      await expect(
        rebuildHnswIndexes(database.pool, { lockWaitMs: 100, lockAttempts: 3 }),
      ).rejects.toThrow(/Could not lock index "chunk_vectors_hnsw".*3 attempts.*long transaction/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await hnswSettings(database.pool)).chunk_vectors_hnsw).toBe('');
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }
    // Once it ends, the rebuild goes through.
    const report = await rebuildHnswIndexes(database.pool);
    expect(report.rebuilt).toHaveLength(2);
  });

  it('`engram rebuild-vector-indexes` says what it rebuilt, and then that nothing needs it', async () => {
    const { database } = await store();
    await asBuiltBefore(database.pool);
    const env = { ENGRAM_DATABASE_URL: POSTGRES_URL, ENGRAM_DATABASE_SCHEMA: database.schema };
    const first = await runCli(['rebuild-vector-indexes', '--memory', '64MB'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("chunk_vectors_hnsw: rebuilding (was pgvector's defaults)");
    expect(first.stdout).toMatch(/memories_embedding_hnsw_8: rebuilt in \d+\.\d s/);
    const second = await runCli(['rebuild-vector-indexes'], env);
    expect(second.stdout).toContain('chunk_vectors_hnsw: already built with these settings');
    const wrong = await runCli(['rebuild-vector-indexes', '--memory', 'lots'], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('Invalid memory "lots"');
  });

  it('refuses a memory size that is not one', async () => {
    const { database } = await store();
    await expect(rebuildHnswIndexes(database.pool, { memory: "1GB'; DROP" })).rejects.toThrow(
      /Invalid memory/,
    );
  });
});

describe('recorded HNSW settings', () => {
  it('are these only when every option is', () => {
    expect(hasBuildOptions(THESE)).toBe(true);
    expect(hasBuildOptions('ef_construction=128 m=32')).toBe(true);
    expect(hasBuildOptions('')).toBe(false);
    expect(hasBuildOptions('m=32')).toBe(false);
    expect(hasBuildOptions('m=16 ef_construction=128')).toBe(false);
    expect(hasBuildOptions('m=320 ef_construction=128')).toBe(false);
  });
});
