// SQLite memory store, full-text search: BM25 over FTS5 (porter). Query words become an OR query
// of their quoted terms; terms common across the store (document frequencies cached) add score
// but do not select candidates on their own. FTS rowids carry tenant and user bits above the pk
// (migration 201), so a MATCH only visits the scope's rowid range: a user with 1,000 memories among
// 100k no longer pays for the other 99k. BM25 statistics stay store-wide, so scores are unchanged.
import { LRUCache } from 'lru-cache';
import type { MemoryHit, MemoryScope } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { hitsOf } from './memory-rows.js';
import { scopeClauses } from './memory-scope.js';

/** Small English stop list: question words would otherwise dominate OR queries. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her hers him his how i if in ' +
    'into is it its me my no not of on or our she so than that the their them then there these they this to ' +
    'was we were what when where which who whom why will with would you your yours'
  ).split(' '),
);

/** The content words of a natural-language query (lower case, no stop words, at most 64). */
export function ftsTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const raw of query.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw === '' || STOP_WORDS.has(raw)) continue;
    terms.add(raw);
    if (terms.size >= 64) break;
  }
  return [...terms];
}

/** A natural-language query as an FTS5 OR query of its quoted terms; empty when nothing is left. */
export function ftsQuery(query: string): string {
  return orOf(ftsTerms(query));
}

function orOf(terms: string[]): string {
  return terms.map((term) => `"${term}"`).join(' OR ');
}

/**
 * A term in more than this share of all memories (and at least COMMON_MIN_DF of them) does not
 * select candidates on its own: it still adds its BM25 weight to memories that match a rarer
 * query term. Scoring every memory that contains "go" or a speaker's name is what made wide OR
 * queries slow on large stores; such terms carry little weight (low IDF) anyway.
 */
const COMMON_SHARE = 0.05;
const COMMON_MIN_DF = 500;
const STATS_TTL_MS = 10 * 60_000;

/** FTS rowid layout (see migrations/memory.ts): tenant number, user number, memory pk. */
const TENANT_SHIFT = 49n;
const TENANT_NUMBERS = 16384n;
const USER_SHIFT = 33n;
const USER_NUMBERS = 65536n;
const PK_MASK = (1n << USER_SHIFT) - 1n;

/** The inclusive FTS rowid range of a scope; undefined when the tenant or user has no memories. */
function scopeRowids(
  db: SqliteHandle,
  scope: MemoryScope,
): { from: bigint; to: bigint } | undefined {
  const tenant = db
    .prepare('SELECT n FROM memory_fts_tenants WHERE tenant_id = ?')
    .safeIntegers()
    .get(scope.tenantId) as { n: bigint } | undefined;
  if (tenant === undefined) return undefined;
  const tenantBase = (tenant.n % TENANT_NUMBERS) << TENANT_SHIFT;
  if (scope.userId === undefined) {
    return { from: tenantBase, to: tenantBase + (1n << TENANT_SHIFT) - 1n };
  }
  const user = db
    .prepare('SELECT n FROM memory_fts_users WHERE tenant_id = ? AND user_key = ?')
    .safeIntegers()
    .get(scope.tenantId, scope.userId === null ? '' : `u${scope.userId}`) as
    { n: bigint } | undefined;
  if (user === undefined) return undefined;
  const from = tenantBase | ((user.n % USER_NUMBERS) << USER_SHIFT);
  return { from, to: from + PK_MASK };
}

export class SqliteMemoryTextSearch {
  /** Document frequencies of query terms (all tenants), refreshed after STATS_TTL_MS. */
  private readonly documentFrequencies = new LRUCache<string, number>({
    max: 20_000,
    ttl: STATS_TTL_MS,
  });
  private corpus: { size: number; at: number } | undefined;

  constructor(private readonly db: SqliteHandle) {}

  private corpusSize(): number {
    const now = Date.now();
    if (this.corpus === undefined || now - this.corpus.at > STATS_TTL_MS) {
      const row = this.db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number };
      this.corpus = { size: row.n, at: now };
    }
    return this.corpus.size;
  }

  private documentFrequency(term: string): number {
    let count = this.documentFrequencies.get(term);
    if (count === undefined) {
      const row = this.db
        .prepare('SELECT count(*) AS n FROM memories_fts WHERE memories_fts MATCH ?')
        .get(`"${term}"`) as { n: number };
      count = row.n;
      this.documentFrequencies.set(term, count);
    }
    return count;
  }

  /** The FTS5 expression for a query: all terms score, common terms do not select on their own. */
  private matchExpression(query: string): string {
    const terms = ftsTerms(query);
    if (terms.length <= 1) return orOf(terms);
    const threshold = Math.max(COMMON_MIN_DF, COMMON_SHARE * this.corpusSize());
    const frequencies = new Map(terms.map((term) => [term, this.documentFrequency(term)]));
    let selective = terms.filter((term) => frequencies.get(term)! <= threshold);
    if (selective.length === 0) {
      selective = [...terms].sort((a, b) => frequencies.get(a)! - frequencies.get(b)!).slice(0, 2);
    }
    if (selective.length === terms.length) return orOf(terms);
    return `(${orOf(selective)}) AND (${orOf(terms)})`;
  }

  search(input: MemoryScope & { query: string; k: number }): MemoryHit[] {
    const match = this.matchExpression(input.query);
    if (match === '' || input.k <= 0) return [];
    const rowids = scopeRowids(this.db, input);
    if (rowids === undefined) return [];
    const scope = scopeClauses(input);
    // Rank on (pk, score) only, then read the k winners: sorting every match with its text and
    // JSON columns is what made wide OR queries slow. CROSS JOIN keeps FTS5 outermost, where it
    // takes the rowid range; the scope clauses still decide (rowid numbers wrap).
    const ranked = this.db
      .prepare(
        `SELECT m.pk, -bm25(memories_fts) AS score FROM memories_fts
         CROSS JOIN memories m ON m.pk = (memories_fts.rowid & ${PK_MASK})
         WHERE memories_fts MATCH ? AND memories_fts.rowid >= ? AND memories_fts.rowid <= ? AND ${scope.sql}
         ORDER BY score DESC, m.pk LIMIT ?`,
      )
      .all(match, rowids.from, rowids.to, ...scope.params, input.k) as Array<{
      pk: number;
      score: number;
    }>;
    return hitsOf(this.db, ranked);
  }
}
