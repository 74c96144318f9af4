// Rebuilds this schema's HNSW indexes whose graphs were built with other settings than this
// version's (HNSW_BUILD_OPTIONS: an earlier version built them with pgvector's defaults, which
// miss nearest neighbours at 1M; pgvector.ts) or over vectors in another form (hnswForm: an
// earlier version indexed full-precision vectors, in a graph two thirds larger). `CREATE INDEX
// IF NOT EXISTS` leaves such an index as it is (searches order by the form it holds:
// beginHnswSearch), and a rebuild at start would hold a large store's start for tens of minutes,
// so an operator runs it (`engram rebuild-vector-indexes`). Only Engram's own indexes
// (`chunk_vectors_hnsw`, `memories_embedding_hnsw_<dimension>`), each in three steps that take no
// lock reads or writes wait for (a process that starts meanwhile finds its index by name before
// any CREATE INDEX: memory-vector-search.ts):
//   1. `CREATE INDEX CONCURRENTLY <name>_rebuild … WITH (these settings)`: the new graph, built
//      beside the old one (it first waits for transactions older than it);
//   2. in one transaction, the old index renamed `<name>_old` and the new one `<name>`;
//   3. `DROP INDEX CONCURRENTLY <name>_old`.
// An index's recorded settings and operator class are its graph's, so they say what needs
// rebuilding. A run that
// died part-way is finished by the next: an invalid `_rebuild` (a build cut short) is dropped, a
// valid one swapped in, an `_old` dropped. One run at a time a schema (an advisory lock, held
// by the server session: a build the command's process left running counts as a run).
import type pg from 'pg';
import { AppError } from '../../domain/errors.js';
import {
  CHUNK_VECTOR_INDEX,
  HNSW_BUILD_OPTIONS,
  HNSW_INDEX_CATALOG,
  hnswForm,
  isEngramIndex,
  MEMORY_VECTOR_INDEX,
  vectorIndexSql,
} from './pgvector.js';

export interface HnswRebuildOptions {
  /**
   * `maintenance_work_mem` for the builds (the server's own when not given): 1M vectors of 512
   * dimensions need about 3.5 GB; with less, pgvector says so (onNotice) and builds far slower.
   */
  memory?: string;
  /** Rebuild every one of Engram's HNSW indexes, also those built with these settings. */
  all?: boolean;
  /** Told as each step starts. */
  onStep?: (step: string) => void;
  /** PostgreSQL's notices (pgvector's about memory among them). */
  onNotice?: (message: string) => void;
}

export interface HnswRebuildReport {
  rebuilt: Array<{ index: string; settings: string; seconds: number }>;
  /** Indexes already built with these settings, in this form. */
  upToDate: string[];
  /** What a run that died part-way left, dropped or swapped in by this one. */
  finished: string[];
}

/** A size PostgreSQL reads for a memory setting: 512MB, 4GB. */
export const MEMORY_SIZE = /^[1-9]\d{0,6}(kB|MB|GB|TB)$/;

/** One run at a time a schema: a session advisory lock on this key. */
const LOCK_KEY = "hashtext('engram:hnsw-rebuild:' || current_schema())";
const REBUILD = '_rebuild';
const OLD = '_old';

interface IndexRow {
  name: string;
  valid: boolean;
  settings: string;
  /** The vector column's dimension (a chunk table's; memories' column has none). */
  dimension: number | null;
  /** The form it holds its vectors in: `vector` or `halfvec` (pgvector.ts, hnswForm). */
  type: string;
}

/** This schema's HNSW indexes, their validity, recorded settings, vector dimension and form. */
const HNSW_INDEXES = `
  SELECT c.relname AS name, i.indisvalid AS valid,
    coalesce(array_to_string(c.reloptions, ' '), '') AS settings,
    (SELECT nullif(a.atttypmod, -1) FROM pg_attribute a
     WHERE a.attrelid = i.indrelid AND a.attname = 'embedding') AS dimension,
    (SELECT t.typname FROM pg_opclass o JOIN pg_type t ON t.oid = o.opcintype
     WHERE o.oid = i.indclass[0]) AS type
  ${HNSW_INDEX_CATALOG}
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

/** The dimension of Engram's index `name` (a chunk index's column's: `columnDimension`). */
function indexDimension(name: string, columnDimension: number | null): number | undefined {
  if (name === CHUNK_VECTOR_INDEX) return columnDimension ?? undefined;
  const memory = MEMORY_VECTOR_INDEX.exec(name);
  return memory === null ? undefined : Number(memory[1]);
}

/**
 * Engram's index `name` (over vectors of `dimension`) built under the name `as` beside the
 * table's writes; undefined past pgvector's dimensions (no index).
 */
function rebuildSql(
  name: string,
  dimension: number,
  rebuild: { as: string; table: (name: string) => string },
): string | undefined {
  return vectorIndexSql(name === CHUNK_VECTOR_INDEX ? 'chunks' : 'memories', dimension, rebuild);
}

export async function rebuildHnswIndexes(
  pool: pg.Pool,
  options: HnswRebuildOptions = {},
): Promise<HnswRebuildReport> {
  const { memory } = options;
  if (memory !== undefined && !MEMORY_SIZE.test(memory)) {
    throw new AppError('VALIDATION_FAILED', `Invalid memory "${memory}": a size such as 4GB.`);
  }
  const step = options.onStep ?? (() => undefined);
  const client = await pool.connect();
  // A connection lost mid-build rejects the statement; without a listener it would also crash.
  const lost = (): void => undefined;
  const notice = (message: { message?: string | undefined }): void =>
    options.onNotice?.(message.message ?? '');
  client.on('error', lost);
  client.on('notice', notice);
  const report: HnswRebuildReport = { rebuilt: [], upToDate: [], finished: [] };
  let broken = false;
  try {
    const schema = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
    const qualified = (name: string) =>
      `${client.escapeIdentifier(schema.rows[0]!.schema)}.${client.escapeIdentifier(name)}`;
    const locked = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`,
    );
    if (locked.rows[0]?.locked !== true) {
      throw new AppError(
        'CONFLICT',
        'Another rebuild of these vector indexes is running (or its build goes on after its command ended): pg_locks shows the advisory lock, pg_stat_progress_create_index a build.',
      );
    }
    // pgvector reads the memory setting per session: this client's, reset before release.
    await client.query(
      "SELECT set_config('statement_timeout', '0', false), set_config('maintenance_work_mem', coalesce($1, current_setting('maintenance_work_mem')), false)",
      [memory ?? null],
    );

    const indexes = (await client.query<IndexRow>(HNSW_INDEXES)).rows;
    const named = new Map(indexes.map((index) => [index.name, index]));
    const swap = async (name: string) => {
      step(`${name}: swapping in the new graph`);
      await client.query(
        `BEGIN; ALTER INDEX ${qualified(name)} RENAME TO ${client.escapeIdentifier(name + OLD)};
         ALTER INDEX ${qualified(name + REBUILD)} RENAME TO ${client.escapeIdentifier(name)}; COMMIT`,
      );
      step(`${name}: dropping the old graph`);
      await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(name + OLD)}`);
    };

    // What a run that died part-way left: an old graph renamed away (dropped once its name holds
    // a valid graph, else named back), then a new graph (swapped in when valid, else dropped).
    for (const index of indexes) {
      const base = index.name.slice(0, -OLD.length);
      if (!index.name.endsWith(OLD) || !isEngramIndex(base)) continue;
      if (named.get(base)?.valid === true) {
        step(`${index.name}: dropping (left by an earlier run)`);
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(index.name)}`);
      } else if (!named.has(base)) {
        step(`${index.name}: renaming back to ${base} (left by an earlier run)`);
        await client.query(
          `ALTER INDEX ${qualified(index.name)} RENAME TO ${client.escapeIdentifier(base)}`,
        );
      } else continue;
      report.finished.push(index.name);
    }
    const kept = new Map(
      (await client.query<IndexRow>(HNSW_INDEXES)).rows.map((index) => [index.name, index]),
    );
    for (const index of kept.values()) {
      const base = index.name.slice(0, -REBUILD.length);
      if (!index.name.endsWith(REBUILD) || !isEngramIndex(base)) continue;
      if (index.valid && kept.has(base)) {
        await swap(base);
      } else if (index.valid) {
        step(`${index.name}: renaming to ${base} (left by an earlier run)`);
        await client.query(
          `ALTER INDEX ${qualified(index.name)} RENAME TO ${client.escapeIdentifier(base)}`,
        );
      } else {
        step(`${index.name}: dropping (a build cut short)`);
        await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualified(index.name)}`);
      }
      report.finished.push(index.name);
    }

    const current = (await client.query<IndexRow>(HNSW_INDEXES)).rows;
    for (const { name, valid, settings, dimension: column, type } of current) {
      const as = client.escapeIdentifier(name + REBUILD);
      const dimension = indexDimension(name, column);
      if (dimension === undefined) continue;
      const build = rebuildSql(name, dimension, { as, table: qualified });
      if (build === undefined) continue;
      // An invalid one (a build of it cut short by hand) serves no search: rebuilt whatever it says.
      const upToDate = hasBuildOptions(settings) && type === hnswForm(dimension)?.type;
      if (valid && options.all !== true && upToDate) {
        report.upToDate.push(name);
        continue;
      }
      const started = Date.now();
      step(
        `${name}: building a new graph beside the old (was ${type}, ${settings || 'no settings'})`,
      );
      await client.query(build);
      await swap(name);
      report.rebuilt.push({ index: name, settings, seconds: (Date.now() - started) / 1000 });
    }
    return report;
  } catch (error) {
    broken = !(error instanceof AppError);
    throw error;
  } finally {
    client.off('notice', notice);
    // A session that may be gone or mid-transaction is not given back to the pool; ending it
    // releases its lock.
    let ended: Error | boolean = broken;
    if (!broken) {
      try {
        await client.query(`RESET ALL; SELECT pg_advisory_unlock(${LOCK_KEY})`);
        client.off('error', lost);
      } catch (error) {
        ended = error instanceof Error ? error : true;
      }
    }
    client.release(ended);
  }
}
