// Lab runner: the real evaluation (SQLite in a temp dir, MemoryService, RecallService) with a
// disk-backed vector cache in front of the local embedder, so repeated runs skip the model.
// Run: npx tsx bench/lab/run-eval.ts [conv-26 …]   (tuning overrides as JSON in LAB_TUNING)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/domain/logger.js';
import type { Embedder } from '../../src/ports/embedder.js';
import { createLocalEmbedder } from '../../src/providers/local-embedder.js';
import { createMemoryService } from '../../src/memory/memory-service.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import { createRecallService, type RecallTuning } from '../../src/memory/recall/recall-service.js';
import { DEFAULT_WEIGHTS } from '../../src/memory/recall/fusion.js';
import { loadLocomoFile } from '../../src/eval/locomo-data.js';
import { formatLocomoReport, runLocomoEval } from '../../src/eval/locomo-eval.js';
import { CACHE_PATH, loadVectorCache } from './embed-cache.js';

const logger = createLogger('warn');
const cache = loadVectorCache();
let dirty = false;
const inner = createLocalEmbedder({ logger, threads: 1, batchSize: 32 });
const embedder: Embedder = {
  id: inner.id,
  dimension: 512,
  async embed(texts) {
    const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
    if (missing.length > 0) {
      const vecs = await inner.embed(missing);
      missing.forEach((t, i) => cache.set(t, vecs[i]!));
      dirty = true;
    }
    return texts.map((t) => cache.get(t)!);
  },
  close: () => inner.close(),
};

const names = process.argv.slice(2);
const files = (
  names.length > 0 ? names : ['conv-26', 'conv-30', 'conv-41', 'conv-42', 'conv-43']
).map((n) => `/work/shared/data/locomo/${n}.json`);
const overrides = JSON.parse(process.env['LAB_TUNING'] ?? '{}') as Partial<RecallTuning> & {
  w?: Partial<typeof DEFAULT_WEIGHTS>;
};
const tuning: Partial<RecallTuning> = {
  ...overrides,
  weights: { ...DEFAULT_WEIGHTS, ...(overrides.w ?? {}) },
};
const dir = mkdtempSync(join(tmpdir(), 'engram-lab-'));
const database = openSqlite({ path: join(dir, 'engram.db') });
const store = new SqliteMemoryStore(database.db);
const memory = createMemoryService({
  store,
  embedder,
  clock: systemClock,
  logger,
  settings: {
    wmMaxTurns: 10,
    emDistillEveryNTurns: 5,
    promotionSalienceThreshold: 0.8,
    salienceHalfLifeHours: 168,
    sessionTtlSeconds: 7 * 86400,
  },
});
const recall = createRecallService({
  store,
  embedder,
  clock: systemClock,
  logger,
  salienceHalfLifeHours: 168,
  classifier: createIntentClassifier({ mode: 'rules', cacheSize: 1000 }),
  tuning,
});
try {
  const convs = await Promise.all(files.map((f) => loadLocomoFile(f)));
  const report = await runLocomoEval(convs, { memory, recall, baseline: 'bm25' });
  process.stdout.write(`${formatLocomoReport(report)}\n`);
  if (process.env['LAB_JSON'])
    writeFileSync(process.env['LAB_JSON'], JSON.stringify(report, null, 2));
} finally {
  await memory.close();
  await embedder.close();
  database.close();
  rmSync(dir, { recursive: true, force: true });
  if (dirty) {
    const out: Record<string, number[]> = {};
    for (const [k, v] of cache) out[k] = Array.from(v, (x) => Math.round(x * 1e6) / 1e6);
    writeFileSync(CACHE_PATH, JSON.stringify(out));
  }
}
