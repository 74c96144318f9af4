// SQLite document store, search: FTS5 text search (rare terms first) and vector search
// (sign-bit candidates that can reach the top k scored exactly with sqlite-vec's cosine
// distance, exact-ranking.ts).
import { AppError } from '../../domain/errors.js';
import {
  METADATA_KEY,
  searchTerms,
  type ChunkHit,
  type ChunkSearchInput,
  type DocumentStore,
  type VectorSpace,
} from '../../ports/document-store.js';
import { postingBudget, rareTermsFirst, type TermPlan } from '../rare-terms-first.js';
import type { SqliteHandle } from './database.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { CHUNKS_FTS } from './fts5-term-docs.js';
import { rankTerms, type FtsRows } from './fts5-ranking.js';
import { fts5RowCount } from './fts5-row-count.js';
import { CHUNK_COLUMNS, toChunk, type ChunkRow } from './document-rows.js';
import { rankExactly } from './exact-ranking.js';
import { candidateLimit } from './sign-bit-index.js';
import type { SignedVectors } from './signed-vectors.js';
import { vectorBlob } from './vector-blob.js';

/** The chunks' FTS5 rows, keyed by chunk seq (their rowid). */
const CHUNK_ROWS: FtsRows = { table: CHUNKS_FTS.table, key: 'rowid' };

export interface SqliteDocumentSearchOptions {
  db: SqliteHandle;
  readSpace: () => VectorSpace | undefined;
  vectors: SignedVectors;
}

/** Text and vector search for one store; keeps the store's term frequencies. */
export function createSqliteDocumentSearch(
  options: SqliteDocumentSearchOptions,
): Pick<DocumentStore, 'searchText' | 'searchVector'> {
  const { db, readSpace, vectors } = options;

  /** WHERE fragments shared by both searches, over chunks c joined with documents d. */
  function filters(input: ChunkSearchInput): { sql: string; params: unknown[] } {
    const parts = [`c.tenant_id = ?`, `d.status = 'completed'`];
    const params: unknown[] = [input.tenantId];
    if (input.namespace !== undefined) {
      parts.push('c.namespace = ?');
      params.push(input.namespace);
    }
    if (input.documentIds !== undefined) {
      parts.push(`c.document_id IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(input.documentIds));
    }
    for (const [key, value] of Object.entries(input.metadata ?? {})) {
      if (!METADATA_KEY.test(key))
        throw new AppError('VALIDATION_FAILED', `Metadata filter key "${key}" is not allowed.`);
      parts.push(`json_extract(d.metadata, '$.${key}') = ?`);
      params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    }
    return { sql: parts.join(' AND '), params };
  }

  /** Chunks holding each term, exact for the index as it is (planning and scores alike). */
  const frequencies = new Fts5Frequencies(db, CHUNKS_FTS);

  /**
   * Which of a query's terms select candidates: the rare ones, the common ones only in pairs,
   * within a budget of postings for `candidates` results (rare-terms-first.ts); every term with
   * a weight scores (bm25() gives a term in at least half of the chunks none). Postings are the
   * chunks holding a term, in every tenant (over, not under).
   */
  function termPlan(terms: string[], candidates: number): TermPlan {
    const counts = frequencies.of(terms);
    const postings = terms.map((term, i) => ({ term, postings: counts[i]! }));
    return rareTermsFirst(
      postings,
      fts5RowCount(db, CHUNK_ROWS.table),
      postingBudget(candidates),
      // Chunk seqs (their rowids) grow with every chunk added: a window can be taken.
      { weightlessShare: 0.5, newestRows: true },
    );
  }

  return {
    async searchText(input) {
      const terms = searchTerms(input.query);
      if (terms.length === 0 || input.limit <= 0) return [];
      const where = filters(input);
      // Rank inside FTS5 first and join only the best candidates: joining every match before
      // sorting costs more than the ranking itself.
      const candidates = Math.max(64, input.limit * 4);
      const rows = rankTerms({
        db,
        rows: CHUNK_ROWS,
        frequencies,
        plan: termPlan(terms, candidates),
        candidates,
        limit: input.limit,
        passing: (found) => {
          if (found.length === 0) return [];
          const score = new Map(found.map((row) => [row.key, row.score]));
          return (
            db
              .prepare(
                `SELECT ${CHUNK_COLUMNS}, d.title AS document_title FROM json_each(?) j
                 CROSS JOIN chunks c ON c.seq = j.value JOIN documents d ON d.id = c.document_id
                 WHERE ${where.sql} ORDER BY j.key LIMIT ?`,
              )
              .all(JSON.stringify([...score.keys()]), ...where.params, input.limit) as (ChunkRow & {
              document_title: string | null;
            })[]
          ).map((row) => ({ ...row, score: score.get(row.seq)! }));
        },
        keyOf: (row) => row.seq,
      });
      return rows.map((row, index): ChunkHit => ({
        chunk: toChunk(row),
        documentTitle: row.document_title,
        rank: index + 1,
        score: row.score,
      }));
    },

    async searchVector(input) {
      const space = readSpace();
      if (space === undefined || input.limit <= 0) return [];
      if (input.vector.length !== space.dimension) {
        throw new AppError(
          'EMBEDDER_MISMATCH',
          `Query vector of length ${input.vector.length} does not fit the store's ${space.embedderId} (dimension ${space.dimension}).`,
        );
      }
      const index = vectors.index([input.tenantId], space.dimension);
      const found = index.nearest(
        input.vector,
        { keys: [input.namespace === undefined ? undefined : [input.namespace]] },
        { k: input.limit, limit: candidateLimit(input.limit) },
      );
      const where = filters(input);
      const blob = vectorBlob(input.vector);
      const rank = (from: string, params: unknown[]) =>
        db
          .prepare(
            `SELECT c.seq, 1 - vec_distance_cosine(v.vector, ?) AS score FROM ${from}
             WHERE ${where.sql} ORDER BY score DESC, c.seq LIMIT ?`,
          )
          .all(blob, ...params, ...where.params, input.limit) as { seq: number; score: number }[];
      const ranked = rankExactly(
        found,
        input.limit,
        // CROSS JOIN fixes the join order: start from the candidates, never scan the tenant.
        (ids) =>
          rank(
            `json_each(?) j CROSS JOIN chunk_vectors v ON v.id = j.value
             CROSS JOIN chunks c ON c.seq = v.seq CROSS JOIN documents d ON d.id = c.document_id`,
            [JSON.stringify(ids)],
          ),
        // Filters the index does not hold (documents, status, metadata) removed too many
        // candidates: score every chunk that passes them, exactly.
        () =>
          rank(
            `chunks c JOIN documents d ON d.id = c.document_id JOIN chunk_vectors v ON v.seq = c.seq`,
            [],
          ),
      );
      const rows = new Map(
        (
          db
            .prepare(
              `SELECT ${CHUNK_COLUMNS}, d.title AS document_title FROM json_each(?) j
               CROSS JOIN chunks c ON c.seq = j.value JOIN documents d ON d.id = c.document_id`,
            )
            .all(JSON.stringify(ranked.map((row) => row.seq))) as (ChunkRow & {
            document_title: string | null;
          })[]
        ).map((row) => [row.seq, row]),
      );
      return ranked.flatMap((hit, index): ChunkHit[] => {
        const row = rows.get(hit.seq);
        return row === undefined
          ? []
          : [
              {
                chunk: toChunk(row),
                documentTitle: row.document_title,
                rank: index + 1,
                score: hit.score,
              },
            ];
      });
    },
  };
}
