// FTS5 ranking of a query's terms, for chunks and memories alike: the best rows by BM25 of the
// plain OR query when its terms hold few postings; else the rows a term plan selects
// (rare-terms-first.ts), and when they are fewer than asked for, the newest rows holding any
// term. Terms are runs of letters and digits, quoted so none reads as an operator.
//
// FTS5's bm25() sums over the phrases of the whole query expression, and a plan can only be
// written as `(SELECT) AND (ALL)`: the selecting terms appear twice, so such a query ranks a
// row holding one rare term above a row holding that term and a common one. The score of the
// plain OR query is recovered exactly: per row, bm25 of `(SELECT) AND (ALL)` is bm25 of SELECT
// plus bm25 of ALL (each phrase keeps its own IDF, the row its length), and SELECT alone selects
// the same rows, so one query of each gives ALL's score as the difference.
import { postingBudget, type TermPlan } from '../rare-terms-first.js';
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
  terms: string[];
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
  // bm25() is lower-is-better; negated so every score in Engram is higher-is-better.
  const plain = (order: string) =>
    db
      .prepare(
        `SELECT ${rows.key} AS key, -bm25(${rows.table}) AS score FROM ${rows.table}
         WHERE ${rows.table} MATCH ? ${where} ${order}`,
      )
      .all(anyTerm(request.terms), ...(rows.where?.params ?? [])) as Ranked[];
  const best = (cap: number | null) =>
    plain(`ORDER BY bm25(${rows.table}), ${rows.key} ${cap === null ? '' : `LIMIT ${cap}`}`);
  let found = plan.complete ? best(candidates) : rankSelected(db, rows, plan);
  let result = passing(found.slice(0, candidates));
  if (result.length < limit) {
    // Filters left fewer than asked for of the best candidates: check every ranked row.
    if (plan.complete && found.length === candidates) found = best(null);
    if (found.length > candidates) result = passing(found);
  }
  if (result.length < limit && !plan.complete) {
    // Fewer rows hold a selecting term than asked for: after them come the best of the newest
    // rows holding any term (a window of the budget's size, so the cost stays bounded).
    const held = new Set(result.map(keyOf));
    const newest = plain(`ORDER BY rowid DESC LIMIT ${postingBudget(candidates)}`)
      .filter((row) => !held.has(row.key))
      .sort(byScore);
    result = [...result, ...passing(newest)].slice(0, limit);
  }
  return result;
}

const byScore = (a: Ranked, b: Ranked) => b.score - a.score || a.key - b.key;

/**
 * Every row an incomplete plan selects, with the score the plain OR query of all its terms
 * gives it (BM25, higher is better), best first, ties by key.
 */
function rankSelected(db: SqliteHandle, rows: FtsRows, plan: TermPlan): Ranked[] {
  const where = rows.where === undefined ? '' : `AND ${rows.where.sql}`;
  const params = rows.where?.params ?? [];
  const scores = (match: string) =>
    db
      .prepare(
        `SELECT ${rows.key} AS key, bm25(${rows.table}) AS score FROM ${rows.table}
         WHERE ${rows.table} MATCH ? ${where}`,
      )
      .all(match, ...params) as Ranked[];
  const select = selecting(plan);
  const both = scores(`(${select}) AND (${anyTerm(plan.score)})`);
  const selectOnly = new Map(scores(select).map((row) => [row.key, row.score]));
  return both
    .map((row) => ({ key: row.key, score: roundScore((selectOnly.get(row.key) ?? 0) - row.score) }))
    .sort(byScore);
}

/** A difference of two sums, rounded so rows of one plain score tie again. */
function roundScore(score: number): number {
  return Math.round(score * 1e9) / 1e9;
}
