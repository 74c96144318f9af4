// Builds the telemetry ports on one backend for tests and the benchmark: embedded (SQLite file),
// distributed (Redis Streams + Redis hashes), or PostgreSQL tables.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export type BackendSpec = (
  | { kind: 'sqlite'; path: string; leaseMs: number }
  | { kind: 'redis'; prefix: string; url?: string }
  | { kind: 'postgres'; schema: string; leaseMs: number }
) & { maxBacklog?: number };

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
      ...(spec.maxBacklog === undefined ? {} : { maxBacklog: spec.maxBacklog }),
    });
  }
  if (spec.kind === 'postgres') {
    const database = await openPostgres({ url: POSTGRES_URL, schema: spec.schema, poolMax: 4 });
    const ports = createPostgresTelemetry(database.pool, {
      clock: systemClock,
      leaseMs: spec.leaseMs,
      pollMs: 20,
      ...(spec.maxBacklog === undefined ? {} : { maxBacklog: spec.maxBacklog }),
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
    streamMaxBacklog: spec.maxBacklog ?? 10_000_000,
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

/** A SQLite telemetry backend in a fresh temp dir (exposed as `dir`); close() also removes it. */
export async function openTempSqliteTelemetry(
  leaseMs = 1000,
): Promise<TelemetryBackend & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'engram-telemetry-'));
  const backend = await openTelemetryBackend({
    kind: 'sqlite',
    path: join(dir, 'engram.db'),
    leaseMs,
  });
  return {
    ...backend,
    dir,
    close: async () => {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls probe until done(value) holds or timeoutMs passes, and returns the last value. */
export async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
