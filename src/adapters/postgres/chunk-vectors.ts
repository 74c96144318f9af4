// PostgreSQL document store, chunk vectors: the store's one vector space (embedder and
// dimension) and the pgvector table it implies ((re)made, with its HNSW index (none past 4,000
// dimensions: pgvector.ts), when an embedder is bound to a store holding no vectors, or the table
// is missing), and each chunk's vector.
import { AppError } from '../../domain/errors.js';
import type { Clock } from '../../domain/clock.js';
import {
  embedderMismatch,
  type ChunkVector,
  type VectorSpace,
} from '../../ports/document-store.js';
import { ROWS_INLINE, vectorIndexSql, vectorLiteral } from './pgvector.js';
import { withTransaction, type Queryable } from './transaction.js';

export interface PostgresChunkVectors {
  /** The embedder and dimension bound to the store; undefined before the first. */
  space(client?: Queryable): Promise<VectorSpace | undefined>;
  /** Whether the vector table exists (it does once an embedder is bound); once true, remembered. */
  hasTable(client?: Queryable): Promise<boolean>;
  /** Binds the store to an embedder; another one only while no chunk holds a vector. */
  bindSpace(space: VectorSpace): Promise<void>;
  /** Writes (or replaces) chunks' vectors; a chunk gone meanwhile is skipped. */
  upsert(tenantId: string, vectors: ChunkVector[]): Promise<void>;
}

/**
 * Whether this store's schema holds the vector table. Looked up in the schema itself: by name
 * alone, a store without one would find a `chunk_vectors` in `public` (on the search path).
 */
const VECTOR_TABLE_PRESENT = `SELECT to_regclass(format('%I.chunk_vectors', current_schema())) IS NOT NULL AS present`;

export function createPostgresChunkVectors(pool: Queryable, clock: Clock): PostgresChunkVectors {
  let vectorTableReady = false;
  let tenantIndexChecked = false;

  /** Whether the vector table exists; `client`: a transaction's, else the pool. */
  async function hasVectorTable(client?: Queryable): Promise<boolean> {
    if (!vectorTableReady) {
      const result = await (client ?? pool).query(VECTOR_TABLE_PRESENT);
      vectorTableReady = (result.rows[0] as { present: boolean }).present;
    }
    // Never inside a caller's transaction: the index waits for other writers of the table.
    if (vectorTableReady && client === undefined && !tenantIndexChecked) {
      await ensureTenantIndex();
      tenantIndexChecked = true;
    }
    return vectorTableReady;
  }

  /**
   * The tenant index on a vector table made without it: by a process older than migration
   * chunk-vectors-tenant, after this schema's migrations had run (a rolling upgrade). Two
   * processes making it at once: the loser sees a duplicate; fine.
   */
  async function ensureTenantIndex(): Promise<void> {
    const held = await pool.query(
      `SELECT 1 FROM pg_indexes WHERE schemaname = current_schema()
         AND tablename = 'chunk_vectors' AND indexname = 'chunk_vectors_tenant'`,
    );
    if (held.rows.length > 0) return;
    try {
      await pool.query(
        'CREATE INDEX IF NOT EXISTS chunk_vectors_tenant ON chunk_vectors (tenant_id)',
      );
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== '23505' && code !== '42P07') throw error;
    }
  }

  async function readSpace(client: Queryable = pool): Promise<VectorSpace | undefined> {
    const result = await client.query<{ embedder_id: string; dimension: number }>(
      'SELECT embedder_id, dimension FROM vector_space WHERE id = 1',
    );
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : { embedderId: row.embedder_id, dimension: row.dimension };
  }

  async function bindSpace(space: VectorSpace): Promise<void> {
    if (!Number.isInteger(space.dimension) || space.dimension < 1 || space.dimension > 8192) {
      throw new AppError(
        'INVALID_STATE',
        `Embedder ${space.embedderId} reports dimension ${space.dimension}.`,
      );
    }
    const current = await readSpace();
    if (
      current?.embedderId === space.embedderId &&
      current.dimension === space.dimension &&
      (await hasVectorTable())
    ) {
      return;
    }
    await withTransaction(pool, async (client) => {
      // Serialise first binds across processes sharing the schema.
      await client.query(
        `SELECT pg_advisory_xact_lock(hashtext('engram-vector-space:' || current_schema()))`,
      );
      const recorded = await readSpace(client);
      const present = (await client.query(VECTOR_TABLE_PRESENT)).rows[0] as {
        present: boolean;
      };
      if (
        recorded?.embedderId === space.embedderId &&
        recorded.dimension === space.dimension &&
        present.present
      )
        return;
      if (recorded !== undefined) {
        const held = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM chunks WHERE has_vector',
        );
        const n = held.rows[0]?.n ?? 0;
        if (n > 0) throw embedderMismatch(recorded, space, n);
      }
      // This schema's table only: unqualified, a missing one would resolve to public's.
      if (present.present) await client.query('DROP TABLE chunk_vectors');
      await client.query(
        `CREATE TABLE chunk_vectors (
           chunk_id TEXT PRIMARY KEY REFERENCES chunks (id) ON DELETE CASCADE,
           tenant_id TEXT NOT NULL,
           embedding vector(${space.dimension}) NOT NULL
         ) WITH (${ROWS_INLINE})`,
      );
      // A tenant's vectors, for an exact search within them (migration chunk-vectors-tenant).
      await client.query('CREATE INDEX chunk_vectors_tenant ON chunk_vectors (tenant_id)');
      const index = vectorIndexSql('chunks', space.dimension);
      if (index !== undefined) await client.query(index);
      await client.query(
        `INSERT INTO vector_space (id, embedder_id, dimension, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET embedder_id = excluded.embedder_id, dimension = excluded.dimension,
           created_at = excluded.created_at`,
        [space.embedderId, space.dimension, clock.now()],
      );
    });
    vectorTableReady = true;
  }

  async function upsert(tenantId: string, vectors: ChunkVector[]): Promise<void> {
    if (vectors.length === 0) return;
    const space = await readSpace();
    if (space === undefined || !(await hasVectorTable())) {
      throw new AppError(
        'INVALID_STATE',
        'No embedder is bound to this store yet: call bindVectorSpace first.',
      );
    }
    for (const { vector } of vectors) {
      if (vector.length !== space.dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `Vector of length ${vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
        );
      }
    }
    await withTransaction(pool, async (client) => {
      // Only chunks of this tenant that still exist receive a vector.
      const written = await client.query<{ chunk_id: string }>(
        `INSERT INTO chunk_vectors (chunk_id, tenant_id, embedding)
         SELECT c.id, c.tenant_id, x.embedding::vector
         FROM unnest($2::text[], $3::text[]) AS x (chunk_id, embedding)
         JOIN chunks c ON c.id = x.chunk_id AND c.tenant_id = $1
         ON CONFLICT (chunk_id) DO UPDATE SET embedding = excluded.embedding
         RETURNING chunk_id`,
        [tenantId, vectors.map((v) => v.chunkId), vectors.map((v) => vectorLiteral(v.vector))],
      );
      await client.query(
        'UPDATE chunks SET has_vector = true WHERE tenant_id = $1 AND id = ANY($2::text[])',
        [tenantId, written.rows.map((row) => row.chunk_id)],
      );
    });
  }

  return { space: readSpace, hasTable: hasVectorTable, bindSpace, upsert };
}
