// PostgreSQL memory store, vectors: pgvector in an untyped column with one partial HNSW index per
// dimension (cosine, in half precision; none past 4,000 dimensions: pgvector.ts), created
// on first use; searches scan iteratively so scope filters still fill k, and score the scope
// exactly when the scan comes back short, or at once when the scope is too small a part of the
// table for the index to reach k of its rows sooner (exactFirst).
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import { MEMORY_COLUMNS, toMemory, type MemoryRow } from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';
import {
  beginHnswSearch,
  exactDistance,
  exactFirst,
  indexedDistance,
  memoryVectorIndex,
  vectorIndexSql,
  vectorLiteral,
} from './pgvector.js';
import { withTransaction } from './transaction.js';
import { memoryScopeRows, type ScopeRowsReaders } from './value-rows.js';

export class PostgresMemoryVectors {
  private readonly indexedDimensions = new Set<number>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly scopeRows: ScopeRowsReaders,
  ) {}

  async search(
    input: MemoryScope & { vector: Float32Array; embedderId: string; k: number },
  ): Promise<MemoryHit[]> {
    if (input.k <= 0) return [];
    const dim = input.vector.length;
    if (!Number.isInteger(dim) || dim < 1 || dim > 16_000) return [];
    const scope = new ScopeBuilder([vectorLiteral(input.vector), input.embedderId]);
    const where = scope.add(input);
    const limit = scope.param(input.k);
    // Each row's distance computed once: the index's search orders by the indexed form, the exact
    // one by the distance it selects.
    const search = (distance: string, order: string) =>
      `SELECT ${MEMORY_COLUMNS}, ${distance} AS distance FROM memories m
       WHERE m.embedder_id = $2 AND m.embedding_dim = ${dim} AND ${where}
       ORDER BY ${order} LIMIT ${limit}`;
    type Row = MemoryRow & { distance: number };
    const exact = search(exactDistance('m.embedding', '$1', dim), 'distance, m.id');
    const estimate = await memoryScopeRows(this.scopeRows, this.pool, input);
    const rows =
      estimate !== undefined && exactFirst(estimate.rows, estimate.tableRows, input.k)
        ? (await this.pool.query<Row>(exact, scope.values)).rows
        : await withTransaction(this.pool, async (client) => {
            const indexed = await beginHnswSearch(
              client,
              input.k,
              estimate?.tableRows ?? 0,
              memoryVectorIndex(dim),
            );
            // No index (past 4,000 dimensions, or none made yet): every vector scored exactly.
            if (indexed === undefined) return (await client.query<Row>(exact, scope.values)).rows;
            const nearest = await client.query<Row>(
              search(
                `m.embedding::vector(${dim}) <=> $1::vector(${dim})`,
                indexedDistance('m.embedding', '$1', dim, indexed),
              ),
              scope.values,
            );
            if (nearest.rows.length >= input.k) return nearest.rows;
            // Short: the scope holds fewer than k, or the index scan gave up before reaching its
            // rows (hnswSearchBreadth). Score the scope exactly: its rows come from the user's or
            // the embedder's index (memories_embedded, for a backlog or a new embedder), so a
            // small scope is cheap; a narrow tier or kind across a big tenant reads the tenant's
            // embedded rows.
            return (await client.query<Row>(exact, scope.values)).rows;
          });
    // relaxed_order may return rows slightly out of order.
    rows.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1));
    return rows.map((row, index) => ({
      memory: toMemory(row),
      rank: index + 1,
      score: 1 - row.distance,
    }));
  }

  private async ensureVectorIndex(dim: number): Promise<void> {
    if (this.indexedDimensions.has(dim)) return;
    const name = memoryVectorIndex(dim);
    // Found by name first: CREATE INDEX IF NOT EXISTS takes a lock on the table that waits for a
    // concurrent build (engram rebuild-vector-indexes) before it looks, and every write behind it.
    const present = await this.pool.query<{ present: boolean }>(
      `SELECT to_regclass(format('%I.%I', current_schema(), $1::text)) IS NOT NULL AS present`,
      [name],
    );
    if (present.rows[0]?.present === true) {
      this.indexedDimensions.add(dim);
      return;
    }
    const index = vectorIndexSql('memories', dim);
    try {
      if (index !== undefined) await this.pool.query(index);
    } catch (error) {
      // Two processes creating the same index at once: the loser sees a duplicate; fine.
      if (
        (error as { code?: string }).code !== '23505' &&
        (error as { code?: string }).code !== '42P07'
      )
        throw error;
    }
    this.indexedDimensions.add(dim);
  }

  async putVectors(
    tenantId: string,
    embedderId: string,
    vectors: Array<{ memoryId: string; vector: Float32Array }>,
  ): Promise<void> {
    if (vectors.length === 0) return;
    const dims = new Set(vectors.map((item) => item.vector.length));
    for (const dim of dims) {
      if (!Number.isInteger(dim) || dim < 1 || dim > 16_000) {
        throw new AppError('EMBEDDER_MISMATCH', `Vector dimension ${dim} is not supported.`);
      }
      await this.ensureVectorIndex(dim);
    }
    await this.pool.query(
      `UPDATE memories m SET embedding = u.vector::vector, embedding_dim = u.dim, embedder_id = $2
       FROM unnest($3::text[], $4::text[], $5::int[]) AS u(id, vector, dim)
       WHERE m.tenant_id = $1 AND m.id = u.id`,
      [
        tenantId,
        embedderId,
        vectors.map((item) => item.memoryId),
        vectors.map((item) => vectorLiteral(item.vector)),
        vectors.map((item) => item.vector.length),
      ],
    );
  }
}
