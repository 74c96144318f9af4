// PostgreSQL memory store, full-text search: tsvector/GIN, ranked with ts_rank over an OR query
// of the question's terms.
import type pg from 'pg';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import { MEMORY_COLUMNS, toMemory, type MemoryRow } from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';

/** A natural-language query as a to_tsquery OR expression; the english config drops stop words. */
export function tsQuery(query: string): string {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw !== '') terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms].join(' | ');
}

export async function searchMemoryText(
  pool: pg.Pool,
  input: MemoryScope & { query: string; k: number },
): Promise<MemoryHit[]> {
  const query = tsQuery(input.query);
  if (query === '' || input.k <= 0) return [];
  const scope = new ScopeBuilder([query]);
  const where = scope.add(input);
  const limit = scope.param(input.k);
  const result = await pool.query<MemoryRow & { score: number }>(
    `SELECT ${MEMORY_COLUMNS}, ts_rank(m.text_search, q, 1) AS score
     FROM memories m, to_tsquery('english', $1) q
     WHERE m.text_search @@ q AND ${where} ORDER BY score DESC, m.id LIMIT ${limit}`,
    scope.values,
  );
  return result.rows.map((row, index) => ({
    memory: toMemory(row),
    rank: index + 1,
    score: row.score,
  }));
}
