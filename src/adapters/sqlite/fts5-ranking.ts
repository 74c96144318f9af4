// FTS5 ranking of a query's terms, for chunks and memories alike: the best rows by BM25 of the
// plain OR query when its terms hold few postings; else the rows a term plan selects
// (rare-terms-first.ts), followed, when they are fewer than asked for, by the plain OR query's.
// Terms are runs of letters and digits, quoted so none reads as an operator.
//
// FTS5's bm25() sums over the phrases of the whole query expression, and a plan can only be
// written as `(SELECT) AND (ALL)`: the selecting terms appear twice, so such a query ranks a
// row holding one rare term above a row holding that term and a common one. The score of the
// plain OR query is recovered exactly: per row, bm25 of `(SELECT) AND (ALL)` is bm25 of SELECT
// plus bm25 of ALL (each phrase keeps its own IDF, the row its length), and SELECT alone selects
// the same rows, so one query of each gives ALL's score as the difference.
import type { TermPlan } from '../rare-terms-first.js';
import type { SqliteHandle } from './database.js';

/** Rows holding any of the terms. */
export function anyTerm(terms: string[]): string {
  return terms.map((term) => `"${term}"`).join(' OR ');
}

/** Rows holding one of the plan's selecting conjunctions. */
function selecting(plan: TermPlan): string {
  return plan.select
    .map((terms) => `(${terms.map((term) => `"${term}"`).join(' AND ')})`)
    .join(' OR ');
}

export interface FtsRows {
  /** The FTS5 table. */
  table: string;
  /** SQL of the key each row is returned by, over the table's rowid (e.g. `rowid`). */
  key: string;
  /** More WHERE conditions on the table's rowid, with their parameters. */
  where?: { sql: string; params: unknown[] };
}

/** An FTS5 row by its key, with its BM25 score (higher is better). */
export interface Ranked {
  key: number;
  score: number;
}

export interface RankingRequest<Row> {
  db: SqliteHandle;
  rows: FtsRows;
  /** Its `score` terms are the query's: the plain OR query ranks every row holding one. */
  plan: TermPlan;
  /** Rows ranked before the caller's filters are checked (more when they leave too few). */
  candidates: number;
  limit: number;
  /** The rows of ranked keys that pass the caller's filters, in the order given, at most limit. */
  passing: (found: Ranked[]) => Row[];
  keyOf: (row: Row) => number;
}

/** The best `limit` rows that pass the caller's filters, best first. */
export function rankTerms<Row>(request: RankingRequest<Row>): Row[] {
  const { db, rows, plan, candidates, limit, passing, keyOf } = request;
  const where = rows.where === undefined ? '' : `AND ${rows.where.sql}`;
  const params = rows.where?.params ?? [];
  const cut = (cap: number | null) => (cap === null ? '' : `LIMIT ${cap}`);
  // bm25() is lower-is-better; negated so every score in Engram is higher-is-better.
  const plain = (terms: string[], order: string) =>
    db
      .prepare(
        `SELECT ${rows.key} AS key, -bm25(${rows.table}) AS score FROM ${rows.table}
         WHERE ${rows.table} MATCH ? ${where} ${order}`,
      )
      .all(anyTerm(terms), ...params) as Ranked[];
  // The rows an incomplete plan selects, by the plain query's score: bm25 of the plan's query
  // less bm25 of its selecting part (see the head of this file), one FTS5 pass each.
  const select = selecting(plan);
  const selected = (cap: number | null) =>
    db
      .prepare(
        `WITH whole AS MATERIALIZED (
           SELECT ${rows.key} AS key, bm25(${rows.table}) AS score FROM ${rows.table}
           WHERE ${rows.table} MATCH ? ${where}
         ), part AS MATERIALIZED (
           SELECT ${rows.key} AS key, bm25(${rows.table}) AS score FROM ${rows.table}
           WHERE ${rows.table} MATCH ? ${where}
         )
         SELECT whole.key, round(part.score - whole.score, 9) AS score
         FROM whole JOIN part ON part.key = whole.key
         ORDER BY 2 DESC, whole.key ${cut(cap)}`,
      )
      .all(`(${select}) AND (${anyTerm(plan.score)})`, ...params, select, ...params) as Ranked[];
  const bestOf = (terms: string[]) => (cap: number | null) =>
    plain(terms, `ORDER BY bm25(${rows.table}), ${rows.key} ${cut(cap)}`);
  const whole = bestOf(plan.all);
  const best = plan.complete ? bestOf(plan.score) : selected;
  /** The rows of `rank` that pass the filters, all of them checked when the best are too few. */
  const ranked = (rank: (cap: number | null) => Ranked[]) => {
    const found = rank(candidates);
    const result = passing(found);
    // Filters left fewer than asked for of the best candidates: check every ranked row.
    return result.length < limit && found.length === candidates ? passing(rank(null)) : result;
  };
  let result = ranked(best);
  if (result.length < limit && (!plan.complete || plan.all.length > plan.score.length)) {
    // Fewer rows hold a selecting term, or pass the filters, than asked for: after them come
    // the plain OR query's rows of every term (a full ranking, as before plans: the filters
    // the plan cannot see, such as another tenant's rows, may leave the selected rows few).
    const held = new Set(result.map(keyOf));
    result = [...result, ...ranked(whole).filter((row) => !held.has(keyOf(row)))].slice(0, limit);
  }
  return result;
}
