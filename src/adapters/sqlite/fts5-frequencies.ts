// How many rows of an FTS5 table hold each query term, exactly as bm25() would count them for
// its IDF: what engram_bm25() (native/fts5-scoring.c) is given instead of counting itself.
//
// A term is first run through the table's tokenizer, by a per-connection temp FTS5 table with
// the same tokenizer (so "projects" is counted as the stem "project"). A term of one token is
// counted by the table's fts5vocab table (`row`), which decodes the token's postings without
// ranking them; any other term (no token, or several) as the phrase itself, by a MATCH. Counts
// are kept while the table's structure record is the one they were read under: FTS5 rewrites
// that record (row 10 of the %_data table) whenever a write reaches the index, so a kept count is
// never stale, and a repeated common term costs one small row instead of its postings.
import { LRUCache } from 'lru-cache';
import type { SqliteHandle } from './database.js';

/** FTS5's rowid of the structure record in a table's %_data table (fts5_index.c). */
const STRUCTURE_ROWID = 10;

export interface Fts5Table {
  /** The FTS5 table (a trusted identifier, never user input). */
  table: string;
  /** Its fts5vocab table of type `row`. */
  vocab: string;
  /** Its tokenize option, as declared (e.g. `porter unicode61`). */
  tokenize: string;
}

export class Fts5Frequencies {
  /** A word's tokens under the table's tokenizer; they never change. */
  private readonly tokens = new LRUCache<string, string[]>({ max: 20_000 });
  /** Rows holding each term, under the structure record `countedUnder`. */
  private readonly counts = new LRUCache<string, number>({ max: 20_000 });
  private countedUnder: Buffer | undefined;
  private readonly words: string;
  private wordsReady = false;

  constructor(
    private readonly db: SqliteHandle,
    private readonly fts: Fts5Table,
  ) {
    // One temp table per tokenizer and connection (temp tables are the connection's own).
    this.words = `fts5_words_${fts.tokenize.replace(/[^a-z0-9]+/g, '_')}`;
  }

  /**
   * Rows holding each term as a phrase, for the index as this connection sees it now. Call it in
   * the transaction (or savepoint) that ranks: both then read one snapshot, and rows this
   * connection wrote in an open transaction are flushed to the index (FTS5 writes what it holds
   * in memory when a savepoint is taken), so the structure record says they are there.
   * Counts read inside a caller's transaction are not kept (`keep`, by default whether none is
   * open): that transaction may roll back, and a later write may bring the structure record back
   * to the very bytes it had inside it, over other rows.
   */
  of(terms: string[], { keep = !this.db.inTransaction }: { keep?: boolean } = {}): number[] {
    const structure = this.structure();
    if (this.countedUnder === undefined || !structure.equals(this.countedUnder)) {
      this.counts.clear();
      this.countedUnder = keep ? structure : undefined;
    }
    const tokens = this.tokensOf(terms);
    return terms.map((term) => {
      let count = this.counts.get(term);
      if (count === undefined) {
        count = this.count(term, tokens.get(term)!);
        if (this.countedUnder !== undefined) this.counts.set(term, count);
      }
      return count;
    });
  }

  private count(term: string, tokens: string[]): number {
    const { table, vocab } = this.fts;
    if (tokens.length === 1) {
      const row = this.db.prepare(`SELECT doc FROM ${vocab} WHERE term = ?`).get(tokens[0]) as
        { doc: number } | undefined;
      return row?.doc ?? 0;
    }
    // Quoted, a term is one phrase, whatever it holds (a quote inside is doubled).
    const row = this.db
      .prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH ?`)
      .get(`"${term.replaceAll('"', '""')}"`) as { n: number };
    return row.n;
  }

  private structure(): Buffer {
    const row = this.db
      .prepare(`SELECT block FROM ${this.fts.table}_data WHERE id = ?`)
      .get(STRUCTURE_ROWID) as { block: Buffer | null } | undefined;
    return row?.block ?? Buffer.alloc(0);
  }

  /** The tokens of each term, from the temp table (written only for words not seen before). */
  private tokensOf(terms: string[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const unseen: string[] = [];
    for (const term of new Set(terms)) {
      const known = this.tokens.get(term);
      if (known === undefined) unseen.push(term);
      else out.set(term, known);
    }
    if (unseen.length === 0) return out;
    const words = `temp.${this.words}`;
    if (!this.wordsReady) {
      this.db
        .exec(`CREATE VIRTUAL TABLE IF NOT EXISTS ${words} USING fts5 (w, tokenize = '${this.fts.tokenize}');
        CREATE VIRTUAL TABLE IF NOT EXISTS ${words}_vocab USING fts5vocab (temp, ${this.words}, 'instance');`);
      this.wordsReady = true;
    }
    const byRow = new Map<number, string[]>();
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM ${words}`).run();
      const insert = this.db.prepare(`INSERT INTO ${words} (rowid, w) VALUES (?, ?)`);
      unseen.forEach((term, i) => insert.run(i + 1, term));
      const rows = this.db
        .prepare(`SELECT term, doc FROM ${words}_vocab ORDER BY doc, offset`)
        .all() as Array<{ term: string; doc: number }>;
      for (const row of rows) {
        const list = byRow.get(row.doc) ?? [];
        list.push(row.term);
        byRow.set(row.doc, list);
      }
    })();
    unseen.forEach((term, i) => {
      const tokens = byRow.get(i + 1) ?? [];
      this.tokens.set(term, tokens);
      out.set(term, tokens);
    });
    return out;
  }
}
