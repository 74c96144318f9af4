// The FTS5 row count read from the averages record, against count(*) on a real FTS5 table.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fts5RowCount, readVarint } from './fts5-row-count.js';

describe('fts5RowCount', () => {
  it('equals count(*) after any inserts, deletes and updates, and is 0 for a new table', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.constantFrom('insert', 'delete', 'update'),
            rowid: fc.integer({ min: 1, max: 40 }),
            words: fc.integer({ min: 0, max: 5 }),
          }),
          { maxLength: 60 },
        ),
        (ops) => {
          const db = new Database(':memory:');
          try {
            db.exec("CREATE VIRTUAL TABLE t USING fts5 (x, tokenize = 'porter unicode61')");
            expect(fts5RowCount(db, 't')).toBe(0);
            for (const { op, rowid, words } of ops) {
              const text = Array.from({ length: words }, (_, i) => `w${(rowid * i) % 7}`).join(' ');
              const exists = db.prepare('SELECT 1 FROM t WHERE rowid = ?').get(rowid) !== undefined;
              if (op === 'insert' && !exists)
                db.prepare('INSERT INTO t (rowid, x) VALUES (?, ?)').run(rowid, text);
              if (op === 'delete') db.prepare('DELETE FROM t WHERE rowid = ?').run(rowid);
              if (op === 'update')
                db.prepare('UPDATE t SET x = ? WHERE rowid = ?').run(text, rowid);
              const { n } = db.prepare('SELECT count(*) AS n FROM t').get() as { n: number };
              expect(fts5RowCount(db, 't')).toBe(n);
            }
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds the committed count inside an open write transaction, the new one after it', () => {
    const db = new Database(':memory:');
    db.exec('CREATE VIRTUAL TABLE t USING fts5 (x)');
    db.prepare('INSERT INTO t (x) VALUES (?)').run('before');
    db.transaction(() => {
      for (let i = 0; i < 5; i++) db.prepare('INSERT INTO t (x) VALUES (?)').run(`row ${i}`);
      expect(fts5RowCount(db, 't')).toBe(1);
    })();
    expect(fts5RowCount(db, 't')).toBe(6);
    db.close();
  });

  it('counts past one varint byte (20,000 rows)', () => {
    const db = new Database(':memory:');
    db.exec('CREATE VIRTUAL TABLE t USING fts5 (x)');
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 20_000; i++) insert.run(`row ${i % 100}`);
    })();
    expect(fts5RowCount(db, 't')).toBe(20_000);
    db.close();
  });
});

describe('readVarint', () => {
  it('reads SQLite varints of one to nine bytes', () => {
    expect(readVarint(Uint8Array.of(0x00))).toBe(0);
    expect(readVarint(Uint8Array.of(0x7f))).toBe(127);
    expect(readVarint(Uint8Array.of(0x81, 0x00))).toBe(128);
    expect(readVarint(Uint8Array.of(0xff, 0x7f))).toBe(16_383);
    expect(readVarint(Uint8Array.of(0x81, 0x80, 0x00))).toBe(16_384);
    // Eight bytes of 7 bits (56 ones) and a ninth of 8: 2^64 - 1, as a double.
    expect(readVarint(Uint8Array.of(...Array<number>(8).fill(0xff), 0xff))).toBe(2 ** 64 - 1);
    expect(() => readVarint(Uint8Array.of(0x81))).toThrow(/truncated/);
  });
});
