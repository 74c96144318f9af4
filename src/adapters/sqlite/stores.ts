// Builds every SQLite-backed port on one database file.
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import type { Stores } from '../../ports/stores.js';
import { openSqlite } from './database.js';
import { createSqliteDocumentStore } from './document-store.js';
import { createSqliteGraphStore } from './graph-store.js';
import { createSqliteJobQueue } from './job-queue.js';
import { SqliteMemoryStore } from './memory-store.js';
import { createSqliteSearchThreads } from './search-threads.js';
import { createSqliteMetricSeriesStore } from './metric-series-store.js';
import { createSqliteStoreTransaction } from './store-transaction.js';
import { createSqliteUnmappedStore } from './unmapped-store.js';
import { startWalCheckpoints } from './wal-checkpoints.js';
import { join, resolve } from 'node:path';

export function sqlitePathFor(config: Config): string {
  return resolve(join(config.dataDir, 'engram.db'));
}

export function createSqliteStores(config: Config, clock: Clock, logger: Logger): Stores {
  const database = openSqlite({ path: sqlitePathFor(config) });
  const { db } = database;
  const searchThreads = createSqliteSearchThreads({ db, threads: config.searchThreads, logger });
  const checkpoints = startWalCheckpoints({ db, logger });
  const documentStore = createSqliteDocumentStore({
    db,
    clock,
    searchThreads,
  });
  const graphStore = createSqliteGraphStore(db);
  return {
    backend: 'sqlite',
    jobQueue: createSqliteJobQueue(db, clock, {
      backoffBaseMs: config.jobBackoffBaseMs,
      backoffMaxMs: config.jobBackoffMaxMs,
      defaultMaxAttempts: config.jobMaxAttempts,
    }),
    memoryStore: new SqliteMemoryStore(db, { searchThreads }),
    documentStore,
    graphStore,
    metricSeries: createSqliteMetricSeriesStore(db),
    unmapped: createSqliteUnmappedStore(db),
    transaction: createSqliteStoreTransaction(db, { documentStore, graphStore }),
    ping: async () => {
      db.prepare('SELECT 1').get();
    },
    close: async () => {
      await searchThreads?.close();
      await checkpoints?.close();
      database.close();
    },
  };
}
