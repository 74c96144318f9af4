// Whether Engram's HNSW indexes fit in PostgreSQL's shared buffers. A graph search visits index
// pages all over its graph; a page outside shared_buffers is copied in from the OS page cache, or
// read from disk, at each visit. The same 100 searches over 250k vectors (a 656 MB graph) ran in
// 16.9 / 20.7 ms p50 / p95 with PostgreSQL's default 128 MB of shared buffers and 7.5 / 10.9 ms
// with the graph held in them (docs/performance.md, session 30). But buffers taken from a machine
// whose memory cannot also cache the rest of the database cost more than they give: at 1M, a
// 19.5 GB database on a 24 GB machine searched more slowly with 8 GB of them than with 128 MB
// (session 32). A server that cannot hold its graphs says so when it starts, with the sizes to
// weigh: the graphs', the buffers' and the database's.
import type { Logger } from '../../domain/logger.js';
import { HNSW_INDEX_CATALOG, isEngramIndex } from './pgvector.js';
import type { Queryable } from './transaction.js';

export interface HnswSizes {
  /** This schema's valid HNSW indexes that Engram made, and their size in bytes. */
  indexes: Array<{ name: string; bytes: number }>;
  /** All of them together. */
  indexBytes: number;
  /** The server's shared_buffers, in bytes. */
  sharedBuffersBytes: number;
  /** The whole database's size on disk, in bytes (every schema's tables and indexes). */
  databaseBytes: number;
}

/**
 * The sizes as the catalog holds them (`relpages`, set by the index's build and by every VACUUM
 * and ANALYZE since): reading the files' sizes would lock each index, and wait for whoever holds
 * one exclusively (a REINDEX, a rename) before the server could start. The database's size is
 * read from its directory (`pg_database_size`), which locks nothing.
 */
export async function readHnswSizes(db: Queryable): Promise<HnswSizes> {
  const { rows } = await db.query<{
    shared: string;
    database: string;
    indexes: Array<{ name: string; bytes: number }>;
  }>(
    `SELECT pg_size_bytes(current_setting('shared_buffers')) AS shared,
       pg_database_size(current_database()) AS database,
       coalesce((SELECT json_agg(json_build_object(
           'name', c.relname,
           'bytes', c.relpages::bigint * current_setting('block_size')::bigint))
         ${HNSW_INDEX_CATALOG} AND i.indisvalid), '[]') AS indexes`,
  );
  const indexes = rows[0]!.indexes.filter((index) => isEngramIndex(index.name));
  return {
    indexes,
    indexBytes: indexes.reduce((sum, index) => sum + index.bytes, 0),
    sharedBuffersBytes: Number(rows[0]!.shared),
    databaseBytes: Number(rows[0]!.database),
  };
}

const mb = (bytes: number) => Math.ceil(bytes / 2 ** 20);

/** What to tell an operator whose graphs outgrow shared_buffers; undefined when they fit. */
export function hnswSizesWarning(sizes: HnswSizes): string | undefined {
  if (sizes.indexBytes <= sizes.sharedBuffersBytes) return undefined;
  return (
    `Engram's HNSW indexes take ${mb(sizes.indexBytes)} MB, more than PostgreSQL's shared_buffers ` +
    `(${mb(sizes.sharedBuffersBytes)} MB): vector searches read index pages from outside the ` +
    'buffer cache, about half as fast where the database was little more than its graphs. ' +
    `Set shared_buffers above ${mb(sizes.indexBytes)} MB and restart PostgreSQL only if the ` +
    "server's memory also leaves the operating system room to cache the rest of the database " +
    `(${mb(sizes.databaseBytes)} MB on disk): a 19.5 GB database on a 24 GB machine searched ` +
    'more slowly with 8 GB of shared buffers than with 128 MB (README, "Embedded or distributed").'
  );
}

/** Logs hnswSizesWarning, with the sizes as fields; nothing when the graphs fit. */
export function logHnswSizes(sizes: HnswSizes, logger: Logger): void {
  const warning = hnswSizesWarning(sizes);
  if (warning === undefined) return;
  logger.warn(
    {
      indexMb: mb(sizes.indexBytes),
      sharedBuffersMb: mb(sizes.sharedBuffersBytes),
      databaseMb: mb(sizes.databaseBytes),
      indexes: sizes.indexes.map((index) => index.name),
    },
    warning,
  );
}

/** Reads the sizes and logs them at start; a server that cannot be asked is not held up by it. */
export async function warnIfHnswOutgrowsBuffers(db: Queryable, logger: Logger): Promise<void> {
  try {
    logHnswSizes(await readHnswSizes(db), logger);
  } catch (error) {
    logger.warn({ err: error }, 'could not compare the HNSW indexes with shared_buffers');
  }
}
