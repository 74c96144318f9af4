// How many of a table's rows hold one value of a column, as the planner estimates it: the value's
// frequency among the column's most common values (ANALYZE keeps them), else an equal part of
// what they leave to the other distinct values. A value the statistics did not list may be new
// since they were taken, so every row written since then counts as possibly its own: an estimate
// errs big, never small, for a tenant or user that grew since the last ANALYZE. Read at most once
// a minute, across the whole table (two tenants' users of one name count together). Unknown
// before the first ANALYZE, while the table's rows are uncounted (after a TRUNCATE), and when
// more rows changed since than the statistics describe (a table emptied and filled again).
import type { Clock } from '../../domain/clock.js';
import type { Queryable } from './transaction.js';

export interface ValueRows {
  /** The rows holding the value, at most (an estimate). */
  rows: number;
  /** The table's rows. */
  tableRows: number;
}

export type ValueRowsReader = (
  pool: Queryable,
  value: string | null,
) => Promise<ValueRows | undefined>;

/** Rows of the memory store per user and per tenant, for planning a scope's search. */
export interface ScopeRowsReaders {
  userRows: ValueRowsReader;
  tenantRows: ValueRowsReader;
}

interface ColumnStatistics {
  /** The table's rows when ANALYZE counted them. */
  counted: number;
  /** Rows written, updated or deleted since. */
  changed: number;
  nullShare: number;
  /** Distinct non-null values (pg_stats' n_distinct made a count). */
  distinct: number;
  common: Map<string, number>;
}

export function createValueRows(clock: Clock, table: string, column: string): ValueRowsReader {
  let read = { at: -Infinity, stats: undefined as ColumnStatistics | undefined };
  return async (pool, value) => {
    const now = clock.now();
    if (now - read.at > 60_000) {
      const result = await pool.query<{
        counted: number;
        changed: number;
        null_frac: number;
        n_distinct: number;
        vals: string[] | null;
        freqs: number[] | null;
      }>(
        `SELECT c.reltuples::float8 AS counted,
           pg_stat_get_mod_since_analyze(c.oid)::float8 AS changed, s.null_frac, s.n_distinct,
           s.most_common_vals::text::text[] AS vals, s.most_common_freqs AS freqs
         FROM pg_class c JOIN pg_stats s ON s.schemaname = current_schema()
           AND s.tablename = $1 AND s.attname = $2
         WHERE c.oid = to_regclass(format('%I.%I', current_schema(), $1))`,
        [table, column],
      );
      const row = result.rows[0];
      read = {
        at: now,
        stats:
          // More rows changed than were counted; reltuples is -1 until a VACUUM or ANALYZE has
          // counted the table (PostgreSQL 14+; again after a TRUNCATE).
          row === undefined || row.changed > row.counted
            ? undefined
            : {
                counted: row.counted,
                changed: row.changed,
                nullShare: row.null_frac,
                // Negative: a share of the rows, as the values grow with the table.
                distinct: row.n_distinct < 0 ? -row.n_distinct * row.counted : row.n_distinct,
                common: new Map((row.vals ?? []).map((v, i) => [v, row.freqs![i]!])),
              },
      };
    }
    const stats = read.stats;
    if (stats === undefined) return undefined;
    return { rows: rowsOf(stats, value), tableRows: stats.counted + stats.changed };
  };
}

/**
 * As the planner's estimate of `column = value` (PostgreSQL's var_eq_const), in rows: a listed
 * value's share of the rows there may be now; an unlisted one's, plus every row changed since.
 */
function rowsOf(stats: ColumnStatistics, value: string | null): number {
  const rows = stats.counted + stats.changed;
  const listed = value === null ? stats.nullShare : stats.common.get(value);
  if (listed !== undefined && listed > 0) return listed * rows;
  let left = 1 - stats.nullShare;
  for (const share of stats.common.values()) left -= share;
  const unlisted = Math.max(0, left) / Math.max(1, stats.distinct - stats.common.size);
  return Math.min(rows, unlisted * stats.counted + stats.changed);
}

/**
 * The rows of a memory scope, at most, with the table's: its user's (when it names one) and its
 * tenant's, whichever is fewer. Undefined while neither is known.
 */
export async function memoryScopeRows(
  readers: ScopeRowsReaders,
  pool: Queryable,
  scope: { tenantId: string; userId?: string | null },
): Promise<ValueRows | undefined> {
  const known = [
    await readers.tenantRows(pool, scope.tenantId),
    scope.userId === undefined ? undefined : await readers.userRows(pool, scope.userId),
  ].filter((estimate) => estimate !== undefined);
  if (known.length === 0) return undefined;
  return {
    rows: Math.min(...known.map((estimate) => estimate.rows)),
    tableRows: known[0]!.tableRows,
  };
}
