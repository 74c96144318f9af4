// Settings of agent telemetry: batch bounds, the stream's backlog bound, leases, deliveries
// before dead-lettering, the dedup window and metric retention.
import { z } from 'zod';
import { parseModelPrices } from '../../telemetry/cost.js';
import { integer, validWith } from '../rules.js';

export const telemetrySettings = {
  /** Deliveries of a failing event before it moves to the dead-letter list. */
  telemetryMaxDeliveries: integer(1, 100).default(3),
  telemetryBatchMaxEvents: integer(1, 100_000).default(1000),
  telemetryBatchMaxBytes: integer(1024, 256 * 1024 * 1024).default(8 * 1024 * 1024),
  /**
   * How long folded event ids are remembered (from their fold), so a redelivered, resent or
   * re-stamped event is not counted again. A resend later than this counts again: it must
   * exceed the longest redelivery delay (lease + worker restarts) and client retries.
   */
  telemetryDedupTtlSeconds: integer(60, 31_536_000).default(24 * 3600),
  /** How long folded per-minute metrics are kept (Redis key TTL; SQL rows pruned). */
  telemetryRetentionSeconds: integer(3600, 31_536_000).default(8 * 24 * 3600),
  /**
   * Backpressure: while this many events are appended and not yet folded, POST /v1/events
   * answers 503 with Retry-After and stores nothing of the batch (the stream is never trimmed).
   */
  telemetryStreamMaxBacklog: integer(1000, 1_000_000_000).default(1_000_000),
  /** Dead letters kept at most; past it failing events stay in the stream (never dropped). */
  telemetryDeadLetterMax: integer(100, 100_000_000).default(100_000),
  /** An entry delivered but not acknowledged for this long is taken over by another worker. */
  telemetryClaimIdleMs: integer(100, 3_600_000).default(30_000),
  /** Consumers per worker process (each is one consumer-group member). */
  telemetryConsumers: integer(1, 64).default(1),
  /**
   * JSON object of model-name prefix → USD per million tokens {input, output, cacheRead?,
   * cacheWrite?}; adds to or replaces the shipped price table (src/telemetry/cost.ts).
   */
  modelPrices: z.string().optional().superRefine(validWith(parseModelPrices)),
  /**
   * OTLP metric series one tenant may hold (metric name + attributes + resource); points of new
   * series past it are refused and reported in partialSuccess until old series age out
   * (ENGRAM_TELEMETRY_RETENTION_SECONDS after their last point).
   */
  otlpMaxSeriesPerTenant: integer(1, 10_000_000).default(10_000),
  /**
   * Unmapped OTLP records (well-formed spans, log records, data points nothing maps) one tenant
   * keeps; past it the oldest are deleted and counted as dropped (GET /v1/telemetry/unmapped/counts).
   */
  otlpMaxUnmappedPerTenant: integer(1, 10_000_000).default(10_000),
  /** Entries read per batch. */
  telemetryReadCount: integer(1, 10_000).default(500),
};
