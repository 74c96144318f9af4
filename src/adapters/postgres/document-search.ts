// Full-text (tsvector) and vector (pgvector HNSW) chunk search for the PostgreSQL document store.
import { AppError } from '../../domain/errors.js';
import { withTransaction, type Queryable } from './transaction.js';
import {
  METADATA_KEY,
  searchTerms,
  type ChunkHit,
  type ChunkSearchInput,
  type DocumentStore,
} from '../../ports/document-store.js';
import type { PostgresChunkVectors } from './chunk-vectors.js';
import { CHUNK_COLUMNS, toHit, type HitRow } from './document-rows.js';
import {
  beginHnswSearch,
  CHUNK_VECTOR_INDEX,
  exactDistance,
  exactFirst,
  indexedDistance,
  vectorLiteral,
} from './pgvector.js';
import type { ValueRowsReader } from './value-rows.js';
import { postingBudget, rareTermsFirst } from '../rare-terms-first.js';
import {
  anyTermQuery,
  selectedRows,
  selectingQuery,
  type TermPostingsReader,
} from './term-postings.js';

type TextSearchInput = Parameters<DocumentStore['searchText']>[0];
type VectorSearchInput = Parameters<DocumentStore['searchVector']>[0];

/** What vector search needs from the store: its pool and its vector space. */
export interface VectorSearchContext {
  pool: Queryable;
  vectors: PostgresChunkVectors;
  /** Each tenant's share of the vectors, for whether the index or an exact search is sooner. */
  tenantRows: ValueRowsReader;
}

function filters(input: ChunkSearchInput, params: unknown[]): string {
  const parts = [`c.tenant_id = $${params.push(input.tenantId)}`, `d.status = 'completed'`];
  if (input.namespace !== undefined) parts.push(`c.namespace = $${params.push(input.namespace)}`);
  if (input.documentIds !== undefined)
    parts.push(`c.document_id = ANY($${params.push(input.documentIds)}::text[])`);
  const metadata = input.metadata ?? {};
  for (const key of Object.keys(metadata)) {
    if (!METADATA_KEY.test(key))
      throw new AppError('VALIDATION_FAILED', `Metadata filter key "${key}" is not allowed.`);
  }
  if (Object.keys(metadata).length > 0)
    parts.push(`d.metadata @> $${params.push(JSON.stringify(metadata))}::jsonb`);
  return parts.join(' AND ');
}

/**
 * Chunks a full-text search may rank here: a quarter of the shared posting budget. Ranking a
 * chunk reads its tsvector (about 2 kB) and scores it: 10–25 µs a row warm while tsvectors lived
 * in TOAST, about a third less in the row (migration 106), where FTS5 reads a posting in under
 * one and a memory's short tsvector costs a few (`npx tsx bench/lab/pg-text-parts.ts`;
 * docs/performance.md).
 */
export function chunkPostingBudget(candidates: number): number {
  return Math.ceil(postingBudget(candidates) / 4);
}

export async function searchText(
  pool: Queryable,
  termPostings: TermPostingsReader,
  input: TextSearchInput,
): Promise<ChunkHit[]> {
  const terms = searchTerms(input.query);
  if (terms.length === 0 || input.limit <= 0) return [];
  const candidates = Math.max(64, input.limit * 4);
  const stats = await termPostings(pool, terms);
  const plan = rareTermsFirst(stats.terms, stats.rows, chunkPostingBudget(candidates), {
    windowed: true,
  });
  // Rank the tenant's matches first and join only the best candidates (as in SQLite); when
  // filters drop too many of them, the full join answers instead. Every row is scored by the
  // plain OR query ($1); `complete` ranks every row holding a term, else the plan's rows.
  const run = async (complete: boolean, cap: number | null) => {
    const params: unknown[] = [anyTermQuery(terms), input.tenantId];
    const selecting = complete ? anyTermQuery(terms) : selectingQuery(plan);
    const ranked = selectedRows({
      from: 'chunks x',
      id: 'x.id',
      tsv: 'x.tsv',
      score: 'ts_rank_cd(x.tsv, q)',
      where: 'x.tenant_id = $2',
      selecting: selecting === null ? null : `$${params.push(selecting)}`,
      scoring: '$1',
      windowRows: complete ? null : plan.windowRows,
    });
    const where = filters(input, params);
    const result = await pool.query<HitRow>(
      `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, r.score
       FROM (SELECT * FROM (${ranked}) t ORDER BY t.score DESC, t.id ${cap === null ? '' : `LIMIT ${cap}`}) r
       JOIN chunks c ON c.id = r.id JOIN documents d ON d.id = c.document_id
       WHERE ${where}
       ORDER BY r.score DESC, c.id LIMIT $${params.push(input.limit)}`,
      params,
    );
    return result.rows;
  };
  let rows = await run(plan.complete, candidates);
  if (rows.length < input.limit) rows = await run(plan.complete, null);
  if (rows.length < input.limit && !plan.complete) {
    // Fewer rows hold a selecting term, or pass the filters, than asked for: after them come
    // the plain OR query's rows (a full ranking, as before plans).
    const held = new Set(rows.map((row) => row.id));
    let whole = await run(true, candidates);
    if (whole.length < input.limit) whole = await run(true, null);
    rows = [...rows, ...whole.filter((row) => !held.has(row.id))];
    // A plan with a window has no term that selects alone, so no row comes first for holding a
    // rare one: all go in score order (a row the window left out may outscore its rows).
    if (plan.windowRows !== null)
      rows.sort((a, b) => Number(b.score) - Number(a.score) || (a.id < b.id ? -1 : 1));
    rows = rows.slice(0, input.limit);
  }
  return rows.map(toHit);
}

export async function searchVector(
  context: VectorSearchContext,
  input: VectorSearchInput,
): Promise<ChunkHit[]> {
  const { pool, vectors } = context;
  const space = await vectors.space();
  if (space === undefined || !(await vectors.hasTable()) || input.limit <= 0) return [];
  if (input.vector.length !== space.dimension) {
    throw new AppError(
      'EMBEDDER_MISMATCH',
      `Query vector of length ${input.vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
    );
  }
  // The tenant's nearest vectors are found first (an inner query the planner cannot turn into a
  // join-then-sort), from the HNSW index or, for a tenant holding a small part of the store's
  // vectors, scored exactly through its own index (cheaper than a scan passing over other
  // tenants': exactFirst); the status, namespace and metadata filters apply to those candidates.
  // An iterative scan keeps the tenant filter from starving the index's.
  const candidates = Math.min(1000, Math.max(64, input.limit * 4));
  const params: unknown[] = [vectorLiteral(input.vector), input.tenantId];
  const where = filters(input, params);
  const limit = `$${params.push(input.limit)}`;
  // The tenant's chunks ranked by `distance`, the inner query's `nearest` (an ORDER BY and LIMIT,
  // or none) taken before the filters.
  const ranked = (distance: string, nearest: string) =>
    `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, 1 - knn.distance AS score
     FROM (
       SELECT v.chunk_id, ${distance} AS distance
       FROM chunk_vectors v WHERE v.tenant_id = $2 ${nearest}
     ) knn JOIN chunks c ON c.id = knn.chunk_id JOIN documents d ON d.id = c.document_id
     WHERE ${where}
     ORDER BY knn.distance, c.id LIMIT ${limit}`;
  const exactly = exactDistance('v.embedding', '$1', space.dimension);
  const tenant = await context.tenantRows(pool, input.tenantId);
  const exact = tenant !== undefined && exactFirst(tenant.rows, tenant.tableRows, candidates);
  return withTransaction(pool, async (client) => {
    // The index's form, or none (then, as for a small tenant, every vector scored exactly).
    const indexed = exact
      ? undefined
      : await beginHnswSearch(client, candidates, tenant?.tableRows ?? 0, CHUNK_VECTOR_INDEX);
    const first = await client.query<HitRow>(
      indexed === undefined
        ? ranked(exactly, `ORDER BY distance, v.chunk_id LIMIT ${candidates}`)
        : ranked(
            'v.embedding <=> $1::vector',
            `ORDER BY ${indexedDistance('v.embedding', '$1', space.dimension, indexed)} LIMIT ${candidates}`,
          ),
      params,
    );
    if (first.rows.length >= input.limit) return first.rows.map(toHit);
    // The filters left fewer than asked of those: every chunk of the tenant that passes them,
    // scored exactly (an index scan within them could give up before reaching them: pgvector.ts).
    return (await client.query<HitRow>(ranked(exactly, ''), params)).rows.map(toHit);
  });
}
