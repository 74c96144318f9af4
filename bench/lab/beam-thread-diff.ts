// Lab: ingest BEAM into a kept store, then compare every question's whole-query memory text
// search on the search threads and on the calling thread (store kept in /work/lab/beamstore).
//   tsx bench/lab/beam-thread-diff.ts <conversation dirs…>
import { existsSync } from 'node:fs';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import { ingestBeam } from '../../src/eval/beam-eval.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { textQuery } from '../../src/memory/recall/recall-candidates.js';
import { MEMORY_TIERS } from '../../src/ports/memory-store.js';

const dir = '/work/lab/beamstore';
const dirs = process.argv.slice(2);
const conversations = await Promise.all(dirs.map((d) => loadBeamConversation(d)));
if (!existsSync(`${dir}/engram.db`)) {
  const config = loadConfig({ env: { ENGRAM_DATA_DIR: dir } });
  const runtime = await createRuntime(config, { logger: createSilentLogger() });
  await ingestBeam(conversations, { memory: runtime.memory, tenantId: 'default' });
  await runtime.close();
  console.log('ingested');
}
const { createSqliteSearchThreads } = await import('../../src/adapters/sqlite/search-threads.js');
const database = openSqlite({ path: `${dir}/engram.db` });
const threads = createSqliteSearchThreads({
  db: database.db,
  threads: 2,
  logger: createSilentLogger(),
});
const threaded = new SqliteMemoryStore(database.db, { searchThreads: threads });
const local = new SqliteMemoryStore(database.db);
let differ = 0;
let total = 0;
for (const conv of conversations) {
  for (const q of conv.questions) {
    const input = {
      tenantId: 'default',
      userId: conv.name,
      tiers: [...MEMORY_TIERS],
      query: textQuery(q.question),
      k: 200,
    };
    const a = await threaded.searchText(input);
    const b = await local.searchText(input);
    total++;
    const ids = (h: typeof a) => h.map((x) => `${x.memory.id}:${x.score.toFixed(6)}`).join(',');
    if (ids(a) !== ids(b)) {
      differ++;
      if (differ <= 5)
        console.log(
          conv.name,
          JSON.stringify(input.query).slice(0, 120),
          'thread',
          a.length,
          a.slice(0, 3).map((x) => [x.memory.id, x.score]),
          'local',
          b.length,
          b.slice(0, 3).map((x) => [x.memory.id, x.score]),
        );
    }
  }
}
console.log('differ', differ, 'of', total);
await threads?.close();
database.close();
