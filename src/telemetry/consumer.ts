// A telemetry consumer: one member of the consumer group. It reads batches (its own pending
// entries first), folds them into the metric store, and acknowledges only after the fold is
// stored. A janitor loop takes over entries idle past the lease (crashed or stuck consumers).
// A failing entry is released for redelivery; once it has been delivered maxDeliveries times it
// goes to the dead-letter list with its error. An entry the store rejects as invalid (its fold
// can never apply) is dead-lettered at once, alone: the rest of its batch folds. When the
// dead-letter list refuses (full), the entry is released instead and stays in the stream, never
// dropped. Guarantee: at-least-once delivery from the stream + a fold that is idempotent by
// tenant and event id (see the metric store adapters) = each event counted exactly once.
import { errorMessage } from '../domain/errors.js';
import type { Logger } from '../domain/logger.js';
import { sleep } from '../jobs/sleep.js';
import type { EventStream, StreamEntry } from '../ports/event-stream.js';
import type { EventFold, MetricStore } from '../ports/metric-store.js';
import { parseEvent } from './events.js';
import { foldOf } from './fold-ops.js';
import { QuantileSketch } from './sketch.js';

export interface TelemetryConsumerOptions {
  stream: EventStream;
  metrics: MetricStore;
  /** Unique per process and loop (e.g. `host-pid-1`): the consumer-group member name. */
  consumerName: string;
  logger: Logger;
  batchSize?: number;
  blockMs?: number;
  claimIdleMs: number;
  maxDeliveries: number;
  relativeAccuracy?: number;
  /** Called after every pass, for heartbeats. */
  onPass?: () => void;
}

export interface ConsumerCounters {
  folded: number;
  duplicates: number;
  failedDeliveries: number;
  deadLettered: number;
}

export interface TelemetryConsumer {
  start(): void;
  stop(): Promise<void>;
  /** Folds whatever is ready now, new entries and those idle past the lease (tests and tools). */
  drainOnce(): Promise<number>;
  readonly counters: ConsumerCounters;
}

interface Parsed {
  entry: StreamEntry;
  fold: EventFold;
}

export function createTelemetryConsumer(options: TelemetryConsumerOptions): TelemetryConsumer {
  const { stream, metrics, consumerName, maxDeliveries } = options;
  const batchSize = options.batchSize ?? 500;
  const blockMs = options.blockMs ?? 1000;
  const logger = options.logger.child({ consumer: consumerName });
  const sketch = new QuantileSketch(options.relativeAccuracy);
  const counters: ConsumerCounters = {
    folded: 0,
    duplicates: 0,
    failedDeliveries: 0,
    deadLettered: 0,
  };
  // One controller per start(); stop() aborts it, which ends every pause at once.
  let controller = new AbortController();
  let loops: Array<Promise<void>> = [];

  // A function, not a cached flag: the signal changes under us while a loop awaits.
  function stopping(): boolean {
    return controller.signal.aborted;
  }

  async function deadLetter(entry: StreamEntry, error: string): Promise<void> {
    try {
      await stream.deadLetter(consumerName, entry, error);
    } catch (refusal) {
      // The list is full (or unreachable): keep the entry in the stream rather than lose it.
      logger.warn(
        { err: refusal, entryId: entry.id },
        'could not dead-letter a telemetry event; it stays in the stream',
      );
      await stream.release(consumerName, entry, error);
      return;
    }
    counters.deadLettered += 1;
    logger.warn(
      { entryId: entry.id, deliveries: entry.deliveries, error },
      'telemetry event dead-lettered',
    );
  }

  async function fail(entry: StreamEntry, error: string, permanent = false): Promise<void> {
    counters.failedDeliveries += 1;
    if (permanent || entry.deliveries >= maxDeliveries) await deadLetter(entry, error);
    else await stream.release(consumerName, entry, error);
  }

  async function foldAndAck(batch: Parsed[]): Promise<void> {
    const result = await metrics.fold(batch.map((item) => item.fold));
    const rejected = new Set<number>();
    for (const { index, error } of result.rejected) {
      rejected.add(index);
      await fail(batch[index]!.entry, error, true);
    }
    await stream.ack(
      consumerName,
      batch.filter((_, index) => !rejected.has(index)).map((item) => item.entry.id),
    );
    counters.folded += result.folded;
    counters.duplicates += result.duplicates;
  }

  async function process(entries: StreamEntry[]): Promise<void> {
    const good: Parsed[] = [];
    for (const entry of entries) {
      let raw: unknown;
      try {
        raw = JSON.parse(entry.payload);
      } catch (error) {
        await fail(entry, `invalid event: not JSON (${errorMessage(error)})`);
        continue;
      }
      const parsed = parseEvent(raw);
      if (!parsed.ok) {
        await fail(entry, `invalid event: ${parsed.message}`);
        continue;
      }
      good.push({ entry, fold: foldOf(entry.tenantId, parsed.event, sketch) });
    }
    if (good.length === 0) return;
    try {
      await foldAndAck(good);
    } catch (error) {
      if (stopping()) throw error;
      // Find the culprit: fold one by one, so one bad entry does not hold back the rest.
      logger.warn(
        { err: error, entries: good.length },
        'telemetry batch fold failed; folding entries one by one',
      );
      for (const item of good) {
        try {
          await foldAndAck([item]);
        } catch (single) {
          await fail(item.entry, errorMessage(single));
        }
      }
    }
  }

  async function readLoop(): Promise<void> {
    while (!stopping()) {
      try {
        const entries = await stream.read(consumerName, { count: batchSize, blockMs });
        if (entries.length > 0) await process(entries);
        options.onPass?.();
      } catch (error) {
        if (stopping()) break;
        logger.error({ err: error }, 'telemetry read failed; retrying');
        await pause(500);
      }
    }
  }

  async function janitorLoop(): Promise<void> {
    const intervalMs = Math.max(50, Math.floor(options.claimIdleMs / 2));
    while (!stopping()) {
      await pause(intervalMs);
      if (stopping()) break;
      try {
        for (;;) {
          const entries = await stream.claimIdle(consumerName, {
            idleMs: options.claimIdleMs,
            count: batchSize,
          });
          if (entries.length === 0 || stopping()) break;
          logger.debug({ entries: entries.length }, 'claimed idle telemetry entries');
          await process(entries);
        }
      } catch (error) {
        if (stopping()) break;
        logger.error({ err: error }, 'telemetry claim failed; retrying');
      }
    }
  }

  function pause(ms: number): Promise<void> {
    return sleep(ms, controller.signal);
  }

  return {
    counters,
    start() {
      if (loops.length > 0) return;
      controller = new AbortController();
      loops = [readLoop(), janitorLoop()];
    },
    async stop() {
      controller.abort();
      await Promise.allSettled(loops);
      loops = [];
    },
    async drainOnce() {
      let total = 0;
      for (;;) {
        const entries = await stream.read(consumerName, { count: batchSize, blockMs: 0 });
        if (entries.length === 0) break;
        total += entries.length;
        await process(entries);
      }
      // Then what crashed or stuck consumers hold past the lease.
      for (;;) {
        const entries = await stream.claimIdle(consumerName, {
          idleMs: options.claimIdleMs,
          count: batchSize,
        });
        if (entries.length === 0) return total;
        total += entries.length;
        await process(entries);
      }
    },
  };
}
