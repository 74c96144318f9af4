// Builds every PostgreSQL-backed port on one pool.
import type { Config } from '../../config/schema.js';
import type { Clock } from '../../domain/clock.js';
import type { Logger } from '../../domain/logger.js';
import type { Stores } from '../../ports/stores.js';
import { openPostgres } from './database.js';
import { createPostgresDocumentStore } from './document-store.js';
import { createPostgresGraphStore } from './graph-store.js';
import { warnIfHnswOutgrowsBuffers } from './hnsw-sizes.js';
import { createPostgresJobQueue } from './job-queue.js';
import { PostgresMemoryStore } from './memory-store.js';
import { createPostgresMetricSeriesStore } from './metric-series-store.js';
import { createPostgresStoreTransaction } from './store-transaction.js';
import { createPostgresUnmappedStore } from './unmapped-store.js';

export async function createPostgresStores(
  config: Config & { databaseUrl: string },
  clock: Clock,
  logger: Logger,
): Promise<Stores> {
  const database = await openPostgres({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    poolMax: config.pgPoolMax,
    connectTimeoutMs: config.pgConnectTimeoutMs,
    statementTimeoutMs: config.pgStatementTimeoutMs,
  });
  const { pool } = database;
  await warnIfHnswOutgrowsBuffers(pool, logger);
  return {
    backend: 'postgres',
    jobQueue: createPostgresJobQueue(pool, clock, {
      backoffBaseMs: config.jobBackoffBaseMs,
      backoffMaxMs: config.jobBackoffMaxMs,
      defaultMaxAttempts: config.jobMaxAttempts,
    }),
    memoryStore: new PostgresMemoryStore(pool),
    documentStore: createPostgresDocumentStore({ pool, clock }),
    graphStore: createPostgresGraphStore(pool),
    metricSeries: createPostgresMetricSeriesStore(pool),
    unmapped: createPostgresUnmappedStore(pool),
    transaction: createPostgresStoreTransaction(pool, clock),
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: () => database.close(),
  };
}
