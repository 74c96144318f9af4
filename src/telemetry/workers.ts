// The telemetry consumers of one process as one background task: `engram serve` (embedded) runs
// it in-process, `engram worker` runs it on its own. Each consumer is a consumer-group member
// named host-pid-n and beats a heartbeat after every pass, so /ready notices a stuck one.
import { hostname } from 'node:os';
import type { Logger } from '../domain/logger.js';
import type { Heartbeats } from '../jobs/heartbeats.js';
import type { EventStream } from '../ports/event-stream.js';
import type { MetricStore } from '../ports/metric-store.js';
import { createTelemetryConsumer, type TelemetryConsumer } from './consumer.js';

export interface TelemetryWorkersOptions {
  stream: EventStream;
  metrics: MetricStore;
  logger: Logger;
  heartbeats: Heartbeats;
  consumers: number;
  readCount: number;
  claimIdleMs: number;
  maxDeliveries: number;
  relativeAccuracy?: number;
}

export function createTelemetryWorkers(options: TelemetryWorkersOptions): { start(): void; stop(): Promise<void> } {
  let running: Array<{ name: string; consumer: TelemetryConsumer }> = [];
  return {
    start() {
      if (running.length > 0) return;
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
          ...(options.relativeAccuracy === undefined ? {} : { relativeAccuracy: options.relativeAccuracy }),
          onPass: () => options.heartbeats.beat(beat),
        });
        consumer.start();
        running.push({ name: beat, consumer });
      }
    },
    async stop() {
      const stopping = running;
      running = [];
      await Promise.all(stopping.map((r) => r.consumer.stop()));
      for (const r of stopping) options.heartbeats.unregister(r.name);
    },
  };
}
