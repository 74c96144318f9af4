// PostgreSQL memory store, full-text search: tsvector/GIN, ranked with ts_rank by an OR query of
// the question's terms. When the scope holds more memories than the query may rank and its terms
// more postings, the rare terms select rows and the common ones only in pairs
// (rare-terms-first.ts); when every term is common, the pairs and a window of the newest matches
// by occurrence (`newestSince`); when they leave fewer than k, the plain OR query's rows follow.
import type pg from 'pg';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import { postingBudget, rareTermsFirst } from '../rare-terms-first.js';
import { MEMORY_COLUMNS, toMemory, type MemoryRow } from './memory-rows.js';
import { ScopeBuilder } from './memory-scope.js';
import {
  anyTermQuery,
  selectedRows,
  selectingQuery,
  windowRowsSql,
  type SelectedRowsSource,
  type TermPostingsReader,
} from './term-postings.js';
import { memoryScopeRows, type ScopeRowsReaders } from './value-rows.js';

/**
 * SQL of the bound for a window of the newest matches: the occurrence time of the scope's
 * `span`-th newest memory, enough newest memories to hold the window's rows if the terms are as
 * common in them as in the table (`share` of the rows hold one). The GIN index's matches and the
 * scope's index past that time meet in a bitmap, so the rows read are the matches among the
 * newest, not every match: over 100k memories with every row's vector inline, a query of four
 * terms each in 4% of them read 1,640 pages instead of 20,310 (docs/performance.md). Only the
 * tenant, the user and the end of a time range narrow the count (the indexes order by time);
 * other filters apply after it, and a window they leave under half full ranks every match.
 */
function newestSince(
  scope: ScopeBuilder,
  input: MemoryScope,
  windowRows: number,
  share: number,
): string {
  const span = Math.ceil(windowRows / Math.min(1, Math.max(share, 1e-6)));
  const user =
    input.userId === undefined
      ? ''
      : input.userId === null
        ? 'AND x.user_id IS NULL'
        : `AND x.user_id = ${scope.param(input.userId)}`;
  const before =
    input.timeRange?.to === undefined
      ? ''
      : `AND x.occurred_at < ${scope.param(input.timeRange.to)}`;
  return `coalesce((SELECT x.occurred_at FROM memories x
    WHERE x.tenant_id = ${scope.param(input.tenantId)} ${user} ${before}
    ORDER BY x.occurred_at DESC OFFSET ${span - 1} LIMIT 1), ${Number.MIN_SAFE_INTEGER})`;
}

/**
 * Below this share of the table, one user's search reads that user's own postings (userTerms);
 * at or above it, the table's. A trade-off, from runs over 100k memories (docs/performance.md),
 * p95 ms with and without them, usual questions and questions of common words: a user holding a
 * quarter 14.8 / 23.7 and 25.7 / 28.7, half 17.8 / 28.8 and 18.6 / 20.1, three quarters
 * 14.5 / 18.5 but 33.8 / 22.6, all 11.4 / 8.2 and 31.1 / 23.6; one of 100 users at 1M 28.8
 * against 115.6 (common words).
 */
export const USER_TERMS_BELOW_SHARE = 0.6;

/**
 * SQL of a condition that adds nothing to a user's scope but a fast way to its rows: they hold a
 * lexeme of the question in that user's own postings (migration 205, `memory_user_terms`). The
 * GIN index on the whole table's tsvectors finds a common term's rows for every user; at 1M
 * memories a four-word question put 84,800 of them in a bitmap (23–41 ms) to keep the 2,200 of one
 * user's 10,000 (docs/performance.md). The question's lexemes are a superset of what its
 * queries match, so the full-text conditions still decide which rows match. For a user holding
 * much of the table (`share`, USER_TERMS_BELOW_SHARE) the user's postings are nearly the table's,
 * and a plan that walks the user's newest rows would compute the keys of each: left out.
 */
function userTerms(
  scope: ScopeBuilder,
  input: MemoryScope,
  words: string[],
  share: number,
): string {
  if (input.userId === undefined || share >= USER_TERMS_BELOW_SHARE) return '';
  return `AND memory_user_terms(m.tenant_id, m.user_id, m.text_search) &&
    memory_user_terms(${scope.param(input.tenantId)}, ${scope.param(input.userId)}::text,
      to_tsvector('english', ${scope.param(words.join(' '))}))`;
}

/** The words of a question (at most 64); the english config drops the stop words among them. */
export function queryWords(query: string): string[] {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw !== '') terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms];
}

/** The table's statistics a search plans by. */
export interface MemoryTextStatistics extends ScopeRowsReaders {
  termPostings: TermPostingsReader;
}

export async function searchMemoryText(
  pool: pg.Pool,
  statistics: MemoryTextStatistics,
  input: MemoryScope & { query: string; k: number },
): Promise<MemoryHit[]> {
  const words = queryWords(input.query);
  if (words.length === 0 || input.k <= 0) return [];
  // The user's rows, or their tenant's when fewer (a user id many tenants share); unknown before
  // the first ANALYZE: as a small share. Tenant-wide searches take no user terms.
  const scopeRows =
    input.userId === undefined ? undefined : await memoryScopeRows(statistics, pool, input);
  const userShare = scopeRows === undefined ? 0 : scopeRows.rows / Math.max(1, scopeRows.tableRows);
  const budget = postingBudget(input.k);
  // A scope of at most `budget` memories cannot match more: it ranks every match.
  const held = new ScopeBuilder([]);
  const { rows: counted } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM memories m WHERE ${held.add(input)} LIMIT ${budget + 1}) x`,
    held.values,
  );
  const stats = counted[0]!.n <= budget ? undefined : await statistics.termPostings(pool, words);
  // The share of rows holding a query term, the terms taken as independent (store-wide).
  const share =
    stats === undefined
      ? 1
      : 1 -
        stats.terms.reduce(
          (none, t) => none * (1 - Math.min(1, t.postings / Math.max(1, stats.rows))),
          1,
        );
  // A window pays when its bound is near: the newest `span` memories it passes are a small part
  // of the scope. With the matches under twice the window, ranking them all costs less.
  const plan =
    stats &&
    rareTermsFirst(stats.terms, stats.rows, budget, {
      windowed: share * stats.rows >= 2 * budget,
    });
  // The plan picks the rows; every row is scored by the plain OR query, on (id, score) only,
  // and the k best are read whole, with how many rows the window held.
  const run = async (complete: boolean) => {
    const scope = new ScopeBuilder([anyTermQuery(words)]);
    const where = `${scope.add(input)} ${userTerms(scope, input, words, userShare)}`;
    const selecting = complete ? anyTermQuery(words) : selectingQuery(plan!);
    const windowRows = complete ? null : plan!.windowRows;
    const source: SelectedRowsSource = {
      from: 'memories m',
      id: 'm.id',
      tsv: 'm.text_search',
      score: 'ts_rank(m.text_search, q, 1)',
      where,
      selecting: selecting === null ? null : scope.param(selecting),
      scoring: '$1',
      windowRows,
      ...(windowRows === null
        ? {}
        : {
            newest: {
              column: 'm.occurred_at',
              since: newestSince(scope, input, windowRows, share),
              order: 'm.occurred_at DESC, m.inserted DESC',
            },
          }),
    };
    const window = windowRowsSql(source);
    const ranked = selectedRows(source, window === null ? null : 'SELECT id, score FROM win');
    const result = await pool.query<MemoryRow & { score: number; window_rows: number | null }>(
      `${window === null ? '' : `WITH win AS MATERIALIZED (${window})`}
       SELECT ${MEMORY_COLUMNS}, r.score,
         ${window === null ? 'NULL::int' : '(SELECT count(*)::int FROM win)'} AS window_rows
       FROM (SELECT t.id, t.score FROM (${ranked}) t
         ORDER BY t.score DESC, t.id LIMIT ${scope.param(input.k)}) r
       JOIN memories m ON m.id = r.id
       ORDER BY r.score DESC, m.id`,
      scope.values,
    );
    return { rows: result.rows, windowHeld: result.rows[0]?.window_rows ?? null };
  };
  const complete = plan === undefined || plan.complete;
  const first = await run(complete);
  let rows = first.rows;
  if (first.windowHeld !== null && first.windowHeld < plan!.windowRows! / 2) {
    // The window's bound held under half the matches it was sized for: the terms are rarer in
    // this scope than in the store, or filters the bound does not count (a session, a tier)
    // passed few of them. The scope's matches are then few enough to rank them all, and the
    // newest alone would not be the best.
    rows = (await run(true)).rows;
  } else if (rows.length < input.k && !complete) {
    // Fewer rows hold a selecting term, or pass the scope, than asked for: after them come the
    // plain OR query's rows (a full ranking, as before plans).
    const found = new Set(rows.map((row) => row.id));
    const whole = (await run(true)).rows;
    rows = [...rows, ...whole.filter((row) => !found.has(row.id))].slice(0, input.k);
  }
  return rows.map((row, index) => ({
    memory: toMemory(row),
    rank: index + 1,
    score: row.score,
  }));
}
