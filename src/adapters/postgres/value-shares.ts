// The share of a table's rows holding one value of a column, as the planner estimates it: the
// value's frequency in the column's most common values (ANALYZE keeps them), else an equal part
// of what they leave to the other distinct values. Read at most once a minute; across the whole
// table (two tenants' users of one name count together). Before the first ANALYZE nothing is
// known (undefined), nor while the table's rows are uncounted.
import type { Clock } from '../../domain/clock.js';
import type { Queryable } from './transaction.js';

export interface ValueShare {
  /** The share of the table's rows holding the value. */
  share: number;
  /** The table's rows (the planner's estimate). */
  tableRows: number;
}

export type ValueSharesReader = (
  pool: Queryable,
  value: string | null,
) => Promise<ValueShare | undefined>;

interface ColumnStatistics {
  rows: number;
  nullShare: number;
  /** Distinct non-null values (pg_stats' n_distinct made a count). */
  distinct: number;
  common: Map<string, number>;
}

export function createValueShares(clock: Clock, table: string, column: string): ValueSharesReader {
  let read = { at: -Infinity, stats: undefined as ColumnStatistics | undefined };
  return async (pool, value) => {
    const now = clock.now();
    if (now - read.at > 60_000) {
      const result = await pool.query<{
        rows: number;
        null_frac: number;
        n_distinct: number;
        vals: string[] | null;
        freqs: number[] | null;
      }>(
        `SELECT c.reltuples::float8 AS rows, s.null_frac, s.n_distinct,
           s.most_common_vals::text::text[] AS vals, s.most_common_freqs AS freqs
         FROM pg_class c JOIN pg_stats s ON s.schemaname = current_schema()
           AND s.tablename = $1 AND s.attname = $2
         WHERE c.oid = to_regclass($1)`,
        [table, column],
      );
      const row = result.rows[0];
      read = {
        at: now,
        stats:
          // reltuples is -1 until a VACUUM or ANALYZE has counted the table (PostgreSQL 14+).
          row === undefined || row.rows < 0
            ? undefined
            : {
                rows: row.rows,
                nullShare: row.null_frac,
                // Negative: a share of the rows, as the values grow with the table.
                distinct: row.n_distinct < 0 ? -row.n_distinct * row.rows : row.n_distinct,
                common: new Map((row.vals ?? []).map((v, i) => [v, row.freqs![i]!])),
              },
      };
    }
    const stats = read.stats;
    if (stats === undefined) return undefined;
    return { share: shareOf(stats, value), tableRows: stats.rows };
  };
}

/** As the planner's estimate of `column = value` (PostgreSQL's var_eq_const). */
function shareOf(stats: ColumnStatistics, value: string | null): number {
  if (value === null) return stats.nullShare;
  const common = stats.common.get(value);
  if (common !== undefined) return common;
  let left = 1 - stats.nullShare;
  for (const share of stats.common.values()) left -= share;
  return Math.max(0, left) / Math.max(1, stats.distinct - stats.common.size);
}
