// FTS5 ranking of a query's terms, for chunks and memories alike: the best rows by BM25 of the
// plain OR query when its terms hold few postings; else the rows a term plan selects
// (rare-terms-first.ts: conjunctions of terms, and any scored term within a window of the newest
// rows); when they are fewer than asked for, the plain OR query's rows join them, all in score
// order.
// Terms are runs of letters and digits, quoted so none reads as an operator.
//
// Rows are scored by engram_bm25() (native/fts5-scoring.c): bm25()'s arithmetic on document
// frequencies given to it (fts5-frequencies.ts), so no statement reads a term's whole posting list
// for its IDF, and only the phrases given a frequency score. A plan is written as
// `(SELECT) AND (ALL)`; its selecting phrases get none, so a selected row scores what the plain OR
// query of ALL gives it, to the last bit, in one pass.
import type { TermPlan } from '../rare-terms-first.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import type { Fts5Frequencies } from './fts5-frequencies.js';

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
  /** More WHERE conditions on the table's rowid, with their parameters. A plan's window, its
   *  newest rows, is their largest rowids (rareTermsFirst's `windowed` says whether they are). */
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
  /** The rows holding each term, for the scores. */
  frequencies: Fts5Frequencies;
  /** Its `score` terms are the query's: the plain OR query ranks every row holding one. */
  plan: TermPlan;
  /** Rows ranked before the caller's filters are checked (more when they leave too few). */
  candidates: number;
  limit: number;
  /** The rows of ranked keys that pass the caller's filters, in the order given, at most limit. */
  passing: (found: Ranked[]) => Row[];
  keyOf: (row: Row) => number;
}

/** The best `limit` rows that pass the caller's filters, best first (one read snapshot). */
export function rankTerms<Row>(request: RankingRequest<Row>): Row[] {
  // A transaction, or a savepoint inside the caller's: term counts and rows from one snapshot.
  return request.db.transaction(() => rankInSnapshot(request))();
}

function rankInSnapshot<Row>(request: RankingRequest<Row>): Row[] {
  const { db, rows, frequencies, plan, candidates, limit, passing, keyOf } = request;
  const where = rows.where === undefined ? '' : `AND ${rows.where.sql}`;
  const params = rows.where?.params ?? [];
  const cut = (cap: number | null) => (cap === null ? '' : `LIMIT ${cap}`);
  /** Rows matching `query` (only the newest `newest` of them when given), scored by the phrases
   *  of `scored` (after `unscored` phrases). */
  const rank = (
    query: string,
    unscored: number,
    scored: string[],
    cap: number | null,
    newest: number | null = null,
  ) => {
    const score = `engram_bm25(${rows.table}${', NULL'.repeat(unscored)}${', ?'.repeat(scored.length)})`;
    const matching = `SELECT ${rows.key} AS key, ${score} AS score FROM ${rows.table}
      WHERE ${rows.table} MATCH ? ${where}`;
    // FTS5 walks its postings from the newest rowid down, and stops after `newest` rows.
    const source =
      newest === null
        ? matching
        : `SELECT * FROM (${matching} ORDER BY rowid DESC LIMIT ${newest})`;
    return statement(db, `${source} ORDER BY 2 DESC, 1 ${cut(cap)}`).all(
      ...frequencies.of(scored),
      query,
      ...params,
    ) as Ranked[];
  };
  const plain = (terms: string[]) => (cap: number | null) => rank(anyTerm(terms), 0, terms, cap);
  // The rows an incomplete plan selects, scored by the plain query of its score terms: those
  // its conjunctions select, and the newest rows holding any scored term (its window).
  const selected = (cap: number | null) => {
    const conjunctions =
      plan.select.length === 0
        ? []
        : rank(
            `(${selecting(plan)}) AND (${anyTerm(plan.score)})`,
            plan.select.reduce((sum, terms) => sum + terms.length, 0),
            plan.score,
            cap,
          );
    if (plan.windowRows === null) return conjunctions;
    const windowed = rank(anyTerm(plan.score), 0, plan.score, cap, plan.windowRows);
    return bestOf([...conjunctions, ...windowed], cap);
  };
  const whole = plain(plan.all);
  const best = plan.complete ? plain(plan.score) : selected;
  /** Each ranked row's score, by key: the first ranking that found it (the plain query of the
   *  scored terms comes before that of every term, whose weightless terms add a little). */
  const scores = new Map<number, number>();
  /** The rows of `rank` not `held` already that pass the filters, all of them checked when the
   *  best are too few (a held row must not take the place of one the caller's limit admits). */
  const ranked = (rank: (cap: number | null) => Ranked[], held = new Set<number>()) => {
    const fresh = (rows: Ranked[]) => rows.filter((row) => !held.has(row.key));
    let found = rank(candidates);
    let result = passing(fresh(found));
    // Filters left fewer than asked for of the best candidates: check every ranked row.
    if (result.length + held.size < limit && found.length === candidates) {
      found = rank(null);
      result = passing(fresh(found));
    }
    for (const row of found) if (!scores.has(row.key)) scores.set(row.key, row.score);
    return result;
  };
  // Fewer rows hold a selecting term, or pass the filters, than asked for: after them come the
  // plain OR query's rows of the scored terms, then of every term (full rankings, as before
  // plans: the filters the plan cannot see, such as another tenant's rows, may leave the
  // selected rows few; a window is the newest rows of every tenant).
  const fills = [
    ...(plan.complete ? [] : [plain(plan.score)]),
    ...(plan.all.length > plan.score.length ? [whole] : []),
  ];
  let result = ranked(best);
  let filled = false;
  for (const fill of fills) {
    if (result.length >= limit) break;
    filled = true;
    result = [...result, ...ranked(fill, new Set(result.map(keyOf)))];
  }
  // A fill's rows can outscore the selected ones (a row holding one common term, left out by
  // the plan, may beat a selected row the filters kept): all go in score order, as the plain
  // query ranks them.
  if (!filled) return result;
  const scoreOf = (row: Row) => scores.get(keyOf(row)) ?? -Infinity;
  return result.sort((a, b) => scoreOf(b) - scoreOf(a) || keyOf(a) - keyOf(b)).slice(0, limit);
}

/** Ranked rows best first (by score, then key), each key once, at most `cap`. */
function bestOf(rows: Ranked[], cap: number | null): Ranked[] {
  const seen = new Set<number>();
  const best = rows
    .toSorted((a, b) => b.score - a.score || a.key - b.key)
    .filter((row) => !seen.has(row.key) && seen.add(row.key));
  return cap === null ? best : best.slice(0, cap);
}
