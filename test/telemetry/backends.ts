// Builds the telemetry ports on one backend for tests and the benchmark: embedded (SQLite file),
// distributed (Redis Streams + Redis hashes), or PostgreSQL tables.
import type { Redis } from 'ioredis';
import { closeRedis, openRedis, type RedisOptions } from '../../src/adapters/redis/connection.js';
import { createRedisEventStream } from '../../src/adapters/redis/event-stream.js';
import { createRedisMetricStore } from '../../src/adapters/redis/metric-store.js';
import { openSqlite } from '../../src/adapters/sqlite/database.js';
import { createSqliteEventStream } from '../../src/adapters/sqlite/event-stream.js';
import { createSqliteMetricStore } from '../../src/adapters/sqlite/metric-store.js';
import { systemClock } from '../../src/domain/clock.js';
import type { EventStream } from '../../src/ports/event-stream.js';
import type { MetricStore } from '../../src/ports/metric-store.js';
import { REDIS_URL } from '../support/backends.js';

export type BackendSpec =
  | { kind: 'sqlite'; path: string; leaseMs: number }
  | { kind: 'redis'; prefix: string; url?: string };

export interface TelemetryBackend {
  stream: EventStream;
  metrics: MetricStore;
  redis?: Redis;
  close(): Promise<void>;
}

export async function openTelemetryBackend(spec: BackendSpec): Promise<TelemetryBackend> {
  if (spec.kind === 'sqlite') {
    const database = openSqlite({ path: spec.path });
    const stream = createSqliteEventStream(database.db, { clock: systemClock, leaseMs: spec.leaseMs, pollMs: 20 });
    const metrics = createSqliteMetricStore(database.db, { clock: systemClock });
    return {
      stream,
      metrics,
      close: async () => {
        await stream.close();
        await metrics.close();
        database.close();
      },
    };
  }
  const options: RedisOptions = { url: spec.url ?? REDIS_URL, keyPrefix: spec.prefix, commandTimeoutMs: 10_000 };
  const redis = openRedis(options);
  const stream = await createRedisEventStream({ redis, blockingOptions: options, maxLen: 10_000_000 });
  const metrics = createRedisMetricStore({ redis, dedupTtlSeconds: 3600, retentionSeconds: 3600 });
  return {
    stream,
    metrics,
    redis,
    close: async () => {
      await stream.close();
      await metrics.close();
      await closeRedis(redis);
    },
  };
}
