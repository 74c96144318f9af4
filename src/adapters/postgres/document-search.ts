// Full-text (tsvector) and vector (pgvector HNSW) chunk search for the PostgreSQL document store.
import { AppError } from '../../domain/errors.js';
import { withTransaction, type Queryable } from './transaction.js';
import type { Clock } from '../../domain/clock.js';
import {
  METADATA_KEY,
  SMALL_STORE_CHUNKS,
  searchTerms,
  withoutCommonTerms,
  type ChunkHit,
  type ChunkSearchInput,
  type DocumentStore,
  type VectorSpace,
} from '../../ports/document-store.js';
import { CHUNK_COLUMNS, toHit, type HitRow } from './document-rows.js';
import { hnswSearchBreadth, vectorLiteral } from './pgvector.js';

type TextSearchInput = Parameters<DocumentStore['searchText']>[0];
type VectorSearchInput = Parameters<DocumentStore['searchVector']>[0];

/** What vector search needs from the store: its pool and vector-space probes. */
export interface VectorSearchContext {
  pool: Queryable;
  readSpace: () => Promise<VectorSpace | undefined>;
  hasVectorTable: () => Promise<boolean>;
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

/** The share of chunks holding a query term, by the term: what withoutCommonTerms weighs. */
export type TermShares = (pool: Queryable, terms: string[]) => Promise<(term: string) => number>;

/**
 * Term shares from the planner's statistics on `chunks.tsv` (ANALYZE, which autovacuum runs,
 * keeps the most common lexemes of a tsvector column with the share of rows holding each),
 * read at most once a minute. They cover the whole table, not one tenant; a lexeme outside the
 * list is rare. Before the first ANALYZE, or in a small store, nothing is common.
 */
export function createTermShares(clock: Clock): TermShares {
  let stats = { at: -Infinity, rows: 0, shares: new Map<string, number>() };
  return async (pool, terms) => {
    if (terms.length < 2) return () => 0;
    const now = clock.now();
    if (now - stats.at > 60_000) {
      const result = await pool.query<{
        rows: number;
        elems: string[] | null;
        freqs: number[] | null;
      }>(
        `SELECT c.reltuples::float8 AS rows, s.most_common_elems::text::text[] AS elems,
           s.most_common_elem_freqs AS freqs
         FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema()
           AND s.tablename = 'chunks' AND s.attname = 'tsv'
         WHERE c.oid = to_regclass('chunks')`,
      );
      const row = result.rows[0];
      const shares = new Map<string, number>();
      (row?.elems ?? []).forEach((lexeme, i) => shares.set(lexeme, row!.freqs![i]!));
      stats = { at: now, rows: Math.max(0, row?.rows ?? 0), shares };
    }
    if (stats.rows < SMALL_STORE_CHUNKS || stats.shares.size === 0) return () => 0;
    const lexemes = await pool.query<{ term: string; lexemes: string[] }>(
      `SELECT w AS term, tsvector_to_array(to_tsvector('english', w)) AS lexemes
       FROM unnest($1::text[]) AS w`,
      [terms],
    );
    const shareOf = new Map(
      lexemes.rows.map((row) => [
        row.term,
        Math.max(0, ...row.lexemes.map((lexeme) => stats.shares.get(lexeme) ?? 0)),
      ]),
    );
    return (term) => shareOf.get(term) ?? 0;
  };
}

export async function searchText(
  pool: Queryable,
  termShares: TermShares,
  input: TextSearchInput,
): Promise<ChunkHit[]> {
  const query = searchTerms(input.query);
  const terms = withoutCommonTerms(query, await termShares(pool, query));
  if (terms.length === 0 || input.limit <= 0) return [];
  // Rank the tenant's matches first and join only the best candidates (as in SQLite); when
  // filters drop too many of them, the full join answers instead.
  const run = async (candidates: number | null) => {
    const params: unknown[] = [terms.join(' | '), input.tenantId];
    const where = filters(input, params);
    const cap = candidates === null ? '' : `LIMIT ${candidates}`;
    const result = await pool.query<HitRow>(
      `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, r.score
       FROM (
         SELECT x.id, ts_rank_cd(x.tsv, q) AS score
         FROM chunks x, to_tsquery('english', $1) AS q
         WHERE x.tenant_id = $2 AND x.tsv @@ q
         ORDER BY score DESC, x.id ${cap}
       ) r JOIN chunks c ON c.id = r.id JOIN documents d ON d.id = c.document_id
       WHERE ${where}
       ORDER BY r.score DESC, c.id LIMIT $${params.push(input.limit)}`,
      params,
    );
    return result.rows;
  };
  let rows = await run(Math.max(64, input.limit * 4));
  if (rows.length < input.limit) rows = await run(null);
  return rows.map(toHit);
}

export async function searchVector(
  context: VectorSearchContext,
  input: VectorSearchInput,
): Promise<ChunkHit[]> {
  const { pool, readSpace, hasVectorTable } = context;
  const space = await readSpace();
  if (space === undefined || !(await hasVectorTable()) || input.limit <= 0) return [];
  if (input.vector.length !== space.dimension) {
    throw new AppError(
      'EMBEDDER_MISMATCH',
      `Query vector of length ${input.vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
    );
  }
  // The nearest vectors of the tenant come from the HNSW index alone (an inner query the
  // planner cannot turn into a join-then-sort); the status, namespace and metadata filters
  // apply to those candidates. An iterative scan keeps the tenant filter from starving it.
  const candidates = Math.min(1000, Math.max(64, input.limit * 4));
  return withTransaction(pool, async (client) => {
    await client.query(`SET LOCAL hnsw.ef_search = ${hnswSearchBreadth(candidates)}`);
    await client.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    const params: unknown[] = [vectorLiteral(input.vector), input.tenantId];
    const where = filters(input, params);
    const limit = `$${params.push(input.limit)}`;
    const result = await client.query<HitRow>(
      `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, 1 - knn.distance AS score
       FROM (
         SELECT v.chunk_id, v.embedding <=> $1::vector AS distance
         FROM chunk_vectors v WHERE v.tenant_id = $2
         ORDER BY v.embedding <=> $1::vector LIMIT ${candidates}
       ) knn JOIN chunks c ON c.id = knn.chunk_id JOIN documents d ON d.id = c.document_id
       WHERE ${where}
       ORDER BY knn.distance, c.id LIMIT ${limit}`,
      params,
    );
    if (result.rows.length >= input.limit) return result.rows.map(toHit);
    // The filters removed too many of the tenant's nearest: search within them instead (the
    // planner picks the filtered rows, or an iterative index scan that skips the others).
    const within = await client.query<HitRow>(
      `SELECT ${CHUNK_COLUMNS}, d.title AS document_title, 1 - (v.embedding <=> $1::vector) AS score
       FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id
       WHERE v.tenant_id = $2 AND ${where}
       ORDER BY v.embedding <=> $1::vector, c.id LIMIT ${limit}`,
      params,
    );
    return within.rows.map(toHit);
  });
}
