// Lab: ingest BEAM as the eval does (one runtime, search threads on; or open a kept store,
// BEAM_STORE), then recall every question there and in a second runtime on the same file without
// search threads, comparing the two recalls whole, and each memory text search of the first with
// the same search on the ingesting connection and on a fresh one; prints what differs.
//   [BEAM_STORE=<dir>] tsx bench/lab/beam-thread-diff.ts <conversation dirs…>
import { mkdtempSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createRuntime } from '../../src/runtime.js';
import { loadBeamConversation } from '../../src/eval/beam-data.js';
import { ingestBeam } from '../../src/eval/beam-eval.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import type { MemoryHit } from '../../src/ports/memory-store.js';
import type { MemoryTextQuery } from '../../src/adapters/sqlite/memory-text-search.js';

const kept = process.env.BEAM_STORE;
const dir = kept ?? mkdtempSync(join(tmpdir(), 'beam-diff-'));
const conversations = await Promise.all(process.argv.slice(2).map((d) => loadBeamConversation(d)));
const config = loadConfig({ env: { ENGRAM_DATA_DIR: dir } });
const runtime = await createRuntime(config, { logger: createSilentLogger() });
const ingested =
  kept === undefined
    ? await ingestBeam(conversations, { memory: runtime.memory, tenantId: 'default' })
    : conversations.map((conv) => ({ conv, userId: conv.name }));
console.log('ingested', dir);
// The same store through a runtime without search threads: its recall is compared whole.
const local = await createRuntime(
  loadConfig({ env: { ENGRAM_DATA_DIR: dir, ENGRAM_SEARCH_THREADS: '0' } }),
  { logger: createSilentLogger() },
);

const store = runtime.stores.memoryStore as SqliteMemoryStore;
const threaded = store.searchText.bind(store);
const ingesting = (store as unknown as { textSearch: { search(q: MemoryTextQuery): MemoryHit[] } })
  .textSearch;
const fresh = new SqliteMemoryStore(openSqlite({ path: `${dir}/engram.db` }).db);
const ids = (h: MemoryHit[]) =>
  isDeepStrictEqual(h, JSON.parse(JSON.stringify(h)))
    ? JSON.stringify(h)
    : `not plain data: ${JSON.stringify(h)}`;
let searches = 0;
const differ = { ingesting: 0, fresh: 0 };
store.searchText = async (input: MemoryTextQuery) => {
  const a = await threaded(input);
  const b = ingesting.search(input);
  const c = await fresh.searchText(input);
  searches++;
  if (ids(a) !== ids(b)) differ.ingesting++;
  if (ids(a) !== ids(c)) differ.fresh++;
  if (ids(a) !== ids(b) || ids(a) !== ids(c)) {
    console.log(
      JSON.stringify({ user: input.userId, query: input.query.slice(0, 100), k: input.k }),
      '\n  thread',
      a.length,
      a.slice(0, 3).map((x) => [x.memory.id.slice(0, 8), x.score.toFixed(4)]),
      '\n  ingesting',
      b.length,
      b.slice(0, 3).map((x) => [x.memory.id.slice(0, 8), x.score.toFixed(4)]),
      '\n  fresh',
      c.length,
      c.slice(0, 3).map((x) => [x.memory.id.slice(0, 8), x.score.toFixed(4)]),
    );
  }
  return a;
};
let recalls = 0;
let recallsDiffer = 0;
for (const { conv, userId } of ingested)
  for (const q of conv.questions) {
    const input = { tenantId: 'default', userId, query: q.question, k: 25 };
    const a = await runtime.recall.recall(input);
    const b = await local.recall.recall(input);
    recalls++;
    const order = (r: typeof a) => r.items.map((i) => i.id).join(',');
    if (order(a) !== order(b)) {
      recallsDiffer++;
      console.log('recall differs', userId, q.question.slice(0, 80));
    }
  }
console.log(
  'searches',
  searches,
  'differ from the thread: ingesting',
  differ.ingesting,
  'fresh',
  differ.fresh,
);
console.log('recalls', recalls, 'differ', recallsDiffer);
await runtime.close();
await local.close();
