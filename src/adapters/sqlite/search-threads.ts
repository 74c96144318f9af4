// Full-text search in threads of their own (ENGRAM_SEARCH_THREADS), each over its own connection
// to the store's file; in WAL every search sees what was committed before it began. Hybrid
// search and recall then run their full-text part in such a thread while the calling thread runs
// the vector part: two cores at once instead of one after the other. A query the threads do not
// answer (a thread died, could not start, or the query failed there) is answered on the calling
// thread, so the threads can make search faster but never lose an answer.
import type { Logger } from '../../domain/logger.js';
import { searchTerms, type ChunkHit } from '../../ports/document-store.js';
import type { MemoryHit } from '../../ports/memory-store.js';
import { createThreadPool } from '../../providers/thread-pool.js';
import { chunkFilters } from './chunk-filters.js';
import type { ChunkTextQuery } from './chunk-text-search.js';
import type { SqliteHandle } from './database.js';
import { ftsTerms, type MemoryTextQuery } from './memory-text-search.js';

/** What a search thread is sent: the store's file and one query. */
export type SearchRequest = { path: string } & (
  { kind: 'chunks'; query: ChunkTextQuery } | { kind: 'memories'; query: MemoryTextQuery }
);

export interface SqliteSearchThreads {
  /** Chunks matching `query`; `local` is the same search on the calling thread. */
  chunks(query: ChunkTextQuery, local: (query: ChunkTextQuery) => ChunkHit[]): Promise<ChunkHit[]>;
  memories(
    query: MemoryTextQuery,
    local: (query: MemoryTextQuery) => MemoryHit[],
  ): Promise<MemoryHit[]>;
  close(): Promise<void>;
}

/**
 * Only a query's own fields cross to a thread (a caller's extra fields may not copy); those left
 * undefined are left out.
 */
function only<Q extends object>(query: Q, keys: ReadonlyArray<keyof Q>): Q {
  const out: Partial<Q> = {};
  for (const key of keys) if (query[key] !== undefined) out[key] = query[key];
  return out as Q;
}

const CHUNK_QUERY_KEYS = [
  'tenantId',
  'query',
  'limit',
  'namespace',
  'metadata',
  'documentIds',
] as const satisfies ReadonlyArray<keyof ChunkTextQuery>;
const MEMORY_QUERY_KEYS = [
  'tenantId',
  'query',
  'k',
  'userId',
  'sessionId',
  'tiers',
  'kinds',
  'timeRange',
] as const satisfies ReadonlyArray<keyof MemoryTextQuery>;

/**
 * Search threads over the file `db` is open on; undefined for no threads, or a database in
 * memory (another connection cannot open it). The threads start on the first query.
 */
export function createSqliteSearchThreads(options: {
  db: SqliteHandle;
  threads: number;
  logger: Logger;
}): SqliteSearchThreads | undefined {
  const { db, logger } = options;
  if (options.threads < 1 || db.memory) return undefined;
  const path = db.name;
  const pool = createThreadPool<SearchRequest, ChunkHit[] | MemoryHit[]>({
    name: 'text search',
    worker: './search-worker',
    callerUrl: import.meta.url,
    threads: options.threads,
    batchSize: 1,
    logger,
  });

  async function answer<H>(request: SearchRequest, local: () => H[]): Promise<H[]> {
    try {
      const [hits] = await pool.run([request]);
      return hits as H[];
    } catch (error) {
      logger.warn({ err: error }, 'a text search thread did not answer; searching here instead');
      return local();
    }
  }

  return {
    async chunks(query, local) {
      // Nothing to search costs no round trip; input the search refuses (a metadata key) is
      // refused here, with its own error.
      if (searchTerms(query.query).length === 0 || query.limit <= 0) return local(query);
      chunkFilters(query);
      return answer<ChunkHit>({ path, kind: 'chunks', query: only(query, CHUNK_QUERY_KEYS) }, () =>
        local(query),
      );
    },
    async memories(query, local) {
      if (ftsTerms(query.query).length === 0 || query.k <= 0) return local(query);
      return answer<MemoryHit>(
        { path, kind: 'memories', query: only(query, MEMORY_QUERY_KEYS) },
        () => local(query),
      );
    },
    close: () => pool.close(),
  };
}
