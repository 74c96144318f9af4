// The telemetry consumers of one process as one background task: `engram serve` (embedded) runs
// it in-process, `engram worker` runs it on its own. Each consumer is a consumer-group member
// named host-pid-n and beats a heartbeat after every pass, so /ready notices a stuck one.
import { hostname } from 'node:os';
import type { Clock } from '../domain/clock.js';
import type { Logger } from '../domain/logger.js';
import type { Heartbeats } from '../jobs/heartbeats.js';
import { runEvery, type PeriodicJob } from '../jobs/periodic.js';
import type { EventStream } from '../ports/event-stream.js';
import type { MetricSeriesStore } from '../ports/metric-series-store.js';
import type { MetricStore } from '../ports/metric-store.js';
import { createTelemetryConsumer, type TelemetryConsumer } from './consumer.js';
import { minuteOf } from './fold-ops.js';

export interface TelemetryWorkersOptions {
  stream: EventStream;
  metrics: MetricStore;
  /** OTLP metric series, pruned with the metrics (points and series past retention). */
  series?: MetricSeriesStore;
  logger: Logger;
  heartbeats: Heartbeats;
  consumers: number;
  readCount: number;
  claimIdleMs: number;
  maxDeliveries: number;
  relativeAccuracy?: number;
  /** Forget processed ids after dedupTtlSeconds and metrics after retentionSeconds (hourly). */
  retention: {
    clock: Clock;
    dedupTtlSeconds: number;
    retentionSeconds: number;
    intervalMs?: number;
  };
}

export function createTelemetryWorkers(options: TelemetryWorkersOptions): {
  start(): void;
  stop(): Promise<void>;
} {
  let running: Array<{ name: string; consumer: TelemetryConsumer }> = [];
  let pruner: PeriodicJob | undefined;
  return {
    start() {
      if (running.length > 0) return;
      const { clock, dedupTtlSeconds, retentionSeconds } = options.retention;
      pruner = runEvery({
        name: 'telemetry-prune',
        intervalMs: options.retention.intervalMs ?? 3_600_000,
        heartbeats: options.heartbeats,
        logger: options.logger,
        run: async () => {
          const now = clock.now();
          await options.metrics.prune({
            processedBeforeMs: now - dedupTtlSeconds * 1000,
            minuteBefore: minuteOf(now - retentionSeconds * 1000),
          });
          await options.series?.prune(now - retentionSeconds * 1000);
        },
      });
      for (let i = 1; i <= options.consumers; i += 1) {
        const name = `${hostname()}-${process.pid}-${i}`;
        const beat = `telemetry-consumer-${i}`;
        options.heartbeats.register(beat, Math.max(30_000, options.claimIdleMs * 2));
        const consumer = createTelemetryConsumer({
          stream: options.stream,
          metrics: options.metrics,
          consumerName: name,
          logger: options.logger.child({ component: 'telemetry' }),
          batchSize: options.readCount,
          claimIdleMs: options.claimIdleMs,
          maxDeliveries: options.maxDeliveries,
          ...(options.relativeAccuracy === undefined
            ? {}
            : { relativeAccuracy: options.relativeAccuracy }),
          onPass: () => options.heartbeats.beat(beat),
        });
        consumer.start();
        running.push({ name: beat, consumer });
      }
    },
    async stop() {
      const stopping = running;
      running = [];
      await Promise.all([...stopping.map((r) => r.consumer.stop()), pruner?.stop()]);
      pruner = undefined;
      for (const r of stopping) options.heartbeats.unregister(r.name);
    },
  };
}
