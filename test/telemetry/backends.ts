// Builds the telemetry ports on one backend for tests and the benchmark: embedded (SQLite file),
// distributed (Redis Streams + Redis hashes), or PostgreSQL tables.
import type { Redis } from 'ioredis';
import { openPostgres } from '../../src/adapters/postgres/database.js';
import { createPostgresTelemetry } from '../../src/adapters/postgres/telemetry-ports.js';
import { closeRedis, openRedis, type RedisOptions } from '../../src/adapters/redis/connection.js';
import { createRedisTelemetry } from '../../src/adapters/redis/telemetry-ports.js';
import { openSqliteTelemetry } from '../../src/adapters/sqlite/telemetry-ports.js';
import { systemClock } from '../../src/domain/clock.js';
import type { EventStream } from '../../src/ports/event-stream.js';
import type { MetricStore } from '../../src/ports/metric-store.js';
import { POSTGRES_URL, REDIS_URL } from '../support/backends.js';

export type BackendSpec =
  | { kind: 'sqlite'; path: string; leaseMs: number }
  | { kind: 'redis'; prefix: string; url?: string }
  | { kind: 'postgres'; schema: string; leaseMs: number };

export interface TelemetryBackend {
  stream: EventStream;
  metrics: MetricStore;
  redis?: Redis;
  close(): Promise<void>;
}

export async function openTelemetryBackend(spec: BackendSpec): Promise<TelemetryBackend> {
  if (spec.kind === 'sqlite') {
    return openSqliteTelemetry({
      path: spec.path,
      clock: systemClock,
      leaseMs: spec.leaseMs,
      pollMs: 20,
    });
  }
  if (spec.kind === 'postgres') {
    const database = await openPostgres({ url: POSTGRES_URL, schema: spec.schema, poolMax: 4 });
    const ports = createPostgresTelemetry(database.pool, {
      clock: systemClock,
      leaseMs: spec.leaseMs,
      pollMs: 20,
    });
    return {
      ...ports,
      close: async () => {
        await ports.close();
        await database.close();
      },
    };
  }
  const options: RedisOptions = {
    url: spec.url ?? REDIS_URL,
    keyPrefix: spec.prefix,
    commandTimeoutMs: 10_000,
  };
  const redis = openRedis(options);
  const ports = await createRedisTelemetry({
    redis,
    blockingOptions: options,
    streamMaxLen: 10_000_000,
    dedupTtlSeconds: 3600,
    retentionSeconds: 3600,
  });
  return {
    ...ports,
    redis,
    close: async () => {
      await ports.close();
      await closeRedis(redis);
    },
  };
}
