import { join } from 'node:path';
import { openSqlite } from '../src/adapters/sqlite/database.js';
import { createChunkTextSearch } from '../src/adapters/sqlite/chunk-text-search.js';
import { createChunkTextSearchThreads } from '../src/adapters/sqlite/chunk-text-search-thread.js';
import { createSilentLogger } from '../src/domain/logger.js';
import { searchQueries, BENCH_TENANT } from '../bench/suites/synthetic-store.js';
const path = join('/work/lab/db100k', 'engram.db');
const a = openSqlite({ path });
const b = openSqlite({ path });
const qs = searchQueries(200).slice(100);
const local = createChunkTextSearch(a.db);
const second = createChunkTextSearch(b.db);
const threads = createChunkTextSearchThreads({ path, threads: 1, logger: createSilentLogger(), local });
const p50 = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!.toFixed(2);
for (let round = 0; round < 3; round++) {
  for (const [name, run] of [
    ['main conn', async (q: string) => local({ tenantId: BENCH_TENANT, query: q, limit: 30 })],
    ['second conn', async (q: string) => second({ tenantId: BENCH_TENANT, query: q, limit: 30 })],
    ['thread', (q: string) => threads.search({ tenantId: BENCH_TENANT, query: q, limit: 30 })],
    ['thread k=1', (q: string) => threads.search({ tenantId: BENCH_TENANT, query: 'zzzqqq', limit: 1 })],
  ] as const) {
    const s: number[] = [];
    for (const q of qs) {
      const t = performance.now();
      await run(q);
      s.push(performance.now() - t);
    }
    console.log(round, name, p50(s));
  }
}
await threads.close();
