// Lab: one user's memory vector search (k = 200) on PostgreSQL, as the store does it (every
// vector of the user's rows read from the heap and scored exactly) against a sign-bit prefilter:
// the user's pgvector `binary_quantize` bits, read by an index-only scan of a side table, the
// `candidates` nearest by Hamming distance, then only those scored exactly. Reports p50 / p95
// and how many of the exact top 200 and top 10 each returns. Also two narrower rows to read: the
// user's vectors in half precision in a side table read index-only (`lab_user_halves`), the
// nearest of them scored exactly, and a covering index on the memories holding each full vector
// (`lab_user_vectors`, index-only, exact). A measurement for a choice, not the store's code: the
// side tables and the index are the lab's (built once in the schema; SIGNS=400,800 sets the
// sign-bit candidate counts).
//   BACKEND=postgres tsx bench/lab/recall-parts.ts <schema> <memories>   (fills the schema)
//   USER_ID=user-7 tsx bench/lab/pg-user-signs.ts <schema>
import { MEMORY_COLUMNS } from '../../src/adapters/postgres/memory-rows.js';
import { PostgresMemoryStore } from '../../src/adapters/postgres/memory-store.js';
import { exactDistance, vectorLiteral } from '../../src/adapters/postgres/pgvector.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { random } from '../../test/telemetry/generate.js';
import { quantile } from '../harness.js';
import { BENCH_TENANT, nearby } from '../suites/synthetic-store.js';
import { openLabSchema } from './pg-lab-schema.js';

const schema = process.argv[2] ?? 'lab_pgmem1m';
const userId = process.env.USER_ID ?? 'user-7';
const K = 200;
const dim = LOCAL_EMBEDDER_DIMENSION;
const database = await openLabSchema(schema);
const pool = database.pool;
const store = new PostgresMemoryStore(pool);

const exists = await pool.query(`SELECT to_regclass('lab_user_signs') IS NOT NULL AS built`);
if (!(exists.rows[0] as { built: boolean }).built) {
  const t0 = performance.now();
  await pool.query(`CREATE TABLE lab_user_signs AS
    SELECT tenant_id, user_id, id, tier, binary_quantize(embedding)::bit varying AS signs
    FROM memories WHERE embedder_id = '${LOCAL_EMBEDDER_ID}' AND embedding_dim = ${dim}`);
  await pool.query(
    'CREATE INDEX lab_user_signs_scope ON lab_user_signs (tenant_id, user_id) INCLUDE (tier, id, signs)',
  );
  await pool.query('VACUUM (ANALYZE) lab_user_signs');
  console.log(`side table built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const halves = await pool.query(`SELECT to_regclass('lab_user_halves') IS NOT NULL AS built`);
if (!(halves.rows[0] as { built: boolean }).built) {
  const t0 = performance.now();
  await pool.query(`CREATE TABLE lab_user_halves AS
    SELECT tenant_id, user_id, id, embedding::halfvec(${dim}) AS half
    FROM memories WHERE embedder_id = '${LOCAL_EMBEDDER_ID}' AND embedding_dim = ${dim}`);
  await pool.query(
    'CREATE INDEX lab_user_halves_scope ON lab_user_halves (tenant_id, user_id) INCLUDE (id, half)',
  );
  await pool.query('VACUUM (ANALYZE) lab_user_halves');
  console.log(`halves built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const covering = await pool.query(`SELECT to_regclass('lab_user_vectors') IS NOT NULL AS built`);
if (!(covering.rows[0] as { built: boolean }).built) {
  const t0 = performance.now();
  await pool.query(
    `CREATE INDEX lab_user_vectors ON memories (tenant_id, user_id) INCLUDE (id, embedding) WHERE embedding_dim = ${dim}`,
  );
  await pool.query('VACUUM (ANALYZE) memories');
  console.log(`covering index built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const sizes = await pool.query(
  `SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size FROM pg_class
   WHERE relname IN ('lab_user_halves', 'lab_user_halves_scope', 'lab_user_vectors', 'lab_user_signs_scope', 'memories')`,
);
console.log(
  sizes.rows.map((r: { relname: string; size: string }) => `${r.relname} ${r.size}`).join(', '),
);
const size = await pool.query<{ rows: number; users: number }>(
  `SELECT count(*)::int AS rows, count(*) FILTER (WHERE user_id = $1)::int AS users FROM lab_user_signs`,
  [userId],
);
console.log(`${size.rows[0]!.rows} rows, ${size.rows[0]!.users} of them ${userId}'s`);

// Queries near random memories of the store (as recall-parts.ts), not of the user alone.
const next = random(11);
const seeds = await pool.query<{ v: string }>(
  `SELECT embedding::text AS v FROM memories TABLESAMPLE SYSTEM (1) WHERE embedder_id IS NOT NULL LIMIT 100`,
);
const queries = seeds.rows.map((row) =>
  nearby(Float32Array.from(JSON.parse(row.v) as number[]), 1, next),
);

const exact = async (vector: Float32Array) =>
  (
    await store.searchVector({
      tenantId: BENCH_TENANT,
      userId,
      vector,
      embedderId: LOCAL_EMBEDDER_ID,
      k: K,
    })
  ).map((hit) => hit.memory.id);

/** The `candidates` nearest of a side table by `order` (its own distance), then scored exactly. */
const rescored =
  (table: string, order: string) => (candidates: number) => async (vector: Float32Array) => {
    const { rows } = await pool.query<{ id: string }>(
      `WITH near AS (
       SELECT s.id FROM ${table} s
       WHERE s.tenant_id = $2 AND s.user_id = $3
       ORDER BY ${order}
       LIMIT ${candidates})
     SELECT ${MEMORY_COLUMNS},
       ${exactDistance('m.embedding', '$1', dim)} AS distance
     FROM near JOIN memories m ON m.id = near.id
     ORDER BY distance, m.id LIMIT ${K}`,
      [vectorLiteral(vector), BENCH_TENANT, userId],
    );
    return rows.map((row) => row.id);
  };
const prefiltered = rescored(
  'lab_user_signs',
  `s.signs::bit(${dim}) <~> binary_quantize($1::vector(${dim}))::bit(${dim})`,
);
const halved = rescored('lab_user_halves', `s.half <=> $1::halfvec(${dim})`);

const coveringSearch = async (vector: Float32Array) => {
  const { rows } = await pool.query<{ id: string }>(
    `WITH near AS (
       SELECT m.id, ${exactDistance('m.embedding', '$1', dim)} AS distance FROM memories m
       WHERE m.tenant_id = $2 AND m.user_id = $3 AND m.embedding_dim = ${dim}
       ORDER BY distance, m.id LIMIT ${K})
     SELECT ${MEMORY_COLUMNS}, near.distance
     FROM near JOIN memories m ON m.id = near.id AND m.tenant_id = $2
     ORDER BY near.distance, m.id`,
    [vectorLiteral(vector), BENCH_TENANT, userId],
  );
  return rows.map((row) => row.id);
};

const truth: string[][] = [];
for (const vector of queries) truth.push(await exact(vector));

async function measure(name: string, search: (v: Float32Array) => Promise<string[]>) {
  for (const vector of queries.slice(0, 10)) await search(vector); // warm
  const ms: number[] = [];
  let at200 = 0;
  let at10 = 0;
  for (const [i, vector] of queries.entries()) {
    const t0 = performance.now();
    const ids = await search(vector);
    ms.push(performance.now() - t0);
    const want = truth[i]!;
    at200 += ids.filter((id) => want.includes(id)).length / Math.max(1, want.length);
    at10 += ids.slice(0, 10).filter((id) => want.slice(0, 10).includes(id)).length / 10;
  }
  console.log(
    `${name.padEnd(34)} p50 ${quantile(ms, 0.5).toFixed(1)} p95 ${quantile(ms, 0.95).toFixed(1)}` +
      `  top-200 found ${(at200 / queries.length).toFixed(3)}, top-10 ${(at10 / queries.length).toFixed(3)}`,
  );
}
await measure('exact (the store)', exact);
for (const candidates of (process.env.SIGNS ?? '400').split(',').map(Number))
  await measure(`signs, ${candidates} scored exactly`, prefiltered(candidates));
for (const candidates of [200, 250, 400])
  await measure(`halves, ${candidates} scored exactly`, halved(candidates));
await measure('covering index, index-only', coveringSearch);
await measure('exact (the store), again', exact);
await database.close();
