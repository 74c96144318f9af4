// Telemetry's promises tried at their edges (issue #17), on every backend: one tenant's
// out-of-range event cannot erase another tenant's events; a retry re-stamped with a later ts
// counts once; a backlog past its bound is refused (503 + Retry-After), never trimmed; the
// dead-letter list refuses instead of trimming and pages with a cursor; Redis emptied under a
// running worker (its group gone) folds new events again within seconds, without a log loop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { closeRedis, openRedis } from '../../src/adapters/redis/connection.js';
import { createRedisEventStream } from '../../src/adapters/redis/event-stream.js';
import { systemClock } from '../../src/domain/clock.js';
import { createLogger, createSilentLogger } from '../../src/domain/logger.js';
import type { EventFold, MetricStore } from '../../src/ports/metric-store.js';
import { createHeartbeats } from '../../src/jobs/heartbeats.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import type { TelemetryEventInput } from '../../src/telemetry/events.js';
import { foldOf } from '../../src/telemetry/fold-ops.js';
import { parseEvent } from '../../src/telemetry/events.js';
import { QuantileSketch } from '../../src/telemetry/sketch.js';
import { createTelemetryService, type TelemetryService } from '../../src/telemetry/service.js';
import { createTelemetryWorkers } from '../../src/telemetry/workers.js';
import {
  dropRedisPrefix,
  dropSchema,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  uniqueName,
} from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { openTelemetryBackend, until, type TelemetryBackend } from './backends.js';

const hasRedis = await redisAvailable();
const hasPostgres = await postgresAvailable();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Open = (maxBacklog?: number) => Promise<TelemetryBackend>;
const backends: Array<{ name: string; available: boolean; open: Open }> = [
  {
    name: 'SQLite',
    available: true,
    open: async (maxBacklog) => {
      const dir = mkdtempSync(join(tmpdir(), 'engram-telemetry-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return openTelemetryBackend({
        kind: 'sqlite',
        path: join(dir, 'engram.db'),
        leaseMs: 200,
        ...(maxBacklog === undefined ? {} : { maxBacklog }),
      });
    },
  },
  {
    name: 'Redis',
    available: hasRedis,
    open: async (maxBacklog) => {
      const prefix = `${uniqueName('engram_test_telemetry_edges')}:`;
      cleanups.push(() => dropRedisPrefix(prefix));
      return openTelemetryBackend({
        kind: 'redis',
        prefix,
        ...(maxBacklog === undefined ? {} : { maxBacklog }),
      });
    },
  },
  {
    name: 'PostgreSQL',
    available: hasPostgres,
    open: async (maxBacklog) => {
      const schema = uniqueName('engram_test_telemetry_edges');
      cleanups.push(() => dropSchema(schema));
      return openTelemetryBackend({
        kind: 'postgres',
        schema,
        leaseMs: 200,
        ...(maxBacklog === undefined ? {} : { maxBacklog }),
      });
    },
  },
];

async function setUp(open: Open, maxBacklog?: number) {
  const backend = await open(maxBacklog);
  cleanups.push(() => backend.close());
  const service = createTelemetryService({
    stream: backend.stream,
    metrics: backend.metrics,
    clock: systemClock,
    batchMaxEvents: 1000,
  });
  const consumer = (metrics: MetricStore = backend.metrics) =>
    createTelemetryConsumer({
      stream: backend.stream,
      metrics,
      consumerName: uniqueName('c'),
      logger: createSilentLogger(),
      claimIdleMs: 200,
      maxDeliveries: 3,
    });
  return { backend, service, consumer };
}

const modelCall = (eventId: string, ts: number, latencyMs = 5): TelemetryEventInput => ({
  type: 'model_call',
  eventId,
  ts,
  sessionId: 's',
  agentId: 'a',
  model: 'm',
  latencyMs,
  inputTokens: 1,
  outputTokens: 1,
});

const sketch = new QuantileSketch();
function foldFor(tenantId: string, raw: TelemetryEventInput): EventFold {
  const parsed = parseEvent(raw);
  if (!parsed.ok) throw new Error(parsed.message);
  return foldOf(tenantId, parsed.event, sketch);
}

async function events(service: TelemetryService, tenantId: string): Promise<number> {
  return (await service.summary(tenantId, { window: '1h' })).events;
}

for (const { name, available, open } of backends) {
  describe.skipIf(!available)(`telemetry edges — ${name}`, () => {
    it("one tenant's out-of-range events cannot erase another tenant's", async () => {
      const { service, consumer } = await setUp(open);
      const now = Date.now();
      const victim = Array.from({ length: 300 }, (_, i) => modelCall(`v${i}`, now - 1000));
      expect((await service.ingest('victim', victim)).accepted).toBe(300);
      const attack = await service.ingest('attacker', [
        modelCall('x1', now, 1e308),
        modelCall('x2', now, 1e308),
      ]);
      // Rejected at the API, each with its reason; nothing of them reaches the stream.
      expect(attack.accepted).toBe(0);
      expect(attack.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(attack.rejected[0]!.message).toMatch(/^latencyMs: /);
      await consumer().drainOnce();
      expect(await events(service, 'victim')).toBe(300);
      expect(await events(service, 'attacker')).toBe(0);
    });

    it('the store checks every fold before marking any: a bad one is rejected alone', async () => {
      const { backend, service } = await setUp(open);
      const now = Date.now();
      const good = [0, 1, 2].map((i) => foldFor('victim', modelCall(`g${i}`, now)));
      const overflow = (id: string, value: number): EventFold => {
        const fold = foldFor('attacker', modelCall(id, now));
        return { ...fold, ops: fold.ops.map((op) => ({ ...op, value })) };
      };
      const result = await backend.metrics.fold([
        good[0]!,
        overflow('x1', 1e308),
        good[1]!,
        overflow('x2', Number.NaN),
        good[2]!,
      ]);
      expect(result.folded).toBe(3);
      expect(result.rejected.map((r) => r.index)).toEqual([1, 3]);
      expect(result.rejected[0]!.error).toMatch(/not a finite number within/);
      expect(await events(service, 'victim')).toBe(3);
      // The rejected ones were not marked: once valid they fold.
      const retry = await backend.metrics.fold([foldFor('attacker', modelCall('x1', now))]);
      expect(retry).toMatchObject({ folded: 1, duplicates: 0 });
      expect((await backend.metrics.fold(good)).duplicates).toBe(3);
    });

    it('an event the store rejects is dead-lettered at once, alone; the rest of its batch folds', async () => {
      const { backend, service, consumer } = await setUp(open);
      const now = Date.now();
      await service.ingest(
        'victim',
        [0, 1, 2, 3].map((i) => modelCall(`b${i}`, now)),
      );
      // Corrupts one fold on its way to the real store (as a schema/store mismatch would).
      const corrupting: MetricStore = {
        ...backend.metrics,
        fold: (folds) =>
          backend.metrics.fold(
            folds.map((f) =>
              f.eventId === 'b2'
                ? { ...f, ops: [{ field: 'ev', kind: 'add', value: Infinity }] }
                : f,
            ),
          ),
      };
      const c = consumer(corrupting);
      await c.drainOnce();
      expect(c.counters).toMatchObject({ folded: 3, deadLettered: 1 });
      expect(await events(service, 'victim')).toBe(3);
      const dead = (await service.deadLetters('victim', { limit: 10 })).deadLetters;
      expect(dead).toHaveLength(1);
      expect(dead[0]!.error).toMatch(/^invalid fold: /);
      expect(dead[0]!.deliveries).toBe(1);
      expect((await service.streamStats()).pending).toBe(0);
    });

    it('a retry re-stamped with a later ts (same eventId) counts once', async () => {
      const { service, consumer } = await setUp(open);
      const now = Date.now();
      const first = Array.from({ length: 200 }, (_, i) => modelCall(`r${i}`, now - 20 * 60_000));
      const restamped = first.map((e) => ({ ...e, ts: now - 60_000 }));
      await service.ingest('default', first);
      await consumer().drainOnce();
      await service.ingest('default', restamped);
      await consumer().drainOnce();
      expect(await events(service, 'default')).toBe(200);
    });

    it('refuses a whole batch once the backlog is at its bound, and takes batches again once folded', async () => {
      const { backend, service, consumer } = await setUp(open, 10);
      const now = Date.now();
      const batch = (tag: string, n: number) =>
        Array.from({ length: n }, (_, i) => modelCall(`${tag}${i}`, now));
      expect((await service.ingest('t', batch('a', 6))).accepted).toBe(6);
      expect((await service.ingest('t', batch('b', 6))).accepted).toBe(6);
      await expect(service.ingest('t', batch('c', 3))).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        details: { retryAfterSeconds: 2 },
      });
      expect((await backend.stream.stats()).length).toBe(12);
      await consumer().drainOnce();
      expect(await events(service, 't')).toBe(12);
      expect((await service.ingest('t', batch('c', 3))).accepted).toBe(3);
      await consumer().drainOnce();
      expect(await events(service, 't')).toBe(15);
    });

    it('pages the dead-letter list with a cursor, one tenant only', async () => {
      const { backend, service } = await setUp(open);
      const appended = await backend.stream.append(
        Array.from({ length: 8 }, (_, i) => ({
          tenantId: i % 3 === 0 ? 'other' : 'mine',
          payload: `{"n":${i}}`,
        })),
      );
      const [entries] = await Promise.all([
        backend.stream.read('dlq-maker', { count: 8, blockMs: 0 }),
      ]);
      expect(entries.map((e) => e.id)).toEqual(appended);
      for (const entry of entries) await backend.stream.deadLetter('dlq-maker', entry, 'boom');
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await service.deadLetters('mine', {
          limit: 2,
          ...(cursor === undefined ? {} : { after: cursor }),
        });
        seen.push(...page.deadLetters.map((d) => d.payload));
        cursor = page.next;
        pages += 1;
      } while (cursor !== undefined && pages < 10);
      expect(seen).toEqual([1, 2, 4, 5, 7].map((n) => `{"n":${n}}`));
      expect(pages).toBe(3);
      await expect(
        service.deadLetters('mine', { limit: 2, after: 'not-a-cursor' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
}

describe.skipIf(!hasRedis)('Redis stream: refuses instead of trimming', () => {
  it('refuses dead letters past the bound; the entry stays in the stream', async () => {
    const prefix = `${uniqueName('engram_test_telemetry_dlq')}:`;
    cleanups.push(() => dropRedisPrefix(prefix));
    const options = { url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 5000 };
    const redis = openRedis(options);
    cleanups.push(() => closeRedis(redis));
    const stream = await createRedisEventStream({
      redis,
      blockingOptions: options,
      maxBacklog: 1000,
      deadLetterMax: 2,
    });
    cleanups.push(() => stream.close());
    await stream.append([0, 1, 2].map((n) => ({ tenantId: 't', payload: String(n) })));
    const entries = await stream.read('c', { count: 3, blockMs: 0 });
    await stream.deadLetter('c', entries[0]!, 'e');
    await stream.deadLetter('c', entries[1]!, 'e');
    await expect(stream.deadLetter('c', entries[2]!, 'e')).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect(await stream.stats()).toEqual({ length: 1, pending: 1, deadLetters: 2 });
    // Acknowledged entries leave the stream: the length is the backlog.
    await stream.ack('c', [entries[2]!.id]);
    expect(await stream.stats()).toEqual({ length: 0, pending: 0, deadLetters: 2 });
  });
});

describe.skipIf(!hasRedis)('Redis stream written by an older version', () => {
  it('drops entries acknowledged but kept in the stream, so they are not counted as backlog', async () => {
    const prefix = `${uniqueName('engram_test_telemetry_upgrade')}:`;
    cleanups.push(() => dropRedisPrefix(prefix));
    const raw = new Redis(REDIS_URL);
    try {
      // As the code before XDEL-on-ack left it: 5 entries, 3 delivered and acknowledged, 1 pending.
      const key = `${prefix}telemetry:stream`;
      await raw.call('XGROUP', 'CREATE', key, 'telemetry-folders', '0', 'MKSTREAM');
      for (let i = 0; i < 5; i += 1) await raw.xadd(key, '*', 't', 't', 'e', String(i));
      const read = (await raw.call(
        'XREADGROUP',
        'GROUP',
        'telemetry-folders',
        'old',
        'COUNT',
        '4',
        'STREAMS',
        key,
        '>',
      )) as Array<[string, Array<[string, string[]]>]>;
      const ids = read[0]![1].map((entry) => entry[0]);
      await raw.call('XACK', key, 'telemetry-folders', ids[0]!, ids[1]!, ids[3]!);
    } finally {
      raw.disconnect();
    }
    const options = { url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 5000 };
    const redis = openRedis(options);
    cleanups.push(() => closeRedis(redis));
    const stream = await createRedisEventStream({ redis, blockingOptions: options, maxBacklog: 4 });
    cleanups.push(() => stream.close());
    // Left: the pending entry (2), the acknowledged one after it (3, kept: it is above the oldest
    // pending one) and the undelivered one (4).
    expect(await stream.stats()).toEqual({ length: 3, pending: 1, deadLetters: 0 });
    expect(await stream.append([{ tenantId: 't', payload: 'new' }])).toHaveLength(1);
  });
});

const modes: Array<{ name: string; available: boolean; env: () => Record<string, string> }> = [
  { name: 'embedded', available: true, env: () => ({}) },
  {
    name: 'Redis',
    available: hasRedis,
    env: () => {
      const prefix = `${uniqueName('engram_test_telemetry_backlog')}:`;
      cleanups.push(() => dropRedisPrefix(prefix));
      return { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix };
    },
  },
];

for (const mode of modes) {
  describe.skipIf(!mode.available)(`POST /v1/events backpressure — ${mode.name}`, () => {
    it('past the backlog bound answers 503 with Retry-After and stores nothing; every 202 is counted', async () => {
      const fixture: TestApp = await createTestApp({
        env: {
          ...mode.env(),
          ENGRAM_TELEMETRY_STREAM_MAX_BACKLOG: '1000',
        },
      });
      cleanups.push(() => fixture.dispose());
      const now = Date.now();
      let accepted = 0;
      const refusals: Array<{ status: number; retryAfter: unknown; code: unknown }> = [];
      for (let batch = 0; batch < 6; batch += 1) {
        const posted = await fixture.app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: {
            events: Array.from({ length: 500 }, (_, i) => modelCall(`p${batch}-${i}`, now - 1000)),
          },
        });
        if (posted.statusCode === 202) accepted += posted.json<{ accepted: number }>().accepted;
        else
          refusals.push({
            status: posted.statusCode,
            retryAfter: posted.headers['retry-after'],
            code: posted.json<{ error: { code: string } }>().error.code,
          });
      }
      fixture.runtime.startBackground();
      const summary = await until(
        () => fixture.runtime.telemetry.summary('default', { window: '5m' }),
        (s) => s.events >= accepted,
        20_000,
      );
      // Every event a 202 accepted is counted: nothing was trimmed away.
      expect(summary.events).toBe(accepted);
      expect(accepted).toBe(1000);
      expect(refusals).toHaveLength(4);
      expect(refusals[0]).toEqual({ status: 503, retryAfter: '2', code: 'UNAVAILABLE' });
      // Drained: the bound lets batches in again.
      const again = await fixture.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: [modelCall('after', now)] },
      });
      expect(again.statusCode).toBe(202);
    });
  });
}

describe.skipIf(!hasRedis)('Redis emptied under a running worker', () => {
  it('recreates the consumer group, folds new events within seconds, and logs it once', async () => {
    const prefix = `${uniqueName('engram_test_telemetry_nogroup')}:`;
    cleanups.push(() => dropRedisPrefix(prefix));
    const backend = await openTelemetryBackend({ kind: 'redis', prefix });
    cleanups.push(() => backend.close());
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('info', sink);
    // The stream as runtime.ts builds it: with the logger that reports a recreated group.
    const stream = await createRedisEventStream({
      redis: backend.redis!,
      blockingOptions: { url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 5000 },
      maxBacklog: 100_000,
      logger,
    });
    cleanups.push(() => stream.close());
    const service = createTelemetryService({
      stream,
      metrics: backend.metrics,
      clock: systemClock,
      batchMaxEvents: 100,
    });
    const workers = createTelemetryWorkers({
      stream,
      metrics: backend.metrics,
      logger,
      heartbeats: createHeartbeats(systemClock),
      consumers: 1,
      readCount: 100,
      claimIdleMs: 1000,
      maxDeliveries: 3,
      retention: { clock: systemClock, dedupTtlSeconds: 3600, retentionSeconds: 3600 },
    });
    workers.start();
    cleanups.push(() => workers.stop());
    const now = Date.now();
    await service.ingest(
      'default',
      Array.from({ length: 5 }, (_, i) => modelCall(`before-${i}`, now)),
    );
    expect(
      await until(
        () => events(service, 'default'),
        (n) => n === 5,
        10_000,
      ),
    ).toBe(5);

    // "Redis restarted empty": every key of this deployment is gone, the group with the stream.
    const raw = new Redis(REDIS_URL);
    try {
      const keys = await raw.keys(`${prefix}*`);
      expect(keys).toContain(`${prefix}telemetry:stream`);
      await raw.del(...keys);
    } finally {
      raw.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await service.ingest(
      'default',
      Array.from({ length: 10 }, (_, i) => modelCall(`after-${i}`, now)),
    );
    const folded = await until(
      () => events(service, 'default'),
      (n) => n === 10,
      8_000,
    );
    expect(folded).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const noisy = lines.filter((line) => /NOGROUP|read failed|claim failed|recreat/i.test(line));
    // Once, not in a loop: one warning, no failed reads.
    expect(noisy).toHaveLength(1);
    expect(noisy[0]).toMatch(/consumer group was missing .*recreating it/);
  });
});
