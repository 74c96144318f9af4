// Metric-store housekeeping: Redis metric keys always carry a TTL (nothing leaks), SQL stores
// prune processed ids and old minutes; and a property: replayed events never double-count.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuantileSketch } from '../../src/telemetry/sketch.js';
import { foldOf, minuteOf } from '../../src/telemetry/fold-ops.js';
import { parseEvent, type TelemetryEventInput } from '../../src/telemetry/events.js';
import { Redis } from 'ioredis';
import { createSqliteMetricSeriesStore } from '../../src/adapters/sqlite/metric-series-store.js';
import { createSqliteMetricStore } from '../../src/adapters/sqlite/metric-store.js';
import { systemClock } from '../../src/domain/clock.js';
import { dropRedisPrefix, REDIS_URL, redisAvailable, uniqueName } from '../support/backends.js';
import {
  distinctStatements,
  openRecordedSqlite,
  type StatementPlan,
  unboundedReads,
} from '../support/sqlite-plans.js';
import {
  openTelemetryBackend,
  openTempSqliteTelemetry,
  type TelemetryBackend,
} from './backends.js';

const hasRedis = await redisAvailable();
const sketch = new QuantileSketch();
const NOW = Date.UTC(2026, 0, 1, 12);

function fold(tenantId: string, raw: TelemetryEventInput) {
  const parsed = parseEvent(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return foldOf(tenantId, parsed.event, sketch);
}

type ToolCallInput = Extract<TelemetryEventInput, { type: 'tool_call' }>;

const toolCall = (id: string, minutesAgo = 0): ToolCallInput => ({
  type: 'tool_call',
  eventId: id,
  ts: NOW - minutesAgo * 60_000,
  sessionId: 's',
  agentId: 'a',
  tool: 'grep',
  success: true,
  durationMs: 10,
});

describe.skipIf(!hasRedis)('Redis metric store keys', () => {
  const prefix = `${uniqueName('engram_test_telemetry_keys')}:`;
  let backend: TelemetryBackend;
  beforeAll(async () => {
    backend = await openTelemetryBackend({ kind: 'redis', prefix });
  });
  afterAll(async () => {
    await backend.close();
    await dropRedisPrefix(prefix);
  });

  it('gives every metric key a TTL', async () => {
    await backend.metrics.fold([
      fold('t1', toolCall('e1')),
      fold('t1', { type: 'session_end', eventId: 'e2', ts: NOW, sessionId: 's', agentId: 'a' }),
    ]);
    await backend.metrics.fold([fold('t1', toolCall('e3'))]);
    const raw = new Redis(REDIS_URL);
    try {
      const keys = await raw.keys(`${prefix}tm:*`);
      expect(keys.length).toBeGreaterThanOrEqual(5);
      for (const key of keys) expect(await raw.ttl(key)).toBeGreaterThan(0);
    } finally {
      raw.disconnect();
    }
  });
});

describe('SQL metric store pruning', () => {
  it('forgets processed ids and old minutes', async () => {
    const backend = await openTempSqliteTelemetry();
    try {
      await backend.metrics.fold([fold('t', toolCall('old', 120)), fold('t', toolCall('new', 1))]);
      const removed = await backend.metrics.prune({
        processedBeforeMs: Date.now() + 1,
        minuteBefore: minuteOf(NOW) - 60,
      });
      expect(removed).toBeGreaterThan(0);
      const left = await backend.metrics.readBuckets({
        tenantId: 't',
        fromMinute: 0,
        toMinute: minuteOf(NOW),
      });
      expect(left.map((b) => b.minute)).toEqual([minuteOf(NOW) - 1]);
      // Processed ids were forgotten, so the same event folds again: the dedup window is the TTL.
      expect((await backend.metrics.fold([fold('t', toolCall('new', 1))])).folded).toBe(1);
    } finally {
      await backend.close();
    }
  });
});

describe('SQL metric store pruning plans (sqlite)', () => {
  // The pruner runs hourly inside one write transaction: reading every tenant's buckets,
  // sessions and points to find the old ones held the store's writers for a time growing with
  // all of them.
  it('finds what is old by its age through an index, never by a scan', async () => {
    const database = openRecordedSqlite();
    let plans: StatementPlan[];
    try {
      const metrics = createSqliteMetricStore(database.db, { clock: systemClock });
      const series = createSqliteMetricSeriesStore(database.db);
      await metrics.fold([
        fold('t', toolCall('old', 120)),
        fold('t', toolCall('new', 1)),
        fold('t', { type: 'session_end', eventId: 'end', ts: NOW, sessionId: 's', agentId: 'a' }),
      ]);
      const timeNs = (BigInt(NOW) * 1_000_000n).toString();
      await series.write(
        't',
        [
          {
            seriesId: 'x',
            name: 'n',
            kind: 'gauge',
            unit: '1',
            temporality: 'unspecified',
            monotonic: false,
            resource: {},
            attributes: {},
          },
        ],
        [{ seriesId: 'x', timeNs, startNs: timeNs, value: 1 }],
        { maxSeries: 10, nowMs: NOW },
      );
      await metrics.prune({ processedBeforeMs: NOW, minuteBefore: minuteOf(NOW) - 60 });
      await series.prune(NOW - 3_600_000);
    } finally {
      plans = database.close().filter((plan) => plan.sql.startsWith('DELETE'));
    }
    expect(distinctStatements(plans)).toBeGreaterThanOrEqual(5);
    // Series are bounded per tenant; the points and every table of the fold are not.
    expect(unboundedReads(plans, /^(?:telemetry_\w+|otlp_points)$/)).toEqual([]);
  });
});

describe('exactly-once folding (property)', () => {
  it('replaying any subset of events, in any order, never double-counts', async () => {
    const backend = await openTempSqliteTelemetry();
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
          fc.array(fc.array(fc.nat(), { maxLength: 30 }), { maxLength: 4 }),
          async (durations, replays) => {
            run += 1;
            const tenant = `t${run}`;
            const folds = durations.map((d, i) =>
              fold(tenant, { ...toolCall(`e${i}`), durationMs: d }),
            );
            await backend.metrics.fold(folds);
            for (const replay of replays)
              await backend.metrics.fold(replay.map((i) => folds[i % folds.length]!));
            const [bucket] = await backend.metrics.readBuckets({
              tenantId: tenant,
              fromMinute: minuteOf(NOW),
              toMinute: minuteOf(NOW),
            });
            expect(bucket!.fields['tc.n']).toBe(durations.length);
            expect(bucket!.fields['ev']).toBe(durations.length);
            expect(bucket!.fields['tc.d.s']).toBe(durations.reduce((a, b) => a + b, 0));
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      await backend.close();
    }
  });
});
