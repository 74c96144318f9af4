// The chunks' full-text rows (chunks_fts: a chunk's text and its headings, keyed by chunk seq)
// with their term counts (fts5-term-docs.ts): the one way chunks enter and leave the index.
import type { Statement } from 'better-sqlite3';
import type { SqliteHandle } from './database.js';
import { CHUNKS_FTS, TermDocsWriter } from './fts5-term-docs.js';

export class ChunkFtsRows {
  private readonly read: Statement;
  private readonly insert: Statement;
  private readonly remove: Statement;
  private readonly terms: TermDocsWriter;

  constructor(db: SqliteHandle) {
    this.read = db.prepare('SELECT text, headings FROM chunks_fts WHERE rowid = ?');
    this.insert = db.prepare('INSERT INTO chunks_fts (rowid, text, headings) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM chunks_fts WHERE rowid = ?');
    this.terms = new TermDocsWriter(db, CHUNKS_FTS, 2);
  }

  /** Indexes chunks (again: a chunk's earlier row, if any, is dropped first). */
  put(chunks: Array<{ seq: number; text: string; headings: string }>): void {
    this.drop(chunks.map((chunk) => chunk.seq));
    for (const chunk of chunks) this.insert.run(chunk.seq, chunk.text, chunk.headings);
    this.terms.added(chunks.map((chunk) => [chunk.text, chunk.headings]));
  }

  /** Removes chunks from the index; those not in it are passed over. */
  drop(seqs: number[]): void {
    const gone: Array<Array<string | null>> = [];
    for (const seq of seqs) {
      const row = this.read.get(seq) as
        { text: string | null; headings: string | null } | undefined;
      if (row === undefined) continue;
      this.remove.run(seq);
      gone.push([row.text, row.headings]);
    }
    this.terms.removed(gone);
  }
}
