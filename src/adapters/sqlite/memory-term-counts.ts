// SQLite memory store, the counts a full-text plan reads (rare-terms-first.ts): how many memories
// a scope holds and how many of them hold each query term. A scope that is the whole index
// (tenant-wide in a store of one tenant, the embedded default) reads both in constant time: the
// term-docs table every write keeps (fts5-term-docs.ts) and FTS5's own row count (as of the last
// commit: inside an open write it lags the postings, which only makes a plan rank more; no search
// runs inside a write today). Any other scope counts its rowid range: a MATCH that decodes every posting of the term there (2–25 ms for a
// common term tenant-wide at 1M memories), and count(*) over the scope's rows, both kept ten
// minutes; within one user's range that is small.
import { LRUCache } from 'lru-cache';
import type { MemoryScope } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { fts5RowCount } from './fts5-row-count.js';
import { MEMORIES_FTS } from './fts5-term-docs.js';

const STATS_TTL_MS = 10 * 60_000;

/** The inclusive FTS rowid range of a scope (memory-text-search.ts). */
export interface ScopeRowids {
  from: bigint;
  to: bigint;
}

/**
 * A scope's key in the count cache: its tenant and user themselves (rowid ranges repeat, as
 * tenant and user numbers wrap), ending in a separator a term cannot hold.
 */
function scopeKey(scope: MemoryScope): string {
  return `${JSON.stringify([scope.tenantId, scope.userId === undefined ? 0 : scope.userId])} `;
}

export class MemoryTermCounts {
  /** Range counts: postings of query terms, and rows, per scope; refreshed after STATS_TTL_MS. */
  private readonly counted = new LRUCache<string, number>({ max: 20_000, ttl: STATS_TTL_MS });

  /** `wholeIndex: false` counts every scope by its range (tests compare the two ways). */
  constructor(
    private readonly db: SqliteHandle,
    private readonly frequencies = new Fts5Frequencies(db, MEMORIES_FTS),
    private readonly options: { wholeIndex?: boolean } = {},
  ) {}

  /** The memories of `scope` and the postings of each term among them. */
  of(
    scope: MemoryScope,
    rowids: ScopeRowids,
    terms: string[],
  ): { rows: number; postings: number[] } {
    if (this.isWholeIndex(scope)) {
      return {
        rows: fts5RowCount(this.db, MEMORIES_FTS.table),
        postings: this.frequencies.of(terms),
      };
    }
    return {
      rows: this.scopeRows(scope),
      postings: terms.map((term) => this.rangePostings(term, scope, rowids)),
    };
  }

  /**
   * Tenant-wide in a store no other tenant ever wrote to (a tenant's row is added by its first
   * memory and never removed), so every row of the index is in the scope.
   */
  private isWholeIndex(scope: MemoryScope): boolean {
    if (this.options.wholeIndex === false || scope.userId !== undefined) return false;
    const row = statement(
      this.db,
      'SELECT EXISTS (SELECT 1 FROM memory_fts_tenants WHERE tenant_id != ?) AS other',
    ).get(scope.tenantId) as { other: number };
    return row.other === 0;
  }

  private scopeRows(scope: MemoryScope): number {
    const key = scopeKey(scope);
    let count = this.counted.get(key);
    if (count === undefined) {
      const row = (
        scope.userId === undefined
          ? statement(this.db, 'SELECT count(*) AS n FROM memories WHERE tenant_id = ?').get(
              scope.tenantId,
            )
          : statement(
              this.db,
              'SELECT count(*) AS n FROM memories WHERE tenant_id = ? AND user_id IS ?',
            ).get(scope.tenantId, scope.userId)
      ) as { n: number };
      count = row.n;
      this.counted.set(key, count);
    }
    return count;
  }

  private rangePostings(term: string, scope: MemoryScope, rowids: ScopeRowids): number {
    const key = `${scopeKey(scope)}${term}`;
    let count = this.counted.get(key);
    if (count === undefined) {
      const row = statement(
        this.db,
        'SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ? AND rowid >= ? AND rowid <= ?',
      ).get(`"${term}"`, rowids.from, rowids.to) as { n: number };
      count = row.n;
      this.counted.set(key, count);
    }
    return count;
  }
}
