// Lab: where one user's memory vector search (k=200) spends its time on a kept 1M store: the
// index (sign bits through the user's chains, int8 copies), the exact scores in SQL, the rows.
//   USER_ID=user-7 K=200 tsx bench/lab/user-vector-parts.ts <dir of a recall-parts.ts store>
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { hitsOf } from '../../src/adapters/sqlite/memory-rows.js';
import { vectorBlob } from '../../src/adapters/sqlite/vector-blob.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { random } from '../../test/telemetry/generate.js';
import { quantile } from '../harness.js';
import { BENCH_TENANT, nearby } from '../suites/synthetic-store.js';
import { candidateLimit } from '../../src/adapters/sqlite/sign-bit-index.js';
import type { SignedVectors } from '../../src/adapters/sqlite/signed-vectors.js';

const database = openSqlite({ path: join(process.argv[2]!, 'engram.db') });
const db = database.db;
const memories = new SqliteMemoryStore(db);
const userId = process.env.USER_ID ?? 'user-7';
const K = Number(process.env.K ?? 200);
const next = random(5);
const pick = db.prepare('SELECT vector FROM memory_vectors WHERE id = ?');
const qv = Array.from({ length: 100 }, () => {
  const row = pick.get(1 + Math.floor(next() * 1_000_000)) as { vector: Buffer };
  return nearby(
    new Float32Array(
      row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength),
    ),
    1,
    next,
  );
});
// The store's own index (a private field: this lab times its parts one by one).
const vectors = (memories as unknown as { vectors: { vectors: SignedVectors } }).vectors.vectors;
const parts: Record<string, number[]> = { nearest: [], exact: [], hits: [], whole: [], kept: [] };
const rank =
  db.prepare(`SELECT v.memory_pk AS pk, 1 - vec_distance_cosine(v.vector, ?) AS score FROM json_each(?) c CROSS JOIN memory_vectors v ON v.id = c.value
  WHERE v.embedder_id = ? AND v.tenant_id = ? ORDER BY score DESC, v.memory_pk LIMIT ?`);
for (let pass = 0; pass < 2; pass++) {
  for (const k of Object.keys(parts)) parts[k] = [];
  for (const vector of qv) {
    let t = performance.now();
    await memories.searchVector({
      tenantId: BENCH_TENANT,
      userId,
      vector,
      embedderId: LOCAL_EMBEDDER_ID,
      k: K,
    });
    parts.whole!.push(performance.now() - t);
    t = performance.now();
    const index = vectors.index([BENCH_TENANT, LOCAL_EMBEDDER_ID], LOCAL_EMBEDDER_DIMENSION);
    const found = index.nearest(
      vector,
      { keys: [[userId], undefined, undefined] },
      { k: K, limit: candidateLimit(K) },
    );
    parts.nearest!.push(performance.now() - t);
    parts.kept!.push(found.ids.length);
    t = performance.now();
    const ranked = rank.all(
      vectorBlob(vector),
      JSON.stringify(found.ids),
      LOCAL_EMBEDDER_ID,
      BENCH_TENANT,
      K,
    ) as Array<{ pk: number; score: number }>;
    parts.exact!.push(performance.now() - t);
    t = performance.now();
    hitsOf(db, ranked);
    parts.hits!.push(performance.now() - t);
  }
  console.log(
    Object.entries(parts)
      .map(([k, v]) => `${k} ${quantile(v, 0.5).toFixed(2)}/${quantile(v, 0.95).toFixed(2)}`)
      .join('  '),
  );
}
database.close();
