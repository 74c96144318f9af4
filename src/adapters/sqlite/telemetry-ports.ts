// The embedded telemetry ports on their own connection to the SQLite file (WAL allows several),
// so folding never queues behind the rest of the store's statements in this process.
import type { Clock } from '../../domain/clock.js';
import type { EventStream } from '../../ports/event-stream.js';
import type { MetricStore } from '../../ports/metric-store.js';
import { openSqlite } from './database.js';
import { createSqliteEventStream } from './event-stream.js';
import { createSqliteMetricStore } from './metric-store.js';

export interface TelemetryPorts {
  stream: EventStream;
  metrics: MetricStore;
  close(): Promise<void>;
}

export function openSqliteTelemetry(options: {
  path: string;
  clock: Clock;
  leaseMs: number;
  pollMs?: number;
  maxBacklog?: number;
}): TelemetryPorts {
  const database = openSqlite({ path: options.path });
  const stream = createSqliteEventStream(database.db, {
    clock: options.clock,
    leaseMs: options.leaseMs,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.maxBacklog === undefined ? {} : { maxBacklog: options.maxBacklog }),
  });
  const metrics = createSqliteMetricStore(database.db, { clock: options.clock });
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
