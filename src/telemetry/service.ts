// The telemetry service: validates and appends event batches, answers metric queries, and
// manages the dead-letter list. Knows ports only; runtime.ts hands it the adapters.
import { AppError, isAppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import type { DeadLetterPage, EventStream, StreamStats } from '../ports/event-stream.js';
import type { MetricStore } from '../ports/metric-store.js';
import type { CostTable } from './cost.js';
import { MAX_COST, parseEvent, type EventRejection } from './events.js';
import { minuteOf } from './fold-ops.js';
import { DEFAULT_RELATIVE_ACCURACY } from './sketch.js';
import { computeFigures, computeSeries, type MetricFigures, type SeriesPoint } from './summary.js';

export const WINDOWS = { '5m': 5, '1h': 60, '24h': 1440, '7d': 10_080 } as const;
export type WindowName = keyof typeof WINDOWS;
export const STEPS = { '1m': 1, '5m': 5, '1h': 60 } as const;
export type StepName = keyof typeof STEPS;

export interface TelemetryServiceOptions {
  stream: EventStream;
  metrics: MetricStore;
  clock: Clock;
  batchMaxEvents: number;
  eventMaxBytes?: number;
  relativeAccuracy?: number;
  /** Prices model calls that come without a cost. */
  costs?: CostTable;
}

export interface IngestResult {
  accepted: number;
  rejected: EventRejection[];
}

export interface MetricFilter {
  window: WindowName;
  agentId?: string;
  tool?: string;
}

export interface Summary extends MetricFigures {
  window: WindowName;
  from: string;
  to: string;
  /** Every latency quantile is within this relative error of the exact value. */
  relativeError: number;
}

export interface TelemetryService {
  readonly relativeAccuracy: number;
  ingest(tenantId: string, events: unknown[]): Promise<IngestResult>;
  summary(tenantId: string, filter: MetricFilter): Promise<Summary>;
  series(
    tenantId: string,
    filter: MetricFilter & { step: StepName },
  ): Promise<{ step: StepName; points: SeriesPoint[] }>;
  /** One page of the tenant's dead letters, oldest first; `after` is the previous page's `next`. */
  deadLetters(tenantId: string, page: { limit: number; after?: string }): Promise<DeadLetterPage>;
  replayDeadLetters(tenantId: string, ids?: string[]): Promise<number>;
  streamStats(): Promise<StreamStats>;
}

export const DEFAULT_EVENT_MAX_BYTES = 16 * 1024;

export function createTelemetryService(options: TelemetryServiceOptions): TelemetryService {
  const { stream, metrics, clock } = options;
  const alpha = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const eventMaxBytes = options.eventMaxBytes ?? DEFAULT_EVENT_MAX_BYTES;

  function range(window: WindowName): { fromMinute: number; toMinute: number } {
    const toMinute = minuteOf(clock.now());
    return { fromMinute: toMinute - WINDOWS[window] + 1, toMinute };
  }

  function query(tenantId: string, filter: MetricFilter) {
    const base = { tenantId, ...range(filter.window) };
    return {
      ...base,
      ...(filter.agentId === undefined ? {} : { agentId: filter.agentId }),
      ...(filter.tool === undefined ? {} : { tool: filter.tool }),
    };
  }

  return {
    relativeAccuracy: alpha,

    async ingest(tenantId, events) {
      if (events.length > options.batchMaxEvents) {
        throw new AppError(
          'INPUT_TOO_LARGE',
          `A batch holds at most ${options.batchMaxEvents} events (got ${events.length}); split it (ENGRAM_TELEMETRY_BATCH_MAX_EVENTS).`,
          { details: { maxEvents: options.batchMaxEvents, events: events.length } },
        );
      }
      const rejected: EventRejection[] = [];
      const entries: Array<{ tenantId: string; payload: string }> = [];
      events.forEach((raw, index) => {
        const parsed = parseEvent(raw);
        if (!parsed.ok) {
          rejected.push({ index, code: 'VALIDATION_FAILED', message: parsed.message });
          return;
        }
        const event = parsed.event;
        if (
          event.type === 'model_call' &&
          event.cost === undefined &&
          options.costs !== undefined
        ) {
          const cost = options.costs.costOf(event.model, {
            input: event.inputTokens,
            output: event.outputTokens,
            cacheRead: event.cacheReadTokens ?? 0,
            cacheWrite: event.cacheWriteTokens ?? 0,
          });
          if (cost !== undefined) event.cost = Math.min(cost, MAX_COST);
        }
        const payload = JSON.stringify(event);
        if (Buffer.byteLength(payload) > eventMaxBytes) {
          rejected.push({
            index,
            code: 'INPUT_TOO_LARGE',
            message: `event is larger than ${eventMaxBytes} bytes`,
          });
          return;
        }
        entries.push({ tenantId, payload });
      });
      try {
        await stream.append(entries);
      } catch (error) {
        // The stream's own refusal (backlog at its bound) says what to do; keep it.
        if (isAppError(error)) throw error;
        throw new AppError(
          'UNAVAILABLE',
          'The telemetry stream is not accepting events; retry the batch later.',
          {
            cause: error,
            retryable: true,
          },
        );
      }
      return { accepted: entries.length, rejected };
    },

    async summary(tenantId, filter) {
      const q = query(tenantId, filter);
      const [buckets, sessions] = await Promise.all([
        metrics.readBuckets(q),
        metrics.readEndedSessions({
          tenantId,
          fromMinute: q.fromMinute,
          toMinute: q.toMinute,
          ...(filter.agentId === undefined ? {} : { agentId: filter.agentId }),
        }),
      ]);
      return {
        window: filter.window,
        from: new Date(q.fromMinute * 60_000).toISOString(),
        to: new Date((q.toMinute + 1) * 60_000).toISOString(),
        relativeError: alpha,
        ...computeFigures(buckets, sessions, alpha),
      };
    },

    async series(tenantId, filter) {
      const q = query(tenantId, filter);
      const buckets = await metrics.readBuckets(q);
      return {
        step: filter.step,
        points: computeSeries(buckets, q.fromMinute, q.toMinute, STEPS[filter.step], alpha),
      };
    },

    deadLetters: (tenantId, page) => stream.listDeadLetters(tenantId, page),
    replayDeadLetters: (tenantId, ids) => stream.replayDeadLetters(tenantId, ids),
    streamStats: () => stream.stats(),
  };
}
