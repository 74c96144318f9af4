// Rebuilds this schema's HNSW indexes whose graphs were built with other settings than this
// version's (HNSW_BUILD_OPTIONS: an earlier version built them with pgvector's defaults, which
// miss nearest neighbours at 1M; pgvector.ts). `CREATE INDEX IF NOT EXISTS` leaves such an index
// as it is, and a rebuild at start would hold a large store's start for tens of minutes, so an
// operator runs it (`engram rebuild-vector-indexes`). Each index: its settings recorded
// (`ALTER INDEX … SET`, which waits for an exclusive lock: bounded by `lockWaitMs`, tried
// again, undone if the rebuild fails), then `REINDEX INDEX CONCURRENTLY`, which builds the new
// graph beside the old one while reads and writes go on. Leftovers of a rebuild that died (the
// invalid `…_ccnew` copies REINDEX CONCURRENTLY leaves) are dropped first.
import type pg from 'pg';
import { HNSW_BUILD_OPTIONS, HNSW_BUILD_SQL } from './pgvector.js';

export interface HnswRebuildOptions {
  /**
   * `maintenance_work_mem` for the builds (the server's own when not given): 1M vectors of 512
   * dimensions need about 3.5 GB; with less, pgvector says so (onNotice) and builds far slower.
   */
  memory?: string;
  /** PostgreSQL's notices during the rebuild (pgvector's about memory among them). */
  onNotice?: (message: string) => void;
  /** Rebuild every HNSW index, also those whose recorded settings are this version's. */
  all?: boolean;
  /** How long one attempt waits for the lock that records an index's settings. */
  lockWaitMs?: number;
  /** Attempts at that lock before giving up on the index. */
  lockAttempts?: number;
  /** Told before each index is rebuilt, with the settings it had. */
  onRebuild?: (index: string, settings: string) => void;
}

export interface HnswRebuildReport {
  rebuilt: Array<{ index: string; settings: string; seconds: number }>;
  /** Indexes whose settings were this version's already. */
  current: string[];
  /** Invalid copies left by a concurrent rebuild that did not finish. */
  dropped: string[];
}

const MEMORY = /^\d+\s*(kB|MB|GB|TB)$/;
const LOCK_NOT_AVAILABLE = '55P03';

/** This schema's HNSW indexes (valid ones, or the invalid copies a failed rebuild left). */
const HNSW_INDEXES = `
  SELECT c.relname AS name, coalesce(array_to_string(c.reloptions, ' '), '') AS settings
  FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_am a ON a.oid = c.relam
    JOIN pg_index i ON i.indexrelid = c.oid
  WHERE n.nspname = current_schema() AND a.amname = 'hnsw' AND i.indisvalid = $1
  ORDER BY c.oid`;

/** Whether an index's recorded settings (`m=32 ef_construction=128`) are this version's. */
export function hasBuildOptions(settings: string): boolean {
  const recorded = new Map(
    settings
      .split(' ')
      .filter((pair) => pair.includes('='))
      .map((pair) => pair.split('=') as [string, string]),
  );
  return Object.entries(HNSW_BUILD_OPTIONS).every(
    ([name, value]) => recorded.get(name) === String(value),
  );
}

export async function rebuildHnswIndexes(
  pool: pg.Pool,
  options: HnswRebuildOptions = {},
): Promise<HnswRebuildReport> {
  const { memory } = options;
  if (memory !== undefined && !MEMORY.test(memory)) {
    throw new Error(`Invalid memory "${memory}": a size such as 512MB or 4GB.`);
  }
  const client = await pool.connect();
  const notice = (message: { message?: string | undefined }): void =>
    options.onNotice?.(message.message ?? '');
  client.on('notice', notice);
  const report: HnswRebuildReport = { rebuilt: [], current: [], dropped: [] };
  try {
    // pgvector declares its settings to need an exclusive lock once its library is loaded in the
    // session (before that, PostgreSQL takes a weaker one): loaded first, every change of
    // settings takes the same lock, and waits for it no longer than lockWaitMs.
    await client.query('SET statement_timeout = 0; SELECT NULL::vector');
    if (memory !== undefined) await client.query(`SET maintenance_work_mem = '${memory}'`);
    const leftovers = await client.query<{ name: string }>(HNSW_INDEXES, [false]);
    for (const { name } of leftovers.rows) {
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${client.escapeIdentifier(name)}`);
      report.dropped.push(name);
    }
    const indexes = await client.query<{ name: string; settings: string }>(HNSW_INDEXES, [true]);
    for (const { name, settings } of indexes.rows) {
      if (options.all !== true && hasBuildOptions(settings)) {
        report.current.push(name);
        continue;
      }
      options.onRebuild?.(name, settings === '' ? "pgvector's defaults" : settings);
      const index = client.escapeIdentifier(name);
      const started = Date.now();
      await alterIndex(client, index, `SET (${HNSW_BUILD_SQL})`, options);
      try {
        // Waits for the transactions older than it to end, blocking no reads or writes meanwhile.
        await client.query(`REINDEX INDEX CONCURRENTLY ${index}`);
      } catch (error) {
        // The old graph stays; so do its settings, or a later run would take it for rebuilt.
        await alterIndex(
          client,
          index,
          settings === ''
            ? `RESET (${Object.keys(HNSW_BUILD_OPTIONS).join(', ')})`
            : `SET (${settings.split(' ').join(', ')})`,
          options,
        );
        throw error;
      }
      report.rebuilt.push({ index: name, settings, seconds: (Date.now() - started) / 1000 });
    }
    return report;
  } finally {
    client.off('notice', notice);
    client.release();
  }
}

/**
 * `ALTER INDEX … SET` takes an exclusive lock on the index (pgvector declares its settings so),
 * queued behind every open transaction that has read the table, and every query planned after
 * it queues behind it: each attempt waits at most `lockWaitMs`.
 */
async function alterIndex(
  client: pg.PoolClient,
  index: string,
  change: string,
  options: HnswRebuildOptions,
): Promise<void> {
  const attempts = options.lockAttempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(
        `SET lock_timeout = ${Math.max(1, Math.trunc(options.lockWaitMs ?? 2_000))}`,
      );
      await client.query(`ALTER INDEX ${index} ${change}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= attempts) {
        if ((error as { code?: string }).code === LOCK_NOT_AVAILABLE) {
          throw new Error(
            `Could not lock index ${index} to change its settings (${attempts} attempts): a long transaction holds the table; try again when it ends.`,
          );
        }
        throw error;
      }
    } finally {
      await client.query('SET lock_timeout = 0');
    }
  }
}
