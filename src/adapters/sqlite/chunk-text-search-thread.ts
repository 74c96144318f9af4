// Chunk full-text search in threads of their own (ENGRAM_SEARCH_THREADS), each over its own
// connection to the store's file; in WAL every search sees what was committed before it began.
// Hybrid search then runs its full-text part in such a thread while the calling thread runs the
// vector part: two cores at once instead of one after the other. A query the threads do not
// answer (a thread died, could not start, or its query failed there) is answered on the calling
// thread, so the threads can make search faster but never lose an answer.
import type { Logger } from '../../domain/logger.js';
import type { ChunkHit } from '../../ports/document-store.js';
import { createThreadPool } from '../../providers/thread-pool.js';
import { chunkFilters } from './chunk-filters.js';
import type { ChunkTextQuery } from './chunk-text-search.js';

/** What a search thread is sent: the store's file and one query. */
export interface ChunkTextSearchRequest {
  path: string;
  query: ChunkTextQuery;
}

export interface ChunkTextSearchThreadsOptions {
  /** The store's file; the threads open it themselves. */
  path: string;
  threads: number;
  logger: Logger;
  /** The same search on the calling thread's connection. */
  local: (query: ChunkTextQuery) => ChunkHit[];
}

export interface ChunkTextSearchThreads {
  search(query: ChunkTextQuery): Promise<ChunkHit[]>;
  close(): Promise<void>;
}

function textQuery(query: ChunkTextQuery): ChunkTextQuery {
  return {
    tenantId: query.tenantId,
    query: query.query,
    limit: query.limit,
    ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
    ...(query.metadata === undefined ? {} : { metadata: query.metadata }),
    ...(query.documentIds === undefined ? {} : { documentIds: query.documentIds }),
  };
}

export function createChunkTextSearchThreads(
  options: ChunkTextSearchThreadsOptions,
): ChunkTextSearchThreads {
  const { path, logger, local } = options;
  const pool = createThreadPool<ChunkTextSearchRequest, ChunkHit[]>({
    name: 'text search',
    worker: './chunk-text-search-worker',
    callerUrl: import.meta.url,
    threads: options.threads,
    batchSize: 1,
    logger,
  });
  return {
    async search(query) {
      // Input the search refuses (a metadata key) is refused here, with its own error.
      chunkFilters(query);
      try {
        // Only the query's own fields cross to the thread (a caller's extra fields may not copy).
        const [hits] = await pool.run([{ path, query: textQuery(query) }]);
        return hits!;
      } catch (error) {
        logger.warn({ err: error }, 'a text search thread did not answer; searching here instead');
        return local(query);
      }
    },
    close: () => pool.close(),
  };
}
