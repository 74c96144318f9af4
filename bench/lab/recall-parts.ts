// Lab: where recall spends its time on a kept store of memories (fills it first if empty); each
// phase of the recalls timed again is printed as p50/p95.
//   tsx bench/lab/recall-parts.ts <dir> <memories>   (env: SEARCH_THREADS, K, WARM, SAMPLES, QUERIES,
//   USERS: the users the fill spreads the memories over, 100 by default; USER_ID: the one timed, user-7)
//   BACKEND=postgres tsx bench/lab/recall-parts.ts <schema> <memories>   (ENGRAM_BENCH_DATABASE_URL)
import { join } from 'node:path';
import { PostgresMemoryStore } from '../../src/adapters/postgres/memory-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { createSqliteSearchThreads } from '../../src/adapters/sqlite/search-threads.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import { createRecallService } from '../../src/memory/recall/recall-service.js';
import type { MemoryStore } from '../../src/ports/memory-store.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { random } from '../../test/telemetry/generate.js';
import { quantile } from '../harness.js';
import { openLabSchema } from './pg-lab-schema.js';
import { fillMemories } from '../suites/scale.js';
import { BENCH_TENANT, nearby, searchQueries, VOCABULARY } from '../suites/synthetic-store.js';
import { VectorBank } from '../suites/vector-bank.js';

const [where = '/work/lab/db1m', sizeArg = '1000000'] = process.argv.slice(2);
const size = Number(sizeArg);

interface LabStore {
  memories: MemoryStore;
  count(): Promise<number>;
  /** The stored vector of memory `mem-<i>`. */
  vectorOf(i: number): Promise<Float32Array>;
  /** Brings the planner's statistics up to date after a fill (as the scale bench does). */
  analyze(): Promise<void>;
  close(): Promise<void>;
}

async function openSqliteLab(dir: string): Promise<LabStore> {
  const database = openSqlite({ path: join(dir, 'engram.db') });
  // SEARCH_THREADS: full-text search threads (ENGRAM_SEARCH_THREADS), 0 by default here.
  const searchThreads = createSqliteSearchThreads({
    db: database.db,
    threads: Number(process.env.SEARCH_THREADS ?? 0),
    logger: createSilentLogger(),
  });
  const pick = database.db.prepare('SELECT vector FROM memory_vectors WHERE id = ?');
  return {
    memories: new SqliteMemoryStore(database.db, { searchThreads }),
    count: async () =>
      (database.db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number }).n,
    vectorOf: async (i) => {
      const row = pick.get(i + 1) as { vector: Buffer };
      return new Float32Array(row.vector.buffer, row.vector.byteOffset, LOCAL_EMBEDDER_DIMENSION);
    },
    analyze: async () => undefined,
    close: async () => {
      await searchThreads?.close();
      database.close();
    },
  };
}

async function openPostgresLab(schema: string): Promise<LabStore> {
  const database = await openLabSchema(schema);
  const pool = database.pool;
  return {
    memories: new PostgresMemoryStore(pool),
    count: async () =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM memories')).rows[0]!.n,
    vectorOf: async (i) => {
      const { rows } = await pool.query<{ v: string }>(
        'SELECT embedding::text AS v FROM memories WHERE tenant_id = $1 AND id = $2',
        [BENCH_TENANT, `mem-${i}`],
      );
      return Float32Array.from(JSON.parse(rows[0]!.v) as number[]);
    },
    analyze: async () => {
      await pool.query('VACUUM (ANALYZE) memories'); // as autovacuum would (synthetic-store.ts)
    },
    close: () => database.close(),
  };
}

const lab =
  process.env.BACKEND === 'postgres' ? await openPostgresLab(where) : await openSqliteLab(where);
const memories = lab.memories;
const bank = new VectorBank(LOCAL_EMBEDDER_DIMENSION);
if ((await lab.count()) === 0) {
  await fillMemories(memories, bank, size, (m) => console.log(m), Number(process.env.USERS ?? 100));
  await lab.analyze();
}
const next = random(size);
// QUERIES=common: questions whose every word is a common one (each in ~4% of the memories), the
// case a full-text plan cannot select by a rare term.
const queries =
  process.env.QUERIES === 'common'
    ? Array.from({ length: 100 }, (_, i) => {
        const pick = random(5000 + i);
        const words = Array.from(
          { length: 2 + (i % 3) },
          () => VOCABULARY[Math.floor(pick() * VOCABULARY.length)]!,
        );
        return `what about ${words.join(' ')}?`;
      })
    : searchQueries(100);
const probe: Float32Array[] = [];
for (let i = 0; i < 2000; i++) probe.push(await lab.vectorOf(Math.floor(next() * size)));
const qv = queries.map(() => nearby(probe[Math.floor(next() * probe.length)]!, 1, next));
let current = qv[0]!;
const embedder = {
  id: LOCAL_EMBEDDER_ID,
  dimension: LOCAL_EMBEDDER_DIMENSION,
  embed: async (texts: string[]) => texts.map(() => current),
  close: async () => undefined,
};
const recall = createRecallService({
  store: memories,
  embedder,
  classifier: createIntentClassifier({ mode: 'rules', cacheSize: 1000 }),
  clock: systemClock,
  logger: createSilentLogger(),
  salienceHalfLifeHours: 168,
});

async function time(name: string, run: (i: number) => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < queries.length; i++) {
    current = qv[i]!;
    const t = performance.now();
    await run(i);
    samples.push(performance.now() - t);
  }
  // SAMPLES=1: each query's time in order, in tens (where a cold start shows).
  if (process.env.SAMPLES === '1')
    for (let i = 0; i < samples.length; i += 10)
      console.log(
        `  ${i}: ${samples
          .slice(i, i + 10)
          .map((ms) => ms.toFixed(0))
          .join(' ')}`,
      );
  console.log(
    `${name.padEnd(36)} p50 ${quantile(samples, 0.5).toFixed(1)} p95 ${quantile(samples, 0.95).toFixed(1)}`,
  );
}
const K = Number(process.env.K ?? 200);
// WARM: recalls of other queries first (tenant-wide, then one user), as a server has run some.
const warm = searchQueries(100 + Number(process.env.WARM ?? 0)).slice(100);
const USER = process.env.USER_ID ?? 'user-7';
for (const userId of [undefined, USER])
  for (const query of warm) {
    current = nearby(probe[Math.floor(next() * probe.length)]!, 1, next);
    await recall.recall({
      tenantId: BENCH_TENANT,
      ...(userId === undefined ? {} : { userId }),
      query,
      k: 10,
    });
  }
for (const userId of [undefined, USER]) {
  const scope = userId === undefined ? 'tenant' : 'user';
  const base = { tenantId: BENCH_TENANT, ...(userId === undefined ? {} : { userId }) };
  await time(`${scope} recall k=10`, (i) => recall.recall({ ...base, query: queries[i]!, k: 10 }));
  await time(`${scope} vector k=${K}`, (i) =>
    memories.searchVector({ ...base, vector: qv[i]!, embedderId: LOCAL_EMBEDDER_ID, k: K }),
  );
  await time(`${scope} text k=${K}`, (i) =>
    memories.searchText({ ...base, query: queries[i]!, k: K }),
  );
  const phases: Record<string, number[]> = {};
  await time(`${scope} recall k=10 (again)`, async (i) => {
    const { timingsMs } = await recall.recall({ ...base, query: queries[i]!, k: 10 });
    for (const [phase, ms] of Object.entries(timingsMs)) (phases[phase] ??= []).push(ms);
  });
  console.log(
    Object.entries(phases)
      .map(
        ([phase, ms]) =>
          `${phase} ${quantile(ms, 0.5).toFixed(1)}/${quantile(ms, 0.95).toFixed(1)}`,
      )
      .join(', '),
  );
}
await lab.close();
