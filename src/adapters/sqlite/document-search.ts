// SQLite document store, search: FTS5 text search (rare terms first) and vector search
// (sign-bit candidates that can reach the top k scored exactly with sqlite-vec's cosine
// distance, exact-ranking.ts).
import { LRUCache } from 'lru-cache';
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
import { rankTerms, type FtsRows } from './fts5-ranking.js';
import { fts5RowCount } from './fts5-row-count.js';
import { CHUNK_COLUMNS, toChunk, type ChunkRow } from './document-rows.js';
import { rankExactly } from './exact-ranking.js';
import { candidateLimit } from './sign-bit-index.js';
import type { SignedVectors } from './signed-vectors.js';
import { vectorBlob } from './vector-blob.js';

/** The chunks' FTS5 rows, keyed by chunk seq (their rowid). */
const CHUNK_ROWS: FtsRows = { table: 'chunks_fts', key: 'rowid' };

export interface SqliteDocumentSearchOptions {
  db: SqliteHandle;
  readSpace: () => VectorSpace | undefined;
  vectors: SignedVectors;
  /** Rows this process has deleted from chunks_fts so far (a count that only grows). */
  ftsDeletes: () => number;
}

/** Text and vector search for one store; keeps the per-store term-frequency and stemmer state. */
export function createSqliteDocumentSearch(
  options: SqliteDocumentSearchOptions,
): Pick<DocumentStore, 'searchText' | 'searchVector'> {
  const { db, readSpace, vectors, ftsDeletes } = options;

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

  /**
   * Chunks holding each stem, kept a minute: fts5vocab counts a term's chunks by reading its
   * whole posting list (≈1 ms per 60k postings warm, 8 ms cold), and common terms are the ones
   * queries repeat.
   */
  const stemPostings = new LRUCache<string, number>({ max: 20_000, ttl: 60_000 });
  /** What the last plan saw: a smaller row count, or any delete since, drops the stem counts. */
  let rowsBefore = 0;
  let deletesBefore = 0;
  let stemmerReady = false;
  /**
   * The stems of query words, from a per-connection temp FTS5 table with the same tokenizer, so
   * they match what the fts5vocab table counts.
   */
  function stems(words: string[]): Map<string, string> {
    if (!stemmerReady) {
      db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.ingest_query_words USING fts5 (w, tokenize = 'porter unicode61');
        CREATE VIRTUAL TABLE IF NOT EXISTS temp.ingest_query_words_vocab USING fts5vocab (temp, ingest_query_words, 'instance');`);
      stemmerReady = true;
    }
    const byRow = new Map<number, string>();
    db.transaction(() => {
      db.prepare('DELETE FROM temp.ingest_query_words').run();
      const insert = db.prepare('INSERT INTO temp.ingest_query_words (rowid, w) VALUES (?, ?)');
      words.forEach((word, i) => insert.run(i + 1, word));
      for (const row of db.prepare('SELECT term, doc FROM temp.ingest_query_words_vocab').all() as {
        term: string;
        doc: number;
      }[]) {
        byRow.set(row.doc, row.term);
      }
    })();
    return new Map(words.map((word, i) => [word, byRow.get(i + 1) ?? word]));
  }

  /**
   * Which of a query's terms select candidates: the rare ones, the common ones only in pairs,
   * within a budget of postings for `candidates` results (rare-terms-first.ts); every term with
   * a weight scores. Postings are the chunks holding a term's stem, in every tenant (over, not
   * under).
   */
  function termPlan(terms: string[], candidates: number): TermPlan {
    // bm25() gives a term in at least half of the chunks no weight. The row count is read fresh
    // (one small row) and the stem counts may be a minute old: while rows are only added, a term
    // is never held weightless against a count from before. Once a row is deleted (a document
    // removed or edited here, or fewer rows written by another process), a kept count may be
    // higher than the term's: the counts are dropped and read again.
    const rows = fts5RowCount(db, CHUNK_ROWS.table);
    const deletes = ftsDeletes();
    if (rows < rowsBefore || deletes !== deletesBefore) stemPostings.clear();
    rowsBefore = rows;
    deletesBefore = deletes;
    const frequency = db.prepare('SELECT doc FROM chunks_fts_vocab WHERE term = ?');
    const stemOf = stems(terms);
    const postingsOf = (stem: string): number => {
      let count = stemPostings.get(stem);
      if (count === undefined) {
        count = (frequency.get(stem) as { doc: number } | undefined)?.doc ?? 0;
        stemPostings.set(stem, count);
      }
      return count;
    };
    const postings = terms.map((term) => ({ term, postings: postingsOf(stemOf.get(term)!) }));
    return rareTermsFirst(postings, rows, postingBudget(candidates), 0.5);
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
