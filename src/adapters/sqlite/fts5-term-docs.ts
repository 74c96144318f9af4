// How many rows of an FTS5 table hold each term, kept in a table of their own (term → docs) by
// every write to the FTS5 table, in the same transaction: what engram_bm25() is given for each
// term's IDF (fts5-frequencies.ts). FTS5 keeps no such count; fts5vocab finds one by decoding
// every posting of the term (24 ms for a term in 587k of 1M chunks), and any write to the index
// made a kept copy of it unusable. A row's terms are its distinct tokens under the table's own
// tokenizer (engram_fts_tokens, native/fts5-tokens.c), exactly the terms FTS5 indexes it under,
// so each count is fts5vocab's `doc` for the term (fts5-term-docs.test.ts). Migrations 107 and
// 205 are built from these statements: change them only together with a new migration.
import type { Statement } from 'better-sqlite3';
import type { SqliteHandle } from './database.js';

export interface Fts5Table {
  /** The FTS5 table (a trusted identifier, never user input). */
  table: string;
  /** Its term-docs table: (term TEXT PRIMARY KEY, docs INTEGER NOT NULL). */
  termDocs: string;
  /** Its tokenize option, as declared (words separated by single spaces, no quotes). */
  tokenize: string;
}

/** The DDL of a term-docs table. */
export function termDocsTable(fts: Fts5Table): string {
  return `CREATE TABLE ${fts.termDocs} (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;`;
}

/**
 * The statements that count rows in or out: `rows` is an SQL expression of a JSON array of rows,
 * each an array of its column values (`?`, or `json_array(json_array(new.text))` in a trigger).
 * Each row counts once per term, however often it holds it; terms no row holds any more go.
 */
export function termDocsStatements(
  fts: Fts5Table,
  rows: string,
  columns: number,
): { countIn: string[]; countOut: string[] } {
  const values = Array.from({ length: columns }, (_, i) => `r.value ->> ${i}`).join(', ');
  const perTerm = `SELECT term, count(*) AS n FROM (
      SELECT DISTINCT r.key AS row, t.value AS term
      FROM json_each(${rows}) r, json_each(engram_fts_tokens('${fts.tokenize}', ${values})) t
    ) GROUP BY term`;
  return {
    // WHERE true: an upsert after a SELECT needs one (SQLite's parsing ambiguity).
    countIn: [
      `INSERT INTO ${fts.termDocs} (term, docs) SELECT term, n FROM (${perTerm}) WHERE true
       ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs`,
    ],
    countOut: [
      `DELETE FROM ${fts.termDocs} WHERE (term, docs) IN (${perTerm})`,
      `UPDATE ${fts.termDocs} SET docs = docs - gone.n FROM (${perTerm}) gone
       WHERE ${fts.termDocs}.term = gone.term`,
    ],
  };
}

/** Counts the rows of an FTS5 table written from code (not by triggers) in and out. */
export class TermDocsWriter {
  private readonly countIn: Statement[];
  private readonly countOut: Statement[];

  constructor(db: SqliteHandle, fts: Fts5Table, columns: number) {
    const statements = termDocsStatements(fts, '?', columns);
    this.countIn = statements.countIn.map((sql) => db.prepare(sql));
    this.countOut = statements.countOut.map((sql) => db.prepare(sql));
  }

  /** Rows with these column values were inserted. */
  added(rows: Array<Array<string | null>>): void {
    if (rows.length === 0) return;
    const json = JSON.stringify(rows);
    for (const statement of this.countIn) statement.run(json);
  }

  /** Rows with these column values were deleted. */
  removed(rows: Array<Array<string | null>>): void {
    if (rows.length === 0) return;
    const json = JSON.stringify(rows);
    for (const statement of this.countOut) statement.run(json);
  }
}

/** The chunks' full-text table (text and headings). */
export const CHUNKS_FTS: Fts5Table = {
  table: 'chunks_fts',
  termDocs: 'chunk_term_docs',
  tokenize: 'porter unicode61',
};

/** The memories' full-text table (contentless; kept by triggers on memories). */
export const MEMORIES_FTS: Fts5Table = {
  table: 'memories_fts',
  termDocs: 'memory_term_docs',
  tokenize: 'porter unicode61',
};
