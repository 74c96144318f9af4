// Lab: where hybrid chunk search spends its time on a kept store (fills it first if empty).
//   tsx bench/lab/hybrid-parts.ts <dir> <chunks>   (env: QUERYSET, ORDER, CACHE_MB, SEARCH_THREADS,
//   TENANTS: the tenants a fill spreads the documents over, the searched one first; 1 by default)
//   BACKEND=postgres tsx bench/lab/hybrid-parts.ts <schema> <chunks>   (ENGRAM_BENCH_DATABASE_URL)
import { join } from 'node:path';
import { createPostgresDocumentStore } from '../../src/adapters/postgres/document-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteDocumentStore } from '../../src/adapters/sqlite/document-store.js';
import { createSqliteSearchThreads } from '../../src/adapters/sqlite/search-threads.js';
import { createDocumentSearch } from '../../src/ingest/hybrid-search.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { random } from '../../test/telemetry/generate.js';
import type { DocumentStore } from '../../src/ports/document-store.js';
import { quantile } from '../harness.js';
import { openLabSchema } from './pg-lab-schema.js';
import {
  BENCH_TENANT,
  clusteredVectors,
  fillChunks,
  nearby,
  searchQueries,
} from '../suites/synthetic-store.js';

const [where = '/work/lab/db1m', sizeArg = '1000000'] = process.argv.slice(2);
const size = Number(sizeArg);

/** The lab's store: SQLite in a directory, or PostgreSQL in a schema (BACKEND=postgres). */
async function openLabStore(): Promise<{ store: DocumentStore; close(): Promise<void> }> {
  if (process.env.BACKEND === 'postgres') {
    const database = await openLabSchema(where);
    return {
      store: createPostgresDocumentStore({ pool: database.pool }),
      close: () => database.close(),
    };
  }
  const database = openSqlite({ path: join(where, 'engram.db') });
  if (process.env.CACHE_MB)
    database.db.pragma(`cache_size = -${Number(process.env.CACHE_MB) * 1024}`);
  // SEARCH_THREADS: full-text search threads (ENGRAM_SEARCH_THREADS), 0 by default here.
  const searchThreads = createSqliteSearchThreads({
    db: database.db,
    threads: Number(process.env.SEARCH_THREADS ?? 0),
    logger: createSilentLogger(),
  });
  return {
    store: createSqliteDocumentStore({ db: database.db, searchThreads }),
    close: async () => {
      await searchThreads?.close();
      database.close();
    },
  };
}
const lab = await openLabStore();
const store = lab.store;
const vectors = clusteredVectors(42);
const kept: Float32Array[] = [];
await fillChunks(store, size, {
  log: (m) => console.log(m),
  vectors,
  tenants: Number(process.env.TENANTS ?? 1),
  onVector: (_id, v) => {
    if (kept.length < 2000) kept.push(v);
  },
});
if (kept.length === 0) for (let i = 0; i < 2000; i++) kept.push(vectors());
const set = Number(process.env.QUERYSET ?? 0);
const next = random(size + set);
const queries = searchQueries(100 * (set + 1)).slice(100 * set);
const qv = queries.map(() => nearby(kept[Math.floor(next() * kept.length)]!, 1, next));
const embedder = {
  id: LOCAL_EMBEDDER_ID,
  dimension: LOCAL_EMBEDDER_DIMENSION,
  embed: async () => [qv[0]!],
  close: async () => undefined,
};
const search = createDocumentSearch({ store, embedder, logger: createSilentLogger() });

async function time(name: string, run: (i: number) => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < queries.length; i++) {
    const t = performance.now();
    await run(i);
    samples.push(performance.now() - t);
  }
  console.log(
    `${name.padEnd(28)} p50 ${quantile(samples, 0.5).toFixed(1)} p95 ${quantile(samples, 0.95).toFixed(1)}`,
  );
}
const order = (process.env.ORDER ?? 'hybrid,text30,vector30,vector10,hybrid').split(',');
for (const part of order) {
  if (part === 'hybrid')
    await time('hybrid k=10', (i) =>
      search.searchChunks({
        tenantId: BENCH_TENANT,
        query: queries[i]!,
        queryVector: qv[i]!,
        k: 10,
      }),
    );
  if (part === 'text30')
    await time('text limit 30', (i) =>
      store.searchText({ tenantId: BENCH_TENANT, query: queries[i]!, limit: 30 }),
    );
  if (part === 'vector30')
    await time('vector limit 30', (i) =>
      store.searchVector({ tenantId: BENCH_TENANT, vector: qv[i]!, limit: 30 }),
    );
  if (part === 'vector10')
    await time('vector limit 10', (i) =>
      store.searchVector({ tenantId: BENCH_TENANT, vector: qv[i]!, limit: 10 }),
    );
}
await lab.close();
