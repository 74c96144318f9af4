// The runtime: builds everything from config in one place — stores, Redis, services, background
// work — and closes it all in reverse order. No container, no module-level connections.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from './metrics-registry.js';
import { createPostgresStores } from './adapters/postgres/stores.js';
import { closeRedis, openRedis } from './adapters/redis/connection.js';
import { createSqliteStores } from './adapters/sqlite/stores.js';
import type { Config } from './config/schema.js';
import { systemClock, type Clock } from './domain/clock.js';
import type { Logger } from './domain/logger.js';
import { createHeartbeats, type Heartbeats } from './jobs/heartbeats.js';
import type { Stores } from './ports/stores.js';

/** Something that runs in the background of `engram serve` / `engram worker`. */
export interface BackgroundTask {
  start(): void;
  stop(): Promise<void>;
}

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; throws with a message that says what is wrong. */
  check: () => Promise<void>;
}

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  /** The Prometheus registry every component registers on (never the global one). */
  readonly metrics: Registry;
  readonly heartbeats: Heartbeats;
  readonly stores: Stores;
  readonly redis: Redis | undefined;
  readonly readiness: ReadinessCheck[];
  /** Starts workers and periodic jobs (embedded `serve`, and `worker`); API-only nodes skip it. */
  startBackground(): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  logger: Logger;
  clock?: Clock;
}

export async function createRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const releasers: Array<() => Promise<void>> = [];
  const background: BackgroundTask[] = [];
  const readiness: ReadinessCheck[] = [];

  async function close(): Promise<void> {
    await Promise.allSettled(background.map((task) => task.stop()));
    for (const release of releasers.reverse()) {
      try {
        await release();
      } catch (error) {
        logger.warn({ err: error }, 'error while closing a resource');
      }
    }
    releasers.length = 0;
  }

  try {
    const metrics = createMetricsRegistry();
    const heartbeats = createHeartbeats(clock);

    const stores =
      config.databaseUrl === undefined
        ? createSqliteStores(config, clock)
        : await createPostgresStores({ ...config, databaseUrl: config.databaseUrl }, clock);
    releasers.push(() => stores.close());
    readiness.push({ name: stores.backend, check: () => stores.ping() });

    let redis: Redis | undefined;
    if (config.redisUrl !== undefined) {
      const connection = openRedis({
        url: config.redisUrl,
        keyPrefix: config.redisKeyPrefix,
        commandTimeoutMs: config.redisCommandTimeoutMs,
        onConnectionError: (error) => logger.warn({ err: error }, 'Redis connection error'),
      });
      redis = connection;
      releasers.push(() => closeRedis(connection));
      readiness.push({
        name: 'redis',
        check: async () => {
          await connection.ping();
        },
      });
    }

    readiness.push({
      name: 'background-jobs',
      check: async () => {
        const stale = heartbeats.snapshot().filter((beat) => !beat.fresh);
        if (stale.length > 0) {
          throw new Error(`stale: ${stale.map((beat) => `${beat.name} (${Math.round(beat.ageMs / 1000)} s ago)`).join(', ')}`);
        }
      },
    });

    let started = false;
    return {
      config,
      logger,
      clock,
      metrics,
      heartbeats,
      stores,
      redis,
      readiness,
      startBackground() {
        if (started) return;
        started = true;
        for (const task of background) task.start();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
