// Lab: how pgvector's HNSW build settings (m, ef_construction) and search breadth (ef_search)
// find the exact top 10 of the scale suite's clustered vectors, and what they cost: build time,
// time a query, time a row inserted into the built index. A store of ROWS vectors (250k) around
// CENTRES topics (64: about 3,900 to a topic, as the scale suite's 1M store has around 256),
// 100 queries near stored vectors (the suite's `nearby`), the exact top 10 by a scan in this
// process. Kept schema lab_hnsw_graph (filled once; DROP SCHEMA to refill). KEEP=1 searches an
// index a run left (built with the one build asked for) instead of building it again, and inserts
// nothing: to measure the same graph under another server setting (shared_buffers). Each breadth
// runs its queries PASSES times (2): the first pass reads what the server has not cached. A run
// without KEEP inserts 2,000 rows and deletes them, which stay in the graph until a VACUUM.
// FORM=halfvec indexes and orders the vectors in half precision (`embedding::halfvec`), as
// pgvector.ts's hnswForm says which form a store's index takes.
//   tsx bench/lab/pg-hnsw-graph.ts   (env: ROWS, CENTRES, BUILDS='16/64,32/128', BREADTHS='100,200,400,1000', KEEP, PASSES, FORM=vector)
import pg from 'pg';
import { vectorLiteral } from '../../src/adapters/postgres/pgvector.js';
import { LOCAL_EMBEDDER_DIMENSION } from '../../src/providers/local-embedder.js';
import { POSTGRES_URL } from '../../test/support/backends.js';
import { random } from '../../test/telemetry/generate.js';
import { quantile } from '../harness.js';
import { clusteredVectors, nearby } from '../suites/synthetic-store.js';
import { VectorBank } from '../suites/vector-bank.js';

const ROWS = Number(process.env.ROWS ?? 250_000);
const CENTRES = Number(process.env.CENTRES ?? 64);
const BUILDS = (process.env.BUILDS ?? '16/64,32/128').split(',').map((pair) => {
  const [m, efc] = pair.split('/').map(Number);
  return { m: m!, efc: efc! };
});
const BREADTHS = (process.env.BREADTHS ?? '100,200,400,1000').split(',').map(Number);
const KEEP = process.env.KEEP === '1';
const PASSES = Number(process.env.PASSES ?? 2);
if (!Number.isInteger(PASSES) || PASSES < 1)
  throw new Error(`PASSES=${process.env.PASSES}: a count`);
// A kept index is one graph: which build made it is not recorded, so one build is named.
if (KEEP && BUILDS.length !== 1) throw new Error('KEEP=1 searches one kept graph: name one build');
const INSERTED = KEEP ? 0 : 2_000;
const dim = LOCAL_EMBEDDER_DIMENSION;
const FORM = process.env.FORM ?? 'vector';
if (FORM !== 'vector' && FORM !== 'halfvec') throw new Error(`FORM=${FORM}: vector or halfvec`);
const indexed = `embedding::${FORM}(${dim})`;

const pool = new pg.Pool({
  connectionString: process.env.ENGRAM_BENCH_DATABASE_URL ?? POSTGRES_URL,
  max: 1,
  options: '-c search_path=lab_hnsw_graph,public -c statement_timeout=0',
});
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;

// The same vectors every run: the bank is refilled from the generator, the table only if empty.
const next = clusteredVectors(7, CENTRES);
const bank = new VectorBank(dim);
await pool.query('CREATE SCHEMA IF NOT EXISTS lab_hnsw_graph');
await pool.query(
  `CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, embedding vector(${dim}) NOT NULL)
   WITH (toast_tuple_target = 8160)`,
);
const { rows: held } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM items');
const fill = held[0]!.n === 0;
for (let from = 0; from < ROWS; from += 1000) {
  const ids: number[] = [];
  const vectors: string[] = [];
  for (let id = from; id < Math.min(ROWS, from + 1000); id++) {
    const vector = next();
    bank.add(String(id), vector);
    ids.push(id);
    vectors.push(vectorLiteral(vector));
  }
  if (fill)
    await pool.query('INSERT INTO items SELECT unnest($1::int[]), unnest($2::vector[])', [
      ids,
      vectors,
    ]);
}
if (fill) await pool.query('VACUUM ANALYZE items');
const pick = random(11);
const queries = Array.from({ length: 100 }, () =>
  nearby(bank.vector(Math.floor(pick() * ROWS)), 1, pick),
);
const exact = bank.exactTop(queries, 10);
const extra = Array.from({ length: INSERTED }, () => vectorLiteral(next()));
const { rows: settings } = await pool.query<{ shared_buffers: string }>('SHOW shared_buffers');
console.log(
  `${ROWS} vectors around ${CENTRES} topics; ${queries.length} queries; shared_buffers ${settings[0]!.shared_buffers}`,
);

for (const { m, efc } of BUILDS) {
  let built = 'kept';
  const { rows: kept } = await pool.query(
    "SELECT 1 FROM pg_indexes WHERE schemaname = 'lab_hnsw_graph' AND indexname = 'items_hnsw'",
  );
  if (!KEEP || kept.length === 0) {
    await pool.query('DROP INDEX IF EXISTS items_hnsw');
    await pool.query(`SET maintenance_work_mem = '4GB'; SET max_parallel_maintenance_workers = 1`);
    const start = process.hrtime.bigint();
    await pool.query(
      `CREATE INDEX items_hnsw ON items USING hnsw ((${indexed}) ${FORM}_cosine_ops)
       WITH (m = ${m}, ef_construction = ${efc})`,
    );
    built = `build ${(ms(start) / 1000).toFixed(0)} s`;
  }
  {
    const { rows: size } = await pool.query<{ mb: number }>(
      "SELECT (pg_relation_size('items_hnsw') / 1048576)::int AS mb",
    );
    built = `${FORM}, ${built}, ${size[0]!.mb} MB`;
  }
  for (const breadth of BREADTHS) {
    await pool.query(`SET hnsw.ef_search = ${breadth}`);
    for (let pass = 1; pass <= PASSES; pass++) {
      const times: number[] = [];
      let found = 0;
      for (const [i, query] of queries.entries()) {
        const start = process.hrtime.bigint();
        const { rows } = await pool.query<{ id: number }>(
          `SELECT id FROM items ORDER BY ${indexed} <=> $1::${FORM}(${dim}) LIMIT 10`,
          [vectorLiteral(query)],
        );
        times.push(ms(start));
        found += rows.filter((row) => exact[i]!.has(String(row.id))).length;
      }
      console.log(
        `m ${m} ef_construction ${efc}: ${built}; ef_search ${breadth}, pass ${pass}: ` +
          `recall@10 ${(found / (10 * queries.length)).toFixed(3)}, ` +
          `p50/p95 ${quantile(times, 0.5).toFixed(1)} / ${quantile(times, 0.95).toFixed(1)} ms`,
      );
    }
  }
  if (INSERTED === 0) continue;
  const inserting = process.hrtime.bigint();
  for (const [i, vector] of extra.entries())
    await pool.query('INSERT INTO items VALUES ($1, $2::vector)', [ROWS + i, vector]);
  console.log(
    `m ${m} ef_construction ${efc}: ${((ms(inserting) * 1000) / INSERTED).toFixed(0)} µs per row inserted one at a time (${INSERTED} rows)`,
  );
  await pool.query('DELETE FROM items WHERE id >= $1', [ROWS]);
}
bank.close();
await pool.end();
