// Lab: the first vector search after a restart, which loads a scope's sign-bit index from the
// file, on a kept store of memories (filled first if empty; then run it again for the load).
//   tsx bench/built.ts bench/lab/index-load.ts <file> <memories>
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { LOCAL_EMBEDDER_DIMENSION, LOCAL_EMBEDDER_ID } from '../../src/providers/local-embedder.js';
import { fillMemories } from '../suites/scale.js';
import { BENCH_TENANT } from '../suites/synthetic-store.js';
import { VectorBank } from '../suites/vector-bank.js';

const [path = '/work/lab/load.db', size = '300000'] = process.argv.slice(2);
const database = openSqlite({ path });
const store = new SqliteMemoryStore(database.db);
const { n } = database.db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number };
if (n === 0) {
  await fillMemories(store, new VectorBank(LOCAL_EMBEDDER_DIMENSION), Number(size), console.log);
} else {
  const started = performance.now();
  await store.searchVector({
    tenantId: BENCH_TENANT,
    vector: new Float32Array(LOCAL_EMBEDDER_DIMENSION).fill(0.1),
    embedderId: LOCAL_EMBEDDER_ID,
    k: 10,
  });
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(
    `${n} memories: first search ${(performance.now() - started).toFixed(0)} ms, rss ${rss.toFixed(0)} MB`,
  );
}
database.close();
