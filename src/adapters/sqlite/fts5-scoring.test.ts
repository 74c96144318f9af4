// engram_bm25() (native/fts5-scoring.c) with the counts of Fts5Frequencies (term-docs tables kept
// by TermDocsWriter) against FTS5's own bm25(), bit for bit: over random tables of one and two
// columns, contentless or not, through inserts, deletes and updates, from this connection and
// another, inside an open write transaction and one rolled back, and for the "(select) AND
// (all)" form of a term plan.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteHandle } from './database.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { TermDocsWriter, termDocsTable, type Fts5Table } from './fts5-term-docs.js';
import { anyTerm, rankTerms, type Ranked } from './fts5-ranking.js';

// Stems that meet ("run", "runs", "running"), words no row holds, and words in most rows.
const WORDS = ['run', 'runs', 'running', 'cat', 'cats', 'blue', 'kettle', 'ode', 'x', 'zebra'];
const NEVER = ['absent', 'nowhere'];

interface Table {
  create: string;
  insert: (db: SqliteHandle, rowid: number, text: string) => void;
  /** Contentless tables are deleted by giving the old values back. */
  remove: (db: SqliteHandle, rowid: number, text: string) => void;
}

const FTS: Fts5Table = { table: 't', termDocs: 't_term_docs', tokenize: 'porter unicode61' };

const TABLES: Record<string, Table> = {
  'two columns': {
    create: `CREATE VIRTUAL TABLE t USING fts5 (a, b, tokenize = 'porter unicode61');
      ${termDocsTable(FTS)}`,
    insert: (db, rowid, text) => {
      const values = [text, text.split(' ').slice(0, 2).join(' ')];
      db.prepare('INSERT INTO t (rowid, a, b) VALUES (?, ?, ?)').run(rowid, ...values);
      new TermDocsWriter(db, FTS, 2).added([values]);
    },
    remove: (db, rowid) => {
      const row = db.prepare('SELECT a, b FROM t WHERE rowid = ?').get(rowid) as
        { a: string; b: string } | undefined;
      if (row === undefined) return;
      db.prepare('DELETE FROM t WHERE rowid = ?').run(rowid);
      new TermDocsWriter(db, FTS, 2).removed([[row.a, row.b]]);
    },
  },
  contentless: {
    create: `CREATE VIRTUAL TABLE t USING fts5 (a, content = '', tokenize = 'porter unicode61');
      ${termDocsTable(FTS)}`,
    insert: (db, rowid, text) => {
      db.prepare('INSERT INTO t (rowid, a) VALUES (?, ?)').run(rowid, text);
      new TermDocsWriter(db, FTS, 1).added([[text]]);
    },
    remove: (db, rowid, text) => {
      db.prepare(`INSERT INTO t (t, rowid, a) VALUES ('delete', ?, ?)`).run(rowid, text);
      new TermDocsWriter(db, FTS, 1).removed([[text]]);
    },
  },
};

/** `run` over a new in-memory database holding `table` (two columns unless given), closed after. */
function withTable<T>(run: (db: SqliteHandle) => T, table = TABLES['two columns']!): T {
  const database = openSqlite({ path: ':memory:', migrations: [] });
  try {
    database.db.exec(table.create);
    return run(database.db);
  } finally {
    database.close();
  }
}

/** FTS5's own ranking of the plain OR query: what engram_bm25() must give. */
function byBm25(db: SqliteHandle, terms: string[]): Ranked[] {
  return db
    .prepare(
      `SELECT rowid AS key, -bm25(t) AS score FROM t WHERE t MATCH ? ORDER BY bm25(t), rowid`,
    )
    .all(anyTerm(terms)) as Ranked[];
}

/** rankTerms over the whole table with a complete plan: the plain OR query of the terms. */
function rank(db: SqliteHandle, frequencies: Fts5Frequencies, terms: string[], k: number) {
  return rankTerms({
    db,
    rows: { table: 't', key: 'rowid' },
    frequencies,
    plan: {
      select: terms.map((term) => [term]),
      score: terms,
      all: terms,
      complete: true,
      windowRows: null,
      postings: 0,
    },
    candidates: 1_000,
    limit: k,
    passing: (found) => found,
    keyOf: (row) => row.key,
  });
}

const operations = fc.array(
  fc.record({
    op: fc.constantFrom('insert', 'insert', 'delete', 'update'),
    rowid: fc.integer({ min: 1, max: 30 }),
    words: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 8 }),
  }),
  { minLength: 1, maxLength: 50 },
);
const query = fc.uniqueArray(fc.constantFrom(...WORDS, ...NEVER), { minLength: 1, maxLength: 5 });

/** Applies the operations, keeping each row's text (contentless deletes need it). */
function apply(
  db: SqliteHandle,
  table: Table,
  ops: Array<{ op: string; rowid: number; words: string[] }>,
  texts: Map<number, string>,
): void {
  for (const { op, rowid, words } of ops) {
    const old = texts.get(rowid);
    if (old !== undefined && op !== 'insert') {
      table.remove(db, rowid, old);
      texts.delete(rowid);
    }
    if ((op === 'insert' && old === undefined) || op === 'update') {
      const text = words.join(' ');
      table.insert(db, rowid, text);
      texts.set(rowid, text);
    }
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('engram_bm25 with Fts5Frequencies', () => {
  for (const [name, table] of Object.entries(TABLES)) {
    it(`scores every row as bm25() does, to the bit (${name})`, () => {
      fc.assert(
        fc.property(operations, fc.array(query, { minLength: 1, maxLength: 4 }), (ops, queries) => {
          withTable((db) => {
            const frequencies = new Fts5Frequencies(db, FTS);
            const texts = new Map<number, string>();
            // Counts kept from before the writes must not survive them.
            for (const terms of queries) frequencies.of(terms);
            apply(db, table, ops, texts);
            for (const terms of queries) {
              const expected = byBm25(db, terms);
              const ranked = rank(db, frequencies, terms, 1_000);
              expect(ranked).toEqual(expected);
            }
          }, table);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('scores a plan\'s "(select) AND (all)" rows as the plain OR query does', () => {
    fc.assert(
      fc.property(operations, query, fc.integer({ min: 0, max: 4 }), (ops, terms, chosen) => {
        withTable((db) => {
          apply(db, TABLES['two columns']!, ops, new Map());
          const frequencies = new Fts5Frequencies(db, FTS);
          const select = terms.slice(0, Math.max(1, chosen % terms.length));
          const selecting = select.map((term) => `"${term}"`).join(' OR ');
          const found = db
            .prepare(
              `SELECT rowid AS key, engram_bm25(t${', NULL'.repeat(select.length)}${', ?'.repeat(terms.length)}) AS score
               FROM t WHERE t MATCH ? ORDER BY 2 DESC, 1`,
            )
            .all(...frequencies.of(terms), `(${selecting}) AND (${anyTerm(terms)})`) as Ranked[];
          const plain = new Map(byBm25(db, terms).map((row) => [row.key, row.score]));
          for (const row of found) expect(row.score).toBe(plain.get(row.key));
        });
      }),
      { numRuns: 150 },
    );
  });

  it("sees another connection's writes, and this one's inside an open write transaction", () => {
    const dir = mkdtempSync(join(tmpdir(), 'engram-fts5-scoring-'));
    dirs.push(dir);
    const path = join(dir, 'scoring.db');
    const reader = openSqlite({ path, migrations: [] });
    const writer = openSqlite({ path, migrations: [] });
    try {
      writer.db.exec(TABLES['two columns']!.create);
      const table = TABLES['two columns']!;
      table.insert(writer.db, 1, 'run cat');
      table.insert(writer.db, 2, 'cats blue');
      const frequencies = new Fts5Frequencies(reader.db, FTS);
      const terms = ['running', 'cat', 'zebra'];
      expect(rank(reader.db, frequencies, terms, 10)).toEqual(byBm25(reader.db, terms));
      for (let rowid = 3; rowid < 40; rowid++) table.insert(writer.db, rowid, 'zebra cats');
      table.remove(writer.db, 1, '');
      expect(frequencies.of(terms)).toEqual([0, 38, 37]);
      expect(rank(reader.db, frequencies, terms, 10)).toEqual(byBm25(reader.db, terms));
      const own = new Fts5Frequencies(writer.db, FTS);
      expect(rank(writer.db, own, terms, 10)).toEqual(byBm25(writer.db, terms));
      writer.db.transaction(() => {
        for (let rowid = 40; rowid < 45; rowid++) table.insert(writer.db, rowid, 'running kettle');
        expect(rank(writer.db, own, terms, 10)).toEqual(byBm25(writer.db, terms));
      })();
      expect(rank(writer.db, own, terms, 10)).toEqual(byBm25(writer.db, terms));
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('counts nothing a rolled-back transaction wrote, though the index comes back to the same structure', () => {
    withTable((db) => {
      const table = TABLES['two columns']!;
      table.insert(db, 1, 'run cat');
      const frequencies = new Fts5Frequencies(db, FTS);
      const terms = ['cat', 'zebra'];
      expect(rank(db, frequencies, terms, 10)).toEqual(byBm25(db, terms));
      try {
        db.transaction(() => {
          for (let rowid = 2; rowid < 6; rowid++) table.insert(db, rowid, 'zebra zebra');
          expect(rank(db, frequencies, terms, 10)).toEqual(byBm25(db, terms));
          throw new Error('roll back');
        })();
      } catch {
        // rolled back
      }
      // Rows of the same size again: FTS5 writes a segment of the same shape.
      db.transaction(() => {
        for (let rowid = 2; rowid < 6; rowid++) table.insert(db, rowid, 'kettle kettle');
      })();
      expect(frequencies.of(terms)).toEqual([1, 0]);
      expect(rank(db, frequencies, terms, 10)).toEqual(byBm25(db, terms));
    });
  });

  it('counts a term of several tokens, or none, as its phrase', () => {
    withTable((db) => {
      TABLES['two columns']!.insert(db, 1, 'e mail sent by e-mail');
      TABLES['two columns']!.insert(db, 2, 'mail e');
      const frequencies = new Fts5Frequencies(db, FTS);
      const phrase = (term: string) =>
        (
          db.prepare('SELECT count(*) AS n FROM t WHERE t MATCH ?').get(`"${term}"`) as {
            n: number;
          }
        ).n;
      expect(frequencies.of(['e-mail', 'mail', 'e'])).toEqual([
        phrase('e-mail'),
        phrase('mail'),
        phrase('e'),
      ]);
      expect(frequencies.of(['e-mail'])).toEqual([1]);
      expect(frequencies.of(['---'])).toEqual([0]);
    });
  });

  it('refuses a call without one frequency per phrase', () => {
    withTable((db) => {
      TABLES['two columns']!.insert(db, 1, 'run cat');
      expect(() =>
        db.prepare(`SELECT engram_bm25(t, 1) FROM t WHERE t MATCH '"run" OR "cat"'`).all(),
      ).toThrow(/one document frequency \(or NULL\) per phrase/);
    });
  });
});
