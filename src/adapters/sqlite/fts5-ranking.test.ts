// rankTerms against the plain OR query ranked by FTS5's own bm25(): a plan's rows are those its
// conjunctions select and, with a window, the newest rows holding any scored term; each scores
// what the plain OR query gives it; when they pass the caller's filter fewer than asked for, the
// plain query's rows of the scored terms join them, then of every term, all in score order.
// Random tables, plans, windows, rowid ranges, weightless terms and filters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TermPlan } from '../rare-terms-first.js';
import { openSqlite, type SqliteHandle } from './database.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { TermDocsWriter, termDocsTable, type Fts5Table } from './fts5-term-docs.js';
import { anyTerm, rankTerms, type Ranked } from './fts5-ranking.js';

const WORDS = ['run', 'runs', 'cat', 'blue', 'kettle', 'ode', 'zebra'];
const FTS: Fts5Table = { table: 't', termDocs: 't_term_docs', tokenize: 'porter unicode61' };

function withTable<T>(texts: string[], run: (db: SqliteHandle) => T): T {
  const database = openSqlite({ path: ':memory:', migrations: [] });
  try {
    database.db.exec(`CREATE VIRTUAL TABLE t USING fts5 (a, tokenize = 'porter unicode61');
      ${termDocsTable(FTS)}`);
    const terms = new TermDocsWriter(database.db, FTS, 1);
    // Rowids grow as rows are added, with gaps.
    texts.forEach((text, i) => {
      database.db.prepare('INSERT INTO t (rowid, a) VALUES (?, ?)').run(3 * i + 1, text);
      terms.added([[text]]);
    });
    return run(database.db);
  } finally {
    database.close();
  }
}

/** Every row from rowid `from` on holding a term, best first, by FTS5's own bm25(). */
function plainRanking(db: SqliteHandle, terms: string[], from: number): Ranked[] {
  return db
    .prepare(
      `SELECT rowid AS key, -bm25(t) AS score FROM t WHERE t MATCH ? AND rowid >= ?
       ORDER BY bm25(t), rowid`,
    )
    .all(anyTerm(terms), from) as Ranked[];
}

const keysMatching = (db: SqliteHandle, query: string) =>
  new Set(
    (db.prepare('SELECT rowid AS key FROM t WHERE t MATCH ?').all(query) as Ranked[]).map(
      (row) => row.key,
    ),
  );

const cases = fc.record({
  texts: fc.array(
    fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 6 }).map((w) => w.join(' ')),
    { minLength: 1, maxLength: 40 },
  ),
  score: fc.uniqueArray(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 4 }),
  /** Terms that rank no row of their own (weightless ones): `all` only. */
  weightless: fc.uniqueArray(fc.constantFrom(...WORDS), { maxLength: 2 }),
  /** The ranking covers rowids from here on (as a memory scope's rowid range does). */
  from: fc.nat({ max: 60 }),
  key: fc.constantFrom('rowid', '(rowid & 1023)'),
  conjunctions: fc.array(fc.uniqueArray(fc.nat({ max: 3 }), { minLength: 1, maxLength: 2 }), {
    maxLength: 3,
  }),
  window: fc.option(fc.integer({ min: 1, max: 20 }), { nil: null }),
  /** A complete plan: every row holding a scored term, no window. */
  complete: fc.boolean(),
  candidates: fc.integer({ min: 1, max: 30 }),
  limit: fc.integer({ min: 1, max: 30 }),
  /** The caller's filter drops rows whose rowid is a multiple of this. */
  dropEvery: fc.integer({ min: 2, max: 5 }),
});

describe('rankTerms with a term plan', () => {
  it('ranks the selected rows (conjunctions and the window of the newest) by the plain OR query, and fills from it in score order', () => {
    fc.assert(
      fc.property(cases, (c) => {
        withTable(c.texts, (db) => {
          const select = c.conjunctions
            .map((picks) => [...new Set(picks.map((i) => c.score[i % c.score.length]!))])
            .filter((terms, i, all) => all.findIndex((t) => t.join() === terms.join()) === i);
          const extra = c.weightless.filter((term) => !c.score.includes(term));
          const plan: TermPlan = {
            select,
            score: c.score,
            all: [...c.score, ...extra],
            complete: c.complete,
            windowRows: c.complete ? null : c.window,
            postings: 0,
          };
          const passes = (key: number) => key % c.dropEvery !== 0;
          const ranked = rankTerms({
            db,
            rows: {
              table: 't',
              key: c.key,
              where: { sql: 'rowid >= ?', params: [c.from] },
            },
            frequencies: new Fts5Frequencies(db, FTS),
            plan,
            candidates: c.candidates,
            limit: c.limit,
            passing: (found) => found.filter((row) => passes(row.key)).slice(0, c.limit),
            keyOf: (row) => row.key,
          });

          const plain = plainRanking(db, c.score, c.from);
          const passing = plain.filter((row) => passes(row.key));
          const complete = c.complete;
          const chosen = new Set<number>();
          if (complete) {
            for (const row of plain) chosen.add(row.key);
          } else {
            for (const terms of select)
              for (const key of keysMatching(db, terms.map((t) => `"${t}"`).join(' AND ')))
                chosen.add(key);
            const newest = plain.map((row) => row.key).sort((a, b) => b - a);
            for (const key of newest.slice(0, c.window ?? 0)) chosen.add(key);
          }
          // The selected rows that pass, then the plain query's of the scored terms, then of
          // every term.
          let expected = passing.filter((row) => chosen.has(row.key)).slice(0, c.limit);
          const fills = [
            ...(complete ? [] : [passing]),
            ...(extra.length > 0
              ? [plainRanking(db, plan.all, c.from).filter((row) => passes(row.key))]
              : []),
          ];
          let filled = false;
          for (const fill of fills) {
            if (expected.length >= c.limit) break;
            filled = true;
            const held = new Set(expected.map((row) => row.key));
            expected = [...expected, ...fill.filter((row) => !held.has(row.key))];
          }
          // With a fill, every row in score order, as the plain query ranks them.
          if (filled) expected.sort((a, b) => b.score - a.score || a.key - b.key);
          expected = expected.slice(0, c.limit);
          expect(ranked).toEqual(expected);
        });
      }),
      { numRuns: 300 },
    );
  });
});
