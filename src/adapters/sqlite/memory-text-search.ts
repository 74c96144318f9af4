// SQLite memory store, full-text search: BM25 over FTS5 (porter). Query words become an OR query
// of their quoted terms; when the terms hold more postings in the scope than the query may rank,
// the common ones select candidates only in pairs (rare-terms-first.ts) and score the rest. FTS
// rowids carry tenant and user bits above the pk (migration 201), so a MATCH only visits the
// scope's rowid range: a user with 1,000 memories among 100k no longer pays for the other 99k.
// BM25 statistics stay store-wide, so scores are unchanged.
import { MEMORY_TIERS, type MemoryHit, type MemoryScope } from '../../ports/memory-store.js';
import type { SqliteHandle } from './database.js';
import { statement } from './statement-cache.js';
import { Fts5Frequencies } from './fts5-frequencies.js';
import { MEMORIES_FTS } from './fts5-term-docs.js';
import { anyTerm, rankTerms } from './fts5-ranking.js';
import { hitsOf } from './memory-rows.js';
import { MemoryTermCounts, type ScopeRowids } from './memory-term-counts.js';
import { scopeClauses } from './memory-scope.js';
import { postingBudget, rareTermsFirst, type TermPlan } from '../rare-terms-first.js';

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

/** A full-text query over memories: the words, the scope and how many. */
export type MemoryTextQuery = MemoryScope & { query: string; k: number };

/** A natural-language query as an FTS5 OR query of its quoted terms; empty when nothing is left. */
export function ftsQuery(query: string): string {
  return anyTerm(ftsTerms(query));
}

/** FTS rowid layout (see migrations/memory.ts): tenant number, user number, memory pk. */
const TENANT_SHIFT = 49n;
const TENANT_NUMBERS = 16384n;
const USER_SHIFT = 33n;
const USER_NUMBERS = 65536n;
const PK_MASK = (1n << USER_SHIFT) - 1n;

/** The inclusive FTS rowid range of a scope; undefined when the tenant or user has no memories. */
export function scopeRowids(db: SqliteHandle, scope: MemoryScope): ScopeRowids | undefined {
  // safeIntegers here alone: these two statements serve no other caller.
  const tenant = statement(db, 'SELECT n FROM memory_fts_tenants WHERE tenant_id = ?')
    .safeIntegers()
    .get(scope.tenantId) as { n: bigint } | undefined;
  if (tenant === undefined) return undefined;
  const tenantBase = (tenant.n % TENANT_NUMBERS) << TENANT_SHIFT;
  if (scope.userId === undefined) {
    return { from: tenantBase, to: tenantBase + (1n << TENANT_SHIFT) - 1n };
  }
  const user = statement(db, 'SELECT n FROM memory_fts_users WHERE tenant_id = ? AND user_key = ?')
    .safeIntegers()
    .get(scope.tenantId, scope.userId === null ? '' : `u${scope.userId}`) as
    { n: bigint } | undefined;
  if (user === undefined) return undefined;
  const from = tenantBase | ((user.n % USER_NUMBERS) << USER_SHIFT);
  return { from, to: from + PK_MASK };
}

/**
 * Whether the scope filters within its user: a session, kinds, a time range, not every tier.
 * The window is the user's newest rows holding a term, checked against such filters after
 * ranking, so it may hold few of the scope's matches, and the best of those are the scope's
 * newest, not its best (a session whose matches are mostly old): such a scope ranks them all.
 */
function narrowerThanUser(scope: MemoryScope): boolean {
  return (
    scope.sessionId !== undefined ||
    scope.kinds !== undefined ||
    scope.timeRange !== undefined ||
    (scope.tiers !== undefined && MEMORY_TIERS.some((tier) => !scope.tiers!.includes(tier)))
  );
}

export class SqliteMemoryTextSearch {
  /** Rows holding each term, store-wide, for the scores (BM25 statistics are store-wide). */
  private readonly frequencies: Fts5Frequencies;

  /** What the plan counts: the scope's rows and each term's postings there. */
  private readonly counts: MemoryTermCounts;

  constructor(private readonly db: SqliteHandle) {
    this.frequencies = new Fts5Frequencies(db, MEMORIES_FTS);
    this.counts = new MemoryTermCounts(db, this.frequencies);
  }

  /**
   * Which terms select candidates: the rare ones, the common ones only in pairs, within a budget
   * of postings (rare-terms-first.ts); every term scores.
   */
  private plan(input: MemoryTextQuery, rowids: ScopeRowids): TermPlan {
    const terms = ftsTerms(input.query);
    const { rows, postings } = this.counts.of(input, rowids, terms);
    return rareTermsFirst(
      terms.map((term, i) => ({ term, postings: postings[i]! })),
      rows,
      postingBudget(input.k),
      // Within one user the rowid orders as the pk; tenant-wide it orders by user first.
      { windowed: input.userId !== undefined && !narrowerThanUser(input) },
    );
  }

  search(input: MemoryTextQuery): MemoryHit[] {
    if (ftsTerms(input.query).length === 0 || input.k <= 0) return [];
    const rowids = scopeRowids(this.db, input);
    if (rowids === undefined) return [];
    const scope = scopeClauses(input);
    // Rank inside FTS5 on (pk, score) only, then check the scope on the best candidates and
    // read the k winners: joining every match to its memory row cost more than ranking it. The
    // rowid range keeps the ranking to the scope; the scope clauses still decide (rowid numbers
    // wrap, and tiers, kinds, sessions and time are not in it).
    const ranked = rankTerms({
      db: this.db,
      frequencies: this.frequencies,
      rows: {
        table: 'memories_fts',
        key: `(rowid & ${PK_MASK})`,
        where: { sql: 'rowid >= ? AND rowid <= ?', params: [rowids.from, rowids.to] },
      },
      plan: this.plan(input, rowids),
      candidates: Math.max(64, 2 * input.k),
      limit: input.k,
      passing: (found) => {
        if (found.length === 0) return [];
        const score = new Map(found.map((row) => [row.key, row.score]));
        return (
          statement(
            this.db,
            `SELECT m.pk FROM json_each(?) j CROSS JOIN memories m ON m.pk = j.value
             WHERE ${scope.sql} ORDER BY j.key LIMIT ?`,
          ).all(JSON.stringify([...score.keys()]), ...scope.params, input.k) as Array<{
            pk: number;
          }>
        ).map((row) => ({ pk: row.pk, score: score.get(row.pk)! }));
      },
      keyOf: (row) => row.pk,
    });
    return hitsOf(this.db, ranked);
  }
}
