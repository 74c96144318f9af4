// Lab: memory text search tenant-wide on a kept store (its plan) against the plain OR query's
// bm25() ranking of every match: time, and the share of each top 10 and top K they hold in common.
//   K=200 tsx bench/lab/memory-text-plan.ts <dir of a recall-parts.ts store>
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { ftsQuery } from '../../src/adapters/sqlite/memory-text-search.js';
import { quantile } from '../harness.js';
import { BENCH_TENANT, searchQueries } from '../suites/synthetic-store.js';

const database = openSqlite({ path: join(process.argv[2]!, 'engram.db') });
const memories = new SqliteMemoryStore(database.db);
const plain = database.db.prepare(
  `SELECT m.id FROM memories_fts f JOIN memories m ON m.pk = (f.rowid & ${(1n << 33n) - 1n})
   WHERE memories_fts MATCH ? ORDER BY bm25(memories_fts), m.pk LIMIT ?`,
);
const K = Number(process.env.K ?? 200);
const ms: number[] = [];
const agree10: number[] = [];
const agreeK: number[] = [];
for (const [i, q] of searchQueries(100).entries()) {
  const t = performance.now();
  const hits = await memories.searchText({ tenantId: BENCH_TENANT, query: q, k: K });
  ms.push(performance.now() - t);
  const ref = (plain.all(ftsQuery(q), K) as Array<{ id: string }>).map((r) => r.id);
  const got = hits.map((h) => h.memory.id);
  const share = (n: number) =>
    got.slice(0, n).filter((id) => new Set(ref.slice(0, n)).has(id)).length /
    Math.min(n, ref.length || 1);
  agree10.push(share(10));
  agreeK.push(share(K));
  if (share(K) < 1)
    console.log(
      i,
      q,
      `top10 ${share(10).toFixed(2)} top${K} ${share(K).toFixed(3)} ${ms.at(-1)!.toFixed(1)} ms`,
    );
}
const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(
  `k=${K}: p50 ${quantile(ms, 0.5).toFixed(1)} p95 ${quantile(ms, 0.95).toFixed(1)} max ${Math.max(...ms).toFixed(1)} ms; top 10 shared ${mean(agree10).toFixed(3)}, top ${K} shared ${mean(agreeK).toFixed(3)}`,
);
database.close();
