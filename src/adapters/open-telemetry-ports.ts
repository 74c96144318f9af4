// Chooses telemetry's stream and metric state from config: Redis Streams and hashes when Redis is
// configured, else tables of the SQL store (PostgreSQL, or the SQLite file) on their own connection.
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { EventStream } from '../ports/event-stream.js';
import type { MetricStore } from '../ports/metric-store.js';
import { openPostgres } from './postgres/database.js';
import { createPostgresTelemetry } from './postgres/telemetry-ports.js';
import { createRedisTelemetry } from './redis/telemetry-ports.js';
import { sqlitePathFor } from './sqlite/stores.js';
import { openSqliteTelemetry } from './sqlite/telemetry-ports.js';

/** Telemetry's stream and metric state: Redis when configured, else tables of the SQL store. */
export async function openTelemetryPorts(
  config: Config,
  clock: Clock,
  redis: Redis | undefined,
  logger?: Logger,
): Promise<{ stream: EventStream; metrics: MetricStore; close(): Promise<void> }> {
  if (redis !== undefined && config.redisUrl !== undefined) {
    return createRedisTelemetry({
      redis,
      blockingOptions: {
        url: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        commandTimeoutMs: config.redisCommandTimeoutMs,
      },
      streamMaxBacklog: config.telemetryStreamMaxBacklog,
      deadLetterMax: config.telemetryDeadLetterMax,
      ...(logger === undefined ? {} : { logger: logger.child({ component: 'telemetry' }) }),
      dedupTtlSeconds: config.telemetryDedupTtlSeconds,
      retentionSeconds: config.telemetryRetentionSeconds,
    });
  }
  if (config.databaseUrl !== undefined) {
    const database = await openPostgres({
      url: config.databaseUrl,
      schema: config.databaseSchema,
      poolMax: 4,
    });
    const ports = createPostgresTelemetry(database.pool, {
      clock,
      leaseMs: config.telemetryClaimIdleMs,
      maxBacklog: config.telemetryStreamMaxBacklog,
    });
    return {
      ...ports,
      close: async () => {
        await ports.close();
        await database.close();
      },
    };
  }
  return openSqliteTelemetry({
    path: sqlitePathFor(config),
    clock,
    leaseMs: config.telemetryClaimIdleMs,
    maxBacklog: config.telemetryStreamMaxBacklog,
  });
}
