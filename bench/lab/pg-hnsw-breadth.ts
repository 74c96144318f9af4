// Lab: PostgreSQL memory vector search for k = 200 tenant-wide at several HNSW breadths
// (hnsw.ef_search, iterative scans as the store runs them): time, and how much of the exact top
// 10 and top 200 each finds. On a kept schema filled by recall-parts.ts (BACKEND=postgres).
//   tsx bench/lab/pg-hnsw-breadth.ts <schema>   (env: ENGRAM_BENCH_DATABASE_URL, BREADTHS=400,200,100,40)
import { MEMORY_COLUMNS } from '../../src/adapters/postgres/memory-rows.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { quantile } from '../harness.js';
import { openLabSchema } from './pg-lab-schema.js';
import { BENCH_TENANT } from '../suites/synthetic-store.js';

const [schema = 'lab_pgmem100k'] = process.argv.slice(2);
const breadths = (process.env.BREADTHS ?? '400,200,100,40').split(',').map(Number);
const database = await openLabSchema(schema, 2);
const pool = database.pool;
const dim = LOCAL_EMBEDDER_DIMENSION;
const K = 200;
// 60 stored vectors as queries, spread over the store.
const queries: string[] = [];
for (let i = 0; i < 60; i++) {
  const { rows } = await pool.query<{ v: string }>(
    'SELECT embedding::text AS v FROM memories WHERE tenant_id = $1 AND id = $2',
    [BENCH_TENANT, `mem-${i * 1601 + 7}`],
  );
  queries.push(rows[0]!.v);
}
const sql = `SELECT ${MEMORY_COLUMNS}, m.embedding::vector(${dim}) <=> $1::vector(${dim}) AS distance
  FROM memories m WHERE m.embedder_id = $2 AND m.embedding_dim = ${dim} AND m.tenant_id = $3
    AND m.tier = ANY($4::text[])
  ORDER BY distance LIMIT ${K}`;
const params = (vector: string) => [
  vector,
  LOCAL_EMBEDDER_ID,
  BENCH_TENANT,
  ['working', 'episodic', 'semantic'],
];

async function search(
  vector: string,
  settings: string,
): Promise<Array<{ id: string; distance: number }>> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN; ${settings}`);
    const { rows } = await client.query<{ id: string; distance: number }>(sql, params(vector));
    await client.query('COMMIT');
    return rows.sort((a, b) => a.distance - b.distance);
  } finally {
    client.release();
  }
}

// The exact top 200: no index scan.
const exact: string[][] = [];
for (const vector of queries)
  exact.push((await search(vector, 'SET LOCAL enable_indexscan = off')).map((row) => row.id));
for (const breadth of breadths) {
  const settings = `SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${breadth}`;
  const samples: number[] = [];
  let top10 = 0;
  let top200 = 0;
  for (let pass = 0; pass < 2; pass++)
    for (const [i, vector] of queries.entries()) {
      const started = performance.now();
      const found = (await search(vector, settings)).map((row) => row.id);
      if (pass === 0) continue; // the first pass warms the caches
      samples.push(performance.now() - started);
      const first10 = new Set(found.slice(0, 10));
      const all = new Set(found);
      top10 += exact[i]!.slice(0, 10).filter((id) => first10.has(id)).length / 10;
      top200 += exact[i]!.filter((id) => all.has(id)).length / K;
    }
  console.log(
    `breadth ${String(breadth).padStart(4)}  p50 ${quantile(samples, 0.5).toFixed(1)} p95 ${quantile(samples, 0.95).toFixed(1)} ms` +
      `  exact top 10 found ${(top10 / queries.length).toFixed(3)}, top 200 ${(top200 / queries.length).toFixed(3)}`,
  );
}
await database.close();
