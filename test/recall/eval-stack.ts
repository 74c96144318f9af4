// The services an evaluation runs on, for the evaluation tests: a SQLite memory store in a file,
// MemoryService and RecallService with the hashing embedder and the evaluation's settings.
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { SqliteMemoryStore } from '../../src/adapters/sqlite/memory-store.js';
import { systemClock } from '../../src/domain/clock.js';
import { createSilentLogger } from '../../src/domain/logger.js';
import { createMemoryService, type MemoryService } from '../../src/memory/memory-service.js';
import { createIntentClassifier } from '../../src/memory/recall/intent.js';
import { createRecallService, type RecallService } from '../../src/memory/recall/recall-service.js';
import { createHashingEmbedder } from '../memory/hashing-embedder.js';

export interface EvalStack {
  store: SqliteMemoryStore;
  memory: MemoryService;
  recall: RecallService;
  close: () => Promise<void>;
}

export function openEvalStack(path: string): EvalStack {
  const database = openSqlite({ path });
  const store = new SqliteMemoryStore(database.db);
  const embedder = createHashingEmbedder();
  const logger = createSilentLogger();
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
      sessionTtlSeconds: 86_400,
    },
  });
  const recall = createRecallService({
    store,
    embedder,
    clock: systemClock,
    logger,
    salienceHalfLifeHours: 168,
    classifier: createIntentClassifier({ mode: 'rules', cacheSize: 10 }),
  });
  return {
    store,
    memory,
    recall,
    close: async () => {
      await memory.close();
      database.close();
    },
  };
}
