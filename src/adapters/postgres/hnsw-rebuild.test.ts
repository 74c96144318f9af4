// HNSW indexes are built with this version's settings and form (pgvector.ts, HNSW_BUILD_OPTIONS,
// hnswForm), and `engram rebuild-vector-indexes` (hnsw-rebuild.ts) brings indexes an earlier
// version built with pgvector's defaults, or over full-precision vectors, to them: rebuilt beside the old while reads and writes go on, searches the
// same after, a second run rebuilding nothing, a build killed midway or a run stopped between its
// steps finished by the next run, other HNSW indexes of the schema left alone, one run at a time.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/support/cli.js';
import { POSTGRES_URL, postgresAvailable, uniqueName } from '../../../test/support/backends.js';
import { openPostgres, type PostgresDatabase } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { hasBuildOptions, rebuildHnswIndexes } from './hnsw-rebuild.js';
import { PostgresMemoryStore } from './memory-store.js';
import { vectorIndexSql } from './pgvector.js';
import { userTurn } from '../../../test/support/memories.js';

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

/** The form each of this schema's HNSW indexes holds its vectors in (`vector`, `halfvec`). */
async function hnswForms(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<{ name: string; type: string }>(
    `SELECT c.relname AS name, t.typname AS type
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
       JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_opclass o ON o.oid = i.indclass[0]
       JOIN pg_type t ON t.oid = o.opcintype
     WHERE n.nspname = current_schema() AND a.amname = 'hnsw' ORDER BY 1`,
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.type]));
}

/** Runs `sql` on the server's database `database` (the tests' own when not given). */
async function onServer(sql: string, database?: string): Promise<void> {
  const url = new URL(POSTGRES_URL);
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.runIf(available)('PostgreSQL HNSW indexes', () => {
  // A database of their own: a concurrent build waits for every transaction of its database
  // older than it, so other suites' (or a benchmark's index build) would hold these up.
  const databaseName = uniqueName('engram_hnsw');
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${databaseName}`;
  const DATABASE_URL = url.toString();
  beforeAll(async () => {
    await onServer(`CREATE DATABASE ${databaseName}`);
    await onServer('CREATE EXTENSION IF NOT EXISTS vector', databaseName);
  });
  afterAll(() => onServer(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
  const opened: PostgresDatabase[] = [];
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
  });

  /** A store holding 40 memories with vectors in tenant t1, and a bound chunk vector space. */
  async function store(): Promise<{ database: PostgresDatabase; memories: PostgresMemoryStore }> {
    const schema = uniqueName('hnsw');
    const database = await openPostgres({ url: DATABASE_URL, schema, poolMax: 6 });
    opened.push(database);
    await createPostgresDocumentStore({ pool: database.pool }).bindVectorSpace({
      embedderId: 'test',
      dimension: DIM,
    });
    const memories = new PostgresMemoryStore(database.pool);
    const ids = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await memories.insertMemories(
      't1',
      ids.map((id, seq) => userTurn(id, { seq, occurredAt: seq })),
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

  /**
   * Replaces the store's indexes with ones as an earlier version built them: over full-precision
   * vectors, with `settings` (none: pgvector's defaults).
   */
  async function asBuiltBefore(pool: pg.Pool, settings = ''): Promise<void> {
    const options = settings === '' ? '' : ` WITH (${settings})`;
    await pool.query(`
      DROP INDEX chunk_vectors_hnsw;
      CREATE INDEX chunk_vectors_hnsw ON chunk_vectors
        USING hnsw ((embedding::vector(${DIM})) vector_cosine_ops)${options};
      DROP INDEX memories_embedding_hnsw_${DIM};
      CREATE INDEX memories_embedding_hnsw_${DIM} ON memories
        USING hnsw ((embedding::vector(${DIM})) vector_cosine_ops)${options}
        WHERE embedding_dim = ${DIM};`);
  }

  it('are built with 32 links a node over half-precision vectors, for chunks and for memories', async () => {
    const { database } = await store();
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
    expect(await hnswForms(database.pool)).toEqual({
      chunk_vectors_hnsw: 'halfvec',
      [`memories_embedding_hnsw_${DIM}`]: 'halfvec',
    });
  });

  it('built over full-precision vectors with these settings are rebuilt in half precision', async () => {
    const { database, memories } = await store();
    const expected = await nearest(memories);
    await asBuiltBefore(database.pool, 'm = 32, ef_construction = 128');
    expect(Object.values(await hnswSettings(database.pool))).toEqual([THESE, THESE]);
    expect(await nearest(memories)).toEqual(expected);
    const steps: string[] = [];
    const report = await rebuildHnswIndexes(database.pool, { onStep: (s) => steps.push(s) });
    expect(report.rebuilt).toHaveLength(2);
    expect(steps).toContain(
      `chunk_vectors_hnsw: building a new graph beside the old (was vector, ${THESE})`,
    );
    expect(await hnswForms(database.pool)).toEqual({
      chunk_vectors_hnsw: 'halfvec',
      [`memories_embedding_hnsw_${DIM}`]: 'halfvec',
    });
    expect(await nearest(memories)).toEqual(expected);
    expect((await rebuildHnswIndexes(database.pool)).upToDate).toHaveLength(2);
  });

  it('built by an earlier version are rebuilt with them, once, searching the same', async () => {
    const { database, memories } = await store();
    const expected = await nearest(memories);
    // The five memories on axis 3 (every eighth).
    expect([...expected].sort()).toEqual(['m11', 'm19', 'm27', 'm3', 'm35']);
    await asBuiltBefore(database.pool);
    expect(Object.values(await hnswSettings(database.pool))).toEqual(['', '']);

    const steps: string[] = [];
    const report = await rebuildHnswIndexes(database.pool, {
      memory: '64MB',
      onStep: (step) => steps.push(step),
    });
    expect(report.rebuilt.map((rebuilt) => rebuilt.index).sort()).toEqual([
      'chunk_vectors_hnsw',
      `memories_embedding_hnsw_${DIM}`,
    ]);
    expect(steps).toContain(
      'chunk_vectors_hnsw: building a new graph beside the old (was vector, no settings)',
    );
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
    expect(await nearest(memories)).toEqual(expected);

    const again = await rebuildHnswIndexes(database.pool);
    expect(again.rebuilt).toEqual([]);
    expect(again.upToDate).toHaveLength(2);
    const all = await rebuildHnswIndexes(database.pool, { all: true });
    expect(all.rebuilt).toHaveLength(2);
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
    // The pool's sessions keep their own settings.
    const { rows } = await database.pool.query<{ timeout: string }>(
      "SELECT current_setting('statement_timeout') AS timeout",
    );
    expect(rows[0]!.timeout).toBe('30s');
  });

  it('holds no lock that reads or writes wait for, while its build waits for an old transaction', async () => {
    const { database, memories } = await store();
    await asBuiltBefore(database.pool);
    // Only the memories' index to rebuild (the chunks' as this version builds it), so the build
    // that waits is on the table the new process writes.
    await database.pool.query(`DROP INDEX chunk_vectors_hnsw; ${vectorIndexSql('chunks', DIM)!}`);
    const reader = await database.pool.connect();
    const traffic = await database.pool.connect();
    try {
      // A transaction holding its snapshot: a concurrent build waits for it to end.
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query('SELECT count(*) FROM chunk_vectors');
      const rebuilding = rebuildHnswIndexes(database.pool);
      await waitForBuild(database.pool);
      // Reads and writes of both tables go on, none waiting a second for a lock.
      await traffic.query("SET lock_timeout = '1s'");
      await traffic.query('SELECT count(*) FROM chunk_vectors');
      await traffic.query(`UPDATE memories SET text = text || '.' WHERE id = 'm1'`);
      expect((await nearest(memories)).length).toBe(5);
      // As does a process that starts meanwhile and writes its first vectors.
      const started = await openPostgres({
        url: DATABASE_URL,
        schema: database.schema,
        poolMax: 1,
        statementTimeoutMs: 2_000,
      });
      try {
        await new PostgresMemoryStore(started.pool).putVectors('t1', 'test', [
          { memoryId: 'm2', vector: nearAxis(5) },
        ]);
      } finally {
        await started.close();
      }
      await reader.query('COMMIT');
      expect((await rebuilding).rebuilt).toHaveLength(1);
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      reader.release();
      traffic.release();
    }
  });

  it('whose build was killed midway are finished by the next run', async () => {
    const { database, memories } = await store();
    const expected = await nearest(memories);
    await asBuiltBefore(database.pool);
    const reader = await database.pool.connect();
    try {
      // A transaction holding its snapshot: a concurrent build waits for it to end.
      await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await reader.query('SELECT count(*) FROM chunk_vectors');
      const failed = rebuildHnswIndexes(database.pool).catch((error: unknown) => error);
      const pid = await waitForBuild(database.pool);
      await reader.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(String(await failed)).toMatch(/terminating connection/);
      await reader.query('COMMIT');
    } finally {
      reader.release();
    }
    // Left: the new graph's invalid copy beside the old, which still serves.
    expect(Object.keys(await hnswSettings(database.pool))).toContain('chunk_vectors_hnsw_rebuild');
    expect(await nearest(memories)).toEqual(expected);
    const next = await rebuildHnswIndexes(database.pool);
    expect(next.finished).toEqual(['chunk_vectors_hnsw_rebuild']);
    expect(next.rebuilt).toHaveLength(2);
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
    expect(await nearest(memories)).toEqual(expected);
  });

  it('stopped between its steps are finished by the next run: a new graph swapped in, an old one dropped', async () => {
    const { database } = await store();
    await asBuiltBefore(database.pool);
    // As a run stopped after building chunks' new graph, and one after swapping memories'.
    await database.pool.query(`
      CREATE INDEX chunk_vectors_hnsw_rebuild ON chunk_vectors
        USING hnsw ((embedding::halfvec(${DIM})) halfvec_cosine_ops) WITH (m = 32, ef_construction = 128);
      ALTER INDEX memories_embedding_hnsw_${DIM} RENAME TO memories_embedding_hnsw_${DIM}_old;
      CREATE INDEX memories_embedding_hnsw_${DIM} ON memories
        USING hnsw ((embedding::halfvec(${DIM})) halfvec_cosine_ops) WITH (m = 32, ef_construction = 128)
        WHERE embedding_dim = ${DIM};`);
    const report = await rebuildHnswIndexes(database.pool);
    expect(report.finished.sort()).toEqual([
      'chunk_vectors_hnsw_rebuild',
      `memories_embedding_hnsw_${DIM}_old`,
    ]);
    expect(report.rebuilt).toEqual([]);
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
  });

  it('names an old graph back when its name holds none, and rebuilds an invalid one', async () => {
    const { database } = await store();
    await asBuiltBefore(database.pool);
    await database.pool.query(`
      ALTER INDEX chunk_vectors_hnsw RENAME TO chunk_vectors_hnsw_old;
      UPDATE pg_index SET indisvalid = false
        WHERE indexrelid = 'memories_embedding_hnsw_${DIM}'::regclass;`);
    const report = await rebuildHnswIndexes(database.pool);
    expect(report.finished).toEqual(['chunk_vectors_hnsw_old']);
    expect(report.rebuilt.map((rebuilt) => rebuilt.index).sort()).toEqual([
      'chunk_vectors_hnsw',
      `memories_embedding_hnsw_${DIM}`,
    ]);
    expect(await hnswSettings(database.pool)).toEqual({
      chunk_vectors_hnsw: THESE,
      [`memories_embedding_hnsw_${DIM}`]: THESE,
    });
  });

  it("leaves HNSW indexes that are not Engram's as they are, valid or not", async () => {
    const { database } = await store();
    await database.pool.query(`
      CREATE INDEX memories_mine ON memories
        USING hnsw ((embedding::vector(${DIM})) vector_l2_ops) WITH (m = 8) WHERE embedding_dim = ${DIM};
      CREATE INDEX memories_mine_rebuild ON memories
        USING hnsw ((embedding::vector(${DIM})) vector_l2_ops) WHERE embedding_dim = ${DIM};
      UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'memories_mine_rebuild'::regclass;`);
    const report = await rebuildHnswIndexes(database.pool, { all: true });
    expect(report.finished).toEqual([]);
    expect(report.rebuilt).toHaveLength(2);
    const settings = await hnswSettings(database.pool);
    expect(settings.memories_mine).toBe('m=8');
    expect(settings.memories_mine_rebuild).toBe('');
  });

  it('refuses to run beside another run on the same schema', async () => {
    const { database } = await store();
    const other = await database.pool.connect();
    try {
      await other.query(
        "SELECT pg_advisory_lock(hashtext('engram:hnsw-rebuild:' || current_schema()))",
      );
      await expect(rebuildHnswIndexes(database.pool)).rejects.toThrow(/Another rebuild/);
    } finally {
      await other.query('SELECT pg_advisory_unlock_all()');
      other.release();
    }
    expect((await rebuildHnswIndexes(database.pool)).upToDate).toHaveLength(2);
  });

  it('`engram rebuild-vector-indexes` says what it rebuilt, and then that nothing needs it', async () => {
    const { database } = await store();
    await asBuiltBefore(database.pool);
    const env = { ENGRAM_DATABASE_URL: DATABASE_URL, ENGRAM_DATABASE_SCHEMA: database.schema };
    const first = await runCli(['rebuild-vector-indexes', '--memory', '64MB'], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('chunk_vectors_hnsw: building a new graph beside the old');
    expect(first.stdout).toMatch(/memories_embedding_hnsw_8: rebuilt in \d+\.\d s/);
    const second = await runCli(['rebuild-vector-indexes'], env);
    expect(second.stdout).toContain(
      'chunk_vectors_hnsw: already built with these settings and form',
    );
    const wrong = await runCli(['rebuild-vector-indexes', '--memory', "1GB'; DROP"], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('Invalid --memory');
  });
});

/** Waits until a concurrent index build of this schema runs; its backend's pid. */
async function waitForBuild(pool: pg.Pool): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await pool.query<{ pid: number }>(
      `SELECT p.pid FROM pg_stat_progress_create_index p
       JOIN pg_class c ON c.oid = p.relid WHERE c.relnamespace = current_schema()::regnamespace`,
    );
    if (rows[0] !== undefined) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('no index build started');
}

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
