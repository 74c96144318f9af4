// A full-text search thread (search-threads.ts): opens the store's file on its first query and
// answers every query, of chunks or of memories, on that connection.
import type { ChunkHit } from '../../ports/document-store.js';
import type { MemoryHit } from '../../ports/memory-store.js';
import { serveThreadPool } from '../../providers/thread-pool-worker.js';
import { createChunkTextSearch, type ChunkTextQuery } from './chunk-text-search.js';
import { openSqlite } from './database.js';
import { SqliteMemoryTextSearch } from './memory-text-search.js';
import type { SearchRequest } from './search-threads.js';

interface Searches {
  path: string;
  chunks: (query: ChunkTextQuery) => ChunkHit[];
  memories: SqliteMemoryTextSearch;
}

let opened: Searches | undefined;

function searchesIn(path: string): Searches {
  if (opened === undefined) {
    const { db } = openSqlite({ path });
    opened = { path, chunks: createChunkTextSearch(db), memories: new SqliteMemoryTextSearch(db) };
  }
  if (opened.path !== path) throw new Error(`this thread searches ${opened.path}, not ${path}`);
  return opened;
}

serveThreadPool<SearchRequest, ChunkHit[] | MemoryHit[]>({
  run: (requests) => ({
    results: requests.map((request) => {
      const searches = searchesIn(request.path);
      return request.kind === 'chunks'
        ? searches.chunks(request.query)
        : searches.memories.search(request.query);
    }),
  }),
});
