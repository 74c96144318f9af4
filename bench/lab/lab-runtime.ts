// Lab setup shared by run-eval.ts and tune.ts: a SQLite store in a temp dir, MemoryService with
// the evaluation's settings, and the local embedder behind a disk-backed vector cache (so
// repeated runs skip the model).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger, type Logger } from '../../src/domain/logger.js';
import type { Embedder } from '../../src/ports/embedder.js';
import { createLocalEmbedder } from '../../src/providers/local-embedder.js';
import { createMemoryService, type MemoryService } from '../../src/memory/memory-service.js';
import { DEFAULT_WEIGHTS, type FusionWeights } from '../../src/memory/recall/fusion.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import {
  createRecallService,
  type RecallService,
  type RecallTuning,
} from '../../src/memory/recall/recall-service.js';
import { appendVectorCache, loadVectorCache } from './embed-cache.js';

/** Recall tuning as the lab writes it: weights under `w` override the defaults one by one. */
export type LabTuning = Partial<RecallTuning> & { w?: Partial<FusionWeights> };

export interface Lab {
  logger: Logger;
  store: SqliteMemoryStore;
  embedder: Embedder;
  memory: MemoryService;
  /** A RecallService over the lab's store with this tuning. */
  recall(tuning: LabTuning): RecallService;
  close(): Promise<void>;
}

export function openLab(): Lab {
  const logger = createLogger('warn');
  const cache = loadVectorCache();
  const inner = createLocalEmbedder({
    logger,
    threads: Number(process.env['LAB_THREADS'] ?? 1),
    batchSize: 32,
  });
  const embedder: Embedder = {
    id: inner.id,
    dimension: 512,
    async embed(texts) {
      const missing = [...new Set(texts.filter((t) => !cache.has(t)))];
      if (missing.length > 0) {
        const vecs = await inner.embed(missing);
        missing.forEach((t, i) => cache.set(t, vecs[i]!));
        appendVectorCache(cache, missing);
      }
      return texts.map((t) => cache.get(t)!);
    },
    close: () => inner.close(),
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
      emDistillEveryNTurns: Number(process.env['LAB_DISTILL_EVERY'] ?? 5),
      promotionSalienceThreshold: 0.8,
      salienceHalfLifeHours: 168,
      sessionTtlSeconds: 7 * 86400,
    },
  });
  return {
    logger,
    store,
    embedder,
    memory,
    recall: (tuning) =>
      createRecallService({
        store,
        embedder,
        clock: systemClock,
        logger,
        salienceHalfLifeHours: 168,
        classifier: createIntentClassifier({ mode: 'rules', cacheSize: 1000 }),
        tuning: { ...tuning, weights: { ...DEFAULT_WEIGHTS, ...(tuning.w ?? {}) } },
      }),
    async close() {
      await memory.close();
      await embedder.close();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
