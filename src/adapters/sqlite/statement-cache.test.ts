// The statement cache (statement-cache.ts): one compiled statement per connection and SQL text,
// bounded, and still right after the schema changes under it.
import { describe, expect, it } from 'vitest';
import { openSqlite } from './database.js';
import { statement } from './statement-cache.js';

describe('statement cache', () => {
  it('compiles a SQL text once per connection', () => {
    const a = openSqlite({ path: ':memory:' });
    const b = openSqlite({ path: ':memory:' });
    try {
      const sql = 'SELECT ? + 1 AS n';
      expect(statement(a.db, sql)).toBe(statement(a.db, sql));
      expect(statement(a.db, sql)).not.toBe(statement(b.db, sql));
      expect(statement(a.db, sql).get(1)).toEqual({ n: 2 });
      expect(statement(b.db, sql).get(41)).toEqual({ n: 42 });
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps a bounded number of texts, the least recently used going first', () => {
    const database = openSqlite({ path: ':memory:' });
    try {
      const first = statement(database.db, 'SELECT 0');
      const one = statement(database.db, 'SELECT 1');
      for (let i = 2; i <= 300; i++) {
        statement(database.db, `SELECT ${i}`);
        if (i % 10 === 0) statement(database.db, 'SELECT 0'); // kept in use
      }
      expect(statement(database.db, 'SELECT 0')).toBe(first);
      const early = statement(database.db, 'SELECT 1');
      expect(early).not.toBe(one);
      expect(early.get()).toEqual({ 1: 1 });
    } finally {
      database.close();
    }
  });

  it('answers from the schema as it is now, not as it was when first compiled', () => {
    const database = openSqlite({ path: ':memory:' });
    try {
      const { db } = database;
      db.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)');
      const select = 'SELECT * FROM t';
      expect(statement(db, select).all()).toEqual([{ a: 1 }]);
      db.exec('ALTER TABLE t ADD COLUMN b TEXT DEFAULT "x"');
      expect(statement(db, select).all()).toEqual([{ a: 1, b: 'x' }]);
      db.exec('DROP TABLE t');
      expect(() => statement(db, select).all()).toThrow(/no such table/);
    } finally {
      database.close();
    }
  });
});
