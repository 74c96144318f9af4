// Prepared statements kept per connection, by their SQL. better-sqlite3 compiles SQL anew on
// every prepare(): 20–80 µs for the searches' statements, which a recall ran a dozen times (its
// neighbour look-ups alone cost ~0.9 ms a recall at 1M memories). Only for statements run with
// get(), all() or run() (iterate() holds a statement busy until it ends) and put in the same
// modes (safeIntegers, raw, pluck) at every use of the same SQL: a mode set once stays set.
import type { Statement } from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { SqliteHandle } from './database.js';

/**
 * Distinct SQL texts kept per connection: the searches build theirs from a few shapes (filters,
 * caps, a plan's terms), so a bounded number covers them; the least recently used go.
 */
const STATEMENTS_PER_CONNECTION = 256;

const caches = new WeakMap<SqliteHandle, LRUCache<string, Statement>>();

/** `db.prepare(sql)`, compiled once per connection while it stays in use. */
export function statement(db: SqliteHandle, sql: string): Statement {
  let cache = caches.get(db);
  if (cache === undefined) {
    cache = new LRUCache<string, Statement>({ max: STATEMENTS_PER_CONNECTION });
    caches.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (prepared === undefined) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}
