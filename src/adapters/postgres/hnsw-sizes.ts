// Whether Engram's HNSW indexes fit in PostgreSQL's shared buffers. A graph search visits index
// pages all over its graph; a page outside shared_buffers is copied in from the OS page cache, or
// read from disk, at each visit. The same 100 searches over 250k vectors (a 656 MB graph) ran in
// 16.9 / 20.7 ms p50 / p95 with PostgreSQL's default 128 MB of shared buffers and 7.5 / 10.9 ms
// with the graph held in them (docs/performance.md, session 30). A server that cannot hold its
// graphs says so when it starts, with the sizes to set.
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
}

/**
 * The sizes as the catalog holds them (`relpages`, set by the index's build and by every VACUUM
 * and ANALYZE since): reading the files' sizes would lock each index, and wait for whoever holds
 * one exclusively (a REINDEX, a rename) before the server could start.
 */
export async function readHnswSizes(db: Queryable): Promise<HnswSizes> {
  const { rows } = await db.query<{
    shared: string;
    indexes: Array<{ name: string; bytes: number }>;
  }>(
    `SELECT pg_size_bytes(current_setting('shared_buffers')) AS shared,
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
  };
}

const mb = (bytes: number) => Math.ceil(bytes / 2 ** 20);

/** What to tell an operator whose graphs outgrow shared_buffers; undefined when they fit. */
export function hnswSizesWarning(sizes: HnswSizes): string | undefined {
  if (sizes.indexBytes <= sizes.sharedBuffersBytes) return undefined;
  return (
    `Engram's HNSW indexes take ${mb(sizes.indexBytes)} MB, more than PostgreSQL's shared_buffers ` +
    `(${mb(sizes.sharedBuffersBytes)} MB): vector searches read index pages from outside the ` +
    `buffer cache and run about half as fast. Set shared_buffers above ${mb(sizes.indexBytes)} MB ` +
    '(with the room the rest of the database needs) and restart PostgreSQL (README, "Embedded or distributed").'
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
