// A chunk full-text search thread (chunk-text-search-thread.ts): opens the store's file on its
// first query and answers every query on that connection.
import type { ChunkHit } from '../../ports/document-store.js';
import { serveThreadPool } from '../../providers/thread-pool-worker.js';
import { createChunkTextSearch, type ChunkTextQuery } from './chunk-text-search.js';
import type { ChunkTextSearchRequest } from './chunk-text-search-thread.js';
import { openSqlite } from './database.js';

let opened: { path: string; search: (query: ChunkTextQuery) => ChunkHit[] } | undefined;

function searchIn(path: string): (query: ChunkTextQuery) => ChunkHit[] {
  if (opened?.path !== path) {
    opened = { path, search: createChunkTextSearch(openSqlite({ path }).db) };
  }
  return opened.search;
}

serveThreadPool<ChunkTextSearchRequest, ChunkHit[]>({
  run: (requests) => ({
    results: requests.map((request) => searchIn(request.path)(request.query)),
  }),
});
