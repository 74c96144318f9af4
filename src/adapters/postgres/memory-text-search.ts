// PostgreSQL memory store, full-text search: tsvector/GIN, ranked with ts_rank by an OR query of
// the question's terms. When the scope holds more memories than the query may rank and its terms
// more postings, the rare terms select rows and the common ones only in pairs
// (rare-terms-first.ts); when they leave fewer than k, the plain OR query's rows follow. No
// window: PostgreSQL's cheap one is the oldest rows, and a memory store should not prefer those
// (a query whose every term is common ranks every match in the scope).
import type pg from 'pg';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import { postingBudget, rareTermsFirst } from '../rare-terms-first.js';
import { MEMORY_COLUMNS, toMemory, type MemoryRow } from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';
import {
  anyTermQuery,
  selectedRows,
  selectingQuery,
  type TermPostingsReader,
} from './term-postings.js';

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
  const budget = postingBudget(input.k);
  // A scope of at most `budget` memories cannot match more: it ranks every match.
  const held = new ScopeBuilder([]);
  const { rows: counted } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM memories m WHERE ${held.add(input)} LIMIT ${budget + 1}) x`,
    held.values,
  );
  const plan =
    counted[0]!.n <= budget
      ? undefined
      : await termPostings(pool, words).then((stats) =>
          rareTermsFirst(stats.terms, stats.rows, budget),
        );
  // The plan picks the rows; every row is scored by the plain OR query, on (id, score) only,
  // and the k best are read whole.
  const run = async (complete: boolean) => {
    const scope = new ScopeBuilder([anyTermQuery(words)]);
    const where = scope.add(input);
    const selecting = complete ? anyTermQuery(words) : selectingQuery(plan!);
    const ranked = selectedRows({
      from: 'memories m',
      id: 'm.id',
      tsv: 'm.text_search',
      score: 'ts_rank(m.text_search, q, 1)',
      where,
      selecting: selecting === null ? null : scope.param(selecting),
      scoring: '$1',
      windowRows: null,
    });
    const result = await pool.query<MemoryRow & { score: number }>(
      `SELECT ${MEMORY_COLUMNS}, r.score FROM (${ranked}) r JOIN memories m ON m.id = r.id
       ORDER BY r.score DESC, m.id LIMIT ${scope.param(input.k)}`,
      scope.values,
    );
    return result.rows;
  };
  const complete = plan === undefined || plan.complete;
  let rows = await run(complete);
  if (rows.length < input.k && !complete) {
    // Fewer rows hold a selecting term, or pass the scope, than asked for: after them come the
    // plain OR query's rows (a full ranking, as before plans).
    const found = new Set(rows.map((row) => row.id));
    const whole = await run(true);
    rows = [...rows, ...whole.filter((row) => !found.has(row.id))].slice(0, input.k);
  }
  return rows.map((row, index) => ({
    memory: toMemory(row),
    rank: index + 1,
    score: row.score,
  }));
}
