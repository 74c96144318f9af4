// The distributed telemetry ports: Redis Streams for events, Redis hashes for folded metrics.
import type { Redis } from 'ioredis';
import type { Logger } from '../../domain/logger.js';
import type { EventStream } from '../../ports/event-stream.js';
import type { MetricStore } from '../../ports/metric-store.js';
import type { RedisOptions } from './connection.js';
import { createRedisEventStream } from './event-stream.js';
import { createRedisMetricStore } from './metric-store.js';

export interface RedisTelemetryOptions {
  /** The shared connection; its owner closes it. */
  redis: Redis;
  /** For the consumers' own blocking connections (closed with the stream). */
  blockingOptions: RedisOptions;
  /** Appends are refused while this many events are unacknowledged. */
  streamMaxBacklog: number;
  /** Dead-lettering is refused past this many dead letters (entries stay in the stream). */
  deadLetterMax?: number;
  logger?: Logger;
  dedupTtlSeconds: number;
  retentionSeconds: number;
}

export async function createRedisTelemetry(
  options: RedisTelemetryOptions,
): Promise<{ stream: EventStream; metrics: MetricStore; close(): Promise<void> }> {
  const stream = await createRedisEventStream({
    redis: options.redis,
    blockingOptions: options.blockingOptions,
    maxBacklog: options.streamMaxBacklog,
    ...(options.deadLetterMax === undefined ? {} : { deadLetterMax: options.deadLetterMax }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const metrics = createRedisMetricStore({
    redis: options.redis,
    dedupTtlSeconds: options.dedupTtlSeconds,
    retentionSeconds: options.retentionSeconds,
  });
  return {
    stream,
    metrics,
    close: async () => {
      await stream.close();
      await metrics.close();
    },
  };
}
