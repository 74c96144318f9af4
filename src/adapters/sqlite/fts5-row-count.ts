// The rows an FTS5 table holds, as its bm25() counts them: read from the table's averages record
// (row 1 of its %_data table), so it is exact and fresh for the cost of reading one small row;
// count(*) would read the whole index. FTS5 writes the record when a write transaction commits
// (or a savepoint is taken): inside an open write it still holds the count from before it.
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';

/** Rows in the FTS5 table `table` (a trusted identifier, never user input). */
export function fts5RowCount(db: SqliteHandle, table: string): number {
  const row = statement(db, `SELECT block FROM ${table}_data WHERE id = 1`).get() as
    { block: Buffer | null } | undefined;
  // An FTS5 table that never held a row has no averages record yet.
  if (row?.block == null || row.block.length === 0) return 0;
  return readVarint(row.block);
}

/**
 * SQLite's varint, as FTS5 writes it: big-endian groups of 7 bits, the high bit set on every
 * byte but the last; a ninth byte contributes all 8 bits.
 */
export function readVarint(bytes: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < 9 && i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (i === 8) return value * 256 + byte;
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) return value;
  }
  throw new Error('FTS5 averages record: truncated varint');
}
