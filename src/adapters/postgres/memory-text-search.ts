// PostgreSQL memory store, full-text search: tsvector/GIN, ranked with ts_rank by an OR query of
// the question's terms. When the terms hold more postings than the query may rank, its rare terms
// select rows and the common ones only in pairs (rare-terms-first.ts); the newest rows holding
// any term fill up to k.
import type pg from 'pg';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import { postingBudget, rareTermsFirst } from '../rare-terms-first.js';
import { MEMORY_COLUMNS, toMemory, type MemoryRow } from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';
import { anyTermQuery, selectingQuery, type TermPostingsReader } from './term-postings.js';

/** The words of a question (at most 64); the english config drops the stop words among them. */
export function queryWords(query: string): string[] {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw !== '') terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms];
}

export async function searchMemoryText(
  pool: pg.Pool,
  termPostings: TermPostingsReader,
  input: MemoryScope & { query: string; k: number },
): Promise<MemoryHit[]> {
  const words = queryWords(input.query);
  if (words.length === 0 || input.k <= 0) return [];
  const stats = await termPostings(pool, words);
  const plan = rareTermsFirst(stats.terms, stats.rows, postingBudget(input.k));
  // `selected` picks the rows; every row is scored by the plain OR query. `order` picks which
  // are ranked: the best by score, or a window of the newest.
  const run = async (selected: string, order: 'best' | 'newest') => {
    const scope = new ScopeBuilder([selected, anyTermQuery(words)]);
    const where = scope.add(input);
    const window =
      order === 'best' ? '' : `ORDER BY m.occurred_at DESC, m.id LIMIT ${postingBudget(input.k)}`;
    const result = await pool.query<MemoryRow & { score: number }>(
      `SELECT * FROM (
         SELECT ${MEMORY_COLUMNS}, ts_rank(m.text_search, q, 1) AS score
         FROM memories m, to_tsquery('english', $1) s, to_tsquery('english', $2) q
         WHERE m.text_search @@ s AND ${where} ${window}
       ) r ORDER BY r.score DESC, r.id LIMIT ${scope.param(input.k)}`,
      scope.values,
    );
    return result.rows;
  };
  let rows = await run(plan.complete ? anyTermQuery(words) : selectingQuery(plan), 'best');
  if (rows.length < input.k && !plan.complete) {
    // Fewer rows hold a selecting term than asked for: after them come the best of the newest
    // rows holding any term (a window of the budget's size, so the cost stays bounded).
    const held = new Set(rows.map((row) => row.id));
    const newest = await run(anyTermQuery(words), 'newest');
    rows = [...rows, ...newest.filter((row) => !held.has(row.id))].slice(0, input.k);
  }
  return rows.map((row, index) => ({
    memory: toMemory(row),
    rank: index + 1,
    score: row.score,
  }));
}
