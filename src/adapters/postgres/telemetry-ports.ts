// The telemetry ports on PostgreSQL tables, for a distributed deployment without Redis. They
// use the store's pool (the caller owns it).
import type pg from 'pg';
import type { Clock } from '../../domain/clock.js';
import type { EventStream } from '../../ports/event-stream.js';
import type { MetricStore } from '../../ports/metric-store.js';
import { createPostgresEventStream } from './event-stream.js';
import { createPostgresMetricStore } from './metric-store.js';

export function createPostgresTelemetry(
  pool: pg.Pool,
  options: { clock: Clock; leaseMs: number; pollMs?: number; maxBacklog?: number },
): { stream: EventStream; metrics: MetricStore; close(): Promise<void> } {
  const stream = createPostgresEventStream(pool, options);
  const metrics = createPostgresMetricStore(pool, { clock: options.clock });
  return {
    stream,
    metrics,
    close: async () => {
      await stream.close();
      await metrics.close();
    },
  };
}
