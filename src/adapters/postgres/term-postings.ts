// How many rows of a table hold each query term, for the term plan (rare-terms-first.ts), and the
// SQL of the rows a plan selects. The counts come from the planner's statistics on a tsvector
// column: ANALYZE (which autovacuum runs) keeps its most common lexemes with the share of rows
// holding each (10,000 of them for the two columns searched: migrations chunk- and
// memory-term-statistics). Read at most once a minute; they cover the whole table, not one
// tenant. A lexeme outside the list counts as rare (one posting: held, as far as anyone knows;
// rare-terms-first.ts reads no postings as held by no row): before the first ANALYZE, and in a
// small table, every term is.
import type { Clock } from '../../domain/clock.js';
import type { TermPostings } from '../rare-terms-first.js';
import type { Queryable } from './transaction.js';

export interface TermStatistics {
  /** The rows of the table (the planner's estimate). */
  rows: number;
  terms: TermPostings[];
}

export type TermPostingsReader = (pool: Queryable, terms: string[]) => Promise<TermStatistics>;

export function createTermPostings(
  clock: Clock,
  table: string,
  column: string,
): TermPostingsReader {
  let stats = { at: -Infinity, rows: 0, shares: new Map<string, number>() };
  return async (pool, terms) => {
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
           AND s.tablename = $1 AND s.attname = $2
         WHERE c.oid = to_regclass($1)`,
        [table, column],
      );
      const row = result.rows[0];
      const shares = new Map<string, number>();
      (row?.elems ?? []).forEach((lexeme, i) => shares.set(lexeme, row!.freqs![i]!));
      stats = { at: now, rows: Math.max(0, row?.rows ?? 0), shares };
    }
    if (stats.shares.size === 0) {
      return { rows: stats.rows, terms: terms.map((term) => ({ term, postings: 1 })) };
    }
    const lexemes = await pool.query<{ term: string; lexemes: string[] }>(
      `SELECT w AS term, tsvector_to_array(to_tsvector('english', w)) AS lexemes
       FROM unnest($1::text[]) AS w`,
      [terms],
    );
    // Stop words have no lexemes: the english configuration leaves them out of every query.
    return {
      rows: stats.rows,
      terms: lexemes.rows
        .filter((row) => row.lexemes.length > 0)
        .map((row) => ({
          term: row.term,
          postings: Math.max(
            1,
            Math.round(
              Math.max(...row.lexemes.map((lexeme) => stats.shares.get(lexeme) ?? 0)) * stats.rows,
            ),
          ),
        })),
    };
  };
}

/** A tsquery (to_tsquery syntax) of rows holding any of the terms. */
export function anyTermQuery(terms: string[]): string {
  return terms.join(' | ');
}

/**
 * A tsquery of the rows a plan selects: any of its conjunctions. (Ranking takes the plain OR
 * query separately, so unlike FTS5 the common terms need not be in it: GIN would read their
 * postings.)
 */
export function selectingQuery(plan: { select: string[][] }): string | null {
  if (plan.select.length === 0) return null;
  return plan.select.map((terms) => `(${terms.join(' & ')})`).join(' | ');
}

/** Where a plan's rows come from, for `selectedRows`. */
export interface SelectedRowsSource {
  /** The table with its alias, e.g. `chunks x`. */
  from: string;
  /** The row's id, its tsvector and its score against the tsquery named `q` (SQL on the alias). */
  id: string;
  tsv: string;
  score: string;
  /** The caller's other conditions on the alias. */
  where: string;
  /** Parameter references to the tsquery texts: the plan's conjunctions (null: none), and any
   *  scored term (`anyTermQuery`). */
  selecting: string | null;
  scoring: string;
  /** The plan's window: this many rows holding a scored term, the first the index and the table
   *  yield (a bitmap scan stops there; no ORDER BY, which would read every match), or with
   *  `newest`, the newest of them. */
  windowRows: number | null;
  /** The window's rows are the newest, in `order` (SQL on the alias, newest first), among those
   *  whose `column` is at or after `since` (SQL of a bound the caller finds cheaply in an index
   *  on the column, so that the rows read are the matches past it, not every match). */
  newest?: { column: string; since: string; order: string };
}

/** SQL of the plan's window: its (id, score) rows; null when the plan has none. */
export function windowRowsSql(source: SelectedRowsSource): string | null {
  const { from, id, tsv, score, where, scoring, windowRows, newest } = source;
  if (windowRows === null) return null;
  return `SELECT ${id} AS id, ${score} AS score FROM ${from}, to_tsquery('english', ${scoring}) q
    WHERE ${tsv} @@ q AND ${where}
    ${newest === undefined ? '' : `AND ${newest.column} >= ${newest.since} ORDER BY ${newest.order}`}
    LIMIT ${windowRows}`;
}

/**
 * SQL of the (id, score) rows a plan selects: its conjunctions' rows and its window's (`window`:
 * SQL of the window's rows, by default windowRowsSql's; a caller that also counts them passes
 * where it holds them).
 */
export function selectedRows(
  source: SelectedRowsSource,
  window: string | null = windowRowsSql(source),
): string {
  const { from, id, tsv, score, where, selecting, scoring } = source;
  const parts: string[] = [];
  if (selecting !== null) {
    parts.push(
      `SELECT ${id} AS id, ${score} AS score
       FROM ${from}, to_tsquery('english', ${selecting}) s, to_tsquery('english', ${scoring}) q
       WHERE ${tsv} @@ s AND ${where}`,
    );
  }
  if (window !== null) parts.push(`SELECT w.id, w.score FROM (${window}) w`);
  // Neither: no rows (the scoring parameter still named, as the caller passes it).
  if (parts.length === 0)
    return `SELECT NULL::text AS id, NULL::real AS score WHERE ${scoring}::text IS NULL AND false`;
  return parts.join(' UNION ');
}
