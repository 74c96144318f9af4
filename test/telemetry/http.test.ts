// Telemetry through the public HTTP API of a real runtime: POST /v1/events → in-process workers
// → GET /v1/metrics/summary, /v1/metrics/series, the dead-letter endpoints and /metrics gauges;
// embedded (SQLite) and distributed (Redis) runtimes.
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/domain/logger.js';
import { systemClock } from '../../src/domain/clock.js';
import { createTelemetryConsumer } from '../../src/telemetry/consumer.js';
import { createModelCallRecorder } from '../../src/telemetry/model-calls.js';
import { createTelemetryService, type Summary } from '../../src/telemetry/service.js';
import { dropRedisPrefix, redisAvailable, REDIS_URL, uniqueName } from '../support/backends.js';
import { createTestApp, type TestApp } from '../support/runtime.js';
import { openTempSqliteTelemetry, until } from './backends.js';

const hasRedis = await redisAvailable();
let fixture: TestApp | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const modes: Array<{ name: string; available: boolean; env: () => Record<string, string> }> = [
  { name: 'embedded', available: true, env: () => ({}) },
  {
    name: 'distributed (Redis)',
    available: hasRedis,
    env: () => {
      const prefix = `${uniqueName('engram_test_telemetry_http')}:`;
      cleanups.push(() => dropRedisPrefix(prefix));
      return { ENGRAM_REDIS_URL: REDIS_URL, ENGRAM_REDIS_KEY_PREFIX: prefix };
    },
  },
];

for (const mode of modes) {
  describe.skipIf(!mode.available)(`telemetry HTTP API — ${mode.name}`, () => {
    it('accepts a batch, rejects the bad event alone, and reports folded figures', async () => {
      fixture = await createTestApp({
        env: { ...mode.env(), ENGRAM_TELEMETRY_BATCH_MAX_EVENTS: '5' },
      });
      const { app } = fixture;
      fixture.runtime.startBackground();
      const now = Date.now();
      const base = { sessionId: 's1', agentId: 'coder' };
      const posted = await app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: {
          events: [
            { ...base, type: 'session_start', eventId: 'e1', ts: now - 120_000 },
            {
              ...base,
              type: 'tool_call',
              eventId: 'e2',
              ts: now - 60_000,
              tool: 'grep',
              success: true,
              durationMs: -1,
            },
            {
              ...base,
              type: 'tool_call',
              eventId: 'e3',
              ts: now - 60_000,
              tool: 'grep',
              success: true,
              durationMs: 40,
            },
            { ...base, type: 'suggestion', eventId: 'e4', ts: now - 30_000, action: 'accepted' },
            { ...base, type: 'session_end', eventId: 'e5', ts: now },
          ],
        },
      });
      expect(posted.statusCode).toBe(202);
      expect(posted.json().accepted).toBe(4);
      expect(posted.json().rejected).toEqual([
        {
          index: 1,
          code: 'VALIDATION_FAILED',
          message: expect.stringMatching(/^durationMs: /) as unknown,
        },
      ]);

      const summary = await until(
        async () =>
          (
            await app.inject({ method: 'GET', url: '/v1/metrics/summary?window=5m&agentId=coder' })
          ).json<Summary>(),
        (body: Summary) => body.events === 4,
        20_000,
      );
      expect(summary).toMatchObject({
        window: '5m',
        relativeError: 0.01,
        events: 4,
        tools: { calls: 1, successes: 1, successRate: 1 },
        suggestions: { accepted: 1, rejected: 0, acceptanceRate: 1 },
        sessions: { started: 1, ended: 1, meanDurationMs: 120_000, toolsPerMinute: 0.5 },
      });
      expect(Math.abs(summary.tools.durationMs.p50! - 40)).toBeLessThanOrEqual(0.4);
      // 100 × (0.4·1 + 0.4·1 + 0.2·(0.5/1.5)) / 1
      expect(summary.productivityScore).toBeCloseTo(100 * (0.8 + 0.2 * (0.5 / 1.5)), 9);
      const otherAgent = (
        await app.inject({ method: 'GET', url: '/v1/metrics/summary?window=5m&agentId=nobody' })
      ).json();
      expect(otherAgent.events).toBe(0);

      const series = await app.inject({
        method: 'GET',
        url: '/v1/metrics/series?window=5m&step=1m',
      });
      expect(series.statusCode).toBe(200);
      expect(series.json().points).toHaveLength(5);
      expect(
        series.json().points.reduce((acc: number, p: { events: number }) => acc + p.events, 0),
      ).toBe(4);

      const dlq = await app.inject({ method: 'GET', url: '/v1/telemetry/dlq' });
      expect(dlq.json()).toEqual({ deadLetters: [], nextCursor: null });
      // A malformed cursor is refused by the stream; one holding NUL already by the input guard.
      const badCursor = await app.inject({
        method: 'GET',
        url: '/v1/telemetry/dlq?limit=5&cursor=nope',
      });
      expect(badCursor.statusCode).toBe(400);
      expect(badCursor.json().error.code).toBe('VALIDATION_FAILED');
      const nulCursor = await app.inject({
        method: 'GET',
        url: '/v1/telemetry/dlq?limit=5&cursor=%00nope',
      });
      expect(nulCursor.statusCode).toBe(400);
      expect(nulCursor.json().error.code).toBe('INVALID_INPUT');
      const replay = await app.inject({
        method: 'POST',
        url: '/v1/telemetry/dlq/replay',
        payload: {},
      });
      expect(replay.json()).toEqual({ replayed: 0 });

      const scraped = await app.inject({ method: 'GET', url: '/metrics' });
      expect(scraped.body).toContain('engram_telemetry_events{tenant="default",window="5m"} 4');
      expect(scraped.body).toContain(
        'engram_telemetry_acceptance_rate{tenant="default",window="5m"} 1',
      );

      const tooMany = await app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: { events: new Array(6).fill({ type: 'session_start' }) },
      });
      expect(tooMany.statusCode).toBe(413);
      expect(tooMany.json().error.code).toBe('INPUT_TOO_LARGE');
      const badWindow = await app.inject({ method: 'GET', url: '/v1/metrics/summary?window=2d' });
      expect(badWindow.statusCode).toBe(400);
    });
  });
}

describe('recordModelCall', () => {
  it("turns Engram's own model calls into model_call events", async () => {
    const backend = await openTempSqliteTelemetry();
    cleanups.push(() => backend.close());
    const service = createTelemetryService({
      stream: backend.stream,
      metrics: backend.metrics,
      clock: systemClock,
      batchMaxEvents: 100,
    });
    const recorder = createModelCallRecorder({
      service,
      clock: systemClock,
      logger: createSilentLogger(),
    });
    recorder.record({
      kind: 'embedding',
      provider: 'local',
      model: 'use-lite',
      latencyMs: 12.5,
      items: 3,
      success: true,
    });
    recorder.record({
      kind: 'chat',
      provider: 'openai',
      model: 'gpt',
      latencyMs: 800,
      inputTokens: 100,
      outputTokens: 20,
      success: false,
    });
    await recorder.close();
    const consumer = createTelemetryConsumer({
      stream: backend.stream,
      metrics: backend.metrics,
      consumerName: 'c',
      logger: createSilentLogger(),
      claimIdleMs: 1000,
      maxDeliveries: 3,
    });
    await consumer.drainOnce();
    const summary = await service.summary('default', { window: '5m', agentId: 'engram' });
    expect(summary.modelCalls).toMatchObject({
      count: 2,
      errors: 1,
      inputTokens: 100,
      outputTokens: 20,
    });
    expect(summary.modelCalls.latencyMs.max).toBe(800);
  });
});
