// Whether Engram's HNSW indexes fit in PostgreSQL's shared buffers. A graph search visits index
// pages all over its graph; a page outside shared_buffers is copied in from the OS page cache, or
// read from disk, at each visit. The same 100 searches over 250k vectors (a 656 MB graph) ran in
// 16.9 / 20.7 ms p50 / p95 with PostgreSQL's default 128 MB of shared buffers and 7.0 / 12.2 ms
// with the graph held in them (docs/performance.md, session 30). A server that cannot hold its
// graphs says so when it starts, with the sizes to set.
import type { Logger } from '../../domain/logger.js';
import { isEngramIndex } from './pgvector.js';
import type { Queryable } from './transaction.js';

export interface IndexCache {
  /** This schema's valid HNSW indexes that Engram made, and their size in bytes. */
  indexes: Array<{ name: string; bytes: number }>;
  /** All of them together. */
  indexBytes: number;
  /** The server's shared_buffers, in bytes. */
  sharedBuffersBytes: number;
}

export async function readIndexCache(db: Queryable): Promise<IndexCache> {
  const { rows } = await db.query<{
    shared: string;
    indexes: Array<{ name: string; bytes: number }>;
  }>(
    `SELECT pg_size_bytes(current_setting('shared_buffers')) AS shared,
       coalesce((SELECT json_agg(json_build_object('name', c.relname, 'bytes', pg_relation_size(c.oid)))
         FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_am am ON am.oid = c.relam
           JOIN pg_index i ON i.indexrelid = c.oid
         WHERE n.nspname = current_schema() AND am.amname = 'hnsw' AND i.indisvalid), '[]') AS indexes`,
  );
  const indexes = rows[0]!.indexes.filter((index) => isEngramIndex(index.name));
  return {
    indexes,
    indexBytes: indexes.reduce((sum, index) => sum + index.bytes, 0),
    sharedBuffersBytes: Number(rows[0]!.shared),
  };
}

/** What to tell an operator whose graphs outgrow shared_buffers; undefined when they fit. */
export function indexCacheWarning(cache: IndexCache): string | undefined {
  if (cache.indexBytes <= cache.sharedBuffersBytes) return undefined;
  const mb = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MB`;
  return (
    `Engram's HNSW indexes take ${mb(cache.indexBytes)}, more than PostgreSQL's shared_buffers ` +
    `(${mb(cache.sharedBuffersBytes)}): vector searches read index pages from outside the ` +
    `buffer cache and run about half as fast. Set shared_buffers above ${mb(cache.indexBytes)} ` +
    '(with the room the rest of the database needs) and restart PostgreSQL (README, "Embedded or distributed").'
  );
}

/** Logs indexCacheWarning at start; a server that cannot be asked is not held up by it. */
export async function warnIfIndexesOutgrowCache(db: Queryable, logger: Logger): Promise<void> {
  try {
    const cache = await readIndexCache(db);
    const warning = indexCacheWarning(cache);
    if (warning !== undefined)
      logger.warn(
        {
          indexMb: Math.ceil(cache.indexBytes / 2 ** 20),
          sharedBuffersMb: Math.ceil(cache.sharedBuffersBytes / 2 ** 20),
          indexes: cache.indexes.map((index) => index.name),
        },
        warning,
      );
  } catch (error) {
    logger.warn({ err: error }, 'could not compare the HNSW indexes with shared_buffers');
  }
}
