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

/**
 * A term this long may be a token FTS5 cut at 32,768 bytes, perhaps inside a character: such
 * bytes do not pass through a JavaScript string unchanged, so a row holding one is counted in SQL.
 */
const MAX_TERM_CHARS_IN_JS = 8_192;

/**
 * Counts the rows of an FTS5 table written from code (not by triggers) in and out. The rows'
 * terms come from engram_fts_tokens as in termDocsStatements, but each row's distinct terms are
 * counted here, and each term's count is written once: SQLite's DISTINCT and GROUP BY over every
 * token of a document's chunks cost 0.15–0.19 ms a chunk in the ingest bench, this 0.07. A row
 * with a term of MAX_TERM_CHARS_IN_JS or more is counted by termDocsStatements' own SQL.
 */
export class TermDocsWriter {
  private readonly tokens: Statement;
  private readonly countIn: Statement;
  private readonly countOut: Statement[];
  private readonly rowsIn: Statement[];
  private readonly rowsOut: Statement[];

  constructor(db: SqliteHandle, fts: Fts5Table, columns: number) {
    const values = Array.from({ length: columns }, () => '?').join(', ');
    this.tokens = db.prepare(`SELECT engram_fts_tokens('${fts.tokenize}', ${values})`).pluck();
    const perTerm = `SELECT value ->> 0 AS term, value ->> 1 AS n FROM json_each(?)`;
    this.countIn = db.prepare(
      `INSERT INTO ${fts.termDocs} (term, docs) SELECT term, n FROM (${perTerm}) WHERE true
       ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs`,
    );
    this.countOut = [
      db.prepare(`DELETE FROM ${fts.termDocs} WHERE (term, docs) IN (${perTerm})`),
      db.prepare(
        `UPDATE ${fts.termDocs} SET docs = docs - gone.n FROM (${perTerm}) gone
         WHERE ${fts.termDocs}.term = gone.term`,
      ),
    ];
    const inSql = termDocsStatements(fts, '?', columns);
    this.rowsIn = inSql.countIn.map((sql) => db.prepare(sql));
    this.rowsOut = inSql.countOut.map((sql) => db.prepare(sql));
  }

  /** Rows with these column values were inserted. */
  added(rows: Array<Array<string | null>>): void {
    if (rows.length === 0) return;
    const { counts, long } = this.perTerm(rows);
    this.countIn.run(counts);
    if (long.length > 0) for (const statement of this.rowsIn) statement.run(JSON.stringify(long));
  }

  /** Rows with these column values were deleted. */
  removed(rows: Array<Array<string | null>>): void {
    if (rows.length === 0) return;
    const { counts, long } = this.perTerm(rows);
    for (const statement of this.countOut) statement.run(counts);
    if (long.length > 0) for (const statement of this.rowsOut) statement.run(JSON.stringify(long));
  }

  /**
   * Each term the rows hold and how many of them hold it, as JSON pairs in term order; and the
   * rows left to SQL.
   */
  private perTerm(rows: Array<Array<string | null>>): {
    counts: string;
    long: Array<Array<string | null>>;
  } {
    const counts = new Map<string, number>();
    const long: Array<Array<string | null>> = [];
    for (const row of rows) {
      const tokens = JSON.parse(this.tokens.get(...row) as string) as string[];
      if (tokens.some((token) => token.length >= MAX_TERM_CHARS_IN_JS)) {
        long.push(row);
        continue;
      }
      for (const term of new Set(tokens)) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    // In order, the upserts walk the table's B-tree one way.
    const pairs = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return { counts: JSON.stringify(pairs), long };
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
