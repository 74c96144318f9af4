// How many rows of an FTS5 table hold each query term, exactly as bm25() would count them for its
// IDF: what engram_bm25() (native/fts5-scoring.c) is given instead of counting itself.
//
// A term is first run through the table's tokenizer (engram_fts_tokens, native/fts5-tokens.c), so
// "projects" is counted as the stem "project". A term of one token is read from the table's
// term-docs table (fts5-term-docs.ts), kept by every write in the writer's transaction, so it is
// current for whatever snapshot reads it; any other term (no token, or several) is counted as the
// phrase itself, by a MATCH.
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import type { Fts5Table } from './fts5-term-docs.js';

export class Fts5Frequencies {
  constructor(
    private readonly db: SqliteHandle,
    private readonly fts: Fts5Table,
  ) {}

  /**
   * Rows holding each term as a phrase, for the index as this connection sees it now. Call it in
   * the transaction (or savepoint) that ranks, so both read one snapshot.
   */
  of(terms: string[]): number[] {
    const { table, termDocs, tokenize } = this.fts;
    const tokensOf = statement(this.db, 'SELECT engram_fts_tokens(?, ?) AS tokens');
    const docsOf = statement(this.db, `SELECT docs FROM ${termDocs} WHERE term = ?`);
    const phraseDocs = statement(
      this.db,
      `SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH ?`,
    );
    return terms.map((term) => {
      const { tokens } = tokensOf.get(tokenize, term) as { tokens: string };
      const list = JSON.parse(tokens) as string[];
      if (list.length === 1)
        return (docsOf.get(list[0]) as { docs: number } | undefined)?.docs ?? 0;
      // Quoted, a term is one phrase, whatever it holds (a quote inside is doubled).
      return (phraseDocs.get(`"${term.replaceAll('"', '""')}"`) as { n: number }).n;
    });
  }
}
