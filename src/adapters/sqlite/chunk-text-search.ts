// SQLite chunk full-text search: BM25 over FTS5, rare terms first. The common terms of a query
// select candidates only in pairs and score the rest (rare-terms-first.ts); FTS5 ranks on
// (rowid, score) and only the best candidates are joined to their chunks. Synchronous: it runs
// on the calling thread or in a search thread of its own connection (search-threads.ts).
import { searchTerms, type ChunkHit, type ChunkSearchInput } from '../../ports/document-store.js';
import { postingBudget, rareTermsFirst, type TermPlan } from '../rare-terms-first.js';
import { chunkFilters } from './chunk-filters.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { CHUNK_COLUMNS, toChunk, type ChunkRow } from './document-rows.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { rankTerms, type FtsRows } from './fts5-ranking.js';
import { fts5RowCount } from './fts5-row-count.js';
import { CHUNKS_FTS } from './fts5-term-docs.js';

/** A full-text query over chunks: the words and the filters. */
export type ChunkTextQuery = ChunkSearchInput & { query: string };

/** The chunks' FTS5 rows, keyed by chunk seq (their rowid). */
const CHUNK_ROWS: FtsRows = { table: CHUNKS_FTS.table, key: 'rowid' };

/** Full-text search over one connection's chunks. */
export function createChunkTextSearch(db: SqliteHandle): (input: ChunkTextQuery) => ChunkHit[] {
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
      { weightlessShare: 0.5, windowed: true },
    );
  }

  return (input) => {
    const terms = searchTerms(input.query);
    if (terms.length === 0 || input.limit <= 0) return [];
    const where = chunkFilters(input);
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
          statement(
            db,
            `SELECT ${CHUNK_COLUMNS}, d.title AS document_title FROM json_each(?) j
             CROSS JOIN chunks c ON c.seq = j.value JOIN documents d ON d.id = c.document_id
             WHERE ${where.sql} ORDER BY j.key LIMIT ?`,
          ).all(JSON.stringify([...score.keys()]), ...where.params, input.limit) as (ChunkRow & {
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
  };
}
